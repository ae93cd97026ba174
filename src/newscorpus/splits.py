"""Stable split assignment: a document's split depends on its id alone.

The split comes from the sha256 of the document id: its first 8 hex digits, modulo 100, fall in
``[0, 80)`` for train, ``[80, 90)`` for validation and ``[90, 100)`` for test. Adding or removing
other documents never moves a document, and every machine agrees. ``[tool.newscorpus.splits]``
in pyproject.toml pins single documents (``my-doc-id = "test"``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from newscorpus.errors import NewscorpusError

SPLITS: tuple[str, ...] = ("train", "validation", "test")
#: Upper bucket bound (exclusive, out of 100) of each split, in :data:`SPLITS` order.
_BOUNDS = (80, 90, 100)


def hashed_split(doc_id: str) -> str:
    """The split ``doc_id`` falls in by hash, ignoring overrides.

    >>> hashed_split("india-japan-5g-agreement") in SPLITS
    True
    """
    bucket = int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:8], 16) % 100
    return next(split for split, bound in zip(SPLITS, _BOUNDS, strict=True) if bucket < bound)


def check_overrides(overrides: Mapping[str, str]) -> None:
    """Refuse split overrides that name an unknown split.

    Raises:
        NewscorpusError: E305 naming the first bad entry and the allowed splits.
    """
    for doc_id, split in sorted(overrides.items()):
        if split not in SPLITS:
            raise NewscorpusError(
                "E305",
                f"split override {doc_id} = {split!r} names an unknown split; allowed: "
                f"{', '.join(SPLITS)}.",
                fix="Fix the value in [tool.newscorpus.splits].",
                where="pyproject.toml [tool.newscorpus.splits]",
            )


def assign_split(doc_id: str, overrides: Mapping[str, str]) -> str:
    """The split of ``doc_id``: its override if pinned, else :func:`hashed_split`.

    Call :func:`check_overrides` once first; an unknown split name here is returned as is.
    """
    return overrides.get(doc_id) or hashed_split(doc_id)
