"""Write a blank questionnaire: one row per respondent, one column per question."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

from ..brand import MUTED, PALE
from ..errors import InputError
from ..models import IMPORTANCE_LEVELS, LEVELS, Framework, SurveyRule
from ..output import write_atomic
from .columns import META, answer_columns

log = logging.getLogger(__name__)

ANSWER_SHEET = {"sv": "Svar", "en": "Answers"}
INSTRUCTION_SHEET = {"sv": "Instruktioner", "en": "Instructions"}


def meta_headings(t) -> dict[str, str]:
    return {k: t(f"survey_col_{k}") for k in META}


def write_questionnaire(path: Path, fw: Framework, t, rules: SurveyRule) -> None:
    """Write a blank questionnaire (``.xlsx`` or ``.csv`` by the suffix), atomically."""
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
    grey, navy = Font(color=MUTED.lstrip("#"), size=8), PatternFill("solid",
                                                                    fgColor=PALE.lstrip("#"))
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
