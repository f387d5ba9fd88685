"""Find and read a workspace's ``briefgen.toml``: the firm, its colours and its defaults.

A workspace is a folder holding ``briefgen.toml`` (plus ``orgs/``, ``benchmarks/`` and
``theme/``). Every command looks for the file in the working directory and its parents, the way
git finds ``.git``; ``--config FILE`` names one explicitly. The values feed
:class:`briefgen.pipeline.Options`: options given on the command line win over the file, the
file over the built-in defaults of ``Options``.

Other parts of briefgen read their own table from the same file through :func:`load_config`,
e.g. the web questionnaire's ``[serve]``. The key set is documented in ``docs/workspace.md``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import InputError
from .reading import display_path, read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_NAME = "briefgen.toml"
MAX_CONFIG_BYTES = 200_000
MIN_CONTRAST = 4.5                    # WCAG AA for normal text
FORMATS = ("pdf", "pptx", "xlsx", "charts")
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FirmConfig(_Table):
    """``[firm]``: who prepared the briefing."""

    name: str | None = Field(None, min_length=1, max_length=200)
    contact: str | None = Field(None, max_length=500)
    logo: str | None = None           # PNG, JPEG or SVG, relative to the workspace


class ThemeConfig(_Table):
    """``[theme]``: the firm's two colours, as #RRGGBB."""

    primary: str | None = None        # headings, rules, the organisation's series in charts
    accent: str | None = None         # the benchmark series, priority badges

    @field_validator("primary", "accent")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not _HEX.match(value):
            raise ValueError(f"'{value}' is not a colour (allowed: #RRGGBB, e.g. #0B5D4B)")
        return value.upper() if value else value


class BriefingConfig(_Table):
    """``[briefing]``: defaults for every briefing made in the workspace."""

    lang: Literal["sv", "en"] | None = None
    benchmark: str | None = None
    pdf_variant: Literal["pdf/ua-1", "pdf/a-3b"] | None = None
    cover_note: str | None = None     # a Markdown file, relative to the workspace
    disclaimer: str | None = Field(None, max_length=4000)
    formats: list[Literal["pdf", "pptx", "xlsx", "charts"]] | None = Field(None, min_length=1)


class ServeConfig(_Table):
    """``[serve]``: read by the web questionnaire (``briefgen serve``), not by the briefing."""

    admin_secret: str | None = None
    database: str | None = None
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    base_url: str | None = None              # the public address of the respondents' links
    trusted_proxies: list[str] | None = None  # whose X-Forwarded-For to believe


class _File(_Table):
    firm: FirmConfig = FirmConfig()
    theme: ThemeConfig = ThemeConfig()
    briefing: BriefingConfig = BriefingConfig()
    serve: ServeConfig | None = None


@dataclass(frozen=True)
class Config:
    """A read and checked ``briefgen.toml``; ``root`` is the workspace folder it lives in."""

    path: Path
    firm: FirmConfig
    theme: ThemeConfig
    briefing: BriefingConfig
    serve: ServeConfig | None = None

    @property
    def root(self) -> Path:
        return self.path.parent

    def option_values(self) -> dict[str, Any]:
        """The values this file gives :class:`~briefgen.pipeline.Options` (None: not given)."""
        b, f = self.briefing, self.firm
        return {
            "data": self.root if (self.root / "orgs").is_dir()
            or (self.root / "benchmarks").is_dir() else None,
            "lang": b.lang,
            "benchmark": b.benchmark,
            "pdf_variant": b.pdf_variant,
            "formats": tuple(dict.fromkeys(b.formats)) if b.formats else None,
            "author": f.name,
            "contact": f.contact,
            "firm_logo": f.logo,
            "primary": self.theme.primary,
            "accent": self.theme.accent,
            "cover_note": str(self.root / b.cover_note) if b.cover_note else None,
            "disclaimer": b.disclaimer,
            "config": self.path,
        }


def find_config(start: Path) -> Path | None:
    """The nearest ``briefgen.toml`` in ``start`` or one of its parents, or None."""
    folder = Path(start).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_NAME
        if path.is_file():
            return path
    return None


def _line_of(text: str, table: str, key: str) -> int | None:
    """The line of ``key`` in ``[table]`` (tomllib keeps no positions)."""
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([A-Za-z0-9_.-]+)\s*\]", stripped)
        if header:
            current = header.group(1)
        elif current == table and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return number
    return None


def contrast_ratio(colour: str, background: str = "#FFFFFF") -> float:
    """WCAG 2 contrast ratio of two #RRGGBB colours."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
                  for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def check_colour(value: str, where: str) -> None:
    """Refuse a colour that gives text less than 4.5:1 on white, naming the measured ratio."""
    ratio = contrast_ratio(value)
    if ratio < MIN_CONTRAST:
        raise InputError(f"{where}: {value} gives text a contrast of {ratio:.2f}:1 on white; "
                         f"at least {MIN_CONTRAST}:1 is needed (choose a darker colour)")


def load_config(path: Path) -> Config:
    """Read and check ``path``; raise :class:`InputError` listing every problem."""
    path = Path(path)
    name = display_path(path)
    text = read_text(path, name, MAX_CONFIG_BYTES)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{name}: malformed TOML: {exc}") from None
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            line = _line_of(text, loc[0], loc[1]) if len(loc) > 1 else None
            where = f"{name}:{line}" if line else name
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            allowed = _ALLOWED.get(loc[0]) if err["type"] == "extra_forbidden" else None
            if allowed:
                msg += f" (allowed in [{loc[0]}]: {allowed})"
            elif err["type"] == "extra_forbidden" and len(loc) == 1:
                msg += f" (allowed tables: {', '.join(_ALLOWED)})"
            problems.append(f"{where}: {'.'.join(loc)}: {msg.removeprefix('Value error, ')}")
        raise InputError(problems) from None
    problems = []
    for key in ("primary", "accent"):
        value = getattr(parsed.theme, key)
        if value:
            line = _line_of(text, "theme", key)
            try:
                check_colour(value, f"{name}:{line}: theme.{key}" if line else
                             f"{name}: theme.{key}")
            except InputError as exc:
                problems.append(str(exc))
    for table, key, value in (("firm", "logo", parsed.firm.logo),
                              ("briefing", "cover_note", parsed.briefing.cover_note)):
        if value and not (path.parent / value).is_file():
            line = _line_of(text, table, key)
            where = f"{name}:{line}" if line else name
            problems.append(f"{where}: {table}.{key}: '{value}' not found in {path.parent}")
    if problems:
        raise InputError(problems)
    return Config(path=path, firm=parsed.firm, theme=parsed.theme, briefing=parsed.briefing,
                  serve=parsed.serve)


_ALLOWED = {table: ", ".join(model.model_fields) for table, model in
            (("firm", FirmConfig), ("theme", ThemeConfig), ("briefing", BriefingConfig),
             ("serve", ServeConfig))}


def workspace_config(explicit: Path | None = None, start: Path | None = None) -> Config | None:
    """The config named by ``--config``, else the nearest ``briefgen.toml``, else None."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise InputError(f"--config: {explicit} not found")
        return load_config(Path(explicit))
    found = find_config(start or Path.cwd())
    return load_config(found) if found else None


__all__ = ["Config", "FirmConfig", "ThemeConfig", "BriefingConfig", "ServeConfig", "FORMATS",
           "CONFIG_NAME", "find_config", "load_config", "workspace_config", "contrast_ratio",
           "check_colour"]
