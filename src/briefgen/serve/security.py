"""Every security check of ``briefgen serve``, applied in one place.

:func:`guard` wraps each endpoint when the routes are made (``app.routes``), and every request
to a route goes through it: a route is an admin route unless it is registered as
``RESPONDENT``, ``LOGIN`` or ``PUBLIC``, so a new route is closed until someone opens it, and
every post is read here (size, type) and its CSRF token checked before the endpoint runs.

- **Admin sessions** are kept in the database: the cookie holds a random id (256 bits), the
  database its hash, when it was opened and last used, and a tag of the admin secret it was
  opened with. Signing out deletes it; it ends after :data:`SESSION_HOURS`, after
  :data:`IDLE_MINUTES` unused, or when the secret changes. Every worker process sees the same
  sessions.
- **Sign-in**: the secret is compared by hash (no prefix or length shortcut). After
  :data:`MAX_FAILURES` failures within :data:`FAILURE_WINDOW` one client address (an IPv6
  address by its /64) is refused with 429 and ``Retry-After`` for :data:`LOCKOUT`; other
  clients, the real admin among them, can still sign in. The address is the TCP peer's,
  or ``X-Forwarded-For``'s when the peer is a proxy named with ``--trusted-proxy`` (uvicorn
  reads the header only from those).
- **CSRF**: every post carries a token and must not come from another site (``Sec-Fetch-Site``,
  else ``Origin``). A respondent's token is the HMAC of their link's token hash (no cookie, and
  a second tab does not invalidate the first); the admin's is the HMAC of the session id; the
  sign-in form's the HMAC of a nonce in a cookie. The key is random, kept in the database.
- **Headers**: :class:`Outermost` wraps the whole application: every response, a 500 included,
  carries :data:`HEADERS`, and an error escaping the application is logged once and answered
  with a page instead of a dropped connection. A client that leaves in the middle of a post
  is not an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .store import token_hash

log = logging.getLogger(__name__)

CSRF_COOKIE = "briefgen_csrf"          # the sign-in form's nonce
ADMIN_COOKIE = "briefgen_admin"        # the admin session's id
SESSION_HOURS = 8
IDLE_MINUTES = 60
SEEN_EVERY = dt.timedelta(seconds=60)  # how stale a session's last use may be recorded
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)
MAX_FORM_FIELDS = 100
MAX_FORM_BYTES = 64 * 1024

HEADERS = {
    # Everything is served by briefgen itself: no third-party source of any kind.
    "content-security-policy": "default-src 'self'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # The links carry secret tokens: never send them on to another site.
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}

# Who may use a route. ADMIN is the default of :func:`guard`.
PUBLIC = "public"          # anyone; GET only
RESPONDENT = "respondent"  # the holder of a link; posts carry the link's token
LOGIN = "login"            # the sign-in form; posts carry the nonce cookie's token
ADMIN = "admin"            # a live admin session; posts carry the session's token
ACCESS = (PUBLIC, RESPONDENT, LOGIN, ADMIN)
READ_METHODS = ("GET", "HEAD")


# --------------------------------------------------------------------------- headers, faults


class Outermost:
    """The outermost layer: security headers on every response, and no fault unanswered.

    Starlette's own error layer answers an unexpected exception with the application's 500
    page and then re-raises it for the server to log; here it is logged once, with its
    traceback, and goes no further, so uvicorn neither logs it again nor drops the connection.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if not scope["path"].startswith("/static/"):
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except ClientDisconnect:
            log.info("%s %s: the client left", scope["method"], scope["path"])
        except Exception:
            log.exception("%s %s failed", scope["method"], scope["path"])
            if not started:      # the application could not even answer: answer plainly
                await Response("Internal Server Error", 500, media_type="text/plain")(
                    scope, receive, send_with_headers)


# --------------------------------------------------------------------------- CSRF


def _sign(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def same_origin(request: Request) -> bool:
    """False when the browser says the post comes from another site.

    ``Sec-Fetch-Site`` (sent by current browsers) decides; without it, an ``Origin`` must name
    the host the request was sent to (compared without the scheme, which a TLS proxy changes).
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


class Csrf:
    """The forms' tokens, each an HMAC under the database's random key."""

    def __init__(self, key: bytes):
        self.key = key

    def nonce(self, request: Request) -> tuple[str, bool]:
        """The sign-in form's nonce, and whether it is new (and must be set as a cookie)."""
        given = request.cookies.get(CSRF_COOKIE, "")
        if 20 <= len(given) <= 64 and given.isascii():
            return given, False
        return secrets.token_urlsafe(24), True

    def set_nonce(self, response: Response, request: Request, nonce: str) -> None:
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict",
                            secure=_secure(request), path="/admin")

    def login_token(self, nonce: str) -> str:
        return _sign(self.key, "csrf:" + nonce)

    def link_token(self, link_hash: str) -> str:
        """A respondent's form token: bound to their link, not to a cookie."""
        return _sign(self.key, "link:" + link_hash)

    def session_token(self, session_hash: str) -> str:
        return _sign(self.key, "admin:" + session_hash)

    def expected(self, access: str, request: Request) -> str | None:
        """The token a post to a route of this access must carry (None: no post is allowed)."""
        if access == RESPONDENT:
            return self.link_token(token_hash(request.path_params.get("token", "")))
        if access == LOGIN:
            nonce = request.cookies.get(CSRF_COOKIE)
            return self.login_token(nonce) if nonce else None
        if access == ADMIN:
            session = getattr(request.state, "session", None)
            return self.session_token(session) if session else None
        return None

    def check(self, access: str, request: Request, posted: str | None) -> bool:
        expected = self.expected(access, request)
        return (expected is not None and bool(posted) and same_origin(request)
                and hmac.compare_digest(expected, str(posted)))


# --------------------------------------------------------------------------- the admin


def secret_matches(secret: str | None, given: str) -> bool:
    """Whether ``given`` is the secret, compared by hash in constant time."""
    if not secret or not given:
        return False
    return hmac.compare_digest(hashlib.sha256(secret.encode()).digest(),
                               hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest())


def client_key(request: Request) -> str:
    """The address a lock-out applies to: the client's IPv4 address, or its IPv6 /64."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64] or "unknown"
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: a session id to set, or why not (and for how long)."""

    session: str | None = None
    locked_for: int = 0            # seconds, when the client is locked out


class AdminAuth:
    """Sign-in, sessions and lock-out, kept in the store so every worker shares them."""

    def __init__(self, store, secret: str | None, key: bytes):
        self.store = store
        self.secret = secret
        # Ties each session to the secret it was opened with (the secret itself is not kept).
        self.tag = _sign(key, "secret:" + secret) if secret else None

    def sign_in(self, request: Request, given: str) -> SignIn:
        client = client_key(request)
        until = self.store.locked_until(client)
        if until is not None:
            return SignIn(locked_for=_seconds_until(until))
        if self.tag is None or not secret_matches(self.secret, given):
            until = self.store.record_failure(client, FAILURE_WINDOW, MAX_FAILURES, LOCKOUT)
            return SignIn(locked_for=_seconds_until(until) if until else 0)
        self.store.clear_failures(client)
        session = secrets.token_urlsafe(32)
        self.store.open_session(token_hash(session), self.tag,
                                dt.timedelta(hours=SESSION_HOURS))
        return SignIn(session=session)

    def session(self, request: Request) -> str | None:
        """The hash of the request's live admin session, or None."""
        if self.tag is None:
            return None
        given = request.cookies.get(ADMIN_COOKIE, "")
        if not 40 <= len(given) <= 64:
            return None
        id_hash = token_hash(given)
        row = self.store.session(id_hash)
        if row is None or not hmac.compare_digest(row.secret_tag, self.tag):
            return None
        stamp = _now()
        if row.expires_at <= stamp or row.seen_at + dt.timedelta(minutes=IDLE_MINUTES) <= stamp:
            self.store.end_session(id_hash)
            return None
        if stamp - row.seen_at >= SEEN_EVERY:
            self.store.touch_session(id_hash)
        return id_hash

    def set_cookie(self, response: Response, request: Request, session: str) -> None:
        response.set_cookie(ADMIN_COOKIE, session, httponly=True, samesite="strict",
                            secure=_secure(request), path="/admin")

    def sign_out(self, request: Request, response: Response) -> None:
        if request.state.session:
            self.store.end_session(request.state.session)
        response.delete_cookie(ADMIN_COOKIE, path="/admin", httponly=True, samesite="strict")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _seconds_until(until: dt.datetime) -> int:
    return max(1, int((until - _now()).total_seconds()))


# --------------------------------------------------------------------------- the guard


class LoginRequired(Exception):
    """An admin route was asked for without a live session."""


class CsrfRefused(Exception):
    """A post without the right token, or from another site."""


async def read_form(request: Request) -> dict[str, str]:
    """The posted form (urlencoded, at most MAX_FORM_BYTES and MAX_FORM_FIELDS), its last
    value per name."""
    kind = request.headers.get("content-type", "")
    if kind and not kind.startswith("application/x-www-form-urlencoded"):
        raise HTTPException(415)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                          max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400) from None
    return dict(pairs)


Endpoint = Callable[[Request], Awaitable[Response]]


def guard(endpoint: Endpoint, access: str = ADMIN) -> Endpoint:
    """``endpoint`` behind the checks its ``access`` asks for (see the module's docstring).

    Needs ``request.app.state.auth`` (:class:`AdminAuth`), ``.csrf`` (:class:`Csrf`) and
    ``.store``. The endpoint finds the checked form in ``request.state.form``, a respondent's
    live link in ``request.state.respondent`` and an admin's session hash in
    ``request.state.session``.
    """
    if access not in ACCESS:
        raise ValueError(f"access must be one of {', '.join(ACCESS)}, not {access!r}")
    from starlette.concurrency import run_in_threadpool

    async def guarded(request: Request) -> Response:
        state = request.app.state
        request.state.form = {}
        request.state.session = None
        request.state.respondent = None
        if access == RESPONDENT:         # a dead link is a page that does not exist
            request.state.respondent = await run_in_threadpool(
                state.store.respondent, request.path_params["org"],
                request.path_params["token"])
            if request.state.respondent is None:
                raise HTTPException(404)
        if access == ADMIN:
            request.state.session = await run_in_threadpool(state.auth.session, request)
            if request.state.session is None:
                raise LoginRequired()
        if request.method not in READ_METHODS:
            if access == PUBLIC:
                raise HTTPException(405)
            form = await read_form(request)
            if not state.csrf.check(access, request, form.get("csrf")):
                raise CsrfRefused()
            request.state.form = form
        return await endpoint(request)

    guarded.access = access               # type: ignore[attr-defined]
    guarded.__wrapped__ = endpoint        # type: ignore[attr-defined]
    guarded.__name__ = getattr(endpoint, "__name__", "guarded")
    return guarded
