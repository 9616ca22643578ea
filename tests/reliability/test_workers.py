"""The synthesiser's worker pools (issue 9: `seld synth --workers 2` was slower than one worker): same results
in any number of processes, one math thread per core in all, errors carried back, workers started without
importing the synthesiser again."""

from __future__ import annotations

import os

import pytest

from seld.errors import ConfigError
from seld.synth.dataset import parse_shard
from seld.synth.workers import THREAD_VARIABLES, run_tasks, threads_per_worker, worker_pool


def test_threads_per_worker_share_the_cores():
    assert threads_per_worker(1, cores=2) == 2
    assert threads_per_worker(2, cores=2) == 1
    assert threads_per_worker(4, cores=2) == 1      # never below one
    assert threads_per_worker(3, cores=16) == 5


def test_results_and_progress_do_not_depend_on_the_workers():
    tasks = [f"{k}/8" for k in range(1, 9)]
    seen = []
    one = sorted(run_tasks(tasks, parse_shard, 1, "shards", lambda *a: seen.append(a)))
    two = sorted(run_tasks(tasks, parse_shard, 2, "shards", lambda *a: seen.append(a)))
    assert one == two == [(k, 8) for k in range(1, 9)]
    assert seen.count(("shards", 8, 8)) == 2 and seen.count(("shards", 0, 8)) == 2


def test_workers_run_one_math_thread_each_on_two_cores(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "7")
    before = {k: os.environ.get(k) for k in THREAD_VARIABLES}
    values = list(run_tasks(list(THREAD_VARIABLES), os.getenv, 2, "env"))
    assert len(values) == len(THREAD_VARIABLES) and set(values) == {"1"}
    assert {k: os.environ.get(k) for k in THREAD_VARIABLES} == before   # the parent's settings are left alone


def test_a_task_error_reaches_the_caller_and_the_pool_closes():
    with pytest.raises(ConfigError, match="--shard"):
        list(run_tasks(["1/2", "3/2", "2/2"], parse_shard, 2, "shards"))


def test_one_pool_serves_several_phases():
    with worker_pool(2) as pool:
        first = sorted(run_tasks(["1/2", "2/2"], parse_shard, 2, "a", pool=pool))
        second = sorted(run_tasks(["1/3", "3/3"], parse_shard, 2, "b", pool=pool))
    assert first == [(1, 2), (2, 2)] and second == [(1, 3), (3, 3)]
