"""Python's cyclic garbage collector, held off while WeasyPrint works.

Laying out and writing one briefing allocates a few hundred thousand short-lived objects
(boxes, computed styles, Pango layouts, PDF operators). With the collector's default
thresholds (700, 10, 10) a warm render of region-x ran about 190 young, 17 middle and one or
two full collections, 10-15 % of its CPU time, and each full one walks every long-lived
object of the process as well (about 150,000: modules, fonts, templates, the stylesheet).
Reference counting frees most of a render's objects as it goes; what it cannot free is the
layout's cyclic structure (about 90,000 objects), which is garbage only once the render ends.

:func:`paused` turns the collector off for a block and back on after it; the render's
cycles are then collected by the first young collection after the block (about 20 ms),
while they are still young. :func:`freeze` moves the objects alive at a point (after a
warm-up) to the permanent generation, so that later full collections do not walk them again
and a fork server's children keep sharing their memory pages (see :func:`gc.freeze`).

Measured by ``bench/compare.py`` (README, Performance); the tests check that a render runs no
collection and that the collector is back on afterwards.
"""

from __future__ import annotations

import atexit
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0           # blocks inside paused(), across threads
_restore = False       # whether the collector was on when the first of them began


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector off; on again when the last such block ends.

    Thread-safe: while any thread is inside, the collector stays off; a collector that was
    already off when the first block began stays off.
    """
    global _holders, _restore
    with _lock:
        if _holders == 0:
            _restore = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _restore:
                gc.enable()


def off_until_exit() -> None:
    """For a process that makes one thing and exits (``briefgen make``): no collection from
    now on, nor the full one at exit (what is alive then is frozen first). What the process
    allocated goes with it (a cold make's peak memory was the same, by bench/compare.py)."""
    gc.disable()
    atexit.register(gc.freeze)


def freeze() -> int:
    """Collect once, then exempt every object alive now from later collections; return how many.

    For a process that has imported and warmed up what it will keep until it exits (the batch's
    fork server, a Dask worker): what is frozen is never freed, so call it after warming up,
    not in the middle of work.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
