"""Batches: isolation, manifest, incremental re-runs, kill -9 and resume, reproducibility, Dask.

Renders are costly (about a second each), so one batch of four organisations is rendered once
per module and the tests read it; the others render only what they must.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader

from briefgen.batch.run import BatchOptions, run_batch
from briefgen.cli import cli
from briefgen.options import Options

FIXTURES = Path(__file__).parent / "fixtures" / "batch"
GOOD_IDS = ["alfa", "bravo", "charlie", "delta"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_of(out: Path, tmp_path: Path) -> Path:
    """The module's batch output copied (times kept) for a test that runs into it again:
    the shared one stays as ``first`` made it, whatever order the tests run in."""
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    return copy


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """The mixed fixture sheet (four good rows, three broken), rendered once with two jobs."""
    out = tmp_path_factory.mktemp("batch") / "out"
    result = run_batch(FIXTURES / "mixed.csv", Options(out=out), BatchOptions(jobs=2))
    return result, out


def test_bad_rows_are_isolated_and_reported(first):
    result, out = first
    assert result.exit_code == 1
    assert [i.id for i in result.items if i.status == "ok"] == GOOD_IDS
    failures = {i.row: i.error for i in result.failures}
    assert set(failures) == {3, 6, 8}
    assert "mixed.csv row 3: capabilities.partnerships: 7 is outside 1-5" in failures[3]
    assert "mixed.csv row 6: id: '=HYPERLINK(" in failures[6]
    assert "row 8" in failures[8] and "'alfa' is also used by" in failures[8]
    assert sorted(p.name for p in out.glob("*.pdf")) == [f"{i}.pdf" for i in GOOD_IDS]


def test_manifest_lists_every_row(first):
    result, out = first
    document = json.loads((out / "manifest.json").read_text("utf-8"))
    assert document["benchmark"]["id"] == "dt-offentlig-sektor-2018"
    items = {i["row"]: i for i in document["items"]}
    assert len(items) == 7
    alfa = items[2]
    pdf = out / alfa["file"]
    assert alfa["status"] == "ok" and alfa["sha256"] == sha(pdf)
    assert alfa["bytes"] == pdf.stat().st_size
    assert alfa["pages"] == len(PdfReader(pdf).pages) > 5
    assert len(alfa["input_hash"]) == 64 and alfa["briefgen_version"]
    with (out / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows][:3] == ["alfa", "bad-score", "bravo"]
    assert set(rows[0]) >= {"id", "file", "status", "error", "pages", "bytes", "sha256",
                            "input_hash", "benchmark_id", "benchmark_version",
                            "briefgen_version"}
    formula = next(r for r in rows if r["row"] == "6")
    assert formula["id"].startswith("'=HYPERLINK(")  # a spreadsheet shows it, never runs it


def test_force_renders_again_byte_identical(first, tmp_path):
    """--force renders everything again, in new worker processes: the very same bytes."""
    result, out = first
    copy = copy_of(out, tmp_path)
    again = run_batch(FIXTURES / "good.csv", Options(out=copy), BatchOptions(jobs=2, force=True))
    assert again.exit_code == 0 and [i.status for i in again.items] == ["ok"] * 4
    for org_id in GOOD_IDS:
        assert sha(copy / f"{org_id}.pdf") == sha(out / f"{org_id}.pdf"), org_id


def test_unchanged_briefings_are_skipped_and_cli_reports_failures(first, tmp_path):
    out = copy_of(first[1], tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}
    run = CliRunner().invoke(cli, ["batch", str(FIXTURES / "mixed.csv"), "--out", str(out),
                                   "--jobs", "2", "--no-progress"])
    assert run.exit_code == 1, run.output
    assert "0 rendered, 4 unchanged, 3 failed" in run.output
    assert "failed: row 3 (bad-score):" in run.output and "7 is outside 1-5" in run.output
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")} == before


def test_xlsx_input_gives_the_same_briefings(first, tmp_path):
    """The same organisations from an XLSX are recognised as unchanged: same input hashes."""
    import openpyxl

    out = copy_of(first[1], tmp_path)
    with (FIXTURES / "good.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    workbook = openpyxl.Workbook()
    for i, row in enumerate(rows):
        numeric = range(5, len(row) - 1)  # the scores; maturity_phase stays text
        workbook.active.append([float(c) if i and j in numeric else (c or None)
                                for j, c in enumerate(row)])
    path = tmp_path / "good.xlsx"
    workbook.save(path)
    again = run_batch(path, Options(out=out), BatchOptions(jobs=1))
    assert again.exit_code == 0
    assert [i.status for i in again.items] == ["unchanged"] * 4
    assert [i.source.split("/")[-1] for i in again.items][0] == "good.xlsx row 2"


def test_changed_input_renders_only_that_organisation(first, tmp_path):
    result, out = first
    copy = copy_of(out, tmp_path)
    text = (FIXTURES / "good.csv").read_text("utf-8")
    changed = tmp_path / "changed.csv"
    changed.write_text(text.replace("bravo,Bravo region", "bravo,Bravo Region"), "utf-8")
    again = run_batch(changed, Options(out=copy), BatchOptions(jobs=1))
    assert [i.status for i in again.items] == ["unchanged", "ok", "unchanged", "unchanged"]
    assert sha(copy / "bravo.pdf") != sha(out / "bravo.pdf")


def test_fail_fast_stops_before_rendering(tmp_path):
    result = run_batch(FIXTURES / "mixed.csv", Options(out=tmp_path),
                       BatchOptions(fail_fast=True))
    assert result.exit_code == 1
    assert {i.status for i in result.items} == {"failed", "skipped"}
    assert all("--fail-fast" in i.error for i in result.items if i.status == "skipped")
    assert not list(tmp_path.glob("*.pdf"))


def test_unusable_input_exits_2(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("name,level\nA,state\n", "utf-8")
    run = CliRunner().invoke(cli, ["batch", str(path), "--out", str(tmp_path / "out")])
    assert run.exit_code == 2
    assert "Error: " in run.output and "x.csv row 1: no 'id' column" in run.output
    assert "Traceback" not in run.output


def test_kill_9_then_resume(tmp_path, region_x_profile):
    """SIGKILL a real batch mid-run: nothing half-written; the next run does only the rest."""
    source = tmp_path / "orgs"
    source.mkdir()
    ids = [f"org-{i}" for i in range(4)]
    for i, org_id in enumerate(ids):
        profile = dict(region_x_profile, id=org_id, name=f"Org {i}")
        profile["capabilities"] = dict(profile["capabilities"], partnerships=1 + i)
        (source / f"{org_id}.yaml").write_text(yaml.safe_dump(profile), "utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "from briefgen.cli import main; main()", "batch", str(source),
           "--out", str(out), "--jobs", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(out.glob("*.pdf")):
            time.sleep(0.05)
        time.sleep(0.3)  # into the next render
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers, at once
        proc.wait()
    finished = list(out.glob("*.pdf"))
    assert 1 <= len(finished) < 4, "the kill came too late to test a resume"
    for pdf in finished:
        assert len(PdfReader(io.BytesIO(pdf.read_bytes())).pages) > 5  # whole files only
    json.loads((out / "manifest.json").read_text("utf-8"))  # a whole manifest, if any
    recorded = {i["file"] for i in json.loads((out / "manifest.json").read_text())["items"]
                if i["status"] == "ok"}
    result = run_batch(source, Options(out=out), BatchOptions(jobs=2))
    assert result.exit_code == 0
    assert {i.file for i in result.items if i.status == "unchanged"} == recorded
    assert result.count("ok") == 4 - len(recorded)
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_dask_cluster_gives_the_same_pdfs(first, tmp_path):
    distributed = pytest.importorskip("distributed")
    result, out = first
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        on_dask = run_batch(FIXTURES / "good.csv", Options(out=tmp_path),
                            BatchOptions(scheduler=cluster.scheduler_address))
    assert on_dask.exit_code == 0 and on_dask.count("ok") == 4
    for item in on_dask.items:
        assert sha(tmp_path / item.file) == sha(out / item.file) == item.sha256
        assert item.pages and item.pages > 5
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    assert [i["status"] for i in manifest["items"]] == ["ok"] * 4


def test_overview_of_the_batch(tmp_path):
    path = tmp_path / "overview.pdf"
    run = CliRunner().invoke(cli, ["overview", str(FIXTURES / "mixed.csv"), "-o", str(path)])
    assert run.exit_code == 0, run.output
    assert run.stdout.strip() == str(path)
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Digital transformation i portföljen" in text and "Alfa kommun" in text
    assert "Delta myndighet" in text and "Portföljens median" in text
    assert "left out: " in run.output and "mixed.csv row 3" in run.output  # and why


def test_a_survey_is_batched_per_organisation_with_its_spread(tmp_path):
    survey = Path(__file__).parent / "fixtures" / "survey" / "answers.csv"
    result = CliRunner().invoke(cli, ["batch", str(survey), "--out", str(tmp_path / "out"),
                                      "--jobs", "1"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    items = {item["id"]: item for item in manifest["items"]}
    assert set(items) == {"region-x", "kommun-a"}
    assert items["region-x"]["row"] == 2 and items["region-x"]["status"] == "ok"
    text = "\n".join(page.extract_text()
                     for page in PdfReader(tmp_path / "out" / "region-x.pdf").pages)
    assert "Svaren och spridningen" in text and "3 personers svar" in text
