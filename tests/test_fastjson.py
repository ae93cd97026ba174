"""fastjson gives what the json module gives, whichever of msgspec and json did the work."""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.fastjson import array_items, dumps_line, loads

#: Values of JSON's own types, with text from every plane (surrogates excluded: UTF-8 has none)
#: and integers past 64 bits (which orjson, unlike msgspec and json, reads as floats).
_TEXT = st.text(st.characters(exclude_categories=("Cs",)))
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300)
@given(_VALUES)
def test_dumps_line_writes_the_bytes_of_compact_json_dumps(value: Any) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert dumps_line(value) == expected
    assert loads(dumps_line(value)) == value
    assert loads(expected.decode("utf-8")) == value


@pytest.mark.parametrize(
    ("document", "value"),
    [('"\\ud800"', "\ud800"), ("[Infinity]", [math.inf])],  # msgspec refuses both
)
def test_loads_falls_back_to_json_where_msgspec_refuses(document: str, value: Any) -> None:
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(document)
    assert loads(document) == value


def test_loads_refuses_a_byte_order_mark_as_json_does() -> None:
    with pytest.raises(json.JSONDecodeError, match="Unexpected UTF-8 BOM"):
        loads('\ufeff{"a": 1}')


def test_loads_takes_nan_and_the_last_of_duplicate_keys_as_json_does() -> None:
    parsed = loads('{"a": 1, "a": [NaN]}')
    assert list(parsed) == ["a"]
    assert math.isnan(parsed["a"][0])


def test_loads_raises_json_s_own_error_with_line_and_column() -> None:
    with pytest.raises(json.JSONDecodeError) as raised:
        loads('{\n  "entities": [1,]\n}')
    assert str(raised.value) == "Expecting value: line 2 column 18 (char 19)"
    assert type(raised.value) is json.JSONDecodeError


def test_dumps_line_refuses_a_lone_surrogate_as_utf_8_does() -> None:
    with pytest.raises(UnicodeEncodeError, match="surrogates not allowed"):
        dumps_line({"id": "T\ud800"})


def test_loads_decodes_bytes_as_json_does() -> None:
    assert loads(b'"\xed\xa0\x80"') == "\ud800"  # json decodes with surrogatepass
    with pytest.raises(UnicodeDecodeError) as raised:
        loads(b'["ok", "\xff"]')
    assert raised.value.start == 8


def test_loads_raises_json_s_recursion_error() -> None:
    with pytest.raises(RecursionError, match="while decoding a JSON array"):
        loads("[" * 5000 + "]" * 5000)


@pytest.mark.parametrize("bad", [b"\xed\xa0\x80", b"\xff"])
def test_array_items_parses_each_item_as_utf_8_when_it_is_reached(bad: bytes) -> None:
    items = array_items(b'[{"a": "\xc3\xa9"}, "' + bad + b'"]')
    assert items is not None
    assert next(items) == {"a": "\u00e9"}
    # Not UTF-8, not even the surrogates json.loads(bytes) would read (surrogatepass).
    with pytest.raises(UnicodeDecodeError):
        next(items)


def test_array_items_leaves_what_is_not_an_array_to_the_caller() -> None:
    assert array_items(b'{"a": 1}') is None
    assert array_items(b"[1, \xff]") is None  # outside a string: a syntax error, read whole
