"""A batch run in this process, fast enough for mutation testing (docs/mutation.md): what a
first run renders and records, what a second one leaves alone, --force and --fail-fast, the
progress it reports, the overview, the lock; and the workers' side called here (render_task,
_init_worker, the sandboxed child a Dask worker keeps), so that mutmut sees it. One or two
organisations a run, one job: a render costs about a second."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from briefgen import __version__, resources
from briefgen.batch import run as run_module
from briefgen.batch import runner
from briefgen.batch.manifest import CSV_FIELDS, MANIFEST_CSV, MANIFEST_JSON, Item
from briefgen.batch.run import LOCK, BatchOptions, BatchProgress, run_batch
from briefgen.batch.runner import (
    Outcome,
    Runner,
    Task,
    _init_worker,
    _mp_context,
    _NoTraceback,
    _one_line_logs,
    render_task,
    render_task_limited,
    start_fork_server,
)
from briefgen.errors import InputError, OutputError
from briefgen.load import load_benchmark, load_data, load_org
from briefgen.options import Options
from briefgen.reading import display_path
from briefgen.sandbox import Limits, bound_forkserver_preload

MIXED = (Path(__file__).parent / "fixtures" / "batch" / "mixed.csv").read_text("utf-8")
HEADER, ALFA, BAD, BRAVO = MIXED.splitlines()[:4]   # bad-score: partnerships 7
ORGS = resources.data_dir() / "orgs"
SKIP = "not run: the batch stopped at the first failure (--fail-fast)"
BAD_ERROR = "row 3: capabilities.partnerships: 7 is outside 1-5"   # after the sheet's name


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def text_of(path: Path) -> str:
    return PdfReader(path).pages[0].extract_text()


@pytest.fixture
def here(tmp_path) -> Path:
    """The test's folder. The tests stay in the folder they run in (rows are named as
    display_path shows them): a worker starts in its parent's folder, and while mutmut maps
    the tests its trampolines in the workers look for its configuration there."""
    return tmp_path


def sheet(folder: Path, *rows: str) -> Path:
    path = folder / "k.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", "utf-8")
    return path


def manifest(out: Path) -> dict:
    return json.loads((out / MANIFEST_JSON).read_text("utf-8"))


def statuses(out: Path) -> list[str]:
    return [i["status"] for i in manifest(out)["items"]]


# --------------------------------------------------------------------------- a first run


def test_a_first_run_renders_the_good_rows_and_records_each(here, caplog, monkeypatch):
    monkeypatch.setattr(run_module, "MANIFEST_EVERY", 0.0)   # the manifest after each result
    source = sheet(here, ALFA, BAD, BRAVO)
    shown = display_path(source)
    out = here / "ut" / "batch"                              # made, parents and all
    seen: list[tuple[BatchProgress, list[str]]] = []
    with caplog.at_level(logging.INFO, "briefgen.batch"):
        result = run_batch(source, Options(out=out), BatchOptions(jobs=1),
                           progress=lambda p: seen.append((p, statuses(out))))
    assert "3 organisations: 2 to render, 0 unchanged, 1 unusable, 0 earlier assessments" \
        in caplog.messages
    assert result.out == out and result.overview is None and result.exit_code == 1
    assert (result.count("ok"), result.count("failed"), result.count("unchanged")) == (2, 1, 0)
    benchmark = load_benchmark(None, load_data())
    alfa, bad, bravo = result.items
    assert [(i.id, i.file, i.status, i.row, i.source) for i in result.items] == [
        ("alfa", "alfa.pdf", "ok", 2, f"{shown} row 2"), ("bad-score", "", "failed", 3,
                                                          f"{shown} row 3"),
        ("bravo", "bravo.pdf", "ok", 4, f"{shown} row 4")]
    assert bad.error.startswith(f"{shown} {BAD_ERROR}") and bad.pages is bad.bytes is None
    assert not bad.input_hash and not bad.files
    for item, name in ((alfa, "Alfa kommun"), (bravo, "Bravo region")):
        path = out / item.file
        data = path.read_bytes()
        assert name in text_of(path)                        # each result to its own item
        assert (item.pages, item.bytes, item.sha256) == (len(PdfReader(path).pages), len(data),
                                                         sha(data))
        assert item.mtime_ns == path.stat().st_mtime_ns and item.files == item.file
        assert item.error == "" and len(item.input_hash) == 64
    assert alfa.input_hash != bravo.input_hash
    assert {(i.benchmark_id, i.benchmark_version) for i in result.items} == {
        (benchmark.id, benchmark.version)}
    # The progress: the bad row counted from the start, then each render as it arrives,
    # with the manifest on disk one result behind (it is written after the report).
    assert [(p.total, p.rendered, p.unchanged, p.failed, s) for p, s in seen] == [
        (3, 0, 0, 1, ["pending", "failed", "pending"]),
        (3, 1, 0, 1, ["pending", "failed", "pending"]),
        (3, 2, 0, 1, ["ok", "failed", "pending"])]
    elapsed = [p.elapsed for p, _ in seen]
    assert 0 <= elapsed[0] <= elapsed[1] <= elapsed[2] <= result.seconds < 120
    document = manifest(out)
    assert {k: v for k, v in document.items() if k != "items"} == {
        "briefgen": __version__, "input": str(source.resolve()), "lang": "sv",
        "pdf_variant": "pdf/ua-1",
        "benchmark": {"id": benchmark.id, "version": benchmark.version}}
    assert document["items"] == [dataclasses.asdict(i) for i in result.items]
    lines = (out / MANIFEST_CSV).read_bytes().decode("utf-8").split("\r\n")
    assert lines[0] == ",".join(CSV_FIELDS) and len(lines) == 5 and lines[4] == ""
    assert not list(out.glob("*overview*")) and not list(out.glob("*versikt*"))


# --------------------------------------------------------------------------- a second run


def test_a_second_run_renders_only_what_changed(here, caplog):
    source = sheet(here, ALFA, BAD)
    out = here / "out"
    first = run_batch(source, Options(out=out), BatchOptions(jobs=1))
    (alfa, _), pdf = first.items, out / "alfa.pdf"
    assert alfa.status == "ok"
    before = pdf.stat()
    seen: list[BatchProgress] = []
    with caplog.at_level(logging.INFO, "briefgen.batch"):
        again = run_batch(source, Options(out=out), BatchOptions(jobs=1), progress=seen.append)
    assert caplog.messages == [
        "2 organisations: 0 to render, 1 unchanged, 1 unusable, 0 earlier assessments"]
    same = again.items[0]
    assert same.status == "unchanged" and same.error == ""
    assert dataclasses.replace(same, status="ok") == alfa   # pages, bytes, sha256, files, ...
    assert (pdf.stat().st_ino, pdf.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [(p.total, p.rendered, p.unchanged, p.failed) for p in seen] == [(2, 0, 1, 1)]
    assert manifest(out)["items"][0] == dataclasses.asdict(same)
    os.utime(pdf, ns=(before.st_mtime_ns + 10**9,) * 2)      # touched, the same bytes
    touched = run_batch(source, Options(out=out), BatchOptions(jobs=1)).items[0]
    assert touched.status == "unchanged" and touched.mtime_ns == before.st_mtime_ns + 10**9

    recorded = (out / MANIFEST_JSON).read_bytes()

    def rerun(**batch) -> Item:
        """The batch again, stopped by the bad row before it renders: what would it do?
        (Its manifest records the item as skipped: the next starts from the one before.)"""
        (out / MANIFEST_JSON).write_bytes(recorded)
        return run_batch(source, Options(out=out), BatchOptions(fail_fast=True,
                                                                **batch)).items[0]

    assert rerun().status == "unchanged"
    assert rerun(force=True).status == "skipped"               # --force: rendered again
    assert rerun().status == "unchanged"
    shutil.copy(pdf, here / "kept.pdf")
    altered = bytearray(pdf.read_bytes())
    altered[200] ^= 1
    pdf.write_bytes(altered)                                   # the same size, other bytes
    assert rerun().status == "skipped"
    pdf.unlink()
    assert rerun().status == "skipped"
    shutil.copy(here / "kept.pdf", pdf)
    os.utime(pdf, ns=(before.st_mtime_ns,) * 2)
    assert rerun().status == "unchanged"
    source.write_text(source.read_text("utf-8").replace("Alfa kommun", "Alfa stad"), "utf-8")
    assert rerun().status == "skipped"                         # another input


# --------------------------------------------------------------------------- stopping


def test_fail_fast_stops_before_rendering_at_a_bad_row(here, caplog):
    """Nothing is rendered: the items say why, the manifest and the progress say so too."""
    source = sheet(here, ALFA, BAD, BRAVO)
    out = here / "out"
    seen: list[BatchProgress] = []
    with caplog.at_level(logging.INFO, "briefgen.batch"):
        result = run_batch(source, Options(out=out, lang="en"), BatchOptions(fail_fast=True),
                           progress=seen.append)
    assert caplog.messages == [
        "3 organisations: 2 to render, 0 unchanged, 1 unusable, 0 earlier assessments"]
    assert [(i.file, i.status, i.error) for i in result.items] == [
        ("alfa-en.pdf", "skipped", SKIP), ("", "failed", result.items[1].error),
        ("bravo-en.pdf", "skipped", SKIP)]
    assert result.items[1].error.startswith(f"{display_path(source)} {BAD_ERROR}")
    assert result.exit_code == 1 and not list(out.glob("*.pdf"))
    assert [(p.total, p.rendered, p.unchanged, p.failed) for p in seen] == [(3, 0, 0, 1)]
    assert manifest(out)["lang"] == "en" and statuses(out) == ["skipped", "failed", "skipped"]


@pytest.fixture
def folder(here, region_x_profile) -> Path:
    """a.yaml: region-x with a logo that is not there (fails when rendered); b.yaml: kommun-y."""
    source = here / "orgs"
    source.mkdir()
    (source / "a.yaml").write_text(yaml.safe_dump({**region_x_profile, "logo": "saknas.png"}),
                                   "utf-8")
    shutil.copy(ORGS / "kommun-y.yaml", source / "b.yaml")
    return source


def test_a_failed_render_is_recorded_and_the_others_go_on(folder, here, monkeypatch):
    monkeypatch.setattr(run_module, "MANIFEST_EVERY", 3600.0)  # only at the start and the end
    out = here / "out"
    on_disk: list[list[str]] = []
    result = run_batch(folder, Options(out=out), BatchOptions(jobs=1),
                       progress=lambda p: on_disk.append(statuses(out)))
    failed, ok = result.items
    assert (failed.status, ok.status) == ("failed", "ok")
    assert failed.error.startswith(f"{display_path(folder / 'a.yaml')}: logo: ")
    assert "saknas.png" in failed.error
    assert failed.pages is None and not (out / "region-x.pdf").exists()
    assert "Kommun Y" in text_of(out / "kommun-y.pdf") or ok.pages
    assert on_disk == [["pending", "pending"]] * 3 and statuses(out) == ["failed", "ok"]


def test_fail_fast_stops_at_the_first_failed_render(folder, here, caplog):
    out = here / "out"
    with caplog.at_level(logging.INFO, "briefgen.batch"):
        result = run_batch(folder, Options(out=out), BatchOptions(jobs=1, fail_fast=True))
    assert "stopping at the first failure (--fail-fast)" in caplog.messages
    assert [i.status for i in result.items] == ["failed", "skipped"]
    assert result.items[1].error == SKIP and statuses(out) == ["failed", "skipped"]
    assert not (out / "kommun-y.pdf").exists()


# --------------------------------------------------------------------------- what is read


def test_the_data_folder_and_benchmark_given_are_used(here, data_dir, caplog):
    """--data and --benchmark (by id, found only in that folder); the benchmark's bytes are in
    every input hash; the overview of what was read is written even when nothing rendered."""
    (shipped,) = (data_dir / "benchmarks").glob("*.yaml")
    own = data_dir / "benchmarks" / "kunder-2026.yaml"
    own.write_text(shipped.read_text("utf-8").replace(
        f"id: {shipped.stem}", "id: kunder-2026", 1), "utf-8")
    source = sheet(here, ALFA, BAD)
    options = Options(out=here / "out", data=data_dir, benchmark="kunder-2026")
    result = run_batch(source, options, BatchOptions(fail_fast=True, overview=True))
    assert manifest(here / "out")["benchmark"]["id"] == "kunder-2026"
    assert {i.benchmark_id for i in result.items} == {"kunder-2026"}
    assert result.overview is not None and result.overview.parent == here / "out"
    assert "Alfa kommun" in "".join(p.extract_text() for p in PdfReader(result.overview).pages)
    before = result.items[0].input_hash
    own.write_bytes(own.read_bytes() + b"\n# corrected\n")
    assert run_batch(source, options, BatchOptions(fail_fast=True)).items[0].input_hash \
        != before


@pytest.mark.parametrize("rows", [(), ("",)])
def test_no_organisations_is_an_error(here, rows):
    source = sheet(here, *rows)
    with pytest.raises(InputError) as error:
        run_batch(source, Options(out=here / "out"))
    assert str(error.value) == f"{source}: no organisations found"


def test_an_output_folder_that_cannot_be_made_is_an_error(here):
    (here / "fil").write_text("", "utf-8")
    with pytest.raises(OutputError) as error:
        run_batch(sheet(here, ALFA), Options(out=here / "fil" / "out"))
    assert str(error.value) == f"{here / 'fil' / 'out'}: cannot write (Not a directory)"


def test_a_batch_waits_for_the_one_writing_into_its_folder(here, caplog):
    out = here / "out"
    out.mkdir()
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, b"4242\n")
    source = sheet(here, ALFA, BAD)
    with pytest.raises(InputError, match=r"another batch \(pid 4242\)"):
        run_batch(source, Options(out=out), BatchOptions(fail_fast=True))
    threading.Timer(0.3, os.close, (fd,)).start()
    with caplog.at_level(logging.WARNING, "briefgen.batch"):
        result = run_batch(source, Options(out=out), BatchOptions(fail_fast=True, wait=True))
    assert caplog.messages == [f"waiting for the batch (pid 4242) writing into {out}"]
    assert [i.status for i in result.items] == ["skipped", "failed"]


# --------------------------------------------------------------------------- the workers


@pytest.fixture
def cache(monkeypatch) -> dict:
    """An empty cache of this process's Briefgen, as a new worker has."""
    fresh: dict = {}
    monkeypatch.setattr(runner, "_WORKER_CACHE", fresh)
    return fresh


@pytest.fixture(scope="module")
def region_x():
    return load_org("region-x", load_data())


def test_a_worker_of_another_version_renders_nothing(cache, region_x):
    outcome = render_task(Task(7, region_x, "", Options(), version="0.0.1"))
    assert outcome == Outcome(7, error=f"this worker has briefgen {__version__}, the batch was "
                              "started with 0.0.1; install the same version everywhere",
                              pid=os.getpid())
    assert not cache


def test_a_render_in_this_process_gives_the_pdf_and_the_kit(cache, region_x, tmp_path):
    options = Options(formats=("xlsx",))                     # the batch makes the PDF anyway
    sent = render_task(Task(3, region_x, "", options))       # for a client to write (Dask)
    assert (sent.index, sent.error, sent.pid) == (3, "", os.getpid())
    assert sent.data is not None and sent.data.startswith(b"%PDF-")
    assert (sent.size, sent.sha256) == (len(sent.data), sha(sent.data))
    (tmp_path / "sent.pdf").write_bytes(sent.data)
    assert sent.pages == len(PdfReader(tmp_path / "sent.pdf").pages) > 5
    assert sent.kit_names == ["region-x.xlsx"] and list(sent.kit) == ["region-x.xlsx"]
    assert sent.kit["region-x.xlsx"].startswith(b"PK") and 0 < sent.seconds < 60
    bg = cache[options]
    written = render_task(Task(4, region_x, str(tmp_path / "region-x.pdf"), options))
    assert cache == {options: bg}                               # built once, kept
    data = (tmp_path / "region-x.pdf").read_bytes()
    assert (written.data, written.kit, written.kit_names) == (None, None, ["region-x.xlsx"])
    assert (written.size, written.sha256, written.pages) == (len(data), sha(data), sent.pages)
    assert (tmp_path / "region-x.xlsx").read_bytes().startswith(b"PK")


def test_a_failed_render_comes_back_as_one_line(cache, region_x, tmp_path):
    refused = region_x.model_copy(update={"profile": region_x.profile.model_copy(
        update={"logo": "saknas.png"})})
    outcome = render_task(Task(1, refused, str(tmp_path / "region-x.pdf"), Options()))
    assert outcome.error.startswith(f"{region_x.source}: logo: ") and "\n" not in outcome.error
    assert (outcome.pages, outcome.size, outcome.sha256) == (None, None, "")
    assert not list(tmp_path.iterdir())


def test_an_unexpected_failure_comes_back_with_its_kind(cache, region_x, caplog):
    broken = region_x.model_copy(update={"profile": region_x.profile.model_copy(
        update={"impact": None})})   # past validation: no briefing expects this
    with caplog.at_level(logging.DEBUG, "briefgen.batch.runner"):
        outcome = render_task(Task(2, broken, "", Options()))
    assert outcome.error == "unexpected TypeError: object of type 'NoneType' has no len()"
    assert (outcome.index, outcome.pages, outcome.data) == (2, None, None)
    assert caplog.records[-1].message == "rendering region-x failed"
    assert caplog.records[-1].exc_info[0] is TypeError             # -vv shows the traceback


@pytest.fixture
def worker_state(monkeypatch):
    """What _init_worker changes in a process, put back afterwards."""
    monkeypatch.setattr(logging.root, "level", logging.root.level)
    for name in ("fontTools", "weasyprint"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.getLogger(name).level)
    previous = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def no_root_handlers() -> Iterator[None]:
    """The root logger as a new process has it (pytest's own handlers put back after)."""
    kept = logging.root.handlers
    logging.root.handlers = []
    try:
        yield
    finally:
        logging.root.handlers = kept


def test_a_worker_leaves_ctrl_c_to_the_batch_and_logs_one_line_a_record(worker_state, cache):
    options = Options(lang="en")
    with no_root_handlers():
        _init_worker(options, logging.DEBUG)
        (handler,) = logging.root.handlers
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    assert logging.root.level == logging.DEBUG and handler.stream is sys.stderr
    record = logging.LogRecord("briefgen.x", logging.WARNING, "", 0, "a %s", ("b",), None)
    assert handler.format(record) == f"WARNING briefgen.x[{os.getpid()}]: a b"
    assert logging.getLogger("fontTools").level == logging.getLogger("weasyprint").level \
        == logging.ERROR
    assert list(cache) == [options] and cache[options].renderer    # warmed up before any task


def test_a_worker_with_a_broken_set_up_starts_and_fails_each_briefing(worker_state, cache,
                                                                      tmp_path, region_x):
    """A --templates that is not a folder: the worker lives, each briefing says why."""
    (tmp_path / "templates").write_text("not a folder", "utf-8")
    options = Options(templates=tmp_path / "templates")
    with no_root_handlers():
        _init_worker(options, logging.INFO)
    assert logging.root.level == logging.INFO
    outcome = render_task(Task(0, region_x, "", options))
    assert outcome.error == f"--templates: {tmp_path / 'templates'} is not a folder"


def test_workers_start_from_a_warm_fork_server(monkeypatch):
    server = multiprocessing.forkserver._forkserver
    monkeypatch.setattr(server, "_preload_modules", ["__main__"])
    context = _mp_context()
    assert context.get_start_method() == "forkserver"
    assert server._preload_modules == [*bound_forkserver_preload(), "briefgen._preload"]
    server._stop()
    start_fork_server()
    assert server._forkserver_pid is not None
    os.kill(server._forkserver_pid, 0)                          # running


def test_without_a_fork_server_workers_are_spawned(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert _mp_context().get_start_method() == "spawn"
    start_fork_server()                                        # nothing to start


def test_runner_runs_tasks_in_worker_processes(region_x):
    tasks = [Task(i, region_x, "", Options(), version="0.0.1") for i in range(3)]
    outcomes = list(Runner(Options(), 1, Limits(60, None)).run(tasks))
    assert sorted(o.index for o in outcomes) == [0, 1, 2]
    assert {o.pid for o in outcomes} != {os.getpid()} and len({o.pid for o in outcomes}) == 1
    assert all(o.error.startswith(f"this worker has briefgen {__version__}") for o in outcomes)


def test_a_dask_worker_thread_keeps_one_sandboxed_child(thread_child, region_x):
    task = Task(5, region_x, "", Options(), version="0.0.1")
    first = render_task_limited(task, Limits(60, 1024))
    assert first.index == 5 and first.error.startswith("this worker has briefgen")
    assert first.pid != os.getpid()
    assert render_task_limited(task, Limits(60, 1024)).pid == first.pid   # reused
    slow = render_task_limited(Task(6, region_x, "", Options()), Limits(0.05, 1024))
    assert slow.pid != first.pid and slow.index == 6 and slow.error      # new limits: new child
    assert slow.pages is None


# --------------------------------------------------------------------------- Dask


def test_a_batch_on_a_dask_cluster_writes_what_the_workers_send(tmp_path):
    distributed = pytest.importorskip("distributed")
    source = sheet(tmp_path, ALFA, BAD)
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        result = run_batch(source, Options(out=out, formats=("pdf", "xlsx")),
                           BatchOptions(scheduler=cluster.scheduler_address))
    alfa, bad = result.items
    assert (alfa.status, bad.status) == ("ok", "failed")
    data = (out / "alfa.pdf").read_bytes()
    assert "Alfa kommun" in text_of(out / "alfa.pdf")
    assert (alfa.bytes, alfa.sha256, alfa.mtime_ns) == (len(data), sha(data),
                                                        (out / "alfa.pdf").stat().st_mtime_ns)
    assert alfa.files == "alfa.pdf;alfa.xlsx" and (out / "alfa.xlsx").read_bytes()[:2] == b"PK"


def test_a_librarys_traceback_is_kept_to_one_line():
    logger = logging.getLogger("briefgen.test.dask")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        _one_line_logs(logger)
        _one_line_logs(logger)
        (kept,) = handler.filters
        assert isinstance(kept, _NoTraceback)
    finally:
        logger.removeHandler(handler)
    try:
        raise ConnectionError("gone")
    except ConnectionError:
        record = logging.LogRecord("d", logging.ERROR, "", 0, "lost %s", ("x",), sys.exc_info())
    assert _NoTraceback().filter(record)
    assert (record.getMessage(), record.exc_info, record.exc_text) == (
        "lost x (ConnectionError)", None, None)
    plain = logging.LogRecord("d", logging.ERROR, "", 0, "lost %s", ("x",), None)
    assert _NoTraceback().filter(plain) and plain.getMessage() == "lost x"
    empty = logging.LogRecord("d", logging.ERROR, "", 0, "lost", (), (None, None, None))
    assert _NoTraceback().filter(empty) and (empty.msg, empty.exc_info) == ("lost", None)
