"""Relations as labelled arcs between their arguments, drawn by displaCy's ``dep`` style.

displaCy draws arcs between "words"; here each word is one entity mention taking part in a
relation, so a paragraph's relations become one compact diagram (the words in text order, the
entity's label and id under each). displaCy escapes the words but not the tags or the arc labels,
so those are escaped here; its ``render`` names the SVG with a random id, so the deterministic
``render_svg`` is called with an id of our own.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import Any

from newscorpus.model import Entity

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
#: Room kept above the highest arc for its label, in pixels.
_MARGIN = 20


@dataclass(frozen=True, slots=True)
class Arc:
    """One arc: from the head mention to the tail mention, with its (plain text) label."""

    head: Entity
    tail: Entity
    label: str


def paragraph_starts(text: str) -> list[int]:
    """Offsets where the paragraphs of ``text`` (separated by blank lines) start.

    >>> paragraph_starts("Title\\n\\nOne.\\nTwo.\\n\\nThree.")
    [0, 7, 18]
    """
    return [0, *(m.end() for m in _PARAGRAPH_BREAK.finditer(text))]


def arc_diagrams(text: str, arcs: Sequence[Arc], id_prefix: str) -> list[tuple[int, str]]:
    """One SVG per paragraph holding relations: ``(paragraph number from 1, svg)``.

    A relation belongs to the paragraph where its first argument starts; an arc from a mention
    to itself cannot be drawn and is left out (the relation table still lists it).
    """
    starts = paragraph_starts(text)
    groups: dict[int, list[Arc]] = {}
    for arc in arcs:
        if _key(arc.head) == _key(arc.tail):
            continue
        first = min(arc.head.start, arc.tail.start)
        groups.setdefault(bisect.bisect_right(starts, first) - 1, []).append(arc)
    diagrams = []
    for paragraph, group in sorted(groups.items()):
        mentions = sorted({_key(e): e for a in group for e in (a.head, a.tail)}.items())
        index = {key: i for i, (key, _) in enumerate(mentions)}
        words = [
            {"text": _mention_text(text, e), "tag": escape(f"{e.label} {e.id}")}
            for _, e in mentions
        ]
        drawn = []
        for arc in group:
            h, t = index[_key(arc.head)], index[_key(arc.tail)]
            drawn.append(
                {
                    "start": min(h, t),
                    "end": max(h, t),
                    "label": escape(arc.label),
                    "dir": "right" if h < t else "left",
                }
            )
        longest = max(len(w["text"]) for w in words)
        renderer = _renderer_class()(
            {
                "compact": True,
                "distance": min(max(110, 8 * longest), 360),
                "font": "inherit",
                "color": "#222222",
                "bg": "transparent",
            }
        )
        svg = renderer.render_svg(f"{id_prefix}-{paragraph + 1}", words, drawn)
        diagrams.append((paragraph + 1, _crop(svg.strip(), renderer)))
    return diagrams


@cache
def _renderer_class() -> type[Any]:
    """displaCy's ``dep`` renderer, with its arc levels made independent of the hash seed.

    displaCy puts the arcs in a set to drop repeats and then sorts them by length alone, so
    arcs of one length reach the level assignment in set order, which follows Python's string
    hash seed: the same relations could be drawn stacked one way or the other from run to run.
    Here ties are broken by position, label and direction.
    """
    from spacy.displacy.render import DependencyRenderer

    class Renderer(DependencyRenderer):
        def get_levels(self, arcs: list[dict[str, Any]]) -> dict[tuple[int, int, str], int]:
            """The level of each arc (keyed as displaCy keys it): one above the highest level
            among the words it spans, shorter arcs placed first."""
            distinct = sorted(
                {(a["end"] - a["start"], a["start"], a["end"], a["label"], a["dir"]) for a in arcs}
            )
            heights = [0] * max((end for _, _, end, _, _ in distinct), default=0)
            levels = {}
            for _, start, end, label, _ in distinct:
                level = max(heights[start:end]) + 1
                heights[start:end] = [level] * (end - start)
                levels[(start, end, label)] = level
            return levels

    return Renderer


def _crop(svg: str, renderer: Any) -> str:
    """Cut the empty band displaCy leaves above compact arcs: it sizes the drawing for round
    arcs (half the word distance per level) but draws square ones a sixth of it high."""
    top = int(renderer.offset_y - renderer.highest_level * renderer.distance / 6) - _MARGIN
    if top <= 0:
        return svg
    width, height = renderer.width, renderer.height
    kept = height - top
    return svg.replace(
        f'width="{width}" height="{height}"',
        f'width="{width}" height="{kept}" viewBox="0 {top} {width} {kept}"',
        1,
    ).replace(f"height: {height}px", f"height: {kept}px", 1)


def _key(entity: Entity) -> tuple[int, int, str]:
    return entity.start, -entity.end, entity.id


def _mention_text(text: str, entity: Entity) -> str:
    """The text under the mention (its ``text`` field when the offsets are outside the text)."""
    if 0 <= entity.start < entity.end <= len(text):
        return text[entity.start : entity.end]
    return entity.text
