"""Compare an organisation with a peer group of a built benchmark, and with its own past.

Pure functions over loaded data (what the templates make of it: :mod:`briefgen.context`).
A built benchmark stores only aggregates (mean, median,
quartiles, n), so the organisation's position is read from the published quartiles: below the
first quartile, between the first quartile and the median, between the median and the third
quartile, or above the third quartile. Nothing here sees another organisation's answers.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from .analyse import Analysis, round1
from .models import Benchmark, Figure, Framework, Group, Org, SurveyRule

log = logging.getLogger(__name__)


def member_key(bench_id: str, org_id: str) -> str:
    """How a built benchmark names a member: a fingerprint of its id, not the id itself."""
    return hashlib.sha256(f"{bench_id}\0{org_id}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PeerGroup:
    benchmark: Benchmark
    level: str | None          # the organisation's level, or None for all organisations
    group: Group
    n: int
    wanted: str                # the organisation's level (the group it would be compared with)
    min_group: int             # the smallest group this benchmark publishes
    without_member: bool = False  # the organisation is in the benchmark: its peers without it

    @property
    def is_level(self) -> bool:
        return self.level is not None


def peer_group(bench: Benchmark, level: str, rules: SurveyRule,
               org_id: str | None = None) -> PeerGroup | None:
    """The organisation's level group where it is published and large enough, else everyone;
    for a member of the benchmark, that group without it (None when too few others remain).

    The minimum is the benchmark's own, else ``surveys.min_group_size`` in data/rules.yaml.
    """
    least = bench.min_group_size or rules.min_group_size
    if org_id is not None and bench.kind == "built":
        mine = bench.members.get(member_key(bench.id, org_id))
        if mine is not None:
            group = Group(n=mine.n, capabilities=mine.capabilities, effects=mine.effects)
            return PeerGroup(bench, mine.level, group, mine.n, level, least, True)
        if _was_member(bench, org_id):
            log.info("%s: too few organisations besides %s to compare with", bench.id, org_id)
            return None
    published = bench.levels.get(level)
    if published is not None and (published.n or 0) >= least:
        return PeerGroup(bench, level, published, published.n or 0, level, least)
    log.info("%s: no published %s group; comparing with all %d organisations", bench.id, level,
             bench.overall.n or bench.organisations)
    return PeerGroup(bench, None, bench.overall, bench.overall.n or bench.organisations, level,
                     least)


def quartile_position(score: float, figure: Figure) -> str | None:
    """Where ``score`` falls among the group's quartiles; None if they are not published.

    A score equal to the median is 'at_median' (the briefing must not call it above or below);
    one equal to q1 counts in the quarter above it, one equal to q3 stays in 'median_q3'.
    """
    if figure.q1 is None or figure.median is None or figure.q3 is None:
        return None
    if score == figure.median:
        return "at_median"
    if score < figure.q1:
        return "below_q1"
    if score < figure.median:
        return "q1_median"
    if score <= figure.q3:
        return "median_q3"
    return "above_q3"


@dataclass(frozen=True)
class PeerRow:
    key: str
    score: float               # the organisation's, rounded as in the analysis
    figure: Figure             # the peer group's figure (mean, median, q1, q3, n)
    position: str | None
    reference: float | None    # the second benchmark's mean (e.g. the 2018 study), if given


@dataclass(frozen=True)
class PeerComparison:
    peers: PeerGroup
    capabilities: list[PeerRow]
    effects: list[PeerRow]
    reference: Benchmark | None

    @property
    def benchmark(self) -> Benchmark:
        return self.peers.benchmark


def _was_member(bench: Benchmark, org_id: str) -> bool:
    """Whether the benchmark lists ``org_id`` among the members it could not publish peers for
    (``members_without_peers``)."""
    return member_key(bench.id, org_id) in bench.members_without_peers


def compare(analysis: Analysis, bench: Benchmark, rules: SurveyRule,
            reference: Benchmark | None = None) -> PeerComparison | None:
    """The organisation against its peer group in ``bench``; ``reference`` adds its means.
    None when the organisation is in the benchmark and too few others remain to compare with."""
    peers = peer_group(bench, analysis.org.profile.level, rules, analysis.org.id)
    if peers is None:
        return None

    def row(key: str, score: float, figures: dict[str, Figure], ref: Figure | None) -> PeerRow:
        figure = figures.get(key, Figure())
        return PeerRow(key, score, figure, quartile_position(score, figure),
                       ref.mean if ref is not None else None)

    caps = [row(c.key, c.score, peers.group.capabilities,
                reference.capability(c.key) if reference else None)
            for c in analysis.capabilities]
    effects = [row(e.key, e.score, peers.group.effects,
                   reference.effect(e.key) if reference else None) for e in analysis.effects]
    return PeerComparison(peers, caps, effects, reference)


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class Change:
    key: str
    before: float
    now: float

    @property
    def change(self) -> float:
        return round1(self.now - self.before)


@dataclass(frozen=True)
class ProgressReport:
    """The change per capability and effect area since the earlier assessment."""

    previous: Org
    current: Org
    capabilities: list[Change]
    effects: list[Change]

    @property
    def improved(self) -> list[Change]:
        return [c for c in self.capabilities + self.effects if c.change > 0]

    @property
    def declined(self) -> list[Change]:
        return [c for c in self.capabilities + self.effects if c.change < 0]


def progress(org: Org, fw: Framework) -> ProgressReport | None:
    """The change per capability and effect area since the organisation's earlier assessment."""
    before = org.previous
    if before is None:
        return None
    caps = [Change(k, round1(before.capability_scores[k]), round1(org.capability_scores[k]))
            for k in fw.capability_keys]
    effects = [Change(k, round1(before.profile.effects[k]), round1(org.profile.effects[k]))
               for k in fw.effect_keys]
    return ProgressReport(before, org, caps, effects)


@dataclass(frozen=True)
class TargetCheck:
    """A target set at the earlier assessment, against today's score."""

    key: str
    before: float
    target: float
    now: float

    @property
    def met(self) -> bool:
        return self.now >= self.target


def target_checks(current: Analysis) -> list[TargetCheck]:
    """Whether each target the earlier assessment recorded (its profile's ``targets``) is met
    by today's rounded scores. An earlier assessment that recorded none has none to check:
    targets are never worked out after the fact, which would make them depend on today's
    rules and benchmark."""
    previous = current.org.previous
    if previous is None:
        return []
    now = {c.key: c.score for c in current.capabilities}
    return [TargetCheck(key, round1(previous.capability_scores[key]), round1(value), now[key])
            for key, value in previous.profile.targets.items() if key in now]


def disagreements(pc: PeerComparison, analysis: Analysis) -> list[str]:
    """The capabilities where the two comparisons point different ways: a priority by the
    primary benchmark that is at or above its peers' median, or a strength below it."""
    up = {"at_median", "median_q3", "above_q3"}
    down = {"below_q1", "q1_median"}
    out = []
    for row in pc.capabilities:
        status = analysis.capability(row.key).status
        if (status == "priority" and row.position in up) or \
                (status == "strength" and row.position in down):
            out.append(row.key)
    return out
