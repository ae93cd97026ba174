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
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from operator import itemgetter
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


@dataclass(frozen=True, slots=True)
class Window:
    """Sentences ``first..last`` as a context: its span, text and tokens, and the index in the
    document's tokens (the merged sentences' tokens in order) of its first token."""

    first: int
    last: int
    start: int
    end: int
    context: str
    tokens: list[str]
    first_token: int

    @property
    def sentences(self) -> int:
        """The ``window_sentences`` column: how many sentences the window spans."""
        return self.last - self.first + 1


@dataclass(slots=True)
class RelationRows:
    """The rows of one document as columns, and what the options left out of them.

    A row is a window, a head and a tail: each window and entity is held once and rows refer to
    them by index, so a window's tokens are not copied into each of its pairs (the Arrow table
    is made the same way, see :func:`newscorpus.view_tables.relation_table`). :attr:`rows`
    gives the rows as the dataset holds them.
    """

    doc_id: str = ""
    #: The document's entities, and each one's first and end token in the document's tokens.
    entities: Sequence[Entity] = ()
    entity_tokens: list[tuple[int, int]] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    #: One value per row, in row order: ``id``, ``relation_id``, ``label``, ``nested``, and
    #: indices into :attr:`windows` and :attr:`entities`.
    ids: list[str] = field(default_factory=list)
    relation_ids: list[str | None] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    nested: list[bool] = field(default_factory=list)
    window_of: list[int] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    tails: list[int] = field(default_factory=list)
    #: Candidates left out by ``max_pairs_per_window``, and the windows that hit the cap.
    capped_pairs: int = 0
    capped_windows: int = 0
    #: Negatives left out by ``negatives="sample"``.
    sampled_out: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows as dicts, labels as names: what a ``relations`` row of the dataset holds."""
        rows = []
        for n, row_id in enumerate(self.ids):
            window = self.windows[self.window_of[n]]
            head, tail = self.heads[n], self.tails[n]
            rows.append(
                {
                    "id": row_id,
                    "doc_id": self.doc_id,
                    "relation_id": self.relation_ids[n],
                    "label": self.labels[n],
                    "window_sentences": window.sentences,
                    "nested": self.nested[n],
                    "context": window.context,
                    "context_doc_start": window.start,
                    "context_doc_end": window.end,
                    "tokens": window.tokens,
                    "head": self._argument(head, window),
                    "tail": self._argument(tail, window),
                }
            )
        return rows

    def _argument(self, index: int, window: Window) -> dict[str, Any]:
        entity = self.entities[index]
        first, end = self.entity_tokens[index]
        return {
            "id": entity.id,
            "label": entity.label,
            "text": entity.text,
            "doc_start": entity.start,
            "doc_end": entity.end,
            "context_start": entity.start - window.start,
            "context_end": entity.end - window.start,
            "token_start": first - window.first_token,
            "token_end": end - window.first_token,
        }

    def tally(self) -> PairTally:
        """What the build's statistics count of these rows (see :class:`PairTally`)."""
        sizes = [self.windows[w].sentences for w in self.window_of]
        positive = [label != NO_RELATION for label in self.labels]
        nested = Counter(
            label for label, inside in zip(self.labels, self.nested, strict=True) if inside
        )
        return PairTally(
            [[label, rows, nested[label]] for label, rows in Counter(self.labels).items()],
            [
                [size, pos, rows]
                for (size, pos), rows in Counter(zip(sizes, positive, strict=True)).items()
            ],
            sum(row_id.endswith("-rev") for row_id in self.ids),
        )


@dataclass(slots=True)
class PairTally:
    """One document's ``relations`` rows as the statistics count them, each list in the order
    its keys first occur in the rows (so counters fill in the same order however the
    documents are spread over workers)."""

    #: ``[label, rows, nested rows]``.
    labels: list[list[Any]]
    #: ``[window_sentences, positive, rows]``.
    windows: list[list[Any]]
    #: Rows of the reversed copy of a symmetric relation.
    reversed: int


def _window(
    sentences: Sequence[Sentence], first_tokens: Sequence[int], text: str, first: int, last: int
) -> Window:
    spans = [span for sentence in sentences[first : last + 1] for span in sentence.tokens]
    start, end = sentences[first].start, sentences[last].end
    return Window(
        first, last, start, end, text[start:end], [text[s:e] for s, e in spans], first_tokens[first]
    )


def _contains(outer: Entity, inner: Entity) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


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
        allowed: Mapping[str, tuple[str, ...]],
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
    where: Mapping[str, int] | None = None,
) -> RelationRows:
    """The ``relations`` rows of ``doc``, sorted by head then tail position (see the module);
    ``where`` is :func:`~newscorpus.views.locate`'s answer when the caller has it.

    Row ids: ``<doc_id>-<relation id>`` for a gold relation, ``...-rev`` for the reversed copy
    of a symmetric one, ``<doc_id>-<head id>-<tail id>-neg`` for a candidate.

    Raises:
        NewscorpusError: E302 when an entity does not align to token boundaries; E303 when a
            relation names an entity id the document does not have.
    """
    if where is None:
        where = locate(doc, sentences)
    by_id = {e.id: e for e in doc.entities}
    first_tokens = list(accumulate((len(s.tokens) for s in sentences), initial=0))
    result = RelationRows(doc.id, doc.entities, _entity_tokens(doc, sentences, where, first_tokens))
    # (head start, head end, tail start, tail end, row id, relation id, label, head, tail)
    found: list[tuple[int, int, int, int, str, str | None, str, Entity, Entity]] = []
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
            size = abs(where[first.id] - where[second.id]) + 1
            positives[size] = positives.get(size, 0) + 1
            found.append(
                (
                    *(first.start, first.end, second.start, second.end),
                    *(row_id, relation.id, relation.label, first, second),
                )
            )
    if options.negatives != "none":
        negatives = _negatives(doc, sentences, schema, options, where, related, positives, result)
        found += (
            (
                *(head.start, head.end, tail.start, tail.end),
                *(f"{doc.id}-{head.id}-{tail.id}-neg", None, NO_RELATION, head, tail),
            )
            for head, tail in negatives
        )
    found.sort(key=_ORDER)
    heads = [row[7] for row in found]
    tails = [row[8] for row in found]
    index = {e.id: n for n, e in enumerate(doc.entities)}
    windows: dict[tuple[int, int], int] = {}
    for head, tail in zip(heads, tails, strict=True):
        one, other = where[head.id], where[tail.id]
        key = (one, other) if one <= other else (other, one)
        window = windows.get(key)
        if window is None:
            window = windows[key] = len(result.windows)
            result.windows.append(_window(sentences, first_tokens, doc.text, *key))
        result.window_of.append(window)
    result.ids = [row[4] for row in found]
    result.relation_ids = [row[5] for row in found]
    result.labels = [row[6] for row in found]
    result.nested = [
        _contains(head, tail) or _contains(tail, head)
        for head, tail in zip(heads, tails, strict=True)
    ]
    result.heads = [index[head.id] for head in heads]
    result.tails = [index[tail.id] for tail in tails]
    return result


#: Rows sort by head then tail position, then id.
_ORDER = itemgetter(0, 1, 2, 3, 4)


def _entity_tokens(
    doc: Document,
    sentences: Sequence[Sentence],
    where: Mapping[str, int],
    first_tokens: list[int],
) -> list[tuple[int, int]]:
    """Each entity's first and end token in the document's tokens (:func:`locate` has checked
    that its edges are token edges of its sentence)."""
    spans = []
    for entity in doc.entities:
        sentence = where[entity.id]
        tokens, first = sentences[sentence].tokens, first_tokens[sentence]
        # Tokens sort by start: the first token starting at or after an offset.
        spans.append(
            (
                first + bisect_left(tokens, (entity.start,)),
                first + bisect_left(tokens, (entity.end,)),
            )
        )
    return spans


def _negatives(
    doc: Document,
    sentences: Sequence[Sentence],
    schema: Schema,
    options: RelationOptions,
    where: Mapping[str, int],
    related: set[tuple[str, str]],
    positives: dict[int, int],
    result: RelationRows,
) -> Iterator[tuple[Entity, Entity]]:
    """The candidates kept, window size by size; counts what the cap and sampling leave out."""
    allowed = schema.allowed_tails
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
