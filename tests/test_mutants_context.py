"""What the survey, progress and peer partials are given: the spread finding at the rules'
threshold, the rows of the spread chart, one peer comparison per built benchmark. Written to kill
the mutants of ``briefgen.context`` the rendering tests let live (docs/mutation.md)."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from briefgen import __version__
from briefgen.analyse import analyse
from briefgen.compare import disagreements, member_key
from briefgen.context import MAX_ROLE_COLUMNS, partials_context, roles_context
from briefgen.load import load_benchmark, load_data, load_org
from briefgen.models import RoleGroup
from briefgen.options import ACCENT, Options
from briefgen.pipeline import Briefgen
from briefgen.survey.aggregate import survey_org
from briefgen.survey.columns import answer_columns
from briefgen.survey.read import read_survey
from briefgen.texts import Texts

from .test_compare import built, write_with_previous
from .test_mutants_batch import PNG
from .test_survey import FIXTURE


@pytest.fixture(scope="module")
def bundle():
    return load_data()


def partials(org, bundle, lang="sv", threshold=None, benchmarks=None, min_group_size=None):
    """partials_context as the pipeline calls it, with the rules' spread threshold and
    smallest peer group, or others."""
    analysis = analyse(org, load_benchmark(None, bundle), bundle)
    rules = bundle.rules.surveys
    if threshold is not None:
        rules = rules.model_copy(update={"spread_finding": threshold})
    if min_group_size is not None:
        rules = rules.model_copy(update={"min_group_size": min_group_size})
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


def test_roles_beyond_the_tables_columns_are_named_and_the_others_come_last(bundle, surveyed):
    """Six roles big enough and "the others": the table holds five, the largest first; the
    rest are named below it (the others among them), each area's means in the columns' order."""
    fw = bundle.framework
    areas = [*fw.capability_keys, *fw.effect_keys]
    named = [RoleGroup(role=role, n=n, means={k: 1 + i / 2 + j / 100 for j, k in
                                               enumerate(areas) if j != 2 * i})
             for i, (role, n) in enumerate([("Ledning", 10), ("IT", 9), ("HR", 8),
                                            ("Ekonomi", 7), ("Vård", 6), ("Skola", 5)])]
    others = RoleGroup(role=None, n=5, means={k: 4.0 for k in areas})
    # The others first, as no aggregate gives them: the table still puts them last.
    org = surveyed.model_copy(update={"role_groups": [others, *named], "with_role": 45})
    rules = bundle.rules.surveys
    for lang, everyone, rest in (("sv", "Alla", "Övriga"), ("en", "Everyone", "Others")):
        t = Texts(lang, bundle.root, fw)
        roles = roles_context(org, fw, rules, t)
        assert MAX_ROLE_COLUMNS == 5
        assert (roles["hidden"], roles["min"], roles["gap"]) == (False, 5, 1.0)
        assert roles["heads"] == [f"{everyone} (3)", "Ledning (10)", "IT (9)", "HR (8)",
                                  "Ekonomi (7)", "Vård (6)"]
        assert roles["omitted"] == ["Skola", rest]
        everyone_scores = {**org.capability_scores, **org.profile.effects}
        assert roles["rows"] == [(t.label(k), everyone_scores[k],
                                  [g.means.get(k) for g in named[:5]]) for k in areas]
        assert roles["rows"][0][2][0] is None and roles["rows"][2][2][1] is None
        (label, high, high_mean, low, low_mean), *_ = roles["gaps"]
        assert (high, low) == (rest, "Ledning") and high_mean == 4.0 and low_mean == 1.01
        assert label == t.label(areas[1])
    # Only named roles shown and the others among them: the others' column is named in words.
    small = surveyed.model_copy(update={"role_groups": [others, named[0]], "with_role": 10})
    roles = roles_context(small, fw, rules, Texts("sv", bundle.root, fw))
    assert roles["heads"] == ["Alla (3)", "Ledning (10)", "Övriga (5)"] and roles["omitted"] == []
    # Roles given, but no two groups big enough: why the table is missing; none given: nothing.
    hidden = surveyed.model_copy(update={"role_groups": [], "with_role": 3})
    assert roles_context(hidden, fw, rules, Texts("sv", bundle.root, fw)) == {"hidden": True,
                                                                               "min": 5}
    assert roles_context(surveyed, fw, rules, Texts("sv", bundle.root, fw)) is None


# --------------------------------------------------------------------------- progress, peers


def test_progress_gets_its_report_and_a_chart_titled_with_both_dates(bundle, tmp_path):
    org = load_org(write_with_previous(tmp_path), bundle)
    context, charts = partials(org, bundle, lang="en")
    assert context["progress"].previous.profile.assessed == dt.date(2025, 10, 15)
    assert context["progress"].current is org
    t = Texts("en", bundle.root, bundle.framework)
    title = (f"Region X: {t.date(dt.date(2025, 10, 15))} compared with "
             f"{t.date(org.profile.assessed)}")
    assert charts["progress"].alt.startswith(title)
    assert partials(load_org("region-x", bundle), bundle)[0]["progress"] is None


def member_without_peers(bench_id: str):
    """A built benchmark region-x is a member of, with too few others to compare with."""
    return built({"regional": 6, "municipal": 7}).model_copy(update={
        "id": bench_id, "members_without_peers": [member_key(bench_id, "region-x")]})


def test_every_built_benchmark_gets_one_comparison_beside_the_first_study(bundle):
    """The study first, a benchmark region-x cannot be compared in, then a built one twice:
    one comparison, with the study's means beside it, its chart, and the unavailable one."""
    study = load_benchmark(None, bundle)
    kunder = built({"regional": 6, "municipal": 7})
    alone = member_without_peers("liten-2026")
    org = load_org("region-x", bundle)
    context, charts = partials(org, bundle, lang="en",
                               benchmarks=[study, alone, kunder, kunder])
    (pc,) = context["peers"]
    assert pc.benchmark is kunder and pc.reference is study
    assert pc.capabilities[0].reference == study.capability(pc.capabilities[0].key).mean
    assert context["peers_unavailable"] == [alone]
    analysis = analyse(org, study, bundle)
    assert context["peer_disagreements"] == {"kunder-2026": disagreements(pc, analysis)}
    assert sorted(charts) == ["peers-kunder-2026"]
    assert charts["peers-kunder-2026"].alt.startswith("Clients 2026 · regions, n = 6.")


def test_a_peer_group_of_everyone_is_named_so(bundle):
    everyone = built({"regional": 4, "municipal": 7})    # no regional group published
    context, charts = partials(load_org("region-x", bundle), bundle, lang="en",
                               benchmarks=[everyone])
    assert context["peers"][0].reference is None           # no study given
    assert charts["peers-kunder-2026"].alt.startswith("Clients 2026 · all organisations, n = 11.")


def test_a_benchmark_without_its_own_minimum_uses_the_rules(bundle):
    """A regional group of 6 is compared with under the shipped rules (5), not under 7."""
    bench = built({"regional": 6, "municipal": 7}).model_copy(update={"min_group_size": None})
    org = load_org("region-x", bundle)
    assert partials(org, bundle, benchmarks=[bench])[0]["peers"][0].peers.n == 6
    (pc,) = partials(org, bundle, benchmarks=[bench], min_group_size=7)[0]["peers"]
    assert (pc.peers.level, pc.peers.n, pc.peers.min_group) == (None, 13, 7)


# --------------------------------------------------------------------------- the briefing


def test_the_briefing_gets_its_author_logo_version_and_earlier_targets(tmp_path):
    """What briefing_context hands the templates, read in the HTML (a firm's own partial
    shows the version, which the shipped ones do not)."""
    data = tmp_path / "data"                        # holds orgs/ only: the rest is shipped
    data.mkdir()
    path = write_with_previous(data)                # region-x with region-x-2025 before it
    (data / "orgs" / "logo.png").write_bytes(PNG)
    earlier = yaml.safe_load((data / "orgs" / "region-x-2025.yaml").read_text("utf-8"))
    earlier["targets"] = {"digital_leadership": 2.5, "partnerships": 3.5}
    (data / "orgs" / "region-x-2025.yaml").write_text(yaml.safe_dump(earlier), "utf-8")
    profile = yaml.safe_load(path.read_text("utf-8"))
    path.write_text(yaml.safe_dump(dict(profile, logo="logo.png")), "utf-8")
    own = tmp_path / "templates"
    own.mkdir()
    (own / "_back.html").write_text("<p id='made-with'>briefgen {{ version }}</p>", "utf-8")
    bg = Briefgen(Options(data=data, author="Nordkonsult AB", lang="en", templates=own))
    html = bg.html(*bg.advised("region-x"))
    assert '<meta name="author" content="Nordkonsult AB">' in html
    assert '<img class="cover-logo" src="data:image/png;base64,' in html
    assert f"<p id='made-with'>briefgen {__version__}</p>" in html
    assert "set its own targets for two capabilities. All of them have been met." in html
