"""briefgen: tailored digital-transformation briefings as accessible PDFs."""

from __future__ import annotations

# The one place the version is written: pyproject.toml reads it from here (hatch), so no
# package-metadata lookup is needed when briefgen starts.
__version__ = "0.1.0"

__all__ = ["__version__"]
