"""Tests written against mutants of briefgen.serve that the behavioural tests let live
(bench/mutation.py, docs/mutation.md): each pins a detail a change would get wrong.

Functions under test are called in the test or in function-scoped fixtures (mutmut maps a
mutant to the tests that reach it).
"""

from __future__ import annotations

import logging
import re

import pytest
from starlette.testclient import TestClient

from briefgen.errors import InputError
from briefgen.load import load_data
from briefgen.serve import settings
from briefgen.serve.app import Config, create_app
from briefgen.serve.store import open_store

SECRET = "a-long-admin-secret-for-tests"
BASE = "https://enkat.firma.se"


@pytest.fixture
def store(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")


@pytest.fixture
def app(store):
    return create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET,
                             base_url=BASE))


def client(app, host="127.0.0.3") -> TestClient:
    return TestClient(app, follow_redirects=False, client=(host, 1))


def token_on(c: TestClient, url: str) -> str:
    page = c.get(url)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def signed_in(app) -> tuple[TestClient, str]:
    c = client(app)
    r = c.post("/admin/login", data={"csrf": token_on(c, "/admin/login"), "secret": SECRET})
    assert r.status_code == 303
    return c, token_on(c, "/admin")


# --------------------------------------------------------------------------- settings


def test_public_url():
    assert settings.public_url("127.0.0.1", 8000, None) == "http://127.0.0.1:8000"
    assert settings.public_url("10.1.2.3", 80, None) == "http://10.1.2.3:80"
    assert settings.public_url("fe80::1", 8000, None) == "http://[fe80::1]:8000"
    assert settings.public_url("[::1]", 8000, None) == "http://[::1]:8000"
    for wildcard in ("", "0.0.0.0", "::", "[::]"):
        assert settings.public_url(wildcard, 8000, None) is None
    assert settings.public_url("0.0.0.0", 1, "https://e.se//") == "https://e.se"
    assert settings.public_url("0.0.0.0", 1, "http://e.se/enkat/") == "http://e.se/enkat"
    for bad in ("e.se", "ftp://e.se", "https://", "http://"):
        with pytest.raises(InputError) as caught:
            settings.public_url("0.0.0.0", 1, bad)
        assert str(caught.value) == (f"--base-url: '{bad}' must start with http:// or "
                                     "https:// and name a host, e.g. https://enkat.firma.se")


def test_is_loopback():
    for host in ("127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost"):
        assert settings.is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.0.1", "localhost.se", "", "[10.0.0.1]"):
        assert not settings.is_loopback(host), host


def test_base_url_and_trusted_proxies_from_the_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv(settings.ADMIN_SECRET_ENV, raising=False)
    assert settings.base_url_setting(None, tmp_path) is None
    assert settings.trusted_proxies((), tmp_path) == ()
    (tmp_path / "briefgen.toml").write_text(
        '[serve]\nbase_url = "https://enkat.se"\ntrusted_proxies = ["127.0.0.1", "::1"]\n')
    assert settings.base_url_setting(None, tmp_path) == "https://enkat.se"
    assert settings.base_url_setting("https://given.se", tmp_path) == "https://given.se"
    assert settings.trusted_proxies((), tmp_path) == ("127.0.0.1", "::1")
    assert settings.trusted_proxies(("10.0.0.1",), tmp_path) == ("10.0.0.1",)
    (tmp_path / "briefgen.toml").write_text("[serve]\nport = 8001\n")
    assert settings.base_url_setting(None, tmp_path) is None
    assert settings.trusted_proxies((), tmp_path) == ()
    with pytest.raises(InputError) as caught:
        settings.trusted_proxies(("127.0.0.1", "nginx"), tmp_path)
    assert str(caught.value) == ("--trusted-proxy: 'nginx' is not an IP address (the "
                                 "proxy's own address, e.g. 127.0.0.1)")


def test_secret_problem_words_and_limits():
    assert settings.secret_problem("abcdefgh" + "x" * 12) is None           # 20, 9 different
    assert settings.secret_problem("abcdefgh" + "x" * 11) == (
        "has 19 characters besides spaces; use at least 20 (briefgen secret prints a "
        "strong one)")
    assert settings.secret_problem(" abcdefgh" + "x" * 11 + " ") == (
        "has 19 characters besides spaces; use at least 20 (briefgen secret prints a "
        "strong one)")
    assert settings.secret_problem("abcdef" + "x" * 14) == (
        "uses 7 different characters; use at least 8 (briefgen secret prints a strong one)")
    assert settings.secret_problem("abcdefgh" * 3) is None


def test_shown_urls_hide_the_password():
    from briefgen.serve.store import _shown

    assert _shown("postgresql+psycopg://u:secret@h:5432/db") == \
        "postgresql+psycopg://u:***@h:5432/db"
    assert _shown("sqlite:///x.db") == "sqlite:///x.db"
    assert _shown("postgresql://u:secret@h:notaport/db") == "h:notaport/db"
    assert _shown("not a url") == "not a url"


# --------------------------------------------------------------------------- building


@pytest.fixture
def loggers():
    """The root and briefgen loggers' handlers and level, restored after the test."""
    root, ours = logging.getLogger(), logging.getLogger("briefgen")
    saved = (root.handlers[:], ours.handlers[:], ours.level)
    yield root, ours
    root.handlers[:], ours.handlers[:] = saved[0], saved[1]
    ours.setLevel(saved[2])


def test_a_worker_builds_its_application_and_its_logging(tmp_path, monkeypatch, loggers):
    from briefgen import resources
    from briefgen.serve.server import ServeSettings, build_app

    monkeypatch.setenv(settings.ADMIN_SECRET_ENV, SECRET)
    data = resources.data_dir()
    root, ours = loggers
    root.handlers.clear()                 # as in a fresh worker process
    ours.handlers.clear()
    app = build_app(ServeSettings(f"sqlite:///{tmp_path / 'b.db'}", data, "en",
                                  "https://enkat.se"))
    config = app.state.config
    assert (config.admin_lang, config.base_url, config.data) == ("en", "https://enkat.se", data)
    assert config.admin_secret == SECRET and config.store.is_sqlite
    assert config.store.engine.url.database == str(tmp_path / "b.db")
    [handler] = ours.handlers
    assert type(handler) is logging.StreamHandler
    assert handler.formatter._fmt == "%(levelname)s %(name)s: %(message)s"
    assert ours.level == logging.WARNING
    build_app(ServeSettings(f"sqlite:///{tmp_path / 'b.db'}"))     # not a second handler
    assert len(ours.handlers) == 1


def test_a_worker_leaves_logging_alone_when_it_is_set_up(tmp_path, monkeypatch, loggers):
    from briefgen.serve.server import ServeSettings, build_app

    monkeypatch.setenv(settings.ADMIN_SECRET_ENV, SECRET)
    root, ours = loggers
    ours.handlers.clear()
    root.handlers[:] = [logging.NullHandler()]
    build_app(ServeSettings(f"sqlite:///{tmp_path / 'b.db'}"))
    assert ours.handlers == []
    ours.handlers[:] = [logging.NullHandler()]
    root.handlers.clear()
    build_app(ServeSettings(f"sqlite:///{tmp_path / 'b.db'}"))
    assert len(ours.handlers) == 1 and root.handlers == []


# --------------------------------------------------------------------------- admin pages


def test_invite_checks_every_field_and_keeps_what_was_typed(app, store):
    c, token = signed_in(app)
    r = c.post("/admin/invite", data={"csrf": token, "org": "Bad Org", "count": "0",
                                      "lang": "de"})
    assert r.status_code == 400
    assert ('<p class="error" id="org-error"><span class="visually-hidden">Fel: </span>'
            "&#39;Bad Org&#39;: lower-case letters, digits and &#39;-&#39;</p>") in r.text
    assert ('<p class="error" id="count-error"><span class="visually-hidden">Fel: </span>'
            "1-500</p>") in r.text
    assert 'value="Bad Org"' in r.text and 'value="0"' in r.text
    assert '<option value="en">engelska</option>' in r.text         # 'de' is not kept
    r = c.post("/admin/invite", data={"csrf": token, "org": "X" * 60, "count": "x"})
    assert f"&#39;{'X' * 40}&#39;: lower-case" in r.text and "1-500</p>" in r.text
    r = c.post("/admin/invite", data={"csrf": token, "count": "2"})     # no org at all
    assert "&#39;&#39;: lower-case letters" in r.text
    for count, ok in (("1", True), ("500", True), ("501", False), ("-1", False)):
        r = c.post("/admin/invite", data={"csrf": token, "org": "region-x", "count": count})
        assert (r.status_code == 200) == ok, count
    # Without a lang the form's language is Swedish.
    r = c.post("/admin/invite", data={"csrf": token, "org": "kommun-y", "count": "1"})
    assert r.status_code == 200
    assert "<h1>Nya personliga länkar: <bdi>Ytterby kommun</bdi></h1>" in r.text
    link = re.search(r"<code>https://enkat\.firma\.se(/a/kommun-y/[\w-]+)</code>",
                     r.text).group(1)
    assert 'lang="sv"' in c.get(link).text
    # A refused invitation still shows the rounds.
    r = c.post("/admin/invite", data={"csrf": token, "org": "region-x", "count": "1",
                                      "lang": "xx"})
    assert r.status_code == 400 and "<td>501</td>" in r.text and "Region X" in r.text


def test_sign_out_forgets_the_cookie_and_goes_to_the_sign_in_page(app, store):
    c, token = signed_in(app)
    r = c.post("/admin/logout", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith('briefgen_admin=""; expires=')
    assert "Max-Age=0" in cookie and "Path=/admin" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_close_round_goes_back_with_a_message(app, store):
    store.invite("region-x", "Region X", "regional", 1, "sv")
    rid = store.rounds("region-x")[0].id
    c, token = signed_in(app)
    r = c.post(f"/admin/rounds/{rid}/close", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/admin?msg=closed"
    assert "Omgången är stängd." in c.get("/admin?msg=closed").text
    assert not store.rounds("region-x")[0].is_open


def test_refusals_speak_the_language_of_their_page(app, store):
    en = store.invite("region-x", "Region X", "regional", 1, "en")[0].path()
    c = client(app)
    r = c.post(en + "/capabilities", data={"csrf": "0" * 64})
    assert r.status_code == 403 and '<html lang="en">' in r.text
    assert "<h1>The form has expired</h1>" in r.text
    sv = store.invite("kommun-y", "Kommun Y", "municipal", 1, "sv")[0].path()
    r = c.post(sv + "/capabilities", data={"csrf": "0" * 64})
    assert '<html lang="sv">' in r.text and "<h1>Formuläret hann gå ut</h1>" in r.text
    english_admin = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET,
                                      admin_lang="en"))
    r = client(english_admin).post("/admin/login", data={"csrf": "0" * 64, "secret": "x"})
    assert r.status_code == 403 and "<h1>The form has expired</h1>" in r.text
    # The missing page: its title and its explanation.
    r = c.get("/no/such/page")
    assert r.status_code == 404 and "<h1>Sidan finns inte</h1>" in r.text
    assert "svaren kan redan vara inskickade eller omgången avslutad" in r.text
