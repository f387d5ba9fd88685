"""The contents' page numbers, written in once the briefing is paginated.

With ``content: target-counter(attr(href), page)`` WeasyPrint 70 lays out the contents page
three times: once with the numbers unknown, and twice more as it learns them (about 5 % of a
warm render). The contents instead show a placeholder (``PLACEHOLDER``, set in the
stylesheet on ``.toc a::after``), and :func:`fill` replaces it, in the laid-out page, by the
number of the page where the entry's anchor landed. The contents page is laid out once.

That is safe because the numbers are positioned out of flow (``position: absolute``, from
the right): their text moves nothing else on the page, and nothing on any other page. Each
number keeps its right edge; the text is set on the box's own Pango layout, so the font,
the glyphs drawn and the PDF's tags come out as WeasyPrint's own numbers did; the white
behind each number and the page's link areas are measured again. Every example briefing is
byte-identical to the one ``target-counter`` gave (tested).

Installed nowhere: :meth:`briefgen.render.Renderer.pdf` calls :func:`fill` on each document
before it is written. WeasyPrint is pinned; recheck this module when it is upgraded.
"""

from __future__ import annotations

from weasyprint.anchors import gather_anchors
from weasyprint.layout.background import layout_box_backgrounds
from weasyprint.text.line_break import line_size

PLACEHOLDER = "00"   # the width of two figures: the right edge is kept, the text replaced
PSEUDO = "a::after"  # the element tag WeasyPrint gives the boxes of an a::after


def fill(document) -> int:
    """Put each contents entry's page number in place of its placeholder; return how many.

    An entry whose link names no anchor of the document gets no number, as with
    ``target-counter``.
    """
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:  # an element over several pages: its first one
            pages.setdefault(anchor, number)
    filled = 0
    for page in document.pages:
        found = list(_placeholders(page._page_box))
        for outer, line, text in found:
            href = text.element.get("href") or ""
            target: int | None = pages.get(href[1:]) if href.startswith("#") else None
            _set_text(outer, line, text, str(target) if target else "")
            # the white behind the number was placed with the placeholder's width: again
            layout_box_backgrounds(page._page_box, outer, _no_image)
        if found:  # the links' areas too, measured with the placeholders' widths
            page.links = []
            gather_anchors(page._page_box, {}, page.links, [], {None: []})
        filled += len(found)
    return filled


def _no_image(**_):
    return None  # the numbers' backgrounds are colours; an image there is not drawn


def _placeholders(root):
    """(the out-of-flow box, its line, its text) of every placeholder below ``root``."""
    stack = [(root, None, None)]
    while stack:
        box, parent, grandparent = stack.pop()
        if (type(box).__name__ == "TextBox" and box.element_tag == PSEUDO
                and box.text == PLACEHOLDER and grandparent is not None):
            yield grandparent, parent, box
            continue
        stack.extend((child, box, parent) for child in getattr(box, "children", ()))


def _set_text(outer, line, text, value: str) -> None:
    layout = text.pango_layout
    layout.reactivate(text.style)  # WeasyPrint keeps the text only, once laid out
    layout.set_text(value)         # what drawing will set again
    width, _ = line_size(layout.get_first_line()[0], text.style)
    layout.deactivate()
    narrower = text.width - width
    text.text = value
    for box in (outer, line, text):
        box.width -= narrower
    outer.translate(narrower, 0)  # the right edge stays where it was
