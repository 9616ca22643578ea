"""The synthesiser's worker pools (issue 9: `seld synth --workers 2` was slower than one worker): same results
in any number of processes, one math thread per core in all, errors carried back, workers started without
importing the synthesiser again."""

from __future__ import annotations

import contextlib
import os

import pytest

from seld.errors import ConfigError
from seld.synth.dataset import parse_shard
from seld.synth.workers import THREAD_VARIABLES, TaskQueue, threads_per_worker, worker_pool


def test_threads_per_worker_share_the_cores():
    assert threads_per_worker(1, cores=2) == 2
    assert threads_per_worker(2, cores=2) == 1
    assert threads_per_worker(4, cores=2) == 1      # never below one
    assert threads_per_worker(3, cores=16) == 5


def _run(tasks, fn, workers, phase, progress=None, pool=None):
    """Results of ``fn`` over ``tasks`` through a TaskQueue, in a pool of ``workers`` unless one is given."""
    with contextlib.ExitStack() as stack:
        if pool is None and workers > 1:
            pool = stack.enter_context(worker_pool(workers))
        queue = TaskQueue(pool, progress, {phase: len(tasks)})
        for task in tasks:
            queue.submit(phase, fn, task)
        return [result for _, result in queue]


def test_results_and_progress_do_not_depend_on_the_workers():
    tasks = [f"{k}/8" for k in range(1, 9)]
    seen = []
    one = sorted(_run(tasks, parse_shard, 1, "shards", lambda *a: seen.append(a)))
    two = sorted(_run(tasks, parse_shard, 2, "shards", lambda *a: seen.append(a)))
    assert one == two == [(k, 8) for k in range(1, 9)]
    assert seen.count(("shards", 8, 8)) == 2 and seen.count(("shards", 0, 8)) == 2


def test_tasks_added_while_running_follow_in_order():
    """A result may add tasks of the next phase (a room's scenes once it is stored); one worker keeps first in,
    first out, and every added task runs."""
    for workers in (1, 2):
        with contextlib.ExitStack() as stack:
            pool = stack.enter_context(worker_pool(2)) if workers > 1 else None
            queue = TaskQueue(pool, None, {"a": 2, "b": 4})
            for task in ("1/2", "2/2"):
                queue.submit("a", parse_shard, task)
            order = []
            for phase, (k, n) in queue:
                order.append((phase, k, n))
                if phase == "a":
                    for j in (1, 2):
                        queue.submit("b", parse_shard, f"{j}/{2 * k + 10}")
        assert sorted(order) == [("a", 1, 2), ("a", 2, 2), ("b", 1, 12), ("b", 1, 14), ("b", 2, 12), ("b", 2, 14)]
        if workers == 1:
            assert [p for p, *_ in order] == ["a", "a", "b", "b", "b", "b"]
        assert queue.done == {"a": 2, "b": 4}


def test_workers_run_one_math_thread_each_on_two_cores(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "7")
    before = {k: os.environ.get(k) for k in THREAD_VARIABLES}
    values = _run(list(THREAD_VARIABLES), os.getenv, 2, "env")
    assert len(values) == len(THREAD_VARIABLES) and set(values) == {"1"}
    assert {k: os.environ.get(k) for k in THREAD_VARIABLES} == before   # the parent's settings are left alone


def test_a_task_error_reaches_the_caller_and_the_pool_closes():
    with pytest.raises(ConfigError, match="--shard"):
        _run(["1/2", "3/2", "2/2"], parse_shard, 2, "shards")


def test_one_pool_serves_several_phases():
    with worker_pool(2) as pool:
        first = sorted(_run(["1/2", "2/2"], parse_shard, 2, "a", pool=pool))
        second = sorted(_run(["1/3", "3/3"], parse_shard, 2, "b", pool=pool))
    assert first == [(1, 2), (2, 2)] and second == [(1, 3), (3, 3)]
