"""The normaliser: golden cases, the seed article, and properties of the text and its offset map."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SEEDS
from newscorpus.errors import NewscorpusError, SpanRemovedError
from newscorpus.normalise import DEFAULT_RULES, RULES, Edit, Normalised, normalise

DATA = Path(__file__).parent / "data" / "normalise"
SEED = SEEDS / "000_e9c3dbcb3b5f8d71.txt"


def _cases(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return cases


def _fired(n: Normalised) -> list[str]:
    """The rules that made edits, once each, in the order they ran."""
    return list(dict.fromkeys(edit.rule for edit in n.edits))


@pytest.mark.parametrize("case", _cases("fixes"), ids=lambda c: c["label"])
def test_fixes(case: dict[str, Any]) -> None:
    n = normalise(case["input"])
    assert n.text == case["expected"]
    assert _fired(n) == case["rules"]
    assert all(edit.before != edit.after for edit in n.edits)
    assert normalise(case["expected"]).edits == ()


@pytest.mark.parametrize("case", _cases("must_not_change"), ids=lambda c: c["label"])
def test_must_not_change(case: dict[str, Any]) -> None:
    n = normalise(case["input"])
    assert n.text == case["input"]
    assert n.edits == ()
    assert n.alignment.blocks == ()


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=case["why"]))
        for case in _cases("known_failures")
    ],
    ids=lambda c: c["label"],
)
def test_known_failures(case: dict[str, Any]) -> None:
    assert normalise(case["input"]).text == case["expected"]


def test_golden_files_hold_enough_cases() -> None:
    total = sum(len(_cases(name)) for name in ("fixes", "must_not_change", "known_failures"))
    assert total >= 40
    fired = {rule for case in _cases("fixes") for rule in case["rules"]}
    assert fired == set(RULES)


SEED_EXPLANATION = """\
site_category             [51, 65)  '5G Technology\\n' -> ''
site_boilerplate          [0, 20)  'Lost your password?\\n' -> ''
site_boilerplate          [20, 51)  "Don't have an account? Sign Up\\n" -> ''
generation_names          [144, 145)  ' ' -> ''
generation_names          [258, 259)  ' ' -> ''
generation_names          [684, 685)  ' ' -> ''
generation_names          [1769, 1770)  ' ' -> ''
generation_names          [1930, 1931)  ' ' -> ''
generation_names          [2134, 2135)  ' ' -> ''
generation_names          [2266, 2267)  ' ' -> ''
space_before_punct        [925, 926)  ' ' -> ''
space_after_open_bracket  [723, 724)  ' ' -> ''
space_after_open_bracket  [755, 756)  ' ' -> ''
line_edge_spaces          [1082, 1083)  '\\xa0' -> ''
blank_lines               [65, 66)  '\\n' -> ''
blank_lines               [1964, 1965)  '\\n' -> ''"""


def test_seed_article() -> None:
    raw = SEED.read_text(encoding="utf-8")
    n = normalise(raw)
    assert n.text.split("\n")[:5] == [
        "India and Japan finalize a historic agreement to strengthen collaboration on 5G tech",
        "",
        "India and Japan have finalized a groundbreaking cyber security agreement to strengthen "
        "collaboration on 5G technologies, artificial intelligence and vital information "
        "infrastructure, while the two regional allies are committed to further broadening their "
        "collaborative efforts to ensure a free and transparent Indo-Pacific.",
        "",
        "Following a meeting between foreign ministers of the two countries in Tokyo on "
        "Wednesday, the Ministry of External Affairs (MEA) said that the two sides had signed an "
        "agreement to foster collaboration in 5G technology, the Internet of Things (IoT), "
        "artificial intelligence (AI) and core areas of cyberspace, among others.",
    ]
    assert "from China, especially" in n.text
    assert "in eastern Ladakh.\n\nFollowing talks" in n.text
    assert "than the existing 4G LTE networks." in n.text
    assert "Foreign Ministers\u2019 Strategic Dialog" in n.text  # typographic apostrophes kept
    assert "\n\n\n" not in n.text and not n.text.endswith("\n")
    assert n.category == "5G Technology"
    assert n.title == n.text.split("\n")[0]
    assert n.explain() == SEED_EXPLANATION
    for edit in n.edits:
        assert raw[edit.raw_start : edit.raw_end] == edit.before
    assert normalise(n.text).edits == ()


def test_seed_spans_map_both_ways() -> None:
    raw = SEED.read_text(encoding="utf-8")
    n = normalise(raw)
    title = n.title
    assert title is not None
    start, end = n.to_raw(0, len(title))
    assert raw[start:end] == title.replace("5G", "5 G")
    iot = n.text.index("(IoT)")
    assert n.to_raw(iot, iot + 5) == (raw.index("( IoT)"), raw.index("( IoT)") + 6)
    assert n.to_raw(iot + 1, iot + 4) == (raw.index("IoT)"), raw.index("IoT)") + 3)
    category = raw.index("5G Technology")
    with pytest.raises(SpanRemovedError) as info:
        n.to_normalised(category, category + len("5G Technology"))
    assert str(info.value) == (
        "E211 span [51, 64) of the raw text lies entirely in text removed by normalisation, so "
        "it has no counterpart. Anchor the annotation to text that survives normalisation."
    )
    china = raw.index("China ,")
    assert n.to_normalised(china, china + 7) == (n.text.index("China,"), n.text.index("China,") + 6)


def test_default_rule_names_are_stable() -> None:
    # Project configs and explanations name rules: renaming one is a breaking change.
    assert DEFAULT_RULES == (
        "strip_bom_and_zero_width",
        "line_endings",
        "unicode_nfc",
        "site_category",
        "site_boilerplate",
        "generation_names",
        "space_before_punct",
        "comma_space_swap",
        "space_after_open_bracket",
        "line_edge_spaces",
        "collapse_spaces",
        "unicode_spaces",
        "blank_lines",
    )
    assert set(RULES) == set(DEFAULT_RULES)


@pytest.mark.parametrize("name", DEFAULT_RULES)
def test_every_rule_says_what_it_fixes_and_never_touches(name: str) -> None:
    doc = RULES[name].__doc__ or ""
    assert "Never" in doc and len(doc.split("\n\n")[0]) > 40


def test_unknown_rule_is_e002_listing_the_allowed_names() -> None:
    with pytest.raises(NewscorpusError) as info:
        normalise("text", ["unicode_nfc", "fix_everything"])
    assert info.value.code == "E002"
    assert str(info.value) == (
        "E002 unknown normalise rule 'fix_everything'; allowed rules: strip_bom_and_zero_width, "
        "line_endings, unicode_nfc, site_category, site_boilerplate, generation_names, "
        "space_before_punct, comma_space_swap, space_after_open_bracket, line_edge_spaces, "
        "collapse_spaces, "
        "unicode_spaces, blank_lines. Fix `rules` in the [tool.newscorpus.normalise] table of "
        "pyproject.toml, or remove the key for the default rules."
    )


def test_rules_run_in_the_given_order_and_only_those() -> None:
    raw = "5 G ( IoT)\n\n\n"
    assert normalise(raw, ["generation_names"]).text == "5G ( IoT)\n\n\n"
    assert normalise(raw, []).text == raw
    assert normalise(raw, []).edits == ()
    assert normalise(raw, ("blank_lines", "space_after_open_bracket")).text == "5 G (IoT)"


def test_category_needs_the_default_site_rule() -> None:
    raw = "Sign in\nWorld\n\nHeadline\n\nBody."
    assert normalise(raw).category == "World"
    n = normalise(raw, [r for r in DEFAULT_RULES if r != "site_category"])
    assert n.category is None
    assert n.text == "World\n\nHeadline\n\nBody."


def test_site_category_cannot_fire_twice() -> None:
    once = normalise("Sign in\nWorld\n\nHeadline\n\nBody.", ["site_category"])
    assert once.text == "Sign in\n\nHeadline\n\nBody."
    assert normalise(once.text, ["site_category"]).edits == ()


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Headline\n\nBody.", "Headline"),
        ("Only one paragraph.", None),
        ("Headline\n\n", None),
        ("Two lines\nof a paragraph\n\nBody.", None),
        ("H" * 300 + "\n\nBody.", "H" * 300),
        ("H" * 301 + "\n\nBody.", None),
        ("", None),
    ],
)
def test_title(text: str, title: str | None) -> None:
    assert normalise(text, []).title == title


def test_explain_and_edit_dict() -> None:
    n = normalise("China ,\u00a0x")
    assert n.explain() == (
        "space_before_punct  [5, 6)  ' ' -> ''\nunicode_spaces      [7, 8)  '\\xa0' -> ' '"
    )
    assert n.edits[0] == Edit("space_before_punct", 5, 6, " ", "")
    assert n.edits[0].to_dict() == {
        "rule": "space_before_punct",
        "raw_start": 5,
        "raw_end": 6,
        "before": " ",
        "after": "",
    }
    assert normalise("clean").explain() == ""


def test_edit_on_text_an_earlier_rule_changed_keeps_the_raw_span() -> None:
    # A lone CR becomes LF, then the LF goes as part of a run of blank lines: the second edit's
    # `before` is the LF it removed, its raw span is the CR.
    n = normalise("a\r\r\rb")
    assert n.text == "a\n\nb"
    assert n.edits[-1] == Edit("blank_lines", 2, 3, "\n", "")
    assert n.raw[2:3] == "\r"


def test_annotations_move_through_the_raw_text_when_rules_change() -> None:
    raw = "Sign in\nWorld\n\nTalks on 5 G ( IoT) in Tokyo ,\u00a0Japan.\n"
    old = normalise(raw, ["site_boilerplate", "blank_lines"])
    new = normalise(raw)
    assert old.text == "World\n\nTalks on 5 G ( IoT) in Tokyo ,\u00a0Japan."
    assert new.text == "Talks on 5G (IoT) in Tokyo, Japan."
    old_to_new = old.alignment.inverse().compose(new.alignment)
    words = ("5 G", "IoT", "Tokyo", "Japan", "Talks on 5 G")
    spans = {word: (old.text.index(word), old.text.index(word) + len(word)) for word in words}
    moved = {word: new.text[slice(*old_to_new.to_dst(*span))] for word, span in spans.items()}
    assert moved == {
        "5 G": "5G",
        "IoT": "IoT",
        "Tokyo": "Tokyo",
        "Japan": "Japan",
        "Talks on 5 G": "Talks on 5G",
    }
    with pytest.raises(SpanRemovedError):
        old_to_new.to_dst(0, len("World"))  # the category line the new rules remove


def test_span_outside_the_text_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^span \[0, 99\) is not within a text of length 2$"):
        normalise("ab").to_raw(0, 99)


# --- properties ---------------------------------------------------------------------------------

WORDS = [
    "India",
    "Japan",
    "signed",
    "a",
    "deal",
    "on",
    "networks",
    "caf\u00e9",
    "India\u2019s",
    "\u201cfree\u201d",
    "U.S.",
    "3.5",
    "GHz",
    "5G",
    "(MEA)",
    "...",
    "2020,",
]
ARTEFACTS = [
    "5 G",
    "4 G LTE",
    "China ,",
    "IoT )",
    "( IoT)",
    "( AI)",
    "word .",
    "\u00a0",
    "\u2009",
    "\t",
    "  ",
    "\r\n",
    "\r",
    "\n\n\n",
    " \n",
    "\ufeff",
    "\u200b",
    "x\u200b",
    "\nLost your password?\n",
    "\nSign in\n",
    "cafe\u0301",
    "e\u0301te\u0301",
    "A\u030a",
]
HEADER = "Lost your password?\nDon't have an account? Sign Up\n5G Technology\n\n"

articles = st.builds(
    lambda header, parts: header + "".join(word + sep for word, sep in parts),
    st.sampled_from(["", HEADER, "\ufeff" + HEADER.replace("\n", "\r\n")]),
    st.lists(
        st.tuples(st.sampled_from(WORDS + ARTEFACTS), st.sampled_from([" ", " ", "\n", "\n\n"])),
        max_size=30,
    ),
)
# Dense, adversarial text: the characters every rule looks at, in any order.
chaos = st.text(
    alphabet=st.sampled_from(
        [*"5G2g ,.;:?!()[]ab\n\r\t'", "\u00a0", "\u200b", "\ufeff", "\u0301", "\u2019", "\u3000"]
    ),
    max_size=40,
)
PROPERTY = settings(max_examples=150, deadline=None)


def _squash(text: str) -> str:
    """The text without white space and invisible characters, composed: what rules never change."""
    return unicodedata.normalize("NFC", re.sub(r"[\s\ufeff\u200b\u2060]", "", text))


def _unchanged_text_agrees(n: Normalised) -> None:
    """Between the alignment's blocks the raw and the normalised text are equal."""
    prev_src = prev_dst = 0
    for a, b, c, d in (*n.alignment.blocks, (len(n.raw), 0, len(n.text), 0)):
        assert n.raw[prev_src:a] == n.text[prev_dst:c]
        prev_src, prev_dst = b, d
    assert (n.alignment.src_len, n.alignment.dst_len) == (len(n.raw), len(n.text))


@PROPERTY
@given(st.one_of(articles, chaos))
def test_idempotent_and_every_edit_changes_something(raw: str) -> None:
    n = normalise(raw)
    assert all(edit.before != edit.after for edit in n.edits)
    text = n.text
    again = normalise(text)
    assert again.text == text
    assert again.edits == ()


@PROPERTY
@given(st.one_of(articles, chaos))
def test_alignment_covers_every_change(raw: str) -> None:
    _unchanged_text_agrees(normalise(raw))


@PROPERTY
@given(articles)
def test_normalised_words_map_to_raw_and_back(raw: str) -> None:
    n = normalise(raw)
    for m in re.finditer(r"\S+", n.text):
        start, end = n.to_raw(m.start(), m.end())
        assert n.to_normalised(start, end) == (m.start(), m.end())
        assert _squash(raw[start:end]) == _squash(m.group())


@PROPERTY
@given(articles)
def test_raw_words_map_to_their_normalised_form(raw: str) -> None:
    n = normalise(raw)
    deleted = {i for e in n.edits if e.after == "" for i in range(e.raw_start, e.raw_end)}
    for m in re.finditer(r"\S+", raw):
        try:
            start, end = n.to_normalised(m.start(), m.end())
        except SpanRemovedError:
            # Only a word that edits removed whole (a site line, an invisible character).
            assert deleted.issuperset(range(m.start(), m.end()))
            continue
        expected = unicodedata.normalize("NFC", re.sub("[\ufeff\u200b\u2060]", "", m.group()))
        assert n.text[start:end] == expected
