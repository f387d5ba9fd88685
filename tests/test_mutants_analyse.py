"""The analysis rules at their edges: statuses, boundaries of targets and strengths, the focus
when nothing is below its reference. Written to kill the mutants of ``briefgen.analyse`` that
the other tests let live (docs/mutation.md)."""

from __future__ import annotations

import copy
import logging

import pytest

from briefgen.analyse import (
    Comparison,
    Target,
    analyse,
    area_target,
    estimate_phase,
    step_target,
    targets_for,
    urgency,
)
from briefgen.load import load_data, load_org, validate_profile
from briefgen.models import Benchmark, Figure

CAPS = ["digital_leadership", "competence_diversity", "partnerships", "data_access_security",
        "organisational_clarity", "new_working_methods", "agile_decisions"]


@pytest.fixture
def region_x(bg):
    # Function-scoped on purpose: mutmut runs, for a mutant, only the tests that called the
    # mutated function, and a module fixture calls it for the first test alone.
    return analyse(load_org("region-x", bg.bundle), bg.benchmark(), bg.bundle)


def _analyse(bg, profile: dict, scores: dict[str, float] | None = None, bench=None, **extra):
    data = copy.deepcopy(profile)
    data["capabilities"].update(scores or {})
    data.update(extra)
    org = validate_profile(data, bg.bundle, "x.yaml")
    return analyse(org, bench or bg.benchmark(), bg.bundle)


def _bench(bg, capabilities: dict[str, float | None] | None = None,
           effects: dict[str, float | None] | None = None) -> Benchmark:
    """The shipped study with some overall means replaced (None: not reported)."""
    data = bg.benchmark().model_dump()
    for section, means in (("capabilities", capabilities or {}), ("effects", effects or {})):
        for key, mean in means.items():
            data["overall"][section][key]["mean"] = mean
    return Benchmark.model_validate(data)


def _item(score: float, reference: float, key: str = "k") -> Comparison:
    return Comparison(key=key, score=score, benchmark=reference, gap=None, reference=reference,
                      figure=Figure(mean=reference))


def test_every_capability_gets_its_status(region_x):
    # priority: among the three most urgent below; strength: 0.5 or more above; below: under
    # its reference but not a priority; on par: the rest.
    assert {c.key: c.status for c in region_x.capabilities} == {
        "digital_leadership": "on_par", "competence_diversity": "priority",
        "partnerships": "strength", "data_access_security": "priority",
        "organisational_clarity": "below", "new_working_methods": "below",
        "agile_decisions": "priority"}


def test_capabilities_keep_their_rank_and_sub_answers(region_x, bundle):
    ranks = [c.rank for c in bundle.framework.capabilities]
    assert [c.rank for c in region_x.capabilities] == ranks
    assert region_x.capability("organisational_clarity").answers == {
        "strategy_support": 3.0, "ownership_clear": 2.0, "cross_unit": 2.0}
    assert region_x.capability("digital_leadership").answers == {}


def test_ranking_lists_every_capability_most_urgent_first(region_x):
    assert region_x.ranking == ["competence_diversity", "digital_leadership", "agile_decisions",
                                "data_access_security", "new_working_methods",
                                "organisational_clarity", "partnerships"]
    urgencies = [region_x.capability(k).urgency for k in region_x.ranking]
    assert urgencies == sorted(urgencies, reverse=True)


def test_effect_and_target_lookups(region_x):
    for e in region_x.effects:
        assert region_x.effect(e.key) is e
    assert region_x.target("competence_diversity").target == 3.3
    assert region_x.target("partnerships") is None   # a strength has no target


def test_the_analysis_is_logged_for_debugging(bg, caplog):
    with caplog.at_level(logging.DEBUG, logger="briefgen.analyse"):
        analyse(load_org("region-x", bg.bundle), bg.benchmark(), bg.bundle)
    assert ("region-x: gaps track, priorities ['competence_diversity', 'agile_decisions', "
            "'data_access_security'], strengths ['partnerships'], phase embedded"
            in caplog.messages)


def test_strengths_are_listed_furthest_above_first(bg, region_x_profile):
    # digital_leadership 4.5 is 1.5 above 3.0, new_working_methods 4.2 is 1.1 above 3.1,
    # partnerships 4.0 is 1.0 above 3.0.
    a = _analyse(bg, region_x_profile, {"digital_leadership": 4.5, "partnerships": 4.0,
                                         "new_working_methods": 4.2})
    assert a.strengths == ["digital_leadership", "new_working_methods", "partnerships"]


def test_strength_order_is_by_margin_not_by_score(bg, region_x_profile):
    # data_access_security 4.4 is 0.8 above 3.6; partnerships 4.0 is 1.0 above 3.0.
    a = _analyse(bg, region_x_profile, {"data_access_security": 4.4, "partnerships": 4.0})
    assert a.strengths == ["partnerships", "data_access_security"]


def test_exactly_the_margin_above_is_a_strength(bg, region_x_profile):
    # competence_diversity 3.8 against 3.3: exactly strength_margin (0.5) above.
    a = _analyse(bg, region_x_profile, {"competence_diversity": 3.8})
    assert "competence_diversity" in a.strengths
    assert a.capability("competence_diversity").status == "strength"
    b = _analyse(bg, region_x_profile, {"competence_diversity": 3.7})
    assert "competence_diversity" not in b.strengths
    assert b.capability("competence_diversity").status == "above"   # beyond the tolerance
    c = _analyse(bg, region_x_profile, {"competence_diversity": 3.6})
    assert c.capability("competence_diversity").status == "on_par"  # 0,3: the tolerance


def test_with_nothing_below_the_focus_skips_strengths_and_full_scores(bg, region_x_profile):
    # Nothing below its reference; strengths and scores of 5 are not worked on while other
    # capabilities are only on par.
    scores = dict.fromkeys(CAPS, 5.0) | {"competence_diversity": 3.5,
                                         "new_working_methods": 3.2, "partnerships": 4.0}
    a = _analyse(bg, region_x_profile, scores)
    assert a.priorities == [] and a.track == "advance"
    assert a.focus == ["competence_diversity", "new_working_methods"]


def test_with_only_strengths_the_focus_is_the_furthest_above_and_held(bg, region_x_profile):
    scores = dict.fromkeys(CAPS, 5.0) | {"partnerships": 4.0, "agile_decisions": 4.5}
    a = _analyse(bg, region_x_profile, scores)
    assert a.priorities == [] and set(a.strengths) == set(CAPS) and a.track == "lead"
    # 2,0 above mid-scale (leadership, rank 1; clarity, rank 5), then 1,9 (new methods).
    assert a.focus == ["digital_leadership", "organisational_clarity", "new_working_methods"]
    assert [(t.key, t.target, t.rule) for t in a.targets] == [
        ("digital_leadership", 5.0, "hold"), ("organisational_clarity", 5.0, "hold"),
        ("new_working_methods", 5.0, "hold")]


def test_a_full_score_on_par_with_a_high_benchmark_is_not_in_focus(bg, region_x_profile):
    # A benchmark of 4.8: a 5 is on par (not 0.5 above), but there is nothing left to reach.
    bench = _bench(bg, {"digital_leadership": 4.8})
    scores = dict.fromkeys(CAPS, 5.0) | {"competence_diversity": 4.0}
    a = _analyse(bg, region_x_profile, scores, bench=bench)
    assert a.capability("digital_leadership").status == "on_par"
    assert a.track == "lead" and "digital_leadership" not in a.focus


def test_an_effect_area_without_a_benchmark_figure_is_held_to_the_fallback(bg, region_x):
    bench = _bench(bg, effects={"cross_processes": None})
    a = analyse(region_x.org, bench, bg.bundle)
    e = a.effect("cross_processes")
    assert (e.benchmark, e.gap, e.reference) == (None, None, 3.0)
    assert e.shortfall == 1.0


def test_area_target_by_where_the_area_stands():
    rules = load_data().rules
    on_par, top, strong = (area_target(_item(3.5, 3.3), rules), area_target(_item(5.0, 4.8), rules),
                           area_target(_item(4.0, 3.3), rules))
    assert (on_par.target, on_par.rule) == (4.0, "next_phase")   # half a step up
    assert (top.target, top.rule) == (5.0, "hold")               # nothing left to reach
    assert (strong.target, strong.rule) == (4.0, "hold")         # a strength: hold it
    assert area_target(_item(4.8, 4.5), rules).target == 5.0     # at most the top
    assert area_target(_item(2.6, 3.3), rules).rule == "reference"  # below: the reference


def _target(score: float, target: float, rule: str) -> Target:
    return Target("k", score, target, rule)


def test_step_target_at_and_around_its_bounds():
    rules = load_data().rules   # min_step 0.5, max_step 1.0
    # Just below the reference: at least min_step up.
    assert step_target(_item(2.9, 3.0), rules) == _target(2.9, 3.4, "min_step")
    # The reference exactly min_step above: the reference.
    assert step_target(_item(2.5, 3.0), rules) == _target(2.5, 3.0, "reference")
    # The reference exactly max_step above: the reference.
    assert step_target(_item(2.0, 3.0), rules) == _target(2.0, 3.0, "reference")
    # Further than max_step, by less than one more point: max_step up.
    assert step_target(_item(1.5, 3.0), rules) == _target(1.5, 2.5, "step")
    # A min_step target never passes the top of the scale.
    assert step_target(_item(4.7, 4.8), rules) == _target(4.7, 5.0, "min_step")


def test_targets_follow_the_order_of_the_focus(region_x, bundle):
    caps = region_x.capabilities
    focus = ["agile_decisions", "competence_diversity"]
    targets = targets_for(caps, focus, {"partnerships": 4.5}, bundle.rules)
    assert [t.key for t in targets] == ["agile_decisions", "competence_diversity",
                                        "partnerships"]
    own = targets[-1]
    assert (own.score, own.target, own.rule) == (4.0, 4.5, "profile")


def test_urgency_is_given_to_four_decimals(bundle):
    # 2 * (5 - 3) / 4 + 1 * (8 - 2) / 7 = 1.857142...
    assert urgency(2, 3.0, 7, bundle.rules) == 1.8571


def test_a_mean_below_every_threshold_is_the_first_phase(bundle):
    rules = bundle.rules.model_copy(update={"phase": bundle.rules.phase.model_copy(
        update={"thresholds": {"mobilised": 1.5, "embedded": 2.75, "accelerated": 3.5,
                               "integrated": 4.25}})})
    assert estimate_phase(1.2, rules) == "mobilised"
    assert estimate_phase(1.5, rules) == "mobilised"
    assert estimate_phase(2.8, rules) == "embedded"
