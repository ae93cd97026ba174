"""doccano export and import: relation-extraction JSONL both ways, sequence-labelling JSONL in.

An export writes ``doccano.jsonl``, one line per document in doccano's relation-extraction
format: ``text``, ``doc_id``, ``title`` and ``url`` (doccano keeps unknown keys as metadata and
writes them back on export, so ``doc_id`` survives the round trip), ``entities`` (``id``,
``label``, ``start_offset``, ``end_offset``) and ``relations`` (``id``, ``from_id``, ``to_id``,
``type``), head first. Entity and relation ids are numbered from 1 per document, as doccano
numbers them.

An import reads either doccano format line by line: relation extraction (``entities`` and
``relations``) or sequence labelling (``label: [[start, end, "LABEL"], ...]``). doccano stores
no covered text, so offsets are checked against the line's text as given (no UTF-16 or CRLF
repair can be told from a deliberate span); doccano exports one file per user, so
``--annotator NAME`` names the set the whole file goes to.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newscorpus import collector, fastjson
from newscorpus.errors import InputError
from newscorpus.formats.base import ExportReport, ImportOptions, ImportPlan
from newscorpus.formats.common import (
    ExportDocument,
    check_output,
    export_documents,
    staged_files,
)
from newscorpus.formats.reading import (
    PlanBuilder,
    Regions,
    is_id,
    item_text,
    load_jsonl,
    type_error,
)
from newscorpus.project import Project

JSONL_FILE = "doccano.jsonl"


def line(doc: ExportDocument) -> dict[str, Any]:
    """One document as a doccano relation-extraction line."""
    entities = doc.entity_items
    number = {e["id"]: n for n, e in enumerate(entities, start=1)}
    return {
        "text": doc.text,
        "doc_id": doc.doc_id,
        "title": doc.meta.title,
        "url": doc.meta.url,
        "entities": [
            {
                "id": number[e["id"]],
                "label": e["label"],
                "start_offset": e["start"],
                "end_offset": e["end"],
            }
            for e in entities
        ],
        "relations": [
            {"id": n, "from_id": number[r["head"]], "to_id": number[r["tail"]], "type": r["label"]}
            for n, r in enumerate(doc.relation_items, start=1)
        ],
    }


class Doccano:
    """doccano: relation-extraction JSONL out; relation-extraction or sequence-labelling in."""

    name = "doccano"
    summary = "doccano JSONL: relation extraction out and in, sequence labelling in"
    users = False

    @collector.paused()
    def export(
        self,
        project: Project,
        out: Path,
        doc_ids: Sequence[str] | None,
        *,
        use_cache: bool = True,
    ) -> ExportReport:
        """Write ``doccano.jsonl`` into ``out``."""
        check_output(out, lambda name: name == JSONL_FILE, self.name)
        report = ExportReport(self.name, out)
        with staged_files(out, [JSONL_FILE]) as files:
            for doc in export_documents(project, doc_ids):
                files[JSONL_FILE](fastjson.dumps_line(line(doc)) + b"\n")
                report.documents += 1
        report.files.append(JSONL_FILE)
        return report

    @collector.paused()
    def read(self, path: Path, project: Project, options: ImportOptions) -> ImportPlan:
        """Read a doccano JSONL export into a plan."""
        if path.is_dir():
            raise InputError(
                "E202",
                "is a folder; doccano import reads the JSONL file doccano exported.",
                fix="Pass the exported .jsonl file.",
                where=str(path),
            )
        builder = PlanBuilder(self.name, path, project, options)
        for number, item in load_jsonl(path):
            _read_line(builder, item, f"{path}:{number}")
        return builder.finish()


def _read_line(builder: PlanBuilder, item: object, where: str) -> None:
    if not isinstance(item, dict):
        raise type_error("a line", "a JSON object", item, where)
    text = item_text(
        item.get("text"),
        "text",
        fix="Export the dataset from doccano as JSONL (which writes each text).",
        where=where,
    )
    doc_id, corpus_text = builder.match(item.get("doc_id"), text, where)
    if not builder.selected_doc(doc_id):
        return
    if "entities" in item or "relations" in item:
        regions = builder.regions(text, where, "entity")
        _relation_extraction(regions, item, where)
    elif "label" in item:
        regions = builder.regions(text, where, "label")
        _sequence_labelling(regions, item.get("label"), where)
    else:
        builder.plan.skipped["lines without annotations"] += 1
        return
    builder.add(doc_id, corpus_text, regions, builder.options.annotator, unannotated_is_none=True)


def _relation_extraction(regions: Regions, item: dict[str, Any], where: str) -> None:
    entities, relations = item.get("entities", []), item.get("relations", [])
    if not isinstance(entities, list):
        raise type_error("entities", "a list", entities, where)
    if not isinstance(relations, list):
        raise type_error("relations", "a list", relations, where)
    for entity in entities:
        if not isinstance(entity, dict) or not is_id(entity.get("id")):
            raise type_error("an entity", 'an object with an "id"', entity, where)
        regions.add_span(
            str(entity["id"]),
            entity.get("start_offset"),
            entity.get("end_offset"),
            entity.get("label"),
            None,
        )
    for relation in relations:
        if not isinstance(relation, dict):
            raise type_error("a relation", "an object", relation, where)
        head, tail = relation.get("from_id"), relation.get("to_id")
        if not is_id(head) or not is_id(tail):
            raise type_error("from_id and to_id", "entity ids", [head, tail], where)
        at = f"{where}, relation {relation.get('id')}"
        regions.add_relation(str(head), str(tail), relation.get("type"), at)


def _sequence_labelling(regions: Regions, labels: object, where: str) -> None:
    if not isinstance(labels, list):
        raise type_error("label", "a list of [start, end, label]", labels, where)
    for number, entry in enumerate(labels, start=1):
        if not isinstance(entry, list) or len(entry) != 3:
            raise type_error(f"label entry {number}", "[start, end, label]", entry, where)
        regions.add_span(f"#{number}", entry[0], entry[1], entry[2], None)


FORMAT = Doccano()
