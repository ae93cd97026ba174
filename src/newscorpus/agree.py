"""``newscorpus agree``: agreement between annotator sets (or a set and gold) on shared documents.

:func:`agree` reads the sets through :func:`newscorpus.annotators.load_sets` (so every file has
passed the validator), tokenizes each shared document once with the project's pipeline (the
``sentences`` view's tokens: :func:`newscorpus.nlp.make_nlp` and :func:`newscorpus.nlp.segment`)
and sums :mod:`newscorpus.agreement`'s figures per pair. With three or more sets every pair is
compared and each figure is also averaged over the pairs that define it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from newscorpus.agreement import PairFigures, compare_document
from newscorpus.annotators import GOLD, annotator_names, load_sets, require_annotators
from newscorpus.corpus import doc_ids
from newscorpus.errors import UsageError
from newscorpus.project import Project
from newscorpus.schema import Schema


@dataclass(frozen=True)
class AgreementReport:
    """The figures of every pair, and their means."""

    annotators: tuple[str, ...]
    against: str | None
    pairs: tuple[dict[str, Any], ...]

    def mean(self) -> dict[str, Any]:
        """Each numeric figure averaged over the pairs that share a document and define it
        (``None`` where none does), with ``pairs`` the number of those pairs: a pair that
        compared nothing has no figures to count."""
        compared = [p["figures"] for p in self.pairs if p["figures"]["documents"]]
        return {"pairs": len(compared), **(_mean(compared) or {})}

    def to_dict(self) -> dict[str, Any]:
        return {
            "annotators": list(self.annotators),
            "against": self.against,
            "pairs": list(self.pairs),
            "mean": self.mean(),
        }


def _mean(values: Sequence[Any]) -> Any:
    """The element-wise mean of equally shaped figure dicts (disagreement lists left out)."""
    first = next((v for v in values if v is not None), None)
    if isinstance(first, dict):
        # A pair that shares no document has no figures (None) where the others have some.
        shaped = [v if isinstance(v, dict) else {} for v in values]
        keys: dict[str, None] = {}
        for value in shaped:
            keys.update(dict.fromkeys(value))
        return {key: _mean([v.get(key) for v in shaped]) for key in keys if key != "disagreements"}
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return sum(numbers) / len(numbers) if numbers else None


def agree(
    project: Project,
    schema: Schema,
    annotators: Sequence[str] = (),
    *,
    against_gold: bool = False,
    wanted: Sequence[str] = (),
) -> AgreementReport:
    """Compare annotator sets pairwise, or each with gold.

    Args:
        project: the corpus project.
        schema: its schema (symmetric relation labels, label order).
        annotators: the sets to compare; empty means every set of the project.
        against_gold: compare each set with gold (gold is the reference side ``b``).
        wanted: restrict to these documents (each must be in the corpus).

    Raises:
        UsageError: E170/E171 for an unknown or unsafe name, E179 for too few sets, E213 for a
            document id that is not in the corpus.
        NewscorpusError: E172, E173 from reading the sets.
    """
    from newscorpus.nlp import make_nlp, segment

    names = require_annotators(project, annotators) if annotators else annotator_names(project)
    names = list(dict.fromkeys(names))
    needed = 1 if against_gold else 2
    if len(names) < needed:
        raise UsageError(
            "E179",
            f"agree needs {'an annotator set' if against_gold else 'two annotator sets'}; "
            f"found {len(names)} ({', '.join(names) or 'none'}).",
            fix="Add annotator sets under annotations/annotators/NAME/, or compare one set with "
            "gold: `newscorpus agree --annotators NAME --against gold`.",
        )
    stored = set(doc_ids(project))
    for doc_id in wanted:
        if doc_id not in stored:
            raise UsageError(
                "E213",
                f"there is no article {doc_id!r} in the corpus.",
                fix="Check the id (`ls corpus/`).",
            )
    sets = load_sets(
        project, schema, [*names, *([None] if against_gold else [])], set(wanted) or None
    )
    pairs = [(n, GOLD) for n in names] if against_gold else list(combinations(names, 2))
    nlp = make_nlp()
    tokens: dict[str, list[tuple[int, int]]] = {}
    results = []
    for a, b in pairs:
        figures = PairFigures()
        for doc_id in sets.shared(a, b):
            if doc_id not in tokens:
                doc = nlp(sets.texts[doc_id])
                tokens[doc_id] = [t for sentence in segment(doc) for t in sentence.tokens]
            compare_document(
                figures,
                doc_id,
                sets.annotations[a][doc_id],
                sets.annotations[b][doc_id],
                tokens[doc_id],
                schema,
            )
        results.append({"a": a, "b": b, "figures": figures.to_dict(schema)})
    return AgreementReport(tuple(names), GOLD if against_gold else None, tuple(results))


# --- text output -----------------------------------------------------------------------------


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _counts_line(name: str, figure: dict[str, Any], counts: bool) -> str:
    line = (
        f"  {name:<28}{_num(figure['precision']):>7}{_num(figure['recall']):>7}"
        f"{_num(figure['f1']):>7}"
    )
    if counts:
        line += f"  {figure['matched']} matched of {figure['a']} / {figure['b']}"
    return line


def _figure_lines(title: str, figure: dict[str, Any], counts: bool = True) -> list[str]:
    lines = [_counts_line(title, figure["overall"], counts)]
    lines += [_counts_line(f"  {label}", f, counts) for label, f in figure["labels"].items()]
    return lines


def render_pair(pair: dict[str, Any]) -> list[str]:
    """The text lines of one pair: figures, then the disagreement list."""
    f = pair["figures"]
    a, b = pair["a"], pair["b"]
    lines = [
        f"{a} vs {b}: {f['documents']} shared document(s)",
        f"  {'figure':<28}{'P':>7}{'R':>7}{'F1':>7}  items ({a} / {b})",
    ]
    lines += _figure_lines("entities, exact", f["entities"]["exact"])
    lines += _figure_lines("entities, overlap", f["entities"]["overlap"])
    tokens = f["tokens"]
    lines.append(
        f"  {'token kappa (BIO)':<28}{_num(tokens['overall']['kappa']):>21}  "
        f"{tokens['overall']['tokens']} tokens"
    )
    lines += [
        f"  {'  ' + label:<28}{_num(value['kappa']):>21}"
        for label, value in tokens["labels"].items()
    ]
    lines += _figure_lines("relations", f["relations"]["exact"])
    lines += _figure_lines("relations, matched args", f["relations"]["matched_arguments"])
    rows = f["disagreements"]
    lines.append(f"  disagreements: {len(rows)}")
    lines += [f"    {render_disagreement(row, a, b)}" for row in rows]
    return lines


def _entity_text(side: dict[str, Any] | None) -> str:
    if side is None:
        return "-"
    return f"[{side['start']}, {side['end']}) {side['text']!r} {side['label']}"


def render_disagreement(row: dict[str, Any], a: str, b: str) -> str:
    """One disagreement on one line: the document, then each side's version (``-``: none)."""
    if row["kind"] == "entity":
        return f"{row['doc_id']} entity {row['type']}: {a} {_entity_text(row['a'])}; {b} " + (
            _entity_text(row["b"])
        )

    def argument(entity: dict[str, Any]) -> str:
        return f"{entity['text']!r} [{entity['start']}, {entity['end']})"

    def relation(side: dict[str, Any] | None) -> str:
        if side is None:
            return "-"
        return f"{side['label']}({argument(side['head'])}, {argument(side['tail'])})"

    return f"{row['doc_id']} relation: {a} {relation(row['a'])}; {b} {relation(row['b'])}"


def render_text(report: AgreementReport) -> str:
    """The whole report for people."""
    lines: list[str] = []
    for pair in report.pairs:
        lines += render_pair(pair)
        lines.append("")
    mean = report.mean()
    apart = len(report.pairs) - mean["pairs"]
    if apart:
        lines.append(f"{apart} of {len(report.pairs)} pairs share no document (not in the mean)")
    if mean["pairs"] > 1:
        lines.append(f"mean over {mean['pairs']} pairs:")
        lines += _figure_lines("entities, exact", mean["entities"]["exact"], False)
        lines += _figure_lines("entities, overlap", mean["entities"]["overlap"], False)
        lines.append(f"  {'token kappa (BIO)':<28}{_num(mean['tokens']['overall']['kappa']):>21}")
        lines += _figure_lines("relations", mean["relations"]["exact"], False)
        matched = mean["relations"]["matched_arguments"]
        lines += _figure_lines("relations, matched args", matched, False)
    return "\n".join(lines).rstrip("\n")
