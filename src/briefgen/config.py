"""Find and read a workspace's ``briefgen.toml``: the firm, its colours and its defaults.

A workspace is a folder holding ``briefgen.toml`` (plus ``orgs/``, ``benchmarks/`` and
``theme/``). Every command looks for the file in the working directory and its parents, the way
git finds ``.git``; ``--config FILE`` names one explicitly. The values feed
:class:`briefgen.options.Options`: options given on the command line win over the file, the
file over the built-in defaults of ``Options``.

Other parts of briefgen read their own table from the same file through :func:`load_config`,
e.g. the web questionnaire's ``[serve]`` and the firm's mail server, ``[smtp]`` (whose password
is never in the file: it comes from the environment). The key set is documented in
``docs/workspace.md``.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import InputError
from .options import DEFAULTS, FORMATS, LANGS, Options
from .reading import display_path, read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_NAME = "briefgen.toml"
MAX_CONFIG_BYTES = 200_000
MIN_CONTRAST = 4.5                    # WCAG AA for normal text
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
# The firm's files named in the file, by key: what each may be (suffixes) and is (words).
FIRM_FILES = {
    "firm.logo": ((".png", ".jpg", ".jpeg", ".svg"), "a PNG, JPEG or SVG file"),
    "firm.deck_template": ((".pptx", ".potx"), "a PowerPoint file or template (.pptx, .potx)"),
    "briefing.cover_note": ((".md", ".markdown", ".txt"), "a Markdown file (.md, .txt)"),
    "serve.privacy": ((".md", ".markdown", ".txt"), "a Markdown file (.md, .txt)"),
}
SMTP_PASSWORD_ENV = "BRIEFGEN_SMTP_PASSWORD"
MAX_DISCLAIMER = 4000


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FirmConfig(_Table):
    """``[firm]``: who prepared the briefing."""

    name: str | None = Field(None, min_length=1, max_length=200)
    contact: str | None = Field(None, max_length=500)
    logo: str | None = None           # PNG, JPEG or SVG, relative to the workspace
    deck_template: str | None = None  # .pptx or .potx, relative to the workspace


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


class NotePerLanguage(_Table):
    """A Markdown file per language: ``cover_note = { sv = "note-sv.md", en = "note-en.md" }``."""

    sv: str | None = None
    en: str | None = None


Disclaimer = Annotated[str, Field(max_length=MAX_DISCLAIMER)]


class DisclaimerPerLanguage(_Table):
    """A disclaimer per language: ``disclaimer = { sv = "…", en = "…" }``."""

    sv: Disclaimer | None = None
    en: Disclaimer | None = None


class BriefingConfig(_Table):
    """``[briefing]``: defaults for every briefing made in the workspace.

    ``cover_note`` and ``disclaimer`` are given per language, or as one value that is then in
    the workspace's language (``lang``, default Swedish): a briefing in another language never
    carries it.
    """

    lang: Literal["sv", "en"] | None = None
    benchmark: str | None = None
    pdf_variant: Literal["pdf/ua-1", "pdf/a-3b"] | None = None
    cover_note: str | NotePerLanguage | None = None   # Markdown, relative to the workspace
    disclaimer: Disclaimer | DisclaimerPerLanguage | None = None
    formats: list[Literal["pdf", "pptx", "xlsx", "charts"]] | None = Field(None, min_length=1)


class ServeConfig(_Table):
    """``[serve]``: read by the web questionnaire (``briefgen serve``), not by the briefing.

    ``privacy`` is given per language, or as one file in the workspace's language, as the
    briefing's cover note is.
    """

    admin_secret: str | None = None
    database: str | None = None
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    base_url: str | None = None              # the public address of the respondents' links
    trusted_proxies: list[str] | None = None  # whose X-Forwarded-For to believe
    deadline: dt.date | None = None          # the last day to answer, on every page and e-mail
    privacy: str | NotePerLanguage | None = None   # the privacy notice, Markdown


class SmtpConfig(_Table):
    """``[smtp]``: the firm's mail server, for invitations and reminders (``briefgen invite
    --emails``, ``briefgen remind``). The password is read from the environment only."""

    host: str = Field(min_length=1, max_length=253)
    port: int | None = Field(None, ge=1, le=65535)   # default: by ``security``, 587/465/25
    sender: str = Field(min_length=3, max_length=300)  # "Firma AB <enkat@firma.se>"
    username: str | None = Field(None, min_length=1, max_length=254)
    password: str | None = None                      # refused: see the validator
    security: Literal["starttls", "tls", "none"] = "starttls"
    timeout: float = Field(30, gt=0, le=300)         # seconds per step of the conversation

    @field_validator("password")
    @classmethod
    def _no_password(cls, value: str | None) -> None:
        if value is not None:
            raise ValueError(f"the password is never kept in briefgen.toml; set the "
                             f"environment variable {SMTP_PASSWORD_ENV} instead")
        return None

    @field_validator("sender")
    @classmethod
    def _address(cls, value: str) -> str:
        from email.utils import parseaddr

        address = parseaddr(value)[1]
        if "@" not in address or any(c.isspace() for c in address) or "\n" in value:
            raise ValueError(f"'{value[:80]}' is not an e-mail address (allowed: "
                             "enkat@firma.se or \"Firma AB <enkat@firma.se>\")")
        return value.strip()


class _File(_Table):
    firm: FirmConfig = FirmConfig()
    theme: ThemeConfig = ThemeConfig()
    briefing: BriefingConfig = BriefingConfig()
    serve: ServeConfig | None = None
    smtp: SmtpConfig | None = None


@dataclass(frozen=True)
class Config:
    """A read and checked ``briefgen.toml``; ``root`` is the workspace folder it lives in."""

    path: Path
    firm: FirmConfig
    theme: ThemeConfig
    briefing: BriefingConfig
    serve: ServeConfig | None = None
    smtp: SmtpConfig | None = None

    @property
    def root(self) -> Path:
        return self.path.parent

    def per_language(self, value: str | BaseModel | None) -> dict[str, str] | None:
        """A value given per language, by language; one plain value is the workspace's."""
        if value is None:
            return None
        if isinstance(value, str):
            return {self.briefing.lang or LANGS[0]: value}
        return {lang: text for lang, text in value.model_dump().items() if text} or None

    def option_values(self) -> dict[str, Any]:
        """The values this file gives :class:`~briefgen.options.Options` (None: not given).

        Files stay relative to the workspace (:func:`briefgen.brand.workspace_root`), where
        :func:`workspace_file` finds them again when a briefing is made.
        """
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
            "deck_template": f.deck_template,
            "primary": self.theme.primary,
            "accent": self.theme.accent,
            "cover_note": self.per_language(b.cover_note),
            "disclaimer": self.per_language(b.disclaimer),
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


def workspace_file(root: Path, spec: str, key: str, where: str) -> Path:
    """The firm's file ``spec`` (the value of ``key``, e.g. ``briefing.cover_note``) inside the
    workspace ``root``; :class:`InputError` for anything else.

    Absolute paths, ``..`` and links that lead out of the folder are refused, so that no file
    outside the workspace reaches a briefing. ``where`` starts the message (file and line).
    """
    from pathlib import PurePosixPath, PureWindowsPath

    suffixes, what = FIRM_FILES[".".join(key.split(".")[:2])]
    allowed = f"allowed: {what} inside {root}, named relative to it"
    pure = PurePosixPath(str(spec).replace("\\", "/"))
    if (not str(spec).strip() or pure.is_absolute() or PureWindowsPath(spec).drive
            or ".." in pure.parts):
        raise InputError(f"{where}: {key}: '{str(spec)[:80]}' is outside the workspace "
                         f"({allowed}, without '..')")
    if pure.suffix.lower() not in suffixes:
        raise InputError(f"{where}: {key}: '{str(spec)[:80]}' is not {what} ({allowed})")
    base = root.resolve()
    path = (base / pure).resolve()
    # resolve() follows links: one that points out of the workspace is refused too.
    if not path.is_relative_to(base):
        raise InputError(f"{where}: {key}: '{str(spec)[:80]}' leads outside the workspace "
                         f"({allowed})")
    if not path.is_file():
        raise InputError(f"{where}: {key}: '{str(spec)[:80]}' not found in {root} ({allowed})")
    return path


def _line_of(text: str, table: str, key: str) -> int | None:
    """The line of ``key`` in ``[table]`` (tomllib keeps no positions); with no table, of a
    top-level key or of the table header ``[key]`` itself."""
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([A-Za-z0-9_.-]+)\s*\]", stripped)
        if header:
            current = header.group(1)
            if not table and current.split(".")[0] == key:
                return number
        elif current == table and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return number
        elif not current and table and re.match(rf"^{re.escape(f'{table}.{key}')}\s*=",
                                                stripped):
            return number                     # a dotted key at the top: firm.name = "..."
    return None


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour, #RRGGBB or #RGB."""
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(colour: str, background: str = "#FFFFFF") -> float:
    """WCAG 2 contrast ratio of two colours: the one formula briefgen checks colours with
    (briefgen.toml's theme, the Python API's Options, and the tests of the stylesheets)."""
    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def check_colour(value: str, where: str) -> None:
    """Refuse a colour that gives text less than 4.5:1 on white, naming the measured ratio."""
    if not isinstance(value, str) or not _HEX.match(value):  # the Python API's Options
        raise InputError(f"{where}: {value!r} is not a colour (allowed: #RRGGBB, e.g. #0B5D4B)")
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
        neither: set[str] = set()
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            if ".".join(loc[:2]) in _PER_LANGUAGE and len(loc) > 2:
                # One value or a table by language: pydantic tries both branches of the union
                # and names the branch next (str, constrained-str, NotePerLanguage ...), which
                # is no key of the file. Only the branch of the value's kind is its problem.
                table_branch = loc[2].endswith("PerLanguage")
                del loc[2]
                value = data[loc[0]][loc[1]]
                if not isinstance(value, (str, dict)):   # neither branch's kind: one problem
                    if ".".join(loc) in neither:
                        continue
                    neither.add(".".join(loc))
                    msg = ("Input should be a string, or a table with one per language "
                           f"(allowed in [{'.'.join(loc)}]: {_ALLOWED['.'.join(loc)]})")
                elif isinstance(value, dict) != table_branch:
                    continue
            line = ((_line_of(text, f"{loc[0]}.{loc[1]}", loc[2]) if len(loc) > 2 else None)
                    or (_line_of(text, loc[0], loc[1]) if len(loc) > 1 else None)
                    or _line_of(text, "", loc[0]))   # an inline table: the line it is on
            where = f"{name}:{line}" if line else name
            table = ".".join(loc[:-1])   # where the unknown key is: [firm], [briefing.cover_note]
            allowed = _ALLOWED.get(table) if err["type"] == "extra_forbidden" else None
            if allowed:
                msg += f" (allowed in [{table}]: {allowed})"
            elif err["type"] == "extra_forbidden" and len(loc) == 1:
                msg += f" (allowed tables: {', '.join(_TABLES)})"
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
    def per_language(note: str | NotePerLanguage | None) -> dict[str, str]:
        return ({"": note} if isinstance(note, str) else
                {f".{lang}": spec for lang, spec in note.model_dump().items() if spec} if note
                else {})

    privacy = parsed.serve.privacy if parsed.serve else None
    files = [("firm", "logo", "", parsed.firm.logo),
             ("firm", "deck_template", "", parsed.firm.deck_template),
             *(("briefing", "cover_note", lang, spec)
               for lang, spec in per_language(parsed.briefing.cover_note).items()),
             *(("serve", "privacy", lang, spec) for lang, spec in per_language(privacy).items())]
    for table, key, lang, value in files:
        if value is None:
            continue
        line = (_line_of(text, f"{table}.{key}", lang[1:]) if lang else None) \
            or _line_of(text, table, key)
        try:
            workspace_file(path.parent, value, f"{table}.{key}{lang}",
                           f"{name}:{line}" if line else name)
        except InputError as exc:
            problems.append(str(exc))
    if problems:
        raise InputError(problems)
    return Config(path=path, firm=parsed.firm, theme=parsed.theme, briefing=parsed.briefing,
                  serve=parsed.serve, smtp=parsed.smtp)


_TABLES = ("firm", "theme", "briefing", "serve", "smtp")
# The keys given as one value or as a table with one per language.
_PER_LANGUAGE: dict[str, type[_Table]] = {
    "briefing.cover_note": NotePerLanguage, "briefing.disclaimer": DisclaimerPerLanguage,
    "serve.privacy": NotePerLanguage}
_MODELS: dict[str, type[_Table]] = {
    "firm": FirmConfig, "theme": ThemeConfig, "briefing": BriefingConfig, "serve": ServeConfig,
    "smtp": SmtpConfig, **_PER_LANGUAGE}
_ALLOWED = {table: ", ".join(k for k in model.model_fields if k != "password")
            for table, model in _MODELS.items()}


def workspace_config(explicit: Path | None = None, start: Path | None = None) -> Config | None:
    """The config named by ``--config``, else the nearest ``briefgen.toml``, else None."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise InputError(f"--config: {explicit} not found")
        return load_config(Path(explicit))
    found = find_config(start or Path.cwd())
    return load_config(found) if found else None


def workspace_options(config: Path | None = None, start: Path | None = None,
                      **given: Any) -> Options:
    """Options from the built-in defaults, then ``briefgen.toml``, then ``given`` (not None).

    ``config`` names the file (``--config``); without it the nearest ``briefgen.toml`` in
    ``start`` (default: the working directory) or a parent is used, if there is one.
    """
    found = workspace_config(config, start)
    base = DEFAULTS.with_(**found.option_values()) if found else DEFAULTS
    return base.with_(**given)


__all__ = ["Config", "FirmConfig", "ThemeConfig", "BriefingConfig", "ServeConfig", "SmtpConfig",
           "FORMATS",
           "CONFIG_NAME", "find_config", "load_config", "workspace_config", "contrast_ratio",
           "check_colour", "workspace_file", "workspace_options"]
