"""The firm's brand in a briefing: its name, contact, logo, colours and cover note.

Everything here comes from :class:`~briefgen.options.Options` (filled from ``briefgen.toml``
by :mod:`briefgen.config`) and becomes template context, or the :class:`Firm` the deliverable
kit draws from. The cover note is Markdown rendered with raw HTML disabled, so ``<script>`` in
it shows as text. The firm's files (logo, cover notes, deck template) are read from inside the
workspace only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .config import check_colour, workspace_file
from .logo import logo_data_uri
from .options import ACCENT, PRIMARY
from .reading import display_path, read_bytes, read_text

if TYPE_CHECKING:
    from .options import Options

log = logging.getLogger(__name__)

MAX_NOTE_BYTES = 100_000
MAX_TEMPLATE_BYTES = 50_000_000     # a firm's deck template with its pictures

# The shipped palette (#RRGGBB), as templates/common.css has it: a workspace's theme.primary and
# theme.accent replace the first two; text, secondary text and the pale ground stay.
INK = "#1B2A3A"        # text (--ink)
MUTED = "#55606B"      # secondary text (--muted), 6.4:1 on white
PALE = "#EEF2F6"       # the ground of highlighted rows and boxes (--pale)
WHITE = "#FFFFFF"


def workspace_root(options: Options) -> Path:
    """The folder the workspace's relative paths (logo, cover note) are read from."""
    return Path(options.config).parent if options.config else Path.cwd()


def _where(options: Options) -> str:
    return display_path(Path(options.config)) if options.config else "Options"


def firm_file(options: Options, spec: str, key: str) -> Path:
    """One of the firm's files, found inside the workspace only (see :func:`workspace_file`)."""
    return workspace_file(workspace_root(options), spec, key, _where(options))


def in_language(value: str | Mapping[str, str] | None, lang: str,
                own: str) -> tuple[str | None, str]:
    """The value for ``lang`` of one given per language, and the language it was found under.

    One plain value is in ``own`` (the options' language): a briefing in another language gets
    None, never the firm's text in a language it is not written in.
    """
    if value is None:
        return None, lang
    if isinstance(value, str):
        return (value if lang == own else None), own
    return value.get(lang) or None, lang


def firm_logo(options: Options) -> str | None:
    """The firm's logo as a ``data:`` URI (the same guards as a profile's logo), or None."""
    if not options.firm_logo:
        return None
    firm_file(options, options.firm_logo, "firm.logo")
    root = workspace_root(options)
    return logo_data_uri(options.firm_logo, [root], f"{_where(options)}: firm.logo")


def markdown_html(text: str, top: int = 3) -> Markup:
    """Render a cover note: CommonMark without raw HTML or images, its highest heading at
    ``top`` and the others in step (h3: below the h2 the note sits under; a web page's privacy
    notice starts at h2), so that no heading level is skipped whether the note starts at # or
    at ##.

    A line break in a paragraph stays a line break (a letter's "Vänliga hälsningar," and the
    name below it), as a consultant who writes the note expects, not CommonMark's space.
    """
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    md.disable("image")
    tokens = md.parse(text)
    headings = [t for t in tokens if t.type in ("heading_open", "heading_close")]
    highest = min((int(t.tag[1]) for t in headings), default=1)
    for token in headings:
        # The note sits under its own heading: its headings start one below (PDF/UA and
        # WCAG nesting).
        token.tag = f"h{min(int(token.tag[1]) - highest + top, 6)}"
    return Markup(md.renderer.render(tokens, md.options, {}))


@lru_cache(maxsize=8)
def _read_note(path: str, mtime: float, name: str) -> Markup:
    return markdown_html(read_text(Path(path), name, MAX_NOTE_BYTES))


def cover_note(options: Options, lang: str | None = None) -> Markup | None:
    """The firm's letter in ``lang`` (default: the options' language) as HTML, or None."""
    lang = lang or options.lang
    spec, found = in_language(options.cover_note, lang, options.lang)
    if not spec:
        return None
    key = "briefing.cover_note" + (f".{found}" if isinstance(options.cover_note, Mapping)
                                   else "")
    path = firm_file(options, spec, key)
    return _read_note(str(path), path.stat().st_mtime, f"{_where(options)}: {key}: {spec}")


def disclaimer(options: Options, lang: str | None = None) -> str | None:
    """The firm's disclaimer in ``lang`` (default: the options' language), or None."""
    lang = lang or options.lang
    return in_language(options.disclaimer, lang, options.lang)[0]


def deck_template(options: Options) -> bytes | None:
    """The bytes of the firm's deck template (.pptx or .potx), or None."""
    if not options.deck_template:
        return None
    path = firm_file(options, options.deck_template, "firm.deck_template")
    return read_bytes(path, f"{_where(options)}: firm.deck_template: {options.deck_template}",
                      MAX_TEMPLATE_BYTES)


def theme_css(options: Options) -> Markup:
    """The firm's colours as CSS custom properties, overriding common.css's shipped ones."""
    for key in ("primary", "accent"):
        check_colour(getattr(options, key), f"theme.{key}")
    # html:root is more specific than common.css's :root, which comes later in the cascade.
    return Markup(f"html:root {{ --navy: {options.primary}; --copper: {options.accent}; }}")


@dataclass(frozen=True)
class Firm:
    """The firm as one briefing in one language shows it: what the kit and templates draw."""

    name: str | None = None
    contact: str | None = None
    logo: str | None = None            # a data: URI
    disclaimer: str | None = None      # in the briefing's language
    primary: str = PRIMARY
    accent: str = ACCENT
    deck_template: bytes | None = None


def firm(options: Options, lang: str | None = None, with_template: bool = False) -> Firm:
    """The firm of ``options`` in ``lang``; ``with_template``: read the deck template too."""
    for key in ("primary", "accent"):
        check_colour(getattr(options, key), f"theme.{key}")
    return Firm(name=options.author, contact=options.contact, logo=firm_logo(options),
                disclaimer=disclaimer(options, lang), primary=options.primary,
                accent=options.accent,
                deck_template=deck_template(options) if with_template else None)


def brand_context(options: Options, lang: str | None = None) -> dict[str, Any]:
    """The template context of the firm in ``lang``: ``firm``, ``cover_note_html``,
    ``theme_css``."""
    return {
        "firm": {"name": options.author, "contact": options.contact,
                 "logo": firm_logo(options), "disclaimer": disclaimer(options, lang)},
        "cover_note_html": cover_note(options, lang),
        "theme_css": theme_css(options),
    }
