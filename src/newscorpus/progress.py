"""Progress bars for long commands, drawn with ``tqdm`` on a terminal and nowhere else.

``add``, ``validate`` and ``build`` (and importers) report each document done through the
callback :func:`progress` yields. When standard error is not a terminal (CI logs, a pipe, a
file) the callback does nothing and ``tqdm`` is not even imported, so logs stay as they were.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def progress(total: int | Callable[[], int] | None, label: str) -> Iterator[Callable[[Any], None]]:
    """A callback that advances a bar of ``total`` steps (None: unknown, a counter; a function:
    counted only when a bar is drawn, since counting can cost more than a no-op command)
    named ``label`` by one per call.

    >>> with progress(3, "checking") as step:  # not a terminal here: draws nothing
    ...     step("a")
    """
    if not sys.stderr.isatty():
        yield _nothing
        return
    from tqdm import tqdm

    if callable(total):
        total = total()
    with tqdm(total=total, desc=label, unit="doc", file=sys.stderr, leave=False) as bar:
        yield lambda _item: bar.update(1)


def _nothing(_item: Any) -> None:
    return None


def stepped(items: Iterable[T], step: Callable[[Any], None]) -> Iterator[T]:
    """``items``, calling ``step`` after each one is handled (when the next is asked for)."""
    for item in items:
        yield item
        step(item)
