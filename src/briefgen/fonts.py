"""Which characters the shipped fonts can draw, so that no name prints as empty boxes.

The briefing's fonts are Lato, then Noto Sans (Greek, Cyrillic, more Latin) and Noto Sans
Symbols 2 (``fonts/``). A character none of them has would fall back to whatever the machine
has installed, or to an empty box; :func:`missing_glyphs` finds such characters so that the
profile is refused with their names instead.

The fallback fonts cost time in every line the layout breaks (about 3 % of a briefing, by
``bench/compare.py``), so the stylesheet names them only for a document whose text needs them:
:func:`needs_fallback` tells the renderer so.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from . import resources

FONT_FILES = ("Lato-Regular.ttf", "Lato-Bold.ttf", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf",
              "NotoSansSymbols2-Regular.ttf")
_INVISIBLE = {"Zs", "Cc", "Cf", "Zl", "Zp", "Mn"}  # spaces, controls, joiners, combining marks


@cache
def _cmap(name: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    path = resources.fonts_dir() / name
    if not path.is_file():
        return frozenset()
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


@cache
def covered() -> frozenset[int]:
    """Every code point one of the shipped fonts has a glyph for."""
    return frozenset().union(*(_cmap(name) for name in FONT_FILES))


@cache
def primary() -> frozenset[int]:
    """The code points every face of the primary font (Lato, each weight and style) has."""
    faces = sorted(p.name for p in resources.fonts_dir().glob("Lato-*.ttf"))
    return frozenset.intersection(*(_cmap(name) for name in faces)) if faces else frozenset()


def _uncovered(chars, have: frozenset[int]):
    """The visible characters of ``chars`` whose code points are not in ``have``."""
    return (c for c in chars if ord(c) not in have and unicodedata.category(c) not in _INVISIBLE)


def needs_fallback(text: str) -> bool:
    """Whether some visible character of ``text`` is missing from a face of the primary font."""
    return not text.isascii() and any(_uncovered(set(text), primary()))


def missing_glyphs(text: str) -> list[str]:
    """The distinct characters of ``text`` no shipped font can draw, in order of appearance."""
    return [] if text.isascii() else list(dict.fromkeys(_uncovered(text, covered())))


def describe(chars: list[str], limit: int = 5) -> str:
    """``'世' (U+4E16 CJK UNIFIED IDEOGRAPH-4E16), ...`` for a message."""
    shown = [f"'{c}' (U+{ord(c):04X} {unicodedata.name(c, 'unnamed')})" for c in chars[:limit]]
    more = f" and {len(chars) - limit} more" if len(chars) > limit else ""
    return ", ".join(shown) + more
