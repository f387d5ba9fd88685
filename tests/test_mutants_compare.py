"""Peer groups at their minimum, every row of a peer comparison, progress and the targets of
the earlier assessment. Written to kill the mutants of ``briefgen.compare`` that the other tests
let live (docs/mutation.md)."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from briefgen.analyse import analyse
from briefgen.compare import compare, peer_group, progress, quartile_position, target_checks
from briefgen.load import load_benchmark, load_data, load_org, validate_profile
from briefgen.models import Figure, Group

from .test_compare import RULES, built, write_with_previous


@pytest.fixture(scope="module")
def bundle():
    return load_data()


@pytest.fixture
def region_x(bundle):   # per test: see test_mutants_analyse.region_x
    return analyse(load_org("region-x", bundle), load_benchmark(None, bundle), bundle)


def test_a_group_of_exactly_the_minimum_is_used(bundle):
    bench = built({"regional": 5, "municipal": 7})
    peers = peer_group(bench, "regional", RULES)
    assert (peers.benchmark, peers.level, peers.n, peers.wanted, peers.min_group) == (
        bench, "regional", 5, "regional", 5)
    assert peers.is_level and peers.group is bench.levels["regional"]


def test_the_benchmarks_own_minimum_comes_before_the_rules(bundle):
    bench = built({"regional": 3, "municipal": 7}, min_group_size=3)
    peers = peer_group(bench, "regional", RULES)
    assert peers.level == "regional" and peers.min_group == 3
    # Without its own minimum, the rules' 5 applies.
    plain = bench.model_copy(update={"min_group_size": None})
    fallback = peer_group(plain, "regional", RULES)
    assert (fallback.level, fallback.min_group) == (None, 5)


def test_a_level_group_without_n_is_not_used(bundle):
    bench = built({"regional": 6, "municipal": 7})
    no_n = bench.model_copy(update={"levels": {"regional": Group(n=None)},
                                    "min_group_size": None})
    assert peer_group(no_n, "regional", RULES.model_copy(update={"min_group_size": 1})) \
        .level is None


def test_everyone_is_the_group_when_the_level_is_not_published(bundle, caplog):
    bench = built({"regional": 4, "municipal": 7})
    with caplog.at_level(logging.INFO, logger="briefgen.compare"):
        peers = peer_group(bench, "regional", RULES)
    assert (peers.benchmark, peers.level, peers.group, peers.n, peers.wanted,
            peers.min_group) == (bench, None, bench.overall, 11, "regional", 5)
    assert not peers.is_level
    assert ("kunder-2026: no published regional group; comparing with all 11 organisations"
            in caplog.messages)
    # Without an n on the overall group, the benchmark's count of organisations.
    no_n = bench.model_copy(update={"overall": bench.overall.model_copy(update={"n": None})})
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="briefgen.compare"):
        assert peer_group(no_n, "regional", RULES).n == 11
    assert ("kunder-2026: no published regional group; comparing with all 11 organisations"
            in caplog.messages)


def test_compare_applies_the_rules_minimum_without_the_benchmarks_own(region_x):
    bench = built({"regional": 6, "municipal": 7}).model_copy(update={"min_group_size": None})
    pc = compare(region_x, bench, RULES)
    assert (pc.peers.level, pc.peers.min_group) == ("regional", 5)


def test_quartile_position_needs_all_three_quartiles():
    assert quartile_position(3.0, Figure(q1=2.5, median=3.0)) is None
    assert quartile_position(3.0, Figure(median=3.0, q3=3.5)) is None
    assert quartile_position(3.0, Figure(q1=2.5, q3=3.5)) is None
    assert quartile_position(3.0, Figure(q1=2.5, median=3.0, q3=3.5)) == "at_median"


def test_every_row_of_a_peer_comparison(region_x, bundle):
    study = load_benchmark(None, bundle)
    bench = built({"regional": 6, "municipal": 7})
    pc = compare(region_x, bench, RULES, study)
    assert pc.peers.level == "regional" and pc.benchmark is bench and pc.reference is study
    assert [r.key for r in pc.capabilities] == [c.key for c in region_x.capabilities]
    assert [(r.key, r.score, r.figure.median, r.position, r.reference) for r in pc.effects] == [
        ("relevant_services", 3.5, 4.0, "q1_median", 3.6),
        ("citizen_centric", 3.0, 4.0, "below_q1", 3.3),
        ("employee_empowerment", 2.5, 4.0, "below_q1", 3.0),
        ("cross_processes", 2.0, 4.0, "below_q1", 2.9)]
    row = pc.capabilities[0]
    assert row.figure is bench.levels["regional"].capabilities["digital_leadership"]


def test_a_comparison_without_a_second_reference_or_a_figure(region_x):
    bench = built({"regional": 6, "municipal": 7})
    group = bench.levels["regional"]
    sparse = group.model_copy(update={"effects": {}})
    bench = bench.model_copy(update={"levels": {"regional": sparse}})
    pc = compare(region_x, bench, RULES)
    assert pc.reference is None
    assert all(r.reference is None for r in pc.capabilities + pc.effects)
    # An area the group has no figure for: an empty figure, no position.
    assert all(r.figure == Figure() and r.position is None for r in pc.effects)


def test_progress_keeps_both_assessments(bundle, tmp_path):
    org = load_org(write_with_previous(tmp_path), bundle)
    prog = progress(org, bundle.framework)
    assert prog.previous is org.previous and prog.current is org
    assert [c.key for c in prog.improved] == ["digital_leadership", "partnerships"]
    assert progress(org.previous, bundle.framework) is None


def test_earlier_targets_are_checked_against_todays_scores(region_x, bundle):
    """Only targets the earlier assessment recorded (its profile's ``targets``) are checked,
    each against today's rounded score; an earlier one that recorded none has none."""
    before = region_x.org.profile.model_dump(mode="json")
    before.update(assessed="2025-10-15", targets={"competence_diversity": 2.5,
                                                   "agile_decisions": 2.0})
    before["capabilities"].update(competence_diversity=2.0, agile_decisions=1.0)
    earlier = validate_profile(before, bundle, "earlier.yaml")
    now = replace(region_x, org=region_x.org.model_copy(update={"previous": earlier}))
    checks = target_checks(now)
    assert [(c.key, c.before, c.target, c.now, c.met) for c in checks] == [
        ("competence_diversity", 2.0, 2.5, 2.5, True),      # 2,5 today: met, exactly
        ("agile_decisions", 1.0, 2.0, 1.5, False)]         # 1,5 today: not met
    before.pop("targets")
    none = validate_profile(before, bundle, "earlier.yaml")
    assert target_checks(replace(region_x, org=region_x.org.model_copy(
        update={"previous": none}))) == []
    assert target_checks(region_x) == []                     # no earlier assessment at all
