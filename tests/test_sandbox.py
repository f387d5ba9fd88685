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


@pytest.mark.timeout(60)
def test_a_long_task_does_not_hold_back_the_other_workers_results():
    """Two workers, one on a 1 s task: the other's three short tasks come back first."""
    results = run(nap, [1.0, 0.0, 0.0, 0.0], jobs=2)
    assert [task for task, _, _ in results] == [0.0, 0.0, 0.0, 1.0]


class Unsendable:
    """Set-up that cannot be sent to a spawned worker, failing with ``error``."""

    def __init__(self, error: Exception):
        self.error = error

    def __reduce__(self):
        raise self.error


@pytest.mark.timeout(60)
@pytest.mark.parametrize("error, why", [
    (EOFError(), "EOFError: the fork server is gone"),
    (OSError("x" * 150), "OSError: " + "x" * 100)])
def test_why_no_worker_could_start_is_told_in_one_line_of_at_most_100_characters(
        caplog, error, why):
    spawn = multiprocessing.get_context("spawn")
    with caplog.at_level(logging.ERROR, logger="briefgen.sandbox"):
        with Pool(nap, 1, Limits(), spawn, initializer=set_greeting,
                  initargs=(Unsendable(error),)) as pool:
            results = list(pool.run([0.1, 0.2]))
    message = (f"not run: no worker process could be started ({why}); a new batch builds "
               "what is missing")
    assert results == [(0.1, None, message), (0.2, None, message)]
    assert caplog.messages == [message]            # said once, not once per task


def test_a_worker_stays_if_it_is_busy_within_its_limits_and_goes_when_it_is_done_or_over():
    with Pool(nap, 1, Limits(seconds=0.5), FORK) as pool:
        worker = pool._worker()
        try:
            worker.give(30, 0)
            assert pool._check(worker, time.monotonic()) == (False, None, "", True)
            assert pool._check(worker, worker.started + 0.6) == (
                True, None, "stopped after 0.5 s, the time limit of one briefing "
                "(--task-timeout)", False)
        finally:
            worker.kill()
        worker = pool._worker()
        worker.give(0.0, 0)
        assert worker.conn.poll(10)
        assert pool._check(worker, time.monotonic()) == (True, worker.process.pid, "", True)
        worker.process.kill()
        worker.process.join(10)
        assert pool._check(worker, time.monotonic()) == (True, None, None, False)   # died
        worker.kill()


def leave_a_child_with_the_pipe(_: object) -> None:
    """End the worker, leaving a child that holds its end of the pipe for a few seconds."""
    if os.fork() == 0:
        time.sleep(3)
        os._exit(0)
    os._exit(7)


@pytest.mark.timeout(60)
def test_a_worker_that_ended_while_its_pipe_is_still_open_is_seen_as_dead():
    with Pool(leave_a_child_with_the_pipe, 1, Limits(), FORK) as pool:
        worker = pool._worker()
        worker.give(1, 0)
        deadline = time.monotonic() + 10
        while worker.process.is_alive():       # not join(): its child holds the sentinel too
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert worker.process.exitcode == 7
        assert not worker.conn.poll()
        assert pool._check(worker, time.monotonic()) == (True, None, None, False)
        worker.kill()


def test_the_time_over_a_limit_is_logged_as_the_reason_it_gives(caplog):
    with Pool(nap, 1, Limits(seconds=0.5), FORK) as pool:
        worker = pool._worker()
        try:
            worker.give(30, 0)
            with caplog.at_level(logging.WARNING, logger="briefgen.sandbox"):
                _, _, reason, _ = pool._check(worker, worker.started + 0.6)
        finally:
            worker.kill()
    assert caplog.messages == [reason]


def test_a_worker_that_is_gone_is_not_over_its_memory_limit():
    """Its memory cannot be read (None): the limit is not applied to it."""
    with Pool(nap, 1, Limits(memory_mb=1), FORK) as pool:
        worker = pool._worker()
        worker.kill()
        assert rss_bytes(worker.process.pid) is None
        assert pool._over_limit(worker, time.monotonic()) == ""


def test_a_worker_just_over_its_memory_limit_is_said_to_be_above_it(monkeypatch):
    """Its resident memory is shown rounded up: never "at 502 MB, above the limit of 502 MB".
    (Its memory as /proc would give it: a page over the limit, then exactly at it.)"""
    with Pool(nap, 1, Limits(memory_mb=502), FORK) as pool:
        worker = pool._worker()
        try:
            monkeypatch.setattr(sandbox, "rss_bytes", lambda pid: 502 * 2**20 + 4096)
            over = pool._over_limit(worker, time.monotonic())
            monkeypatch.setattr(sandbox, "rss_bytes", lambda pid: 502 * 2**20)
            at = pool._over_limit(worker, time.monotonic())
        finally:
            worker.kill()
    assert over == ("stopped at 503 MB, above the memory limit of one briefing (502 MB, "
                    "--task-memory)")
    assert at == ""


def test_workers_are_daemonic_and_named_briefgen_worker():
    """Daemonic: the interpreter's exit ends them rather than waiting for them."""
    with Pool(nap, 1, Limits(), FORK) as pool:
        worker = pool._worker()
        assert worker.process.daemon is True
        assert worker.process.name == "briefgen-worker"
        worker.stop()


@pytest.mark.timeout(60)
def test_a_worker_that_does_not_stop_when_asked_is_killed_after_2_s():
    with Pool(nap, 1, Limits(), FORK, initializer=time.sleep, initargs=(30,)) as pool:
        worker = pool._worker()
        start = time.monotonic()
        worker.stop()                           # it is still in its set-up: not listening
        took = time.monotonic() - start
    assert 1.9 <= took < 2.9
    assert worker.process.exitcode == -signal.SIGKILL


@pytest.mark.timeout(60)
def test_a_task_a_worker_could_not_take_goes_to_a_fresh_one():
    with Pool(nap, 1, Limits(), FORK) as pool:
        (_, first, _), = pool.run([0.0])
        pool.idle[0].conn.close()                # alive, but its pipe cannot be written
        (task, second, error), = pool.run([0.1])
    assert (task, error) == (0.1, "") and second != first


@pytest.mark.timeout(60)
def test_closing_a_pool_whose_idle_worker_died_ends_cleanly():
    pool = Pool(nap, 1, Limits(), FORK)
    (_, pid, _), = pool.run([0.0])
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    pool.close()                                # its pipe is broken: no error
    assert pool.idle == []


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


# The worker's side, in this process (mutmut maps the tests that reach a function only in the
# process that runs them): the lifeline's last act, SIGKILL to this process, is recorded
# instead; test_busy_workers_die_with_the_process_that_started_them checks it for real.


@pytest.fixture
def own_end(monkeypatch) -> list[str]:
    """Record SIGKILLs this process sends itself (by thread) instead of dying of them."""
    ended: list[str] = []
    real_kill = os.kill

    def kill(pid: int, sig: int) -> None:
        if pid == os.getpid() and sig == signal.SIGKILL:
            ended.append(threading.current_thread().name)
        else:
            real_kill(pid, sig)

    monkeypatch.setattr(os, "kill", kill)
    return ended


@pytest.fixture
def pdeathsig():
    """This process's parent-death signal, as it was after the test."""
    libc = ctypes.CDLL(None, use_errno=True)
    before = ctypes.c_int()
    libc.prctl(PR_GET_PDEATHSIG, ctypes.byref(before), 0, 0, 0)

    def now() -> int:
        value = ctypes.c_int()
        libc.prctl(PR_GET_PDEATHSIG, ctypes.byref(value), 0, 0, 0)
        return value.value

    yield now
    libc.prctl(1, before.value, 0, 0, 0)      # PR_SET_PDEATHSIG: as it was


def sleeper() -> subprocess.Popen:
    return subprocess.Popen(["sleep", "30"])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
def test_the_lifeline_ends_this_process_once_the_watched_one_ends(own_end, monkeypatch, pidfd):
    if not pidfd:                                 # a kernel or Python without pidfds
        monkeypatch.delattr(os, "pidfd_open")
    watched = sleeper()
    watch = threading.Thread(target=sandbox._watch, args=(watched.pid,), name="watch",
                             daemon=True)
    watch.start()
    time.sleep(0.3)
    assert watch.is_alive() and own_end == []    # still watching
    watched.kill()
    watched.wait()
    watch.join(5)
    assert not watch.is_alive() and own_end == ["watch"]


@pytest.mark.timeout(60)
def test_bind_to_a_live_process_sets_the_death_signal_and_starts_the_lifeline(
        own_end, pdeathsig, monkeypatch):
    def exit_(code: int) -> None:
        raise AssertionError(f"exited with {code}")

    monkeypatch.setattr(os, "_exit", exit_)
    watched = sleeper()
    sandbox.bind_to(watched.pid)
    assert pdeathsig() == signal.SIGKILL
    (lifeline,) = [t for t in threading.enumerate() if t.name == "briefgen-lifeline"]
    assert lifeline.daemon and lifeline.is_alive() and own_end == []
    watched.kill()
    watched.wait()
    lifeline.join(5)
    assert own_end == ["briefgen-lifeline"]


def test_bind_to_a_process_already_gone_exits_at_once_with_code_1(monkeypatch, pdeathsig):
    class Exited(Exception):
        pass

    def exit_(code: int) -> None:
        raise Exited(code)

    monkeypatch.setattr(os, "_exit", exit_)
    gone = subprocess.Popen(["true"])
    gone.wait()
    with pytest.raises(Exited) as exited:
        sandbox.bind_to(gone.pid)
    assert exited.value.args == (1,)
    assert not [t for t in threading.enumerate() if t.name == "briefgen-lifeline"]


def test_the_forkserver_preload_names_this_process_as_the_one_to_watch(monkeypatch):
    monkeypatch.delenv(sandbox.PARENT_ENV, raising=False)
    assert sandbox.bound_forkserver_preload() == ["briefgen.sandbox"]
    assert os.environ[sandbox.PARENT_ENV] == str(os.getpid())


def work(task: str) -> object:
    if task == "fail":
        raise ValueError("tyvärr")
    if task == "exit":
        raise SystemExit(3)
    if task == "lambda":
        return lambda: None
    return task.upper()


def serving(monkeypatch, initializer=None, initargs=()):
    """A worker's loop in a thread of this process: (our end of its pipe, the thread, the
    pids it bound itself to)."""
    bound: list[int] = []
    monkeypatch.setattr(sandbox, "bind_to", bound.append)
    ours, theirs = multiprocessing.Pipe()
    thread = threading.Thread(target=sandbox._serve, daemon=True,
                              args=(theirs, 4242, initializer, initargs, work))
    thread.start()
    return ours, thread, bound


@pytest.mark.timeout(60)
def test_a_worker_is_set_up_then_answers_each_task_until_it_is_told_to_stop(monkeypatch):
    ready: list[str] = []
    ours, thread, bound = serving(monkeypatch, ready.append, ("klar",))
    ours.send("anna")
    assert ours.recv() == (True, "ANNA")
    assert ready == ["klar"] and bound == [4242]
    ours.send("fail")
    assert ours.recv() == (False, "ValueError: tyvärr")
    ours.send("exit")                            # not only Exception: the worker goes on
    assert ours.recv() == (False, "SystemExit: 3")
    ours.send("lambda")                          # a result that cannot be sent back
    ok, error = ours.recv()
    assert ok is False and error.startswith(("PicklingError: ", "AttributeError: "))
    ours.send("")
    assert ours.recv() == (True, "")             # a false task is still a task
    ours.send(None)
    thread.join(5)
    assert not thread.is_alive()


@pytest.mark.timeout(60)
def test_a_worker_without_set_up_ends_when_its_pipe_closes(monkeypatch):
    ours, thread, bound = serving(monkeypatch)
    ours.send("bo")
    assert ours.recv() == (True, "BO")
    ours.close()
    thread.join(5)
    assert not thread.is_alive() and bound == [4242]


def test_alive_tells_a_running_process_from_an_ended_one(monkeypatch):
    running = sleeper()
    try:
        assert _alive(running.pid)
        time.sleep(0.1)
        assert running.poll() is None            # asked, not signalled
    finally:
        running.kill()
        running.wait()
    assert not _alive(running.pid)
    assert _alive(os.getpid())

    def not_ours(pid: int, sig: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", not_ours)    # another user's process: it is there
    assert _alive(1)


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


def test_resident_memory_is_read_from_proc_without_psutil(monkeypatch):
    expected = psutil.Process().memory_info().rss
    monkeypatch.setitem(sys.modules, "psutil", None)   # not installed: /proc alone
    assert rss_bytes(os.getpid()) == pytest.approx(expected, rel=0.2)
    assert rss_bytes(2**22 + 1) is None                  # no such process, and no psutil


def test_without_an_affinity_the_cores_are_the_cpu_count_and_at_least_one(monkeypatch):
    def no_affinity(pid: int) -> set[int]:
        raise OSError("not here")

    monkeypatch.setattr(os, "sched_getaffinity", no_affinity)
    assert usable_cores() == os.cpu_count()
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert usable_cores() == 1


def test_the_jobs_warning_leaves_out_free_memory_it_cannot_read(monkeypatch, caplog):
    monkeypatch.setattr(sandbox, "available_memory_mb", lambda: None)
    cores = usable_cores()
    with caplog.at_level(logging.WARNING, logger="briefgen.sandbox"):
        assert sensible_jobs(cores + 3, 500) == cores
    assert caplog.messages == [f"--jobs {cores + 3}: using {cores} ({cores} cores)"]


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
