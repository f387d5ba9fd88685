"""Match the recommendation library to an analysis, by the rules in ``data/rules.yaml``.

Priority capabilities get their recommended practices; the weakest effect areas get theirs; the
six recommendations are scored by how urgent the capabilities and effect areas they address are.
Every match carries the findings that selected it, so the briefing can say why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .analyse import Analysis, Comparison
from .models import Library, Practice, Recommendation, Rules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reason:
    """A finding that selected a practice or recommendation, in numbers; phrased later."""

    area: str                  # capability | effect
    key: str
    kind: str                  # below | no_benchmark_low | no_benchmark | important
    score: float
    benchmark: float | None
    gap: float | None
    reference: float
    rank: int | None = None


@dataclass(frozen=True)
class MatchedPractice:
    practice: Practice
    reason: Reason


@dataclass(frozen=True)
class MatchedRecommendation:
    recommendation: Recommendation
    relevance: float
    reasons: list[Reason]


@dataclass(frozen=True)
class Matches:
    capability_practices: dict[str, list[MatchedPractice]]  # priority key -> practices
    effect_practices: dict[str, list[MatchedPractice]]      # weak effect key -> practices
    recommendations: list[MatchedRecommendation]            # most relevant first

    @property
    def summary_recommendations(self) -> list[MatchedRecommendation]:
        return self.recommendations[: self._summary]

    _summary: int = 3


def reason_for(item: Comparison, area: str, rank: int | None = None) -> Reason:
    if item.benchmark is not None:
        kind = "below" if item.score < item.benchmark else "important"
    else:
        kind = "no_benchmark_low" if item.score < item.reference else "no_benchmark"
    return Reason(area=area, key=item.key, kind=kind, score=item.score, benchmark=item.benchmark,
                  gap=item.gap, reference=item.reference, rank=rank)


def weak_effects(analysis: Analysis, rules: Rules) -> list[Comparison]:
    """Effect areas below the benchmark, furthest first."""
    below = [e for e in analysis.effects if e.benchmark is not None and e.shortfall > 0]
    return sorted(below, key=lambda e: -e.shortfall)[: rules.matching.weak_effects]


def match(analysis: Analysis, library: Library, rules: Rules) -> Matches:
    """Choose practices and recommendations for ``analysis``; none is chosen twice."""
    m = rules.matching
    used: set[str] = set()

    def practices_for(area: str, key: str, reason: Reason) -> list[MatchedPractice]:
        chosen = []
        for practice in library.practices:
            if (practice.area == area and practice.addresses == key
                    and practice.id not in used and len(chosen) < m.practices_per_priority):
                used.add(practice.id)
                chosen.append(MatchedPractice(practice, reason))
        return chosen

    cap_practices = {}
    for key in analysis.priorities:
        cap = analysis.capability(key)
        cap_practices[key] = practices_for("capability", key, reason_for(cap, "capability",
                                                                         cap.rank))
    weak = weak_effects(analysis, rules)
    effect_practices = {e.key: practices_for("effect", e.key, reason_for(e, "effect"))
                        for e in weak}

    scored = []
    for rec in library.recommendations:
        reasons, relevance = [], 0.0
        for key in sorted(rec.capabilities, key=analysis.ranking.index):
            if key in analysis.priorities:
                cap = analysis.capability(key)
                relevance += cap.urgency
                reasons.append(reason_for(cap, "capability", cap.rank))
        for eff in weak:
            if eff.key in rec.effects:
                relevance += m.effect_weight * eff.shortfall
                reasons.append(reason_for(eff, "effect"))
        if reasons and relevance >= m.min_score:
            scored.append(MatchedRecommendation(rec, round(relevance, 4), reasons))
    scored.sort(key=lambda r: (-r.relevance, r.recommendation.number))
    chosen = scored[: m.recommendations_max]
    log.debug("%s: recommendations %s", analysis.org.id, [r.recommendation.id for r in chosen])
    return Matches(capability_practices=cap_practices, effect_practices=effect_practices,
                   recommendations=chosen, _summary=m.recommendations_summary)
