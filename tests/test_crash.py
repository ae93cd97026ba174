"""Crash safety: a change killed at any point leaves the project as before or as after.

The transaction is killed after each of its steps in turn (``NEWSCORPUS_FAULT_AFTER``), and
``add``, ``renormalise`` and ``build`` are killed at chosen steps and at random times through
``scripts/soak.py``'s harness (a handful of trials each; the script runs hundreds by hand).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import REPO_ROOT, lock_held, make_project, run, tree
from newscorpus.lock import holder, project_lock
from newscorpus.project import load_project
from newscorpus.txn import recover, transaction

#: A child that changes three files in one transaction (two writes, one removal).
CHILD = """
import sys
from pathlib import Path
from newscorpus.project import load_project
from newscorpus.txn import transaction
project = load_project(Path(sys.argv[1]))
with transaction(project, "test") as txn:
    txn.write_text(project.corpus / "a.txt", "new a")
    txn.write_text(project.corpus / "deep" / "b.txt", "new b")
    txn.remove(project.corpus / "c.txt")
"""


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text("utf-8")
        for p in sorted((root / "corpus").rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def small(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "p")
    (root / "corpus" / "a.txt").write_text("old a", encoding="utf-8")
    (root / "corpus" / "c.txt").write_text("old c", encoding="utf-8")
    return root


BEFORE = {"corpus/a.txt": "old a", "corpus/c.txt": "old c"}
AFTER = {"corpus/a.txt": "new a", "corpus/deep/b.txt": "new b"}


@pytest.mark.parametrize("step", range(1, 7))
def test_a_kill_after_any_step_leaves_before_or_after(small: Path, step: int) -> None:
    env = {**os.environ, "NEWSCORPUS_FAULT_AFTER": str(step)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(small)], env=env, capture_output=True, check=False
    )
    assert child.returncode == 137
    said = recover(load_project(small))
    # Steps 1-2 stage files (nothing committed); 3 is the journal's rename, the commit point.
    expected = BEFORE if step < 3 else AFTER
    assert _files(small) == expected
    if step < 3:
        assert said == [said[0]] and said[0].startswith("recovered: discarded unfinished change ")
    else:
        assert said == ["recovered: completed an interrupted `test` (3 file operation(s))"]
    assert list((small / ".newscorpus" / "txn").iterdir()) == []
    assert recover(load_project(small)) == []


def test_the_whole_transaction_without_a_fault(small: Path) -> None:
    child = subprocess.run([sys.executable, "-c", CHILD, str(small)], check=False)
    assert child.returncode == 0
    assert _files(small) == AFTER


def test_an_error_in_the_block_writes_nothing(small: Path) -> None:
    project = load_project(small)
    with pytest.raises(RuntimeError), transaction(project, "test") as txn:
        txn.write_text(project.corpus / "a.txt", "new a")
        raise RuntimeError("stop")
    assert _files(small) == BEFORE
    assert list((small / ".newscorpus" / "txn").iterdir()) == []


def test_a_damaged_staged_file_is_not_applied(small: Path) -> None:
    env = {**os.environ, "NEWSCORPUS_FAULT_AFTER": "3"}
    subprocess.run([sys.executable, "-c", CHILD, str(small)], env=env, check=False)
    staged = next(p for p in (small / ".newscorpus" / "txn").iterdir() if p.is_dir())
    (staged / "000000").write_text("tampered", encoding="utf-8")
    before = _files(small)
    code, _, err = run(small, "validate")
    assert code == 1
    assert err.startswith("error: E011 cannot complete the interrupted change recorded in ")
    assert "corpus/a.txt: its staged copy is corrupt. Restore the project from git" in err
    with pytest.raises(Exception, match="E011 cannot complete the interrupted change"):
        recover(load_project(small))
    assert _files(small) == before


def test_an_operation_that_cannot_be_applied_says_how_to_get_out(small: Path) -> None:
    """A committed change whose operation fails every time (a file where a folder belongs, a
    name the file system refuses) keeps every command on E011: its fix says how out."""
    env = {**os.environ, "NEWSCORPUS_FAULT_AFTER": "3"}
    subprocess.run([sys.executable, "-c", CHILD, str(small)], env=env, check=False)
    (small / "corpus" / "deep").write_text("a file where the folder belongs", encoding="utf-8")
    code, _, err = run(small, "validate")
    assert code == 1
    assert err.startswith("error: E011 cannot complete the interrupted change recorded in ")
    assert ": corpus/deep/b.txt: File exists (the change is kept: fix this, then run" in err
    assert err.endswith(
        "Fix the permissions or the folder in the way, then run the command again. If it "
        "cannot be fixed (a name the file system refuses), restore the project from git (git "
        f"status shows what changed), then delete {small / '.newscorpus' / 'txn'}.\n"
    )


def test_a_reader_completes_a_dead_writers_change(small: Path) -> None:
    env = {**os.environ, "NEWSCORPUS_FAULT_AFTER": "4"}
    subprocess.run([sys.executable, "-c", CHILD, str(small)], env=env, check=False)
    assert _files(small) != AFTER  # half applied
    code, _, err = run(small, "validate")
    assert err.splitlines()[-1] == (
        "recovered: completed an interrupted `test` (3 file operation(s))"
    )
    assert _files(small) == AFTER
    assert code in (0, 1)


def test_a_second_writer_names_the_holder(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with lock_held(small, "add") as pid:
        project = load_project(small)
        assert holder(project) == f"`add` (pid {pid})"
        monkeypatch.setenv("NEWSCORPUS_LOCK_TIMEOUT", "0.2")
        code, out, err = run(small, "renormalise")
        assert (code, out) == (1, "")
        assert err == (
            f"error: E010 another newscorpus command is changing this project: `add` (pid "
            f"{pid}) holds .newscorpus/lock (waited 0.2 s). Run this command again when "
            "that one has finished (set NEWSCORPUS_LOCK_TIMEOUT to wait longer).\n"
        )
    # The kernel released the dead holder's lock: the next writer goes ahead.
    with project_lock(load_project(small), "renormalise"):
        pass


# --- whole commands, killed ------------------------------------------------------------------


@pytest.fixture(scope="module")
def soak() -> ModuleType:
    import importlib.util

    spec = importlib.util.spec_from_file_location("soak", REPO_ROOT / "scripts" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["add", "renormalise", "build"])
def test_commands_killed_at_random_points_are_all_or_nothing(
    soak: ModuleType, tmp_path: Path, name: str
) -> None:
    bench = soak.load_bench()
    scenario = next(s for s in soak.scenarios(bench, 4) if s.name == name)
    states = soak.expected_states(scenario, tmp_path / "reference")
    assert states[0] != states[1]
    steps = soak._steps(states)
    rng = random.Random(f"crash-{name}")
    faults = [rng.randint(1, steps), rng.randint(1, steps)] if steps else []
    outcomes = [
        soak.trial(scenario, tmp_path, states, rng, fault=k, max_delay=2.0)
        for k in [*faults, None, None]
    ]
    assert [(o.state in ("before", "after"), o.traceback, o.validate_ok) for o in outcomes] == [
        (True, False, True)
    ] * len(outcomes), [o.__dict__ for o in outcomes]


def test_concurrent_adds_store_each_batch_whole_and_each_article_once(
    soak: ModuleType, tmp_path: Path
) -> None:
    outcomes = soak.concurrent_pairs(soak.load_bench(), tmp_path, 4)
    assert [(o.how, o.state, o.traceback, o.validate_ok) for o in outcomes] == [
        ("two batches", "ok", False, True),
        ("one article, two ids", "ok", False, True),
    ]


def test_ctrl_c_exits_130_with_one_line(seed_project: Path) -> None:
    # From start-up (imports) to the middle of the build. The interpreter's own start-up,
    # before any of our code runs, is beyond any handler: on a loaded machine it can outlast
    # the first delay, and then the process dies of the signal having printed nothing. So is
    # its shut-down (Python gives the signals their default actions back): a build that has
    # printed its summary can die of a late interrupt too.
    script = Path(sys.executable).with_name("newscorpus")
    handled = 0
    for delay in (0.8, 1.6, 3.0):
        process = subprocess.Popen(
            [str(script), "--root", str(seed_project), "build"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        if process.returncode == 0:
            continue  # finished before the interrupt
        if process.returncode == -signal.SIGINT and err == "" and out.startswith("built "):
            continue  # finished, then interrupted while the interpreter shut down
        if process.returncode == -signal.SIGINT and err == "" and delay == 0.8:
            continue  # still starting the interpreter
        handled += 1
        assert process.returncode == 130, (delay, out, err)
        assert err == "interrupted: nothing was changed\n"
        assert not list((seed_project / "dist").glob(".*"))
    assert handled, "every interrupt came too early or too late to test the handler"


def test_sigterm_stops_a_build_as_ctrl_c_does(tmp_path: Path) -> None:
    """SIGTERM to the build alone (as ``timeout`` and CI send it) ends its workers, removes its
    work folder and leaves the previous output as it was."""
    from build_helpers import tree_digest
    from test_scale import seed_and_synthetic

    project = seed_and_synthetic(tmp_path / "proj")
    script = Path(sys.executable).with_name("newscorpus")
    command = [str(script), "--root", str(project.root), "build", "--no-cache", "--jobs", "2"]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    out = project.root / "dist" / project.name
    before = tree_digest(out)
    handled = 0
    for _ in range(3):
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        work = out.with_name(f".{out.name}.building")
        while process.poll() is None and not (work / "data").exists():
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
        if process.returncode == 0:
            continue  # the shards were done before the signal came
        handled += 1
        assert (process.returncode, stdout, stderr) == (
            130,
            "",
            "interrupted: nothing was changed\n",
        )
        assert not work.exists()
        assert tree_digest(out) == before
        assert _processes_with(str(project.root)) == []
    assert handled, "every build finished before SIGTERM came"


def test_an_interrupt_during_the_swap_lands_after_it(
    seed_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Between the swap's two renames the output folder is missing: the signal waits for the
    # second, and the CLI says the build completed.
    import newscorpus.package

    assert run(seed_project, "build")[0] == 0
    out = seed_project / "dist" / load_project(seed_project).name
    swap = newscorpus.package.swap

    def interrupted(work: Path, target: Path) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        swap(work, target)

    monkeypatch.setattr(newscorpus.package, "swap", interrupted)
    previous = out.stat().st_ino
    assert run(seed_project, "build") == (
        130,
        "",
        "interrupted: `build` had completed its changes\n",
    )
    assert out.stat().st_ino != previous  # the new build's folder
    assert [p.name for p in out.parent.iterdir()] == [out.name]


#: A pool whose first fork is interrupted, in the parent's after-fork hook.
INTERRUPTED_FORK = """
import os, signal
from newscorpus.engines import EngineSettings, map_shards
from newscorpus.signals import interrupting
armed = [True]
def interrupt_once():
    if armed.pop() if armed else False:
        os.kill(os.getpid(), signal.SIGTERM)
os.register_at_fork(after_in_parent=interrupt_once)
with interrupting():
    try:
        map_shards(abs, [-1, -2, -3], EngineSettings("process", 2))
    except KeyboardInterrupt:
        print("interrupted")
    else:
        print("finished")
"""


def test_an_interrupt_while_the_pool_forks_is_not_lost() -> None:
    # Python ignores an exception raised in an after-fork hook: the interrupt was lost there,
    # and the work went on as if it had never come.
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_FORK], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "interrupted\n", "")


def test_a_second_interrupt_waits_for_the_clean_up(
    seed_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newscorpus.package

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    rmtree = shutil.rmtree

    def terminated_then_removed(path: Path, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        rmtree(path, **kwargs)

    monkeypatch.setattr(newscorpus.package, "_write_metadata", interrupted)
    monkeypatch.setattr(newscorpus.package.shutil, "rmtree", terminated_then_removed)
    assert run(seed_project, "build") == (130, "", "interrupted: nothing was changed\n")
    assert not (seed_project / "dist").exists()


def _processes_with(text: str) -> list[int]:
    """The processes whose command line holds ``text`` (a build's workers have their parent's)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_text("utf-8", "replace"):
                found.append(int(entry.name))
        except OSError:  # it ended while being looked at
            continue
    return found


#: The ids ``add`` gives :func:`three_articles`.
THREE_IDS = ["headline-0", "headline-1", "headline-2"]


def three_articles(project: Path) -> Path:
    """A folder of three small articles beside ``project``, for ``add``."""
    articles = project.parent / "in"
    articles.mkdir()
    for n in range(3):
        (articles / f"a{n}.txt").write_text(f"Headline {n}\n\nBody of article {n}.\n", "utf-8")
    return articles


def test_ctrl_c_says_whether_the_change_was_made(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newscorpus.ingest

    articles = three_articles(empty_project)
    stage = newscorpus.ingest._stage_articles
    before = tree(empty_project)

    def interrupted_while_staging(txn: object, articles: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(newscorpus.ingest, "_stage_articles", interrupted_while_staging)
    assert run(empty_project, "add", str(articles)) == (
        130,
        "",
        "interrupted: nothing was changed\n",
    )
    assert tree(empty_project) == before
    monkeypatch.setattr(newscorpus.ingest, "_stage_articles", stage)
    add = newscorpus.ingest.add_articles

    def interrupted_after(*args: object) -> None:
        add(*args)  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(newscorpus.ingest, "add_articles", interrupted_after)
    assert run(empty_project, "add", str(articles)) == (
        130,
        "",
        "interrupted: `add` had completed its changes\n",
    )
    assert sorted(p.name for p in (empty_project / "corpus").iterdir()) == THREE_IDS


def test_ctrl_c_while_a_change_is_applied_lands_after_it(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # numpy's BLAS pool is a second thread that does not block signals: the kernel can hand
    # it a Ctrl-C sent to the process, and Python then raises in the main thread at once. The
    # change being applied must finish first all the same.
    import numpy  # noqa: F401  (starts that thread, as every command that loads spaCy does)

    import newscorpus.txn

    articles = three_articles(empty_project)
    apply = newscorpus.txn._apply

    def interrupted(*args: Any, **kwargs: Any) -> int:
        os.kill(os.getpid(), signal.SIGINT)
        return apply(*args, **kwargs)

    monkeypatch.setattr(newscorpus.txn, "_apply", interrupted)
    assert run(empty_project, "add", str(articles)) == (
        130,
        "",
        "interrupted: `add` had completed its changes\n",
    )
    assert sorted(p.name for p in (empty_project / "corpus").iterdir()) == THREE_IDS
    assert not list((empty_project / ".newscorpus" / "txn").iterdir())


# --- journals are data: a crafted or damaged one is refused, never followed ------------------

_ID = "20261130T120000-1-0123abcd"


@pytest.mark.parametrize(
    "journal",
    [
        {"id": _ID, "command": "add", "ops": [{"op": "remove", "path": "/tmp/victim"}]},
        {"id": _ID, "command": "add", "ops": [{"op": "remove", "path": "../victim"}]},
        {"id": "../../victim", "command": "add", "ops": []},
        {"id": _ID, "command": "add", "ops": [{"op": "remove", "path": ".newscorpus/lock"}]},
        {"id": _ID, "command": "add"},
        {"command": "add", "ops": []},
        {"id": _ID, "command": "add", "ops": [{"path": "corpus/a.txt"}]},
        {"id": _ID, "command": "add", "ops": [{"op": "write", "path": "corpus/a.txt"}]},
        [1, 2],
    ],
)
def test_a_crafted_or_damaged_journal_is_refused(
    small: Path, tmp_path: Path, journal: object
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep", encoding="utf-8")
    folder = small / ".newscorpus" / "txn"
    folder.mkdir(parents=True)
    name = f"{journal.get('id', _ID)}.journal" if isinstance(journal, dict) else f"{_ID}.journal"
    (folder / name.replace("/", "_")).write_text(json.dumps(journal), encoding="utf-8")
    before = _files(small)
    code, _, err = run(small, "validate")
    assert code == 1
    assert err.startswith("error: E011 cannot complete the interrupted change recorded in ")
    assert "the journal is not one newscorpus wrote." in err
    assert victim.read_text("utf-8") == "keep"
    assert _files(small) == before


def test_a_blocked_private_folder_is_a_coded_error(small: Path) -> None:
    (small / ".newscorpus").write_text("not a folder", encoding="utf-8")
    code, _, err = run(small, "schema", "--update-guidelines")
    assert code == 1
    assert err.startswith(
        "error: .newscorpus: E012 cannot use the project's private folder .newscorpus/ ("
    )
    assert err.endswith(
        "nothing was changed. .newscorpus must be a folder you can write to, holding only what "
        "newscorpus puts there: remove what is in the way, or fix the permissions or free disk "
        "space.\n"
    )


def test_a_symlinked_corpus_folder_is_the_projects_corpus(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    elsewhere = tmp_path / "other-disk" / "corpus"
    elsewhere.parent.mkdir()
    (root / "corpus").rename(elsewhere)
    (root / "corpus").symlink_to(elsewhere)
    article = tmp_path / "a.txt"
    article.write_text("A headline\n\nBody.\n", encoding="utf-8")
    assert run(root, "add", str(article))[0] == 0
    assert (elsewhere / "headline" / "raw.txt").read_bytes() == article.read_bytes()
