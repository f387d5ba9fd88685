"""The chart files (``--format charts``): every chart as SVG and PNG, titled and sourced.

Each file is named by what it shows (``capabilities-radar``, ``capability-digital-leadership``)
and carries a title over the chart and a source line under it, so that a chart pasted into a
report or an e-mail still says what it is and where its figures come from. The SVG's
``<title>`` and ``<desc>`` carry the title and the alternative text. PNGs are drawn by resvg with
the shipped fonts only: the same pixels on every machine.
"""

from __future__ import annotations

import re
from functools import cache
from xml.sax.saxutils import escape

from .. import resources
from ..brand import INK, MUTED, WHITE
from ..charts import FONT, Chart, register_fonts, wrap
from .common import KitInputs, source_line

PNG_WIDTH = 2000                   # pixels: sharp on a slide and in a printed report
TITLE_SIZE, SOURCE_SIZE, PAD = 11.0, 7.5, 12.0
# What each chart shows, for its file name (gauges, peers: see chart_file_name).
CHART_NAMES = {"radar": "capabilities-radar", "effects": "effect-areas",
               "impact": "expected-impact", "maturity": "maturity-phase",
               "importance": "digital-agenda-importance", "spread": "survey-spread",
               "progress": "progress-over-time"}


def chart_file_name(name: str) -> str:
    """A chart's file name (no suffix) by what it shows, e.g. ``capability-digital-leadership``."""
    if name.startswith("gauge-"):
        return "capability-" + name.removeprefix("gauge-").replace("_", "-")
    if name.startswith("peers-"):
        return "peer-groups-" + name.removeprefix("peers-")
    return CHART_NAMES.get(name, name).replace("_", "-")


@cache
def _font_files() -> tuple[str, ...]:
    return tuple(str(p) for p in sorted(resources.fonts_dir().glob("*.ttf")))


def svg_to_png(svg: str, width: int = PNG_WIDTH, background: str | None = WHITE) -> bytes:
    """Rasterise an SVG with the shipped fonts only (the same pixels on every machine);
    ``background`` None: transparent (a logo on a coloured panel)."""
    import resvg_py

    data = resvg_py.svg_to_bytes(svg_string=svg, width=width, background=background,
                                 skip_system_fonts=True, font_files=list(_font_files()),
                                 font_family="Lato", sans_serif_family="Lato")
    return bytes(data)


def chart_title(name: str, inputs: KitInputs) -> str:
    """What a chart shows, as its file's title."""
    t = inputs.texts
    if name.startswith("gauge-"):
        return t("kit_chart_gauge", label=t.label(name.removeprefix("gauge-")))
    if name.startswith("peers-"):
        bench = next((pc.benchmark for pc in inputs.peers
                      if pc.benchmark.id == name.removeprefix("peers-")), None)
        return t("kit_peers_title", benchmark=bench.title(t.lang) if bench else
                 name.removeprefix("peers-"))
    return t(f"kit_chart_{name}")


def chart_source(name: str, inputs: KitInputs) -> str:
    """Where a chart's figures come from, as its file's source line."""
    a, t = inputs.analysis, inputs.texts
    bench = a.benchmark
    if name == "radar":
        return source_line(inputs, figures=[c.figure.source for c in a.capabilities])
    if name.startswith("gauge-"):
        return source_line(inputs, figures=[a.capability(name.removeprefix("gauge-"))
                                            .figure.source])
    if name == "effects":
        return source_line(inputs, figures=[e.figure.source for e in a.effects])
    if name == "maturity":
        return source_line(inputs, figures=[f.source for f in bench.overall.phases.values()])
    if name == "importance":
        return source_line(inputs, figures=[f.source for f in
                                            bench.overall.importance.values()])
    if name == "progress" and inputs.progress is not None:
        return source_line(inputs, extra=[t("kit_source_earlier", date=t.date(
            inputs.progress.previous.profile.assessed))])
    if name.startswith("peers-"):
        bench_id = name.removeprefix("peers-")
        built = next((pc.benchmark for pc in inputs.peers if pc.benchmark.id == bench_id), None)
        return source_line(inputs, extra=[t("cite_built", name=built.title(t.lang) if built
                                            else bench_id)])
    return source_line(inputs)


_PROLOGUE = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)


def titled_svg(chart: Chart, title: str, source: str) -> str:
    """The chart's SVG with ``title`` above it and ``source`` below, as one SVG document."""
    register_fonts()
    width = chart.width
    title_lines = wrap(title, width - 2 * PAD, TITLE_SIZE, bold=True)
    source_lines = wrap(source, width - 2 * PAD, SOURCE_SIZE)
    top = PAD + TITLE_SIZE * 1.3 * len(title_lines) + 4
    bottom = 6 + SOURCE_SIZE * 1.35 * len(source_lines) + PAD
    height = top + chart.height + bottom
    inner = _PROLOGUE.sub("", chart.svg)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
             f'viewBox="0 0 {width:g} {height:g}" role="img">',
             f"<title>{escape(title)}</title><desc>{escape(chart.alt)}</desc>",
             f'<rect width="{width:g}" height="{height:g}" fill="{WHITE}"/>']
    for i, line in enumerate(title_lines):
        y = PAD + TITLE_SIZE * (1 + 1.3 * i)
        parts.append(f'<text x="{PAD:g}" y="{y:g}" font-family="{FONT}" font-weight="bold" '
                     f'font-size="{TITLE_SIZE:g}" fill="{INK}">{escape(line)}</text>')
    parts.append(f'<g transform="translate(0 {top:g})">{inner}</g>')
    for i, line in enumerate(source_lines):
        y = top + chart.height + 6 + SOURCE_SIZE * (1 + 1.35 * i)
        parts.append(f'<text x="{PAD:g}" y="{y:g}" font-family="{FONT}" '
                     f'font-size="{SOURCE_SIZE:g}" fill="{MUTED}">{escape(line)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def chart_files(inputs: KitInputs) -> dict[str, bytes]:
    """Every chart as ``NAME.svg`` and ``NAME.png``, by file name, each titled and sourced."""
    files: dict[str, bytes] = {}
    for name, chart in inputs.charts.items():
        stem = chart_file_name(name)
        svg = titled_svg(chart, chart_title(name, inputs), chart_source(name, inputs))
        files[f"{stem}.svg"] = svg.encode("utf-8")
        files[f"{stem}.png"] = svg_to_png(svg)
    return files
