"""Compare an organisation with a benchmark: scores, gaps, priorities, strengths and phase.

Pure functions over loaded data; nothing here reads files. Scores are rounded to one decimal,
the precision the study publishes, before any gap is taken, so that every printed gap is the
difference of the two printed numbers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from .load import DataBundle
from .models import SCALE_MAX, SCALE_MIN, Benchmark, Figure, Org, Rules, round1

log = logging.getLogger(__name__)

__all__ = ["Analysis", "CapabilityResult", "Comparison", "Maturity", "Target", "TRACKS", "analyse",
           "area_target", "estimate_phase", "round1", "status_of", "step_target", "targets_for",
           "urgency"]

# What the plan works on, by what the scores show (docs/method.md, "Three tracks"):
# gaps: some capability is below its reference; advance: none is, but some are not yet
# strengths; lead: every capability is a strength.
TRACKS = ("gaps", "advance", "lead")


@dataclass(frozen=True)
class Comparison:
    """One capability or effect area of the organisation against the benchmark."""

    key: str
    score: float                   # rounded to one decimal
    benchmark: float | None        # None: the benchmark does not report a figure
    gap: float | None              # score - benchmark; None without a benchmark
    reference: float               # benchmark, or the rules' fallback reference
    figure: Figure                 # the benchmark figure with its source
    answers: dict[str, float] = field(default_factory=dict)  # sub-questions, if composite
    tolerance: float = 0.0         # a difference this small (either way) reads as equal

    @property
    def shortfall(self) -> float:
        return max(0.0, round1(self.reference - self.score))

    @property
    def reported(self) -> bool:
        return self.benchmark is not None

    @property
    def gap_to_reference(self) -> float:
        return round1(self.score - self.reference)

    @property
    def below(self) -> bool:
        """Clearly under its reference (by more than the tolerance): the only way a capability
        becomes a priority by the rules, and an area gets a target to raise it."""
        return round1(self.reference - self.score) > self.tolerance + 1e-9

    @property
    def level_with(self) -> bool:
        """Within the tolerance of its reference, either way: roughly equal."""
        return abs(self.gap_to_reference) <= self.tolerance + 1e-9


@dataclass(frozen=True)
class CapabilityResult(Comparison):
    rank: int = 0                  # the study's importance rank
    own_rank: int | None = None    # the organisation's own rank, if given
    urgency: float = 0.0
    status: str = "on_par"         # priority | below | on_par | above | strength


@dataclass(frozen=True)
class Maturity:
    phase: str
    estimated: bool
    basis: float | None = None     # the capability mean an estimate was made from


@dataclass(frozen=True)
class Target:
    """The score an area should reach at the next assessment, and by which rule."""

    key: str
    score: float
    target: float
    rule: str                      # reference | step | min_step | next_phase | hold | profile


@dataclass(frozen=True)
class Analysis:
    org: Org
    benchmark: Benchmark
    capabilities: list[CapabilityResult]
    effects: list[Comparison]
    maturity: Maturity
    priorities: list[str]          # below their reference, most urgent first (at most `top`)
    strengths: list[str]           # clearly above their reference, furthest first
    ranking: list[str]             # every capability key, most urgent first
    focus: list[str]               # what the plan works on: the priorities (gaps), the most
    #                                urgent that are not yet strengths (advance), or the
    #                                strengths to build on (lead)
    targets: list[Target]
    track: str = "gaps"            # gaps | advance | lead
    priority_notes: dict[str, str] = field(default_factory=dict)  # a reviewer's reasons

    def capability(self, key: str) -> CapabilityResult:
        return next(c for c in self.capabilities if c.key == key)

    def effect(self, key: str) -> Comparison:
        return next(e for e in self.effects if e.key == key)

    def area(self, key: str) -> Comparison:
        return next(a for a in [*self.capabilities, *self.effects] if a.key == key)

    def target(self, key: str) -> Target | None:
        return next((t for t in self.targets if t.key == key), None)

    @property
    def below(self) -> list[CapabilityResult]:
        return [c for c in self.capabilities if c.below]

    @property
    def tolerance(self) -> float:
        """How close to its reference a score reads as level with it (rules.yaml)."""
        return self.capabilities[0].tolerance if self.capabilities else 0.0

    @property
    def capability_mean(self) -> float:
        return round1(sum(self.org.capability_scores.values()) / len(self.capabilities))


def _compare(key: str, raw: float, figure: Figure, rules: Rules) -> dict:
    score = round1(raw)
    bench = figure.mean
    return dict(key=key, score=score, benchmark=bench,
                gap=None if bench is None else round1(score - bench),
                reference=bench if bench is not None else rules.priorities.fallback_reference,
                figure=figure, tolerance=rules.priorities.tolerance)


def urgency(rank: float, score: float, count: int, rules: Rules) -> float:
    """How urgently a capability needs work: a low score, then a high importance rank.

    The benchmark plays no part, so at equal scores the order of importance decides.
    """
    r = rules.priorities
    return round(r.weight_low_score * (SCALE_MAX - score) / (SCALE_MAX - SCALE_MIN)
                 + r.weight_importance * (count + 1 - rank) / count, 4)


def estimate_phase(capability_mean: float, rules: Rules) -> str:
    reached = [phase for phase, low in rules.phase.thresholds.items() if capability_mean >= low]
    ordered = sorted(rules.phase.thresholds, key=lambda phase: rules.phase.thresholds[phase])
    return max(reached, key=ordered.index) if reached else ordered[0]


def step_target(item: Comparison, rules: Rules) -> Target:
    """The target of an area below its reference: the reference, moved into the allowed steps."""
    r = rules.targets
    low, high = round1(item.score + r.min_step), round1(item.score + r.max_step)
    if item.reference > high + 1e-9:
        return Target(item.key, item.score, high, "step")
    if item.reference < low - 1e-9:
        return Target(item.key, item.score, min(SCALE_MAX, low), "min_step")
    return Target(item.key, item.score, item.reference, "reference")


def area_target(item: Comparison, rules: Rules) -> Target:
    """The rule's target for an area the plan works on: below its reference, the reference
    within the allowed steps; a strength, to hold its level; otherwise (on the way to the next
    phase) ``next_phase_step`` up, at most the top of the scale."""
    if item.below:
        return step_target(item, rules)
    if item.gap_to_reference >= rules.priorities.strength_margin - 1e-9 \
            or item.score >= SCALE_MAX:
        return Target(item.key, item.score, item.score, "hold")
    return Target(item.key, item.score,
                  min(SCALE_MAX, round1(item.score + rules.targets.next_phase_step)), "next_phase")


def targets_for(caps: list[CapabilityResult], focus: list[str], own: dict[str, float],
                rules: Rules) -> list[Target]:
    """The score to reach per capability of the plan (and any the profile sets itself)."""
    out = []
    for c in caps:
        if c.key in own:
            out.append(Target(c.key, c.score, round1(own[c.key]), "profile"))
        elif c.key in focus:
            out.append(area_target(c, rules))
    order = {k: i for i, k in enumerate(focus)}
    return sorted(out, key=lambda t: order.get(t.key, len(order)))


def status_of(item: Comparison, rules: Rules) -> str:
    """below | on_par | above | strength, by the distance to the reference (docs/method.md)."""
    if item.below:
        return "below"
    if item.gap_to_reference >= rules.priorities.strength_margin - 1e-9:
        return "strength"
    return "on_par" if item.level_with else "above"


def analyse(org: Org, benchmark: Benchmark, bundle: DataBundle) -> Analysis:
    """Compare ``org`` with ``benchmark``; rank its capabilities into priorities and targets."""
    fw, rules = bundle.framework, bundle.rules
    own = {k: i + 1 for i, k in enumerate(org.profile.ranking or [])}
    count = len(fw.capabilities)

    caps = []
    for cap in fw.capabilities:
        base = _compare(cap.key, org.capability_scores[cap.key], benchmark.capability(cap.key),
                        rules)
        own_rank = own.get(cap.key)
        rank = cap.rank if own_rank is None else (cap.rank + own_rank) / 2
        caps.append(CapabilityResult(
            **base, answers=org.capability_answers.get(cap.key, {}), rank=cap.rank,
            own_rank=own_rank, urgency=urgency(rank, base["score"], count, rules)))
    caps = [replace(c, status=status_of(c, rules)) for c in caps]

    ranking = [c.key for c in sorted(caps, key=lambda c: (-c.urgency, c.rank))]
    by_key = {c.key: c for c in caps}
    top = rules.priorities.top
    priorities = [k for k in ranking if by_key[k].status == "below"][:top]
    strengths = [c.key for c in sorted(caps, key=lambda c: (-c.gap_to_reference, c.rank))
                 if c.status == "strength"]
    # What can still be raised: not a strength, and not at the top of the scale already.
    open_ = [k for k in ranking if by_key[k].status != "strength"
             and by_key[k].score < SCALE_MAX]
    if priorities:
        track, focus = "gaps", priorities
    elif open_:
        track, focus = "advance", open_[:top]
    else:
        track = "lead"
        focus = strengths[: rules.matching.strengths_to_build_on]
    caps = [replace(c, status="priority") if c.key in priorities else c for c in caps]

    effects = [Comparison(**_compare(e.key, org.profile.effects[e.key], benchmark.effect(e.key),
                                     rules)) for e in fw.effects]

    mean = round1(sum(org.capability_scores.values()) / len(caps))
    if org.profile.maturity_phase:
        maturity = Maturity(org.profile.maturity_phase, estimated=False)
    else:
        maturity = Maturity(estimate_phase(mean, rules), estimated=True, basis=mean)
    targets = targets_for(caps, focus, dict(org.profile.targets), rules)
    log.debug("%s: %s track, priorities %s, strengths %s, phase %s", org.id, track, priorities,
              strengths, maturity.phase)
    return Analysis(org=org, benchmark=benchmark, capabilities=caps, effects=effects,
                    maturity=maturity, priorities=priorities, strengths=strengths,
                    ranking=ranking, focus=focus, targets=targets, track=track)
