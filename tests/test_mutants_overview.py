"""The portfolio overview in this process, fast enough for mutation testing (docs/mutation.md):
the spread's quartiles, where each mark of its charts stands, the charts as drawn (golden SVGs,
looked at), the alternative texts, and the PDF's text, metadata, file and sources."""

from __future__ import annotations

import json
import logging
import re
import shutil
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader

from briefgen import resources
from briefgen.analyse import analyse
from briefgen.batch.manifest import MANIFEST_JSON
from briefgen.batch.overview import (
    overview_from_source,
    overview_name,
    phase_chart,
    render_overview,
    spread,
    spread_chart,
    write_overview,
)
from briefgen.charts import scale_x
from briefgen.errors import InputError
from briefgen.load import load_benchmark, load_data, load_org
from briefgen.options import Options
from briefgen.texts import Texts

from .golden import assert_golden

ORGS = resources.data_dir() / "orgs"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def bundle():
    return load_data()


@pytest.fixture(scope="module")
def bench(bundle):
    return load_benchmark(None, bundle)


@pytest.fixture(scope="module")
def orgs(bundle):
    return [load_org(path, bundle) for path in sorted(ORGS.glob("*.yaml"))]


def texts(bundle, lang: str) -> Texts:
    return Texts(lang, bundle.root, bundle.framework)


def portfolio(orgs, bench, bundle):
    """The shipped three's spreads and phase counts, as render_overview makes them."""
    analyses = [analyse(o, bench, bundle) for o in orgs]
    fw = bundle.framework
    caps = [spread(k, [a.capability(k).score for a in analyses], bench.capability(k).mean)
            for k in fw.capability_keys]
    effects = [spread(k, [a.effect(k).score for a in analyses], bench.effect(k).mean)
               for k in fw.effect_keys]
    counts = {p.key: 0 for p in fw.phases}
    for a in analyses:
        counts[a.maturity.phase] += 1
    return caps, effects, counts


def marks(svg: str, tag: str) -> list[dict[str, str]]:
    return [e.attrib for e in ElementTree.fromstring(svg.encode()).iter(SVG + tag)]


def texts_in(svg: str) -> list[tuple[float, float, str]]:
    return [(float(e.get("x")), float(e.get("y")), e.text)
            for e in ElementTree.fromstring(svg.encode()).iter(SVG + "text")]


# --------------------------------------------------------------------------- the figures


def test_the_spread_is_sorted_with_inclusive_quartiles_and_counts_who_is_below():
    row = spread("x", [4.0, 1.0, 3.0, 2.0, 5.0], 3.0)
    assert (row.key, row.scores, row.q1, row.median, row.q3) == ("x", [1, 2, 3, 4, 5], 2, 3, 4)
    assert (row.benchmark, row.below) == (3.0, 2)        # strictly below: 3.0 is not
    two = spread("x", [4.0, 2.0], None)
    assert (two.q1, two.median, two.q3, two.below) == (2.5, 3.0, 3.5, 0)
    one = spread("x", [3.5], 4.0)
    assert (one.q1, one.median, one.q3, one.below) == (3.5, 3.5, 3.5, 1)


def test_the_overviews_file_is_named_per_language():
    assert overview_name("sv") == "overview.pdf"
    assert overview_name("en") == "overview-en.pdf"


# --------------------------------------------------------------------------- the charts


def test_each_organisation_is_a_dot_on_its_score_in_a_box_of_the_middle_half(bundle):
    t = texts(bundle, "en")
    rows = [spread("digital_leadership", [1.0, 3.0, 5.0], None),
            spread("new_working_methods", [2.0, 2.5, 4.0], 3.1)]
    chart = spread_chart("capabilities", rows, t)
    assert (chart.name, chart.width, chart.height) == ("capabilities", 720, 34 + 2 * 32 + 24)
    x0, x1 = 190 + 14, 720 - 110

    def x(v: float) -> float:
        return scale_x(x0, x1, v)

    dots = [(float(c["cx"]), float(c["cy"])) for c in marks(chart.svg, "circle")]
    assert [cx for cx, _ in dots] == [x(1), x(3), x(5), x(2), x(2.5), x(4), 204 + 7]
    assert len({cy for _, cy in dots[:3]}) == 3                  # jittered, not stacked
    boxes = [(float(r["x"]), float(r["width"])) for r in marks(chart.svg, "rect")[1:3]]
    assert boxes == [(x(2), x(4) - x(2)), (x(2.25), x(3.25) - x(2.25))]
    (bench_mark, _legend) = marks(chart.svg, "polygon")
    assert bench_mark["points"].split(",")[1].split()[0] == str(x(3.1) + 4.6)
    labels = [s for _, _, s in texts_in(chart.svg)]
    assert labels[:5] == ["1", "2", "3", "4", "5"]               # the scale
    assert labels[5:9] == ["Digital leadership", "3.0", "study: no mean", "New working methods"]
    assert labels[9:11] == ["2.5", "2 of 3 below study"]
    assert labels[11:] == ["One organisation", "Middle half and median", "Study mean"]
    assert chart.alt == (
        "Spread chart, scale 1–5, 3 organisations: Digital leadership median 3.0, middle half "
        "2.0–4.0, no mean in the study; New working methods median 2.5, middle half 2.2–3.2, "
        "study 3.1, 2 below the study.")


def test_a_single_organisation_is_drawn_without_jitter_and_the_legend_does_not_overlap(bundle):
    t = texts(bundle, "sv")
    chart = spread_chart("effects", [spread("efficiency", [3.0], 2.6)], t)
    (dot, *_), = [[float(c["cy"]) for c in marks(chart.svg, "circle")]]
    assert dot == chart.height - 34 - 32 + 16                    # on the strip's middle
    legend = [(x, s) for x, y, s in texts_in(chart.svg) if y == chart.height - 14 - 2]
    assert [s for _, s in legend] == ["En verksamhet", "Mittersta hälften och median",
                                      "Studiens medel"]
    from reportlab.pdfbase import pdfmetrics

    for (xa, a), (xb, _) in zip(legend, legend[1:]):  # noqa: B905
        assert xa + pdfmetrics.stringWidth(a, "Lato", 8) + 16 + 19 - 1 <= xb + 19
    assert spread_chart("effects", [], t).alt == "Spridningsdiagram, skala 1–5, 0 verksamheter: ."


def test_the_phase_bars_are_the_portfolios_and_the_studys_shares(bundle, bench):
    t = texts(bundle, "en")
    chart = phase_chart({"mobilised": 1, "embedded": 3}, bench, t)
    assert (chart.name, chart.width, chart.height) == ("phases", 720, 200)
    bars = marks(chart.svg, "rect")[1:9]
    tallest = 200 - 46 - 30 - 20
    study = {k: c.count for k, c in bench.overall.phases.items()}
    heights = [float(b["height"]) for b in bars]
    assert heights[0] == pytest.approx(tallest * 0.25)
    assert heights[2] == pytest.approx(tallest * 0.75)
    assert heights[4] == heights[6] == pytest.approx(0.8)        # none: a hairline
    shares = [study[k] / sum(study.values()) for k in ("mobilised", "embedded", "accelerated",
                                                      "integrated")]
    assert heights[1::2] == pytest.approx([max(tallest * s, 0.8) for s in shares])
    assert chart.alt == ("Bar chart of the portfolio's organisations per maturity phase: "
                         "Mobilised 1 (25%); Embedded 3 (75%); Accelerated 0 (0%); "
                         "Integrated 0 (0%).")
    labels = [s for _, _, s in texts_in(chart.svg)]
    assert labels[:3] == ["1 (25%)", f"{round(shares[0] * 100)}%", "Mobilised"]
    assert labels[-2:] == ["Portfolio, count (share)", "Study, share"]
    empty = phase_chart({}, bench, t)                            # no organisation: no division
    assert "Mobilised 0 (0%)" in empty.alt


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_charts_are_drawn_as_their_golden_copies(bundle, bench, orgs, lang):
    caps, effects, counts = portfolio(orgs, bench, bundle)
    t = texts(bundle, lang)
    assert_golden(f"overview-capabilities-{lang}.svg", spread_chart("capabilities", caps, t).svg)
    assert_golden(f"overview-effects-{lang}.svg", spread_chart("effects", effects, t).svg)
    assert_golden(f"overview-phases-{lang}.svg", phase_chart(counts, bench, t).svg)


# --------------------------------------------------------------------------- the PDF


def pdf_text(data: bytes) -> str:
    import io

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_overview_pdf_holds_every_organisation_its_charts_and_its_metadata(orgs):
    data = render_overview(list(reversed(orgs)), Options(author="Anna Analytiker"))
    assert data == render_overview(orgs, Options(author="Anna Analytiker"))  # order: same
    reader = PdfReader(__import__("io").BytesIO(data))
    meta = reader.metadata
    assert meta.title == "Portföljöversikt: 3 verksamheter"
    assert meta.author == "Anna Analytiker"
    assert meta.subject.startswith("Självskattningar av digital transformation för 3 "
                                   "verksamheter, jämförda med ")
    assert meta.creation_date.date().isoformat() == max(
        str(o.profile.assessed) for o in orgs)
    text = pdf_text(data)
    for org in orgs:
        assert org.name in text
    assert "Spridning per förmåga och effektområde" in text
    assert "Var verksamheterna står på mognadskurvan" in text
    english = render_overview(orgs, Options(lang="en"))
    assert "Digital transformation across the portfolio" in pdf_text(english)
    assert PdfReader(__import__("io").BytesIO(english)).metadata.author in (None, "")


def test_the_overview_of_a_subset_is_another_document(orgs):
    def identifier(data: bytes) -> bytes:
        return re.search(rb"/ID \[\(([0-9a-f]+)\)", data)[1]

    assert identifier(render_overview(orgs, Options())) != identifier(
        render_overview(orgs[:2], Options()))


def test_an_overview_of_nobody_is_refused():
    with pytest.raises(InputError, match="^the overview needs at least one valid organisation$"):
        render_overview([], Options())


def test_the_overview_is_written_whole_and_logged(orgs, tmp_path, caplog):
    path = tmp_path / "o.pdf"
    with caplog.at_level(logging.INFO, logger="briefgen.batch.overview"):
        assert write_overview(orgs, path, Options()) == path
    assert path.read_bytes().startswith(b"%PDF-")
    assert caplog.messages == [f"wrote the overview of 3 organisations to {path}"]
    assert [p.name for p in tmp_path.iterdir()] == ["o.pdf"]      # no temporary file left


def test_an_overview_from_a_folder_of_profiles_leaves_out_the_invalid_ones(tmp_path, orgs):
    source = tmp_path / "orgs"
    shutil.copytree(ORGS, source)
    (source / "trasig.yaml").write_text("id: trasig\nname: Trasig\n", encoding="utf-8")
    path, skipped = overview_from_source(source, Options(out=str(tmp_path / "out")))
    assert path == tmp_path / "out" / "overview.pdf" and path.is_file()
    assert len(skipped) == 1 and "trasig.yaml" in skipped[0]
    own = tmp_path / "own.pdf"
    assert overview_from_source(source, Options(lang="en"), own)[0] == own
    assert "Digital transformation across the portfolio" in pdf_text(own.read_bytes())


def test_an_overview_of_a_batchs_output_reads_the_batchs_input(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST_JSON).write_text(json.dumps({"input": str(ORGS)}), encoding="utf-8")
    path, skipped = overview_from_source(out, Options(out=str(tmp_path / "elsewhere")))
    assert path == out / "overview.pdf" and skipped == []      # beside the batch's files
    (out / MANIFEST_JSON).write_text(json.dumps({"input": str(tmp_path / "gone")}), "utf-8")
    with pytest.raises(InputError) as gone:
        overview_from_source(out, Options())
    assert str(gone.value) == (f"{out / MANIFEST_JSON}: the batch's input {tmp_path / 'gone'} "
                               "no longer exists")
    for broken in ("{", "[]", json.dumps({"inputs": "x"}), json.dumps({"input": 5})):
        (out / MANIFEST_JSON).write_text(broken, encoding="utf-8")
        with pytest.raises(InputError) as unreadable:
            overview_from_source(out, Options())
        assert str(unreadable.value) == (f"{out / MANIFEST_JSON}: unreadable; give the "
                                         "batch's input instead")
