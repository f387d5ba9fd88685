"""The README's workspace flow works as written, with the installed command."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _block_after(marker: str) -> list[str]:
    text = README.read_text("utf-8")
    block = re.search(re.escape(marker) + r".*?```sh\n(.*?)```", text, re.S)
    assert block, marker
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines()
            if line.strip()]


def test_workspace_flow_of_the_first_screen(tmp_path):
    if not README.is_file():
        pytest.skip("the README is not beside the tests")
    cwd = tmp_path
    for line in _block_after("Then give the firm a working folder"):
        for command in line.split("&&"):
            args = shlex.split(command)
            if args[0] == "cd":
                cwd = cwd / args[1]
                continue
            assert args[0] == "briefgen", line
            result = subprocess.run([sys.executable, "-m", "briefgen", *args[1:]], cwd=cwd,
                                    capture_output=True, text=True, timeout=240)
            assert result.returncode == 0, (line, result.stderr)
    out = tmp_path / "ws" / "output"
    assert {p.name for p in out.iterdir()} == {"region-x.pdf", "region-x.pptx",
                                                "region-x.xlsx", "region-x-charts"}
    assert "workspace:" in result.stdout and "/ws/orgs" in result.stdout
