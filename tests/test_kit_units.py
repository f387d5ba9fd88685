"""The kit's chart files and the deck's pictures in this process, fast enough for mutation
testing (docs/mutation.md): each chart file's title and source line in Swedish and English, the
titled SVG's layout and escaping, the PNGs resvg draws, a picture placed in its box with its
proportions and alternative text, and the firm's logo made a PNG."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PIL import Image
from pptx import Presentation

from briefgen.brand import INK, MUTED, Firm
from briefgen.charts import BOLD, FONT, register_fonts
from briefgen.kit.charts import chart_files, chart_source, chart_title, svg_to_png, titled_svg
from briefgen.kit.common import KitInputs
from briefgen.kit.deck import DeckBuilder, Series, _logo_png
from briefgen.kit.template import EMU_PER_INCH, Box, load_design
from briefgen.logo import logo_data_uri
from briefgen.options import PRIMARY
from briefgen.pipeline import Briefgen

from .test_kit import firm_template, surveyed_briefgen

SVG = "{http://www.w3.org/2000/svg}"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" width="480" height="120"><rect width="100" '
        'height="100" y="10" fill="#0B5D4B"/><text x="120" y="78" font-size="46">Nordkonsult'
        '</text></svg>')
STUDY = "Digital transformation i offentlig sektor 2018 (QVARTZ och Microsoft)"
STUDY_EN = "Digital transformation in the Swedish public sector 2018 (QVARTZ and Microsoft)"
OWN = "Källa: självskattning av Region X, 15 oktober 2026"
OWN_EN = "Source: self-assessment by Region X, 15 October 2026"
SURVEY = "Källa: enkätsvar från 3 personer i Region X, 20 oktober 2026"
SURVEY_EN = "Source: survey answers from 3 people at Region X, 20 October 2026"


def kit_inputs(bg: Briefgen, lang: str, org: str = "region-x") -> KitInputs:
    """What the pipeline hands the kit, built the same way (the shipped colours, no firm)."""
    analysis, matches, advice = bg.advised(org, lang)
    charts, extra = bg.charts(analysis, lang)
    return KitInputs(analysis, matches, advice, bg.texts_for(analysis, lang), charts, Firm(),
                     peers=extra["peers"], progress=extra["progress"], survey=extra["survey"])


@pytest.fixture(scope="module")
def sv(bg) -> KitInputs:
    return kit_inputs(bg, "sv")


@pytest.fixture(scope="module")
def en(bg) -> KitInputs:
    return kit_inputs(bg, "en")


@pytest.fixture(scope="module")
def surveyed(tmp_path_factory) -> dict[str, KitInputs]:
    """region-x from a survey with an earlier round, on a benchmark built from answers."""
    bg = surveyed_briefgen(tmp_path_factory.mktemp("surveyed"))
    return {lang: kit_inputs(bg, lang) for lang in ("sv", "en")}


def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {c[:3] for _, c in image.convert("RGBA").getcolors(1 << 22) if c[3] == 255}


# --------------------------------------------------------------------------- titles and sources


def test_each_chart_file_is_titled_by_what_it_shows(sv, en, surveyed):
    assert [chart_title(n, sv) for n in ("radar", "effects", "impact", "maturity",
                                         "importance", "gauge-digital_leadership")] == [
        "Sju förmågor mot jämförelsen", "Fyra effektområden", "Var den största effekten väntas",
        "Digital mognad", "Den digitala agendans vikt",
        "Digitalt ledarskap: er skattning mot jämförelsen"]
    assert [chart_title(n, en) for n in ("radar", "gauge-data_access_security")] == [
        "Seven capabilities against the benchmark",
        "Data access and data security: your rating against the benchmark"]
    s, e = surveyed["sv"], surveyed["en"]
    assert [chart_title(n, s) for n in ("spread", "progress", "peers-kunder-2026")] == [
        "Spridningen i svaren", "Förändring sedan förra skattningen", "Jämfört med Kunder 2026"]
    assert [chart_title(n, e) for n in ("spread", "progress", "peers-kunder-2026")] == [
        "The spread of the answers", "Change since the last assessment",
        "Compared with Clients 2026"]
    # A peer chart of a benchmark the briefing no longer has is still named, by its id.
    assert chart_title("peers-kunder-2025", e) == "Compared with kunder-2025"


def test_each_chart_file_names_where_its_figures_come_from(sv, en):
    assert chart_source("radar", sv) == (
        f"{OWN} · {STUDY}, avsnitt: Sammanfattningen, Digitalt ledarskap; Förmåga 1, Digitalt "
        "ledarskap; Rekommendation 2; Sammanfattningen, Mångfald i kompetenser; "
        "Sammanfattningen, Partnerskapspotential; Förmåga 3, Partnerskapspotential; "
        "Slutsatsen; Sammanfattningen, Datatillgång och datasäkerhet; Förmåga 4, Datatillgång "
        "och datasäkerhet; Sammanfattningen, Organisatorisk tydlighet; Förmåga 5, "
        "Organisatorisk tydlighet; Sammanfattningen, Nya arbetsmetoder; Sammanfattningen, "
        "Agila beslutsstrukturer; Förmåga 7, Agila beslutsstrukturer")
    assert chart_source("effects", sv) == (
        f"{OWN} · {STUDY}, avsnitt: Kapitlet ”Vad?”, effektområdena")
    assert chart_source("maturity", sv) == (
        f"{OWN} · {STUDY}, avsnitt: Sammanfattningen; Kapitlet ”Varför?”, mognadskurvan; "
        "Slutsatsen")
    assert chart_source("importance", sv) == (
        f"{OWN} · {STUDY}, avsnitt: Sammanfattningen; Kapitlet ”Varför?”, förväntad effekt; "
        "Slutsatsen")
    assert chart_source("impact", sv) == OWN          # the organisation's own figures only
    # A capability's gauge: only the sections its own study figure comes from.
    assert chart_source("gauge-digital_leadership", sv) == (
        f"{OWN} · {STUDY}, avsnitt: Sammanfattningen, Digitalt ledarskap; Förmåga 1, Digitalt "
        "ledarskap; Rekommendation 2")
    assert chart_source("gauge-new_working_methods", sv) == (
        f"{OWN} · {STUDY}, avsnitt: Sammanfattningen, Nya arbetsmetoder")
    assert chart_source("effects", en) == (
        f"{OWN_EN} · {STUDY_EN}, sections: The chapter “What?”, the effect areas")
    assert chart_source("gauge-data_access_security", en) == (
        f"{OWN_EN} · {STUDY_EN}, sections: The summary, Data access and security; "
        "Capability 4, Data access and security")
    # Without an earlier round a progress chart claims none.
    assert chart_source("progress", sv) == OWN
    for inputs in (sv, en):
        for name in inputs.charts:
            source = chart_source(name, inputs)
            assert not re.search(r"\b(rad|rader|line|lines)\s+\d|data/|\.ya?ml", source), source


def test_survey_progress_and_peer_charts_name_their_rounds_and_benchmark(surveyed):
    s, e = surveyed["sv"], surveyed["en"]
    assert chart_source("progress", s) == (
        f"{SURVEY} · den tidigare självskattningen, 3 september 2025")
    assert chart_source("progress", e) == (
        f"{SURVEY_EN} · the earlier self-assessment, 3 September 2025")
    assert chart_source("spread", s) == chart_source("impact", s) == SURVEY
    assert chart_source("peers-kunder-2026", s) == f"{SURVEY} · Kunder 2026, byggd ur enkätsvar"
    assert chart_source("peers-kunder-2026", e) == (
        f"{SURVEY_EN} · Clients 2026, built from survey answers")
    assert chart_source("peers-kunder-2025", e) == (
        f"{SURVEY_EN} · kunder-2025, built from survey answers")
    # A built benchmark has no report to cite sections of: it is named alone.
    assert chart_source("radar", e) == f"{SURVEY_EN} · Clients 2026"


# --------------------------------------------------------------------------- the titled SVG


def texts(root) -> list[tuple[str, str, str, str, str | None, str, str]]:
    """Every line of text: x, y, size, family, weight, colour and the words."""
    return [(t.get("x"), t.get("y"), t.get("font-size"), t.get("font-family"),
             t.get("font-weight"), t.get("fill"), t.text) for t in root.findall(f"{SVG}text")]


def test_titled_svg_sets_title_chart_and_source_one_under_another(en):
    name = "gauge-data_access_security"
    chart = en.charts[name]
    svg = titled_svg(chart, chart_title(name, en), chart_source(name, en))
    root = ElementTree.fromstring(svg)
    assert (root.get("width"), root.get("height"), root.get("viewBox"), root.get("role")) == (
        "236", "149.1", "0 0 236 149.1", "img")
    assert root.find(f"{SVG}title").text == chart_title(name, en)
    assert root.find(f"{SVG}desc").text == chart.alt
    ground = root.find(f"{SVG}rect")
    assert (ground.get("width"), ground.get("height"), ground.get("fill")) == (
        "236", "149.1", "#FFFFFF")
    # The title in 11 pt bold, 12 pt in from the edge, wrapped inside 212 pt; the chart 4 pt
    # under it; the source in 7.5 pt, 6 pt under the chart; 12 pt left below.
    bold, plain = ("Lato", "bold", INK), ("Lato", None, MUTED)
    assert texts(root) == [
        ("12", "23", "11", *bold, "Data access and data security: your rating"),
        ("12", "37.3", "11", *bold, "against the benchmark"),
        ("12", "104.1", "7.5", *plain,
         "Source: self-assessment by Region X, 15 October 2026 · Digital"),
        ("12", "114.225", "7.5", *plain,
         "transformation in the Swedish public sector 2018 (QVARTZ and"),
        ("12", "124.35", "7.5", *plain,
         "Microsoft), sections: The summary, Data access and security;"),
        ("12", "134.475", "7.5", *plain, "Capability 4, Data access and security")]
    group = root.find(f"{SVG}g")
    assert group.get("transform") == "translate(0 44.6)"
    inner = group.find(f"{SVG}svg")          # the chart whole, without its XML prologue
    assert (inner.get("width"), inner.get("height")) == ("236", "46")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg
    # Nothing but the drawing: no stray text between its parts.
    assert not (root.text or "").strip()
    assert all(not (child.tail or "").strip() for child in root)
    # A one-line title and a five-line source: the radar.
    radar = ElementTree.fromstring(titled_svg(en.charts["radar"], chart_title("radar", en),
                                              chart_source("radar", en)))
    assert radar.get("height") == "428.925"
    assert radar.find(f"{SVG}g").get("transform") == "translate(0 30.3)"
    assert [t[1] for t in texts(radar)] == ["23", "373.8", "383.925", "394.05", "404.175",
                                            "414.3"]


def test_titled_svg_lines_fit_inside_the_chart(en):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    register_fonts()
    # Titles and sources with a line that would reach into the right margin unwrapped.
    for name in ("radar", "gauge-partnerships", "gauge-data_access_security"):
        chart = en.charts[name]
        root = ElementTree.fromstring(titled_svg(chart, chart_title(name, en),
                                                 chart_source(name, en)))
        lines = texts(root)
        assert len(lines) >= 3
        for x, _, size, _, weight, _, words in lines:
            width = stringWidth(words, BOLD if weight else FONT, float(size))
            assert float(x) + width <= chart.width - 12, (name, words)


def test_titled_svg_escapes_what_it_is_given(sv):
    title = 'R&D <Nord> "Konsult" & Co'
    alt = 'Skala 1–5: a < b & "c" > d'
    chart = replace(sv.charts["impact"], alt=alt)
    svg = titled_svg(chart, title, "Källa: <intern> & extern")
    root = ElementTree.fromstring(svg)                 # still well-formed XML
    assert root.find(f"{SVG}title").text == title
    assert root.find(f"{SVG}desc").text == alt
    assert [t[-1] for t in texts(root)] == [title, "Källa: <intern> & extern"]


# --------------------------------------------------------------------------- PNGs


def test_svg_to_png_draws_with_the_shipped_fonts_on_white_or_clear():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50">'
           f'<rect x="150" width="50" height="50" fill="{PRIMARY}"/>'
           '<text x="4" y="36" font-size="30">Ab</text>'
           '<text x="64" y="36" font-size="30" font-family="sans-serif">Ab</text></svg>')
    data = svg_to_png(svg, 400)
    assert data.startswith(PNG_MAGIC)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (400, 100)
        image = image.convert("RGBA")
        assert image.getpixel((0, 0)) == (255, 255, 255, 255)          # white, opaque
        assert image.getpixel((350, 50)) == (*rgb(PRIMARY), 255)
        # Text without a font of its own, and in the generic sans-serif: both in Lato.
        first, second = image.crop((0, 0, 120, 100)), image.crop((120, 0, 240, 100))
        assert first.tobytes() == second.tobytes()
        assert (0, 0, 0) in colours(first)
    clear = svg_to_png(svg, 200, background=None)
    with Image.open(io.BytesIO(clear)) as image:
        assert image.size == (200, 50) and image.convert("RGBA").getpixel((0, 0))[3] == 0
    # Text in a font that is not shipped is not drawn from the machine's fonts: the same
    # pixels on every machine.
    system = svg.replace('font-size="30">', 'font-size="30" font-family="DejaVu Sans">', 1)
    with Image.open(io.BytesIO(svg_to_png(system, 400))) as image:
        assert (0, 0, 0) not in colours(image.crop((0, 0, 120, 100)))


def test_chart_files_svg_and_png_per_chart_in_order(sv):
    inputs = replace(sv, charts={k: sv.charts[k] for k in ("impact", "gauge-partnerships")})
    files = chart_files(inputs)
    assert list(files) == ["expected-impact.svg", "expected-impact.png",
                           "capability-partnerships.svg", "capability-partnerships.png"]
    svg = files["expected-impact.svg"]
    assert "största".encode() in svg                   # UTF-8
    root = ElementTree.fromstring(svg)
    assert root.find(f"{SVG}title").text == "Var den största effekten väntas"
    assert root.find(f"{SVG}desc").text == sv.charts["impact"].alt
    assert [t[-1] for t in texts(root)] == ["Var den största effekten väntas", OWN]
    gauge = ElementTree.fromstring(files["capability-partnerships.svg"])
    assert gauge.find(f"{SVG}title").text == "Partnerskapspotential: er skattning mot jämförelsen"
    assert " ".join(t[-1] for t in texts(gauge) if t[4] is None) == chart_source(
        "gauge-partnerships", sv)
    for stem, drawn in (("expected-impact", root), ("capability-partnerships", gauge)):
        png = files[f"{stem}.png"]
        assert png.startswith(PNG_MAGIC)
        with Image.open(io.BytesIO(png)) as image:
            scale = 2000 / float(drawn.get("width"))         # pixels per point
            # resvg takes the drawing's height in whole points: within one point of it.
            assert image.width == 2000
            assert abs(image.height - scale * float(drawn.get("height"))) < scale
            assert image.convert("RGBA").getpixel((0, 0)) == (255, 255, 255, 255)
            seen = colours(image)
        assert {rgb(PRIMARY), rgb(INK), rgb(MUTED)} <= seen, stem


# --------------------------------------------------------------------------- deck pictures


@pytest.fixture
def deck(sv) -> tuple[DeckBuilder, object]:
    builder = DeckBuilder(sv, load_design(None))
    return builder, builder.prs.slides.add_slide(builder.design.content_layout)


def png_of(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), rgb(PRIMARY)).save(buffer, "PNG")
    return buffer.getvalue()


def reread(builder: DeckBuilder):
    buffer = io.BytesIO()
    builder.prs.save(buffer)
    return list(Presentation(buffer).slides)[-1]


@pytest.mark.parametrize(("size", "expected"), [
    # A wide picture fills the box's width and is centred from top to bottom ...
    ((400, 100), (1000, 2125, 3001, 750)),
    # ... a tall one fills its height and is centred from side to side (2751 // 2 = 1375).
    ((100, 400), (2375, 2000, 250, 1000)),
    # ... and a near-square one is rounded to whole EMU, its proportions kept.
    ((333, 300), (1945, 2000, 1110, 1000)),
])
def test_picture_as_large_as_fits_centred_proportions_kept(deck, size, expected):
    builder, slide = deck
    box = Box(1000, 2000, 3001, 1000)
    png = png_of(*size)
    pic = builder.picture(slide, box, png, "Logotyp för Nordkonsult & Co", "Logo")
    assert (pic.left, pic.top, pic.width, pic.height) == expected
    again = next(s for s in reread(builder).shapes if s.name == "Logo")
    assert (again.left, again.top, again.width, again.height) == expected
    assert again._element.nvPicPr.cNvPr.get("descr") == "Logotyp för Nordkonsult & Co"
    assert again.image.blob == png                       # the picture itself, not re-encoded
    assert pic.left >= box.left and pic.left + pic.width <= box.right
    assert pic.top >= box.top and pic.top + pic.height <= box.bottom


def test_a_floating_bars_invisible_base_is_left_out_of_its_legend(deck):
    """With two ranges shown the chart has a legend; the bars' white base is not in it."""
    builder, slide = deck
    series = [Series("Lägst", [1.0, 2.0], "#FFFFFF", hidden=True),
              Series("Region X", [2.0, 1.5], "#0B5D4B"), Series("Studien", [1.0, 1.0], "#C4622D")]
    builder.chart(slide, Box(0, 0, 6_000_000, 3_000_000), "floating", ["A", "B"], series,
                  "Spridning", "spread")
    chart = next(s for s in reread(builder).shapes if s.has_chart).chart
    assert chart.has_legend
    hidden = chart.legend._element.xpath("c:legendEntry[c:delete/@val='1']/c:idx/@val")
    assert hidden == ["0"]
    one = [series[0], series[1]]
    builder.chart(slide, Box(0, 0, 6_000_000, 3_000_000), "floating", ["A", "B"], one,
                  "Spridning", "spread-2")
    charts = [s.chart for s in reread(builder).shapes if s.has_chart]
    assert not charts[-1].has_legend        # one range shown: no legend to leave it out of


@pytest.mark.parametrize("words", [2, 5, 40])
def test_a_footer_on_a_firms_template_is_as_large_as_fits_on_one_line(sv, tmp_path, words):
    """At its layout's size where it fits there; else the largest whole size at which it fits,
    never under 7 points."""
    from pptx.enum.shapes import PP_PLACEHOLDER as PH

    from briefgen.kit.deck import FOOTER_SIZE, _layout_size

    builder = DeckBuilder(sv, load_design(firm_template(tmp_path / "firm.pptx").read_bytes()))
    builder.footer = " ".join(["Nordkonsult"] * words)
    slide = builder.slide("Rubrik", [])
    footer = next(s for s in slide.placeholders if s.placeholder_format.type == PH.FOOTER)
    frame = footer.text_frame
    width = (footer.width - frame.margin_left - frame.margin_right) / 12700
    run = frame.paragraphs[0].runs[0]
    assert run.text == builder.footer
    measure = builder.design.body.width
    largest = _layout_size(footer, FOOTER_SIZE)
    if words == 2:
        assert run.font.size is None and measure(builder.footer, largest) <= width
        return
    size = run.font.size.pt
    assert size == int(size) and 7 <= size < largest
    assert measure(builder.footer, size + 1) > width
    assert measure(builder.footer, size) <= width if words == 5 else size == 7


# --------------------------------------------------------------------------- the firm's logo


def logo_uri(tmp_path: Path, name: str, data: bytes) -> str:
    (tmp_path / name).write_bytes(data)
    return logo_data_uri(name, [tmp_path], "firm.logo")


def test_an_svg_logo_becomes_a_clear_png_900_pixels_wide(tmp_path, deck):
    data = _logo_png(logo_uri(tmp_path, "logo.svg", LOGO.encode()))
    assert data.startswith(PNG_MAGIC)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (900, 225)                 # 480 x 120, its proportions kept
        image = image.convert("RGBA")
        assert image.getpixel((0, 0))[3] == 0           # clear: the panel shows through
        assert image.getpixel((90, 112)) == (0x0B, 0x5D, 0x4B, 255)
        # Its name drawn in Lato, the shipped font: dark pixels right of the mark.
        assert (0, 0, 0) in colours(image.crop((225, 0, 900, 225)))
    builder, slide = deck
    box = Box(EMU_PER_INCH * 9, EMU_PER_INCH * 5, EMU_PER_INCH * 3, EMU_PER_INCH)
    pic = builder.picture(slide, box, data, "Logotyp för Nordkonsult", "Logo")
    assert (pic.width, pic.height) == (box.width, box.width // 4)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_raster_logo_is_placed_as_it_is(tmp_path, deck, fmt):
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 300), (0x0B, 0x5D, 0x4B)).save(buffer, fmt)
    uri = logo_uri(tmp_path, f"logo.{fmt.lower()}", buffer.getvalue())
    assert _logo_png(uri) == buffer.getvalue() == base64.b64decode(uri.split(",", 1)[1])
    # Too big for its box: scaled down into it, its proportions kept.
    builder, slide = deck
    box = Box(0, 0, EMU_PER_INCH * 3, EMU_PER_INCH)
    pic = builder.picture(slide, box, _logo_png(uri), "Logotyp", "Logo")
    assert (pic.width, pic.height, pic.top) == (box.width, box.width // 8,
                                                (box.height - box.width // 8) // 2)


@pytest.mark.parametrize("family", ["Arial", "'Helvetica Neue', Helvetica", "Georgia, serif",
                                    "monospace"])
def test_a_logo_set_in_a_font_not_shipped_keeps_its_name(tmp_path, family):
    """resvg draws no text in a font it lacks: the name falls back to Lato, not to nothing."""
    svg = LOGO.replace('font-size="46"', f'font-size="46" font-family="{family}"')
    with Image.open(io.BytesIO(_logo_png(logo_uri(tmp_path, "logo.svg", svg.encode())))) as image:
        name = image.convert("RGBA").crop((225, 0, 900, 225))
    assert (0, 0, 0) in colours(name)
    assert sum(n for n, c in name.getcolors(1 << 20) if c[3]) > 5000   # a word, not a speck


# --------------------------------------------------------------------------- the workbook's cells


def test_a_sheet_name_is_made_valid_and_unique_as_excel_needs():
    from briefgen.kit.workbook import _sheet_title

    used: set[str] = set()
    assert _sheet_title("Mål: 2027/2028 [utkast]*?\\", used) == "Mål- 2027-2028 -utkast----"
    assert _sheet_title("'Citat'", used) == "Citat"
    assert _sheet_title("''", used) == "Sheet"
    assert _sheet_title("'XBRL X'", used) == "XBRL X"        # quotes cut, nothing else
    assert _sheet_title("Resultat", used) == "Resultat"
    assert _sheet_title("resultat", used) == "resultat 2"          # Excel ignores case
    assert _sheet_title("RESULTAT", used) == "RESULTAT 3"
    long = "Förmågor jämfört med studiens medel"
    assert _sheet_title(long, used) == long[:31]
    assert _sheet_title(long, used) == long[:28] + " 2"             # still 31 characters
    assert used == {"mål- 2027-2028 -utkast----", "citat", "sheet", "xbrl x", "resultat",
                    "resultat 2",
                    "resultat 3", long[:31].lower(), (long[:28] + " 2").lower()}


def test_a_columns_width_is_what_its_widest_cell_shows():
    import datetime as dt

    from briefgen.kit.workbook import SCORE, TEXT_WIDTH, Column, _width

    text, wrapped, score = Column("Text"), Column("Text", wrap=True), Column("Poäng", SCORE)
    assert _width(None, text) == 0 and _width("", text) == 0
    assert _width(dt.date(2026, 12, 6), text) == 10                 # 2026-12-06
    assert _width(3.25, score) == 3 and _width(3.25, text) == 4     # 3,2 as shown; 3.25
    assert _width(12, Column("Antal", "0")) == 2
    assert _width("Mål\nÅtgärd och ägare", text) == 16              # its longest line
    assert _width("x" * 90, text) == 90 and _width("x" * 90, wrapped) == TEXT_WIDTH
    assert _width("x" * 20, wrapped) == 20


# --------------------------------------------------------------------------- the kit's files


@pytest.mark.parametrize("formats", [("pptx", "xlsx", "charts"), ("pdf", "xlsx")])
def test_the_kit_is_the_files_asked_for_with_the_consultants_findings(sv, formats):
    from briefgen.kit.charts import chart_files
    from briefgen.kit.deck import pptx_bytes
    from briefgen.kit.files import kit_files
    from briefgen.kit.workbook import xlsx_bytes

    findings = [("Ledningsgruppen ser digitaliseringen som en IT-fråga.", "intervjuer")]
    files = kit_files(sv, formats, findings)
    expected = {}
    if "pptx" in formats:
        expected["region-x.pptx"] = pptx_bytes(sv, findings)
    if "xlsx" in formats:
        expected["region-x.xlsx"] = xlsx_bytes(sv, findings)
    if "charts" in formats:
        expected |= {f"region-x-charts/{n}": d for n, d in chart_files(sv).items()}
    assert files == expected
    assert ("region-x-charts/capabilities-radar.svg" in files) == ("charts" in formats)
    if "xlsx" in formats:
        assert files["region-x.xlsx"] != xlsx_bytes(sv)          # the findings' sheet is in it


# --------------------------------------------------------------------------- a firm's template


def test_a_template_too_big_unpacked_or_in_too_many_parts_is_refused_before_it_is_opened(
        monkeypatch):
    """The limits lowered for the test, so that no zip bomb need be made: at the limit a
    template passes, one byte or part over it is refused, as is a file that is no package."""
    import zipfile

    from briefgen.errors import InputError
    from briefgen.kit import template

    def package(parts: int, size: int = 0, types: bool = True) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml" if types else "a.xml", "<Types/>")   # 8 bytes
            for i in range(parts - 1):
                z.writestr(f"p{i}.xml", b"0" * size)
        return buffer.getvalue()

    monkeypatch.setattr(template, "MAX_TEMPLATE_UNPACKED", 1000)
    monkeypatch.setattr(template, "MAX_TEMPLATE_ENTRIES", 10)
    for fine in (package(10), package(3, 496)):              # 10 parts; 8 + 992 bytes
        assert template._checked(fine) == fine
    refused = (r"^firm\.deck_template: unpacks to more than 1,000 bytes or 10 parts; refused "
               r"\(allowed: ")
    for big in (package(11), package(3, 497)):
        with pytest.raises(InputError, match=refused):
            template._checked(big)
    for other in (b"PK\x03\x04 not a zip", package(2, types=False)):
        with pytest.raises(InputError, match=r"^firm\.deck_template: not a PowerPoint file "):
            template._checked(other)


# --------------------------------------------------------------------------- a template's design

A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
WIDE, TALL = 9144000, 6858000          # python-pptx's default slide: 10 x 7.5 inches


def template_of(edit) -> bytes:
    """python-pptx's default package (4:3, eleven layouts) changed by ``edit``, as a file."""
    prs = Presentation()
    edit(prs)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


def layout_named(prs, name: str):
    return next(lay for lay in prs.slide_layouts if lay.name == name)


def placeholder_of(layout, kind):
    return next(ph for ph in layout.placeholders if ph.placeholder_format.type == kind)


def place(shape, left: int, top: int, width: int, height: int) -> None:
    shape.left, shape.top, shape.width, shape.height = left, top, width, height


def test_the_content_goes_in_the_largest_body_never_in_vertical_text():
    """Text bodies only (no object placeholder): a wide, low one first, a larger one after it,
    and the two vertical-text layouts' bodies larger still. The content goes in the larger of
    the first two, by area (not by proportions, not the first found)."""
    from pptx.enum.shapes import PP_PLACEHOLDER as PH

    def edit(prs) -> None:
        first = placeholder_of(layout_named(prs, "Title and Content"), PH.OBJECT)
        first.element.ph.set("type", "body")
        place(first, 457200, 1600200, 8229600, 1000000)               # 8.2 : 1, 8.2e12 EMU²
        place(placeholder_of(layout_named(prs, "Section Header"), PH.BODY),
              1000000, 2000000, 6000000, 4000000)                    # 1.5 : 1, 2.4e13 EMU²

    design = load_design(template_of(edit))
    assert design.content == Box(1000000, 2000000, 6000000, 4000000)
    assert design.content_layout.name == "Title Only"
    assert not design.builtin


@pytest.mark.parametrize(("left", "top", "expected"), [
    (-200000, -100000, Box(0, 0, WIDE, TALL)),
    (600000, 500000, Box(600000, 500000, WIDE - 600000, TALL - 500000)),
])
def test_a_body_reaching_off_the_slide_is_cut_to_it(left, top, expected):
    from pptx.enum.shapes import PP_PLACEHOLDER as PH

    def edit(prs) -> None:
        body = placeholder_of(layout_named(prs, "Title and Content"), PH.OBJECT)
        place(body, left, top, WIDE + 400000, TALL + 300000)

    assert load_design(template_of(edit)).content == expected


def test_a_title_slide_without_a_title_place_has_its_title_where_content_slides_do(sv):
    """No layout with a centred title, a first layout with no title: the title slide is that
    layout, and its title is set where the content layout's title placeholder is, not in the
    band used where no layout has a title."""
    from pptx.enum.shapes import PP_PLACEHOLDER as PH

    from briefgen.kit.deck import pptx_bytes

    def edit(prs) -> None:
        first = prs.slide_layouts[0]
        title = placeholder_of(first, PH.CENTER_TITLE)
        title.element.getparent().remove(title.element)

    data = template_of(edit)
    design = load_design(data)
    assert design.title_layout.name == "Title Slide"
    assert design.title == Box(457200, 274638, 8229600, 1143000)     # the master's title
    deck = Presentation(io.BytesIO(pptx_bytes(replace(sv, firm=Firm(deck_template=data)))))
    first = list(deck.slides)[0]
    heading = next(s for s in first.shapes if s.has_text_frame
                   and s.text_frame.text == "Digital transformation – lägesbild för Region X")
    assert (heading.left, heading.top, heading.width, heading.height) == (
        457200, 274638, 8229600, 1143000)


def theme_edited(prs, change) -> None:
    """The theme part parsed, changed by ``change`` (the root) and written back as UTF-8."""
    from lxml import etree
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    theme = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(theme.blob)
    change(root)
    theme._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def latin(root, kind: str):
    return root.find(f".//{{{A_NS}}}{kind}Font/{{{A_NS}}}latin")


def test_titles_are_measured_in_the_themes_heading_font_and_text_in_its_body_font():
    from briefgen.kit.fit import face
    from briefgen.kit.template import theme_fonts

    def edit(prs) -> None:
        def change(root) -> None:
            latin(root, "major").set("typeface", "Lato")
            latin(root, "minor").set("typeface", "Verdana")
        theme_edited(prs, change)

    design = load_design(template_of(edit))
    assert theme_fonts(design.prs) == ("Lato", "Verdana")
    assert design.heading == face("Lato") and design.body == face("Verdana")
    assert design.heading.name == "Lato" and design.body.scale > 1      # Verdana: a stand-in


def test_a_theme_without_latin_fonts_is_measured_as_calibri():
    """A heading font missing and a body font named by nothing: both Calibri, Office's own."""
    from briefgen.kit.fit import face
    from briefgen.kit.template import theme_fonts

    def edit(prs) -> None:
        def change(root) -> None:
            major = latin(root, "major")
            major.getparent().remove(major)
            latin(root, "minor").set("typeface", "")
        theme_edited(prs, change)

    design = load_design(template_of(edit))
    assert theme_fonts(design.prs) == ("Calibri", "Calibri")
    assert design.heading == design.body == face("Calibri")


def test_the_title_size_is_the_masters_or_32_points_where_it_sets_none():
    def edit(prs) -> None:
        for run in prs.slide_master._element.xpath(
                "./p:txStyles/p:titleStyle/a:lvl1pPr/a:defRPr"):
            del run.attrib["sz"]

    assert load_design(template_of(lambda prs: None)).title_size == 44.0
    assert load_design(template_of(edit)).title_size == 32.0


def test_a_template_that_will_not_open_or_has_no_layouts_is_refused_by_name():
    import zipfile

    from briefgen.errors import InputError

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:     # a package, but no presentation in it
        package.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.'
                                                'org/package/2006/content-types"/>')
    with pytest.raises(InputError) as broken:
        load_design(buffer.getvalue())
    assert str(broken.value) == (
        "firm.deck_template: not a readable PowerPoint file (KeyError; allowed: a "
        "PowerPoint presentation or template (.pptx, .potx))")

    def edit(prs) -> None:
        layouts = prs.slide_master._element.sldLayoutIdLst
        for entry in list(layouts):
            layouts.remove(entry)

    with pytest.raises(InputError) as empty:
        load_design(template_of(edit))
    assert str(empty.value) == (
        "firm.deck_template: the template has no slide layouts (allowed: a PowerPoint "
        "presentation or template (.pptx, .potx))")


def test_a_potx_is_relabelled_a_presentation_and_stays_compressed(tmp_path):
    """Relabelled in memory, its parts deflated as they were (a large template is not held
    unpacked)."""
    import zipfile

    from briefgen.kit.template import PRESENTATION_CT, TEMPLATE_CT, _checked

    data = firm_template(tmp_path / "firm.potx", potx=True).read_bytes()
    relabelled = _checked(data)
    with zipfile.ZipFile(io.BytesIO(relabelled)) as package:
        types = package.read("[Content_Types].xml")
        assert PRESENTATION_CT in types and TEMPLATE_CT not in types
        assert {i.compress_type for i in package.infolist()} == {zipfile.ZIP_DEFLATED}
    assert len(relabelled) < sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())


def test_a_part_of_a_box_is_its_shares_of_the_box():
    box = Box(1000, 2000, 3000, 400)
    assert box.part(0.1, 0.25, 0.5, 0.5) == Box(1300, 2100, 1500, 200)
    assert box.part() == box and (box.right, box.bottom) == (4000, 2400)


@pytest.mark.parametrize("form", ["utf-16", "prefix", "attribute-order"])
def test_theme_fonts_are_read_from_any_well_formed_theme(form):
    """Office writes UTF-8 with the prefix a:, but a package may hold its theme in UTF-16
    (allowed by Open Packaging) or with another prefix or attribute order (the same XML)."""
    from lxml import etree
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    from briefgen.kit.template import theme_fonts

    def edit(prs) -> None:
        theme = prs.slide_master.part.part_related_by(RT.THEME)
        xml = theme.blob.decode("utf-8")
        xml = xml.replace('<a:majorFont><a:latin typeface="Calibri"/>',
                          '<a:majorFont><a:latin typeface="Lato"/>', 1)
        xml = xml.replace('<a:minorFont><a:latin typeface="Calibri"/>',
                          '<a:minorFont><a:latin typeface="Skövde Sans"/>', 1)
        if form == "utf-16":
            theme._blob = etree.tostring(etree.fromstring(xml.encode("utf-8")),
                                         xml_declaration=True, encoding="UTF-16")
        elif form == "prefix":
            theme._blob = re.sub(r"(</?)a:", r"\1d:", xml).replace("xmlns:a=", "xmlns:d=") \
                .encode("utf-8")
        else:
            theme._blob = xml.replace('<a:latin typeface="Lato"/>',
                                      '<a:latin pitchFamily="34" typeface="Lato"/>') \
                .encode("utf-8")

    assert theme_fonts(load_design(template_of(edit)).prs) == ("Lato", "Skövde Sans")


@pytest.mark.parametrize("fault", ["not-xml", "no-theme"])
def test_a_template_whose_master_has_no_readable_theme_is_refused_by_name(fault):
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    from briefgen.errors import InputError

    def edit(prs) -> None:
        master = prs.slide_master.part
        if fault == "not-xml":
            master.part_related_by(RT.THEME)._blob = b'<a:theme xmlns:a="x"><a:themeElements>'
        else:
            master.drop_rel(next(r.rId for r in master.rels.values() if r.reltype == RT.THEME))

    with pytest.raises(InputError) as refused:
        load_design(template_of(edit))
    assert str(refused.value) == (
        "firm.deck_template: the slide master has no readable theme (allowed: a PowerPoint "
        "presentation or template (.pptx, .potx))")
