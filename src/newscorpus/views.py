"""Rows of every dataset config from one document: pure functions, no I/O, no spaCy.

* ``documents``: :func:`document_row`, one row per document, every entity and relation.
* ``sentences``: :func:`sentence_rows`, one row per sentence with tokens and BIO tags. The BIO
  view is flat: where entities nest, the outermost one is tagged (:func:`~newscorpus.model.
  outermost`); the caller counts what is left out. An entity that does not start and end on token
  boundaries raises E302: it is never dropped silently.
* ``relations``: :func:`newscorpus.views_relations.relation_rows`, one row per ordered entity
  pair of a window: every gold relation and every candidate pair labelled ``no_relation``.
* ``bigbio_kb``: :func:`newscorpus.bigbio.kb_row`, one row per document in BigBIO's KB schema.

Tokens and sentences come in as :class:`Sentence` values (made from a spaCy ``Doc`` by
:func:`newscorpus.nlp.segment`), so this module stays pure and testable with hand-made input.
Sentences that an entity would cross are merged first (:func:`merge_sentences`), so no entity is
cut by a sentence boundary.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from newscorpus.annotations import text_sha256
from newscorpus.errors import NewscorpusError
from newscorpus.model import Document, Entity, outermost

DOCUMENTS = "documents"
SENTENCES = "sentences"
RELATIONS = "relations"
BIGBIO_KB = "bigbio_kb"
#: Every config, the default first.
CONFIGS: tuple[str, ...] = (DOCUMENTS, SENTENCES, RELATIONS, BIGBIO_KB)
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


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence as character offsets: its span and its non-space tokens' spans."""

    start: int
    end: int
    tokens: tuple[tuple[int, int], ...]


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
    tags = ["O"] * len(sentence.tokens)
    if entities:
        # Token starts and ends both ascend: an aligned entity's edges are found by bisection.
        starts = [s for s, _ in sentence.tokens]
        ends = [e for _, e in sentence.tokens]
        for entity in entities:
            first, last = bisect_left(starts, entity.start), bisect_left(ends, entity.end)
            tags[first] = f"B-{entity.label}"
            tags[first + 1 : last + 1] = [f"I-{entity.label}"] * (last - first)
    return tags


@dataclass(frozen=True, slots=True)
class SentenceRows:
    """The ``sentences`` rows of one document as columns: its sentences (token spans into
    ``text``) and each one's BIO tags. The Arrow table is made from these
    (:func:`newscorpus.view_tables.sentence_table`); :attr:`rows` gives them as the dataset
    holds them."""

    doc_id: str
    text: str
    sentences: Sequence[Sentence]
    #: Each sentence's token texts, and tags, one per token (the texts made once here: the
    #: table and the tokens the cache keeps for exports both need them).
    tokens: list[list[str]]
    tags: list[list[str]]

    def __len__(self) -> int:
        return len(self.sentences)

    @property
    def ids(self) -> list[str]:
        """Row ids: ``<doc_id>-s<n>``."""
        return [f"{self.doc_id}-s{n}" for n in range(len(self.sentences))]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows as dicts, tags as names; offsets into the document."""
        text = self.text
        return [
            {
                "id": row_id,
                "doc_id": self.doc_id,
                "text": text[sentence.start : sentence.end],
                "start": sentence.start,
                "end": sentence.end,
                "tokens": tokens,
                "token_starts": [s for s, _ in sentence.tokens],
                "token_ends": [e for _, e in sentence.tokens],
                "ner_tags": tags,
            }
            for row_id, sentence, tokens, tags in zip(
                self.ids, self.sentences, self.tokens, self.tags, strict=True
            )
        ]


def sentence_columns(
    doc: Document, sentences: Sequence[Sentence], where: Mapping[str, int] | None = None
) -> SentenceRows:
    """The ``sentences`` rows of ``doc`` as columns (see :func:`sentence_rows`); ``where`` is
    :func:`locate`'s answer when the caller has it.

    Raises:
        NewscorpusError: E302 when an entity does not align to token boundaries.
    """
    if where is None:
        where = locate(doc, sentences)
    flat: list[list[Entity]] = [[] for _ in sentences]
    for entity in outermost(doc.entities):
        flat[where[entity.id]].append(entity)
    tags = [bio_tags(sentence, flat[n]) for n, sentence in enumerate(sentences)]
    text = doc.text
    tokens = [[text[s:e] for s, e in sentence.tokens] for sentence in sentences]
    return SentenceRows(doc.id, text, sentences, tokens, tags)


def sentence_rows(doc: Document, sentences: Sequence[Sentence]) -> list[dict[str, Any]]:
    """The ``sentences`` rows of ``doc``: ids ``<doc_id>-s<n>``, offsets into the document.

    Raises:
        NewscorpusError: E302 when an entity does not align to token boundaries.
    """
    return sentence_columns(doc, sentences).rows
