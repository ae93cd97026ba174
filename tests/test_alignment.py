"""The offset map: hand-made cases with exact blocks, and the laws of inverse and compose."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.alignment import Alignment
from newscorpus.errors import SpanRemovedError

# "5 G tech" -> "5G tech": the space at 1 is deleted.
DELETION = Alignment(8, 7, [(1, 2, 1, 1)])
# "xe\u0301yz" -> "xéyz": two characters replaced by one.
REPLACEMENT = Alignment(5, 4, [(1, 3, 1, 2)])
# "abc" -> "a--bc": two characters inserted at 1.
INSERTION = Alignment(3, 5, [(1, 1, 1, 3)])


@pytest.mark.parametrize(
    ("alignment", "span", "expected"),
    [
        (DELETION, (0, 1), (0, 1)),
        (DELETION, (2, 3), (1, 2)),
        (DELETION, (0, 3), (0, 2)),
        (DELETION, (2, 8), (1, 7)),
        (DELETION, (1, 3), (1, 2)),
        (DELETION, (1, 1), (1, 1)),
        (DELETION, (8, 8), (7, 7)),
        (REPLACEMENT, (0, 1), (0, 1)),
        (REPLACEMENT, (1, 3), (1, 2)),
        (REPLACEMENT, (2, 5), (1, 4)),  # a start inside the block takes the image's start
        (REPLACEMENT, (0, 2), (0, 2)),  # an end inside the block takes the image's end
        (REPLACEMENT, (2, 2), (1, 1)),  # an empty span inside the block: its image's left edge
        (REPLACEMENT, (2, 3), (1, 2)),
        (INSERTION, (0, 1), (0, 1)),  # an end before the insertion stays before it
        (INSERTION, (1, 2), (3, 4)),  # a start at the insertion goes after it
        (INSERTION, (0, 2), (0, 4)),
        (INSERTION, (1, 1), (1, 1)),
    ],
)
def test_to_dst(alignment: Alignment, span: tuple[int, int], expected: tuple[int, int]) -> None:
    assert alignment.to_dst(*span) == expected


@pytest.mark.parametrize(
    ("alignment", "span", "expected"),
    [
        (DELETION, (0, 2), (0, 3)),
        (DELETION, (1, 2), (2, 3)),
        (DELETION, (0, 1), (0, 1)),
        (DELETION, (1, 1), (1, 1)),
        (REPLACEMENT, (1, 2), (1, 3)),
        (REPLACEMENT, (0, 4), (0, 5)),
        (INSERTION, (0, 4), (0, 2)),
        (INSERTION, (2, 4), (1, 2)),  # a start inside inserted text goes to the insertion point
        (INSERTION, (0, 2), (0, 1)),
    ],
)
def test_to_src(alignment: Alignment, span: tuple[int, int], expected: tuple[int, int]) -> None:
    assert alignment.to_src(*span) == expected


def test_span_in_deleted_text_raises_e211() -> None:
    with pytest.raises(SpanRemovedError) as info:
        DELETION.to_dst(1, 2)
    assert str(info.value) == (
        "E211 span [1, 2) of the source text lies entirely in text removed by normalisation, "
        "so it has no counterpart. Anchor the annotation to text that survives normalisation."
    )
    assert info.value.code == "E211"


def test_span_in_inserted_text_raises_e211_on_the_way_back() -> None:
    with pytest.raises(SpanRemovedError) as info:
        INSERTION.to_src(1, 3)
    assert str(info.value).startswith("E211 span [1, 3) of the destination text lies entirely")


def test_src_span_reports_inserted_text_as_its_insertion_point() -> None:
    assert INSERTION.src_span(1, 3) == (1, 1)
    assert INSERTION.src_span(0, 3) == (0, 1)


@pytest.mark.parametrize("span", [(-1, 2), (3, 2), (0, 9)])
def test_span_outside_the_text_is_a_value_error(span: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match=rf"^span \[{span[0]}, {span[1]}\) is not within a text "):
        DELETION.to_dst(*span)


def test_inverse_swaps_sides() -> None:
    assert DELETION.inverse() == Alignment(7, 8, [(1, 1, 1, 2)])
    assert DELETION.inverse().blocks == ((1, 1, 1, 2),)
    assert (DELETION.inverse().src_len, DELETION.inverse().dst_len) == (7, 8)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        # Separate changes keep their own blocks.
        (
            Alignment(10, 9, [(1, 2, 1, 1)]),
            Alignment(9, 8, [(4, 5, 4, 4)]),
            Alignment(10, 8, [(1, 2, 1, 1), (5, 6, 4, 4)]),
        ),
        # A substitution then the deletion of its result: one deletion.
        (Alignment(4, 4, [(1, 2, 1, 2)]), Alignment(4, 3, [(1, 2, 1, 1)]), (1, 2, 1, 1)),
        # A deletion and an insertion at the same place merge into one replacement.
        (Alignment(10, 9, [(2, 3, 2, 2)]), Alignment(9, 10, [(2, 2, 2, 3)]), (2, 3, 2, 3)),
        # Touching deletions merge.
        (Alignment(10, 9, [(2, 3, 2, 2)]), Alignment(9, 8, [(2, 3, 2, 2)]), (2, 4, 2, 2)),
        # Touching replacements stay separate: the boundary between them is exact.
        (Alignment(5, 4, [(0, 2, 0, 1)]), Alignment(4, 4, [(1, 2, 1, 2)]), (0, 2, 0, 1)),
        # An insertion strictly inside an earlier block merges with it.
        (Alignment(5, 5, [(1, 3, 1, 3)]), Alignment(5, 6, [(2, 2, 2, 3)]), (1, 3, 1, 4)),
        # An insertion that a later rule deletes again leaves no block at all.
        (Alignment(3, 5, [(1, 1, 1, 3)]), Alignment(5, 3, [(1, 3, 1, 1)]), Alignment(3, 3)),
    ],
)
def test_compose_hand_made(
    first: Alignment, second: Alignment, expected: Alignment | tuple[int, int, int, int]
) -> None:
    composed = first.compose(second)
    if isinstance(expected, Alignment):
        assert composed == expected
    else:
        assert composed.blocks[0] == expected


def test_compose_keeps_a_deletion_apart_from_a_touching_substitution() -> None:
    # "a\u200b\xa0b" -> "a\xa0b" -> "a b": the raw word "a\u200b" still maps to exactly "a".
    composed = Alignment(4, 3, [(1, 2, 1, 1)]).compose(Alignment(3, 3, [(1, 2, 1, 2)]))
    assert composed.blocks == ((1, 2, 1, 1), (2, 3, 1, 2))
    assert composed.to_dst(0, 2) == (0, 1)
    assert composed.to_dst(2, 4) == (1, 3)
    assert composed.to_src(0, 1) == (0, 1)
    assert composed.to_src(1, 2) == (2, 3)


def test_compose_needs_matching_lengths() -> None:
    with pytest.raises(
        ValueError, match=r"^cannot compose: the first map ends at a text of length 7"
    ):
        DELETION.compose(DELETION)


def test_constructor_canonicalises() -> None:
    # Touching pure blocks are one change; an empty block is no change; replacements stay apart.
    assert Alignment(5, 5, [(1, 2, 1, 1), (2, 2, 1, 2)]).blocks == ((1, 2, 1, 2),)
    assert Alignment(5, 3, [(1, 2, 1, 1), (2, 3, 1, 1)]).blocks == ((1, 3, 1, 1),)
    assert Alignment(3, 3, [(1, 1, 1, 1)]).blocks == ()
    assert Alignment(5, 4, [(1, 2, 1, 1), (2, 3, 1, 2)]).blocks == ((1, 2, 1, 1), (2, 3, 1, 2))
    assert Alignment(4, 4, [(0, 1, 0, 1), (1, 2, 1, 2)]).blocks == ((0, 1, 0, 1), (1, 2, 1, 2))


def test_insertion_before_a_touching_replacement() -> None:
    # "ab" -> "aXYb'": "XY" inserted at 1, then "b" replaced by "b'".
    alignment = Alignment(2, 5, [(1, 1, 1, 3), (1, 2, 3, 5)])
    assert alignment.to_dst(0, 1) == (0, 1)  # an end at the insertion stays before it
    assert alignment.to_dst(1, 2) == (3, 5)  # a start at the insertion goes after it
    assert alignment.to_dst(1, 1) == (1, 1)
    assert alignment.src_span(1, 3) == (1, 1)
    with pytest.raises(SpanRemovedError):
        alignment.to_src(1, 3)


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([(2, 1, 0, 0)], r"alignment block \(2, 1, 0, 0\) ends before it starts"),
        (
            [(1, 3, 1, 2), (2, 4, 2, 3)],
            r"alignment block \(2, 4, 2, 3\) overlaps or precedes the one before",
        ),
        ([(1, 2, 2, 2)], r"the unchanged text before it has different lengths on the two sides"),
        (
            [(1, 2, 1, 1)],
            r"alignment blocks end at \(2, 1\), which does not fit texts of lengths 5 ",
        ),
    ],
)
def test_malformed_blocks_are_rejected(blocks: list[tuple[int, ...]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Alignment(5, 5, blocks)


def test_list_round_trip() -> None:
    alignment = Alignment(10, 8, [(1, 2, 1, 1), (5, 7, 4, 5)])
    assert alignment.to_list() == [[1, 2, 1, 1], [5, 7, 4, 5]]
    assert Alignment.from_list(alignment.to_list(), 10, 8) == alignment
    with pytest.raises(ValueError, match=r"^alignment block \[1, 2, 1\] is not four integers$"):
        Alignment.from_list([[1, 2, 1]], 10, 9)
    with pytest.raises(ValueError, match="does not fit texts of lengths 10 and 10"):
        Alignment.from_list(alignment.to_list(), 10, 10)


def test_identity_and_repr() -> None:
    assert Alignment.identity(4) == Alignment(4, 4, [])
    assert Alignment.identity(4).to_dst(1, 3) == (1, 3)
    assert repr(DELETION) == "Alignment(8, 7, [(1, 2, 1, 1)])"
    assert hash(DELETION) == hash(Alignment(8, 7, [(1, 2, 1, 1)]))


@st.composite
def alignments(draw: st.DrawFn, src_len: int | None = None) -> Alignment:
    """A random map: the source cut into pieces, some unchanged, some replaced by 0-3 chars."""
    n = draw(st.integers(0, 12)) if src_len is None else src_len
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=8)))
    edges = [0, *cuts, n]
    blocks = []
    shift = 0
    for a, b in itertools.pairwise(edges):
        if draw(st.booleans()):
            new_len = draw(st.integers(0, 3))
            blocks.append((a, b, a + shift, a + shift + new_len))
            shift += new_len - (b - a)
    return Alignment(n, n + shift, blocks)


@st.composite
def chains(draw: st.DrawFn, length: int) -> list[Alignment]:
    """``length`` maps, each starting from the text the one before ends at."""
    maps = [draw(alignments())]
    while len(maps) < length:
        maps.append(draw(alignments(maps[-1].dst_len)))
    return maps


@st.composite
def spans(draw: st.DrawFn, n: int) -> tuple[int, int]:
    a, b = draw(st.integers(0, n)), draw(st.integers(0, n))
    return min(a, b), max(a, b)


PROPERTY = settings(max_examples=300, deadline=None)


@PROPERTY
@given(alignments())
def test_inverse_twice_is_the_original(alignment: Alignment) -> None:
    assert alignment.inverse().inverse() == alignment


@PROPERTY
@given(alignments())
def test_identity_is_neutral(alignment: Alignment) -> None:
    assert alignment.compose(Alignment.identity(alignment.dst_len)) == alignment
    assert Alignment.identity(alignment.src_len).compose(alignment) == alignment


@PROPERTY
@given(alignments())
def test_list_round_trip_property(alignment: Alignment) -> None:
    rebuilt = Alignment.from_list(alignment.to_list(), alignment.src_len, alignment.dst_len)
    assert rebuilt == alignment


@PROPERTY
@given(chains(2))
def test_inverse_of_composition(maps: list[Alignment]) -> None:
    a, b = maps
    assert a.compose(b).inverse() == b.inverse().compose(a.inverse())


@PROPERTY
@given(chains(2), st.data())
def test_compose_agrees_with_mapping_twice(maps: list[Alignment], data: st.DataObject) -> None:
    """The composed map gives the span that mapping one after the other gives, or a wider one
    when merged blocks make a boundary fall inside a block; exactly that span (or point) when
    the span's ends lie away from the composed map's blocks."""
    a, b = maps
    composed = a.compose(b)
    start, end = data.draw(spans(a.src_len))
    try:
        step = b.to_dst(*a.to_dst(start, end))
    except SpanRemovedError:
        return
    got = composed.to_dst(start, end)
    if start < end:
        assert got[0] <= step[0] and step[1] <= got[1]
    if not any(s <= p <= e for s, e, _, _ in composed.blocks for p in (start, end)):
        assert got == step


@PROPERTY
@given(alignments(), st.data())
def test_there_and_back_covers_the_span(alignment: Alignment, data: st.DataObject) -> None:
    """A non-empty span maps there and back onto a span with the same image, unless it was
    deleted (a deleted edge of the span belongs to neither side, so the way back drops it)."""
    start, end = data.draw(spans(alignment.src_len))
    if start == end:
        return
    try:
        image = alignment.to_dst(start, end)
    except SpanRemovedError:
        # Only a span inside a deletion has no image.
        assert any(s <= start and end <= e and c == d for s, e, c, d in alignment.blocks)
        return
    back = alignment.to_src(*image)
    assert alignment.to_dst(*back) == image
