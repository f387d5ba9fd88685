"""Hostile round three (issue 22), the inputs: non-regular files, dates before the year 1000,
``previous:`` and a workspace's earlier profiles, templates, SVG logos WeasyPrint would drop.

Each case ends in one line naming the file (and line or field) with exit code 2, or a failed row
with its reason inside a batch; never a hang (pytest-timeout bounds each test), a traceback, a
read outside the named folders or a part of the briefing silently dropped.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from briefgen import resources

from .conftest import run_cli

SHIPPED_ORGS = resources.data_dir() / "orgs"
SURVEY = Path(__file__).parent / "fixtures" / "survey" / "answers.csv"
pytestmark = pytest.mark.timeout(60)


def one_error_line(result, *expected: str) -> str:
    """Exit code 2 and exactly one ``Error:`` line holding each of ``expected``."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.output
    for part in expected:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    return lines[0]


def manifest_items(out: Path) -> dict[str, dict]:
    """The manifest's items by their source file's name."""
    document = json.loads((out / "manifest.json").read_text("utf-8"))
    return {Path(i["source"].split(" ")[0]).name: i for i in document["items"]}


# --------------------------------------------------------------------------- non-regular files


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("command", ["survey", "batch", "overview"])
def test_a_fifo_as_survey_or_sheet_is_refused_without_waiting(tmp_path, command, suffix):
    fifo = tmp_path / f"answers{suffix}"
    os.mkfifo(fifo)
    out = str(tmp_path / "out")
    args = {"survey": ["make", "--survey", str(fifo), "--org", "region-x", "--out", out],
            "batch": ["batch", str(fifo), "--out", out, "--no-progress"],
            "overview": ["overview", str(fifo), "-o", str(tmp_path / "o.pdf")]}[command]
    one_error_line(run_cli(*args), f"answers{suffix}", "named pipe (FIFO)",
                   "not a regular file", "allowed")
    assert not list(tmp_path.rglob("*.pdf"))


def test_a_device_or_fifo_named_as_a_profile_is_refused(tmp_path):
    device = tmp_path / "zero.yaml"
    device.symlink_to("/dev/zero")  # a read that never ends
    one_error_line(run_cli("validate", "--org", str(device)), "zero.yaml", "a device")
    os.mkfifo(tmp_path / "pipe.yaml")
    one_error_line(run_cli("validate", "--org", str(tmp_path / "pipe.yaml")), "pipe.yaml",
                   "named pipe")


def test_a_fifo_among_a_folders_profiles_fails_its_row_and_the_others_go_on(tmp_path):
    folder = tmp_path / "orgs"
    folder.mkdir()
    shutil.copy(SHIPPED_ORGS / "region-x.yaml", folder)
    os.mkfifo(folder / "stuck.yaml")
    result = run_cli("batch", str(folder), "--out", str(tmp_path / "out"), "--jobs", "1",
                     "--no-progress")
    assert result.exit_code == 1, result.output
    items = manifest_items(tmp_path / "out")
    assert items["region-x.yaml"]["status"] == "ok"
    assert items["stuck.yaml"]["status"] == "failed"
    assert "named pipe" in items["stuck.yaml"]["error"]


# --------------------------------------------------------------------------- dates


def profile_dated(tmp_path: Path, date: str, name: str = "p.yaml") -> Path:
    text = (SHIPPED_ORGS / "region-x.yaml").read_text("utf-8")
    assert "assessed: 2026-10-15" in text
    path = tmp_path / name
    path.write_text(text.replace("assessed: 2026-10-15", f"assessed: {date}"), "utf-8")
    return path


@pytest.mark.parametrize("date", ["0999-10-15", "0001-01-01", "1999-12-31", "2100-01-01"])
@pytest.mark.parametrize("command", ["validate", "make"])
def test_an_assessment_dated_outside_the_allowed_years_is_one_line(tmp_path, date, command):
    profile = profile_dated(tmp_path, date)
    extra = ["--out", str(tmp_path / "out")] if command == "make" else []
    one_error_line(run_cli(command, "--org", str(profile), *extra),
                   "p.yaml:", "assessed", date, "allowed: a date from 2000-01-01 to 2099-12-31")
    assert not (tmp_path / "out").exists()


def test_in_a_batch_a_date_before_1000_fails_its_row_with_the_reason(tmp_path):
    folder = tmp_path / "orgs"
    folder.mkdir()
    shutil.copy(SHIPPED_ORGS / "kommun-y.yaml", folder)
    profile_dated(folder, "0999-10-15", "region-x.yaml")
    result = run_cli("batch", str(folder), "--out", str(tmp_path / "out"), "--jobs", "1",
                     "--no-progress")
    assert result.exit_code == 1, result.output
    items = manifest_items(tmp_path / "out")
    assert items["kommun-y.yaml"]["status"] == "ok"
    bad = items["region-x.yaml"]
    assert bad["status"] == "failed" and "unexpected" not in bad["error"]
    assert "region-x.yaml:" in bad["error"] and "assessed: 0999-10-15" in bad["error"]


def survey_with_dates(tmp_path: Path, old: str, new: str) -> Path:
    text = SURVEY.read_text("utf-8")
    assert old in text
    path = tmp_path / "answers.csv"
    path.write_text(text.replace(old, new), "utf-8")
    return path


@pytest.mark.parametrize("command", ["make", "batch"])
def test_a_survey_answer_dated_before_1000_is_one_line_naming_its_row(tmp_path, command):
    # kommun-a's only respondent: today the briefing fails inside the renderer
    survey = survey_with_dates(tmp_path, ",2026-09-01,", ",0999-09-01,")
    args = (["make", "--survey", str(survey), "--org", "kommun-a"] if command == "make"
            else ["batch", str(survey), "--no-progress"])
    one_error_line(run_cli(*args, "--out", str(tmp_path / "out")),
                   "answers.csv: row 7: date: '0999-09-01'", "allowed: a date from 2000")
    assert not list(tmp_path.glob("out/*.pdf"))
