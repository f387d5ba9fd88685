"""Render a batch's briefings in worker processes, or on a Dask cluster.

Each worker process keeps one :class:`~briefgen.pipeline.Briefgen` and renders task after task
(:func:`render_task`); a failure comes back as an :class:`Outcome`, never raised, so one bad
briefing cannot stop the others. The workers run under :mod:`briefgen.sandbox`'s limits (time,
memory); on a Dask cluster each worker thread keeps one such sandboxed child.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import BriefgenError, InputError, one_line
from ..models import Org
from ..options import Options
from ..output import pdf_name, write_atomic
from ..sandbox import Limits, Pool, bound_forkserver_preload, sensible_jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    index: int
    org: Org
    path: str                      # where the worker writes the PDF ("" : return the bytes)
    options: Options
    version: str = __version__


@dataclass
class Outcome:
    index: int
    error: str = ""
    pages: int | None = None
    size: int | None = None        # the PDF's bytes (not named bytes: the type below)
    sha256: str = ""
    seconds: float = 0.0
    pid: int = 0
    data: bytes | None = None      # the PDF, when the client writes it (Dask)
    kit: dict[str, bytes] | None = None  # the kit's files by name, when the client writes them
    kit_names: list[str] = field(default_factory=list)  # the kit's files, relative to OUT


_WORKER_CACHE: dict[Options, Any] = {}


def _briefgen(options: Options):
    """This process's :class:`Briefgen` for ``options``: built once, reused for every task."""
    bg = _WORKER_CACHE.get(options)
    if bg is None:
        from ..pipeline import Briefgen

        bg = _WORKER_CACHE[options] = Briefgen(options)
        bg.renderer  # noqa: B018 - set up the templates, stylesheet and fonts now
    return bg


def _init_worker(options: Options, level: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(levelname)s %(name)s[%(process)d]: %(message)s")
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    # A set-up problem (a --templates file that is a FIFO, too large, a link out) fails each
    # briefing with its message in render_task; raised here, it would kill the worker.
    with contextlib.suppress(BriefgenError):
        _briefgen(options)


def render_task(task: Task) -> Outcome:
    """Render one briefing (in a worker). Failures come back as an :class:`Outcome`, not raised."""
    start = time.perf_counter()
    outcome = Outcome(task.index, pid=os.getpid())
    if task.version != __version__:
        outcome.error = (f"this worker has briefgen {__version__}, the batch was started with "
                         f"{task.version}; install the same version everywhere")
        return outcome
    try:
        lang = task.options.lang
        result, kit = _briefgen(task.options).build(task.org, lang,
                                                    {"pdf", *task.options.formats})
        data = kit.pop(pdf_name(result.org.id, lang))  # the rest: the kit's files
        outcome.pages = result.pages
        outcome.size, outcome.sha256 = len(data), hashlib.sha256(data).hexdigest()
        if task.path:
            write_atomic(Path(task.path), data)
            for name, content in kit.items():
                write_atomic(Path(task.path).parent / name, content)
        else:
            outcome.data, outcome.kit = data, kit
        outcome.kit_names = list(kit)
    except BriefgenError as exc:
        outcome.error = one_line(str(exc))
    except Exception as exc:  # isolate the others from one briefing's unexpected failure
        log.debug("rendering %s failed", task.org.id, exc_info=True)  # -vv shows the traceback
        outcome.error = f"unexpected {type(exc).__name__}: {one_line(str(exc))[:300]}"
    outcome.seconds = time.perf_counter() - start
    return outcome


def _mp_context():
    """forkserver where there is one (workers start from a process that is warmed up)."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        # the lifeline first: the forkserver dies with this process
        # then warm up once (WeasyPrint, ReportLab, renderer, fonts): workers are forked warm
        context.set_forkserver_preload([*bound_forkserver_preload(), "briefgen._preload"])
    return context


def start_fork_server() -> None:
    """Start the workers' fork server now, so that it warms up (about a second: WeasyPrint,
    ReportLab, the templates) while the batch reads its input and hashes it."""
    context = _mp_context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


class Runner:
    """Run tasks and hand back outcomes as they finish, keeping a bounded number in flight.

    ``jobs``: worker processes (None: one per core), capped by the cores and ``limits``'s
    memory; ``scheduler``: a Dask scheduler's address instead of local workers;
    ``max_tasks``: restart a worker after this many tasks (None: never).
    """

    def __init__(self, options: Options, jobs: int | None, limits: Limits,
                 scheduler: str | None = None, max_tasks: int | None = None):
        self.options, self.limits = options, limits
        self.scheduler, self.max_tasks = scheduler, max_tasks
        self.jobs = sensible_jobs(jobs, limits.memory_mb)

    def run(self, tasks: list[Task]) -> Generator[Outcome, None, None]:
        if self.scheduler:
            yield from self._dask(tasks)
        else:
            yield from self._local(tasks)

    def _local(self, tasks: list[Task]) -> Iterator[Outcome]:
        level = logging.getLogger("briefgen").getEffectiveLevel()
        with Pool(render_task, self.jobs, self.limits, _mp_context(),
                  initializer=_init_worker, initargs=(self.options, level),
                  max_tasks=self.max_tasks) as pool:
            for task, outcome, error in pool.run(tasks):
                yield outcome if outcome is not None else Outcome(task.index, error=error)

    def _dask(self, tasks: list[Task]) -> Iterator[Outcome]:
        """Run the tasks on a Dask cluster, a bounded number at a time.

        Never blocks on the cluster: the futures are polled, and the client's state with them.
        When the scheduler is lost, Dask cancels what was running (those fail with its
        reason) and tries to reconnect for the client's timeout (20 s); nothing new is submitted
        meanwhile, and if the client gives up, every task not yet done fails with the reason.
        """
        try:
            from distributed import Client
        except ImportError:
            raise InputError("--scheduler needs dask.distributed: pip install 'briefgen[dask]'")\
                from None
        _one_line_logs(logging.getLogger("distributed"))
        try:
            client = Client(self.scheduler, timeout=f"{DASK_TIMEOUT:g}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"--scheduler: cannot connect to {self.scheduler} "
                             f"({exc})") from None
        try:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            window = 4 * workers
            pending = deque(tasks)
            flying: dict[Any, Task] = {}
            lost_since: float | None = None   # when the client last lost the scheduler
            while pending or flying:
                while pending and len(flying) < window and client.status == "running":
                    task = pending.popleft()
                    # No retries=: Dask retries a task that raises, and this one returns its
                    # failure; a task whose worker is lost, Dask runs again by itself (up to
                    # distributed.scheduler.allowed-failures times, then KilledWorker).
                    try:
                        future = client.submit(render_task_limited, task, self.limits,
                                               pure=False,
                                               key=f"briefgen-{task.index}-{task.org.id}")
                    except Exception as exc:  # e.g. the client closed under us
                        yield Outcome(task.index, error=f"not run on the cluster: "
                                      f"{type(exc).__name__}: {one_line(str(exc))[:200]}")
                        continue
                    flying[future] = task
                done = [future for future in flying if future.done()]
                if client.status == "running":
                    lost_since = None
                elif lost_since is None:
                    lost_since = time.monotonic()
                if not done:
                    # Dask closes a client that cannot reconnect within its timeout; the
                    # second bound holds should it not.
                    if client.status in ("closing", "closed", "failed") or (
                            lost_since is not None
                            and time.monotonic() - lost_since > DASK_TIMEOUT + DASK_GRACE):
                        reason = (f"not run: the Dask scheduler {self.scheduler} is gone and "
                                  f"did not come back within {DASK_TIMEOUT:g} s; a new batch "
                                  "builds what is missing")
                        log.error("%s", reason)
                        for task in [*flying.values(), *pending]:
                            yield Outcome(task.index, error=reason)
                        return
                    time.sleep(DASK_POLL)
                    continue
                for future in done:
                    task = flying.pop(future)
                    try:
                        yield future.result(timeout=DASK_TIMEOUT)
                    except Exception as exc:  # KilledWorker, the scheduler lost, ...
                        yield Outcome(task.index, error=f"on the cluster: {type(exc).__name__}: "
                                      f"{one_line(str(exc))}")
                    future.release()
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=DASK_TIMEOUT)


DASK_TIMEOUT = 20.0   # seconds: to connect, to reconnect after losing the scheduler, to fetch
DASK_POLL = 0.2       # seconds between looks at the futures and the client
DASK_GRACE = 10.0     # seconds past DASK_TIMEOUT before the batch stops waiting for a client
                      # that Dask has not closed (the second bound)


class _NoTraceback(logging.Filter):
    """Keep a library's log records to their message: a traceback is not for the user."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            kind = record.exc_info[0]
            if kind is not None:
                record.msg, record.args = f"{record.getMessage()} ({kind.__name__})", ()
            record.exc_info, record.exc_text = None, None
        return True


def _one_line_logs(logger: logging.Logger) -> None:
    """Make ``logger``'s own handlers (Dask installs one, and stops propagation) print no
    tracebacks; other loggers' handlers are left as they are."""
    for handler in logger.handlers:
        if not any(isinstance(f, _NoTraceback) for f in handler.filters):
            handler.addFilter(_NoTraceback())


_SANDBOXES = threading.local()


def render_task_limited(task: Task, limits: Limits) -> Outcome:
    """Render one briefing in a child process under ``limits`` (on a Dask worker).

    Each worker thread keeps one child, reused across tasks; it dies with the Dask worker.
    """
    pool = getattr(_SANDBOXES, "pool", None)
    if pool is None or pool.limits != limits:
        if pool is not None:
            pool.close()
        level = logging.getLogger("briefgen").getEffectiveLevel()
        pool = _SANDBOXES.pool = Pool(render_task, 1, limits, _mp_context(),
                                      initializer=_init_worker, initargs=(task.options, level))
    ((_, outcome, error),) = list(pool.run([task]))
    return outcome if outcome is not None else Outcome(task.index, error=error)
