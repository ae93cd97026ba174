"""`newscorpus normalise`: the normalised text, its explanation and JSON, and refused inputs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SEEDS, make_project
from newscorpus.annotations import text_sha256
from newscorpus.cli import main
from newscorpus.normalise import normalise

SEED = SEEDS / "000_e9c3dbcb3b5f8d71.txt"
ARTICLE = "Sign in\nWorld\n\nHeadline on 5 G\n\nBody ( IoT) .\n"


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory that is not inside any corpus project, holding one article."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "article.txt").write_text(ARTICLE, encoding="utf-8")
    return tmp_path


def test_prints_the_normalised_text_outside_a_project(outside: Path) -> None:
    assert run("normalise", "article.txt") == (0, "Headline on 5G\n\nBody (IoT).", "")


def test_reads_stdin(outside: Path) -> None:
    expected = (0, "Headline on 5G\n\nBody (IoT).", "")
    assert run("normalise", "-", stdin=ARTICLE.encode()) == expected


def test_prints_what_add_stores(seed_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(seed_project)
    stored = next((seed_project / "corpus").glob("*/text.txt")).read_text(encoding="utf-8")
    code, out, err = run("normalise", str(SEED))
    assert (code, err) == (0, "")
    # Byte for byte, with no newline added: hashing the output gives the stored text's sha256.
    assert out == stored == normalise(SEED.read_text(encoding="utf-8")).text
    assert hashlib.sha256(out.encode()).hexdigest() == text_sha256(stored)


def test_explain(outside: Path) -> None:
    code, out, err = run("normalise", "--explain", "article.txt")
    assert (code, err) == (0, "")
    assert out == (
        "site_category             [8, 14)  'World\\n' -> ''\n"
        "site_boilerplate          [0, 8)  'Sign in\\n' -> ''\n"
        "generation_names          [28, 29)  ' ' -> ''\n"
        "space_before_punct        [43, 44)  ' ' -> ''\n"
        "space_after_open_bracket  [38, 39)  ' ' -> ''\n"
        "blank_lines               [14, 15)  '\\n' -> ''\n"
        "blank_lines               [45, 46)  '\\n' -> ''\n"
    )


def test_explain_prints_nothing_when_nothing_changes(outside: Path) -> None:
    assert run("normalise", "--explain", "-", stdin=b"Clean text.") == (0, "", "")


def test_json(outside: Path) -> None:
    code, out, err = run("normalise", "--format", "json", "article.txt")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["text", "title", "category", "edits", "alignment"]
    assert data["text"] == "Headline on 5G\n\nBody (IoT)."
    assert data["title"] == "Headline on 5G"
    assert data["category"] == "World"
    assert data["edits"][0] == {
        "rule": "site_category",
        "raw_start": 8,
        "raw_end": 14,
        "before": "World\n",
        "after": "",
    }
    assert data["alignment"] == [
        [0, 15, 0, 0],
        [28, 29, 13, 13],
        [38, 39, 22, 22],
        [43, 44, 26, 26],
        [45, 46, 27, 27],
    ]


def test_explain_and_json_do_not_mix(outside: Path) -> None:
    code, out, err = run("normalise", "--explain", "--format", "json", "article.txt")
    assert (code, out) == (2, "")
    assert err.endswith(
        "Error: --explain cannot be combined with --format json: the JSON already lists the "
        "edits.\n"
    )


def test_uses_the_project_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path / "proj")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as config:
        config.write('\n[tool.newscorpus.normalise]\nrules = ["generation_names"]\n')
    (project / "article.txt").write_text(ARTICLE, encoding="utf-8")
    expected = (0, "Sign in\nWorld\n\nHeadline on 5G\n\nBody ( IoT) .\n", "")
    assert run("--root", str(project), "normalise", str(project / "article.txt")) == expected
    monkeypatch.chdir(project)
    assert run("normalise", "article.txt") == expected


def test_unknown_project_rule_is_e002(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path / "proj")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as config:
        config.write('\n[tool.newscorpus.normalise]\nrules = ["bogus"]\n')
    monkeypatch.chdir(project)
    code, out, err = run("normalise", "-", stdin=b"text")
    assert (code, out) == (1, "")
    assert err.startswith("error: E002 unknown normalise rule 'bogus'; allowed rules: ")
    assert err.endswith("or remove the key for the default rules.\n")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (None, "error: input.txt: E201 no such file. Check the path.\n"),
        (
            lambda p: p.mkdir(),
            "error: input.txt: E202 is a directory, not a file. Pass the article files inside "
            "it (`add` also accepts a folder).\n",
        ),
        (
            lambda p: p.write_bytes(b"PK\x03\x04\x00\x00binary"),
            "error: input.txt: E203 looks like binary data (it contains NUL bytes), not text. "
            "Pass the article as a UTF-8 text file.\n",
        ),
        (
            lambda p: p.write_bytes("caf\u00e9".encode("cp1252")),
            "error: input.txt: E204 is not valid UTF-8 (byte 0xe9 at offset 3); articles must "
            "be UTF-8. Convert it first, e.g. `iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8` "
            "(use the file's real encoding).\n",
        ),
        (
            lambda p: p.write_bytes(b" \n\n"),
            "error: input.txt: E205 is empty (or only whitespace). Pass a file that holds the "
            "article text.\n",
        ),
    ],
    ids=["E201-missing", "E202-directory", "E203-binary", "E204-not-utf8", "E205-empty"],
)
def test_refused_files(outside: Path, make: Callable[[Path], object] | None, message: str) -> None:
    if make is not None:
        make(outside / "input.txt")
    assert run("normalise", "input.txt") == (1, "", message)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"",
            "error: <stdin>: E205 is empty (or only whitespace). Pass a file that holds the "
            "article text.\n",
        ),
        (
            b"\x00\x01",
            "error: <stdin>: E203 looks like binary data (it contains NUL bytes), not "
            "text. Pass the article as a UTF-8 text file.\n",
        ),
        (
            b"\xff",
            "error: <stdin>: E204 is not valid UTF-8 (byte 0xff at offset 0); articles "
            "must be UTF-8. Convert it first, e.g. `iconv -f WINDOWS-1252 -t UTF-8 FILE > "
            "FILE.utf8` (use the file's real encoding).\n",
        ),
    ],
    ids=["E205-empty", "E203-binary", "E204-not-utf8"],
)
def test_refused_stdin(outside: Path, data: bytes, message: str) -> None:
    assert run("normalise", "-", stdin=data) == (1, "", message)
