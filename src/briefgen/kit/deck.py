"""The deck (``--format pptx``): a briefing a consultant finishes in PowerPoint.

Built on the firm's template or the built-in design (:mod:`.template`): a title slide, an
agenda, a one-page summary, where the organisation stands, the capabilities (a radar chart and
a table), the effect areas, the expected impact, the comparisons a survey or a built benchmark
brings (spread, progress, peer groups), the priorities, the recommendations, a roadmap of the
action plan by horizon with its owners, the plan in detail, the consultant's own findings when
there are any, and a closing slide about the briefing. Every chart is a native, editable chart
in the firm's colours with alternative text; every slide has speaker notes (what it says and
where its figures come from); every text is measured (:mod:`.fit`) and set at the largest size
that fits its box, or split over more slides.
"""

from __future__ import annotations

import base64
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..brand import MUTED, WHITE
from ..texts import Texts
from .common import (
    Finding,
    KitInputs,
    action_plan,
    by_horizon,
    library_source,
    office_date,
    source_line,
    stable_zip,
)
from .fit import Para, balanced_pages, block_height, breaks_words, fitting_size
from .template import EMU_PER_INCH, EMU_PER_PT, Box, Design, load_design

log = logging.getLogger(__name__)

BODY_LARGEST, BODY_SMALLEST = 20, 12     # points: text on a slide, never smaller than 12
FOOTER_SIZE = 12                         # points: a footer's size where its layout sets none
INSET = (0.08, 0.04)                     # inches: a text box's margins (sides, top and bottom)
LANG_TAGS = {"sv": "sv-SE", "en": "en-GB"}
# Number formats name their locale, so that any program writes 3,5 in a Swedish deck.
LOCALE_IDS = {"sv": "[$-41D]", "en": "[$-809]"}
GRID = "#C9D1D9"


def _rgb(colour: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(colour.lstrip("#").upper())


def _inches(value: float) -> int:
    return round(value * EMU_PER_INCH)


Cell = str | list[Para]          # a table cell: a text, or its paragraphs


def _cell(value: Cell, header: bool) -> list[Para]:
    return [Para(value, bold=header)] if isinstance(value, str) else value


def _layout_size(shape, default: float) -> float:
    """The size in points a placeholder's layout sets for its text, or ``default``."""
    try:
        layout_ph = shape.part.slide_layout.placeholders.get(
            idx=shape.placeholder_format.idx)
    except (AttributeError, ValueError):
        return default
    if layout_ph is None:
        return default
    sizes = layout_ph._element.xpath("./p:txBody/a:lstStyle/a:lvl1pPr/a:defRPr/@sz")
    return int(sizes[0]) / 100 if sizes else default


@dataclass(frozen=True)
class Series:
    """One series of a native chart: its name, values and colour."""

    name: str
    values: Sequence[float | None]
    colour: str
    dashed: bool = False
    hidden: bool = False          # a floating bar's invisible base


class DeckBuilder:
    """Slides on a design, each with a title, notes, a footer and measured text."""

    def __init__(self, inputs: KitInputs, design: Design):
        self.inputs, self.design, self.prs = inputs, design, design.prs
        self.t: Texts = inputs.texts
        self.lang_tag = LANG_TAGS.get(self.t.lang, self.t.lang)
        org = inputs.analysis.org
        self.footer = f"{inputs.firm.name} · {org.name}" if inputs.firm.name else org.name

    # -- slides

    def slide(self, title: str, notes: Sequence[str], layout=None):
        """A new slide with ``title`` (fitted to its placeholder), notes and footer."""
        from pptx.enum.shapes import PP_PLACEHOLDER as PH

        layout = layout or self.design.content_layout
        slide = self.prs.slides.add_slide(layout)
        if slide.shapes.title is not None:
            self.fill_title(slide.shapes.title, title)
        else:   # a template without a title placeholder: the title as the first text
            self.text(slide, self.design.title, [Para(title, bold=True)], 28, 16)
        if layout is self.design.content_layout:
            for ph in list(slide.placeholders):     # nothing fills it: no "click to add text"
                if ph.placeholder_format.type not in (PH.TITLE, PH.CENTER_TITLE):
                    ph._element.getparent().remove(ph._element)
            for ph in layout.placeholders:
                kind = ph.placeholder_format.type
                if kind in (PH.FOOTER, PH.SLIDE_NUMBER):
                    slide.shapes.clone_placeholder(ph)
                    shape = slide.placeholders[ph.placeholder_format.idx]
                    if kind == PH.FOOTER:
                        self.fill_footer(shape)
                    else:
                        self._slide_number(shape)
                    if self.design.builtin:
                        self._footer_style(shape, kind == PH.FOOTER)
        self.notes(slide, notes)
        return slide

    def fill_title(self, shape, title: str, smallest: float = 16) -> None:
        """Put ``title`` in a title placeholder at the largest size that fits it (at most the
        size its layout gives it)."""
        f = self.design.heading
        width = shape.width / EMU_PER_PT - 2 * INSET[0] * 72
        height = shape.height / EMU_PER_PT - 2 * INSET[1] * 72
        largest = _layout_size(shape, self.design.title_size)
        size = fitting_size([Para(title, bold=True)], f, width, height, largest,
                            min(smallest, largest)) or smallest
        frame = shape.text_frame
        frame.word_wrap = True
        self._insets(frame)
        self._runs(frame, [Para(title)], size)

    def fill_footer(self, shape, smallest: float = 7) -> None:
        """The footer on one line: at its layout's size, or as much smaller as it needs."""
        frame = shape.text_frame
        width = (shape.width - frame.margin_left - frame.margin_right) / EMU_PER_PT
        largest = _layout_size(shape, FOOTER_SIZE)
        size = largest
        while size - 1 >= smallest and self.design.body.width(self.footer, size) > width:
            size -= 1
        self._runs(frame, [Para(self.footer)], None if size == largest else size)

    def notes(self, slide, lines: Sequence[str]) -> None:
        frame = slide.notes_slide.notes_text_frame
        self._runs(frame, [Para(line) for line in lines if line], None)

    def _footer_style(self, shape, left: bool) -> None:
        """The built-in design's footer, set on the slide (not every program inherits it)."""
        from pptx.enum.text import PP_ALIGN
        from pptx.text.text import Font
        from pptx.util import Pt

        para = shape.text_frame.paragraphs[0]
        para.alignment = PP_ALIGN.LEFT if left else PP_ALIGN.RIGHT
        for rpr in para._p.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}rPr"):
            font = Font(rpr)          # runs and the slide number's field alike
            font.size, font.name = Pt(10), "+mn-lt"
            font.color.rgb = _rgb(MUTED)

    def _slide_number(self, shape) -> None:
        from pptx.oxml import parse_xml

        frame = shape.text_frame
        para = frame.paragraphs[0]
        for child in list(para._p):
            para._p.remove(child)
        para._p.append(parse_xml(
            '<a:fld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
            'id="{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}" type="slidenum">'
            f'<a:rPr lang="{self.lang_tag}"/><a:t>{len(self.prs.slides)}</a:t></a:fld>'))

    # -- text

    def _insets(self, frame) -> None:
        frame.margin_left = frame.margin_right = _inches(INSET[0])
        frame.margin_top = frame.margin_bottom = _inches(INSET[1])

    def _runs(self, frame, paras: Sequence[Para], size: float | None) -> None:
        """Fill ``frame`` with ``paras`` (size in points; None: the placeholder's own)."""
        from pptx.util import Pt

        frame.clear()
        for i, p in enumerate(paras):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = para.add_run()
            run.text = p.text
            run.font._rPr.set("lang", self.lang_tag)
            if size is not None:
                run.font.size = Pt(round(size * p.size * 2) / 2)
                para.line_spacing = 1.0
                para.space_after = Pt(round(size * p.size * p.space_after, 1)) \
                    if i < len(paras) - 1 else Pt(0)
            if p.bold:
                run.font.bold = True
            if p.color:
                run.font.color.rgb = _rgb(p.color)
            if p.indent:
                para._p.get_or_add_pPr().set("marL", str(round(p.indent * EMU_PER_PT)))

    def measure(self, paras: Sequence[Para], box: Box, largest: float = BODY_LARGEST,
                smallest: float = BODY_SMALLEST) -> float | None:
        """The size at which ``paras`` fit ``box``, or None."""
        width = box.width / EMU_PER_PT - 2 * INSET[0] * 72
        height = box.height / EMU_PER_PT - 2 * INSET[1] * 72
        return fitting_size(paras, self.design.body, width, height, largest, smallest)

    def text(self, slide, box: Box, paras: Sequence[Para], largest: float = BODY_LARGEST,
             smallest: float = BODY_SMALLEST, size: float | None = None, name: str = ""):
        """A text box with ``paras`` at the largest size that fits (``size``: that one)."""
        from pptx.enum.text import MSO_AUTO_SIZE

        size = size or self.measure(paras, box, largest, smallest) or smallest
        shape = slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
        if name:
            shape.name = name
        frame = shape.text_frame
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.NONE
        self._insets(frame)
        self._runs(frame, paras, size)
        return shape

    # -- charts

    def chart(self, slide, box: Box, kind: str, categories: Sequence[str],
              series: Sequence[Series], alt: str, name: str, *, scale: bool = True,
              labels: str = "0.0", title: str | None = None, font: float = 12):
        """A native chart: ``kind`` is bar (horizontal), column, radar or floating."""
        from pptx.chart.data import CategoryChartData
        from pptx.enum.chart import (
            XL_CHART_TYPE,
            XL_LABEL_POSITION,
            XL_LEGEND_POSITION,
            XL_MARKER_STYLE,
        )
        from pptx.enum.dml import MSO_LINE
        from pptx.util import Pt

        labels = LOCALE_IDS.get(self.t.lang, "") + labels
        data = CategoryChartData()
        data.categories = list(categories)
        for s in series:
            data.add_series(s.name, list(s.values), number_format=labels)
        chart_type = {"bar": XL_CHART_TYPE.BAR_CLUSTERED,
                      "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
                      "radar": XL_CHART_TYPE.RADAR_MARKERS,
                      "floating": XL_CHART_TYPE.BAR_STACKED}[kind]
        frame = slide.shapes.add_chart(chart_type, box.left, box.top, box.width, box.height,
                                       data)
        frame.name = name
        frame._element.nvGraphicFramePr.cNvPr.set("descr", alt)
        chart = frame.chart
        self._chart_language(chart)
        chart.font.size = Pt(font)
        chart.font.color.rgb = _rgb(self._ink())
        if title:
            chart.has_title = True
            chart.chart_title.text_frame.text = title
            title_font = chart.chart_title.text_frame.paragraphs[0].runs[0].font
            title_font.size, title_font.bold = Pt(font + 2), True
        else:
            chart.has_title = False
        visible = [s for s in series if not s.hidden]
        chart.has_legend = len(visible) > 1
        if chart.has_legend:
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False
            chart.legend.font.size = Pt(font)
        plot = chart.plots[0]
        for s, plotted in zip(series, plot.series, strict=True):
            if kind == "radar":
                line = plotted.format.line
                line.color.rgb, line.width = _rgb(s.colour), Pt(2.25)
                if s.dashed:
                    line.dash_style = MSO_LINE.DASH
                plotted.marker.style = (XL_MARKER_STYLE.DIAMOND if s.dashed
                                        else XL_MARKER_STYLE.CIRCLE)
                plotted.marker.size = 7
                plotted.marker.format.fill.solid()
                plotted.marker.format.fill.fore_color.rgb = _rgb(WHITE if s.dashed else s.colour)
                plotted.marker.format.line.color.rgb = _rgb(s.colour)
                plotted.smooth = False
            elif s.hidden:
                plotted.format.fill.background()
                plotted.format.line.fill.background()
            else:
                plotted.format.fill.solid()
                plotted.format.fill.fore_color.rgb = _rgb(s.colour)
                plotted.invert_if_negative = False
        if kind != "radar":
            plot.gap_width = 55
            if kind != "floating":
                plot.overlap = -8
            shown = [p for s, p in zip(series, plot.series, strict=True) if not s.hidden]
            # A floating bar's value is its length, not a score: it is not written on it.
            for plotted in shown if kind != "floating" else []:
                plotted.data_labels.show_value = True
                labels_ = plotted.data_labels
                labels_.number_format, labels_.number_format_is_linked = labels, False
                labels_.font.size = Pt(font - 1)
                if kind != "floating":
                    labels_.position = XL_LABEL_POSITION.OUTSIDE_END
            axis = chart.category_axis
            axis.tick_labels.font.size = Pt(font)
            axis.format.line.color.rgb = _rgb(GRID)
            axis.has_major_gridlines = False
            if kind in ("bar", "floating"):
                axis.reverse_order = True        # the first category on top, as in the PDF
        value_axis = chart.value_axis
        if scale:
            value_axis.minimum_scale, value_axis.maximum_scale = 1, 5
            value_axis.major_unit = 1
        value_axis.has_major_gridlines = True
        value_axis.major_gridlines.format.line.color.rgb = _rgb(GRID)
        value_axis.format.line.fill.background()
        value_axis.tick_labels.font.size = Pt(font - 1)
        value_axis.tick_labels.number_format = LOCALE_IDS.get(self.t.lang, "") + "0"
        value_axis.tick_labels.number_format_is_linked = False
        if kind == "floating" and chart.has_legend:
            _hide_legend_entries(chart, [i for i, s in enumerate(series) if s.hidden])
        return frame

    def _chart_language(self, chart) -> None:
        """The chart's language, so that PowerPoint writes its numbers as the deck's."""
        from pptx.oxml import parse_xml

        space = chart._chartSpace
        ns = "http://schemas.openxmlformats.org/drawingml/2006/chart"
        old = space.find(f"{{{ns}}}lang")
        if old is not None:
            space.remove(old)
        date = space.find(f"{{{ns}}}date1904")
        position = list(space).index(date) + 1 if date is not None else 0
        space.insert(position, parse_xml(f'<c:lang xmlns:c="{ns}" val="{self.lang_tag}"/>'))

    def _ink(self) -> str:
        from ..brand import INK

        return INK

    # -- tables

    def table(self, slide, box: Box, header: Sequence[str], rows: Sequence[Sequence[Cell]],
              widths: Sequence[float], size: float, name: str, numeric: Sequence[int] = ()):
        """A native table; ``widths``: shares of the box (widened where a column's longest
        word needs it, see :meth:`column_shares`); ``numeric``: right-aligned columns; a cell
        is a text or its paragraphs."""
        from pptx.enum.text import PP_ALIGN
        from pptx.util import Pt

        widths = self.column_shares([header, *rows], box, widths, size)
        heights = self.row_heights([header, *rows], box, widths, size)
        shape = slide.shapes.add_table(len(rows) + 1, len(header), box.left, box.top,
                                       box.width, sum(heights))
        shape.name = name
        table = shape.table
        lefts = [round(box.width * sum(widths[:j])) for j in range(len(widths) + 1)]
        lefts[-1] = box.width
        for j in range(len(widths)):
            table.columns[j].width = lefts[j + 1] - lefts[j]
        for i, row in enumerate([header, *rows]):
            table.rows[i].height = heights[i]
            for j, value in enumerate(row):
                cell = table.cell(i, j)
                cell.margin_left = cell.margin_right = _inches(INSET[0])
                cell.margin_top = cell.margin_bottom = _inches(INSET[1])
                frame = cell.text_frame
                frame.word_wrap = True
                self._runs(frame, _cell(value, i == 0), size)
                if j in numeric:
                    frame.paragraphs[0].alignment = PP_ALIGN.RIGHT
                if i == 0:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = _rgb(self.inputs.firm.primary)
                    for run in frame.paragraphs[0].runs:
                        run.font.color.rgb = _rgb(WHITE)
                        run.font.size = Pt(size)
        return shape

    def _room(self, box: Box, share: float) -> float:
        """The text width in points of a column ``share`` of ``box`` wide."""
        return box.width * share / EMU_PER_PT - 2 * INSET[0] * 72

    def column_shares(self, rows: Sequence[Sequence[Cell]], box: Box,
                      widths: Sequence[float], size: float) -> list[float]:
        """``widths`` with every column at least as wide as its longest word at ``size``,
        the room taken from the columns that have some to spare (a name such as
        "Verksamhetscheferna" is never split in a narrow column)."""
        f = self.design.body
        total = box.width / EMU_PER_PT
        needed = [0.0] * len(widths)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                for p in _cell(value, i == 0):
                    for word in p.text.split():
                        needed[j] = max(needed[j], f.width(word, size * p.size, p.bold) + 1)
        least = [(n + 2 * INSET[0] * 72) / total for n in needed]
        shares = [max(w, m) for w, m in zip(widths, least, strict=True)]
        excess = sum(shares) - 1
        spare = [max(s - m, 0) for s, m in zip(shares, least, strict=True)]
        if excess <= 1e-9 or sum(spare) < excess:
            return list(widths) if excess > 1e-9 else shares
        return [s - excess * room / sum(spare) for s, room in zip(shares, spare, strict=True)]

    def row_heights(self, rows: Sequence[Sequence[Cell]], box: Box, widths: Sequence[float],
                    size: float) -> list[int]:
        """Each row's height in EMU when its cells' text wraps in their columns."""
        f = self.design.body
        heights = []
        for i, row in enumerate(rows):
            tallest = 0.0
            for value, share in zip(row, widths, strict=True):
                tallest = max(tallest, block_height(_cell(value, i == 0), f,
                                                    self._room(box, share), size))
            heights.append(round((tallest + 2 * INSET[1] * 72 + 2) * EMU_PER_PT))
        return heights

    def table_fits(self, header, rows, box: Box, widths, size: float) -> bool:
        widths = self.column_shares([header, *rows], box, widths, size)
        return sum(self.row_heights([header, *rows], box, widths, size)) <= box.height

    def table_size(self, header, rows, box: Box, widths, largest: float = 16,
                   smallest: float = BODY_SMALLEST) -> float | None:
        """The largest size at which the table fits ``box``, splitting no word while a
        smaller size is left to try."""
        size = largest
        while size >= smallest:
            shares = self.column_shares([header, *rows], box, widths, size)
            whole = all(not breaks_words(_cell(value, i == 0), self.design.body,
                                         self._room(box, share), size)
                        for i, row in enumerate([header, *rows])
                        for value, share in zip(row, shares, strict=True))
            if self.table_fits(header, rows, box, widths, size) and (whole
                                                                     or size - 1 < smallest):
                return size
            size -= 1
        return None

    # -- pictures

    def picture(self, slide, box: Box, png: bytes, alt: str, name: str):
        """A picture as large as fits ``box``, centred in it, its proportions kept."""
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            ratio = image.height / image.width
        width = min(box.width, round(box.height / ratio))
        height = round(width * ratio)
        left = box.left + (box.width - width) // 2
        top = box.top + (box.height - height) // 2
        pic = slide.shapes.add_picture(io.BytesIO(png), left, top, width, height)
        pic.name = name
        pic._element.nvPicPr.cNvPr.set("descr", alt)
        return pic

    def rect(self, slide, box: Box, colour: str, text: str = "", size: float = 14,
             name: str = ""):
        """A filled rectangle, with white text where ``text`` is given."""
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.enum.text import MSO_ANCHOR

        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, box.left, box.top, box.width,
                                       box.height)
        if name:
            shape.name = name
        shape.fill.solid()
        shape.fill.fore_color.rgb = _rgb(colour)
        shape.line.fill.background()
        shape.shadow.inherit = False
        frame = shape.text_frame
        self._insets(frame)
        frame.word_wrap = True
        frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        if text:
            self._runs(frame, [Para(text, bold=True, color=WHITE)], size)
        return shape


def _hide_legend_entries(chart, indexes: Sequence[int]) -> None:
    """Leave a floating bar's invisible base out of the legend."""
    from pptx.oxml import parse_xml

    ns = "http://schemas.openxmlformats.org/drawingml/2006/chart"
    legend = chart.legend._element
    for index in indexes:
        legend.insert(1, parse_xml(f'<c:legendEntry xmlns:c="{ns}"><c:idx val="{index}"/>'
                                   '<c:delete val="1"/></c:legendEntry>'))


# --------------------------------------------------------------------------- the slides


def pptx_bytes(inputs: KitInputs, findings: Sequence[Finding] = ()) -> bytes:
    """The deck as .pptx bytes; ``findings``: the consultant's own (text, source or None)."""
    design = load_design(inputs.firm.deck_template, inputs.firm.primary, inputs.firm.accent)
    deck = DeckBuilder(inputs, design)
    Slides(deck, list(findings)).build()
    org = inputs.analysis.org
    t = inputs.texts
    props = design.prs.core_properties
    props.title = t("pdf_title", name=org.name)
    props.author = props.last_modified_by = inputs.firm.name or ""
    props.subject = t("pdf_subject", name=org.name,
                      benchmark=inputs.analysis.benchmark.title(t.lang))
    props.language = LANG_TAGS.get(t.lang, t.lang)
    props.keywords = t("pdf_keywords")
    props.created = props.modified = props.last_printed = office_date(org.profile.assessed)
    props.revision = 1
    buffer = io.BytesIO()
    design.prs.save(buffer)
    log.info("deck: %d slides for %s", len(design.prs.slides), org.id)
    return stable_zip(buffer.getvalue(), org.profile.assessed)


class Slides:
    """The deck's slides in order; each method adds one kind."""

    def __init__(self, deck: DeckBuilder, findings: list[Finding]):
        self.deck, self.findings = deck, findings
        self.inputs = deck.inputs
        self.t, self.a, self.m = deck.t, deck.inputs.analysis, deck.inputs.matches
        self.advice = deck.inputs.advice
        self.content = deck.design.content
        self.firm = deck.inputs.firm
        self.plan = action_plan(self.advice, self.t)

    def build(self) -> None:
        self.title()
        self.agenda()
        self.summary()
        self.position()
        self.capabilities()
        self.capability_table()
        self.effects()
        self.impact()
        self.survey_spread()
        self.progress()
        self.peers()
        self.priorities()
        self.recommendations()
        self.roadmap()
        self.plan_detail()
        self.observations()
        self.about()

    # -- helpers

    def source(self, **kw) -> str:
        return source_line(self.inputs, **kw)

    def lead_and_body(self, lead: str) -> tuple[Box, Box, float]:
        """A lead sentence over the content box, and the room left below it."""
        box = self.content
        lead_box = box.part(height=0.16)
        size = self.deck.measure([Para(lead)], lead_box, 18, BODY_SMALLEST) or BODY_SMALLEST
        body = Box(box.left, lead_box.bottom + _inches(0.1), box.width,
                   box.height - lead_box.height - _inches(0.1))
        return lead_box, body, size

    def cap(self, key: str):
        return self.a.capability(key)

    def ref(self, c) -> str:
        return self.t.reference(c.reference, c.reported)

    # -- title, agenda, summary

    def title(self) -> None:
        t, org = self.t, self.a.org
        design = self.deck.design
        facts = [f"{t('cover_assessed')}: {t.date(org.profile.assessed)}",
                 f"{t('cover_benchmark')}: {self.a.benchmark.title(t.lang)}"]
        if self.firm.name:
            facts.append(t("kit_prepared_by", firm=self.firm.name))
        notes = [t("kit_notes_title", name=org.name, date=t.date(org.profile.assessed),
                   benchmark=self.a.benchmark.title(t.lang)), self.source(benchmark=True)]
        slide = self.deck.slide(t("pdf_title", name=org.name), notes, design.title_layout)
        subtitle = next((ph for ph in slide.placeholders
                         if ph.placeholder_format.idx != 0), None)
        if design.builtin:
            if subtitle is not None:
                self._fill(subtitle, [Para(t("cover_kicker"))], 20)
            box = Box(_inches(0.8), _inches(5.0), _inches(7.9), _inches(1.9))
            self.deck.text(slide, box, [Para(line) for line in facts], 18, 12, name="Facts")
            if self.firm.logo:
                self.deck.picture(slide, Box(_inches(9.2), _inches(5.15), _inches(3.3),
                                             _inches(1.3)),
                                  _logo_png(self.firm.logo), t("logo_alt", name=self.firm.name
                                                               or ""), "Logo")
        elif subtitle is not None:
            # The firm's template carries its own logo; its subtitle takes the facts.
            self._fill(subtitle, [Para(t("cover_kicker")), *(Para(f) for f in facts)], 20)
        else:
            box = Box(_inches(0.6), round(design.height * 0.62), design.width - _inches(1.2),
                      round(design.height * 0.3))
            self.deck.text(slide, box, [Para(line) for line in facts], 18, 12, name="Facts")

    def _fill(self, placeholder, paras: list[Para], largest: float) -> None:
        box = Box(int(placeholder.left), int(placeholder.top), int(placeholder.width),
                  int(placeholder.height))
        size = self.deck.measure(paras, box, largest, 10) or 10
        frame = placeholder.text_frame
        frame.word_wrap = True
        self.deck._insets(frame)
        self.deck._runs(frame, paras, size)

    def sections(self) -> list[str]:
        t = self.t
        items = [t("kit_summary"), t("kit_position"), t("kit_chart_radar"),
                 t("kit_chart_effects")]
        if self.inputs.survey or self.inputs.progress or self.inputs.peers:
            items.append(t("kit_agenda_comparisons"))
        items += [t("kit_priorities"), t("kit_recommendations")]
        if self.plan:
            items.append(t("kit_roadmap"))
        if self.findings:
            items.append(t("kit_findings"))
        items.append(t("kit_about"))
        return items

    def agenda(self) -> None:
        t = self.t
        items = self.sections()
        notes = [t("kit_notes_agenda")]
        slide = self.deck.slide(t("kit_agenda"), notes)
        box = self.content.part(width=0.7)
        paras = [Para(f"{n}   {item}", space_after=0.7) for n, item in enumerate(items, 1)]
        self.deck.text(slide, box, paras, 24, 14, name="Agenda")

    def summary(self) -> None:
        t, a = self.t, self.a
        phase = t.label(a.maturity.phase) + (f" ({t('headline_phase_estimated')})"
                                            if a.maturity.estimated else "")
        below = [c for c in a.capabilities if c.below]
        left = [Para(t("summary_stand_h"), bold=True, color=self.firm.primary),
                Para(t("headline_phase"), size=0.8, color=MUTED, space_after=0.1),
                Para(phase, bold=True, size=1.2),
                Para(t("headline_mean"), size=0.8, color=MUTED, space_after=0.1),
                Para(t("kit_of_five", value=t.num(a.capability_mean)), bold=True, size=1.2),
                Para(t("headline_below"), size=0.8, color=MUTED, space_after=0.1),
                Para(t("kit_of_seven", count=len(below)), bold=True, size=1.2)]
        right = []
        if a.priorities:
            right.append(Para(t("kit_priorities"), bold=True, color=self.firm.primary))
            for n, key in enumerate(a.priorities, 1):
                c = self.cap(key)
                right.append(Para(t("kit_priority_line", n=n, label=t.label(key),
                                    score=t.num(c.score), ref=self.ref(c)), space_after=0.2))
        elif a.strengths:
            right.append(Para(t("kit_strengths"), bold=True, color=self.firm.primary))
            right.append(Para(", ".join(t.label(k) for k in a.strengths)))
        right.append(Para(t("kit_recommendations"), bold=True, color=self.firm.primary))
        for r in self.advice.recommendations:
            right.append(Para(_numbered_title(r), space_after=0.2))
        first = self.advice.first_steps   # as the briefing's "Gör detta först"
        if first:
            right.append(Para(t("summary_first_h"), bold=True, color=self.firm.primary))
            for step in first:
                right.append(Para(t("kit_first_line", initiative=step.title, owner=step.owner),
                                  space_after=0.2))
        notes = [t("kit_notes_summary", name=a.org.name, phase=t.lower_label(a.maturity.phase),
                   mean=t.num(a.capability_mean), count=len(below)),
                 self.source(figures=[c.figure.source for c in a.capabilities])]
        slide = self.deck.slide(t("kit_summary"), notes)
        left_box = self.content.part(width=0.3)
        right_box = self.content.part(left=0.34, width=0.66)
        self.deck.rect(slide, left_box, _pale(), name="Panel")
        size = min(self.deck.measure(left, left_box, 20, 11) or 11,
                   self.deck.measure(right, right_box, 20, 11) or 11)
        self.deck.text(slide, left_box, left, size=size, name="Where you stand")
        self.deck.text(slide, right_box, right, size=size, name="Summary")

    # -- where they stand

    def position(self) -> None:
        """The maturity phase and the agenda's weight, each beside the benchmark's spread
        where the benchmark has one (a built benchmark may not)."""
        t, a = self.t, self.a
        bench = a.benchmark
        mine_phase = bench.overall.phases.get(a.maturity.phase)
        phase = t.label(a.maturity.phase) + (f" ({t('headline_phase_estimated')})"
                                            if a.maturity.estimated else "")
        if mine_phase is not None and mine_phase.count is not None:
            lead = t("kit_position_lead", phase=phase, count=t.integer(mine_phase.count),
                     n=bench.organisations)
        else:
            lead = t("kit_position_lead_alone", phase=phase)
        weight = t("kit_position_weight", level=t.lower_label(a.org.profile.importance))
        lead = f"{lead} {weight}"
        charts = []
        for keys, counts, mine, name, title in (
                ([p.key for p in t.framework.phases], bench.overall.phases, a.maturity.phase,
                 "maturity", t("kit_chart_maturity")),
                ([c.key for c in t.framework.importance_levels], bench.overall.importance,
                 a.org.profile.importance, "importance", t("kit_chart_importance"))):
            values = [counts[k].count if k in counts else None for k in keys]
            if any(v is not None for v in values):
                charts.append((keys, values, mine, name, title))
        lead_box, body, size = self.lead_and_body(lead)
        notes = [lead, t("kit_notes_position") if charts else "",
                 self.source(figures=[f.source for f in (*bench.overall.phases.values(),
                                                          *bench.overall.importance.values())],
                             benchmark=bool(charts))]
        slide = self.deck.slide(t("kit_position"), notes)
        self.deck.text(slide, lead_box, [Para(lead)], size=size)
        share = 1 / max(len(charts), 1)
        for i, (keys, values, mine, name, title) in enumerate(charts):
            part = body.part(left=i * share + (0.01 if i else 0), width=share - 0.01)
            frame = self.deck.chart(
                slide, part, "column", [t.label(k) for k in keys],
                [Series(t("kit_series_organisations"), values, self.firm.accent)],
                self.inputs.charts[name].alt if name in self.inputs.charts else title,
                _chart_name(name), scale=False, labels="0", title=title)
            chart = frame.chart
            chart.value_axis.minimum_scale = 0
            if mine in keys:      # their own phase, their own answer: in the firm's colour
                point = chart.plots[0].series[0].points[keys.index(mine)]
                point.format.fill.solid()
                point.format.fill.fore_color.rgb = _rgb(self.firm.primary)
            chart.value_axis.visible = False
            chart.value_axis.has_major_gridlines = False

    def capabilities(self) -> None:
        t, a = self.t, self.a
        caps = a.capabilities
        notes = [t("kit_notes_radar", count=len(a.priorities),
                   below=len([c for c in caps if c.below])),
                 self.inputs.charts["radar"].alt if "radar" in self.inputs.charts else "",
                 self.source(figures=[c.figure.source for c in caps])]
        slide = self.deck.slide(t("kit_chart_radar"), notes)
        chart_box = self.content.part(width=0.62)
        self.deck.chart(
            slide, chart_box, "radar", [t.label(c.key) for c in caps],
            [Series(t("legend_org"), [c.score for c in caps], self.firm.primary),
             Series(t("legend_bench"), [c.benchmark for c in caps], self.firm.accent,
                    dashed=True)],
            self.inputs.charts["radar"].alt if "radar" in self.inputs.charts else "",
            _chart_name("radar"))
        side = self.content.part(left=0.65, width=0.35)
        paras = []
        if a.priorities:
            paras.append(Para(t("kit_priorities"), bold=True, color=self.firm.primary))
            paras += [Para(t("kit_priority_line", n=n, label=t.label(k),
                             score=t.num(self.cap(k).score), ref=self.ref(self.cap(k))))
                      for n, k in enumerate(a.priorities, 1)]
        if a.strengths:
            paras.append(Para(t("kit_strengths"), bold=True, color=self.firm.primary))
            paras += [Para(t("kit_strength_prioritised", label=t.label(k),
                                  score=t.num(self.cap(k).score)) if k in a.priorities
                           else f"{t.label(k)}: {t.num(self.cap(k).score)}")
                      for k in a.strengths]
        if not paras:
            paras = [Para(t("kit_radar_none"))]
        self.deck.text(slide, side, paras, 18, 11, name="Key points")

    def capability_table(self) -> None:
        t, a = self.t, self.a
        header = [t("table_capability"), t("table_score"), t("table_benchmark"),
                  t("table_gap"), t("table_status")]
        rows = [[t.label(c.key), t.num(c.score), t.num(c.benchmark),
                 t.signed(c.gap) if c.gap is not None else "–",
                 t.status(c, a.priorities)] for c in a.capabilities]
        widths = (0.36, 0.14, 0.16, 0.12, 0.22)
        notes = [t("kit_notes_table"),
                 self.source(figures=[c.figure.source for c in a.capabilities])]
        slide = self.deck.slide(t("kit_capability_table"), notes)
        size = self.deck.table_size(header, rows, self.content, widths, 18) or BODY_SMALLEST
        self.deck.table(slide, self.content, header, rows, widths, size, "Capabilities",
                        numeric=(1, 2, 3))

    def effects(self) -> None:
        t, a = self.t, self.a
        effects = a.effects
        below = [e for e in effects if e.benchmark is not None and e.below]
        tol = t.num(a.tolerance)
        notes = [t("kit_notes_effects", count=len(below), total=len(effects), tol=tol),
                 self.inputs.charts["effects"].alt if "effects" in self.inputs.charts else "",
                 self.source(figures=[e.figure.source for e in effects])]
        slide = self.deck.slide(t("kit_chart_effects"), notes)
        self.deck.chart(
            slide, self.content.part(width=0.64), "bar", [t.label(e.key) for e in effects],
            [Series(t("legend_org"), [e.score for e in effects], self.firm.primary),
             Series(t("legend_bench"), [e.benchmark for e in effects], self.firm.accent)],
            self.inputs.charts["effects"].alt if "effects" in self.inputs.charts else "",
            _chart_name("effects"))
        paras = [Para(t("kit_effects_side_h", tol=tol), bold=True, color=self.firm.primary)]
        if below:
            paras += [Para(t("kit_effect_line", label=t.label(e.key), score=t.num(e.score),
                             benchmark=t.num(e.benchmark))) for e in
                      sorted(below, key=lambda e: e.gap or 0.0)]
        else:
            paras.append(Para(t("effect_practices_none", tol=tol)))
        self.deck.text(slide, self.content.part(left=0.67, width=0.33), paras, 18, 11,
                       name="Key points")

    def impact(self) -> None:
        t, a = self.t, self.a
        impacts = a.org.profile.impact
        choices = t.framework.impacts
        notes = [t("kit_notes_impact"),
                 self.inputs.charts["impact"].alt if "impact" in self.inputs.charts else "",
                 self.source()]
        slide = self.deck.slide(t("kit_chart_impact"), notes)
        lead_box, body, size = self.lead_and_body(t("impact_lead"))
        self.deck.text(slide, lead_box, [Para(t("impact_lead"))], 16, 11)
        self.deck.chart(
            slide, body, "bar", [c.label(t.lang) for c in choices],
            [Series(t("legend_org"), [impacts[c.key] for c in choices], self.firm.primary)],
            self.inputs.charts["impact"].alt if "impact" in self.inputs.charts else "",
            _chart_name("impact"))

    # -- comparisons from a survey, an earlier assessment or a built benchmark

    def survey_spread(self) -> None:
        survey = self.inputs.survey
        if not survey or not survey.get("rows") or survey.get("single"):
            return          # one respondent: no spread to show (the PDF says so in words)
        t = self.t
        rows = list(survey["rows"])
        alt = self.inputs.charts["spread"].alt if "spread" in self.inputs.charts else ""
        pages = balanced_pages(rows, lambda chunk: len(chunk) <= 14)
        for number, chunk in enumerate(pages, 1):
            title = _numbered(t("kit_chart_spread"), number, len(pages), t)
            notes = [t("kit_notes_spread", n=survey["respondents"],
                       threshold=t.num(survey["threshold"])), alt,
                     self.source(benchmark=False)]
            slide = self.deck.slide(title, notes)
            lows = [s["min"] for _, s in chunk]
            self.deck.chart(
                slide, self.content, "floating", [label for label, _ in chunk],
                [Series(t("table_min"), lows, WHITE, hidden=True),
                 Series(t("kit_series_range"), [s["max"] - s["min"] for _, s in chunk],
                        self.firm.primary)],
                alt, _chart_name("spread"), font=11)

    def progress(self) -> None:
        prog = self.inputs.progress
        if prog is None:
            return
        t = self.t
        rows = prog.capabilities + prog.effects
        before = t.date(prog.previous.profile.assessed)
        now = t.date(prog.current.profile.assessed)
        alt = self.inputs.charts["progress"].alt if "progress" in self.inputs.charts else ""
        notes = [t("kit_notes_progress", before=before, now=now, up=len(prog.improved),
                   down=len(prog.declined), total=len(rows)), alt,
                 self.source(extra=[t("kit_source_earlier", date=before)])]
        slide = self.deck.slide(t("kit_chart_progress"), notes)
        self.deck.chart(
            slide, self.content, "bar", [t.label(c.key) for c in rows],
            [Series(t("legend_before", date=before), [c.before for c in rows], MUTED),
             Series(t("legend_now", date=now), [c.now for c in rows], self.firm.primary)],
            alt, _chart_name("progress"), font=11)

    def peers(self) -> None:
        t = self.t
        for pc in self.inputs.peers:
            rows = pc.capabilities + pc.effects
            name = f"peers-{pc.benchmark.id}"
            alt = self.inputs.charts[name].alt if name in self.inputs.charts else ""
            group = t("peer_group_" + (pc.peers.level or "all"))
            notes = [t("kit_notes_peers", benchmark=pc.benchmark.title(t.lang), group=group,
                       n=pc.peers.n), alt, self.source(benchmark=False, extra=[
                           t("cite_built", name=pc.benchmark.title(t.lang))])]
            title = t("kit_peers_title", benchmark=pc.benchmark.title(t.lang))
            slide = self.deck.slide(title, notes)
            self.deck.chart(
                slide, self.content, "bar", [t.label(r.key) for r in rows],
                [Series(t("legend_org"), [r.score for r in rows], self.firm.primary),
                 Series(t("kit_series_median", group=group),
                        [r.figure.median for r in rows], self.firm.accent)],
                alt, _chart_name(name), font=11)

    # -- advice

    def priorities(self) -> None:
        t, a, m = self.t, self.a, self.m
        keys = a.priorities or a.focus
        if not keys:
            return
        blocks = []
        for n, key in enumerate(keys, 1):
            c = self.cap(key)
            block = [Para(t("kit_priority_line", n=n, label=t.label(key), score=t.num(c.score),
                            ref=self.ref(c)), bold=True, color=self.firm.primary,
                          space_after=0.25)]
            if key in a.priority_notes:   # a consultant's priority: their reason
                block.append(Para(f"{t('priority_note_h')} {a.priority_notes[key]}", indent=18,
                                  space_after=0.2))
            block += [Para(f"– {mp.practice.title(t.lang)}", indent=18, space_after=0.2)
                      for mp in m.capability_practices.get(key, [])[:3]]
            blocks.append(block)
        title = t("kit_priorities") if a.priorities else t("kit_focus")
        self._paged_blocks(title, blocks, [
            t("kit_notes_priorities" if a.priorities else "kit_notes_focus"),
            self.source(figures=[self.cap(k).figure.source for k in keys])])

    def recommendations(self) -> None:
        t, advice = self.t, self.advice
        if not advice.recommendations:
            slide = self.deck.slide(t("kit_recommendations"), [t("plan_none")])
            self.deck.text(slide, self.content, [Para(t("plan_none"))])
            return
        blocks = []
        for r in advice.recommendations:
            blocks.append([
                Para(_numbered_title(r), bold=True, color=self.firm.accent, space_after=0.2),
                Para(r.reason, indent=18, space_after=0.8)])
        library = {rec.id: rec for rec in self.deck.inputs.library}
        sources = [library[r.id].source for r in advice.recommendations if r.id in library]
        self._paged_blocks(t("kit_recommendations"), blocks, [
            t("kit_notes_recommendations"),
            self.source(extra=[t("kit_source_recommendations", sections="; ".join(
                dict.fromkeys(library_source(t, s) for s in sources)))])])

    def _paged_blocks(self, title: str, blocks: list[list[Para]], notes: list[str]) -> None:
        """Blocks of paragraphs over as few slides as fit them at 14 points or more."""
        box = self.content

        def fits(chunk) -> bool:
            return self.deck.measure([p for b in chunk for p in b], box, 20, 14) is not None

        pages = balanced_pages(blocks, fits)
        for number, chunk in enumerate(pages, 1):
            slide = self.deck.slide(_numbered(title, number, len(pages), self.t), notes)
            paras = [p for b in chunk for p in b]
            self.deck.text(slide, box, paras, 20, BODY_SMALLEST, name="Text")

    def roadmap(self) -> None:
        t = self.t
        if not self.plan:
            return
        box = self.content
        gap = _inches(0.2)
        column = (box.width - 2 * gap) // 3
        head = _inches(0.5)

        def cards(rows) -> dict[str, list[Para]]:
            grouped = by_horizon(rows)
            return {h: [p for row in grouped[h] for p in (
                Para(row["initiative"], bold=True, space_after=0.1),
                Para(t("kit_roadmap_owner", owner=row["owner"], number=row["number"])
                     if row["number"] else row["owner"],
                     size=0.85, color=MUTED, space_after=0.7))] for h in grouped}

        body = Box(0, 0, column, box.height - head - _inches(0.1))

        def size_for(rows) -> float | None:
            sizes = [self.deck.measure(paras, body, 16, BODY_SMALLEST) if paras else 16.0
                     for paras in cards(rows).values()]
            fitting = [size for size in sizes if size is not None]
            return min(fitting) if len(fitting) == len(sizes) else None

        pages = balanced_pages(self.plan, lambda chunk: size_for(chunk) is not None)
        owners = sorted({row["owner"] for row in self.plan})
        notes = [t("kit_notes_roadmap", owners=t.join(owners)),
                 self.source(own=False, extra=[t("kit_source_plan")])]
        for number, chunk in enumerate(pages, 1):
            slide = self.deck.slide(_numbered(t("kit_roadmap"), number, len(pages), t), notes)
            size = size_for(chunk) or BODY_SMALLEST
            for i, (horizon, paras) in enumerate(cards(chunk).items()):
                left = box.left + i * (column + gap)
                self.deck.rect(slide, Box(left, box.top, column, head), self.firm.primary,
                               t(f"horizon_{horizon}"), 16, name=f"Horizon {horizon}")
                if paras:
                    self.deck.text(slide, Box(left, box.top + head + _inches(0.1), column,
                                              body.height), paras, size=size,
                                   name=f"Initiatives {horizon}")

    def plan_detail(self) -> None:
        t = self.t
        if not self.plan:
            return
        header = [t("table_initiative"), t("table_owner"), t("table_horizon"),
                  t("table_target")]
        widths = (0.52, 0.18, 0.12, 0.18)
        rows = [[[Para(row["initiative"], bold=True, space_after=0.15),
                  Para(f"{t('plan_first_step')} {row['first_step']}")],
                 row["owner"], row["horizon"], row["goal"]] for row in self.plan]
        box = self.content
        pages = balanced_pages(rows, lambda chunk: self.deck.table_fits(
            header, chunk, box, widths, 13))
        notes = [t("kit_notes_plan"), self.source(own=False, extra=[t("kit_source_plan")])]
        for number, chunk in enumerate(pages, 1):
            slide = self.deck.slide(_numbered(t("kit_action_plan"), number, len(pages), t),
                                    notes)
            size = self.deck.table_size(header, chunk, box, widths, 18) or BODY_SMALLEST
            self.deck.table(slide, box, header, chunk, widths, size, "Action plan")

    def observations(self) -> None:
        t = self.t
        if not self.findings:
            return
        blocks = []
        for text, source in self.findings:
            block = [Para(text, space_after=0.15 if source else 0.8)]
            if source:
                block.append(Para(t("kit_finding_source", source=source), size=0.85,
                                  color=MUTED, space_after=0.8))
            blocks.append(block)
        sources = sorted({s for _, s in self.findings if s})
        notes = [t("kit_notes_findings", firm=self.firm.name or t("kit_the_consultant")),
                 t("kit_source", sources=t.join(sources)) if sources else
                 t("kit_notes_findings_nosource")]
        self._paged_blocks(t("kit_findings"), blocks, notes)

    def about(self) -> None:
        t, a = self.t, self.a
        org, bench = a.org, a.benchmark
        paras = [Para(t("back_how_h"), bold=True, color=self.firm.primary),
                 Para(t("kit_back_how", name=org.name, benchmark=bench.title(t.lang),
                        n=bench.organisations, date=t.date(org.profile.assessed),
                        tol=t.num(a.tolerance))
                      + (" " + t("back_reviewed") if self.advice.review else "")),
                 Para(t("back_disclaimer_h"), bold=True, color=self.firm.primary),
                 Para(self.firm.disclaimer or t("back_disclaimer"))]
        contact = [Para(self.firm.name, bold=True, size=1.2)] if self.firm.name else []
        if self.firm.contact:
            contact.append(Para(self.firm.contact))
        notes = [t("kit_notes_about"), self.source(benchmark=True)]
        slide = self.deck.slide(t("kit_about"), notes)
        text_box = self.content.part(width=0.62) if contact else self.content
        self.deck.text(slide, text_box, paras, 18, 11, name="About")
        if contact:
            side = self.content.part(left=0.66, width=0.34)
            self.deck.rect(slide, side, _pale(), name="Panel")
            logo_h = 0
            if self.firm.logo and self.deck.design.builtin:
                logo_h = _inches(1.1)
                self.deck.picture(slide, Box(side.left + _inches(0.2), side.top + _inches(0.2),
                                             side.width - _inches(0.4), logo_h),
                                  _logo_png(self.firm.logo),
                                  t("logo_alt", name=self.firm.name or ""), "Logo")
            self.deck.text(slide, Box(side.left + _inches(0.1), side.top + logo_h
                                      + _inches(0.3), side.width - _inches(0.2),
                                      side.height - logo_h - _inches(0.4)),
                           contact, 18, 11, name="Contact")


# --------------------------------------------------------------------------- helpers


def _numbered_title(r) -> str:
    """``4. Ge plats för innovation …``, or the title alone for a consultant's own."""
    return f"{r.number}. {r.title}" if r.number else r.title


def _numbered(title: str, number: int, total: int, t: Texts) -> str:
    """A title continued over more slides: "Rekommendationer (2 av 3)"."""
    return title if total == 1 else t("kit_continued", title=title, n=number, total=total)


def _chart_name(name: str) -> str:
    from .charts import chart_file_name

    return chart_file_name(name)


def _pale() -> str:
    from ..brand import PALE

    return PALE


# The logo as briefgen.logo rebuilt it: every font-family an attribute in double quotes.
_FONT_FAMILY = re.compile(r'font-family="([^"]*)"')


def _logo_png(uri: str) -> bytes:
    """The firm's logo (a ``data:`` URI) as PNG bytes; an SVG logo is rasterised."""
    header, data = uri.split(",", 1)
    raw = base64.b64decode(data)
    if header.startswith("data:image/svg"):
        from .charts import svg_to_png

        # resvg draws no text in a font it was not given (only the shipped ones are): a name
        # set in Arial would vanish. Like a browser, fall back to the sans-serif, Lato.
        svg = _FONT_FAMILY.sub(r'font-family="\1, sans-serif"', raw.decode("utf-8"))
        return svg_to_png(svg, 900, background=None)
    return raw


__all__ = ["pptx_bytes", "DeckBuilder", "Series"]
