"""The workbook (``--format xlsx``): the briefing's figures as a data appendix.

One sheet per table, each an Excel table with a frozen header row and fitted columns. Numbers
stay numbers in the formats the report uses: one decimal for scores, benchmarks and gaps, whole
numbers for ranks and counts, dates as dates. Sources are the report's sections (the line
numbers stay in ``data/`` for audit), and no internal note reaches a sheet. Every text cell goes
through :func:`briefgen.cells.set_xlsx`: text is never read as a formula.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..brand import WHITE
from ..cells import set_xlsx
from .common import Finding, KitInputs, action_plan, cited, library_source, office_date, stable_zip

SCORE, WHOLE, DATE = "0.0", "0", "yyyy-mm-dd"   # Excel shows them in the reader's locale
TEXT_WIDTH = 60                                  # characters: a wrapped text column
MIN_WIDTH, MAX_WIDTH = 8, 60


@dataclass(frozen=True)
class Column:
    """A column: its heading, its number format (None: text) and whether its text wraps."""

    heading: str
    format: str | None = None
    wrap: bool = False


@dataclass(frozen=True)
class Sheet:
    """A table of the workbook: the sheet's name, the Excel table's name, columns and rows."""

    name: str
    table: str                    # the Excel table's name (ASCII, no spaces)
    columns: list[Column]
    rows: list[list[Any]]


def workbook_tables(inputs: KitInputs, findings: Sequence[Finding] = ()) -> list[Sheet]:
    """Every table of the briefing, numbers as numbers, sources as the report's sections."""
    a, m, t = inputs.analysis, inputs.matches, inputs.texts
    library = {rec.id: rec for rec in inputs.library}
    org, bench = a.org, a.benchmark
    lang = t.lang

    def col(key: str, fmt: str | None = None, wrap: bool = False) -> Column:
        return Column(t(f"kit_col_{key}"), fmt, wrap)

    def cite(source: str) -> str:
        return cited(t, [source]) if source else ""

    def plan_col(key: str, fmt: str | None = None, wrap: bool = False) -> Column:
        return Column(t(f"kit_plan_{key}"), fmt, wrap)

    about: list[list[Any]] = [[t("kit_about_title"), t("pdf_title", name=org.name)],
             [t("kit_about_org"), org.name],
             [t("cover_level"), t("level_" + org.profile.level)],
             [t("cover_assessed"), org.profile.assessed],
             [t("cover_benchmark"), bench.title(lang)],
             [t("kit_phase"), t.label(a.maturity.phase)
              + (f" ({t('headline_phase_estimated')})" if a.maturity.estimated else "")],
             [t("headline_mean"), a.capability_mean]]
    if org.respondents:
        about.append([t("kit_about_respondents"), org.respondents])
    if inputs.firm.name:
        about.append([t("cover_prepared"), inputs.firm.name])
    sheets = [Sheet(t("kit_sheet_about"), "About", [col("figure"), col("value")], about)]

    sheets.append(Sheet(t("kit_sheet_capabilities"), "Capabilities", [
        col("key"), col("label"), col("score", SCORE), col("benchmark", SCORE),
        col("gap", SCORE), col("status"), col("study_rank", WHOLE), col("source", wrap=True)],
        [[c.key, t.label(c.key), c.score, c.benchmark, c.gap, t.status(c, a.priorities),
          c.rank, cite(c.figure.source)] for c in a.capabilities]))
    sheets.append(Sheet(t("kit_sheet_effects"), "EffectAreas", [
        col("key"), col("label"), col("score", SCORE), col("benchmark", SCORE),
        col("gap", SCORE), col("source", wrap=True)],
        [[e.key, t.label(e.key), e.score, e.benchmark, e.gap, cite(e.figure.source)]
         for e in a.effects]))
    sheets.append(Sheet(t("kit_sheet_impact"), "ExpectedImpact", [
        col("key"), col("label"), col("score", SCORE)],
        [[c.key, c.label(lang), org.profile.impact[c.key]] for c in t.framework.impacts]))
    sheets.append(Sheet(t("kit_sheet_recommendations"), "Recommendations", [
        col("number", WHOLE), col("title", wrap=True), col("reason", wrap=True),
        col("addresses", wrap=True), col("next_steps", wrap=True), col("source", wrap=True)],
        [[r.number, r.title, r.reason,
          ", ".join(t.label(k) for k in (*library[r.id].capabilities, *library[r.id].effects))
          if r.id in library else "",
          "\n".join(t.sentence(step) for step in r.next_steps),
          library_source(t, library[r.id].source) if r.id in library else ""]
         for r in inputs.advice.recommendations]))
    sheets.append(Sheet(t("kit_sheet_practices"), "Practices", [
        col("addresses"), col("title", wrap=True), col("reason", wrap=True),
        col("source", wrap=True)],
        [[t.label(mp.practice.addresses), mp.practice.title(lang), t.sentence(t.reason(mp.reason)),
          library_source(t, mp.practice.source)]
         for group in (*m.capability_practices.values(), *m.effect_practices.values())
         for mp in group]))
    for name, table, keys, counts in (
            (t("kit_sheet_phases"), "MaturityPhases", [p.key for p in t.framework.phases],
             bench.overall.phases),
            (t("kit_sheet_importance"), "AgendaWeight",
             [c.key for c in t.framework.importance_levels], bench.overall.importance)):
        sheets.append(Sheet(name, table, [
            col("key"), col("label"), col("count", WHOLE), col("organisations", WHOLE),
            col("yours"), col("source", wrap=True)],
            [[k, t.label(k), counts[k].count if k in counts else None, bench.organisations,
              t("kit_yes") if k in (a.maturity.phase, org.profile.importance) else "",
              cite(counts[k].source) if k in counts else ""] for k in keys]))
    plan = action_plan(inputs.advice, t)
    if plan:
        sheets.append(Sheet(t("kit_action_plan"), "ActionPlan", [
            plan_col("number", WHOLE), plan_col("recommendation", wrap=True),
            plan_col("initiative", wrap=True), plan_col("horizon"), plan_col("owner"),
            plan_col("area"), plan_col("now", SCORE), plan_col("target", SCORE),
            plan_col("first_step", wrap=True), plan_col("done_when", wrap=True)],
            [[row["number"], row["recommendation"], row["initiative"], row["horizon"],
              row["owner"], row["area"], row["now"], row["target"], row["first_step"],
              row["done_when"]] for row in plan]))
    if inputs.survey and inputs.survey.get("rows"):
        sheets.append(Sheet(t("kit_sheet_spread"), "SurveySpread", [
            col("question", wrap=True), col("mean", SCORE), col("min", SCORE),
            col("max", SCORE), col("sd", "0.00"), col("n", WHOLE)],
            [[label, s["mean"], s["min"], s["max"], s.get("sd"), int(s["n"])]
             for label, s in inputs.survey["rows"]]))
    if inputs.progress is not None:
        prog = inputs.progress
        sheets.append(Sheet(t("kit_sheet_progress"), "Progress", [
            col("key"), col("label"), col("before", SCORE), col("now", SCORE),
            col("change", SCORE)],
            [[c.key, t.label(c.key), c.before, c.now, c.change]
             for c in prog.capabilities + prog.effects]))
    for pc in inputs.peers:
        sheets.append(Sheet(t("kit_sheet_peers", id=pc.benchmark.id), f"Peers_{len(sheets)}", [
            col("key"), col("label"), col("score", SCORE), col("median", SCORE),
            col("q1", SCORE), col("q3", SCORE), col("group_n", WHOLE)],
            [[r.key, t.label(r.key), r.score, r.figure.median, r.figure.q1, r.figure.q3,
              r.figure.n] for r in pc.capabilities + pc.effects]))
    if findings:
        sheets.append(Sheet(t("kit_sheet_findings"), "Findings", [
            col("number", WHOLE), col("finding", wrap=True), col("source")],
            [[n, text, source or ""] for n, (text, source) in enumerate(findings, 1)]))
    # The sources: each benchmark figure by the report's sections, then what the report says
    # a reader should keep in mind (its caveats), never the audit notes of data/.
    caveats = bench.caveats or (bench.notes if bench.kind == "built" else [])
    sources = ([[t.label(c.key), c.benchmark, cite(c.figure.source)] for c in a.capabilities]
               + [[t.label(e.key), e.benchmark, cite(e.figure.source)] for e in a.effects]
               + [[t("kit_source_document"), None, f"{bench.source_document} ({bench.publisher},"
                   f" {bench.published})"]]
               + [[t("method_reading_h"), None, note(lang)] for note in caveats])
    sheets.append(Sheet(t("kit_sheet_sources"), "Sources", [
        col("figure"), col("benchmark", SCORE), col("source", wrap=True)], sources))
    return sheets


def _sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    clean = "".join("-" if ch in "[]:*?/\\" else ch for ch in name)[:31].strip("'") or "Sheet"
    title, n = clean, 2
    while title.lower() in used:
        title = f"{clean[:28]} {n}"
        n += 1
    used.add(title.lower())
    return title


def _width(value: Any, column: Column) -> float:
    """The characters a cell needs (a wrapped column: at most TEXT_WIDTH)."""
    if value is None:
        return 0
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, (int, float)):
        return len(f"{value:.1f}") if column.format == SCORE else len(str(value))
    longest = max((len(line) for line in str(value).split("\n")), default=0)
    return min(longest, TEXT_WIDTH) if column.wrap else longest


def xlsx_bytes(inputs: KitInputs, findings: Sequence[Finding] = ()) -> bytes:
    """The workbook; ``findings``: the consultant's own (text, source or None), as a sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.table import Table, TableStyleInfo

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    header_font = Font(bold=True, color=WHITE.lstrip("#"))
    header_fill = PatternFill("solid", fgColor=inputs.firm.primary.lstrip("#"))
    top = Alignment(vertical="top")
    wrapped = Alignment(vertical="top", wrap_text=True)
    for sheet in workbook_tables(inputs, findings):
        ws = wb.create_sheet(_sheet_title(sheet.name, used))
        ws.append([None] * len(sheet.columns))
        for cell, column in zip(ws[1], sheet.columns, strict=True):
            set_xlsx(cell, column.heading)
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = wrapped
        for row in sheet.rows:
            ws.append([None] * len(row))
            for cell, value, column in zip(ws[ws.max_row], row, sheet.columns, strict=True):
                set_xlsx(cell, value)
                if isinstance(value, dt.date):
                    cell.number_format = DATE
                elif column.format and (value is None or isinstance(value, (int, float))):
                    cell.number_format = column.format    # an empty cell too, for a later entry
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell.number_format = SCORE if isinstance(value, float) else WHOLE
                cell.alignment = wrapped if column.wrap else top
        ws.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, 1):
            letter = ws.cell(1, index).column_letter
            needed = max([len(column.heading) * 1.1]
                         + [_width(row[index - 1], column) for row in sheet.rows])
            ws.column_dimensions[letter].width = round(min(max(MIN_WIDTH, needed + 2),
                                                           MAX_WIDTH), 1)
        if sheet.rows:
            ref = f"A1:{ws.cell(len(sheet.rows) + 1, len(sheet.columns)).coordinate}"
            table = Table(displayName=sheet.table, ref=ref)
            table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
            ws.add_table(table)
    org = inputs.analysis.org
    t = inputs.texts
    created = office_date(org.profile.assessed)
    wb.properties.creator = inputs.firm.name or ""
    wb.properties.lastModifiedBy = inputs.firm.name or ""
    wb.properties.title = t("pdf_title", name=org.name)
    wb.properties.language = t.lang
    wb.properties.created = wb.properties.modified = created
    buffer = io.BytesIO()
    wb.save(buffer)
    return stable_zip(buffer.getvalue(), org.profile.assessed)
