"""Hostile input and interrupted builds: each case gets its code, never a traceback, and
changes nothing it should not."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import newscorpus.formats.docbin
import newscorpus.io
from build_helpers import small_project
from conftest import run, tree
from newscorpus.errors import NewscorpusError
from newscorpus.formats import get
from newscorpus.output import old_dir, recover_output, work_dir
from newscorpus.project import Project, load_project

DOC = "india-japan-5g-agreement"


def _article(folder: Path, name: str = "a.txt", body: str = "Body text.") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"A headline\n\n{body}\n", encoding="utf-8")
    return path


def test_a_fifo_is_refused_without_hanging(empty_project: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    before = tree(empty_project)
    assert run(empty_project, "add", str(fifo)) == (
        1,
        "",
        f"error: {fifo}: E219 is not a regular file (a pipe, socket or device); articles are "
        "read from files. Save the input to a file first, e.g. `cat SOURCE > article.txt`.\n",
    )
    assert tree(empty_project) == before


def test_a_device_is_refused(empty_project: Path) -> None:
    code, _, err = run(empty_project, "add", "/dev/zero")
    assert (code, err[:40]) == (1, "error: /dev/zero: E219 is not a regular ")


def test_an_article_above_the_size_limit_is_refused(empty_project: Path, tmp_path: Path) -> None:
    pyproject = empty_project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text("utf-8") + "max_article_bytes = 100\n", "utf-8")
    big = _article(tmp_path / "in", body="x " * 100)
    assert run(empty_project, "add", str(big)) == (
        1,
        "",
        f"error: {big}: E220 is larger than max_article_bytes (100 bytes), far above a news "
        "article. Check that this is one article; to accept it, raise max_article_bytes in "
        "[tool.newscorpus] of pyproject.toml.\n",
    )
    jsonl = tmp_path / "batch.jsonl"
    jsonl.write_text(json.dumps({"text": "A headline\n\n" + "y " * 100}) + "\n", "utf-8")
    code, _, err = run(empty_project, "add", str(jsonl))
    assert (code, err.split(" is larger")[0]) == (1, f"error: {jsonl}:1: E220")
    assert list((empty_project / "corpus").iterdir()) == []


def test_a_bad_size_limit_is_a_configuration_error(empty_project: Path) -> None:
    pyproject = empty_project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text("utf-8") + 'max_article_bytes = "5MB"\n', "utf-8")
    assert run(empty_project, "validate") == (
        1,
        "",
        "error: pyproject.toml [tool.newscorpus]: E002 max_article_bytes is '5MB'; it must be a "
        "positive integer (bytes). Write e.g. max_article_bytes = 5000000, or remove the key.\n",
    )


def test_symlinks_out_of_an_input_folder_are_refused(empty_project: Path, tmp_path: Path) -> None:
    outside = _article(tmp_path / "secret", "passwd.txt")
    folder = tmp_path / "in"
    _article(folder)
    (folder / "b.txt").symlink_to(outside)
    assert run(empty_project, "add", str(folder)) == (
        1,
        "",
        f"error: {folder / 'b.txt'}: E221 is a symlink to {outside}, outside the folder being "
        "added; files outside it are not read through links. Copy the file into the folder, or "
        "pass its path directly.\n",
    )
    (folder / "b.txt").unlink()
    (folder / "c.txt").symlink_to(folder / "a.txt")  # inside: read like any file
    code, _out, _ = run(empty_project, "add", str(folder))
    assert code == 1  # the same article twice in one batch
    assert list((empty_project / "corpus").iterdir()) == []


@pytest.mark.parametrize("doc_id", ["abc\n", "abc\r", "ab\tc", "ab\x00c"])
def test_ids_are_matched_whole(empty_project: Path, tmp_path: Path, doc_id: str) -> None:
    article = _article(tmp_path / "in")
    code, _, err = run(empty_project, "add", str(article), "--id", doc_id)
    assert (code, err.split(" is not a safe slug")[0]) == (
        1,
        f"error: {article}: E206 document id {doc_id!r}",
    )
    jsonl = tmp_path / "batch.jsonl"
    jsonl.write_text(json.dumps({"text": "A headline\n\nBody.", "id": doc_id}) + "\n", "utf-8")
    code, _, err = run(empty_project, "add", str(jsonl))
    assert (code, err.split(" is not a safe slug")[0]) == (
        1,
        f"error: {jsonl}:1: E206 document id {doc_id!r}",
    )
    assert list((empty_project / "corpus").iterdir()) == []


def test_a_url_with_a_trailing_newline_is_refused(empty_project: Path, tmp_path: Path) -> None:
    article = _article(tmp_path / "in")
    code, _, err = run(empty_project, "add", str(article), "--url", "https://x.example/a\n")
    assert (code, err.split(" is not")[0]) == (
        1,
        f"error: {article}: E210 url 'https://x.example/a\\n'",
    )


def test_validate_reports_the_same_article_stored_twice(seed_project: Path) -> None:
    shutil.copytree(seed_project / "corpus" / DOC, seed_project / "corpus" / "copy-of-it")
    meta = seed_project / "corpus" / "copy-of-it" / "meta.json"
    meta.write_text(meta.read_text("utf-8").replace(f'"id": "{DOC}"', '"id": "copy-of-it"'))
    code, out, _ = run(seed_project, "validate")
    assert code == 1
    assert (
        "corpus/india-japan-5g-agreement: E222 article india-japan-5g-agreement is the same "
        "article as copy-of-it (raw sha256 "
    ) in out


def test_a_hidden_leftover_folder_is_named_as_such(seed_project: Path) -> None:
    leftover = seed_project / "corpus" / f".{DOC}.x1y2"
    shutil.copytree(seed_project / "corpus" / DOC, leftover)
    code, out, _ = run(seed_project, "validate")
    assert code == 1
    assert out.splitlines()[0] == (
        f"corpus/.{DOC}.x1y2: E212 hidden folder .{DOC}.x1y2 is not a corpus entry (an "
        "interrupted `add` of an older newscorpus left it); every command skips it. Delete it: "
        f"rm -r corpus/.{DOC}.x1y2"
    )


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda d: d["entities"][0].update(start=True), "E106"),
        (lambda d: d["entities"][0].update(label="COUNTRY"), "E109"),
        (lambda d: d["entities"][0].update(text="I\ud800"), "E113"),
        (lambda d: d["relations"][0].update(head=["T1"]), "E106"),
        (lambda d: d.update(entities={"T1": 1}), "E106"),
    ],
)
def test_export_refuses_annotations_that_do_not_validate(
    seed_project: Path, tmp_path: Path, edit: object, code: str
) -> None:
    path = seed_project / "annotations" / f"{DOC}.json"
    data = json.loads(path.read_text("utf-8"))
    edit(data)  # type: ignore[operator]
    path.write_text(json.dumps(data), encoding="utf-8", errors="surrogatepass")
    out = tmp_path / "brat"
    status, stdout, err = run(seed_project, "export", "brat", str(out))
    assert (status, stdout) == (1, "")
    assert err.startswith("error: E150 the documents do not validate (")
    assert f": {code} " in err
    assert err.rstrip().endswith(
        "Fix them (`newscorpus validate` lists every problem), then export again."
    )
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["brat", "labelstudio", "doccano", "conll", "spacy"])
def test_an_export_that_meets_a_bad_document_late_writes_nothing(tmp_path: Path, fmt: str) -> None:
    # Documents stream through the export: "huawei-ban" comes after a valid one, and the
    # report still names every error, and nothing is written.
    project = small_project(tmp_path / "p")
    path = project.annotations / "huawei-ban.json"
    data = json.loads(path.read_text("utf-8"))
    data["entities"][0]["label"] = "COUNTRY"
    data["entities"][1]["start"] = -1
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out"
    status, stdout, err = run(project.root, "export", fmt, str(out))
    assert (status, stdout) == (1, "")
    assert err.startswith("error: E150 the documents do not validate (2 error(s)), so nothing")
    assert ': E109 T1 label is "COUNTRY"' in err
    assert ": E111 T2 offsets [-1, " in err
    assert not out.exists()


def exported_then_edited(
    tmp_path: Path, fmt: str, edit: Callable[[dict[str, Any]], object]
) -> tuple[Project, Path, dict[str, str]]:
    """A small project exported to ``out`` in ``fmt`` (and that export's tree), after which
    ``edit`` changed huawei-ban's annotation file."""
    project = small_project(tmp_path / "p")
    out = tmp_path / "out"
    assert run(project.root, "export", fmt, str(out))[0] == 0
    before = tree(out)
    path = project.annotations / "huawei-ban.json"
    data = json.loads(path.read_text("utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    return project, out, before


@pytest.mark.parametrize("fmt", ["labelstudio", "doccano", "conll", "spacy"])
def test_a_failed_reexport_leaves_the_previous_export_and_no_temp_file(
    tmp_path: Path, fmt: str
) -> None:
    # These exports stream their documents into temp files beside the files they replace: a
    # late error removes the temp files, and the previous export stays byte for byte.
    project, out, before = exported_then_edited(
        tmp_path, fmt, lambda data: data["entities"][0].update(label="COUNTRY")
    )
    status, stdout, err = run(project.root, "export", fmt, str(out))
    assert (status, stdout) == (1, "")
    assert err.startswith("error: E150 the documents do not validate (1 error(s)), so nothing")
    assert tree(out) == before


@pytest.mark.parametrize(("fmt", "last"), [("labelstudio", "tasks.json"), ("conll", "test.conll")])
def test_an_export_that_cannot_write_its_last_file_changes_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, last: str
) -> None:
    # Every file is on disk before any is renamed: a full disk at the last one leaves the
    # previous export whole, not new files beside old ones.
    project, out, before = exported_then_edited(
        tmp_path, fmt, lambda data: data.update(entities=[], relations=[])
    )
    finish = newscorpus.io.PendingFile.finish

    def full_disk(self: newscorpus.io.PendingFile) -> None:
        if self.path.name == last:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path))
        finish(self)

    monkeypatch.setattr(newscorpus.io.PendingFile, "finish", full_disk)
    with pytest.raises(NewscorpusError) as raised:
        get(fmt).export(load_project(project.root), out, None)
    monkeypatch.undo()
    assert get(fmt).export(load_project(project.root), tmp_path / "new", None).documents == 3
    assert tree(tmp_path / "new") != before  # the export that failed would have changed it
    assert raised.value.render() == (
        f"{out}: E190 cannot write the export: No space left on device ({out / last}); "
        "nothing was exported. Free some space, or export into a folder you can write to."
    )
    assert tree(out) == before


class FullDiskSpool(io.BytesIO):
    """A spool on a disk with room for ``room`` bytes: a write past them fails, and so does
    closing (which flushes what a real spool still buffers)."""

    room = 1_000

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)

    def close(self) -> None:
        super().close()
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_spacy_export_whose_spool_fills_the_disk_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The spaCy export spools each split's sections beside the export as Docs come: a full
    # disk there is E190 (not the error closing the spools meets), the previous export stays
    # byte for byte, and no file is left.
    project, out, before = exported_then_edited(
        tmp_path, "spacy", lambda data: data.update(entities=[], relations=[])
    )
    monkeypatch.setattr(
        newscorpus.formats.docbin.tempfile, "TemporaryFile", lambda dir: FullDiskSpool()
    )
    assert run(project.root, "export", "spacy", str(out)) == (
        1,
        "",
        f"error: {out}: E190 cannot write the export: No space left on device ({out}); nothing "
        "was exported. Free some space, or export into a folder you can write to.\n",
    )
    assert tree(out) == before
    assert sorted(p.name for p in out.iterdir()) == [
        "config.cfg",
        "dev.spacy",
        "test.spacy",
        "train.spacy",
    ]


def test_ctrl_c_during_the_renames_lands_after_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SIGINT at the first rename is held until every file is in place, and the CLI says the
    # export completed: never half the files of each export under "nothing was changed".
    project, out, before = exported_then_edited(
        tmp_path, "conll", lambda data: data.update(entities=[], relations=[])
    )
    commit = newscorpus.io.PendingFile.commit

    def interrupted(self: newscorpus.io.PendingFile) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        commit(self)

    monkeypatch.setattr(newscorpus.io.PendingFile, "commit", interrupted)
    assert run(project.root, "export", "conll", str(out)) == (
        130,
        "",
        "interrupted: `export` had completed its changes\n",
    )
    monkeypatch.undo()
    assert run(project.root, "export", "conll", str(tmp_path / "again"))[0] == 0
    assert tree(out) == tree(tmp_path / "again") != before


def test_a_rename_that_fails_after_others_says_the_folder_is_mixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, out, before = exported_then_edited(
        tmp_path, "conll", lambda data: data.update(entities=[], relations=[])
    )
    commit = newscorpus.io.PendingFile.commit

    def immutable(self: newscorpus.io.PendingFile) -> None:
        if self.path.name == "test.conll":
            raise OSError(errno.EPERM, "Operation not permitted", str(self.path))
        commit(self)

    monkeypatch.setattr(newscorpus.io.PendingFile, "commit", immutable)
    assert run(project.root, "export", "conll", str(out)) == (
        1,
        "",
        f"error: {out}: E190 cannot write the export: Operation not permitted "
        f"({out / 'test.conll'}) after 2 of its 3 files were replaced (train.conll, "
        "validation.conll); the folder now mixes two exports. Fix the cause and export again: "
        "the export replaces every file.\n",
    )
    monkeypatch.undo()
    assert run(project.root, "export", "conll", str(tmp_path / "again"))[0] == 0
    # The edited document is in validation: its file is the new one, test's the old one.
    now, again = tree(out), tree(tmp_path / "again")
    assert now["validation.conll"] == again["validation.conll"] != before["validation.conll"]
    assert now["test.conll"] == before["test.conll"]


def test_an_export_into_a_path_that_cannot_be_a_folder_is_refused(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p")
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    out = tmp_path / "afile" / "sub"
    assert run(project.root, "export", "doccano", str(out)) == (
        1,
        "",
        f"error: {out}: E190 cannot write the export: Not a directory ({out}); nothing was "
        "exported. Free some space, or export into a folder you can write to.\n",
    )


def test_a_document_named_twice_is_exported_once(tmp_path: Path) -> None:
    # Else the export's own import refuses the file (the same document twice, E163).
    project = small_project(tmp_path / "p")
    out = tmp_path / "out"
    assert run(project.root, "export", "doccano", str(out), "agreement", "agreement") == (
        0,
        f"exported 1 document(s) to {out} (doccano)\n",
        "",
    )
    assert run(project.root, "import", "doccano", str(out / "doccano.jsonl"))[0] == 0


def test_an_export_refuses_a_pipe_for_an_annotation_file(tmp_path: Path) -> None:
    # Reading a pipe would block for ever; in a subprocess, so a regression fails, not hangs.
    project = small_project(tmp_path / "p")
    path = project.annotations / "huawei-ban.json"
    path.unlink()
    os.mkfifo(path)
    command = ["export", "doccano", str(tmp_path / "out")]
    done = subprocess.run(
        [sys.executable, "-m", "newscorpus.entry", "--root", str(project.root), *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("error: E150 the documents do not validate (1 error(s)), ")
    assert (
        "annotations/huawei-ban.json: E101 is a pipe, socket or device, not an annotation file. "
        "Replace it with the annotation JSON file, or remove it." in done.stderr
    )
    assert not (tmp_path / "out").exists()


def test_sigterm_stops_an_export_as_ctrl_c_does(tmp_path: Path) -> None:
    # By default SIGTERM ends the process on the spot; the export turns it into an interrupt,
    # so its temp files and the folder it made are cleaned up.
    project = small_project(tmp_path / "p")
    out = tmp_path / "new" / "out"
    script = (
        "import os, signal, sys\n"
        "import newscorpus.formats.common as common\n"
        "real = common.export_documents\n"
        "def then_terminated(project, ids):\n"
        "    yield from real(project, ids)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "common.export_documents = then_terminated\n"
        "import newscorpus.formats.doccano as doccano\n"
        "doccano.export_documents = then_terminated\n"
        "from newscorpus.entry import run\n"
        f"sys.argv = ['newscorpus', '--root', {str(project.root)!r}, 'export', 'doccano', "
        f"{str(out)!r}]\n"
        "run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        130,
        "",
        "interrupted: nothing was changed\n",
    )
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("labelstudio", "tasks.json"), ("doccano", "doccano.jsonl"), ("conll", "validation.conll")],
)
def test_the_temp_file_of_an_interrupted_export_is_not_foreign_work(
    tmp_path: Path, fmt: str, name: str
) -> None:
    project = small_project(tmp_path / "p")
    out = tmp_path / "out"
    out.mkdir()
    leftover = out / f".{name}.k3j2x9ab.tmp"  # a killed export's, as atomic_file names them
    leftover.write_text("half an export", encoding="utf-8")
    assert run(project.root, "export", fmt, str(out))[0] == 0
    assert leftover.read_text(encoding="utf-8") == "half an export"  # not ours to delete
    (out / ".notes.txt.k3j2x9ab.tmp").write_text("someone's", encoding="utf-8")
    status, stdout, err = run(project.root, "export", fmt, str(out))
    assert (status, stdout) == (1, "")
    assert err.startswith(
        f"error: {out}: E159 holds files that a {fmt} export does not write "
        "(.notes.txt.k3j2x9ab.tmp), "
    )


def _write_then_die(path: str) -> None:
    """A process killed with SIGKILL while its export file is half written."""
    from newscorpus.io import PendingFile

    PendingFile(Path(path)).write(b"half an export")
    os.kill(os.getpid(), signal.SIGKILL)


def test_an_export_deletes_the_temp_files_a_killed_export_left(tmp_path: Path) -> None:
    import fcntl
    import multiprocessing

    project = small_project(tmp_path / "p")
    out = tmp_path / "out"
    assert run(project.root, "export", "conll", str(out))[0] == 0
    killed = multiprocessing.get_context("fork").Process(
        target=_write_then_die, args=(str(out / "train.conll"),)
    )
    killed.start()
    killed.join()
    assert killed.exitcode == -signal.SIGKILL
    (left,) = out.glob(".train.conll.*.tmp")
    young = out / ".test.conll.young123.tmp"  # its writer may not have locked it yet
    young.write_text("just made", encoding="utf-8")
    held = out / ".validation.conll.held1234.tmp"
    handle = held.open("w", encoding="utf-8")
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # a live export's
    hour_ago = time.time() - 3600
    for path in (left, held):
        os.utime(path, (hour_ago, hour_ago))
    try:
        assert run(project.root, "export", "conll", str(out))[0] == 0
        assert sorted(p.name for p in out.iterdir()) == sorted(
            [
                ".test.conll.young123.tmp",
                ".validation.conll.held1234.tmp",
                "test.conll",
                "train.conll",
                "validation.conll",
            ]
        )
    finally:
        handle.close()


@pytest.mark.parametrize("repo_id", ["acme/x.", "acme/x.git", "acme/x\u0663", "acme/\u212aelvin"])
@pytest.mark.parametrize("dry_run", [True, False])
def test_repo_ids_the_hub_refuses_are_refused_first(
    seed_project: Path, repo_id: str, dry_run: bool
) -> None:
    before = tree(seed_project)
    code, out, err = run(
        seed_project, "publish", "--repo-id", repo_id, *(["--dry-run"] if dry_run else [])
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"error: E404 --repo-id {repo_id!r} is not a Hub dataset id; ")
    assert tree(seed_project) == before


def test_maintainer_strings_are_escaped_in_the_card_and_croissant(seed_project: Path) -> None:
    pyproject = seed_project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text("utf-8") + 'pretty_name = "<script>alert(1)</script> & {x"\n',
        "utf-8",
    )
    schema = seed_project / "annotations" / "schema.yaml"
    text = schema.read_text("utf-8")
    schema.write_text(text.replace("description: ", "description: <b>x</b> ", 1), "utf-8")
    (seed_project / "DATASET_CARD.md").write_text("Prose only.\n", "utf-8")
    assert run(seed_project, "build")[0] == 0
    card = (seed_project / "dist" / "test-corpus" / "README.md").read_text("utf-8")
    # The YAML front matter holds the string as data; the Markdown the Hub renders escapes it.
    front, markdown = card.split("\n---\n", 1)
    assert "pretty_name: <script>alert(1)</script> & {x" in front
    assert "<script>" not in markdown and "<b>" not in markdown
    assert "| &lt;b&gt;x&lt;/b&gt; A named person" in markdown
    assert "# &lt;script&gt;alert(1)&lt;/script&gt; &amp; {x\n" in markdown
    croissant = json.loads(
        (seed_project / "dist" / "test-corpus" / "croissant.json").read_text("utf-8")
    )
    assert croissant["description"] == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; {x"
    assert "title = {&lt;script&gt;alert(1)&lt;/script&gt; &amp; \\{x}" in croissant["citeAs"]


# --- the build's output folder ---------------------------------------------------------------


def test_recover_output_repairs_each_interrupted_swap_state(tmp_path: Path) -> None:
    target = tmp_path / "dist" / "ds"
    work, old = work_dir(target), old_dir(target)
    # A manifest a build wrote names newscorpus among its tools.
    manifest = '{{"tools": {{"newscorpus": "0.1.0"}}, "version": "{}"}}'
    old.mkdir(parents=True)
    (old / "manifest.json").write_text(manifest.format("old"), encoding="utf-8")
    work.mkdir()
    # Killed between the two renames: no output, the old one aside, the new one complete.
    assert recover_output(target) == [
        "recovered: restored ds from an interrupted build's swap",
        "recovered: removed .ds.building, left by an interrupted build",
    ]
    assert (target / "manifest.json").read_text("utf-8") == manifest.format("old")
    old.mkdir()
    (old / "manifest.json").write_text(manifest.format("older"), encoding="utf-8")
    legacy = tmp_path / "dist" / ".ds.abc123.building"
    legacy.mkdir()
    assert recover_output(target) == [
        "recovered: removed .ds.old, left by an interrupted build",
        "recovered: removed .ds.abc123.building, left by an interrupted build",
    ]
    assert sorted(p.name for p in target.parent.iterdir()) == ["ds"]
    assert recover_output(target) == []


def test_the_next_build_restores_and_cleans_up(seed_project: Path) -> None:
    assert run(seed_project, "build")[0] == 0
    target = seed_project / "dist" / "test-corpus"
    built = tree(target)
    target.replace(old_dir(target))
    work_dir(target).mkdir()
    code, _out, err = run(seed_project, "build")
    assert code == 0
    assert err == (
        "recovered: restored test-corpus from an interrupted build's swap\n"
        "recovered: removed .test-corpus.building, left by an interrupted build\n"
    )
    assert tree(target) == built
    assert sorted(p.name for p in target.parent.iterdir()) == ["test-corpus"]


def test_two_builds_to_one_folder_take_turns(seed_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "new-out"
    command = [
        str(Path(sys.executable).with_name("newscorpus")),
        "--root",
        str(seed_project),
        "build",
        "--out",
        str(out),
    ]
    env = {**os.environ, "NEWSCORPUS_LOCK_TIMEOUT": "120"}
    processes = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    assert all("Traceback" not in err for _, err in results)
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(("new", "."))) == [
        "new-out"
    ]


def test_a_users_folder_beside_the_output_is_never_touched(
    seed_project: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    (mine / ".stuff.old").mkdir(parents=True)
    (mine / ".stuff.old" / "keep").write_text("precious", encoding="utf-8")
    (mine / ".stuff.x1.building").mkdir()
    (mine / ".stuff.x1.building" / "notes.txt").write_text("mine", encoding="utf-8")
    (mine / "stuff").mkdir()
    (mine / "stuff" / "file").write_text("x", encoding="utf-8")
    code, _, err = run(seed_project, "build", "--out", str(mine / "stuff"))
    assert code == 1 and "E306" in err and "recovered" not in err
    shutil.rmtree(mine / "stuff")
    assert run(seed_project, "build", "--out", str(mine / "stuff"))[0] == 0  # a new folder
    code, _, err = run(seed_project, "build", "--out", str(mine / "stuff"))
    assert (code, err) == (
        1,
        f"error: E312 {mine / '.stuff.old'} is in the way: the build moves the previous output "
        "there while it swaps the new one in, and that folder is not a newscorpus build. Move "
        "or delete it, then build again.\n",
    )
    assert (mine / "stuff" / "manifest.json").is_file()
    assert not (mine / ".stuff.building").exists()
    assert (mine / ".stuff.old" / "keep").read_text("utf-8") == "precious"
    assert (mine / ".stuff.x1.building" / "notes.txt").read_text("utf-8") == "mine"


@pytest.mark.parametrize("out", ["/", "/proc/x", "/dev/null/x"])
def test_an_output_folder_that_cannot_be_one_is_refused(seed_project: Path, out: str) -> None:
    code, stdout, err = run(seed_project, "build", "--out", out)
    assert (code, stdout) == (1, "")
    assert err.startswith(("error: E306 ", "error: E311 "))


def test_export_refuses_a_title_no_output_can_encode(seed_project: Path, tmp_path: Path) -> None:
    meta = seed_project / "corpus" / DOC / "meta.json"
    data = json.loads(meta.read_text("utf-8"))
    meta.write_text(json.dumps({**data, "title": "5G \ud800"}), encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, err = run(seed_project, "export", "labelstudio", str(out))
    assert (code, stdout) == (1, "")
    assert err == (
        "error: E150 the documents do not validate (1 error(s)), so nothing was exported:\n"
        f'corpus/{DOC}/meta.json: E212 title holds a lone surrogate ("5G \\ud800"), which UTF-8 '
        "cannot hold. Correct title in meta.json.\n"
        " Fix them (`newscorpus validate` lists every problem), then export again.\n"
    )
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["labelstudio", "doccano"])
@pytest.mark.parametrize("kind", ["fifo", "unreadable"])
def test_an_import_path_that_is_not_a_readable_file_is_refused(
    seed_project: Path, tmp_path: Path, fmt: str, kind: str
) -> None:
    # A FIFO blocked the import for ever, an unreadable file gave a traceback.
    path = tmp_path / "export.json"
    message = (
        "E219 is not a regular file (a folder, pipe, device or dangling link). Pass the file "
        "the tool exported."
    )
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/proc/self/mem")  # reading it fails with EIO
        message = (
            "E201 cannot read the file: Input/output error. Check that it exists and that you "
            "may read it."
        )
    before = tree(seed_project)
    assert run(seed_project, "import", fmt, str(path)) == (1, "", f"error: {path}: {message}\n")
    assert tree(seed_project) == before


def test_an_interrupt_as_an_export_makes_a_temp_file_leaves_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM (raised as an interrupt) right as an export file's temp file is made is held
    until the export has it in hand, then removes it with the others."""
    from newscorpus.signals import interrupting

    project = small_project(tmp_path / "p")
    out = tmp_path / "out"
    out.mkdir()
    made = newscorpus.io.tempfile.mkstemp

    def signalled(*args: Any, **kwargs: Any) -> Any:
        found = made(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        return found

    monkeypatch.setattr(newscorpus.io.tempfile, "mkstemp", signalled)
    with interrupting(), pytest.raises(KeyboardInterrupt):
        get("doccano").export(project, out, None)
    assert list(out.iterdir()) == []
