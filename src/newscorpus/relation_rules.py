"""Rule-based relation proposals: small named functions over one pre-annotated document.

Each rule looks at the proposed entities and the text between them and yields
``(head_id, tail_id, label)`` triples; :mod:`newscorpus.annotate` keeps those whose argument
types fit the schema. Rules are listed by name in :data:`RELATION_RULES`, in the order applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from newscorpus.model import Entity


@dataclass(frozen=True)
class Context:
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


Rule = Callable[[Context], Iterator[tuple[str, str, str]]]

_OFFICE_RE = re.compile(
    r"(?:Foreign|Prime|Defen[cs]e|Finance|Home|External Affairs|Trade)\s+Minister\s+$"
    r"|(?:President|Chancellor|Ambassador|Secretary|CEO|Chairman|spokes(?:man|woman|person))\s+$"
)
_ABBREVIATION_RE = re.compile(r"^\s*\(\s*$")


def role_from_title(ctx: Context) -> Iterator[tuple[str, str, str]]:
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


def alias_in_brackets(ctx: Context) -> Iterator[tuple[str, str, str]]:
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


def event_in_place(ctx: Context) -> Iterator[tuple[str, str, str]]:
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


def restriction(ctx: Context) -> Iterator[tuple[str, str, str]]:
    """``<GPE|ORG> (has) blocked|banned|restricted <ORG|TECHNOLOGY>`` -> restricts."""
    for actor in (e for e in ctx.entities if e.label in ("GPE", "ORG")):
        for target in ctx.entities:
            if target.start > actor.end and _RESTRICT_RE.match(ctx.text[actor.end : target.start]):
                yield actor.id, target.id, "restricts"


def backing(ctx: Context) -> Iterator[tuple[str, str, str]]:
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


def _only_entity_between(ctx: Context, left: Entity, right: Entity) -> bool:
    return not any(left.end <= e.start and e.end <= right.start for e in ctx.entities)


_AGREEMENT_RE = re.compile(r"\bagreements?\b|\bpact\b|\btreaty\b|\bsigned\b", re.I)
_COOPERATION_RE = re.compile(r"\b(?:collaborat|cooperat)\w*", re.I)
_LIST_GAP_RE = re.compile(r"^[\w ]{0,20}?(?:, (?:and )?| and )$")


def bilateral(ctx: Context) -> Iterator[tuple[str, str, str]]:
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


def _list_after(ctx: Context, anchor: Entity, label: str) -> list[Entity]:
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


def demonym_base(ctx: Context) -> Iterator[tuple[str, str, str]]:
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


def attendance(ctx: Context) -> Iterator[tuple[str, str, str]]:
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


def suggestion(ctx: Context) -> Iterator[tuple[str, str, str]]:
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
