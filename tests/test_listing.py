"""listing.entries tells each entry's kind as Path.is_file and Path.is_dir do, and never
raises for an entry it cannot follow."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import make_project, run
from newscorpus.errors import NewscorpusError
from newscorpus.listing import entries, is_file


def _kinds_by_pathlib(folder: Path) -> dict[str, str]:
    kinds = {}
    for path in folder.iterdir():
        kinds[path.name] = "file" if path.is_file() else "dir" if path.is_dir() else "other"
    return kinds


def test_every_kind_of_entry_is_told_as_pathlib_tells_it(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "to-file.json").symlink_to(tmp_path / "a.json")
    (tmp_path / "to-folder").symlink_to(tmp_path / "folder")
    (tmp_path / "dangling.json").symlink_to(tmp_path / "missing")
    (tmp_path / "loop.json").symlink_to(tmp_path / "loop.json")
    os.mkfifo(tmp_path / "pipe.json")

    listed = entries(tmp_path)

    assert listed is not None
    assert dict(listed) == {
        "a.json": "file",
        "folder": "dir",
        ".hidden": "dir",
        "to-file.json": "file",
        "to-folder": "dir",
        "dangling.json": "other",
        "loop.json": "other",
        "pipe.json": "other",
    }
    assert dict(listed) == _kinds_by_pathlib(tmp_path)


def test_a_missing_folder_or_a_file_lists_as_none(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")

    assert entries(tmp_path / "missing") is None
    assert entries(tmp_path / "file") is None
    assert entries(tmp_path) == [("file", "file")]


def test_a_folder_that_is_a_link_loop_lists_as_none(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")

    assert entries(tmp_path / "loop") is None
    assert is_file(str(tmp_path / "loop" / "meta.json")) is False


def _denied(*args: Any, **kwargs: Any) -> Any:
    raise PermissionError(errno.EACCES, "Permission denied", str(args[0]))


@pytest.mark.parametrize("call", ["scandir", "stat"])
def test_what_cannot_be_looked_into_is_e014(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    """(Simulated: the tests run as root, whom permissions do not stop.)"""
    (tmp_path / "a.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(os, call, _denied)

    with pytest.raises(NewscorpusError) as caught:
        if call == "scandir":
            entries(tmp_path)
        else:
            is_file(str(tmp_path / "a.json"))

    where = str(tmp_path) if call == "scandir" else str(tmp_path / "a.json")
    assert caught.value.render() == (
        f"{where}: E014 cannot be looked into: Permission denied. Check its permissions (and "
        "its parent folders'): newscorpus must be able to list and read it."
    )


def test_an_entry_whose_target_cannot_be_looked_into_is_e014(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.json").symlink_to(tmp_path / "elsewhere.json")
    monkeypatch.setattr(os.DirEntry, "is_file", lambda self, **_: _denied(self.path))

    with pytest.raises(NewscorpusError, match="E014"):
        entries(tmp_path)


@pytest.mark.parametrize("command", [("validate",), ("check",), ("export", "doccano", "out")])
def test_an_unreadable_article_folder_is_an_error_not_a_missing_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """A command must not take the article for one without meta.json, nor leave it out."""
    project = make_project(tmp_path / "p", with_seed=True)
    article = sorted((project / "corpus").iterdir())[0]
    stat = os.stat

    def denied(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path) == str(article / "meta.json"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", denied)
    code, _, err = run(project, *command[:2], *(str(tmp_path / c) for c in command[2:]))

    assert code == 1
    assert err == (
        f"error: {article / 'meta.json'}: E014 cannot be looked into: Permission denied. Check "
        "its permissions (and its parent folders'): newscorpus must be able to list and read "
        "it.\n"
    )
    assert not (tmp_path / "out").exists()


def test_an_article_folder_named_in_bytes_that_are_not_utf8_is_reported_and_skipped(
    tmp_path: Path,
) -> None:
    """Such a name reaches Python as lone surrogates, which no cache entry, split hash or
    output file can hold: it used to stop validate, build and export with a traceback."""
    project = make_project(tmp_path / "p", with_seed=True)
    article = sorted((project / "corpus").iterdir())[0]
    shutil.copytree(article, project / "corpus" / os.fsdecode(b"x\xff"))

    code, out, _ = run(project, "validate")
    assert code == 1
    assert out.splitlines()[0] == (
        "corpus/x\\udcff: E212 corpus entry x\\udcff has a name that is not UTF-8, so it cannot "
        "be a document id and every command skips it. Rename the folder to the article's id "
        "(the id in its meta.json)."
    )
    code, _, err = run(project, "build", "--out", str(tmp_path / "out"))
    assert code == 1
    assert "E301" in err
    assert not (tmp_path / "out").exists()
    code, out, _ = run(project, "export", "doccano", str(tmp_path / "exp"))
    assert code == 0
    assert out == f"exported 1 document(s) to {tmp_path / 'exp'} (doccano)\n"
