"""Pausing Python's cyclic garbage collector during bulk work on data without cycles.

Parsing a corpus's JSON, making rows and planning an import create millions of small dicts,
lists and tuples that all stay alive. The collector runs after every 700 such allocations and
every so often walks every object alive, so the longer the work runs the more each collection
costs, and it frees nothing: parsed JSON, rows and annotation objects form no reference
cycles. Plain reference counting still frees everything as soon as it is dropped; only cycles
wait for the collector, which runs again when the block ends.

Measured at 10,000 articles: a 224 MB Label Studio export parsed in 9 s with the collector on
and 2 s with it paused; importing it took a quarter to a third less time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Pause automatic collection for the block, restoring the caller's setting after it;
    also a decorator. Nested pauses leave it paused until the outermost ends. (Workers forked
    by a process pool inherit the setting.)"""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
