"""Kill newscorpus commands at random points and check that every change is all or nothing.

Run by hand (hundreds of trials take a few minutes)::

    python scripts/soak.py --trials 100

For ``add``, ``renormalise`` and ``build`` each trial starts the command on a small synthetic
corpus (``scripts/bench_build.py``'s generator) and stops it hard, either at a chosen step of
its transaction (``NEWSCORPUS_FAULT_AFTER``, which reaches every point) or with SIGKILL after a
random delay (which reaches the points outside transactions too). Then the next command runs,
recovers, and the corpus must be exactly as before or exactly as after an uninterrupted run,
with ``validate`` passing on the latter. Concurrent pairs run two commands at once: two ``add``
of different batches, and two ``add`` of one article under two ids. Every stderr is searched for
a traceback. The counts printed at the end (partial states, tracebacks, failed validations)
must all be 0. ``tests/test_crash.py`` runs a few trials of each in the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parent
#: The parts of a project a command may change; ``.newscorpus`` is its private state.
WATCHED = ("corpus", "annotations", "dist")


def load_bench() -> ModuleType:
    """``scripts/bench_build.py`` as a module, for its synthetic corpus generator."""
    spec = importlib.util.spec_from_file_location("bench_build", SCRIPTS / "bench_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_build"] = module
    spec.loader.exec_module(module)
    return module


def snapshot(root: Path) -> dict[str, str]:
    """Every file under the watched folders with its sha256 (folders as ``dir``)."""
    found: dict[str, str] = {}
    for top in WATCHED:
        for path in sorted((root / top).rglob("*")):
            name = path.relative_to(root).as_posix()
            if path.is_dir():
                found[name] = "dir"
            elif path.is_file():
                found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def newscorpus(root: Path, *args: str) -> list[str]:
    """The command line that runs ``newscorpus --root ROOT ARGS`` with this Python."""
    return [sys.executable, "-m", "newscorpus.entry", "--root", str(root), *args]


def run(root: Path, *args: str, fault: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    env.pop("NEWSCORPUS_FAULT_AFTER", None)
    if fault is not None:
        env["NEWSCORPUS_FAULT_AFTER"] = str(fault)
    return subprocess.run(
        newscorpus(root, *args), capture_output=True, text=True, env=env, check=False, cwd=root
    )


@dataclass(frozen=True)
class Scenario:
    """A command to interrupt, on a corpus prepared for it."""

    name: str
    args: tuple[str, ...]
    #: Makes the corpus the command starts from (in a fresh folder).
    prepare: Callable[[Path], None]


def _corpus(bench: ModuleType, docs: int) -> Callable[[Path], None]:
    cache: dict[str, Path] = {}

    def prepare(root: Path) -> None:
        if "template" not in cache:
            template = Path(tempfile.mkdtemp(prefix="soak-template-")) / "p"
            bench.make_corpus(template, docs)
            batch = template.parent / "batch"
            batch.mkdir()
            schema = bench.Schema.load(bench.SCHEMA_PATH)
            for n in range(docs, docs + 8):
                article = bench.synthetic_article(n, schema)
                (batch / f"{article.doc_id}.txt").write_text(article.raw, encoding="utf-8")
            cache["template"] = template
        shutil.copytree(cache["template"], root, symlinks=True)
        shutil.copytree(cache["template"].parent / "batch", root.parent / "batch")

    return prepare


def _edited(prepare: Callable[[Path], None]) -> Callable[[Path], None]:
    """The corpus with a word of several raw articles corrected, for ``renormalise``."""

    def edit(root: Path) -> None:
        prepare(root)
        for folder in sorted((root / "corpus").iterdir())[::2]:
            raw = folder / "raw.txt"
            raw.write_bytes(raw.read_bytes().replace(b" the ", b" the the ", 3))

    return edit


def scenarios(bench: ModuleType, docs: int) -> list[Scenario]:
    base = _corpus(bench, docs)
    return [
        Scenario("add", ("add", "../batch"), base),
        Scenario(
            "renormalise", ("renormalise", "--accept-raw-edits", "--drop-lost"), _edited(base)
        ),
        Scenario("build", ("build",), base),
    ]


@dataclass
class Outcome:
    """One trial: how it was stopped, and what the corpus was left as."""

    scenario: str
    how: str
    state: str
    traceback: bool
    validate_ok: bool


def expected_states(scenario: Scenario, workdir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The corpus before the command, and after an uninterrupted run of it."""
    root = workdir / "reference" / "p"
    root.parent.mkdir(parents=True)
    scenario.prepare(root)
    before = snapshot(root)
    done = run(root, *scenario.args)
    if done.returncode != 0:
        raise RuntimeError(f"{scenario.name} failed uninterrupted: {done.stderr}")
    return before, snapshot(root)


def trial(
    scenario: Scenario,
    workdir: Path,
    states: tuple[dict[str, str], dict[str, str]],
    rng: random.Random,
    *,
    fault: int | None,
    max_delay: float,
) -> Outcome:
    """Run the command once, stop it (at ``fault`` or after a random delay), then check."""
    root = workdir / f"t{rng.getrandbits(32):08x}" / "p"
    root.parent.mkdir(parents=True)
    scenario.prepare(root)
    if fault is not None:
        stopped = run(root, *scenario.args, fault=fault)
        how = f"fault after step {fault}"
        stderr = stopped.stderr
    else:
        delay = rng.uniform(0, max_delay)
        process = subprocess.Popen(
            newscorpus(root, *scenario.args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate()
        how = f"SIGKILL after {delay:.2f}s"
    # The next command recovers; validate reads, and recovers a dead writer's journal first.
    check = run(root, "validate")
    if scenario.name == "build":
        # A dead build is repaired by the next build, which must then succeed.
        check = run(root, "build")
    before, after = states
    now = snapshot(root)
    state = "before" if now == before else "after" if now == after else "partial"
    if scenario.name == "build" and state == "before":
        state = "partial"  # the next build ran to the end, so its output must be there
    traceback = "Traceback" in stderr or "Traceback" in check.stderr
    shutil.rmtree(root.parent, ignore_errors=True)
    return Outcome(scenario.name, how, state, traceback, check.returncode == 0 or state == "before")


def concurrent_pairs(bench: ModuleType, workdir: Path, docs: int) -> list[Outcome]:
    """Two ``add`` at once: of different batches, and of one article under two ids."""
    outcomes = []
    prepare = _corpus(bench, docs)
    root = workdir / "pair-batches" / "p"
    root.parent.mkdir(parents=True)
    prepare(root)
    batch = root.parent / "batch"
    halves = [root.parent / "a", root.parent / "b"]
    for k, half in enumerate(halves):
        half.mkdir()
        for path in sorted(batch.iterdir())[k::2]:
            shutil.copy(path, half)
    processes = [
        subprocess.Popen(
            newscorpus(root, "add", str(h)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for h in halves
    ]
    errors = [p.communicate()[1] for p in processes]
    # Each batch is stored whole or not at all (one may give up waiting for the lock: E010).
    stored = len(list((root / "corpus").iterdir()))
    complete = stored in (docs, docs + len(list(halves[0].iterdir())), docs + 8)
    outcomes.append(
        Outcome(
            "add || add",
            "two batches",
            "ok" if complete else "partial",
            any("Traceback" in e for e in errors),
            run(root, "validate").returncode == 0,
        )
    )
    root = workdir / "pair-same" / "p"
    root.parent.mkdir(parents=True)
    prepare(root)
    one = sorted((root.parent / "batch").iterdir())[0]
    processes = [
        subprocess.Popen(
            newscorpus(root, "add", str(one), "--id", name),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("same-one", "same-two")
    ]
    errors = [p.communicate()[1] for p in processes]
    kept = {p.name for p in (root / "corpus").iterdir()} & {"same-one", "same-two"}
    outcomes.append(
        Outcome(
            "add || add",
            "one article, two ids",
            "ok" if len(kept) == 1 else "partial",
            any("Traceback" in e for e in errors),
            run(root, "validate").returncode == 0,
        )
    )
    return outcomes


def soak(trials: int, docs: int, seed: int, max_delay: float) -> list[Outcome]:
    """``trials`` interrupted runs of each scenario (half by fault step, half by timed kill)."""
    bench = load_bench()
    rng = random.Random(seed)
    workdir = Path(tempfile.mkdtemp(prefix="newscorpus-soak-"))
    outcomes: list[Outcome] = []
    try:
        for scenario in scenarios(bench, docs):
            states = expected_states(scenario, workdir / scenario.name)
            steps = _steps(states)
            for k in range(trials):
                fault = rng.randint(1, steps) if k % 2 == 0 and steps else None
                outcomes.append(
                    trial(scenario, workdir, states, rng, fault=fault, max_delay=max_delay)
                )
        outcomes += concurrent_pairs(bench, workdir, docs)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return outcomes


def _steps(states: tuple[dict[str, str], dict[str, str]]) -> int:
    """About how many transaction steps the command takes: each changed file is staged and
    applied, with the commit between (0 for a command without a transaction, like build)."""
    before, after = states
    changed = [p for p in set(before) | set(after) if before.get(p) != after.get(p)]
    files = [p for p in changed if after.get(p, "") != "dir" and not p.startswith("dist")]
    return 2 * len(files) + 1 if files else 0


def summary(outcomes: list[Outcome]) -> str:
    """The counts that must be 0, per scenario."""
    lines = []
    by_name: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_name.setdefault(outcome.scenario, []).append(outcome)
    for name, group in by_name.items():
        states = Counter(o.state for o in group)
        lines.append(
            f"{name}: {len(group)} trials; states {dict(sorted(states.items()))}; "
            f"partial {states['partial']}; tracebacks {sum(o.traceback for o in group)}; "
            f"failed validations {sum(not o.validate_ok for o in group)}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=50, help="trials per command")
    parser.add_argument("--docs", type=int, default=12, help="articles in the corpus")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-delay", type=float, default=4.0, help="latest kill, seconds")
    options = parser.parse_args()
    started = time.perf_counter()
    outcomes = soak(options.trials, options.docs, options.seed, options.max_delay)
    print(summary(outcomes))
    bad = [o for o in outcomes if o.state == "partial" or o.traceback or not o.validate_ok]
    for outcome in bad:
        print(f"  BAD {json.dumps(outcome.__dict__)}")
    print(f"{len(outcomes)} trials in {time.perf_counter() - started:.0f}s; {len(bad)} bad")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
