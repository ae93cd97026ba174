"""Text with marked spans as HTML: entities on the normalised text, edits on the raw text.

Spans may nest (an entity inside another) and, in annotations that fail validation, even cross.
Each stretch of text between two span edges is wrapped in every span covering it, outermost
first, so a nested span is drawn inside its parent rather than hidden behind it, and a crossing
span is cut into fragments (its anchor on the first, its label after the last). Empty spans
(an insertion) are drawn at their position. The text is escaped here and nowhere else;
attributes and labels arrive already escaped.

displaCy's span style also draws nested spans, but as one inline block per token joined by
spaces: it loses line breaks and the exact spacing, and has no place for an id per span, which
the page needs for links from issues and relations and for click details.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape


# Not frozen: a frozen dataclass sets each field through object.__setattr__, five times the
# cost, and a site makes a mark for each of millions of entities and edits.
@dataclass(slots=True)
class Mark:
    """One span to draw over ``[start, end)`` of the text."""

    start: int
    end: int
    #: Escaped attributes of every fragment, with a leading space: `` class="ent" data-id="T1"``.
    attrs: str
    #: Escaped HTML drawn just before the span closes for the last time (its label), or "".
    label: str = ""
    #: The ``id`` attribute value of the first fragment (escaped), or "".
    anchor: str = ""
    #: Orders spans with the same edges (outermost first otherwise).
    key: str = ""


def text_html(text: str, _marked: bool = False) -> str:
    """Text as element content: ``&``, ``<`` and ``>`` escaped."""
    if "&" in text or "<" in text or ">" in text:
        return escape(text, quote=False)
    return text


def render_marks(
    text: str,
    marks: Sequence[Mark],
    shown: Callable[[str, bool], str] = text_html,
) -> str:
    """``text`` as HTML with every mark drawn as a ``<span>``.

    Args:
        text: the plain text.
        marks: the spans; edges outside the text are clipped to it.
        shown: turns a stretch of text into HTML; its flag says whether a mark covers it.

    >>> render_marks("a <b", [Mark(3, 5, ' class="x"', "<i>L</i>")])
    'a <span class="x">&lt;b<i>L</i></span>'
    """
    n = len(text)
    ordered = sorted(
        (m if 0 <= m.start <= m.end <= n else _clip(m, n) for m in marks),
        key=lambda m: (m.start, m.end > m.start, -m.end, m.key),
    )
    # Spans that nest (the valid case) need one pass with a stack; crossing ones are cut.
    out: list[str] = []
    stack: list[Mark] = []
    pos = 0
    for mark in ordered:
        while stack and stack[-1].end <= mark.start:
            top = stack.pop()
            out += (shown(text[pos : top.end], True), top.label, "</span>")
            pos = top.end
        if stack and mark.end > stack[-1].end:
            return _render_crossing(text, ordered, shown)
        out.append(shown(text[pos : mark.start], bool(stack)))
        pos = mark.start
        if mark.end == mark.start:
            out.append(f"<span{_anchor(mark)}{mark.attrs}>{mark.label}</span>")
        else:
            out.append(f"<span{_anchor(mark)}{mark.attrs}>")
            stack.append(mark)
    while stack:
        top = stack.pop()
        out += (shown(text[pos : top.end], True), top.label, "</span>")
        pos = top.end
    out.append(shown(text[pos:], False))
    return "".join(out)


def _clip(mark: Mark, n: int) -> Mark:
    start = min(max(mark.start, 0), n)
    return Mark(start, min(max(mark.end, start), n), *_rest(mark))


def _render_crossing(text: str, ordered: Sequence[Mark], shown: Callable[[str, bool], str]) -> str:
    """Every stretch between two span edges wrapped in the spans covering it, outermost first:
    a span that crosses another is closed and reopened around it."""
    n = len(text)
    spans = [m for m in ordered if m.end > m.start]
    points = [m for m in ordered if m.end == m.start]
    edges = sorted({0, n, *(m.start for m in ordered), *(m.end for m in ordered)})
    out: list[str] = []
    stack: list[Mark] = []
    active: list[Mark] = []
    opened: set[int] = set()
    next_span = next_point = 0
    for i, pos in enumerate(edges):
        active = [m for m in active if m.end > pos]
        while next_span < len(spans) and spans[next_span].start == pos:
            active.append(spans[next_span])
            next_span += 1
        keep = 0
        while keep < min(len(stack), len(active)) and stack[keep] is active[keep]:
            keep += 1
        while len(stack) > keep:
            closing = stack.pop()
            out.append(f"{closing.label}</span>" if closing.end <= pos else "</span>")
        while next_point < len(points) and points[next_point].start == pos:
            point = points[next_point]
            out.append(f"<span{_anchor(point)}{point.attrs}>{point.label}</span>")
            next_point += 1
        for mark in active[keep:]:
            first = id(mark) not in opened
            opened.add(id(mark))
            out.append(f"<span{_anchor(mark) if first else ''}{mark.attrs}>")
            stack.append(mark)
        if i + 1 < len(edges):
            out.append(shown(text[pos : edges[i + 1]], bool(stack)))
    return "".join(out)


def _rest(mark: Mark) -> tuple[str, str, str, str]:
    return mark.attrs, mark.label, mark.anchor, mark.key


def _anchor(mark: Mark) -> str:
    return f' id="{mark.anchor}"' if mark.anchor else ""
