"""Compare an organisation with a peer group of a built benchmark, and with its own past.

Pure functions over loaded data (what the templates make of it: :mod:`briefgen.context`).
A built benchmark stores only aggregates (mean, median,
quartiles, n), so the organisation's position is read from the published quartiles: below the
first quartile, between the first quartile and the median, between the median and the third
quartile, or above the third quartile. Nothing here sees another organisation's answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .analyse import Analysis, Target, round1
from .models import Benchmark, Figure, Framework, Group, Org, SurveyRule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeerGroup:
    benchmark: Benchmark
    level: str | None          # the organisation's level, or None for all organisations
    group: Group
    n: int
    wanted: str                # the organisation's level (the group it would be compared with)
    min_group: int             # the smallest group this benchmark publishes

    @property
    def is_level(self) -> bool:
        return self.level is not None


def peer_group(bench: Benchmark, level: str, rules: SurveyRule) -> PeerGroup:
    """The organisation's level group where it is published and large enough, else everyone.

    The minimum is the benchmark's own, else ``surveys.min_group_size`` in data/rules.yaml.
    """
    least = bench.min_group_size or rules.min_group_size
    group = bench.levels.get(level)
    if group is not None and (group.n or 0) >= least:
        return PeerGroup(bench, level, group, group.n or 0, level, least)
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


def compare(analysis: Analysis, bench: Benchmark, rules: SurveyRule,
            reference: Benchmark | None = None) -> PeerComparison:
    """The organisation against its peer group in ``bench``; ``reference`` adds its means."""
    peers = peer_group(bench, analysis.org.profile.level, rules)

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


def target_checks(earlier: list[Target], current: Analysis) -> list[TargetCheck]:
    """Whether each target of the earlier assessment is met by today's (rounded) scores."""
    now = {c.key: c.score for c in [*current.capabilities, *current.effects]}
    return [TargetCheck(t.key, t.score, t.target, now[t.key]) for t in earlier if t.key in now]
