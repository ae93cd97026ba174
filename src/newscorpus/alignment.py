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
_Edges = tuple[list[int], list[int], list[int], list[int]]


class _Role(Enum):
    START = "start"
    END = "end"
    POINT = "point"


class Alignment:
    """An immutable, monotone map between a source string and a destination string.

    >>> Alignment(3, 2, [(1, 2, 1, 1)]).to_dst(2, 3)
    (1, 2)
    """

    __slots__ = ("_blocks", "_dst_len", "_edges", "_src_len")

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
        self._edges: _Edges | None = None

    @classmethod
    def _of_canonical(cls, src_len: int, dst_len: int, blocks: tuple[Block, ...]) -> Alignment:
        """A map from blocks already known to be valid and canonical (what :meth:`compose`
        makes): checking them again would cost as much as making them."""
        alignment = cls.__new__(cls)
        alignment._src_len = src_len
        alignment._dst_len = dst_len
        alignment._blocks = blocks
        alignment._edges = None
        return alignment

    def _index(self) -> _Edges:
        """The block edges as four sorted lists (source starts and ends, destination starts and
        ends), for bisecting; made on the first lookup, since most maps that
        :func:`~newscorpus.normalise.normalise` composes on its way are never read."""
        blocks = self._blocks
        self._edges = (
            [b[0] for b in blocks],
            [b[1] for b in blocks],
            [b[2] for b in blocks],
            [b[3] for b in blocks],
        )
        return self._edges

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
        return Alignment._of_canonical(
            self._src_len, other._dst_len, _compose_blocks(self._blocks, other._blocks)
        )

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
        src_starts, src_ends, dst_starts, dst_ends = self._edges or self._index()
        if forward:
            starts, ends, images, image_ends = src_starts, src_ends, dst_starts, dst_ends
        else:
            starts, ends, images, image_ends = dst_starts, dst_ends, src_starts, src_ends
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


def _compose_blocks(first: tuple[Block, ...], second: tuple[Block, ...]) -> tuple[Block, ...]:
    """The canonical blocks of ``A -> C`` from those of ``A -> B`` and ``B -> C`` (see
    :meth:`Alignment.compose`).

    Each block occupies an interval of the middle text B: ``first``'s by their destination side,
    ``second``'s by their source side. Both lists are sorted in B, so one merge visits the
    intervals in order (at equal starts the shorter first, then ``first``'s) and groups those
    that overlap.
    """
    out: list[Block] = []
    shift_a = 0  # A offset minus B offset outside first's blocks
    shift_c = 0  # C offset minus B offset outside second's blocks
    i = j = 0
    n, m = len(first), len(second)
    last_pure = False  # the last block was made of pure insertions and deletions only
    while i < n or j < m:
        lo = hi = -1
        group_a = group_c = 0
        while i < n or j < m:
            if j == m or (i < n and (first[i][2], first[i][3]) <= (second[j][0], second[j][1])):
                a, b, c, d = first[i]
                if lo >= 0 and c >= hi:
                    break
                i += 1
                start, end = c, d
                group_a += (b - a) - (d - c)
            else:
                a, b, c, d = second[j]
                if lo >= 0 and a >= hi:
                    break
                j += 1
                start, end = a, b
                group_c += (d - c) - (b - a)
            if lo < 0:
                lo = start
            hi = max(hi, end)
        x0, z0 = lo + shift_a, lo + shift_c
        shift_a += group_a
        shift_c += group_c
        x1, z1 = hi + shift_a, hi + shift_c
        if x0 == x1 and z0 == z1:
            continue
        pure = x0 == x1 or z0 == z1
        if pure and last_pure and out and out[-1][1] == x0:
            # Touching insertions and deletions are one change, so one block.
            x0, z0 = out[-1][0], out[-1][2]
            out.pop()
        out.append((x0, x1, z0, z1))
        last_pure = pure
    return tuple(out)


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
