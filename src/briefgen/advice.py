"""The advice as the reader gets it: the summary, the chosen recommendations and the action
plan, worded in one language for the organisation's level of government.

:mod:`briefgen.match` chooses in numbers; this module words what it chose, so that every
deliverable (the PDF, the deck, the workbook, ``analyse --format json``) reads the same texts,
and a consultant's review (:mod:`briefgen.review`) can replace any of them before the client
sees it. Pure functions; nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .analyse import Analysis, Target
from .match import HORIZON_ORDER, Matches, Reason
from .models import Benchmark, Library, Rules
from .texts import Texts

__all__ = ["Advice", "Advised", "Finding", "Step", "advise", "summary_texts"]


@dataclass(frozen=True)
class Step:
    """One initiative of the action plan, worded."""

    id: str | None             # the library's initiative id; None for one a reviewer added
    title: str
    owner: str
    horizon: str               # 0-3 | 3-12 | 12-24 (months)
    first_step: str
    done_when: str
    areas: tuple[str, ...]     # what it works on, its main area first
    target: Target | None      # the score its main area should reach at the next assessment


@dataclass(frozen=True)
class Advised:
    """One of the study's recommendations as the briefing gives it."""

    id: str
    number: int | None         # the study's number; None for a consultant's own
    title: str
    reason: str                # why for this organisation, in numbers
    summary: str               # the study's picture (2018), from the library
    next_steps: tuple[str, ...]  # the study's next steps
    steps: tuple[Step, ...]    # the action plan's initiatives
    reasons: tuple[Reason, ...] = ()  # the findings behind ``reason`` (none: a reviewer's own)


@dataclass(frozen=True)
class Finding:
    """An observation of the consultant's own (from a review), with where it comes from."""

    text: str
    source: str | None = None


@dataclass(frozen=True)
class Advice:
    lang: str
    track: str                 # gaps | advance | lead (see briefgen.analyse)
    priorities: tuple[str, ...]
    summary: dict[str, str]    # the summary's paragraphs: stand, position
    recommendations: tuple[Advised, ...]
    findings: tuple[Finding, ...] = ()
    priority_notes: dict[str, str] = field(default_factory=dict)  # a reviewer's reasons
    review: str | None = None  # the review file applied, if any
    removed: tuple[str, ...] = ()  # recommendations a reviewer took out: shown nowhere
    first_count: int = 3       # how many initiatives "Do this first" shows

    @property
    def steps(self) -> list[Step]:
        return [s for r in self.recommendations for s in r.steps]

    @property
    def first_steps(self) -> list[Step]:
        """What to do first: the plan's earliest initiatives (0-3 months where there are any),
        one for each priority before any other, in the priorities' order, then the rest."""
        if not self.steps:
            return []
        first = min(HORIZON_ORDER[s.horizon] for s in self.steps)
        early = [s for s in self.steps if HORIZON_ORDER[s.horizon] == first]
        for_priority = []
        for key in self.priorities:
            found = next((s for s in early if s.areas and s.areas[0] == key
                          and s not in for_priority), None)
            if found is not None:
                for_priority.append(found)
        rest = [s for s in early if s not in for_priority]
        return (for_priority + rest)[: max(self.first_count, len(for_priority))]

    @property
    def targets(self) -> list[Target]:
        """Every target of the plan, once per area, in the order the plan meets them."""
        seen: dict[str, Target] = {}
        for s in self.steps:
            if s.target is not None:
                seen.setdefault(s.target.key, s.target)
        return list(seen.values())


def advise(analysis: Analysis, matches: Matches, library: Library, rules: Rules,
           t: Texts) -> Advice:
    """Word the analysis's chosen recommendations and plan in ``t``'s language."""
    level = analysis.org.profile.level
    recs = []
    for r in matches.recommendations:
        rec = r.recommendation
        steps = tuple(
            Step(id=p.initiative.id,
                 title=library.worded(p.initiative.title, level)(t.lang),
                 owner=p.owner(t.lang), horizon=p.initiative.horizon,
                 first_step=library.worded(p.initiative.first_step, level)(t.lang),
                 done_when=library.worded(p.initiative.done_when, level)(t.lang),
                 areas=tuple(p.initiative.areas), target=p.target)
            for p in r.initiatives)
        reason = t.reasons(r.reasons)
        for key, sub in rec.answers_to.items():   # chosen for a sub-question: say which
            answers = analysis.capability(key).answers if key in analysis.focus else {}
            if sub in answers and all(answers[sub] < v for q, v in answers.items() if q != sub):
                question = next(q for q in t.framework.capability(key).questions if q.key == sub)
                label = question.short(t.lang) if question.short else question.text(t.lang)
                reason += " " + t("reason_answers", question=label, score=t.num(answers[sub]))
        recs.append(Advised(id=rec.id, number=rec.number, title=rec.title(t.lang),
                            reason=reason,
                            summary=rec.summary(t.lang),
                            next_steps=tuple(s(t.lang) for s in rec.next_steps),
                            steps=steps, reasons=tuple(r.reasons)))
    return Advice(lang=t.lang, track=analysis.track, priorities=tuple(analysis.priorities),
                  summary=summary_texts(analysis, matches, analysis.benchmark, rules, t),
                  recommendations=tuple(recs), first_count=rules.matching.recommendations_summary)


def summary_texts(analysis: Analysis, matches: Matches, bench: Benchmark, rules: Rules,
                  t: Texts) -> dict[str, str]:
    """The summary's two paragraphs: where the organisation stands, and what the scores show."""
    org = analysis.org
    phase, mean = t.lower_label(analysis.maturity.phase), t.num(analysis.capability_mean)
    key = "summary_stand_estimated" if analysis.maturity.estimated else "summary_stand_stated"
    stand = [t(key, name=org.name, mean=mean, phase=phase)]
    count = bench.overall.phases.get(analysis.maturity.phase)
    if count is not None and count.count is not None:
        stand.append(t("summary_phase_share" if count.count else "summary_phase_share_none",
                       count=t.integer(count.count), n=t.integer(bench.organisations)))

    tol = t.num(rules.priorities.tolerance)
    below = analysis.below
    focus = t.join_labels(analysis.focus)
    total = len(analysis.capabilities)
    if analysis.track == "lead":
        caps = t("summary_lead", margin=t.num(rules.priorities.strength_margin), list=focus)
    elif analysis.track == "advance":
        top = analysis.maturity.phase == t.framework.phases[-1].key
        caps = t("summary_advance_top" if top else "summary_advance", tol=tol, list=focus,
                 name=org.name)
    elif len(below) == total:
        caps = t("summary_below_all", tol=tol, list=focus)
    elif len(below) == 1:
        caps = t("summary_below_one", tol=tol, list=focus)
    elif len(below) <= len(analysis.priorities):
        caps = t.sentence(t("summary_below_few", count=t.count_word(len(below)), tol=tol,
                            list=focus))
    else:
        caps = t.sentence(t("summary_below_some", count=t.count_word(len(below)), tol=tol,
                            list=focus))
    weak = list(matches.effect_practices)
    reported = [e for e in analysis.effects if e.benchmark is not None]
    position = [caps]
    if weak:
        more = sum(e.below for e in reported) > len(weak)  # more below than the plan takes up
        key = ("summary_effects_furthest" if more else "summary_effects_below" if len(weak) > 1
               else "summary_effects_below_one")
        position.append(t(key, list=t.join_labels(weak), tol=tol, ref=t("ref_name")))
    elif len(reported) == len(analysis.effects):
        position.append(t("summary_effects_none", tol=tol, ref=t("ref_name")))
    return {"stand": " ".join(stand), "position": " ".join(position)}
