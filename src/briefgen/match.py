"""Match the recommendation library to an analysis, by the rules in ``data/rules.yaml``.

A *finding* is a capability the plan works on (a priority; on the way to the next phase, one of
the most urgent that are not yet strengths; with every capability a strength, one to build on)
or an effect area clearly below the benchmark. Each capability finding below its reference gets
its recommended practices; the study's six recommendations are then chosen one at a time, most
relevant first, each taking as its reasons the findings it addresses that no earlier choice has
taken. So every recommendation is there because of a finding in an area it addresses, and no two
share a reason. Each chosen recommendation's plan takes, from the initiatives written for the
organisation's level of government, phase and track, the first one (in 0-3 months where there is
one) for each of its findings, then later steps; an initiative's target is its own main area's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .analyse import Analysis, Comparison, Target, area_target, step_target
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
    kind: str                  # below | below_midpoint | advance | strength
    score: float
    benchmark: float | None
    gap: float | None
    reference: float
    rank: int | None = None
    weight: float = 0.0        # how much it counts for a recommendation
    level_with: bool = False   # within the tolerance of its reference: reads as level


@dataclass(frozen=True)
class MatchedPractice:
    practice: Practice
    reason: Reason


@dataclass(frozen=True)
class PlannedInitiative:
    initiative: Initiative
    target: Target             # the measurable target of its main area
    owner: Text                # the owning role, worded for the level of government


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


def reason_for(item: Comparison, area: str, weight: float, rank: int | None = None,
               status: str | None = None) -> Reason:
    """``status``: a capability's (below, on_par, above, strength or priority)."""
    if item.below:
        kind = "below" if item.benchmark is not None else "below_midpoint"
    else:
        kind = "strength" if status == "strength" else "advance"
    return Reason(area=area, key=item.key, kind=kind, score=item.score, benchmark=item.benchmark,
                  gap=item.gap, reference=item.reference, rank=rank, weight=weight,
                  level_with=item.level_with)


def weak_effects(analysis: Analysis, rules: Rules) -> list[Comparison]:
    """Effect areas clearly below the benchmark (beyond the tolerance), furthest first."""
    below = [e for e in analysis.effects if e.benchmark is not None and e.below]
    return sorted(below, key=lambda e: -e.shortfall)[: rules.matching.weak_effects]


def findings(analysis: Analysis, rules: Rules) -> list[Reason]:
    """The focus capabilities and the weak effect areas, most urgent first."""
    m = rules.matching
    caps = []
    for k in analysis.focus:
        c = analysis.capability(k)
        caps.append(reason_for(c, "capability", c.urgency, c.rank, c.status))
    effects = [reason_for(e, "effect", m.effect_weight * e.shortfall)
               for e in weak_effects(analysis, rules)]
    return caps + effects


def _addresses(rec: Recommendation, reason: Reason) -> bool:
    return reason.key in (rec.capabilities if reason.area == "capability" else rec.effects)


def _answered_lowest(rec: Recommendation, analysis: Analysis, key: str) -> bool:
    """The recommendation is the one for ``key``'s weakest sub-question (``answers_to``)."""
    sub = rec.answers_to.get(key)
    if sub is None or key not in {c.key for c in analysis.capabilities}:
        return False
    answers = analysis.capability(key).answers
    if sub not in answers:
        return False
    return all(answers[sub] < v for k, v in answers.items() if k != sub)


def eligible(rec: Recommendation, track: str, level: str, phase: str) -> list[Initiative]:
    """The recommendation's initiatives written for this track, level of government and phase."""
    kind = "lead" if track == "lead" else "gap"
    return [i for i in rec.initiatives
            if i.track == kind and level in i.levels and phase in i.phases]


def plan(rec: Recommendation, reasons: list[Reason], targets: dict[str, Target],
         library: Library, analysis: Analysis, limit: int) -> list[PlannedInitiative]:
    """The recommendation's initiatives for its findings (``reasons``), ordered by horizon.

    Each finding first gets the earliest initiative whose main area it is (in 0-3 months where
    there is one); then the leading finding's later steps, then the others', up to ``limit``.
    An initiative's target is its main area's: a finding's, so never another area's.
    """
    level, phase = analysis.org.profile.level, analysis.maturity.phase
    # Earliest first; within a horizon, one written for this phase or level before a general
    # one, then the library's order (sorted is stable).
    pool = sorted(eligible(rec, analysis.track, level, phase),
                  key=lambda i: (HORIZON_ORDER[i.horizon], len(i.phases) + len(i.levels)))
    chosen: list[Initiative] = []

    def take(key: str, horizon: str | None = None) -> None:
        found = next((i for i in pool if i.main == key and i not in chosen
                      and (horizon is None or i.horizon == horizon)), None)
        if found is not None and len(chosen) < limit:
            chosen.append(found)

    for r in reasons:
        take(r.key)
    for r in reasons:
        for horizon in HORIZONS:
            if not any(i.main == r.key and i.horizon == horizon for i in chosen):
                take(r.key, horizon)
    chosen.sort(key=lambda i: HORIZON_ORDER[i.horizon])
    return [PlannedInitiative(i, targets[i.main], library.owner(i.owner, level))
            for i in chosen]


def match(analysis: Analysis, library: Library, rules: Rules) -> Matches:
    """Choose practices, recommendations and the action plan for ``analysis``.

    The most urgent open finding picks the next recommendation: among those that address it,
    the one with it as its first area, then (for a gap) one whose first area is not a strength
    of the organisation, then the one meant for its weakest sub-question (``answers_to``), then
    the one addressing the most urgent open findings, then the study's order. So at equal
    scores the study's order of importance decides, and no finding is the reason for two
    recommendations.
    """
    m = rules.matching

    def practices_for(area: str, key: str, reason: Reason) -> list[MatchedPractice]:
        # A finding is one area, and a practice addresses one: no practice is chosen twice.
        matching = [p for p in library.practices if p.area == area and p.addresses == key]
        return [MatchedPractice(p, reason) for p in matching[:m.practices_per_priority]]

    found = findings(analysis, rules)
    cap_practices = {r.key: practices_for("capability", r.key, r)
                     for r in found if r.area == "capability" and r.kind != "strength"}
    effect_practices = {r.key: practices_for("effect", r.key, r)
                        for r in found if r.area == "effect"}
    # Every finding's target: the analysis's (the focus and the profile's own), else the rule's.
    targets = {t.key: t for t in analysis.targets}
    for r in found:
        if r.key not in targets:
            item = analysis.area(r.key)
            targets[r.key] = step_target(item, rules) if item.below else area_target(item, rules)

    open_findings = list(found)
    candidates = list(library.recommendations)
    chosen: list[MatchedRecommendation] = []
    level, phase = analysis.org.profile.level, analysis.maturity.phase
    while open_findings and len(chosen) < m.recommendations_max:
        lead = open_findings[0]
        scored = []
        for rec in candidates:
            if not _addresses(rec, lead) or not eligible(rec, analysis.track, level, phase):
                continue
            reasons = [r for r in open_findings if _addresses(rec, r)]
            relevance = round(sum(r.weight for r in reasons), 4)
            primary = (rec.capabilities if lead.area == "capability" else rec.effects)[0] \
                == lead.key
            meant = _answered_lowest(rec, analysis, lead.key)
            # For a gap, not a recommendation whose main area the organisation is strong in
            # ("practise digital leadership" to one that leads well) while another will do.
            led_by_strength = lead.kind != "strength" and bool(rec.capabilities) and \
                rec.capabilities[0] in analysis.strengths
            scored.append(((not primary, led_by_strength, not meant, -relevance, rec.number),
                           rec, reasons, relevance))
        scored = [s for s in scored if s[3] >= m.min_score]
        if not scored:
            open_findings.remove(lead)
            continue
        _, rec, reasons, relevance = min(scored, key=lambda s: s[0])
        chosen.append(MatchedRecommendation(
            rec, relevance, reasons,
            plan(rec, reasons, targets, library, analysis, m.initiatives_per_recommendation)))
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
