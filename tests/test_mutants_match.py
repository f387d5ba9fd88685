"""Matching in detail: the reasons' numbers, relevance, the limits from data/rules.yaml and the
choice between recommendations led by one finding. Written to kill the mutants of
``briefgen.match`` that the other tests let live (docs/mutation.md)."""

from __future__ import annotations

import copy
import logging

import pytest

from briefgen.analyse import analyse
from briefgen.load import load_org, validate_profile
from briefgen.match import findings, match

CAPS = ["digital_leadership", "competence_diversity", "partnerships", "data_access_security",
        "organisational_clarity", "new_working_methods", "agile_decisions"]


def _rules(bundle, **matching):
    return bundle.rules.model_copy(update={
        "matching": bundle.rules.matching.model_copy(update=matching)})


@pytest.fixture
def region_x(bg):   # per test: see test_mutants_analyse.region_x
    return analyse(load_org("region-x", bg.bundle), bg.benchmark(), bg.bundle)


def _profile(bg, base: dict, caps: dict, effects: dict | None = None):
    data = copy.deepcopy(base)
    data["capabilities"].update(caps)
    data["effects"].update(effects or {})
    return analyse(validate_profile(data, bg.bundle, "x.yaml"), bg.benchmark(), bg.bundle)


def test_findings_carry_their_numbers(region_x, bundle):
    found = [(r.area, r.key, r.kind, r.score, r.benchmark, r.gap, r.rank, r.weight)
             for r in findings(region_x, bundle.rules)]
    assert found == [
        ("capability", "competence_diversity", "below", 2.5, 3.3, -0.8, 2, 2.1071),
        ("capability", "agile_decisions", "below", 1.5, 3.0, -1.5, 7, 1.8929),
        ("capability", "data_access_security", "below", 2.5, 3.6, -1.1, 4, 1.8214),
        # An effect area weighs effect_weight (1.0) times its shortfall; it has no rank.
        ("effect", "cross_processes", "below", 2.0, 2.9, -0.9, None, 0.9),
        ("effect", "employee_empowerment", "below", 2.5, 3.0, -0.5, None, 0.5)]


def test_region_x_recommendations_relevance_and_plan(region_x, bundle):
    m = match(region_x, bundle.library, bundle.rules)
    assert [(r.recommendation.id, r.relevance, [x.key for x in r.reasons])
            for r in m.recommendations] == [
        ("rec-3", 2.6071, ["competence_diversity", "employee_empowerment"]),
        ("rec-4", 2.7929, ["agile_decisions", "cross_processes"]),
        ("rec-5", 1.8214, ["data_access_security"])]
    # Every target of the plan once, in the order the plan meets them.
    # Only findings have targets: an initiative works towards its own main area's.
    assert [(t.key, t.target) for t in m.plan_targets] == [
        ("competence_diversity", 3.3), ("employee_empowerment", 3.0), ("agile_decisions", 2.5),
        ("cross_processes", 2.9), ("data_access_security", 3.5)]


def test_weak_effects_get_their_own_practices(region_x, bundle):
    m = match(region_x, bundle.library, bundle.rules)
    for key, practices in m.effect_practices.items():
        assert [p.practice.id for p in practices] == [f"eff-{key}-{i}" for i in (1, 2, 3)]
        assert all(p.practice.area == "effect" and p.reason.key == key
                   and p.reason.area == "effect" for p in practices)


def test_an_effect_area_at_its_benchmark_is_not_weak(bg, region_x_profile, bundle):
    # cross_processes exactly at 2.9 has no shortfall: it gets no practices.
    a = _profile(bg, region_x_profile, {}, {"cross_processes": 2.9})
    m = match(a, bundle.library, bundle.rules)
    assert "cross_processes" not in m.effect_practices
    # citizen_centric, 0,3 under 3,3, is within the tolerance: on par, not weak either.
    assert list(m.effect_practices) == ["employee_empowerment"]


def test_no_more_practices_than_the_rule_allows(region_x, bundle):
    extra = bundle.library.practices[0].model_copy(update={"id": "cap-competence_diversity-4"})
    assert extra.addresses == "digital_leadership"
    extra = extra.model_copy(update={"addresses": "competence_diversity"})
    library = bundle.library.model_copy(update={"practices": [*bundle.library.practices, extra]})
    m = match(region_x, library, bundle.rules)
    assert len(m.capability_practices["competence_diversity"]) == 3


def test_at_most_recommendations_max_are_chosen(bg, bundle):
    kommun_y = analyse(load_org("kommun-y", bundle), bg.benchmark(), bundle)
    assert len(match(kommun_y, bundle.library, bundle.rules).recommendations) == 4
    rules = _rules(bundle, recommendations_max=2, recommendations_summary=1)
    m = match(kommun_y, bundle.library, rules)
    assert [r.recommendation.id for r in m.recommendations] == ["rec-3", "rec-2"]
    assert [r.recommendation.id for r in m.summary_recommendations] == ["rec-3"]


def test_a_recommendation_at_exactly_min_score_is_chosen(bg, bundle):
    myndighet_z = analyse(load_org("myndighet-z", bundle), bg.benchmark(), bundle)
    assert [r.relevance for r in match(myndighet_z, bundle.library, bundle.rules)
            .recommendations] == [1.3929]
    assert len(match(myndighet_z, bundle.library, _rules(bundle, min_score=1.3929))
               .recommendations) == 1
    assert match(myndighet_z, bundle.library, _rules(bundle, min_score=1.393)).recommendations \
        == []


def test_relevance_is_rounded_to_four_decimals(region_x, bundle):
    # effect_weight 0.3333: cross_processes weighs 0.29997; with agile_decisions 1.8929 the
    # relevance of rec-4 is 2.19287 -> 2.1929.
    m = match(region_x, bundle.library, _rules(bundle, effect_weight=0.3333))
    rec4 = next(r for r in m.recommendations if r.recommendation.id == "rec-4")
    assert rec4.relevance == 2.1929


def test_a_finding_no_recommendation_passes_does_not_stop_the_choice(bg, region_x_profile,
                                                                      bundle):
    # With min_score 1.7, agile_decisions (urgency 1.6429, and rec-4 addresses no other open
    # finding) gets no recommendation; data_access_security after it still gets rec-5, and
    # rec-5 (also relevant_services: 4.1714) rather than rec-6 (only itself: 1.5714), both of
    # which name it first.
    a = _profile(bg, region_x_profile,
                 {"digital_leadership": 5, "competence_diversity": 2, "partnerships": 5,
                  "data_access_security": 3.0, "organisational_clarity": 5,
                  "new_working_methods": 3.5, "agile_decisions": 2.0},
                 {"relevant_services": 1, "citizen_centric": 3.5, "employee_empowerment": 3.5,
                  "cross_processes": 3})
    assert a.priorities == ["competence_diversity", "agile_decisions", "data_access_security"]
    m = match(a, bundle.library, _rules(bundle, min_score=1.7))
    assert [(r.recommendation.id, r.relevance, [x.key for x in r.reasons])
            for r in m.recommendations] == [
        ("rec-3", 2.3571, ["competence_diversity"]),
        ("rec-5", 4.1714, ["data_access_security", "relevant_services"])]
    # With the shipped min_score both pass it, and rec-5 is still preferred to rec-6.
    m = match(a, bundle.library, bundle.rules)
    assert [r.recommendation.id for r in m.recommendations] == ["rec-3", "rec-4", "rec-5"]


def test_an_effect_area_prefers_the_recommendation_that_names_it_first(bg, region_x_profile,
                                                                       bundle):
    # Only data is below its reference and rec-5 takes it; the open findings are then the two
    # weakest effect areas, cross_processes first. rec-7 addresses both (more relevant) but
    # names employee_empowerment first; rec-4 names cross_processes first and is chosen.
    rec4 = next(r for r in bundle.library.recommendations if r.id == "rec-4")
    rec7 = rec4.model_copy(update={"id": "rec-7", "number": 7, "capabilities": ["partnerships"],
                                   "effects": ["employee_empowerment", "cross_processes"]})
    library = bundle.library.model_copy(
        update={"recommendations": [*bundle.library.recommendations, rec7]})
    a = _profile(bg, region_x_profile,
                 {"digital_leadership": 3.0, "competence_diversity": 3.3, "partnerships": 3.0,
                  "data_access_security": 2.0, "organisational_clarity": 3.0,
                  "new_working_methods": 3.1, "agile_decisions": 3.0},
                 {"cross_processes": 1, "employee_empowerment": 2, "relevant_services": 3.6,
                  "citizen_centric": 3.3})
    assert a.priorities == ["data_access_security"]
    m = match(a, library, bundle.rules)
    assert [r.recommendation.id for r in m.recommendations][:2] == ["rec-5", "rec-4"]


def test_on_the_way_to_the_next_phase_the_plan_raises_the_focus_half_a_step(bg, region_x_profile,
                                                                            bundle):
    # Nothing below its reference: the plan works on the focus only (not yet strengths),
    # each target next_phase_step (0.5) up; no initiative carries another area's target.
    a = _profile(bg, region_x_profile, dict.fromkeys(CAPS, 4.0) | {"agile_decisions": 3.0},
                 {"relevant_services": 4, "citizen_centric": 4, "employee_empowerment": 4,
                  "cross_processes": 4})
    assert a.track == "advance" and a.focus == ["agile_decisions", "data_access_security"]
    m = match(a, bundle.library, bundle.rules)
    areas = {p.target.key: p.target for r in m.recommendations for p in r.initiatives}
    assert set(areas) == set(a.focus)
    assert all(t.rule == "next_phase" and t.target == t.score + 0.5 for t in areas.values())


def test_the_choice_is_logged_for_debugging(region_x, bundle, caplog):
    with caplog.at_level(logging.DEBUG, logger="briefgen.match"):
        match(region_x, bundle.library, bundle.rules)
    assert "region-x: recommendations ['rec-3', 'rec-4', 'rec-5']" in caplog.messages
