"""Write the whole site: index, one page per document, statistics, and the changes pages.

The corpus is streamed: each document is read, validated and drawn, then only its index row,
its counts and (with ``--diff``) its change summary are kept. The site is written into a
temporary folder beside the output and swapped into place at the end, so a failed run leaves
the previous site as it was; the same corpus gives the same bytes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from newscorpus.builddiff import BuildDiff, DocState, compare_documents
from newscorpus.errors import Issue, NewscorpusError
from newscorpus.project import Project
from newscorpus.view.diffpage import OldCorpus, diff_index_page, diff_page
from newscorpus.view.document import document_page
from newscorpus.view.layout import (
    ASSETS_DIR,
    DIFF_DIR,
    DOCS_DIR,
    MARKER,
    doc_file,
    doc_href,
    esc,
    label_colours,
    legend,
    page,
)
from newscorpus.view.load import (
    ConsistencyCheck,
    Corpus,
    ViewDocument,
    iter_documents,
    open_corpus,
)
from newscorpus.view.stats import Stats, stats_page

ASSETS = ("view.css", "view.js")


@dataclass(frozen=True)
class SiteResult:
    out: Path
    documents: int
    errors: int
    warnings: int
    #: The comparison shown on the changes pages, when ``--diff`` was given.
    diff: BuildDiff | None


def default_out(project: Project) -> Path:
    return project.root / "dist" / "view"


def build_site(
    project: Project,
    out: Path | None = None,
    doc_ids: list[str] | None = None,
    *,
    consistency: ConsistencyCheck | None = None,
    old: OldCorpus | None = None,
    on_document: Callable[[str], None] | None = None,
    use_cache: bool = True,
) -> SiteResult:
    """Write the static site of ``project`` into ``out`` (default ``dist/view``).

    Args:
        project: the corpus project, read as it is on disk.
        out: the site folder; replaced as a whole when the site is written.
        doc_ids: the documents to show (default: all).
        consistency: a project-wide consistency check whose issues the index and pages show.
        old: the documents to compare against (``--diff``), see :func:`read_old`.
        on_document: called with each document id once its page is written (progress).
        use_cache: take the normalisation edits that ``add``, ``validate`` and ``build``
            remembered from ``.newscorpus/cache/`` (and remember those made here); the site is
            the same either way.

    Raises:
        NewscorpusError: E051 when ``out`` exists and is not a site this command wrote; E213
            when a wanted id is not in the corpus.
    """
    out = (out or default_out(project)).resolve()
    _check_out(project, out)
    corpus = open_corpus(project, doc_ids, consistency, use_cache=use_cache)
    colours = label_colours(corpus.schema)
    diff = BuildDiff(old.version, project.version) if old is not None else None
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        tmp.chmod(0o755)
        for folder in (ASSETS_DIR, DOCS_DIR, *((DIFF_DIR,) if diff else ())):
            (tmp / folder).mkdir()
        for name in ASSETS:
            data = resources.files("newscorpus.view").joinpath("assets", name).read_bytes()
            (tmp / ASSETS_DIR / name).write_bytes(data)
        stats = Stats()
        rows = []
        errors = warnings = 0
        for doc in iter_documents(project, corpus):
            _write(tmp / doc_file(doc.id), document_page(doc, colours))
            rows.append(_index_row(doc))
            stats.add(doc)
            errors += sum(i.severity == "error" for i in doc.issues)
            warnings += sum(i.severity == "warning" for i in doc.issues)
            if old is not None and diff is not None:
                _compare(tmp, doc, old, diff, colours)
            if on_document is not None:
                on_document(doc.id)
        if old is not None and diff is not None:
            # Named documents are all in the corpus; only a whole view can miss old ones.
            shown = set(corpus.doc_ids)
            if not doc_ids:
                diff.removed = sorted(
                    (i, d.split) for i, d in old.documents.items() if i not in shown
                )
            _write(tmp / "diff.html", diff_index_page(diff, old.name))
        _write(tmp / "index.html", _index_page(project, corpus, rows, colours, diff is not None))
        _write(tmp / "stats.html", stats_page(stats, corpus.schema, diff=diff is not None))
        (tmp / MARKER).write_text("written by newscorpus view; safe to delete\n", "utf-8")
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SiteResult(out, len(corpus.doc_ids), errors, warnings, diff)


def _compare(
    site: Path, doc: ViewDocument, old: OldCorpus, diff: BuildDiff, colours: dict[str, str]
) -> None:
    new = DocState(doc.split, doc.text or "", doc.entities, doc.relations)
    previous = old.documents.get(doc.id)
    if previous is None:
        diff.added.append((doc.id, doc.split))
        return
    change = compare_documents(doc.id, previous, new)
    if change.empty():
        return
    diff.changed.append(change)
    _write(site / DIFF_DIR / f"{doc.id}.html", diff_page(change, new, colours, old.name))


def _write(path: Path, html: str) -> None:
    path.write_bytes(html.encode("utf-8"))


def _check_out(project: Project, out: Path) -> None:
    if out.exists() and not (out.is_dir() and ((out / MARKER).is_file() or not any(out.iterdir()))):
        raise NewscorpusError(
            "E051",
            f"{project.relative(out)} exists and is not a site written by `newscorpus view`, "
            "so it is not replaced.",
            fix="Pass another folder with --out, or remove this one first.",
            where=project.relative(out),
        )


def _swap(tmp: Path, out: Path) -> None:
    """Put the new site in place: the old one is moved aside first and deleted last."""
    aside = None
    if out.exists():
        aside = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
        out.rename(aside / out.name)
    tmp.rename(out)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def _index_row(doc: ViewDocument) -> str:
    entities = Counter(e.label for e in doc.entities)
    relations = Counter(r.label for r in doc.relations)
    return (
        f'<tr data-split="{esc(doc.split)}"><td><a href="{doc_href(doc.id)}">{esc(doc.id)}</a>'
        f"</td><td>{esc(doc.title or '')}</td><td>{esc(str(doc.meta.get('category') or ''))}</td>"
        f"<td>{esc(doc.split)}</td><td>{_counts(entities)}</td><td>{_counts(relations)}</td>"
        f"<td>{_issues(doc.issues)}</td>"
        f"<td>{'not run' if doc.consistency is None else _issues(doc.consistency)}</td></tr>"
    )


def _counts(counts: Counter[str]) -> str:
    if not counts:
        return "0"
    total = sum(counts.values())
    parts = ", ".join(f"{esc(label)} {n}" for label, n in sorted(counts.items()))
    return f'<span class="total">{total}</span> <span class="by-label">{parts}</span>'


def _issues(found: Sequence[Issue]) -> str:
    """The validation (or consistency) status of a document: ok, or counts and codes."""
    if not found:
        return '<span class="ok">ok</span>'
    parts = []
    for severity in ("error", "warning"):
        of = [i for i in found if i.severity == severity]
        if of:
            codes = " ".join(sorted({esc(i.code) for i in of}))
            plural = "s" if len(of) != 1 else ""
            parts.append(f'<span class="{severity}">{len(of)} {severity}{plural}: {codes}</span>')
    return "<br>".join(parts)


def _index_page(
    project: Project,
    corpus: Corpus,
    rows: list[str],
    colours: dict[str, str],
    diff: bool,
) -> str:
    project_issues = ""
    if corpus.project_issues:
        items = "".join(
            f'<li class="{i.severity}"><code>{esc(i.code)}</code> {esc(i.render())}</li>'
            for i in corpus.project_issues
        )
        project_issues = f'<h2>Project issues</h2><ul class="issues">{items}</ul>'
    title = project.pretty_name or project.name
    body = (
        f"<h1>{esc(title)}</h1>\n<p>{esc(project.name)} {esc(project.version)}: "
        f"{len(rows)} document{'s' if len(rows) != 1 else ''}.</p>\n"
        f"{legend(colours)}\n{project_issues}\n"
        '<p><input type="search" id="filter" placeholder="filter documents" '
        'aria-label="filter documents"></p>\n'
        '<table class="index" id="documents"><thead><tr><th>id</th><th>title</th>'
        "<th>category</th><th>split</th><th>entities</th><th>relations</th>"
        "<th>validation</th><th>consistency</th></tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>"
    )
    return page(f"{title}: documents", body, diff=diff)
