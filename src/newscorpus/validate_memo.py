"""The last whole-project ``validate`` report, kept with the state of the files it read.

Annotators run ``validate`` before every commit, usually on a corpus where nothing changed
since the last run. Even with every document's issues in the cache, a no-op run still has to
find the documents, hash-check their files and start workers. Instead, the report of a whole
validation is kept with a signature of the project's files: every entry under the corpus and
annotation folders and ``pyproject.toml``, each with its size, modification and change times
(ns), inode and mode, the project's settings and the library's :func:`fingerprint`. When the
signature is unchanged the report is given back as it was, after one listing of the folders.

Like :class:`~newscorpus.cache.FileHashes` (and git's index), a file changed within two
seconds of the listing makes the state *racy*: such a report is not kept, so that an edit in
the same clock tick can never hide behind equal times. The change time covers what the
modification time does not (``chmod``, a file moved in place). An unreadable or foreign memo
is ignored and the project is validated again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from newscorpus.cache import RACY_NS, cache_dir, fingerprint
from newscorpus.errors import Issue
from newscorpus.project import Project

_MEMO = "validate-report.json"
#: Bumped when the layout of the memo changes: an older one is then ignored.
_FORMAT = 1


class ProjectState:
    """The signature of the files a whole validation reads, taken before it reads them."""

    def __init__(self, project: Project) -> None:
        digest = hashlib.sha256()
        digest.update(f"{_FORMAT}\n{fingerprint()}\n{project!r}\n".encode())
        started = time.time_ns()
        self.newest = 0
        for folder in (project.corpus, project.annotations):
            digest.update(f"{folder}\n".encode())
            self._walk(folder, "", digest)
        self._entry(project.root / "pyproject.toml", "pyproject.toml", digest)
        self.key = digest.hexdigest()
        #: Whether a file changed too recently for its times to tell a later change apart.
        self.racy = self.newest >= started - RACY_NS

    def _walk(self, folder: Path, prefix: str, digest: Any) -> None:
        try:
            entries = sorted(os.scandir(folder), key=_name)
        except OSError as err:
            digest.update(f"{prefix}!{err.errno}\n".encode())
            return
        lines = [self._line(entry, prefix + entry.name) for entry in entries]
        digest.update("".join(lines).encode())
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                self._walk(Path(entry.path), f"{prefix}{entry.name}/", digest)

    def _entry(self, path: Path, name: str, digest: Any) -> None:
        digest.update(self._line(path, name).encode())

    def _line(self, entry: os.DirEntry[str] | Path, name: str) -> str:
        try:
            st = entry.stat()
        except OSError as err:
            return f"{name}!{err.errno}\n"
        newest = max(st.st_mtime_ns, st.st_ctime_ns)
        if newest > self.newest:
            self.newest = newest
        return (
            f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\0{st.st_mode}\n"
        )


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def recall(project: Project, state: ProjectState) -> tuple[list[Issue], int, int] | None:
    """The issues, annotation file count and article count of the report kept for ``state``,
    or None when there is none."""
    try:
        data = json.loads((cache_dir(project) / _MEMO).read_bytes())
        if data["format"] != _FORMAT or data["key"] != state.key:
            return None
        issues = [Issue(**fields) for fields in data["issues"]]
        return issues, int(data["annotation_files"]), int(data["articles"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(
    project: Project,
    state: ProjectState,
    issues: list[Issue] | tuple[Issue, ...],
    annotation_files: int,
    articles: int,
) -> None:
    """Keep a report for ``state`` (written atomically; nothing when the state is racy)."""
    if state.racy:
        return
    memo = {
        "format": _FORMAT,
        "key": state.key,
        "issues": [asdict(i) for i in issues],
        "annotation_files": annotation_files,
        "articles": articles,
    }
    folder = cache_dir(project)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(memo, handle, ensure_ascii=False)
        Path(tmp).replace(folder / _MEMO)
    except OSError:
        return
