"""Pre-annotation: propose entities with a spaCy span ruler and relations with text rules.

Proposals are marked ``"source": "rule"`` (or ``"model"`` for a pretrained pipeline's entities),
merged into a document's existing annotations without overwriting or duplicating anything, and
checked with the validator before they are written. Curators then review them by hand.

The entity ruler is fed by ``annotations/patterns.jsonl`` (spaCy's pattern format; an ``id`` on a
NORP pattern names the GPE that the demonym refers to, e.g. ``Japanese`` -> ``Japan``). Relation
rules are small functions over one document, each with a name, listed in :data:`RELATION_RULES`.
"""

from __future__ import annotations

import json
import re
import sys
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscorpus.errors import InputError, NewscorpusError, UsageError
from newscorpus.model import Entity, Relation
from newscorpus.project import Project
from newscorpus.relation_rules import RELATION_RULES, Context
from newscorpus.schema import Schema

if TYPE_CHECKING:
    from spacy.language import Language

    from newscorpus.annotations import AnnotationFile

PATTERNS_FILE = "patterns.jsonl"
RULE_SOURCE = "rule"
MODEL_SOURCE = "model"
#: OntoNotes labels of pretrained English pipelines that map onto this project's labels.
_MODEL_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT")


def read_patterns(path: Path, schema: Schema) -> list[dict[str, Any]]:
    """Ruler patterns from a JSONL file, each checked against the schema's entity labels.

    Raises:
        NewscorpusError: E120 naming the line of a bad pattern.
    """
    patterns = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise NewscorpusError(
            "E120",
            f"cannot read the ruler patterns: {err}.",
            fix=f"Create {PATTERNS_FILE} with one spaCy pattern per line, "
            'e.g. {"label": "GPE", "pattern": "India"}.',
            where=str(path),
        ) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            pattern = json.loads(line)
        except json.JSONDecodeError as err:
            raise NewscorpusError(
                "E120",
                f"invalid JSON: {err.msg}.",
                fix="Write one JSON object per line.",
                where=f"{path}:{number}",
            ) from None
        label = pattern.get("label") if isinstance(pattern, dict) else None
        if label not in schema.entity_labels or "pattern" not in pattern:
            raise NewscorpusError(
                "E120",
                f"pattern has label {label!r}, or no pattern; allowed labels: "
                f"{', '.join(schema.entity_labels)}.",
                fix="Use a label from annotations/schema.yaml and a `pattern` value.",
                where=f"{path}:{number}",
            )
        patterns.append(pattern)
    return patterns


def make_ruler_nlp(patterns: Sequence[dict[str, Any]], model: str | None = None) -> Language:
    """The project's tokenizer and sentencizer plus a span ruler (and a pretrained NER if asked).

    Raises:
        UsageError: E121 when ``model`` is not installed (nothing is ever downloaded).
    """
    from spacy.pipeline import SpanRuler

    from newscorpus.nlp import make_nlp

    nlp = make_nlp()
    if patterns:  # an empty ruler only makes spaCy warn (W036)
        ruler = nlp.add_pipe(
            "span_ruler", config={"spans_key": "ruler", "annotate_ents": False, "overwrite": False}
        )
        assert isinstance(ruler, SpanRuler)
        ruler.add_patterns(list(patterns))
    if model is not None:
        import spacy

        try:
            trained = spacy.load(model, exclude=["parser", "lemmatizer", "tagger"])
        except OSError:
            raise UsageError(
                "E121",
                f"the spaCy pipeline {model!r} is not installed, and nothing is downloaded at "
                "run time.",
                fix="Install it first (pip install 'newscorpus[model]' gives "
                "en_core_web_sm), or drop --model to use the rule-based pipeline.",
            ) from None
        nlp.add_pipe("ner", source=trained, name="ner")
    else:
        # spaCy's length limit guards the memory of a parser or NER; the rule components are
        # linear, and ``add`` takes articles longer than the limit's million characters.
        nlp.max_length = sys.maxsize
    return nlp


@dataclass(frozen=True, slots=True)
class Proposal:
    """Entities and relations proposed for one document, not yet merged."""

    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]


def propose(nlp: Language, text: str, schema: Schema) -> Proposal:
    """Run the pipeline and the relation rules over ``text``.

    Entity ids are provisional (``P1``, ``P2`` ...); :func:`merge` renumbers them.
    """
    doc = nlp(text)
    spans: list[tuple[int, int, str, str, str]] = []
    for span in doc.spans.get("ruler", []):
        spans.append((span.start_char, span.end_char, span.label_, RULE_SOURCE, span.id_))
    for span in doc.ents:
        if span.label_ in _MODEL_LABELS and span.label_ in schema.entity_labels:
            spans.append((span.start_char, span.end_char, span.label_, MODEL_SOURCE, ""))
    kept = _drop_crossing(sorted(set(spans), key=lambda s: (s[0], -s[1], s[2], s[3], s[4])))
    entities = tuple(
        Entity(f"P{i}", start, end, label, text[start:end], source)
        for i, (start, end, label, source, _) in enumerate(kept, start=1)
    )
    refers_to = {f"P{i}": ref for i, (*_, ref) in enumerate(kept, start=1) if ref}
    sentences = [(s.start_char, s.end_char) for s in doc.sents]
    context = Context(text, entities, sentences, refers_to)
    relations: list[Relation] = []
    for rule in RELATION_RULES.values():
        for head, tail, label in rule(context):
            relation_type = schema.relation(label)
            head_entity, tail_entity = context.by_id[head], context.by_id[tail]
            if relation_type and relation_type.allows(head_entity.label, tail_entity.label):
                relations.append(Relation(f"Q{len(relations) + 1}", head, tail, label, RULE_SOURCE))
    return Proposal(entities, tuple(relations))


def _drop_crossing(
    spans: list[tuple[int, int, str, str, str]],
) -> list[tuple[int, int, str, str, str]]:
    """Keep spans that nest or are disjoint; of two crossing spans keep the earlier, longer one.

    Of several proposals for the identical span, the first in sort order (label order, rule
    before model) is kept, so one span gets one label. A span inside a longer one with the same
    label is a partial match of the same name (``Jaishankar`` in ``S Jaishankar``, ``4G`` in
    ``4G LTE``) and is dropped.
    """
    kept: list[tuple[int, int, str, str, str]] = []
    placed = _Intervals()
    # Spans come in order of their start, so a kept span of the label ending at or after this
    # one's end holds it.
    furthest: dict[str, int] = {}
    for span in spans:
        start, end, label = span[0], span[1], span[2]
        if (start, end) in placed or furthest.get(label, -1) >= end or placed.crosses(start, end):
            continue
        kept.append(span)
        placed.add(start, end)
        furthest[label] = max(end, furthest.get(label, -1))
    return kept


@dataclass(frozen=True, slots=True)
class MergeResult:
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]
    added_entities: int
    added_relations: int


def merge(
    entities: Sequence[Entity],
    relations: Sequence[Relation],
    proposal: Proposal,
    schema: Schema,
) -> MergeResult:
    """Add proposals to existing annotations: existing ones are never changed or removed.

    A proposed entity is skipped when an existing one has the same span (whatever its label)
    or crosses it; a proposed relation is skipped when its arguments were skipped in favour of
    nothing, or when the same relation (either direction for symmetric labels) exists.
    New ids continue after the highest existing ``T``/``R`` number.
    """
    next_t = _next_number(e.id for e in entities)
    next_r = _next_number(r.id for r in relations)
    merged = list(entities)
    # The first entity of each span, and every span, to look proposals up in.
    first: dict[tuple[int, int], Entity] = {}
    placed = _Intervals()
    for e in merged:
        first.setdefault((e.start, e.end), e)
        placed.add(e.start, e.end)
    id_map: dict[str, str] = {}
    for proposed in proposal.entities:
        same = first.get((proposed.start, proposed.end))
        if same is not None:
            if same.label == proposed.label:
                id_map[proposed.id] = same.id
            continue
        if placed.crosses(proposed.start, proposed.end):
            continue
        new_id = f"T{next_t}"
        next_t += 1
        id_map[proposed.id] = new_id
        entity = Entity(
            new_id, proposed.start, proposed.end, proposed.label, proposed.text, proposed.source
        )
        merged.append(entity)
        first[(entity.start, entity.end)] = entity
        placed.add(entity.start, entity.end)
    merged_relations = list(relations)
    seen = {_relation_key(r, schema) for r in relations}
    added_relations = 0
    for proposed_relation in proposal.relations:
        head = id_map.get(proposed_relation.head)
        tail = id_map.get(proposed_relation.tail)
        if head is None or tail is None or head == tail:
            continue
        candidate = Relation(f"R{next_r}", head, tail, proposed_relation.label, RULE_SOURCE)
        key = _relation_key(candidate, schema)
        if key in seen:
            continue
        seen.add(key)
        merged_relations.append(candidate)
        next_r += 1
        added_relations += 1
    merged.sort(key=lambda e: (e.start, -e.end, e.label))
    return MergeResult(
        tuple(merged),
        tuple(merged_relations),
        len(merged) - len(entities),
        added_relations,
    )


class _Intervals:
    """Spans, looked up by bisection: whether one is there, and whether one crosses a span
    (overlaps it without either holding the other). Scanning every span for each new one made
    pre-annotation quadratic in the number of mentions."""

    def __init__(self) -> None:
        self._by_start: list[tuple[int, int]] = []
        self._by_end: list[tuple[int, int]] = []

    def add(self, start: int, end: int) -> None:
        insort(self._by_start, (start, end))
        insort(self._by_end, (end, start))

    def __contains__(self, span: tuple[int, int]) -> bool:
        i = bisect_left(self._by_start, span)
        return i < len(self._by_start) and self._by_start[i] == span

    def crosses(self, start: int, end: int) -> bool:
        """Whether a span starts before ``start`` and ends inside, or starts inside and ends
        after ``end``: only spans with an edge strictly inside are looked at."""
        i = bisect_right(self._by_end, (start, _LAST))
        while i < len(self._by_end) and self._by_end[i][0] < end:
            if self._by_end[i][1] < start:
                return True
            i += 1
        i = bisect_right(self._by_start, (start, _LAST))
        while i < len(self._by_start) and self._by_start[i][0] < end:
            if self._by_start[i][1] > end:
                return True
            i += 1
        return False


#: Larger than any offset: ``(n, _LAST)`` sorts after every span at ``n``.
_LAST = 1 << 62


def _relation_key(relation: Relation, schema: Schema) -> tuple[str, str, str]:
    relation_type = schema.relation(relation.label)
    if relation_type is not None and relation_type.symmetric:
        first, second = sorted((relation.head, relation.tail))
        return first, second, relation.label
    return relation.head, relation.tail, relation.label


def _next_number(ids: Iterable[str]) -> int:
    numbers = [int(i[1:]) for i in ids if re.fullmatch(r"[TR]\d+", i)]
    return max(numbers, default=0) + 1


@dataclass(frozen=True, slots=True)
class PreannotateResult:
    doc_id: str
    path: Path
    added_entities: int
    added_relations: int


def preannotate(
    project: Project, doc_ids: Sequence[str], *, model: str | None = None, dry_run: bool = False
) -> list[PreannotateResult]:
    """Propose annotations for stored articles and merge them into their annotation files.

    Every document is processed before any file is written, and the merged result of each is
    checked with the validator, so a failure changes no file.

    Raises:
        InputError: E213 for an unknown document id.
        NewscorpusError: E122 when an existing annotation file is invalid or stale (fix it
            first, so proposals are never merged into offsets that point at other text).
    """
    from newscorpus.txn import transaction

    # The files are read under the lock that the writes take, so that a concurrent command
    # cannot change them between the read and the write.
    with transaction(project, "preannotate", dry_run=dry_run) as txn:
        planned = _proposals(project, doc_ids, model)
        for path, merged, _ in planned:
            txn.write_json(path, merged.to_dict())
    return [summary for _, _, summary in planned]


def _proposals(
    project: Project, doc_ids: Sequence[str], model: str | None
) -> list[tuple[Path, AnnotationFile, PreannotateResult]]:
    """Every document's merged annotations, checked, before anything is written."""
    from newscorpus.annotations import (
        AnnotationFile,
        annotation_path,
        read_annotations,
        text_sha256,
    )
    from newscorpus.corpus import doc_ids as stored_ids
    from newscorpus.corpus import load_article
    from newscorpus.validate_document import document_errors
    from newscorpus.validate_file import file_problems

    schema = Schema.load(project.schema_path)
    known = set(stored_ids(project))
    for doc_id in doc_ids:
        if doc_id not in known:
            raise InputError(
                "E213",
                f"no article with id {doc_id!r} in the corpus.",
                fix="Run `newscorpus add` first, or pick one of: "
                + (", ".join(sorted(known)) or "(the corpus is empty)")
                + ".",
            )
    nlp = make_ruler_nlp(read_patterns(project.annotations / PATTERNS_FILE, schema), model)
    planned: list[tuple[Path, AnnotationFile, PreannotateResult]] = []
    for doc_id in doc_ids:
        text = load_article(project, doc_id).text
        path = annotation_path(project, doc_id)
        where = project.relative(path)
        # A file that cannot be read as annotations (bad JSON, a repeated key, a folder in its
        # place) must stop here: reading it would crash, rewriting it would lose data.
        problems = file_problems(project, doc_id)
        if not problems:
            existing = (
                read_annotations(path)
                if path.exists()
                else AnnotationFile(doc_id, text_sha256(text))
            )
            problems = document_errors(existing.to_dict(), schema, text, path=where, doc_id=doc_id)
        if problems:
            raise NewscorpusError(
                "E122",
                f"the existing annotations have {len(problems)} error(s), e.g. "
                f"{problems[0].render()}",
                fix="Fix them (see `newscorpus validate`) before pre-annotating.",
                where=where,
            )
        if len(text) > nlp.max_length:
            raise NewscorpusError(
                "E125",
                f"the article has {len(text):,} characters, more than the {nlp.max_length:,} "
                f"that spaCy lets the pretrained model {model!r} read at once (its NER needs "
                "about 1 GB of memory per 100,000 characters).",
                fix="Pre-annotate it without --model (the rules have no limit), or split it.",
                where=where,
            )
        result = merge(existing.entities, existing.relations, propose(nlp, text, schema), schema)
        merged = AnnotationFile(
            doc_id, text_sha256(text), result.entities, result.relations, existing.extra
        )
        problems = document_errors(merged.to_dict(), schema, text, path=where, doc_id=doc_id)
        if problems:
            raise NewscorpusError(
                "E123",
                f"the merged proposals fail validation: {problems[0].render()}",
                fix="Fix annotations/patterns.jsonl (or report a bug in the relation rules).",
                where=where,
            )
        summary = PreannotateResult(doc_id, path, result.added_entities, result.added_relations)
        planned.append((path, merged, summary))
    return planned
