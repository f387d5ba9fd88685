"""Run a batch: read the organisations, render what changed, keep the manifest current.

:func:`run_batch` reads a folder of profiles or a CSV/XLSX sheet (:mod:`briefgen.batch.sources`),
validates every organisation in this process, and renders only those whose input hash is not
already in the output folder's manifest with an intact PDF (:mod:`briefgen.batch.manifest`).
Renders run in worker processes, each keeping one :class:`~briefgen.pipeline.Briefgen`, or on
a Dask cluster (:mod:`briefgen.batch.runner`). Every PDF and the manifest are written through a
temporary file and a rename, and the manifest is rewritten as results arrive, so a batch killed
at any moment resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError
from ..load import DataBundle, benchmark_path, load_benchmark, load_data
from ..models import Org
from ..options import Options
from ..output import output_error, pdf_name, source_date_epoch, write_atomic
from ..review import find_review
from ..sandbox import Limits
from .manifest import (
    FAILED,
    HISTORY,
    MANIFEST_JSON,
    OK,
    PENDING,
    SKIPPED,
    UNCHANGED,
    Item,
    _intact,
    _kit_intact,
    _remove_temporaries,
    assets_hash,
    input_hash,
    read_manifest,
    write_manifest,
)
from .runner import Outcome, Runner, Task, start_fork_server
from .sources import source_orgs

log = logging.getLogger(__name__)

LOCK = ".briefgen-batch.lock"  # held (flock) by the batch writing into a folder; holds its pid
MANIFEST_EVERY = 1.0          # seconds: the manifest is rewritten at most this often mid-run


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs (what each briefing looks like is :class:`~briefgen.options.Options`)."""

    jobs: int | None = None        # worker processes; None: the number of cores (also the cap)
    force: bool = False            # render every briefing, changed or not
    fail_fast: bool = False        # stop at the first failure
    scheduler: str | None = None   # a Dask scheduler address, e.g. tcp://10.0.0.5:8786
    overview: bool = False         # also write the portfolio overview PDF
    max_tasks_per_worker: int | None = None  # restart a worker after this many (None: never)
    task_timeout: float | None = 120.0  # seconds one briefing may take (typical: 2-5 s)
    task_memory: int | None = 1024      # MB one worker may hold (typical peak: ~130 MB)
    wait: bool = False             # wait for another batch writing into the same folder

    @property
    def limits(self) -> Limits:
        return Limits(self.task_timeout, self.task_memory)


BATCH_DEFAULTS = BatchOptions()


@dataclass
class BatchResult:
    items: list[Item]
    out: Path
    seconds: float
    overview: Path | None = None

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def failures(self) -> list[Item]:
        return [i for i in self.items if i.status == FAILED]

    @property
    def exit_code(self) -> int:
        """0 when every briefing exists, 1 when some failed or were not run."""
        return 0 if all(i.done for i in self.items) else 1


@dataclass(frozen=True)
class BatchProgress:
    """How far a batch has come: handed to ``run_batch``'s ``progress`` callback."""

    total: int
    rendered: int
    unchanged: int
    failed: int
    elapsed: float

    @property
    def remaining(self) -> int:
        return self.total - self.rendered - self.unchanged - self.failed

    @property
    def eta(self) -> float | None:
        """Seconds left, from the pace of the renders so far."""
        finished = self.rendered + self.failed
        if not finished or not self.remaining:
            return None if self.remaining else 0.0
        return self.elapsed / finished * self.remaining


def _write_kit(out: Path, item: Item, outcome: Outcome) -> None:
    """Write the kit's files a cluster sent back, and list every file in the manifest."""
    for name, content in (outcome.kit or {}).items():
        write_atomic(out / name, content)
    item.files = ";".join([item.file, *outcome.kit_names])


@contextlib.contextmanager
def batch_lock(out: Path, wait: bool = False) -> Iterator[None]:
    """Hold ``OUT/.briefgen-batch.lock`` for one batch; another one exits 2 or waits.

    The lock (flock) ends with its holder, ``kill -9`` included, so it never goes stale; the
    file keeps the holder's pid for the message.
    """
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock
        yield
        return
    path = out / LOCK
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise InputError(f"{path}: cannot open the batch lock ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            if not wait:
                raise InputError(f"{out}: another batch (pid {holder}) is writing into this "
                                 "folder; wait for it, or pass --wait") from None
            log.warning("waiting for the batch (pid %s) writing into %s", holder, out)
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:  # a full disk, before anything else is written
            raise output_error(path, exc) from None
        yield
    finally:
        os.close(fd)


def run_batch(source: Path | str, options: Options | None = None,
              batch: BatchOptions = BATCH_DEFAULTS,
              progress: Callable[[BatchProgress], None] | None = None) -> BatchResult:
    """Build a briefing for every organisation in ``source`` into ``options.out``.

    ``source`` is a folder of YAML profiles, a .csv or an .xlsx file. Raises
    :class:`InputError` when the input itself is unusable; a bad row or a failed render is
    recorded in its :class:`Item` and the others go on.
    """
    start = time.perf_counter()
    options = options or Options()
    source = Path(source)
    source_date_epoch()  # refuse a bad SOURCE_DATE_EPOCH once, before anything runs
    if not batch.scheduler and (batch.force or not (Path(options.out) / MANIFEST_JSON).exists()):
        start_fork_server()  # a first run: there will be work; warm up while we read
    bundle = load_data(options.data)
    benchmark = load_benchmark(options.benchmark, bundle)
    bench_file = benchmark_path(options.benchmark, bundle).resolve()
    out = Path(options.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(out, exc) from None
    with batch_lock(out, batch.wait):
        return _run_locked(source, options, batch, progress, bundle, benchmark, bench_file,
                           out, start)


def _run_locked(source: Path, options: Options, batch: BatchOptions,
                progress: Callable[[BatchProgress], None] | None, bundle: DataBundle,
                benchmark: Any, bench_file: Path, out: Path, start: float) -> BatchResult:
    _remove_temporaries(out)
    before = {} if batch.force else read_manifest(out)
    assets = assets_hash(options, bundle, bench_file)
    info = {"briefgen": __version__, "input": str(source.resolve()), "lang": options.lang,
            "pdf_variant": options.pdf_variant,
            "benchmark": {"id": benchmark.id, "version": benchmark.version}}

    items: list[Item] = []
    orgs: list[Org] = []
    tasks: list[Task] = []
    for row, org, error in source_orgs(source, bundle):
        org_id = org.id if org else row.raw_id
        status = HISTORY if row.earlier_of else FAILED if error else PENDING
        item = Item(id=org_id, file=pdf_name(org_id, options.lang) if org else "",
                    status=status, error=error, row=row.number, source=row.name,
                    benchmark_id=benchmark.id, benchmark_version=benchmark.version)
        items.append(item)
        if org is None:
            continue
        orgs.append(org)
        item.input_hash = input_hash(org, assets, bundle.root,
                                     with_source=options.pdf_variant == "pdf/a-3b",
                                     review=find_review(options.review, options.config,
                                                        org.id, options.lang))
        old = before.get(item.file)
        if (old is not None and old.done and old.input_hash == item.input_hash
                and _intact(out / item.file, old) and _kit_intact(out, old)):
            item.status, item.pages, item.bytes = UNCHANGED, old.pages, old.bytes
            item.files = old.files
            item.sha256, item.mtime_ns = old.sha256, (out / item.file).stat().st_mtime_ns
            continue
        # The folder resolved, never the file: a link at OUT/ID.pdf is replaced, not followed.
        tasks.append(Task(len(items) - 1, org,
                          "" if batch.scheduler else str(out.resolve() / item.file),
                          options))
    if not items:
        raise InputError(f"{source}: no organisations found")
    log.info("%d organisations: %d to render, %d unchanged, %d unusable, %d earlier assessments",
             len(items), len(tasks), sum(i.status == UNCHANGED for i in items),
             sum(i.status == FAILED for i in items), sum(i.status == HISTORY for i in items))

    def report() -> None:
        if progress:
            progress(BatchProgress(sum(i.status != HISTORY for i in items),
                                   sum(i.status == OK for i in items),
                                   sum(i.status == UNCHANGED for i in items),
                                   sum(i.status == FAILED for i in items),
                                   time.perf_counter() - start))

    stop = batch.fail_fast and any(i.status == FAILED for i in items)
    if stop:
        _skip_the_rest(items)
    write_manifest(out, items, info)
    report()
    if tasks and not stop:
        last_write = time.monotonic()
        runner = Runner(options, batch.jobs, batch.limits, batch.scheduler,
                        batch.max_tasks_per_worker)
        outcomes = runner.run(tasks)
        try:
            for outcome in outcomes:
                item = items[outcome.index]
                if outcome.error:
                    item.status, item.error = FAILED, outcome.error
                else:
                    path = out / item.file
                    if outcome.data is not None:
                        write_atomic(path, outcome.data)
                    _write_kit(out, item, outcome)
                    item.status, item.error = OK, ""
                    item.pages, item.bytes, item.sha256 = (outcome.pages, outcome.size,
                                                           outcome.sha256)
                    item.mtime_ns = path.stat().st_mtime_ns
                report()
                if time.monotonic() - last_write >= MANIFEST_EVERY:
                    write_manifest(out, items, info)
                    last_write = time.monotonic()
                if batch.fail_fast and item.status == FAILED:
                    log.info("stopping at the first failure (--fail-fast)")
                    _skip_the_rest(items)
                    break
        finally:
            outcomes.close()  # stops the pool; only a killed batch leaves items pending
            write_manifest(out, items, info)
    result = BatchResult(items, out, time.perf_counter() - start)
    if batch.overview and orgs:
        from .overview import overview_name, write_overview  # WeasyPrint: only when asked

        result.overview = write_overview(orgs, out / overview_name(options.lang), options)
    return result


def _skip_the_rest(items: list[Item]) -> None:
    """Mark what --fail-fast will not run, with the reason, so nothing stays pending."""
    for item in items:
        if item.status == PENDING:
            item.status = SKIPPED
            item.error = "not run: the batch stopped at the first failure (--fail-fast)"
