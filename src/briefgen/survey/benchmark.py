"""Build a benchmark from many organisations' survey answers.

Each organisation counts once, with its latest assessment: its answers are averaged per question,
its capabilities are the means of their questions (as for a briefing), and its maturity phase is
estimated from the capability mean by the rules in ``data/rules.yaml``. Over the organisations,
every capability and effect area gets mean, median, quartiles and n, overall and per level, and
the answers to importance and the estimated phases are counted. A group of fewer than
``min_group_size`` organisations is not published at all, so that no organisation can be read out
of the benchmark; only aggregates are stored, never an organisation's own answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from pathlib import Path

import pandas as pd
import yaml

from ..analyse import estimate_phase, round1
from ..compare import member_key
from ..errors import InputError
from ..load import DataBundle
from ..models import IMPORTANCE_LEVELS, LEVELS, SLUG_RE, Benchmark
from ..output import write_atomic
from ..texts import Texts
from .aggregate import capability_scores
from .read import Survey, read_survey

log = logging.getLogger(__name__)



def slugify(name: str) -> str:
    """'Kunder 2026' -> 'kunder-2026' (å, ä, ö lose their marks)."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:64].strip("-")
    return slug or "benchmark"


def org_table(survey: Survey, bundle: DataBundle) -> pd.DataFrame:
    """One row per organisation (its latest assessment): level, respondents, importance, phase,
    then one column per capability and effect area."""
    fw = bundle.framework
    frame = survey.frame
    current = frame[frame["assessed"] == frame.groupby("org_id")["assessed"].transform("max")]
    grouped = current.groupby("org_id", sort=True)
    means = grouped[survey.answer_keys].mean()
    holes = means.isna()
    if holes.any().any():
        problems = [f"{survey.source}: {org_id}: no respondent answered "
                    f"{', '.join(holes.columns[holes.loc[org_id]])}; at least one answer per "
                    "question is needed" for org_id in means.index[holes.any(axis=1)]]
        raise InputError(problems)
    table = pd.DataFrame(index=means.index)
    table["level"] = grouped["level"].first()
    table["respondents"] = grouped.size()
    table["assessed"] = grouped["assessed"].first()
    ranks = current["importance"].map({k: i for i, k in enumerate(IMPORTANCE_LEVELS)})
    median_rank = ranks.groupby(current["org_id"]).quantile(0.5, interpolation="lower")
    table["importance"] = median_rank.map(
        lambda r: None if pd.isna(r) else IMPORTANCE_LEVELS[int(r)])
    caps = capability_scores(means, fw)
    table = table.join(caps)
    for e in fw.effects:
        table[e.key] = means[f"effects.{e.key}"]
    cap_mean = caps.mean(axis=1).map(lambda m: round1(float(m)))
    table["phase"] = cap_mean.map(lambda m: estimate_phase(m, bundle.rules))
    return table


def _figure(values: pd.Series, source: str, mean: bool = True) -> dict:
    q1, median, q3 = values.quantile([0.25, 0.5, 0.75]).tolist()
    figure = {"mean": round1(float(values.mean())), "median": round1(median), "q1": round1(q1),
              "q3": round1(q3), "n": int(values.count()), "source": source}
    if not mean:
        del figure["mean"]
    return figure


def _members(table: pd.DataFrame, bundle: DataBundle, bench_id: str, least: int,
             source: str) -> tuple[dict, list[str]]:
    """Each organisation's peers without it: its level group if at least ``least`` others are
    in it, else all the others if they are as many, else none. Medians and quartiles only (no
    mean, which with the whole group's would give the member's own score away)."""
    fw = bundle.framework
    members, alone = {}, []
    for org_id, row in table.iterrows():
        others = table.drop(index=org_id)
        same = others[others["level"] == row["level"]]
        group, level = (same, row["level"]) if len(same) >= least else (others, None)
        if len(group) < least:
            alone.append(member_key(bench_id, str(org_id)))
            continue
        members[member_key(bench_id, str(org_id))] = {
            "level": level, "n": int(len(group)),
            "capabilities": {k: _figure(group[k], source, mean=False) for k in fw.capability_keys},
            "effects": {k: _figure(group[k], source, mean=False) for k in fw.effect_keys},
        }
    return dict(sorted(members.items())), sorted(alone)


def _counts(values: pd.Series, keys, source: str) -> dict:
    counts = values.value_counts()
    return {k: {"count": int(counts.get(k, 0)), "source": source} for k in keys}


def _group(table: pd.DataFrame, bundle: DataBundle, source: str) -> dict:
    fw = bundle.framework
    return {
        "n": int(len(table)),
        "capabilities": {k: _figure(table[k], source) for k in fw.capability_keys},
        "effects": {k: _figure(table[k], source) for k in fw.effect_keys},
        "importance": _counts(table["importance"], IMPORTANCE_LEVELS, source),
        "phases": _counts(table["phase"], [p.key for p in fw.phases], source),
    }


def build_benchmark(survey: Survey, bundle: DataBundle, name: str, bench_id: str | None = None,
                    publisher: str = "briefgen",
                    min_group_size: int | None = None) -> Benchmark:
    """Aggregate a survey of many organisations into a :class:`Benchmark` of kind 'built'."""
    bench_id = bench_id or slugify(name)
    if not SLUG_RE.match(bench_id):
        raise InputError(f"--id: '{bench_id}' is not a valid benchmark id (allowed: lower-case "
                         "letters, digits and '-')")
    if min_group_size is None:
        min_group_size = bundle.rules.surveys.min_group_size
    if min_group_size < 2:
        raise InputError(f"--min-group-size: {min_group_size} is too small (at least 2)")
    table = org_table(survey, bundle)
    n = len(table)
    if n < min_group_size:
        raise InputError(f"{survey.source}: {n} organisation(s); a benchmark needs at least "
                         f"{min_group_size}, or no figure could be published")
    latest: dt.date = table["assessed"].max().date()
    source = f"{Path(survey.source).name}, {n} organisations"
    sizes = table["level"].value_counts()
    levels, suppressed = {}, []
    for level in LEVELS:
        size = int(sizes.get(level, 0))
        if size >= min_group_size:
            levels[level] = _group(table[table["level"] == level], bundle,
                                   f"{Path(survey.source).name}, {size} {level}")
        elif size:
            suppressed.append((level, size))
    texts = {lang: Texts(lang, bundle.root, bundle.framework) for lang in ("sv", "en")}
    notes = [{lang: t("built_note_method", n=n, respondents=int(table["respondents"].sum()),
                      min=min_group_size) for lang, t in texts.items()}]
    if suppressed:
        notes.append({lang: t("built_note_suppressed", min=min_group_size, groups=", ".join(
            f"{t('level_' + lv).lower()} ({k})"
            for lv, k in suppressed)) for lang, t in texts.items()})
    data = {
        "id": bench_id,
        "version": latest.isoformat(),
        "title": {"sv": name, "en": name},
        "publisher": publisher,
        "published": latest.strftime("%Y-%m"),
        "source_document": Path(survey.source).name,
        "kind": "built",
        "organisations": n,
        "respondents": int(table["respondents"].sum()),
        "by_level": {lv: {"count": int(sizes.get(lv, 0)), "source": source} for lv in LEVELS},
        "notes": notes,
        "caveats": notes,
        "overall": _group(table, bundle, source),
        "levels": levels,
        "min_group_size": min_group_size,
    }
    data["members"], data["members_without_peers"] = _members(table, bundle, bench_id,
                                                            min_group_size, source)
    bench = Benchmark.model_validate(data)
    log.info("built benchmark %s: %d organisations, levels published: %s", bench_id, n,
             ", ".join(levels) or "none")
    return bench


def benchmark_yaml(bench: Benchmark) -> str:
    header = ("# Benchmark built by briefgen from survey answers (kind: built): aggregates only.\n"
              f"# {bench.organisations} organisations, {bench.respondents} respondents; groups "
              f"of fewer than {bench.min_group_size} organisations are not published.\n"
              "# members: for each organisation (by a fingerprint of its id) the figures of its\n"
              "# peers without it, so that its briefing never compares it with itself. Taken\n"
              "# together they could tell a member's scores: keep this file with the answers.\n"
              "# Format: docs/data-format.md and docs/survey.md.\n")
    data = bench.model_dump(mode="json", exclude_none=True)
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def build_file(survey_path: Path, bundle: DataBundle, name: str, out: Path,
               bench_id: str | None = None, publisher: str = "briefgen",
               min_group_size: int | None = None) -> Benchmark:
    """Read a survey, build the benchmark and write it atomically to ``out``."""
    out = Path(out)
    if out.suffix not in (".yaml", ".yml"):
        raise InputError(f"--out: '{out}' must end in .yaml")
    if bench_id is None and SLUG_RE.match(out.stem):
        bench_id = out.stem  # so that --benchmark ID finds it in benchmarks/
    survey = read_survey(survey_path, bundle)
    bench = build_benchmark(survey, bundle, name, bench_id, publisher, min_group_size)
    write_atomic(out, benchmark_yaml(bench).encode())
    return bench
