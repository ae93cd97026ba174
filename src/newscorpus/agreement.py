"""Inter-annotator agreement figures for two annotation sets: pure functions, no I/O, no spaCy.

What is compared, for one document at a time (:func:`compare_document`), summed over documents
(:class:`PairFigures`):

- **entities, exact**: an entity matches when start, end and label are equal. With ``A`` and
  ``B`` the two sides' entities and ``m`` the matches, precision is ``m/|A|`` and recall
  ``m/|B|`` (``B`` is the reference: gold with ``--against gold``), F1 ``2m/(|A|+|B|)``.
- **entities, overlap**: a one-to-one matching between spans of the same label that share at
  least one character (a span matches at most one span of the other side). The matching is a
  *maximum* one (:func:`overlap_matching`: exact pairs first, then augmenting paths, in text
  order, so it is deterministic), so overlap F1 is never below exact F1 and does not depend on
  the order of the files (label-studio#8950's complaint about greedy matching).
- **tokens**: Cohen's kappa over the BIO tags of each side's outermost entities, on the tokens of
  the ``sentences`` view (:func:`bio_tags` takes them as offsets). Per label, tags of other
  labels count as ``O``. Kappa is undefined (None) when chance agreement is 1, e.g. when
  neither side tags anything.
- **relations**: a relation matches when its label and both arguments (start, end, label) are
  equal, arguments unordered for symmetric labels; **relations, matched arguments** counts only
  relations whose two arguments both match an entity of the other side, so a relation
  disagreement is not an entity disagreement counted twice.

Every figure carries the number of items it rests on; a figure resting on none is None, never a
made-up 0 or 1. Kappa is computed here (a dozen lines, tested against hand-computed values)
rather than with scikit-learn's ``cohen_kappa_score``, which would bring scikit-learn, SciPy
and NumPy into a library that otherwise needs none of them for this.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from newscorpus.annotations import AnnotationFile
from newscorpus.model import Entity, Relation, outermost
from newscorpus.schema import Schema

#: (start, end, label): what makes two entities the same.
EntityKey = tuple[int, int, str]
#: (label, first argument, second argument); arguments sorted for symmetric labels.
RelationKey = tuple[str, EntityKey, EntityKey]
OUTSIDE = "O"


def entity_key(entity: Entity) -> EntityKey:
    return (entity.start, entity.end, entity.label)


@dataclass
class Counts:
    """Matches and the two sides' item counts of one figure."""

    matched: int = 0
    a: int = 0
    b: int = 0

    def add(self, matched: int, a: int, b: int) -> None:
        self.matched += matched
        self.a += a
        self.b += b

    @property
    def precision(self) -> float | None:
        return self.matched / self.a if self.a else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.b if self.b else None

    @property
    def f1(self) -> float | None:
        return 2 * self.matched / (self.a + self.b) if self.a + self.b else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "matched": self.matched,
            "a": self.a,
            "b": self.b,
        }


@dataclass
class ByLabel:
    """A figure overall and per label."""

    overall: Counts = field(default_factory=Counts)
    labels: dict[str, Counts] = field(default_factory=dict)

    def add(self, label: str, matched: int, a: int, b: int) -> None:
        self.overall.add(matched, a, b)
        self.labels.setdefault(label, Counts()).add(matched, a, b)

    def to_dict(self, order: Sequence[str]) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "labels": {k: self.labels[k].to_dict() for k in _ordered(self.labels, order)},
        }


def _ordered(labels: Iterable[str], order: Sequence[str]) -> list[str]:
    """``labels`` in schema order (unknown ones after, sorted)."""
    rank = {label: n for n, label in enumerate(order)}
    return sorted(labels, key=lambda label: (rank.get(label, len(rank)), label))


# --- entities --------------------------------------------------------------------------------


def overlap_matching(a: Sequence[Entity], b: Sequence[Entity]) -> list[tuple[Entity, Entity]]:
    """A maximum one-to-one matching between same-label spans of ``a`` and ``b`` that overlap.

    Exact pairs are matched first, then each unmatched span of ``a`` (in text order) looks for
    an augmenting path (Kuhn's algorithm, breadth first). The result has the largest possible
    number of pairs, and is the same for the same input.

    >>> x, y = Entity("T1", 0, 6, "GPE", ""), Entity("T1", 4, 6, "GPE", "")
    >>> [(p.id, q.id) for p, q in overlap_matching([x], [y])]
    [('T1', 'T1')]
    """
    pairs: list[tuple[Entity, Entity]] = []
    for label in sorted({e.label for e in a} & {e.label for e in b}):
        left = sorted((e for e in a if e.label == label), key=entity_key)
        right = sorted((e for e in b if e.label == label), key=entity_key)
        pairs += [(left[i], right[j]) for i, j in _max_matching(left, right)]
    return sorted(pairs, key=lambda pair: entity_key(pair[0]))


def _max_matching(left: Sequence[Entity], right: Sequence[Entity]) -> list[tuple[int, int]]:
    starts = [e.start for e in right]
    longest = max((e.end - e.start for e in right), default=0)
    adjacent: list[list[int]] = []
    for e in left:
        # Spans of ``right`` overlapping ``e`` start before e.end and end after e.start.
        lo = bisect_left(starts, e.start - longest)
        hi = bisect_left(starts, e.end)
        adjacent.append([j for j in range(lo, hi) if right[j].end > e.start])
    to_right: dict[int, int] = {}
    to_left: dict[int, int] = {}
    for i, e in enumerate(left):
        for j in adjacent[i]:
            if (right[j].start, right[j].end) == (e.start, e.end) and j not in to_left:
                to_right[i], to_left[j] = j, i
                break
    for i in range(len(left)):
        if i not in to_right:
            _augment(i, adjacent, to_right, to_left)
    return sorted(to_right.items())


def _augment(
    root: int, adjacent: list[list[int]], to_right: dict[int, int], to_left: dict[int, int]
) -> None:
    """Find an augmenting path from the free left node ``root`` and flip it (breadth first)."""
    parent: dict[int, int] = {}  # right node -> the left node it was reached from
    queue = [root]
    for i in queue:
        for j in adjacent[i]:
            if j in parent:
                continue
            parent[j] = i
            if j not in to_left:
                while True:  # flip the path back to the root
                    i = parent[j]
                    previous = to_right.get(i)
                    to_right[i], to_left[j] = j, i
                    if previous is None:
                        return
                    j = previous
            queue.append(to_left[j])


# --- tokens ----------------------------------------------------------------------------------


def bio_tags(tokens: Sequence[tuple[int, int]], entities: Iterable[Entity]) -> list[str]:
    """BIO tags of ``tokens`` (sorted ``(start, end)`` offsets) for the outermost entities.

    A token is inside an entity when it shares a character with it; for entities that start and
    end on token boundaries this is exactly the ``sentences`` view's tagging.

    >>> bio_tags([(0, 3), (4, 9)], [Entity("T1", 0, 9, "ORG", "")])
    ['B-ORG', 'I-ORG']
    """
    tags = [OUTSIDE] * len(tokens)
    ends = [end for _, end in tokens]
    starts = [start for start, _ in tokens]
    for entity in outermost(entities):
        first = bisect_right(ends, entity.start)
        last = bisect_left(starts, entity.end)
        for k in range(first, last):
            tags[k] = f"{'B' if k == first else 'I'}-{entity.label}"
    return tags


def kappa(confusion: Counter[tuple[str, str]]) -> float | None:
    """Cohen's kappa from counts of ``(tag of A, tag of B)`` pairs; None when undefined.

    >>> kappa(Counter({("O", "O"): 2, ("B-GPE", "B-GPE"): 1, ("B-GPE", "O"): 1}))
    0.5
    """
    total = sum(confusion.values())
    if not total:
        return None
    observed = sum(n for (x, y), n in confusion.items() if x == y) / total
    left: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for (x, y), n in confusion.items():
        left[x] += n
        right[y] += n
    expected = sum(left[tag] * right[tag] for tag in left) / (total * total)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def label_of(tag: str) -> str | None:
    return None if tag == OUTSIDE else tag[2:]


def only_label(confusion: Counter[tuple[str, str]], label: str) -> Counter[tuple[str, str]]:
    """The confusion counts with every tag of another label turned into ``O``."""
    result: Counter[tuple[str, str]] = Counter()
    for (x, y), n in confusion.items():
        x = x if label_of(x) == label else OUTSIDE
        y = y if label_of(y) == label else OUTSIDE
        result[(x, y)] += n
    return result


# --- relations -------------------------------------------------------------------------------


def relation_keys(annotations: AnnotationFile, schema: Schema) -> dict[RelationKey, Relation]:
    """Each relation by what makes it the same as another side's (see module docstring)."""
    by_id = {e.id: e for e in annotations.entities}
    keys: dict[RelationKey, Relation] = {}
    for relation in annotations.relations:
        head, tail = entity_key(by_id[relation.head]), entity_key(by_id[relation.tail])
        kind = schema.relation(relation.label)
        if kind is not None and kind.symmetric and tail < head:
            head, tail = tail, head
        keys[(relation.label, head, tail)] = relation
    return keys


# --- one document, and a pair over documents -------------------------------------------------


@dataclass
class PairFigures:
    """Every figure of one pair of sets, summed over the documents compared."""

    documents: int = 0
    exact: ByLabel = field(default_factory=ByLabel)
    overlap: ByLabel = field(default_factory=ByLabel)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    relations: ByLabel = field(default_factory=ByLabel)
    relations_matched_arguments: ByLabel = field(default_factory=ByLabel)
    disagreements: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, schema: Schema) -> dict[str, Any]:
        entity_order, relation_order = schema.entity_labels, schema.relation_labels
        tags = {label_of(x) for pair in self.confusion for x in pair} - {None}
        return {
            "documents": self.documents,
            "entities": {
                "exact": self.exact.to_dict(entity_order),
                "overlap": self.overlap.to_dict(entity_order),
            },
            "tokens": {
                "overall": {
                    "kappa": kappa(self.confusion),
                    "tokens": sum(self.confusion.values()),
                },
                "labels": {
                    label: {
                        "kappa": kappa(only_label(self.confusion, label)),
                        "tokens": sum(self.confusion.values()),
                    }
                    for label in _ordered((t for t in tags if t is not None), entity_order)
                },
            },
            "relations": {
                "exact": self.relations.to_dict(relation_order),
                "matched_arguments": self.relations_matched_arguments.to_dict(relation_order),
            },
            "disagreements": self.disagreements,
        }


def compare_document(
    figures: PairFigures,
    doc_id: str,
    a: AnnotationFile,
    b: AnnotationFile,
    tokens: Sequence[tuple[int, int]],
    schema: Schema,
) -> None:
    """Add one document's comparison of side ``a`` with side ``b`` to ``figures``."""
    figures.documents += 1
    a_keys = {entity_key(e): e for e in a.entities}
    b_keys = {entity_key(e): e for e in b.entities}
    shared = a_keys.keys() & b_keys.keys()
    matching = overlap_matching(a.entities, b.entities)
    for label in {k[2] for k in a_keys} | {k[2] for k in b_keys}:
        n_a = sum(1 for k in a_keys if k[2] == label)
        n_b = sum(1 for k in b_keys if k[2] == label)
        figures.exact.add(label, sum(1 for k in shared if k[2] == label), n_a, n_b)
        figures.overlap.add(label, sum(1 for x, _ in matching if x.label == label), n_a, n_b)
    for pair in zip(bio_tags(tokens, a.entities), bio_tags(tokens, b.entities), strict=True):
        figures.confusion[pair] += 1
    a_rels, b_rels = relation_keys(a, schema), relation_keys(b, schema)
    both = a_rels.keys() & b_rels.keys()

    def argued(keys: Iterable[RelationKey]) -> list[RelationKey]:
        return [k for k in keys if k[1] in shared and k[2] in shared]

    a_argued, b_argued = argued(a_rels), argued(b_rels)
    for label in {k[0] for k in a_rels} | {k[0] for k in b_rels}:
        matched = sum(1 for k in both if k[0] == label)
        figures.relations.add(
            label,
            matched,
            sum(1 for k in a_rels if k[0] == label),
            sum(1 for k in b_rels if k[0] == label),
        )
        figures.relations_matched_arguments.add(
            label,
            matched,
            sum(1 for k in a_argued if k[0] == label),
            sum(1 for k in b_argued if k[0] == label),
        )
    figures.disagreements += entity_disagreements(doc_id, a_keys, b_keys, matching)
    figures.disagreements += relation_disagreements(doc_id, a, b, a_rels, b_rels)


def _entity_side(entity: Entity | None) -> dict[str, Any] | None:
    if entity is None:
        return None
    return {"start": entity.start, "end": entity.end, "text": entity.text, "label": entity.label}


def entity_disagreements(
    doc_id: str,
    a: dict[EntityKey, Entity],
    b: dict[EntityKey, Entity],
    matching: Sequence[tuple[Entity, Entity]],
) -> list[dict[str, Any]]:
    """Every entity without an exact match, as ``label`` (same span, other label),
    ``boundary`` (overlap-matched to a span of the same label) or ``missing`` (one side only)."""
    a_left = {k: e for k, e in a.items() if k not in b}
    b_left = {k: e for k, e in b.items() if k not in a}
    rows: list[tuple[str, Entity | None, Entity | None]] = []
    b_by_span = {(k[0], k[1]): e for k, e in b_left.items()}
    for key, entity in list(a_left.items()):
        other = b_by_span.get((key[0], key[1]))
        if other is not None:
            rows.append(("label", entity, other))
            del a_left[key], b_left[entity_key(other)]
    for x, y in matching:
        if entity_key(x) in a_left and entity_key(y) in b_left:
            rows.append(("boundary", x, y))
            del a_left[entity_key(x)], b_left[entity_key(y)]
    rows += [("missing", e, None) for e in a_left.values()]
    rows += [("missing", None, e) for e in b_left.values()]

    def order(row: tuple[str, Entity | None, Entity | None]) -> tuple[int, int, str]:
        first = row[1] if row[1] is not None else row[2]
        assert first is not None
        return (first.start, first.end, first.label)

    return [
        {
            "doc_id": doc_id,
            "kind": "entity",
            "type": kind,
            "a": _entity_side(x),
            "b": _entity_side(y),
        }
        for kind, x, y in sorted(rows, key=order)
    ]


def _relation_side(relation: Relation | None, doc: AnnotationFile) -> dict[str, Any] | None:
    if relation is None:
        return None
    by_id = {e.id: e for e in doc.entities}
    return {
        "label": relation.label,
        "head": _entity_side(by_id[relation.head]),
        "tail": _entity_side(by_id[relation.tail]),
    }


def relation_disagreements(
    doc_id: str,
    a: AnnotationFile,
    b: AnnotationFile,
    a_rels: dict[RelationKey, Relation],
    b_rels: dict[RelationKey, Relation],
) -> list[dict[str, Any]]:
    """Every relation without a match; the same argument pair under another label is one row."""
    a_left = {k: r for k, r in a_rels.items() if k not in b_rels}
    b_left = {k: r for k, r in b_rels.items() if k not in a_rels}
    b_by_args: dict[frozenset[EntityKey], RelationKey] = {}
    for key in sorted(b_left):
        b_by_args.setdefault(frozenset(key[1:]), key)
    rows: list[tuple[RelationKey, Relation | None, Relation | None]] = []
    for key in sorted(a_left):
        other = b_by_args.get(frozenset(key[1:]))
        if other is not None and other in b_left:
            rows.append((key, a_left[key], b_left.pop(other)))
        else:
            rows.append((key, a_left[key], None))
    rows += [(key, None, relation) for key, relation in b_left.items()]
    rows.sort(key=lambda row: (row[0][1], row[0][2], row[0][0]))
    return [
        {
            "doc_id": doc_id,
            "kind": "relation",
            "a": _relation_side(x, a),
            "b": _relation_side(y, b),
        }
        for _, x, y in rows
    ]
