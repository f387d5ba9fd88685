"""Measure text as the deck's fonts will set it, so that every text fits its box.

A text is measured with the advance widths of the font the deck names (its template's theme
fonts): Calibri with Carlito's (metric-compatible, shipped in ``fonts/deck/``), Lato with the
briefing's. A font briefgen does not have is measured as if it were a quarter wider than
Calibri, as wide as the widest common sans-serif faces (Verdana, DejaVu Sans), so that text
laid out for it stays inside its box in any of them. The deck then picks the largest size at
which a text fits, and splits what does not fit at the smallest one over more slides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from .. import resources

# Font files by the family a deck names; line: the font's line height as a share of its size.
FACES = {
    "carlito": ("deck/Carlito-Regular.ttf", "deck/Carlito-Bold.ttf", 1.22),
    "lato": ("Lato-Regular.ttf", "Lato-Bold.ttf", 1.2),
}
ALIASES = {"calibri": "carlito", "calibri light": "carlito"}
UNKNOWN_SCALE = 1.26     # DejaVu Sans / Carlito on Swedish prose, measured: 619 / 494
UNKNOWN_LINE = 1.25


@dataclass(frozen=True)
class Face:
    """A font family's metrics: widths of its regular and bold faces, and its line height."""

    name: str              # the family the deck names (its typeface)
    regular: str           # ReportLab font names
    bold: str
    line: float = 1.2
    scale: float = 1.0     # widths times this (a font measured as a wider stand-in)

    def width(self, text: str, size: float, bold: bool = False) -> float:
        """The width of ``text`` in points at ``size``."""
        return pdfmetrics.stringWidth(text, self.bold if bold else self.regular,
                                      size) * self.scale

    def wrap(self, text: str, width: float, size: float, bold: bool = False) -> list[str]:
        """``text`` broken into lines no wider than ``width`` (at spaces; a word wider than the
        line at its characters, as PowerPoint does)."""
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split(" "):
                trial = f"{line} {word}" if line else word
                if self.width(trial, size, bold) <= width:
                    line = trial
                    continue
                if line:
                    lines.append(line)
                line = word
                while self.width(line, size, bold) > width and len(line) > 1:
                    cut = len(line) - 1
                    while cut > 1 and self.width(line[:cut], size, bold) > width:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
            lines.append(line)
        return lines


@cache
def face(typeface: str | None) -> Face:
    """The metrics for the deck's ``typeface`` (a theme font such as "Calibri")."""
    key = (typeface or "calibri").strip().lower()
    known = ALIASES.get(key, key)
    stand_in = known if known in FACES else "carlito"
    regular, bold, line = FACES[stand_in]
    names = (f"kit-{stand_in}", f"kit-{stand_in}-bold")
    fonts = resources.fonts_dir()
    for name, file in zip(names, (regular, bold), strict=True):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(fonts / file)))
    if known in FACES:
        return Face(typeface or "Calibri", *names, line=line)
    return Face(typeface or "Calibri", *names, line=UNKNOWN_LINE, scale=UNKNOWN_SCALE)


# --------------------------------------------------------------------------- text blocks


@dataclass(frozen=True)
class Para:
    """One paragraph of a text box; ``size`` is relative to the box's size."""

    text: str
    bold: bool = False
    size: float = 1.0
    color: str | None = None       # #RRGGBB; None: the template's text colour
    indent: float = 0.0            # points from the left
    space_after: float = 0.45      # times the paragraph's size
    level: int = 0


def block_height(paras: Sequence[Para], f: Face, width: float, size: float) -> float:
    """The height in points of ``paras`` set at ``size`` in a box ``width`` points wide."""
    total = 0.0
    for i, p in enumerate(paras):
        s = size * p.size
        lines = len(f.wrap(p.text, width - p.indent, s, p.bold))
        total += lines * s * f.line
        if i < len(paras) - 1:
            total += s * p.space_after
    return total


def breaks_words(paras: Sequence[Para], f: Face, width: float, size: float) -> bool:
    """Whether a word of ``paras`` is wider than the line at ``size`` (and would be split)."""
    return any(f.width(word, size * p.size, p.bold) > width - p.indent
               for p in paras for word in p.text.split())


def fitting_size(paras: Sequence[Para], f: Face, width: float, height: float,
                 largest: float, smallest: float) -> float | None:
    """The largest size from ``largest`` down to ``smallest`` (whole points) at which
    ``paras`` fit ``width`` x ``height`` points, or None if they fit at none.

    A size that would split a word is passed over while a smaller one is left to try.
    """
    size = largest
    while size >= smallest - 1e-9:
        if block_height(paras, f, width, size) <= height and (
                size - 1 < smallest - 1e-9 or not breaks_words(paras, f, width, size)):
            return size
        size -= 1
    return None


def balanced_pages(items: Sequence, fits: Callable[[Sequence], bool]) -> list[list]:
    """``items`` over as few pages as fit, spread evenly (never a last page with one line
    where a fuller one could give it company).

    ``fits(chunk)`` tells whether a chunk fits one page. Filling each page in turn gives the
    fewest pages; the items are then shared out as evenly as those pages allow, keeping their
    order. Where an even share by count does not fit (rows of unequal height), the pages are
    cut where the smallest page is as large as it can be, the earlier pages the fuller.
    """
    filled: list[list] = []
    for item in items:
        if filled and fits([*filled[-1], item]):
            filled[-1].append(item)
        else:
            filled.append([item])
    n, pages = len(items), len(filled)
    even, start = [], 0
    for k in range(pages):
        end = start - (start - n) // (pages - k)    # the earlier pages fuller
        even.append(list(items[start:end]))
        start = end
    if all(fits(chunk) for chunk in even):
        return even

    @cache
    def fitting(i: int, j: int) -> bool:
        return fits(list(items[i:j]))

    @cache
    def cuts(i: int, k: int) -> tuple[int, tuple[int, ...]]:
        """The largest smallest page of items[i:] over k pages, and where they end."""
        if k == 1:
            return (n - i, (n,)) if fitting(i, n) else (0, ())
        best: tuple[int, tuple[int, ...]] = (0, ())
        for j in range(n - k + 1, i, -1):
            smallest, ends = cuts(j, k - 1)
            if smallest and min(j - i, smallest) > best[0] and fitting(i, j):
                best = (min(j - i, smallest), (j, *ends))
        return best

    ends = cuts(0, pages)[1]
    if not ends:                  # an item that fits no page alone: the pages as filled
        return filled
    return [list(items[i:j]) for i, j in zip((0, *ends), ends, strict=False)]
