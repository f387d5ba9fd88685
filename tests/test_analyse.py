"""Scores, gaps, priorities, strengths and the phase estimate, against hand-computed values."""

from __future__ import annotations

import copy

import pytest

from briefgen.analyse import analyse, estimate_phase, round1
from briefgen.load import load_org, validate_profile


@pytest.fixture(scope="module")
def region_x(bg):
    return analyse(load_org("region-x", bg.bundle), bg.benchmark(), bg.bundle)


def test_round_half_up():
    assert round1(2.25) == 2.3 and round1(2.35) == 2.4 and round1(7 / 3) == 2.3
    assert round1(1.5 - 3.1) == -1.6


def test_scores_benchmarks_and_gaps(region_x):
    by_key = {c.key: c for c in region_x.capabilities}
    assert (by_key["competence_diversity"].score, by_key["competence_diversity"].benchmark,
            by_key["competence_diversity"].gap) == (2.5, 3.3, -0.8)
    assert (by_key["agile_decisions"].score, by_key["agile_decisions"].gap) == (1.5, -1.5)
    assert by_key["organisational_clarity"].score == 2.3          # (3+2+2)/3 rounded
    # Not reported by the study: no benchmark, no gap, the fallback reference of 3.0.
    leadership = by_key["digital_leadership"]
    assert leadership.benchmark is None and leadership.gap is None
    assert leadership.reference == 3.0 and not leadership.reported
    effects = {e.key: (e.score, e.benchmark, e.gap) for e in region_x.effects}
    assert effects == {"relevant_services": (3.5, 3.6, -0.1), "citizen_centric": (3.0, 3.3, -0.3),
                       "employee_empowerment": (2.5, 3.0, -0.5),
                       "cross_processes": (2.0, 2.9, -0.9)}


def test_gaps_are_taken_from_the_rounded_scores(bg, region_x_profile):
    # 2.25 prints as 2,3; against 3,3 the printed gap must be -1,0 (2,3 - 3,3), not -1,1
    # (the rounded difference of the unrounded score).
    data = copy.deepcopy(region_x_profile)
    data["capabilities"]["competence_diversity"] = 2.25
    cap = analyse(validate_profile(data, bg.bundle, "x.yaml"), bg.benchmark(),
                  bg.bundle).capability("competence_diversity")
    assert (cap.score, cap.benchmark, cap.gap) == (2.3, 3.3, -1.0)


def test_urgency_follows_the_documented_rule(region_x):
    # urgency = 2.0 * (5 - score) / 4 + 1.0 * (8 - rank) / 7; the benchmark plays no part.
    expected = {
        "digital_leadership": 2 * 2.0 / 4 + 7 / 7,
        "competence_diversity": 2 * 2.5 / 4 + 6 / 7,
        "partnerships": 2 * 1.0 / 4 + 5 / 7,
        "data_access_security": 2 * 2.5 / 4 + 4 / 7,
        "organisational_clarity": 2 * 2.7 / 4 + 3 / 7,
        "new_working_methods": 2 * 3.0 / 4 + 2 / 7,
        "agile_decisions": 2 * 3.5 / 4 + 1 / 7,
    }
    for cap in region_x.capabilities:
        assert cap.urgency == pytest.approx(expected[cap.key], abs=1e-4), cap.key
    assert region_x.priorities == ["competence_diversity", "agile_decisions",
                                   "data_access_security"]
    # Digital leadership (3.0) is second in urgency, by its rank, but not below its reference
    # (the midpoint): never a priority.
    assert region_x.ranking[:2] == ["competence_diversity", "digital_leadership"]


def test_strengths_and_statuses(region_x):
    assert region_x.strengths == ["partnerships"]        # 4.0: one point above the fallback 3.0
    status = {c.key: c.status for c in region_x.capabilities}
    assert status["agile_decisions"] == "priority"
    assert status["partnerships"] == "strength"
    assert status["new_working_methods"] == "below"     # below, but a fourth below
    assert status["digital_leadership"] == "on_par"     # 3.0 = the midpoint it is measured by


def _profile(base: dict, caps: dict[str, float], effects: float | None = None) -> dict:
    data = copy.deepcopy(base)
    data["capabilities"] = caps
    data.pop("maturity_phase", None)
    if effects is not None:
        data["effects"] = {k: effects for k in data["effects"]}
    return data


def _uniform(bg, base, score: float):
    caps = {k: score for k in bg.bundle.framework.capability_keys}
    return analyse(validate_profile(_profile(base, caps, score), bg.bundle, "x.yaml"),
                   bg.benchmark(), bg.bundle)


def test_equal_scores_follow_the_study_order_whatever_the_benchmark(bg, region_x_profile):
    # At 1.5 everywhere every capability is below its reference; the study's high mean for
    # data (3.6) must not put it first: the study's order of importance decides.
    weak = _uniform(bg, region_x_profile, 1.5)
    assert weak.priorities == ["digital_leadership", "competence_diversity", "partnerships"]
    assert [c.key for c in weak.capabilities if c.status == "priority"] == weak.priorities


def test_a_priority_is_never_at_or_above_its_reference(bg, region_x_profile):
    import itertools
    import random

    rng = random.Random(7)
    keys = bg.bundle.framework.capability_keys
    for _ in range(150):
        caps = {k: rng.choice([1, 1.5, 2, 2.5, 3, 3.3, 3.6, 4, 4.5, 5]) for k in keys}
        a = analyse(validate_profile(_profile(region_x_profile, caps), bg.bundle, "x.yaml"),
                    bg.benchmark(), bg.bundle)
        # Below means more than the tolerance (0,3) under the reference: a few tenths are noise.
        below = [c.key for c in a.capabilities if c.reference - c.score > 0.3 + 1e-9]
        assert len(a.priorities) == min(3, len(below))
        for c in a.capabilities:
            if c.key in a.priorities:
                assert c.reference - c.score > 0.3 + 1e-9, (caps, c)
            assert not (c.key in a.priorities and c.key in a.strengths)
            if c.key in a.strengths:
                assert c.score - c.reference >= 0.5 - 1e-9
        for t in a.targets:
            assert t.target > t.score or (a.track == "lead" and t.rule == "hold")
        for x, y in itertools.combinations(a.priorities, 2):   # most urgent first
            assert a.capability(x).urgency >= a.capability(y).urgency


def test_a_strong_organisation_builds_on_its_strengths_and_holds_them(bg, region_x_profile):
    strong = _uniform(bg, region_x_profile, 4.5)
    assert strong.priorities == [] and strong.track == "lead"
    assert all(c.status == "strength" for c in strong.capabilities)
    assert set(strong.strengths) == set(bg.bundle.framework.capability_keys)
    # The plan builds on the strengths furthest above their reference (1,5 above mid-scale),
    # the study's order breaking the tie, and holds them: no "4,5 to 5,0".
    assert strong.focus == ["digital_leadership", "partnerships", "organisational_clarity"]
    assert [(t.score, t.target, t.rule) for t in strong.targets] == [(4.5, 4.5, "hold")] * 3


def test_near_the_reference_is_on_par_neither_priority_nor_target(bg, region_x_profile):
    # 0,1-0,3 under or over its reference: on par; nothing below, so the way to the next phase.
    caps = {"digital_leadership": 2.9, "competence_diversity": 3.0, "partnerships": 3.3,
            "data_access_security": 3.3, "organisational_clarity": 2.7,
            "new_working_methods": 3.2, "agile_decisions": 3.4}
    a = analyse(validate_profile(_profile(region_x_profile, caps), bg.bundle, "x.yaml"),
                bg.benchmark(), bg.bundle)
    assert a.priorities == [] and a.track == "advance" and a.below == []
    statuses = {c.key: c.status for c in a.capabilities}
    assert statuses["digital_leadership"] == "on_par" and statuses["partnerships"] == "on_par"
    assert statuses["agile_decisions"] == "above"        # 0,4 over: above, not yet a strength
    assert all(t.rule == "next_phase" for t in a.targets)


def test_targets_follow_the_documented_rule(region_x):
    targets = {t.key: (t.score, t.target, t.rule) for t in region_x.targets}
    assert targets == {
        "competence_diversity": (2.5, 3.3, "reference"),   # 0.8 below: the reference
        "agile_decisions": (1.5, 2.5, "step"),             # 1.5 below: one step up
        "data_access_security": (2.5, 3.5, "step"),        # 1.1 below: one step up
    }


def test_a_profile_may_set_its_own_targets(bg, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    data["targets"] = {"agile_decisions": 3.0, "partnerships": 4.5}
    a = analyse(validate_profile(data, bg.bundle, "x.yaml"), bg.benchmark(), bg.bundle)
    assert a.target("agile_decisions").target == 3.0
    assert a.target("agile_decisions").rule == "profile"
    assert a.target("partnerships").target == 4.5


def test_a_target_at_or_below_the_score_is_refused(bg, region_x_profile):
    from briefgen.errors import InputError

    data = copy.deepcopy(region_x_profile)
    data["targets"] = {"partnerships": 4.0, "agile_decision": 3}
    with pytest.raises(InputError) as err:
        validate_profile(data, bg.bundle, "x.yaml")
    text = str(err.value)
    assert "targets.agile_decision: unknown capability; did you mean 'agile_decisions'" in text
    data["targets"] = {"partnerships": 4.0}
    with pytest.raises(InputError) as err:
        validate_profile(data, bg.bundle, "x.yaml")
    assert "targets.partnerships: 4 is not above today's score 4" in str(err.value)


def test_own_ranking_moves_priorities(bg, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    # The organisation ranks new working methods first: its rank becomes (6 + 1) / 2 = 3.5.
    data["ranking"] = ["new_working_methods", "partnerships", "digital_leadership",
                       "organisational_clarity", "data_access_security", "agile_decisions",
                       "competence_diversity"]
    result = analyse(validate_profile(data, bg.bundle, "x.yaml"), bg.benchmark(), bg.bundle)
    cap = result.capability("new_working_methods")
    assert cap.own_rank == 1
    assert cap.urgency == pytest.approx(2 * 3.0 / 4 + (8 - 3.5) / 7, abs=1e-4)
    assert result.priorities[0] == "new_working_methods"


def test_stated_phase_is_kept_and_missing_phase_is_estimated(bg):
    region = analyse(load_org("region-x", bg.bundle), bg.benchmark(), bg.bundle)
    assert (region.maturity.phase, region.maturity.estimated) == ("embedded", False)
    kommun = analyse(load_org("kommun-y", bg.bundle), bg.benchmark(), bg.bundle)
    assert kommun.maturity.estimated and kommun.maturity.phase == "mobilised"
    assert kommun.maturity.basis == round1(sum(kommun.org.capability_scores.values()) / 7)


@pytest.mark.parametrize("mean, phase", [(1.0, "mobilised"), (2.74, "mobilised"),
                                         (2.75, "embedded"), (3.5, "accelerated"),
                                         (4.25, "integrated"), (5.0, "integrated")])
def test_phase_thresholds(bundle, mean, phase):
    assert estimate_phase(mean, bundle.rules) == phase
