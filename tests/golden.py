"""Golden files: output compared whole with a copy that was looked at and committed.

A drawing's every coordinate, colour and label is pinned at once, so a change nobody meant
fails a test; a change that was meant is written again with

    BRIEFGEN_UPDATE_GOLDEN=1 pytest tests/test_mutants_overview.py

and looked at (the SVGs open in a browser) before it is committed.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import zipfile
from pathlib import Path

from lxml import etree

GOLDEN = Path(__file__).parent / "golden"


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("BRIEFGEN_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"no golden {path}: write it with BRIEFGEN_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = difflib.unified_diff(expected.splitlines(), text.splitlines(), "golden",
                                    "drawn", lineterm="", n=1)
        raise AssertionError(f"{name} differs from its golden copy:\n"
                             + "\n".join(list(diff)[:30]))


def package_dump(data: bytes, parts: tuple[str, ...] = ("",)) -> str:
    """An Office file (a zip of XML parts) as text: each part whose name starts with one of
    ``parts``, its XML indented, any other (a picture, a chart's embedded workbook) as its size
    and SHA-256."""
    parser = etree.XMLParser(remove_blank_text=True)
    lines = []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in sorted(n for n in package.namelist() if n.startswith(parts)):
            blob = package.read(name)
            lines.append(f"### {name}")
            if name.endswith((".xml", ".rels")):
                root = etree.fromstring(blob, parser)
                etree.indent(root, space=" ")
                lines.append(etree.tostring(root, encoding="unicode"))
            else:
                lines.append(f"{len(blob)} bytes sha256 {hashlib.sha256(blob).hexdigest()}")
    return "\n".join(lines) + "\n"
