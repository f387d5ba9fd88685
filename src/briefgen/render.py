"""Render a briefing: Jinja2 templates to HTML, WeasyPrint HTML to a tagged PDF.

A :class:`Renderer` holds what is expensive to set up (the template environment, the parsed
stylesheet and the font configuration) and is reused across briefings. The renderer fetches
nothing but the project's own assets and the folders the user named: every other URL is refused.
"""

from __future__ import annotations

import base64
import contextvars
import functools
import io
import logging
import os
import re
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import jinja2
import pydyf
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from . import collector
from ._libs import one_ldconfig

# WeasyPrint loads Pango & co. on import: one library lookup, not 22; and its import builds
# objects only, no garbage, so the collector does not walk them while they pile up.
with one_ldconfig(), collector.paused():
    import weasyprint.text.ffi  # noqa: F401

from weasyprint import CSS, HTML, Attachment, images  # noqa: E402
from weasyprint.formatting_structure import boxes  # noqa: E402
from weasyprint.pdf.metadata import NS as XMP_NS  # noqa: E402
from weasyprint.pdf.metadata import DocumentMetadata  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse  # noqa: E402

from . import __version__, fonts, pagerefs, resources, svgtext, tagging  # noqa: E402
from .errors import InputError, RenderError  # noqa: E402
from .options import PDF_VARIANTS  # noqa: E402
from .output import (  # noqa: F401, E402  (re-exported for callers of render)
    ISO_UTC,
    AttachedFile,
    PdfMeta,
    creation_time,
    stable_identifier,
    write_atomic,
)
from .reading import display_path, read_text  # noqa: E402
from .tagging import pagination_artifacts  # noqa: E402
from .uasheet import BriefingHTML  # noqa: E402

log = logging.getLogger(__name__)

# zlib level for the PDF's streams. pydyf 0.13 always uses 9; 6 is about as small (the
# briefing grows ~1 %) and faster (about 3 % of a warm render, by bench/compare.py).
PDF_COMPRESSION_LEVEL = 6


# The images a briefing carries as base64 data: URLs (its charts, the logos) are handed to
# WeasyPrint by short references to the decoded bytes: its HTML parser then reads 50 KB of
# HTML where it read 120 KB (1-2 % of a warm render, the PDF byte-identical).
_DATA_IMAGE = re.compile(r'"data:(image/[\w.+-]+);base64,([A-Za-z0-9+/]*={0,2})"')
INLINE_SCHEME = "briefgen-inline"
_inline: contextvars.ContextVar[dict[str, tuple[str, bytes]] | None] = contextvars.ContextVar(
    "briefgen_inline_images", default=None)


def _by_reference(html: str) -> tuple[str, dict[str, tuple[str, bytes]]]:
    """``html`` with each quoted base64 image data: URL replaced by a reference; the images
    (media type, bytes) by reference. Equal images share one reference."""
    images: dict[str, tuple[str, bytes]] = {}
    refs: dict[str, str] = {}

    def swap(match: re.Match) -> str:
        ref = refs.get(match.group(0))
        if ref is None:
            ref = refs[match.group(0)] = f"{INLINE_SCHEME}:{len(refs)}"
            images[ref] = (match.group(1), base64.b64decode(match.group(2)))
        return f'"{ref}"'

    return _DATA_IMAGE.sub(swap, html), images


class SafeFetcher(URLFetcher):
    """Serve ``data:`` URLs, the current render's inline images and files below the allowed
    folders; refuse everything else."""

    def __init__(self, roots: Iterable[Path]):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.roots = [Path(r).resolve() for r in roots]
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == INLINE_SCHEME and url in (images := _inline.get() or {}):
            media_type, data = images[url]
            return URLFetcherResponse(url, data, headers={"Content-Type": media_type})
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
                return URLFetcherResponse(url, path.read_bytes(), status=200)
        self.refused.append(url)
        log.warning("refused to fetch %s", url[:200])
        raise ValueError(f"briefgen fetches only its own assets, not {url[:200]}")


def user_cache_dir() -> Path | None:
    """briefgen's folder in the user's cache: $XDG_CACHE_HOME/briefgen or ~/.cache/briefgen."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    try:
        root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    except RuntimeError:  # no home directory to be found
        return None
    return root / "briefgen"


class _TolerantBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's on-disk bytecode cache, except that a cache it cannot write is no error."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:  # read-only, full, or gone: the template is compiled anyway
            log.debug("template cache not written: %s", exc)


def template_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (a cold `make` compiles none), or None if the
    user's cache folder cannot be made. The folder is per briefgen and Jinja version, since
    Jinja checks the template source but not the environment's settings."""
    folder = user_cache_dir()
    if folder is None:
        return None
    # "sandboxed": a sandbox compiles calls differently; never load an unsandboxed build.
    folder = folder / f"templates-{__version__}-jinja{jinja2.__version__}-sandboxed"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.debug("no template cache: %s", exc)
        return None
    return _TolerantBytecodeCache(str(folder))


@dataclass(frozen=True)
class Rendered:
    """A rendered PDF: its bytes and its number of pages."""

    pdf: bytes
    pages: int


def _upfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


# What a template may look into: the briefing's data (briefgen's own types, its pydantic
# models), plain Python values, dates, Markup and Jinja's loop helpers. Anything else the data
# could lead to (a Path, a module, an open file) has no attribute a template can reach.
TEMPLATE_MODULES = frozenset({"builtins", "datetime", "briefgen", "markupsafe", "jinja2"})
MAX_TEMPLATE_BYTES = 1_000_000


class BriefingSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox for every template, the shipped ones and a firm's own.

    Jinja refuses attributes that start with ``_`` (``__globals__``, ``__class__``: the ways
    from a template to Python's internals, files and commands), Python's internal attributes
    and changes to lists and dicts (the shared data stays as it is for the next briefing); on
    top, attributes only of objects of :data:`TEMPLATE_MODULES`. What it does not bound is time:
    a template that loops for ever is stopped by a batch's --task-timeout, not by ``make``.
    """

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        module = type(obj).__module__.partition(".")[0]
        return module in TEMPLATE_MODULES and super().is_safe_attribute(obj, attr, value)


class FolderLoader(jinja2.FileSystemLoader):
    """A firm's templates folder: regular files inside it only (no link out of it, no FIFO),
    each read with its size checked (:func:`briefgen.reading.read_text`)."""

    def get_source(self, environment, template):
        pieces = jinja2.loaders.split_template_path(template)
        for searchpath in self.searchpath:
            root = Path(searchpath).resolve()
            path = Path(searchpath, *pieces)
            if not os.path.lexists(path):
                continue
            name = f"--templates: {path}"
            if not path.resolve().is_relative_to(root):
                raise InputError(f"{name}: a link out of the templates folder (allowed: files "
                                 f"inside {root})")
            source = read_text(path, name, MAX_TEMPLATE_BYTES)
            return source, str(path), functools.partial(_unchanged, path, _mtime(path))
        raise jinja2.TemplateNotFound(template)


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _unchanged(path: Path, mtime: float | None) -> bool:
    return _mtime(path) == mtime


def _template_line(exc: BaseException) -> str:
    """Where in a template an error arose, ``file:line``, from Jinja's rewritten traceback."""
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".css")):
            where = f"{display_path(Path(filename))}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where or "a template"


class Renderer:
    """Templates, stylesheet and fonts, set up once and reused for many briefings.

    ``stylesheet``: the template folder's stylesheet the PDFs are laid out with.
    """

    def __init__(self, templates: Path | None = None, stylesheet: str = "briefing.css"):
        install_weasyprint_fixes()
        shipped = resources.templates_dir()
        loaders: list[jinja2.BaseLoader] = []
        self.user_templates = Path(templates).resolve() if templates else None
        if self.user_templates:
            if not self.user_templates.is_dir():
                raise RenderError(f"--templates: {templates} is not a folder")
            loaders.append(FolderLoader(self.user_templates))
        loaders.append(jinja2.FileSystemLoader(shipped))
        self.env = BriefingSandbox(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            bytecode_cache=template_cache(),
        )
        self.env.filters["upfirst"] = _upfirst
        self.env.filters["data_uri"] = lambda svg: Markup(
            "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode())
        roots = [shipped, resources.fonts_dir()]
        if self.user_templates:
            roots.append(self.user_templates)
        self.fetcher = SafeFetcher(roots)
        self.font_config = FontConfiguration()
        assert self.env.loader is not None  # set just above
        css_source, css_path, _ = self.env.loader.get_source(self.env, stylesheet)
        # Relative URLs in the stylesheet (the fonts) resolve against the shipped templates.
        self.css = CSS(string=css_source, base_url=str(shipped / stylesheet),
                       font_config=self.font_config, url_fetcher=self.fetcher)
        self.base_url = str(shipped) + "/"
        # The shipped templates use none of the user-agent rules uasheet leaves out; a user's
        # templates might (footnotes, dir="rtl"), so they get WeasyPrint's whole sheet.
        self.html_class = HTML if self.user_templates else BriefingHTML

    def html(self, context: dict, template: str = "briefing.html") -> str:
        try:
            return self.env.get_template(template).render(**context)
        except SecurityError as exc:  # a template reaching past the briefing's data
            raise InputError(f"{_template_line(exc)}: refused: {str(exc).rstrip('.')} (allowed: "
                             "a template may use the briefing's data, not Python's internals, "
                             "files or commands)") from None
        except jinja2.TemplateError as exc:
            raise RenderError(f"template error: {exc}") from None

    def pdf(self, html: str, meta: PdfMeta, variant: str = "pdf/ua-1") -> Rendered:
        """Lay out ``html`` and return the PDF's bytes with its page count."""
        if variant not in PDF_VARIANTS:
            raise RenderError(f"--pdf-variant: '{variant}' is not supported "
                              f"(allowed: {', '.join(PDF_VARIANTS)})")
        try:
            with collector.paused():  # ~10 % of a render otherwise: see briefgen.collector
                return self._pdf(html, meta, variant)
        except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint
            raise RenderError(f"the renderer could not fetch an asset: {exc}") from None
        except (RecursionError, MemoryError) as exc:
            raise RenderError(f"the briefing could not be laid out: {type(exc).__name__}") \
                from None

    def _pdf(self, html: str, meta: PdfMeta, variant: str) -> Rendered:
        document = self._fitted(html)
        pagerefs.fill(document)  # the contents' page numbers
        md = document.metadata
        md.title, md.authors, md.description = meta.title, [meta.author], meta.subject
        md.keywords, md.lang = list(meta.keywords), meta.lang
        md.created = md.modified = meta.created.strftime(ISO_UTC)
        md.generator = f"briefgen {__version__}"
        md.attachments = []  # never files named by <link rel=attachment> in the HTML
        md.__class__ = _BriefingMetadata  # adds dc:language (and PDF/UA id to PDF/A)
        with pagination_artifacts(document):  # running heads and page numbers
            data = document.write_pdf(
                pdf_variant=variant, pdf_tags=True, pdf_identifier=meta.identifier,
                attachments=self._attachments(meta) or None, finisher=_finish)
        return Rendered(data, len(document.pages))

    def _layout(self, html: str):
        document = self.html_class(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
        return document.render(font_config=self.font_config, stylesheets=[self.css], pdf_tags=True)

    def _fitted(self, html: str):
        """Lay out ``html``; if the page before the last would end nearly empty (the back
        content, kept whole, too tall to follow the appendix on its page), lay it out again
        with the first remedy of ``FIT_REMEDIES`` that fills it. Costs a second layout only
        then: none of the shipped examples nor of 40 generated profiles needs one."""
        html, images = _by_reference(html)
        token = _inline.set(images)  # served by the fetcher while WeasyPrint lays out
        try:
            classes = [FALLBACK_FONTS] if fonts.needs_fallback(html) else []
            document = self._layout(_with_classes(html, classes))
            if not _short_before_last(document):
                return document
            for remedy in FIT_REMEDIES:
                log.debug("page %d of %d nearly empty: laying out again with %s",
                          len(document.pages) - 1, len(document.pages), remedy)
                candidate = self._layout(_with_classes(html, [*classes, remedy]))
                if not _short_before_last(candidate):
                    return candidate
            return document
        finally:
            _inline.reset(token)

    def warm_up(self) -> None:
        """Compile every template and write a small PDF in every face of the stylesheet's fonts.

        Afterwards the first briefing costs what the next ones do: no template compiles, no
        font loading, no first import of the PDF writer's font subsetter.
        """
        for name in self.env.list_templates(extensions=["html"]):
            self.env.get_template(name)
        html = ('<html lang="sv"><body><h1>Å</h1><h2>x</h2><h3>x</h3><p>x <b>x</b> <i>x</i> '
                '<strong>x</strong></p><ol><li>x</li></ol><table><thead><tr><th>x</th></tr>'
                '</thead><tbody><tr><td>1</td></tr></tbody></table></body></html>')
        self._layout(html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True, finisher=_finish)

    def _attachments(self, meta: PdfMeta) -> list[Attachment]:
        return [Attachment(file_obj=io.BytesIO(a.data), name=a.name, description=a.description,
                           created=meta.created, modified=meta.created, relationship=a.relationship,
                           url_fetcher=self.fetcher)
                for a in meta.attachments]


_SHARED: dict[Path | None, Renderer] = {}
_SHARED_LOCK = threading.Lock()


def shared_renderer(templates: Path | None = None) -> Renderer:
    """This process's renderer for ``templates``: built once, reused by every Briefgen.

    The batch's fork server builds (and warms) the one for the shipped templates before it
    forks the workers (:mod:`briefgen.warm`), so each worker starts with it ready.
    """
    key = Path(templates).resolve() if templates else None
    with _SHARED_LOCK:
        renderer = _SHARED.get(key)
        if renderer is None:
            renderer = _SHARED[key] = Renderer(templates)
    return renderer


_PDFUA_EXTENSION = """<rdf:Description rdf:about=""
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
 xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
 xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
 <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
  <pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
  <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
  <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
  <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
   <pdfaProperty:name>part</pdfaProperty:name>
   <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
   <pdfaProperty:category>internal</pdfaProperty:category>
   <pdfaProperty:description>Part of ISO 14289 the file conforms to</pdfaProperty:description>
  </rdf:li></rdf:Seq></pdfaSchema:property>
 </rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>"""
for _prefix, _uri in (("pdfaExtension", "http://www.aiim.org/pdfa/ns/extension/"),
                      ("pdfaSchema", "http://www.aiim.org/pdfa/ns/schema#"),
                      ("pdfaProperty", "http://www.aiim.org/pdfa/ns/property#")):
    ElementTree.register_namespace(_prefix, _uri)


class _BriefingMetadata(DocumentMetadata):
    """WeasyPrint's XMP, plus dc:language and, in PDF/A, the PDF/UA-1 identification."""

    def generate_rdf_metadata(self, variant, version, conformance):
        rdf = ElementTree.fromstring(super().generate_rdf_metadata(variant, version,
                                                                   conformance))
        rdf_ns = XMP_NS["rdf"]
        if self.lang:
            desc = ElementTree.SubElement(rdf, f"{{{rdf_ns}}}Description",
                                          {f"{{{rdf_ns}}}about": ""})
            bag = ElementTree.SubElement(ElementTree.SubElement(
                desc, f"{{{XMP_NS['dc']}}}language"), f"{{{rdf_ns}}}Bag")
            ElementTree.SubElement(bag, f"{{{rdf_ns}}}li").text = self.lang
        if variant == "a":
            ElementTree.SubElement(rdf, f"{{{rdf_ns}}}Description", {
                f"{{{rdf_ns}}}about": "", f"{{{XMP_NS['pdfuaid']}}}part": "1"})
            rdf.append(ElementTree.fromstring(_PDFUA_EXTENSION))
        return ElementTree.tostring(rdf, encoding="utf-8")


# Classes the stylesheet gives for a second layout (briefing.css, at its end): the back matter
# a little tighter; then the back page's content allowed to break across pages. The back
# content follows the appendix kept whole, so a second layout is needed only when it is taller
# than the room left and the appendix's last page would end nearly empty (a long disclaimer).
FIT_REMEDIES = ("fit", "fit-flow")
# The class that names the fallback fonts in the stylesheets (common.css), given only to a
# document with a character the primary font lacks (fonts.needs_fallback).
FALLBACK_FONTS = "fallback-fonts"
MIN_FILL = 0.40   # a page whose body ends higher than this share of its height is nearly empty


def page_fill(page) -> float:
    """Where the body's text and images end on ``page``, as a share of its height (the
    running heads and footers, in margin boxes, do not count)."""
    stack = [c for c in page._page_box.children if not isinstance(c, boxes.MarginBox)]
    bottom = 0.0
    while stack:
        box = stack.pop()
        if isinstance(box, (boxes.TextBox, boxes.ReplacedBox)):
            bottom = max(bottom, box.position_y + box.height)
        stack.extend(getattr(box, "children", ()))
    return bottom / page.height


def _with_classes(html: str, classes: list[str]) -> str:
    """``html`` with ``classes`` on its root element (the templates' ``<html lang=...>``)."""
    if not classes:
        return html
    return html.replace("<html ", f'<html class="{" ".join(classes)}" ', 1)


def _short_before_last(document) -> bool:
    pages = document.pages
    return len(pages) > 3 and page_fill(pages[-2]) < MIN_FILL


def _finish(document, pdf) -> None:
    _add_table_scopes(pdf)
    tagging.finish(pdf)  # links get the Print flag
    compress_streams(pdf, PDF_COMPRESSION_LEVEL)  # after every other change to the streams
    # WeasyPrint 70 lists each associated file twice in /AF; once is enough.
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


def compress_streams(pdf: pydyf.PDF, level: int) -> int:
    """Deflate every stream that pydyf would compress, at ``level``; return how many.

    pydyf has no option for the level: it deflates at level 9 while writing. Here each stream
    is deflated once, before writing, and handed over as already filtered data (``compress``
    off, ``/Filter /FlateDecode`` set), which pydyf writes as it is. The object and
    cross-reference streams that pydyf builds while writing keep its level 9.
    """
    count = 0
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.compress:
            raw = b"\n".join(pydyf._to_bytes(item) for item in obj.stream)  # pydyf's own join
            deflate = zlib.compressobj(level=level)
            obj.stream = [deflate.compress(raw) + deflate.flush()]
            obj.extra["Filter"] = "/FlateDecode"
            obj.compress = False
            count += 1
    return count


def _add_table_scopes(pdf) -> None:
    """Give each TH a /Scope: Column in a table head, Row in a table body (as in the HTML)."""
    def parent(obj):
        ref = obj.get("P")
        return pdf.objects[int(ref.split()[0])] if isinstance(ref, (str, bytes)) else None

    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("S") == "/TH":
            row = parent(obj)
            group = parent(row) if row is not None else None
            scope = "/Column" if group is not None and group.get("S") == "/THead" else "/Row"
            obj.setdefault("A", pydyf.Dictionary({"O": "/Table"}))["Scope"] = scope


def install_weasyprint_fixes() -> None:
    """Install briefgen's fixes to WeasyPrint 70 (pinned; recheck on upgrade), once.

    Its tag builder also writes /Lang for passages in another language, margin boxes
    (running heads, page numbers) become pagination artifacts (:mod:`briefgen.tagging`), the
    charts' labels are drawn a string at a time, not a letter at a time (``svgtext``), and an
    SVG it cannot draw fails the briefing instead of leaving a hole (:func:`_draw_svg_or_fail`).
    Called by every :class:`Renderer`, so importing this module changes nothing by itself.
    """
    svgtext.install()
    tagging.install()
    images.SVGImage.draw = _draw_svg_or_fail


def _draw_svg_or_fail(self, stream, concrete_width, concrete_height, _style) -> None:
    """WeasyPrint's SVGImage.draw, except that an SVG it cannot draw fails the briefing.

    WeasyPrint logs the error and writes the PDF without the image (a logo, a chart): a part
    of the briefing silently gone. The logo's own checks (briefgen.logo) refuse what is known
    to fail with the file and field named; this catches the rest.
    """
    try:
        self._svg.draw(stream, concrete_width, concrete_height, self._base_url, self._context)
    except Exception as exc:  # RecursionError, ValueError, ... from WeasyPrint's SVG code
        raise RenderError(f"an SVG image of the briefing (its logo or a chart) could not be "
                          f"drawn ({type(exc).__name__}: {str(exc)[:120]}); no PDF is written "
                          "without it") from None
