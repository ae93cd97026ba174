"""`newscorpus validate`: exact output in each format, exit codes, and the CI hooks it ships."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from newscorpus.cli import main
from test_validate import (
    ANN,
    DOC,
    _e132,
    _e134,
    add_article,
    base_doc,
    entity,
    tree,
    write_doc,
)

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture
def project(empty_project: Path) -> Path:
    add_article(empty_project)
    write_doc(empty_project, base_doc())
    return empty_project


@pytest.fixture
def broken(project: Path) -> Path:
    """Two errors in two files and one warning."""
    _e134(project, base_doc())
    doc = base_doc()
    doc["relations"].append({"id": "R5", "head": "T2", "tail": "T1", "label": "agreement_with"})
    entity(doc, "T1").update(end=4, text="Indi")
    write_doc(project, doc)
    return project


def run(root: Path, *args: str) -> tuple[int, str, str]:
    before = tree(root)
    result = CliRunner().invoke(main, ["--root", str(root), "validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert tree(root) == before
    return result.exit_code, result.stdout, result.stderr


GHOST = (
    "annotations/ghost.json: E144 there is no article ghost in the corpus (corpus/ghost/ is "
    "missing); the file name is the document id. Add the article with `newscorpus add`, rename "
    "the file after its article, or delete it."
)
CUT = (
    f'{ANN}:5:5: W101 T1 span [0, 4) "Indi" cuts a word: the text around it reads "India". '
    "Extend it to [0, 5), or leave it if the mention really is part of a word."
)
MIRROR = (
    f"{ANN}:107:5: E142 R5 mirrors R1 (agreement_with T1 <-> T2); agreement_with is symmetric, "
    "so both say the same. Remove R5."
)


def test_text_clean(project: Path) -> None:
    assert run(project) == (0, "ok: 1 annotation file, 1 article, no problems\n", "")


def test_text_lists_every_issue_then_a_summary(broken: Path) -> None:
    assert run(broken) == (
        1,
        f"{GHOST}\n{CUT}\n{MIRROR}\n2 errors, 1 warning in 2 files\n",
        "",
    )


def test_warnings_fail_only_with_strict(project: Path) -> None:
    doc = base_doc()
    entity(doc, "T1").update(end=4, text="Indi")
    write_doc(project, doc)
    assert run(project) == (0, f"{CUT}\n0 errors, 1 warning in 1 file\n", "")
    assert run(project, "--strict") == (1, f"{CUT}\n0 errors, 1 warning in 1 file\n", "")


def test_paths_limit_the_check(broken: Path) -> None:
    ghost = str(broken / "annotations" / "ghost.json")
    assert run(broken, ghost) == (1, f"{GHOST}\n1 error, 0 warnings in 1 file\n", "")


def test_json_is_one_document(broken: Path) -> None:
    code, out, err = run(broken, "--format", "json")
    assert (code, err) == (1, "")
    document: dict[str, Any] = json.loads(out)
    assert document == {
        "ok": False,
        "errors": 2,
        "warnings": 1,
        "issues": [
            {
                "code": "E144",
                "severity": "error",
                "path": "annotations/ghost.json",
                "message": GHOST.split(" E144 ")[1].split(" Add the")[0],
                "fix": "Add the article with `newscorpus add`, rename the file after its "
                "article, or delete it.",
                "annotation_id": None,
                "line": None,
                "column": None,
            },
            {
                "code": "W101",
                "severity": "warning",
                "path": ANN,
                "message": 'span [0, 4) "Indi" cuts a word: the text around it reads "India".',
                "fix": "Extend it to [0, 5), or leave it if the mention really is part of a word.",
                "annotation_id": "T1",
                "line": 5,
                "column": 5,
            },
            {
                "code": "E142",
                "severity": "error",
                "path": ANN,
                "message": "mirrors R1 (agreement_with T1 <-> T2); agreement_with is symmetric, "
                "so both say the same.",
                "fix": "Remove R5.",
                "annotation_id": "R5",
                "line": 107,
                "column": 5,
            },
        ],
    }
    assert out.startswith('{\n  "ok": false,\n  "errors": 2,\n  "warnings": 1,\n  "issues": [\n')


def test_json_clean_and_strict(project: Path) -> None:
    expected = '{\n  "ok": true,\n  "errors": 0,\n  "warnings": 0,\n  "issues": []\n}\n'
    assert run(project, "--format", "json", "--strict") == (0, expected, "")


def test_github_workflow_commands(broken: Path) -> None:
    code, out, _ = run(broken, "--format", "github")
    assert code == 1
    assert out.splitlines() == [
        "::error file=annotations/ghost.json,title=E144::there is no article ghost in the corpus "
        "(corpus/ghost/ is missing); the file name is the document id. Add the article with "
        "`newscorpus add`, rename the file after its article, or delete it.",
        f'::warning file={ANN},line=5,col=5,title=W101::T1 span [0, 4) "Indi" cuts a word: '
        'the text around it reads "India". Extend it to [0, 5), or leave it if the mention '
        "really is part of a word.",
        f"::error file={ANN},line=107,col=5,title=E142::R5 mirrors R1 (agreement_with T1 <-> T2); "
        "agreement_with is symmetric, so both say the same. Remove R5.",
        "2 errors, 1 warning in 2 files",
    ]


def test_github_escapes_property_and_message_text(project: Path) -> None:
    doc = base_doc()
    entity(doc, "T1")["label"] = "100%"
    write_doc(project, dict(doc, doc_id="a,b:c"), name="a,b:c")
    (project / ANN).unlink()
    code, out, _ = run(project, "--format", "github", str(project / "annotations"))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("::error file=annotations/a%2Cb%3Ac.json,title=E144::there is ")
    assert lines[1].startswith(
        "::error file=annotations/a%2Cb%3Ac.json,line=5,col=5,title=E109::T1 label is "
        '"100%25"; allowed: PERSON,'
    )


def test_github_paths_are_relative_to_the_workspace(broken: Path) -> None:
    """In a repository whose corpus project lives in a subfolder, annotations still attach."""
    env = {"GITHUB_WORKSPACE": str(broken.parent)}
    args = ["--root", str(broken), "validate", "--format", "github"]
    result = CliRunner(env=env).invoke(main, args)
    assert [line.split(",")[0] for line in result.stdout.splitlines()[:3]] == [
        "::error file=proj/annotations/ghost.json",
        f"::warning file=proj/{ANN}",
        f"::error file=proj/{ANN}",
    ]


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["no-such-file.json"], "Path 'no-such-file.json' does not exist."),
        (["--format", "xml"], "'xml' is not one of 'text', 'json', 'github'."),
        (["--no-such-option"], "No such option '--no-such-option'."),
    ],
)
def test_usage_errors_exit_2(project: Path, args: list[str], stderr: str) -> None:
    code, out, err = run(project, *args)
    assert (code, out) == (2, "")
    assert stderr in err


def test_a_path_that_is_no_annotation_file_exits_2(project: Path) -> None:
    schema = project / "annotations" / "schema.yaml"
    assert run(project, str(schema)) == (
        2,
        "",
        f"error: E145 {schema} is not an annotation file (*.json) or a folder of them. Pass "
        "annotation files or their folder (annotations/), or no path to validate the whole "
        "project.\n",
    )


def test_no_traceback_whatever_the_bytes(project: Path) -> None:
    (project / ANN).write_bytes(b"\xff\xfe\x00\x01garbage")
    (project / "corpus" / DOC / "meta.json").write_bytes(b"\x00")
    (project / "annotations" / "zz.json").write_bytes(b'{"entities": [{"id": "\\ud800"}]}')
    code, out, err = run(project)
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"{ANN}: E101 is encoded as UTF-16; annotation files must be UTF-8. Convert it, e.g. "
        "`iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8`, and save it as UTF-8.",
        "annotations/zz.json: E144 there is no article zz in the corpus (corpus/zz/ is missing); "
        "the file name is the document id. Add the article with `newscorpus add`, rename the "
        "file after its article, or delete it.",
        'annotations/zz.json:1:1: E105 has no "doc_id", "text_sha256", "relations"; an '
        "annotation file needs doc_id, text_sha256, entities, relations. Add them.",
        'annotations/zz.json:1:15: E105 entities[0] has no "start", "end", "label", '
        '"text"; an entity needs id, start, end, label, text. Add them.',
        "annotations/zz.json:1:23: E103 holds a \\u escape of half a surrogate pair, which no "
        "UTF-8 file can store. Write the character itself, or both halves of the pair.",
        f"corpus/{DOC}/meta.json: E212 meta.json cannot be parsed: Expecting value. Restore it "
        "from version control, or remove the folder and `newscorpus add` the article again.",
        "6 errors, 0 warnings in 3 files",
    ]


def test_meta_text_fields_must_be_text_a_build_and_an_export_can_write(project: Path) -> None:
    meta = project / "corpus" / DOC / "meta.json"
    data = json.loads(meta.read_text("utf-8"))
    data.update(title=5, url=float("nan"), category="A\ud800B")
    meta.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run(project)
    assert (code, err) == (1, "")
    where = f"corpus/{DOC}/meta.json"
    assert out.splitlines() == [
        f"{where}: E212 title is 5 (an integer); it must be text or null. Correct title in "
        "meta.json.",
        f'{where}: E212 category holds a lone surrogate ("A\\ud800B"), which UTF-8 cannot '
        "hold. Correct category in meta.json.",
        f"{where}: E212 url is nan (a number with a fraction); it must be text or null. "
        "Correct url in meta.json.",
        "3 errors, 0 warnings in 1 file",
    ]


# --- the CI hooks, run as a corpus project would run them ------------------------------------


def test_the_pre_commit_hook(project: Path) -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["newscorpus-validate", "newscorpus-check"]
    hook = hooks[0]
    assert (hook["language"], hook["pass_filenames"]) == ("python", False)
    files = re.compile(hook["files"])
    assert [bool(files.search(p)) for p in (ANN, f"corpus/{DOC}/raw.txt", "pyproject.toml")] == [
        True,
        True,
        True,
    ]
    assert not files.search("README.md")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    command = shlex.split(hook["entry"])
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "ok: 1 annotation file, 1 article, no problems\n")
    doc = base_doc()
    entity(doc, "T1").update(end=4, text="Indi")
    write_doc(project, doc)
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (1, f"{CUT}\n0 errors, 1 warning in 1 file\n")


def test_the_check_hook_and_workflow_step_run_check_strict(seed_project: Path) -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = hooks[1]
    assert (hook["entry"], hook["files"]) == ("newscorpus check --strict", hooks[0]["files"])
    step = _workflow_steps()["Check consistency across the corpus"]
    assert step == "newscorpus check --strict --format github"
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        shlex.split(hook["entry"]), cwd=seed_project, env=env, text=True, capture_output=True
    )
    assert done.returncode == 0
    (seed_project / "annotations" / "checks.yaml").unlink()
    done = subprocess.run(["bash", "-c", step], cwd=seed_project, env=env, capture_output=True)
    assert done.returncode == 1
    lines = done.stdout.decode().splitlines()
    assert [line.split("::")[1] for line in lines[:-1]] == [
        "warning file=annotations/india-japan-5g-agreement.json,title=W172",
        "warning file=annotations/india-japan-5g-agreement.json,title=W172",
    ]


def _workflow_steps() -> dict[str, str]:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "validate.yml").read_text("utf-8"))
    steps = workflow["jobs"]["validate"]["steps"]
    assert [s.get("uses") for s in steps[:2]] == ["actions/checkout@v4", "actions/setup-python@v5"]
    assert steps[1]["with"] == {"python-version": "3.11"}
    return {s["name"]: s["run"] for s in steps[2:]}


def test_the_workflow_validates_with_github_annotations(project: Path) -> None:
    step = _workflow_steps()["Validate"]
    assert step == "newscorpus validate --strict --format github"
    _e132(project, base_doc())
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["bash", "-c", step], cwd=project, env=env, capture_output=True)
    assert done.returncode == 1
    assert (
        done.stdout.decode()
        .splitlines()[0]
        .startswith(f"::error file={ANN},line=107,col=5,title=E142::R5 mirrors R1")
    )


@pytest.mark.parametrize(
    ("setup", "installs"),
    [
        ("requirements", "install -r requirements.txt"),
        ("newscorpus", "install -c constraints.txt ."),
        ("bare", None),
    ],
)
def test_the_workflow_installs_what_the_project_names(
    tmp_path: Path, setup: str, installs: str | None
) -> None:
    """Run the install step with a `python` that records its pip arguments instead of
    downloading, in a corpus project, in one with requirements.txt, and in this repository."""
    folder = tmp_path / "checkout"
    folder.mkdir()
    if setup == "newscorpus":
        for name in ("pyproject.toml", "constraints.txt"):
            (folder / name).write_bytes((REPO / name).read_bytes())
    else:
        make_corpus = (REPO / "src" / "newscorpus" / "templates" / "pyproject.toml").read_text()
        (folder / "pyproject.toml").write_text(make_corpus.replace("{name}", "other"))
    if setup == "requirements":
        (folder / "requirements.txt").write_text("newscorpus==0.1.0\n")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python").write_text('#!/bin/sh\necho "$@" >> "$LOG"\n')
    (fake / "python").chmod(0o755)
    log = tmp_path / "pip.log"
    env = dict(os.environ, PATH=f"{fake}{os.pathsep}{os.environ['PATH']}", LOG=str(log))
    step = _workflow_steps()["Install newscorpus"]
    done = subprocess.run(["bash", "-e", "-c", step], cwd=folder, env=env, capture_output=True)
    calls = log.read_text().splitlines()
    if installs is None:
        assert done.returncode == 1
        assert done.stdout.decode().startswith("::error file=pyproject.toml,title=newscorpus")
        assert calls == ["-m pip install --upgrade pip"]
    else:
        assert done.returncode == 0
        assert calls == ["-m pip install --upgrade pip", f"-m pip {installs}"]
