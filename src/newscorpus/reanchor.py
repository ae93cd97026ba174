"""Move annotations from an old version of a text to a new one, and say what happened to each.

When the normaliser's rules change, or an article is corrected, the normalised text changes and
annotation offsets point at the wrong characters. brat and most annotation tools strand such
annotations; here they are re-anchored through an :class:`~newscorpus.alignment.Alignment`
computed from a token-level diff of the two texts, and each annotation gets a status:

- ``unchanged``: same offsets, same text;
- ``moved``: new offsets, same text;
- ``changed``: the text under the mapped span differs (an edit touched it): kept, for review;
- ``lost``: the span lies entirely in deleted text: dropped only when the caller allows it.

Relations follow their arguments: a relation is lost when either argument is lost, and otherwise
takes the "worst" status of its two arguments.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from enum import StrEnum

from newscorpus.alignment import Alignment
from newscorpus.errors import SpanRemovedError
from newscorpus.model import Entity, Relation
from newscorpus.validate_json import printable

_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


class Status(StrEnum):
    UNCHANGED = "unchanged"
    MOVED = "moved"
    CHANGED = "changed"
    LOST = "lost"


_ORDER = (Status.UNCHANGED, Status.MOVED, Status.CHANGED, Status.LOST)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one annotation: its id, status, and its old and new form."""

    id: str
    status: Status
    old: Entity | Relation
    new: Entity | Relation | None


@dataclass(frozen=True, slots=True)
class Reanchored:
    """The re-anchored annotations (lost ones left out) and one outcome per input annotation."""

    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]
    outcomes: tuple[Outcome, ...]

    @property
    def lost(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status is Status.LOST)

    def counts(self) -> dict[str, int]:
        """Number of annotations per status, every status present."""
        return {s.value: sum(o.status is s for o in self.outcomes) for s in _ORDER}


def diff_alignment(old: str, new: str) -> Alignment:
    """An alignment from ``old`` to ``new`` built from a word-level diff.

    Tokens are runs of word characters, runs of whitespace, and single other characters, so an
    edit inside a sentence leaves the offsets of every untouched word exact.

    >>> diff_alignment("5 G is here", "5G is here").to_dst(5, 9)
    (3, 7)
    """
    old_tokens, old_starts = _tokens(old)
    new_tokens, new_starts = _tokens(new)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    blocks = [
        (old_starts[i1], old_starts[i2], new_starts[j1], new_starts[j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
    return Alignment(len(old), len(new), blocks)


def _tokens(text: str) -> tuple[list[str], list[int]]:
    tokens, starts = [], []
    for match in _TOKEN_RE.finditer(text):
        tokens.append(match.group())
        starts.append(match.start())
    starts.append(len(text))
    return tokens, starts


def reanchor(
    old_text: str,
    new_text: str,
    entities: tuple[Entity, ...],
    relations: tuple[Relation, ...],
    alignment: Alignment | None = None,
) -> Reanchored:
    """Map every annotation from ``old_text`` to ``new_text``.

    Args:
        alignment: the map from old to new text when it is known exactly (for example the
            composition of two normalisations of the same raw text); by default a diff.
    """
    if alignment is None:
        alignment = diff_alignment(old_text, new_text)
    outcomes: list[Outcome] = []
    status_of: dict[str, Status] = {}
    kept_entities: list[Entity] = []
    for entity in entities:
        try:
            start, end = alignment.to_dst(entity.start, entity.end)
        except SpanRemovedError:
            status_of[entity.id] = Status.LOST
            outcomes.append(Outcome(entity.id, Status.LOST, entity, None))
            continue
        text = new_text[start:end]
        if text != entity.text:
            status = Status.CHANGED
        elif (start, end) != (entity.start, entity.end):
            status = Status.MOVED
        else:
            status = Status.UNCHANGED
        moved = replace(entity, start=start, end=end, text=text)
        status_of[entity.id] = status
        kept_entities.append(moved)
        outcomes.append(Outcome(entity.id, status, entity, moved))
    kept_relations: list[Relation] = []
    for relation in relations:
        arguments = (
            status_of.get(relation.head, Status.LOST),
            status_of.get(relation.tail, Status.LOST),
        )
        status = max(arguments, key=_ORDER.index)
        if status is Status.LOST:
            outcomes.append(Outcome(relation.id, status, relation, None))
            continue
        kept_relations.append(relation)
        outcomes.append(Outcome(relation.id, status, relation, relation))
    return Reanchored(tuple(kept_entities), tuple(kept_relations), tuple(outcomes))


def describe(outcome: Outcome) -> str:
    """One line for a report: ``T3 moved GPE "India" [10, 15) -> [8, 13)``. Unprintable
    characters (a line break, a lone surrogate from a tool's file) are escaped, so the line
    stays one line and can be printed."""
    return printable(_describe(outcome))


def _describe(outcome: Outcome) -> str:
    old = outcome.old
    if isinstance(old, Entity):
        head = f'{outcome.id} {outcome.status} {old.label} "{old.text}" [{old.start}, {old.end})'
        new = outcome.new
        if isinstance(new, Entity) and outcome.status is not Status.UNCHANGED:
            tail = f' "{new.text}"' if outcome.status is Status.CHANGED else ""
            return f"{head} -> [{new.start}, {new.end}){tail}"
        return head
    return f"{outcome.id} {outcome.status} {old.label} {old.head} -> {old.tail}"
