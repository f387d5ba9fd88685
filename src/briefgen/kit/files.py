"""Every file of the kit for one briefing: :func:`kit_files`, what the pipeline calls."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from .charts import chart_files
from .common import Finding, KitInputs, base_name
from .deck import pptx_bytes
from .workbook import xlsx_bytes

log = logging.getLogger(__name__)


def kit_files(inputs: KitInputs, formats: Iterable[str],
              findings: Sequence[Finding] = ()) -> dict[str, bytes]:
    """The kit's files by name relative to OUT (charts in ``ID-charts/``), not yet written.

    ``formats``: any of pptx, xlsx, charts (others are the pipeline's); ``findings``: the
    consultant's own (text, source or None), a slide of the deck and a sheet of the workbook.
    """
    formats = set(formats)
    base = base_name(inputs.analysis.org.id, inputs.lang)
    files: dict[str, bytes] = {}
    if "pptx" in formats:
        files[f"{base}.pptx"] = pptx_bytes(inputs, findings)
    if "xlsx" in formats:
        files[f"{base}.xlsx"] = xlsx_bytes(inputs, findings)
    if "charts" in formats:
        for name, data in chart_files(inputs).items():
            files[f"{base}-charts/{name}"] = data
    return files


__all__ = ["KitInputs", "Finding", "kit_files"]
