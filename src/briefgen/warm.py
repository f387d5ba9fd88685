"""Start worker processes warm: WeasyPrint, ReportLab, fonts, templates and stylesheet loaded once.

The local batch's fork server imports :mod:`briefgen._preload`, which calls :func:`warm`; every
worker it forks then starts with all of this in memory (shared with the fork server until
written to) instead of paying for it on its first briefing. On a Dask cluster the same
happens in each Dask worker, which renders in children of a fork server of its own.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from .options import LANGS, Options

log = logging.getLogger(__name__)


def warm(templates: Path | None = None) -> float:
    """Import the renderer's libraries, build and warm the shared renderer, read the shipped
    data, then freeze it all (:func:`briefgen.collector.freeze`); return seconds."""
    start = time.perf_counter()
    from . import collector

    with collector.paused():  # imports and a first layout: objects to keep, no garbage
        from . import charts, pipeline
        from .render import shared_renderer

        charts.register_fonts()  # ReportLab reads the fonts' metrics once, for every worker
        shared_renderer(templates).warm_up()
        # The shipped data, texts and benchmark, read once (each is cached by its path): a
        # worker on the shipped data starts its first briefing without reading a file.
        briefgen = pipeline.Briefgen(Options())
        for lang in LANGS:
            briefgen.texts(lang)
        briefgen.benchmark()
    # What is alive now stays until the process ends: later full collections skip it, and
    # forked workers do not copy the pages that a collection would otherwise write to.
    collector.freeze()
    seconds = time.perf_counter() - start
    log.debug("worker warmed up in %.2f s", seconds)
    return seconds
