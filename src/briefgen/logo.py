"""Load an organisation's logo safely and return it as a ``data:`` URI for the cover.

A profile's ``logo`` is a path relative to the profile's folder (or the data folder). Nothing
else is reachable: no absolute paths, no ``..``, no URLs. PNG and JPEG are checked for their
pixel count before anything is decoded (decompression bombs); SVG is parsed with defusedxml
(no DTD, no entities) and refused if it refers to anything outside itself.
"""

from __future__ import annotations

import base64
import logging
import re
import warnings
from io import BytesIO
from pathlib import Path, PurePosixPath, PureWindowsPath

from .errors import InputError

log = logging.getLogger(__name__)

MAX_LOGO_BYTES = 2_000_000
MAX_LOGO_PIXELS = 16_000_000      # e.g. 4000 x 4000; far more than a cover needs
RASTER = {".png": ("PNG", "image/png"), ".jpg": ("JPEG", "image/jpeg"),
          ".jpeg": ("JPEG", "image/jpeg")}
SVG_NS = "{http://www.w3.org/2000/svg}"
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_EXTERNAL = re.compile(r"url\(\s*(?!['\"]?\s*#)|@import", re.IGNORECASE)
_FORBIDDEN_SVG = {"script", "foreignObject", "image", "use", "feImage", "iframe", "audio",
                  "video"}
ALLOWED = "a .png, .jpg or .svg file in the profile's folder or the data folder"


def logo_data_uri(spec: str, folders: list[Path], where: str) -> str:
    """Return the logo named by ``spec`` as a ``data:`` URI; raise :class:`InputError` if unsafe.

    ``where`` names the profile field in messages, e.g. ``clients/acme.yaml: logo``.
    """
    path = _resolve(spec, folders, where)
    size = path.stat().st_size
    if size > MAX_LOGO_BYTES:
        raise InputError(f"{where}: {spec} is {size:,} bytes; at most {MAX_LOGO_BYTES:,} allowed")
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".svg":
        _check_svg(data, spec, where)
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
        if candidate.is_relative_to(root) and candidate.is_file():
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


def _check_svg(data: bytes, spec: str, where: str) -> None:
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
    for node in root.iter():
        tag = node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""
        if tag in _FORBIDDEN_SVG:
            raise InputError(f"{where}: {spec} contains <{tag}>, which is not allowed in a "
                             "logo (it may load other files or run code)")
        for name, value in node.attrib.items():
            local = name.rsplit("}", 1)[-1]
            if local == "href" and not value.startswith("#"):
                raise InputError(f"{where}: {spec} refers to '{value[:80]}'; a logo may only "
                                 "refer to itself (href=\"#...\")")
            if local.startswith("on") or _EXTERNAL.search(value):
                raise InputError(f"{where}: {spec} has a {local} attribute that loads or runs "
                                 "something; not allowed in a logo")
        if tag == "style" and node.text and _EXTERNAL.search(node.text):
            raise InputError(f"{where}: {spec} has a <style> that loads other files; not "
                             "allowed in a logo")
