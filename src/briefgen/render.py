"""Render a briefing: Jinja2 templates to HTML, WeasyPrint HTML to a tagged PDF.

A :class:`Renderer` holds what is expensive to set up (the template environment, the parsed
stylesheet and the font configuration) and is reused across briefings. The renderer fetches
nothing but the project's own assets and the folders the user named: every other URL is refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from . import __version__, resources
from .errors import RenderError

log = logging.getLogger(__name__)

PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b")


class SafeFetcher(URLFetcher):
    """Serve ``data:`` URLs and files below the allowed folders; refuse everything else."""

    def __init__(self, roots: Iterable[Path]):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.roots = [Path(r).resolve() for r in roots]
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
                return URLFetcherResponse(url, path.read_bytes(), status=200)
        self.refused.append(url)
        log.warning("refused to fetch %s", url[:200])
        raise ValueError(f"briefgen fetches only its own assets, not {url[:200]}")


@dataclass(frozen=True)
class RenderOptions:
    lang: str = "sv"
    pdf_variant: str = "pdf/ua-1"
    author: str = "briefgen"
    templates: Path | None = None      # a folder of the user's templates, searched first


def _upfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


class Renderer:
    """Templates, stylesheet and fonts, set up once and reused for many briefings."""

    def __init__(self, templates: Path | None = None):
        shipped = resources.templates_dir()
        loaders: list[jinja2.BaseLoader] = []
        self.user_templates = Path(templates).resolve() if templates else None
        if self.user_templates:
            if not self.user_templates.is_dir():
                raise RenderError(f"--templates: {templates} is not a folder")
            loaders.append(jinja2.FileSystemLoader(self.user_templates))
        loaders.append(jinja2.FileSystemLoader(shipped))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["upfirst"] = _upfirst
        self.env.filters["data_uri"] = lambda svg: Markup(
            "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode())
        roots = [shipped, resources.fonts_dir()]
        if self.user_templates:
            roots.append(self.user_templates)
        self.fetcher = SafeFetcher(roots)
        self.font_config = FontConfiguration()
        css_source, css_path, _ = self.env.loader.get_source(self.env, "briefing.css")
        # Relative URLs in the stylesheet (the fonts) resolve against the shipped templates.
        self.css = CSS(string=css_source, base_url=str(shipped / "briefing.css"),
                       font_config=self.font_config, url_fetcher=self.fetcher)
        self.base_url = str(shipped) + "/"

    def html(self, context: dict) -> str:
        try:
            return self.env.get_template("briefing.html").render(**context)
        except jinja2.TemplateError as exc:
            raise RenderError(f"template error: {exc}") from None

    def pdf(self, html: str, meta: PdfMeta, variant: str = "pdf/ua-1") -> bytes:
        """Lay out ``html`` and return the PDF's bytes."""
        if variant not in PDF_VARIANTS:
            raise RenderError(f"--pdf-variant: '{variant}' is not supported "
                              f"(allowed: {', '.join(PDF_VARIANTS)})")
        try:
            document = HTML(string=html, base_url=self.base_url,
                            url_fetcher=self.fetcher).render(
                font_config=self.font_config, stylesheets=[self.css], pdf_tags=True)
            md = document.metadata
            md.title, md.authors, md.description = meta.title, [meta.author], meta.subject
            md.keywords, md.lang = list(meta.keywords), meta.lang
            md.created = md.modified = meta.created
            md.generator = f"briefgen {__version__}"
            md.attachments = []
            return document.write_pdf(
                pdf_variant=variant, pdf_tags=True, pdf_identifier=meta.identifier,
                attachments=meta.attachments or None)
        except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint
            raise RenderError(f"the renderer could not fetch an asset: {exc}") from None
        except (RecursionError, MemoryError) as exc:
            raise RenderError(f"the briefing could not be laid out: {type(exc).__name__}") \
                from None


@dataclass(frozen=True)
class PdfMeta:
    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    lang: str
    created: str                  # ISO 8601, from the assessment date or SOURCE_DATE_EPOCH
    identifier: bytes             # stable: the same input gives the same bytes
    attachments: tuple = ()


def creation_date(assessed: dt.date) -> str:
    """The PDF's dates: SOURCE_DATE_EPOCH when set, else noon UTC on the assessment date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        when = dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    else:
        when = dt.datetime.combine(assessed, dt.time(12, 0), tzinfo=dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def stable_identifier(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32].encode()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
