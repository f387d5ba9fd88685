"""The deliverable kit beside the PDF: a PPTX deck, an XLSX workbook and the chart files.

``--format pptx`` writes ``OUT/ID.pptx`` (title, summary, one slide per chart with its
alternative text, the capability gauges on one slide, priorities, recommendations, and an
action plan where the analysis has one),
``--format xlsx`` writes ``OUT/ID.xlsx`` (every table of the briefing as a sheet, numbers as
numbers, text never read as a formula), ``--format charts`` writes ``OUT/ID-charts/`` (every
chart as SVG and as PNG 2000 pixels wide, named by what it shows). All in the firm's colours.

The same input gives the same bytes: the Office files' dates come from the assessment date (or
``SOURCE_DATE_EPOCH``), like the PDF's, and their zip entries carry that date too.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from . import resources
from .analyse import Analysis
from .brand import ACCENT, INK, MUTED, PRIMARY, WHITE, firm_logo
from .cells import set_xlsx
from .charts import Chart
from .match import Matches
from .output import creation_date, pdf_name
from .texts import Texts

if TYPE_CHECKING:
    from .pipeline import Briefgen

log = logging.getLogger(__name__)

PNG_WIDTH = 2000                   # pixels: sharp on a slide and in a printed report
# What each chart shows, for its file name (gauges, peers: see chart_file_name).
CHART_NAMES = {"radar": "capabilities-radar", "effects": "effect-areas",
               "impact": "expected-impact", "maturity": "maturity-phase",
               "importance": "digital-agenda-importance", "spread": "survey-spread",
               "progress": "progress-over-time"}


def base_name(org_id: str, lang: str) -> str:
    """``ID`` in Swedish, ``ID-LANG`` otherwise: the PDF's name without ``.pdf``."""
    return pdf_name(org_id, lang).removesuffix(".pdf")


def chart_file_name(name: str) -> str:
    """A chart's file name (no suffix) by what it shows, e.g. ``capability-digital-leadership``."""
    if name.startswith("gauge-"):
        return "capability-" + name.removeprefix("gauge-").replace("_", "-")
    if name.startswith("peers-"):
        return "peer-groups-" + name.removeprefix("peers-")
    return CHART_NAMES.get(name, name).replace("_", "-")


# --------------------------------------------------------------------------- PNG


@cache
def _font_files() -> tuple[str, ...]:
    return tuple(str(p) for p in sorted(resources.fonts_dir().glob("*.ttf")))


def svg_to_png(svg: str, width: int = PNG_WIDTH) -> bytes:
    """Rasterise a chart's SVG with the shipped fonts only (the same pixels on every machine)."""
    import resvg_py

    data = resvg_py.svg_to_bytes(svg_string=svg, width=width, background=WHITE,
                                 skip_system_fonts=True, font_files=list(_font_files()),
                                 font_family="Lato", sans_serif_family="Lato")
    return bytes(data)


def chart_files(charts: dict[str, Chart]) -> dict[str, bytes]:
    """Every chart as ``NAME.svg`` and ``NAME.png``, by file name."""
    files: dict[str, bytes] = {}
    for name, chart in charts.items():
        stem = chart_file_name(name)
        files[f"{stem}.svg"] = chart.svg.encode("utf-8")
        files[f"{stem}.png"] = svg_to_png(chart.svg)
    return files


# --------------------------------------------------------------------------- stable zips


def _zip_date(assessed: dt.date) -> tuple[int, int, int, int, int, int]:
    when = dt.datetime.strptime(creation_date(assessed), "%Y-%m-%dT%H:%M:%SZ")
    return (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def stable_zip(data: bytes, assessed: dt.date) -> bytes:
    """The same Office file with every date ``assessed``: byte-identical for the same input.

    The zip entries carry that date, and so does the document's "modified" property, which
    openpyxl sets to the time of saving.
    """
    stamp = _zip_date(assessed)
    when = creation_date(assessed).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + when + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return out.getvalue()


def _office_date(assessed: dt.date) -> dt.datetime:
    return dt.datetime.strptime(creation_date(assessed), "%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- XLSX


def workbook_tables(analysis: Analysis, matches: Matches, t: Texts,
                    firm: str | None = None) -> list[tuple[str, list[str], list[list[Any]]]]:
    """Every table of the briefing as (sheet name, header, rows); numbers stay numbers."""
    org, bench = analysis.org, analysis.benchmark
    lang = t.lang

    about = [[t("cover_title"), t("pdf_title", name=org.name)],
             [t("cover_assessed"), org.profile.assessed.isoformat()],
             [t("cover_level"), t("level_" + org.profile.level)],
             [t("cover_benchmark"), bench.title(lang)],
             [t("kit_phase"), t.label(analysis.maturity.phase)]]
    if firm:
        about.append([t("cover_prepared"), firm])
    caps = [[c.key, t.label(c.key), c.score, c.benchmark, c.gap,
             t.status(c, analysis.priorities), c.rank, c.urgency, c.figure.source]
            for c in analysis.capabilities]
    effects = [[e.key, t.label(e.key), e.score, e.benchmark, e.gap, e.figure.source]
               for e in analysis.effects]
    impacts = [[c.key, c.label(lang), org.profile.impact[c.key]] for c in t.framework.impacts]
    recs = [[r.recommendation.number, r.recommendation.title(lang),
             t.reasons(r.reasons), r.relevance,
             ", ".join(t.label(k) for k in (*r.recommendation.capabilities,
                                            *r.recommendation.effects)),
             " · ".join(step(lang) for step in r.recommendation.next_steps),
             r.recommendation.source]
            for r in matches.recommendations]
    practices = [[t.label(mp.practice.addresses), mp.practice.title(lang),
                  t.reason(mp.reason), mp.practice.source]
                 for group in (*matches.capability_practices.values(),
                               *matches.effect_practices.values()) for mp in group]
    phases = [[p.key, t.label(p.key), bench.overall.phases.get(p.key).count
               if p.key in bench.overall.phases else None,
               bench.organisations,
               bench.overall.phases[p.key].source if p.key in bench.overall.phases else ""]
              for p in t.framework.phases]
    importance = [[c.key, t.label(c.key), bench.overall.importance[c.key].count
                   if c.key in bench.overall.importance else None, bench.organisations,
                   bench.overall.importance[c.key].source
                   if c.key in bench.overall.importance else ""]
                  for c in t.framework.importance_levels]
    sources = ([[t.label(c.key), c.benchmark, c.figure.source,
                 c.figure.note(lang) if c.figure.note else ""] for c in analysis.capabilities]
               + [[t.label(e.key), e.benchmark, e.figure.source,
                   e.figure.note(lang) if e.figure.note else ""] for e in analysis.effects]
               + [[bench.source_document, None, bench.publisher, note(lang)]
                  for note in bench.notes])
    col = {k: t(f"kit_col_{k}") for k in ("key", "label", "score", "benchmark", "gap", "status",
                                           "study_rank", "urgency", "source", "number", "title",
                                           "reason", "relevance", "addresses", "figure",
                                           "value", "note")}
    tables = [
        (t("kit_sheet_about"), [col["figure"], col["value"]], about),
        (t("kit_sheet_capabilities"), [col["key"], col["label"], col["score"], col["benchmark"],
                                       col["gap"], col["status"], col["study_rank"],
                                       col["urgency"], col["source"]], caps),
        (t("kit_sheet_effects"), [col["key"], col["label"], col["score"], col["benchmark"],
                                  col["gap"], col["source"]], effects),
        (t("kit_sheet_impact"), [col["key"], col["label"], col["score"]], impacts),
        (t("kit_sheet_recommendations"), [col["number"], col["title"], col["reason"],
                                          col["relevance"], col["addresses"],
                                          t("kit_action_plan"), col["source"]], recs),
        (t("kit_sheet_practices"), [col["addresses"], col["title"], col["reason"],
                                    col["source"]], practices),
        (t("kit_sheet_phases"), [col["key"], col["label"], col["value"], "n", col["source"]],
         phases),
        (t("kit_sheet_importance"), [col["key"], col["label"], col["value"], "n",
                                     col["source"]], importance),
        (t("kit_sheet_sources"), [col["figure"], col["benchmark"], col["source"], col["note"]],
         sources),
    ]
    plan = action_plan(matches, t)
    if plan:
        keys = list(plan[0])
        tables.append((t("kit_action_plan"), [t(f"kit_plan_{k}") for k in keys],
                       [[row[k] for k in keys] for row in plan]))
    return tables


def _sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    clean = "".join("-" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "Sheet"
    title, n = clean, 2
    while title.lower() in used:
        title = f"{clean[:28]} {n}"
        n += 1
    used.add(title.lower())
    return title


def xlsx_bytes(analysis: Analysis, matches: Matches, t: Texts, firm: str | None = None,
               primary: str = PRIMARY) -> bytes:
    """The workbook: one sheet per table, a bold header row in the firm's colour."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    header_font = Font(bold=True, color=WHITE.lstrip("#"))
    header_fill = PatternFill("solid", fgColor=primary.lstrip("#"))
    for name, header, rows in workbook_tables(analysis, matches, t, firm):
        ws = wb.create_sheet(_sheet_title(name, used))
        ws.append(header)
        for cell in ws[1]:
            cell.font, cell.fill = header_font, header_fill
        for row in rows:
            ws.append([None] * len(row))
            for cell, value in zip(ws[ws.max_row], row, strict=True):
                set_xlsx(cell, value)
        ws.freeze_panes = "A2"
        for column in ws.columns:
            longest = max(len(str(c.value)) if c.value is not None else 0 for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(max(10, longest + 2), 70)
    created = _office_date(analysis.org.profile.assessed)
    wb.properties.creator = firm or ""
    wb.properties.lastModifiedBy = firm or ""
    wb.properties.title = t("pdf_title", name=analysis.org.name)
    wb.properties.language = t.lang
    wb.properties.created = wb.properties.modified = created
    buffer = io.BytesIO()
    wb.save(buffer)
    return stable_zip(buffer.getvalue(), analysis.org.profile.assessed)



# --------------------------------------------------------------------------- action plan


def action_plan(matches: Matches, t: Texts) -> list[dict[str, Any]]:
    """The action plan, one row per initiative: recommendation, horizon, owner, target.

    The initiatives come with the chosen recommendations; a recommendation without any (no
    recommendation chosen, or none with initiatives) adds no row, and a deck or workbook with
    no rows has no plan slide or sheet.
    """
    rows = []
    for r in matches.recommendations:
        for planned in r.initiatives:
            i, target = planned.initiative, planned.target
            rows.append({
                "number": r.recommendation.number,
                "recommendation": r.recommendation.title(t.lang),
                "initiative": i.title(t.lang),
                "horizon": t(f"horizon_{i.horizon}"),
                "owner": planned.owner(t.lang),
                "area": t.label(target.key),
                "now": target.score,
                "target": target.target,
                "first_step": i.first_step(t.lang),
                "done_when": i.done_when(t.lang),
            })
    return rows


# --------------------------------------------------------------------------- PPTX


SLIDE_CHARTS = ("radar", "effects", "impact", "maturity", "importance", "spread", "progress")


def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def pptx_bytes(analysis: Analysis, matches: Matches, t: Texts, charts: dict[str, Chart],
               firm: str | None = None, primary: str = PRIMARY, accent: str = ACCENT,
               logo_png: bytes | None = None) -> bytes:
    """A short deck: title, summary, one slide per chart, priorities, recommendations, plan."""
    from pptx import Presentation
    from pptx.util import Inches, Pt

    org, lang = analysis.org, t.lang
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]
    ink, muted = _rgb(INK), _rgb(MUTED)

    def text_box(slide, left, top, width, height, lines, size=18, color=ink, bold=False):
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        frame = box.text_frame
        frame.word_wrap = True
        for i, line in enumerate(lines):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = para.add_run()
            run.text = line
            run.font.size, run.font.bold, run.font.name = Pt(size), bold, "Lato"
            run.font.color.rgb = color
            para.space_after = Pt(size * 0.4)
        return box

    def titled(title: str):
        slide = prs.slides.add_slide(blank)
        bar = slide.shapes.add_shape(1, 0, 0, prs.slide_width, Inches(0.18))
        bar.fill.solid()
        bar.fill.fore_color.rgb = _rgb(primary)
        bar.line.fill.background()
        text_box(slide, 0.6, 0.4, 12, 0.9, [title], 30, _rgb(primary), bold=True)
        footer = f"{firm} · {org.name}" if firm else org.name
        text_box(slide, 0.6, 6.9, 10, 0.4, [footer], 11, muted)
        return slide

    # Title
    slide = prs.slides.add_slide(blank)
    band = slide.shapes.add_shape(1, 0, 0, prs.slide_width, Inches(4.6))
    band.fill.solid()
    band.fill.fore_color.rgb = _rgb(primary)
    band.line.fill.background()
    white = _rgb(WHITE)
    text_box(slide, 0.8, 1.2, 11.5, 0.5, [t("cover_kicker").upper()], 14, white, bold=True)
    text_box(slide, 0.8, 1.8, 11.5, 1.2, [t("cover_title")], 44, white)
    text_box(slide, 0.8, 3.0, 11.5, 1.0, [org.name], 32, white, bold=True)
    facts = [f"{t('cover_assessed')}: {t.date(org.profile.assessed)}",
             f"{t('cover_benchmark')}: {analysis.benchmark.title(lang)}"]
    if firm:
        facts.append(t("kit_prepared_by", firm=firm))
    text_box(slide, 0.8, 5.0, 9.5, 1.8, facts, 16, ink)
    if logo_png:
        pic = slide.shapes.add_picture(io.BytesIO(logo_png), Inches(10.6), Inches(5.1),
                                       height=Inches(0.9))
        _alt(pic, t("logo_alt", name=firm or ""))

    # Summary
    slide = titled(t("kit_summary"))
    phase = t.label(analysis.maturity.phase)
    lines = [f"{t('kit_phase')}: {phase}"]
    lines += [f"{t('kit_priorities')}: " + ", ".join(t.label(k) for k in analysis.priorities)]
    if analysis.strengths:
        lines += [f"{t('kit_strengths')}: " + ", ".join(t.label(k) for k in analysis.strengths)]
    lines += [f"{t('kit_recommendations')}:"]
    lines += [f"{r.recommendation.number}. {r.recommendation.title(lang)}"
              for r in matches.summary_recommendations]
    text_box(slide, 0.6, 1.5, 12, 5.2, lines, 20)

    # One slide per chart, each picture with its alternative text
    for name in [n for n in SLIDE_CHARTS if n in charts] + sorted(
            n for n in charts if n.startswith("peers-")):
        chart = charts[name]
        slide = titled(_chart_title(name, t))
        png = svg_to_png(chart.svg)
        max_w, max_h = 12.1, 5.3
        ratio = chart.height / chart.width
        width = min(max_w, max_h / ratio)
        left = (13.333 - width) / 2
        pic = slide.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(1.4),
                                       width=Inches(width))
        pic.name = chart_file_name(name)
        _alt(pic, chart.alt)

    # The capabilities one by one: each gauge (score against the benchmark) with its name
    gauges = [c for c in analysis.capabilities if f"gauge-{c.key}" in charts]
    if gauges:
        slide = titled(t("kit_chart_gauges"))
        row = 5.2 / len(gauges)
        for i, c in enumerate(gauges):
            chart = charts[f"gauge-{c.key}"]
            top = 1.45 + i * row
            text_box(slide, 0.6, top + row * 0.2, 5.4, row * 0.6, [t.label(c.key)], 16,
                     bold=True)
            height = min(row * 0.95, 0.75)
            width = height * chart.width / chart.height
            pic = slide.shapes.add_picture(io.BytesIO(svg_to_png(chart.svg)), Inches(6.2),
                                           Inches(top), width=Inches(width))
            pic.name = chart_file_name(chart.name)
            _alt(pic, chart.alt)

    # Priorities
    slide = titled(t("kit_priorities"))
    lines = []
    for n, key in enumerate(analysis.priorities, 1):
        c = next(c for c in analysis.capabilities if c.key == key)
        bench = t.num(c.benchmark) if c.benchmark is not None else t("not_reported")
        lines.append(f"{n}. {t.label(key)}: {t.num(c.score)} ({t('table_benchmark')} {bench})")
        for mp in matches.capability_practices.get(key, [])[:3]:
            lines.append(f"     – {mp.practice.title(lang)}")
    text_box(slide, 0.6, 1.5, 12, 5.2, lines, 18)

    # Recommendations
    slide = titled(t("kit_recommendations"))
    lines = []
    for r in matches.recommendations:
        lines.append(f"{r.recommendation.number}. {r.recommendation.title(lang)}")
        reason = t.reasons(r.reasons)
        lines.append(f"     {reason[:1].upper()}{reason[1:]}.")
    box = text_box(slide, 0.6, 1.5, 12, 5.2, lines, 16)
    for i, para in enumerate(box.text_frame.paragraphs):
        if i % 2 == 0:
            for run in para.runs:
                run.font.bold, run.font.color.rgb = True, _rgb(accent)

    # Action plan, where the matches carry one: a few initiatives per slide
    plan = action_plan(matches, t)
    per_slide = 4
    for first in range(0, len(plan), per_slide):
        slide = titled(t("kit_action_plan"))
        lines = []
        for row in plan[first:first + per_slide]:
            lines.append(f"{row['initiative']} ({row['number']}. {row['recommendation']})")
            lines.append(f"     {row['horizon']} · {row['owner']} · " + t(
                "plan_target", label=row["area"], score=t.num(row["now"]),
                target=t.num(row["target"])))
        box = text_box(slide, 0.6, 1.5, 12, 5.2, lines, 16)
        for i, para in enumerate(box.text_frame.paragraphs):
            if i % 2 == 0:
                for run in para.runs:
                    run.font.bold, run.font.color.rgb = True, _rgb(primary)

    props = prs.core_properties
    props.title = t("pdf_title", name=org.name)
    props.author = props.last_modified_by = firm or ""
    props.subject = t("pdf_subject", name=org.name, benchmark=analysis.benchmark.title(lang))
    props.language = lang
    props.created = props.modified = props.last_printed = _office_date(org.profile.assessed)
    props.revision = 1
    buffer = io.BytesIO()
    prs.save(buffer)
    return stable_zip(buffer.getvalue(), org.profile.assessed)


def _alt(picture, text: str) -> None:
    """The picture's alternative text, where PowerPoint and screen readers look for it."""
    picture._element.nvPicPr.cNvPr.set("descr", text)


def _chart_title(name: str, t: Texts) -> str:
    return t("kit_chart_" + ("peers" if name.startswith("peers-") else name))


# --------------------------------------------------------------------------- writing


def kit_files(bg: Briefgen, analysis: Analysis, matches: Matches, lang: str,
              formats: Iterable[str], charts: dict | None = None) -> dict[str, bytes]:
    """The kit's files by name relative to OUT (charts in ``ID-charts/``), not yet written.

    ``charts``: the briefing's charts if already drawn (``Briefgen.charts``), else drawn here.
    """
    formats = set(formats)
    t = bg.texts_for(analysis, lang)
    if charts is None:
        charts, _ = bg.charts(analysis, lang)
    base = base_name(analysis.org.id, lang)
    opts = bg.options
    files: dict[str, bytes] = {}
    if "pptx" in formats:
        files[f"{base}.pptx"] = pptx_bytes(analysis, matches, t, charts, opts.author,
                                           opts.primary, opts.accent, _logo_png(bg))
    if "xlsx" in formats:
        files[f"{base}.xlsx"] = xlsx_bytes(analysis, matches, t, opts.author, opts.primary)
    if "charts" in formats:
        for name, data in chart_files(charts).items():
            files[f"{base}-charts/{name}"] = data
    return files


def _logo_png(bg: Briefgen) -> bytes | None:
    """The firm's logo as PNG bytes for the deck (an SVG logo is rasterised), or None."""
    import base64

    uri = firm_logo(bg.options)
    if not uri:
        return None
    header, data = uri.split(",", 1)
    raw = base64.b64decode(data)
    if header.startswith("data:image/svg"):
        return svg_to_png(raw.decode("utf-8"), 600)
    return raw


__all__ = ["kit_files", "pptx_bytes", "xlsx_bytes", "chart_files", "svg_to_png",
           "workbook_tables", "action_plan", "chart_file_name", "stable_zip"]
