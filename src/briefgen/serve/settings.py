"""Where ``briefgen serve`` finds its settings: the database URL and the admin secret."""

from __future__ import annotations

import os
from pathlib import Path

from ..config import CONFIG_NAME
from ..errors import InputError

DEFAULT_DATABASE = "sqlite:///briefgen.db"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
ADMIN_SECRET_ENV = "BRIEFGEN_ADMIN_SECRET"
MIN_SECRET_LENGTH = 12
MAX_RESPONDENTS = 500       # per invitation, against typing 50000 by mistake


def _workspace(cwd: Path | None):
    """The workspace's ``briefgen.toml`` (in ``cwd`` or a parent), read and checked; or None."""
    from ..config import workspace_config

    return workspace_config(start=cwd or Path.cwd())


def admin_secret(cwd: Path | None = None) -> str | None:
    """The admin secret: ``$BRIEFGEN_ADMIN_SECRET``, else ``[serve] admin_secret`` in the
    workspace's briefgen.toml (found in the working folder or a parent, as every command does).

    None when neither is set (the admin pages then stay closed). The secret is never stored in
    the database. This is the one place that looks it up.
    """
    secret = os.environ.get(ADMIN_SECRET_ENV)
    if not secret:
        config = _workspace(cwd)
        secret = config.serve.admin_secret if config and config.serve else None
    if secret and len(secret) < MIN_SECRET_LENGTH:
        raise InputError(f"the admin secret is {len(secret)} characters long; use at least "
                         f"{MIN_SECRET_LENGTH} (set {ADMIN_SECRET_ENV} or [serve] admin_secret "
                         f"in {CONFIG_NAME})")
    return secret or None


def server_settings(host: str | None, port: int | None, database: str | None,
                    cwd: Path | None = None) -> tuple[str, int, str]:
    """Host, port and database: the options given, else ``[serve]`` in the workspace's toml,
    else the defaults. Without a URL the answers go to ``briefgen.db`` in the workspace folder
    (or the working folder outside a workspace)."""
    config = _workspace(cwd)
    serve = config.serve if config and config.serve else None
    host = host or (serve.host if serve else None) or DEFAULT_HOST
    port = port or (serve.port if serve else None) or DEFAULT_PORT
    if database is None:
        database = (serve.database if serve else None) or (
            f"sqlite:///{config.root / 'briefgen.db'}" if config else DEFAULT_DATABASE)
        if config and "://" not in database:  # a path in briefgen.toml: a SQLite file there
            database = f"sqlite:///{config.root / database}"
    return host, port, database


def data_folder(data: Path | None, cwd: Path | None = None) -> Path | None:
    """``--data``, else the workspace folder where it holds orgs/ or benchmarks/ (as ``make``)."""
    if data is not None:
        return data
    config = _workspace(cwd)
    return config.option_values()["data"] if config else None


def normalise_database_url(url: str) -> str:
    """Let ``postgresql://`` mean psycopg 3 (SQLAlchemy's default driver is psycopg2)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if not (url.startswith("sqlite") or url.startswith("postgresql+")):
        raise InputError(f"--database: '{url.split(':', 1)[0]}' is not supported (allowed: "
                         "sqlite:///FILE or postgresql://USER@HOST/NAME)")
    return url
