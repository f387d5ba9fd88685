"""Where ``briefgen serve`` finds its settings: the database URL and the admin secret."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError

DEFAULT_DATABASE = "sqlite:///briefgen.db"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
ADMIN_SECRET_ENV = "BRIEFGEN_ADMIN_SECRET"
MIN_SECRET_CHARS = 20        # besides whitespace
MIN_SECRET_DISTINCT = 8
MAX_RESPONDENTS = 500       # per invitation, against typing 50000 by mistake
# Slow clients (briefgen.serve.server): a request's headers must arrive within HEADER_SECONDS
# of the connection (or of the previous response), its body within BODY_SECONDS after them;
# one address may hold CONNECTIONS_PER_CLIENT connections at once (an office behind one
# address holds a few per browser, each closed after 5 idle seconds).
HEADER_SECONDS = 10.0
BODY_SECONDS = 30.0
CONNECTIONS_PER_CLIENT = 50
MAX_WORKERS = 32


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
    where = ADMIN_SECRET_ENV
    if not secret:
        config = _workspace(cwd)
        secret = config.serve.admin_secret if config and config.serve else None
        where = f"[serve] admin_secret in {config.path}" if secret else where
    if not secret:
        return None
    problem = secret_problem(secret)
    if problem:
        raise InputError(f"{where}: the admin secret {problem}")
    return secret


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` is too weak to guard the admin pages, or None."""
    chars = len("".join(secret.split()))
    if chars < MIN_SECRET_CHARS:
        return (f"has {chars} characters besides spaces; use at least {MIN_SECRET_CHARS} "
                "(briefgen secret prints a strong one)")
    if len(set(secret)) < MIN_SECRET_DISTINCT:
        return (f"uses {len(set(secret))} different characters; use at least "
                f"{MIN_SECRET_DISTINCT} (briefgen secret prints a strong one)")
    return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is an address only this machine can reach."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def public_url(host: str, port: int, base_url: str | None) -> str | None:
    """Where respondents' links point: ``base_url``, else the address served; None when that
    is every interface (0.0.0.0, ::), which is no address a respondent can open."""
    if base_url:
        if not base_url.startswith(("http://", "https://")) or "://" == base_url[-3:]:
            raise InputError(f"--base-url: '{base_url}' must start with http:// or https:// "
                             "and name a host, e.g. https://enkat.firma.se")
        return base_url.rstrip("/")
    if host in ("", "0.0.0.0", "::", "[::]"):
        return None
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def base_url_setting(base_url: str | None, cwd: Path | None = None) -> str | None:
    """``--base-url``, else ``[serve] base_url`` in the workspace's briefgen.toml."""
    if base_url:
        return base_url
    config = _workspace(cwd)
    return config.serve.base_url if config and config.serve else None


def trusted_proxies(given: tuple[str, ...], cwd: Path | None = None) -> tuple[str, ...]:
    """``--trusted-proxy`` addresses, else ``[serve] trusted_proxies``; each checked."""
    import ipaddress

    if not given:
        config = _workspace(cwd)
        given = tuple(config.serve.trusted_proxies or ()) if config and config.serve else ()
    for address in given:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise InputError(f"--trusted-proxy: '{address}' is not an IP address (the "
                             "proxy's own address, e.g. 127.0.0.1)") from None
    return tuple(given)


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
