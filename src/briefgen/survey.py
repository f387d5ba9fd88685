"""Surveys: a questionnaire many leaders fill in, read back and aggregated per organisation.

A survey is a table with one row per respondent (see ``docs/survey.md``): who answered
(``org_id``, ``org_name``, ``level``, ``respondent``, ``date``), how important the digital agenda
is (``importance``), and one column per question of the framework, each answered 1-5. Reading is
the only part that touches files; the aggregation is pandas over the validated frame.

Per organisation and assessment, every question gets its mean, min, max, standard deviation
(sample, n - 1) and number of answers; a capability of several questions takes the mean of its
sub-questions' means, as the study does. The result is the same profile dict a YAML profile
holds, validated by :func:`briefgen.load.validate_profile`, plus the spread.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import resources
from .errors import InputError
from .load import DataBundle, _display, did_you_mean, validate_profile
from .models import IMPACTS, IMPORTANCE_LEVELS, LEVELS, SLUG_RE, Framework, Org, SurveyRule, Text
from .tabular import check_size, check_xlsx
from .texts import _strings

log = logging.getLogger(__name__)

META = ("org_id", "org_name", "level", "respondent", "date", "importance")
ANSWER_SHEET = {"sv": "Svar", "en": "Answers"}
INSTRUCTION_SHEET = {"sv": "Instruktioner", "en": "Instructions"}


@dataclass(frozen=True)
class Column:
    """One answer column of the survey: its key, short heading and question."""

    key: str
    kind: str            # capability | impact | effect
    group: str           # the capability, impact or effect key it belongs to
    heading: Text
    question: Text


def answer_columns(fw: Framework) -> list[Column]:
    """Every answer column, in questionnaire order: capabilities, effect areas, impact."""
    cols = []
    for cap in fw.capabilities:
        for i, q in enumerate(cap.questions, 1):
            key = f"{cap.key}.{q.key}" if cap.composite else cap.key
            heading = cap.label if not cap.composite else Text(
                sv=f"{cap.label.sv} ({i}/{len(cap.questions)})",
                en=f"{cap.label.en} ({i}/{len(cap.questions)})")
            cols.append(Column(key, "capability", cap.key, heading, q.text))
    for e in fw.effects:
        cols.append(Column(f"effects.{e.key}", "effect", e.key, e.label, e.question))
    for c in fw.impacts:
        cols.append(Column(f"impact.{c.key}", "impact", c.key, c.label, c.description))
    return cols


# --------------------------------------------------------------------------- the questionnaire


def meta_headings(t) -> dict[str, str]:
    return {k: t(f"survey_col_{k}") for k in META}


def write_questionnaire(path: Path, fw: Framework, t, rules: SurveyRule) -> None:
    """Write a blank questionnaire (``.xlsx`` or ``.csv`` by the suffix), atomically."""
    from .output import write_atomic

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = _questionnaire_xlsx(fw, t, rules)
    elif suffix == ".csv":
        data = _questionnaire_csv(fw, t)
    else:
        raise InputError(f"--out: '{path}' must end in .xlsx or .csv")
    write_atomic(path, data)
    log.info("wrote the questionnaire %s", path)


def _questionnaire_csv(fw: Framework, t) -> bytes:
    cols = answer_columns(fw)
    buf = io.StringIO()
    # Swedish spreadsheet programs split CSV on ';' (',' is their decimal sign).
    writer = csv.writer(buf, delimiter=";" if t.lang == "sv" else ",", lineterminator="\r\n")
    writer.writerow([*META, *(c.key for c in cols)])
    writer.writerow([*meta_headings(t).values(), *(c.heading(t.lang) for c in cols)])
    return buf.getvalue().encode("utf-8-sig")


def _questionnaire_xlsx(fw: Framework, t, rules: SurveyRule) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lang = t.lang
    cols = answer_columns(fw)
    wb = Workbook()
    info = wb.active
    info.title = INSTRUCTION_SHEET[lang]
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    info.append([t("survey_title")])
    info["A1"].font = Font(bold=True, size=14)
    for line in t("survey_instructions", days=rules.round_days).split("\n"):
        info.append([line])
    info.append([])
    info.append([t("survey_scale")])
    info.cell(info.max_row, 1).font = bold
    for step in fw.scale:
        info.append([step.value, step.label(lang)])
    info.append([])
    info.append([t("survey_choices", column="level")])
    info.cell(info.max_row, 1).font = bold
    for level in LEVELS:
        info.append([level, t(f"level_{level}")])
    info.append([t("survey_choices", column="importance")])
    info.cell(info.max_row, 1).font = bold
    for choice in fw.importance_levels:
        info.append([choice.key, choice.label(lang)])
    info.append([])
    info.append([t("survey_col_key"), t("survey_col_heading"), t("survey_col_question")])
    for cell in info[info.max_row]:
        cell.font = bold
    for key, heading in meta_headings(t).items():
        info.append([key, heading, t(f"survey_help_{key}")])
    for c in cols:
        info.append([c.key, c.heading(lang), c.question(lang)])
    info.column_dimensions["A"].width = 38
    info.column_dimensions["B"].width = 36
    info.column_dimensions["C"].width = 90
    for row in info.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap

    sheet = wb.create_sheet(ANSWER_SHEET[lang])
    keys = [*META, *(c.key for c in cols)]
    sheet.append(keys)
    sheet.append([*meta_headings(t).values(), *(c.heading(lang) for c in cols)])
    grey, navy = Font(color="55606B", size=8), PatternFill("solid", fgColor="EEF2F6")
    for cell in sheet[1]:
        cell.font = grey
    for cell in sheet[2]:
        cell.font, cell.fill, cell.alignment = bold, navy, Alignment(wrap_text=True,
                                                                      vertical="top")
    sheet.row_dimensions[2].height = 48
    sheet.freeze_panes = "B3"
    last = 2000
    for i in range(1, len(keys) + 1):
        sheet.column_dimensions[get_column_letter(i)].width = 16 if i > len(META) else 20
    first_answer = get_column_letter(len(META) + 1)
    dv = DataValidation(type="decimal", operator="between", formula1="1", formula2="5",
                        allow_blank=True, showErrorMessage=True,
                        errorTitle=t("survey_dv_title"), error=t("survey_dv_error"))
    dv.add(f"{first_answer}3:{get_column_letter(len(keys))}{last}")
    level_dv = DataValidation(type="list", formula1='"' + ",".join(LEVELS) + '"',
                              allow_blank=True)
    level_dv.add(f"C3:C{last}")
    imp_dv = DataValidation(type="list", formula1='"' + ",".join(IMPORTANCE_LEVELS) + '"',
                            allow_blank=True)
    imp_dv.add(f"F3:F{last}")
    date_dv = DataValidation(type="date", operator="greaterThan", formula1="36526",
                             allow_blank=True)
    date_dv.add(f"E3:E{last}")
    for v in (dv, level_dv, imp_dv, date_dv):
        sheet.add_data_validation(v)
    for row in range(3, last + 1):
        sheet.cell(row, 5).number_format = "yyyy-mm-dd"
    wb.active = 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- reading


@dataclass
class Survey:
    """A validated survey: one row per respondent with numeric answers (NaN = not answered)."""

    source: str
    frame: pd.DataFrame          # META columns, 'row', 'assessed' (date of its assessment), answers
    columns: list[Column]
    warnings: list[str] = field(default_factory=list)

    @property
    def answer_keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def org_ids(self) -> list[str]:
        return sorted(self.frame["org_id"].unique())


def _read_table(path: Path, name: str) -> tuple[pd.DataFrame, int]:
    """The raw table as strings/objects, and the file row number of its first data row."""
    suffix = path.suffix.lower()
    check_size(path, name)  # the same limits as a batch sheet
    if suffix == ".xlsx":
        check_xlsx(path, name)
        try:
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object,
                                   engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise InputError(f"{name}: not a readable .xlsx workbook ({exc})") from None
        for frame in sheets.values():
            if len(frame) and "org_id" in [str(v).strip() for v in frame.iloc[0]]:
                raw = frame
                break
        else:
            raise InputError(f"{name}: no sheet has a first row with the column 'org_id'; "
                             "use the sheet of the questionnaire (briefgen questionnaire)")
    elif suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: not UTF-8 text (byte {exc.start}); save it as "
                             "CSV UTF-8") from None
        first = text.split("\n", 1)[0]
        sep = ";" if first.count(";") > first.count(",") else ","
        try:
            raw = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str,
                              keep_default_na=False, skip_blank_lines=False)
        except pd.errors.ParserError as exc:
            raise InputError(f"{name}: malformed CSV: {str(exc).strip()}") from None
    else:
        raise InputError(f"{name}: a survey must be .xlsx or .csv")
    if raw.empty:
        raise InputError(f"{name}: the file is empty")
    header = [str(v).strip() if not _blank(v) else "" for v in raw.iloc[0]]
    raw = raw.iloc[1:].copy()
    raw.columns = header
    raw.insert(0, "row", range(2, len(raw) + 2))
    return raw, 2


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def _check_columns(header: list[str], cols: list[Column], name: str) -> None:
    allowed = [*META, *(c.key for c in cols)]
    given = [h for h in header if h and h != "row"]
    missing = [k for k in allowed if k not in given]
    unknown = [h for h in given if h not in allowed]
    dups = sorted({h for h in given if given.count(h) > 1})
    problems = []
    if missing:
        problems.append(f"{name}: row 1: missing columns: {', '.join(missing)}")
    for key in unknown:
        problems.append(f"{name}: row 1: unknown column '{key}'{did_you_mean(key, allowed)}")
    for key in dups:
        problems.append(f"{name}: row 1: column '{key}' appears more than once")
    if problems:
        problems.append(f"{name}: the columns must be those of the questionnaire "
                        "(briefgen questionnaire); see docs/survey.md")
        raise InputError(problems)


def read_survey(path: str | Path, bundle: DataBundle) -> Survey:
    """Read and validate a survey; raise :class:`InputError` listing every problem at once."""
    path = Path(path)
    name = _display(path)
    cols = answer_columns(bundle.framework)
    raw, _ = _read_table(path, name)
    _check_columns(list(raw.columns), cols, name)
    keys = [c.key for c in cols]

    # The human header row of the questionnaire (row 2) is not an answer.
    headings = set(_strings(resources.data_dir() / "texts.yaml")["survey_col_org_id"].values())
    first_ids = raw["org_id"].astype(str).str.strip()
    raw = raw[~first_ids.isin(headings)]
    # Entirely empty rows (common at the end of a sheet) are not respondents.
    cells = raw[[*META, *keys]]
    empty = cells.map(_blank).all(axis=1)
    raw = raw[~empty]
    if raw.empty:
        raise InputError(f"{name}: no answers: fill in one row per respondent below the headings")

    problems: list[str] = []
    warnings: list[str] = []
    frame = pd.DataFrame({"row": raw["row"].to_numpy()})
    for key in ("org_id", "org_name", "level", "respondent", "importance"):
        frame[key] = [("" if _blank(v) else str(v).strip()) for v in raw[key]]
    for r, org_id in zip(frame["row"], frame["org_id"], strict=True):
        if not org_id:
            problems.append(f"{name}: row {r}: org_id: missing (the organisation's id, "
                            "e.g. region-x)")
        elif not SLUG_RE.match(org_id):
            problems.append(f"{name}: row {r}: org_id: '{org_id}' is not a valid id (allowed: "
                            "lower-case letters, digits and '-', e.g. region-x)")
    for r, value in zip(frame["row"], frame["org_name"], strict=True):
        if not value:
            problems.append(f"{name}: row {r}: org_name: missing (the organisation's name)")
    for r, value in zip(frame["row"], frame["respondent"], strict=True):
        if not value:
            problems.append(f"{name}: row {r}: respondent: missing (a name, initials or number "
                            "that tells the respondents of one organisation apart)")
    for r, value in zip(frame["row"], frame["level"], strict=True):
        if value not in LEVELS:
            problems.append(f"{name}: row {r}: level: '{value}' is not allowed"
                            f"{did_you_mean(value, LEVELS)} (allowed: {', '.join(LEVELS)})")
    for r, value in zip(frame["row"], frame["importance"], strict=True):
        if value and value not in IMPORTANCE_LEVELS:
            problems.append(f"{name}: row {r}: importance: '{value}' is not allowed"
                            f"{did_you_mean(value, IMPORTANCE_LEVELS)} "
                            f"(allowed: {', '.join(IMPORTANCE_LEVELS)})")

    # Dates: an ISO date (text) or a date cell.
    date_text = raw["date"].map(lambda v: "" if _blank(v) else str(v).strip()[:10])
    dates = pd.to_datetime(date_text, format="%Y-%m-%d", errors="coerce")
    for r, text, parsed in zip(frame["row"], date_text, dates, strict=True):
        if pd.isna(parsed):
            shown = f"'{text}' is not a date" if text else "missing"
            problems.append(f"{name}: row {r}: date: {shown} (allowed: YYYY-MM-DD, e.g. "
                            "2026-10-15)")
    frame["date"] = dates.to_numpy()

    # Answers: numbers 1-5 (a decimal comma is accepted); blank means not answered.
    for key in keys:
        column = raw[key]
        text = column.map(lambda v: "" if _blank(v) else str(v).strip().replace(",", "."))
        numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = (text != "") & numbers.isna()
        out = numbers.notna() & ~numbers.between(1, 5)
        for r, value in zip(frame["row"][bad.to_numpy()], text[bad], strict=True):
            problems.append(f"{name}: row {r}: {key}: '{value}' is not a number (allowed: "
                            "1 to 5, blank if not answered)")
        for r, value in zip(frame["row"][out.to_numpy()], numbers[out], strict=True):
            problems.append(f"{name}: row {r}: {key}: {value:g} is outside 1-5 (allowed: "
                            "1 to 5, blank if not answered)")
        frame[key] = numbers.to_numpy(dtype=float)

    if problems:
        raise InputError(problems)

    # Rows with no answer at all count for nothing.
    no_answers = frame[keys].isna().all(axis=1)
    for r in frame["row"][no_answers]:
        warnings.append(f"{name}: row {r}: no answers; the row is left out")
    frame = frame[~no_answers].reset_index(drop=True)
    if frame.empty:
        raise InputError(f"{name}: no row has an answer")
    _check_consistency(frame, name, problems)
    frame["assessed"] = _assessment_dates(frame, bundle.rules.surveys.round_days)
    _check_duplicates(frame, name, problems)
    if problems:
        raise InputError(problems)
    for r, org_id, missing in _missing_answers(frame, keys):
        warnings.append(f"{name}: row {r} ({org_id}): no answer to {', '.join(missing)}; "
                        "left out of those questions")
    for message in warnings:
        log.warning("%s", message)
    return Survey(source=name, frame=frame, columns=cols, warnings=warnings)


def _check_consistency(frame: pd.DataFrame, name: str, problems: list[str]) -> None:
    """One organisation has one name and one level throughout the survey."""
    for key in ("org_name", "level"):
        firsts = frame.groupby("org_id", sort=False)[key].transform("first")
        rows = frame.groupby("org_id", sort=False)["row"].transform("first")
        for r, org_id, value, first, first_row in zip(
                frame["row"][frame[key] != firsts], frame["org_id"][frame[key] != firsts],
                frame[key][frame[key] != firsts], firsts[frame[key] != firsts],
                rows[frame[key] != firsts], strict=True):
            problems.append(f"{name}: row {r}: {key}: '{value}' differs from '{first}' in row "
                            f"{first_row} for {org_id} (one organisation, one {key})")


def _assessment_dates(frame: pd.DataFrame, round_days: int) -> pd.Series:
    """The date of the assessment each row belongs to.

    An organisation's latest date opens its current assessment; every answer dated at most
    ``round_days`` before it belongs to it. The next older date opens an earlier assessment,
    and so on (``surveys.round_days`` in data/rules.yaml).
    """
    pairs = frame[["org_id", "date"]].drop_duplicates().sort_values(
        ["org_id", "date"], ascending=[True, False])
    window = pd.Timedelta(days=round_days)
    opened: dict[tuple[str, pd.Timestamp], pd.Timestamp] = {}
    current_org, opener = None, None
    for org_id, date in zip(pairs["org_id"], pairs["date"], strict=True):
        if org_id != current_org or opener - date > window:
            current_org, opener = org_id, date
        opened[(org_id, date)] = opener
    index = pd.MultiIndex.from_frame(frame[["org_id", "date"]])
    return pd.Series(pd.Series(opened).reindex(index).to_numpy(), index=frame.index)


def _check_duplicates(frame: pd.DataFrame, name: str, problems: list[str]) -> None:
    who = frame["respondent"].str.casefold()
    keys = pd.DataFrame({"org": frame["org_id"], "who": who, "when": frame["assessed"]})
    dup = keys.duplicated(keep=False)
    if not dup.any():
        return
    for (org_id, _, when), group in frame[dup].groupby([frame["org_id"][dup], who[dup],
                                                        frame["assessed"][dup]]):
        rows = ", ".join(str(r) for r in group["row"])
        problems.append(f"{name}: rows {rows}: respondent '{group['respondent'].iloc[0]}' of "
                        f"{org_id} answers more than once in the assessment of "
                        f"{when.date().isoformat()}; keep one row per respondent")


def _missing_answers(frame: pd.DataFrame, keys: list[str]):
    mask = frame[keys].isna()
    for i in frame.index[mask.any(axis=1)]:
        missing = [k for k, m in zip(keys, mask.loc[i], strict=True) if m]
        yield frame.at[i, "row"], frame.at[i, "org_id"], missing


# --------------------------------------------------------------------------- aggregation

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
        org = current.model_copy(update={"respondents": respondents,
                                         "spread": spread_dict(row_stats), "previous": org})
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
