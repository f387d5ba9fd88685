"""The portfolio overview: one PDF comparing every organisation of a batch.

A table of every score, the spread of the portfolio per capability and effect area against the
benchmark, and how many organisations stand in each phase of the maturity curve. The charts are
drawn like the briefing's (:mod:`briefgen.charts`: same palette, fonts and greyscale rules).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from reportlab.graphics.shapes import Circle, Drawing, Line, Rect
from reportlab.lib.colors import Color, white
from reportlab.pdfbase import pdfmetrics

from .. import __version__
from .. import charts as palette  # ORG and BENCH: the firm's colours inside palette.colours()
from ..analyse import Analysis, analyse
from ..brand import brand_context
from ..charts import (
    FONT,
    GRID,
    INK,
    MUTED,
    PALE,
    Chart,
    diamond,
    register_fonts,
    scale_axis,
    scale_x,
    text,
    to_svg,
    wrap,
)
from ..errors import BriefgenError, InputError, RenderError
from ..load import load_benchmark, load_data
from ..models import Benchmark, Framework, Org
from ..options import Options
from ..output import PdfMeta, creation_time, pdf_name, stable_identifier, write_atomic
from ..render import Renderer
from ..texts import Texts
from .manifest import MANIFEST_JSON
from .sources import source_orgs

log = logging.getLogger(__name__)

DOT = Color(0x1F / 255, 0x4E / 255, 0x79 / 255, alpha=0.6)


def overview_name(lang: str) -> str:
    return pdf_name("overview", lang)


@dataclass(frozen=True)
class Spread:
    """The portfolio's distribution on one capability or effect area."""

    key: str
    scores: list[float]
    median: float
    q1: float
    q3: float
    benchmark: float | None
    below: int                    # organisations below the benchmark


def spread(key: str, scores: list[float], benchmark: float | None) -> Spread:
    ordered = sorted(scores)
    if len(ordered) > 1:
        q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = median = q3 = ordered[0]
    below = sum(1 for s in ordered if benchmark is not None and s < benchmark)
    return Spread(key, ordered, median, q1, q3, benchmark, below)


def portfolio(analyses: list[Analysis], benchmark: Benchmark, fw: Framework
              ) -> tuple[list[Spread], list[Spread], dict[str, int]]:
    """The spread of every capability and effect area, and how many stand in each phase."""
    caps = [spread(k, [a.capability(k).score for a in analyses], benchmark.capability(k).mean)
            for k in fw.capability_keys]
    effects = [spread(k, [a.effect(k).score for a in analyses], benchmark.effect(k).mean)
               for k in fw.effect_keys]
    counts = {p.key: 0 for p in fw.phases}
    for a in analyses:
        counts[a.maturity.phase] = counts.get(a.maturity.phase, 0) + 1
    return caps, effects, counts


# --------------------------------------------------------------------------- charts


def spread_chart(name: str, rows: list[Spread], t: Texts) -> Chart:
    """A strip per capability: every organisation as a dot, the middle half as a box."""
    register_fonts()
    w, row_h, top, label_w = 720, 32, 34, 190
    h = top + row_h * len(rows) + 24
    x0, x1 = label_w + 14, w - 110
    d = Drawing(w, h)

    def x(v: float) -> float:
        return scale_x(x0, x1, v)

    scale_axis(d, x0, x1, h - top + 4, 18, t)
    for i, row in enumerate(rows):
        y = h - top - row_h * (i + 1) + row_h / 2
        lines = wrap(t.label(row.key), label_w, 8.5, bold=True)[:2]
        for j, line in enumerate(lines):  # centred on the strip
            d.add(text(label_w, y - 3 + 5 * (len(lines) - 1) - 10 * j, line, 8.5, "end",
                        bold=True))
        d.add(Rect(x(row.q1), y - 9, max(x(row.q3) - x(row.q1), 1.5), 18, fillColor=PALE,
                   strokeColor=palette.ORG, strokeWidth=0.8))
        d.add(Line(x(row.median), y - 11, x(row.median), y + 11, strokeColor=palette.ORG,
                   strokeWidth=2.4))
        for k, score in enumerate(row.scores):  # a fixed jitter: the same input, the same dots
            dy = ((k * 7919) % 13 - 6) * 1.1 if len(row.scores) > 1 else 0
            d.add(Circle(x(score), y + dy, 2.6, fillColor=DOT, strokeColor=None))
        if row.benchmark is not None:
            d.add(diamond(x(row.benchmark), y, 4.6, fillColor=white, strokeColor=palette.BENCH,
                           strokeWidth=1.6))
        d.add(text(x1 + 10, y + 2, t.num(row.median), 8.5, bold=True, color=palette.ORG))
        below = (t("overview_below_count", n=row.below, total=len(row.scores))
                 if row.benchmark is not None else t("overview_no_benchmark"))
        d.add(text(x1 + 10, y - 8, below, 7, color=MUTED))
    _legend(d, x0, h - 14, t)
    items = [t("alt_overview_spread_item", label=t.label(r.key), median=t.num(r.median),
               q1=t.num(r.q1), q3=t.num(r.q3), benchmark=t.num(r.benchmark), below=r.below)
             if r.benchmark is not None else
             t("alt_overview_spread_item_no_benchmark", label=t.label(r.key),
               median=t.num(r.median), q1=t.num(r.q1), q3=t.num(r.q3))
             for r in rows]
    alt = t("alt_overview_spread", n=len(rows[0].scores) if rows else 0, items="; ".join(items))
    return Chart(name, to_svg(d), alt, w, h)


def _legend(d: Drawing, x: float, y: float, t: Texts) -> None:
    def step(label: str) -> float:
        return 19 + pdfmetrics.stringWidth(label, FONT, 8) + 16

    label = t("overview_legend_org")
    d.add(Circle(x + 7, y + 1, 2.6, fillColor=DOT, strokeColor=None))
    d.add(text(x + 19, y - 2, label, 8))
    x += step(label)
    label = t("overview_legend_box")
    d.add(Rect(x, y - 3, 14, 8, fillColor=PALE, strokeColor=palette.ORG, strokeWidth=0.8))
    d.add(Line(x + 7, y - 4, x + 7, y + 6, strokeColor=palette.ORG, strokeWidth=2))
    d.add(text(x + 19, y - 2, label, 8))
    x += step(label)
    d.add(diamond(x + 7, y + 1, 3.6, fillColor=white, strokeColor=palette.BENCH, strokeWidth=1.4))
    d.add(text(x + 19, y - 2, t("legend_bench"), 8))


def phase_chart(counts: dict[str, int], benchmark: Benchmark, t: Texts) -> Chart:
    """The maturity curve: the portfolio's share per phase beside the study's."""
    register_fonts()
    keys = [p.key for p in t.framework.phases]
    total = sum(counts.values()) or 1
    study = {k: c.count for k, c in benchmark.overall.phases.items()}
    study_total = sum(v for v in study.values() if v) or None
    w, h, base, top = 720, 200, 46, 30
    slot = (w - 20) / len(keys)
    d = Drawing(w, h)
    pts = []
    for k in range(41):  # the curve, as in the briefing's maturity chart
        s = 1 / (1 + math.exp(-(k / 40 - 0.55) * 9))
        pts.append((10 + (w - 20) * k / 40, base + 10 + (h - base - top - 10) * s))
    for (ax, ay), (bx, by) in zip(pts, pts[1:]):  # noqa: B905 - pairs of one list
        d.add(Line(ax, ay, bx, by, strokeColor=GRID, strokeWidth=2))
    tallest = h - base - top - 20
    for i, key in enumerate(keys):
        share = counts.get(key, 0) / total
        cx = 10 + slot * i + slot / 2
        bw = slot * 0.26
        height = tallest * share
        d.add(Rect(cx - bw - 2, base, bw, max(height, 0.8), fillColor=palette.ORG,
                   strokeColor=None))
        d.add(text(cx - bw / 2 - 2, base + height + 4,
                    t("overview_count", count=counts.get(key, 0), share=t.percent(share)),
                    8, "middle", bold=True, color=palette.ORG))
        count = study.get(key)
        if study_total and count is not None:
            sshare = count / study_total
            sheight = tallest * sshare
            d.add(Rect(cx + 2, base, bw, max(sheight, 0.8), fillColor=white,
                       strokeColor=palette.BENCH, strokeWidth=1.4))
            d.add(text(cx + bw / 2 + 2, base + sheight + 4, t.percent(sshare), 8,
                        "middle", color=palette.BENCH))
        for j, line in enumerate(wrap(t.label(key), slot - 8, 8.5, bold=True)[:2]):
            d.add(text(cx, base - 14 - 10 * j, line, 8.5, "middle", bold=True, color=INK))
    d.add(Line(10, base, w - 10, base, strokeColor=MUTED, strokeWidth=0.8))
    x, y = 10, h - 14
    d.add(Rect(x, y - 3, 14, 8, fillColor=palette.ORG, strokeColor=None))
    d.add(text(x + 19, y - 2, t("overview_legend_share"), 8))
    d.add(Rect(x + 200, y - 3, 14, 8, fillColor=white, strokeColor=palette.BENCH, strokeWidth=1.4))
    d.add(text(x + 219, y - 2, t("overview_legend_study_share"), 8))
    items = [t("alt_overview_phase_item", label=t.label(k), count=counts.get(k, 0),
               share=t.percent(counts.get(k, 0) / total)) for k in keys]
    return Chart("phases", to_svg(d), t("alt_overview_phases", items="; ".join(items)), w, h)


# --------------------------------------------------------------------------- the PDF


def render_overview(orgs: list[Org], options: Options) -> bytes:
    """The overview of ``orgs`` as PDF bytes (the same orgs give the same bytes)."""
    if not orgs:
        raise InputError("the overview needs at least one valid organisation")
    bundle = load_data(options.data)
    benchmark = load_benchmark(options.benchmark, bundle)
    t = Texts(options.lang, bundle.root, bundle.framework)
    analyses: list[Analysis] = [analyse(o, benchmark, bundle)
                                for o in sorted(orgs, key=lambda o: (o.name.lower(), o.id))]
    fw = bundle.framework
    caps, effects, counts = portfolio(analyses, benchmark, fw)
    with palette.colours(options.primary, options.accent):
        charts = {"capabilities": spread_chart("capabilities", caps, t),
                  "effects": spread_chart("effects", effects, t),
                  "phases": phase_chart(counts, benchmark, t)}
    # The overview has its own stylesheet; the renderer does the rest as for a briefing.
    renderer = Renderer(options.templates, stylesheet="overview.css")
    # The firm's cover, logo, footer and back page, in the overview's language.
    context = dict(t=t, analyses=analyses, caps=caps, effects=effects, counts=counts,
                   charts=charts, fw=fw, bench=benchmark, lang=t.lang, version=__version__,
                   latest=max(a.org.profile.assessed for a in analyses),
                   estimated=any(a.maturity.estimated for a in analyses),
                   **brand_context(options, t.lang))
    try:
        html = renderer.html(context, "overview.html")
    except BriefgenError:
        raise
    except Exception as exc:
        raise RenderError(f"template error in overview.html: {exc}") from None
    # The portfolio, not the order it was read in, names the document.
    ids = hashlib.sha256(json.dumps(sorted(o.id for o in orgs)).encode()).hexdigest()
    meta = PdfMeta(
        title=t("overview_pdf_title", n=len(analyses)),
        author=options.author or "",
        subject=t("overview_pdf_subject", n=len(analyses), benchmark=benchmark.title(t.lang)),
        keywords=tuple(t("pdf_keywords").split(", ")),
        lang=t.lang,
        created=creation_time(context["latest"]),
        identifier=stable_identifier("overview", ids, t.lang, benchmark.id, benchmark.version,
                                     __version__),
    )
    return renderer.pdf(html, meta, options.pdf_variant).pdf


def write_overview(orgs: list[Org], path: Path, options: Options) -> Path:
    write_atomic(path, render_overview(orgs, options))
    log.info("wrote the overview of %d organisations to %s", len(orgs), path)
    return path


def overview_from_source(source: Path, options: Options,
                         output: Path | None = None) -> tuple[Path, list[str]]:
    """Write the overview of a folder of profiles, a sheet, a survey, or a batch's output folder.

    Returns the PDF's path and the reasons rows were left out (invalid profiles).
    """
    source = Path(source)
    default_dir = Path(options.out)
    manifest = source / MANIFEST_JSON
    if source.is_dir() and manifest.is_file():
        try:
            recorded = Path(json.loads(manifest.read_text(encoding="utf-8"))["input"])
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{manifest}: unreadable; give the batch's input instead") from None
        if not recorded.exists():
            raise InputError(f"{manifest}: the batch's input {recorded} no longer exists")
        default_dir, source = source, recorded
    bundle = load_data(options.data)
    orgs, skipped = [], []
    for _, org, error in source_orgs(source, bundle):
        if org is None:
            skipped.append(error)
        else:
            orgs.append(org)
    path = output or default_dir / overview_name(options.lang)
    return write_overview(orgs, path, options), skipped
