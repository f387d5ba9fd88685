"""Compare an organisation with a benchmark: scores, gaps, priorities, strengths and phase.

Pure functions over loaded data; nothing here reads files. Scores are rounded to one decimal,
the precision the study publishes, before any gap is taken, so that every printed gap is the
difference of the two printed numbers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from .load import DataBundle
from .models import Benchmark, Figure, Org, Rules

log = logging.getLogger(__name__)


def round1(value: float) -> float:
    """Round half up to one decimal (2.25 -> 2.3), as a reader rounds by hand."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


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

    @property
    def shortfall(self) -> float:
        return max(0.0, round1(self.reference - self.score))

    @property
    def reported(self) -> bool:
        return self.benchmark is not None


@dataclass(frozen=True)
class CapabilityResult(Comparison):
    rank: int = 0                  # the study's importance rank
    own_rank: int | None = None    # the organisation's own rank, if given
    urgency: float = 0.0
    status: str = "on_par"         # priority | strength | below | on_par


@dataclass(frozen=True)
class Maturity:
    phase: str
    estimated: bool
    basis: float | None = None     # the capability mean an estimate was made from


@dataclass(frozen=True)
class Analysis:
    org: Org
    benchmark: Benchmark
    capabilities: list[CapabilityResult]
    effects: list[Comparison]
    maturity: Maturity
    priorities: list[str]          # capability keys, most urgent first
    strengths: list[str]
    ranking: list[str]             # every capability key, most urgent first

    def capability(self, key: str) -> CapabilityResult:
        return next(c for c in self.capabilities if c.key == key)

    def effect(self, key: str) -> Comparison:
        return next(e for e in self.effects if e.key == key)

    @property
    def capability_mean(self) -> float:
        return round1(sum(self.org.capability_scores.values()) / len(self.capabilities))


def _compare(key: str, raw: float, figure: Figure, fallback: float) -> dict:
    score = round1(raw)
    bench = figure.mean
    return dict(key=key, score=score, benchmark=bench,
                gap=None if bench is None else round1(score - bench),
                reference=bench if bench is not None else fallback, figure=figure)


def urgency(shortfall: float, rank: float, score: float, rules: Rules) -> float:
    """How urgently a capability needs work; see docs/method.md."""
    r = rules.priorities
    return round(r.weight_shortfall * shortfall
                 + r.weight_importance * (8 - rank) / 7
                 + r.weight_low_score * (5 - score) / 4, 4)


def estimate_phase(capability_mean: float, rules: Rules) -> str:
    reached = [phase for phase, low in rules.phase.thresholds.items() if capability_mean >= low]
    ordered = sorted(rules.phase.thresholds, key=rules.phase.thresholds.get)
    return max(reached, key=ordered.index) if reached else ordered[0]


def analyse(org: Org, benchmark: Benchmark, bundle: DataBundle) -> Analysis:
    """Compare ``org`` with ``benchmark`` and rank its capabilities into priorities."""
    fw, rules = bundle.framework, bundle.rules
    own = {k: i + 1 for i, k in enumerate(org.profile.ranking or [])}
    fallback = rules.priorities.fallback_reference

    caps = []
    for cap in fw.capabilities:
        base = _compare(cap.key, org.capability_scores[cap.key], benchmark.capability(cap.key),
                        fallback)
        own_rank = own.get(cap.key)
        rank = cap.rank if own_rank is None else (cap.rank + own_rank) / 2
        shortfall = max(0.0, round1(base["reference"] - base["score"]))
        caps.append(CapabilityResult(
            **base, answers=org.capability_answers.get(cap.key, {}), rank=cap.rank,
            own_rank=own_rank, urgency=urgency(shortfall, rank, base["score"], rules)))

    ranking = [c.key for c in sorted(caps, key=lambda c: (-c.urgency, c.rank))]
    priorities = ranking[: rules.priorities.top]
    strengths = [c.key for c in sorted(caps, key=lambda c: (-(c.score - c.reference), c.rank))
                 if c.key not in priorities
                 and (c.score - c.reference >= rules.priorities.strength_margin - 1e-9
                      or c.score >= rules.priorities.strength_min_score)]
    caps = [_with_status(c, priorities, strengths) for c in caps]

    effects = [Comparison(**_compare(e.key, org.profile.effects[e.key], benchmark.effect(e.key),
                                     fallback)) for e in fw.effects]

    mean = round1(sum(org.capability_scores.values()) / len(caps))
    if org.profile.maturity_phase:
        maturity = Maturity(org.profile.maturity_phase, estimated=False)
    else:
        maturity = Maturity(estimate_phase(mean, rules), estimated=True, basis=mean)
    log.debug("%s: priorities %s, strengths %s, phase %s", org.id, priorities, strengths,
              maturity.phase)
    return Analysis(org=org, benchmark=benchmark, capabilities=caps, effects=effects,
                    maturity=maturity, priorities=priorities, strengths=strengths,
                    ranking=ranking)


def _with_status(cap: CapabilityResult, priorities: list[str],
                 strengths: list[str]) -> CapabilityResult:
    status = ("priority" if cap.key in priorities
              else "strength" if cap.key in strengths
              else "below" if cap.score < cap.reference else "on_par")
    return replace(cap, status=status)
