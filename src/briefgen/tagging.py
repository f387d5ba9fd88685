"""Three PDF/UA details WeasyPrint 70 (pinned) leaves out, added around its tag builder.

* A passage in another language than the document's (``lang=`` on an element) gets /Lang in
  its structure element, so a screen reader switches voice.

* Running heads, footers and page numbers (CSS margin boxes) are pagination artifacts:
  WeasyPrint marks their text as ``/Span`` content with an MCID and builds structure elements
  for it that hang under no element of the tree (a checker sees ``/Span`` under
  ``NonStruct``). Here that text is written as ``/Artifact <</Type /Pagination /Subtype
  /Header>> BDC ... EMC`` (``/Footer`` at the bottom) and left out of the structure tree.
* Link annotations get the Print flag (``/F 4``), which PDF/UA (ISO 14289-1, 7.18.1 with
  PDF/A) expects of every annotation that is shown.

:func:`install` applies them once; :func:`pagination_artifacts` marks one document's margin
boxes while it is written; :func:`finish` sets the flags on the written PDF's objects.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pydyf
from weasyprint.formatting_structure import boxes
from weasyprint.pdf import stream as weasyprint_stream
from weasyprint.pdf import tags as weasyprint_tags

ANNOTATION_PRINT = 4  # bit 3 of an annotation's /F
_state = threading.local()  # the margin boxes' text boxes of the document being written


def _subtype(margin: boxes.MarginBox) -> str | None:
    keyword = getattr(margin, "at_keyword", "") or ""
    if keyword.startswith("@top"):
        return "/Header"
    if keyword.startswith("@bottom"):
        return "/Footer"
    return None


@contextlib.contextmanager
def pagination_artifacts(document) -> Iterator[None]:
    """While ``document`` is written, draw its margin boxes' text as pagination artifacts."""
    found: dict[boxes.Box, str | None] = {}
    for page in document.pages:
        for margin in page._page_box.children:  # noqa: SLF001 - WeasyPrint's page tree
            if isinstance(margin, boxes.MarginBox):
                for box in margin.descendants():
                    found[box] = _subtype(margin)
    _state.artifacts = found
    try:
        yield
    finally:
        _state.artifacts = {}


_marked = weasyprint_stream.Stream.marked


@contextlib.contextmanager
def _marked_or_artifact(self, box, tag):
    artifacts = getattr(_state, "artifacts", None) or {}
    if self._tags is None or box not in artifacts:  # noqa: SLF001
        with _marked(self, box, tag):
            yield
        return
    properties = {"Type": "/Pagination"}
    if artifacts[box]:
        properties["Subtype"] = artifacts[box]
    pydyf.Stream.begin_marked_content(self, "Artifact", pydyf.Dictionary(properties))
    try:
        yield
    finally:
        pydyf.Stream.end_marked_content(self)


_build_box_tree = weasyprint_tags._build_box_tree  # WeasyPrint's own


def _build_box_tree_tagged(box, parent, pdf, *args):
    """WeasyPrint's tag builder, leaving out margin boxes (their text is an artifact: no
    structure element, no MCID) and writing /Lang for elements marked with lang=."""
    if isinstance(box, boxes.MarginBox) and getattr(_state, "artifacts", None):
        return
    for element in _build_box_tree(box, parent, pdf, *args):
        node = getattr(box, "element", None)
        lang = node.get("lang") if node is not None else None
        if (lang and getattr(box, "element_tag", None) not in ("html", "body")
                and not isinstance(box, boxes.PageBox) and "Lang" not in element):
            element["Lang"] = pydyf.String(lang)
        yield element


def install() -> None:
    """Patch WeasyPrint's tag builder and marked content, once (idempotent)."""
    if weasyprint_tags._build_box_tree is _build_box_tree:
        weasyprint_tags._build_box_tree = _build_box_tree_tagged
    if weasyprint_stream.Stream.marked is _marked:
        weasyprint_stream.Stream.marked = _marked_or_artifact


def finish(pdf) -> None:
    """Give every link annotation the Print flag."""
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/Annot" \
                and obj.get("Subtype") == "/Link":
            obj["F"] = int(obj.get("F", 0)) | ANNOTATION_PRINT
