"""annotation_data hands back the file being replaced when an import gives back exactly what it
holds, and otherwise makes the file it always made: the shortcut never changes an import."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.formats import common
from newscorpus.formats.common import annotation_data

TEXT = "Acme Corp. hired Ada Lovelace in Paris on Monday."
_SPAN = st.tuples(st.integers(0, len(TEXT) - 1), st.integers(1, 12), st.sampled_from("ABC"))


def _made_without_shortcut(monkeypatch: pytest.MonkeyPatch, *args: Any) -> dict[str, Any]:
    with monkeypatch.context() as patched:
        patched.setattr(common, "_as_before", lambda *_: False)
        return annotation_data(*args)


def _as_exported(previous: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """The spans and relations an export of ``previous`` gives back, in the file's order."""
    spans = [(e["start"], e["end"], e["label"]) for e in previous["entities"]]
    index = {e["id"]: i for i, e in enumerate(previous["entities"])}
    links = [(index[r["head"]], index[r["tail"]], r["label"]) for r in previous["relations"]]
    return spans, links


@st.composite
def _imports(draw: st.DrawFn) -> tuple[Any, ...]:
    """A file made by an import, then the import of its export: often unchanged, sometimes
    reordered, relabelled, repeated, dropped or respelled."""
    raw = draw(st.lists(_SPAN, min_size=1, max_size=6))
    first = [(s, min(s + n, len(TEXT)), label) for s, n, label in raw]
    pairs = st.tuples(st.integers(0, len(first) - 1), st.integers(0, len(first) - 1))
    previous = annotation_data(
        "doc", TEXT, first, [(h, t, "R") for h, t in draw(st.lists(pairs, max_size=4))], None
    )
    spans, links = _as_exported(previous)
    change = draw(
        st.sampled_from(
            [
                *("same", "same", "same", "reversed", "relabel", "twice", "drop"),
                *("source", "extra", "file out of order", "file twice"),
            ]
        )
    )
    if change == "reversed":
        spans.reverse()
        links = [(len(spans) - 1 - h, len(spans) - 1 - t, label) for h, t, label in links]
    elif change == "relabel":
        start, end, _ = spans[0]
        spans[0] = (start, end, "D")
    elif change == "twice":
        spans.append(spans[0])
    elif change == "drop" and links:
        links.pop()
    elif change == "source":
        previous["entities"][0]["source"] = None
    elif change == "extra":
        previous["entities"][0]["note"] = "checked"
    elif change == "file out of order":  # a file put together by hand
        previous["entities"].reverse()
        spans, links = _as_exported(previous)
    elif change == "file twice":
        previous["entities"].append({**previous["entities"][0], "id": "T99"})
        spans, links = _as_exported(previous)
    return change, previous, spans, links


@settings(max_examples=300, deadline=None)
@given(_imports())
def test_the_shortcut_gives_what_the_whole_making_gives(case: tuple[Any, ...]) -> None:
    change, previous, spans, relations = case
    with pytest.MonkeyPatch.context() as monkeypatch:
        slow = _made_without_shortcut(monkeypatch, "doc", TEXT, spans, relations, previous)
    fast = annotation_data("doc", TEXT, spans, relations, previous)

    assert fast == slow
    if change == "same":
        assert fast is previous


def test_a_round_trip_hands_back_the_file_itself() -> None:
    previous = annotation_data("doc", TEXT, [(17, 29, "B"), (0, 10, "A")], [(0, 1, "R")], None)
    spans, links = _as_exported(previous)

    assert annotation_data("doc", TEXT, spans, links, previous) is previous
    # In another order: made again, and equal.
    again = annotation_data("doc", TEXT, spans[::-1], [(0, 1, "R")], previous)
    assert again is not previous
    assert again == previous
