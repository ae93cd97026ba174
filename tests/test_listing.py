"""listing.entries tells each entry's kind as Path.is_file and Path.is_dir do, and never
raises for an entry it cannot follow."""

from __future__ import annotations

import os
from pathlib import Path

from newscorpus.listing import entries


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
