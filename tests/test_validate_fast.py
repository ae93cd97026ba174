"""The validator's fast path: the C decoder vouches for a file only when the careful parser agrees.

:func:`parse_clean` may answer for a file only if :func:`parse_annotation_bytes` parses it to
equal data without an issue; otherwise it must defer (None). The validator then gives the same
report either way: these tests compare it with the fast path switched off.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus import validate
from newscorpus.io import dumps_json
from newscorpus.project import load_project
from newscorpus.validate import validate_project
from newscorpus.validate_json import parse_annotation_bytes, parse_clean

SEED_ANN = "annotations/india-japan-5g-agreement.json"

#: Fragments of JSON and of what the careful parser reports: glued together at random they make
#: files that are valid, broken, or valid with a problem only the careful parser sees.
FRAGMENTS = [
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\n",
    '"a"',
    '"b"',
    '"a":1',
    '"a":1,"a":2',
    "0",
    "-1",
    "1.5e3",
    "1e400",
    "1" * 4400,
    "true",
    "null",
    "NaN",
    "Infinity",
    "-Infinity",
    '"\\ud800"',
    '"\\udc00"',
    '"\\ud83d\\ude00"',
    '"\\\\ud800"',
    '"\\u00e9"',
    '"\u00e9"',
    "\ufeff",
    "\x00",
    '"\t"',
    "[" * 40 + "]" * 40,
    "[" * 400 + "]" * 400,
]


def careful(data: bytes) -> tuple[bool, Any, tuple[Any, ...]]:
    parsed = parse_annotation_bytes(data, "x.json")
    return parsed.ok, parsed.data, parsed.issues


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(FRAGMENTS), max_size=12))
def test_fast_parse_only_vouches_for_what_the_careful_parser_accepts(parts: list[str]) -> None:
    data = "".join(parts).encode("utf-8")
    clean = parse_clean(data)
    if clean is not None:
        assert careful(data) == (True, clean.data, ())


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=60))
def test_fast_parse_of_random_bytes(data: bytes) -> None:
    clean = parse_clean(data)
    if clean is not None:
        assert careful(data) == (True, clean.data, ())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"a": 1, "a": 2}', "repeated key"),
        ('{"a": NaN}', "NaN"),
        ('{"a": -Infinity}', "Infinity"),
        ('{"a": "\\ud800"}', "lone surrogate"),
        ('{"a": ' + "9" * 5000 + "}", "number too long"),
        ("\ufeff{}", "byte order mark"),
        ('{"a": ' + "[" * 200 + "]" * 200 + "}", "deep nesting"),
        ("", "empty"),
        ('{"a": 1,}', "syntax error"),
    ],
)
def test_fast_parse_defers(text: str, reason: str) -> None:
    assert parse_clean(text.encode("utf-8")) is None, reason


def test_fast_parse_of_a_valid_file(seed_project: Path) -> None:
    data = (seed_project / SEED_ANN).read_bytes()
    clean = parse_clean(data)
    assert clean is not None
    assert clean.data == json.loads(data)
    assert careful(data) == (True, clean.data, ())


def _variants() -> list[tuple[str, Any]]:
    """Edits of the seed annotations: each gives the validator something to report, or not."""
    return [
        ("valid", lambda doc: None),
        ("bad label", lambda doc: doc["entities"][0].update(label="NOPE")),
        ("bad offsets", lambda doc: doc["entities"][1].update(start=-3)),
        ("stale hash", lambda doc: doc.update(text_sha256="0" * 64)),
        ("wrong id", lambda doc: doc.update(doc_id="other")),
        ("extra key", lambda doc: doc["entities"][0].update(note="checked")),
        ("deep extra key", lambda doc: doc["entities"][0].update(note=[[[[[["x"]]]]]])),
    ]


@pytest.mark.parametrize(("name", "edit"), _variants(), ids=[n for n, _ in _variants()])
def test_report_is_the_same_without_the_fast_path(
    seed_project: Path, monkeypatch: pytest.MonkeyPatch, name: str, edit: Any
) -> None:
    path = seed_project / SEED_ANN
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(dumps_json(doc), encoding="utf-8")
    # An orphan file too, so E144 keeps its place among the file's other issues.
    shutil.copy(path, seed_project / "annotations" / "orphan.json")
    project = load_project(seed_project)
    fast = [i.render() for i in validate_project(project).issues]
    monkeypatch.setattr(validate, "parse_clean", lambda data: None)
    slow = [i.render() for i in validate_project(project).issues]
    assert fast == slow
    assert fast


@pytest.mark.parametrize(
    "text",
    ['{"doc_id": "x", "doc_id": "x"}', '{"a": NaN}', '{"a": "\\udc00"}', "[" * 500 + "]" * 500],
)
def test_careful_findings_survive(
    seed_project: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    (seed_project / SEED_ANN).write_text(text, encoding="utf-8")
    project = load_project(seed_project)
    fast = [i.render() for i in validate_project(project).issues]
    monkeypatch.setattr(validate, "parse_clean", lambda data: None)
    assert fast == [i.render() for i in validate_project(project).issues]
    assert any(": E103 " in line or ": E104 " in line for line in fast)
