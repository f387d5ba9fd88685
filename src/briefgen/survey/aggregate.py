"""Aggregate a validated survey per organisation and assessment.

Per organisation and assessment, every question gets its mean, min, max, standard deviation
(sample, n - 1) and number of answers; a capability of several questions takes the mean of its
sub-questions' means, as the study does. The result is the same profile dict a YAML profile
holds, validated by :func:`briefgen.load.validate_profile`, plus the spread and, where the
respondents gave roles, the means of each role that has enough respondents to stay anonymous
(:func:`role_groups`). Pure pandas over the frame :func:`briefgen.survey.read.read_survey`
returns; nothing here reads files. Comments are never looked at here.
"""

from __future__ import annotations

import logging

import pandas as pd

from ..errors import InputError
from ..load import DataBundle, validate_profile
from ..models import IMPACTS, IMPORTANCE_LEVELS, Framework, Org, RoleGroup
from ..reading import did_you_mean
from .columns import ROLE, answer_columns
from .read import Survey

log = logging.getLogger(__name__)

STATS = ("mean", "min", "max", "std", "count")


def question_stats(frame: pd.DataFrame, keys: list[str],
                   by: list[str] | None = None) -> pd.DataFrame:
    """Per group (default: organisation and assessment) and question: mean, min, max, sd, n.

    The result has a column MultiIndex (question, statistic); sd is the sample standard
    deviation (n - 1), NaN with one answer.
    """
    by = by or ["org_id", "assessed"]
    return frame.groupby(by, sort=True)[keys].agg(list(STATS))


def capability_scores(means: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Per row of question means: each capability as the mean of its questions' means."""
    out = {}
    for cap in fw.capabilities:
        cols = [f"{cap.key}.{q.key}" for q in cap.questions] if cap.composite else [cap.key]
        out[cap.key] = means[cols].mean(axis=1, skipna=False)
    return pd.DataFrame(out, index=means.index)


def importance_median(values: pd.Series) -> str | None:
    """The median answer on the ordered scale; of two middle answers, the more important."""
    order = [v for v in values if v]
    if not order:
        return None
    ranks = sorted(IMPORTANCE_LEVELS.index(v) for v in order)
    return IMPORTANCE_LEVELS[ranks[(len(ranks) - 1) // 2]]


def _round(value: float, digits: int = 4) -> float:
    return float(round(float(value), digits))


def profile_dict(org_id: str, rows: pd.DataFrame, stats: pd.Series, fw: Framework,
                 name: str) -> dict:
    """The profile of one assessment, shaped as a YAML profile (``docs/data-format.md``)."""
    first = rows.iloc[0]
    mean = {key: stats[(key, "mean")] for key in stats.index.get_level_values(0).unique()}
    missing = [k for k, v in mean.items() if pd.isna(v)]
    when = rows["assessed"].iloc[0].date()
    if missing:
        raise InputError(f"{name}: {org_id} ({when.isoformat()}): no respondent answered "
                         f"{', '.join(missing)}; at least one answer per question is needed")
    importance = importance_median(rows["importance"])
    if importance is None:
        raise InputError(f"{name}: {org_id} ({when.isoformat()}): no respondent answered "
                         "importance; at least one answer is needed")
    caps: dict[str, object] = {}
    for cap in fw.capabilities:
        if cap.composite:
            caps[cap.key] = {q.key: float(mean[f"{cap.key}.{q.key}"]) for q in cap.questions}
        else:
            caps[cap.key] = float(mean[cap.key])
    return {
        "id": org_id,
        "name": str(first["org_name"]),
        "level": str(first["level"]),
        "assessed": when,
        "importance": importance,
        "impact": {k: float(mean[f"impact.{k}"]) for k in IMPACTS},
        "effects": {e.key: float(mean[f"effects.{e.key}"]) for e in fw.effects},
        "capabilities": caps,
    }


def spread_dict(stats: pd.Series) -> dict[str, dict[str, float]]:
    """Per question: mean, min, max, sd (0 with one answer) and n, as plain floats."""
    out = {}
    for key in stats.index.get_level_values(0).unique():
        sd = stats[(key, "std")]
        out[key] = {"mean": _round(stats[(key, "mean")]), "min": float(stats[(key, "min")]),
                    "max": float(stats[(key, "max")]),
                    "sd": 0.0 if pd.isna(sd) else _round(sd),
                    "n": float(stats[(key, "count")])}
    return out


def area_means(rows: pd.DataFrame, fw: Framework) -> dict[str, float]:
    """Per capability and effect area, the mean as a profile's score is made (a capability of
    several questions: the mean of its questions' means); an area nobody answered is left out.
    """
    means = rows[[c.key for c in answer_columns(fw)]].mean().to_frame().T
    caps = capability_scores(means, fw).iloc[0]
    found = {k: float(v) for k, v in caps.items()}
    found.update({e.key: float(means[f"effects.{e.key}"].iloc[0]) for e in fw.effects})
    return {k: _round(v) for k, v in found.items() if not pd.isna(v)}


def role_groups(rows: pd.DataFrame, fw: Framework, minimum: int) -> list[RoleGroup]:
    """The roles of one assessment's respondents that can be shown on their own.

    A role is shown when at least ``minimum`` respondents carry it (``surveys.min_group_size``,
    as for a built benchmark's groups); the respondents of no role shown are one group,
    "the others", if they are that many too. Otherwise the smallest role shown joins them
    until they are: the overall mean beside the roles shown would give away the means of a
    smaller remainder. Fewer than two groups: nothing to compare, an empty list.
    Roles are told apart without regard to case; a role is named as most of its rows spell it.
    """
    named = rows[rows[ROLE] != ""]
    if named.empty:
        return []
    folded = named[ROLE].str.casefold()
    counts = folded.value_counts()
    spelling = {key: named[ROLE][folded == key].value_counts().index[0] for key in counts.index}
    shown = sorted((k for k, n in counts.items() if n >= minimum),
                   key=lambda k: (-counts[k], spelling[k]))
    rest = len(rows) - sum(counts[k] for k in shown)
    while shown and 0 < rest < minimum:
        rest += counts[shown.pop()]
    all_folded = rows[ROLE].str.casefold()
    groups = [RoleGroup(role=spelling[k], n=int(counts[k]),
                        means=area_means(rows[all_folded == k], fw)) for k in shown]
    if shown and rest:
        others = rows[~all_folded.isin(shown)]
        groups.append(RoleGroup(role=None, n=int(len(others)), means=area_means(others, fw)))
    return groups if len(groups) >= 2 else []


def role_gaps(org: Org, fw: Framework, threshold: float) -> list[tuple[str, RoleGroup, RoleGroup]]:
    """The areas whose roles' means lie ``threshold`` or more apart: (area, the role rating it
    highest, the one rating it lowest), widest first, in the framework's order on a tie."""
    order = [*fw.capability_keys, *fw.effect_keys]
    found = []
    for key in order:
        rated = [g for g in org.role_groups if key in g.means]
        if len(rated) < 2:
            continue
        high = max(rated, key=lambda g: g.means[key])
        low = min(rated, key=lambda g: g.means[key])
        if high.means[key] - low.means[key] >= threshold - 1e-9:
            found.append((key, high, low))
    return sorted(found, key=lambda item: -(item[1].means[item[0]] - item[2].means[item[0]]))


def survey_org(survey: Survey, org_id: str, bundle: DataBundle) -> Org:
    """The organisation's latest assessment as an :class:`Org`, earlier ones as ``previous``."""
    frame = survey.frame
    rows = frame[frame["org_id"] == org_id]
    if rows.empty:
        known = survey.org_ids()
        listed = ", ".join(known[:20]) + (" …" if len(known) > 20 else "")
        raise InputError(f"{survey.source}: no answers for organisation '{org_id}'"
                         f"{did_you_mean(org_id, known)} In the survey: {listed}")
    stats = question_stats(rows, survey.answer_keys)
    org: Org | None = None
    # Oldest first, so each assessment can point at the one before it.
    for (_, assessed), row_stats in stats.iterrows():
        these = rows[rows["assessed"] == assessed]
        data = profile_dict(org_id, these, row_stats, bundle.framework, survey.source)
        where = f"{survey.source} ({org_id}, {assessed.date().isoformat()})"
        current = validate_profile(data, bundle, where)
        respondents = int(len(these))
        if respondents == 1:
            message = (f"{survey.source}: {org_id} has one respondent in the assessment of "
                       f"{assessed.date().isoformat()}; its answers are used as they are, "
                       "with no spread")
            log.warning("%s", message)
            survey.warnings.append(message)
        dates = sorted({d.date().isoformat() for d in these["date"]})
        if len(dates) > 1:
            log.info("%s: %s answered from %s to %s: one assessment", survey.source, org_id,
                     dates[0], dates[-1])
        org = current.model_copy(update={
            "respondents": respondents, "spread": spread_dict(row_stats), "previous": org,
            "role_groups": role_groups(these, bundle.framework,
                                       bundle.rules.surveys.min_group_size),
            "with_role": int((these[ROLE] != "").sum())})
    assert org is not None
    if org.previous is not None:
        log.info("%s: %s has an earlier assessment (%s): progress is shown", survey.source,
                 org_id, org.previous.profile.assessed)
    return org


def disagreements(org: Org, fw: Framework, threshold: float) -> list[str]:
    """Question keys whose answers range over ``threshold`` points or more, widest first."""
    keys = [c.key for c in answer_columns(fw)]
    wide = [k for k in keys if k in org.spread and org.spread[k]["n"] >= 2
            and org.spread[k]["max"] - org.spread[k]["min"] >= threshold - 1e-9]
    return sorted(wide, key=lambda k: -(org.spread[k]["max"] - org.spread[k]["min"]))
