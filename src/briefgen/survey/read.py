"""Read a filled-in survey and validate it, reporting every problem at once.

A survey is a table with one row per respondent (:mod:`briefgen.survey.columns`), each question
answered 1-5. Reading is the only part of a survey that touches files; the result is a
:class:`Survey`, one row per respondent with numeric answers, each row dated to its assessment.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import resources
from ..cells import from_csv, read_text
from ..errors import InputError
from ..load import DataBundle
from ..models import (
    ASSESSED_ALLOWED,
    EARLIEST_ASSESSED,
    IMPORTANCE_LEVELS,
    LATEST_ASSESSED,
    LEVELS,
    SLUG_RE,
)
from ..reading import did_you_mean, display_path, open_regular
from ..tabular import check_size, check_xlsx, csv_delimiter
from ..texts import _strings
from .columns import META, Column, answer_columns

log = logging.getLogger(__name__)


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


def _read_table(path: Path, name: str) -> pd.DataFrame:
    """The raw table as strings/objects, with each row's number in the file (``row``)."""
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
            # Bytes, decoded: a carriage return inside a quoted cell stays one (csv's rule);
            # check_size measured the file, so the read is bounded.
            with open_regular(path, name) as fh:
                text = fh.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: not UTF-8 text (byte {exc.start}); save it as "
                             "CSV UTF-8") from None
        sep = csv_delimiter(text.split("\n", 1)[0])  # as a batch sheet: , ; or tab
        try:
            raw = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str,
                              keep_default_na=False, skip_blank_lines=False)
        except pd.errors.ParserError as exc:
            raise InputError(f"{name}: malformed CSV: {str(exc).strip()}") from None
        raw = raw.map(from_csv)       # the guard briefgen's own exports put on formula-like text
    else:
        raise InputError(f"{name}: a survey must be .xlsx or .csv")
    if raw.empty:
        raise InputError(f"{name}: the file is empty")
    header = [str(v).strip() if not _blank(v) else "" for v in raw.iloc[0]]
    raw = raw.iloc[1:].copy()
    raw.columns = header
    raw.insert(0, "row", range(2, len(raw) + 2))
    return raw


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
    name = display_path(path)
    cols = answer_columns(bundle.framework)
    raw = _read_table(path, name)
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
        frame[key] = [("" if _blank(v) else read_text(str(v))) for v in raw[key]]
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
        elif not EARLIEST_ASSESSED <= parsed.date() <= LATEST_ASSESSED:
            problems.append(f"{name}: row {r}: date: '{text}' is outside the years an "
                            f"assessment can be dated (allowed: {ASSESSED_ALLOWED})")
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
