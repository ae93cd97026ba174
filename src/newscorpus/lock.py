"""The project lock: one writer at a time, and a clear message naming the one that holds it.

Every command that changes the corpus, ``annotations/`` or a build output takes the lock
(``.newscorpus/lock``, a ``filelock.FileLock``); readers take none. The kernel releases the lock
when its holder dies, so a killed command never leaves a stale lock behind. A side file
(``.newscorpus/lock.holder``) names the holder's command and pid, so a second writer that gives
up after a short wait can say who is in the way.

The lock is re-entrant within a process: a command that calls another library function that
also locks (``publish`` building first) does not wait for itself.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from filelock import FileLock, Timeout

from newscorpus.errors import NewscorpusError
from newscorpus.project import Project

STATE_DIR = ".newscorpus"
LOCK_FILE = "lock"
HOLDER_FILE = "lock.holder"
APPLY_LOCK_FILE = "apply.lock"
#: Seconds a second writer waits before giving up; ``NEWSCORPUS_LOCK_TIMEOUT`` overrides it.
DEFAULT_TIMEOUT = 5.0

_held: dict[Path, int] = {}


class LockedError(NewscorpusError):
    """Another command holds the project lock (E010)."""


@contextmanager
def apply_lock(project: Project, *, exclusive: bool) -> Iterator[None]:
    """Readers share ``.newscorpus/apply.lock``; a writer holds it alone while it applies.

    A reader that holds it for its whole read never sees half of a change (say 265 of 300
    added articles), and a writer waits only for readers already running, never for other
    writers (those wait for the project lock). A reader that cannot create the private
    folder (a read-only checkout) reads without it: no writer can run there either.
    """
    path = state_dir(project) / APPLY_LOCK_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a")
    except OSError as err:
        if exclusive:
            raise state_error(project, err) from None
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def state_error(project: Project, err: OSError) -> NewscorpusError:
    """E012: the private folder cannot be used (a file in its place, permissions, disk full)."""
    name = Path(err.filename).name if err.filename else STATE_DIR
    return NewscorpusError(
        "E012",
        f"cannot use the project's private folder {STATE_DIR}/ ({name}: "
        f"{err.strerror or err}); nothing was changed.",
        fix=f"{STATE_DIR} must be a folder you can write to, holding only what newscorpus puts "
        "there: remove what is in the way, or fix the permissions or free disk space.",
        where=project.relative(state_dir(project)),
    )


def state_dir(project: Project) -> Path:
    """The project's private working folder (git-ignored): lock, journals, cache."""
    return project.root / STATE_DIR


def _timeout() -> float:
    raw = os.environ.get("NEWSCORPUS_LOCK_TIMEOUT", "")
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT


def holder(project: Project) -> str:
    """Who holds the lock, as written by the holder: ``"`add` (pid 123)"``, or ``"unknown"``."""
    try:
        data = json.loads((state_dir(project) / HOLDER_FILE).read_text("utf-8"))
        return f"`{data['command']}` (pid {int(data['pid'])})"
    except (OSError, ValueError, KeyError, TypeError):
        return "an unknown command"


@contextmanager
def project_lock(project: Project, command: str, wait: float | None = None) -> Iterator[None]:
    """Hold the project's write lock for the block.

    Args:
        wait: seconds to wait for another holder (default: ``NEWSCORPUS_LOCK_TIMEOUT`` or 5).

    Raises:
        LockedError: E010 when another process still holds it after the wait.
    """
    key = project.root.resolve()
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    folder = state_dir(project)
    lock = FileLock(folder / LOCK_FILE)
    if wait is None:
        wait = _timeout()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=wait)
    # filelock's Timeout is an OSError too: it must be caught first.
    except Timeout:
        raise LockedError(
            "E010",
            f"another newscorpus command is changing this project: {holder(project)} holds "
            f"{STATE_DIR}/{LOCK_FILE} (waited {wait:g} s).",
            fix="Run this command again when that one has finished (set "
            "NEWSCORPUS_LOCK_TIMEOUT to wait longer).",
        ) from None
    except OSError as err:
        raise state_error(project, err) from None
    _held[key] = 1
    try:
        try:
            (folder / HOLDER_FILE).write_text(
                json.dumps({"command": command, "pid": os.getpid(), "since": time.time()}),
                encoding="utf-8",
            )
        except OSError as err:
            raise state_error(project, err) from None
        yield
    finally:
        _held.pop(key, None)
        with suppress(OSError):
            (folder / HOLDER_FILE).unlink(missing_ok=True)
        lock.release()
