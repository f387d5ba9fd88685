"""The firm's brand in a briefing: its name, contact, logo, colours and cover note.

Everything here comes from :class:`~briefgen.pipeline.Options` (filled from ``briefgen.toml``
by :mod:`briefgen.config`) and becomes template context. The cover note is Markdown rendered
with raw HTML disabled, so ``<script>`` in it shows as text.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .config import check_colour
from .errors import InputError
from .logo import logo_data_uri

if TYPE_CHECKING:
    from .pipeline import Options

log = logging.getLogger(__name__)

MAX_NOTE_BYTES = 100_000

# The shipped palette (#RRGGBB), as templates/common.css has it: a workspace's theme.primary and
# theme.accent replace the first two; text, secondary text and the pale ground stay.
PRIMARY = "#1F4E79"    # headings, rules, the organisation in every chart (--navy)
ACCENT = "#A8480F"     # the benchmark in every chart, priority badges (--copper), 5.6:1 on white
INK = "#1B2A3A"        # text (--ink)
MUTED = "#55606B"      # secondary text (--muted), 6.4:1 on white
PALE = "#EEF2F6"       # the ground of highlighted rows and boxes (--pale)
WHITE = "#FFFFFF"


def workspace_root(options: Options) -> Path:
    """The folder the workspace's relative paths (logo, cover note) are read from."""
    return Path(options.config).parent if options.config else Path.cwd()


def firm_logo(options: Options) -> str | None:
    """The firm's logo as a ``data:`` URI (the same guards as a profile's logo), or None."""
    if not options.firm_logo:
        return None
    root = workspace_root(options)
    return logo_data_uri(options.firm_logo, [root], f"{options.config or 'firm'}: firm.logo")


def markdown_html(text: str) -> Markup:
    """Render a cover note: CommonMark without raw HTML or images, headings below the h2."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
    tokens = md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            # The note sits under its own h2: its headings start at h3 (PDF/UA nesting).
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
    return Markup(md.renderer.render(tokens, md.options, {}))


@lru_cache(maxsize=8)
def _read_note(path: str, mtime: float) -> Markup:
    from .reading import read_text

    return markdown_html(read_text(Path(path), f"{path}: briefing.cover_note", MAX_NOTE_BYTES))


def cover_note(options: Options) -> Markup | None:
    if not options.cover_note:
        return None
    path = Path(options.cover_note)
    if not path.is_file():
        raise InputError(f"briefing.cover_note: {path} not found")
    return _read_note(str(path), path.stat().st_mtime)


def theme_css(options: Options) -> Markup:
    """The firm's colours as CSS custom properties, overriding common.css's shipped ones."""
    for key in ("primary", "accent"):
        check_colour(getattr(options, key), f"theme.{key}")
    # html:root is more specific than common.css's :root, which comes later in the cascade.
    return Markup(f"html:root {{ --navy: {options.primary}; --copper: {options.accent}; }}")


def brand_context(options: Options) -> dict[str, Any]:
    """The template context of the firm: ``firm``, ``cover_note_html``, ``theme_css``."""
    return {
        "firm": {"name": options.author, "contact": options.contact,
                 "logo": firm_logo(options), "disclaimer": options.disclaimer},
        "cover_note_html": cover_note(options),
        "theme_css": theme_css(options),
    }
