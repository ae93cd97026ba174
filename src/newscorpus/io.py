"""Atomic file writes: a temp file in the same folder, fsync, then rename.

A reader never sees a half-written file, and a failure leaves the previous version in place.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Collection
from contextlib import suppress
from pathlib import Path
from typing import Any, BinaryIO

from newscorpus.signals import signals_deferred


def umask() -> int:
    """The process's file-creation mask (reading it means setting it, so it is set back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename (see :class:`PendingFile`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pending: PendingFile | None = None
    try:
        # An interrupt between making the temp file and taking charge of it would leave it.
        with signals_deferred():
            pending = PendingFile(path)
        pending.write(data)
        pending.commit()
    except BaseException:
        if pending is not None:
            pending.discard()
        raise


class PendingFile:
    """A new version of ``path``, written into a temp file beside it and put in its place by
    :meth:`commit` in one rename; :meth:`discard` drops it and leaves ``path`` as it was. What
    is written need not be held in memory first, so an export of any size streams.

    The file keeps the mode of the file it replaces, or gets the mode a plain ``open`` would
    give a new file (temp files are created private, 0600, which would otherwise stick). The
    temp file is ``.<name>.<random>.tmp`` (:func:`temp_target`), held open under an exclusive
    ``flock`` until it is renamed or dropped: the kernel releases the lock when the process
    dies, however it dies, which is how :func:`remove_abandoned` tells a temp file that a
    killed process left from one still being written.
    """

    def __init__(self, path: Path) -> None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~umask()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self.path = path
        self._tmp = Path(tmp)
        self._handle: BinaryIO | None = os.fdopen(fd, "wb")
        self._finished = False
        try:
            # A new file: nobody else holds it. The lock only helps clean-up, so a file system
            # without flock (some FUSE and network ones) writes without it; remove_abandoned
            # cannot lock those files either, and leaves them.
            with suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._tmp.chmod(mode)
        except BaseException:
            self.discard()
            raise

    def write(self, data: bytes) -> None:
        assert self._handle is not None and not self._finished, "written after it was finished"
        self._handle.write(data)

    def finish(self) -> None:
        """Flush the content to disk (the rename must not land before the bytes do); the file
        stays open, and locked, until it is renamed."""
        if self._handle is not None and not self._finished:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._finished = True

    def commit(self) -> None:
        self.finish()
        self._tmp.replace(self.path)
        if self._handle is not None:
            handle, self._handle = self._handle, None
            handle.close()

    def discard(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            with suppress(OSError):
                handle.close()
        self._tmp.unlink(missing_ok=True)


def temp_target(name: str) -> str | None:
    """The name of the file whose :class:`PendingFile` temp file ``name`` is (one a process
    killed before it could rename or remove it left behind), or None."""
    if not (name.startswith(".") and name.endswith(".tmp")):
        return None
    target, _, random = name[1:-4].rpartition(".")
    return target if target and random else None


#: A temp file younger than this is never taken for abandoned: its writer may not have
#: locked it yet (it is created, then locked).
ABANDONED_AFTER_SECONDS = 60


def remove_abandoned(folder: Path, targets: Collection[str]) -> int:
    """Delete the :class:`PendingFile` temp files in ``folder`` for files named in ``targets``
    that no process holds any more (left by a process killed before it could rename or remove
    them), and return how many went. Best effort: what cannot be looked at stays."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    too_new = time.time() - ABANDONED_AFTER_SECONDS
    for entry in entries:
        if temp_target(entry.name) not in targets:
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or entry.stat().st_mtime > too_new:
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            Path(entry.path).unlink()
            removed += 1
        except OSError:  # held: its writer is alive; or gone already
            pass
        finally:
            os.close(fd)
    return removed


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text with ``\\n`` line ends, atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def dumps_json(data: Any) -> str:
    """The project's JSON style: 2-space indent, UTF-8 kept, final newline, stable key order."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, dumps_json(data))
