"""The statistics page: counts gathered while the site is written, drawn as bar charts.

:class:`Stats` is filled one document at a time (the site streams the corpus), then
:func:`stats_page` draws entities and relations per label and split, relation argument-type
pairs, entity lengths in words, and normalisation edits per rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from newscorpus.schema import Schema
from newscorpus.splits import SPLITS
from newscorpus.view.charts import Series, bar_chart
from newscorpus.view.layout import esc, page
from newscorpus.view.load import ViewDocument

SPLIT_COLOURS = {"train": "#4e79a7", "validation": "#f28e2b", "test": "#59a14f"}
#: Entity length bins in words: (upper bound inclusive, name).
_LENGTH_BINS = ((1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5"), (10, "6-10"), (None, "11+"))


@dataclass
class Stats:
    documents: Counter[str] = field(default_factory=Counter)
    entities: Counter[tuple[str, str]] = field(default_factory=Counter)
    relations: Counter[tuple[str, str]] = field(default_factory=Counter)
    pairs: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    lengths: Counter[str] = field(default_factory=Counter)
    edits: Counter[str] = field(default_factory=Counter)

    def add(self, doc: ViewDocument) -> None:
        """Count one document (``Counter.update`` over iterables counts in C)."""
        split = doc.split
        self.documents[split] += 1
        labels = {e.id: e.label for e in doc.entities}
        self.entities.update((e.label, split) for e in doc.entities)
        self.lengths.update(_length_bin(e.text.count(" ") + 1) for e in doc.entities)
        self.relations.update((r.label, split) for r in doc.relations)
        self.pairs.update(
            (r.label, labels[r.head], labels[r.tail])
            for r in doc.relations
            if r.head in labels and r.tail in labels
        )
        if doc.edits is not None:
            self.edits.update(edit.rule for edit in doc.edits)


def _bin_name(words: int) -> str:
    return next(name for bound, name in _LENGTH_BINS if bound is None or words <= bound)


#: The bin of each length up to the last bound, then of every longer one.
_BIN_OF = [_bin_name(words) for words in range(12)]


def _length_bin(words: int) -> str:
    return _BIN_OF[min(words, 11)]


def stats_page(stats: Stats, schema: Schema | None, *, diff: bool = False) -> str:
    """The statistics page."""
    splits = [Series(s, SPLIT_COLOURS[s]) for s in SPLITS]
    entity_labels = _ordered(schema.entity_labels if schema else (), stats.entities)
    relation_labels = _ordered(schema.relation_labels if schema else (), stats.relations)
    pairs = sorted(stats.pairs.items(), key=lambda kv: (-kv[1], kv[0]))
    summary = "".join(
        f"<tr><td>{esc(s)}</td><td>{stats.documents[s]}</td>"
        f"<td>{sum(n for (_, sp), n in stats.entities.items() if sp == s)}</td>"
        f"<td>{sum(n for (_, sp), n in stats.relations.items() if sp == s)}</td></tr>"
        for s in SPLITS
    )
    body = [
        "<h1>Statistics</h1>",
        '<table class="summary"><thead><tr><th>split</th><th>documents</th><th>entities</th>'
        f"<th>relations</th></tr></thead><tbody>{summary}</tbody></table>",
        bar_chart(
            "Entities per label and split",
            entity_labels,
            splits,
            [[stats.entities[(label, s)] for s in SPLITS] for label in entity_labels],
            chart_id="entities-per-label",
        ),
        bar_chart(
            "Relations per label and split",
            relation_labels,
            splits,
            [[stats.relations[(label, s)] for s in SPLITS] for label in relation_labels],
            chart_id="relations-per-label",
        ),
        bar_chart(
            "Relation argument types (relation: head type \u2192 tail type)",
            [f"{label}: {head} \u2192 {tail}" for (label, head, tail), _ in pairs],
            [Series("relations", "#8c6bb1")],
            [[n] for _, n in pairs],
            chart_id="argument-pairs",
        ),
        bar_chart(
            "Entity length in words",
            [name for _, name in _LENGTH_BINS],
            [Series("entities", "#76b7b2")],
            [[stats.lengths[name]] for _, name in _LENGTH_BINS],
            chart_id="entity-lengths",
        ),
        bar_chart(
            "Normalisation edits per rule",
            sorted(stats.edits),
            [Series("edits", "#e15759")],
            [[stats.edits[rule]] for rule in sorted(stats.edits)],
            chart_id="edits-per-rule",
        ),
    ]
    return page("Statistics", "\n".join(body), diff=diff)


def _ordered(declared: tuple[str, ...], counts: Mapping[tuple[str, str], int]) -> list[str]:
    """The schema's labels in schema order, then labels found that it does not declare."""
    extra = sorted({label for label, _ in counts} - set(declared))
    return [*declared, *extra]
