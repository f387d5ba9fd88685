"""Charts: valid SVG in the shipped font, dashed axes where the study is silent, alt text."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from briefgen.charts import draw_all, gauge, radar


@pytest.fixture(scope="module")
def region_x(bg):
    return bg.analyse("region-x")[0]


def test_every_chart_is_valid_svg_in_lato(bg, region_x):
    charts = draw_all(region_x, bg.texts("sv"))
    assert {"radar", "effects", "impact", "maturity", "importance"} <= set(charts)
    assert sum(name.startswith("gauge-") for name in charts) == 7
    for chart in charts.values():
        root = ElementTree.fromstring(chart.svg.encode())
        assert root.tag.endswith("svg")
        assert "font-family: Lato" in chart.svg and "Helvetica" not in chart.svg
        assert chart.alt and chart.width > 0 and chart.height > 0


def test_radar_dashes_exactly_the_axes_without_a_benchmark(bg, region_x):
    chart = radar(region_x, bg.texts("en"))
    unreported = [c for c in region_x.capabilities if c.benchmark is None]
    # One dashed axis per capability the study gives no mean for, plus the legend's sample.
    assert chart.svg.count("stroke-dasharray") == len(unreported) + 1 == 4


def test_radar_alt_text_names_every_value_in_the_language(bg, region_x):
    sv = radar(region_x, bg.texts("sv")).alt
    en = radar(region_x, bg.texts("en")).alt
    assert sv.startswith("Radardiagram") and en.startswith("Radar chart")
    assert "Digitalt ledarskap er 3,0, studien ej redovisat" in sv
    assert "Agile decision structures yours 1.5, study 3.0" in en


def test_gauge_without_benchmark_draws_no_marker(bg):
    t = bg.texts("en")
    with_bench = gauge("new_working_methods", 2.0, 3.1, t)
    without = gauge("digital_leadership", 3.0, None, t)
    assert with_bench.svg.count("<polygon") == 1 and without.svg.count("<polygon") == 0
    assert "study mean not reported" in without.alt
