"""The typed core: entities, relations and annotated documents.

Frozen, slotted dataclasses. Relations point at entity ids, not objects, so a document flattens
to Arrow rows and JSON without a graph walk. Offsets are half-open ``[start, end)`` character
offsets into the normalised text. Constructors do not validate: ``validate.py`` reports problems.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

#: Columns of a ``documents`` row that are not fields of :class:`Document` or its ``meta``.
_DERIVED_COLUMNS = frozenset({"text_sha256"})
_CORE_COLUMNS = frozenset({"id", "title", "text", "entities", "relations"})


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    start: int
    end: int
    label: str
    text: str
    #: Provenance: ``gold`` (curated by hand), ``rule`` (span ruler) or ``model``; None if unknown.
    source: str | None = None
    #: Other keys of the annotation file (a curator's ``note``), kept through every rewrite.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The annotation-file form; ``source`` only when known, then any extra keys."""
        data: dict[str, Any] = {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": self.text,
        }
        if self.source is not None:
            data["source"] = self.source
        return {**self.extra, **data}


@dataclass(frozen=True, slots=True)
class Relation:
    id: str
    head: str
    tail: str
    label: str
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "head": self.head,
            "tail": self.tail,
            "label": self.label,
        }
        if self.source is not None:
            data["source"] = self.source
        return {**self.extra, **data}


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

    @classmethod
    def from_row(
        cls, row: Mapping[str, Any], features: Mapping[str, Any] | None = None
    ) -> Document:
        """The document of a ``documents`` row, as written by the build or loaded back.

        ``datasets`` returns ClassLabel columns as integers; pass the dataset's ``features``
        (``ds.features``) so they become label names. Rows whose labels are already strings
        need no features. Every column besides id, title, text, entities and relations goes to
        ``meta`` (``text_sha256`` is derived from the text and left out).

        Raises:
            ValueError: a label is an integer and ``features`` is not given.
        """
        entity_names = _label_names(features, "entities")
        relation_names = _label_names(features, "relations")
        entities = tuple(
            Entity(
                e["id"],
                e["start"],
                e["end"],
                _label(e["label"], entity_names),
                e["text"],
                e.get("source"),
            )
            for e in row["entities"]
        )
        relations = tuple(
            Relation(
                r["id"], r["head"], r["tail"], _label(r["label"], relation_names), r.get("source")
            )
            for r in row["relations"]
        )
        meta = {k: v for k, v in row.items() if k not in _CORE_COLUMNS | _DERIVED_COLUMNS}
        return cls(row["id"], row["text"], entities, relations, row.get("title"), meta)

    def to_spacy(self, nlp: Language) -> Doc:
        """A spaCy ``Doc`` of the text (tokenized by ``nlp.make_doc``) with the entities set.

        ``doc.ents`` holds the outermost entities (nested ones cannot go there); the span group
        ``doc.spans["entities"]`` holds every entity, nested ones included. Each span's
        ``id_`` is the entity id. Only the tokenizer runs: apply pipeline components yourself.

        Raises:
            NewscorpusError: E302 when an entity does not start and end on token boundaries
                (spaCy would drop it silently).
        """
        from newscorpus.errors import NewscorpusError

        doc = nlp.make_doc(self.text)
        spans = {}
        for entity in self.entities:
            span = doc.char_span(entity.start, entity.end, label=entity.label, span_id=entity.id)
            if span is None:
                raise NewscorpusError(
                    "E302",
                    f"[{entity.id}] entity [{entity.start}, {entity.end}) {entity.text!r} "
                    f"({entity.label}) does not start and end on token boundaries of this "
                    "tokenizer, so spaCy would drop it.",
                    fix="Use the project's tokenizer (newscorpus.nlp.make_nlp), or move the span "
                    "edges to word boundaries.",
                    where=f"document {self.id}",
                )
            spans[entity.id] = span
        doc.ents = [spans[e.id] for e in outermost(self.entities)]
        doc.spans["entities"] = [spans[e.id] for e in self.entities]
        return doc


def outermost(entities: Iterable[Entity]) -> list[Entity]:
    """The entities no other entity contains, in text order: the flat (BIO) view.

    Of two crossing spans (which the validator rejects) the one starting first is kept.

    >>> [e.id for e in outermost([Entity("T1", 0, 9, "EVENT", ""), Entity("T2", 0, 5, "GPE", "")])]
    ['T1']
    """
    kept: list[Entity] = []
    end = -1
    for entity in sorted(entities, key=lambda e: (e.start, -e.end, e.id)):
        if entity.start >= end:
            kept.append(entity)
            end = entity.end
    return kept


def _label_names(features: Mapping[str, Any] | None, column: str) -> list[str] | None:
    if features is None:
        return None
    names: list[str] = features[column].feature["label"].names
    return names


def _label(value: str | int, names: list[str] | None) -> str:
    if isinstance(value, str):
        return value
    if names is None:
        raise ValueError(
            f"label {value} is a ClassLabel id; pass the dataset's features to "
            "Document.from_row(row, features=ds.features) to turn ids into names."
        )
    return names[value]
