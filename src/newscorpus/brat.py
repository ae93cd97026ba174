"""brat standoff export and import, so annotators can curate in brat and nothing is lost.

brat is the exchange format most annotation tools read. An export writes, per document,
``<doc_id>.txt`` (the normalised text) and ``<doc_id>.ann``, plus an ``annotation.conf``
generated from the schema, so brat enforces the same labels and relation signatures as the
validator. An import reads ``.ann`` files back into annotation files. Lines this project cannot
represent (events, attributes, discontinuous spans) are refused with their line number rather
than dropped; ``AnnotatorNotes`` become ``note`` keys and come back out on the next export.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from newscorpus.annotations import (
    AnnotationFile,
    annotation_path,
    read_annotations,
    text_sha256,
    write_annotations,
)
from newscorpus.corpus import doc_ids, load_article
from newscorpus.errors import InputError, NewscorpusError
from newscorpus.model import Entity, Relation
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.sources import decode_text

CONF_FILE = "annotation.conf"
_ENTITY_RE = re.compile(r"^(T\d+)\t(\S+) (\d+) (\d+)\t(.*)$")
_RELATION_RE = re.compile(r"^(R\d+)\t(\S+) Arg1:(T\d+) Arg2:(T\d+)\s*$")
_NOTE_RE = re.compile(r"^#\d+\tAnnotatorNotes ([TR]\d+)\t(.*)$")
_DISCONTINUOUS_RE = re.compile(r"^T\d+\t\S+ \d+ \d+(?:;\d+ \d+)+\t")


def annotation_conf(schema: Schema) -> str:
    """brat's ``annotation.conf`` for the schema: entity labels and relation signatures."""
    lines = ["[entities]", *schema.entity_labels, "", "[relations]"]
    for relation in schema.relation_types:
        line = f"{relation.label}\tArg1:{'|'.join(relation.head)}, Arg2:{'|'.join(relation.tail)}"
        if relation.symmetric:
            line += ", <REL-TYPE>:symmetric"
        lines.append(line)
    lines += ["<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:contain", ""]
    lines += ["[events]", "", "[attributes]", ""]
    return "\n".join(lines)


def to_ann(entities: Iterable[Entity], relations: Iterable[Relation], notes: dict[str, str]) -> str:
    """The ``.ann`` text of one document; notes are keyed by annotation id."""
    lines = [f"{e.id}\t{e.label} {e.start} {e.end}\t{e.text}" for e in entities]
    lines += [f"{r.id}\t{r.label} Arg1:{r.head} Arg2:{r.tail}" for r in relations]
    lines += [
        f"#{n}\tAnnotatorNotes {target}\t{note}"
        for n, (target, note) in enumerate(sorted(notes.items()), start=1)
    ]
    return "\n".join(lines) + "\n" if lines else ""


@dataclass(frozen=True, slots=True)
class Parsed:
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]
    notes: dict[str, str]


def parse_ann(content: str, where: str) -> Parsed:
    """Read a ``.ann`` file.

    Raises:
        NewscorpusError: E130 naming the line of anything this project cannot represent.
    """
    entities, relations, notes = [], [], {}
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        if match := _ENTITY_RE.match(line):
            ident, label, start, end, text = match.groups()
            entities.append(Entity(ident, int(start), int(end), label, text))
        elif match := _RELATION_RE.match(line):
            ident, label, head, tail = match.groups()
            relations.append(Relation(ident, head, tail, label))
        elif match := _NOTE_RE.match(line):
            notes[match.group(1)] = match.group(2)
        else:
            kind = {
                "E": "an event",
                "A": "an attribute",
                "M": "an attribute",
                "N": "a normalisation",
                "*": "an equivalence",
            }.get(line[:1], "a line brat's standoff format does not define here")
            if _DISCONTINUOUS_RE.match(line):
                kind = "a discontinuous span"
            raise NewscorpusError(
                "E130",
                f"{kind} cannot be represented in this corpus: {line[:60]!r}.",
                fix="Remove it, or model it as entities and binary relations; nothing is "
                "dropped silently.",
                where=f"{where}:{number}",
            )
    return Parsed(tuple(entities), tuple(relations), notes)


def to_annotation_file(
    doc_id: str, text: str, parsed: Parsed, previous: AnnotationFile | None
) -> AnnotationFile:
    """An annotation file for ``text`` from a parsed ``.ann``.

    Annotations identical to one in ``previous`` keep its provenance; new or edited ones were
    made by a curator in brat, so their source is ``gold``. Notes are kept under ``notes``.
    """
    before_e = {e.id: e for e in previous.entities} if previous else {}
    before_r = {r.id: r for r in previous.relations} if previous else {}
    entities = tuple(
        replace(
            e,
            source=_kept_source(before_e.get(e.id), e),
            extra=dict(before_e[e.id].extra) if e.id in before_e else {},
        )
        for e in parsed.entities
    )
    relations = tuple(
        replace(
            r,
            source=_kept_source(before_r.get(r.id), r),
            extra=dict(before_r[r.id].extra) if r.id in before_r else {},
        )
        for r in parsed.relations
    )
    extra = {k: v for k, v in previous.extra.items() if k != "notes"} if previous else {}
    if parsed.notes:
        extra["notes"] = dict(sorted(parsed.notes.items()))
    return AnnotationFile(doc_id, text_sha256(text), entities, relations, extra)


def _kept_source(before: Entity | Relation | None, after: Entity | Relation) -> str | None:
    """The provenance of an annotation unchanged since export, else ``gold`` (curated)."""
    if before is not None and before == replace(after, source=before.source):
        return before.source
    return "gold"


def notes_of(annotations: AnnotationFile) -> dict[str, str]:
    """Notes stored by a previous import, keyed by annotation id."""
    notes = annotations.extra.get("notes", {})
    return {str(k): str(v) for k, v in notes.items()} if isinstance(notes, dict) else {}


def write_export(
    out: Path, documents: Iterable[tuple[str, str, AnnotationFile | None]], schema: Schema
) -> int:
    """Write ``annotation.conf`` and a ``.txt``/``.ann`` pair per ``(doc_id, text, annotations)``.

    Returns the number of documents written. Files are written atomically.
    """
    from newscorpus.io import write_text_atomic

    write_text_atomic(out / CONF_FILE, annotation_conf(schema))
    count = 0
    for doc_id, text, stored in documents:
        write_text_atomic(out / f"{doc_id}.txt", text)
        ann = (
            to_ann(stored.entities, stored.relations, notes_of(stored))
            if stored is not None
            else ""
        )
        write_text_atomic(out / f"{doc_id}.ann", ann)
        count += 1
    return count


def export_project(project: Project, out: Path, ids: Sequence[str] | None = None) -> int:
    """Export the corpus (or ``ids``) to a brat collection folder; returns the document count."""
    schema = Schema.load(project.schema_path)

    def documents() -> Iterator[tuple[str, str, AnnotationFile | None]]:
        for doc_id in _checked_ids(project, ids):
            path = annotation_path(project, doc_id)
            annotations = read_annotations(path) if path.exists() else None
            yield doc_id, load_article(project, doc_id).text, annotations

    return write_export(out, documents(), schema)


def import_project(project: Project, folder: Path, ids: Sequence[str] | None = None) -> list[str]:
    """Read ``<doc_id>.ann`` files from a brat folder into the annotation files.

    Every imported document is validated before any file is written.

    Raises:
        NewscorpusError: E130 unrepresentable line; E131 the folder's text differs from the
            corpus text; E132 the imported annotations fail validation.
    """
    from newscorpus.validate import document_errors

    schema = Schema.load(project.schema_path)
    wanted = ids if ids is not None else sorted(p.stem for p in folder.glob("*.ann"))
    planned: list[tuple[Path, AnnotationFile]] = []
    for doc_id in _checked_ids(project, wanted):
        ann_path = folder / f"{doc_id}.ann"
        text = load_article(project, doc_id).text
        txt_path = folder / f"{doc_id}.txt"
        if txt_path.exists() and txt_path.read_text(encoding="utf-8") != text:
            raise NewscorpusError(
                "E131",
                f"the text beside the annotations differs from corpus/{doc_id}/text.txt, so "
                "their offsets point at other characters.",
                fix="Export again with `newscorpus export brat`, redo the edits there, or "
                "re-anchor the annotations first.",
                where=str(txt_path),
            )
        if not ann_path.is_file():
            raise InputError(
                "E201",
                "no such file.",
                fix="Export the document with `newscorpus export brat` first.",
                where=str(ann_path),
            )
        data = ann_path.read_bytes()
        content = decode_text(data, str(ann_path)) if data.strip() else ""
        parsed = parse_ann(content, str(ann_path))
        path = annotation_path(project, doc_id)
        previous = read_annotations(path) if path.exists() else None
        imported = to_annotation_file(doc_id, text, parsed, previous)
        errors = document_errors(
            imported.to_dict(), schema, text, path=str(ann_path), doc_id=doc_id
        )
        if errors:
            shown = " | ".join(i.render() for i in errors[:3])
            raise NewscorpusError(
                "E132",
                f"the imported annotations have {len(errors)} error(s): {shown}. No file was "
                "changed.",
                fix="Fix them in brat and import again.",
                where=str(ann_path),
            )
        planned.append((path, imported))
    for path, imported in planned:
        write_annotations(path, imported)
    return [imported.doc_id for _, imported in planned]


def _checked_ids(project: Project, ids: Sequence[str] | None) -> list[str]:
    known = doc_ids(project)
    if ids is None:
        return known
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InputError(
            "E213",
            f"no article with id {unknown[0]!r} in the corpus.",
            fix="Check the id (`ls corpus/`), or `newscorpus add` the article first.",
        )
    return list(ids)
