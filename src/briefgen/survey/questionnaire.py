"""Write a blank questionnaire: one row per respondent, one column per question.

The XLSX offers the level and the importance as drop-down lists of their labels in the sheet's
language (kept on a hidden sheet, since a label may hold a comma); the survey reader maps a
label back to its key (:func:`briefgen.survey.read.choice_keys`).
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

from ..brand import MUTED, PALE
from ..errors import InputError
from ..models import LEVELS, Framework, SurveyRule
from ..output import write_atomic
from .columns import COMMENTS, META, PARTS, ROLE, answer_columns

log = logging.getLogger(__name__)

ANSWER_SHEET = {"sv": "Svar", "en": "Answers"}
INSTRUCTION_SHEET = {"sv": "Instruktioner", "en": "Instructions"}
LIST_SHEET = {"sv": "Listor", "en": "Lists"}


def meta_headings(t) -> dict[str, str]:
    """The heading (row 2) of each column before the answers: META and the role."""
    return {k: t(f"survey_col_{k}") for k in (*META, ROLE)}


def comment_headings(t) -> dict[str, str]:
    """The heading of each comment column, after the answers."""
    return {key: t("survey_col_comment", part=t(f"survey_part_{part}"))
            for key, part in zip(COMMENTS, PARTS, strict=True)}


def help_texts(t, rules: SurveyRule) -> dict[str, str]:
    """What each column before and after the answers holds, for the instructions."""
    texts = {k: t(f"survey_help_{k}") for k in META}
    texts[ROLE] = t("survey_help_role", min=rules.min_group_size)
    for key, part in zip(COMMENTS, PARTS, strict=True):
        texts[key] = t("survey_help_comment", part=t(f"survey_part_{part}"))
    return texts


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
    writer.writerow([*META, ROLE, *(c.key for c in cols), *COMMENTS])
    writer.writerow([*meta_headings(t).values(), *(c.heading(t.lang) for c in cols),
                     *comment_headings(t).values()])
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
    level_labels = [t(f"level_{level}") for level in LEVELS]
    importance_labels = [choice.label(lang) for choice in fw.importance_levels]
    info.append([t("survey_choices", column="level")])
    info.cell(info.max_row, 1).font = bold
    for level, label in zip(LEVELS, level_labels, strict=True):
        info.append([level, label])
    info.append([t("survey_choices", column="importance")])
    info.cell(info.max_row, 1).font = bold
    for choice, label in zip(fw.importance_levels, importance_labels, strict=True):
        info.append([choice.key, label])
    info.append([])
    info.append([t("survey_col_key"), t("survey_col_heading"), t("survey_col_question")])
    for cell in info[info.max_row]:
        cell.font = bold
    helps = help_texts(t, rules)
    for key, heading in meta_headings(t).items():
        info.append([key, heading, helps[key]])
    for c in cols:
        info.append([c.key, c.heading(lang), c.question(lang)])
    for key, heading in comment_headings(t).items():
        info.append([key, heading, helps[key]])
    info.column_dimensions["A"].width = 38
    info.column_dimensions["B"].width = 36
    info.column_dimensions["C"].width = 90
    for row in info.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap

    sheet = wb.create_sheet(ANSWER_SHEET[lang])
    before = [*META, ROLE]
    keys = [*before, *(c.key for c in cols), *COMMENTS]
    sheet.append(keys)
    sheet.append([*meta_headings(t).values(), *(c.heading(lang) for c in cols),
                  *comment_headings(t).values()])
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
    answers_from, answers_to = len(before) + 1, len(before) + len(cols)
    for i in range(1, len(keys) + 1):
        sheet.column_dimensions[get_column_letter(i)].width = (
            20 if i < answers_from else 16 if i <= answers_to else 40)
    dv = DataValidation(type="decimal", operator="between", formula1="1", formula2="5",
                        allow_blank=True, showErrorMessage=True,
                        errorTitle=t("survey_dv_title"), error=t("survey_dv_error"))
    dv.add(f"{get_column_letter(answers_from)}3:{get_column_letter(answers_to)}{last}")
    where = f"'{LIST_SHEET[lang]}'"
    level_dv = DataValidation(type="list", allow_blank=True,
                              formula1=f"{where}!$A$1:$A${len(level_labels)}")
    level_dv.add(f"C3:C{last}")
    imp_dv = DataValidation(type="list", allow_blank=True,
                            formula1=f"{where}!$B$1:$B${len(importance_labels)}")
    imp_dv.add(f"F3:F{last}")
    date_dv = DataValidation(type="date", operator="greaterThan", formula1="36526",
                             allow_blank=True)
    date_dv.add(f"E3:E{last}")
    for v in (dv, level_dv, imp_dv, date_dv):
        sheet.add_data_validation(v)
    for row in range(3, last + 1):
        sheet.cell(row, 5).number_format = "yyyy-mm-dd"
    # The drop-down lists' labels, on a sheet of their own (hidden: nothing to fill in there).
    lists = wb.create_sheet(LIST_SHEET[lang])
    for row, label in enumerate(level_labels, start=1):
        lists.cell(row, 1).value = label
    for row, label in enumerate(importance_labels, start=1):
        lists.cell(row, 2).value = label
    lists.sheet_state = "hidden"
    wb.active = wb.index(sheet)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
