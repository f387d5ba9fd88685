"""The serve pages' and e-mails' words (texts.yaml beside this module), in one language.

A module of its own so that the e-mail (:mod:`briefgen.serve.mail`) and the pages
(:mod:`briefgen.serve.app`) share them without importing each other.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from markupsafe import Markup, escape

from ..options import LANGS
from ..texts import LOCALES, _strings, fill

HERE = Path(__file__).parent


@cache
def ui_strings() -> dict[str, dict[str, str]]:
    """The serve pages' words, read and checked (sv and en for every key) as texts.yaml is."""
    return _strings(HERE / "texts.yaml")


class UiText:
    """The serve pages' words in one language: ``t('key', name=value)``."""

    def __init__(self, lang: str):
        self.lang = lang if lang in LANGS else "sv"

    def __call__(self, key: str, **values: object) -> str:
        return fill(ui_strings()[key][self.lang], values)

    def with_english(self, key: str, name: str, english: str, **values: object) -> Markup:
        """``key`` filled in, the value of ``name`` being the tool's own English words: marked
        ``lang="en"`` on a page in another language, so that a screen reader reads them as
        English (WCAG 3.1.2)."""
        marker = "\x00"
        text = escape(self(key, **values, **{name: marker}))
        part = escape(english) if self.lang == "en" else \
            Markup('<span lang="en">{}</span>').format(english)
        return Markup(text.replace(marker, part))

    def number(self, value: int) -> str:
        """A whole number as the language writes it: 2 000, 2,000."""
        from babel.numbers import format_decimal

        return format_decimal(value, locale=LOCALES[self.lang])

    def date(self, day: dt.date | dt.datetime) -> str:
        """A day as the language writes it: 15 december 2026, 15 December 2026."""
        from babel.dates import format_date

        return format_date(day, format="long", locale=LOCALES[self.lang])
