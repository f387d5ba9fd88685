"""The batch's runner driven from this process, so that mutation testing sees it
(docs/mutation.md): local workers (the level they log at, max_tasks, a task over its limit), the
sandboxed child a Dask worker thread keeps, and a real Dask cluster with real kills (the window of
four tasks a worker, a scheduler lost for good, a worker killed under a task, a task Dask cannot
take). Dask's own waits are shortened (runner.DASK_TIMEOUT, DASK_POLL, DASK_GRACE): the same
code paths, sooner."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import multiprocessing.forkserver
import os
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest

from briefgen import __version__, sandbox
from briefgen.batch import runner
from briefgen.batch.runner import Outcome, Runner, Task, render_task_limited
from briefgen.errors import InputError
from briefgen.load import load_data, load_org
from briefgen.options import Options
from briefgen.sandbox import Limits

pytestmark = pytest.mark.timeout(90)
OLD = f"this worker has briefgen {__version__}, the batch was started with 0.0.1; install " \
      "the same version everywhere"
BROKEN = "unexpected TypeError: object of type 'NoneType' has no len()"


@pytest.fixture(scope="module")
def region_x():
    return load_org("region-x", load_data())


@pytest.fixture(scope="module")
def broken(region_x):
    """Past validation, a profile no briefing expects: an unexpected failure in the worker."""
    return region_x.model_copy(update={"profile": region_x.profile.model_copy(
        update={"impact": None})})


def old(region_x, index: int) -> Task:
    """A task from a batch of another version: each worker answers at once, rendering nothing."""
    return Task(index, region_x, "", Options(), version="0.0.1")


@pytest.fixture
def fork_server(capfd):
    """A fork server started within this test: its workers write to the stderr captured here (a
    worker's stderr is its fork server's). Stopped afterwards: the next test starts its own."""
    server = multiprocessing.forkserver._forkserver
    server._stop()
    yield server
    server._stop()


@pytest.fixture
def batch_at_debug(caplog):
    """The batch run with -vv: its logger at DEBUG, the root logger at WARNING."""
    caplog.set_level(logging.WARNING)
    caplog.set_level(logging.DEBUG, "briefgen")


def debug_line(pid: int) -> str:
    return f"DEBUG briefgen.batch.runner[{pid}]: rendering region-x failed"


# --------------------------------------------------------------------------- local workers


def test_local_workers_log_at_the_batchs_level_and_leave_ctrl_c_to_it(fork_server, capfd,
                                                                      batch_at_debug, broken):
    outcomes = []
    for outcome in Runner(Options(), 1, Limits(60, None)).run(
            [Task(0, broken, "", Options()), Task(1, broken, "", Options())]):
        if not outcomes:
            worker = psutil.Process(outcome.pid)
            assert worker.ppid() == fork_server._forkserver_pid   # forked from the warm server
            worker.send_signal(signal.SIGINT)                      # Ctrl-C: the batch's to handle
        outcomes.append(outcome)
    first, second = outcomes
    assert (first.index, first.error, second.index, second.error) == (0, BROKEN, 1, BROKEN)
    assert second.pid == first.pid                                 # the worker lived on
    err = capfd.readouterr().err.splitlines()
    assert err.count(debug_line(first.pid)) == 2                   # at -vv, with the traceback
    assert err.count("Traceback (most recent call last):") == 2


def test_a_local_worker_is_replaced_after_max_tasks(region_x):
    outcomes = list(Runner(Options(), 1, Limits(60, None), max_tasks=2).run(
        [old(region_x, i) for i in range(5)]))
    assert [(o.index, o.error) for o in outcomes] == [(i, OLD) for i in range(5)]
    a, b, c, d, e = (o.pid for o in outcomes)
    assert a == b != c == d != e and len({a, c, e}) == 3 and os.getpid() not in {a, c, e}


def test_a_task_over_its_time_limit_comes_back_with_the_pools_reason(region_x):
    (outcome,) = Runner(Options(), 1, Limits(0.05, None)).run([Task(3, region_x, "", Options())])
    assert outcome == Outcome(3, error="stopped after 0.05 s, the time limit of one briefing "
                              "(--task-timeout)")


def test_local_workers_are_as_many_as_the_memory_limit_allows(monkeypatch):
    monkeypatch.setattr(sandbox, "usable_cores", lambda: 4)
    assert Runner(Options(), 2, Limits(60, None)).jobs == 2
    assert Runner(Options(), 2, Limits(60, 10**9)).jobs == 1      # a petabyte a briefing: one


# --------------------------------------------------------------------------- a Dask worker's child


def test_a_dask_workers_child_logs_at_the_batchs_level_and_is_replaced_for_new_limits(
        fork_server, capfd, batch_at_debug, thread_child, broken, region_x):
    first = render_task_limited(Task(0, broken, "", Options()), Limits(60, 2048))
    assert (first.index, first.error) == (0, BROKEN)
    child = psutil.Process(first.pid)
    assert child.ppid() == fork_server._forkserver_pid
    child.send_signal(signal.SIGINT)
    again = render_task_limited(Task(1, broken, "", Options()), Limits(60, 2048))
    assert (again.index, again.error, again.pid) == (1, BROKEN, first.pid)
    err = capfd.readouterr().err.splitlines()
    assert err.count(debug_line(first.pid)) == 2
    other = render_task_limited(old(region_x, 2), Limits(30, 2048))
    assert (other.index, other.error) == (2, OLD) and other.pid != first.pid
    assert not child.is_running()                                  # the old child was closed


# --------------------------------------------------------------------------- Dask


@pytest.fixture
def distributed():
    return pytest.importorskip("distributed")


def dask_client(distributed):
    """The client the runner made (it is the process's default while it runs), or None."""
    with contextlib.suppress(ValueError):
        return distributed.default_client()
    return None


def until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.01)


@pytest.fixture
def scheduler(distributed, tmp_path):
    """A Dask scheduler in a process of its own (to be killed), with no workers: (address, pid)."""
    address_file = tmp_path / "scheduler.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", "0", "--no-dashboard", "--scheduler-file", str(address_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        until(lambda: process.poll() is not None or (address_file.exists()
                                                    and address_file.read_text()))
        assert process.poll() is None, "the scheduler did not start"
        yield json.loads(address_file.read_text())["address"], process.pid
    finally:
        process.kill()
        process.wait()


Seen = list[tuple[Outcome, str]]


def run_and_kill_the_scheduler(distributed, address: str, pid: int, tasks: list[Task],
                               when_full=None, hold: float = 0.3) -> tuple[list[str], Seen, float]:
    """Run ``tasks`` on a cluster without workers; once the runner's window is full, kill the
    scheduler ``hold`` seconds later. The keys sent by then, each outcome with the client's
    state when it came, and the time of the kill."""
    sent: list[str] = []
    killed: list[float] = []
    clients: list = []

    def kill_when_full() -> None:
        until(lambda: (c := dask_client(distributed)) is not None and len(c.futures) >= 4)
        clients.append(dask_client(distributed))
        if when_full:
            when_full()
        time.sleep(hold)                # a runner that sends more than its window does so now
        sent.extend(sorted(clients[0].futures))
        psutil.Process(pid).kill()
        killed.append(time.monotonic())

    killer = threading.Thread(target=kill_when_full, daemon=True)
    killer.start()
    seen = []
    for outcome in Runner(Options(), 1, Limits(60, None), address).run(tasks):
        seen.append((outcome, clients[0].status if clients else "not yet"))
    killer.join()
    return sent, seen, killed[0]


def gone(address: str) -> str:
    return (f"not run: the Dask scheduler {address} is gone and did not come back within "
            f"{runner.DASK_TIMEOUT:g} s; a new batch builds what is missing")


def cancelled(index: int) -> str:
    return (f"on the cluster: FutureCancelledError: briefgen-{index}-region-x cancelled for "
            "reason: scheduler-connection-lost.")


@pytest.mark.timeout(60)
def test_a_lost_scheduler_fails_the_rest_with_the_reason_once_dask_gives_up(
        distributed, scheduler, region_x, monkeypatch, caplog):
    monkeypatch.setattr(runner, "DASK_TIMEOUT", 2.0)   # Dask's reconnect window, 20 s in use
    monkeypatch.setattr(runner, "DASK_POLL", 0.05)
    address, pid = scheduler
    with caplog.at_level(logging.ERROR, "briefgen.batch.runner"):
        sent, seen, killed = run_and_kill_the_scheduler(
            distributed, address, pid, [Task(i, region_x, "", Options()) for i in range(10)])
    ended = time.monotonic()
    assert sent == [f"briefgen-{i}-region-x" for i in range(4)]   # four a worker (none: one)
    assert [o.index for o, _ in seen] == list(range(10))          # each once
    for outcome, _ in seen[:4]:                                   # sent: cancelled by Dask
        assert outcome.error.startswith(cancelled(outcome.index)), outcome.error
        assert "\n" not in outcome.error
    assert [o.error for o, _ in seen[4:]] == [gone(address)] * 6
    assert {status for _, status in seen[4:]} <= {"closing", "closed"}   # Dask gave up first
    assert [(r.levelno, r.getMessage()) for r in caplog.records
            if r.name == "briefgen.batch.runner"] == [(logging.ERROR, gone(address))]
    assert ended - killed < runner.DASK_TIMEOUT + runner.DASK_GRACE   # not the second bound


@pytest.mark.timeout(60)
def test_the_batch_stops_waiting_for_a_scheduler_dask_would_wait_longer_for(
        distributed, scheduler, region_x, monkeypatch):
    """The second bound: should the client not be closed, the batch gives up by itself."""
    monkeypatch.setattr(runner, "DASK_POLL", 0.05)
    monkeypatch.setattr(runner, "DASK_GRACE", 0.5)
    address, pid = scheduler
    # The client, connected, waits its 20 s for the scheduler; the batch only 1 s, counted from
    # the loss: not from the start (the scheduler is killed 1.5 s after the tasks were sent).
    sent, seen, killed = run_and_kill_the_scheduler(
        distributed, address, pid, [Task(i, region_x, "", Options()) for i in range(6)],
        when_full=lambda: monkeypatch.setattr(runner, "DASK_TIMEOUT", 0.5), hold=1.5)
    assert sent == [f"briefgen-{i}-region-x" for i in range(4)]
    assert [o.index for o, _ in seen] == list(range(6))
    assert all(o.error.startswith(cancelled(o.index)) for o, _ in seen[:4])
    assert [(o.error, status) for o, status in seen[4:]] == [(gone(address), "connecting")] * 2
    assert time.monotonic() - killed < 15                          # not Dask's 20 s


@pytest.mark.timeout(60)
def test_a_dask_batch_keeps_four_tasks_a_worker_in_flight_and_returns_each_once(distributed,
                                                                                  region_x):
    tasks = [old(region_x, i) for i in range(12)]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        outcomes, sent = [], []
        for outcome in Runner(Options(), 1, Limits(60, None), cluster.scheduler_address).run(
                tasks):
            if not outcomes:                 # nothing released yet, nothing more sent
                sent = sorted(dask_client(distributed).futures)
            outcomes.append(outcome)
        assert dask_client(distributed) is None                    # closed
    assert sent == sorted(f"briefgen-{i}-region-x" for i in range(8))
    assert sorted(o.index for o in outcomes) == list(range(12)) and len(outcomes) == 12
    assert {o.error for o in outcomes} == {OLD} and os.getpid() not in {o.pid for o in outcomes}


@pytest.mark.timeout(60)
def test_a_task_whose_dask_worker_is_killed_fails_with_killed_worker(distributed, region_x):
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=0, processes=True, dashboard_address=":0")
    worker = None
    left: list[psutil.Process] = []
    try:
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address,
             "--nworkers", "1", "--nthreads", "1", "--no-nanny", "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        process = psutil.Process(worker.pid)
        until(lambda: len(cluster.scheduler.workers) == 1)

        def kill_under_the_task() -> None:
            until(lambda: process.children(recursive=True))   # its sandbox is starting
            left.extend(process.children(recursive=True))
            process.kill()

        killer = threading.Thread(target=kill_under_the_task, daemon=True)
        killer.start()
        (outcome,) = Runner(Options(), 1, Limits(60, None), cluster.scheduler_address).run(
            [Task(0, region_x, "", Options())])
        killer.join()
    finally:
        if worker is not None:
            worker.kill()
            worker.wait()
        cluster.close()
        for proc in left:                    # they die with the worker; should one not
            with contextlib.suppress(psutil.Error):
                proc.kill()
    assert outcome.index == 0 and outcome.pages is None
    assert outcome.error.startswith(
        "on the cluster: KilledWorker: Attempted to run task 'briefgen-0-region-x' on 1 "
        "different workers, but all those workers died while running it."), outcome.error
    assert "\n" not in outcome.error


@pytest.mark.timeout(60)
def test_tasks_dask_cannot_take_fail_with_why(distributed, region_x, monkeypatch):
    monkeypatch.setattr(runner, "DASK_POLL", 0.05)
    # Dask's own handler, as it installs one in a process whose root logger has none (the CLI)
    printed = io.StringIO()
    handler = logging.StreamHandler(printed)
    monkeypatch.setattr(logging.getLogger("distributed"), "handlers", [handler])
    long_id = "r" * 150
    unsendable = region_x.model_copy(update={
        "profile": region_x.profile.model_copy(update={"id": long_id}),
        "previous": threading.Lock()})                   # a lock cannot be pickled
    with distributed.LocalCluster(n_workers=0, processes=True,
                                  dashboard_address=":0") as cluster:
        outcomes = list(Runner(Options(), 1, Limits(60, None), cluster.scheduler_address).run(
            [Task(i, unsendable, "", Options()) for i in range(3)]))
    head = "not run on the cluster: TypeError: "
    assert [o.index for o in outcomes] == [0, 1, 2]
    for outcome in outcomes:
        assert outcome.error.startswith(head) and len(outcome.error) == len(head) + 200
        assert f"'briefgen-{outcome.index}-{long_id[:50]}" in outcome.error
    lines = printed.getvalue().splitlines()              # Dask's tracebacks kept to one line
    assert len(lines) == 3 and all(line.startswith("Failed to serialize ")
                                   and line.endswith(" (TypeError)") for line in lines), lines


def test_without_dask_a_scheduler_is_an_error_that_says_what_to_install(region_x, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)   # as if not installed
    with pytest.raises(InputError) as error:
        list(Runner(Options(), 1, Limits(), "tcp://127.0.0.1:9").run([old(region_x, 0)]))
    assert str(error.value) == ("--scheduler needs dask.distributed: pip install "
                                "'briefgen[dask]'")


def test_a_scheduler_that_is_not_there_is_an_error_after_the_timeout(distributed, region_x,
                                                                     monkeypatch):
    monkeypatch.setattr(runner, "DASK_TIMEOUT", 0.5)
    start = time.monotonic()
    with pytest.raises(InputError) as error:
        list(Runner(Options(), 1, Limits(), "tcp://127.0.0.1:9").run([old(region_x, 0)]))
    assert str(error.value).startswith("--scheduler: cannot connect to tcp://127.0.0.1:9 (")
    assert time.monotonic() - start < 10                 # Dask's own default: 30 s
