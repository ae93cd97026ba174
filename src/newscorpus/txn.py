"""All-or-nothing changes to several files: stage, journal, apply, and recover after a crash.

Every command that changes more than one file of a project (``add``, ``renormalise``,
``reanchor``, ``preannotate``, each importer, ``adjudicate``) builds its writes inside
:func:`transaction` and touches the tree through nothing else. The protocol is git's and
SQLite's, reduced to what a folder of files needs:

1. ``txn.write`` stages each new file under ``.newscorpus/txn/<id>/`` (fsynced); the tree is
   not touched yet, so an error or a kill here leaves the project as it was.
2. On a clean exit the journal (every operation, with the sha256 of each staged file) is written
   to a temp name, fsynced and renamed to ``<id>.journal``: **that rename is the commit point**.
3. The operations are applied in order (renames and unlinks, each safe to repeat), then the
   journal and the staging folder are deleted.

:func:`recover` runs first in every writing command, under the lock: a complete journal is
rolled forward (operations already applied are recognised by their hash), and staging with no
journal is deleted. After a kill at any point the project is therefore either as before or as
after the command, once the next writing command (or ``newscorpus recover``) has run.

For tests, ``NEWSCORPUS_FAULT_AFTER=k`` makes the process exit hard (as a SIGKILL would) after
the k-th step (each staged file, the commit, each applied operation), so every point is
reachable without timing luck.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscorpus.errors import NewscorpusError
from newscorpus.io import dumps_json, umask
from newscorpus.lock import (
    STATE_DIR,
    LockedError,
    apply_lock,
    project_lock,
    state_dir,
    state_error,
)
from newscorpus.project import Project
from newscorpus.signals import signals_deferred

TXN_DIR = "txn"
#: The private folder's name, which no operation may touch (see :data:`newscorpus.lock.STATE_DIR`).
STATE = STATE_DIR
JOURNAL_SUFFIX = ".journal"
FAULT_ENV = "NEWSCORPUS_FAULT_AFTER"


@dataclass
class _Fault:
    """Counts steps and exits hard at the one ``NEWSCORPUS_FAULT_AFTER`` names."""

    after: int | None = field(default=None)
    steps: int = 0

    @classmethod
    def from_env(cls) -> _Fault:
        raw = os.environ.get(FAULT_ENV, "")
        return cls(int(raw) if raw.isdigit() else None)

    def step(self) -> None:
        self.steps += 1
        if self.after is not None and self.steps >= self.after:
            os._exit(137)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str | None:
    try:
        return _sha256(path.read_bytes())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


class Transaction:
    """The writes of one command, staged until the block ends cleanly.

    Use through :func:`transaction`; paths are inside the project root.
    """

    def __init__(self, project: Project, command: str, *, dry_run: bool = False) -> None:
        self.project = project
        self.command = command
        #: Record the operations but stage and apply nothing (``--dry-run``).
        self.dry_run = dry_run
        self.id = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.folder = state_dir(project) / TXN_DIR
        self.staging = self.folder / self.id
        self._ops: list[dict[str, Any]] = []
        self._targets: dict[str, int] = {}
        self._fault = _Fault.from_env()

    def _relative(self, path: Path) -> str:
        # Lexically, without resolving links: a corpus/ folder that is a symlink to another
        # disk is still the project's corpus.
        root = Path(os.path.normpath(self.project.root))
        full = Path(os.path.normpath(path if path.is_absolute() else root / path))
        try:
            rel = full.relative_to(root).as_posix()
        except ValueError:
            raise ValueError(f"{path} is outside the project {root}") from None
        if _safe_path(rel) is None:
            raise ValueError(f"{path} is not a project file a transaction may change")
        return rel

    def _add(self, op: dict[str, Any]) -> None:
        # A later operation on the same path replaces the earlier one: the last write wins.
        index = self._targets.get(op["path"])
        if index is None:
            self._targets[op["path"]] = len(self._ops)
            self._ops.append(op)
        else:
            self._ops[index] = op

    def write(self, path: Path, data: bytes) -> None:
        """Stage ``data`` as the new content of ``path`` (created with its parent folders)."""
        rel = self._relative(path)
        if self.dry_run:
            self._add({"op": "write", "path": rel, "sha256": _sha256(data)})
            return
        staged = f"{len(self._ops):06d}"
        if rel in self._targets:
            staged = self._ops[self._targets[rel]].get("staged") or staged
        try:
            self.staging.mkdir(parents=True, exist_ok=True)
            with (self.staging / staged).open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as err:
            raise state_error(self.project, err) from None
        self._add({"op": "write", "path": rel, "staged": staged, "sha256": _sha256(data)})
        self._fault.step()

    def write_text(self, path: Path, text: str) -> None:
        """Stage UTF-8 text (``\\n`` line ends kept as given)."""
        self.write(path, text.encode("utf-8"))

    def write_json(self, path: Path, data: Any) -> None:
        """Stage JSON in the project's style (see :func:`newscorpus.io.dumps_json`)."""
        self.write_text(path, dumps_json(data))

    def remove(self, path: Path) -> None:
        """Stage the removal of the file ``path`` (a missing file is not an error)."""
        self._add({"op": "remove", "path": self._relative(path)})

    @property
    def paths(self) -> list[str]:
        """Project-relative paths this transaction changes, in order."""
        return [op["path"] for op in self._ops]

    def _commit(self) -> None:
        blocked = self._blocked()
        if blocked is not None:
            self._discard()
            rel, why = blocked
            raise NewscorpusError(
                "E013",
                f"cannot write {rel}: {why}; nothing was changed.",
                fix="Move what is in the way, then run the command again.",
                where=rel,
            )
        journal = {"id": self.id, "command": self.command, "ops": self._ops}
        tmp = self.folder / f"{self.id}{JOURNAL_SUFFIX}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.staging.exists():
                _fsync_dir(self.staging)
            with tmp.open("w", encoding="utf-8") as handle:
                handle.write(json.dumps(journal, ensure_ascii=False))
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(self.folder / f"{self.id}{JOURNAL_SUFFIX}")
            _fsync_dir(self.folder)
        except OSError as err:
            with suppress(OSError):
                tmp.unlink(missing_ok=True)
            self._discard()
            raise state_error(self.project, err) from None
        self._fault.step()
        _apply(self.project, self.folder / f"{self.id}{JOURNAL_SUFFIX}", self._fault)

    def _blocked(self) -> tuple[str, str] | None:
        """The first path an operation cannot be applied to, and why: a file (or a broken link)
        where a folder must be, or a folder where a file is to be written. Found before the
        journal is committed: once committed, a change is completed, never rolled back."""
        root = Path(os.path.normpath(self.project.root))
        folders: set[str] = set()
        for op in self._ops:
            parts = op["path"].split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder in folders:
                    continue
                path = root / folder
                if not path.exists() and not path.is_symlink():
                    break  # made when the change is applied, with all below it
                if not path.is_dir():
                    return op["path"], f"{folder} is a file, not a folder"
                folders.add(folder)
            target = root / op["path"]
            if op["op"] == "write" and target.is_dir() and not target.is_symlink():
                return op["path"], "it is a folder"
        return None

    def _discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


class JournalError(NewscorpusError):
    """A committed journal cannot be completed (E011): damaged, foreign, or not applicable."""


_ID_RE = re.compile(r"\d{8}T\d{6}-\d+-[0-9a-f]{8}")
_STAGED_RE = re.compile(r"\d{6}")
_SHA_RE = re.compile(r"[0-9a-f]{64}")


def _safe_path(rel: object) -> str | None:
    """``rel`` when it is a relative POSIX path inside the project and outside its private
    folder (no ``..``, not absolute), else None. Journals are data read back from disk: a
    crafted one must never make recovery touch a file elsewhere."""
    if not isinstance(rel, str) or not rel or "\x00" in rel or "\\" in rel:
        return None
    parts = rel.split("/")
    if rel.startswith("/") or any(p in ("", ".", "..") for p in parts) or parts[0] == STATE:
        return None
    return rel


def _read_journal(journal_path: Path) -> dict[str, Any]:
    """The journal, checked op by op.

    Raises:
        JournalError: E011 when it is unreadable or any field is not one this module writes.
    """
    try:
        journal = json.loads(journal_path.read_text("utf-8"))
    except (OSError, ValueError):
        raise _broken(journal_path, journal_path.name, "the journal is unreadable") from None
    ok = (
        isinstance(journal, dict)
        and isinstance(journal.get("command"), str)
        and isinstance(journal.get("id"), str)
        and _ID_RE.fullmatch(journal["id"]) is not None
        and journal_path.name == f"{journal['id']}{JOURNAL_SUFFIX}"
        and isinstance(journal.get("ops"), list)
    )
    for op in journal.get("ops", []) if ok else ():
        ok = ok and isinstance(op, dict) and _safe_path(op.get("path")) is not None
        if ok and op.get("op") == "write":
            ok = _STAGED_RE.fullmatch(str(op.get("staged"))) is not None and (
                _SHA_RE.fullmatch(str(op.get("sha256"))) is not None
            )
        elif ok:
            ok = op.get("op") == "remove"
    if not ok:
        raise _broken(journal_path, journal_path.name, "the journal is not one newscorpus wrote")
    return dict(journal)


def _apply(project: Project, journal_path: Path, fault: _Fault | None = None) -> int:
    """Apply a committed journal's operations (idempotent), then delete it; return the count.

    Raises:
        JournalError: E011 when the journal is damaged or an operation fails (permissions, a
            folder in a file's place); the journal stays, so the next command tries again.
    """
    journal = _read_journal(journal_path)
    staging = journal_path.parent / journal["id"]
    mode = 0o666 & ~umask()
    dirs: set[Path] = set()
    for op in journal["ops"]:
        target = project.root / op["path"]
        try:
            if op["op"] == "write":
                staged = staging / op["staged"]
                if staged.exists():
                    if _file_sha256(staged) != op["sha256"]:
                        raise _broken(journal_path, op["path"], "its staged copy is corrupt")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    staged.chmod(mode)
                    staged.replace(target)
                elif _file_sha256(target) != op["sha256"]:
                    raise _broken(journal_path, op["path"], "its staged copy is missing")
            else:
                target.unlink(missing_ok=True)
        except OSError as err:
            raise _broken(
                journal_path,
                op["path"],
                f"{err.strerror or err} (the change is kept: fix this, then run any "
                "newscorpus command to complete it)",
                fix="Fix the permissions or the folder in the way, then run the command again. "
                "If it cannot be fixed (a name the file system refuses), restore the project "
                f"from git (git status shows what changed), then delete {journal_path.parent}.",
            ) from None
        dirs.add(target.parent)
        if fault is not None:
            fault.step()
    for folder in sorted(dirs):
        if folder.exists():
            _fsync_dir(folder)
    journal_path.unlink()
    shutil.rmtree(staging, ignore_errors=True)
    return len(journal["ops"])


def _broken(journal_path: Path, path: str, why: str, fix: str = "") -> JournalError:
    return JournalError(
        "E011",
        f"cannot complete the interrupted change recorded in {journal_path.name}: {path}: {why}.",
        fix=fix
        or f"Restore the project from git (git status shows what changed), then delete "
        f"{journal_path.parent}.",
    )


def recover(project: Project) -> list[str]:
    """Finish or undo what a killed command left; return one line per recovered transaction.

    Call with the project lock held. Committed journals are rolled forward in id (time) order;
    staging folders and journal temp files without a committed journal are deleted.
    """
    folder = state_dir(project) / TXN_DIR
    if not folder.is_dir():
        return []
    said: list[str] = []
    for journal_path in sorted(folder.glob(f"*{JOURNAL_SUFFIX}")):
        command = _read_journal(journal_path)["command"]
        count = _apply(project, journal_path)
        said.append(f"recovered: completed an interrupted `{command}` ({count} file operation(s))")
    # Only what this module names is removed: anything else there is not ours to delete.
    for leftover in sorted(folder.iterdir()):
        if _ID_RE.fullmatch(leftover.name) and leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
            said.append(f"recovered: discarded unfinished change {leftover.name} (never applied)")
        elif _ID_RE.fullmatch(leftover.name.removesuffix(f"{JOURNAL_SUFFIX}.tmp")):
            leftover.unlink(missing_ok=True)
    return said


#: What recovery said in this process, for the CLI to print once.
recovered_messages: list[str] = []
#: Commands whose changes are complete in this process (a transaction committed, an export's
#: files renamed into place), so an interrupt can say what was done.
completed: list[str] = []


def settle(project: Project) -> None:
    """Recover a dead command's unfinished change before a command reads the project.

    A leftover under ``.newscorpus/txn/`` belongs to a live writer while the lock is held, and
    to a dead one otherwise (the kernel released its lock): only then is it recovered, so
    readers never wait for a writer and never see half a change that nobody will finish.
    """
    folder = state_dir(project) / TXN_DIR
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    with (
        suppress(LockedError),
        project_lock(project, "recover", wait=0),
        apply_lock(project, exclusive=True),
    ):
        recovered_messages.extend(recover(project))


@contextmanager
def writing(project: Project, command: str) -> Iterator[None]:
    """Hold the project lock and recover first: the start of every writing command."""
    with project_lock(project, command):
        with apply_lock(project, exclusive=True):
            recovered_messages.extend(recover(project))
        yield


@contextmanager
def transaction(project: Project, command: str, *, dry_run: bool = False) -> Iterator[Transaction]:
    """Collect one command's writes and apply them all, or none.

    The block stages writes with :meth:`Transaction.write` and :meth:`Transaction.remove`; an
    exception in the block discards them and leaves the project untouched. Reads that decide
    the writes belong inside the block, so that they happen under the lock. With ``dry_run``
    the operations are only recorded (no lock is taken and nothing is written).

    >>> with transaction(project, "add") as txn:  # doctest: +SKIP
    ...     txn.write_text(project.corpus / "doc" / "text.txt", text)
    """
    if dry_run:
        yield Transaction(project, command, dry_run=True)
        return
    with writing(project, command):
        txn = Transaction(project, command)
        try:
            yield txn
        except BaseException:
            txn._discard()
            raise
        if not txn._ops:
            txn._discard()
            return
        with signals_deferred(), apply_lock(project, exclusive=True):
            txn._commit()
            completed.append(command)
