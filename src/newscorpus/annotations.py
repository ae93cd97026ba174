"""Read and write annotation files: ``annotations/<doc_id>.json``, one per document.

The format is an interface other tools rely on::

    {"doc_id": "india-japan-5g", "text_sha256": "<sha256 of the UTF-8 normalised text>",
     "entities": [{"id": "T1", "start": 0, "end": 5, "label": "GPE", "text": "India"}],
     "relations": [{"id": "R1", "head": "T3", "tail": "T1", "label": "role_in"}]}

Offsets are half-open character offsets into the normalised text. Optional keys (``source``,
``note``) are kept. This module trusts files that ``validate`` has passed; it is not the checker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscorpus import fastjson
from newscorpus.io import write_json_atomic
from newscorpus.listing import entries
from newscorpus.model import Entity, Relation
from newscorpus.project import SCHEMA_FILE, Project

ANNOTATION_SUFFIX = ".json"
_ENTITY_KEYS = frozenset({"id", "start", "end", "label", "text", "source"})
_RELATION_KEYS = frozenset({"id", "head", "tail", "label", "source"})


def text_sha256(text: str) -> str:
    """sha256 hex digest of ``text`` encoded as UTF-8: what ``text_sha256`` must hold."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AnnotationFile:
    doc_id: str
    text_sha256: str
    entities: tuple[Entity, ...] = ()
    relations: tuple[Relation, ...] = ()
    #: Top-level keys beyond the four required ones, kept on rewrite.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "text_sha256": self.text_sha256,
            **self.extra,
            "entities": [e.to_dict() for e in self.entities],
            "relations": [r.to_dict() for r in self.relations],
        }


#: Each annotator's own set lives in ``annotations/annotators/<name>/``; gold stays at the top.
ANNOTATORS_DIR = "annotators"


def annotator_dir(project: Project, annotator: str) -> Path:
    """The folder of one annotator's annotation files (same format as gold)."""
    return project.annotations / ANNOTATORS_DIR / annotator


def annotation_path(project: Project, doc_id: str, annotator: str | None = None) -> Path:
    """Gold's file for ``doc_id``, or ``annotator``'s own when one is named."""
    folder = project.annotations if annotator is None else annotator_dir(project, annotator)
    return folder / f"{doc_id}{ANNOTATION_SUFFIX}"


#: Folder of the review files ``adjudicate`` writes (:mod:`newscorpus.review`).
REVIEW_DIR = "review"


def review_dir(project: Project) -> Path:
    """``annotations/review/``: one file per document with conflicts waiting for a person."""
    return project.annotations / REVIEW_DIR


def review_path(project: Project, doc_id: str) -> Path:
    return review_dir(project) / f"{doc_id}{ANNOTATION_SUFFIX}"


def annotation_files(project: Project) -> list[Path]:
    """Every annotation file of the project, sorted by name (schema and patterns excluded)."""
    folder = project.annotations
    listed = entries(folder) or []
    names = [
        name
        for name, kind in listed
        if kind == "file" and name.endswith(ANNOTATION_SUFFIX) and name != SCHEMA_FILE
    ]
    return [folder / name for name in sorted(names)]


def entity_extra(item: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of an entity object that are not entity fields (a curator's ``note``)."""
    return _extra(item, _ENTITY_KEYS)


def relation_extra(item: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of a relation object that are not relation fields."""
    return _extra(item, _RELATION_KEYS)


def _extra(item: Mapping[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    # Most items have no other key: one set comparison instead of building a dict.
    if keys.issuperset(item):
        return {}
    return {k: v for k, v in item.items() if k not in keys}


def parse_annotations(data: dict[str, Any]) -> AnnotationFile:
    """Build an :class:`AnnotationFile` from parsed JSON that has passed validation."""
    known = {"doc_id", "text_sha256", "entities", "relations"}
    return AnnotationFile(
        doc_id=data["doc_id"],
        text_sha256=data["text_sha256"],
        entities=tuple(
            Entity(
                e["id"],
                e["start"],
                e["end"],
                e["label"],
                e["text"],
                e.get("source"),
                entity_extra(e),
            )
            for e in data.get("entities", [])
        ),
        relations=tuple(
            Relation(
                r["id"],
                r["head"],
                r["tail"],
                r["label"],
                r.get("source"),
                relation_extra(r),
            )
            for r in data.get("relations", [])
        ),
        extra={k: v for k, v in data.items() if k not in known},
    )


def read_annotations(path: Path) -> AnnotationFile:
    """Load a validated annotation file."""
    return parse_annotations(fastjson.loads(path.read_text(encoding="utf-8")))


def write_annotations(path: Path, annotations: AnnotationFile) -> None:
    """Write atomically in the project's JSON style."""
    write_json_atomic(path, annotations.to_dict())
