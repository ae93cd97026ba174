"""The build's output folder: a work folder beside it, a two-rename swap, and recovery.

A build writes ``.<name>.building/`` next to the output folder ``<name>/``, and once it is
complete swaps it in: the old output is renamed to ``.<name>.old/``, the new one to
``<name>/``, then the old one is deleted. A kill can stop this anywhere, so the next build (or
``publish``) first calls :func:`recover_output`, which reads the state from the names alone:

- ``<name>/`` missing and ``.<name>.old/`` present: killed between the two renames; the old
  output is put back (the new one is discarded: it is rebuilt anyway).
- ``.<name>.old/`` beside ``<name>/``: killed before the deletion; it is deleted.
- ``.<name>.building/``: a build that did not finish; it is deleted.

The names are fixed rather than random so that leftovers are found; two builds to one output
folder are serialised by the project lock. A ``.<name>.old/`` is only taken for the previous
output when it holds a ``manifest.json``, and leftovers of the random names older versions used
(``.<name>.XXXX.building``) are removed only when they hold nothing but build files: a folder of
the user's that happens to sit there is never touched. The build checks the output folder
(E306) before any of this runs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from newscorpus.errors import NewscorpusError

BUILDING = ".building"
OLD = ".old"
MANIFEST = "manifest.json"
#: What a build folder holds; an older version's leftover is removed only if it holds no more.
_BUILT = frozenset({"data", "README.md", "croissant.json", MANIFEST})
#: The largest manifest.json read to tell whether a build wrote it.
_MANIFEST_LIMIT = 64 << 20


def work_dir(target: Path) -> Path:
    """The folder a build of ``target`` writes into before the swap."""
    return target.with_name(f".{target.name}{BUILDING}")


def old_dir(target: Path) -> Path:
    """Where the previous output waits during the swap."""
    return target.with_name(f".{target.name}{OLD}")


def recover_output(target: Path) -> list[str]:
    """Put ``target`` back in a complete state after a killed build; one line per repair."""
    said: list[str] = []
    parent = target.parent
    if not parent.is_dir():
        return said
    old = old_dir(target)
    # A folder aside counts as the previous output only if it is a complete build.
    if old.is_dir() and not_built(old) is None:
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            said.append(f"recovered: removed {old.name}, left by an interrupted build")
        else:
            old.replace(target)
            said.append(f"recovered: restored {target.name} from an interrupted build's swap")
    legacy = [*parent.glob(f".{target.name}.*{BUILDING}"), *parent.glob(f".{target.name}.*{OLD}")]
    leftovers = [work_dir(target), *(f for f in legacy if _looks_built(f))]
    for folder in sorted(set(leftovers)):
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            said.append(f"recovered: removed {folder.name}, left by an interrupted build")
    return said


def not_built(folder: Path) -> str | None:
    """Why the existing folder ``folder`` is not a newscorpus build (so a build must not replace
    it and lose what it holds), or None when it is one: it has a ``manifest.json`` that
    newscorpus wrote (a web app's has the same name). A build owns the rest of its folder."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return f"no {MANIFEST}"
    data = None
    try:
        # A build's manifest lists its files: kilobytes. A larger one is not read whole.
        if manifest.stat().st_size <= _MANIFEST_LIMIT:
            data = json.loads(manifest.read_bytes())
    except (OSError, ValueError, RecursionError):
        data = None
    tools = data.get("tools") if isinstance(data, dict) else None
    if not isinstance(tools, dict) or "newscorpus" not in tools:
        return f"its {MANIFEST} is not one a build wrote"
    return None


def _looks_built(folder: Path) -> bool:
    """Whether ``folder`` holds only what a build writes (so deleting it loses nothing else)."""
    try:
        return all(entry.name in _BUILT for entry in folder.iterdir())
    except OSError:
        return False


def swap(work: Path, target: Path) -> None:
    """Put the finished build ``work`` in place of ``target`` (see the module docstring)."""
    if not target.exists():
        work.replace(target)
        return
    old = old_dir(target)
    if old.exists() or old.is_symlink():
        # Not a build of ours (recover_output would have removed it): never overwrite it.
        raise NewscorpusError(
            "E312",
            f"{old} is in the way: the build moves the previous output there while it swaps "
            "the new one in, and that folder is not a newscorpus build.",
            fix="Move or delete it, then build again.",
        )
    target.replace(old)
    work.replace(target)
    shutil.rmtree(old)
