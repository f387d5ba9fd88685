"""Schemas of every input file: framework, benchmarks, recommendation library, rules, profiles.

The models are the contract documented in ``docs/data-format.md``. They are strict (unknown keys
are errors) so that a typo in a consultant's edit is caught at load time, not in the PDF.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Level = Literal["state", "regional", "municipal"]
LEVELS: tuple[Level, ...] = ("state", "regional", "municipal")
IMPORTANCE_LEVELS = ("most_important", "top3", "important", "not_prioritised")
IMPACTS = ("optimise_tasks", "change_division_of_work", "change_task_portfolio")
SCALE_MIN, SCALE_MAX = 1.0, 5.0   # every score's bounds; framework.yaml's scale must agree

# When an assessment may be dated. The PDF and Office files need a four-digit year, and a
# self-assessment of digital transformation dated outside this century is a typo (0226-10-15).
EARLIEST_ASSESSED, LATEST_ASSESSED = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
ASSESSED_ALLOWED = (f"a date from {EARLIEST_ASSESSED.isoformat()} to "
                    f"{LATEST_ASSESSED.isoformat()}, YYYY-MM-DD")

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
Slug = Annotated[str, StringConstraints(pattern=SLUG_RE.pattern)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in both briefing languages."""

    sv: str
    en: str

    def __call__(self, lang: str) -> str:
        return getattr(self, lang)


def round1(value: float) -> float:
    """Round half up to one decimal (2.25 -> 2.3), as a reader rounds by hand."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _finite_score(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number from 1 to 5")
    if not math.isfinite(value) or not SCALE_MIN <= value <= SCALE_MAX:
        raise ValueError(f"{value} is outside 1-5")
    return float(value)


# --------------------------------------------------------------------------- framework


class Question(Strict):
    key: str
    text: Text                   # the question, in our own words
    short: Text | None = None    # a few words naming it beside its capability (sub-questions)
    source: str                  # where the report asks it, e.g. "line 886"


class Capability(Strict):
    key: str
    rank: int = Field(ge=1)       # the study's order of importance, 1 = most important
    rank_source: str
    label: Text
    description: Text
    questions: list[Question] = Field(min_length=1)
    anchors: dict[int, Text] = {}  # what a 1, 3 or 5 looks like, where the report says
    anchors_source: str | None = None
    finding: Text                # what the study found, in our words
    source: str                  # the chapter's lines

    @property
    def composite(self) -> bool:
        return len(self.questions) > 1


class EffectArea(Strict):
    key: str
    label: Text
    description: Text
    question: Text
    finding: Text
    source: str


class Choice(Strict):
    """One of a fixed set of answers (importance level, kind of impact, maturity phase)."""

    key: str
    label: Text
    description: Text
    source: str


class ScaleStep(Strict):
    value: int
    label: Text


class Framework(Strict):
    id: str
    title: Text
    scale: list[ScaleStep]
    scale_source: str
    capabilities: list[Capability] = Field(min_length=1)
    effects: list[EffectArea] = Field(min_length=1)
    importance_levels: list[Choice]
    impacts: list[Choice]
    phases: list[Choice]

    @field_validator("scale")
    @classmethod
    def _scale_of_the_scores(cls, scale: list[ScaleStep]) -> list[ScaleStep]:
        """The scale's steps are the whole numbers the scores are checked against (1-5)."""
        steps = [s.value for s in scale]
        wanted = list(range(int(SCALE_MIN), int(SCALE_MAX) + 1))
        if steps != wanted:
            raise ValueError(f"the steps must be {', '.join(map(str, wanted))} in this order "
                             f"(every score is checked against {SCALE_MIN:g}-{SCALE_MAX:g}), "
                             f"not {', '.join(map(str, steps))}")
        return scale

    @field_validator("capabilities")
    @classmethod
    def _ranks_in_order(cls, capabilities: list[Capability]) -> list[Capability]:
        """The study's ranks are 1 to the number of capabilities, each once."""
        ranks = sorted(c.rank for c in capabilities)
        if ranks != list(range(1, len(capabilities) + 1)):
            raise ValueError(f"the ranks must be 1 to {len(capabilities)}, each once, not "
                             f"{', '.join(map(str, ranks))}")
        return capabilities

    def capability(self, key: str) -> Capability:
        return next(c for c in self.capabilities if c.key == key)

    def effect(self, key: str) -> EffectArea:
        return next(e for e in self.effects if e.key == key)

    @property
    def capability_keys(self) -> list[str]:
        return [c.key for c in self.capabilities]

    @property
    def effect_keys(self) -> list[str]:
        return [e.key for e in self.effects]


# --------------------------------------------------------------------------- benchmarks


class Figure(Strict):
    """One benchmark figure with where it comes from. ``mean`` is null when not reported."""

    mean: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    n: int | None = None
    source: str = ""
    note: Text | None = None

    @field_validator("mean", "median", "q1", "q3")
    @classmethod
    def _on_scale(cls, value: float | None) -> float | None:
        return None if value is None else _finite_score(value)


class Count(Strict):
    """A count of organisations (e.g. 8 of 18 in the embedded phase); null when not reported."""

    count: int | None = Field(default=None, ge=0)
    source: str = ""
    note: Text | None = None


class Group(Strict):
    """Figures for one group of organisations (the whole sample, or one level)."""

    n: int | None = None
    capabilities: dict[str, Figure] = {}
    effects: dict[str, Figure] = {}
    importance: dict[str, Count] = {}
    phases: dict[str, Count] = {}
    impacts: dict[str, Count] = {}


class Section(Strict):
    """A part of the source document, to cite a figure by where a reader finds it."""

    lines: tuple[int, int]       # first and last line in the audited text extraction
    title: Text                  # e.g. "sammanfattningen, Digitalt ledarskap"


class PeerFigures(Strict):
    """A member of a built benchmark and its peers: the figures of its group without it."""

    level: Literal["state", "regional", "municipal"] | None = None  # None: all organisations
    n: int = Field(ge=1)
    capabilities: dict[str, Figure] = {}
    effects: dict[str, Figure] = {}


class Benchmark(Strict):
    id: Slug
    version: str
    title: Text
    publisher: str
    published: str               # e.g. "2018-06"
    source_document: str
    kind: Literal["study", "built"] = "study"
    organisations: int
    respondents: int | None = None
    by_level: dict[str, Count] = {}
    notes: list[Text] = []       # for audit: how every figure was read (not printed)
    caveats: list[Text] = []     # for the reader: what to keep in mind (printed)
    sections: list[Section] = []  # the document's parts, to cite sources by section
    overall: Group
    levels: dict[str, Group] = {}  # peer groups, only where large enough to publish
    min_group_size: int | None = None
    # A built benchmark's members, by a fingerprint of their id (briefgen.compare.member_key),
    # each with its peers' figures without it: a member is never compared with itself.
    members: dict[str, PeerFigures] = {}
    members_without_peers: list[str] = []  # members with too few others to compare with

    def capability(self, key: str) -> Figure:
        return self.overall.capabilities.get(key, Figure())

    def effect(self, key: str) -> Figure:
        return self.overall.effects.get(key, Figure())


# --------------------------------------------------------------------------- recommendations


class Practice(Strict):
    id: str
    area: Literal["capability", "effect"]
    addresses: str               # a capability or effect-area key
    title: Text
    text: Text
    source: str


HORIZONS = ("0-3", "3-12", "12-24")   # months
Phase = Literal["mobilised", "embedded", "accelerated", "integrated"]
PHASES: tuple[Phase, ...] = ("mobilised", "embedded", "accelerated", "integrated")
TRACKS = ("gap", "lead")   # an initiative raises a weak area, or builds on a strong one


TERM = re.compile(r"\{([A-Za-z_]+)\}")   # a level-dependent term in an initiative's text


class LevelText(Strict):
    """A text that differs by level of government (a role, a body, a steering document)."""

    state: Text
    regional: Text
    municipal: Text

    def at(self, level: str) -> Text:
        return getattr(self, level)


class Initiative(Strict):
    """One step of the action plan that carries out a recommendation (our own advice).

    Its texts may name level-dependent terms as ``{head}`` (lower case) or ``{Head}`` (the
    first letter up), from :attr:`Library.terms`.
    """

    id: str
    title: Text
    horizon: Literal["0-3", "3-12", "12-24"]
    owner: str                   # a key of Library.owners
    first_step: Text
    done_when: Text              # what shows the initiative is done
    areas: list[str] = Field(min_length=1)  # the areas it works on, its main area first
    track: Literal["gap", "lead"] = "gap"  # gap: raises a weak area; lead: builds on a strength
    levels: list[Level] = list(LEVELS)
    phases: list[Phase] = list(PHASES)

    @property
    def main(self) -> str:
        return self.areas[0]


class Recommendation(Strict):
    id: str
    number: int
    title: Text
    summary: Text
    next_steps: list[Text] = Field(min_length=1)
    capabilities: list[str] = []
    effects: list[str] = []
    # Where a capability has sub-questions: the sub-question whose low answer makes this the
    # recommendation for it (e.g. data_access_security: collect_store for security).
    answers_to: dict[str, str] = {}
    initiatives: list[Initiative] = []
    source: str


class Library(Strict):
    owners: dict[str, Text | LevelText] = {}  # roles that own initiatives, by level if need be
    terms: dict[str, LevelText] = {}          # words an initiative's text names by level
    practices: list[Practice]
    recommendations: list[Recommendation]

    def owner(self, key: str, level: str) -> Text:
        owner = self.owners[key]
        return owner.at(level) if isinstance(owner, LevelText) else owner

    def worded(self, text: Text, level: str) -> Text:
        """``text`` with its level-dependent terms filled in: ``{head}`` as the term reads,
        ``{Head}`` with its first letter up."""
        def fill(lang: str) -> str:
            def term(m: re.Match) -> str:
                name = m.group(1)
                word = self.terms[name.lower()].at(level)(lang)
                return word[:1].upper() + word[1:] if name[:1].isupper() else word
            return TERM.sub(term, text(lang))
        return Text(sv=fill("sv"), en=fill("en"))


# --------------------------------------------------------------------------- rules


class PriorityRule(Strict):
    """Status and urgency of a capability: see docs/method.md. All weights are data."""

    weight_low_score: float      # times (scale max - score) / (scale max - scale min)
    weight_importance: float     # times (count + 1 - rank) / count
    fallback_reference: float    # reference for a capability the benchmark has no figure for
    tolerance: float = Field(ge=0)  # this close to the reference (either way) is roughly equal
    top: int                     # at most this many priorities, all below their reference
    strength_margin: float       # a strength is at least this far above its reference


class TargetRule(Strict):
    """The score to reach at the next assessment: see docs/method.md."""

    min_step: float              # below the reference: the reference, at least this far up ...
    max_step: float              # ... and at most this far up
    next_phase_step: float       # nothing below: this far up, at most the top of the scale


class PhaseRule(Strict):
    """Estimate the maturity phase from the mean of the seven capabilities."""

    thresholds: dict[str, float]  # phase -> lowest capability mean that reaches it


class MatchRule(Strict):
    practices_per_priority: int
    strengths_to_build_on: int   # the lead track works on at most this many strengths
    initiatives_per_recommendation: int  # at most this many initiatives per recommendation
    weak_effects: int            # how many of the weakest effect areas get their practices
    recommendations_max: int
    recommendations_summary: int
    effect_weight: float         # an effect area's shortfall counts this much in a recommendation
    min_score: float             # a recommendation needs at least this relevance


class SurveyRule(Strict):
    """How survey answers are grouped and published: see docs/survey.md."""

    round_days: int = Field(ge=0)       # one assessment spans at most this many days
    spread_finding: float = Field(gt=0)  # a range of answers this wide is called out
    min_group_size: int = Field(ge=2)   # no built benchmark publishes a smaller group
    #                                     (nor a briefing a role of fewer respondents)
    role_gap: float = Field(gt=0)        # roles' means this far apart are called out


class Rules(Strict):
    priorities: PriorityRule
    targets: TargetRule
    surveys: SurveyRule
    phase: PhaseRule
    matching: MatchRule


# --------------------------------------------------------------------------- organisation profile



class Profile(Strict):
    id: Slug
    name: str = Field(min_length=1, max_length=200)
    level: Literal["state", "regional", "municipal"]
    assessed: dt.date = Field(ge=EARLIEST_ASSESSED, le=LATEST_ASSESSED)
    importance: Literal["most_important", "top3", "important", "not_prioritised"]
    impact: dict[str, float]
    effects: dict[str, float]
    capabilities: dict[str, float | dict[str, float]]
    ranking: list[str] | None = None
    maturity_phase: Literal["mobilised", "embedded", "accelerated", "integrated"] | None = None
    logo: str | None = None
    previous: str | None = None  # path of an earlier profile of the same organisation
    targets: dict[str, float] = {}  # capability -> score to reach at the next assessment


class RoleGroup(BaseModel):
    """The respondents of one role (``role`` None: every respondent of no role shown)."""

    model_config = ConfigDict(frozen=True)

    role: str | None
    n: int
    means: dict[str, float]        # per capability and effect area, as the profile's scores


class Org(BaseModel):
    """A profile after validation, with composite capabilities resolved to their mean."""

    model_config = ConfigDict(frozen=True)

    profile: Profile
    source: str                              # the file it came from, for messages
    capability_scores: dict[str, float]
    capability_answers: dict[str, dict[str, float]]  # composite sub-question answers
    respondents: int | None = None           # set when built from a survey
    spread: dict[str, dict[str, float]] = {}  # per question: min, max, sd, n (surveys)
    # Surveys with roles: the roles with enough respondents to be shown on their own
    # (survey.aggregate.role_groups), and how many respondents gave a role at all.
    role_groups: list[RoleGroup] = []
    with_role: int = 0
    previous: Org | None = None

    @property
    def id(self) -> str:
        return self.profile.id

    @property
    def name(self) -> str:
        return self.profile.name
