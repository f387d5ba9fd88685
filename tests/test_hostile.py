"""Hostile input through ``make`` (the CLI and the Python API): a clear error or a harmless
literal rendering, nothing read outside the allowed folders, no hang and no traceback."""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import zlib
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from weasyprint.urls import FatalURLFetchingError

from briefgen import resources
from briefgen.cli import cli
from briefgen.errors import InputError, RenderError
from briefgen.load import validate_profile
from briefgen.options import Options
from briefgen.pipeline import Briefgen
from briefgen.render import Renderer, SafeFetcher

from .conftest import pdf_text, run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "hostile"
SHIPPED_PROFILE = resources.data_dir() / "orgs" / "region-x.yaml"
# Every case is bounded by pytest-timeout, not by a wall-clock assertion: the machine may be
# shared and slow, but a hang still fails.
pytestmark = pytest.mark.timeout(120)
PASSWD = Path("/etc/passwd")
# A line of /etc/passwd that must never reach a PDF (every Linux has a root entry).
SECRET = b"root:x:0:0"

PAYLOADS = [
    '<img src="file:///etc/passwd">',
    '<link rel="attachment" href="file:///etc/passwd">',
    "<style>@import url(http://127.0.0.1:9/)</style>",
    "{{ 7*7 }}",
    "{{ ''.__class__ }}",
]


# --------------------------------------------------------------------------- helpers


def make(*args: str):
    """Run ``briefgen make`` in-process, checked for a traceback."""
    return run_cli("make", *args)


def refused(result, *expected: str) -> str:
    """Check ``make`` failed with one clear line naming each of ``expected``; return it."""
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert message.startswith("Error: "), message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    return message


def profile_with(tmp_path: Path, replace: dict[str, str] | None = None,
                 extra: str = "", name: str = "p.yaml") -> Path:
    """The shipped region-x profile with some text replaced and lines added, in ``tmp_path``."""
    text = SHIPPED_PROFILE.read_text("utf-8")
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text + extra, "utf-8")
    return path


def all_bytes(pdf_data: bytes) -> bytes:
    """The PDF's bytes with every stream decompressed, attachments included."""
    parts = [pdf_data]
    with pikepdf.open(io.BytesIO(pdf_data)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    parts.append(obj.read_bytes())
                except pikepdf.PdfError:
                    parts.append(obj.read_raw_bytes())
    return b"\n".join(parts)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def no_leak(pdf_data: bytes) -> None:
    assert SECRET not in all_bytes(pdf_data)


def png(width: int, height: int) -> bytes:
    """A tiny, valid PNG header claiming ``width`` x ``height`` pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def archiving() -> Briefgen:
    """One PDF/A-3b builder for the module: its attachments are searched for leaks too."""
    return Briefgen(Options(pdf_variant="pdf/a-3b"))


# --------------------------------------------------------------------------- text fields


def test_markup_and_template_syntax_in_the_data_is_shown_literally(archiving, region_x_profile):
    """Every payload in one name (one PDF/A-3b render): each shows as written, none is run,
    fetched or attached."""
    name = " | ".join(PAYLOADS)
    org = validate_profile(dict(region_x_profile, name=name), archiving.bundle, "api")
    archiving.renderer.fetcher.refused.clear()
    data, _ = archiving.pdf(org)
    text = flat(pdf_text(data))
    for payload in PAYLOADS:
        assert payload in text
    assert "49" not in text.split("{{ 7*7 }}")[0][-60:] and "<class" not in text
    assert archiving.renderer.fetcher.refused == []
    no_leak(data)


def test_markup_through_the_cli_is_shown_literally(tmp_path):
    name = " ".join(PAYLOADS)
    assert len(name) <= 200
    profile = profile_with(tmp_path, {"name: Region X": f"name: {json.dumps(name)}"})
    result = make("--org", str(profile), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    data = (tmp_path / "out" / "region-x.pdf").read_bytes()
    assert name in flat(pdf_text(data))
    no_leak(data)


# --------------------------------------------------------------------------- ids and paths


@pytest.mark.parametrize("spec", ["../../etc/passwd", "../region-x", "..", "region-x/../../x"])
def test_org_ids_with_parent_folders_are_refused(tmp_path, spec):
    message = refused(make("--org", spec, "--out", str(tmp_path)))
    assert "--org" in message
    assert not any(tmp_path.iterdir())


def test_a_profile_id_with_parent_folders_is_refused(tmp_path):
    profile = profile_with(tmp_path, {"id: region-x": "id: ../../tmp/evil"})
    refused(make("--org", str(profile), "--out", str(tmp_path / "out")),
            "p.yaml:", "id:", "not a valid id")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("previous", ["/etc/passwd", "../../../../etc/passwd.yaml",
                                      "http://127.0.0.1:9/p.yaml", "notes.txt"])
def test_previous_profile_outside_the_folder_is_refused(tmp_path, previous):
    profile = profile_with(tmp_path, extra=f"previous: '{previous}'\n")
    message = refused(make("--org", str(profile), "--out", str(tmp_path / "out")),
                      "previous:", "same folder")
    assert "root:" not in message


def test_a_user_template_cannot_read_files_outside_the_allowed_folders(tmp_path):
    bg = Briefgen(Options(templates=FIXTURES / "templates"))
    data, _ = bg.pdf("region-x")
    assert "HOSTILE COVER Region X" in pdf_text(data)
    assert set(bg.renderer.fetcher.refused) <= {"file:///etc/passwd"}
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.attachments) == 0
    no_leak(data)


def test_a_user_template_cannot_include_files_outside_its_folder(tmp_path):
    (tmp_path / "_cover.html").write_text('{% include "../../../../etc/passwd" %}')
    with pytest.raises(RenderError, match="template error"):
        Briefgen(Options(templates=tmp_path)).pdf("region-x")
    (tmp_path / "_cover.html").write_text('{% include "/etc/passwd" %}')
    result = make("--org", "region-x", "--templates", str(tmp_path), "--out", str(tmp_path))
    assert result.exit_code == 1 and result.output.startswith("Error: template error")
    assert "root:" not in result.output


class FatalFetcher(SafeFetcher):
    """A fetcher that stops the whole rendering on a refused URL, as WeasyPrint allows."""

    def fetch(self, url, headers=None):
        try:
            return super().fetch(url, headers)
        except ValueError as exc:
            raise FatalURLFetchingError(str(exc)) from None


def fatal_fetching(options: Options) -> Briefgen:
    """A Briefgen with a renderer of its own whose fetcher is fatal: the process's shared
    renderer, which later tests use, is left as it was."""
    renderer = Renderer(options.templates)
    renderer.fetcher = FatalFetcher([resources.templates_dir(), resources.fonts_dir()])
    return Briefgen(options, renderer=renderer)


def test_a_fatal_fetch_error_becomes_a_render_error_not_a_crash():
    bg = fatal_fetching(Options(templates=FIXTURES / "templates"))
    with pytest.raises(RenderError, match="could not fetch an asset"):
        bg.pdf("region-x")


def test_the_renderer_survives_a_fatal_fetch_error_for_the_next_briefing():
    bg = fatal_fetching(Options())
    analysis, matches, advice = bg.advised("region-x")
    html = bg.html(analysis, matches, advice).replace(
        "<main>", '<main><img src="file:///etc/passwd" alt="x">', 1)
    with pytest.raises(RenderError, match="could not fetch an asset"):
        bg.renderer.pdf(html, bg.meta(analysis))
    data, _ = bg.pdf("kommun-y")  # the same renderer, the next item of a batch
    assert data.startswith(b"%PDF") and "Ytterby" in pdf_text(data)
    no_leak(data)


# --------------------------------------------------------------------------- YAML


@pytest.mark.parametrize("fixture, expected", [
    ("python-tag.yaml", "YAML tags such as"),
    ("billion-laughs.yaml", "aliases"),
    ("duplicate-keys.yaml", "duplicate key 'name'"),
])
def test_hostile_yaml_is_refused_with_its_line(tmp_path, fixture, expected):
    message = refused(make("--org", str(FIXTURES / fixture), "--out", str(tmp_path)),
                      fixture, expected)
    assert re.search(rf"{re.escape(fixture)}:\d+: ", message)
    assert not Path("/tmp/briefgen-pwned").exists()


@pytest.mark.parametrize("value, expected", [
    ("1.0e+400", "not a number from 1 to 5"),         # YAML reads it as inf
    ("1" + "0" * 400, "far too large"),               # an int literal of 10**400
    ("-" + "9" * 400, "far too large"),
    ("1e400", "not a number"),                        # YAML 1.1 reads this as a string
    (".nan", "not a number from 1 to 5"),
    (".inf", "not a number from 1 to 5"),
    ("-.inf", "not a number from 1 to 5"),
])
def test_huge_numbers_nan_and_inf_are_refused(tmp_path, value, expected):
    profile = profile_with(tmp_path, {"partnerships: 4": f"partnerships: {value}"})
    message = refused(make("--org", str(profile), "--out", str(tmp_path / "out")),
                      "p.yaml:", "capabilities.partnerships", expected)
    assert len(message) < 300


def test_huge_numbers_in_sub_questions_and_impact_are_refused(tmp_path):
    profile = profile_with(tmp_path, {"collect_store: 3": "collect_store: " + "7" * 500,
                                      "optimise_tasks: 4": "optimise_tasks: .nan"})
    refused(make("--org", str(profile), "--out", str(tmp_path / "out")), "2 problems",
            "capabilities.data_access_security.collect_store", "impact.optimise_tasks")


# --------------------------------------------------------------------------- logos


def logo_profile(tmp_path: Path, logo: str) -> Path:
    return profile_with(tmp_path, extra=f"logo: '{logo}'\n")


def test_a_logo_is_embedded_on_the_cover_with_alt_text(tmp_path, archiving):
    from PIL import Image

    Image.new("RGB", (240, 80), (31, 78, 121)).save(tmp_path / "logo.png")
    profile = logo_profile(tmp_path, "logo.png")
    archiving.renderer.fetcher.refused.clear()
    data, _ = archiving.pdf(profile)
    assert archiving.renderer.fetcher.refused == []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        figures = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary)
                   and o.get("/S") == "/Figure"]
        assert any(str(f.get("/Alt")) == "Logotyp för Region X" for f in figures)


def test_an_svg_logo_is_accepted(tmp_path, bg):
    shutil.copy(FIXTURES / "logo.svg", tmp_path / "logo.svg")
    org = bg.load(logo_profile(tmp_path, "logo.svg"))
    assert bg.logo(org).startswith("data:image/svg+xml;base64,")


@pytest.mark.parametrize("fixture, expected", [
    ("entity-bomb.svg", "DTD or entities"),
    ("external-ref.svg", "not allowed in a logo"),
    ("external-style.svg", "not allowed in a logo"),
])
def test_hostile_svg_logos_are_refused(tmp_path, fixture, expected):
    shutil.copy(FIXTURES / fixture, tmp_path / "logo.svg")
    profile = logo_profile(tmp_path, "logo.svg")
    refused(make("--org", str(profile), "--out", str(tmp_path / "out")),
            "p.yaml: logo:", expected)
    assert not (tmp_path / "out").exists()


def test_decompression_bombs_are_refused_before_decoding(tmp_path):
    from PIL import Image

    (tmp_path / "header.png").write_bytes(png(100_000, 100_000))   # 10 giga-pixels, 100 bytes
    Image.new("1", (6000, 6000)).save(tmp_path / "pillow.png")       # 36 mega-pixels, ~5 kB
    assert (tmp_path / "pillow.png").stat().st_size < 50_000
    for name in ("header.png", "pillow.png"):
        profile = logo_profile(tmp_path, name)
        refused(make("--org", str(profile), "--out", str(tmp_path / "out")),
                "p.yaml: logo:", name, "pixels")


@pytest.mark.parametrize("logo, expected", [
    ("../secret.png", "leaves the profile's folder"),
    ("/etc/passwd.png", "leaves the profile's folder"),
    ("sub/../../secret.png", "leaves the profile's folder"),
    ("http://127.0.0.1:9/logo.png", "is a URL"),
    ("file:///etc/passwd", "is a URL"),
    ("data:image/png;base64,AAAA", "is a URL"),
    ("logo.gif", "not a PNG, JPEG or SVG"),
    ("missing.png", "not found"),
])
def test_logo_paths_outside_the_folder_and_urls_are_refused(tmp_path, logo, expected):
    folder = tmp_path / "client"
    folder.mkdir()
    (tmp_path / "secret.png").write_bytes(png(10, 10))
    profile = logo_profile(folder, logo)
    refused(make("--org", str(profile), "--out", str(tmp_path / "out")), "logo:", expected)


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path):
    folder = tmp_path / "client"
    folder.mkdir()
    (tmp_path / "secret.png").write_bytes(png(10, 10))
    (folder / "logo.png").symlink_to(tmp_path / "secret.png")
    profile = logo_profile(folder, "logo.png")
    refused(make("--org", str(profile), "--out", str(tmp_path / "out")), "logo:", "not found")


def test_a_file_that_is_not_the_image_it_claims_is_refused(tmp_path):
    (tmp_path / "logo.png").write_bytes(PASSWD.read_bytes()[:200] if PASSWD.exists() else b"x")
    message = refused(make("--org", str(logo_profile(tmp_path, "logo.png")),
                           "--out", str(tmp_path / "out")), "logo:", "not a readable PNG")
    assert "root:" not in message


def test_logo_errors_from_the_api_are_input_errors(tmp_path, bg):
    org = bg.load(logo_profile(tmp_path, "../x.png"))
    with pytest.raises(InputError, match="logo"):
        bg.pdf(org)


# --------------------------------------------------------------------------- CSV and XLSX


def flatten(data: dict, prefix: str = "") -> dict[str, object]:
    """A profile as one sheet row: dotted keys (capabilities.partnerships) to cell values."""
    row: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            row.update(flatten(value, f"{prefix}{key}."))
        elif isinstance(value, list):
            row[f"{prefix}{key}"] = ";".join(map(str, value))
        else:
            row[f"{prefix}{key}"] = str(value)
    return row


def write_csv(path: Path, rows: list[dict[str, object]], encoding: str = "utf-8") -> Path:
    import csv

    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def batch(*args: str):
    return run_cli("batch", *args, "--jobs", "1", "--no-progress")


def test_formulas_in_a_csv_are_text_in_the_pdf_and_quoted_in_the_manifest(tmp_path,
                                                                          region_x_profile):
    formula = '=HYPERLINK("http://127.0.0.1:9/","x")+cmd|\' /C calc\'!A0'
    row = flatten(dict(region_x_profile, name=formula))
    sheet = write_csv(tmp_path / "clients.csv", [row], encoding="utf-8-sig")  # with a BOM
    result = batch(str(sheet), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    data = (tmp_path / "out" / "region-x.pdf").read_bytes()
    assert formula in flat(pdf_text(data))
    no_leak(data)
    manifest = (tmp_path / "out" / "manifest.csv").read_text("utf-8")
    assert "\n=" not in manifest and ",=" not in manifest


def test_a_bom_is_read_as_utf8(tmp_path, region_x_profile):
    from briefgen.tabular import read_rows

    row = flatten(dict(region_x_profile, name="Växjö kommun"))
    sheet = write_csv(tmp_path / "bom.csv", [row], encoding="utf-8-sig")
    assert sheet.read_bytes().startswith(b"\xef\xbb\xbf")
    (read,) = list(read_rows(sheet))
    assert read.data["id"] == "region-x" and read.data["name"] == "Växjö kommun"


@pytest.mark.parametrize("content, expected", [
    ("id,name\nregion-x,V\xe4xj\xf6\n".encode("latin-1"), "not UTF-8"),
    (b"id,name\nregion-x,Re\x00gion\n", "NUL bytes"),
    (b"id,name\nregion-x,\"" + b"x" * 200_000 + b"\"\n", "malformed CSV"),
])
def test_broken_csv_files_are_refused_clearly(tmp_path, content, expected):
    sheet = tmp_path / "clients.csv"
    sheet.write_bytes(content)
    result = batch(str(sheet), "--out", str(tmp_path / "out"))
    refused(result, "clients.csv", expected)


def test_a_long_field_fails_its_row_only(tmp_path, region_x_profile):
    from briefgen.tabular import read_rows

    good = flatten(region_x_profile)
    long = dict(good, id="kommun-y", name="x" * 50_000)
    rows = list(read_rows(write_csv(tmp_path / "long.csv", [long, good])))
    assert rows[0].data is None and "50,000 characters" in rows[0].error
    assert rows[1].data["id"] == "region-x"


def test_a_million_rows_are_refused_while_streaming_within_a_memory_bound(tmp_path):
    import tracemalloc

    from briefgen.tabular import MAX_ROWS, read_rows

    sheet = tmp_path / "million.csv"
    with sheet.open("w") as fh:
        fh.write("id,name\n")
        fh.writelines(f"org-{i},Org {i}\n" for i in range(1_000_000))
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match=f"more than {MAX_ROWS:,} rows"):
            for _ in read_rows(sheet):
                pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, f"peak {peak:,} bytes while streaming"


def xlsx(path: Path, sheet_xml: str) -> Path:
    """A minimal XLSX workbook whose first sheet is ``sheet_xml``."""
    import zipfile

    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',  # noqa: E501
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',  # noqa: E501
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',  # noqa: E501
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',  # noqa: E501
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def zip_bomb(path: Path, unpacked: int) -> Path:
    """A tiny .xlsx whose one member unpacks to more than ``unpacked`` bytes of zeros."""
    import zipfile

    zeros = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(unpacked // len(zeros) + 2):
                member.write(zeros)
    assert path.stat().st_size < 1_000_000
    return path


def entity_bomb_sheet(header: str) -> str:
    """A worksheet whose second row expands a billion-laughs entity; ``header`` in A1."""
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10 if i else "lol" * 10}">'
                       for i in range(10))
    return ('<?xml version="1.0"?><!DOCTYPE worksheet [' + entities + ']>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{header}</t></is></c></row>'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>&e9;</t></is></c></row>'
            '</sheetData></worksheet>')


def test_an_xlsx_entity_bomb_is_refused(tmp_path):
    book = xlsx(tmp_path / "bomb.xlsx", entity_bomb_sheet("id"))
    result = batch(str(book), "--out", str(tmp_path / "out"))
    assert result.exit_code in (1, 2), result.output
    assert "lollollol" not in result.output


def test_formulas_in_an_xlsx_are_never_evaluated(tmp_path, region_x_profile):
    import openpyxl

    from briefgen.tabular import read_rows

    book = openpyxl.Workbook()
    row = flatten(region_x_profile)
    book.active.append(list(row))
    book.active.append(list(row.values()))
    book.active["B2"] = '=WEBSERVICE("http://127.0.0.1:9/")'  # the name column
    book.save(tmp_path / "formula.xlsx")
    (read,) = list(read_rows(tmp_path / "formula.xlsx"))
    # No cached value (nothing computed it): the name is missing, never fetched or run.
    assert "name" not in (read.data or {})


def test_an_xlsx_zip_bomb_is_refused_before_unpacking(tmp_path):
    from briefgen.tabular import MAX_XLSX_UNPACKED

    book = zip_bomb(tmp_path / "bomb.xlsx", MAX_XLSX_UNPACKED)
    refused(batch(str(book), "--out", str(tmp_path / "out")), "bomb.xlsx", "unpacks to")


def test_a_survey_zip_bomb_or_entity_bomb_is_refused(tmp_path):
    from briefgen.tabular import MAX_XLSX_UNPACKED as MAX_SURVEY_UNPACKED

    book = zip_bomb(tmp_path / "answers.xlsx", MAX_SURVEY_UNPACKED)
    result = CliRunner().invoke(cli, ["make", "--survey", str(book), "--org", "region-x",
                                      "--out", str(tmp_path / "out")])
    refused(result, "answers.xlsx", "unpacks to")

    bomb = xlsx(tmp_path / "entities.xlsx", entity_bomb_sheet("org_id"))
    result = CliRunner().invoke(cli, ["make", "--survey", str(bomb), "--org", "region-x",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "lollollol" not in result.output and "Traceback" not in result.output
