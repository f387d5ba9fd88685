"""Start worker processes warm: WeasyPrint, ReportLab, fonts, templates and stylesheet loaded once.

The local batch's fork server imports :mod:`briefgen._preload`, which calls :func:`warm`; every
worker it forks then starts with all of this in memory (shared with the fork server until
written to) instead of paying for it on its first briefing. On a Dask cluster, start each
worker with ``dask worker tcp://SCHEDULER:8786 --preload briefgen.warm`` to do the same
(:func:`dask_setup`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def warm(templates: Path | None = None) -> float:
    """Import the renderer's libraries and build and warm the shared renderer; return seconds."""
    start = time.perf_counter()
    from . import charts, pipeline  # noqa: F401  (ReportLab, the models, the analysis)
    from .render import shared_renderer

    shared_renderer(templates).warm_up()
    seconds = time.perf_counter() - start
    log.debug("worker warmed up in %.2f s", seconds)
    return seconds


def dask_setup(worker: Any = None) -> None:
    """Called by ``dask worker --preload briefgen.warm`` once per worker process."""
    warm()
