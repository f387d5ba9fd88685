"""briefgen.serve.security, unit by unit: the guard, CSRF, sign-in, sessions, lock-out, faults.

Each test runs the real application (Starlette's TestClient speaks ASGI to it) on a real SQLite
database, or calls the security objects with real requests; the client address is set per
TestClient, so an attacker and the admin are different clients.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient

from briefgen.load import load_data
from briefgen.serve import security
from briefgen.serve.app import ROUTES, Config, create_app, routes, visible
from briefgen.serve.questions import all_keys
from briefgen.serve.security import (
    ADMIN,
    LOGIN,
    PUBLIC,
    RESPONDENT,
    AdminAuth,
    Csrf,
    client_key,
    guard,
    same_origin,
    secret_matches,
)
from briefgen.serve.store import admin_sessions, login_failures, open_store, token_hash

SECRET = "a-long-admin-secret-for-tests"
BASE = "https://enkat.firma.se"
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def bundle():
    return load_data()


@pytest.fixture
def store(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")


async def secret_page(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"secret page, form {sorted(request.state.form)}")


async def broken(request: Request) -> PlainTextResponse:
    raise RuntimeError("a bug in a handler")


EXTRA = [("/admin/new-page", secret_page, ["GET", "POST"], ADMIN),
         ("/broken", broken, ["GET"], PUBLIC)]


@pytest.fixture
def app(store, bundle):
    return create_app(Config(store=store, bundle=bundle, admin_secret=SECRET, base_url=BASE),
                      table=ROUTES + EXTRA)


def client(app, host: str = "127.0.0.3") -> TestClient:
    return TestClient(app, follow_redirects=False, client=(host, 40000))


def token_on(c: TestClient, url: str) -> str:
    page = c.get(url)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def sign_in(c: TestClient, secret: str = SECRET):
    return c.post("/admin/login", data={"csrf": token_on(c, "/admin/login"), "secret": secret})


# --------------------------------------------------------------------------- the guard


def test_every_route_is_guarded_and_admin_is_the_default():
    made = routes(ROUTES + EXTRA)
    for route in made[:-1]:                    # the last is the static files' mount
        assert route.endpoint.access in security.ACCESS, route.path
    async def page(request):  # noqa: E306 - a route registered without saying who may use it
        return PlainTextResponse("x")
    assert guard(page).access == ADMIN
    with pytest.raises(ValueError, match="access must be one of"):
        guard(page, "everyone")


def test_a_new_route_is_closed_until_signed_in_and_its_posts_need_the_token(app):
    c = client(app)
    r = c.get("/admin/new-page")
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    r = c.post("/admin/new-page", data={"x": "1"})
    assert r.status_code == 403 and "Formuläret hann gå ut" in r.text
    assert sign_in(c).status_code == 303
    assert c.get("/admin/new-page").text == "secret page, form []"
    assert c.post("/admin/new-page", data={"x": "1"}).status_code == 403     # no token
    token = token_on(c, "/admin")
    r = c.post("/admin/new-page", data={"x": "1", "csrf": token})
    assert r.status_code == 200 and r.text == "secret page, form ['csrf', 'x']"


def test_public_routes_take_no_posts(app):
    c = client(app)
    assert c.get("/done").status_code == 200
    assert c.post("/done", data={"csrf": "x"}).status_code == 404        # 405 shown as 404
    page = guard(secret_page, PUBLIC)
    assert page.access == PUBLIC and page.__wrapped__ is secret_page


def test_forms_are_read_with_limits(app, store):
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0].path()
    c = client(app)
    token = token_on(c, link + "/capabilities")
    assert c.post(link + "/capabilities",
                  content=b"csrf=" + token.encode() + b"&partnerships=%ff",
                  headers={"content-type": "application/x-www-form-urlencoded"}
                  ).status_code == 400
    many = "&".join(f"f{i}=1" for i in range(security.MAX_FORM_FIELDS + 1))
    assert c.post(link + "/capabilities", content=many.encode(), headers={
        "content-type": "application/x-www-form-urlencoded"}).status_code == 400
    assert c.post(link + "/capabilities", content=b"x" * (security.MAX_FORM_BYTES + 1),
                  headers={"content-type": "application/x-www-form-urlencoded"}
                  ).status_code == 413
    assert c.post(link + "/capabilities", content=b"{}",
                  headers={"content-type": "application/json"}).status_code == 415
    assert c.post(link + "/capabilities", content=b"partnerships=4&csrf=" + token.encode(),
                  headers={"content-type": "application/x-www-form-urlencoded"}
                  ).status_code == 303


# --------------------------------------------------------------------------- CSRF


def request(path: str = "/", headers: dict[str, str] | None = None,
            cookies: str = "", path_params: dict | None = None,
            client: tuple[str, int] = ("127.0.0.3", 1)) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if cookies:
        raw.append((b"cookie", cookies.encode()))
    return Request({"type": "http", "method": "POST", "path": path, "headers": raw,
                    "query_string": b"", "path_params": path_params or {}, "client": client,
                    "scheme": "http", "server": ("testserver", 80), "state": {}})


def test_same_origin():
    assert same_origin(request())                          # no header: not a browser's post
    assert same_origin(request(headers={"sec-fetch-site": "same-origin"}))
    assert same_origin(request(headers={"sec-fetch-site": "none"}))
    assert not same_origin(request(headers={"sec-fetch-site": "same-site"}))
    assert not same_origin(request(headers={"sec-fetch-site": "cross-site"}))
    assert same_origin(request(headers={"origin": "https://h.se", "host": "h.se"}))
    assert not same_origin(request(headers={"origin": "https://evil.se", "host": "h.se"}))
    assert not same_origin(request(headers={"origin": "null", "host": "h.se"}))
    # Sec-Fetch-Site decides when both are sent.
    assert not same_origin(request(headers={"sec-fetch-site": "cross-site",
                                            "origin": "https://h.se", "host": "h.se"}))


def test_csrf_tokens_are_bound_to_their_link_session_or_nonce():
    csrf, other = Csrf(b"k" * 32), Csrf(b"j" * 32)
    link = request(path_params={"token": "the-link-token"})
    good = csrf.link_token(token_hash("the-link-token"))
    assert csrf.check(RESPONDENT, link, good)
    assert not other.check(RESPONDENT, link, good)             # another key
    assert not csrf.check(RESPONDENT, request(path_params={"token": "another"}), good)
    assert not csrf.check(RESPONDENT, link, good[:-1])
    assert not csrf.check(RESPONDENT, link, "")
    assert not csrf.check(RESPONDENT, link, None)
    assert not csrf.check(RESPONDENT, request(headers={"sec-fetch-site": "cross-site"},
                                              path_params={"token": "the-link-token"}), good)
    # The sign-in form: the nonce in the cookie.
    nonce = "n" * 32
    login = request(cookies=f"{security.CSRF_COOKIE}={nonce}")
    assert csrf.check(LOGIN, login, csrf.login_token(nonce))
    assert not csrf.check(LOGIN, request(), csrf.login_token(nonce))       # no cookie
    assert not csrf.check(LOGIN, login, csrf.login_token("m" * 32))
    # The admin: the session.
    admin = request()
    admin.state.session = "s" * 64
    assert csrf.check(ADMIN, admin, csrf.session_token("s" * 64))
    assert not csrf.check(ADMIN, admin, csrf.session_token("t" * 64))
    assert not csrf.check(ADMIN, request(), csrf.session_token("s" * 64))   # no session
    assert not csrf.check(PUBLIC, admin, csrf.session_token("s" * 64))
    # The kinds never stand in for each other.
    assert len({csrf.link_token("x"), csrf.login_token("x"), csrf.session_token("x")}) == 3


def test_the_sign_in_nonce_is_kept_or_made():
    csrf = Csrf(b"k" * 32)
    nonce, new = csrf.nonce(request(cookies=f"{security.CSRF_COOKIE}={'a' * 20}"))
    assert (nonce, new) == ("a" * 20, False)
    for bad in ("a" * 19, "a" * 65, "å" * 30):
        nonce, new = csrf.nonce(request(cookies=f"{security.CSRF_COOKIE}={bad}"))
        assert new and nonce != bad and len(nonce) >= 32


# --------------------------------------------------------------------------- sign-in


def test_the_secret_must_match_exactly():
    assert secret_matches(SECRET, SECRET)
    for given in ("", SECRET[:-1], SECRET + " ", SECRET.upper(), SECRET[:1]):
        assert not secret_matches(SECRET, given), given
    assert not secret_matches(None, "")
    assert not secret_matches("", "")
    assert not secret_matches(None, SECRET)


def test_client_keys():
    def key(host):
        return client_key(request(client=(host, 1)))
    assert key("127.0.0.2") == "127.0.0.2"
    assert key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:2:ffff::1") == key("2001:db8:1:2::9")          # one /64
    assert key("::ffff:10.0.0.1") == "10.0.0.1"
    assert key("testclient") == "testclient"
    assert client_key(request(client=None)) == "unknown"


def test_lock_out_after_failures_spares_other_clients_and_ends(app, store):
    attacker, admin = client(app, "127.0.0.2"), client(app, "127.0.0.3")
    for _ in range(security.MAX_FAILURES - 1):
        assert sign_in(attacker, "guess-" + "x" * 20).status_code == 401
    r = sign_in(attacker, "guess-" + "x" * 20)
    assert r.status_code == 429
    assert 0 < int(r.headers["retry-after"]) <= security.LOCKOUT.total_seconds()
    assert "För många misslyckade inloggningar" in r.text
    assert sign_in(attacker).status_code == 429                # the right secret too
    assert sign_in(admin).status_code == 303                   # another client: signed in
    assert admin.get("/admin").status_code == 200
    # Once the lock-out has run out the attacker may try again, from one failure.
    with store.write() as conn:
        conn.execute(login_failures.update().values(
            locked_until=dt.datetime(2000, 1, 1), first_at=dt.datetime(2000, 1, 1)))
    assert sign_in(attacker, "guess-" + "x" * 20).status_code == 401
    with store.read() as conn:
        assert conn.execute(sa.select(login_failures.c.failures).where(
            login_failures.c.client == "127.0.0.2")).scalar() == 1
    # A success clears the count.
    assert sign_in(attacker).status_code == 303
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(login_failures)).scalar() == 0


def test_failures_outside_the_window_start_again(store):
    for _ in range(security.MAX_FAILURES - 1):
        store.record_failure("c", security.FAILURE_WINDOW, security.MAX_FAILURES,
                             security.LOCKOUT)
    with store.write() as conn:                       # the first failure was long ago
        conn.execute(login_failures.update().values(first_at=dt.datetime(2000, 1, 1)))
    assert store.record_failure("c", security.FAILURE_WINDOW, security.MAX_FAILURES,
                                security.LOCKOUT) is None
    assert store.locked_until("c") is None


# --------------------------------------------------------------------------- sessions


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app, store):
    c = client(app)
    assert sign_in(c).status_code == 303
    cookie = c.cookies.get(security.ADMIN_COOKIE)
    copy = client(app)
    copy.cookies.set(security.ADMIN_COOKIE, cookie, path="/admin")
    assert copy.get("/admin").status_code == 200
    token = token_on(c, "/admin")
    assert c.post("/admin/logout", data={"csrf": token}).status_code == 303
    assert copy.get("/admin").status_code == 303              # the old cookie opens nothing
    assert copy.get("/admin/orgs/region-x/export.csv").status_code == 303
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(admin_sessions)).scalar() == 0


def test_two_sign_ins_at_once_get_different_sessions(app):
    first, second = client(app), client(app)
    assert sign_in(first).status_code == 303 and sign_in(second).status_code == 303
    a, b = first.cookies.get(security.ADMIN_COOKIE), second.cookies.get(security.ADMIN_COOKIE)
    assert a != b and len(a) >= 43


@pytest.mark.parametrize("column", ["expires_at", "seen_at"])
def test_sessions_end_after_their_time_or_idle(app, store, column):
    c = client(app)
    assert sign_in(c).status_code == 303
    assert c.get("/admin").status_code == 200
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    # Just inside the limits the session lives; at them it ends.
    inside = {"expires_at": now + dt.timedelta(seconds=30),
              "seen_at": now - dt.timedelta(minutes=security.IDLE_MINUTES, seconds=-30)}
    at = {"expires_at": now, "seen_at": now - dt.timedelta(minutes=security.IDLE_MINUTES)}
    with store.write() as conn:
        conn.execute(admin_sessions.update().values(**{column: inside[column]}))
    assert c.get("/admin").status_code == 200
    with store.write() as conn:
        conn.execute(admin_sessions.update().values(**{column: at[column]}))
    assert c.get("/admin").status_code == 303
    with store.read() as conn:                           # and it is gone
        assert conn.execute(sa.select(sa.func.count()).select_from(admin_sessions)).scalar() == 0


def test_a_session_is_seen_again_at_most_every_minute(app, store):
    c = client(app)
    assert sign_in(c).status_code == 303
    old = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) \
        - security.SEEN_EVERY
    with store.write() as conn:
        conn.execute(admin_sessions.update().values(seen_at=old))
    assert c.get("/admin").status_code == 200
    with store.read() as conn:
        assert conn.execute(sa.select(admin_sessions.c.seen_at)).scalar() > old


def test_a_new_secret_ends_the_sessions_of_the_old(app, store, bundle):
    c = client(app)
    assert sign_in(c).status_code == 303
    renewed = create_app(Config(store=store, bundle=bundle,
                                admin_secret="another-secret-of-the-firm-2026"))
    copy = client(renewed)
    copy.cookies.set(security.ADMIN_COOKIE, c.cookies.get(security.ADMIN_COOKIE), path="/admin")
    assert copy.get("/admin").status_code == 303
    closed = AdminAuth(store, None, b"k" * 32)            # no secret: no session at all
    assert closed.session(request(cookies=f"{security.ADMIN_COOKIE}={'a' * 43}")) is None


def test_a_cookie_of_the_wrong_length_is_not_looked_up(store):
    auth = AdminAuth(store, SECRET, b"k" * 32)
    for value in ("", "a" * 39, "a" * 65):
        assert auth.session(request(cookies=f"{security.ADMIN_COOKIE}={value}")) is None


# --------------------------------------------------------------------------- admin routes


def test_admin_routes_refuse_without_a_session_with_answers_stored(app, store, bundle):
    refused_then_signed_in(app, store, bundle)


def refused_then_signed_in(app, store, bundle) -> TestClient:
    """Export and briefing exist (answers are stored), so a refusal is the login's doing."""
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    keys = all_keys(bundle.framework)
    store.save("region-x", link.token, dict.fromkeys(keys, 3.0), "top3")
    assert store.submit("region-x", link.token, keys) == []
    rid = store.rounds("region-x")[0].id
    stranger = client(app, "127.0.0.2")
    for path, _, methods, access in ROUTES:
        if access != ADMIN:
            continue
        url = (path.replace("{org:str}", "region-x").replace("{fmt:str}", "csv")
               .replace("{lang:str}", "sv").replace("{round:int}", str(rid)))
        for method in methods:
            r = stranger.request(method, url, data={"csrf": "0" * 64, "org": "region-x",
                                                    "count": "1", "lang": "sv"})
            if method == "GET":
                assert r.status_code == 303 and r.headers["location"] == "/admin/login", url
            else:
                assert r.status_code == 403, url
    assert store.rounds("region-x")[0].is_open and store.rounds("region-x")[0].total == 1
    admin = client(app)
    assert sign_in(admin).status_code == 303
    export = admin.get("/admin/orgs/region-x/export.csv")
    assert export.status_code == 200 and b"region-x" in export.content
    return admin


def test_the_briefing_refused_without_a_session_is_served_with_one(app, store, bundle):
    admin = refused_then_signed_in(app, store, bundle)
    pdf = admin.get("/admin/orgs/region-x/briefing-sv.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


# --------------------------------------------------------------------------- faults


def test_a_failing_handler_gets_a_page_with_the_headers_and_one_log_entry(app, caplog):
    caplog.set_level(logging.INFO)
    r = client(app).get("/broken")
    assert r.status_code == 500 and "Något gick fel hos oss" in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert r.headers["x-frame-options"] == "DENY"
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info and "GET /broken" in errors[0].getMessage()


def test_a_client_that_leaves_mid_post_is_no_error(app, store, caplog):
    import asyncio

    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0].path()
    caplog.set_level(logging.INFO)
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": b"csrf=abc&partner", "more_body": True},
                {"type": "http.disconnect"}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": link + "/capabilities",
             "raw_path": (link + "/capabilities").encode(), "query_string": b"",
             "root_path": "", "headers": [(b"host", b"testserver"), (b"content-type",
                                          b"application/x-www-form-urlencoded")],
             "client": ("127.0.0.3", 1), "server": ("testserver", 80)}

    async def main():
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)

    asyncio.run(main())
    assert not [rec for rec in caplog.records if rec.levelno >= logging.WARNING]
    assert any("the client left" in rec.getMessage() for rec in caplog.records)


def test_visible_shows_every_invisible_or_reordering_character():
    import sys
    import unicodedata

    hidden = [chr(c) for c in range(sys.maxunicode + 1)
              if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp")]
    assert "\u202e" in hidden and "\u200b" in hidden and "\ufeff" in hidden
    shown = visible("".join(hidden))
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in shown)
    assert visible("Region \u202eX") == "Region ⟨U+202E⟩X"
    assert visible("Åre kommun – 3,5") == "Åre kommun – 3,5"
