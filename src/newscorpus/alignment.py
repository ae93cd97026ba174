"""A two-way character map between a source text and a destination text.

An :class:`Alignment` records where two strings differ as a sorted tuple of *changed blocks*
``(src_start, src_end, dst_start, dst_end)``; between blocks the texts are equal, character for
character. That is all a normaliser needs to map annotation offsets both ways exactly, and it is
small enough to store next to each document (``to_list``), so users can map back to the raw text.

Maps compose: ``old.inverse().compose(new)`` maps an old normalised text through the raw text to a
new normalised text, which is how annotations move when the rules change.

Mapping a half-open span ``[start, end)``:

- outside blocks, offsets shift by the length change of the blocks before them;
- a boundary strictly inside a block expands to the block's whole image (a start goes to the
  image's start, an end to its end), so a span never loses a character it touched;
- at a pure insertion (a block with an empty source side), a start goes after the inserted text
  and an end before it: inserted text belongs to neither neighbour;
- an empty span maps to a point (the left edge of the image);
- a non-empty span whose image is empty lies entirely in removed text: that raises
  :class:`~newscorpus.errors.SpanRemovedError`.

Blocks are kept in a canonical form so equal maps compare equal: no block is empty on both sides,
and touching *pure* blocks (insertions and deletions, empty on one side) merge into one, since a
deletion next to an insertion is one replacement. A pure block touching a replacement stays
separate, and so do touching replacements: the boundary between them is exact, so a word next to
a deleted zero-width space or a replaced no-break space keeps its exact span.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from enum import Enum

from newscorpus.errors import SpanRemovedError

Block = tuple[int, int, int, int]


class _Role(Enum):
    START = "start"
    END = "end"
    POINT = "point"


class Alignment:
    """An immutable, monotone map between a source string and a destination string.

    >>> Alignment(3, 2, [(1, 2, 1, 1)]).to_dst(2, 3)
    (1, 2)
    """

    __slots__ = ("_blocks", "_dst_ends", "_dst_len", "_dst_starts", "_src_ends", "_src_len",
                 "_src_starts")  # fmt: skip

    def __init__(self, src_len: int, dst_len: int, blocks: Iterable[Sequence[int]] = ()) -> None:
        """Build a map from the lengths of both texts and the changed blocks.

        Blocks must be sorted and must not overlap; the identity stretches between them must have
        the same length on both sides. Touching blocks are merged as described in the module
        docstring, and blocks empty on both sides are dropped.

        Raises:
            ValueError: the blocks are malformed or disagree with the lengths.
        """
        self._src_len = src_len
        self._dst_len = dst_len
        self._blocks = _canonical(src_len, dst_len, blocks)
        self._src_starts = [b[0] for b in self._blocks]
        self._src_ends = [b[1] for b in self._blocks]
        self._dst_starts = [b[2] for b in self._blocks]
        self._dst_ends = [b[3] for b in self._blocks]

    @classmethod
    def identity(cls, n: int) -> Alignment:
        """The map of a text of length ``n`` onto itself."""
        return cls(n, n)

    @classmethod
    def from_list(cls, blocks: Iterable[Sequence[int]], src_len: int, dst_len: int) -> Alignment:
        """Rebuild a map stored with :meth:`to_list`, given the lengths of both texts.

        Raises:
            ValueError: a block is not four integers, or the blocks disagree with the lengths.
        """
        checked: list[Block] = []
        for block in blocks:
            if len(block) != 4 or not all(type(v) is int for v in block):
                raise ValueError(f"alignment block {list(block)!r} is not four integers")
            checked.append((block[0], block[1], block[2], block[3]))
        return cls(src_len, dst_len, checked)

    def to_list(self) -> list[list[int]]:
        """The blocks as a JSON- and Arrow-friendly list of ``[src_start, src_end, dst_start,
        dst_end]`` lists."""
        return [list(b) for b in self._blocks]

    @property
    def src_len(self) -> int:
        return self._src_len

    @property
    def dst_len(self) -> int:
        return self._dst_len

    @property
    def blocks(self) -> tuple[Block, ...]:
        """The changed blocks ``(src_start, src_end, dst_start, dst_end)``, sorted."""
        return self._blocks

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Alignment):
            return NotImplemented
        return (self._src_len, self._dst_len, self._blocks) == (
            other._src_len,
            other._dst_len,
            other._blocks,
        )

    def __hash__(self) -> int:
        return hash((self._src_len, self._dst_len, self._blocks))

    def __repr__(self) -> str:
        return f"Alignment({self._src_len}, {self._dst_len}, {list(self._blocks)!r})"

    def to_dst(self, start: int, end: int) -> tuple[int, int]:
        """The destination span of the source span ``[start, end)``.

        Raises:
            SpanRemovedError: E211 when the non-empty span lies entirely in deleted text.
            ValueError: the span is not within the source text.
        """
        return self._map(start, end, forward=True, strict=True)

    def to_src(self, start: int, end: int) -> tuple[int, int]:
        """The source span of the destination span ``[start, end)``.

        Raises:
            SpanRemovedError: E211 when the non-empty span lies entirely in inserted text.
            ValueError: the span is not within the destination text.
        """
        return self._map(start, end, forward=False, strict=True)

    def src_span(self, start: int, end: int) -> tuple[int, int]:
        """Like :meth:`to_src`, but a span in inserted text maps to the point where it was
        inserted instead of raising (for reporting where an edit happened)."""
        return self._map(start, end, forward=False, strict=False)

    def inverse(self) -> Alignment:
        """The map from the destination back to the source."""
        return Alignment(
            self._dst_len, self._src_len, [(c, d, a, b) for a, b, c, d in self._blocks]
        )

    def compose(self, other: Alignment) -> Alignment:
        """The map ``A -> C`` from ``self: A -> B`` and ``other: B -> C``.

        Blocks of the two maps that overlap in ``B`` merge into one block; so does a pure
        insertion or deletion strictly inside a block of the other map. Blocks that only touch
        in ``B`` stay apart, since the boundary between them maps exactly (touching pure blocks
        then merge as the canonical form requires). Composing with the identity changes
        nothing, and ``a.compose(b).inverse() == b.inverse().compose(a.inverse())``.

        Raises:
            ValueError: ``other`` does not start from the text ``self`` ends at.
        """
        if self._dst_len != other._src_len:
            raise ValueError(
                f"cannot compose: the first map ends at a text of length {self._dst_len}, "
                f"the second starts from one of length {other._src_len}"
            )
        # Each block occupies an interval of the middle text B: self's blocks by their dst side,
        # other's by their src side. Sweep the intervals in order and group those that overlap.
        firsts = [(c, d, 0, i) for i, (_, _, c, d) in enumerate(self._blocks)]
        seconds = [(a, b, 1, i) for i, (a, b, _, _) in enumerate(other._blocks)]
        intervals = sorted(firsts + seconds)
        out: list[Block] = []
        shift_a = 0  # src offset minus B offset outside self's blocks
        shift_c = 0  # dst offset minus B offset outside other's blocks
        k = 0
        while k < len(intervals):
            lo, hi = intervals[k][0], intervals[k][1]
            group_a, group_c = 0, 0
            while True:
                _, end, which, i = intervals[k]
                hi = max(hi, end)
                if which == 0:
                    a, b, c, d = self._blocks[i]
                    group_a += (b - a) - (d - c)
                else:
                    a, b, c, d = other._blocks[i]
                    group_c += (d - c) - (b - a)
                k += 1
                if k == len(intervals) or intervals[k][0] >= hi:
                    break
            x0, z0 = lo + shift_a, lo + shift_c
            shift_a += group_a
            shift_c += group_c
            out.append((x0, hi + shift_a, z0, hi + shift_c))
        return Alignment(self._src_len, other._dst_len, out)

    def _map(self, start: int, end: int, *, forward: bool, strict: bool) -> tuple[int, int]:
        length = self._src_len if forward else self._dst_len
        if not 0 <= start <= end <= length:
            raise ValueError(f"span [{start}, {end}) is not within a text of length {length}")
        if start == end:
            point = self._point(start, _Role.POINT, forward)
            return point, point
        new_start = self._point(start, _Role.START, forward)
        new_end = self._point(end, _Role.END, forward)
        if new_start == new_end and strict:
            raise SpanRemovedError(start, end, "source" if forward else "destination")
        return new_start, new_end

    def _point(self, p: int, role: _Role, forward: bool) -> int:
        if forward:
            starts, ends, images, image_ends = (
                self._src_starts,
                self._src_ends,
                self._dst_starts,
                self._dst_ends,
            )
        else:
            starts, ends, images, image_ends = (
                self._dst_starts,
                self._dst_ends,
                self._src_starts,
                self._src_ends,
            )
        i = bisect_right(starts, p) - 1
        if i < 0:
            return p
        start, end, image_start, image_end = starts[i], ends[i], images[i], image_ends[i]
        if p < end:
            if p > start:  # strictly inside: a boundary takes the whole image
                return image_end if role is _Role.END else image_start
            if role is not _Role.START and i and starts[i - 1] == ends[i - 1] == p:
                # An insertion at p just before this block: ends and points go before it.
                return images[i - 1]
            return image_start
        if start == end == p:
            # A pure insertion at p: starts go after the inserted text, ends and points before.
            return image_end if role is _Role.START else image_start
        return p - end + image_end


def _canonical(src_len: int, dst_len: int, blocks: Iterable[Sequence[int]]) -> tuple[Block, ...]:
    """Check the blocks and bring them into canonical form (see the module docstring)."""
    if src_len < 0 or dst_len < 0:
        raise ValueError(f"text lengths must not be negative, got {src_len} and {dst_len}")
    out: list[Block] = []
    prev_a = prev_b = prev_c = prev_d = 0
    prev_pure = False  # the last block was made of pure insertions and deletions only
    for block in blocks:
        a, b, c, d = block
        if a > b or c > d:
            raise ValueError(f"alignment block {tuple(block)!r} ends before it starts")
        if a < prev_b or c < prev_d:
            raise ValueError(
                f"alignment block {tuple(block)!r} overlaps or precedes the one before"
            )
        if a - prev_b != c - prev_d:
            raise ValueError(
                f"alignment block {tuple(block)!r}: the unchanged text before it has different "
                "lengths on the two sides"
            )
        if a == b and c == d:
            continue
        pure = a == b or c == d
        if pure and prev_pure and out and a == prev_b:
            # Touching insertions and deletions are one change, so one block.
            a, c = prev_a, prev_c
            out.pop()
        out.append((a, b, c, d))
        prev_a, prev_b, prev_c, prev_d = a, b, c, d
        prev_pure = pure
    if src_len - prev_b != dst_len - prev_d or prev_b > src_len:
        raise ValueError(
            f"alignment blocks end at ({prev_b}, {prev_d}), which does not fit texts of lengths "
            f"{src_len} and {dst_len}"
        )
    return tuple(out)
