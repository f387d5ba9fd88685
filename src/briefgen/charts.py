"""Draw the briefing's charts as SVG with ReportLab's graphics, each with alternative text.

Every chart is readable in greyscale: the organisation is a solid dark shape, the benchmark a
hollow, dashed or outlined one, and every value that matters is also written as text.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib.colors import Color, HexColor, white
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from . import brand, resources
from .analyse import Analysis
from .models import SCALE_MAX, SCALE_MIN
from .texts import Texts

INK = HexColor(brand.INK)        # text
MUTED = HexColor(brand.MUTED)    # secondary text, 6.4:1 on white
ORG = HexColor(brand.PRIMARY)    # the organisation
ORG_FILL = Color(ORG.red, ORG.green, ORG.blue, alpha=0.22)
BENCH = HexColor(brand.ACCENT)   # the benchmark, 5.6:1 on white
GRID = HexColor("#C9D1D9")
PALE = HexColor(brand.PALE)
FONT, BOLD = "Lato", "Lato-Bold"
SCALE_STEPS = range(int(SCALE_MIN), int(SCALE_MAX) + 1)   # the ticks: 1, 2, 3, 4, 5


def scale_length(length: float, value: float) -> float:
    """How far along ``length`` a score of ``value`` lies (the bottom of the scale: 0)."""
    return length * (value - SCALE_MIN) / (SCALE_MAX - SCALE_MIN)


def scale_x(x0: float, x1: float, value: float) -> float:
    """Where a score of ``value`` lies on an axis from ``x0`` (bottom) to ``x1`` (top)."""
    return x0 + scale_length(x1 - x0, value)


@contextmanager
def colours(primary: str | None = None, accent: str | None = None) -> Iterator[None]:
    """Draw the charts inside this block in a firm's colours (#RRGGBB; None: the shipped ones).

    The organisation's series takes ``primary``, the benchmark's ``accent``. Every chart
    function reads the module's colours when it draws, so one switch here serves the
    briefing's, the peers' and the overview's charts alike.
    """
    global ORG, ORG_FILL, BENCH
    saved = ORG, ORG_FILL, BENCH
    if primary:
        org = HexColor(primary)
        ORG, ORG_FILL = org, Color(org.red, org.green, org.blue, alpha=0.22)
    if accent:
        BENCH = HexColor(accent)
    try:
        yield
    finally:
        ORG, ORG_FILL, BENCH = saved


@cache
def register_fonts() -> None:
    """Register the shipped fonts with ReportLab so text is measured as it will be drawn."""
    fonts = resources.fonts_dir()
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "Lato-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(fonts / "Lato-Bold.ttf")))


@dataclass(frozen=True)
class Chart:
    name: str
    svg: str
    alt: str
    width: float               # points
    height: float


def _hex(color: Color) -> str:
    return "#" + "".join(f"{round(c * 255):02X}" for c in (color.red, color.green, color.blue))


def _exact_svg_colours(canvas: Any) -> None:  # ReportLab's class, patched in place
    """Make ReportLab's SVG canvas write colours as #RRGGBB.

    It writes whole percentages, truncated (#0B5D4B comes out as #0A5C4A): a firm's colour
    must come out as given, in the briefing and in the chart files alike.
    """
    fill, stroke = canvas.setFillColor, canvas.setStrokeColor

    def set_fill(self, color) -> None:
        fill(self, color)
        if color is not None:
            self.style["fill"] = _hex(color)

    def set_stroke(self, color) -> None:
        stroke(self, color)
        if color is not None:
            self.style["stroke"] = _hex(color)

    canvas.setFillColor, canvas.setStrokeColor = set_fill, set_stroke


_exact_svg_colours(renderSVG.SVGCanvas)


# The drawing helpers below are public: the portfolio overview (briefgen.batch.overview) draws
# with them, so that its charts look like the briefing's.


def to_svg(drawing: Drawing) -> str:
    text = renderSVG.drawToString(drawing)
    # ReportLab writes placeholder <title>/<desc>; the alt text lives on the <img> instead.
    text = text.replace("\t<title>...</title>\n", "").replace("\t<desc>...</desc>\n", "")
    # One family name for the regular and bold faces, so the briefing's @font-face serves both.
    return text.replace(f"font-family: {BOLD};", f"font-family: {FONT}; font-weight: bold;")


def text(x: float, y: float, text: str, size: float = 8.5, anchor: str = "start",
          bold: bool = False, color=INK) -> String:
    return String(x, y, text, fontName=BOLD if bold else FONT, fontSize=size,
                  textAnchor=anchor, fillColor=color)


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    font = BOLD if bold else FONT
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if pdfmetrics.stringWidth(trial, font, size) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    return lines + ([line] if line else [])


def diamond(x: float, y: float, r: float, **kw) -> Polygon:
    return Polygon([x, y + r, x + r, y, x, y - r, x - r, y], **kw)


# --------------------------------------------------------------------------- radar


def radar(analysis: Analysis, t: Texts) -> Chart:
    """The seven capabilities against the benchmark on a 1-5 radar."""
    register_fonts()
    w, h = 480, 330
    cx, cy, radius = w / 2, h / 2 - 8, 112
    d = Drawing(w, h)
    caps = analysis.capabilities
    n = len(caps)

    def point(i: int, value: float) -> tuple[float, float]:
        angle = math.pi / 2 - 2 * math.pi * i / n
        r = scale_length(radius, value) if value > SCALE_MIN else 0
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    for level in SCALE_STEPS:
        ring = [c for i in range(n) for c in point(i, level)]
        if level > SCALE_MIN:
            d.add(Polygon(ring, strokeColor=GRID, strokeWidth=0.6, fillColor=None))
        x, y = point(0, level)
        d.add(text(x + 3, y + 1, t.num(level, 0), 6.5, color=MUTED))
    for i, cap in enumerate(caps):
        x, y = point(i, SCALE_MAX)
        dashed = [3, 3] if not cap.reported else None
        d.add(Line(cx, cy, x, y, strokeColor=MUTED if dashed else GRID, strokeWidth=0.9,
                   strokeDashArray=dashed))

    org_points = [c for i, cap in enumerate(caps) for c in point(i, cap.score)]
    d.add(Polygon(org_points, strokeColor=ORG, strokeWidth=1.8, fillColor=ORG_FILL))
    for i, cap in enumerate(caps):
        x, y = point(i, cap.score)
        d.add(Circle(x, y, 2.6, fillColor=ORG, strokeColor=white, strokeWidth=0.5))
        if cap.benchmark is not None:
            bx, by = point(i, cap.benchmark)
            d.add(diamond(bx, by, 3.6, fillColor=white, strokeColor=BENCH, strokeWidth=1.4))

    for i, cap in enumerate(caps):
        angle = math.pi / 2 - 2 * math.pi * i / n
        x, y = point(i, SCALE_MAX)
        x += 10 * math.cos(angle)
        y += 10 * math.sin(angle)
        anchor = "middle" if abs(math.cos(angle)) < 0.2 else (
            "start" if math.cos(angle) > 0 else "end")
        title = t.label(cap.key)
        value = f"{t.num(cap.score)} / " + (t.num(cap.benchmark) if cap.reported
                                            else t("not_reported_short"))
        lines = wrap(title, 120, 8.5, bold=True)
        if y < cy:
            y -= 9 * len(lines)
        for j, line in enumerate(lines):
            d.add(text(x, y + 9 * (len(lines) - j), line, 8.5, anchor, bold=True))
        d.add(text(x, y, value, 8, anchor, color=MUTED))

    _legend(d, 8, h - 14, [("org", t("legend_org")), ("bench", t("legend_bench")),
                           ("missing", t("legend_missing"))])
    parts = [t("alt_radar_item", label=t.label(c.key), score=t.num(c.score),
               benchmark=t.num(c.benchmark) if c.reported else t("not_reported"))
             for c in caps]
    alt = t("alt_radar", items="; ".join(parts))
    return Chart("radar", to_svg(d), alt, w, h)


def _legend(d: Drawing, x: float, y: float, items: list[tuple[str, str]]) -> None:
    for kind, label in items:
        if kind == "org":
            d.add(Rect(x, y - 3, 14, 8, fillColor=ORG_FILL, strokeColor=ORG, strokeWidth=1.4))
        elif kind == "bar":
            d.add(Rect(x, y - 3, 14, 8, fillColor=ORG, strokeColor=None))
        elif kind == "bench":
            d.add(diamond(x + 7, y + 1, 3.6, fillColor=white, strokeColor=BENCH,
                           strokeWidth=1.4))
        elif kind == "tick":
            d.add(Line(x + 7, y - 4, x + 7, y + 6, strokeColor=BENCH, strokeWidth=2))
        else:
            d.add(Line(x, y + 1, x + 16, y + 1, strokeColor=MUTED, strokeWidth=0.9,
                       strokeDashArray=[3, 3]))
        d.add(text(x + 19, y - 2, label, 8))
        x += 19 + pdfmetrics.stringWidth(label, FONT, 8) + 16


# --------------------------------------------------------------------------- bars


def scale_axis(d: Drawing, x0: float, x1: float, y_top: float, y_bottom: float,
                t: Texts) -> None:
    for v in SCALE_STEPS:
        x = scale_x(x0, x1, v)
        d.add(Line(x, y_bottom, x, y_top, strokeColor=GRID, strokeWidth=0.5))
        d.add(text(x, y_bottom - 10, t.num(v, 0), 7, "middle", color=MUTED))


def effects(analysis: Analysis, t: Texts) -> Chart:
    """The four effect areas as bars, with the benchmark as a marker on each."""
    register_fonts()
    rows = analysis.effects
    w, row_h, top, label_w = 480, 34, 26, 170
    h = top + row_h * len(rows) + 22
    x0, x1 = label_w + 10, w - 40
    d = Drawing(w, h)
    scale_axis(d, x0, x1, h - top + 6, 18, t)
    for i, eff in enumerate(rows):
        y = h - top - row_h * (i + 1) + 10
        for j, line in enumerate(wrap(t.label(eff.key), label_w, 8.5, bold=True)[:2]):
            d.add(text(label_w, y + 12 - 10 * j, line, 8.5, "end", bold=True))
        bar = scale_length(x1 - x0, eff.score)
        d.add(Rect(x0, y, max(bar, 1.5), 14, fillColor=ORG, strokeColor=None))
        if bar > 30:  # inside the bar's end, clear of the benchmark marker
            d.add(text(x0 + bar - 4, y + 3.5, t.num(eff.score), 8, "end", bold=True,
                        color=white))
        else:
            d.add(text(x0 + max(bar, 1.5) + 4, y + 3.5, t.num(eff.score), 8, bold=True))
        if eff.benchmark is not None:
            bx = scale_x(x0, x1, eff.benchmark)
            d.add(Line(bx, y - 4, bx, y + 18, strokeColor=BENCH, strokeWidth=2.2))
            label = f"{t('study_short')} {t.num(eff.benchmark)}"
            width = pdfmetrics.stringWidth(label, FONT, 7)
            # A white ground keeps the label clear of the grid lines it may cross.
            d.add(Rect(bx - width / 2 - 1.5, y - 14, width + 3, 9, fillColor=white,
                       strokeColor=None))
            d.add(text(bx, y - 12, label, 7, "middle", color=BENCH))
    _legend(d, x0, h - 12, [("bar", t("legend_org")), ("tick", t("legend_bench"))])
    parts = [t("alt_bar_item", label=t.label(e.key), score=t.num(e.score),
               benchmark=t.num(e.benchmark)) for e in rows]
    return Chart("effects", to_svg(d), t("alt_effects", items="; ".join(parts)), w, h)


def impact(analysis: Analysis, t: Texts) -> Chart:
    """Where the organisation expects the largest impact (the study printed no figures)."""
    register_fonts()
    impacts = analysis.org.profile.impact
    w, row_h, top, label_w = 480, 28, 10, 170
    h = top + row_h * len(impacts) + 22
    x0, x1 = label_w + 10, w - 40
    d = Drawing(w, h)
    scale_axis(d, x0, x1, h - top, 18, t)
    for i, choice in enumerate(t.framework.impacts):
        value = impacts[choice.key]
        y = h - top - row_h * (i + 1) + 8
        for j, line in enumerate(wrap(choice.label(t.lang), label_w, 8.5, bold=True)[:2]):
            d.add(text(label_w, y + 10 - 10 * j, line, 8.5, "end", bold=True))
        bar = scale_length(x1 - x0, value)
        d.add(Rect(x0, y, max(bar, 1.5), 12, fillColor=ORG, strokeColor=None))
        d.add(text(x0 + max(bar, 1.5) + 4, y + 2.5, t.num(value), 8, bold=True))
    parts = [t("alt_impact_item", label=c.label(t.lang), score=t.num(impacts[c.key]))
             for c in t.framework.impacts]
    return Chart("impact", to_svg(d), t("alt_impact", items="; ".join(parts)), w, h)


# --------------------------------------------------------------------------- distributions


def _columns(name: str, keys: list[str], counts: dict[str, int | None], mine: str,
             total: int, t: Texts, alt_key: str, curve: bool, marker: str) -> Chart:
    register_fonts()
    w, h = 480, 190
    base, top = 44, 24
    n = len(keys)
    slot = (w - 20) / n
    d = Drawing(w, h)
    if curve:  # the maturity curve: a rising line behind the columns
        pts = []
        for k in range(41):
            x = 10 + (w - 20) * k / 40
            s = 1 / (1 + math.exp(-(k / 40 - 0.55) * 9))
            pts += [x, base + 10 + (h - base - top - 10) * s]
        for k in range(0, len(pts) - 2, 2):
            d.add(Line(pts[k], pts[k + 1], pts[k + 2], pts[k + 3], strokeColor=GRID,
                       strokeWidth=2))
    known = [c for c in counts.values() if c is not None]
    peak = max(known + [1])
    for i, key in enumerate(keys):
        x = 10 + slot * i + slot * 0.22
        bw = slot * 0.56
        count = counts.get(key)
        height = 0 if not count else (h - base - top - 18) * count / peak
        is_mine = key == mine
        if is_mine:
            d.add(Rect(10 + slot * i + 3, base - 38, slot - 6, h - base + 38 - 4,
                       fillColor=PALE, strokeColor=ORG, strokeWidth=1.2, strokeDashArray=[3, 2]))
            d.add(text(x + bw / 2, h - 14, t(marker), 8, "middle", bold=True,
                        color=ORG))
        d.add(Rect(x, base, bw, max(height, 0.8), fillColor=BENCH if height else MUTED,
                   strokeColor=None))
        label = (t("of_total", count=t.integer(count), total=t.integer(total))
                 if count is not None else t("not_reported"))
        d.add(text(x + bw / 2, base + height + 4, label, 8, "middle", color=INK))
        for j, line in enumerate(wrap(t.label(key), slot - 8, 8.5, bold=is_mine)[:2]):
            d.add(text(x + bw / 2, base - 13 - 10 * j, line, 8.5, "middle", bold=is_mine))
    d.add(Line(10, base, w - 10, base, strokeColor=MUTED, strokeWidth=0.8))
    parts = [t("alt_count_item", label=t.label(k), count=t.integer(counts.get(k)),
               total=t.integer(total)) for k in keys]
    alt = t(alt_key, items="; ".join(parts), mine=t.label(mine))
    return Chart(name, to_svg(d), alt, w, h)


def maturity(analysis: Analysis, t: Texts) -> Chart:
    keys = [p.key for p in t.framework.phases]
    counts = {k: c.count for k, c in analysis.benchmark.overall.phases.items()}
    return _columns("maturity", keys, counts, analysis.maturity.phase,
                    analysis.benchmark.organisations, t, "alt_maturity", curve=True,
                    marker="you_are_here")


def importance(analysis: Analysis, t: Texts) -> Chart:
    keys = [c.key for c in t.framework.importance_levels]
    counts = {k: c.count for k, c in analysis.benchmark.overall.importance.items()}
    return _columns("importance", keys, counts, analysis.org.profile.importance,
                    analysis.benchmark.organisations, t, "alt_importance", curve=False,
                    marker="you_are_here_importance")


# --------------------------------------------------------------------------- gauge


def gauge(key: str, score: float, benchmark: float | None, t: Texts) -> Chart:
    """A 1-5 strip with the score and the benchmark, for a capability's own section."""
    register_fonts()
    w, h = 236, 46
    x0, x1, y = 12, w - 12, 22
    d = Drawing(w, h)
    d.add(Rect(x0, y - 3, x1 - x0, 6, fillColor=PALE, strokeColor=None))
    for v in SCALE_STEPS:
        x = scale_x(x0, x1, v)
        d.add(Line(x, y - 5, x, y + 5, strokeColor=GRID, strokeWidth=0.8))
        d.add(text(x, 4, t.num(v, 0), 7, "middle", color=MUTED))
    sx = scale_x(x0, x1, score)
    d.add(Rect(x0, y - 3, sx - x0, 6, fillColor=ORG, strokeColor=None))
    d.add(Circle(sx, y, 5, fillColor=ORG, strokeColor=white, strokeWidth=1))
    d.add(text(sx, y + 10, t.num(score), 8.5, "middle", bold=True, color=ORG))
    if benchmark is not None:
        bx = scale_x(x0, x1, benchmark)
        d.add(diamond(bx, y, 4.5, fillColor=white, strokeColor=BENCH, strokeWidth=1.6))
        if abs(bx - sx) < 24:
            d.add(text(bx, y - 17, t.num(benchmark), 8, "middle", color=BENCH))
        else:
            d.add(text(bx, y + 10, t.num(benchmark), 8, "middle", color=BENCH))
    alt = t("alt_gauge", label=t.label(key), score=t.num(score),
            benchmark=t.num(benchmark) if benchmark is not None else t("not_reported"))
    return Chart(f"gauge-{key}", to_svg(d), alt, w, h)


def draw_all(analysis: Analysis, t: Texts) -> dict[str, Chart]:
    """Every chart of one briefing, by name."""
    charts = [radar(analysis, t), effects(analysis, t), impact(analysis, t),
              maturity(analysis, t), importance(analysis, t)]
    charts += [gauge(c.key, c.score, c.benchmark, t) for c in analysis.capabilities]
    return {c.name: c for c in charts}


# ------------------------------------------------------------- surveys, peers, progress
# (issue 5: charts for survey spread, peer groups of a built benchmark and progress over time)


def _row_labels(d: Drawing, label: str, x: float, y: float, width: float) -> None:
    lines = wrap(label, width, 8, bold=True)
    for j, line in enumerate(lines[:2]):
        d.add(text(x, y + 4 - 9 * j + (4 if len(lines) > 1 else 0), line, 8, "end", bold=True))


def spread(rows: list[tuple[str, dict[str, float]]], t: Texts, title: str,
           threshold: float = 2.0) -> Chart:
    """Per question the range of the respondents' answers (bar) and their mean (dot)."""
    register_fonts()
    w, row_h, top, label_w = 480, 21, 30, 190
    h = top + row_h * len(rows) + 24
    x0, x1 = label_w + 10, w - 62
    d = Drawing(w, h)
    d.add(text(0, h - 10, title, 8.5, bold=True))
    scale_axis(d, x0, x1, h - top + 4, 18, t)
    for i, (label, s) in enumerate(rows):
        y = h - top - row_h * (i + 1) + 8
        _row_labels(d, label, label_w, y, label_w)
        lo, hi = scale_x(x0, x1, s["min"]), scale_x(x0, x1, s["max"])
        wide = s["max"] - s["min"] >= threshold - 1e-9
        d.add(Rect(lo, y, max(hi - lo, 1.5), 8, fillColor=ORG_FILL,
                   strokeColor=BENCH if wide else ORG, strokeWidth=1.4 if wide else 0.8))
        d.add(Circle(scale_x(x0, x1, s["mean"]), y + 4, 3.2, fillColor=ORG,
                     strokeColor=white, strokeWidth=0.6))
        d.add(text(x1 + 8, y + 1, t("spread_chart_range", range=t.num(s["max"] - s["min"]),
                                     n=int(s["n"])), 7.5, bold=wide,
                    color=BENCH if wide else MUTED))
    parts = [t("alt_spread_item", label=label, min=t.num(s["min"]), max=t.num(s["max"]),
               mean=t.num(s["mean"]), n=int(s["n"])) for label, s in rows]
    return Chart("spread", to_svg(d), t("alt_spread", title=title, items="; ".join(parts)), w, h)


def _row_chart(title: str, rows: list, split: int, row_h: float, right: float, t: Texts):
    """A titled 1-5 chart with one row per item, a rule between capabilities and effect areas.

    Returns the drawing, the scale's ends and each row's baseline, with its labels drawn.
    """
    w, top, label_w = 480, 44, 170
    h = top + row_h * len(rows) + 24
    x0, x1 = label_w + 10, w - right
    d = Drawing(w, h)
    d.add(text(0, h - 10, title, 8.5, bold=True))
    scale_axis(d, x0, x1, h - top + 4, 18, t)
    baselines = []
    for i, (label, _) in enumerate(rows):
        y = h - top - row_h * (i + 1) + 8 - (6 if i >= split else 0)
        if i == split:
            d.add(Line(x0 - 170, y + row_h - 3, x1, y + row_h - 3, strokeColor=GRID,
                       strokeWidth=0.6))
        _row_labels(d, label, label_w, y, label_w)
        baselines.append(y)
    return d, x0, x1, h, baselines


def peers(comparison, t: Texts, title: str) -> Chart:
    """Per capability and effect area the peer group's middle half (box), median and your score."""
    register_fonts()
    rows = [(t.label(r.key), r) for r in comparison.capabilities + comparison.effects]
    d, x0, x1, h, baselines = _row_chart(title, rows, len(comparison.capabilities), 19, 30, t)
    for (_, r), y in zip(rows, baselines, strict=True):
        f = r.figure
        if f.q1 is not None and f.q3 is not None:
            q1, q3 = scale_x(x0, x1, f.q1), scale_x(x0, x1, f.q3)
            d.add(Rect(q1, y, max(q3 - q1, 1.5), 9, fillColor=PALE, strokeColor=BENCH,
                       strokeWidth=0.9))
        if f.median is not None:
            mx = scale_x(x0, x1, f.median)
            d.add(Line(mx, y - 2, mx, y + 11, strokeColor=BENCH, strokeWidth=2))
        d.add(Circle(scale_x(x0, x1, r.score), y + 4.5, 3.4, fillColor=ORG,
                     strokeColor=white, strokeWidth=0.6))
    lx = x0
    d.add(Circle(lx + 4, h - 25, 3.2, fillColor=ORG, strokeColor=white))
    d.add(text(lx + 11, h - 28, t("legend_org"), 7.5))
    lx += 18 + pdfmetrics.stringWidth(t("legend_org"), FONT, 7.5)
    d.add(Rect(lx, h - 29, 14, 8, fillColor=PALE, strokeColor=BENCH, strokeWidth=0.9))
    d.add(text(lx + 18, h - 28, t("legend_quartiles"), 7.5))
    lx += 26 + pdfmetrics.stringWidth(t("legend_quartiles"), FONT, 7.5)
    d.add(Line(lx + 4, h - 31, lx + 4, h - 19, strokeColor=BENCH, strokeWidth=2))
    d.add(text(lx + 10, h - 28, t("legend_median"), 7.5))
    parts = [t("alt_peers_item", label=label, score=t.num(r.score), median=t.num(r.figure.median),
               q1=t.num(r.figure.q1), q3=t.num(r.figure.q3)) for label, r in rows]
    return Chart("peers", to_svg(d), t("alt_peers", title=title, items="; ".join(parts)),
                 d.width, h)


def progress(prog, t: Texts, title: str) -> Chart:
    """Per capability and effect area: the earlier score (ring), the current one (dot)."""
    register_fonts()
    rows = [(t.label(c.key), c) for c in prog.capabilities + prog.effects]
    d, x0, x1, h, baselines = _row_chart(title, rows, len(prog.capabilities), 21, 50, t)
    w = d.width
    for (_, c), y in zip(rows, baselines, strict=True):
        bx, nx = scale_x(x0, x1, c.before), scale_x(x0, x1, c.now)
        d.add(Line(bx, y + 4, nx, y + 4, strokeColor=ORG, strokeWidth=2.2))
        d.add(Circle(bx, y + 4, 3.4, fillColor=white, strokeColor=MUTED, strokeWidth=1.3))
        d.add(Circle(nx, y + 4, 3.6, fillColor=ORG, strokeColor=white, strokeWidth=0.6))
        change = c.change
        d.add(text(w - 4, y + 1, t.signed(change), 8.5, "end", bold=True,
                    color=ORG if change > 0 else (BENCH if change < 0 else MUTED)))
    lx = x0
    d.add(Circle(lx + 4, h - 25, 3.2, fillColor=white, strokeColor=MUTED, strokeWidth=1.3))
    label_before = t("legend_before", date=t.date(prog.previous.profile.assessed))
    d.add(text(lx + 11, h - 28, label_before, 7.5))
    lx += 24 + pdfmetrics.stringWidth(label_before, FONT, 7.5)
    d.add(Circle(lx + 4, h - 25, 3.4, fillColor=ORG, strokeColor=white))
    label_now = t("legend_now", date=t.date(prog.current.profile.assessed))
    d.add(text(lx + 11, h - 28, label_now, 7.5))
    parts = [t("alt_progress_item", label=label, before=t.num(c.before), now=t.num(c.now),
               change=t.signed(c.change)) for label, c in rows]
    return Chart("progress", to_svg(d), t("alt_progress", title=title, items="; ".join(parts)),
                 w, h)
