"""Rows of every dataset config from one document: pure functions, no I/O, no spaCy.

* ``documents``: :func:`document_row`, one row per document, every entity and relation.
* ``sentences``: :func:`sentence_rows`, one row per sentence with tokens and BIO tags. The BIO
  view is flat: where entities nest, the outermost one is tagged (:func:`~newscorpus.model.
  outermost`); the caller counts what is left out. An entity that does not start and end on token
  boundaries raises E302: it is never dropped silently.
* ``relations``: :func:`relation_rows`, one row per ordered entity pair: every gold relation
  (symmetric ones in both directions) and, optionally, negative pairs labelled ``no_relation``.

Tokens and sentences come in as :class:`Sentence` values (made from a spaCy ``Doc`` by
:func:`newscorpus.nlp.segment`), so this module stays pure and testable with hand-made input.
Sentences that an entity would cross are merged first (:func:`merge_sentences`), so no entity is
cut by a sentence boundary.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from newscorpus.annotations import text_sha256
from newscorpus.errors import NewscorpusError
from newscorpus.model import Document, Entity, outermost
from newscorpus.schema import NO_RELATION, Schema

DOCUMENTS = "documents"
SENTENCES = "sentences"
RELATIONS = "relations"
#: Every config, the default first.
CONFIGS: tuple[str, ...] = (DOCUMENTS, SENTENCES, RELATIONS)
DEFAULT_CONFIG = DOCUMENTS

#: Keys of :attr:`Document.meta` that become columns of the ``documents`` config, in order.
META_COLUMNS = (
    "category",
    "raw_text",
    "alignment",
    "source_file",
    "url",
    "published",
    "language",
    "license",
    "raw_sha256",
)

Negatives = Literal["same_sentence", "none"]


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence as character offsets: its span and its non-space tokens' spans."""

    start: int
    end: int
    tokens: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class RelationOptions:
    """How the ``relations`` view picks negative pairs.

    ``negatives="same_sentence"`` adds ordered pairs of entities in the same sentence that have
    no relation and whose types some relation label allows; at most ``max_negatives_per_doc``
    of them per document, chosen by sha256 of ``doc_id, head id, tail id`` (stable, no RNG).
    """

    negatives: Negatives = "same_sentence"
    max_negatives_per_doc: int = 50


def document_row(doc: Document) -> dict[str, Any]:
    """The ``documents`` row of ``doc``; labels as strings (``datasets`` encodes them)."""
    meta = {key: doc.meta.get(key) for key in META_COLUMNS}
    # Keys in the order of the features' columns.
    row: dict[str, Any] = {"id": doc.id, "title": doc.title, "category": meta.pop("category")}
    row["text"] = doc.text
    row.update(meta)
    row["text_sha256"] = text_sha256(doc.text)
    row["entities"] = [
        {
            "id": e.id,
            "start": e.start,
            "end": e.end,
            "label": e.label,
            "text": e.text,
            "source": e.source,
        }
        for e in doc.entities
    ]
    row["relations"] = [
        {"id": r.id, "head": r.head, "tail": r.tail, "label": r.label, "source": r.source}
        for r in doc.relations
    ]
    return row


def merge_sentences(
    sentences: Sequence[Sentence], entities: Sequence[Entity]
) -> tuple[list[Sentence], int]:
    """Merge consecutive sentences wherever an entity crosses the boundary between them.

    Returns:
        The merged sentences and the number of boundaries removed.
    """
    starts = [s.start for s in sentences]
    crossed: set[int] = set()  # k: the boundary before sentence k
    for entity in entities:
        first = bisect_right(starts, entity.start)  # first sentence starting after the start
        for k in range(first, len(sentences)):
            if starts[k] >= entity.end:
                break
            crossed.add(k)
    merged: list[Sentence] = []
    for k, sentence in enumerate(sentences):
        if k in crossed and merged:
            last = merged[-1]
            merged[-1] = Sentence(last.start, sentence.end, last.tokens + sentence.tokens)
        else:
            merged.append(sentence)
    return merged, len(crossed)


def _misaligned(doc: Document, entity: Entity, sentence: Sentence | None) -> NewscorpusError:
    if sentence is None:
        near = "it lies outside every sentence"
    else:
        tokens = [doc.text[s:e] for s, e in sentence.tokens if s < entity.end and e > entity.start]
        near = f"it overlaps the tokens {tokens}"
    return NewscorpusError(
        "E302",
        f"[{entity.id}] entity [{entity.start}, {entity.end}) {entity.text!r} ({entity.label}) "
        f"does not start and end on token boundaries ({near}), so the token views would lose it.",
        fix="Move the span edges to word boundaries (`newscorpus validate` shows span edges), "
        "or extend the tokenizer fix in newscorpus.nlp if the tokenizer splits wrongly.",
        where=f"document {doc.id}",
    )


def locate(doc: Document, sentences: Sequence[Sentence]) -> dict[str, int]:
    """The index of the sentence holding each entity, checking it aligns to token boundaries.

    Raises:
        NewscorpusError: E302 for the first entity that does not start and end on a token
            boundary of one sentence (merge sentences first, see :func:`merge_sentences`).
    """
    starts = [s.start for s in sentences]
    boundaries: dict[int, tuple[set[int], set[int]]] = {}
    where: dict[str, int] = {}
    for entity in doc.entities:
        index = bisect_right(starts, entity.start) - 1
        sentence = sentences[index] if index >= 0 else None
        if sentence is None or entity.end > sentence.end:
            raise _misaligned(doc, entity, sentence)
        if index not in boundaries:
            boundaries[index] = ({s for s, _ in sentence.tokens}, {e for _, e in sentence.tokens})
        token_starts, token_ends = boundaries[index]
        if entity.start not in token_starts or entity.end not in token_ends:
            raise _misaligned(doc, entity, sentence)
        where[entity.id] = index
    return where


def bio_tags(sentence: Sentence, entities: Sequence[Entity]) -> list[str]:
    """BIO tags of the sentence's tokens for non-overlapping, token-aligned ``entities``."""
    index_of_start = {s: i for i, (s, _) in enumerate(sentence.tokens)}
    index_of_end = {e: i for i, (_, e) in enumerate(sentence.tokens)}
    tags = ["O"] * len(sentence.tokens)
    for entity in entities:
        first, last = index_of_start[entity.start], index_of_end[entity.end]
        tags[first] = f"B-{entity.label}"
        for i in range(first + 1, last + 1):
            tags[i] = f"I-{entity.label}"
    return tags


def sentence_rows(doc: Document, sentences: Sequence[Sentence]) -> list[dict[str, Any]]:
    """The ``sentences`` rows of ``doc``: ids ``<doc_id>-s<n>``, offsets into the document.

    Raises:
        NewscorpusError: E302 when an entity does not align to token boundaries.
    """
    where = locate(doc, sentences)
    flat: list[list[Entity]] = [[] for _ in sentences]
    for entity in outermost(doc.entities):
        flat[where[entity.id]].append(entity)
    rows = []
    for n, sentence in enumerate(sentences):
        rows.append(
            {
                "id": f"{doc.id}-s{n}",
                "doc_id": doc.id,
                "text": doc.text[sentence.start : sentence.end],
                "start": sentence.start,
                "end": sentence.end,
                "tokens": [doc.text[s:e] for s, e in sentence.tokens],
                "token_starts": [s for s, _ in sentence.tokens],
                "token_ends": [e for _, e in sentence.tokens],
                "ner_tags": bio_tags(sentence, flat[n]),
            }
        )
    return rows


def _argument(entity: Entity) -> dict[str, Any]:
    return {
        "id": entity.id,
        "start": entity.start,
        "end": entity.end,
        "label": entity.label,
        "text": entity.text,
    }


def _pair_row(
    doc: Document,
    sentences: Sequence[Sentence],
    where: dict[str, int],
    row_id: str,
    relation_id: str | None,
    label: str,
    head: Entity,
    tail: Entity,
) -> dict[str, Any]:
    first = min(where[head.id], where[tail.id])
    last = max(where[head.id], where[tail.id])
    start, end = sentences[first].start, sentences[last].end
    return {
        "id": row_id,
        "doc_id": doc.id,
        "relation_id": relation_id,
        "label": label,
        "head": _argument(head),
        "tail": _argument(tail),
        "context": doc.text[start:end],
        "context_start": start,
        "context_end": end,
        "head_start": head.start - start,
        "head_end": head.end - start,
        "tail_start": tail.start - start,
        "tail_end": tail.end - start,
    }


def _pair_order(row: dict[str, Any]) -> tuple[int, int, int, int, str]:
    head, tail = row["head"], row["tail"]
    return (head["start"], head["end"], tail["start"], tail["end"], row["id"])


def _negative_rank(doc_id: str, head: Entity, tail: Entity) -> str:
    return hashlib.sha256(f"{doc_id}\0{head.id}\0{tail.id}".encode()).hexdigest()


def relation_rows(
    doc: Document,
    sentences: Sequence[Sentence],
    schema: Schema,
    options: RelationOptions,
) -> list[dict[str, Any]]:
    """The ``relations`` rows of ``doc``, sorted by head then tail position.

    Each gold relation gives a row ``<doc_id>-<relation id>``; a symmetric one also gives the
    reversed pair ``<doc_id>-<relation id>-rev`` so an ordered-pair classifier sees both orders.
    Negatives (``<doc_id>-<head id>-<tail id>-neg``) follow ``options``. The context is the
    sentence, or run of sentences, holding both arguments; ``head_start`` etc. are offsets
    into it.

    Raises:
        NewscorpusError: E302 when an entity does not align to token boundaries; E303 when a
            relation names an entity id the document does not have.
    """
    where = locate(doc, sentences)
    by_id = {e.id: e for e in doc.entities}
    rows = []
    related: set[tuple[str, str]] = set()
    for relation in doc.relations:
        head, tail = by_id.get(relation.head), by_id.get(relation.tail)
        if head is None or tail is None:
            missing = relation.head if head is None else relation.tail
            raise NewscorpusError(
                "E303",
                f"[{relation.id}] relation {relation.label} names entity {missing}, which the "
                "document does not have.",
                fix="Run `newscorpus validate` and fix the relation's head and tail ids.",
                where=f"document {doc.id}",
            )
        args = [(f"{doc.id}-{relation.id}", head, tail)]
        kind = schema.relation(relation.label)
        if kind is not None and kind.symmetric:
            args.append((f"{doc.id}-{relation.id}-rev", tail, head))
        for row_id, first, second in args:
            related.add((first.id, second.id))
            rows.append(
                _pair_row(doc, sentences, where, row_id, relation.id, relation.label, first, second)
            )
    if options.negatives == "same_sentence" and options.max_negatives_per_doc > 0:
        typed = {
            (h, t)
            for h in schema.entity_labels
            for t in schema.entity_labels
            if any(kind.allows(h, t) for kind in schema.relation_types)
        }
        by_sentence: dict[int, list[Entity]] = {}
        for e in doc.entities:
            by_sentence.setdefault(where[e.id], []).append(e)
        candidates = [
            (head, tail)
            for group in by_sentence.values()
            for head in group
            for tail in group
            if head.id != tail.id
            and (head.label, tail.label) in typed
            and (head.id, tail.id) not in related
        ]
        candidates.sort(key=lambda pair: _negative_rank(doc.id, *pair))
        for head, tail in candidates[: options.max_negatives_per_doc]:
            row_id = f"{doc.id}-{head.id}-{tail.id}-neg"
            rows.append(_pair_row(doc, sentences, where, row_id, None, NO_RELATION, head, tail))
    rows.sort(key=_pair_order)
    return rows
