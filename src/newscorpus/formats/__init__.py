"""Annotation interchange formats, one module each, behind one registry.

``newscorpus export FORMAT OUT`` and ``newscorpus import FORMAT PATH`` take their choices and
help lines from :data:`MODULES`; each module exposes ``FORMAT`` (see
:class:`newscorpus.formats.base.Format`). Modules are imported when a format is used, so the
CLI starts without loading every format's dependencies.

>>> sorted(names())[:1]
['brat']
"""

from __future__ import annotations

import importlib
from pathlib import Path

from newscorpus.formats.base import (
    Change,
    ExportReport,
    Format,
    ImportOptions,
    ImportPlan,
)
from newscorpus.project import Project

#: Format name -> the module that implements it.
MODULES: dict[str, str] = {
    "brat": "newscorpus.formats.brat",
    "labelstudio": "newscorpus.formats.labelstudio",
    "doccano": "newscorpus.formats.doccano",
    "spacy": "newscorpus.formats.spacy",
    "conll": "newscorpus.formats.conll",
}

__all__ = [
    "MODULES",
    "Change",
    "ExportReport",
    "Format",
    "ImportOptions",
    "ImportPlan",
    "get",
    "import_path",
    "names",
]


def names() -> list[str]:
    """The registered format names, in registry order."""
    return list(MODULES)


def get(name: str) -> Format:
    """The format called ``name`` (a key of :data:`MODULES`)."""
    fmt: Format = importlib.import_module(MODULES[name]).FORMAT
    return fmt


def import_path(
    project: Project,
    name: str,
    path: Path,
    options: ImportOptions,
    *,
    replace: bool = False,
    dry_run: bool = False,
) -> tuple[ImportPlan, list[Change]]:
    """Import ``path`` in format ``name``: read it into a plan, then apply the plan
    (:func:`~newscorpus.formats.common.apply_plan`), both under the project lock, so that the
    annotation files the plan was made from are still the ones it replaces (an import running
    meanwhile waits, or stops with E010). A dry run writes nothing and shares the readers' lock
    instead, as ``validate`` and ``export`` do, so it never sees half of another command's
    change.

    Returns:
        The plan and the changes it writes (would write, with ``dry_run``).

    Raises:
        NewscorpusError: whatever the format's ``read`` and ``apply_plan`` raise; E010 when
            another command holds the lock.
    """
    from newscorpus.formats.common import apply_plan
    from newscorpus.lock import apply_lock
    from newscorpus.txn import writing

    fmt = get(name)
    lock = apply_lock(project, exclusive=False) if dry_run else writing(project, f"import {name}")
    with lock:
        plan = fmt.read(path, project, options)
        return plan, apply_plan(project, plan, replace=replace, dry_run=dry_run)
