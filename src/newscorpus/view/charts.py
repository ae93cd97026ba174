"""Bar charts as inline SVG, drawn by hand: a few rectangles and texts, no plotting library.

The statistics page needs stacked horizontal bars only (counts per label and split, argument
type pairs, span lengths, edits per rule); a plotting library would add a dependency and, in
the ones that write SVG, scripts or fonts fetched from the network. Numbers are formatted with a
fixed precision, so the same counts give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

BAR_WIDTH = 420
ROW_HEIGHT = 22
_CHAR_WIDTH = 7.5


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    colour: str


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Sequence[int]],
    *,
    chart_id: str,
) -> str:
    """A ``<figure>`` with one stacked bar per category (``values[category][series]``), its
    total at the end, a ``<title>`` tooltip per segment, and a legend when there are several
    series. An empty chart says so instead of drawing nothing.
    """
    caption = f"<figcaption>{escape(title)}</figcaption>"
    if not categories:
        return f'<figure class="chart" id="{escape(chart_id)}">{caption}<p>No data.</p></figure>'
    left = min(240, int(max(len(c) for c in categories) * _CHAR_WIDTH) + 12)
    largest = max((sum(row) for row in values), default=0) or 1
    width = left + BAR_WIDTH + 60
    height = len(categories) * ROW_HEIGHT + 8
    parts = []
    for row, (category, counts) in enumerate(zip(categories, values, strict=True)):
        y = 4 + row * ROW_HEIGHT
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(category)}</text>'
        )
        x = float(left)
        for one, count in zip(series, counts, strict=True):
            if not count:
                continue
            w = count / largest * BAR_WIDTH
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{ROW_HEIGHT - 6}" '
                f'fill="{escape(one.colour)}"><title>{escape(category)}, {escape(one.name)}: '
                f"{count}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}">{sum(counts)}</text>')
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">{"".join(parts)}</svg>'
    )
    key = ""
    if len(series) > 1:
        key = '<ul class="legend">' + "".join(
            f'<li><span class="chip" style="background:{escape(s.colour)}"></span>'
            f"{escape(s.name)}</li>"
            for s in series
        )
        key += "</ul>"
    return f'<figure class="chart" id="{escape(chart_id)}">{caption}{svg}{key}</figure>'
