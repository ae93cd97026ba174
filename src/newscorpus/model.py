"""The typed core: entities, relations and annotated documents.

Frozen, slotted dataclasses. Relations point at entity ids, not objects, so a document flattens
to Arrow rows and JSON without a graph walk. Offsets are half-open ``[start, end)`` character
offsets into the normalised text. Constructors do not validate: ``validate.py`` reports problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    start: int
    end: int
    label: str
    text: str
    #: Provenance: ``gold`` (curated by hand), ``rule`` (span ruler) or ``model``; None if unknown.
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The annotation-file form; ``source`` only when known."""
        data: dict[str, Any] = {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": self.text,
        }
        if self.source is not None:
            data["source"] = self.source
        return data


@dataclass(frozen=True, slots=True)
class Relation:
    id: str
    head: str
    tail: str
    label: str
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "head": self.head,
            "tail": self.tail,
            "label": self.label,
        }
        if self.source is not None:
            data["source"] = self.source
        return data


@dataclass(frozen=True, slots=True)
class Document:
    """A normalised article with its annotations."""

    id: str
    text: str
    entities: tuple[Entity, ...] = ()
    relations: tuple[Relation, ...] = ()
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def entity(self, entity_id: str) -> Entity | None:
        return next((e for e in self.entities if e.id == entity_id), None)
