"""Rows of the ``relations`` config: every candidate entity pair of a window, pure functions.

A *window* is a run of consecutive sentences (after :func:`newscorpus.views.merge_sentences`).
A pair's window runs from the sentence of one argument to the sentence of the other, and its
size, the ``window_sentences`` column, is the number of sentences in it. The rows of a document:

* every gold relation, whatever its window size (a symmetric one in both directions);
* every *candidate*: an ordered pair of distinct entities whose labels some relation type
  allows and that no gold relation joins, labelled ``no_relation``, in every window of up to
  ``window`` sentences (the sentence alone by default);
* for each larger size at which the document has a gold relation, every candidate of that size
  in the document, so that a context spanning several sentences is not a sign of a relation:
  positives and negatives of each size come from windows of the same size.

Candidates are generated lazily, window by window. A window with more than
``max_pairs_per_window`` candidates keeps that many, evenly spaced in (head, tail) order,
without ever listing the others, so memory does not grow with the square of the entities in one
sentence; the dropped ones are counted. ``negatives="sample"`` keeps, per document and window
size, the ``negatives_per_positive`` times as many negatives as positives with the lowest sha256
of ``doc_id, head id, tail id`` (stable, no RNG); ``"none"`` keeps only gold relations.

Offsets are named by the text they index: ``head.doc_start`` into the document's ``text``,
``head.context_start`` into ``context``, ``head.token_start`` into ``tokens`` (ends exclusive).
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Literal

from newscorpus.errors import NewscorpusError
from newscorpus.model import Document, Entity
from newscorpus.schema import NO_RELATION, Schema
from newscorpus.views import Sentence, locate

Negatives = Literal["all", "sample", "none"]
NEGATIVES: tuple[Negatives, ...] = ("all", "sample", "none")


@dataclass(frozen=True, slots=True)
class RelationOptions:
    """Which pairs the ``relations`` view holds (``[tool.newscorpus.build]``, see the module)."""

    negatives: Negatives = "all"
    #: Sentences per window in which every candidate is a row.
    window: int = 1
    #: With ``negatives="sample"``: negatives kept per positive, per document and window size.
    negatives_per_positive: float = 1.0
    #: Candidates kept at most in one window (evenly spaced); the rest are counted as dropped.
    max_pairs_per_window: int = 1000


@dataclass(slots=True)
class RelationRows:
    """The rows of one document and what the options left out of them."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    #: Candidates left out by ``max_pairs_per_window``, and the windows that hit the cap.
    capped_pairs: int = 0
    capped_windows: int = 0
    #: Negatives left out by ``negatives="sample"``.
    sampled_out: int = 0


@dataclass(frozen=True, slots=True)
class _Window:
    """Sentences ``first..last`` as a context: its text, tokens and token index maps."""

    first: int
    last: int
    start: int
    end: int
    context: str
    tokens: list[str]
    token_of_start: dict[int, int]
    token_of_end: dict[int, int]


def _window(doc: Document, sentences: Sequence[Sentence], first: int, last: int) -> _Window:
    spans = [span for sentence in sentences[first : last + 1] for span in sentence.tokens]
    return _Window(
        first,
        last,
        sentences[first].start,
        sentences[last].end,
        doc.text[sentences[first].start : sentences[last].end],
        [doc.text[s:e] for s, e in spans],
        {s: i for i, (s, _) in enumerate(spans)},
        {e: i + 1 for i, (_, e) in enumerate(spans)},
    )


def _argument(entity: Entity, window: _Window) -> dict[str, Any]:
    return {
        "id": entity.id,
        "label": entity.label,
        "text": entity.text,
        "doc_start": entity.start,
        "doc_end": entity.end,
        "context_start": entity.start - window.start,
        "context_end": entity.end - window.start,
        "token_start": window.token_of_start[entity.start],
        "token_end": window.token_of_end[entity.end],
    }


def _contains(outer: Entity, inner: Entity) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def _row(
    doc: Document,
    window: _Window,
    row_id: str,
    relation_id: str | None,
    label: str,
    head: Entity,
    tail: Entity,
) -> dict[str, Any]:
    return {
        "id": row_id,
        "doc_id": doc.id,
        "relation_id": relation_id,
        "label": label,
        "window_sentences": window.last - window.first + 1,
        "nested": _contains(head, tail) or _contains(tail, head),
        "context": window.context,
        "context_doc_start": window.start,
        "context_doc_end": window.end,
        "tokens": window.tokens,
        "head": _argument(head, window),
        "tail": _argument(tail, window),
    }


def _order(row: dict[str, Any]) -> tuple[int, int, int, int, str]:
    head, tail = row["head"], row["tail"]
    return (head["doc_start"], head["doc_end"], tail["doc_start"], tail["doc_end"], row["id"])


def _rank(doc_id: str, head_id: str, tail_id: str) -> str:
    return hashlib.sha256(f"{doc_id}\0{head_id}\0{tail_id}".encode()).hexdigest()


def _missing(doc: Document, relation_id: str, label: str, missing: str) -> NewscorpusError:
    return NewscorpusError(
        "E303",
        f"[{relation_id}] relation {label} names entity {missing}, which the document does not "
        "have.",
        fix="Run `newscorpus validate` and fix the relation's head and tail ids.",
        where=f"document {doc.id}",
    )


class _Candidates:
    """The candidate pairs of one window, counted without being listed.

    Units are (head, its possible tails grouped by label): a window of one sentence pairs its
    entities among themselves, a longer one pairs the first sentence's entities with the last
    one's, both ways. The pairs are numbered in unit order, so the ``n``-th is found directly.
    """

    def __init__(
        self,
        blocks: Sequence[tuple[Sequence[Entity], Sequence[Entity]]],
        allowed: dict[str, tuple[str, ...]],
    ) -> None:
        #: (head, tail groups, (group index, position) of the head among its tails, count)
        self.units: list[tuple[Entity, list[list[Entity]], tuple[int, int] | None, int]] = []
        for heads, tails in blocks:
            by_label: dict[str, list[Entity]] = {}
            position: dict[int, int] = {}
            for tail in tails:
                group = by_label.setdefault(tail.label, [])
                position[id(tail)] = len(group)
                group.append(tail)
            for head in heads:
                labels = [label for label in allowed[head.label] if label in by_label]
                groups = [by_label[label] for label in labels]
                own = None
                if id(head) in position and head.label in labels:
                    own = (labels.index(head.label), position[id(head)])
                count = sum(map(len, groups)) - (own is not None)
                self.units.append((head, groups, own, count))
        self.ends = list(accumulate(unit[3] for unit in self.units))
        self.total = self.ends[-1] if self.ends else 0

    def all(self) -> Iterator[tuple[Entity, Entity]]:
        """Every pair, in unit order."""
        for head, groups, _, _ in self.units:
            for group in groups:
                for tail in group:
                    if tail is not head:
                        yield head, tail

    def spaced(self, count: int) -> Iterator[tuple[Entity, Entity]]:
        """``count`` pairs evenly spaced over the numbering (``count`` < :attr:`total`)."""
        for k in range(count):
            n = k * self.total // count
            unit = bisect_right(self.ends, n)
            head, groups, own, _ = self.units[unit]
            local = n - (self.ends[unit - 1] if unit else 0)
            for index, group in enumerate(groups):
                skip = own is not None and own[0] == index
                if local < len(group) - skip:
                    if skip and own is not None and local >= own[1]:
                        local += 1
                    yield head, group[local]
                    break
                local -= len(group) - skip


def relation_rows(
    doc: Document,
    sentences: Sequence[Sentence],
    schema: Schema,
    options: RelationOptions,
) -> RelationRows:
    """The ``relations`` rows of ``doc``, sorted by head then tail position (see the module).

    Row ids: ``<doc_id>-<relation id>`` for a gold relation, ``...-rev`` for the reversed copy
    of a symmetric one, ``<doc_id>-<head id>-<tail id>-neg`` for a candidate.

    Raises:
        NewscorpusError: E302 when an entity does not align to token boundaries; E303 when a
            relation names an entity id the document does not have.
    """
    where = locate(doc, sentences)
    by_id = {e.id: e for e in doc.entities}
    windows: dict[tuple[int, int], _Window] = {}

    def window_of(a: Entity, b: Entity) -> _Window:
        key = (min(where[a.id], where[b.id]), max(where[a.id], where[b.id]))
        if key not in windows:
            windows[key] = _window(doc, sentences, *key)
        return windows[key]

    result = RelationRows()
    related: set[tuple[str, str]] = set()
    positives: dict[int, int] = {}  # window size -> gold rows
    for relation in doc.relations:
        head, tail = by_id.get(relation.head), by_id.get(relation.tail)
        if head is None or tail is None:
            missing = relation.head if head is None else relation.tail
            raise _missing(doc, relation.id, relation.label, missing)
        args = [(f"{doc.id}-{relation.id}", head, tail)]
        kind = schema.relation(relation.label)
        if kind is not None and kind.symmetric:
            args.append((f"{doc.id}-{relation.id}-rev", tail, head))
        for row_id, first, second in args:
            related.add((first.id, second.id))
            window = window_of(first, second)
            row = _row(doc, window, row_id, relation.id, relation.label, first, second)
            result.rows.append(row)
            size = row["window_sentences"]
            positives[size] = positives.get(size, 0) + 1
    if options.negatives != "none":
        negatives = _negatives(doc, sentences, schema, options, where, related, positives, result)
        for head, tail in negatives:
            row_id = f"{doc.id}-{head.id}-{tail.id}-neg"
            result.rows.append(
                _row(doc, window_of(head, tail), row_id, None, NO_RELATION, head, tail)
            )
    result.rows.sort(key=_order)
    return result


def _negatives(
    doc: Document,
    sentences: Sequence[Sentence],
    schema: Schema,
    options: RelationOptions,
    where: dict[str, int],
    related: set[tuple[str, str]],
    positives: dict[int, int],
    result: RelationRows,
) -> Iterator[tuple[Entity, Entity]]:
    """The candidates kept, window size by size; counts what the cap and sampling leave out."""
    allowed = {
        head: tuple(
            tail
            for tail in schema.entity_labels
            if any(kind.allows(head, tail) for kind in schema.relation_types)
        )
        for head in schema.entity_labels
    }
    labels = {e.id: e.label for e in doc.entities}
    # Gold pairs among each window's candidates, so that the cap's count leaves them out.
    gold: dict[tuple[int, int], int] = {}
    for head_id, tail_id in related:
        if labels[tail_id] in allowed[labels[head_id]]:
            key = (min(where[head_id], where[tail_id]), max(where[head_id], where[tail_id]))
            gold[key] = gold.get(key, 0) + 1
    in_sentence: list[list[Entity]] = [[] for _ in sentences]
    for entity in sorted(doc.entities, key=lambda e: (e.start, e.end, e.id)):
        in_sentence[where[entity.id]].append(entity)
    cap = options.max_pairs_per_window
    for size in sorted({*range(1, options.window + 1), *positives}):
        kept: list[tuple[Entity, Entity]] = []
        for first in range(len(sentences) - size + 1):
            last = first + size - 1
            a, b = in_sentence[first], in_sentence[last]
            if not a or not b:
                continue
            candidates = _Candidates([(a, a)] if size == 1 else [(a, b), (b, a)], allowed)
            if candidates.total > cap:
                pairs = candidates.spaced(cap)
                result.capped_windows += 1
            else:
                pairs = candidates.all()
            before = len(kept)
            kept += ((h, t) for h, t in pairs if (h.id, t.id) not in related)
            result.capped_pairs += candidates.total - gold.get((first, last), 0)
            result.capped_pairs -= len(kept) - before
        if options.negatives == "sample":
            wanted = math.ceil(options.negatives_per_positive * positives.get(size, 0))
            kept.sort(key=lambda pair: _rank(doc.id, pair[0].id, pair[1].id))
            result.sampled_out += max(0, len(kept) - wanted)
            del kept[wanted:]
        yield from kept
