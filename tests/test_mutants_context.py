"""What the survey, progress and peer partials are given: the spread finding at the rules'
threshold, the rows of the spread chart, one peer comparison per built benchmark. Written to kill
the mutants of ``briefgen.context`` the rendering tests let live (docs/mutation.md)."""

from __future__ import annotations

import pytest

from briefgen.analyse import analyse
from briefgen.context import partials_context
from briefgen.load import load_benchmark, load_data, load_org
from briefgen.options import ACCENT
from briefgen.survey.aggregate import survey_org
from briefgen.survey.columns import answer_columns
from briefgen.survey.read import read_survey
from briefgen.texts import Texts

from .test_survey import FIXTURE


@pytest.fixture(scope="module")
def bundle():
    return load_data()


def partials(org, bundle, lang="sv", threshold=None, benchmarks=None):
    """partials_context as the pipeline calls it, with the rules' spread threshold or another."""
    analysis = analyse(org, load_benchmark(None, bundle), bundle)
    rules = bundle.rules.surveys
    if threshold is not None:
        rules = rules.model_copy(update={"spread_finding": threshold})
    t = Texts(lang, bundle.root, bundle.framework)
    return partials_context(analysis, benchmarks or [analysis.benchmark], bundle.framework,
                            rules, t)


def heading(bundle, key: str, lang: str = "sv") -> str:
    (column,) = [c for c in answer_columns(bundle.framework) if c.key == key]
    return column.heading.sv if lang == "sv" else column.heading.en


@pytest.fixture
def surveyed(bundle):
    """region-x of the survey fixture: three respondents, answers 0 to 3 points apart."""
    return survey_org(read_survey(FIXTURE, bundle), "region-x", bundle)


def test_the_spread_finding_lists_what_the_rules_call_wide_widest_first(bundle, surveyed):
    context, charts = partials(surveyed, bundle)
    survey = context["survey"]
    assert bundle.rules.surveys.spread_finding == 2.0
    assert (survey["respondents"], survey["single"], survey["threshold"]) == (3, False, 2.0)
    assert [label for label, _ in survey["wide"]] == [
        heading(bundle, "digital_leadership"),
        heading(bundle, "data_access_security.collect_store"),
        heading(bundle, "effects.citizen_centric")]
    assert [s["max"] - s["min"] for _, s in survey["wide"]] == [3.0, 2.0, 2.0]
    assert survey["wide"][0][1] is surveyed.spread["digital_leadership"]


@pytest.mark.parametrize(("threshold", "wide"), [
    (2.0, ["digital_leadership", "data_access_security.collect_store", "effects.citizen_centric"]),
    (2.5, ["digital_leadership"]), (3.5, [])])
def test_the_spread_finding_and_chart_follow_the_rules_threshold(bundle, surveyed, threshold,
                                                                 wide):
    context, charts = partials(surveyed, bundle, threshold=threshold)
    survey = context["survey"]
    assert survey["threshold"] == threshold
    assert [label for label, _ in survey["wide"]] == [heading(bundle, k) for k in wide]
    # the chart outlines the same ranges in the accent colour
    assert charts["spread"].svg.count(f"stroke: {ACCENT}") == len(wide)


def test_every_answered_question_is_a_row_in_the_framework_order(bundle, surveyed):
    survey = partials(surveyed, bundle, lang="en")[0]["survey"]
    keys = [c.key for c in answer_columns(bundle.framework)]
    assert [label for label, _ in survey["rows"]] == [heading(bundle, k, "en") for k in keys]
    assert [s for _, s in survey["rows"]] == [surveyed.spread[k] for k in keys]


def test_the_spread_chart_shows_capabilities_and_effects_not_the_expected_impact(bundle,
                                                                                 surveyed):
    context, charts = partials(surveyed, bundle, lang="en")
    chart = charts["spread"]
    impact = [c for c in answer_columns(bundle.framework) if c.kind == "impact"]
    shown = [c for c in answer_columns(bundle.framework) if c.kind != "impact"]
    assert all(c.heading.en in chart.alt for c in shown)
    assert not any(c.heading.en in chart.alt for c in impact)
    assert chart.alt.startswith("Spread of the answers, 3 respondents. ")


def test_one_respondent_is_single_and_no_survey_is_none(bundle):
    single = survey_org(read_survey(FIXTURE, bundle), "kommun-a", bundle)
    survey = partials(single, bundle)[0]["survey"]
    assert survey["single"] is True and survey["respondents"] == 1 and survey["wide"] == []
    context, charts = partials(load_org("region-x", bundle), bundle)
    assert context["survey"] is None and "spread" not in charts
