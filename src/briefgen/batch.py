"""Build briefings for many organisations: parallel, isolated, incremental, resumable.

:func:`run_batch` reads a folder of profiles or a CSV/XLSX sheet (:mod:`briefgen.tabular`),
validates every organisation in this process, and renders only those whose input hash is not
already in the output folder's manifest with an intact PDF. Renders run in worker processes
(:class:`~concurrent.futures.ProcessPoolExecutor`, each worker keeping one
:class:`~briefgen.pipeline.Briefgen`), or on a Dask cluster (``scheduler="tcp://..."``). Every
PDF and the manifest are written through a temporary file and a rename, and the manifest is
rewritten as results arrive, so a batch killed at any moment resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import json
import logging
import multiprocessing
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from . import __version__, resources
from .errors import BriefgenError, InputError
from .load import DataBundle, benchmark_path, load_benchmark, load_data, load_org, validate_profile
from .logo import logo_bytes, logo_folders
from .models import Org
from .output import pdf_name, source_date_epoch, write_atomic
from .pipeline import Options
from .sandbox import Limits, Pool, bound_forkserver_preload, sensible_jobs
from .tabular import Row, is_survey, read_rows

log = logging.getLogger(__name__)

MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"
LOCK = ".briefgen-batch.lock"  # held (flock) by the batch writing into a folder; holds its pid
MANIFEST_EVERY = 1.0          # seconds: the manifest is rewritten at most this often mid-run
OK, UNCHANGED, FAILED, PENDING = "ok", "unchanged", "failed", "pending"
SKIPPED = "skipped"   # not run because --fail-fast stopped the batch; the reason says so
# Versions of what decides a PDF's bytes (pinned in pyproject.toml), part of every input hash.
RENDER_PACKAGES = ("weasyprint", "pydyf", "fonttools", "reportlab", "jinja2", "babel")
KIT_PACKAGES = ("python-pptx", "openpyxl", "resvg-py", "markdown-it-py")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs (what each briefing looks like is :class:`~briefgen.pipeline.Options`)."""

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
class Item:
    """One organisation of a batch: a row of the manifest."""

    id: str
    file: str                      # the PDF's name in the output folder
    status: str                    # ok | unchanged | failed | skipped (pending while running)
    error: str = ""
    row: int = 0                   # the sheet's row number, or the profile's position
    source: str = ""               # "clients.csv row 5" or the profile's path
    pages: int | None = None
    bytes: int | None = None
    sha256: str = ""
    input_hash: str = ""
    benchmark_id: str = ""
    benchmark_version: str = ""
    briefgen_version: str = __version__
    mtime_ns: int | None = None    # of the PDF when written: a quick intact check on re-runs
    files: str = ""                # every file made, ';'-separated: the PDF, then the kit's

    @property
    def done(self) -> bool:
        return self.status in (OK, UNCHANGED)


CSV_FIELDS = [f.name for f in fields(Item) if f.name not in ("mtime_ns", "source")]


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
class Progress:
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


# --------------------------------------------------------------------------- worker side


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
    bytes: int | None = None
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
        from .pipeline import Briefgen

        bg = _WORKER_CACHE[options] = Briefgen(options)
        bg.renderer  # noqa: B018 - set up the templates, stylesheet and fonts now
    return bg


def _init_worker(options: Options, level: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(levelname)s %(name)s[%(process)d]: %(message)s")
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
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
        bg = _briefgen(task.options)
        data, result = bg.pdf(task.org, task.options.lang)
        outcome.pages = bg.renderer.last_pages
        outcome.bytes, outcome.sha256 = len(data), hashlib.sha256(data).hexdigest()
        kit = _kit(bg, result, task)
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


def _kit(bg: Any, result: Any, task: Task) -> dict[str, bytes]:
    """The deck, workbook and chart files ``Options.formats`` asks for beside the PDF."""
    if not set(task.options.formats) - {"pdf"}:
        return {}
    from .kit import kit_files

    return kit_files(bg, result.analysis, result.matches, task.options.lang,
                     task.options.formats)


def one_line(text: str) -> str:
    return "; ".join(part.strip() for part in text.splitlines() if part.strip())


# --------------------------------------------------------------------------- hashing


def file_sha256(path: Path) -> str:
    """A file's SHA-256, read in blocks: memory stays small whatever the file's size."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _hash_files(h: Any, paths: Iterable[Path], root: Path) -> None:
    for path in sorted(paths):
        if path.is_file():
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(file_sha256(path).encode())


def assets_hash(options: Options, bundle: DataBundle, benchmark_file: Path) -> str:
    """Hash everything besides the profile that decides a briefing's bytes."""
    h = hashlib.sha256()
    for folder in (resources.templates_dir(), resources.fonts_dir(), options.templates):
        if folder and Path(folder).is_dir():
            _hash_files(h, Path(folder).rglob("*"), Path(folder))
    for root in {resources.data_dir(), bundle.root}:
        _hash_files(h, [root / n for n in ("framework.yaml", "recommendations.yaml",
                                           "rules.yaml", "texts.yaml")], root)
    h.update(file_sha256(benchmark_file).encode())
    _hash_packages(h, RENDER_PACKAGES)
    settings = [__version__, options.lang, options.pdf_variant, options.author or "",
                os.environ.get("SOURCE_DATE_EPOCH", "")]
    h.update("\0".join(settings).encode())
    h.update(brand_hash(options).encode())
    return h.hexdigest()


def brand_hash(options: Options) -> str:
    """Hash the workspace's part of a briefing: briefgen.toml, the theme's files, the formats.

    A new colour, logo, cover note or contact renders every briefing again.
    """
    from .brand import workspace_root

    h = hashlib.sha256()
    brand = [options.contact, options.firm_logo, options.primary, options.accent,
             options.cover_note, options.disclaimer, *sorted(options.formats)]
    h.update("\0".join(v or "" for v in brand).encode())
    _hash_packages(h, KIT_PACKAGES)   # what decides the bytes of the deck, workbook and charts
    root = workspace_root(options)
    files = [Path(options.config)] if options.config else []
    files += [root / name for name in (options.firm_logo, options.cover_note) if name]
    if options.config and (root / "theme").is_dir():
        files += (root / "theme").rglob("*")
    for path in sorted({f.resolve() for f in files if f.is_file()}):
        h.update(path.name.encode() + b"\0" + file_sha256(path).encode())
    return h.hexdigest()


def _hash_packages(h, names) -> None:
    for name in names:
        try:
            h.update(f"{name}={version(name)}\0".encode())
        except PackageNotFoundError:
            pass


def input_hash(org: Org, assets: str, data_root: Path, with_source: bool = False) -> str:
    """Hash one organisation's input: the validated profile, its logo, and ``assets``.

    ``with_source``: also the source (file, or file and row). A PDF/A-3 briefing carries it in
    its attached analysis, so there a row that moves is rendered again; elsewhere it is not.
    """
    exclude: dict[str, Any] = {} if with_source else {"source": True, "previous": {"source"}}
    profile = org.model_dump(mode="json", exclude=exclude)
    text = json.dumps(profile, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    h = hashlib.sha256(f"{assets}\0{text}".encode())
    if org.profile.logo:  # the image's bytes, found and capped as the rendering finds them
        try:
            h.update(logo_bytes(org.profile.logo, logo_folders(org.source, data_root), "logo"))
        except InputError as exc:  # refused when rendered too: hash why (never a huge read)
            h.update(str(exc).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- manifest


def _write_atomic_text(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


def harmless(value: Any) -> Any:
    """A CSV cell a spreadsheet will show, never run: formula-like text gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_manifest(out: Path, items: list[Item], info: dict[str, Any]) -> None:
    """Write manifest.json and manifest.csv atomically (JSON last: re-runs read the JSON)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        row = asdict(item)
        writer.writerow({k: harmless("" if row[k] is None else row[k]) for k in CSV_FIELDS})
    _write_atomic_text(out / MANIFEST_CSV, buffer.getvalue())
    document = dict(info, items=[asdict(i) for i in items])
    _write_atomic_text(out / MANIFEST_JSON,
                       json.dumps(document, ensure_ascii=False, indent=1) + "\n")


def read_manifest(out: Path) -> dict[str, Item]:
    """The items of an earlier run's manifest by file name; an unreadable one counts as none."""
    path = out / MANIFEST_JSON
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        names = {f.name for f in fields(Item)}
        items = [Item(**{k: v for k, v in d.items() if k in names}) for d in document["items"]]
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("%s is unreadable (%s): rendering everything again", path, exc)
        return {}
    return {i.file: i for i in items}


def _intact(path: Path, before: Item) -> bool:
    """Is the PDF an earlier run recorded still there, unchanged? (size+mtime, else sha256)"""
    try:
        info = path.lstat()  # a link at the path is not the PDF the batch wrote
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size != before.bytes:
        return False
    if before.mtime_ns is not None and info.st_mtime_ns == before.mtime_ns:
        return True
    return file_sha256(path) == before.sha256


def _kit_intact(out: Path, before: Item) -> bool:
    """Are the kit's files an earlier run recorded still there?"""
    return all((out / name).is_file() for name in before.files.split(";") if name)


def _write_kit(out: Path, item: Item, outcome: Outcome) -> None:
    """Write the kit's files a cluster sent back, and list every file in the manifest."""
    for name, content in (outcome.kit or {}).items():
        write_atomic(out / name, content)
    item.files = ";".join([item.file, *outcome.kit_names])


def _remove_temporaries(out: Path) -> None:
    """Temporary files a killed run left behind (never at a final path)."""
    for tmp in out.glob(".*.tmp"):
        if tmp.name.startswith((".manifest.", f".{MANIFEST_CSV}", f".{MANIFEST_JSON}")) \
                or ".pdf." in tmp.name:
            tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the batch


def load_rows(rows: Iterable[Row], bundle: DataBundle) -> Iterator[tuple[Row, Org | None, str]]:
    """Validate each row; yield it with its :class:`Org`, or with the reason it is unusable."""
    seen: dict[str, str] = {}
    for row in rows:
        if row.error:
            yield row, None, row.error
            continue
        try:
            org = (load_org(row.path, bundle) if row.path is not None
                   else validate_profile(row.data, bundle, row.name))
        except InputError as exc:
            yield row, None, one_line(str(exc))
            continue
        except (ValueError, TypeError, RecursionError) as exc:  # one bad row, not a failed batch
            yield row, None, f"{row.name}: unreadable ({type(exc).__name__}: {str(exc)[:160]})"
            continue
        if org.id in seen:
            yield row, None, f"{row.name}: id: '{org.id}' is also used by {seen[org.id]}"
            continue
        seen[org.id] = row.name
        yield row, org, ""


def survey_orgs(source: Path, bundle: DataBundle) -> Iterator[tuple[Row, Org | None, str]]:
    """Each organisation of a survey, aggregated over its respondents."""
    from .survey.aggregate import survey_org  # pandas: only for surveys
    from .survey.read import read_survey

    survey = read_survey(source, bundle)
    for org_id in survey.org_ids():
        rows = survey.frame.loc[survey.frame["org_id"] == org_id, "row"]
        row = Row(number=int(rows.min()), name=f"{survey.source} ({org_id})", data={"id": org_id})
        try:
            yield row, survey_org(survey, org_id, bundle), ""
        except InputError as exc:
            yield row, None, one_line(str(exc))


def source_orgs(source: Path, bundle: DataBundle) -> Iterator[tuple[Row, Org | None, str]]:
    """The organisations of a batch: profiles (folder, sheet) or a survey of respondents."""
    if source.is_file() and is_survey(source):
        return survey_orgs(source, bundle)
    return load_rows(read_rows(source), bundle)


def _mp_context():
    """forkserver where there is one (workers start from a process that is warmed up)."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        # the lifeline first: the forkserver dies with this process
        # then warm up once (WeasyPrint, ReportLab, renderer, fonts): workers are forked warm
        context.set_forkserver_preload([*bound_forkserver_preload(), "briefgen._preload"])
    return context


class _Runner:
    """Run tasks and hand back outcomes as they finish, keeping a bounded number in flight."""

    def __init__(self, options: Options, batch: BatchOptions):
        self.options, self.batch = options, batch
        self.jobs = sensible_jobs(batch.jobs, batch.task_memory)

    def run(self, tasks: list[Task]) -> Iterator[Outcome]:
        if self.batch.scheduler:
            yield from self._dask(tasks)
        else:
            yield from self._local(tasks)

    def _local(self, tasks: list[Task]) -> Iterator[Outcome]:
        level = logging.getLogger("briefgen").getEffectiveLevel()
        with Pool(render_task, self.jobs, self.batch.limits, _mp_context(),
                  initializer=_init_worker, initargs=(self.options, level),
                  max_tasks=self.batch.max_tasks_per_worker) as pool:
            for task, outcome, error in pool.run(tasks):
                yield outcome if outcome is not None else Outcome(task.index, error=error)

    def _dask(self, tasks: list[Task]) -> Iterator[Outcome]:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise InputError("--scheduler needs dask.distributed: pip install 'briefgen[dask]'")\
                from None
        try:
            client = Client(self.batch.scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"--scheduler: cannot connect to {self.batch.scheduler} "
                             f"({exc})") from None
        try:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            window = 4 * workers
            pending = iter(tasks)
            by_key = {}

            def submit(task: Task):
                future = client.submit(render_task_limited, task, self.batch.limits,
                                       pure=False, retries=1,
                                       key=f"briefgen-{task.index}-{task.org.id}")
                by_key[future.key] = task
                return future

            queue = as_completed([submit(t) for t in itertools.islice(pending, window)])
            for future in queue:
                task = by_key.pop(future.key)
                try:
                    yield future.result()
                except Exception as exc:  # KilledWorker, lost connection, ...
                    yield Outcome(task.index, error=f"on the cluster: {type(exc).__name__}: "
                                  f"{one_line(str(exc))}")
                future.release()
                task = next(pending, None)
                if task is not None:
                    queue.add(submit(task))
        finally:
            client.close()


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
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def run_batch(source: Path | str, options: Options | None = None,
              batch: BatchOptions = BATCH_DEFAULTS,
              progress: Callable[[Progress], None] | None = None) -> BatchResult:
    """Build a briefing for every organisation in ``source`` into ``options.out``.

    ``source`` is a folder of YAML profiles, a .csv or an .xlsx file. Raises
    :class:`InputError` when the input itself is unusable; a bad row or a failed render is
    recorded in its :class:`Item` and the others go on.
    """
    start = time.perf_counter()
    options = options or Options()
    source = Path(source)
    source_date_epoch()  # refuse a bad SOURCE_DATE_EPOCH once, before anything runs
    bundle = load_data(options.data)
    benchmark = load_benchmark(options.benchmark, bundle)
    bench_file = benchmark_path(options.benchmark, bundle).resolve()
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    with batch_lock(out, batch.wait):
        return _run_locked(source, options, batch, progress, bundle, benchmark, bench_file,
                           out, start)


def _run_locked(source: Path, options: Options, batch: BatchOptions,
                progress: Callable[[Progress], None] | None, bundle: DataBundle, benchmark: Any,
                bench_file: Path, out: Path, start: float) -> BatchResult:
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
        item = Item(id=org_id, file=pdf_name(org_id, options.lang) if org else "",
                    status=FAILED if error else PENDING, error=error, row=row.number,
                    source=row.name, benchmark_id=benchmark.id,
                    benchmark_version=benchmark.version)
        items.append(item)
        if org is None:
            continue
        orgs.append(org)
        item.input_hash = input_hash(org, assets, bundle.root,
                                     with_source=options.pdf_variant == "pdf/a-3b")
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
    log.info("%d organisations: %d to render, %d unchanged, %d unusable", len(items), len(tasks),
             sum(i.status == UNCHANGED for i in items), sum(i.status == FAILED for i in items))

    def report() -> None:
        if progress:
            progress(Progress(len(items), sum(i.status == OK for i in items),
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
        runner = _Runner(options, batch)
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
                    item.pages, item.bytes, item.sha256 = (outcome.pages, outcome.bytes,
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
        from .overview import overview_name, write_overview

        result.overview = write_overview(orgs, out / overview_name(options.lang), options)
    return result


def _skip_the_rest(items: list[Item]) -> None:
    """Mark what --fail-fast will not run, with the reason, so nothing stays pending."""
    for item in items:
        if item.status == PENDING:
            item.status = SKIPPED
            item.error = "not run: the batch stopped at the first failure (--fail-fast)"


__all__ = ["BatchOptions", "BatchResult", "Item", "Progress", "run_batch", "render_task",
           "harmless", "read_manifest", "OK", "UNCHANGED", "FAILED", "PENDING", "SKIPPED"]
