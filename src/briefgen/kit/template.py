"""The deck's design: the firm's template (``[firm] deck_template``) or the built-in one.

A firm's .pptx or .potx gives the deck its slide size, masters, layouts and theme fonts; its own
slides are dropped. The layouts are chosen by what they hold, not by name (names are often
translated): the title slide has a centred title, the content slides use the layout with a
title and nothing else to fill, and the body of the "title and content" layout marks where a
slide's content goes. Where no layout has a title, the emptiest one is used and the title is
set in a band above the body. Without a template the deck is drawn on the built-in design:
16:9, Calibri (on every machine with Office; measured with Carlito, its metric twin), the
firm's colours as the theme's, a band on the title slide and a rule under every title.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..brand import ACCENT, INK, MUTED, PALE, PRIMARY
from ..errors import InputError
from .fit import Face, face

log = logging.getLogger(__name__)

EMU_PER_INCH = 914400
EMU_PER_PT = 12700
MAX_TEMPLATE_ENTRIES = 5000
MAX_TEMPLATE_UNPACKED = 300_000_000   # bytes: a template's parts, unpacked (zip bombs)
_PML = b"application/vnd.openxmlformats-officedocument.presentationml"
TEMPLATE_CT, PRESENTATION_CT = _PML + b".template.main+xml", _PML + b".presentation.main+xml"
WHERE = "firm.deck_template"
ALLOWED = "a PowerPoint presentation or template (.pptx, .potx)"

_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_P = "http://schemas.openxmlformats.org/presentationml/2006/main"


@dataclass(frozen=True)
class Box:
    """A rectangle on the slide, in EMU."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def part(self, left: float = 0, top: float = 0, width: float = 1, height: float = 1) -> Box:
        """A part of this box, each value a share of its width or height."""
        return Box(self.left + round(self.width * left), self.top + round(self.height * top),
                   round(self.width * width), round(self.height * height))


@dataclass
class Design:
    """A loaded template and where a deck built on it puts things."""

    prs: Any                       # pptx.Presentation
    title_layout: Any              # the title slide's layout
    content_layout: Any            # a title and nothing else
    content: Box                   # where a content slide's body goes
    title: Box                     # where its title goes where the layout has no place for one
    heading: Face                  # the theme's fonts (major: titles, minor: text)
    body: Face
    title_size: float              # points: the template's title size
    builtin: bool

    @property
    def width(self) -> int:
        return int(self.prs.slide_width)

    @property
    def height(self) -> int:
        return int(self.prs.slide_height)


# --------------------------------------------------------------------------- opening


def _checked(data: bytes) -> bytes:
    """The template as a presentation package: a .potx's main part relabelled, zip bombs and
    other non-PowerPoint files refused before python-pptx unpacks anything."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(f"{WHERE}: not a PowerPoint file (allowed: {ALLOWED})") from None
    if len(entries) > MAX_TEMPLATE_ENTRIES or \
            sum(e.file_size for e in entries) > MAX_TEMPLATE_UNPACKED:
        raise InputError(f"{WHERE}: unpacks to more than {MAX_TEMPLATE_UNPACKED:,} bytes or "
                         f"{MAX_TEMPLATE_ENTRIES:,} parts; refused (allowed: {ALLOWED})")
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names:
        raise InputError(f"{WHERE}: not a PowerPoint file (allowed: {ALLOWED})")
    types = archive.read("[Content_Types].xml")
    if TEMPLATE_CT not in types:
        return data
    out = io.BytesIO()
    with archive, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in entries:
            content = archive.read(entry.filename)
            if entry.filename == "[Content_Types].xml":
                content = content.replace(TEMPLATE_CT, PRESENTATION_CT)
            target.writestr(entry, content)
    return out.getvalue()


def _open(data: bytes):
    from pptx import Presentation

    try:
        prs = Presentation(io.BytesIO(_checked(data)))
    except InputError:
        raise
    except Exception as exc:  # python-pptx raises many kinds for a broken package
        raise InputError(f"{WHERE}: not a readable PowerPoint file ({type(exc).__name__}; "
                         f"allowed: {ALLOWED})") from None
    if not len(prs.slide_layouts):
        raise InputError(f"{WHERE}: the template has no slide layouts (allowed: {ALLOWED})")
    _drop_slides(prs)
    return prs


def _drop_slides(prs) -> None:
    """Remove the template's own slides (its masters and layouts stay)."""
    slides = prs.slides._sldIdLst
    for slide_id in list(slides):
        prs.part.drop_rel(slide_id.rId)
        slides.remove(slide_id)


def load_design(template: bytes | None, primary: str = PRIMARY, accent: str = ACCENT) -> Design:
    """The design a deck is built on: the firm's template, else the built-in one."""
    from pptx import Presentation

    if template is None:
        prs = Presentation(io.BytesIO(builtin_template(primary, accent)))
    else:
        prs = _open(template)
    return _design(prs, builtin=template is None)


# --------------------------------------------------------------------------- layouts


def _types(layout) -> list:
    return [ph.placeholder_format.type for ph in layout.placeholders]


def _design(prs, builtin: bool) -> Design:
    from pptx.enum.shapes import PP_PLACEHOLDER as PH

    latent = {PH.DATE, PH.FOOTER, PH.SLIDE_NUMBER, PH.HEADER}
    layouts = list(prs.slide_layouts)
    title_layout = next((lay for lay in layouts if PH.CENTER_TITLE in _types(lay)),
                        layouts[0])

    def extra(layout) -> int:
        return len([t for t in _types(layout) if t not in latent | {PH.TITLE}])

    titled = [lay for lay in layouts if PH.TITLE in _types(lay)]
    content_layout = min(titled or layouts, key=extra)
    width, height = int(prs.slide_width), int(prs.slide_height)
    title = next((ph for ph in content_layout.placeholders
                  if ph.placeholder_format.type == PH.TITLE), None)
    # The body of "title and content": an object placeholder (a text one where there is none),
    # the largest, never vertical text.
    bodies = [ph for lay in titled for ph in lay.placeholders
              if ph.placeholder_format.type in (PH.BODY, PH.OBJECT) and extra(lay) == 1
              and ph.element.ph_orient != "vert"]
    margin = round(width * 0.045)
    if bodies:
        body = max(bodies, key=lambda ph: (ph.placeholder_format.type == PH.OBJECT,
                                           (ph.width or 0) * (ph.height or 0)))
        content = Box(int(body.left), int(body.top), int(body.width), int(body.height))
    elif title is not None:
        top = int(title.top) + int(title.height) + round(height * 0.03)
        content = Box(int(title.left), top, int(title.width), height - top - round(height * 0.1))
    else:
        content = Box(margin, round(height * 0.2), width - 2 * margin, round(height * 0.68))
    # A layout without a title placeholder: the title in a band above the body, not on it.
    heading = (Box(int(title.left), int(title.top), int(title.width), int(title.height))
               if title is not None else
               Box(margin, round(height * 0.05), width - 2 * margin, round(height * 0.13)))
    major, minor = theme_fonts(prs)
    return Design(prs, title_layout, content_layout, _on_slide(content, width, height),
                  _on_slide(heading, width, height), face(major), face(minor),
                  _title_size(prs), builtin)


def _on_slide(box: Box, width: int, height: int) -> Box:
    """``box`` cut to the slide, whatever the template says."""
    left, top = max(box.left, 0), max(box.top, 0)
    return Box(left, top, min(box.width, width - left), min(box.height, height - top))


def theme_fonts(prs) -> tuple[str, str]:
    """The theme's heading and body fonts (its major and minor Latin typefaces; Calibri where
    it names none)."""
    from lxml import etree
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT
    from pptx.oxml import parse_xml

    # Parsed, not searched as text: a theme may be UTF-16 or use another prefix or attribute
    # order (python-pptx keeps the theme as bytes and never reads it itself).
    try:
        theme = parse_xml(prs.slide_master.part.part_related_by(RT.THEME).blob)
    except (KeyError, etree.XMLSyntaxError):
        raise InputError(f"{WHERE}: the slide master has no readable theme (allowed: "
                         f"{ALLOWED})") from None
    major, minor = (
        next(iter(theme.xpath(f"./a:themeElements/a:fontScheme/a:{kind}Font/a:latin/@typeface")),
             "") or "Calibri" for kind in ("major", "minor"))
    return major, minor


def _title_size(prs) -> float:
    """The master's title size in points (32 where it sets none)."""
    xml = prs.slide_master._element
    sizes = xml.xpath("./p:txStyles/p:titleStyle/a:lvl1pPr/a:defRPr/@sz")
    return int(sizes[0]) / 100 if sizes else 32.0


# --------------------------------------------------------------------------- built-in design


def _inch(value: float) -> int:
    return round(value * EMU_PER_INCH)


def _set_xfrm(sp, left: float, top: float, width: float, height: float) -> None:
    """Place a master's or layout's shape (inches), adding its transform where it has none."""
    from pptx.oxml import parse_xml

    sp_pr = sp.find(f"{{{_P}}}spPr")
    xfrm = sp_pr.find(f"{{{_A}}}xfrm")
    if xfrm is not None:
        sp_pr.remove(xfrm)
    sp_pr.insert(0, parse_xml(
        f'<a:xfrm xmlns:a="{_A}"><a:off x="{_inch(left)}" y="{_inch(top)}"/>'
        f'<a:ext cx="{_inch(width)}" cy="{_inch(height)}"/></a:xfrm>'))


def _rect(shape_id: int, name: str, box: tuple[float, float, float, float], colour: str):
    from pptx.oxml import parse_xml

    left, top, width, height = (_inch(v) for v in box)
    return parse_xml(
        f'<p:sp xmlns:p="{_P}" xmlns:a="{_A}"><p:nvSpPr><p:cNvPr id="{shape_id}" name="{name}"/>'
        f'<p:cNvSpPr/><p:nvPr userDrawn="1"/></p:nvSpPr><p:spPr><a:xfrm><a:off x="{left}" '
        f'y="{top}"/><a:ext cx="{width}" cy="{height}"/></a:xfrm><a:prstGeom prst="rect">'
        f'<a:avLst/></a:prstGeom><a:solidFill><a:schemeClr val="{colour}"/></a:solidFill>'
        f'<a:ln><a:noFill/></a:ln></p:spPr><p:txBody><a:bodyPr/><a:lstStyle/><a:p>'
        f'<a:endParaRPr lang="sv-SE"/></a:p></p:txBody></p:sp>')


def _placeholders(tree) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for sp in tree.iter(f"{{{_P}}}sp"):
        ph = sp.find(f".//{{{_P}}}ph")
        if ph is not None:
            kind = ph.get("type", "obj")          # the schema's default
            found.setdefault(kind + ph.get("idx", "0"), sp)
            found.setdefault(kind, sp)
    return found


def _style(sp, xml: str) -> None:
    """Give a placeholder its first level's paragraph and run style."""
    from pptx.oxml import parse_xml

    body = sp.find(f"{{{_P}}}txBody")
    old = body.find(f"{{{_A}}}lstStyle")
    new = parse_xml(f'<a:lstStyle xmlns:a="{_A}">{xml}</a:lstStyle>')
    body.replace(old, new) if old is not None else body.insert(1, new)


def _anchor(sp, anchor: str) -> None:
    body_pr = sp.find(f"{{{_P}}}txBody/{{{_A}}}bodyPr")
    body_pr.set("anchor", anchor)


@cache
def builtin_template(primary: str = PRIMARY, accent: str = ACCENT) -> bytes:
    """The built-in design as .pptx bytes: python-pptx's default package, redrawn at 16:9."""
    from pptx import Presentation
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT
    from pptx.util import Emu

    prs = Presentation()
    old_width = prs.slide_width
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)   # 16:9, 13.333 x 7.5 in
    scale = prs.slide_width / old_width

    theme = prs.slide_master.part.part_related_by(RT.THEME)
    colours = {"dk1": INK, "lt1": "#FFFFFF", "dk2": primary, "lt2": PALE, "accent1": primary,
               "accent2": accent, "accent3": MUTED, "accent4": "#7A8C99",
               "accent5": "#3E7CB1", "accent6": "#C98A2B", "hlink": primary,
               "folHlink": MUTED}
    xml = theme.blob.decode("utf-8")
    for slot, value in colours.items():
        xml = re.sub(rf"<a:{slot}>.*?</a:{slot}>",
                     f'<a:{slot}><a:srgbClr val="{value.lstrip("#").upper()}"/></a:{slot}>',
                     xml, count=1, flags=re.S)
    xml = xml.replace('<a:clrScheme name="Office">', '<a:clrScheme name="Briefgen">', 1)
    theme._blob = xml.encode("utf-8")

    # Every layout's own positions, stretched to the wider slide; then the ones the deck uses.
    for layout in prs.slide_layouts:
        for off, ext in zip(layout._element.iter(f"{{{_A}}}off"),
                            layout._element.iter(f"{{{_A}}}ext"), strict=False):
            off.set("x", str(round(int(off.get("x")) * scale)))
            ext.set("cx", str(round(int(ext.get("cx")) * scale)))

    master = prs.slide_master._element
    ph = _placeholders(master)
    _set_xfrm(ph["title"], 0.6, 0.32, 12.13, 0.95)
    _anchor(ph["title"], "b")
    _set_xfrm(ph["body"], 0.6, 1.5, 12.13, 5.2)
    _set_xfrm(ph["dt"], 8.2, 6.98, 2.2, 0.32)
    _set_xfrm(ph["ftr"], 0.6, 6.98, 9.0, 0.32)
    _set_xfrm(ph["sldNum"], 11.33, 6.98, 1.4, 0.32)
    footers = {key: f'<a:lvl1pPr algn="{align}"><a:defRPr sz="1000"><a:solidFill>'
                    '<a:schemeClr val="accent3"/></a:solidFill><a:latin typeface="+mn-lt"/>'
                    '</a:defRPr></a:lvl1pPr>'
               for key, align in (("ftr", "l"), ("sldNum", "r"), ("dt", "r"))}
    for key, style in footers.items():
        _style(ph[key], style)
    title_style = master.find(f".//{{{_P}}}titleStyle/{{{_A}}}lvl1pPr")
    title_style.set("algn", "l")
    run = title_style.find(f"{{{_A}}}defRPr")
    run.set("sz", "2800")
    run.set("b", "1")
    run.find(f"{{{_A}}}solidFill/{{{_A}}}schemeClr").set("val", "tx2")
    for level, size in zip(range(1, 10), (2000, 1800, 1600, 1400, 1400, 1400, 1400, 1400, 1400),
                           strict=True):
        style = master.find(f".//{{{_P}}}bodyStyle/{{{_A}}}lvl{level}pPr/{{{_A}}}defRPr")
        if style is not None:
            style.set("sz", str(size))
    tree = master.find(f"{{{_P}}}cSld/{{{_P}}}spTree")
    # A rule in the firm's colour at the top of every slide, and one under the title.
    tree.insert(2, _rect(90, "Band", (0, 0, 13.333, 0.12), "accent1"))
    tree.insert(3, _rect(91, "Title rule", (0.6, 1.32, 1.2, 0.05), "accent2"))

    for layout in prs.slide_layouts:
        lph = _placeholders(layout._element)
        if layout._element.get("type") == "title":
            layout._element.find(f"{{{_P}}}cSld").getparent().set("showMasterSp", "0")
            ltree = layout._element.find(f"{{{_P}}}cSld/{{{_P}}}spTree")
            ltree.insert(2, _rect(90, "Band", (0, 0, 13.333, 4.7), "accent1"))
            ltree.insert(3, _rect(91, "Band rule", (0.8, 4.3, 1.2, 0.06), "accent2"))
            _set_xfrm(lph["ctrTitle"], 0.8, 1.0, 11.7, 1.9)
            _anchor(lph["ctrTitle"], "b")
            _style(lph["ctrTitle"], '<a:lvl1pPr algn="l"><a:defRPr sz="4000" b="1"><a:solidFill>'
                                    '<a:schemeClr val="bg1"/></a:solidFill></a:defRPr></a:lvl1pPr>')
            _set_xfrm(lph["subTitle"], 0.8, 3.0, 11.7, 1.1)
            _anchor(lph["subTitle"], "t")
            _style(lph["subTitle"], '<a:lvl1pPr marL="0" indent="0" algn="l"><a:buNone/>'
                                    '<a:defRPr sz="2000"><a:solidFill><a:schemeClr val="bg1"/>'
                                    '</a:solidFill></a:defRPr></a:lvl1pPr>')
            continue
        # The master's positions hold for the title, the footer and a single body.
        for key in ("title", "dt", "ftr", "sldNum"):
            if key in lph:
                _copy_xfrm(lph[key], ph[key])
            if key in lph and key in footers:
                _style(lph[key], footers[key])
        if "obj1" in lph and "obj2" not in lph:
            _copy_xfrm(lph["obj1"], ph["body"])
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _copy_xfrm(sp, source) -> None:
    import copy

    sp_pr = sp.find(f"{{{_P}}}spPr")
    old = sp_pr.find(f"{{{_A}}}xfrm")
    if old is not None:
        sp_pr.remove(old)
    sp_pr.insert(0, copy.deepcopy(source.find(f"{{{_P}}}spPr/{{{_A}}}xfrm")))
