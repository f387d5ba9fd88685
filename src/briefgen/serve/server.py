"""Running the app: uvicorn with deadlines and a cap per client, in one or several processes.

uvicorn gives a connection as long as it likes to send its request: a client that drips a
header line every few seconds holds its connection (and a file descriptor) for ever, and a
thousand of them starve everyone. :class:`GuardedH11Protocol` adds the two missing limits:

- a **deadline** for each request's headers (:data:`~.settings.HEADER_SECONDS` from the
  connection's start, or from the end of the previous response) and then for its body
  (:data:`~.settings.BODY_SECONDS`); a client that misses one is disconnected;
- a **cap on open connections per client address** (:data:`~.settings.CONNECTIONS_PER_CLIENT`);
  a connection over it is answered ``503`` and closed at once. A proxy named with
  ``--trusted-proxy`` is exempt (it carries everyone's connections and sets its own limits).

Several workers (``--workers N``) are uvicorn's: N processes accept on one socket; each builds
its own application (and database pool) from :class:`ServeSettings`.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .settings import BODY_SECONDS, CONNECTIONS_PER_CLIENT, HEADER_SECONDS

log = logging.getLogger(__name__)

BUSY = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 5\r\n"
        b"connection: close\r\n\r\n")


@dataclass(frozen=True)
class Limits:
    header_seconds: float = HEADER_SECONDS
    body_seconds: float = BODY_SECONDS
    per_client: int = CONNECTIONS_PER_CLIENT
    exempt: frozenset[str] = frozenset()       # the trusted proxies' addresses


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with request deadlines and a connection cap per client."""

    def __init__(self, config, server_state, app_state, _loop=None):
        super().__init__(config, server_state, app_state, _loop)
        self.limits: Limits = getattr(config, "briefgen_limits", None) or Limits()
        # This server's open connections per client address (one server per process).
        if not hasattr(server_state, "open_per_client"):
            server_state.open_per_client = Counter()
        self.open_per_client: Counter[str] = server_state.open_per_client
        self.counted: str | None = None
        self.deadline: asyncio.TimerHandle | None = None
        self.waiting_for: object = None      # the h11 state the deadline is running for

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        host = self.client[0] if self.client else ""
        if host not in self.limits.exempt:
            if self.open_per_client[host] >= self.limits.per_client:
                transport.write(BUSY)
                transport.close()
                return
            self.open_per_client[host] += 1
            self.counted = host
        self.watch()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.counted is not None:
            self.open_per_client[self.counted] -= 1
            if self.open_per_client[self.counted] <= 0:
                del self.open_per_client[self.counted]
            self.counted = None
        self.stop_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self.watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.waiting_for = None             # a new request (keep-alive): a new deadline
        self.watch()

    def watch(self) -> None:
        """Run the deadline of what the connection is waiting for: headers, body or none."""
        state = self.conn.their_state
        seconds = {h11.IDLE: self.limits.header_seconds,
                   h11.SEND_BODY: self.limits.body_seconds}.get(state)
        if state is self.waiting_for and self.deadline is not None:
            return
        self.stop_deadline()
        self.waiting_for = state
        if seconds is not None and not self.transport.is_closing():
            self.deadline = self.loop.call_later(seconds, self.too_slow)

    def stop_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def too_slow(self) -> None:
        self.deadline = None
        if not self.transport.is_closing():
            log.info("%s: request not sent in time; connection closed",
                     self.client[0] if self.client else "?")
            self.transport.close()


@dataclass(frozen=True)
class ServeSettings:
    """Everything a worker process needs to build the application."""

    database: str
    data: Path | None = None
    admin_lang: str = "sv"
    base_url: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)


def build_app(settings: ServeSettings):
    """The application of one worker process (uvicorn calls this in each)."""
    from .app import app_from_settings

    if not (logging.getLogger("briefgen").handlers or logging.getLogger().handlers):
        # A worker process started by uvicorn: the CLI's logging set-up did not run here.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logging.getLogger("briefgen").addHandler(handler)
        logging.getLogger("briefgen").setLevel(logging.WARNING)
    return app_from_settings(settings.database, settings.data, settings.admin_lang,
                             settings.base_url)


def raise_file_limit() -> int:
    """Let the process open as many files as the system allows it (connections are files)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


def uvicorn_config(settings: ServeSettings, host: str, port: int, workers: int = 1,
                   **options):
    """uvicorn's settings for briefgen; ``options`` are passed on (tests: ``log_config``)."""
    import uvicorn

    config = uvicorn.Config(
        partial(build_app, settings), factory=True, host=host, port=port, workers=workers,
        http=GuardedH11Protocol, log_level="warning", server_header=False,
        # X-Forwarded-For and -Proto are read only from the proxies named (none by default).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        timeout_keep_alive=5, timeout_graceful_shutdown=10, **options)
    # Read by GuardedH11Protocol: uvicorn's Config carries it to every connection.
    config.briefgen_limits = Limits(  # type: ignore[attr-defined]
        settings.limits.header_seconds, settings.limits.body_seconds,
        settings.limits.per_client, frozenset(settings.trusted_proxies))
    return config


def server_for(settings: ServeSettings, host: str, port: int, workers: int = 1, app=None,
               **options):
    """What :func:`run` runs, the file limit raised first: one uvicorn server (serving ``app``
    if it is given), or uvicorn's supervisor of ``workers`` processes on one bound socket."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    raise_file_limit()
    config = uvicorn_config(settings, host, port, workers, **options)
    if workers == 1:
        if app is not None:
            config.app, config.factory = app, False
        return uvicorn.Server(config)
    return Multiprocess(config, sockets=[config.bind_socket()])


def run(settings: ServeSettings, host: str, port: int, workers: int = 1, app=None) -> None:
    """Serve until stopped (Ctrl-C, SIGTERM); one process serves ``app`` if it is given."""
    server_for(settings, host, port, workers, app).run()
