"""Hostile round three (issue 22), the inputs: non-regular files, dates before the year 1000,
``previous:`` and a workspace's earlier profiles, templates, SVG logos WeasyPrint would drop.

Each case ends in one line naming the file (and line or field) with exit code 2, or a failed row
with its reason inside a batch; never a hang (pytest-timeout bounds each test), a traceback, a
read outside the named folders or a part of the briefing silently dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from briefgen import resources

from .conftest import pdf_text, run_cli

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
    os.mkfifo(tmp_path / "logo.png")
    profile = (SHIPPED_ORGS / "region-x.yaml").read_text("utf-8") + "logo: logo.png\n"
    (tmp_path / "p.yaml").write_text(profile, "utf-8")
    one_error_line(run_cli("make", "--org", str(tmp_path / "p.yaml"), "--out",
                           str(tmp_path / "out")), "p.yaml: logo: logo.png: is a named pipe")


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


# --------------------------------------------------------------------------- previous: and history


def region_x() -> dict:
    return yaml.safe_load((SHIPPED_ORGS / "region-x.yaml").read_text("utf-8"))


def write(folder: Path, file: str, **changes) -> Path:
    """The shipped region-x profile with ``changes``, as ``folder/file``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file
    path.write_text(yaml.safe_dump(dict(region_x(), **changes), allow_unicode=True,
                                   sort_keys=False), "utf-8")
    return path


ALLOWED_PREVIOUS = "allowed: an earlier profile of region-x in the same folder"


def test_a_profile_naming_itself_as_previous_is_refused(tmp_path):
    profile = write(tmp_path, "p.yaml", previous="p.yaml")
    one_error_line(run_cli("validate", "--org", str(profile)),
                   "p.yaml:", "previous: 'p.yaml' names this profile itself", ALLOWED_PREVIOUS)


def test_a_later_assessment_as_previous_is_refused(tmp_path):
    write(tmp_path, "later.yaml", assessed=dt.date(2030, 1, 1))
    profile = write(tmp_path, "p.yaml", assessed=dt.date(2020, 1, 1), previous="later.yaml")
    one_error_line(run_cli("validate", "--org", str(profile)),
                   "p.yaml:", "previous: 'later.yaml' was assessed 2030-01-01, not before this "
                   "profile (2020-01-01)", ALLOWED_PREVIOUS)
    write(tmp_path, "same-day.yaml")
    profile = write(tmp_path, "p.yaml", previous="same-day.yaml")
    one_error_line(run_cli("validate", "--org", str(profile)), "was assessed 2026-10-15, not "
                   "before this profile (2026-10-15)")


def test_another_organisations_profile_as_previous_is_refused(tmp_path):
    shutil.copy(SHIPPED_ORGS / "kommun-y.yaml", tmp_path / "other.yaml")
    profile = write(tmp_path, "p.yaml", previous="other.yaml")
    one_error_line(run_cli("make", "--org", str(profile), "--out", str(tmp_path / "out")),
                   "p.yaml:", "previous: 'other.yaml' is an assessment of 'kommun-y', not of "
                   "'region-x'", ALLOWED_PREVIOUS)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("length", [2, 3])
def test_profiles_naming_each_other_in_a_loop_are_refused(tmp_path, length):
    names = [f"r{i}.yaml" for i in range(length)]   # r0 (latest) -> r1 -> ... -> r0
    for i, name in enumerate(names):
        write(tmp_path, name, assessed=dt.date(2026 - i, 10, 15),
              previous=names[(i + 1) % length])
    loop = " -> ".join([*names, names[0]])
    line = one_error_line(run_cli("validate", "--org", str(tmp_path / "r0.yaml")),
                          f"{names[-1]}:", f"previous: 'r0.yaml' closes a loop ({loop})",
                          "that names none of the later ones")
    assert line.count("Error") == 1


def test_in_a_batch_a_bad_previous_fails_its_row_and_the_others_go_on(tmp_path):
    folder = tmp_path / "orgs"
    write(folder, "region-x.yaml", previous="region-x.yaml")
    shutil.copy(SHIPPED_ORGS / "kommun-y.yaml", folder)
    result = run_cli("batch", str(folder), "--out", str(tmp_path / "out"), "--jobs", "1",
                     "--no-progress")
    assert result.exit_code == 1, result.output
    items = manifest_items(tmp_path / "out")
    assert items["kommun-y.yaml"]["status"] == "ok"
    assert items["region-x.yaml"]["status"] == "failed"
    assert "names this profile itself" in items["region-x.yaml"]["error"]


def test_a_sheet_rows_previous_is_checked_and_shown_not_dropped(tmp_path):
    write(tmp_path, "region-x-2025.yaml", assessed=dt.date(2025, 10, 1))
    shutil.copy(SHIPPED_ORGS / "kommun-y.yaml", tmp_path / "kommun-y-2025.yaml")
    sheet = tmp_path / "clients.csv"
    base = "id,name,level,assessed,importance,impact.optimise_tasks,impact.change_division_of_work"
    profile = region_x()
    flat = {"impact": profile["impact"], "effects": profile["effects"],
            "capabilities": {k: v for k, v in profile["capabilities"].items()
                             if not isinstance(v, dict)}}
    columns = [f"{section}.{key}" for section, values in flat.items() for key in values
               if f"{section}.{key}" not in base]
    composite = {f"capabilities.{k}.{q}": a for k, v in profile["capabilities"].items()
                 if isinstance(v, dict) for q, a in v.items()}
    header = [*base.split(","), *columns, *composite, "previous"]

    def row(org_id: str, previous: str) -> list[str]:
        values = {"id": org_id, "name": org_id.upper(), "level": "regional",
                  "assessed": "2026-10-15", "importance": "top3", "previous": previous,
                  **{f"{s}.{k}": v for s, values in flat.items() for k, v in values.items()},
                  **composite}
        return [str(values[c]) for c in header]

    sheet.write_text("\n".join(",".join(r) for r in [
        header, row("region-x", "region-x-2025.yaml"), row("other-x", "kommun-y-2025.yaml")]),
        "utf-8")
    result = run_cli("batch", str(sheet), "--out", str(tmp_path / "out"), "--jobs", "1",
                     "--no-progress")
    assert result.exit_code == 1, result.output
    items = {i["id"]: i for i in json.loads(
        (tmp_path / "out" / "manifest.json").read_text("utf-8"))["items"]}
    assert items["other-x"]["status"] == "failed"
    assert "clients.csv row 3: previous: 'kommun-y-2025.yaml' is an assessment of " \
        "'kommun-y'" in items["other-x"]["error"]
    assert items["region-x"]["status"] == "ok"
    assert "Förändring sedan förra skattningen" in pdf_text(tmp_path / "out" / "region-x.pdf")


@pytest.fixture
def mellanby(tmp_path, monkeypatch) -> Path:
    """A workspace holding Mellanby kommun's 2026 profile and, beside it, its 2025 one."""
    monkeypatch.chdir(tmp_path)
    assert run_cli("init", "ws").exit_code == 0
    orgs = tmp_path / "ws" / "orgs"
    common = {"id": "mellanby-kommun", "name": "Mellanby kommun", "level": "municipal"}
    write(orgs, "mellanby-kommun-2025.yaml", **common, assessed=dt.date(2025, 10, 1),
          capabilities=dict(region_x()["capabilities"], partnerships=2))
    write(orgs, "mellanby-kommun.yaml", **common, assessed=dt.date(2026, 10, 15),
          previous="mellanby-kommun-2025.yaml")
    monkeypatch.chdir(tmp_path / "ws")
    return tmp_path / "ws"


def test_a_workspace_lists_an_earlier_profile_as_history(mellanby):
    result = run_cli("list")
    assert result.exit_code == 0 and "invalid" not in result.output, result.output
    lines = result.output.splitlines()
    current = next(i for i, line in enumerate(lines) if "Mellanby kommun" in line)
    assert lines[current].split()[:2] == ["mellanby-kommun", "municipal"]
    assert lines[current + 1].split() == ["earlier", "2025-10-01", "mellanby-kommun-2025.yaml"]
    assert run_cli("validate", "--org", "mellanby-kommun").output.startswith(
        "orgs/mellanby-kommun.yaml: ok")


def test_a_workspaces_batch_briefs_the_current_profile_with_its_history(mellanby):
    (mellanby / "orgs" / "region-x.yaml").unlink()  # one briefing to render is enough
    result = run_cli("batch", "orgs", "--out", "out", "--jobs", "1", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "1 earlier assessment(s) kept as history" in result.output
    items = manifest_items(mellanby / "out")
    assert items["mellanby-kommun.yaml"]["status"] == "ok"
    earlier = items["mellanby-kommun-2025.yaml"]
    assert earlier["status"] == "history" and earlier["file"] == ""
    assert "its current profile is orgs/mellanby-kommun.yaml (2026-10-15)" in earlier["error"]
    text = pdf_text(mellanby / "out" / "mellanby-kommun.pdf")
    assert "Mellanby kommun: 1 oktober 2025 jämfört med 15 oktober 2026" in text
    assert [p.name for p in (mellanby / "out").glob("*.pdf")] == ["mellanby-kommun.pdf"]


def test_the_latest_assessment_is_current_whatever_its_file_is_called(mellanby):
    write(mellanby / "orgs", "mellanby-kommun-2027.yaml", id="mellanby-kommun",
          name="Mellanby kommun 2027", level="municipal", assessed=dt.date(2027, 3, 1),
          previous="mellanby-kommun.yaml")
    assert "Mellanby kommun 2027" in run_cli("validate", "--org", "mellanby-kommun").output
    one_error_line(run_cli("validate", "--org", "mellanby-kommun-2025"),
                   "'mellanby-kommun-2025' is an earlier assessment of mellanby-kommun",
                   "--org mellanby-kommun briefs its current profile")
    write(mellanby / "orgs", "mellanby-kommun-kopia.yaml", id="mellanby-kommun",
          name="Mellanby kommun", level="municipal", assessed=dt.date(2027, 3, 1))
    one_error_line(run_cli("validate", "--org", "mellanby-kommun"),
                   "assessed: 2027-03-01 is also the date of", "one profile per organisation "
                   "and date")


def test_when_which_profile_is_current_cannot_be_told_none_is_briefed(mellanby):
    current = mellanby / "orgs" / "mellanby-kommun.yaml"
    current.write_text(current.read_text("utf-8").replace("assessed: 2026-10-15",
                                                          "assessed: soon"), "utf-8")
    one_error_line(run_cli("validate", "--org", "mellanby-kommun"),
                   "orgs/mellanby-kommun.yaml:", "assessed: missing or not a date, so it cannot "
                   "be told whether this is the latest assessment of mellanby-kommun")
    (mellanby / "orgs" / "region-x.yaml").unlink()
    result = run_cli("batch", "orgs", "--out", "out", "--jobs", "1", "--no-progress")
    assert result.exit_code == 1, result.output
    items = manifest_items(mellanby / "out")
    assert items["mellanby-kommun.yaml"]["status"] == "failed"
    assert "assessed" in items["mellanby-kommun.yaml"]["error"]
    earlier = items["mellanby-kommun-2025.yaml"]
    assert earlier["status"] == "failed" and "which of them is the current one cannot be told" \
        in earlier["error"]
    assert not list((mellanby / "out").glob("*.pdf"))


def test_when_the_current_profile_is_broken_its_history_is_not_briefed_instead(mellanby):
    current = mellanby / "orgs" / "mellanby-kommun.yaml"
    current.write_text(current.read_text("utf-8").replace("partnerships: 4",
                                                          "partnerships: 9"), "utf-8")
    result = run_cli("batch", "orgs", "--out", "out", "--jobs", "1", "--no-progress")
    assert result.exit_code == 1, result.output
    items = manifest_items(mellanby / "out")
    assert items["mellanby-kommun.yaml"]["status"] == "failed"
    assert items["mellanby-kommun-2025.yaml"]["status"] == "history"
    assert not (mellanby / "out" / "mellanby-kommun.pdf").exists()


# --------------------------------------------------------------------------- templates


def hostile_templates(tmp_path: Path, payload: str) -> Path:
    """A firm's templates folder whose cover runs ``payload`` (``OUTSIDE`` is a folder beside
    the output, where nothing may appear)."""
    folder = tmp_path / "templates"
    folder.mkdir()
    payload = payload.replace("OUTSIDE", str(tmp_path / "outside"))
    (folder / "_cover.html").write_text(f'<section class="cover">\n<p>COVER {payload}</p>\n'
                                        "</section>\n", "utf-8")
    (tmp_path / "outside").mkdir()
    return folder


TEMPLATE_PAYLOADS = {
    "shell": "{{ cycler.__init__.__globals__.os.popen('touch OUTSIDE/by-shell').read() }}",
    "write": "{{ lipsum.__globals__['__builtins__']['open']('OUTSIDE/written', 'w')"
             ".write('x') }}",
    "read": "{{ lipsum.__globals__['__builtins__']['open']('/etc/hostname').read() }}",
    "mro": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "format": "{{ '{0.__class__.__init__.__globals__}'.format(t) }}",
    "data": "{{ t.framework.model_copy.__globals__ }}",
}


@pytest.mark.parametrize("payload", TEMPLATE_PAYLOADS)
def test_a_template_cannot_reach_python_files_or_commands(tmp_path, payload):
    templates = hostile_templates(tmp_path, TEMPLATE_PAYLOADS[payload])
    result = run_cli("make", "--org", "region-x", "--templates", str(templates),
                     "--out", str(tmp_path / "out"))
    one_error_line(result, "templates/_cover.html:2: refused:", "is unsafe",
                   "allowed: a template may use the briefing's data")
    assert list((tmp_path / "outside").iterdir()) == []
    assert not (tmp_path / "out").exists()


def test_in_a_batch_a_hostile_template_fails_each_row_and_runs_nothing(tmp_path):
    templates = hostile_templates(tmp_path, TEMPLATE_PAYLOADS["shell"])
    result = run_cli("batch", str(SHIPPED_ORGS), "--templates", str(templates), "--out",
                     str(tmp_path / "out"), "--jobs", "1", "--no-progress")
    assert result.exit_code == 1, result.output
    items = manifest_items(tmp_path / "out")
    assert {i["status"] for i in items.values()} == {"failed"}
    assert all("_cover.html:2: refused" in i["error"] for i in items.values())
    assert list((tmp_path / "outside").iterdir()) == []


@pytest.mark.parametrize(("kind", "expected"), [
    ("link", "a link out of the templates folder"), ("fifo", "named pipe"),
    ("huge", "the file is 2,000,001 bytes; at most 1,000,000 allowed")])
def test_a_template_that_is_a_link_out_a_fifo_or_huge_is_refused(tmp_path, kind, expected):
    folder = tmp_path / "templates"
    folder.mkdir()
    if kind == "link":
        (folder / "_method.html").symlink_to("/etc/hostname")
    elif kind == "fifo":
        os.mkfifo(folder / "_method.html")
    else:
        (folder / "_method.html").write_text("x" * 2_000_001, "utf-8")
    result = run_cli("make", "--org", "region-x", "--templates", str(folder),
                     "--out", str(tmp_path / "out"))
    one_error_line(result, "--templates:", "_method.html", expected)
    assert not (tmp_path / "out").exists()


def test_a_template_reaches_no_attribute_of_objects_outside_the_briefings_data(tmp_path):
    """Only briefgen's own types, plain values and dates: a Path that found its way into the
    context (through the Python API) cannot be read or written from a template."""
    from briefgen.errors import InputError
    from briefgen.render import Renderer

    (tmp_path / "briefing.html").write_text("{{ secret.read_text() }}", "utf-8")
    renderer = Renderer(tmp_path)
    with pytest.raises(InputError, match="briefing.html:1: refused: access to attribute "
                       "'read_text' of 'PosixPath' object is unsafe"):
        renderer.html({"secret": Path("/etc/hostname")})
    (tmp_path / "briefing.html").write_text("{{ items.append(1) }}{{ items }}", "utf-8")
    with pytest.raises(InputError, match="refused: .*append"):  # the shared data stays as is
        renderer.html({"items": []})


# --------------------------------------------------------------------------- SVG logos


SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40" width="100" height="40">'
CLIP_LOOPS = {
    "two": '<defs><clipPath id="a" clip-path="url(#b)"><rect width="90" height="30"/></clipPath>'
           '<clipPath id="b" clip-path="url(#a)"><rect width="50" height="30"/></clipPath></defs>'
           '<rect width="100" height="40" fill="#1F4E79" clip-path="url(#a)"/>',
    "self": '<defs><clipPath id="a"><rect width="90" height="30" clip-path="url(#a)"/>'
            '</clipPath></defs><rect width="100" height="40" fill="#1F4E79" clip-path="url(#a)"/>',
}


def with_logo(tmp_path: Path, svg_body: str) -> Path:
    (tmp_path / "logo.svg").write_text(f"{SVG_HEAD}{svg_body}</svg>", "utf-8")
    return write(tmp_path, "p.yaml", logo="logo.svg")


@pytest.mark.parametrize("loop", CLIP_LOOPS)
def test_an_svg_logo_with_a_clip_path_loop_is_refused_not_left_out(tmp_path, loop):
    profile = with_logo(tmp_path, CLIP_LOOPS[loop])
    loop_text = "a -> b -> a" if loop == "two" else "a -> a"
    one_error_line(run_cli("make", "--org", str(profile), "--out", str(tmp_path / "out")),
                   "p.yaml: logo: logo.svg has clip paths that clip themselves", loop_text)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("reference", ['clip-path="url(#nowhere)"', 'fill="url(#shape)"'])
def test_an_svg_logo_referring_to_nothing_drawable_is_refused(tmp_path, reference):
    profile = with_logo(tmp_path, f'<rect id="shape" width="9" height="9"/>'
                                  f'<rect width="100" height="40" {reference}/>')
    one_error_line(run_cli("make", "--org", str(profile), "--out", str(tmp_path / "out")),
                   "p.yaml: logo: logo.svg has", "which names no", "defined in it")


@pytest.mark.parametrize("size", ["99999999999", "3000000", "-5", "1e6em", "big"])
def test_an_svg_logo_with_an_impossible_font_size_is_refused_before_pango_sees_it(
        tmp_path, capfd, size):
    profile = with_logo(tmp_path, f'<text x="5" y="30" font-size="{size}">LOGO</text>')
    result = run_cli("make", "--org", str(profile), "--out", str(tmp_path / "out"))
    one_error_line(result, f'logo.svg has font-size="{size}"', "up to 10,000 px")
    assert "CRITICAL" not in capfd.readouterr().err


def test_an_svg_the_renderer_cannot_draw_fails_the_briefing_instead_of_vanishing(tmp_path):
    """A firm's template embedding an SVG past the logo's checks: the PDF is not written
    without it."""
    import base64

    svg = f"{SVG_HEAD}{CLIP_LOOPS['two']}</svg>".encode()
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "_cover.html").write_text(
        '<section class="cover"><img alt="Byråns märke" src="data:image/svg+xml;base64,'
        f'{base64.b64encode(svg).decode()}"></section>', "utf-8")
    result = run_cli("make", "--org", "region-x", "--templates", str(folder),
                     "--out", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: an SVG image of the briefing (its logo or a chart) "
                                    "could not be drawn (RecursionError")
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_in_a_batch_a_template_folder_problem_fails_each_row_with_its_reason(tmp_path):
    """Met while a worker sets up its renderer: told per row, not as a worker that died."""
    folder = tmp_path / "templates"
    folder.mkdir()
    os.mkfifo(folder / "briefing.css")
    result = run_cli("batch", str(SHIPPED_ORGS), "--templates", str(folder), "--out",
                     str(tmp_path / "out"), "--jobs", "1", "--no-progress")
    assert result.exit_code == 1, result.output
    errors = [i["error"] for i in manifest_items(tmp_path / "out").values()]
    assert len(errors) == 3 and all("briefing.css: is a named pipe (FIFO)" in e
                                    for e in errors), errors
