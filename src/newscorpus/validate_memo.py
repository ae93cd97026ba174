"""The last whole-project ``validate`` report, kept with the state of the files it read.

Annotators run ``validate`` before every commit, usually on a corpus where nothing changed
since the last run. Even with every document's issues in the cache, a no-op run still has to
find the documents, hash-check their files and start workers. Instead, the report of a whole
validation is kept with a signature of the project's files: every entry under the corpus and
annotation folders and ``pyproject.toml``, each with its size, modification and change times
(ns), inode and mode, the project's settings and the library's :func:`fingerprint`. When the
signature is unchanged the report is given back as it was, after one listing of the folders.

No report is kept for a state the listing cannot vouch for:

- *racy*: like :class:`~newscorpus.cache.FileHashes` (and git's index), a file changed within
  two seconds of the listing, so that an edit in the same clock tick cannot hide behind equal
  times. The change time covers what the modification time does not (``chmod``, a file moved
  in place);
- *unseen*: a folder that cannot be listed, or a link to a folder (the files behind it are not
  listed, yet validation reads them);
- *moved*: the files listed again after validation are not the state listed before it. The
  corpus and annotation folders are listed with their own entries, so a folder swapped for
  another while validation read, even swapped back, is seen: renaming moves its change time.

Like git's index, the listing trusts file times: a write that moves neither time (through a
shared memory mapping, until the kernel writes it back) is not seen. Readers that take the
files on the report's word (exports, imports) still check the shape of what they read.

The report is kept as a checksummed cache entry (:class:`~newscorpus.cache.Cache`); one that is
damaged, foreign or of unexpected shape is ignored and the project is validated again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from newscorpus.cache import RACY_NS, Cache, cache_dir, fingerprint
from newscorpus.errors import Issue
from newscorpus.project import Project

_KIND = "validate"
#: One entry, replaced by each kept report; the state it is for is inside it.
_NAME = "last-whole-report"
#: Bumped when the layout of the memo changes: an older one is then ignored.
_FORMAT = 2


class ProjectState:
    """The signature of the files a whole validation reads, taken before it reads them."""

    def __init__(self, project: Project, keep_files: bool = False) -> None:
        digest = hashlib.sha256()
        digest.update(f"{_FORMAT}\n{fingerprint()}\n{project!r}\n".encode())
        started = time.time_ns()
        self.newest = 0
        #: Whether some folder could not be listed or is a link (see the module docstring).
        self.unseen = False
        #: With ``keep_files``, each listed entry's line by its path, for :meth:`unchanged`.
        self.files: dict[str, str] | None = {} if keep_files else None
        for folder in (project.corpus, project.annotations):
            # The folder itself too: one renamed in its place, even and back, moves a time.
            line = self._line(folder)
            digest.update(_encode(f"{folder}{line}"))
            if self.files is not None:
                self.files[os.fspath(folder)] = line
            self._walk(folder, digest)
        digest.update(_encode("pyproject.toml" + self._line(project.root / "pyproject.toml")))
        self.key = digest.hexdigest()
        #: Whether a file changed too recently for its times to tell a later change apart.
        self.racy = self.newest >= started - RACY_NS

    @property
    def keepable(self) -> bool:
        return not (self.racy or self.unseen)

    def unchanged(self, path: Path) -> bool:
        """Whether ``path`` is the file this state listed, unchanged since (size, times, inode
        and mode as listed; any write since moves its change time), in the folders it was
        listed in, unchanged too: a folder renamed away and back, so that a read went to
        another, moved its change time. Needs ``keep_files``."""
        assert self.files is not None, "made with keep_files=True"
        name = os.fspath(path)
        if name not in self.files:
            return False
        # Names, not Paths: an export asks this three times per document.
        while (listed := self.files.get(name)) is not None:  # None: above the listed folders
            if _described(name)[0] != listed:
                return False
            name = name.rpartition(os.sep)[0]
        return True

    def _walk(self, top: Path, digest: Any) -> None:
        """Every entry under ``top``, depth first in name order (a stack, not recursion: a
        folder may nest deeper than Python recurses)."""
        stack: list[tuple[Path, str]] = [(top, "")]
        while stack:
            folder, prefix = stack.pop()
            try:
                entries = sorted(os.scandir(folder), key=_name)
            except FileNotFoundError:
                digest.update(_encode(f"{prefix}!missing\n"))
                continue
            except OSError:
                self.unseen = True
                continue
            lines = [(e, self._line(e)) for e in entries]
            digest.update(_encode("".join(prefix + e.name + line for e, line in lines)))
            if self.files is not None:
                self.files.update((e.path, line) for e, line in lines)
            below = []
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    below.append((Path(entry.path), f"{prefix}{entry.name}/"))
                elif entry.is_symlink() and _links_to_folder(entry):
                    self.unseen = True
            stack += reversed(below)

    def _line(self, entry: os.DirEntry[str] | Path) -> str:
        """The entry's listing line after its name, noting the newest time seen."""
        line, st = _described(entry)
        if st is not None:
            self.newest = max(self.newest, st.st_mtime_ns, st.st_ctime_ns)
        return line


def _described(entry: os.DirEntry[str] | str | Path) -> tuple[str, os.stat_result | None]:
    """What the listing says of an entry after its name (size, times, inode, mode, or the error
    that kept it from being looked at), and its stat."""
    try:
        # A name is looked at as it is: making a Path of it would cost more than the look.
        st = entry.stat() if isinstance(entry, os.DirEntry) else os.stat(entry)  # noqa: PTH116
    except OSError as err:
        return f"!{err.errno}\n", None
    return f"\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\0{st.st_mode}\n", st


def _links_to_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a loop of links, say: validation reports it as it finds it
        return False


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _encode(text: str) -> bytes:
    # File names that are not UTF-8 come back from the OS as lone surrogates.
    return text.encode("utf-8", "surrogateescape")


def recall(project: Project, state: ProjectState) -> tuple[list[Issue], int, int] | None:
    """The issues, annotation file count and article count of the report kept for ``state``,
    or None when there is none (or it is not one this module kept)."""
    payload = Cache(cache_dir(project)).get(_KIND, _NAME)
    if payload is None:
        return None
    try:
        data = json.loads(payload)
        if data["format"] != _FORMAT or data["key"] != state.key:
            return None
        issues = [_issue(fields) for fields in data["issues"]]
        counts = data["annotation_files"], data["articles"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    if not all(type(n) is int and n >= 0 for n in counts):
        return None
    return issues, counts[0], counts[1]


def _issue(fields: Any) -> Issue:
    """An issue as :func:`remember` wrote it. Raises TypeError for anything else."""
    if not isinstance(fields, dict) or set(fields) != _ISSUE_FIELDS:
        raise TypeError("not an issue")
    texts = ("code", "severity", "path", "message", "fix")
    if not all(isinstance(fields[k], str) for k in texts):
        raise TypeError("not an issue")
    if fields["severity"] not in ("error", "warning"):
        raise TypeError("not an issue")
    if not (fields["annotation_id"] is None or isinstance(fields["annotation_id"], str)):
        raise TypeError("not an issue")
    if not all(fields[k] is None or type(fields[k]) is int for k in ("line", "column")):
        raise TypeError("not an issue")
    return Issue(**fields)


_ISSUE_FIELDS = {
    "code",
    "severity",
    "path",
    "message",
    "fix",
    "annotation_id",
    "line",
    "column",
}


def remember(
    project: Project,
    state: ProjectState,
    issues: list[Issue] | tuple[Issue, ...],
    annotation_files: int,
    articles: int,
) -> None:
    """Keep a report for ``state`` (nothing when the state cannot be vouched for, or when the
    files as listed again now are not that state: a file or folder was changed, or swapped
    for another and back, while validation read them, and what it read may not be what the
    listing saw)."""
    if not state.keepable or ProjectState(project).key != state.key:
        return
    memo = {
        "format": _FORMAT,
        "key": state.key,
        "issues": [asdict(i) for i in issues],
        "annotation_files": annotation_files,
        "articles": articles,
    }
    Cache(cache_dir(project)).put_json(_KIND, _NAME, memo)
