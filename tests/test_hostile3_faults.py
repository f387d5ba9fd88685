"""Hostile round three (issue 22), the faults: a Dask scheduler or the batch's fork server
killed under a running batch, a full disk before and during it.

Real processes and real kills: each batch must end within a bounded time (pytest-timeout), with
every row built or failed with its reason (none left pending), exit code 1, no traceback.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import yaml

from briefgen import resources
from briefgen.batch.run import BatchOptions, run_batch
from briefgen.options import Options

from .conftest import run_cli

pytestmark = pytest.mark.timeout(150)
ROOT = Path(__file__).parent.parent


def profiles(folder: Path, count: int) -> Path:
    """``count`` copies of the shipped region-x profile, org-0 ... org-N."""
    base = yaml.safe_load((resources.data_dir() / "orgs" / "region-x.yaml").read_text("utf-8"))
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"org-{i}.yaml").write_text(
            yaml.safe_dump(dict(base, id=f"org-{i}", name=f"Org {i}")), "utf-8")
    return folder


def statuses(out: Path) -> list[tuple[str, str]]:
    items = json.loads((out / "manifest.json").read_text("utf-8"))["items"]
    return [(i["status"], i["error"]) for i in items]


def descendants(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.Error:
        return []


# --------------------------------------------------------------------------- Dask


@pytest.mark.timeout(180)
def test_a_dask_scheduler_killed_during_a_batch_fails_the_rest_with_the_reason(tmp_path,
                                                                              monkeypatch):
    pytest.importorskip("distributed")
    from briefgen.batch import runner

    # The client's reconnect window, 20 s in use: the same code path, a shorter wait.
    monkeypatch.setattr(runner, "DASK_TIMEOUT", 5.0)
    source = profiles(tmp_path / "orgs", 6)
    address_file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", "0", "--no-dashboard", "--scheduler-file", str(address_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        while not address_file.exists() or not address_file.read_text():
            assert scheduler.poll() is None, "the scheduler did not start"
            time.sleep(0.1)
        address = json.loads(address_file.read_text())["address"]
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
             "--nthreads", "1", "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        killer = threading.Timer(3.0, scheduler.kill)  # the batch is running by then
        killer.start()
        result = run_batch(source, Options(out=tmp_path / "out"),
                           BatchOptions(scheduler=address))
        killer.join()
    finally:
        scheduler.kill()
        if worker is not None:
            worker.kill()
            worker.wait()
        scheduler.wait()
    assert result.exit_code == 1
    assert {i.status for i in result.items} <= {"ok", "failed"}, \
        [(i.status, i.error) for i in result.items]
    failed = [i for i in result.items if i.status == "failed"]
    assert failed and all("scheduler" in i.error for i in failed), [i.error for i in failed]
    assert [s for s, _ in statuses(tmp_path / "out")] == [i.status for i in result.items]


# --------------------------------------------------------------------------- the fork server


def test_the_batchs_fork_server_killed_early_fails_every_row_with_the_reason(tmp_path):
    """The fork server is stopped as soon as it starts, so that the batch waits on it for its
    first worker, and killed then: the batch cannot start a worker."""
    profiles(tmp_path / "orgs", 3)
    batch = subprocess.Popen([sys.executable, "-m", "briefgen", "batch", "orgs", "--out", "out",
                              "--jobs", "1", "--no-progress"], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = psutil.Process(batch.pid)
    try:
        server = None
        while server is None:
            assert batch.poll() is None, batch.communicate()
            server = next((p for p in descendants(proc)
                           if "forkserver" in " ".join(p.cmdline())), None)
            time.sleep(0.01)
        server.send_signal(signal.SIGSTOP)
        waiting_since, cpu = time.monotonic(), proc.cpu_times().user
        while time.monotonic() - waiting_since < 1.5:  # blocked: no CPU for 1.5 s
            time.sleep(0.1)
            if proc.cpu_times().user != cpu:
                waiting_since, cpu = time.monotonic(), proc.cpu_times().user
        server.kill()
        out, err = batch.communicate(timeout=60)
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.wait()
    assert batch.returncode == 1, out + err
    assert "Aborted" not in err and "Traceback" not in err, err
    assert "0 rendered, 0 unchanged, 3 failed, 0 not run" in out
    rows = statuses(tmp_path / "out")
    assert [s for s, _ in rows] == ["failed"] * 3
    assert all("no worker process could be started" in e for _, e in rows), rows
    assert alive(descendants_of_pid(batch.pid)) == []


def descendants_of_pid(pid: int) -> list[int]:
    """Processes that named ``pid`` as the batch they belong to (the lifeline's variable)."""
    found = []
    for proc in psutil.process_iter(["pid", "environ"]):
        try:
            if (proc.info["environ"] or {}).get("BRIEFGEN_BATCH_PARENT") == str(pid):
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


def alive(pids: list[int]) -> list[int]:
    time.sleep(0.5)
    return [pid for pid in pids if psutil.pid_exists(pid)
            and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]


# --------------------------------------------------------------------------- a full disk


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs: a disk that a test can fill. Mounting needs root (CAP_SYS_ADMIN)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"this test needs a small tmpfs, and mounting one is not permitted here: "
                    f"{mounted.stderr.strip()[:100]}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path, leave: int) -> None:
    """Fill ``disk`` up to ``leave`` bytes (tmpfs counts whole 4 KiB pages)."""
    with (disk / "filler").open("wb") as fh:
        try:
            fh.write(b"\0" * (64 * 1024 - leave))
            fh.flush()
        except OSError:
            pass


@pytest.mark.parametrize(("leave", "named"), [(0, ".briefgen-batch.lock"),
                                              (8192, "manifest.json")])
def test_a_disk_full_before_the_batch_starts_names_the_path(small_disk, leave, named):
    fill(small_disk, leave)
    result = run_cli("batch", str(resources.data_dir() / "orgs"), "--out",
                     str(small_disk / "out"), "--no-progress")
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {small_disk / 'out' / named}: "
                                                   "cannot write (No space left on device; "
                                                   "the disk is full"), result.output
    assert not list((small_disk / "out").glob("*.pdf"))
