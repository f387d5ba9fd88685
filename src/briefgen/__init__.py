"""briefgen: tailored digital-transformation briefings as accessible PDFs.

The public API::

    from briefgen import Briefgen, Options, Result, run_batch, BatchOptions
    from briefgen import BriefgenError, InputError, DataError, RenderError, OutputError

The classes load on first use, so ``import briefgen`` (and the CLI's start) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import BriefgenError, DataError, InputError, OutputError, RenderError

# The one place the version is written: pyproject.toml reads it from here (hatch), so no
# package-metadata lookup is needed when briefgen starts.
__version__ = "0.1.0"

_LAZY = {"Briefgen": "pipeline", "Options": "options", "Result": "pipeline",
         "run_batch": "batch.run", "BatchOptions": "batch.run", "BatchResult": "batch.run",
         "BatchProgress": "batch.run"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'briefgen' has no attribute {name!r}")


__all__ = ["__version__", "Briefgen", "Options", "Result", "run_batch", "BatchOptions",
           "BatchResult", "BatchProgress", "BriefgenError", "InputError", "DataError",
           "RenderError", "OutputError"]
