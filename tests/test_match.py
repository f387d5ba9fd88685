"""Recommendations matched to the analysis, each with its reason in words."""

from __future__ import annotations

import copy

from briefgen.analyse import analyse
from briefgen.load import load_org, validate_profile
from briefgen.match import match


def _match(bg, org):
    analysis = analyse(org, bg.benchmark(), bg.bundle)
    return analysis, match(analysis, bg.bundle.library, bg.bundle.rules)


def test_priorities_get_their_practices_and_weak_effects_theirs(bg):
    analysis, m = _match(bg, load_org("region-x", bg.bundle))
    assert list(m.capability_practices) == analysis.priorities
    for key, practices in m.capability_practices.items():
        assert len(practices) == 3
        assert all(p.practice.addresses == key for p in practices)
    # Effects furthest below the study: cross processes (0.9), employee empowerment (0.5).
    assert list(m.effect_practices) == ["cross_processes", "employee_empowerment"]


def test_recommendations_are_scored_by_what_they_address(bg):
    _, m = _match(bg, load_org("region-x", bg.bundle))
    # rec-4 addresses agile decisions and new working methods (priorities) and cross processes.
    assert [r.recommendation.id for r in m.recommendations] == ["rec-4", "rec-5", "rec-6",
                                                                 "rec-2"]
    assert [r.recommendation.id for r in m.summary_recommendations] == ["rec-4", "rec-5",
                                                                         "rec-6"]


def test_nothing_is_chosen_twice(bg):
    for org_id in ("region-x", "kommun-y", "myndighet-z"):
        _, m = _match(bg, load_org(org_id, bg.bundle))
        ids = [p.practice.id for group in (*m.capability_practices.values(),
                                           *m.effect_practices.values()) for p in group]
        ids += [r.recommendation.id for r in m.recommendations]
        assert len(ids) == len(set(ids))


def test_reasons_are_phrased_with_locale_numbers(bg, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    data["capabilities"]["new_working_methods"] = 1.5
    analysis, m = _match(bg, validate_profile(data, bg.bundle, "x.yaml"))
    sv, en = bg.texts("sv"), bg.texts("en")
    reason = m.capability_practices["new_working_methods"][0].reason
    assert sv.reason(reason) == "er 1,5 på nya arbetsmetoder ligger 1,6 under studiens 3,1"
    assert en.reason(reason) == "your 1.5 on new working methods is 1.6 below the study's 3.1"
    rec4 = next(r for r in m.recommendations if r.recommendation.id == "rec-4")
    assert "nya arbetsmetoder ligger 1,6 under studiens 3,1" in sv.reasons(rec4.reasons)


def test_capability_without_benchmark_has_an_honest_reason(bg):
    _, m = _match(bg, load_org("kommun-y", bg.bundle))
    sv = bg.texts("sv")
    phrased = [sv.reasons(r.reasons) for r in m.recommendations]
    assert all("studiens None" not in p and "None" not in p for p in phrased)


def test_a_strong_organisation_still_gets_reasons_that_do_not_claim_a_gap(bg):
    analysis, m = _match(bg, load_org("myndighet-z", bg.bundle))
    en = bg.texts("en")
    for rec in m.recommendations:
        for reason in rec.reasons:
            text = en.reason(reason)
            if reason.kind == "important":
                assert "below" not in text and "reaches the study's" in text
