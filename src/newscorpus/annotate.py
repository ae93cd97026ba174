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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscorpus.errors import InputError, NewscorpusError, UsageError
from newscorpus.model import Entity, Relation
from newscorpus.project import Project
from newscorpus.schema import Schema

if TYPE_CHECKING:
    from spacy.language import Language

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
    from newscorpus.nlp import make_nlp

    nlp = make_nlp()
    ruler = nlp.add_pipe(
        "span_ruler", config={"spans_key": "ruler", "annotate_ents": False, "overwrite": False}
    )
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
    context = _Context(text, entities, sentences, refers_to)
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
    for span in spans:
        start, end, label = span[0], span[1], span[2]
        if any(
            (k[0] == start and k[1] == end)
            or (k[0] < start < k[1] < end)
            or (k[0] <= start and end <= k[1] and k[2] == label)
            for k in kept
        ):
            continue
        kept.append(span)
    return kept


@dataclass(frozen=True)
class _Context:
    text: str
    entities: tuple[Entity, ...]
    sentences: list[tuple[int, int]]
    #: Provisional entity id -> the name it refers to (a demonym's country), from pattern ids.
    refers_to: dict[str, str]

    @property
    def by_id(self) -> dict[str, Entity]:
        return {e.id: e for e in self.entities}

    def sentence_of(self, entity: Entity) -> tuple[int, int]:
        return next((s for s in self.sentences if s[0] <= entity.start < s[1]), (0, len(self.text)))

    def in_sentence(self, entity: Entity, *labels: str) -> list[Entity]:
        start, end = self.sentence_of(entity)
        return [
            e
            for e in self.entities
            if start <= e.start and e.end <= end and e.label in labels and e is not entity
        ]

    def nearest(self, entity: Entity, candidates: Iterable[Entity]) -> Entity | None:
        return min(candidates, key=lambda e: (abs(e.start - entity.start), e.start), default=None)


Rule = Callable[[_Context], Iterator[tuple[str, str, str]]]

_OFFICE_RE = re.compile(
    r"(?:Foreign|Prime|Defen[cs]e|Finance|Home|External Affairs|Trade)\s+Minister\s+$"
    r"|(?:President|Chancellor|Ambassador|Secretary|CEO|Chairman|spokes(?:man|woman|person))\s+$"
)
_ABBREVIATION_RE = re.compile(r"^\s*\(\s*$")


def role_from_title(ctx: _Context) -> Iterator[tuple[str, str, str]]:
    """``Foreign Minister <PERSON>`` -> role_in(PERSON, the nearest country named nearby);
    ``his <demonym> counterpart <PERSON>`` -> role_in(PERSON, that demonym's country)."""
    for person in (e for e in ctx.entities if e.label == "PERSON"):
        before = ctx.text[max(0, person.start - 40) : person.start]
        countries = [e for e in ctx.entities if e.label == "GPE"]
        demonym = next(
            (
                e
                for e in ctx.entities
                if e.label == "NORP"
                and e.id in ctx.refers_to
                and re.fullmatch(r"\s+counterpart\s+", ctx.text[e.end : person.start])
            ),
            None,
        )
        if demonym is not None:
            named = [e for e in countries if e.text == ctx.refers_to[demonym.id]]
            target = ctx.nearest(person, named)
        elif _OFFICE_RE.search(before):
            # "Foreign Minister A and his Japanese counterpart B": A is not Japan's minister.
            others = {
                ctx.refers_to[e.id]
                for e in ctx.in_sentence(person, "NORP")
                if e.id in ctx.refers_to and e.start > person.end
            }
            # Otherwise the country the article is most about, as in "the two countries".
            candidates = [e for e in countries if e.text not in others]
            in_sentence = [e for e in ctx.in_sentence(person, "GPE") if e.text not in others]
            if not in_sentence and candidates:
                names = [e.text for e in candidates]
                main = max(sorted(set(names)), key=names.count)
                candidates = [e for e in candidates if e.text == main]
            preceding = [e for e in candidates if e.end <= person.start]
            target = ctx.nearest(person, in_sentence or preceding or candidates)
        else:
            continue
        if target is not None:
            yield person.id, target.id, "role_in"


def alias_in_brackets(ctx: _Context) -> Iterator[tuple[str, str, str]]:
    """``Internet of Things (IoT)`` -> alias_of(IoT, Internet of Things) when the bracketed
    mention has the same label and its letters are the initials of the full name's words."""
    for full in ctx.entities:
        for short in ctx.entities:
            if (
                short.label == full.label
                and short.start > full.end
                and _ABBREVIATION_RE.match(ctx.text[full.end : short.start])
                and ctx.text[short.end : short.end + 1] == ")"
                and _is_abbreviation(short.text, full.text)
            ):
                yield short.id, full.id, "alias_of"


def _is_abbreviation(short: str, full: str) -> bool:
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", full)).upper()
    letters = re.sub(r"[^A-Za-z]", "", short).upper()
    return len(letters) >= 2 and all(c in initials for c in letters) and letters[0] == initials[0]


def event_in_place(ctx: _Context) -> Iterator[tuple[str, str, str]]:
    """``<EVENT> in <GPE|LOC>`` -> located_in(EVENT, place)."""
    for event in (e for e in ctx.entities if e.label == "EVENT"):
        for place in ctx.entities:
            if place.label in ("GPE", "LOC") and re.fullmatch(
                r"\s+in\s+", ctx.text[event.end : place.start]
            ):
                yield event.id, place.id, "located_in"


_RESTRICT_RE = re.compile(
    r"^\s+(?:has\s+|have\s+|had\s+)?(?:also\s+)?(?:blocked|banned|forbade|forbidden|"
    r"restricted|blacklisted|sanctioned)\s+$"
)


def restriction(ctx: _Context) -> Iterator[tuple[str, str, str]]:
    """``<GPE|ORG> (has) blocked|banned|restricted <ORG|TECHNOLOGY>`` -> restricts."""
    for actor in (e for e in ctx.entities if e.label in ("GPE", "ORG")):
        for target in ctx.entities:
            if target.start > actor.end and _RESTRICT_RE.match(ctx.text[actor.end : target.start]):
                yield actor.id, target.id, "restricts"


def backing(ctx: _Context) -> Iterator[tuple[str, str, str]]:
    """``<GPE>-backed <INITIATIVE>`` and ``<INITIATIVE> promoted|proposed by <X>`` -> proposed."""
    for initiative in (e for e in ctx.entities if e.label == "INITIATIVE"):
        for actor in (e for e in ctx.entities if e.label in ("PERSON", "GPE", "ORG")):
            gap_after = ctx.text[initiative.end : actor.start]
            gap_before = ctx.text[actor.end : initiative.start]
            if (
                re.fullmatch(r"\s+(?:promoted|proposed|launched|backed)\s+by\s+", gap_after)
                or (
                    re.fullmatch(r"\s+is\s+an?\s+", gap_after)
                    and ctx.text[actor.end : actor.end + 7] == "-backed"
                )
            ) or (
                re.fullmatch(r"-backed\s+(?:\w+\s+){0,3}", gap_before)
                and ctx.text[initiative.start - 1 : initiative.start] != "-"
                and actor.end < initiative.start
                and _only_entity_between(ctx, actor, initiative)
            ):
                yield actor.id, initiative.id, "proposed"


def _only_entity_between(ctx: _Context, left: Entity, right: Entity) -> bool:
    return not any(left.end <= e.start and e.end <= right.start for e in ctx.entities)


_AGREEMENT_RE = re.compile(r"\bagreements?\b|\bpact\b|\btreaty\b|\bsigned\b", re.I)
_COOPERATION_RE = re.compile(r"\b(?:collaborat|cooperat)\w*", re.I)
_LIST_GAP_RE = re.compile(r"^[\w ]{0,20}?(?:, (?:and )?| and )$")


def bilateral(ctx: _Context) -> Iterator[tuple[str, str, str]]:
    """``<GPE> and <GPE>`` in a sentence about an agreement -> agreement_with(A, B); in a
    sentence about collaborating, each party cooperates_on the list of technologies that
    follows the pair (``on 5G technologies, artificial intelligence and ...``)."""
    for first in (e for e in ctx.entities if e.label == "GPE"):
        for second in ctx.in_sentence(first, "GPE"):
            if second.start <= first.end or not re.fullmatch(
                r"\s+and\s+", ctx.text[first.end : second.start]
            ):
                continue
            start, end = ctx.sentence_of(first)
            if _AGREEMENT_RE.search(ctx.text[second.end : end]):
                yield first.id, second.id, "agreement_with"
            if _COOPERATION_RE.search(ctx.text[start:end]) is None:
                continue
            for technology in _list_after(ctx, second, "TECHNOLOGY"):
                yield first.id, technology.id, "cooperates_on"
                yield second.id, technology.id, "cooperates_on"


def _list_after(ctx: _Context, anchor: Entity, label: str) -> list[Entity]:
    """The first ``label`` mention after ``anchor`` in its sentence, and the mentions
    coordinated with it (separated by a comma or ``and`` and a few words)."""
    found = sorted(
        (e for e in ctx.in_sentence(anchor, label) if e.start >= anchor.end),
        key=lambda e: e.start,
    )
    items = found[:1]
    for entity in found[1:]:
        if not _LIST_GAP_RE.match(ctx.text[items[-1].end : entity.start]):
            break
        items.append(entity)
    return items


def demonym_base(ctx: _Context) -> Iterator[tuple[str, str, str]]:
    """``Chinese telecommunications giant Huawei``, ``Japanese Foreign Ministry`` ->
    based_in(ORG, the nearest mention of the demonym's country)."""
    for demonym in (e for e in ctx.entities if e.label == "NORP" and e.id in ctx.refers_to):
        countries = [
            e for e in ctx.entities if e.label == "GPE" and e.text == ctx.refers_to[demonym.id]
        ]
        for org in (e for e in ctx.entities if e.label == "ORG"):
            starts_with = org.start == demonym.start and org.end > demonym.end
            precedes = org.start > demonym.end and re.fullmatch(
                r"(?:\s+[a-z]+){0,3}\s+", ctx.text[demonym.end : org.start]
            )
            if starts_with or precedes:
                preceding = [e for e in countries if e.end <= org.start]
                in_sentence = [e for e in ctx.in_sentence(org, "GPE") if e in countries]
                target = ctx.nearest(org, in_sentence or preceding or countries)
                if target is not None:
                    yield org.id, target.id, "based_in"


def attendance(ctx: _Context) -> Iterator[tuple[str, str, str]]:
    """``During|At <EVENT>, A and B ...`` -> participates_in(A|B, EVENT); ``X has agreed to
    be the lead participant in <INITIATIVE>`` -> participates_in(X, INITIATIVE)."""
    for event in (e for e in ctx.entities if e.label == "EVENT"):
        start, _ = ctx.sentence_of(event)
        if not re.match(r"(?:During|At)\b", ctx.text[start : event.start]):
            continue
        for person in ctx.in_sentence(event, "PERSON"):
            if person.start > event.end:
                yield person.id, event.id, "participates_in"
    for actor in (e for e in ctx.entities if e.label in ("PERSON", "GPE", "ORG")):
        for target in ctx.entities:
            if target.label in ("EVENT", "INITIATIVE") and re.fullmatch(
                r"\s+(?:has\s+)?(?:agreed\s+to\s+)?(?:be\s+)?(?:the\s+|a\s+)?(?:lead\s+)?"
                r"(?:participant|partner|member)\s+(?:in|of)\s+(?:the\s+)?",
                ctx.text[actor.end : target.start],
            ):
                yield actor.id, target.id, "participates_in"


def suggestion(ctx: _Context) -> Iterator[tuple[str, str, str]]:
    """``Modi suggested the creation of an <INITIATIVE>`` -> proposed(Modi, INITIATIVE)."""
    for actor in (e for e in ctx.entities if e.label in ("PERSON", "GPE", "ORG")):
        for initiative in (e for e in ctx.entities if e.label == "INITIATIVE"):
            if re.fullmatch(
                r"\s+(?:suggested|proposed|launched|announced|unveiled)\s+"
                r"(?:the\s+(?:creation|launch)\s+of\s+)?(?:an?\s+|the\s+)?",
                ctx.text[actor.end : initiative.start],
            ):
                yield actor.id, initiative.id, "proposed"


#: Relation rules by name, applied in this order.
RELATION_RULES: dict[str, Rule] = {
    "role_from_title": role_from_title,
    "alias_in_brackets": alias_in_brackets,
    "event_in_place": event_in_place,
    "restriction": restriction,
    "backing": backing,
    "bilateral": bilateral,
    "demonym_base": demonym_base,
    "attendance": attendance,
    "suggestion": suggestion,
}


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
    id_map: dict[str, str] = {}
    for proposed in proposal.entities:
        same = next((e for e in merged if (e.start, e.end) == (proposed.start, proposed.end)), None)
        if same is not None:
            if same.label == proposed.label:
                id_map[proposed.id] = same.id
            continue
        if any(_crosses(e, proposed) for e in merged):
            continue
        new_id = f"T{next_t}"
        next_t += 1
        id_map[proposed.id] = new_id
        merged.append(
            Entity(
                new_id, proposed.start, proposed.end, proposed.label, proposed.text, proposed.source
            )
        )
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


def _crosses(a: Entity, b: Entity) -> bool:
    return a.start < b.start < a.end < b.end or b.start < a.start < b.end < a.end


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
    from newscorpus.annotations import (
        AnnotationFile,
        annotation_path,
        read_annotations,
        text_sha256,
        write_annotations,
    )
    from newscorpus.corpus import doc_ids as stored_ids
    from newscorpus.corpus import load_article
    from newscorpus.validate import validate_document

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
        existing = (
            read_annotations(path) if path.exists() else AnnotationFile(doc_id, text_sha256(text))
        )
        where = project.relative(path)
        problems = [
            i
            for i in validate_document(existing.to_dict(), schema, text, path=where, doc_id=doc_id)
            if i.severity == "error"
        ]
        if problems:
            raise NewscorpusError(
                "E122",
                f"the existing annotations have {len(problems)} error(s), e.g. "
                f"{problems[0].render()}",
                fix="Fix them (see `newscorpus validate`) before pre-annotating.",
                where=where,
            )
        result = merge(existing.entities, existing.relations, propose(nlp, text, schema), schema)
        merged = AnnotationFile(
            doc_id, text_sha256(text), result.entities, result.relations, existing.extra
        )
        problems = [
            i
            for i in validate_document(merged.to_dict(), schema, text, path=where, doc_id=doc_id)
            if i.severity == "error"
        ]
        if problems:
            raise NewscorpusError(
                "E123",
                f"the merged proposals fail validation: {problems[0].render()}",
                fix="Fix annotations/patterns.jsonl (or report a bug in the relation rules).",
                where=where,
            )
        summary = PreannotateResult(doc_id, path, result.added_entities, result.added_relations)
        planned.append((path, merged, summary))
    if not dry_run:
        for path, merged, _ in planned:
            write_annotations(path, merged)
    return [summary for _, _, summary in planned]
