"""A whole-project ``validate`` with nothing changed gives back the last report; any change to
a file it reads, even one that keeps the size and modification time, is validated afresh."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import pytest

import newscorpus.cache
import newscorpus.validate
import newscorpus.validate_memo
from conftest import make_project
from newscorpus.cache import CACHE_DIR
from newscorpus.errors import Issue
from newscorpus.project import Project, load_project
from newscorpus.validate import Report, validate_project

MEMO = f"{CACHE_DIR}/validate-report.json"
GOLD = "annotations/india-japan-5g-agreement.json"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The seed project, with files this test made seconds ago counted as settled (a real
    corpus's files are older than the two seconds that make a state racy)."""
    monkeypatch.setattr(newscorpus.validate_memo, "RACY_NS", 0)
    monkeypatch.setattr(newscorpus.cache, "RACY_NS", 0)
    return load_project(make_project(tmp_path / "proj", with_seed=True))


def no_document_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a document was checked")

    monkeypatch.setattr(newscorpus.validate, "map_shards", refuse)


def test_an_unchanged_project_gives_back_the_last_report(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = validate_project(project, use_cache=True)
    assert (project.root / MEMO).is_file()
    no_document_is_checked(monkeypatch)
    assert validate_project(project, use_cache=True) == first
    assert first == Report((), annotation_files=1, articles=1)


def test_an_edit_that_keeps_size_and_mtime_is_validated(project: Project) -> None:
    """Neither the memo nor the remembered file hashes are fooled: both know the change
    time, which an edit cannot put back."""
    validate_project(project, use_cache=True)
    gold = project.root / GOLD
    before = gold.stat()
    text = gold.read_text(encoding="utf-8")
    assert '"label": "GPE"' in text
    gold.write_text(text.replace('"label": "GPE"', '"label": "GPX"', 1), encoding="utf-8")
    os.utime(gold, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert gold.stat().st_size == before.st_size
    whole = validate_project(project, use_cache=True)
    assert whole == validate_project(project)
    assert [i.code for i in whole.errors] == ["E109"]
    one_file = validate_project(project, [project.root / GOLD], use_cache=True)
    assert [i.code for i in one_file.errors] == ["E109"]


def test_a_new_file_is_validated(project: Project) -> None:
    validate_project(project, use_cache=True)
    (project.annotations / "no-such-article.json").write_text("{}", encoding="utf-8")
    report = validate_project(project, use_cache=True)
    assert "E144" in [i.code for i in report.errors]
    assert report == validate_project(project)


def test_a_settings_change_is_validated(project: Project) -> None:
    validate_project(project, use_cache=True)
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8")
        + '\n[tool.newscorpus.normalise]\nrules = ["line_endings"]\n',
        encoding="utf-8",
    )
    changed = load_project(project.root)
    report = validate_project(changed, use_cache=True)
    assert "E214" in [i.code for i in report.errors]
    assert report == validate_project(changed)


def test_a_racy_project_keeps_no_report(tmp_path: Path) -> None:
    """Files changed in the last two seconds could change again with equal times."""
    project = load_project(make_project(tmp_path / "proj", with_seed=True))
    validate_project(project, use_cache=True)
    assert not (project.root / MEMO).exists()


def test_a_corrupt_or_foreign_memo_is_ignored(project: Project) -> None:
    first = validate_project(project, use_cache=True)
    memo = project.root / MEMO
    for content in ("{not json", json.dumps({"format": 0}), json.dumps([1, 2])):
        memo.write_text(content, encoding="utf-8")
        assert validate_project(project, use_cache=True) == first
        assert json.loads(memo.read_text(encoding="utf-8"))["format"] == 1


def test_only_a_cached_whole_validation_reads_the_memo(project: Project) -> None:
    """The memo holds the report of the state it names: a doctored one for the current state
    shows through a cached whole validation and nowhere else."""
    validate_project(project, use_cache=True)
    memo = project.root / MEMO
    data = json.loads(memo.read_text(encoding="utf-8"))
    planted = Issue("W999", "warning", "x", "planted")
    data["issues"] = [asdict(planted)]
    memo.write_text(json.dumps(data), encoding="utf-8")
    assert validate_project(project, use_cache=True).issues == (planted,)
    assert validate_project(project).issues == ()
    assert validate_project(project, [project.root / GOLD], use_cache=True).issues == ()
