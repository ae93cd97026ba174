"""``view --diff``: what changed in the annotations since a build or a git revision, on the text.

The comparison is ``newscorpus diff``'s (:func:`newscorpus.builddiff.compare_documents`): the
old annotations are re-anchored onto the current text when it changed, then entities are matched
by offsets and relations by their arguments. The old side is a build folder (its ``documents``
Parquet) or a git revision of the project (its ``text.txt`` and annotation files read with
``git cat-file``); the new side is the corpus on disk.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from newscorpus.builddiff import (
    BuildDiff,
    DocState,
    DocumentDiff,
    build_version,
    read_build_documents,
)
from newscorpus.corpus import TEXT_FILE
from newscorpus.errors import UsageError
from newscorpus.model import Entity, Relation
from newscorpus.project import CONFIG_FILE, Project
from newscorpus.splits import assign_split
from newscorpus.view.arcs import Arc, arc_diagrams
from newscorpus.view.layout import colour_of, diff_href, doc_href, esc, page
from newscorpus.view.load import lenient_annotations
from newscorpus.view.marks import Mark, render_marks

#: How builddiff names a relation argument: its text and start offset.
_ARGUMENT = re.compile(r'^"(?P<text>.*)"@(?P<start>\d+)$', re.DOTALL)


@dataclass(frozen=True)
class OldCorpus:
    """The documents compared against: what ``--diff`` named, its version and its documents."""

    name: str
    version: str
    documents: Mapping[str, DocState]


def read_old(project: Project, spec: str) -> OldCorpus:
    """The documents of a build folder or of a git revision of the project.

    Raises:
        UsageError: E050 when ``spec`` is neither.
    """
    folder = Path(spec)
    if folder.is_dir() and (folder / "manifest.json").is_file():
        return OldCorpus(spec, build_version(folder), dict(read_build_documents(folder)))
    commit = _git(project, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    if commit is None:
        raise UsageError(
            "E050",
            f"--diff {spec!r} is neither a build folder (with manifest.json) nor a git revision "
            "of the project's repository.",
            fix="Pass a folder written by `newscorpus build`, or a commit, branch or tag "
            "(e.g. HEAD~1, main).",
        )
    return _from_git(project, spec, commit.decode().strip())


def _git(project: Project, *args: str, data: bytes | None = None) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=project.root, input=data, capture_output=True, check=False
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def _from_git(project: Project, spec: str, commit: str) -> OldCorpus:
    prefix = (_git(project, "rev-parse", "--show-prefix") or b"").decode().strip()
    listing = _git(
        project,
        "ls-tree",
        "-r",
        "--full-name",
        "--name-only",
        "-z",
        commit,
        "--",
        project.corpus_dir,
        project.annotations_dir,
    )
    texts: dict[str, str] = {}
    notes: dict[str, str] = {}
    corpus = f"{prefix}{project.corpus_dir}/"
    annotations = f"{prefix}{project.annotations_dir}/"
    for name in (listing or b"").decode().split("\0"):
        if name.startswith(corpus) and name.endswith(f"/{TEXT_FILE}"):
            doc_id = name[len(corpus) : -len(TEXT_FILE) - 1]
            if "/" not in doc_id:
                texts[doc_id] = name
        elif name.startswith(annotations) and name.endswith(".json"):
            doc_id = name[len(annotations) : -len(".json")]
            if "/" not in doc_id:
                notes[doc_id] = name
    wanted = [f"{prefix}{CONFIG_FILE}", *texts.values(), *notes.values()]
    blobs = _cat_files(project, commit, wanted)
    overrides = _old_splits(blobs.get(f"{prefix}{CONFIG_FILE}"))
    documents = {}
    for doc_id, name in sorted(texts.items()):
        text = blobs.get(name, b"").decode("utf-8", "replace")
        entities: tuple[Entity, ...] = ()
        relations: tuple[Relation, ...] = ()
        try:
            data = json.loads(blobs[notes[doc_id]]) if doc_id in notes else None
        except ValueError:
            data = None
        if isinstance(data, dict):
            entities, relations = lenient_annotations(data)
        documents[doc_id] = DocState(assign_split(doc_id, overrides), text, entities, relations)
    version = _old_version(blobs.get(f"{prefix}{CONFIG_FILE}")) or commit[:12]
    return OldCorpus(spec, version, documents)


def _cat_files(project: Project, commit: str, names: list[str]) -> dict[str, bytes]:
    """The contents of ``names`` at ``commit``, in one ``git cat-file --batch`` call."""
    request = "".join(f"{commit}:{name}\n" for name in names).encode()
    output = _git(project, "cat-file", "--batch", data=request) or b""
    found: dict[str, bytes] = {}
    pos = 0
    for name in names:
        end = output.index(b"\n", pos)
        header = output[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            found[name] = output[pos : pos + size]
            pos += size + 1
    return found


def _old_table(data: bytes | None) -> dict[str, object]:
    try:
        table = tomllib.loads((data or b"").decode("utf-8"))["tool"]["newscorpus"]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, KeyError, TypeError):
        return {}
    return table if isinstance(table, dict) else {}


def _old_splits(data: bytes | None) -> dict[str, str]:
    splits = _old_table(data).get("splits")
    if not isinstance(splits, dict):
        return {}
    return {k: v for k, v in splits.items() if isinstance(k, str) and isinstance(v, str)}


def _old_version(data: bytes | None) -> str | None:
    version = _old_table(data).get("version")
    return version if isinstance(version, str) else None


# --- pages -----------------------------------------------------------------------------------


def diff_page(change: DocumentDiff, new: DocState, colours: Mapping[str, str], old: str) -> str:
    """One changed document: its current text with added, removed and relabelled entities
    marked, and the relation changes as arcs and a list."""
    marks = []
    for kind, entity, tip in _entity_changes(change):
        marks.append(
            Mark(
                entity.start,
                entity.end,
                f' class="ent {kind}" title="{esc(tip)}" '
                f'style="--c:{colour_of(colours, entity.label)}"',
                f'<span class="lab" aria-hidden="true">{esc(_label_of(kind, entity, change))}'
                "</span>",
                key=f"{kind}{entity.id}",
            )
        )
    notes = []
    if change.text_changed:
        notes.append("The text changed; the old annotations were re-anchored before comparing.")
    if change.split:
        notes.append(f"Split {change.split[0]} \u2192 {change.split[1]}.")
    arcs, items = _relation_changes(change, new.text)
    figures = "".join(
        f'<figure class="arcs"><figcaption>Paragraph {n}</figcaption>{svg}</figure>'
        for n, svg in arc_diagrams(new.text, arcs, "diff-arcs")
    )
    body = (
        f'<h1>Changes in <a href="{doc_href(change.doc_id, "../")}">{esc(change.doc_id)}</a></h1>'
        f"\n<p>Compared with {esc(old)}. {' '.join(esc(n) for n in notes)}</p>\n"
        '<ul class="legend"><li><span class="chip add"></span>added</li>'
        '<li><span class="chip del"></span>removed</li>'
        '<li><span class="chip relabel"></span>relabelled</li></ul>\n'
        f'<pre class="text diff">{render_marks(new.text, marks)}</pre>\n'
        f'<h2>Relations</h2>\n{figures}\n<ul class="changes">{"".join(items)}</ul>'
    )
    return page(f"Changes in {change.doc_id}", body, prefix="../", diff=True)


def _entity_changes(change: DocumentDiff) -> list[tuple[str, Entity, str]]:
    found = [
        ("add", e, f"added {e.id} {e.label} [{e.start}, {e.end})") for e in change.entities_added
    ]
    found += [
        ("del", e, f"removed {e.id} {e.label} [{e.start}, {e.end})")
        for e in change.entities_removed
    ]
    found += [
        ("relabel", b, f"relabelled {b.id} {a.label} -> {b.label} [{b.start}, {b.end})")
        for a, b in change.entities_relabelled
    ]
    return found


def _label_of(kind: str, entity: Entity, change: DocumentDiff) -> str:
    if kind == "relabel":
        old = next(a.label for a, b in change.entities_relabelled if b is entity)
        return f"{old} \u2192 {entity.label}"
    sign = "+" if kind == "add" else "\u2212"
    return f"{sign} {entity.label}"


def _relation_changes(change: DocumentDiff, text: str) -> tuple[list[Arc], list[str]]:
    arcs = []
    items = []
    rows = [("add", h, t, f"+ {label}") for h, t, label in change.relations_added]
    rows += [("del", h, t, f"\u2212 {label}") for h, t, label in change.relations_removed]
    rows += [("relabel", h, t, f"{a} \u2192 {b}") for h, t, a, b in change.relations_relabelled]
    for kind, head, tail, label in rows:
        items.append(f'<li class="{kind}">{esc(label)}: {esc(head)} \u2192 {esc(tail)}</li>')
        h, t = _argument(head, text), _argument(tail, text)
        if h is not None and t is not None:
            arcs.append(Arc(h, t, label))
    return arcs, items


def _argument(name: str, text: str) -> Entity | None:
    """The mention a relation change names (``"India"@12``), for drawing it."""
    found = _ARGUMENT.match(name)
    if found is None:
        return None
    start = int(found["start"])
    return Entity(name, start, start + len(found["text"]), "", found["text"])


def diff_index_page(diff: BuildDiff, old: str) -> str:
    """The summary of every change, with a link to each changed document's page."""
    t = diff.totals()
    summary = (
        f"documents +{t['documents_added']} \u2212{t['documents_removed']} "
        f"~{t['documents_changed']}; entities +{t['entities_added']} "
        f"\u2212{t['entities_removed']} relabelled {t['entities_relabelled']}; relations "
        f"+{t['relations_added']} \u2212{t['relations_removed']} relabelled "
        f"{t['relations_relabelled']}"
    )
    rows = [
        f'<li class="add">+ <a href="{doc_href(i)}">{esc(i)}</a> ({esc(s)})</li>'
        for i, s in diff.added
    ]
    rows += [f'<li class="del">\u2212 {esc(i)} ({esc(s)})</li>' for i, s in diff.removed]
    for c in diff.changed:
        counts = (
            f"entities +{len(c.entities_added)} \u2212{len(c.entities_removed)} "
            f"~{len(c.entities_relabelled)}, relations +{len(c.relations_added)} "
            f"\u2212{len(c.relations_removed)} ~{len(c.relations_relabelled)}"
        )
        rows.append(
            f'<li class="relabel">~ <a href="{diff_href(c.doc_id)}">{esc(c.doc_id)}</a>'
            f" {counts}{' (text changed)' if c.text_changed else ''}</li>"
        )
    body = (
        f"<h1>Changes since {esc(old)}</h1>\n<p>{esc(diff.old_version)} \u2192 "
        f"{esc(diff.new_version)} (on disk): {summary}</p>\n"
        f'<ul class="changes">{"".join(rows) or "<li>No changes.</li>"}</ul>'
    )
    return page("Changes", body, diff=True)
