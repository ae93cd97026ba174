"""How commands and their child processes take SIGINT and SIGTERM.

A command stops the same way on Ctrl-C (SIGINT) and on SIGTERM, which is what ``timeout``, a
cancelled CI job and ``kill`` send: both raise :class:`KeyboardInterrupt` in the main thread
(:func:`interrupting`), so the command removes what it had started and says what it changed.
Where an interrupt must not land half-way (a journal's commit, the renames that put an export
or a build in place, the forks that start worker processes), :func:`signals_deferred` holds it
until the block is done. Worker processes leave interrupts to the command that started them
(:func:`in_worker`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: The signals a command takes as an interrupt.
INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


def raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """A signal handler that raises :class:`KeyboardInterrupt`, as Python's own for SIGINT."""
    raise KeyboardInterrupt


@contextmanager
def interrupting() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`KeyboardInterrupt` as Ctrl-C does; by default it
    ends the process on the spot, leaving temp files and work folders behind. Main thread only
    (elsewhere the block changes nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def ignore_interrupts() -> None:
    """Take no further interrupt: the command has ended and said how, and an interrupt while
    the interpreter shuts down would end the process again, with another status. Main thread
    only."""
    if threading.current_thread() is threading.main_thread():
        for signum in INTERRUPTS:
            signal.signal(signum, signal.SIG_IGN)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM in the block, then deliver the first that came: an interrupt
    lands after the block, never half-way.

    Held by Python-level handlers, not the thread's signal mask: threads the process already
    runs (numpy's BLAS pool, for one) leave the signals unblocked, the kernel hands a signal
    sent to the process to such a thread, and Python then raises the interrupt in the main
    thread at once. Handlers can be set in the main thread only; elsewhere nothing is held.

    Around a fork this also keeps the interrupt out of the parent's after-fork hooks (logging's,
    filelock's), where Python ignores the exception it raises: the interrupt was lost, and a
    hook left half-run could hang the next fork or lock.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in INTERRUPTS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if held:
            signal.raise_signal(held[0])


def in_worker() -> None:
    """Set a forked worker process up: it ignores Ctrl-C, which reaches the whole process
    group and which the command handles by ending its workers, and SIGTERM ends it, whatever
    handler it inherited from the command (held, or raising an interrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
