"""Run tasks in worker processes, each task under a wall-clock and a memory limit.

:class:`Pool` keeps up to ``jobs`` worker processes, hands each one task at a time through
its own pipe, and watches it: a task that runs past its time or whose worker grows past its
memory limit is stopped (the worker is killed and replaced), and reported with the reason. A
worker that dies on its own (killed, crashed) has its task retried once on a fresh worker, then
reported. Every task comes back exactly once, so a caller never has a task left over.

Workers never outlive the process that started them: each one asks Linux to kill it when
its parent dies (``PR_SET_PDEATHSIG``) and watches the starting process as well (a pidfd or
polling), and the forkserver, when this module is preloaded in it, does the same. The
multiprocessing resource tracker exits by itself once all of them are gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

log = logging.getLogger(__name__)

PARENT_ENV = "BRIEFGEN_BATCH_PARENT"   # the pid a forkserver started for a batch watches
POLL_SECONDS = 0.2                     # how often time and memory are checked
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    """What one task may use; None: no limit."""

    seconds: float | None = None
    memory_mb: int | None = None


# --------------------------------------------------------------------------- lifeline


def _parent_death_signal() -> None:
    """Ask Linux to SIGKILL this process when the thread that started it ends."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(pid: int) -> None:
    """Kill this process as soon as ``pid`` ends (a pidfd where there is one, else polling)."""
    try:
        fd = os.pidfd_open(pid)  # readable once the process has ended, zombie or reaped
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        select.select([fd], [], [])
    else:
        while _alive(pid):
            time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGKILL)


def bind_to(pid: int) -> None:
    """End this process when ``pid`` (the process that wants the work done) ends."""
    _parent_death_signal()
    if not _alive(pid):
        os._exit(1)
    threading.Thread(target=_watch, args=(pid,), name="briefgen-lifeline", daemon=True).start()


def bound_forkserver_preload() -> list[str]:
    """Modules to preload in a forkserver so that it, too, dies with this process."""
    os.environ[PARENT_ENV] = str(os.getpid())
    return [__name__]


# Imported as a forkserver preload (see bound_forkserver_preload): the forkserver was started
# by the batch process, which set PARENT_ENV to its own pid. A thread would be copied into
# no child (fork), and the parent-death signal is enough on Linux; elsewhere the forkserver
# exits anyway when its parent's end of the alive pipe closes.
if os.environ.get(PARENT_ENV) == str(os.getppid()):
    _parent_death_signal()


# --------------------------------------------------------------------------- worker side


def _serve(conn, parent: int, initializer: Callable[..., None] | None, initargs: tuple,
           function: Callable[[Any], Any]) -> None:
    bind_to(parent)
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            reply = (True, function(task))
        except BaseException as exc:  # noqa: BLE001 - the parent reports it, the worker goes on
            reply = (False, f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except Exception as exc:  # the result could not be pickled
            conn.send((False, f"{type(exc).__name__}: {exc}"))


def rss_bytes(pid: int) -> int | None:
    """The resident memory of a process, or None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss
    except Exception:  # no psutil, or the process is gone
        return None


# --------------------------------------------------------------------------- parent side


class _Worker:
    def __init__(self, context, initializer, initargs, function):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, daemon=True, name="briefgen-worker",
                                       args=(child, os.getpid(), initializer, initargs,
                                             function))
        try:
            with _children_allowed():
                self.process.start()
        except BaseException:
            self.conn.close()
            raise
        finally:
            child.close()
        self.task: Any = None
        self.attempt = 0
        self.done = 0
        self.started = 0.0

    def give(self, task: Any, attempt: int) -> None:
        self.task, self.attempt, self.started = task, attempt, time.monotonic()
        self.conn.send(task)

    def kill(self) -> None:
        self.process.kill()  # a process already ended or reaped is not signalled
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # its end of the pipe is gone: it died idle
            self.conn.send(None)
        self.process.join(2)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


@contextlib.contextmanager
def _children_allowed():
    """Let a daemonic process (a Dask worker) start its sandbox; the lifeline bounds it."""
    config = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    daemon = config.get("daemon")
    if daemon:
        config["daemon"] = False
    try:
        yield
    finally:
        if daemon:
            config["daemon"] = daemon


def _exit_reason(process) -> str:
    # Its pipe can close a moment before the process is reaped: wait for the exit code.
    process.join(timeout=2.0)
    code = process.exitcode
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit code {code}"


class Pool:
    """Worker processes that run ``function`` on one task at a time, under :class:`Limits`.

    ``run`` yields ``(task, result, error)`` for every task: ``error`` is "" when the worker
    returned ``result``, else why there is none. Workers stay up between runs; ``close`` ends
    them (the pool is also a context manager).
    """

    def __init__(self, function: Callable[[Any], Any], jobs: int, limits: Limits,
                 context=None, initializer: Callable[..., None] | None = None,
                 initargs: tuple = (), max_tasks: int | None = None):
        self.function, self.jobs, self.limits = function, max(1, jobs), limits
        self.max_tasks = max_tasks  # restart a worker after this many tasks (None: never)
        self.context = context or multiprocessing.get_context()
        self.initializer, self.initargs = initializer, initargs
        self.idle: list[_Worker] = []

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.idle:
            worker.stop()
        self.idle.clear()

    def _worker(self) -> _Worker:
        while self.idle:
            worker = self.idle.pop()
            if worker.process.is_alive():
                return worker
            worker.kill()
        return _Worker(self.context, self.initializer, self.initargs, self.function)

    def _over_limit(self, worker: _Worker, now: float) -> str:
        limits = self.limits
        if limits.seconds is not None and now - worker.started > limits.seconds:
            return (f"stopped after {limits.seconds:g} s, the time limit of one briefing "
                    "(--task-timeout)")
        if limits.memory_mb is not None:
            rss = rss_bytes(worker.process.pid)
            if rss is not None and rss > limits.memory_mb * 1024 * 1024:
                # Rounded up: a worker just over the limit never reads "at 502 MB, above 502 MB".
                return (f"stopped at {math.ceil(rss / 2**20):,} MB, above the memory limit of "
                        f"one briefing ({limits.memory_mb:,} MB, --task-memory)")
        return ""

    def run(self, tasks: Iterable[Any]) -> Iterator[tuple[Any, Any, str]]:
        queue: deque[tuple[Any, int]] = deque((t, 0) for t in tasks)
        busy: list[_Worker] = []
        broken = ""  # why no worker can be started any more (the fork server is gone)
        try:
            while queue or busy:
                while queue and broken:  # fail what cannot run, with the reason
                    yield queue.popleft()[0], None, broken
                while queue and len(busy) < self.jobs:
                    task, attempt = queue.popleft()
                    try:
                        worker = self._worker()
                    except Exception as exc:  # EOFError, OSError: the start method is broken
                        why = str(exc)[:100] or "the fork server is gone"
                        broken = (f"not run: no worker process could be started "
                                  f"({type(exc).__name__}: {why}); a new batch builds what is "
                                  "missing")
                        log.error("%s", broken)
                        queue.appendleft((task, attempt))
                        break
                    try:
                        worker.give(task, attempt)
                    except (OSError, ValueError):  # died before it took the task
                        worker.kill()
                        queue.appendleft((task, attempt))
                        continue
                    busy.append(worker)
                wait([w.conn for w in busy] + [w.process.sentinel for w in busy],
                     timeout=POLL_SECONDS)
                now = time.monotonic()
                for worker in list(busy):
                    done, result, error, healthy = self._check(worker, now)
                    if not done:
                        continue
                    busy.remove(worker)
                    if error is None:  # the worker died: retry once on a fresh one
                        reason = _exit_reason(worker.process)
                        worker.kill()
                        if worker.attempt == 0:
                            log.warning("a worker died (%s); trying its task again", reason)
                            queue.appendleft((worker.task, 1))
                            continue
                        yield worker.task, None, (f"the worker process died twice on this "
                                                  f"briefing ({reason}); not tried again")
                        continue
                    worker.done += 1
                    if healthy and (not self.max_tasks or worker.done < self.max_tasks):
                        self.idle.append(worker)
                    elif healthy:
                        worker.stop()
                    else:
                        worker.kill()  # stopped for time or memory
                    yield worker.task, result, error
        finally:
            for worker in busy:
                worker.kill()

    def _check(self, worker: _Worker, now: float) -> tuple[bool, Any, str | None, bool]:
        """(finished?, result, error, can the worker go on?); error None: it died silently."""
        try:
            if worker.conn.poll():
                ok, value = worker.conn.recv()
                return True, value if ok else None, "" if ok else value, True
        except (EOFError, OSError):
            return True, None, None, False
        if not worker.process.is_alive():
            return True, None, None, False
        reason = self._over_limit(worker, now)
        if reason:
            log.warning("%s", reason)
            return True, None, reason, False
        return False, None, "", True


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def available_memory_mb() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def sensible_jobs(requested: int | None, memory_mb: int | None) -> int:
    """``requested`` workers, at most one per core and as many as the free memory holds."""
    cores = usable_cores()
    jobs = min(requested or cores, cores)
    free = available_memory_mb()
    if memory_mb and free:
        jobs = min(jobs, max(1, free // memory_mb))
    if requested and jobs < requested:
        log.warning("--jobs %d: using %d (%d cores%s)", requested, jobs, cores,
                    f", {free:,} MB free" if free else "")
    return max(1, jobs)
