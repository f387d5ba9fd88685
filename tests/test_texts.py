"""Every text the code and the templates ask for exists, in Swedish and English."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from briefgen import resources

ROOT = Path(__file__).resolve().parent.parent
CALL = re.compile(r"""\bt\(\s*["']([a-z_0-9]+)["']""")


def test_every_text_asked_for_is_written_in_both_languages():
    texts = yaml.safe_load((resources.data_dir() / "texts.yaml").read_text("utf-8"))
    sources = [*(ROOT / "src" / "briefgen").rglob("*.py"), *resources.templates_dir().glob("*")]
    missing = []
    for path in sources:
        if path.suffix not in (".py", ".html") or "serve" in path.parts:
            continue   # serve's pages have texts of their own (serve/texts.yaml)
        for key in CALL.findall(path.read_text("utf-8")):
            if key.endswith("_"):     # a prefix completed at run time (horizon_0-3, level_state)
                found = any(k.startswith(key) for k in texts)
            else:
                found = key in texts and {"sv", "en"} <= set(texts[key])
            if not found:
                missing.append(f"{path.relative_to(ROOT)}: {key}")
    assert missing == []
