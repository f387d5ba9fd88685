"""Security headers, CSRF tokens and the admin session cookie.

CSRF: every form carries a token, and every post must also come from the same origin (its
``Origin`` and ``Sec-Fetch-Site`` headers, when the browser sends them). On the admin pages the
token is the HMAC of a random nonce kept in an HttpOnly, SameSite=Strict cookie. A respondent
has no session: their token is the HMAC of their link's token hash, so it cannot be made without
the link, and a second tab opened from the e-mail does not invalidate the first. Both HMACs use
a random key kept in the database. The admin session cookie holds its expiry signed with a key
derived from the admin secret, so changing the secret signs everyone out and the database holds
nothing that opens it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "briefgen_csrf"
ADMIN_COOKIE = "briefgen_admin"
ADMIN_HOURS = 8

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


class SecurityHeaders:
    """Add the security headers to every response, error pages and assets included."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if not scope["path"].startswith("/static/"):
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _sign(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


class Csrf:
    def __init__(self, key: bytes):
        self.key = key

    def nonce(self, request: Request) -> tuple[str, bool]:
        """The request's CSRF nonce, and whether it is new (and must be set as a cookie)."""
        given = request.cookies.get(CSRF_COOKIE, "")
        if 20 <= len(given) <= 64 and given.isascii():
            return given, False
        return secrets.token_urlsafe(24), True

    def token(self, nonce: str) -> str:
        return _sign(self.key, "csrf:" + nonce)

    def link_token(self, token_hash: str) -> str:
        """A respondent's form token: bound to their link, not to a cookie."""
        return _sign(self.key, "link:" + token_hash)

    def check_link(self, request: Request, token_hash: str, posted: str | None) -> bool:
        return (same_origin(request) and bool(posted)
                and hmac.compare_digest(self.link_token(token_hash), str(posted)))

    def set_cookie(self, response: Response, request: Request, nonce: str) -> None:
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict",
                            secure=_secure(request), path="/admin")

    def check(self, request: Request, posted: str | None) -> bool:
        nonce = request.cookies.get(CSRF_COOKIE)
        if not nonce or not posted or not same_origin(request):
            return False
        return hmac.compare_digest(self.token(nonce), str(posted))


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


class AdminSession:
    def __init__(self, secret: str | None):
        self.key = (hmac.new(secret.encode(), b"briefgen admin session", hashlib.sha256).digest()
                    if secret else None)
        self.secret = secret

    def check_secret(self, given: str) -> bool:
        if self.secret is None:
            return False
        return hmac.compare_digest(self.secret.encode(), given.encode())

    def login(self, response: Response, request: Request) -> None:
        assert self.key is not None
        expiry = str(int(time.time()) + ADMIN_HOURS * 3600)
        value = f"{expiry}.{_sign(self.key, expiry)}"
        response.set_cookie(ADMIN_COOKIE, value, max_age=ADMIN_HOURS * 3600, httponly=True,
                            samesite="strict", secure=_secure(request), path="/admin")

    def logout(self, response: Response) -> None:
        response.delete_cookie(ADMIN_COOKIE, path="/admin", httponly=True, samesite="strict")

    def is_admin(self, request: Request) -> bool:
        if self.key is None:
            return False
        value = request.cookies.get(ADMIN_COOKIE, "")
        expiry, _, signature = value.partition(".")
        if not expiry.isdigit() or not hmac.compare_digest(_sign(self.key, expiry), signature):
            return False
        return int(expiry) > time.time()
