"""Load an organisation's logo safely and return it as a ``data:`` URI for the cover.

A profile's ``logo`` is a path relative to the profile's folder (or the data folder). Nothing
else is reachable: no absolute paths, no ``..``, no URLs. PNG and JPEG are checked for their
pixel count before anything is decoded (decompression bombs); SVG is parsed with defusedxml
(no DTD, no entities) and rebuilt from an allowlist of elements and attributes (no markers,
``use``, patterns, filters, style sheets or links: nothing that draws content many times over
or reaches outside the logo). Every file's size is checked before it is read.
"""

from __future__ import annotations

import base64
import logging
import re
import warnings
from io import BytesIO
from pathlib import Path, PurePosixPath, PureWindowsPath

from .errors import InputError
from .reading import read_bytes

log = logging.getLogger(__name__)

MAX_LOGO_BYTES = 2_000_000
MAX_LOGO_PIXELS = 16_000_000      # e.g. 4000 x 4000; far more than a cover needs
RASTER = {".png": ("PNG", "image/png"), ".jpg": ("JPEG", "image/jpeg"),
          ".jpeg": ("JPEG", "image/jpeg")}
SVG_NS = "{http://www.w3.org/2000/svg}"
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
ALLOWED = "a .png, .jpg or .svg file in the profile's folder or the data folder"


def logo_folders(source: str, data_root: Path) -> list[Path]:
    """Where a profile's logo is looked for: beside the profile file, then the data folder."""
    path = Path(source)
    return ([path.parent] if path.is_file() else []) + [data_root]


def logo_bytes(spec: str, folders: list[Path], where: str) -> bytes:
    """The logo file's bytes, found and size-checked as a rendering finds them (not decoded)."""
    return read_bytes(_resolve(spec, folders, where), f"{where}: {spec}", MAX_LOGO_BYTES)


def logo_data_uri(spec: str, folders: list[Path], where: str) -> str:
    """Return the logo named by ``spec`` as a ``data:`` URI; raise :class:`InputError` if unsafe.

    ``where`` names the profile field in messages, e.g. ``clients/acme.yaml: logo``.
    """
    path = _resolve(spec, folders, where)
    data = read_bytes(path, f"{where}: {spec}", MAX_LOGO_BYTES)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        data = _check_svg(data, spec, where)
        mime = "image/svg+xml"
    else:
        mime = _check_raster(data, suffix, spec, where)
    log.info("logo %s: %d bytes, %s", path, len(data), mime)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _resolve(spec: str, folders: list[Path], where: str) -> Path:
    if not isinstance(spec, str) or not spec.strip():
        raise InputError(f"{where}: must be the path of {ALLOWED}")
    if _URL_SCHEME.match(spec) and not PureWindowsPath(spec).drive:
        raise InputError(f"{where}: '{spec[:80]}' is a URL; briefgen fetches nothing "
                         f"(allowed: {ALLOWED})")
    pure = PurePosixPath(spec.replace("\\", "/"))
    if pure.is_absolute() or PureWindowsPath(spec).drive or ".." in pure.parts:
        raise InputError(f"{where}: '{spec[:80]}' leaves the profile's folder "
                         f"(allowed: {ALLOWED}, without '..' or an absolute path)")
    if pure.suffix.lower() not in (*RASTER, ".svg"):
        raise InputError(f"{where}: '{spec[:80]}' is not a PNG, JPEG or SVG file "
                         f"(allowed: {ALLOWED})")
    for folder in folders:
        root = folder.resolve()
        candidate = (root / pure).resolve()
        # resolve() follows symbolic links: a link pointing outside is refused too.
        if candidate.is_relative_to(root) and candidate.exists():  # a FIFO: read_bytes says so
            return candidate
    raise InputError(f"{where}: '{spec[:80]}' not found in "
                     f"{' or '.join(str(f) for f in folders) or 'the profile folder'}")


def _check_raster(data: bytes, suffix: str, spec: str, where: str) -> str:
    from PIL import Image

    expected, mime = RASTER[suffix]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # open() reads only the header: the size is known before any pixel is decoded.
            with Image.open(BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                if width * height > MAX_LOGO_PIXELS:
                    raise InputError(f"{where}: {spec} is {width} x {height} pixels; at most "
                                     f"{MAX_LOGO_PIXELS:,} pixels allowed")
                image.verify()
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{where}: {spec} has too many pixels (at most "
                         f"{MAX_LOGO_PIXELS:,} allowed)") from None
    except Exception as exc:  # Pillow raises many kinds for a broken file
        raise InputError(f"{where}: {spec} is not a readable {expected} image "
                         f"({type(exc).__name__})") from None
    return mime


# The SVG a logo may use: shapes, text, groups and gradients, drawn once each. Nothing that
# draws other content again (use, marker, pattern, symbol), filters, masks, style sheets,
# scripts, links or images; an attribute value may name a gradient or clip path (url(#id)) and
# nothing else outside itself. The logo embedded is the sanitised tree, not the file's bytes.
SVG_ELEMENTS = frozenset({
    "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line",
    "polyline", "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop",
    "clipPath"})
SVG_DROPPED = frozenset({"metadata"})   # editors' notes: left out without a word
_PRESENTATION = frozenset({
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
    "stroke-dashoffset", "opacity", "font-family", "font-size", "font-weight", "font-style",
    "text-anchor", "dominant-baseline", "letter-spacing", "stop-color", "stop-opacity",
    "clip-path", "clip-rule", "visibility", "display"})
SVG_ATTRIBUTES = _PRESENTATION | frozenset({
    "id", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy",
    "width", "height", "viewBox", "preserveAspectRatio", "points", "transform", "offset",
    "gradientUnits", "gradientTransform", "spreadMethod", "clipPathUnits", "dx", "dy",
    "version", "pathLength"})
MAX_SVG_ELEMENTS = 5_000
MAX_SVG_DEPTH = 32
# A value: plain words, numbers, colours, lists and transforms; url(#id) only where allowed.
_SAFE_VALUE = re.compile("^[\\w\\s#%().,+'\"-]*$")   # no backslash (CSS escapes), no @ or :
_LOCAL_URL = re.compile(r"url\(\s*#[\w.\-]+\s*\)")
_URL_VALUE = frozenset({"fill", "stroke", "clip-path"})


def _check_svg(data: bytes, spec: str, where: str) -> bytes:
    """Parse an SVG logo and return it rebuilt from allowed elements and attributes only."""
    from xml.etree import ElementTree

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(f"{where}: {spec} declares a DTD or entities, which are not allowed "
                         f"in a logo ({type(exc).__name__})") from None
    except ParseError as exc:
        raise InputError(f"{where}: {spec} is not well-formed SVG ({exc})") from None
    if root.tag != f"{SVG_NS}svg":
        raise InputError(f"{where}: {spec} is not an SVG image (its root is not <svg>)")
    count = 0

    def clean(node, depth: int):
        nonlocal count
        count += 1
        if count > MAX_SVG_ELEMENTS or depth > MAX_SVG_DEPTH:
            raise InputError(f"{where}: {spec} has more than {MAX_SVG_ELEMENTS:,} elements or "
                             f"is nested deeper than {MAX_SVG_DEPTH}; too complex for a logo")
        tag = node.tag[len(SVG_NS):]
        copy = ElementTree.Element(node.tag)
        for name, value in node.attrib.items():
            local = name.rsplit("}", 1)[-1]
            if local.lower().startswith("on") or local == "href":
                raise InputError(f"{where}: {spec} has a {local} attribute ('{value[:60]}'), "
                                 "which is not allowed in a logo (it loads or runs something)")
            if name.startswith("{") or local not in SVG_ATTRIBUTES | {"style"}:
                continue  # an editor's attribute (inkscape:..., class, ...): left out
            pairs = (_style_pairs(value, spec, where) if local == "style"
                     else [(local, value)])
            for key, text in pairs:
                _check_value(key, text, spec, where)
                copy.set(key, text)
        copy.text = node.text if tag in ("text", "tspan", "title", "desc") else None
        for child in node:
            child_tag = child.tag if isinstance(child.tag, str) else ""
            if not child_tag.startswith(SVG_NS):
                continue  # comments, processing instructions, other namespaces
            local = child_tag[len(SVG_NS):]
            if local in SVG_DROPPED:
                continue
            if local not in SVG_ELEMENTS:
                raise InputError(f"{where}: {spec} contains <{local}>, which is not allowed in "
                                 f"a logo (allowed: {', '.join(sorted(SVG_ELEMENTS))})")
            kept = clean(child, depth + 1)
            kept.tail = child.tail if tag in ("text", "tspan") else None
            copy.append(kept)
        return copy

    tree = clean(root, 0)
    _check_references(tree, spec, where)
    ElementTree.register_namespace("", SVG_NS[1:-1])
    return ElementTree.tostring(tree, encoding="utf-8", xml_declaration=False)


def _style_pairs(style: str, spec: str, where: str) -> list[tuple[str, str]]:
    """``style="fill:#fff; stroke:none"`` as presentation attributes; any other CSS refused."""
    pairs = []
    for declaration in style.split(";"):
        if not declaration.strip():
            continue
        key, sep, value = declaration.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not sep or key not in _PRESENTATION:
            raise InputError(f"{where}: {spec} has a style '{style[:60]}' that is not a plain "
                             "list of colours and sizes; not allowed in a logo (use attributes "
                             "such as fill=\"#1F4E79\")")
        pairs.append((key, value))
    return pairs


def _check_value(key: str, value: str, spec: str, where: str) -> None:
    rest = _LOCAL_URL.sub("", value) if key in _URL_VALUE else value
    if not _SAFE_VALUE.match(rest) or "url(" in rest.lower():
        raise InputError(f"{where}: {spec} has {key}=\"{value[:60]}\", which is not allowed "
                         "in a logo (allowed: numbers, colours, and url(#id) of a gradient or "
                         "clip path in the logo)")
    if key == "font-size":
        _check_font_size(value, spec, where)


# A font size as Pango gets it: past about 2,000,000 px (or below 0) Pango refuses it with
# CRITICAL lines on stderr and WeasyPrint drops the logo. No logo needs more than this.
MAX_FONT_PX = 10_000
_FONT_SIZE = re.compile(r"^\s*(?P<n>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*"
                        r"(?P<unit>px|pt|em|%)?\s*$")
_FONT_KEYWORDS = frozenset({"xx-small", "x-small", "small", "medium", "large", "x-large",
                            "xx-large", "smaller", "larger", "inherit"})
_PX_PER = {None: 1.0, "px": 1.0, "pt": 4 / 3, "em": 16.0, "%": 0.16}


def _check_font_size(value: str, spec: str, where: str) -> None:
    if value.strip().lower() in _FONT_KEYWORDS:
        return
    match = _FONT_SIZE.match(value)
    px = float(match["n"]) * _PX_PER[match["unit"]] if match else None
    if px is None or not 0 < px <= MAX_FONT_PX:
        raise InputError(f"{where}: {spec} has font-size=\"{value[:40]}\", which a logo cannot "
                         f"be drawn with (allowed: a size above 0 and up to {MAX_FONT_PX:,} px, "
                         "e.g. 24 or 24px)")


def _check_references(tree, spec: str, where: str) -> None:
    """Every url(#id) names an element of the right kind in the logo, and no clip path is
    clipped, directly or through others, by itself: WeasyPrint would recurse until Python
    stops it and leave the logo out."""
    kinds = {"clip-path": ("clipPath",), "fill": ("linearGradient", "radialGradient"),
             "stroke": ("linearGradient", "radialGradient")}
    by_id = {node.get("id"): node for node in tree.iter() if node.get("id")}
    clips: dict[str, set[str]] = {}   # clip path id -> the clip paths used inside it
    for node in tree.iter():
        for key, allowed in kinds.items():
            for ref in re.findall(r"url\(\s*#([\w.\-]+)\s*\)", node.get(key) or ""):
                target = by_id.get(ref)
                if target is None or target.tag[len(SVG_NS):] not in allowed:
                    raise InputError(f"{where}: {spec} has {key}=\"url(#{ref})\", which names "
                                     f"no {' or '.join(allowed)} in the logo (allowed: url(#id) "
                                     f"of a {' or '.join(allowed)} defined in it)")
    for clip in tree.iter(f"{SVG_NS}clipPath"):
        clips[clip.get("id", "")] = {ref for node in clip.iter()
                                    for ref in re.findall(r"#([\w.\-]+)",
                                                          node.get("clip-path") or "")}
    for start in clips:
        path, todo = [start], [(start, iter(sorted(clips[start])))]
        while todo:
            current, refs = todo[-1]
            ref = next(refs, None)
            if ref is None:
                todo.pop()
                path.pop()
            elif ref in path:
                loop = " -> ".join([*path[path.index(ref):], ref])
                raise InputError(f"{where}: {spec} has clip paths that clip themselves "
                                 f"({loop}), which cannot be drawn (allowed: clip paths that "
                                 "refer to no loop)")
            elif ref in clips:
                path.append(ref)
                todo.append((ref, iter(sorted(clips[ref]))))
