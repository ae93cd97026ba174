"""The site's frame: page shell, links between pages, escaping, and label colours.

Every page is a plain file that loads only the site's own stylesheet and script. Its Content
Security Policy forbids inline scripts and anything from the network, so even markup that
slipped through escaping in an article could run nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from html import escape
from urllib.parse import quote

from newscorpus.schema import Schema

#: No network, no inline script: only the site's own files (``'self'``) and inline styles
#: (displaCy's SVG and the label colours are set in style attributes).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'"
)
ASSETS_DIR = "assets"
DOCS_DIR = "docs"
DIFF_DIR = "diff"
_SPECIAL = re.compile("[&<>\"']")
#: Left in every site written, so a later run knows it may replace the folder.
MARKER = ".newscorpus-view"

#: displaCy's colours for the labels it knows (spaCy's look), then a palette by schema position.
_DISPLACY_COLOURS = {
    "ORG": "#7aecec",
    "GPE": "#feca74",
    "LOC": "#ff9561",
    "PERSON": "#aa9cfc",
    "NORP": "#c887fb",
    "FAC": "#9cc9cc",
    "EVENT": "#ffeb80",
    "PRODUCT": "#bfeeb7",
    "LAW": "#ff8197",
    "WORK_OF_ART": "#f0d0ff",
    "DATE": "#bfe1d9",
}
_PALETTE = (
    "#9be3a4",
    "#f7b2d9",
    "#b5d3ff",
    "#e8d6a8",
    "#c4f0e0",
    "#ffc9a3",
    "#d9c8f5",
    "#e0f28c",
    "#a8e6f0",
    "#f5b5b5",
)
#: Labels the schema does not declare (an annotation error) are grey.
UNKNOWN_COLOUR = "#d0d0d0"


@lru_cache(maxsize=1 << 16)
def esc(text: str) -> str:
    """``text`` escaped for element content and quoted attribute values.

    Cached: ids, labels and names recur on every page, and a site has millions of them.

    >>> esc('a<b & "c"')
    'a&lt;b &amp; &quot;c&quot;'
    """
    return escape(text, quote=True) if _SPECIAL.search(text) else text


def label_colours(schema: Schema | None) -> dict[str, str]:
    """A stable colour per entity label: the schema's ``colour``, else displaCy's colour for a
    label it knows, else a palette colour by the label's position in the schema (labels are only
    ever appended, so a label keeps its colour).

    >>> from newscorpus.schema import EntityType
    >>> label_colours(Schema((EntityType("GPE", ""), EntityType("X", "", "#123")), (), "", ""))
    {'GPE': '#feca74', 'X': '#123'}
    """
    if schema is None:
        return {}
    return {
        t.label: t.colour or _DISPLACY_COLOURS.get(t.label) or _PALETTE[i % len(_PALETTE)]
        for i, t in enumerate(schema.entity_types)
    }


def colour_of(colours: Mapping[str, str], label: str) -> str:
    return colours.get(label, UNKNOWN_COLOUR)


def legend(colours: Mapping[str, str], counts: Mapping[str, int] | None = None) -> str:
    """The label legend: a colour chip per label, with its count when ``counts`` is given."""
    items = []
    for label, colour in colours.items():
        count = f" {counts.get(label, 0)}" if counts is not None else ""
        items.append(
            f'<li><span class="chip" style="background:{colour}"></span>{esc(label)}{count}</li>'
        )
    return f'<ul class="legend" aria-label="labels">{"".join(items)}</ul>'


def doc_href(doc_id: str, prefix: str = "") -> str:
    """The link to a document's page from a page ``prefix`` away from the site root."""
    return esc(f"{prefix}{DOCS_DIR}/{quote(doc_id, safe='')}.html")


def diff_href(doc_id: str) -> str:
    """The link to a document's changes page from the site root."""
    return esc(f"{DIFF_DIR}/{quote(doc_id, safe='')}.html")


def doc_file(doc_id: str) -> str:
    """A document page's path inside the site (ids are folder names, so they fit a file name)."""
    return f"{DOCS_DIR}/{doc_id}.html"


def page(title: str, body: str, *, prefix: str = "", diff: bool = False) -> str:
    """A whole HTML page; ``prefix`` leads from the page's folder to the site root."""
    links = [("index.html", "Documents"), ("stats.html", "Statistics")]
    if diff:
        links.append(("diff.html", "Changes"))
    nav = " ".join(f'<a href="{prefix}{href}">{name}</a>' for href, name in links)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n"
        f'<link rel="stylesheet" href="{prefix}{ASSETS_DIR}/view.css">\n'
        f'<script src="{prefix}{ASSETS_DIR}/view.js" defer></script>\n'
        "</head>\n<body>\n"
        f"<nav>{nav}</nav>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
