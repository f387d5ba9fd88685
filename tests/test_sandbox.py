"""The sandbox's pool on its own, with small tasks: limits per task, reused and replaced
workers, every task back exactly once, and the lifeline that ends a worker with its parent.
The batch's tests (test_batch, test_hostile2) run it with real briefings; these are fast
enough for mutation testing (docs/mutation.md)."""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from briefgen import sandbox
from briefgen.sandbox import (
    Limits,
    Pool,
    _alive,
    _exit_reason,
    _parent_death_signal,
    available_memory_mb,
    rss_bytes,
    sensible_jobs,
    usable_cores,
)

FORK = multiprocessing.get_context("fork")
PR_GET_PDEATHSIG = 2


# Tasks, run in the workers.

def nap(seconds: float) -> int:
    """Take ``seconds``, then say which process ran the task."""
    time.sleep(seconds)
    return os.getpid()


def fail(message: str) -> None:
    raise ValueError(message)


def unpicklable(_: object) -> object:
    return lambda: None


def grow(size: tuple[int, float]) -> int:
    """Hold ``size`` = (megabytes, seconds) of memory (a render that grows)."""
    megabytes, seconds = size
    block = bytearray(megabytes * 2**20)
    for i in range(0, len(block), 4096):   # touched: resident, not only reserved
        block[i] = 1
    time.sleep(seconds)
    return len(block)


def exit_with(code: int) -> None:
    os._exit(code)


def die(sig: int) -> None:
    os.kill(os.getpid(), sig)


def greet(name: str) -> str:
    return f"{GREETING}, {name}"


GREETING = "hej"


def set_greeting(word: str) -> None:
    global GREETING
    GREETING = word


def run(function, tasks, jobs=1, limits: Limits | None = None, **kwargs) -> list[tuple]:
    with Pool(function, jobs, limits or Limits(), FORK, **kwargs) as pool:
        return list(pool.run(tasks))


# --------------------------------------------------------------------------- the pool


@pytest.mark.timeout(60)
def test_a_reused_workers_time_limit_counts_from_its_current_task():
    """Three tasks of 0.5 s on one worker under a 1.2 s limit: each is within it."""
    results = run(nap, [0.5, 0.5, 0.5], limits=Limits(seconds=1.2))
    assert [error for _, _, error in results] == ["", "", ""]
    assert len({pid for _, pid, _ in results}) == 1     # the same worker, reused


@pytest.mark.timeout(60)
def test_a_task_over_its_time_is_stopped_and_its_worker_replaced():
    start = time.monotonic()
    results = run(nap, [0.0, 30, 0.0], limits=Limits(seconds=0.5))
    assert time.monotonic() - start < 10
    assert [task for task, _, _ in results] == [0.0, 30, 0.0]
    (_, first, _), (_, none, error), (_, last, _) = results
    assert none is None and error == ("stopped after 0.5 s, the time limit of one briefing "
                                      "(--task-timeout)")
    assert first != last and not psutil.pid_exists(first)      # killed, not reused


def own_mb() -> int:
    """This process's resident memory: where a worker forked from it starts."""
    return psutil.Process().memory_info().rss // 2**20


@pytest.mark.timeout(60)
def test_a_task_over_its_memory_is_stopped_with_what_it_held():
    limit = own_mb() + 150
    (_, result, error), = run(grow, [(400, 30)], limits=Limits(memory_mb=limit))
    assert result is None
    assert error.startswith("stopped at ") and error.endswith(
        f" MB, above the memory limit of one briefing ({limit:,} MB, --task-memory)")
    assert limit < int(error.split()[2].replace(",", "")) <= limit + 450


@pytest.mark.timeout(60)
def test_within_its_limits_a_task_returns_its_result():
    limit = own_mb() + 300
    (_, result, error), = run(grow, [(20, 0)], limits=Limits(seconds=30, memory_mb=limit))
    assert (result, error) == (20 * 2**20, "")


@pytest.mark.timeout(60)
def test_an_exception_is_the_tasks_error_and_the_worker_goes_on():
    results = run(fail, ["tyvärr", "igen"])
    assert [(r, e) for _, r, e in results] == [(None, "ValueError: tyvärr"),
                                               (None, "ValueError: igen")]
    (_, _, error), = run(unpicklable, [1])
    assert error.startswith(("PicklingError: ", "AttributeError: ")) and "pickle" in error


@pytest.mark.timeout(60)
def test_each_worker_is_set_up_by_the_initializer():
    results = run(greet, ["Anna", "Bo"], jobs=2, initializer=set_greeting, initargs=("hallå",))
    assert sorted(r for _, r, _ in results) == ["hallå, Anna", "hallå, Bo"]


@pytest.mark.timeout(60)
def test_a_worker_is_restarted_after_its_number_of_tasks():
    pids = [pid for _, pid, _ in run(nap, [0.0] * 5, max_tasks=2)]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    assert len(set(pids)) == 3


@pytest.mark.timeout(60)
def test_jobs_workers_share_the_tasks_and_every_task_comes_back_once():
    start = time.monotonic()
    results = run(nap, [0.4] * 4, jobs=2)
    assert time.monotonic() - start < 1.6        # two at a time, not one after another
    assert sorted(task for task, _, _ in results) == [0.4] * 4
    assert len({pid for _, pid, _ in results}) == 2
    assert len(run(nap, [0.0, 0.0], jobs=0)) == 2   # at least one worker


@pytest.mark.timeout(60)
def test_a_worker_that_dies_twice_on_a_task_fails_it_with_how_it_ended():
    results = run(exit_with, [3, 4], jobs=2)
    assert sorted(e for _, _, e in results) == [
        "the worker process died twice on this briefing (exit code 3); not tried again",
        "the worker process died twice on this briefing (exit code 4); not tried again"]


def die_the_first_time(marker: str) -> str:
    """Kill the worker the first time it is given ``marker``; the second time, succeed."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died", "utf-8")
        os.kill(os.getpid(), signal.SIGKILL)
    return f"done after {path.read_text('utf-8')}"


@pytest.mark.timeout(60)
def test_a_worker_that_dies_once_has_its_task_tried_again_on_a_fresh_one(tmp_path, caplog):
    markers = [str(tmp_path / "a"), str(tmp_path / "b")]
    with caplog.at_level(logging.WARNING, logger="briefgen.sandbox"):
        results = run(die_the_first_time, markers, jobs=1)
    assert sorted(results) == [(m, "done after died", "") for m in markers]
    assert [r.getMessage() for r in caplog.records] == [
        "a worker died (killed by SIGKILL); trying its task again"] * 2


@pytest.mark.timeout(60)
def test_a_pool_that_cannot_start_a_worker_fails_every_task_with_the_reason():
    """A worker that cannot be started (here: its set-up cannot be sent to a spawned process)
    fails each task at once, with the reason, instead of waiting for one."""
    spawn = multiprocessing.get_context("spawn")
    with Pool(nap, 2, Limits(), spawn, initializer=set_greeting,
              initargs=(threading.Lock(),)) as pool:
        results = list(pool.run([0.1, 0.2, 0.3]))
    assert [task for task, _, _ in results] == [0.1, 0.2, 0.3]
    for _, result, error in results:
        assert result is None
        assert error == ("not run: no worker process could be started (TypeError: cannot "
                         "pickle '_thread.lock' object); a new batch builds what is missing")


@pytest.mark.timeout(60)
def test_idle_workers_end_cleanly_on_close_and_busy_ones_when_the_run_is_left():
    pool = Pool(nap, 2, Limits(), FORK)
    pids = {pid for _, pid, _ in pool.run([0.0, 0.3])}
    start = time.monotonic()
    pool.close()
    assert time.monotonic() - start < 1.5        # asked to stop, not waited for and killed
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"
                   for p in pids)
    before = {c.pid for c in psutil.Process().children()}
    with Pool(nap, 2, Limits(), FORK) as pool:
        tasks = pool.run([0.0, 30])
        _, first, _ = next(tasks)
        busy = [c.pid for c in psutil.Process().children() if c.pid not in before | {first}]
        tasks.close()                              # leaving the run: the busy one is killed
    assert busy and not any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"
                            for p in busy)


@pytest.mark.timeout(60)
def test_a_dead_idle_worker_is_replaced_before_the_next_task():
    with Pool(nap, 1, Limits(), FORK) as pool:
        (_, first, _), = pool.run([0.0])
        os.kill(first, signal.SIGKILL)
        time.sleep(0.2)
        (_, second, error), = pool.run([0.0])
    assert error == "" and second != first


# --------------------------------------------------------------------------- the lifeline


def test_a_worker_asks_linux_to_kill_it_with_its_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    before = ctypes.c_int()
    libc.prctl(PR_GET_PDEATHSIG, ctypes.byref(before), 0, 0, 0)
    try:
        _parent_death_signal()
        now = ctypes.c_int()
        libc.prctl(PR_GET_PDEATHSIG, ctypes.byref(now), 0, 0, 0)
        assert now.value == signal.SIGKILL
    finally:
        libc.prctl(1, before.value, 0, 0, 0)     # PR_SET_PDEATHSIG: as it was


def test_alive_tells_a_running_process_from_an_ended_one():
    assert _alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not _alive(child.pid)


@pytest.mark.timeout(60)
def test_a_workers_exit_is_described_by_signal_or_code():
    unnamed = signal.SIGRTMIN + 5    # a real-time signal: Python has no name for it
    for target, arg, expected in ((die, signal.SIGKILL, "killed by SIGKILL"),
                                  (die, unnamed, f"killed by signal {int(unnamed)}"),
                                  (exit_with, 5, "exit code 5"), (exit_with, 0, "exit code 0")):
        process = FORK.Process(target=target, args=(arg,))
        process.start()
        process.join(10)
        assert _exit_reason(process) == expected


@pytest.mark.timeout(120)
def test_busy_workers_die_with_the_process_that_started_them(tmp_path):
    """The parent killed (as by the OOM killer) while its workers are in a task: they end."""
    script = ("import sys, time\n"
              f"sys.path.insert(0, {str(Path(__file__).parent.parent)!r})\n"
              "import multiprocessing\n"
              "from briefgen.sandbox import Limits, Pool\n"
              "from tests.test_sandbox import nap\n"
              "with Pool(nap, 2, Limits(), multiprocessing.get_context('fork')) as pool:\n"
              "    list(pool.run([600, 600]))\n")
    env = {**os.environ, "PYTHONPATH": str(Path(sandbox.__file__).parent.parent)}
    parent = subprocess.Popen([sys.executable, "-c", script], env=env)
    proc = psutil.Process(parent.pid)
    try:
        while len(proc.children()) < 2:
            assert parent.poll() is None, "the pool ended before it could be killed"
            time.sleep(0.1)
        time.sleep(0.5)
        workers = proc.children()
    finally:
        parent.kill()
        parent.wait()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive


# --------------------------------------------------------------------------- resources


def test_resident_memory_of_a_process_and_of_none():
    own = rss_bytes(os.getpid())
    assert own == pytest.approx(psutil.Process().memory_info().rss, rel=0.2)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert rss_bytes(child.pid) is None


def test_cores_and_free_memory_as_the_system_reports_them():
    assert usable_cores() == len(os.sched_getaffinity(0))
    free = available_memory_mb()
    assert free == pytest.approx(psutil.virtual_memory().available / 2**20, rel=0.2)


def test_jobs_are_capped_by_the_cores_and_the_free_memory(caplog):
    cores = usable_cores()
    assert sensible_jobs(None, None) == cores
    assert sensible_jobs(1, None) == 1
    with caplog.at_level(logging.WARNING, logger="briefgen.sandbox"):
        assert sensible_jobs(cores + 62, 1) == cores
    (message,) = caplog.messages
    assert re.fullmatch(rf"--jobs {cores + 62}: using {cores} \({cores} cores, [\d,]+ MB free\)",
                        message), message
    free = available_memory_mb()
    assert sensible_jobs(None, 10 * free) == 1             # one, even when none fits
    if cores > 1:
        assert sensible_jobs(None, free // 2 + 200) == 1   # two do not fit: one
        assert sensible_jobs(2, free // 2 + 200) == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="briefgen.sandbox"):
        assert sensible_jobs(cores, None) == cores
    assert caplog.messages == []
