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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from newscorpus import collector
from newscorpus.annotations import AnnotationFile, parse_annotations, text_sha256
from newscorpus.errors import InputError, NewscorpusError
from newscorpus.formats.base import (
    Change,
    ExportReport,
    ImportOptions,
    ImportPlan,
)
from newscorpus.formats.common import (
    DocumentIndex,
    check_output,
    checked_ids,
    export_documents,
    plan_change,
    write_new_file,
)
from newscorpus.formats.reading import read_input
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
        f"#{n}\tAnnotatorNotes {target}\t{_one_line(note)}"
        for n, (target, note) in enumerate(sorted(notes.items()), start=1)
    ]
    return "\n".join(lines) + "\n" if lines else ""


def _one_line(note: str) -> str:
    """A note as one ``.ann`` line: brat's notes hold no line break, and one written as it is
    would end the note there and make its next line an annotation of its own."""
    return " ".join(note.splitlines()) if _BREAK.search(note) else note


#: The export's loss for notes with line breaks.
_BROKEN_NOTES = "line breaks in notes (written as spaces: a brat note is one line)"
#: What ends a line for :meth:`str.splitlines`, and so what a note cannot hold.
_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


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
    # Lines end at "\n" only, as brat reads them: str.splitlines would also end one at the
    # U+0085 or U+2028 an entity's text may hold.
    for number, line in enumerate(content.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        if match := _ENTITY_RE.match(line):
            ident, label, start, end, text = match.groups()
            if max(len(start), len(end)) > _MAX_DIGITS:
                raise NewscorpusError(
                    "E130",
                    f"an offset of more than {_MAX_DIGITS} digits cannot be read: {line[:60]!r}.",
                    fix="Keep the character offsets brat wrote.",
                    where=f"{where}:{number}",
                )
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


#: Digits of the longest offset read (CPython refuses to read ints of more than 4,300).
_MAX_DIGITS = 20


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
        replace(e, source=_kept_source(before_e.get(e.id), e), extra=_kept_extra(before_e, e))
        for e in parsed.entities
    )
    relations = tuple(
        replace(r, source=_kept_source(before_r.get(r.id), r), extra=_kept_extra(before_r, r))
        for r in parsed.relations
    )
    extra = {k: v for k, v in previous.extra.items() if k != "notes"} if previous else {}
    if parsed.notes:
        extra["notes"] = dict(sorted(parsed.notes.items()))
    return AnnotationFile(doc_id, text_sha256(text), entities, relations, extra)


def _kept_extra(before: dict[str, Any], after: Entity | Relation) -> dict[str, Any]:
    """The extra keys (a curator's ``note``...) of the annotation ``after`` is: the one with
    its id, when that is still the same annotation (an entity over some of the same text, a
    relation between the same entities). brat gives a deleted annotation's id to the next one
    made, so the id alone could hand a note to another annotation."""
    old = before.get(after.id)
    if old is None:
        return {}
    if isinstance(after, Entity):
        same = old.start < after.end and after.start < old.end
    else:
        same = (old.head, old.tail) == (after.head, after.tail)
    return dict(old.extra) if same else {}


def _kept_source(before: Entity | Relation | None, after: Entity | Relation) -> str | None:
    """The provenance of an annotation unchanged since export, else ``gold`` (curated)."""
    if before is not None and before == replace(after, source=before.source):
        return before.source
    return "gold"


def notes_of(annotations: AnnotationFile) -> dict[str, str]:
    """Notes stored by a previous import, keyed by annotation id."""
    notes = annotations.extra.get("notes", {})
    return {str(k): str(v) for k, v in notes.items()} if isinstance(notes, dict) else {}


def _owned(name: str) -> bool:
    """A file a brat export writes (so a previous export may be refreshed in place)."""
    return name == CONF_FILE or name.endswith((".txt", ".ann"))


def _beside(txt_path: Path) -> str:
    """The text of the ``.txt`` beside an ``.ann``.

    Raises:
        InputError: E219 when it is not a regular file (a FIFO would block for ever), E201
            when it cannot be read, E203/E204 when it is not UTF-8 text.
    """
    data = read_input(txt_path)
    return decode_text(data, str(txt_path)) if data.strip() else data.decode("latin-1")


class Brat:
    """brat standoff: a folder of ``.txt``/``.ann`` pairs and an ``annotation.conf``."""

    name = "brat"
    summary = "brat standoff folder: <doc_id>.txt, <doc_id>.ann and annotation.conf"

    @collector.paused()
    def export(
        self,
        project: Project,
        out: Path,
        doc_ids: Sequence[str] | None,
        *,
        use_cache: bool = True,
    ) -> ExportReport:
        """Write ``annotation.conf`` and a ``.txt``/``.ann`` pair per document, atomically."""
        check_output(out, _owned, self.name)
        report = ExportReport(self.name, out)
        schema = Schema.load(project.schema_path)
        documents = list(export_documents(project, doc_ids))
        write_new_file(out, CONF_FILE, annotation_conf(schema), report.files)
        for doc in documents:
            stored = doc.annotations
            notes = notes_of(stored) if stored else {}
            broken = sum(1 for note in notes.values() if _BREAK.search(note))
            if broken:
                report.losses[_BROKEN_NOTES] += broken
            ann = to_ann(stored.entities, stored.relations, notes) if stored else ""
            write_new_file(out, f"{doc.doc_id}.txt", doc.text, report.files)
            write_new_file(out, f"{doc.doc_id}.ann", ann, report.files)
            report.documents += 1
        return report

    @collector.paused()
    def read(self, path: Path, project: Project, options: ImportOptions) -> ImportPlan:
        """Read ``<doc_id>.ann`` files (all in the folder, or ``options.doc_ids``).

        Raises:
            NewscorpusError: E130 unrepresentable line; E131 the folder's text differs from the
                corpus text; E201 a named document has no ``.ann``.
        """
        if not path.is_dir():
            raise InputError(
                "E202",
                "is not a folder; brat import reads a folder of .ann files.",
                fix="Pass the folder that `newscorpus export brat` wrote.",
                where=str(path),
            )
        plan = ImportPlan(self.name, str(path))
        schema = Schema.load(project.schema_path)
        index = DocumentIndex(project)
        wanted = options.doc_ids or tuple(sorted(p.stem for p in path.glob("*.ann")))
        for doc_id in checked_ids(project, wanted):
            ann_path = path / f"{doc_id}.ann"
            text = index.text(doc_id)
            txt_path = path / f"{doc_id}.txt"
            if (txt_path.exists() or txt_path.is_symlink()) and _beside(txt_path) != text:
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
            data = read_input(ann_path)
            content = decode_text(data, str(ann_path)) if data.strip() else ""
            parsed = parse_ann(content, str(ann_path))
            previous = index.current(schema, doc_id, text, options.annotator)
            before = parse_annotations(previous) if previous is not None else None
            imported = to_annotation_file(doc_id, text, parsed, before).to_dict()
            change = Change(doc_id, options.annotator, previous, imported, where=str(ann_path))
            plan_change(plan, schema, text, change, options, unannotated_is_none=True)
        return plan


FORMAT = Brat()
