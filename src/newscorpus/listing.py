"""Folder listings with each entry's kind, as :meth:`pathlib.Path.is_file` and
:meth:`~pathlib.Path.is_dir` see it, at the cost of reading the folder.

A build lists the corpus and the annotations folder several times; a ``Path`` and a ``stat``
per entry cost a quarter of a second each time at 10,000 articles, where a directory entry
mostly knows its kind from the listing itself.

Nothing there (a missing path, a file where a folder belongs, a link that leads nowhere or
round in a loop) is told apart from something there that cannot be looked at (no permission,
an I/O error): the first is what pathlib calls neither file nor folder, the second is E014,
where pathlib would raise, or skip the folder and so report its files as missing.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Literal

from newscorpus.errors import NewscorpusError

Kind = Literal["file", "dir", "other"]

#: What a look at a path fails with when nothing is there to look at.
_NOTHING_THERE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP})


def entries(folder: Path) -> list[tuple[str, Kind]] | None:
    """The ``(name, kind)`` of every entry of ``folder``, unsorted, or None when no folder is
    there. Links are followed; one that leads nowhere is ``"other"``, as are pipes, sockets
    and devices.

    Raises:
        NewscorpusError: E014 when the folder, or an entry's target, cannot be looked at.
    """
    try:
        with os.scandir(folder) as found:
            return [(entry.name, _kind(entry)) for entry in found]
    except OSError as err:
        if err.errno in _NOTHING_THERE:
            return None
        raise unreadable(str(folder), err) from None


def is_file(path: str) -> bool:
    """:meth:`pathlib.Path.is_file` of a path given as a string (no Path made), except that a
    path that cannot be looked at is E014, not an OSError.

    Raises:
        NewscorpusError: E014.
    """
    try:
        st = os.stat(path)  # noqa: PTH116 (a str: see above)
    except OSError as err:
        if err.errno in _NOTHING_THERE:
            return False
        raise unreadable(path, err) from None
    return stat.S_ISREG(st.st_mode)


def unreadable(path: str, err: OSError) -> NewscorpusError:
    """E014 for ``path``, which ``err`` kept from being looked at."""
    return NewscorpusError(
        "E014",
        f"cannot be looked into: {err.strerror or err}.",
        fix="Check its permissions (and its parent folders'): newscorpus must be able to list "
        "and read it.",
        where=path,
    )


def _kind(entry: os.DirEntry[str]) -> Kind:
    try:
        if entry.is_file():
            return "file"
        if entry.is_dir():
            return "dir"
    except OSError as err:
        if err.errno not in _NOTHING_THERE:
            raise unreadable(entry.path, err) from None
    return "other"
