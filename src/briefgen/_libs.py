"""Load WeasyPrint's C libraries (Pango, HarfBuzz, fontconfig) with one library lookup.

WeasyPrint tries several names per library; on Linux each name that does not load directly
goes to ``ctypes.util.find_library``, which starts ``ldconfig -p``, ``gcc`` and ``ld`` each
time: 22 lookups and about 50 processes per start, a tenth of a cold ``briefgen make``.
:func:`one_ldconfig` answers those lookups from a single ``ldconfig -p`` with the same rule as
ctypes' own first step, for the duration of WeasyPrint's import only. Where ``ldconfig`` is
missing, or ``LD_LIBRARY_PATH`` names other folders, ctypes searches as it always does.
"""

from __future__ import annotations

import ctypes.util
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

LDCONFIG = "/sbin/ldconfig"
# ctypes.util's ABI names for 64-bit machines; anything else is plain 'libc6'.
_ABI = {"x86_64": "libc6,x86-64", "ppc64": "libc6,64bit", "sparc64": "libc6,64bit",
        "s390x": "libc6,64bit", "ia64": "libc6,IA-64"}


def ldconfig_lookup(listing: str) -> Callable[[str], str | None]:
    """A find_library over ``ldconfig -p`` output: ctypes' regex, run on one listing."""
    machine = os.uname().machine
    abi = _ABI.get(machine, "libc6") if sys.maxsize > 2**32 else "libc6"

    def find_library(name: str) -> str | None:
        found = re.search(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({abi}", listing)
        return found.group(1) if found else None

    return find_library


@contextmanager
def one_ldconfig() -> Iterator[None]:
    """While the block runs, ctypes.util.find_library reads one ``ldconfig -p`` listing."""
    if (not sys.platform.startswith("linux") or os.environ.get("LD_LIBRARY_PATH")
            or not os.access(LDCONFIG, os.X_OK)):
        yield
        return
    try:
        listing = subprocess.run([LDCONFIG, "-p"], capture_output=True, text=True, timeout=10,
                                 env={"LC_ALL": "C", "LANG": "C"}).stdout
    except (OSError, subprocess.SubprocessError):
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = ldconfig_lookup(listing)  # type: ignore[assignment]
    try:
        yield
    finally:
        ctypes.util.find_library = original
