"""Loading WeasyPrint's C libraries: one ldconfig listing answers as ctypes would."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys

import pytest

from briefgen._libs import LDCONFIG, ldconfig_lookup, one_ldconfig

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not os.access(LDCONFIG, os.X_OK),
    reason="needs Linux with ldconfig")

# The names WeasyPrint asks for on Linux (those found and those not), and a few more.
NAMES = ["gobject-2.0", "pango-1.0", "harfbuzz", "harfbuzz-subset", "harfbuzz-vector",
         "fontconfig", "pangoft2-1.0", "libgobject-2.0-0", "gobject-2.0-0", "c", "m", "z",
         "no-such-library-anywhere"]


@pytest.mark.skipif(not hasattr(ctypes.util, "_findSoname_ldconfig"),
                    reason="this Python's ctypes has no ldconfig step")
def test_lookup_answers_as_ctypes_own_ldconfig_step():
    listing = subprocess.run([LDCONFIG, "-p"], capture_output=True, text=True,
                             env={"LC_ALL": "C", "LANG": "C"}).stdout
    lookup = ldconfig_lookup(listing)
    answers = {name: lookup(name) for name in NAMES}
    assert answers == {name: ctypes.util._findSoname_ldconfig(name) for name in NAMES}
    assert answers["pango-1.0"] and answers["no-such-library-anywhere"] is None


def test_one_ldconfig_is_undone_after_the_block():
    original = ctypes.util.find_library
    with one_ldconfig():
        inside = ctypes.util.find_library
        assert inside("pango-1.0") == original("pango-1.0")
    assert ctypes.util.find_library is original and inside is not original


def test_without_it_weasyprint_starts_processes_and_with_it_one(tmp_path):
    # A fresh interpreter: count the processes started while WeasyPrint loads its libraries.
    script = (
        "import subprocess, sys\n"
        "started = []\n"
        "real = subprocess.Popen.__init__\n"
        "def counting(self, *a, **k):\n"
        "    started.append(a[0] if a else k.get('args'))\n"
        "    real(self, *a, **k)\n"
        "subprocess.Popen.__init__ = counting\n"
        "if sys.argv[1] == 'briefgen':\n"
        "    import briefgen.render\n"
        "else:\n"
        "    import weasyprint\n"
        "print(len(started))\n")
    counts = {}
    for how in ("briefgen", "weasyprint"):
        result = subprocess.run([sys.executable, "-c", script, how], capture_output=True,
                                text=True, timeout=120, env=dict(os.environ, LD_LIBRARY_PATH=""))
        assert result.returncode == 0, result.stderr
        counts[how] = int(result.stdout.split()[-1])
    assert counts["briefgen"] == 1 < counts["weasyprint"]
