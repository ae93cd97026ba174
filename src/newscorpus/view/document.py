"""A document's page: the text with its entities, its relations, its issues and its raw text.

The normalised text shows every entity highlighted in its label's colour with the label after
it; nested entities are drawn inside their parent (:mod:`newscorpus.view.marks`). Hovering an
entity shows its id, label, offsets, source and note; clicking it shows its row of the entity
table (with its relations and issues) in a details panel. Relations are arcs between their
arguments (:mod:`newscorpus.view.arcs`) and a table linking to both. Validation issues link to
the span they are about. A toggle shows the raw article with every normalisation edit marked.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from urllib.parse import quote, urlsplit

from newscorpus.errors import Issue
from newscorpus.model import Entity, Relation
from newscorpus.normalise import Edit
from newscorpus.view.arcs import Arc, arc_diagrams
from newscorpus.view.layout import colour_of, esc, legend, page
from newscorpus.view.load import ViewDocument
from newscorpus.view.marks import Mark, render_marks, text_html

_VISIBLE = {" ": "·", "\xa0": "⍽", "\t": "⇥", "\n": "↵\n", "\r": "␍"}


def document_page(doc: ViewDocument, colours: Mapping[str, str]) -> str:
    """The whole HTML page of ``doc``."""
    text = doc.text or ""
    drawable = () if doc.stale else tuple(e for e in doc.entities if _inside(e, text))
    by_id = {e.id: e for e in doc.entities}
    issue_ids = {i.annotation_id for i in (*doc.issues, *(doc.consistency or ()))}
    counts = Counter(e.label for e in doc.entities)
    body = [
        _header(doc),
        _issues_section("Validation", "issues", doc.issues, by_id, doc.relations),
    ]
    if doc.consistency is not None:
        body.append(
            _issues_section("Consistency", "consistency", doc.consistency, by_id, doc.relations)
        )
    body += [
        '<section id="text">\n<h2>Text</h2>',
        legend({**colours, **{k: colour_of(colours, k) for k in sorted(counts)}}, counts),
        '<div class="toggle" role="group" aria-label="which text">'
        '<button type="button" data-show="text-normalised" aria-pressed="true">Normalised text'
        "</button>"
        '<button type="button" data-show="text-raw" aria-pressed="false">Raw text with '
        "normalisation edits</button></div>",
        _stale_notice(doc),
        '<pre class="text" id="text-normalised">'
        f"{render_marks(text, [_entity_mark(e, colours, issue_ids) for e in drawable])}</pre>",
        f'<pre class="text raw" id="text-raw" hidden>{_raw_html(doc.raw, doc.edits)}</pre>',
        '<aside id="details" hidden aria-live="polite"></aside>\n</section>',
        _relations_section(doc, text, by_id, drawable, issue_ids),
        _entities_section(doc, issue_ids),
    ]
    title = doc.title or doc.id
    return page(f"{title} - {doc.id}", "\n".join(b for b in body if b), prefix="../")


def _inside(entity: Entity, text: str) -> bool:
    return 0 <= entity.start < entity.end <= len(text)


def _header(doc: ViewDocument) -> str:
    rows = [("id", esc(doc.id)), ("split", esc(doc.split))]
    for key in ("category", "published", "source_file", "license"):
        value = doc.meta.get(key)
        if value is not None:
            rows.append((key, esc(str(value))))
    url = doc.meta.get("url")
    if isinstance(url, str):
        rows.append(("url", _link(url)))
    details = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return (
        f'<header>\n<h1>{esc(doc.title or doc.id)}</h1>\n<dl class="meta">{details}</dl>\n</header>'
    )


def _link(url: str) -> str:
    """An http(s) URL as a link; anything else (``javascript:``...) as plain text."""
    if urlsplit(url).scheme.lower() in ("http", "https"):
        return f'<a href="{esc(url)}" rel="noreferrer noopener">{esc(url)}</a>'
    return esc(url)


def _stale_notice(doc: ViewDocument) -> str:
    if not doc.stale:
        return ""
    return (
        '<p class="notice">The annotations were made on another version of the text (E143), '
        "so they are not drawn on this one. Run <code>newscorpus reanchor "
        f"{esc(doc.id)}</code>.</p>"
    )


@lru_cache(maxsize=1 << 14)
def ref(annotation_id: str, prefix: str) -> str:
    """The fragment of an entity (``e-``) or relation (``r-``) anchor, escaped for ``href``."""
    return esc(f"#{prefix}{quote(annotation_id, safe='')}")


@lru_cache(maxsize=1 << 14)
def anchor(annotation_id: str, prefix: str) -> str:
    """The ``id`` attribute of an annotation's element, escaped."""
    return esc(f"{prefix}{annotation_id}")


def _entity_mark(entity: Entity, colours: Mapping[str, str], issue_ids: set[str | None]) -> Mark:
    # Escaped piece by piece: ids, labels and sources recur, so their escapes are cached.
    eid, label = esc(entity.id), esc(entity.label)
    tip = f"{eid} {label} [{entity.start}, {entity.end}) {esc(entity.source or 'no source')}"
    note = entity.extra.get("note")
    if note is not None:
        tip += f"\nnote: {esc(str(note))}"
    classes = "ent issue" if entity.id in issue_ids else "ent"
    return Mark(
        entity.start,
        entity.end,
        f' class="{classes}" data-id="{eid}" tabindex="0" title="{tip}" '
        f'style="--c:{colour_of(colours, entity.label)}"',
        f'<span class="lab" aria-hidden="true">{label}</span>',
        anchor(entity.id, "e-"),
        entity.id,
    )


def _issues_section(
    heading: str,
    section_id: str,
    issues: Sequence[Issue],
    entities: Mapping[str, Entity],
    relations: Sequence[Relation],
) -> str:
    if not issues:
        return (
            f'<section id="{section_id}"><h2>{heading}</h2><p class="ok">No issues.</p></section>'
        )
    relation_ids = {r.id for r in relations}
    items = []
    for found in issues:
        where = esc(found.path)
        if found.line is not None:
            where += f":{found.line}" + (f":{found.column}" if found.column is not None else "")
        target = ""
        annotation_id = found.annotation_id
        if annotation_id is not None:
            if annotation_id in entities:
                target = f' <a href="{ref(annotation_id, "e-")}">{esc(annotation_id)}</a>'
            elif annotation_id in relation_ids:
                target = f' <a href="{ref(annotation_id, "r-")}">{esc(annotation_id)}</a>'
            else:
                target = f" {esc(annotation_id)}"
        items.append(
            f'<li class="{found.severity}"><code>{esc(found.code)}</code>{target} '
            f'<span class="where">{where}</span> {esc(found.message)} '
            f'<span class="fix">{esc(found.fix)}</span></li>'
        )
    return (
        f'<section id="{section_id}"><h2>{heading}</h2>\n<ul class="issues">\n'
        + "\n".join(items)
        + "\n</ul></section>"
    )


def _relations_section(
    doc: ViewDocument,
    text: str,
    entities: Mapping[str, Entity],
    drawable: Sequence[Entity],
    issue_ids: set[str | None],
) -> str:
    if not doc.relations:
        return '<section id="relations"><h2>Relations</h2><p>No relations.</p></section>'
    drawn = {e.id for e in drawable}
    arcs = [
        Arc(entities[r.head], entities[r.tail], r.label)
        for r in doc.relations
        if r.head in drawn and r.tail in drawn
    ]
    figures = [
        f'<figure class="arcs"><figcaption>Paragraph {n}</figcaption>{svg}</figure>'
        for n, svg in arc_diagrams(text, arcs, "arcs")
    ]
    rows = []
    for r in doc.relations:
        css = ' class="issue"' if r.id in issue_ids else ""
        rows.append(
            f'<tr id="{anchor(r.id, "r-")}"{css}><td>{esc(r.id)}</td><td>{esc(r.label)}</td>'
            f"<td>{_argument(r.head, entities)}</td><td>{_argument(r.tail, entities)}</td>"
            f"<td>{esc(r.source or '')}</td><td>{esc(_note(r.extra))}</td></tr>"
        )
    return (
        '<section id="relations"><h2>Relations</h2>\n'
        + "\n".join(figures)
        + '\n<table class="relations"><thead><tr><th>id</th><th>label</th><th>head</th>'
        "<th>tail</th><th>source</th><th>note</th></tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table></section>"
    )


def _argument(entity_id: str, entities: Mapping[str, Entity]) -> str:
    entity = entities.get(entity_id)
    if entity is None:
        return f'{esc(entity_id)} <span class="missing">(no such entity)</span>'
    return (
        f'<a href="{ref(entity_id, "e-")}">{esc(entity_id)}</a> '
        f"{esc(entity.label)} &ldquo;{esc(entity.text)}&rdquo;"
    )


def _note(extra: Mapping[str, object]) -> str:
    note = extra.get("note")
    return "" if note is None else str(note)


def _entities_section(doc: ViewDocument, issue_ids: set[str | None]) -> str:
    if not doc.entities:
        note = "" if doc.has_annotations else " (no annotation file)"
        return f'<section id="entities"><h2>Entities</h2><p>No entities{note}.</p></section>'
    relations: dict[str, list[str]] = {}
    for r in doc.relations:
        relations.setdefault(r.head, []).append(f"{r.id} {r.label} \u2192 {r.tail}")
        relations.setdefault(r.tail, []).append(f"{r.id} {r.label} \u2190 {r.head}")
    rows = []
    for e in doc.entities:
        css = ' class="issue"' if e.id in issue_ids else ""
        rows.append(
            f'<tr id="{anchor(e.id, "row-")}"{css}><td><a href="{ref(e.id, "e-")}">'
            f"{esc(e.id)}</a></td><td>{esc(e.label)}</td><td>[{e.start}, {e.end})</td>"
            f"<td>{esc(e.text)}</td><td>{esc(e.source or '')}</td><td>{esc(_note(e.extra))}</td>"
            f"<td>{'<br>'.join(esc(x) for x in relations.get(e.id, []))}</td></tr>"
        )
    return (
        '<section id="entities"><h2>Entities</h2>\n<table class="entities"><thead><tr>'
        "<th>id</th><th>label</th><th>offsets</th><th>text</th><th>source</th><th>note</th>"
        "<th>relations</th></tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table></section>"
    )


def _raw_html(raw: str | None, edits: Sequence[Edit] | None) -> str:
    """The raw text with each edit marked: what was removed or replaced (whitespace made
    visible), what replaced it after, and the rule and the change in a tooltip."""
    if raw is None or edits is None:
        return "(the raw text cannot be read; see the validation issues)"
    marks = []
    for n, edit in enumerate(edits):
        rule = esc(edit.rule)
        marks.append(
            Mark(
                edit.raw_start,
                edit.raw_end,
                f' class="edit" data-rule="{rule}" title="{rule} [{edit.raw_start}, '
                f'{edit.raw_end}) {_change(edit.before, edit.after)}"',
                _after(edit.after),
                key=f"{n:06d}",
            )
        )
    return render_marks(raw, marks, _raw_segment)


# Cached: a corpus's edits are mostly the same few changes (a double space made one).
@lru_cache(maxsize=1 << 12)
def _change(before: str, after: str) -> str:
    return esc(f"{before!r} -> {after!r}")


@lru_cache(maxsize=1 << 12)
def _after(after: str) -> str:
    return f'<span class="after">{visible(after)}</span>' if after else ""


def _raw_segment(text: str, marked: bool) -> str:
    return visible(text) if marked else text_html(text)


def visible(text: str) -> str:
    """``text`` escaped, with white space and invisible characters shown as signs.

    >>> visible("a\\xa0b\\ufeff<")
    'a⍽b[U+FEFF]&lt;'
    """
    out = []
    for char in text:
        if char in _VISIBLE:
            out.append(_VISIBLE[char])
        elif unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp", "Cc"):
            out.append(f"[U+{ord(char):04X}]")
        else:
            out.append(text_html(char))
    return "".join(out)
