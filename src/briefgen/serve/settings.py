"""Where ``briefgen serve`` finds its settings: the database URL and the admin secret."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_DATABASE = "sqlite:///briefgen.db"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
ADMIN_SECRET_ENV = "BRIEFGEN_ADMIN_SECRET"
CONFIG_FILE = "briefgen.toml"
MIN_SECRET_LENGTH = 12


def admin_secret(cwd: Path | None = None) -> str | None:
    """The admin secret: ``$BRIEFGEN_ADMIN_SECRET``, else ``[serve] admin_secret`` in briefgen.toml.

    None when neither is set (the admin pages then stay closed). The secret is never stored in
    the database. This is the one place that looks it up.
    """
    secret = os.environ.get(ADMIN_SECRET_ENV)
    if not secret:
        path = (cwd or Path.cwd()) / CONFIG_FILE
        if path.is_file():
            try:
                config = tomllib.loads(path.read_text("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"{path.name}: not valid TOML ({exc})") from None
            value = config.get("serve", {}).get("admin_secret")
            if value is not None and not isinstance(value, str):
                raise InputError(f"{path.name}: [serve] admin_secret must be a string")
            secret = value
    if secret and len(secret) < MIN_SECRET_LENGTH:
        raise InputError(f"the admin secret is {len(secret)} characters long; use at least "
                         f"{MIN_SECRET_LENGTH} (set {ADMIN_SECRET_ENV} or [serve] admin_secret "
                         f"in {CONFIG_FILE})")
    return secret or None


def normalise_database_url(url: str) -> str:
    """Let ``postgresql://`` mean psycopg 3 (SQLAlchemy's default driver is psycopg2)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if not (url.startswith("sqlite") or url.startswith("postgresql+")):
        raise InputError(f"--database: '{url.split(':', 1)[0]}' is not supported (allowed: "
                         "sqlite:///FILE or postgresql://USER@HOST/NAME)")
    return url
