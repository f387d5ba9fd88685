"""Words and numbers in the briefing's language: UI strings, locale formats, phrased reasons."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal

from .errors import DataError
from .load import read_yaml
from .match import Reason
from .models import LANGS, Framework

LOCALES = {"sv": "sv_SE", "en": "en_GB"}
_FIELD = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=8)
def _strings(path: Path) -> dict[str, dict[str, str]]:
    data, _ = read_yaml(path)
    if not isinstance(data, dict):
        raise DataError(f"{path}: must map each text key to its sv and en wording")
    problems = [f"{path}: {key}: needs both 'sv' and 'en'" for key, value in data.items()
                if not (isinstance(value, dict) and all(isinstance(value.get(lang), str)
                                                        for lang in LANGS))]
    if problems:
        raise DataError(problems)
    return data


def fill(template: str, values: dict[str, object]) -> str:
    """Put ``values`` into ``{name}`` fields; nothing else in the template is interpreted."""
    return _FIELD.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


class Texts:
    """Everything language-dependent for one briefing language."""

    def __init__(self, lang: str, data_root: Path, framework: Framework):
        if lang not in LANGS:
            raise DataError(f"--lang: '{lang}' is not supported (allowed: {', '.join(LANGS)})")
        self.lang = lang
        self.locale = LOCALES[lang]
        self.framework = framework
        path = data_root / "texts.yaml"
        if not path.is_file():
            from . import resources
            path = resources.data_dir() / "texts.yaml"
        self._strings = _strings(path)

    def __call__(self, key: str, **values: object) -> str:
        try:
            template = self._strings[key][self.lang]
        except KeyError:
            raise DataError(f"texts.yaml: no text '{key}'") from None
        return fill(template, values) if values else template

    # -- numbers and dates

    def num(self, value: float | None, digits: int = 1) -> str:
        """A number in the locale's format, or the words for 'not reported'."""
        if value is None:
            return self("not_reported")
        pattern = "0" if digits == 0 else "0." + "0" * digits
        return format_decimal(value, format=pattern, locale=self.locale)

    def signed(self, value: float | None) -> str:
        if value is None:
            return self("not_reported")
        text = self.num(abs(value))
        return text if abs(value) < 0.05 else ("+" if value > 0 else "\u2212") + text

    def integer(self, value: int | None) -> str:
        return self("not_reported") if value is None else format_decimal(value,
                                                                         locale=self.locale)

    def date(self, value: dt.date) -> str:
        return format_date(value, format="long", locale=self.locale)

    # -- labels from the framework

    def label(self, key: str) -> str:
        fw = self.framework
        for items in (fw.capabilities, fw.effects, fw.phases, fw.importance_levels, fw.impacts):
            for item in items:
                if item.key == key:
                    return item.label(self.lang)
        return key

    def lower_label(self, key: str) -> str:
        text = self.label(key)
        return text[0].lower() + text[1:] if text[:2] != text[:2].upper() else text

    # -- reasons

    def reason(self, reason: Reason) -> str:
        """Phrase why a finding selected a practice or recommendation."""
        return self(f"reason_{reason.kind}", label=self.lower_label(reason.key),
                    score=self.num(reason.score), benchmark=self.num(reason.benchmark),
                    gap=self.num(abs(reason.gap)) if reason.gap is not None else "",
                    reference=self.num(reason.reference),
                    rank=reason.rank if reason.rank is not None else "")

    def reasons(self, reasons: list[Reason]) -> str:
        phrased = [self.reason(r) for r in reasons]
        if len(phrased) <= 1:
            return (phrased or [""])[0]
        return self("reason_join", first=", ".join(phrased[:-1]), last=phrased[-1])

    # -- method page

    def scale_steps(self) -> str:
        return ", ".join(f"{s.value} {s.label(self.lang).lower()}" for s in self.framework.scale)

    def phase_thresholds(self, rules) -> str:
        items = sorted(rules.phase.thresholds.items(), key=lambda kv: kv[1])
        return "; ".join(self("method_phase_threshold", phase=self.lower_label(k),
                              value=self.num(v, 2)) for k, v in items)

    def level_count(self, benchmark, level: str) -> str:
        count = benchmark.by_level.get(level)
        return self.integer(count.count if count else None)
