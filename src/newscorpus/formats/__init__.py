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

from newscorpus.formats.base import (
    Change,
    ExportReport,
    Format,
    ImportOptions,
    ImportPlan,
)

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
    "names",
]


def names() -> list[str]:
    """The registered format names, in registry order."""
    return list(MODULES)


def get(name: str) -> Format:
    """The format called ``name`` (a key of :data:`MODULES`)."""
    fmt: Format = importlib.import_module(MODULES[name]).FORMAT
    return fmt
