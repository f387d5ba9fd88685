"""Accessible (PDF/UA-1) and archivable (PDF/A-3b) briefings, read back with pikepdf and qpdf."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pikepdf
import pytest
import yaml

from briefgen import charts, resources
from briefgen.config import contrast_ratio, luminance
from briefgen.options import Options
from briefgen.pipeline import Briefgen

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
}


# --------------------------------------------------------------------------- helpers


def xmp(pdf: pikepdf.Pdf) -> dict[str, list[str]]:
    """Every XMP property as ``prefix:name`` -> values, read from the raw stream (not rewritten)."""
    root = ElementTree.fromstring(pdf.Root.Metadata.read_bytes().split(b"?>", 1)[1]
                                  .rsplit(b"<?xpacket", 1)[0])
    prefixes = {uri: prefix for prefix, uri in NS.items()}
    values: dict[str, list[str]] = {}
    for desc in root.iter(f"{{{NS['rdf']}}}Description"):
        for name, value in desc.attrib.items():
            uri, _, local = name[1:].partition("}")
            if uri in prefixes and prefixes[uri] != "rdf":
                values.setdefault(f"{prefixes[uri]}:{local}", []).append(value)
        for child in desc:
            uri, _, local = child.tag[1:].partition("}")
            if uri in prefixes:
                items = [li.text or "" for li in child.iter(f"{{{NS['rdf']}}}li")]
                values.setdefault(f"{prefixes[uri]}:{local}", []).extend(
                    items or [child.text or ""])
    return values


def struct_elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """The structure elements in reading order (depth first)."""
    found: list[pikepdf.Dictionary] = []

    def walk(node) -> None:
        if isinstance(node, pikepdf.Array):
            for item in node:
                walk(item)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            found.append(node)
            if "/K" in node:
                walk(node.K)

    walk(pdf.Root.StructTreeRoot.K)
    return found


def kind(elem: pikepdf.Dictionary) -> str:
    return str(elem.S)[1:]


def children(elem: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    kids = elem.get("/K")
    kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    return [k for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def qpdf_check(path: Path) -> None:
    if shutil.which("qpdf") is None:
        pytest.fail("qpdf is not installed (apt-get install qpdf)")
    done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors found" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def ua_sv(rendered) -> Path:
    return rendered[("region-x", "sv")]


@pytest.fixture(scope="module")
def archived(tmp_path_factory) -> dict[str, Path]:
    """Region X in PDF/A-3b, Swedish and English, written by ``make`` with a firm as author."""
    out = tmp_path_factory.mktemp("archived")
    bg = Briefgen(Options(pdf_variant="pdf/a-3b", author="Konsultbyrån AB", out=out))
    return {lang: bg.make("region-x", lang=lang).path for lang in ("sv", "en")}


# --------------------------------------------------------------------------- PDF/UA-1


@pytest.mark.parametrize("org, lang", [("region-x", "sv"), ("kommun-y", "en"),
                                       ("myndighet-z", "sv")])
def test_every_briefing_declares_pdf_ua_and_its_language(rendered, org, lang):
    path = rendered[(org, lang)]
    with pikepdf.open(path) as pdf:
        assert xmp(pdf)["pdfuaid:part"] == ["1"]
        assert str(pdf.Root.Lang) == lang
        assert xmp(pdf)["dc:language"] == [lang]
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        assert str(pdf.docinfo.Title) and xmp(pdf)["dc:title"] == [str(pdf.docinfo.Title)]
    qpdf_check(path)


def test_every_figure_has_alternative_text_from_its_data(ua_sv):
    with pikepdf.open(ua_sv) as pdf:
        figures = [e for e in struct_elements(pdf) if kind(e) == "Figure"]
        alts = [str(f.get("/Alt", "")) for f in figures]
    assert len(figures) >= 12  # radar, effects, impact, maturity, importance, seven gauges
    assert all(len(alt) > 20 for alt in alts), alts
    radar = next(a for a in alts if a.startswith("Radardiagram"))
    assert "Digitalt ledarskap er 3,0" in radar and "ej redovisat" in radar.lower()


def test_headings_start_at_h1_and_never_skip_a_level(ua_sv):
    with pikepdf.open(ua_sv) as pdf:
        levels = [int(kind(e)[1]) for e in struct_elements(pdf) if re.fullmatch(r"H\d", kind(e))]
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"heading H{after} follows H{before}"


def test_lists_hold_list_items_and_tables_header_cells_with_scope(ua_sv):
    with pikepdf.open(ua_sv) as pdf:
        elements = struct_elements(pdf)
        lists = [e for e in elements if kind(e) == "L"]
        assert len(lists) > 10
        for lst in lists:
            assert {kind(c) for c in children(lst)} <= {"LI", "L", "Caption"}, \
                [kind(c) for c in children(lst)]
        tables = [e for e in elements if kind(e) == "Table"]
        assert len(tables) >= 6
        for table in tables:
            groups = {kind(c): c for c in children(table)}
            assert "TBody" in groups
            if "THead" in groups:  # tables of figures: a header row of column headers
                head_cells = [c for row in children(groups["THead"]) for c in children(row)]
                assert head_cells and all(kind(c) == "TH" for c in head_cells)
                assert all(str(c.A.Scope) == "/Column" for c in head_cells)
            for row in children(groups["TBody"]):  # every row is named by a row header
                cells = children(row)
                assert kind(cells[0]) == "TH" and str(cells[0].A.Scope) == "/Row"
                for cell in cells[1:]:
                    expected = 2 if "THead" in groups else 1
                    assert kind(cell) == "TD" and len(cell.A.Headers) == expected


def test_passages_in_another_language_are_marked(rendered):
    with pikepdf.open(rendered[("region-x", "en")]) as pdf:
        marked = {str(e.Lang) for e in struct_elements(pdf) if "/Lang" in e}
    assert "sv" in marked  # the Swedish title of the 2018 report, in an English briefing


def test_running_heads_are_not_hidden_text(ua_sv):
    # The header's organisation name and "Sida x av y" come from CSS, not from invisible text
    # that a screen reader would read out on the cover.
    # (that they are artifacts outside the tree is pinned in test_hostile2.py)
    with pikepdf.open(ua_sv) as pdf:
        texts = [str(e.get("/ActualText", "")) + str(e.get("/Alt", ""))
                 for e in struct_elements(pdf)]
        spans = [e for e in struct_elements(pdf)[:40] if kind(e) == "P"]
        assert spans
    assert not any(re.search(r"Sida \d+ av \d+", t) for t in texts)


def test_every_font_is_embedded(ua_sv, archived):
    for path in (ua_sv, archived["sv"]):
        with pikepdf.open(path) as pdf:
            fonts = [o for o in pdf.objects
                     if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"]
            assert fonts
            for font in fonts:
                descendants = font.get("/DescendantFonts")
                for f in ([font] if descendants is None else list(descendants)):
                    assert str(f.Subtype) != "/Type3" or "/CharProcs" in f
                    if str(f.Subtype) in ("/Type0", "/Type3"):
                        continue
                    desc = f.FontDescriptor
                    assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), \
                        f"font {f.get('/BaseFont')} is not embedded"


# --------------------------------------------------------------------------- PDF/A-3b


def test_pdf_a_3b_identification_keeps_the_tags_and_pdf_ua(archived):
    with pikepdf.open(archived["sv"]) as pdf:
        meta = xmp(pdf)
        assert meta["pdfaid:part"] == ["3"] and meta["pdfaid:conformance"] == ["B"]
        assert meta["pdfuaid:part"] == ["1"]
        assert "/StructTreeRoot" in pdf.Root and bool(pdf.Root.MarkInfo.Marked)
        assert "/OutputIntents" in pdf.Root
        assert pdf.pdf_version >= "1.7"
    qpdf_check(archived["sv"])
    qpdf_check(archived["en"])


def test_pdf_a_3b_carries_the_profile_and_the_analysis(archived):
    with pikepdf.open(archived["en"]) as pdf:
        files = {name: spec for name, spec in pdf.attachments.items()}
        assert set(files) == {"region-x.yaml", "region-x-analysis.json"}
        associated = {str(spec.UF): str(spec.AFRelationship) for spec in pdf.Root.AF}
        assert associated == {"region-x.yaml": "/Source", "region-x-analysis.json": "/Data"}
        profile = files["region-x.yaml"].get_file().read_bytes()
        analysis = json.loads(files["region-x-analysis.json"].get_file().read_bytes())
    shipped = (resources.data_dir() / "orgs" / "region-x.yaml").read_bytes()
    assert profile == shipped  # the original bytes, comments and all
    assert analysis["org"]["id"] == "region-x" and analysis["lang"] == "en"
    assert len(analysis["capabilities"]) == 7


def test_pdf_a_3b_from_a_profile_built_in_python_carries_it_as_yaml(tmp_path,
                                                                     region_x_profile):
    from briefgen.load import validate_profile

    bg = Briefgen(Options(pdf_variant="pdf/a-3b"))
    org = validate_profile(dict(region_x_profile, name="Region Ö"), bg.bundle, "api")
    data, _ = bg.pdf(org)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        carried = pdf.attachments["region-x.yaml"].get_file().read_bytes()
    assert yaml.safe_load(carried)["name"] == "Region Ö"


def test_pdf_a_3b_info_and_xmp_agree(archived):
    with pikepdf.open(archived["sv"]) as pdf:
        info, meta = pdf.docinfo, xmp(pdf)
        assert meta["dc:title"] == [str(info.Title)]
        assert str(info.Title) == "Digital transformation – lägesbild för Region X"
        assert meta["dc:creator"] == [str(info.Author)] == ["Konsultbyrån AB"]
        assert meta["dc:description"] == [str(info.Subject)]
        assert meta["pdf:Keywords"] == [str(info.Keywords)]
        assert "självskattning" in str(info.Keywords)
        assert meta["xmp:CreatorTool"] == [str(info.Creator)]
        assert meta["pdf:Producer"] == [str(info.Producer)]
        assert meta["dc:language"] == [str(pdf.Root.Lang)] == ["sv"]
        # The creation date is the assessment date (region-x.yaml: 2026-10-15), not today.
        assert meta["xmp:CreateDate"] == ["2026-10-15T12:00:00Z"]
        assert str(info.CreationDate) == "D:20261015120000Z"


def test_the_same_input_gives_the_same_bytes(tmp_path):
    bg = Briefgen(Options(pdf_variant="pdf/a-3b"))
    first, _ = bg.pdf("myndighet-z")
    second, _ = bg.pdf("myndighet-z")
    assert first == second


# --------------------------------------------------------------------------- contrast


def contrast(a: str, b: str) -> float:
    return contrast_ratio(a, b)


def test_contrast_formula_matches_wcag_examples():
    # WCAG's own figures: black on white 21:1, #767676 the lightest grey that passes 4.5:1
    # (4.54), #777777 just fails it (4.48); #FFF is #FFFFFF.
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21)
    assert contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)
    assert contrast("#777777", "#fff") == pytest.approx(4.48, abs=0.01)


NAMED = {"white": "#FFFFFF", "black": "#000000"}
# Rules whose text sits on the cover's navy band (their own rules set no background).
ON_COVER_BAND = re.compile(r"^\.cover-(band|title|org|for)\b")


def css_rules(css: str) -> list[tuple[str, dict[str, str]]]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        decls = dict((k.strip(), v.strip()) for k, _, v in
                     (d.partition(":") for d in body.split(";") if ":" in d))
        rules.append((selector.strip().split("\n")[-1].strip(), decls))
    return rules


def test_text_colours_in_the_stylesheet_meet_wcag_aa():
    # The colours are defined in common.css, which briefing.css imports.
    rules = css_rules("\n".join((resources.templates_dir() / name).read_text("utf-8")
                                for name in ("common.css", "briefing.css")))
    variables = {k: v for sel, d in rules if sel == ":root" for k, v in d.items()}

    def colour(value: str) -> str | None:
        value = re.sub(r"var\((--[\w-]+)\)", lambda m: variables[m.group(1)], value).strip()
        value = NAMED.get(value, value)
        return value if re.fullmatch(r"#[0-9A-Fa-f]{3}([0-9A-Fa-f]{3})?", value) else None

    band = next(colour(d["background"]) for s, d in rules if s == ".cover-band")
    light = ["#FFFFFF"] + sorted({c for _, d in rules if "background" in d
                                  for c in [colour(d["background"])] if c and luminance(c) > 0.5})
    checked = 0
    for selector, decls in rules:
        if "color" not in decls or colour(decls["color"]) is None:
            continue
        text = colour(decls["color"])
        if selector.startswith(".orgname-holder"):
            continue
        if "background" in decls and colour(decls["background"]):
            grounds = [colour(decls["background"])]
        elif ON_COVER_BAND.match(selector):
            grounds = [band]
        else:
            grounds = light
        for ground in grounds:
            ratio = contrast(text, ground)
            assert ratio >= 4.5, f"{selector}: {text} on {ground} is {ratio:.2f}:1"
            checked += 1
    assert checked > 20


def test_text_colours_in_the_charts_meet_wcag_aa(bg):
    """Every colour of text in the drawn charts (the SVGs, read back), on white and on the
    pale ground of a highlighted band; white, inside a bar, on the bar's colour."""
    analysis, _ = bg.analyse("region-x")
    drawn, _ = bg.charts(analysis)
    colours = set()
    for chart in drawn.values():
        for style in re.findall(r'<text [^>]*style="([^"]*)"', chart.svg):
            colours.update(re.findall(r"fill: *(#[0-9A-Fa-f]{6})", style))
    expected = {"#" + getattr(charts, name).hexval()[2:].upper()
                for name in ("MUTED", "BENCH", "ORG", "INK")}
    assert expected <= {c.upper() for c in colours}
    org, pale = ("#" + colour.hexval()[2:] for colour in (charts.ORG, charts.PALE))
    for text in sorted(colours):
        # White is only written inside the organisation's bars; the rest on white or pale.
        grounds = [org] if text.upper() == "#FFFFFF" else ["#FFFFFF", pale]
        for ground in grounds:
            ratio = contrast(text, ground)
            assert ratio >= 4.5, f"chart text {text} on {ground} is {ratio:.2f}:1"
