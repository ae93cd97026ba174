"""Shared test set-up: a hermetic environment and throwaway corpus projects.

Hugging Face libraries read their cache and endpoint settings at import time, so the environment
is fixed here, before any test module imports them: every cache lives in a temp dir and the Hub
is offline unless a test starts its own local Hub server.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HF_HOME = Path(tempfile.mkdtemp(prefix="newscorpus-hf-"))
os.environ["HF_HOME"] = str(_HF_HOME)
os.environ["HF_DATASETS_CACHE"] = str(_HF_HOME / "datasets")
os.environ["HF_HUB_CACHE"] = str(_HF_HOME / "hub")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ.pop("HF_TOKEN", None)

# The interrupt tests need Ctrl-C to raise KeyboardInterrupt, as it does in a terminal. A shell
# that starts the suite in the background (`scripts/test &`) leaves SIGINT ignored, and Python
# then keeps it ignored: those tests would see no interrupt. (Subprocesses get the default.)
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from newscorpus.cli import main  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
# The seed article under its scraped file name, recreated from the corpus's verbatim copy so the
# tests need nothing outside the repository.
SEEDS = Path(tempfile.mkdtemp(prefix="newscorpus-seeds-"))
shutil.copyfile(
    REPO_ROOT / "corpus" / "india-japan-5g-agreement" / "raw.txt",
    SEEDS / "000_e9c3dbcb3b5f8d71.txt",
)

PYPROJECT = """\
[tool.newscorpus]
name = "test-corpus"
version = "0.1.0"
language = "en"
license = "unknown"
url = "https://example.org/test-corpus"
creator = "newscorpus tests"
date_published = 2026-11-30
"""


def make_project(root: Path, *, with_seed: bool = False) -> Path:
    """A minimal corpus project at ``root`` using this repository's schema.

    With ``with_seed``, the repository's own corpus and annotations are copied in too.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    if with_seed:
        shutil.copytree(REPO_ROOT / "corpus", root / "corpus")
        shutil.copytree(REPO_ROOT / "annotations", root / "annotations")
    else:
        (root / "corpus").mkdir()
        (root / "annotations").mkdir()
        shutil.copy(REPO_ROOT / "annotations" / "schema.yaml", root / "annotations")
    return root


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    """An empty corpus project (schema only) in a temp dir."""
    return make_project(tmp_path / "proj")


@pytest.fixture
def seed_project(tmp_path: Path) -> Path:
    """A copy of this repository's corpus project (seed article, gold annotations)."""
    return make_project(tmp_path / "proj", with_seed=True)


def run(project: Path, *args: str) -> tuple[int, str, str]:
    """Run ``newscorpus --root PROJECT ARGS...``: exit code, stdout, stderr; never a traceback."""
    result = CliRunner().invoke(main, ["--root", str(project), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def git(root: Path, *args: str) -> None:
    """Run git in ``root`` with a fixed identity (CI machines may have none configured)."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "newscorpus tests",
        "GIT_AUTHOR_EMAIL": "tests@example.com",
        "GIT_COMMITTER_NAME": "newscorpus tests",
        "GIT_COMMITTER_EMAIL": "tests@example.com",
    }
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)


def tree(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (git's and newscorpus's private folders aside) with its kind
    and content hash, links not followed: equal before and after a command that must change no
    file."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if {".git", ".newscorpus"} & set(path.relative_to(root).parts):
            continue
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[name] = f"link {path.readlink()}"
        elif path.is_file():
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[name] = "dir" if path.is_dir() else "other"
    return found


_HOLDER = (
    "import sys, time; from pathlib import Path; from newscorpus.project import load_project; "
    "from newscorpus.lock import project_lock\n"
    "with project_lock(load_project(Path(sys.argv[1])), sys.argv[2]):\n"
    "    print('held', flush=True); time.sleep(30)\n"
)


@contextmanager
def lock_held(root: Path, command: str) -> Iterator[int]:
    """Another process holding the project lock of ``root`` as ``command``; yields its pid."""
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(root), command], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "held\n"
        yield child.pid
    finally:
        child.kill()
        child.wait()
