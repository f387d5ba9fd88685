"""Match the recommendation library to an analysis, by the rules in ``data/rules.yaml``.

A *finding* is a capability the plan works on (a priority, or on the way to the next phase the
most urgent capability) or an effect area below the benchmark. Each finding gets its recommended
practices; the study's six recommendations are then chosen one at a time, most relevant first,
each taking as its reasons the findings it addresses that no earlier choice has taken. So every
recommendation is there because of a finding in an area it addresses, and no two share a reason.
The chosen recommendations' initiatives, each with a target, make the action plan.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .analyse import Analysis, Comparison, Target, area_target
from .models import (
    HORIZONS,
    Initiative,
    Library,
    Practice,
    Recommendation,
    Rules,
    Text,
)

log = logging.getLogger(__name__)

HORIZON_ORDER = {horizon: i for i, horizon in enumerate(HORIZONS)}  # the plan's order


@dataclass(frozen=True)
class Reason:
    """A finding that selected a practice or recommendation, in numbers; phrased later."""

    area: str                  # capability | effect
    key: str
    kind: str                  # below | below_midpoint | next_phase
    score: float
    benchmark: float | None
    gap: float | None
    reference: float
    rank: int | None = None
    weight: float = 0.0        # how much it counts for a recommendation


@dataclass(frozen=True)
class MatchedPractice:
    practice: Practice
    reason: Reason


@dataclass(frozen=True)
class PlannedInitiative:
    initiative: Initiative
    target: Target             # the measurable target it works towards
    owner: Text                # the owning role, worded


@dataclass(frozen=True)
class MatchedRecommendation:
    recommendation: Recommendation
    relevance: float
    reasons: list[Reason]
    initiatives: list[PlannedInitiative]


@dataclass(frozen=True)
class Matches:
    capability_practices: dict[str, list[MatchedPractice]]  # focus key -> practices
    effect_practices: dict[str, list[MatchedPractice]]      # weak effect key -> practices
    recommendations: list[MatchedRecommendation]            # most relevant first
    plan_targets: list[Target] = field(default_factory=list)  # every target of the plan
    _summary: int = 3

    @property
    def summary_recommendations(self) -> list[MatchedRecommendation]:
        return self.recommendations[: self._summary]

    @property
    def first_steps(self) -> list[PlannedInitiative]:
        """What to do first: the earliest initiative of each leading recommendation, then,
        with fewer recommendations, the next initiatives of the plan by horizon."""
        firsts = [r.initiatives[0] for r in self.recommendations if r.initiatives]
        rest = sorted((p for r in self.recommendations for p in r.initiatives[1:]),
                      key=lambda p: HORIZON_ORDER[p.initiative.horizon])
        return (firsts + rest)[: self._summary]



def reason_for(item: Comparison, area: str, weight: float, rank: int | None = None) -> Reason:
    if item.below:
        kind = "below" if item.benchmark is not None else "below_midpoint"
    else:
        kind = "next_phase"
    return Reason(area=area, key=item.key, kind=kind, score=item.score, benchmark=item.benchmark,
                  gap=item.gap, reference=item.reference, rank=rank, weight=weight)


def weak_effects(analysis: Analysis, rules: Rules) -> list[Comparison]:
    """Effect areas below the benchmark, furthest first."""
    below = [e for e in analysis.effects if e.benchmark is not None and e.shortfall > 0]
    return sorted(below, key=lambda e: -e.shortfall)[: rules.matching.weak_effects]


def findings(analysis: Analysis, rules: Rules) -> list[Reason]:
    """The focus capabilities and the weak effect areas, most urgent first."""
    m = rules.matching
    caps = [reason_for(analysis.capability(k), "capability", analysis.capability(k).urgency,
                       analysis.capability(k).rank) for k in analysis.focus]
    effects = [reason_for(e, "effect", m.effect_weight * e.shortfall)
               for e in weak_effects(analysis, rules)]
    return caps + effects


def _addresses(rec: Recommendation, reason: Reason) -> bool:
    return reason.key in (rec.capabilities if reason.area == "capability" else rec.effects)


def plan(rec: Recommendation, targets: dict[str, Target],
         owners: dict[str, Text]) -> list[PlannedInitiative]:
    """The recommendation's initiatives, each with the target of the area it works on.

    An initiative takes the target of the first area it works on (its main area first) that has
    a target: a reason's, or one by the rules (``area_target``). One that works on no area with
    a target is left out, so an initiative never carries another area's target. Ordered by
    horizon.
    """
    chosen = []
    for i in rec.initiatives:
        area = next((k for k in i.moves if k in targets), None)
        if area is not None:
            chosen.append(PlannedInitiative(i, targets[area], owners[i.owner]))
    return sorted(chosen, key=lambda p: HORIZON_ORDER[p.initiative.horizon])


def match(analysis: Analysis, library: Library, rules: Rules) -> Matches:
    """Choose practices, recommendations and the action plan for ``analysis``.

    The most urgent open finding picks the next recommendation: among those that address it,
    the one with it as its first area, then the one addressing the most urgent open findings,
    then the study's order. So at equal scores the study's order of importance decides, and
    no finding is the reason for two recommendations.
    """
    m = rules.matching

    def practices_for(area: str, key: str, reason: Reason) -> list[MatchedPractice]:
        # A finding is one area, and a practice addresses one: no practice is chosen twice.
        matching = [p for p in library.practices if p.area == area and p.addresses == key]
        return [MatchedPractice(p, reason) for p in matching[:m.practices_per_priority]]

    found = findings(analysis, rules)
    cap_practices = {r.key: practices_for("capability", r.key, r)
                     for r in found if r.area == "capability"}
    effect_practices = {r.key: practices_for("effect", r.key, r)
                        for r in found if r.area == "effect"}
    # Every area's target: the analysis's (focus and the profile's own), else the rule's.
    targets = {t.key: t for t in analysis.targets}
    for item in [*analysis.capabilities, *analysis.effects]:
        if item.key not in targets and (extra := area_target(item, rules, analysis.next_phase)):
            targets[item.key] = extra

    open_findings = list(found)
    candidates = list(library.recommendations)
    chosen: list[MatchedRecommendation] = []
    while open_findings and len(chosen) < m.recommendations_max:
        lead = open_findings[0]
        scored = []
        for rec in candidates:
            if not _addresses(rec, lead):
                continue
            reasons = [r for r in open_findings if _addresses(rec, r)]
            relevance = round(sum(r.weight for r in reasons), 4)
            primary = (rec.capabilities if lead.area == "capability" else rec.effects)[0] \
                == lead.key
            scored.append(((not primary, -relevance, rec.number), rec, reasons, relevance))
        scored = [s for s in scored if s[3] >= m.min_score]
        if not scored:
            open_findings.remove(lead)
            continue
        _, rec, reasons, relevance = min(scored, key=lambda s: s[0])
        chosen.append(MatchedRecommendation(rec, relevance, reasons,
                                            plan(rec, targets, library.owners)))
        candidates.remove(rec)
        open_findings = [r for r in open_findings if r not in reasons]
    plan_targets = _plan_targets(chosen)
    log.debug("%s: recommendations %s", analysis.org.id, [r.recommendation.id for r in chosen])
    return Matches(capability_practices=cap_practices, effect_practices=effect_practices,
                   recommendations=chosen, plan_targets=plan_targets,
                   _summary=m.recommendations_summary)


def _plan_targets(chosen: list[MatchedRecommendation]) -> list[Target]:
    """Every target the plan works towards, once each, in the order the plan meets them."""
    seen: dict[str, Target] = {}
    for r in chosen:
        for p in r.initiatives:
            seen.setdefault(p.target.key, p.target)
    return list(seen.values())
