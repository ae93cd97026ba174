"""Atomic file writes: a temp file in the same folder, fsync, then rename.

A reader never sees a half-written file, and a failure leaves the previous version in place.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO


def umask() -> int:
    """The process's file-creation mask (reading it means setting it, so it is set back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename (see :func:`atomic_file`)."""
    with atomic_file(path) as handle:
        handle.write(data)


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A handle to write ``path`` anew: what the block writes replaces ``path`` in one rename
    when the block ends, and if the block raises, ``path`` stays as it was. What is written
    need not be held in memory first, so an export of any size streams.

    The file keeps the mode of the file it replaces, or gets the mode a plain ``open`` would
    give a new file (temp files are created private, 0600, which would otherwise stick). The
    temp file is ``.<name>.<random>.tmp`` beside ``path`` (:func:`is_temp_of`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        Path(tmp).chmod(mode)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_temp_of(name: str, target: str) -> bool:
    """True when ``name`` is a temp file :func:`atomic_file` makes for ``target`` (one left by
    a process that was killed before it could rename or remove it)."""
    prefix = f".{target}."
    return name.startswith(prefix) and name.endswith(".tmp") and len(name) > len(prefix) + 4


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text with ``\\n`` line ends, atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def dumps_json(data: Any) -> str:
    """The project's JSON style: 2-space indent, UTF-8 kept, final newline, stable key order."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, dumps_json(data))
