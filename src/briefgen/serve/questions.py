"""The questionnaire as web form sections, the checks on what is posted, and the export.

The questions, their grouping and their keys come from the framework through
:func:`briefgen.survey.columns.answer_columns`, so the form asks exactly what the survey sheet
asks and the export has the columns ``briefgen make --survey`` reads. A posted answer passes the
same check as a score in a profile (:func:`briefgen.load.score_problem`: a number from 1 to 5).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from ..cells import set_xlsx, to_csv
from ..errors import InputError
from ..load import score_problem
from ..models import Framework, Text
from ..output import write_atomic
from ..survey.columns import COMMENTS, MAX_COMMENT, META, PARTS, ROLE, answer_columns

SECTIONS = PARTS        # the form's parts, in order: the survey's comment columns follow them
MAX_FIELD = 40          # characters of a posted value shown back


@dataclass(frozen=True)
class Question:
    key: str                     # the survey column, e.g. data_access_security.insight
    legend: Text                 # the question as asked
    hint: Text | None = None     # what the question is about (shown under the legend)

    @property
    def html_id(self) -> str:
        return "q-" + self.key.replace(".", "-").replace("_", "-")


@dataclass(frozen=True)
class Group:
    """Questions under one heading: a capability, or the whole of a simple section."""

    heading: Text | None
    description: Text | None
    questions: tuple[Question, ...]
    # What a 1, 3 or 5 looks like, where known: the capability's, so shown once above its
    # questions (and read out with each of them), not repeated under every one.
    anchors: tuple[tuple[int, Text], ...] = ()
    key: str = ""

    @property
    def anchors_id(self) -> str:
        return "a-" + self.key.replace("_", "-")


@dataclass(frozen=True)
class Section:
    key: str
    groups: tuple[Group, ...]

    @property
    def keys(self) -> list[str]:
        return [q.key for g in self.groups for q in g.questions]


def sections(fw: Framework) -> list[Section]:
    """The form's sections in order; importance is asked separately (a choice, not 1-5)."""
    columns = answer_columns(fw)

    def of(kind: str) -> list:
        return [c for c in columns if c.kind == kind]

    caps = [Group(cap.label, cap.description, tuple(
                Question(c.key, c.question) for c in of("capability") if c.group == cap.key),
                tuple(sorted(cap.anchors.items())), cap.key)
            for cap in fw.capabilities]
    effects = Group(None, None, tuple(
        Question(c.key, c.question, fw.effect(c.group).description) for c in of("effect")))
    impacts = Group(None, None, tuple(
        Question(c.key, c.heading, c.question) for c in of("impact")))
    return [Section("capabilities", tuple(caps)), Section("effects", (effects,)),
            Section("impact", (impacts,))]


def all_keys(fw: Framework) -> list[str]:
    return [c.key for c in answer_columns(fw)]


@dataclass
class Posted:
    """What one section's form posted: the valid answers, and a problem per bad field."""

    values: dict[str, float]
    importance: str | None
    errors: dict[str, str]        # field key -> error code (not_number | outside | unknown)
    echo: dict[str, str]          # what was posted, to show it back beside its error
    unknown: list[str]            # posted keys the framework does not know
    comment: str | None = None    # the part's comment, if the form sent one and it may be kept
    comment_given: str = ""       # the comment as sent (shown back when it is too long)


# Characters a comment may not keep: controls but the line break and tab (a spreadsheet cell
# cannot hold them, and they show as nothing).
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))


def clean_comment(text: str) -> str:
    """A comment as it is kept: line breaks as ``\\n``, no other control character, without
    the blank space around it."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL).strip()


def check_posted(form: dict[str, str], allowed: list[str], importance_choices: list[str],
                 with_importance: bool) -> Posted:
    """Check every posted answer of one section; never drop a valid one for a bad one."""
    values: dict[str, float] = {}
    errors: dict[str, str] = {}
    echo: dict[str, str] = {}
    unknown: list[str] = []
    importance = None
    comment, comment_given = None, ""
    for key, raw in form.items():
        if key in ("csrf", "action", "loaded", "comment_loaded"):
            continue
        if key == "comment":
            comment_given = clean_comment(str(raw))
            if len(comment_given) > MAX_COMMENT:
                errors[key], echo[key] = "comment_long", str(len(comment_given))
            else:
                comment = comment_given
            continue
        text = str(raw).strip()[:MAX_FIELD]
        if key == "importance" and with_importance:
            if text == "":
                continue
            if text in importance_choices:
                importance = text
            else:
                errors[key], echo[key] = "choice", text
            continue
        if key not in allowed:
            unknown.append(key[:MAX_FIELD])
            continue
        if text == "":
            continue               # not answered yet: keep what is stored
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            errors[key], echo[key] = "not_number", text
            continue
        if math.isnan(number) or math.isinf(number):
            errors[key], echo[key] = "not_number", text
        elif score_problem(number) is not None:   # the profile's own rule: 1 to 5
            errors[key], echo[key] = "outside", text
        else:
            values[key] = number
    return Posted(values, importance, errors, echo, unknown, comment, comment_given)


# --------------------------------------------------------------------------- export


def survey_rows(people: list[dict], fw: Framework) -> tuple[list[str], list[list[object]]]:
    """The header and rows of the survey format (``docs/survey.md``) for these respondents."""
    keys = all_keys(fw)
    header = [*META, ROLE, *keys, *COMMENTS]
    rows = []
    for p in people:
        answers, said = p["answers"], p.get("comments", {})
        rows.append([p["org_id"], p["org_name"], p["level"], p["respondent"],
                     p["date"].isoformat(), p["importance"] or "", p.get("role", ""),
                     *[_number(answers.get(k)) for k in keys],
                     *[said.get(part, "") for part in PARTS]])
    return header, rows


def _number(value: float | None) -> object:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else float(value)


def survey_bytes(people: list[dict], fw: Framework, suffix: str) -> bytes:
    """The answers as .csv or .xlsx bytes, one row per respondent. Every text cell follows
    :mod:`briefgen.cells`: a name that starts like a formula stays text."""
    header, rows = survey_rows(people, fw)
    if suffix == ".csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([to_csv(v) for v in row] for row in rows)
        return text.getvalue().encode("utf-8-sig")
    if suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        sheet = wb.active
        sheet.title = "Svar"
        sheet.append(header)
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                set_xlsx(sheet.cell(row=r, column=c), value)
        sheet.freeze_panes = "A2"
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    raise InputError(f"--out: '{suffix or 'no suffix'}' is not allowed (allowed: .xlsx or .csv)")


def write_survey(path: Path, people: list[dict], fw: Framework) -> int:
    """Write the export atomically; the number of respondents written."""
    path = Path(path)
    data = survey_bytes(people, fw, path.suffix.lower())
    write_atomic(path, data)
    return len(people)
