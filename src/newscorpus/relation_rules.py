"""Rule-based relation proposals: small named functions over one pre-annotated document.

Each rule looks at the proposed entities and the text between them and yields
``(head_id, tail_id, label)`` triples; :mod:`newscorpus.annotate` keeps those whose argument
types fit the schema. Rules are listed by name in :data:`RELATION_RULES`, in the order applied.

Every pattern is a few words long, so a rule only pairs mentions at most :data:`MAX_GAP`
characters apart, found by bisection in the mentions' offsets (:meth:`Context.starting`), and
a mention's sentence is found the same way. Pairing every mention with every other, and
slicing the text between them, made pre-annotation cubic in the article's length: a 100 KB
article took 86 s.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from newscorpus.model import Entity

#: The most characters between two mentions that a rule pairs (its patterns need a few words).
MAX_GAP = 200


@dataclass(frozen=True)
class Context:
    text: str
    #: In order of their start, as :func:`newscorpus.annotate.propose` makes them.
    entities: tuple[Entity, ...]
    sentences: list[tuple[int, int]]
    #: Provisional entity id -> the name it refers to (a demonym's country), from pattern ids.
    refers_to: dict[str, str]
    _starts: list[int] = field(init=False, repr=False, compare=False)
    _sentence_starts: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", [e.start for e in self.entities])
        object.__setattr__(self, "_sentence_starts", [s[0] for s in self.sentences])

    @cached_property
    def by_id(self) -> dict[str, Entity]:
        return {e.id: e for e in self.entities}

    @cached_property
    def countries(self) -> dict[str, list[Entity]]:
        """The GPE mentions by their text, each name's in order."""
        named: dict[str, list[Entity]] = {}
        for e in self.entities:
            if e.label == "GPE":
                named.setdefault(e.text, []).append(e)
        return named

    @cached_property
    def _country_edges(self) -> dict[str, tuple[list[int], list[int]]]:
        return {
            name: ([e.start for e in found], [e.end for e in found])
            for name, found in self.countries.items()
        }

    def nearest_country(self, entity: Entity, name: str, *, preceding: bool) -> Entity | None:
        """:meth:`nearest` of the GPE mentions whose text is ``name``; with ``preceding``, of
        those that end before ``entity`` starts when one does. Found by bisection: mentions of
        one name have one length, so their ends are in order too."""
        found = self.countries.get(name, [])
        if not found:
            return None
        starts, ends = self._country_edges[name]
        before = bisect_right(ends, entity.start) if preceding else 0
        return _nearest(entity, found, starts, before or len(found))

    def starting(self, first: int, last: int) -> tuple[Entity, ...]:
        """The entities starting at an offset from ``first`` to ``last``, in order."""
        return self.entities[bisect_left(self._starts, first) : bisect_right(self._starts, last)]

    def sentence_of(self, entity: Entity) -> tuple[int, int]:
        k = bisect_right(self._sentence_starts, entity.start) - 1
        if k >= 0 and entity.start < self.sentences[k][1]:
            return self.sentences[k]
        return (0, len(self.text))

    def in_sentence(self, entity: Entity, *labels: str) -> list[Entity]:
        start, end = self.sentence_of(entity)
        return [
            e
            for e in self.starting(start, end)
            if e.end <= end and e.label in labels and e is not entity
        ]

    def nearest(self, entity: Entity, candidates: Iterable[Entity]) -> Entity | None:
        """The candidate starting nearest ``entity``: of two as near, the earlier; of several
        at one offset, the first."""
        return min(candidates, key=lambda e: (abs(e.start - entity.start), e.start), default=None)


def _nearest(entity: Entity, found: list[Entity], starts: list[int], size: int) -> Entity:
    """:meth:`Context.nearest` of the first ``size`` (at least one) of ``found``, which are in
    order of their ``starts``: only the last one starting before ``entity`` and the first one
    starting at or after it can be nearest."""
    after = bisect_left(starts, entity.start, 0, size)
    if after == 0:
        return found[0]
    # The first of those that start where the last one before it starts.
    left = found[bisect_left(starts, starts[after - 1], 0, size)]
    if after == size or entity.start - left.start <= found[after].start - entity.start:
        return left
    return found[after]


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
        demonym = next(
            (
                e
                for e in ctx.starting(person.start - 2 * MAX_GAP, person.start)
                if e.label == "NORP"
                and e.id in ctx.refers_to
                and 0 <= person.start - e.end <= MAX_GAP
                and re.fullmatch(r"\s+counterpart\s+", ctx.text[e.end : person.start])
            ),
            None,
        )
        if demonym is not None:
            target = ctx.nearest_country(person, ctx.refers_to[demonym.id], preceding=False)
        elif _OFFICE_RE.search(before):
            # "Foreign Minister A and his Japanese counterpart B": A is not Japan's minister.
            others = {
                ctx.refers_to[e.id]
                for e in ctx.in_sentence(person, "NORP")
                if e.id in ctx.refers_to and e.start > person.end
            }
            in_sentence = [e for e in ctx.in_sentence(person, "GPE") if e.text not in others]
            if in_sentence:
                target = ctx.nearest(person, in_sentence)
            else:
                # Otherwise the country the article is most about, as in "the two countries":
                # the most mentioned, the first in alphabetical order of those tied.
                mentions = ctx.countries
                names = sorted(name for name in mentions if name not in others)
                main = max(names, key=lambda name: len(mentions[name]), default=None)
                target = None if main is None else ctx.nearest_country(person, main, preceding=True)
        else:
            continue
        if target is not None:
            yield person.id, target.id, "role_in"


def alias_in_brackets(ctx: Context) -> Iterator[tuple[str, str, str]]:
    """``Internet of Things (IoT)`` -> alias_of(IoT, Internet of Things) when the bracketed
    mention has the same label and its letters are the initials of the full name's words."""
    for full in ctx.entities:
        for short in ctx.starting(full.end + 1, full.end + MAX_GAP):
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
        for place in ctx.starting(event.end, event.end + MAX_GAP):
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
        for target in ctx.starting(actor.end + 1, actor.end + MAX_GAP):
            if _RESTRICT_RE.match(ctx.text[actor.end : target.start]):
                yield actor.id, target.id, "restricts"


def backing(ctx: Context) -> Iterator[tuple[str, str, str]]:
    """``<GPE>-backed <INITIATIVE>`` and ``<INITIATIVE> promoted|proposed by <X>`` -> proposed."""
    for initiative in (e for e in ctx.entities if e.label == "INITIATIVE"):
        near = ctx.starting(initiative.start - 2 * MAX_GAP, initiative.end + MAX_GAP)
        for actor in (e for e in near if e.label in ("PERSON", "GPE", "ORG")):
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
    return not any(e.end <= right.start for e in ctx.starting(left.end, right.start))


_AGREEMENT_RE = re.compile(r"\bagreements?\b|\bpact\b|\btreaty\b|\bsigned\b", re.I)
_COOPERATION_RE = re.compile(r"\b(?:collaborat|cooperat)\w*", re.I)
_LIST_GAP_RE = re.compile(r"^[\w ]{0,20}?(?:, (?:and )?| and )$")


def bilateral(ctx: Context) -> Iterator[tuple[str, str, str]]:
    """``<GPE> and <GPE>`` in a sentence about an agreement -> agreement_with(A, B); in a
    sentence about collaborating, each party cooperates_on the list of technologies that
    follows the pair (``on 5G technologies, artificial intelligence and ...``)."""
    for first in (e for e in ctx.entities if e.label == "GPE"):
        start, end = ctx.sentence_of(first)
        for second in ctx.starting(first.end + 1, min(end, first.end + MAX_GAP)):
            if (
                second.label != "GPE"
                or second.end > end
                or not re.fullmatch(r"\s+and\s+", ctx.text[first.end : second.start])
            ):
                continue
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
        name = ctx.refers_to[demonym.id]
        near = ctx.starting(demonym.start, demonym.end + MAX_GAP)
        for org in (e for e in near if e.label == "ORG"):
            starts_with = org.start == demonym.start and org.end > demonym.end
            precedes = org.start > demonym.end and re.fullmatch(
                r"(?:\s+[a-z]+){0,3}\s+", ctx.text[demonym.end : org.start]
            )
            if starts_with or precedes:
                in_sentence = [e for e in ctx.in_sentence(org, "GPE") if e.text == name]
                if in_sentence:
                    target = ctx.nearest(org, in_sentence)
                else:
                    target = ctx.nearest_country(org, name, preceding=True)
                if target is not None:
                    yield org.id, target.id, "based_in"


_DURING_RE = re.compile(r"(?:During|At)\b")


def attendance(ctx: Context) -> Iterator[tuple[str, str, str]]:
    """``During|At <EVENT>, A and B ...`` -> participates_in(A|B, EVENT); ``X has agreed to
    be the lead participant in <INITIATIVE>`` -> participates_in(X, INITIATIVE)."""
    for event in (e for e in ctx.entities if e.label == "EVENT"):
        start, _ = ctx.sentence_of(event)
        if not _DURING_RE.match(ctx.text, start, event.start):
            continue
        for person in ctx.in_sentence(event, "PERSON"):
            if person.start > event.end:
                yield person.id, event.id, "participates_in"
    for actor in (e for e in ctx.entities if e.label in ("PERSON", "GPE", "ORG")):
        for target in ctx.starting(actor.end, actor.end + MAX_GAP):
            if target.label in ("EVENT", "INITIATIVE") and re.fullmatch(
                r"\s+(?:has\s+)?(?:agreed\s+to\s+)?(?:be\s+)?(?:the\s+|a\s+)?(?:lead\s+)?"
                r"(?:participant|partner|member)\s+(?:in|of)\s+(?:the\s+)?",
                ctx.text[actor.end : target.start],
            ):
                yield actor.id, target.id, "participates_in"


def suggestion(ctx: Context) -> Iterator[tuple[str, str, str]]:
    """``Modi suggested the creation of an <INITIATIVE>`` -> proposed(Modi, INITIATIVE)."""
    for actor in (e for e in ctx.entities if e.label in ("PERSON", "GPE", "ORG")):
        near = ctx.starting(actor.end, actor.end + MAX_GAP)
        for initiative in (e for e in near if e.label == "INITIATIVE"):
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
