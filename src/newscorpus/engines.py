"""Where shards run: in this process, in a process pool, or on a Dask cluster.

:func:`map_shards` calls a top-level function on each spec and returns the results in spec
order, whatever order they finish in; the caller never sees the difference, which is how the
build stays byte-identical for any engine and number of workers. :func:`iter_shards` hands the
same results over one at a time, in the same order, for callers that fold them together.

* ``serial``: a plain loop here (what ``--jobs 1`` and a single shard use);
* ``process``: a :class:`concurrent.futures.ProcessPoolExecutor` of ``jobs`` workers (the
  default, with every core);
* ``dask``: ``distributed.Client.map`` on the scheduler at ``scheduler``, or on a
  ``LocalCluster`` of ``jobs`` single-threaded worker processes started for the call. Needs the
  optional extra ``newscorpus[dask]``; the workers must see the project and the output folder
  at the same paths (a shared file system).

:class:`Background` runs one call in a forked process beside whatever this process does next:
the build's card check, which needs only the project's files, runs there while the shards are
made.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from newscorpus.errors import NewscorpusError, UsageError
from newscorpus.signals import in_worker, signals_deferred

Engine = Literal["serial", "process", "dask"]
ENGINES: tuple[str, ...] = ("serial", "process", "dask")

S = TypeVar("S")
R = TypeVar("R")


def default_jobs() -> int:
    """Every core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class EngineSettings:
    """How to run shards: ``engine``, ``jobs`` workers, and for Dask a scheduler address."""

    engine: Engine = "process"
    jobs: int = 0
    scheduler: str | None = None

    def workers(self) -> int:
        """``jobs``, or every core when it is 0.

        Raises:
            UsageError: E320 when ``jobs`` is negative, or ``scheduler`` is set without Dask.
        """
        if self.jobs < 0:
            raise UsageError(
                "E320",
                f"--jobs is {self.jobs}; it must be 1 or more (0 means every core).",
                fix="Pass --jobs N with N >= 1, or leave it out.",
            )
        if self.scheduler is not None and self.engine != "dask":
            raise UsageError(
                "E320",
                f"--scheduler {self.scheduler} is given but the engine is {self.engine}; a "
                "scheduler address means a Dask cluster.",
                fix="Add --engine dask, or leave --scheduler out.",
            )
        return self.jobs or default_jobs()


def runs_here(engine: EngineSettings, count: int) -> bool:
    """Whether :func:`map_shards` runs ``count`` specs in this process (so ``fn`` need not
    pickle)."""
    return engine.engine != "dask" and (
        engine.engine == "serial" or engine.workers() == 1 or count <= 1
    )


def map_shards(
    fn: Callable[[S], R],
    specs: Sequence[S],
    engine: EngineSettings,
    on_result: Callable[[int, R], None] | None = None,
) -> list[R]:
    """``[fn(spec) for spec in specs]``, run by ``engine``; ``on_result(i, result)`` is called
    as each one finishes (for progress).

    Raises:
        NewscorpusError: E321 the dask extra is not installed; E322 the Dask scheduler cannot be
            reached. Whatever ``fn`` raises.
    """
    results: dict[int, R] = {}
    for i, result in _completed(fn, specs, engine):
        results[i] = result
        if on_result is not None:
            on_result(i, result)
    return [results[i] for i in range(len(specs))]


def iter_shards(fn: Callable[[S], R], specs: Sequence[S], engine: EngineSettings) -> Iterator[R]:
    """:func:`map_shards`'s results one by one in spec order, each handed over as soon as it
    and those before it are done, so that a caller folding them together never holds them all
    (a result that finishes early waits only for those before it).

    Raises:
        NewscorpusError: as :func:`map_shards`.
    """
    early: dict[int, R] = {}
    due = 0
    for i, result in _completed(fn, specs, engine):
        early[i] = result
        while due in early:
            yield early.pop(due)
            due += 1


def _completed(
    fn: Callable[[S], R], specs: Sequence[S], engine: EngineSettings
) -> Iterator[tuple[int, R]]:
    """``(i, fn(specs[i]))`` for every spec, in the order they finish."""
    workers = engine.workers()
    if engine.engine == "dask":
        return _dask(fn, specs, engine.scheduler, workers)
    if runs_here(engine, len(specs)):
        return ((i, fn(spec)) for i, spec in enumerate(specs))
    return _pool(fn, specs, min(workers, len(specs)))


def _pool(fn: Callable[[S], R], specs: Sequence[S], workers: int) -> Iterator[tuple[int, R]]:
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_init) as pool:
        pending: dict[Future[R], int] = {}
        try:
            with signals_deferred():  # submitting forks the workers
                for i, spec in enumerate(specs):
                    pending[pool.submit(fn, spec)] = i
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=pending.__getitem__):
                    i = pending.pop(future)
                    yield i, future.result()
        except BaseException:
            # Leaving the block waits for the workers' current shards, which an interrupt or
            # an error has made useless: they are ended now instead, which fails the shards
            # still queued. (They are not cancelled first: Python 3.11's pool, told of the
            # killed workers before it drops cancelled shards, fails on them, and hangs.)
            _kill_workers(pool)
            raise


def _kill_workers(pool: Any) -> None:
    """End a process pool's workers at once (``kill_workers`` from Python 3.14; before it, the
    pool's own table of them)."""
    kill = getattr(pool, "kill_workers", None)
    if kill is not None:
        kill()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


def _worker_init() -> None:
    """Set a pool worker up: it dies with the build that started it, and leaves Ctrl-C to it
    (:func:`newscorpus.signals.in_worker`): the build ends its workers, which would otherwise
    each print a KeyboardInterrupt traceback."""
    _die_with_parent()
    in_worker()


def _die_with_parent() -> None:
    """Make a pool worker end when the build that started it is killed (Linux).

    Forked workers hold both ends of the pool's task pipe, so a killed parent leaves them
    waiting on it forever, holding the parent's output pipes open; the kernel's parent-death
    signal ends them instead.
    """
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the call
            os._exit(1)


def _dask(
    fn: Callable[[S], R],
    specs: Sequence[S],
    scheduler: str | None,
    workers: int,
) -> Iterator[tuple[int, R]]:
    from importlib import import_module

    try:
        # Untyped: held as Any rather than type-checked call by call.
        distributed: Any = import_module("distributed")
    except ImportError:
        raise NewscorpusError(
            "E321",
            "the dask engine needs the `distributed` package, which is not installed.",
            fix="Install the extra: pip install 'newscorpus[dask]', or use --engine process.",
        ) from None
    cluster: Any = None
    try:
        if scheduler is None:
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(scheduler, timeout="5s")
    except (OSError, TimeoutError) as err:
        if cluster is not None:
            cluster.close()
        raise NewscorpusError(
            "E322",
            f"cannot reach the Dask scheduler at {scheduler}: {err}.",
            fix="Check the address (tcp://HOST:8786) and that `dask scheduler` runs there, or "
            "leave --scheduler out to start a local cluster.",
        ) from None
    try:
        futures = client.map(fn, list(specs), pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        for future, result in distributed.as_completed(futures, with_results=True):
            yield index[future.key], result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class Background(Generic[R]):
    """``fn(*args, **kwargs)`` running in a forked child process from the moment this is made.

    The child ignores Ctrl-C (the command handles it, and ends the child with :meth:`cancel`)
    and dies with this process. What ``fn`` returns or raises comes back pickled; ``fn`` never
    returns None (:meth:`result` gives None for a child that died).
    """

    def __init__(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_background_main, args=(send, fn, args, kwargs), daemon=True
        )
        with signals_deferred():  # see newscorpus.signals: an interrupt in a fork is lost
            self._process.start()
        send.close()

    def result(self) -> R | None:
        """What ``fn`` returned (raising what it raised), or None when the child ended without
        an answer (killed, out of memory): the caller then does the work itself."""
        try:
            ok, value = self._receive.recv()
        except (EOFError, OSError):
            self.cancel()
            return None
        except BaseException:  # Ctrl-C while waiting: the child ignores it, so end it now
            self.cancel()
            raise
        self.cancel()  # it has answered: this only reaps it
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """End the child now if it still runs (its answer is not wanted)."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receive.close()


def _background_main(send: Any, fn: Callable[..., Any], args: Any, kwargs: Any) -> None:
    _die_with_parent()
    in_worker()
    try:
        outcome: tuple[bool, Any] = (True, fn(*args, **kwargs))
    except BaseException as err:  # handed to the parent, which raises it where it waits
        outcome = (False, err)
    send.send(outcome)
    send.close()
