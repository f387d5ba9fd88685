"""The deliverable kit read back: the deck (python-pptx, LibreOffice), the workbook (openpyxl)
and the chart files."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.enum.shapes import PP_PLACEHOLDER as PH
from pptx.util import Inches

from briefgen import resources
from briefgen.brand import Firm
from briefgen.kit.charts import chart_file_name
from briefgen.kit.common import KitInputs, action_plan
from briefgen.kit.deck import pptx_bytes
from briefgen.kit.fit import face
from briefgen.kit.workbook import xlsx_bytes
from briefgen.options import Options
from briefgen.pipeline import Briefgen

from .golden import assert_golden, package_dump

PRIMARY, ACCENT = "#0B5D4B", "#B3541E"
LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" width="480" height="120"><rect width="100" '
        'height="100" y="10" fill="#0B5D4B"/><text x="120" y="78" font-size="46">Nordkonsult'
        '</text></svg>')


def inputs_for(bg: Briefgen, org: str = "region-x", lang: str = "sv",
               firm: Firm | None = None) -> KitInputs:
    """What the pipeline hands the kit, built the same way."""
    analysis, matches, advice = bg.advised(org, lang)
    charts, extra = bg.charts(analysis, lang)
    return KitInputs(analysis, matches, advice, bg.texts_for(analysis, lang), charts,
                     firm or Firm(name="Nordkonsult AB", primary=PRIMARY, accent=ACCENT),
                     peers=extra["peers"], progress=extra["progress"], survey=extra["survey"],
                     library=bg.bundle.library.recommendations)


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> tuple[Briefgen, Path, list[Path]]:
    """A branded workspace's kit for region-x: firm, colours, logo, the three formats."""
    ws = tmp_path_factory.mktemp("ws")
    (ws / "theme").mkdir()
    (ws / "theme" / "logo.svg").write_text(LOGO, "utf-8")
    (ws / "briefgen.toml").write_text(
        '[firm]\nname = "Nordkonsult AB"\ncontact = "analys@nordkonsult.se"\n'
        'logo = "theme/logo.svg"\n', "utf-8")
    out = ws / "out"
    bg = Briefgen(Options(out=out, author="Nordkonsult AB", primary=PRIMARY, accent=ACCENT,
                          formats=("pptx", "xlsx", "charts"), firm_logo="theme/logo.svg",
                          contact="analys@nordkonsult.se", config=ws / "briefgen.toml"))
    result = bg.make("region-x")
    return bg, out, result.files


FIRM = Firm(name="Nordkonsult AB", contact="analys@nordkonsult.se", primary=PRIMARY,
            accent=ACCENT, logo="data:image/svg+xml;base64,"
            + base64.b64encode(LOGO.encode()).decode())


@pytest.fixture
def deck(bg):
    """region-x's deck for the firm, built in the test: mutation testing maps a test to the
    kit's functions only where they run in it (docs/mutation.md)."""
    return Presentation(io.BytesIO(pptx_bytes(inputs_for(bg, firm=FIRM))))


@pytest.fixture
def workbook(bg):
    """region-x's workbook for the firm, built in the test (as ``deck``)."""
    return load_workbook(io.BytesIO(xlsx_bytes(inputs_for(bg, firm=FIRM))))


def texts_of(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        elif shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def title_of(slide) -> str:
    return slide.shapes.title.text_frame.text if slide.shapes.title is not None else ""


def charts_of(deck) -> dict[str, object]:
    return {shape.name: shape for slide in deck.slides for shape in slide.shapes
            if shape.has_chart}


def series_values(frame) -> dict[str, list]:
    return {s.name: list(s.values) for s in frame.chart.plots[0].series}


# --------------------------------------------------------------------------- files


def test_make_writes_each_format(kit):
    _, out, files = kit
    names = {p.relative_to(out).as_posix() for p in files}
    assert {"region-x.pptx", "region-x.xlsx", "region-x-charts/capabilities-radar.svg",
            "region-x-charts/capabilities-radar.png", "region-x-charts/effect-areas.png",
            "region-x-charts/capability-digital-leadership.png"} <= names
    assert "region-x.pdf" not in names                  # not asked for


def test_same_input_same_bytes(kit, tmp_path):
    bg, out, _ = kit
    again = bg.make("region-x", out=tmp_path)
    for path in again.files:
        assert path.read_bytes() == (out / path.relative_to(tmp_path)).read_bytes(), path


# --------------------------------------------------------------------------- the deck


def test_deck_charts_are_native_with_the_analysis_as_series(bg, deck):
    analysis, _ = bg.analyse("region-x")
    drawn, _ = bg.charts(analysis)
    charts = charts_of(deck)
    assert {"capabilities-radar", "effect-areas", "expected-impact", "maturity-phase",
            "digital-agenda-importance"} <= set(charts)
    radar = series_values(charts["capabilities-radar"])
    assert radar["Er skattning"] == [c.score for c in analysis.capabilities]
    assert radar["Studiens medel"] == [c.benchmark for c in analysis.capabilities]
    effects = series_values(charts["effect-areas"])
    assert effects["Er skattning"] == [e.score for e in analysis.effects]
    assert effects["Studiens medel"] == [e.benchmark for e in analysis.effects]
    phases = list(series_values(charts["maturity-phase"]).values())[0]
    bench = analysis.benchmark.overall.phases
    assert phases == [bench[p.key].count for p in bg.bundle.framework.phases]
    impact = list(series_values(charts["expected-impact"]).values())[0]
    assert impact == [analysis.org.profile.impact[c.key] for c in bg.bundle.framework.impacts]
    for name, frame in charts.items():                 # alternative text: the briefing's
        key = {chart_file_name(k): k for k in drawn}[name]
        assert frame._element.nvGraphicFramePr.cNvPr.get("descr") == drawn[key].alt
    # In the firm's colours; no chart is a picture (the only picture is the firm's logo).
    plot = charts["effect-areas"].chart.plots[0]
    assert str(plot.series[0].format.fill.fore_color.rgb) == PRIMARY.lstrip("#")
    assert str(plot.series[1].format.fill.fore_color.rgb) == ACCENT.lstrip("#")
    pictures = [s.name for slide in deck.slides for s in slide.shapes
                if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert pictures == ["Logo", "Logo"]                # the title slide and the last


def test_deck_has_notes_on_every_slide_and_sources_where_figures_are(deck):
    for number, slide in enumerate(deck.slides, 1):
        notes = slide.notes_slide.notes_text_frame.text
        assert len(notes) > 40, number
        if any(s.has_chart or s.has_table for s in slide.shapes):
            assert "Källa: " in notes, (number, notes)
        # Never the line numbers of data/, always the report's sections.
        assert not re.search(r"\b(rad|rader|line|lines)\s+\d", notes), notes
    radar = next(s for s in deck.slides if title_of(s) == "Sju förmågor mot jämförelsen")
    notes = radar.notes_slide.notes_text_frame.text
    assert "Förmåga 1, Digitalt ledarskap" in notes and "Självskattning" not in notes
    assert "självskattning av Region X, 15 oktober 2026" in notes


def test_deck_parts_in_order_and_the_summary_agrees(bg, deck):
    analysis, matches = bg.analyse("region-x")
    slides = list(deck.slides)
    titles = [title_of(s) for s in slides]
    assert titles[:3] == ["Digital transformation – lägesbild för Region X", "Agenda",
                          "Sammanfattning"]
    assert titles[-1] == "Om underlaget"
    first = texts_of(slides[0])
    assert "Sammanställd av Nordkonsult AB" in first and "15 oktober 2026" in first
    agenda = texts_of(slides[1])
    for part in ("Sammanfattning", "Prioriterade förmågor", "Rekommendationer", "Färdplan"):
        assert part in agenda
    wanted = [f"{r.recommendation.number}. {r.recommendation.title('sv')}"
              for r in matches.recommendations]
    summary = [line for line in texts_of(slides[2]).splitlines() if line in wanted]
    recs = [line for s in slides if title_of(s).startswith("Rekommendationer")
            for line in texts_of(s).splitlines() if line in wanted]
    assert summary == recs == wanted and len(wanted) == 3
    for key in analysis.priorities:
        assert bg.texts().label(key) in texts_of(slides[2])
    last = texts_of(slides[-1])
    assert "analys@nordkonsult.se" in last and "Att tänka på" in last


def test_roadmap_by_horizon_with_owners_and_the_plan_in_balance(bg, deck):
    analysis, matches, advice = bg.advised("region-x")
    plan = action_plan(advice, bg.texts())
    assert plan
    roadmap = [s for s in deck.slides if title_of(s).startswith("Färdplan")]
    assert roadmap
    columns = {s.name: s.text_frame.text for slide in roadmap for s in slide.shapes
               if s.name.startswith("Initiatives ")}
    headers = [s.text_frame.text for s in roadmap[0].shapes if s.name.startswith("Horizon ")]
    assert headers == ["0–3 månader", "3–12 månader", "12–24 månader"]
    for row in plan:
        column = columns[f"Initiatives {row['horizon_key']}"]
        assert row["initiative"] in column and row["owner"] in column
    tables = [s for s in deck.slides if title_of(s).startswith("Handlingsplan")]
    rows = [len(shape.table.rows) - 1 for slide in tables for shape in slide.shapes
            if shape.has_table]
    assert sum(rows) == len(plan) and max(rows) - min(rows) <= 1     # no lone last row


def test_every_shape_inside_the_slide_and_every_text_fits(deck):
    check_deck(deck)


def check_deck(deck) -> None:
    """Every shape inside the slide; every text's measured height inside its box."""
    width, height = deck.slide_width, deck.slide_height
    theme = deck.slide_master.part.part_related_by(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme").blob
    minor = re.search(rb'<a:minorFont>\s*<a:latin typeface="([^"]*)"', theme).group(1).decode()
    body = face(minor)
    for number, slide in enumerate(deck.slides, 1):
        for shape in slide.shapes:
            where = f"slide {number}: {shape.name}"
            assert shape.left >= 0 and shape.top >= 0, where
            assert shape.left + shape.width <= width, where
            assert shape.top + shape.height <= height, where
            if shape.has_text_frame and not shape.is_placeholder and shape.text_frame.text:
                frame = shape.text_frame
                room = (shape.height - frame.margin_top - frame.margin_bottom) / 12700
                assert measured(frame, shape.width - frame.margin_left - frame.margin_right,
                                body) <= room + 0.5, where
            if shape.has_table:
                total = 0.0
                for row in shape.table.rows:
                    total += max(measured(cell.text_frame, shape.table.columns[i].width
                                          - cell.margin_left - cell.margin_right, body)
                                 + (cell.margin_top + cell.margin_bottom) / 12700
                                 for i, cell in enumerate(row.cells))
                assert total <= (height - shape.top) / 12700, where
                assert shape.top + sum(r.height for r in shape.table.rows) <= height, where


def measured(frame, width_emu: int, f) -> float:
    """The height in points ``frame``'s paragraphs take at the sizes the deck set."""
    total = 0.0
    paragraphs = frame.paragraphs
    for i, para in enumerate(paragraphs):
        runs = para.runs
        if not runs:
            continue
        size = runs[0].font.size.pt
        bold = bool(runs[0].font.bold)
        indent = int(para._p.pPr.get("marL", 0)) / 12700 if para._p.pPr is not None else 0
        lines = f.wrap("".join(r.text for r in runs), width_emu / 12700 - indent, size, bold)
        total += len(lines) * size * f.line
        if i < len(paragraphs) - 1 and para.space_after is not None:
            total += para.space_after.pt
    return total


def test_deck_in_english_has_no_swedish(bg):
    data = pptx_bytes(inputs_for(bg, "kommun-y", "en"))
    deck = Presentation(io.BytesIO(data))
    text = "\n".join(texts_of(s) + "\n" + s.notes_slide.notes_text_frame.text
                     for s in deck.slides)
    text = text.replace("Kommun Y", "")
    assert "Source: self-assessment by" in text
    hits = re.findall(r"\b(och|för|på|Källa|ligger|under studiens|Sammanfattning)\b", text)
    assert not hits, hits
    assert deck.core_properties.language == "en-GB"


def test_no_plan_no_roadmap(bg):
    analysis, matches, advice = bg.advised("kommun-y")
    bare = replace(advice, recommendations=tuple(replace(r, steps=())
                                                 for r in advice.recommendations))
    inputs = replace(inputs_for(bg, "kommun-y"), advice=bare)
    assert action_plan(bare, bg.texts()) == []
    deck = Presentation(io.BytesIO(pptx_bytes(inputs)))
    titles = [title_of(s) for s in deck.slides]
    assert not any(t.startswith(("Handlingsplan", "Färdplan")) for t in titles)
    assert "Rekommendationer" in titles and "Färdplan" not in texts_of(list(deck.slides)[1])


def test_findings_of_the_consultant_get_a_slide_and_a_sheet(bg):
    findings = [("Ledningsgruppen beskriver digitaliseringen som en IT-fråga.", "intervjuer"),
                ("=Förvaltningarna delar inte data med varandra.", None)]
    inputs = inputs_for(bg)
    deck = Presentation(io.BytesIO(pptx_bytes(inputs, findings)))
    slides = [s for s in deck.slides if title_of(s) == "Våra iakttagelser"]
    assert len(slides) == 1
    text = texts_of(slides[0])
    assert findings[0][0] in text and "Källa: intervjuer" in text and findings[1][0] in text
    assert "Nordkonsult AB" in slides[0].notes_slide.notes_text_frame.text
    assert "Våra iakttagelser" in texts_of(list(deck.slides)[1])          # on the agenda
    check_deck(deck)
    assert "Våra iakttagelser" not in [title_of(s) for s in
                                       Presentation(io.BytesIO(pptx_bytes(inputs))).slides]
    wb = load_workbook(io.BytesIO(xlsx_bytes(inputs, findings)))
    sheet = wb["Iakttagelser"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows == [[1, findings[0][0], "intervjuer"], [2, findings[1][0], None]]
    assert sheet["B3"].data_type == "s" and sheet["B3"].quotePrefix


def surveyed_briefgen(folder: Path) -> Briefgen:
    """The fixture survey (region-x with an earlier round) on a benchmark built from answers,
    kunder-2026 in ``folder``, with the study as a further benchmark."""
    from .test_compare import built

    bench = folder / "kunder-2026.yaml"
    bench.write_text(yaml.safe_dump(built({"regional": 6, "municipal": 7}).model_dump(
        mode="json", exclude_none=True), allow_unicode=True), "utf-8")
    survey = Path(__file__).parent / "fixtures" / "survey" / "answers.csv"
    return Briefgen(Options(out=folder, survey=survey, benchmark=str(bench),
                            extra_benchmarks=("dt-offentlig-sektor-2018",)))


def test_survey_progress_and_peers_as_native_charts(bg, tmp_path):
    """A survey with an earlier round and a built benchmark: spread, progress, peers."""
    inputs = inputs_for(surveyed_briefgen(tmp_path))
    deck = Presentation(io.BytesIO(pptx_bytes(inputs)))
    charts = charts_of(deck)
    assert {"survey-spread", "progress-over-time", "peer-groups-kunder-2026"} <= set(charts)
    prog = inputs.progress
    values = series_values(charts["progress-over-time"])
    assert list(values.values()) == [[c.before for c in prog.capabilities + prog.effects],
                                     [c.now for c in prog.capabilities + prog.effects]]
    pc = inputs.peers[0]
    median = series_values(charts["peer-groups-kunder-2026"])["Median, regionerna"]
    assert median == [r.figure.median for r in pc.capabilities + pc.effects]
    spread = [s for s in deck.slides if title_of(s).startswith("Spridningen i svaren")]
    rows = inputs.survey["rows"]
    lows, ranges = [], []
    for slide in spread:
        frame = next(s for s in slide.shapes if s.has_chart)
        first, second = frame.chart.plots[0].series
        lows += list(first.values)
        ranges += list(second.values)
    assert lows == [s["min"] for _, s in rows]
    assert ranges == pytest.approx([s["max"] - s["min"] for _, s in rows])
    check_deck(deck)
    titles = [title_of(s) for s in deck.slides]
    assert "Var ni står" in titles and "Jämfört med Kunder 2026" in titles


# --------------------------------------------------------------------------- the firm's template


def firm_template(path: Path, potx: bool = False) -> Path:
    """A firm's template made here: its own size, Swedish layout names, Lato as theme font, a
    mark on the master, and a slide of its own that the deck must not keep."""
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    from briefgen.kit.template import _rect

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(10), Inches(5.625)
    names = {"Title Slide": "Rubrikbild", "Title Only": "Endast rubrik",
             "Title and Content": "Rubrik och innehåll"}
    for layout in prs.slide_layouts:
        layout._element.cSld.set("name", names.get(layout.name, layout.name))
        for off, ext in zip(layout._element.iter(
                "{http://schemas.openxmlformats.org/drawingml/2006/main}off"),
                layout._element.iter(
                "{http://schemas.openxmlformats.org/drawingml/2006/main}ext"), strict=False):
            off.set("y", str(int(int(off.get("y")) * 0.75)))
            ext.set("cy", str(int(int(ext.get("cy")) * 0.75)))
    master = prs.slide_master
    for shape in master.placeholders:
        shape.top, shape.height = int(shape.top * 0.75), int(shape.height * 0.75)
    master._element.cSld.spTree.append(_rect(77, "Firm mark", (9.2, 0.2, 0.5, 0.5), "accent2"))
    theme = master.part.part_related_by(RT.THEME)
    theme._blob = theme.blob.replace(b'<a:latin typeface="Calibri"/>',
                                     b'<a:latin typeface="Lato"/>')
    own = prs.slides.add_slide(prs.slide_layouts[0])
    own.shapes.title.text = "Mallens egen bild"
    prs.save(str(path))
    if potx:
        data = path.read_bytes()
        buffer = io.BytesIO()
        import zipfile
        with zipfile.ZipFile(io.BytesIO(data)) as src, \
                zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                content = src.read(item.filename)
                if item.filename == "[Content_Types].xml":
                    content = content.replace(b"presentationml.presentation.main+xml",
                                              b"presentationml.template.main+xml")
                dst.writestr(item, content)
        path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("suffix", [".pptx", ".potx"])
def test_deck_on_the_firms_template(bg, tmp_path, suffix):
    template = firm_template(tmp_path / f"firm{suffix}", potx=suffix == ".potx")
    firm = Firm(name="Nordkonsult AB", primary=PRIMARY, accent=ACCENT,
                deck_template=template.read_bytes())
    deck = Presentation(io.BytesIO(pptx_bytes(inputs_for(bg, firm=firm))))
    assert (deck.slide_width, deck.slide_height) == (Inches(10), Inches(5.625))
    layouts = [s.slide_layout.name for s in deck.slides]
    assert layouts[0] == "Rubrikbild" and set(layouts[1:]) == {"Endast rubrik"}
    assert "Firm mark" in [s.name for s in deck.slide_master.shapes]
    assert not any("Mallens egen bild" in texts_of(s) for s in deck.slides)
    assert "Digital transformation – lägesbild för Region X" == title_of(list(deck.slides)[0])
    pictures = [s for slide in deck.slides for s in slide.shapes
                if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert not pictures                      # the template carries the firm's own logo
    check_deck(deck)


def test_firms_template_through_the_workspace(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from briefgen.cli import cli

    ws = tmp_path / "ws"
    (ws / "theme").mkdir(parents=True)
    firm_template(ws / "theme" / "firm.potx", potx=True)
    (ws / "briefgen.toml").write_text('[firm]\nname = "Nordkonsult AB"\n'
                                      'deck_template = "theme/firm.potx"\n', "utf-8")
    monkeypatch.chdir(ws)
    result = CliRunner().invoke(cli, ["make", "--org", "kommun-y", "--format", "pptx"])
    assert result.exit_code == 0, result.output
    deck = Presentation(str(ws / "output" / "kommun-y.pptx"))
    assert deck.slide_width == Inches(10)
    (ws / "theme" / "broken.pptx").write_bytes(b"PK\x03\x04 not a zip")
    (ws / "briefgen.toml").write_text('[firm]\ndeck_template = "theme/broken.pptx"\n', "utf-8")
    result = CliRunner().invoke(cli, ["make", "--org", "kommun-y", "--format", "pptx"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "firm.deck_template: not a PowerPoint file" in result.output
    assert len(result.output.strip().splitlines()) == 1


# --------------------------------------------------------------------------- LibreOffice


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: the deck is not converted")
def test_deck_converts_to_pdf_with_libreoffice(kit, tmp_path):
    """LibreOffice opens the deck and lays out every slide; the shipped fonts are offered to
    it (Carlito: Calibri's metrics) so that it sets the text as the deck measured it."""
    from pypdf import PdfReader

    _, out, _ = kit
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                    f"<dir>{resources.fonts_dir()}</dir></fontconfig>", "utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "FONTCONFIG_FILE": str(conf)}
    done = subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(out / "region-x.pptx")],
        capture_output=True, env=env, timeout=120, check=False)
    pdf = tmp_path / "region-x.pdf"
    assert pdf.is_file(), done.stderr.decode()
    reader = PdfReader(pdf)
    deck = Presentation(str(out / "region-x.pptx"))
    assert len(reader.pages) == len(deck.slides)
    box = reader.pages[0].mediabox
    assert float(box.width) / float(box.height) == pytest.approx(16 / 9, rel=0.01)
    for page, slide in zip(reader.pages, deck.slides, strict=True):
        text = " ".join(page.extract_text().split())
        assert " ".join(title_of(slide).split()) in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "Carlito" in fonts


# --------------------------------------------------------------------------- the workbook


def test_workbook_number_formats_tables_and_frozen_headers(bg, workbook):
    analysis, matches = bg.analyse("region-x")
    wb = workbook
    assert {"Om", "Förmågor", "Effektområden", "Rekommendationer", "Källor", "Arbetssätt",
            "Förväntad effekt", "Mognadsfaser", "Handlingsplan"} <= set(wb.sheetnames)
    caps = wb["Förmågor"]
    header = [c.value for c in caps[1]]
    assert header[:3] == ["Nyckel", "Namn", "Poäng"]
    column = {name: i for i, name in enumerate(header)}
    rows = list(caps.iter_rows(min_row=2))
    assert [r[column["Poäng"]].value for r in rows] == [c.score for c in analysis.capabilities]
    for row in rows:
        for name in ("Poäng", "Jämförelse", "Skillnad"):
            assert row[column[name]].number_format == "0.0", name
        assert row[column["Studiens rang"]].number_format == "0"
        assert isinstance(row[column["Studiens rang"]].value, int)
    about = {r[0].value: r[1] for r in wb["Om"].iter_rows(min_row=2)}
    assessed = about["Självskattning daterad"]
    assert assessed.is_date and assessed.value.date() == analysis.org.profile.assessed
    assert assessed.number_format == "yyyy-mm-dd"
    assert about["Förmågor, medelvärde"].number_format == "0.0"
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert len(ws.tables) == 1, ws.title
        table = next(iter(ws.tables.values()))
        assert table.ref == f"A1:{ws.cell(ws.max_row, ws.max_column).coordinate}", ws.title
        for letter in (ws.cell(1, i).column_letter for i in range(1, ws.max_column + 1)):
            assert 8 <= ws.column_dimensions[letter].width <= 60
    recs = wb["Rekommendationer"]
    reasons = [row[2].value for row in recs.iter_rows(min_row=2)]
    assert len(reasons) == len(matches.recommendations)
    assert all(r[0].isupper() and r.endswith(".") for r in reasons)
    plan = wb["Handlingsplan"]
    assert {c.number_format for row in plan.iter_rows(min_row=2) for c in row[6:8]} == {"0.0"}


def test_workbook_has_no_internal_text(bg, workbook):
    sections = {s.title("sv") for s in bg.benchmark().sections} | {"Rapporten", ""}
    english = load_workbook(io.BytesIO(xlsx_bytes(inputs_for(bg, "region-x", "en"))))
    for wb, lang in ((workbook, "sv"), (english, "en")):
        for ws in wb:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        assert not re.search(r"\b(rad|rader|line|lines)\s+\d", cell.value), \
                            (ws.title, cell.value)
                        assert not re.search(r"see notes|se noter|följde inte med|attributed",
                                             cell.value), (ws.title, cell.value)
        if lang == "sv":
            caps = wb["Förmågor"]
            source = [c.value for c in caps[1]].index("Källa")
            cited = {part for row in caps.iter_rows(min_row=2)
                     for part in (row[source].value or "").split("; ")}
            assert cited <= sections and len(cited) > 3


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","klick")', "+SUM(A1:A9)", "-2+3",
                                  "@SUM(A1)"])
def test_workbook_text_is_never_a_formula(bg, name):
    """An organisation or firm named like a formula is read back as a text cell, quoted."""
    analysis, matches = bg.analyse("region-x")
    profile = analysis.org.profile.model_copy(update={"name": name})
    org = analysis.org.model_copy(update={"profile": profile})
    inputs = replace(inputs_for(bg), analysis=replace(analysis, org=org),
                     firm=Firm(name=f"={name}"))
    wb = load_workbook(io.BytesIO(xlsx_bytes(inputs)))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
    assert {c.value for c in cells} >= {name, f"={name}"}
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


# --------------------------------------------------------------------------- chart files


def test_chart_files_titled_sourced_and_in_the_firms_colours(kit):
    _, out, _ = kit
    folder = out / "region-x-charts"
    svgs = sorted(p.stem for p in folder.glob("*.svg"))
    assert svgs == sorted(p.stem for p in folder.glob("*.png")) and len(svgs) == 12
    radar = (folder / "capabilities-radar.svg").read_text("utf-8")
    assert "<title>Sju förmågor mot jämförelsen</title>" in radar
    assert ">Sju förmågor mot jämförelsen</text>" in radar
    assert "Källa: självskattning av Region X, 15 oktober 2026" in radar
    assert "#0b5d4b" in radar.lower() and "#b3541e" in radar.lower()
    assert "#1f4e79" not in radar.lower()                  # not the shipped navy
    gauge = (folder / "capability-digital-leadership.svg").read_text("utf-8")
    assert "<title>Digitalt ledarskap: er skattning mot jämförelsen</title>" in gauge
    with Image.open(folder / "effect-areas.png") as image:
        assert image.width == 2000
        colours = {rgb for _, rgb in image.convert("RGB").getcolors(1 << 20)}
    assert (0x0B, 0x5D, 0x4B) in colours and (0xB3, 0x54, 0x1E) in colours


def test_chart_names_say_what_they_show():
    assert chart_file_name("gauge-data_access_security") == "capability-data-access-security"
    assert chart_file_name("peers-kunder-2026") == "peer-groups-kunder-2026"
    assert chart_file_name("maturity") == "maturity-phase"


# --------------------------------------------------------------------------- batch


def test_batch_lists_every_file_and_rerenders_on_a_brand_change(tmp_path):
    from briefgen.batch.run import BatchOptions, run_batch

    src = tmp_path / "orgs"
    src.mkdir()
    (src / "kommun-y.yaml").write_bytes((resources.data_dir() / "orgs" /
                                         "kommun-y.yaml").read_bytes())
    out = tmp_path / "out"
    options = Options(out=out, formats=("pdf", "xlsx", "charts"), author="Nordkonsult AB")
    first = run_batch(src, options, BatchOptions(jobs=1))
    assert first.exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    for item in manifest["items"]:
        files = item["files"].split(";")
        assert files[0] == item["file"] and f"{item['id']}.xlsx" in files
        assert f"{item['id']}-charts/capabilities-radar.png" in files
        assert all((out / name).is_file() for name in files)
    assert "files" in (out / "manifest.csv").read_text("utf-8").splitlines()[0]
    again = run_batch(src, options, BatchOptions(jobs=1))
    assert again.count("unchanged") == 1
    rebranded = run_batch(src, replace(options, accent="#8A3A0E"), BatchOptions(jobs=1))
    assert rebranded.count("ok") == 1


def workbook_dump(wb) -> str:
    """Every sheet of a workbook as text: its frozen panes, tables, column widths, and each
    cell's value, type, number format, quote prefix and weight (a golden copy's form)."""
    lines = []
    for ws in wb:
        lines.append(f"# {ws.title} freeze={ws.freeze_panes}")
        for table in ws.tables.values():
            style = table.tableStyleInfo
            lines.append(f"table {table.displayName} {table.ref} {style.name if style else ''} "
                         f"stripes={style.showRowStripes if style else ''}")
        widths = {k: round(d.width, 2) for k, d in sorted(ws.column_dimensions.items())}
        lines.append(f"widths {widths}")
        for row in ws.iter_rows():
            for c in row:
                if c.value is None:
                    continue
                lines.append(f"{c.coordinate}\t{c.value!r}\t{c.data_type}\t{c.number_format}"
                             f"\t{'quoted' if c.quotePrefix else ''}\t"
                             f"{'bold' if c.font and c.font.b else ''}\t"
                             f"{'wrap' if c.alignment and c.alignment.wrap_text else ''}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_workbook_is_its_golden_copy(bg, lang):
    """Every sheet, cell, format and width of region-x's workbook for the firm, as read and
    committed in tests/golden (BRIEFGEN_UPDATE_GOLDEN=1 writes it again, to be read again)."""
    data = xlsx_bytes(inputs_for(bg, "region-x", lang, firm=FIRM))
    assert_golden(f"workbook-region-x-{lang}.txt", workbook_dump(load_workbook(io.BytesIO(data))))
    if lang == "sv":    # and every part of the file (styles, fills, properties) but the theme
        assert_golden("workbook-region-x-sv.xml.txt", package_dump(data, (
            "[Content_Types]", "_rels/", "docProps/", "xl/_rels/", "xl/styles", "xl/tables/",
            "xl/workbook", "xl/worksheets/")))


def test_the_workbooks_of_a_municipality_and_of_a_survey_are_their_golden_copies(bg, tmp_path):
    """kommun-y (no phase given: estimated) in English, and region-x from a survey with an
    earlier round and a built benchmark (respondents, spread, progress, peers) in Swedish."""
    data = xlsx_bytes(inputs_for(bg, "kommun-y", "en"))
    assert_golden("workbook-kommun-y-en.txt", workbook_dump(load_workbook(io.BytesIO(data))))
    data = xlsx_bytes(inputs_for(surveyed_briefgen(tmp_path)))
    assert_golden("workbook-survey-region-x-sv.txt",
                  workbook_dump(load_workbook(io.BytesIO(data))))


# Each sheet's columns as the report writes them: t text, T text that wraps, else the number
# format of the column (one decimal for scores, whole numbers for ranks and counts).
COLUMNS = {
    "About": "t t", "Capabilities": "t t 0.0 0.0 0.0 t 0 T", "EffectAreas": "t t 0.0 0.0 0.0 T",
    "ExpectedImpact": "t t 0.0", "Recommendations": "0 T T T T T", "Practices": "t T T T",
    "MaturityPhases": "t t 0 0 t T", "AgendaWeight": "t t 0 0 t T",
    "ActionPlan": "0 T T t t t 0.0 0.0 T T", "SurveySpread": "T 0.0 0.0 0.0 0.00 0",
    "Progress": "t t 0.0 0.0 0.0", "Peers_11": "t t 0.0 0.0 0.0 0.0 0", "Findings": "0 T t",
    "Sources": "t 0.0 T"}


def empty_cells_checked(wb) -> int:
    """Every cell of each table's columns wrapped as its column, and every number or empty
    cell of a formatted column in that format; the number of empty ones."""
    empty = 0
    for ws in wb:
        table = next(iter(ws.tables.values())).displayName
        for index, kind in enumerate(COLUMNS[table].split()):
            cells = [row[index] for row in ws.iter_rows(min_row=2)]
            assert all(bool(c.alignment.wrap_text) == (kind == "T") for c in cells), \
                (table, index)
            if kind not in "tT":
                numbers = [c for c in cells if c.value is None or c.data_type == "n"]
                assert {c.number_format for c in numbers} == {kind}, (table, index)
                empty += sum(c.value is None for c in numbers)
    return empty


def test_every_sheet_has_its_columns_formats_and_every_cell_its_columns(tmp_path):
    """The survey's workbook with the consultant's findings has every sheet there is; each
    column's format and wrapping as the report's, and every number or empty cell of a
    formatted column in that format (an empty one too: a figure entered later is shown so)."""
    from briefgen.kit.workbook import workbook_tables

    inputs = inputs_for(surveyed_briefgen(tmp_path))
    findings = [("Förvaltningarna delar inte data med varandra.", None)]
    sheets = workbook_tables(inputs, findings)
    declared = {s.table: " ".join(("T" if c.wrap else "t") if c.format is None else c.format
                                  for c in s.columns) for s in sheets}
    assert declared == COLUMNS
    assert all(not (c.wrap and c.format) for s in sheets for c in s.columns)
    wb = load_workbook(io.BytesIO(xlsx_bytes(inputs, findings)))
    assert [next(iter(ws.tables.values())).displayName for ws in wb] == list(COLUMNS)
    assert empty_cells_checked(wb) == 9      # phase and agenda counts, the document's figure


def test_a_recommendation_outside_the_library_names_no_area_or_source(bg):
    """A kit made without the study's library (the Python API's default): the columns that
    come from it are empty, not guessed."""
    inputs = replace(inputs_for(bg), library=())
    wb = load_workbook(io.BytesIO(xlsx_bytes(inputs)))
    rows = list(wb["Rekommendationer"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(inputs.advice.recommendations) > 0
    assert {(row[3], row[5]) for row in rows} == {(None, None)}
    assert all(row[1] and row[2] for row in rows)
    full = load_workbook(io.BytesIO(xlsx_bytes(inputs_for(bg))))
    assert all(row[3] and row[5] for row in full["Rekommendationer"].iter_rows(
        min_row=2, values_only=True))


@pytest.mark.parametrize(("kind", "caveats", "shown"), [
    ("built", False, "notes"), ("study", False, None), ("built", True, "caveats"),
    ("study", True, "caveats")])
def test_the_sources_sheet_keeps_the_caveats_and_a_built_benchmarks_notes_only(
        bg, kind, caveats, shown):
    """What the reader should keep in mind: the benchmark's caveats; a built benchmark
    written before it had caveats has them as its notes; a study's notes are for audit."""
    from briefgen.models import Text

    inputs = inputs_for(bg)
    note = Text(sv="Anteckning om hur siffran lästes.", en="A note on how the figure was read.")
    caveat = Text(sv="Gruppen är liten.", en="The group is small.")
    bench = inputs.analysis.benchmark.model_copy(update={
        "kind": kind, "notes": [note], "caveats": [caveat] if caveats else []})
    inputs = replace(inputs, analysis=replace(inputs.analysis, benchmark=bench))
    wb = load_workbook(io.BytesIO(xlsx_bytes(inputs)))
    reading = [row[2] for row in wb["Källor"].iter_rows(min_row=2, values_only=True)
               if row[0] == "Att tänka på om jämförelsen"]
    assert reading == {"notes": [note.sv], "caveats": [caveat.sv], None: []}[shown]


def test_a_workbook_for_no_firm_names_no_author(bg):
    """Its properties: no creator or last editor (not openpyxl's name), its title, language
    and the assessment's date."""
    import datetime as dt
    import zipfile

    from lxml import etree

    data = xlsx_bytes(inputs_for(bg, "kommun-y", "en", firm=Firm()))
    core = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml"))
    names = ("{http://purl.org/dc/elements/1.1/}creator", "{http://schemas.openxmlformats.org/"
             "package/2006/metadata/core-properties}lastModifiedBy")
    assert [(core.find(name) is not None, core.findtext(name)) for name in names] == [
        (True, "")] * 2
    props = load_workbook(io.BytesIO(data)).properties
    assert (props.creator, props.lastModifiedBy) == (None, None)
    assert props.title == "Digital transformation – briefing for Ytterby kommun"
    assert props.language == "en"
    assert props.created == props.modified and isinstance(props.created, dt.datetime)


def deck_dump(deck) -> str:
    """Every slide of a deck as text: each shape's name, kind, place and size, its paragraphs'
    runs with size, weight and colour, its table's cells and its chart's series (a golden
    copy's form)."""
    def run_line(run) -> str:
        font = run.font
        colour = ""
        if font.color is not None and font.color.type is not None:
            colour = str(font.color.rgb) if font.color.type == 1 else str(font.color.theme_color)
        size = font.size.pt if font.size is not None else ""
        return f"      run {run.text!r} size={size} bold={font.bold} colour={colour}"

    lines = [f"size {deck.slide_width}x{deck.slide_height}"]
    for number, slide in enumerate(deck.slides, 1):
        lines.append(f"# slide {number} layout={slide.slide_layout.name!r}")
        for shape in slide.shapes:
            lines.append(f"  {shape.shape_type} {shape.name!r} at {shape.left},{shape.top} "
                         f"size {shape.width}x{shape.height}")
            if shape.has_text_frame:
                for para in shape.text_frame.paragraphs:
                    lines.append(f"    paragraph level={para.level} "
                                 f"space_after={para.space_after}")
                    lines.extend(run_line(run) for run in para.runs)
            if shape.has_table:
                for row in shape.table.rows:
                    lines.append("    row " + " | ".join(c.text for c in row.cells))
            if shape.has_chart:
                chart = shape.chart
                lines.append(f"    chart {chart.chart_type} "
                             f"categories={list(chart.plots[0].categories)}")
                for series in chart.plots[0].series:
                    lines.append(f"    series {series.name!r} {list(series.values)}")
        lines.append("  notes " + repr(slide.notes_slide.notes_text_frame.text))
    return "\n".join(lines) + "\n"


def test_the_deck_is_its_golden_copy(bg):
    """region-x's deck for the firm, every slide, shape, text run, table and chart series, as
    read and committed in tests/golden (BRIEFGEN_UPDATE_GOLDEN=1 writes it again), and every
    part of the file as XML (the built-in design's master, layouts and theme too); the
    LibreOffice test shows it laid out."""
    data = pptx_bytes(inputs_for(bg, firm=FIRM))
    assert_golden("deck-region-x-sv.txt", deck_dump(Presentation(io.BytesIO(data))))
    assert_golden("deck-region-x-sv.xml.txt", package_dump(data))


SLIDES_AND_CHARTS = ("ppt/slides/", "ppt/charts/", "ppt/notesSlides/")


def test_the_deck_of_a_municipality_in_english_is_its_golden_copy(bg):
    """kommun-y (no phase given: estimated), no firm, in English: slides, charts and notes as
    XML."""
    data = pptx_bytes(inputs_for(bg, "kommun-y", "en", firm=Firm()))
    assert_golden("deck-kommun-y-en.xml.txt", package_dump(data, SLIDES_AND_CHARTS))


def test_the_deck_of_a_survey_is_its_golden_copy(tmp_path):
    """region-x from a survey with an earlier round on a built benchmark: respondents, the
    spread's floating bars, progress and peers, slides, charts and notes as XML."""
    data = pptx_bytes(inputs_for(surveyed_briefgen(tmp_path)))
    assert_golden("deck-survey-region-x-sv.xml.txt", package_dump(data, SLIDES_AND_CHARTS))


def untitled_template(path: Path) -> Path:
    """A firm's template with no title placeholder on any layout and a theme font briefgen
    does not ship (Verdana)."""
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    prs = Presentation()
    for layout in prs.slide_layouts:
        for ph in list(layout.placeholders):
            if ph.placeholder_format.type in (PH.TITLE, PH.CENTER_TITLE):
                ph._element.getparent().remove(ph._element)
    theme = prs.slide_master.part.part_related_by(RT.THEME)
    theme._blob = theme.blob.replace(b'<a:latin typeface="Calibri"/>',
                                     b'<a:latin typeface="Verdana"/>')
    prs.save(str(path))
    return path


def titles_only_template(path: Path) -> Path:
    """A firm's template whose layouts have titles but no body to mark where content goes."""
    prs = Presentation()
    for layout in prs.slide_layouts:
        for ph in list(layout.placeholders):
            if ph.placeholder_format.type in (PH.BODY, PH.OBJECT, PH.SUBTITLE):
                ph._element.getparent().remove(ph._element)
    prs.save(str(path))
    return path


def test_the_deck_on_templates_is_its_golden_copy(bg, tmp_path):
    """On the firm's template, on one whose layouts have no title (the title is then the
    slide's first text, measured as a font wider than Calibri) and on one with titles but no
    body (the content goes under the title): slides, charts and notes as XML."""
    for name, template in (("firm", firm_template(tmp_path / "firm.pptx")),
                           ("untitled", untitled_template(tmp_path / "untitled.pptx")),
                           ("titles-only", titles_only_template(tmp_path / "titles.pptx"))):
        firm = Firm(name="Nordkonsult AB", primary=PRIMARY, accent=ACCENT,
                    deck_template=template.read_bytes())
        data = pptx_bytes(inputs_for(bg, "kommun-y", firm=firm))
        check_deck(Presentation(io.BytesIO(data)))
        assert_golden(f"deck-{name}-template-kommun-y-sv.xml.txt",
                      package_dump(data, SLIDES_AND_CHARTS))
