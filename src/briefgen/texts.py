"""Words and numbers in the briefing's language: UI strings, locale formats, phrased reasons."""

from __future__ import annotations

import copy
import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from .errors import DataError
from .match import Reason
from .models import Benchmark, Framework
from .options import LANGS
from .reading import read_yaml

LOCALES = {"sv": "sv_SE", "en": "en_GB"}
_FIELD = re.compile(r"\{(\w+)\}")
_LINES = re.compile(r"\b(\d{1,5})(?:\s*-\s*(\d{1,5}))?")


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
        self.benchmark: Benchmark | None = None

    def for_benchmark(self, benchmark: Benchmark) -> Texts:
        """These texts, worded for ``benchmark``: a built one is named, never called the study."""
        other = copy.copy(self)
        other.benchmark = benchmark
        return other

    @property
    def built(self) -> bool:
        return self.benchmark is not None and self.benchmark.kind == "built"

    def __call__(self, key: str, **values: object) -> str:
        if self.built and f"{key}_built" in self._strings:
            key = f"{key}_built"
        try:
            template = self._strings[key][self.lang]
        except KeyError:
            raise DataError(f"texts.yaml: no text '{key}'") from None
        if self.benchmark is not None and "{bench}" in template:
            values = {"bench": self.benchmark.title(self.lang), **values}
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

    def percent(self, share: float) -> str:
        """A share as the locale writes a whole percentage: 44 % in Swedish, 44% in English."""
        return format_percent(share, locale=self.locale)

    def integer(self, value: int | None) -> str:
        return self("not_reported") if value is None else format_decimal(value,
                                                                         locale=self.locale)

    def date(self, value: dt.date) -> str:
        return format_date(value, format="long", locale=self.locale)

    def month(self, value: str) -> str:
        """``2026-10`` as the locale writes a month: oktober 2026, October 2026."""
        try:
            first = dt.date.fromisoformat(f"{value[:7]}-01")
        except ValueError:
            return value
        return format_date(first, format="LLLL y", locale=self.locale)

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

    def status(self, cap, priorities: list[str]) -> str:
        """A capability's status, naming what it is measured against (benchmark or midpoint)."""
        if cap.status == "priority":
            return self("status_priority", n=priorities.index(cap.key) + 1)
        if cap.status == "strength":
            return self("status_strength")
        suffix = "" if cap.reported else "_mid"
        if cap.status == "below":
            return self("status_below" + suffix)
        if cap.status == "above":
            return self("status_above" + suffix)
        return self("status_on_par" + suffix)

    def reference(self, value: float, reported: bool) -> str:
        """The reference a score is measured against, with its value, named as it is."""
        return self("ref_bench" if reported else "ref_midpoint", value=self.num(value))

    def position(self, score: float, reference: float, reported: bool,
                 level_with: bool) -> str:
        """Where a score lies against its reference, in words: level with it (within the
        tolerance, saying by how much either way), or how far above or below."""
        ref = self.reference(reference, reported)
        distance = round(abs(score - reference), 1)
        if distance < 0.05:
            return self("pos_level", ref=ref)
        up = score > reference
        if level_with:
            return self("pos_level_above" if up else "pos_level_below", ref=ref,
                        gap=self.num(distance))
        return self("pos_above" if up else "pos_below", gap=self.num(distance), ref=ref)

    def reason(self, reason: Reason) -> str:
        """Phrase why a finding selected a practice or recommendation, in numbers."""
        ref = self.reference(reason.reference, reason.benchmark is not None)
        distance = abs(reason.score - reason.reference)
        return self(f"reason_{reason.kind}", label=self.lower_label(reason.key),
                    score=self.num(reason.score), gap=self.num(distance), ref=ref,
                    position=self.position(reason.score, reason.reference,
                                           reason.benchmark is not None, reason.level_with))

    def count_word(self, n: int) -> str:
        """A small count as a word (fem, five), as prose writes it; larger ones as digits."""
        words = self("numbers").split()
        return words[n] if 0 <= n < len(words) else self.integer(n)

    def join(self, items: list[str]) -> str:
        """``a``, ``a och b``, ``a, b och c`` (en: with a serial comma)."""
        if len(items) <= 1:
            return (items or [""])[0]
        if len(items) == 2:
            return self("join_two", first=items[0], last=items[1])
        return self("reason_join", first=", ".join(items[:-1]), last=items[-1])

    def join_labels(self, keys: list[str]) -> str:
        return self.join([self.lower_label(k) for k in keys])

    def breakable(self, text: str) -> str:
        """``text`` with soft hyphens at the compound joints ``compound_breaks`` lists, so that a
        narrow column head breaks there (Partnerskaps-potential) and nowhere else."""
        for word in self("compound_breaks").split():
            text = text.replace(word.replace("|", ""), word.replace("|", "\u00ad"))
        return text

    @staticmethod
    def sentence(text: str) -> str:
        """A phrase as a sentence: first letter up, a full stop at the end."""
        return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")

    def reasons(self, reasons: list[Reason]) -> str:
        """The findings as one phrase when each simply lies below its benchmark, else as one
        sentence each (a phrase with a clause of its own does not join well)."""
        if all(r.kind == "below" for r in reasons):
            return self.sentence(self.join([self.reason(r) for r in reasons]))
        return " ".join(self.sentence(self.reason(r)) for r in reasons)

    # -- method page

    def scale_steps(self) -> str:
        return ", ".join(f"{s.value} {s.label(self.lang).lower()}" for s in self.framework.scale)

    def phase_thresholds(self, rules) -> str:
        items = sorted(rules.phase.thresholds.items(), key=lambda kv: kv[1])
        return "; ".join(self("method_phase_threshold", phase=self.lower_label(k),
                              value=self.num(v, 2)) for k, v in items)

    def cite(self, source: str, benchmark: Benchmark | None = None) -> str:
        """Where a reader finds a figure: the report's sections, never its text's line numbers.

        Built benchmarks are cited by their name and the survey they were built from.
        """
        bench = benchmark or self.benchmark
        if bench is None:
            return ""
        if bench.kind == "built":
            return self("cite_built", name=bench.title(self.lang))
        titles: list[str] = []
        for first, last in _LINES.findall(source):
            start = int(first)
            end = int(last) if last else start
            for section in bench.sections:
                low, high = section.lines
                if start <= high and end >= low:
                    title = section.title(self.lang)
                    if title not in titles:
                        titles.append(title)
        return "; ".join(titles) if titles else self("cite_document")

    def level_count(self, benchmark, level: str) -> str:
        count = benchmark.by_level.get(level)
        return self.integer(count.count if count else None)
