"""Every option of a briefing, its default and its allowed values: one home for all of them.

:class:`Options` is what ``make``, ``batch``, ``serve`` and the Python API build a briefing
with; the CLI takes its defaults and choices from here, ``briefgen.toml`` fills it
(:func:`briefgen.config.workspace_options`), and an unknown language, format or PDF variant
is refused when an ``Options`` is made, with the allowed list. Nothing here imports another
part of briefgen but its errors, so every module may import from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args

from .errors import InputError

Lang = Literal["sv", "en"]
Format = Literal["pdf", "pptx", "xlsx", "charts"]
PdfVariant = Literal["pdf/ua-1", "pdf/a-3b"]

LANGS: tuple[str, ...] = get_args(Lang)                # the briefing's languages, sv first
FORMATS: tuple[str, ...] = get_args(Format)            # what make and batch can write
PDF_VARIANTS: tuple[str, ...] = get_args(PdfVariant)   # tagged (UA-1), also archivable (A-3b)

# The shipped palette's two colours a workspace may replace ([theme] in briefgen.toml); the
# rest of the palette is briefgen.brand's.
PRIMARY = "#1F4E79"    # headings, rules, the organisation in every chart (--navy)
ACCENT = "#A8480F"     # the benchmark in every chart, priority badges (--copper), 5.6:1 on white


def check_choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``, else an :class:`InputError` naming the option."""
    if value not in allowed:
        raise InputError(f"{option}: '{value}' is not supported (allowed: {', '.join(allowed)})")
    return value


@dataclass(frozen=True)
class Options:
    """Every option of ``make`` and its default: the one definition the CLI also uses."""

    data: Path | None = None           # a folder laid out like data/ (None: the shipped one)
    out: Path = Path("output")
    lang: str = "sv"                   # one of LANGS
    benchmark: str | None = None       # an id in benchmarks/ or a file (None: the 2018 study)
    pdf_variant: str = "pdf/ua-1"      # one of PDF_VARIANTS
    author: str | None = None          # the firm: cover, footer, back page, PDF author
    templates: Path | None = None
    survey: Path | None = None         # a survey (.xlsx/.csv); the org is then an id in it
    extra_benchmarks: tuple[str, ...] = ()  # more benchmarks (--benchmark again): peers, study
    # The workspace (briefgen.toml, see briefgen.config): the firm, its colours, its outputs.
    formats: tuple[str, ...] = ("pdf",)  # any of FORMATS
    contact: str | None = None         # the firm's contact, on the back page
    firm_logo: str | None = None       # relative to the workspace
    deck_template: str | None = None   # the firm's .pptx/.potx, relative to the workspace
    primary: str = PRIMARY             # headings, rules, the organisation in every chart
    accent: str = ACCENT               # the benchmark in every chart, priority badges
    # A Markdown letter from the firm after the cover (relative to the workspace), and the back
    # page's disclaimer: by language ({"sv": ..., "en": ...}), or one value in ``lang``'s.
    cover_note: str | Mapping[str, str] | None = None
    disclaimer: str | Mapping[str, str] | None = None
    config: Path | None = None         # the briefgen.toml these values came from
    review: Path | None = None         # a review file (default: the workspace's reviews/ID.yaml)

    def __post_init__(self) -> None:
        check_choice("--lang", self.lang, LANGS)
        check_choice("--pdf-variant", self.pdf_variant, PDF_VARIANTS)
        for fmt in self.formats:
            check_choice("--format", fmt, FORMATS)

    def with_(self, **changes: Any) -> Options:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


DEFAULTS = Options()


__all__ = ["ACCENT", "DEFAULTS", "FORMATS", "LANGS", "Options", "PDF_VARIANTS", "PRIMARY",
           "check_choice"]
