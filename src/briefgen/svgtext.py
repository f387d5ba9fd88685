"""SVG text in one run: a fix to WeasyPrint 70's drawing of the charts' labels.

WeasyPrint 70 lays out and draws SVG text one letter at a time (each letter a Pango layout
and a text object of its own), so that it can honour per-letter positions. The charts'
labels never use those: each ``<text>`` has one ``x`` and one ``y`` (ReportLab places the
string itself). For such a node :func:`text` lays the string out once and draws it as one
run, with the font's kerning; everything else goes to WeasyPrint's own code. The labels were
about a third of a briefing's drawing time (measured by ``bench/compare.py``).

Installed by :func:`briefgen.render.install_weasyprint_fixes`; WeasyPrint is pinned, so
recheck this module when it is upgraded.
"""

from __future__ import annotations

from math import inf

import weasyprint.svg as weasyprint_svg
from weasyprint.css.properties import INITIAL_VALUES
from weasyprint.draw.text import draw_emojis, draw_first_line
from weasyprint.matrix import Matrix
from weasyprint.svg import text as letter_by_letter
from weasyprint.svg.bounding_box import extend_bounding_box
from weasyprint.svg.text import Style, TextBox
from weasyprint.svg.utils import normalize, size
from weasyprint.text.line_break import split_first_line

# Attributes that position or align single letters, or the run against a baseline other
# than the alphabetic one: a node with any of them is drawn letter by letter, as before.
_PER_LETTER = ("dx", "dy", "rotate", "textLength", "lengthAdjust", "letter-spacing",
               "display-anchor", "dominant-baseline", "alignment-baseline", "direction")
_WEIGHTS = {"normal": 400, "bold": 700}


def _one_run(node) -> bool:
    """Whether ``node`` is a ``<text>`` with one string at one position and nothing else."""
    if node.tag != "text" or not node.text or len(node._etree_node):
        return False
    if any(node.get(name) is not None for name in _PER_LETTER):
        return False
    return all(len(normalize(node.get(name, "0")).split()) == 1 for name in ("x", "y"))


def _style(svg, node, font_size) -> Style:
    style = Style(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [name.strip("\"' ") for name in
                            node.get("font-family", "sans-serif").split(",")]
    style["font_style"] = node.get("font-style", "normal")
    weight = node.get("font-weight", 400)
    try:
        style["font_weight"] = _WEIGHTS.get(weight) or int(weight)
    except ValueError:
        style["font_weight"] = 400
    style["font_size"] = font_size
    return style


def text(svg, node, font_size) -> None:
    """Draw a ``<text>`` node: in one run when :func:`_one_run` allows, else letter by letter."""
    if not _one_run(node):
        letter_by_letter(svg, node, font_size)
        return
    style = _style(svg, node, font_size)
    layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context,
                                                             inf, 0)
    x = (size(node.get("x"), font_size, svg.inner_width) if "x" in node.attrib
         else svg.cursor_position[0])
    y = (size(node.get("y"), font_size, svg.inner_height) if "y" in node.attrib
         else svg.cursor_position[1])
    # An explicit position ends the offsets of earlier runs, as for WeasyPrint's first letter.
    if x:
        svg.cursor_d_position[0] = 0
    if y:
        svg.cursor_d_position[1] = 0
    left, top = x + svg.cursor_d_position[0], y + svg.cursor_d_position[1]
    svg.cursor_position = x + width, y
    node.text_bounding_box = extend_bounding_box(
        node.text_bounding_box, ((left, top - baseline), (left + width, top - baseline + height)))

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    box = TextBox(layout, style)
    box.baseline = baseline
    emojis = draw_first_line(svg.stream, box, "none", "none", Matrix(d=-1, e=left, f=top))
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)


def install() -> None:
    """Draw SVG text through :func:`text` (idempotent)."""
    for tag in ("text", "textPath", "tspan"):
        weasyprint_svg.TAGS[tag] = text
    weasyprint_svg.text = text  # the name WeasyPrint compares with to find text nodes
