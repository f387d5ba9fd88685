"""The deliverable kit: the PPTX deck, the XLSX workbook and the chart files, read back."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from pptx.util import Emu

from briefgen.kit import action_plan, chart_file_name, xlsx_bytes
from briefgen.pipeline import Briefgen, Options

PRIMARY, ACCENT = "#0B5D4B", "#B3541E"


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> tuple[Briefgen, Path, list[Path]]:
    out = tmp_path_factory.mktemp("kit")
    bg = Briefgen(Options(out=out, author="Nordkonsult AB", primary=PRIMARY, accent=ACCENT,
                          formats=("pptx", "xlsx", "charts")))
    result = bg.make("region-x")
    return bg, out, result.files


def test_make_writes_each_format(kit):
    _, out, files = kit
    names = {p.relative_to(out).as_posix() for p in files}
    assert {"region-x.pptx", "region-x.xlsx", "region-x-charts/capabilities-radar.svg",
            "region-x-charts/capabilities-radar.png", "region-x-charts/effect-areas.png",
            "region-x-charts/capability-digital-leadership.png"} <= names
    assert "region-x.pdf" not in names                  # not asked for


def test_deck_has_every_part_and_alt_text(kit):
    bg, out, _ = kit
    analysis, matches = bg.analyse("region-x")
    deck = Presentation(str(out / "region-x.pptx"))
    slides = list(deck.slides)
    texts = ["\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
             for slide in slides]
    assert "Region X" in texts[0] and "Sammanställd av Nordkonsult AB" in texts[0]
    assert texts[1].strip().startswith("Sammanfattning")
    t = bg.texts()
    for key in analysis.priorities:
        assert t.label(key) in texts[1]
    pictures = [(i, shape) for i, slide in enumerate(slides) for shape in slide.shapes
                if shape.shape_type == 13]
    gauges = [f"gauge-{c.key}" for c in analysis.capabilities]
    assert [shape.name for _, shape in pictures] == [
        "capabilities-radar", "effect-areas", "expected-impact", "maturity-phase",
        "digital-agenda-importance", *(chart_file_name(g) for g in gauges)]
    charts, _ = bg.charts(analysis)
    for (_, shape), name in zip(pictures, ("radar", "effects", "impact", "maturity",
                                           "importance", *gauges), strict=True):
        descr = shape._element.nvPicPr.cNvPr.get("descr")
        assert descr == charts[name].alt
        assert Emu(shape.width).inches > (3 if name.startswith("gauge-") else 5)
    assert any("Prioriterade förmågor" in text for text in texts)
    texts = [text.strip() for text in texts]
    recs = next(text for text in texts if text.startswith("Rekommendationer"))
    for r in matches.recommendations:
        assert r.recommendation.title("sv") in recs
    assert deck.core_properties.author == "Nordkonsult AB"
    # The firm's colour is the title bar's fill.
    bar = slides[1].shapes[0]
    assert str(bar.fill.fore_color.rgb) == PRIMARY.lstrip("#")


def test_workbook_tables_read_back_as_numbers(kit):
    bg, out, _ = kit
    analysis, matches = bg.analyse("region-x")
    sheets = pd.read_excel(out / "region-x.xlsx", sheet_name=None)
    assert {"Förmågor", "Effektområden", "Rekommendationer", "Källor", "Arbetssätt",
            "Förväntad effekt", "Mognadsfaser"} <= set(sheets)
    caps = sheets["Förmågor"]
    assert len(caps) == 7 and caps["Poäng"].dtype.kind == "f"
    assert caps["Jämförelse"].dtype.kind == "f" and caps["Studiens rang"].dtype.kind == "i"
    scores = dict(zip(caps["Nyckel"], caps["Poäng"], strict=True))
    assert scores == {c.key: c.score for c in analysis.capabilities}
    recs = sheets["Rekommendationer"]
    assert list(recs["Nummer"]) == [r.recommendation.number for r in matches.recommendations]
    assert recs["Skäl"].str.len().min() > 20
    assert sheets["Effektområden"]["Skillnad"].dtype.kind == "f"
    assert sheets["Källor"]["Källa"].notna().sum() >= 11


def test_workbook_text_is_never_a_formula(bg):
    from openpyxl import load_workbook

    analysis, matches = bg.analyse("region-x")
    profile = analysis.org.profile.model_copy(update={"name": '=HYPERLINK("http://x","klick")'})
    org = analysis.org.model_copy(update={"profile": profile})
    data = xlsx_bytes(replace(analysis, org=org), matches, bg.texts(), firm="@SUM(A1)")
    wb = load_workbook(io.BytesIO(data))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "@"))]
    assert cells and all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells)


def test_chart_files_in_the_firms_colours(kit):
    _, out, _ = kit
    folder = out / "region-x-charts"
    svgs = sorted(p.stem for p in folder.glob("*.svg"))
    assert svgs == sorted(p.stem for p in folder.glob("*.png")) and len(svgs) == 12
    radar = (folder / "capabilities-radar.svg").read_text("utf-8")
    assert "#0b5d4b" in radar.lower() and "#b3541e" in radar.lower()
    assert "#1f4e79" not in radar.lower()                  # not the shipped navy
    with Image.open(folder / "effect-areas.png") as image:
        assert image.width >= 2000
        colours = {rgb for _, rgb in image.convert("RGB").getcolors(1 << 20)}
    assert (0x0B, 0x5D, 0x4B) in colours and (0xB3, 0x54, 0x1E) in colours


def test_same_input_same_bytes(kit, tmp_path):
    bg, out, _ = kit
    again = bg.make("region-x", out=tmp_path)
    for path in again.files:
        assert path.read_bytes() == (out / path.relative_to(tmp_path)).read_bytes(), path


def test_chart_names_say_what_they_show():
    assert chart_file_name("gauge-data_access_security") == "capability-data-access-security"
    assert chart_file_name("peers-kunder-2026") == "peer-groups-kunder-2026"
    assert chart_file_name("maturity") == "maturity-phase"


def test_action_plan_in_the_deck_and_the_workbook(kit):
    bg, out, _ = kit
    analysis, matches = bg.analyse("region-x")
    plan = action_plan(matches, bg.texts())
    initiatives = [p for r in matches.recommendations for p in r.initiatives]
    assert len(plan) == len(initiatives) > 0
    deck = Presentation(str(out / "region-x.pptx"))
    texts = ["\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame).strip()
             for slide in deck.slides]
    slides = "\n".join(text for text in texts if text.startswith("Handlingsplan"))
    for p in initiatives:
        assert p.initiative.title("sv") in slides and p.owner("sv") in slides
    sheet = pd.read_excel(out / "region-x.xlsx", sheet_name="Handlingsplan")
    assert list(sheet["Initiativ"]) == [p.initiative.title("sv") for p in initiatives]
    assert sheet["Mål"].dtype.kind == "f" and sheet["Nu"].dtype.kind == "f"


def test_no_plan_no_plan_slide(bg):
    from briefgen.kit import pptx_bytes

    analysis, matches = bg.analyse("kommun-y")
    bare = replace(matches, recommendations=[replace(r, initiatives=[])
                                             for r in matches.recommendations])
    assert action_plan(bare, bg.texts()) == []
    deck = Presentation(io.BytesIO(pptx_bytes(analysis, bare, bg.texts(),
                                              bg.charts(analysis)[0])))
    texts = ["\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame).strip()
             for slide in deck.slides]
    assert not any(text.startswith("Handlingsplan") for text in texts)
    assert any(text.startswith("Rekommendationer") for text in texts)


def test_batch_lists_every_file_and_rerenders_on_a_brand_change(tmp_path):
    from briefgen import resources
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
