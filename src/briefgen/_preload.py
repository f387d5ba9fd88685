"""Imported by the batch's fork server before it forks any worker: warms the process up.

Importing this module does the work (that is all a fork server preload can do). A failure
here is logged, not raised: each worker then sets itself up as it would without a preload.
"""

from __future__ import annotations

import logging

try:
    from .warm import warm

    warm()
except Exception:  # noqa: BLE001 - never stop the fork server; the workers set up on their own
    logging.getLogger(__name__).warning("warming up the fork server failed", exc_info=True)
