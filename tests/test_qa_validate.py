"""QA: the seed's annotation file corrupted in many ways, each reported with its code and file.

Every case copies the repository's corpus project, damages
``annotations/india-japan-5g-agreement.json`` (or puts something odd next to it), and runs
``validate``, ``build`` and ``preannotate`` as a user would. ``validate`` must print the exact
report and exit 1 (0 for what is allowed), ``build`` must refuse with E301 while errors exist,
``preannotate`` must refuse with E122 instead of crashing or rewriting the file, and no command
may change a file. The checks run as root in CI too, where ``chmod 000`` does not stop a read,
so unreadable files are covered by folders, links and pipes instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import tree
from newscorpus.cli import main

DOC = "india-japan-5g-agreement"
ANN = f"annotations/{DOC}.json"
Mutation = Callable[[Path], None]


def run(root: Path, *args: str) -> tuple[int, str, str]:
    before = tree(root)
    result = CliRunner().invoke(main, ["--root", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code != 0:
        assert tree(root) == before, args
    return result.exit_code, result.stdout, result.stderr


# --- the corruptions --------------------------------------------------------------------------


def _bytes(make: Callable[[bytes], bytes]) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / ANN
        path.write_bytes(make(path.read_bytes()))

    return mutate


def _json(edit: Callable[[dict[str, Any]], object]) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / ANN
        data = json.loads(path.read_bytes())
        edit(data)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    return mutate


def _entity(index: int, **values: object) -> Mutation:
    return _json(lambda d: d["entities"][index].update(values))


def _relation(index: int, **values: object) -> Mutation:
    return _json(lambda d: d["relations"][index].update(values))


def _replace(old: bytes, new: bytes) -> Mutation:
    def make(data: bytes) -> bytes:
        assert old in data
        return data.replace(old, new, 1)

    return _bytes(make)


def _mirror(data: dict[str, Any]) -> None:
    first = next(r for r in data["relations"] if r["label"] == "agreement_with")
    data["relations"].append({**first, "id": "R99", "head": first["tail"], "tail": first["head"]})


def _renamed(root: Path) -> None:
    (root / ANN).rename(root / "annotations" / "india-japan.json")


def _replaced_by(make: Callable[[Path], None]) -> Mutation:
    def mutate(root: Path) -> None:
        (root / ANN).unlink()
        make(root / ANN)

    return mutate


def _beside(name: str, make: Callable[[Path], None]) -> Mutation:
    return lambda root: make(root / "annotations" / name)


def _link_loop(path: Path) -> None:
    path.symlink_to(path.name)


def _dangling(path: Path) -> None:
    path.symlink_to("gone.json")


def _huge(data: dict[str, Any]) -> None:
    data["padding"] = "x" * 50_000_000


_LOC = f"{ANN}:5:5"  # where T1, the first entity, starts
_SYNTAX = "Fix the JSON syntax at that line and column."
_NOT_A_FILE = "not an annotation file. Replace it with the annotation JSON file, or remove it."
_NO_ANNOTATIONS = (
    f"corpus/{DOC}: W102 article {DOC} has no annotation file ({ANN}). Annotate it, or remove "
    "the article from the corpus."
)

#: id -> (corruption, the exact lines `validate` prints; None for the allowed ones)
CASES: dict[str, tuple[Mutation, list[str] | None]] = {
    "truncated": (
        _bytes(lambda b: b[: len(b) // 2]),
        [
            f"{ANN}:480:5: E103 is not valid JSON: Expecting property name enclosed in double "
            f"quotes. {_SYNTAX}"
        ],
    ),
    "trailing-comma": (
        _replace(b'"gold"\n    }\n  ],', b'"gold"\n    },\n  ],'),
        [f"{ANN}:717:3: E103 is not valid JSON: Expecting value. {_SYNTAX}"],
    ),
    "empty": (
        _bytes(lambda b: b""),
        [
            f'{ANN}: E103 is empty; an annotation file holds one JSON object. Write {{"doc_id": '
            '..., "text_sha256": ..., "entities": [], "relations": []}.'
        ],
    ),
    "byte-order-mark": (
        _bytes(lambda b: b"\xef\xbb\xbf" + b),
        [
            f"{ANN}:1:1: E103 starts with a byte order mark (U+FEFF), which JSON does not allow. "
            "Save the file as UTF-8 without a BOM."
        ],
    ),
    "utf-16": (
        _bytes(lambda b: b.decode("utf-8").encode("utf-16")),
        [
            f"{ANN}: E101 is encoded as UTF-16; annotation files must be UTF-8. Convert it, e.g. "
            "`iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8`, and save it as UTF-8."
        ],
    ),
    "nul-byte": (
        _bytes(lambda b: b[:100] + b"\x00" + b[100:]),
        [
            f"{ANN}:3:59: E102 contains a NUL byte (at byte offset 100), so it is binary data, "
            "not JSON text. Replace it with the annotation JSON (restore it from version control)."
        ],
    ),
    "cp1252": (
        _replace("\u2019".encode(), b"\x92"),
        [
            f"{ANN}:418:50: E101 is not valid UTF-8 (byte 0x92 at byte offset 7696). Save the file "
            "as UTF-8 (`iconv -f WINDOWS-1252 -t UTF-8`, with its real encoding)."
        ],
    ),
    "array-at-top": (
        _bytes(lambda b: b"[" + b + b"]"),
        [
            f"{ANN}: E106 holds an array; an annotation file holds one JSON object. Write "
            '{"doc_id": ..., "text_sha256": ..., "entities": [...], "relations": [...]}.'
        ],
    ),
    "two-objects": (
        _bytes(lambda b: b + b),
        [f"{ANN}:966:1: E103 is not valid JSON: Extra data. {_SYNTAX}"],
    ),
    "comment": (
        _bytes(lambda b: b"// checked\n" + b),
        [f"{ANN}:1:1: E103 is not valid JSON: Expecting value. {_SYNTAX}"],
    ),
    "duplicate-key": (
        _replace(b'"label": "GPE"', b'"label": "ORG", "label": "GPE"'),
        [
            f'{_LOC}: E104 an object repeats the key "label"; JSON readers keep only the last '
            "value. Keep one of the two values."
        ],
    ),
    "no-relations-key": (
        _json(lambda d: d.pop("relations")),
        [
            f'{ANN}:1:1: E105 has no "relations"; an annotation file needs doc_id, text_sha256, '
            "entities, relations. Add it."
        ],
    ),
    "entity-without-end": (
        _json(lambda d: d["entities"][0].pop("end")),
        [f'{_LOC}: E105 T1 has no "end"; an entity needs id, start, end, label, text. Add it.'],
    ),
    "label-lowercase": (
        _entity(0, label="gpe"),
        [
            f'{_LOC}: E109 T1 label is "gpe"; allowed: PERSON, ORG, GPE, LOC, TECHNOLOGY, EVENT, '
            "INITIATIVE, NORP. Use one of the schema's entity labels, or declare this one in "
            "schema.yaml."
        ],
    ),
    "offset-float": (
        _entity(0, end=5.0),
        [
            f"{_LOC}: E106 T1 end is 5.0 (a number with a fraction); it must be an integer. "
            "Write a whole number without quotes."
        ],
    ),
    "offset-string": (
        _entity(0, start="0"),
        [
            f'{_LOC}: E106 T1 start is "0" (a string); it must be an integer. Write a whole '
            "number without quotes."
        ],
    ),
    "offset-huge": (
        _entity(0, end=10**40),
        [
            f"{_LOC}: E112 T1 span [0, 10000000000000000000000000000000000000000) ends past the "
            "end of the text (4563 characters). Fix the offsets; if the text changed, re-anchor "
            "the annotations."
        ],
    ),
    "offset-5000-digits": (
        _replace(b'"end": 5,', b'"end": ' + b"9" * 5000 + b","),
        [
            f"{ANN}: E103 holds a number with 5000 digits, too long to read. Offsets are small "
            "integers: fix it."
        ],
    ),
    "offset-negative": (
        _entity(0, start=-1),
        [
            f"{_LOC}: E111 T1 offsets [-1, 5) are negative. Offsets count characters of "
            "text.txt from 0: fix them."
        ],
    ),
    "nan": (
        _replace(b'"end": 5,', b'"end": NaN,'),
        [
            f"{ANN}: E103 contains NaN, which is not valid JSON. Write a number (offsets are "
            "integers) or null.",
            f"{_LOC}: E106 T1 end is nan (a number with a fraction); it must be an integer. Write "
            "a whole number without quotes.",
        ],
    ),
    "lone-surrogate": (
        _replace(b'"text": "India"', b'"text": "Ind\\ud800ia"'),
        [
            f'{_LOC}: E113 T1 text is "Ind\\ud800ia" but the text at [0, 5) is "India". Fix the '
            'offsets, or set text to "India".',
            f"{ANN}:10:19: E103 holds a \\u escape of half a surrogate pair, which no UTF-8 file "
            "can store. Write the character itself, or both halves of the pair.",
        ],
    ),
    "text-one-char-off": (
        _entity(0, text="Indie"),
        [
            f'{_LOC}: E113 T1 text is "Indie" but the text at [0, 5) is "India". Fix the offsets, '
            'or set text to "India".'
        ],
    ),
    "offsets-one-off": (
        _entity(2, start=78, end=80),
        [
            f'{ANN}:21:5: E113 T3 text is "5G" but the text at [78, 80) is "G ". "5G" occurs at '
            '[77, 79): move the offsets there, or set text to "G ".',
            f'{ANN}:21:5: E114 T3 span [78, 80) "G " ends with whitespace " ". Trim it to [78, 79) '
            '"G".',
        ],
    ),
    "whitespace-at-edge": (
        _entity(0, end=6, text="India "),
        [
            f'{_LOC}: E114 T1 span [0, 6) "India " ends with whitespace " ". Trim it to [0, 5) '
            '"India".'
        ],
    ),
    "crossing-spans": (
        _json(
            lambda d: d["entities"].append(
                {"id": "T99", "start": 3, "end": 12, "label": "GPE", "text": "ia and Ja"}
            )
        ),
        [
            f'{ANN}:13:5: E118 T2 span [10, 15) "Japan" crosses T99 [3, 12) "ia and Ja"; spans '
            "may nest (overlap: nested) but not cross. Shorten one so that it lies inside the "
            "other, or remove one.",
            f'{ANN}:717:5: W101 T99 span [3, 12) "ia and Ja" cuts a word: the text around it reads '
            '"India and Japan". Extend it to [0, 15), or leave it if the mention really is part '
            "of a word.",
            f'{ANN}:717:5: E118 T99 span [3, 12) "ia and Ja" crosses T1 [0, 5) "India"; spans may '
            "nest (overlap: nested) but not cross. Shorten one so that it lies inside the other, "
            "or remove one.",
        ],
    ),
    "relation-to-missing-id": (
        _relation(0, tail="T999"),
        [
            f"{ANN}:719:5: E119 R1 tail T999 is not an entity id of this file. Point it at an "
            "entity of this file, or remove the relation."
        ],
    ),
    "self-relation": (
        _relation(0, tail="T1"),
        [
            f"{ANN}:719:5: E140 R1 head and tail are both T1; a relation links two different "
            "entities. Point one side at the other entity, or remove the relation."
        ],
    ),
    "mirrored-symmetric": (
        _json(_mirror),
        [
            f"{ANN}:964:5: E142 R99 mirrors R1 (agreement_with T1 <-> T2); agreement_with is "
            "symmetric, so both say the same. Remove R99."
        ],
    ),
    "stale-text-sha256": (
        _json(lambda d: d.update(text_sha256="0" * 64)),
        [
            f"{ANN}:1:1: E143 text_sha256 is 000000000000... but the article's text hashes to "
            "5563a3821b03...: the annotations were made on another version of the text (stale "
            "annotations; their offsets were not checked against this text). "
            f"Move them onto the current text with `newscorpus reanchor {DOC}`, or "
            "re-annotate the article; do not just copy the new hash."
        ],
    ),
    "doc-id-mismatch": (
        _json(lambda d: d.update(doc_id="india-japan")),
        [
            f'{ANN}:1:1: E108 doc_id is "india-japan" but the file is named {DOC}.json; the file '
            f'name is the document id. Set doc_id to "{DOC}", or rename the file to '
            "india-japan.json."
        ],
    ),
    "renamed-file": (
        _renamed,
        [
            "annotations/india-japan.json: E144 there is no article india-japan in the corpus "
            "(corpus/india-japan/ is missing); the file name is the document id. Add the article "
            "with `newscorpus add`, rename the file after its article, or delete it.",
            f'annotations/india-japan.json:1:1: E108 doc_id is "{DOC}" but the file is named '
            'india-japan.json; the file name is the document id. Set doc_id to "india-japan", or '
            f"rename the file to {DOC}.json.",
            _NO_ANNOTATIONS,
        ],
    ),
    "deep-nesting": (
        _replace(b'"doc_id"', b'"x": ' + b"[" * 100_000 + b"]" * 100_000 + b', "doc_id"'),
        [
            f"{ANN}: E103 nests arrays or objects too deeply to read. An annotation file nests "
            "three levels: document, entity list, entity."
        ],
    ),
    "file-is-a-directory": (
        _replaced_by(Path.mkdir),
        [f"{ANN}: E101 is a directory, {_NOT_A_FILE}"],
    ),
    "file-is-a-link-loop": (
        _replaced_by(_link_loop),
        [f"{ANN}: E101 is a broken symbolic link (or a symbolic link loop), {_NOT_A_FILE}"],
    ),
    "directory-named-x.json": (
        _beside("x.json", Path.mkdir),
        [f"annotations/x.json: E101 is a directory, {_NOT_A_FILE}"],
    ),
    "dangling-link-beside": (
        _beside("y.json", _dangling),
        [
            f"annotations/y.json: E101 is a broken symbolic link (or a symbolic link loop), "
            f"{_NOT_A_FILE}"
        ],
    ),
    "pipe-beside": (
        _beside("pipe.json", lambda p: os.mkfifo(p)),  # reading it would block forever
        [f"annotations/pipe.json: E101 is a pipe, socket or device, {_NOT_A_FILE}"],
    ),
    # Allowed: unknown keys are kept, CRLF is JSON whitespace, size has no limit.
    "extra-top-level-keys": (_json(lambda d: d.update(comment="QA", reviewed=[1, 2])), None),
    "extra-entity-key": (_entity(0, note="checked"), None),
    "crlf": (_bytes(lambda b: b.replace(b"\n", b"\r\n")), None),
    "50-megabytes": (_json(_huge), None),
}


def _summary(lines: list[str]) -> str:
    """The summary line validate prints after ``lines``."""
    places = [line.split(": ", 1) for line in lines]
    errors = sum(rest.startswith("E") for _, rest in places)
    files = len({place.split(":", 1)[0] for place, _ in places})

    def count(n: int, noun: str) -> str:
        return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

    warnings = count(len(lines) - errors, "warning")
    return f"{count(errors, 'error')}, {warnings} in {count(files, 'file')}"


@pytest.mark.parametrize(("mutate", "expected"), CASES.values(), ids=CASES.keys())
def test_validate_reports_the_corruption_and_changes_nothing(
    seed_project: Path, mutate: Mutation, expected: list[str] | None
) -> None:
    mutate(seed_project)
    code, out, err = run(seed_project, "validate")
    assert err == ""
    if expected is None:
        assert (code, out) == (0, "ok: 1 annotation file, 1 article, no problems\n")
        return
    assert (code, out.splitlines()) == (1, [*expected, _summary(expected)])


#: Cases that leave the seed's own annotation file readable.
BESIDE_THE_FILE = {"renamed-file", "directory-named-x.json", "dangling-link-beside", "pipe-beside"}


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case[1] is not None])
def test_build_and_preannotate_refuse_while_errors_exist(seed_project: Path, name: str) -> None:
    mutate, expected = CASES[name]
    assert expected is not None
    mutate(seed_project)
    code, out, err = run(seed_project, "build")
    assert (code, out) == (1, "")
    errors = [line for line in expected if ": W" not in line]
    assert err.startswith(f"error: E301 the project has {len(errors)} validation error")
    assert f"\n  {errors[0]}\n" in err
    assert "Traceback" not in err
    code, out, err = run(seed_project, "preannotate", DOC)
    if name in BESIDE_THE_FILE:
        # The article's own file is fine (or absent): pre-annotating it is no harm.
        assert (code, err) == (0, "")
        return
    assert (code, out) == (1, "")
    assert err.startswith("error: ")
    assert "Traceback" not in err


def test_preannotate_names_the_unreadable_file(seed_project: Path) -> None:
    CASES["truncated"][0](seed_project)
    assert run(seed_project, "preannotate", "--all") == (
        1,
        "",
        f"error: {ANN}: E122 the existing annotations have 1 error(s), e.g. {ANN}:480:5: E103 "
        "is not valid JSON: Expecting property name enclosed in double quotes. "
        f"{_SYNTAX} Fix them (see `newscorpus validate`) before pre-annotating.\n",
    )


def test_preannotate_keeps_a_repeated_key_for_the_user_to_resolve(seed_project: Path) -> None:
    # It used to read the file with json.loads, which keeps the last value, and write it back:
    # the first "label" vanished without a word.
    CASES["duplicate-key"][0](seed_project)
    code, _, err = run(seed_project, "preannotate", DOC)
    assert code == 1
    assert err.startswith(f"error: {ANN}: E122 the existing annotations have 1 error(s), e.g. ")
    assert f'{_LOC}: E104 an object repeats the key "label"' in err


def test_json_format_names_code_file_and_place(seed_project: Path) -> None:
    CASES["file-is-a-directory"][0](seed_project)
    code, out, err = run(seed_project, "validate", "--format", "json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert (report["ok"], report["errors"], report["warnings"]) == (False, 1, 0)
    assert report["issues"][0] == {
        "code": "E101",
        "severity": "error",
        "path": ANN,
        "message": "is a directory, not an annotation file.",
        "fix": "Replace it with the annotation JSON file, or remove it.",
        "annotation_id": None,
        "line": None,
        "column": None,
    }
