"""Golden files: output compared whole with a copy that was looked at and committed.

A drawing's every coordinate, colour and label is pinned at once, so a change nobody meant
fails a test; a change that was meant is written again with

    BRIEFGEN_UPDATE_GOLDEN=1 pytest tests/test_mutants_overview.py

and looked at (the SVGs open in a browser) before it is committed.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

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
