"""Recommendations matched to the analysis, each with reasons that follow, and the action plan."""

from __future__ import annotations

import copy
import random

import pytest

from briefgen.analyse import analyse
from briefgen.load import load_org, validate_profile
from briefgen.match import match


def _match(bg, org):
    analysis = analyse(org, bg.benchmark(), bg.bundle)
    return analysis, match(analysis, bg.bundle.library, bg.bundle.rules)


def _random_profiles(bg, base: dict, n: int, seed: int = 11):
    rng = random.Random(seed)
    fw = bg.bundle.framework
    for _ in range(n):
        data = copy.deepcopy(base)
        data["capabilities"] = {k: rng.choice([1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5])
                                for k in fw.capability_keys}
        data["effects"] = {k: rng.choice([1, 2, 2.5, 3, 3.5, 4, 5]) for k in fw.effect_keys}
        yield validate_profile(data, bg.bundle, "x.yaml")


def test_priorities_get_their_practices_and_weak_effects_theirs(bg):
    analysis, m = _match(bg, load_org("region-x", bg.bundle))
    assert list(m.capability_practices) == analysis.priorities
    for key, practices in m.capability_practices.items():
        assert len(practices) == 3
        assert all(p.practice.addresses == key for p in practices)
    # Effects furthest below the study: cross processes (0.9), employee empowerment (0.5).
    assert list(m.effect_practices) == ["cross_processes", "employee_empowerment"]


def test_recommendations_take_each_finding_once(bg):
    _, m = _match(bg, load_org("region-x", bg.bundle))
    chosen = [(r.recommendation.id, [x.key for x in r.reasons]) for r in m.recommendations]
    # The most urgent finding leads: competence (rank 2, 2.5) -> rec-3, which also takes
    # employee empowerment; agile decisions -> rec-4 with cross processes; data -> rec-5.
    assert chosen == [("rec-3", ["competence_diversity", "employee_empowerment"]),
                      ("rec-4", ["agile_decisions", "cross_processes"]),
                      ("rec-5", ["data_access_security"])]


def test_a_uniformly_weak_organisation_starts_with_digital_leadership(bg, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    data["capabilities"] = {k: 1.5 for k in bg.bundle.framework.capability_keys}
    data["effects"] = {k: 1.5 for k in data["effects"]}
    _, m = _match(bg, validate_profile(data, bg.bundle, "x.yaml"))
    first = m.recommendations[0]
    assert first.recommendation.id == "rec-2"        # "Practise genuine digital leadership"
    assert [x.key for x in first.reasons] == ["digital_leadership"]
    assert first.initiatives[0].initiative.horizon == "0-3"
    assert first.initiatives[0].target.key == "digital_leadership"


def test_every_reason_cites_an_area_its_recommendation_addresses(bg, region_x_profile):
    for org in _random_profiles(bg, region_x_profile, 120):
        analysis, m = _match(bg, org)
        for r in m.recommendations:
            rec = r.recommendation
            assert r.reasons
            for reason in r.reasons:
                addressed = rec.capabilities if reason.area == "capability" else rec.effects
                assert reason.key in addressed, (rec.id, reason.key)
                if reason.kind in ("below", "below_midpoint"):
                    assert reason.score < reason.reference


def test_no_reason_is_printed_twice(bg, region_x_profile):
    sv, en = bg.texts("sv"), bg.texts("en")
    for org in _random_profiles(bg, region_x_profile, 120, seed=3):
        _, m = _match(bg, org)
        for t in (sv, en):
            phrased = [t.reasons(r.reasons) for r in m.recommendations]
            assert len(phrased) == len(set(phrased))
            keys = [x.key for r in m.recommendations for x in r.reasons]
            assert len(keys) == len(set(keys))


def test_nothing_is_chosen_twice(bg):
    for org_id in ("region-x", "kommun-y", "myndighet-z"):
        _, m = _match(bg, load_org(org_id, bg.bundle))
        ids = [p.practice.id for group in (*m.capability_practices.values(),
                                           *m.effect_practices.values()) for p in group]
        ids += [r.recommendation.id for r in m.recommendations]
        assert len(ids) == len(set(ids))


def test_reasons_are_phrased_with_locale_numbers(bg, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    data["capabilities"]["new_working_methods"] = 1.0
    analysis, m = _match(bg, validate_profile(data, bg.bundle, "x.yaml"))
    sv, en = bg.texts("sv"), bg.texts("en")
    reason = m.capability_practices["new_working_methods"][0].reason
    assert sv.reason(reason) == ("er 1,0 på nya arbetsmetoder ligger 2,1 under studiens "
                                 "medel (3,1)")
    assert en.reason(reason) == ("your 1.0 on new working methods is 2.1 below the study's "
                                 "mean (3.1)")


def test_capability_without_benchmark_names_the_midpoint(bg):
    _, m = _match(bg, load_org("kommun-y", bg.bundle))
    sv = bg.texts("sv")
    reasons = [x for r in m.recommendations for x in r.reasons if x.benchmark is None]
    assert reasons and all(x.kind == "below_midpoint" for x in reasons)
    phrased = [sv.reason(x) for x in reasons]
    assert all("under skalans mitt (3,0)" in p and "None" not in p for p in phrased)


def test_a_strong_organisation_gets_strength_reasons_that_claim_no_gap(bg, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    data["capabilities"] = {k: 4.5 for k in bg.bundle.framework.capability_keys}
    data["effects"] = {k: 4.5 for k in data["effects"]}
    analysis, m = _match(bg, validate_profile(data, bg.bundle, "x.yaml"))
    assert analysis.track == "lead" and m.recommendations
    en = bg.texts("en")
    for rec in m.recommendations:
        for reason in rec.reasons:
            assert reason.kind == "strength"
            text = en.reason(reason)
            assert "below" not in text and "above" in text and "strength to build on" in text
        for p in rec.initiatives:
            assert p.initiative.track == "lead" and p.target.rule == "hold"


@pytest.mark.parametrize("org_id", ["region-x", "kommun-y", "myndighet-z"])
def test_the_action_plan_has_owned_timed_initiatives_with_targets(bg, org_id):
    analysis, m = _match(bg, load_org(org_id, bg.bundle))
    assert m.recommendations
    for r in m.recommendations:
        assert 1 <= len(r.initiatives) <= 4
        horizons = [p.initiative.horizon for p in r.initiatives]
        assert horizons == sorted(horizons, key=["0-3", "3-12", "12-24"].index)
        for p in r.initiatives:
            assert p.owner.sv and p.owner.en and p.initiative.first_step.sv
            assert p.target.target > p.target.score
            assert p.target.key == p.initiative.main        # its target is its own main area
            assert p.target.key in {x.key for x in r.reasons}
    # Every priority has an initiative that works on it within the first three months.
    early = {p.initiative.main for r in m.recommendations for p in r.initiatives
             if p.initiative.horizon == "0-3"}
    assert set(analysis.priorities) <= early
