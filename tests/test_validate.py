"""The validator: one case per issue code with its exact message, and fuzzing for robustness.

Each case builds a tiny corpus project (one short article, hand-checked gold annotations from
``tests/data/validate/``), breaks one thing, and compares every rendered issue verbatim. The
project's files must be byte-identical after validation.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import tree
from newscorpus.errors import CODES, UsageError
from newscorpus.io import dumps_json
from newscorpus.normalise import normalise
from newscorpus.project import load_project
from newscorpus.schema import Schema
from newscorpus.validate import Report, validate_project
from newscorpus.validate_document import validate_document
from newscorpus.validate_json import parse_annotation_bytes

FIXTURES = Path(__file__).parent / "data" / "validate"
DOC = "india-japan"
ANN = f"annotations/{DOC}.json"
REPO_SCHEMA = Path(__file__).resolve().parent.parent / "annotations" / "schema.yaml"


def add_article(root: Path, doc_id: str = DOC, raw: bytes | None = None) -> None:
    """Store an article as `newscorpus add` would: raw bytes, metadata, normalised text."""
    raw = (FIXTURES / "article.txt").read_bytes() if raw is None else raw
    folder = root / "corpus" / doc_id
    folder.mkdir(parents=True)
    (folder / "raw.txt").write_bytes(raw)
    meta = {
        "id": doc_id,
        "source_file": None,
        "title": None,
        "category": None,
        "url": None,
        "published": None,
        "language": "en",
        "license": "unknown",
        "raw_sha256": hashlib.sha256(raw).hexdigest(),
    }
    (folder / "meta.json").write_text(dumps_json(meta), encoding="utf-8")
    text = normalise(raw.decode("utf-8")).text
    (folder / "text.txt").write_bytes(text.encode("utf-8"))


def base_doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "annotations.json").read_text(encoding="utf-8"))
    return data


def write_doc(root: Path, doc: Any, name: str = DOC) -> None:
    (root / "annotations" / f"{name}.json").write_text(dumps_json(doc), encoding="utf-8")


@pytest.fixture
def project(empty_project: Path) -> Path:
    """An empty project plus the test article and its valid gold annotations."""
    add_article(empty_project)
    write_doc(empty_project, base_doc())
    return empty_project


def check(root: Path, paths: list[Path] | None = None) -> Report:
    """Validate ``root`` and prove that validation changed no file."""
    before = tree(root)
    report = validate_project(load_project(root), paths)
    assert tree(root) == before
    return report


def rendered(root: Path) -> list[str]:
    return [issue.render() for issue in check(root).issues]


def entity(doc: dict[str, Any], ident: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in doc["entities"] if e["id"] == ident)
    return found


def relation(doc: dict[str, Any], ident: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in doc["relations"] if r["id"] == ident)
    return found


# --- the clean project -----------------------------------------------------------------------


def test_a_clean_project_has_no_issues(project: Path) -> None:
    report = check(project)
    assert report.issues == ()
    assert report.ok(strict=True)
    assert report.summary() == "ok: 1 annotation file, 1 article, no problems"


def test_the_fixture_offsets_match_the_text(project: Path) -> None:
    """Guards the cases below: the gold fixture is right for the normalised article."""
    text = (project / "corpus" / DOC / "text.txt").read_text(encoding="utf-8")
    for e in base_doc()["entities"]:
        assert text[e["start"] : e["end"]] == e["text"]


# --- one case per code: break one thing, compare every message ---------------------------------

Mutation = Callable[[Path, dict[str, Any]], None]


def _raw_file(content: bytes) -> Mutation:
    def mutate(root: Path, doc: dict[str, Any]) -> None:
        (root / ANN).write_bytes(content)

    return mutate


def _e104(root: Path, doc: dict[str, Any]) -> None:
    text = dumps_json(doc).replace('"label": "GPE",', '"label": "GPE", "label": "GPE",', 1)
    (root / ANN).write_text(text, encoding="utf-8")


def _e105(root: Path, doc: dict[str, Any]) -> None:
    del doc["relations"]
    del entity(doc, "T1")["text"]
    del entity(doc, "T1")["label"]
    write_doc(root, doc)


def _e106(root: Path, doc: dict[str, Any]) -> None:
    entity(doc, "T1")["start"] = True
    entity(doc, "T2")["id"] = 7
    entity(doc, "T4")["end"] = 41.0
    doc["entities"][2] = "T3"
    write_doc(root, doc)


def _set(getter: Callable[[dict[str, Any]], dict[str, Any]], **values: Any) -> Mutation:
    def mutate(root: Path, doc: dict[str, Any]) -> None:
        getter(doc).update(values)
        write_doc(root, doc)

    return mutate


def _e111(root: Path, doc: dict[str, Any]) -> None:
    entity(doc, "T1")["start"] = -1
    entity(doc, "T2").update(start=15, end=10)
    entity(doc, "T3")["end"] = entity(doc, "T3")["start"]
    write_doc(root, doc)


def _e114(root: Path, doc: dict[str, Any]) -> None:
    entity(doc, "T9").update(end=entity(doc, "T9")["end"] + 1, text="Huawei ")
    entity(doc, "T8").update(start=entity(doc, "T8")["start"] - 1, text="(MEA")
    end = entity(doc, "T7")["end"]
    entity(doc, "T7").update(start=end, end=end + 1, text=" ")
    write_doc(root, doc)


def _e117(root: Path, doc: dict[str, Any]) -> None:
    doc["entities"].append(dict(entity(doc, "T4"), id="T10"))
    doc["entities"].append(dict(entity(doc, "T9"), id="T11", label="PERSON"))
    write_doc(root, doc)


def _e118(root: Path, doc: dict[str, Any]) -> None:
    start = entity(doc, "T7")["start"] + len("Ministry of ")
    end = entity(doc, "T8")["end"] + 1
    doc["entities"].append(
        {"id": "T10", "start": start, "end": end, "label": "ORG", "text": "External Affairs (MEA)"}
    )
    write_doc(root, doc)


def _e118_none(root: Path, doc: dict[str, Any]) -> None:
    schema = root / "annotations" / "schema.yaml"
    schema.write_text(
        schema.read_text(encoding="utf-8").replace("overlap: nested", "overlap: none"),
        encoding="utf-8",
    )
    start, end = entity(doc, "T7")["start"], entity(doc, "T8")["end"] + 1
    text = "Ministry of External Affairs (MEA)"
    doc["entities"].append({"id": "T10", "start": start, "end": end, "label": "ORG", "text": text})
    write_doc(root, doc)


def _e131(root: Path, doc: dict[str, Any]) -> None:
    relation(doc, "R2")["head"] = "T9"
    relation(doc, "R3")["tail"] = "T1"
    relation(doc, "R4")["tail"] = "T4"
    write_doc(root, doc)


def _e132(root: Path, doc: dict[str, Any]) -> None:
    doc["relations"].append({"id": "R5", "head": "T2", "tail": "T1", "label": "agreement_with"})
    doc["relations"].append(dict(relation(doc, "R2"), id="R6"))
    write_doc(root, doc)


def _e134(root: Path, doc: dict[str, Any]) -> None:
    write_doc(root, dict(doc, doc_id="ghost"), name="ghost")


def _w102(root: Path, doc: dict[str, Any]) -> None:
    (root / ANN).unlink()


def _e212(root: Path, doc: dict[str, Any]) -> None:
    (root / "corpus" / DOC / "text.txt").unlink()
    (root / "corpus" / "half-added").mkdir()
    (root / "corpus" / "half-added" / "raw.txt").write_text("Tokyo.", encoding="utf-8")


def _e214(root: Path, doc: dict[str, Any]) -> None:
    path = root / "corpus" / DOC / "text.txt"
    path.write_bytes(path.read_bytes().replace(b"Tokyo", b"Tokio"))


def _e215(root: Path, doc: dict[str, Any]) -> None:
    path = root / "corpus" / DOC / "raw.txt"
    path.write_bytes(path.read_bytes() + b"\n")


def _e216(root: Path, doc: dict[str, Any]) -> None:
    path = root / "corpus" / DOC / "meta.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(dumps_json(dict(meta, id="india-japan-5g")), encoding="utf-8")


def _e003(root: Path, doc: dict[str, Any]) -> None:
    (root / "annotations" / "schema.yaml").write_text("entities: [\n", encoding="utf-8")
    entity(doc, "T1")["label"] = "COUNTRY"
    write_doc(root, doc)


CASES: dict[str, tuple[Mutation, list[str]]] = {
    "E101": (
        _raw_file(b'{"doc_id": "caf\xe9"}\n'),
        [
            "annotations/india-japan.json:1:16: E101 is not valid UTF-8 (byte 0xe9 at byte "
            "offset 15). Save the file as UTF-8 (`iconv -f WINDOWS-1252 -t UTF-8`, with its real "
            "encoding).",
        ],
    ),
    "E102": (
        _raw_file(b'{"doc_id": "india-japan",\n "x": "\x00"}\n'),
        [
            "annotations/india-japan.json:2:8: E102 contains a NUL byte (at byte offset 33), so "
            "it is binary data, not JSON text. Replace it with the annotation JSON (restore it "
            "from version control).",
        ],
    ),
    "E103": (
        _raw_file(b'{"doc_id": "india-japan",\n  "entities": [}\n'),
        [
            "annotations/india-japan.json:2:16: E103 is not valid JSON: Expecting value. Fix the "
            "JSON syntax at that line and column.",
        ],
    ),
    "E104": (
        _e104,
        [
            'annotations/india-japan.json:5:5: E104 an object repeats the key "label"; JSON '
            "readers keep only the last value. Keep one of the two values.",
        ],
    ),
    "E105": (
        _e105,
        [
            'annotations/india-japan.json:1:1: E105 has no "relations"; an annotation file '
            "needs doc_id, text_sha256, entities, relations. Add it.",
            'annotations/india-japan.json:5:5: E105 T1 has no "label", "text"; an entity needs '
            "id, start, end, label, text. Add them.",
        ],
    ),
    "E106": (
        _e106,
        [
            'annotations/india-japan.json: E106 entities[2] is "T3" (a string); each entity must '
            "be a JSON object. Write the entity as an object with keys id, start, end, label, "
            "text.",
            "annotations/india-japan.json:5:5: E106 T1 start is true (a boolean); it must be an "
            "integer. Write a whole number without quotes.",
            "annotations/india-japan.json:13:5: E106 entities[1] id is 7 (an integer); it must "
            "be a non-empty string. Write it as a JSON string in double quotes.",
            "annotations/india-japan.json:22:5: E106 T4 end is 41.0 (a number with a fraction); "
            "it must be an integer. Write a whole number without quotes.",
            "annotations/india-japan.json:72:5: E119 R1 tail T2 is not an entity id of this "
            "file. Point it at an entity of this file, or remove the relation.",
            "annotations/india-japan.json:93:5: E119 R4 tail T3 is not an entity id of this "
            "file. Point it at an entity of this file, or remove the relation.",
        ],
    ),
    "E107": (
        _set(lambda d: entity(d, "T1"), source="human"),
        [
            'annotations/india-japan.json:5:5: E107 T1 source is "human"; allowed: gold, rule, '
            'model. Use "gold" for curated annotations, "rule" or "model" for automatic ones, or '
            "drop the key.",
        ],
    ),
    "E108": (
        _set(lambda d: d, doc_id="india-japan-5g"),
        [
            'annotations/india-japan.json:1:1: E108 doc_id is "india-japan-5g" but the file is '
            "named india-japan.json; the file name is the document id. Set doc_id to "
            '"india-japan", or rename the file to india-japan-5g.json.',
        ],
    ),
    "E109": (
        _set(lambda d: entity(d, "T1"), label="COUNTRY"),
        [
            'annotations/india-japan.json:5:5: E109 T1 label is "COUNTRY"; allowed: PERSON, ORG, '
            "GPE, LOC, TECHNOLOGY, EVENT, INITIATIVE, NORP. Use one of the schema's entity "
            "labels, or declare this one in schema.yaml.",
        ],
    ),
    "E110": (
        _set(lambda d: relation(d, "R1"), label="allied_with"),
        [
            'annotations/india-japan.json:79:5: E110 R1 label is "allied_with"; allowed: '
            "role_in, agreement_with, cooperates_on, restricts, based_in, located_in, "
            "participates_in, proposed, alias_of. Use one of the schema's relation labels, or "
            "declare this one in schema.yaml.",
        ],
    ),
    "E111": (
        _e111,
        [
            "annotations/india-japan.json:5:5: E111 T1 offsets [-1, 5) are negative. Offsets "
            "count characters of text.txt from 0: fix them.",
            "annotations/india-japan.json:13:5: E111 T2 offsets [15, 10) are reversed (start "
            "after end). Swap them: start 10, end 15.",
            "annotations/india-japan.json:21:5: E111 T3 span [25, 25) is empty. Set end after "
            "start to cover the mention, or remove the entity.",
        ],
    ),
    "E112": (
        _set(lambda d: entity(d, "T9"), end=500),
        [
            "annotations/india-japan.json:69:5: E112 T9 span [154, 500) ends past the end of the "
            "text (175 characters). Fix the offsets; if the text changed, re-anchor the "
            "annotations.",
        ],
    ),
    "E113": (
        _set(lambda d: entity(d, "T4"), text="Tokio"),
        [
            'annotations/india-japan.json:29:5: E113 T4 text is "Tokio" but the text at [36, 41) '
            'is "Tokyo". Fix the offsets, or set text to "Tokyo".',
        ],
    ),
    "E114": (
        _e114,
        [
            'annotations/india-japan.json:53:5: E114 T7 span [142, 143) " " holds only '
            "whitespace. Move it onto the mention, or remove the entity.",
            'annotations/india-japan.json:61:5: E114 T8 span [143, 147) "(MEA" starts with '
            'punctuation "(". Trim it to [144, 147) "MEA".',
            'annotations/india-japan.json:69:5: E114 T9 span [154, 161) "Huawei " ends with '
            'whitespace " ". Trim it to [154, 160) "Huawei".',
        ],
    ),
    "W101": (
        _set(lambda d: entity(d, "T1"), end=4, text="Indi"),
        [
            'annotations/india-japan.json:5:5: W101 T1 span [0, 4) "Indi" cuts a word: the text '
            'around it reads "India". Extend it to [0, 5), or leave it if the mention really is '
            "part of a word.",
        ],
    ),
    "E115": (
        _set(lambda d: entity(d, "T2"), id="T1"),
        [
            "annotations/india-japan.json:13:5: E115 T1 entities[1] reuses the id of "
            "entities[0]; ids must be unique within a file. Give one of them a new id and check "
            "which one the relations mean.",
            "annotations/india-japan.json:79:5: E119 R1 tail T2 is not an entity id of this "
            "file. Point it at an entity of this file, or remove the relation.",
        ],
    ),
    "E116": (
        _set(lambda d: relation(d, "R2"), id="R1"),
        [
            "annotations/india-japan.json:86:5: E116 R1 relations[1] reuses the id of "
            "relations[0]; ids must be unique within a file. Give one of them a new id.",
        ],
    ),
    "E117": (
        _e117,
        [
            'annotations/india-japan.json:77:5: E117 T10 has the same span [36, 41) "Tokyo" as '
            "T4 (GPE); a span takes one entity. Remove one of the two, keeping the right label.",
            'annotations/india-japan.json:85:5: E117 T11 has the same span [154, 160) "Huawei" '
            "as T9 (ORG); a span takes one entity. Remove one of the two, keeping the right "
            "label.",
        ],
    ),
    "E118": (
        _e118,
        [
            'annotations/india-japan.json:77:5: E118 T10 span [126, 148) "External Affairs '
            '(MEA)" crosses T7 [114, 142) "Ministry of External Affairs"; spans may nest '
            "(overlap: nested) but not cross. Shorten one so that it lies inside the other, or "
            "remove one.",
        ],
    ),
    "E118-none": (
        _e118_none,
        [
            'annotations/india-japan.json:53:5: E118 T7 span [114, 142) "Ministry of External '
            'Affairs" lies inside T10 [114, 148) "Ministry of External Affairs (MEA)"; the '
            "schema allows no overlapping spans (overlap: none). Shorten or remove one of them.",
            'annotations/india-japan.json:61:5: E118 T8 span [144, 147) "MEA" lies inside T10 '
            '[114, 148) "Ministry of External Affairs (MEA)"; the schema allows no overlapping '
            "spans (overlap: none). Shorten or remove one of them.",
        ],
    ),
    "E119": (
        _set(lambda d: relation(d, "R1"), tail="T99"),
        [
            "annotations/india-japan.json:79:5: E119 R1 tail T99 is not an entity id of this "
            "file. Point it at an entity of this file, or remove the relation.",
        ],
    ),
    "E140": (
        _set(lambda d: relation(d, "R1"), tail="T1"),
        [
            "annotations/india-japan.json:79:5: E140 R1 head and tail are both T1; a relation "
            "links two different entities. Point one side at the other entity, or remove the "
            "relation.",
        ],
    ),
    "E141": (
        _e131,
        [
            'annotations/india-japan.json:86:5: E141 R2 relation role_in has head T9 "Huawei" of '
            "type ORG; role_in needs a head of type PERSON. Change the head, or relabel T9.",
            'annotations/india-japan.json:93:5: E141 R3 relation alias_of has head T8 "MEA" of '
            'type ORG and tail T1 "India" of type GPE; alias_of needs a head and tail of the '
            "same type. Change an argument, or relabel T8 or T1.",
            "annotations/india-japan.json:100:5: E141 R4 relation cooperates_on has tail T4 "
            '"Tokyo" of type GPE; cooperates_on needs a tail of type TECHNOLOGY or INITIATIVE. '
            "Change the tail, or relabel T4.",
        ],
    ),
    "E142": (
        _e132,
        [
            "annotations/india-japan.json:107:5: E142 R5 mirrors R1 (agreement_with T1 <-> T2); "
            "agreement_with is symmetric, so both say the same. Remove R5.",
            "annotations/india-japan.json:113:5: E142 R6 repeats R2: both say role_in T5 -> T1. "
            "Remove R6.",
        ],
    ),
    "E143": (
        _set(lambda d: d, text_sha256="0" * 64),
        [
            "annotations/india-japan.json:1:1: E143 text_sha256 is 000000000000... but the "
            "article's text hashes to 4cc56fc4e81d...: the annotations were made on another "
            "version of the text (stale annotations; their offsets were not checked against this "
            "text). Move them onto the current text with "
            "`newscorpus reanchor india-japan`, or re-annotate the article; do not just copy "
            "the new hash.",
        ],
    ),
    "E144": (
        _e134,
        [
            "annotations/ghost.json: E144 there is no article ghost in the corpus (corpus/ghost/ "
            "is missing); the file name is the document id. Add the article with `newscorpus "
            "add`, rename the file after its article, or delete it.",
        ],
    ),
    "W102": (
        _w102,
        [
            "corpus/india-japan: W102 article india-japan has no annotation file "
            "(annotations/india-japan.json). Annotate it, or remove the article from the corpus.",
        ],
    ),
    "E212": (
        _e212,
        [
            "corpus/half-added: E212 corpus entry half-added has no meta.json, so every command "
            "skips it. Restore it from version control, or remove the folder and `newscorpus "
            "add` the article again.",
            "corpus/india-japan/text.txt: E212 text.txt is missing. Restore it from version "
            "control, or remove the folder and `newscorpus add` the article again.",
        ],
    ),
    "E214": (
        _e214,
        [
            "annotations/india-japan.json:1:1: E143 text_sha256 is 4cc56fc4e81d... but the "
            "article's text hashes to 0058e4a0b235...: the annotations were made on another "
            "version of the text (stale annotations; their offsets were not checked against this "
            "text). Move them onto the current text with "
            "`newscorpus reanchor india-japan`, or re-annotate the article; do not just copy "
            "the new hash.",
            "corpus/india-japan/text.txt: E214 text.txt differs from the normaliser's output for "
            'raw.txt from character 39: it has "io on Wednesday.\\n\\nForeign Mini" where the '
            'normaliser gives "yo on Wednesday.\\n\\nForeign Mini" (stale corpus). Regenerate it '
            "with `newscorpus renormalise` (it moves the annotations along); never edit "
            "text.txt by hand.",
        ],
    ),
    "E215": (
        _e215,
        [
            "corpus/india-japan/raw.txt: E215 raw.txt hashes to 5cbc99980615... but meta.json "
            "records raw_sha256 67f10d87444a...: the raw article was modified. Restore it "
            "(`git checkout -- corpus/india-japan/raw.txt`) and fix text problems with "
            "normaliser rules; for a deliberate correction, record it with `newscorpus "
            "renormalise --accept-raw-edits`.",
        ],
    ),
    "E216": (
        _e216,
        [
            'corpus/india-japan/meta.json: E216 id is "india-japan-5g" but the article\'s folder '
            'is named india-japan; the folder name is the document id. Set id to "india-japan".',
        ],
    ),
    "E003": (
        _e003,
        [
            "annotations/schema.yaml: E003 the schema is not valid YAML: while parsing a flow "
            "node expected the node content, but found '<stream end>' in \"<unicode string>\", "
            "line 2, column 1: ^. (Labels and relation signatures went unchecked.) Fix the YAML.",
        ],
    ),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_code_is_reported_with_its_exact_message(project: Path, code: str) -> None:
    mutate, expected = CASES[code]
    mutate(project, base_doc())
    assert rendered(project) == expected
    assert code.split("-")[0] in {line.split(": ")[1].split()[0] for line in expected}


def test_every_validator_code_has_a_case() -> None:
    # E120-E139 belong to pre-annotation and brat import; W170-W189 to `check` (test_check.py).
    mine = {c for c in CODES if re.fullmatch(r"E1[014]\d|W1\d\d|E21[4-6]", c)}
    mine -= {c for c in CODES if re.fullmatch(r"W1[78]\d", c)}
    tested = {code.split("-")[0] for code in CASES} | {"E145"}  # E145: a usage error, below
    assert mine - tested == set()


def test_the_report_sorts_by_file_then_position_and_counts(project: Path) -> None:
    _e132(project, base_doc())
    _e134(project, base_doc())
    _set(lambda d: entity(d, "T1"), end=4, text="Indi")(
        project, json.loads((project / ANN).read_text())
    )
    report = check(project)
    assert [(i.path, i.line, i.code) for i in report.issues] == [
        ("annotations/ghost.json", None, "E144"),
        (ANN, 5, "W101"),
        (ANN, 107, "E142"),
        (ANN, 113, "E142"),
    ]
    assert len(report.errors) == 3
    assert len(report.warnings) == 1
    assert not report.ok()
    assert report.summary() == "3 errors, 1 warning in 2 files"


def test_warnings_fail_only_when_strict(project: Path) -> None:
    _w102(project, base_doc())
    report = check(project)
    assert report.ok(strict=False)
    assert not report.ok(strict=True)
    assert report.summary() == "0 errors, 1 warning in 1 file"


# --- validating some files only ----------------------------------------------------------------


def test_paths_limit_the_check_to_those_files_and_their_articles(project: Path) -> None:
    _e134(project, base_doc())
    _e215(project, base_doc())
    ghost = project / "annotations" / "ghost.json"
    only_ghost = check(project, [ghost])
    assert [i.code for i in only_ghost.issues] == ["E144"]
    assert (only_ghost.annotation_files, only_ghost.articles) == (1, 0)
    both = check(project, [project / ANN, project / "annotations"])
    assert [i.code for i in both.issues] == ["E144", "E215"]
    assert (both.annotation_files, both.articles) == (2, 1)


def test_the_project_root_as_path_means_the_whole_project(project: Path) -> None:
    (project / ANN).unlink()
    assert [i.code for i in check(project, [project]).issues] == ["W102"]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "annotations/schema.yaml",
            "E145 {root}/annotations/schema.yaml is not an annotation file (*.json) or a folder "
            "of them. Pass annotation files or their folder (annotations/), or no path to "
            "validate the whole project.",
        ),
        (
            "corpus",
            "E145 {root}/corpus holds no annotation files (*.json). Pass annotation files or "
            "their folder (annotations/), or no path to validate the whole project.",
        ),
    ],
)
def test_a_path_that_is_no_annotation_file_is_a_usage_error(
    project: Path, given: str, message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        check(project, [project / given])
    assert caught.value.render() == message.format(root=project)
    assert caught.value.exit_code == 2


# --- one document, as the build and pre-annotation call it ------------------------------------


TEXT = 'The U.S. and "Quad" partners met Affairs (MEA) staff on .NET, India-backed Inc. deals.'


def edge_codes(fragment: str, occurrence: int = 0) -> list[str]:
    """Codes for one entity over ``fragment`` of TEXT, checked without a schema."""
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(fragment, start + 1)
    doc = {
        "doc_id": "d",
        "text_sha256": hashlib.sha256(TEXT.encode("utf-8")).hexdigest(),
        "entities": [
            {
                "id": "T1",
                "start": start,
                "end": start + len(fragment),
                "label": "X",
                "text": fragment,
            }
        ],
        "relations": [],
    }
    return [i.code for i in validate_document(doc, None, TEXT, "d.json", doc_id="d")]


@pytest.mark.parametrize(
    ("fragment", "codes"),
    [
        ("U.S.", []),  # an abbreviation keeps its final period
        ("Affairs (MEA)", []),  # brackets that pair up inside the span stay
        (".NET", []),  # a leading period before a word stays
        ('"Quad"', ["E114"]),  # quotes around the whole span do not
        ("Quad", []),
        ("(MEA)", ["E114"]),
        ("Inc.", []),  # a company suffix keeps its period (schema abbreviations)
        ("India", []),  # a hyphen is a word boundary
        ("India-backed", []),
        ("ndia", ["W101"]),
        ("partners ", ["E114"]),
        ("deals.", ["E114"]),
    ],
)
def test_span_edges(fragment: str, codes: list[str]) -> None:
    assert edge_codes(fragment) == codes


def test_validate_document_works_on_plain_dicts_without_places() -> None:
    schema = Schema.load(REPO_SCHEMA)
    doc = base_doc()
    entity(doc, "T1")["label"] = "COUNTRY"
    text = normalise((FIXTURES / "article.txt").read_text(encoding="utf-8")).text
    issues = validate_document(doc, schema, text, "annotations/x.json")
    assert [(i.code, i.annotation_id, i.line, i.column) for i in issues] == [
        ("E109", "T1", None, None)
    ]


def test_ids_that_cannot_be_printed_are_named_by_place() -> None:
    doc = base_doc()
    entity(doc, "T1")["id"] = "T1\n"
    entity(doc, "T2")["label"] = "\ud800"
    issues = validate_document(doc, Schema.load(REPO_SCHEMA), None, "x.json")
    assert [i.render() for i in issues if i.code == "E109"] == [
        'x.json: E109 T2 label is "\\ud800"; allowed: PERSON, ORG, GPE, LOC, TECHNOLOGY, EVENT, '
        "INITIATIVE, NORP. Use one of the schema's entity labels, or declare this one in "
        "schema.yaml."
    ]
    assert [i.annotation_id for i in issues if i.code == "E119"] == ["R1", "R2", "R4"]


# --- the repository's own corpus --------------------------------------------------------------


def test_the_seed_project_is_valid(seed_project: Path) -> None:
    report = check(seed_project)
    assert [i.render() for i in report.issues] == []
    assert report.articles >= 1


# --- robustness: no content makes the validator raise -------------------------------------------

SCHEMA = Schema.load(REPO_SCHEMA)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
IDS = st.sampled_from(["T1", "T2", "T3", "R1", ""]) | JSON
LABELS = st.sampled_from([*SCHEMA.entity_labels, *SCHEMA.relation_labels, "NOPE"]) | JSON
OFFSETS = st.integers(min_value=-2, max_value=40) | JSON
ENTITY = st.fixed_dictionaries(
    {"id": IDS, "start": OFFSETS, "end": OFFSETS, "label": LABELS, "text": JSON | st.text()},
    optional={"source": st.sampled_from(["gold", "rule", "human"]) | JSON},
)
RELATION = st.fixed_dictionaries({"id": IDS, "head": IDS, "tail": IDS, "label": LABELS})
SHAPED = st.fixed_dictionaries(
    {"doc_id": JSON, "text_sha256": JSON},
    optional={
        "entities": st.lists(ENTITY, max_size=6) | JSON,
        "relations": st.lists(RELATION, max_size=6) | JSON,
    },
)


def assert_well_formed(issues: list[Any]) -> None:
    assert issues, "a random document always has at least one problem"
    for found in issues:
        line = found.render()
        assert found.code in CODES
        assert line.isprintable(), line
        line.encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=200))
def test_random_bytes_never_raise(data: bytes) -> None:
    parsed = parse_annotation_bytes(data, "x.json")
    issues = list(parsed.issues)
    if parsed.ok:
        issues += validate_document(parsed.data, SCHEMA, "India and Japan", "x.json", doc_id="x")
    assert_well_formed(issues)


@settings(max_examples=150, deadline=None)
@given(data=JSON | SHAPED, text=st.text(max_size=40) | st.none())
def test_random_json_documents_never_raise(data: Any, text: str | None) -> None:
    assert_well_formed(validate_document(data, SCHEMA, text, "x.json", doc_id="x"))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=120) | SHAPED.map(lambda d: json.dumps(d).encode("utf-8")))
def test_random_annotation_files_in_a_project_never_raise(project: Path, content: bytes) -> None:
    (project / ANN).write_bytes(content)
    assert_well_formed(list(check(project).issues))


def test_a_corrupt_corpus_never_raises(project: Path) -> None:
    folder = project / "corpus" / DOC
    (folder / "meta.json").write_bytes(b"[1, 2]")
    (folder / "raw.txt").write_bytes(b"\xff\xfe\x00binary")
    (folder / "text.txt").write_bytes(b"\x80")
    shutil.copy(folder / "meta.json", project / ANN)
    restore = "Restore it from version control, or remove the folder and `newscorpus add` the "
    restore += "article again."
    assert rendered(project) == [
        f"{ANN}: E106 holds an array; an annotation file holds one JSON object. "
        'Write {"doc_id": ..., "text_sha256": ..., "entities": [...], "relations": [...]}.',
        f"corpus/{DOC}/meta.json: E212 meta.json holds an array, not an object. {restore}",
        f"corpus/{DOC}/raw.txt: E212 raw.txt is not valid UTF-8 (byte 0xff at byte offset 0). "
        + restore,
        f"corpus/{DOC}/text.txt: E212 text.txt is not valid UTF-8 (byte 0x80 at byte offset 0). "
        + restore,
    ]
