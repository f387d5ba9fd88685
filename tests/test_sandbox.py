"""The sandbox's pool on its own, with small tasks: limits per task, reused and replaced
workers, every task back exactly once. The batch's tests (test_batch, test_hostile2) run it
with real briefings; these are fast enough for mutation testing (docs/mutation.md)."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from briefgen.sandbox import Limits, Pool

FORK = multiprocessing.get_context("fork")


def nap(seconds: float) -> int:
    """A task that takes ``seconds`` and says which process ran it."""
    time.sleep(seconds)
    return os.getpid()


@pytest.mark.timeout(60)
def test_a_reused_workers_time_limit_counts_from_its_current_task():
    """Three tasks of 0.5 s on one worker under a 1.2 s limit: each is within it."""
    with Pool(nap, 1, Limits(seconds=1.2), FORK) as pool:
        results = list(pool.run([0.5, 0.5, 0.5]))
    assert [error for _, _, error in results] == ["", "", ""]
    assert len({pid for _, pid, _ in results}) == 1     # the same worker, reused
