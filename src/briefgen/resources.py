"""Find the shipped assets (templates, data, fonts) in a wheel or a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def asset_root() -> Path:
    """Return the folder that holds ``templates/``, ``data/`` and ``fonts/``."""
    bundled = _PACKAGE / "_assets"
    if (bundled / "templates").is_dir():
        return bundled
    checkout = _PACKAGE.parent.parent  # src/briefgen -> repository root
    if (checkout / "templates").is_dir():
        return checkout
    raise RuntimeError(f"briefgen's assets are missing: looked in {bundled} and {checkout}")


def templates_dir() -> Path:
    return asset_root() / "templates"


def data_dir() -> Path:
    return asset_root() / "data"


def fonts_dir() -> Path:
    return asset_root() / "fonts"
