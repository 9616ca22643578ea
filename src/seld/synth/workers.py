"""Worker processes of the synthesiser: cheap to start, and never more math threads than cores.

Why ``seld synth --workers 2`` was slower than one worker on a 2-core machine (measured, see the report of
issue 9): every pool was started with the ``spawn`` method, so each worker process imported numpy, scipy,
pyroomacoustics and seld again (about 1 s of CPU each), and a run starts two pools (rooms, then scenes): four
imports for two workers, against none for one worker. On top of that each worker's OpenBLAS started one
thread per core, so two workers ran four math threads on two cores.

On Linux a pool is now forked from the caller once it has planned the dataset: the workers start in a few
milliseconds with every module and the plan already in memory, and every worker runs ``cores // workers`` math
threads (at least 1). Elsewhere a ``forkserver`` that has imported the synthesiser once (``preload``) starts
them, else ``spawn``, with the same thread limits. Rooms and scenes share one pool and one first-in-first-out
queue (:class:`TaskQueue`): a room's scenes are queued as soon as the room is stored, so no worker waits for
the last room. Results do not depend on any of this: tasks are pure functions of their arguments (the files
of a dataset made with one worker and with two are byte-identical).

Measured on the 2-core development machine (``python benchmarks/synth_workers.py --bank data/bank --clips
100 --repeats 4``, wall clock of the command line; three runs, during which the machine's own speed drifted:
one worker 12.6-21.0 s): two workers 1.73x, 1.60x and 1.67x faster (medians), 1.68x over all 14 pairs. The
forkserver that preloaded the synthesiser (the previous way) was ready about 0.9 s after the plan, and gave
1.42-1.59x. Wall-clock gains need idle cores: the kernel shares the CPU between sessions (autogroups), so
workers cannot speed up a job while other sessions keep the cores busy.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence

__all__ = ["worker_pool", "TaskQueue", "threads_per_worker", "THREAD_VARIABLES", "PRELOAD"]

#: environment variables that cap the threads of the math libraries (OpenMP, OpenBLAS, MKL, Accelerate, numexpr)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS")

#: modules the fork server imports once, so that workers start without importing them
PRELOAD = ("numpy", "scipy.fft", "scipy.signal", "soundfile", "seld.synth.dataset")

Progress = Callable[[str, int, int], None]


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Math threads per worker so that ``workers`` processes together use the cores once: ``cores // workers``,
    at least 1."""
    return max(1, (available_cores() if cores is None else cores) // max(1, workers))


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block (what child processes started in it inherit)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _limit_threads(threads: int) -> None:
    """Worker initialiser: cap the math libraries' threads (already loaded ones too, when threadpoolctl is there)."""
    os.environ.update({k: str(threads) for k in THREAD_VARIABLES})
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:   # the environment variables, inherited at start, are then the only limit
        return
    threadpool_limits(threads)


def _context(preload: Sequence[str]):
    """Linux: ``fork`` (workers start as copies of the caller, which has imported and planned everything);
    elsewhere a ``forkserver`` that imports ``preload`` once, else ``spawn``."""
    if sys.platform.startswith("linux"):
        return mp.get_context("fork")
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(preload))
        return ctx
    return mp.get_context("spawn")


@contextlib.contextmanager
def worker_pool(workers: int, preload: Sequence[str] = PRELOAD):
    """A process pool of ``workers`` processes (see :func:`_context`), each limited to
    :func:`threads_per_worker` math threads; terminated if the block raises (an interrupt included)."""
    threads = threads_per_worker(workers)
    with _environment({k: str(threads) for k in THREAD_VARIABLES}):
        pool = _context(preload).Pool(workers, initializer=_limit_threads, initargs=(threads,))
    try:
        yield pool
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()


class TaskQueue:
    """Tasks of several phases (``"rooms"``, ``"scenes"``) run first in, first out on one pool; the caller may
    add tasks while iterating over results, so that a phase need not wait for the last task of the one before
    (a room's scenes start as soon as that room is stored, while other workers still compute rooms).

    Without a pool (one worker) the tasks run in this process, in the same order. ``totals`` gives the number
    of tasks of each phase for ``progress(phase, done, total)``; errors of a task are raised to the caller.
    """

    def __init__(self, pool, progress: Progress | None, totals: dict[str, int]):
        self.pool, self.progress = pool, progress
        self.totals = dict(totals)
        self.done = dict.fromkeys(self.totals, 0)
        self._waiting: deque = deque()              # tasks still to run here (no pool)
        self._results: queue.SimpleQueue = queue.SimpleQueue()   # (phase, result, error) from the pool
        self._pending = 0
        if progress:
            for phase, total in self.totals.items():
                progress(phase, 0, total)

    def submit(self, phase: str, fn: Callable, task) -> None:
        """Run ``fn(task)`` after the tasks submitted before it (``phase``: one of ``totals``)."""
        if phase not in self.totals:
            raise ValueError(f"unknown phase {phase!r}: give its number of tasks in totals")
        self._pending += 1
        if self.pool is None:
            self._waiting.append((phase, fn, task))
            return
        put = self._results.put
        self.pool.apply_async(fn, (task,), callback=lambda result: put((phase, result, None)),
                              error_callback=lambda error: put((phase, None, error)))

    def __iter__(self) -> Iterator[tuple[str, object]]:
        """``(phase, result)`` of every task, tasks submitted meanwhile included, until none is left."""
        while self._pending:
            if self.pool is None:
                phase, fn, task = self._waiting.popleft()
                result = fn(task)
            else:
                phase, result, error = self._next()
                if error is not None:
                    raise error
            self._pending -= 1
            self.done[phase] += 1
            if self.progress:
                self.progress(phase, self.done[phase], self.totals[phase])
            yield phase, result

    def _next(self):
        while True:                         # a timeout keeps the wait interruptible (Ctrl-C, SIGTERM)
            try:
                return self._results.get(timeout=0.2)
            except queue.Empty:
                continue
