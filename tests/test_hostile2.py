"""Hostile round two: nothing hangs, nothing escapes OUT, no traceback, no orphan process.

Each test is bounded by pytest-timeout, never by a wall-clock assertion.
"""

from __future__ import annotations

import json
import os
import re
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
from briefgen.errors import InputError, OutputError, printable
from briefgen.options import Options
from briefgen.output import write_atomic
from briefgen.sandbox import Limits, Pool, sensible_jobs, usable_cores

from .conftest import run_cli

run = run_cli  # the checked in-process CLI, under this module's short name

SHIPPED_PROFILE = resources.data_dir() / "orgs" / "region-x.yaml"
pytestmark = pytest.mark.timeout(120)


def one_error_line(result, *expected: str) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.output
    for part in expected:
        assert part in result.output, f"{part!r} not in {result.output!r}"
    return lines[0]


def profile_with(tmp_path: Path, replace: dict[str, str], name: str = "p.yaml") -> Path:
    text = SHIPPED_PROFILE.read_text("utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def profiles(folder: Path, region_x: dict, count: int, **changes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        profile = dict(region_x, id=f"org-{i}", name=f"Org {i}", **changes)
        (folder / f"org-{i}.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True),
                                              "utf-8")
    return folder


# --------------------------------------------------------------------------- parse errors


@pytest.mark.parametrize("date", ["2026-02-30", "2026-13-45"])
@pytest.mark.parametrize("command", ["validate", "make"])
def test_an_impossible_date_is_one_line_with_file_line_and_field(tmp_path, date, command):
    profile = profile_with(tmp_path, {"assessed: 2026-10-15": f"assessed: {date}"})
    extra = ["--out", str(tmp_path / "out")] if command == "make" else []
    line = one_error_line(run(command, "--org", str(profile), *extra),
                          "p.yaml:", "assessed", date, "not a valid date")
    assert "allowed" in line
    assert not (tmp_path / "out").exists()


def test_a_number_of_5000_digits_is_a_field_error_not_a_crash(tmp_path):
    profile = profile_with(tmp_path, {"partnerships: 4": "partnerships: " + "7" * 5000})
    line = one_error_line(run("validate", "--org", str(profile)),
                          "p.yaml:", "capabilities.partnerships", "5,000 digits")
    assert len(line) < 300


def test_a_huge_integer_in_a_text_field_names_the_field(tmp_path):
    profile = profile_with(tmp_path, {"name: Region X": "name: " + "9" * 5000})
    one_error_line(run("validate", "--org", str(profile)), "p.yaml:", ": name: ")


@pytest.mark.parametrize("value", ["99999999999999", "-1", "1e9", "soon", "١٢٣"])
def test_a_bad_source_date_epoch_is_refused(tmp_path, value):
    result = run("make", "--org", "region-x", "--out", str(tmp_path),
                 env={"SOURCE_DATE_EPOCH": value})
    one_error_line(result, "SOURCE_DATE_EPOCH", "allowed")
    assert not list(tmp_path.glob("*.pdf"))
    batch = run("batch", str(resources.data_dir() / "orgs"), "--out", str(tmp_path),
                "--no-progress", env={"SOURCE_DATE_EPOCH": value})
    one_error_line(batch, "SOURCE_DATE_EPOCH")


def test_in_a_batch_a_bad_date_fails_its_row_only(tmp_path, region_x_profile):
    source = profiles(tmp_path / "orgs", region_x_profile, 2)
    bad = source / "org-1.yaml"
    bad.write_text(bad.read_text("utf-8").replace("assessed: 2026-10-15",
                                                  "assessed: 2026-02-30"), "utf-8")
    huge = dict(region_x_profile, id="org-2", name="Org 2")
    (source / "org-2.yaml").write_text(yaml.safe_dump(huge).replace(
        "partnerships: 4", "partnerships: " + "1" * 5000), "utf-8")
    result = run("batch", str(source), "--out", str(tmp_path / "out"), "--jobs", "1",
                 "--no-progress")
    assert result.exit_code == 1, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    status = {i["source"].rsplit("/", 1)[-1]: (i["status"], i["error"])
              for i in manifest["items"]}
    assert status["org-0.yaml"][0] == "ok"
    assert status["org-1.yaml"][0] == "failed" and "assessed" in status["org-1.yaml"][1]
    assert status["org-2.yaml"][0] == "failed" and "5,000 digits" in status["org-2.yaml"][1]


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs (root only): a disk that fills at the first briefing."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode()[:100]}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_names_the_path(full_disk):
    disk = full_disk
    with pytest.raises(OutputError, match=r"big\.pdf: cannot write .*disk is full"):
        write_atomic(disk / "big.pdf", b"x" * 1_000_000)
    assert os.listdir(disk) == []  # no temporary left behind
    result = run("make", "--org", "region-x", "--out", str(disk / "out"))
    assert result.exit_code == 1
    assert "region-x.pdf: cannot write" in result.output and "disk is full" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_control_characters_in_messages_are_shown_escaped(tmp_path):
    sheet = tmp_path / "clients.csv"
    sheet.write_text("id,name\n\x1b[31mevil\x1b[0m\u202e,X\n", "utf-8")
    result = run("batch", str(sheet), "--out", str(tmp_path / "out"), "--jobs", "1",
                 "--no-progress")
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "\\x1b[31mevil" in result.output and "\\u202e" in result.output
    assert printable("a\tb\x00c\nd\x9b") == "a\\tb\\x00c\nd\\x9b"


# --------------------------------------------------------------------------- links and locks


def test_batch_replaces_a_link_at_the_target_instead_of_writing_through(tmp_path,
                                                                         region_x_profile):
    source = profiles(tmp_path / "orgs", region_x_profile, 1)
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", "utf-8")
    (out / "org-0.pdf").symlink_to(victim)
    outside = tmp_path / "elsewhere"
    (out / "manifest.json").symlink_to(outside / "deep" / "manifest.json")  # dangling
    run_batch(source, Options(out=out), BatchOptions(jobs=1))
    assert victim.read_text("utf-8") == "precious"
    assert not (out / "org-0.pdf").is_symlink()
    assert (out / "org-0.pdf").read_bytes().startswith(b"%PDF-")
    assert not (out / "manifest.json").is_symlink()
    assert not outside.exists()


def test_a_dangling_link_at_the_target_creates_nothing_outside(tmp_path, region_x_profile):
    source = profiles(tmp_path / "orgs", region_x_profile, 1)
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "elsewhere"
    (out / "org-0.pdf").symlink_to(outside / "a" / "b" / "org-0.pdf")
    result = run_batch(source, Options(out=out), BatchOptions(jobs=1))
    assert result.exit_code == 0
    assert not outside.exists()
    assert (out / "org-0.pdf").is_file() and not (out / "org-0.pdf").is_symlink()


def test_a_second_batch_into_the_same_folder_exits_2_or_waits(tmp_path, region_x_profile):
    from briefgen.batch.run import batch_lock

    source = profiles(tmp_path / "orgs", region_x_profile, 1)
    out = tmp_path / "out"
    out.mkdir()
    with batch_lock(out):
        line = one_error_line(run("batch", str(source), "--out", str(out), "--no-progress"),
                              "another batch", f"pid {os.getpid()}", "--wait")
        assert str(out) in line
        assert not list(out.glob("*.pdf"))
        waiting: dict[str, object] = {}
        thread = threading.Thread(target=lambda: waiting.update(result=run(
            "batch", str(source), "--out", str(out), "--no-progress", "--wait", "-j", "1")))
        thread.start()
        thread.join(1.0)
        assert thread.is_alive()  # it waits for the lock ...
    thread.join(90)              # ... and runs once the first batch is done
    assert waiting["result"].exit_code == 0, waiting["result"].output
    assert (out / "org-0.pdf").is_file()


# --------------------------------------------------------------------------- limits


def test_a_task_over_its_time_limit_is_stopped_and_the_batch_goes_on(tmp_path,
                                                                    region_x_profile):
    source = profiles(tmp_path / "orgs", region_x_profile, 2)
    result = run_batch(source, Options(out=tmp_path / "out"),
                       BatchOptions(jobs=1, task_timeout=0.3))
    assert [i.status for i in result.items] == ["failed", "failed"]
    assert all("time limit" in i.error and "--task-timeout" in i.error for i in result.items)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    assert {i["status"] for i in manifest["items"]} == {"failed"}


def test_a_task_over_its_memory_limit_is_stopped(tmp_path, region_x_profile):
    source = profiles(tmp_path / "orgs", region_x_profile, 1)
    result = run_batch(source, Options(out=tmp_path / "out"),
                       BatchOptions(jobs=1, task_memory=64))
    (item,) = result.items
    assert item.status == "failed" and "memory limit" in item.error and "64 MB" in item.error


def die_the_first_time(marker: str) -> str:
    """A task whose worker is killed the first time it runs it (SIGKILL, as the OOM killer)."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return f"done by {os.getpid()}"


def die_always(_: str) -> str:
    os.kill(os.getpid(), signal.SIGKILL)
    return "never"


def test_a_dead_worker_is_replaced_and_its_task_retried_once(tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with Pool(die_the_first_time, 1, Limits(60, None), context) as pool:
        results = list(pool.run([str(tmp_path / "a"), str(tmp_path / "b")]))
    assert [(r[1] or "").startswith("done by") for r in results] == [True, True]
    with Pool(die_always, 2, Limits(60, None), context) as pool:
        results = list(pool.run(["x", "y", "z"]))
    assert len(results) == 3  # every task comes back, none is lost
    assert all(r[1] is None and "died twice" in r[2] and "SIGKILL" in r[2] for r in results)


def test_jobs_are_capped_by_the_cores():
    assert sensible_jobs(64, None) == usable_cores()
    assert sensible_jobs(1, None) == 1


def descendants(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def alive(procs: list[psutil.Process]) -> list[str]:
    left = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid} {' '.join(p.cmdline())[:80]}")
        except psutil.NoSuchProcess:
            pass
    return left


def alive_after(procs: list[psutil.Process], seconds: float = 15.0) -> list[str]:
    """Those of ``procs`` still running once all have ended or ``seconds`` have passed."""
    psutil.wait_procs(procs, timeout=seconds)
    return alive(procs)


@pytest.mark.timeout(180)
def test_after_kill_9_of_the_batch_nothing_of_it_remains(tmp_path, region_x_profile):
    source = profiles(tmp_path / "orgs", region_x_profile, 6)
    cmd = [sys.executable, "-c", "from briefgen.cli import main; main()", "batch", str(source),
           "--out", str(tmp_path / "out"), "--jobs", "2", "--no-progress"]
    parent = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc = psutil.Process(parent.pid)
    try:
        while len(descendants(proc)) < 4:  # forkserver, resource tracker, two workers
            assert parent.poll() is None, "the batch ended before it could be killed"
            time.sleep(0.2)
        time.sleep(1.0)
        family = descendants(proc)
    finally:
        parent.send_signal(signal.SIGKILL)  # the parent only, not its process group
        parent.wait()
    assert len(family) >= 4
    assert alive_after(family) == []


# --------------------------------------------------------------------------- logos

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">{}</svg>'


def marker_bomb() -> str:
    """Markers whose paths carry markers, three levels deep: a few KB that draw millions."""
    points = " ".join(f"{i} {i % 7}" for i in range(60))
    defs = "".join(
        f'<marker id="m{level}" markerWidth="9" markerHeight="9">'
        f'<path d="M {points}" marker-mid="url(#m{level + 1})"/></marker>'
        for level in range(3))
    return SVG.format(f'<defs>{defs}<marker id="m3"><circle r="1"/></marker></defs>'
                      f'<path d="M {points}" marker-mid="url(#m0)"/>')


def use_fan_out() -> str:
    levels = ['<g id="l0"><rect width="1" height="1"/></g>']
    for level in range(1, 8):
        levels.append(f'<g id="l{level}">' + "".join(
            f'<use href="#l{level - 1}" x="{i}"/>' for i in range(10)) + "</g>")
    return SVG.format("<defs>" + "".join(levels) + '</defs><use href="#l7"/>')


def logo_profile(tmp_path: Path, svg: str) -> Path:
    (tmp_path / "logo.svg").write_text(svg, "utf-8")
    text = SHIPPED_PROFILE.read_text("utf-8") + "logo: logo.svg\n"
    (tmp_path / "p.yaml").write_text(text, "utf-8")
    return tmp_path / "p.yaml"


@pytest.mark.parametrize("svg, expected", [
    (marker_bomb(), "<marker>"),
    (use_fan_out(), "<use>"),
    (SVG.format('<pattern id="p"><rect width="1" height="1"/></pattern>'), "<pattern>"),
    (SVG.format("<style>@\\69mport url(http://127.0.0.1:9/x.css);</style>"), "<style>"),
    (SVG.format('<rect width="9" height="9" style="fill: \\75rl(http://127.0.0.1:9/)"/>'),
     "not allowed"),
    (SVG.format('<rect width="9" height="9" fill="url(http://127.0.0.1:9/p.svg)"/>'),
     "not allowed"),
    (SVG.format('<rect width="9" height="9" style="background: red"/>'), "style"),
    (SVG.format('<rect width="9" height="9" onload="alert(1)"/>'), "onload"),
    (SVG.format('<filter id="f"><feGaussianBlur stdDeviation="99"/></filter>'), "<filter>"),
])
def test_svg_logos_pass_only_through_the_allowlist(tmp_path, svg, expected):
    profile = logo_profile(tmp_path, svg)
    line = one_error_line(run("make", "--org", str(profile), "--out", str(tmp_path / "out")),
                          "p.yaml: logo:", expected)
    assert "logo" in line
    assert not (tmp_path / "out").exists()


def test_an_editors_svg_is_embedded_cleaned(tmp_path, bg):
    import base64

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" '
           'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
           'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" '
           'width="120" height="40" viewBox="0 0 120 40" inkscape:version="1.3">'
           '<sodipodi:namedview id="nv" pagecolor="#ffffff"/><metadata>x</metadata>'
           '<!-- a comment --><g inkscape:label="Layer 1" class="layer">'
           '<rect width="120" height="40" style="fill:#1f4e79;stroke:none;fill-opacity:1"/>'
           '<text x="10" y="25" font-family="Lato" fill="#fff">Region X</text></g></svg>')
    profile = logo_profile(tmp_path, svg)
    org = bg.load(profile)
    uri = bg.logo(org)
    cleaned = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert "inkscape" not in cleaned and "metadata" not in cleaned and "class" not in cleaned
    assert 'fill="#1f4e79"' in cleaned and "Region X" in cleaned
    data, _ = bg.pdf(profile)
    assert data.startswith(b"%PDF-")


def test_a_huge_logo_is_refused_before_it_is_read(tmp_path, region_x_profile):
    """A 1.5 GB logo (sparse) is neither hashed nor read whole: the row fails, memory stays low."""
    source = profiles(tmp_path / "orgs", region_x_profile, 1, logo="huge.png")
    with (source / "huge.png").open("wb") as fh:
        fh.truncate(1_500_000_000)
    script = ("import resource, sys\n"
              "from briefgen.batch.run import run_batch, BatchOptions\n"
              "from briefgen.options import Options\n"
              f"r = run_batch({str(source)!r}, Options(out={str(tmp_path / 'out')!r}),"
              " BatchOptions(jobs=1))\n"
              "print(r.items[0].status, r.items[0].error)\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    status, peak_kb = done.stdout.strip().splitlines()
    assert status.startswith("failed") and "1,500,000,000 bytes" in status
    assert int(peak_kb) < 500_000, f"the batch process peaked at {int(peak_kb):,} KB"


# --------------------------------------------------------------------------- sheets


def workbook(path: Path, sheet_xml: str, shared_strings: bytes | None = None) -> Path:
    """An XLSX whose first sheet is ``sheet_xml``, with a shared-strings part if given."""
    import zipfile

    from .test_hostile import xlsx

    xlsx(path, sheet_xml)
    if shared_strings is None:
        return path
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    parts["xl/sharedStrings.xml"] = shared_strings
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_a_shared_string_flood_is_refused_before_parsing(tmp_path):
    from briefgen.tabular import MAX_XLSX_PART

    flood = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             + b"<si><t>abcdefghijklmno</t></si>" * (MAX_XLSX_PART // 30 + 10) + b"</sst>")
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>')
    book = workbook(tmp_path / "flood.xlsx", sheet, flood)
    assert book.stat().st_size < 200_000
    one_error_line(run("batch", str(book), "--out", str(tmp_path / "out"), "--no-progress"),
                   "flood.xlsx", "xl/sharedStrings.xml", f"at most {MAX_XLSX_PART:,}")


def test_a_sheet_claiming_a_million_columns_is_read_within_the_column_limit(tmp_path):
    from briefgen.tabular import read_rows

    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<dimension ref="A1:XFD1048576"/><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>'
             + "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>org-{r}</t></is></c>'
                       f'<c r="XFD{r}"><v>1</v></c></row>' for r in range(2, 200))
             + "</sheetData></worksheet>")
    rows = list(read_rows(workbook(tmp_path / "wide.xlsx", sheet)))
    assert len(rows) == 198 and rows[0].data == {"id": "org-2"}


def test_too_many_cells_are_refused_while_streaming(tmp_path):
    from briefgen.tabular import MAX_CELLS, read_rows

    sheet = tmp_path / "cells.csv"
    columns = 400
    with sheet.open("w") as fh:
        fh.write("id," + ",".join(f"c{i}" for i in range(columns)) + "\n")
        fh.writelines(f"org-{i}" + "," * columns + "\n" for i in range(MAX_CELLS // columns + 2))
    with pytest.raises(InputError, match=f"more than {MAX_CELLS:,} cells"):
        for _ in read_rows(sheet):
            pass


@pytest.mark.parametrize("content, expected", [
    ("id,name\n" + "," * 2_000_001 + "\n", "longer than"),
    ('id,name\norg-1,"' + "x\n" * 500 + '"\n', "spans more than"),
])
def test_a_csv_record_is_bounded_before_it_is_built(tmp_path, content, expected):
    sheet = tmp_path / "wide.csv"
    sheet.write_text(content, "utf-8")
    one_error_line(run("batch", str(sheet), "--out", str(tmp_path / "out"), "--no-progress"),
                   "wide.csv line", expected)


# --------------------------------------------------------------------------- names and fonts


def test_characters_no_shipped_font_has_are_refused_by_name(tmp_path):
    profile = profile_with(tmp_path, {"name: Region X": "name: Region 世界 😀"})
    line = one_error_line(run("validate", "--org", str(profile)), "p.yaml:", "name:",
                          "U+4E16", "U+1F600 GRINNING FACE")
    assert "Latin, Greek and Cyrillic" in line


def words_on_page(pdf: Path, page: int) -> tuple[float, list[tuple[str, float, float]]]:
    """The page's width and each word with its left and right edge (pdftotext -bbox)."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf),
                           "-"], capture_output=True, text=True, check=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    words = [(w, float(x0), float(x1)) for x0, x1, w in
             re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" '
                        r'yMax="[\d.]+">([^<]*)</word>', html)]
    return width, words


def test_greek_cyrillic_symbols_and_a_long_unbroken_name_fit_the_cover(tmp_path):
    long_word = "Regionförbundetsdigitaliseringsavdelning" * 4
    name = f"Δήμος Αθηναίων Москва ✓ {long_word}"
    profile = profile_with(tmp_path, {"name: Region X": f"name: {name}"})
    result = run("make", "--org", str(profile), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "out" / "region-x.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout
    assert "Noto-Sans-Symbols-2" in fonts  # the check mark, from the shipped fallback
    width, words = words_on_page(pdf, 1)
    text = "".join(w for w, _, _ in words)
    assert long_word in text and "Αθηναίων" in text and "Москва" in text
    assert all(0 <= x0 and x1 <= width for _, x0, x1 in words), "text runs off the cover"


# --------------------------------------------------------------------------- accessibility


@pytest.fixture(scope="module")
def briefing(tmp_path_factory) -> Path:
    from briefgen.pipeline import Briefgen

    out = tmp_path_factory.mktemp("a11y")
    return Briefgen(Options()).make("region-x", out=out).path


def test_running_heads_footers_and_page_numbers_are_pagination_artifacts(briefing):
    import pikepdf

    with pikepdf.open(briefing) as pdf:
        root = pdf.Root.StructTreeRoot
        reachable: set[tuple[int, int]] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            kids = node.get("/K")
            kids = kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None \
                else []
            for kid in kids:
                if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/OBJR" \
                        and kid.objgen not in reachable:
                    reachable.add(kid.objgen)
                    stack.append(kid)
        elements = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary)
                    and o.get("/Type") == "/StructElem"]
        orphans = [(str(o.get("/S")), o.objgen) for o in elements if o.objgen not in reachable]
        assert orphans == []  # no /Span under a /NonStruct that hangs nowhere
        for number, page in enumerate(pdf.pages[1:], start=2):
            content = b"".join(c.read_bytes() for c in (
                page.obj.Contents if isinstance(page.obj.Contents, pikepdf.Array)
                else [page.obj.Contents]))
            headers = re.findall(rb"/Artifact\s*<<\s*/Type /Pagination\s*/Subtype /Header", content)
            footers = re.findall(rb"/Artifact\s*<<\s*/Type /Pagination\s*/Subtype /Footer", content)
            assert headers and len(footers) == 2, f"page {number}"  # "briefgen" and "Sida N av M"


def test_links_have_the_print_flag(briefing):
    import pikepdf

    with pikepdf.open(briefing) as pdf:
        links = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary)
                 and o.get("/Subtype") == "/Link"]
        assert links and all(int(link.get("/F", 0)) & 4 for link in links)


def test_the_pdfua_checker_finds_nothing(briefing):
    done = subprocess.run([sys.executable, "-m", "pdfua", "check", "--format", "json",
                           str(briefing)], capture_output=True, text=True)
    if done.returncode == 4 or "No module named" in done.stderr:
        pytest.fail(f"pdfua could not run: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stdout[-2000:]


# Findings of outloud 0.2.1 judged false positives (docs/accessibility.md says why).
OUTLOUD_JUDGED = {
    "TBL-010": "tables whose first column is row headers (one header row)",
    "PAG-001": "the capability pages' kicker, 'Förmåga N av 7 ...', is content",
    "ORD-001": "outside list markers are painted after their item's text",
}


def test_the_outloud_checker_finds_only_what_is_judged_false(briefing):
    outloud = Path(sys.executable).with_name("outloud")  # its console script, no __main__
    done = subprocess.run([str(outloud), "--json", "-", "--fail-on", "never", str(briefing)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-500:]
    (result,) = json.loads(done.stdout)["results"]
    findings = result["findings"]
    unexpected = [f for f in findings if f["rule"] not in OUTLOUD_JUDGED]
    assert unexpected == []
    for finding in findings:
        if finding["rule"] == "TBL-010":  # a header row + n row headers against n data cells
            header, data = map(int, re.findall(r"\d+", finding["message"]))
            assert header == data + 2, finding
        if finding["rule"] == "PAG-001":  # never the running heads or page numbers
            assert "Sida" not in finding["evidence"] and "briefgen" not in finding["evidence"]
            assert "Region X" not in finding["evidence"]


@pytest.mark.timeout(240)
def test_on_dask_a_task_over_its_limit_fails_and_the_batch_goes_on(tmp_path, region_x_profile):
    distributed = pytest.importorskip("distributed")
    source = profiles(tmp_path / "orgs", region_x_profile, 2)
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        slow = run_batch(source, Options(out=tmp_path / "slow"),
                         BatchOptions(scheduler=cluster.scheduler_address, task_timeout=0.3))
        fine = run_batch(source, Options(out=tmp_path / "fine"),
                         BatchOptions(scheduler=cluster.scheduler_address))
    assert [i.status for i in slow.items] == ["failed", "failed"]
    assert all("time limit" in i.error for i in slow.items)
    assert [i.status for i in fine.items] == ["ok", "ok"]


def sleep_forever(_: object) -> None:
    """A task that never ends, as a render stuck in a bomb would."""
    while True:
        time.sleep(1)


@pytest.mark.timeout(120)
def test_busy_workers_and_the_forkserver_die_with_a_killed_parent(tmp_path):
    """Workers stuck in a task cannot notice a closed pipe: the lifeline must end them."""
    script = ("import sys\n"
              f"sys.path.insert(0, {str(Path(__file__).parent.parent)!r})\n"
              "from briefgen.batch.runner import _mp_context\n"
              "from briefgen.sandbox import Limits, Pool\n"
              "from tests.test_hostile2 import sleep_forever\n"
              "with Pool(sleep_forever, 2, Limits(None, None), _mp_context()) as pool:\n"
              "    list(pool.run([1, 2, 3]))\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    proc = psutil.Process(parent.pid)
    try:
        while len(descendants(proc)) < 4:  # forkserver, resource tracker, two workers
            assert parent.poll() is None, "the pool ended before it could be killed"
            time.sleep(0.2)
        time.sleep(1.0)  # the workers are inside their endless task
        family = descendants(proc)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    assert alive_after(family) == []


@pytest.mark.timeout(180)
def test_a_worker_killed_mid_batch_has_its_briefing_retried(tmp_path, region_x_profile):
    source = profiles(tmp_path / "orgs", region_x_profile, 3)
    outcome: dict[str, object] = {}
    thread = threading.Thread(target=lambda: outcome.update(result=run_batch(
        source, Options(out=tmp_path / "out"), BatchOptions(jobs=1))))
    me = psutil.Process()
    before = {p.pid for p in descendants(me)}
    thread.start()
    killed = None
    while killed is None and thread.is_alive():
        for proc in descendants(me):
            # the worker: a forkserver child started by this batch
            if proc.pid not in before and "forkserver" in " ".join(proc.cmdline()) \
                    and proc.ppid() != me.pid:
                time.sleep(0.5)  # inside its first render
                proc.kill()
                killed = proc.pid
                break
        time.sleep(0.05)
    thread.join(150)
    assert killed is not None, "the batch ended before a worker could be killed"
    result = outcome["result"]
    assert [i.status for i in result.items] == ["ok", "ok", "ok"], \
        [(i.status, i.error) for i in result.items]


def test_a_batch_into_a_full_disk_fails_each_row_with_the_path_and_no_traceback(full_disk):
    disk = full_disk
    done = subprocess.run([sys.executable, "-c", "from briefgen.cli import main; main()",
                           "batch", str(resources.data_dir() / "orgs"), "--out", str(disk),
                           "--jobs", "1", "--no-progress"], capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    failed = [line for line in done.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 3 and all("cannot write" in line and str(disk) in line
                                    for line in failed)
