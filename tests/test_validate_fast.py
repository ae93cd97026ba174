"""The validator's fast path: the C decoder vouches for a file only when the careful parser agrees.

:func:`parse_clean` may answer for a file only if :func:`parse_annotation_bytes` parses it to
equal data without an issue; otherwise it must defer (None). The validator then gives the same
report either way: these tests compare it with the fast path switched off.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus import validate_document, validate_file
from newscorpus.io import dumps_json
from newscorpus.project import load_project
from newscorpus.schema import Schema
from newscorpus.validate import validate_project
from newscorpus.validate_clean import is_clean
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
        ('{"a": "10:30", "b": [{"c": 1, "c": 2}]}', "repeated key, colon in a string"),
        ('{"a": [{"b": "x:y:z"}], "a": 2}', "repeated key, colons in a string"),
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


@pytest.mark.parametrize(
    "text",
    ['{"a": "10:30", "b": {"c": "::"}}', '{"a": [[{"b": 1}], {"c": {"d": []}}]}', '"x:y"', "[]"],
)
def test_fast_parse_accepts_colons_in_strings_and_nesting(text: str) -> None:
    clean = parse_clean(text.encode("utf-8"))
    assert clean is not None
    assert clean.data == json.loads(text)


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
    monkeypatch.setattr(validate_file, "parse_clean", lambda data: None)
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
    monkeypatch.setattr(validate_file, "parse_clean", lambda data: None)
    assert fast == [i.render() for i in validate_project(project).issues]
    assert any(": E103 " in line or ": E104 " in line for line in fast)


# --- documents: is_clean vouches only for what validate_document finds nothing in -----------

_SEED_TEXT = "corpus/india-japan-5g-agreement/text.txt"

#: Values that fields are set to at random: right and wrong types, known and unknown names.
FIELD_VALUES = st.one_of(
    st.integers(-3, 40),
    st.sampled_from(["", "e1", "e2", "r1", "ORG", "GPE", "NOPE", "gold", "rule", "x y", "I"]),
    st.sampled_from([None, True, 1.5, [], {}, [[["deep"]]]]),
)
ENTITY_KEYS = ["id", "start", "end", "label", "text", "source", "note"]
RELATION_KEYS = ["id", "head", "tail", "label", "source"]


@st.composite
def edited_documents(draw: st.DrawFn, seed: dict[str, Any], text: str) -> dict[str, Any]:
    """The seed's annotations with a few random edits: moved edges, copied, dropped or changed
    fields, repeated or removed entities and relations."""
    doc = json.loads(json.dumps(seed))
    for _ in range(draw(st.integers(0, 4))):
        layer = draw(st.sampled_from(["entities", "relations"]))
        items = doc[layer]
        if not items:
            continue
        i = draw(st.integers(0, len(items) - 1))
        action = draw(st.sampled_from(["edge", "field", "drop_key", "copy", "remove", "swap"]))
        item = items[i] if isinstance(items[i], dict) else {}
        if action == "edge" and layer == "entities":
            key = draw(st.sampled_from(["start", "end"]))
            if not isinstance(item.get(key), int):
                continue
            item[key] += draw(st.integers(-3, 3))
            start, end = item.get("start"), item.get("end")
            if draw(st.booleans()) and isinstance(start, int) and isinstance(end, int):
                item["text"] = text[max(start, 0) : max(end, 0)]
        elif action == "field":
            keys = ENTITY_KEYS if layer == "entities" else RELATION_KEYS
            item[draw(st.sampled_from(keys))] = draw(FIELD_VALUES)
        elif action == "drop_key" and item:
            del item[draw(st.sampled_from(sorted(item)))]
        elif action == "copy":
            items.append(json.loads(json.dumps(item)))
        elif action == "remove":
            del items[i]
        elif action == "swap" and layer == "relations":
            item["head"], item["tail"] = item.get("tail"), item.get("head")
        elif action in ("edge", "swap"):
            continue
        else:
            items[i] = draw(FIELD_VALUES)
    return doc


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_is_clean_only_vouches_for_documents_without_issues(data: st.DataObject) -> None:
    root = Path(__file__).resolve().parents[1]
    seed = json.loads((root / SEED_ANN).read_text(encoding="utf-8"))
    text = (root / _SEED_TEXT).read_text(encoding="utf-8")
    schema = Schema.load(root / "annotations" / "schema.yaml")
    doc = data.draw(edited_documents(seed, text))
    if is_clean(doc, schema, text, seed["doc_id"]):
        assert _full_check(doc, schema, text, seed["doc_id"]) == []


def test_is_clean_vouches_for_the_seed(seed_project: Path) -> None:
    doc = json.loads((seed_project / SEED_ANN).read_text(encoding="utf-8"))
    text = (seed_project / _SEED_TEXT).read_text(encoding="utf-8")
    schema = Schema.load(seed_project / "annotations" / "schema.yaml")
    assert is_clean(doc, schema, text, doc["doc_id"])
    assert not is_clean(doc, schema, text, "another-id")
    assert not is_clean(doc, schema, text + " ", doc["doc_id"])


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("nested in a crossing pair", lambda d: d["entities"].append({**d["entities"][0]})),
        ("overlap none", None),
        ("mirrored symmetric relation", None),
    ],
    ids=["identical span", "overlap none", "mirror"],
)
def test_is_clean_defers_on_overlaps_and_mirrors(seed_project: Path, name: str, edit: Any) -> None:
    doc = json.loads((seed_project / SEED_ANN).read_text(encoding="utf-8"))
    text = (seed_project / _SEED_TEXT).read_text(encoding="utf-8")
    schema = Schema.load(seed_project / "annotations" / "schema.yaml")
    if name == "overlap none":
        schema = dataclasses.replace(schema, overlap="none")
        assert _full_check(doc, schema, text, doc["doc_id"]), "the seed has nested spans"
    elif name == "mirrored symmetric relation":
        rel = next(r for r in doc["relations"] if schema.relation(r["label"]).symmetric)
        doc["relations"].append({**rel, "id": "mirror", "head": rel["tail"], "tail": rel["head"]})
    else:
        edit(doc)
        doc["entities"][-1]["id"] = "copy"
    assert _full_check(doc, schema, text, doc["doc_id"])
    assert not is_clean(doc, schema, text, doc["doc_id"])


def _full_check(doc: Any, schema: Schema, text: str, doc_id: str) -> list[str]:
    """What validate_document reports with its fast path off."""
    original = validate_document.is_clean
    validate_document.is_clean = lambda *args: False  # type: ignore[assignment]
    try:
        found = validate_document.validate_document(doc, schema, text, doc_id=doc_id)
        return [i.render() for i in found]
    finally:
        validate_document.is_clean = original
