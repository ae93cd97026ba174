"""A whole-project ``validate`` with nothing changed gives back the last report; any change to
a file it reads, even one that keeps the size and modification time, is validated afresh."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

import newscorpus.cache
import newscorpus.formats.common
import newscorpus.validate
import newscorpus.validate_file
import newscorpus.validate_memo
from build_helpers import small_project
from conftest import make_project, tree
from newscorpus.cache import CACHE_DIR, Cache, generation
from newscorpus.errors import Issue, NewscorpusError
from newscorpus.formats import get
from newscorpus.project import Project, load_project
from newscorpus.validate import Report, validate_project

MEMO = f"{CACHE_DIR}/{generation()}/validate/la/last-whole-report"
GOLD = "annotations/india-japan-5g-agreement.json"


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files this test made seconds ago count as settled (a real corpus's files are older
    than the two seconds that make a state racy)."""
    monkeypatch.setattr(newscorpus.validate_memo, "RACY_NS", 0)
    monkeypatch.setattr(newscorpus.cache, "RACY_NS", 0)


@pytest.fixture
def project(tmp_path: Path, settled: None) -> Project:
    """The seed project, its files settled."""
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


def test_a_damaged_or_odd_memo_is_ignored(project: Project) -> None:
    first = validate_project(project, use_cache=True)
    memo = project.root / MEMO
    kept = memo.read_bytes()
    memo.write_bytes(kept[:-3] + b"xyz")  # fails its checksum
    assert validate_project(project, use_cache=True) == first
    key = json.loads(kept[kept.index(b"\n", 17) + 1 : -32])["key"]
    odd: list[object] = [
        "[" * 200_000,
        {"format": 2, "key": key, "issues": [], "annotation_files": 1e309, "articles": 1},
        {"format": 2, "key": key, "issues": [{"line": "a"}], "annotation_files": 1, "articles": 1},
        [1, 2],
    ]
    for content in odd:
        if isinstance(content, str):
            Cache(project.root / CACHE_DIR).put("validate", "last-whole-report", content.encode())
        else:
            Cache(project.root / CACHE_DIR).put_json("validate", "last-whole-report", content)
        assert validate_project(project, use_cache=True) == first
    memo.unlink()
    os.mkfifo(memo)  # a FIFO would block a read forever
    assert validate_project(project, use_cache=True) == first


def test_only_a_cached_whole_validation_reads_the_memo(project: Project) -> None:
    """The memo holds the report of the state it names: a doctored one for the current state
    shows through a cached whole validation and nowhere else."""
    validate_project(project, use_cache=True)
    cache = Cache(project.root / CACHE_DIR)
    data = cache.get_json("validate", "last-whole-report")
    planted = Issue("W999", "warning", "x", "planted")
    data["issues"] = [asdict(planted)]
    cache.put_json("validate", "last-whole-report", data)
    assert validate_project(project, use_cache=True).issues == (planted,)
    assert validate_project(project).issues == ()
    assert validate_project(project, [project.root / GOLD], use_cache=True).issues == ()


def test_a_linked_folder_keeps_no_report(project: Project, tmp_path: Path) -> None:
    """Validation reads the files behind a link to a folder, which the listing does not."""
    outside = tmp_path / "alice"
    outside.mkdir()
    (outside / Path(GOLD).name).write_bytes((project.root / GOLD).read_bytes())
    (project.annotations / "annotators").mkdir()
    (project.annotations / "annotators" / "alice").symlink_to(outside)
    first = validate_project(project, use_cache=True)
    assert first.annotation_files == 2 and not (project.root / MEMO).exists()
    text = (outside / Path(GOLD).name).read_text(encoding="utf-8")
    (outside / Path(GOLD).name).write_text(text.replace('"GPE"', '"GPX"', 1), encoding="utf-8")
    assert validate_project(project, use_cache=True) == validate_project(project)


def test_odd_names_and_deep_folders(project: Project) -> None:
    """A file name that is not UTF-8, and folders nested deeper than Python recurses."""
    (project.annotations / os.fsdecode(b"notes-\xe9.txt")).touch()
    folders = [project.corpus / ".deep"]
    for _ in range(1100):  # one at a time: mkdir(parents=True) recurses, and so does rmtree
        folders[-1].mkdir()
        folders.append(folders[-1] / "a")
    try:
        report = validate_project(project, use_cache=True)
        assert report == validate_project(project)
        assert validate_project(project, use_cache=True) == report
    finally:
        for folder in reversed(folders[:-1]):
            folder.rmdir()


def files_checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the annotation files validated from now on, in order."""
    checked: list[str] = []
    check_file = newscorpus.validate_file.check_file

    def counted(project: Project, path: Path, *args: Any, **kwargs: Any) -> Any:
        checked.append(path.name)
        return check_file(project, path, *args, **kwargs)

    monkeypatch.setattr(newscorpus.validate_file, "check_file", counted)
    return checked


@pytest.mark.parametrize("fmt", ["doccano", "labelstudio", "conll"])
def test_a_whole_export_after_a_clean_validate_checks_only_what_changed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    settled: None,
) -> None:
    project = small_project(tmp_path / "p")
    exporter = get(fmt)
    exporter.export(project, tmp_path / "unvouched", None)  # no report kept yet: validates
    assert validate_project(project, use_cache=True).ok()
    checked = files_checked(monkeypatch)
    exporter.export(project, tmp_path / "vouched", None)
    assert checked == []
    assert tree(tmp_path / "vouched") == tree(tmp_path / "unvouched")
    # Only the naming of documents keeps the report's word: a chosen few are validated.
    exporter.export(project, tmp_path / "chosen", ["agreement"])
    assert checked == ["agreement.json"]
    # A file written after validate makes the report another state's: all are validated.
    spoil(project.annotations / "huawei-ban.json")
    checked.clear()
    with pytest.raises(NewscorpusError) as raised:
        exporter.export(project, tmp_path / "edited", None)
    assert raised.value.code == "E150"
    assert 'E109 T1 label is "COUNTRY"' in raised.value.message
    assert checked == ["agreement.json", "huawei-ban.json"]
    assert not (tmp_path / "edited").exists()


def spoil(path: Path) -> None:
    data = json.loads(path.read_text("utf-8"))
    data["entities"][0]["label"] = "COUNTRY"
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_file_written_while_an_export_runs_is_validated(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settled: None,
) -> None:
    """The report vouches for the files as listed; a file written after the listing (here,
    between the listing and the first read) is validated, and the others are not."""
    project = small_project(tmp_path / "p")
    assert validate_project(project, use_cache=True).ok()
    listed = newscorpus.formats.common._validated_state

    def then_edited(project: Project) -> Any:
        state = listed(project)
        assert state is not None
        spoil(project.annotations / "huawei-ban.json")
        return state

    monkeypatch.setattr(newscorpus.formats.common, "_validated_state", then_edited)
    checked = files_checked(monkeypatch)
    with pytest.raises(NewscorpusError) as raised:
        get("doccano").export(project, tmp_path / "out", None)
    assert 'E109 T1 label is "COUNTRY"' in raised.value.message
    assert checked == ["huawei-ban.json"]
    assert not (tmp_path / "out").exists()


def test_a_linked_annotation_file_is_validated_by_a_trusting_export(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settled: None,
) -> None:
    """A link's times are those of what it leads to, which need not follow its content (a
    file in /proc): the report does not vouch for it."""
    project = small_project(tmp_path / "p")
    path = project.annotations / "huawei-ban.json"
    kept = tmp_path / "huawei-ban.json"
    path.rename(kept)
    path.symlink_to(kept)
    assert validate_project(project, use_cache=True).ok()
    checked = files_checked(monkeypatch)
    get("doccano").export(project, tmp_path / "out", None)
    assert checked == ["huawei-ban.json"]


def _import_paths(out: Path, fmt: str) -> list[Path]:
    """What an import of ``fmt`` reads back from the whole export in ``out``."""
    if fmt == "doccano":
        return [out / "doccano.jsonl"]
    if fmt == "conll":
        return sorted(out.glob("*.conll"))
    if fmt == "labelstudio":
        # As Label Studio exports them once an annotator accepts each prediction that has
        # regions (an empty one accepted would be an annotator's word that it has none).
        tasks = json.loads((out / "tasks.json").read_text("utf-8"))
        for number, task in enumerate(tasks, start=1):
            result = task.pop("predictions")[0]["result"]
            accepted = {"id": number, "completed_by": 1, "result": result}
            task["annotations"] = [accepted] if result else []
        (out / "export.json").write_text(json.dumps(tasks), encoding="utf-8")
        return [out / "export.json"]
    return [out]


@pytest.mark.parametrize("fmt", ["brat", "conll", "doccano", "labelstudio", "spacy"])
def test_an_import_after_a_clean_validate_only_parses_the_files_it_replaces(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    settled: None,
) -> None:
    from newscorpus.formats import ImportOptions

    project = small_project(tmp_path / "p")
    get(fmt).export(project, tmp_path / "out", None)
    paths = _import_paths(tmp_path / "out", fmt)
    assert validate_project(project, use_cache=True).ok()
    checked = files_checked(monkeypatch)
    for path in paths:
        assert get(fmt).read(path, project, ImportOptions()).changes == []
    assert checked == []
    # A file written after validate makes the report another state's: it is validated again.
    spoil(project.annotations / "huawei-ban.json")
    with pytest.raises(NewscorpusError) as raised:
        for path in paths:
            get(fmt).read(path, project, ImportOptions())
    assert (raised.value.code, raised.value.where) == ("E173", "annotations/huawei-ban.json")
    assert 'E109 T1 label is "COUNTRY"' in raised.value.message
    assert checked[-1] == "huawei-ban.json"


def exchange(a: Path, b: Path) -> None:
    """Swap two folders' names, as another process might while validation reads."""
    a.rename(a.with_name("swapping"))
    b.rename(a)
    a.with_name("swapping").rename(b)


@pytest.mark.parametrize("back", [False, True], ids=["swapped", "swapped-back"])
def test_no_report_is_kept_when_a_folder_was_swapped_while_validate_read(
    project: Project, monkeypatch: pytest.MonkeyPatch, back: bool
) -> None:
    """Validation reads a good copy put in place of the listed annotations; its clean report
    must not vouch for the listed folder, even once that is put back before the report is
    kept (renaming moved the folder's change time)."""
    good = project.root / "annotations.good"
    shutil.copytree(project.annotations, good)
    spoil(project.root / GOLD)
    load_schema, remember = newscorpus.validate.load_schema, newscorpus.validate_memo.remember

    def swapped(*args: Any) -> Any:
        exchange(project.annotations, good)
        return load_schema(*args)

    def swapped_back(*args: Any) -> None:
        if back:
            exchange(project.annotations, good)
        remember(*args)

    monkeypatch.setattr(newscorpus.validate, "load_schema", swapped)
    monkeypatch.setattr(newscorpus.validate_memo, "remember", swapped_back)
    assert validate_project(project, use_cache=True).ok()  # of the copy it read
    assert not (project.root / MEMO).exists()
    if not back:
        exchange(project.annotations, good)
    monkeypatch.setattr(newscorpus.validate, "load_schema", load_schema)
    monkeypatch.setattr(newscorpus.validate_memo, "remember", remember)
    assert not validate_project(project, use_cache=True).ok()


def test_a_file_is_not_unchanged_once_its_folder_was_renamed_away_and_back(
    project: Project,
) -> None:
    from newscorpus.validate_memo import ProjectState, _described

    state = ProjectState(project, keep_files=True)
    gold = project.root / GOLD
    assert state.unchanged(gold)
    project.annotations.rename(project.root / "elsewhere")
    (project.root / "elsewhere").rename(project.annotations)
    # The file itself is as listed; only its folder's change time tells.
    assert state.files is not None
    assert _described(gold)[0] == state.files[str(gold)]
    assert not state.unchanged(gold)
    assert not state.unchanged(project.root / "annotations" / "never-listed.json")


def test_a_vouched_for_file_of_the_wrong_shape_is_validated(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that moves no file time (through a shared memory mapping) gets past the
    listing: what the report vouches for is still checked for shape before it is used, so
    the damage is reported as E173, not met as a traceback."""
    from newscorpus.formats import ImportOptions
    from newscorpus.validate_memo import ProjectState

    get("doccano").export(project, project.root / "out", None)
    assert validate_project(project, use_cache=True).ok()
    gold = project.root / GOLD
    gold.write_text(gold.read_text("utf-8").replace('"start"', '"stxrt"', 1), "utf-8")
    monkeypatch.setattr(ProjectState, "unchanged", lambda self, path: True)
    monkeypatch.setattr(newscorpus.validate_memo, "recall", lambda project, state: ([], 1, 1))
    with pytest.raises(NewscorpusError) as raised:
        get("doccano").read(project.root / "out" / "doccano.jsonl", project, ImportOptions())
    assert (raised.value.code, raised.value.where) == ("E173", GOLD)
