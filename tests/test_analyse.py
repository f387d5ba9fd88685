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


def test_urgency_follows_the_documented_rule(region_x):
    # urgency = 2.0 * shortfall + 1.0 * (8 - rank) / 7 + 0.5 * (5 - score) / 4
    expected = {
        "digital_leadership": 0 + 7 / 7 + 0.5 * 2.0 / 4,
        "competence_diversity": 2 * 0.8 + 6 / 7 + 0.5 * 2.5 / 4,
        "partnerships": 0 + 5 / 7 + 0.5 * 1.0 / 4,
        "data_access_security": 2 * 1.1 + 4 / 7 + 0.5 * 2.5 / 4,
        "organisational_clarity": 2 * 0.7 + 3 / 7 + 0.5 * 2.7 / 4,
        "new_working_methods": 2 * 1.1 + 2 / 7 + 0.5 * 3.0 / 4,
        "agile_decisions": 2 * 1.5 + 1 / 7 + 0.5 * 3.5 / 4,
    }
    for cap in region_x.capabilities:
        assert cap.urgency == pytest.approx(expected[cap.key], abs=1e-4), cap.key
    assert region_x.priorities == ["agile_decisions", "data_access_security",
                                   "new_working_methods"]
    assert region_x.ranking[:4] == ["agile_decisions", "data_access_security",
                                    "new_working_methods", "competence_diversity"]


def test_strengths_and_statuses(region_x):
    assert region_x.strengths == ["partnerships"]        # 4.0: one point above the fallback 3.0
    status = {c.key: c.status for c in region_x.capabilities}
    assert status["agile_decisions"] == "priority"
    assert status["partnerships"] == "strength"
    assert status["competence_diversity"] == "below"
    assert status["digital_leadership"] == "on_par"


def test_own_ranking_moves_priorities(bg, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    # The organisation ranks competence first: its rank becomes (2 + 1) / 2 = 1.5.
    data["ranking"] = ["competence_diversity", "partnerships", "digital_leadership",
                       "organisational_clarity", "data_access_security", "agile_decisions",
                       "new_working_methods"]
    result = analyse(validate_profile(data, bg.bundle, "x.yaml"), bg.benchmark(), bg.bundle)
    cap = result.capability("competence_diversity")
    assert cap.own_rank == 1
    assert cap.urgency == pytest.approx(2 * 0.8 + (8 - 1.5) / 7 + 0.5 * 2.5 / 4, abs=1e-4)
    assert "competence_diversity" in result.priorities
    assert "new_working_methods" not in result.priorities


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
