"""Tests written against mutants of briefgen.serve that the behavioural tests let live
(bench/mutation.py, docs/mutation.md): each pins a detail a change would get wrong.

Functions under test are called in the test or in function-scoped fixtures (mutmut maps a
mutant to the tests that reach it).
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from starlette.testclient import TestClient

from briefgen.errors import InputError
from briefgen.load import load_data
from briefgen.serve import settings
from briefgen.serve.app import Config, create_app
from briefgen.serve.questions import all_keys
from briefgen.serve.store import open_store

from .loopback import free_port

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
            "”Bad Org” är inget id: använd små bokstäver, siffror och bindestreck, t.ex. "
            "region-x.</p>") in r.text
    assert ('<p class="error" id="count-error"><span class="visually-hidden">Fel: </span>'
            "Ange ett antal från 1 till 500.</p>") in r.text
    assert "Välj svenska eller engelska." in r.text
    assert 'value="Bad Org"' in r.text and 'value="0"' in r.text
    assert '<option value="en">engelska</option>' in r.text         # 'de' is not kept
    r = c.post("/admin/invite", data={"csrf": token, "org": "X" * 60, "count": "x"})
    assert f"”{'X' * 40}” är inget id" in r.text and "från 1 till 500.</p>" in r.text
    r = c.post("/admin/invite", data={"csrf": token, "count": "2"})     # no org at all
    assert "”” är inget id" in r.text
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
    assert r.status_code == 400 and "<dd>501</dd>" in r.text and "Region X" in r.text


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


# --------------------------------------------------------------------------- respondent pages


def test_the_overview_and_the_parts_say_where_the_respondent_is(app, store):
    from briefgen.serve.app import loaded_values

    link = store.invite("region-x", "Region X", "regional", 1, "en")[0]
    store.save("region-x", link.token, {"partnerships": 3.0, "effects.citizen_centric": 2.5})
    c = client(app)
    page = c.get(link.path()).text
    assert "<h1>Self-assessment for Region X</h1>" in page
    assert (f'<li><a href="{link.path()}/capabilities">Capabilities</a> '
            '<span class="progress">(1 of 11 answered)</span></li>') in page
    assert (f'<li><a href="{link.path()}/importance">The weight of digitalisation</a> '
            '<span class="progress">(0 of 1 answered)</span></li>') in page
    assert f'<li><a href="{link.path()}/submit">Submit</a></li>' in page
    part = c.get(link.path() + "/effects").text
    assert '<span class="count">Part 3 of 4:</span> Effect areas' in part
    assert f'<p class="crumbs"><a href="{link.path()}">Back to the overview</a></p>' in part
    assert f'action="{link.path()}/effects"' in part
    assert 'name="loaded" value="effects.relevant_services=;effects.citizen_centric=2.5;' in part
    assert "Your answers are saved." not in part
    assert "Your answers are saved." in c.get(link.path() + "/effects?saved=1").text
    assert "Part 1 of 4:" in c.get(link.path() + "/importance").text
    assert c.get(link.path() + "/nonsense").status_code == 404
    who = store.respondent("region-x", link.token)
    assert loaded_values(who, "importance", {}) == "importance="
    r = c.post(link.path() + "/impact", data={
        "csrf": token_on(c, link.path() + "/impact"), "action": "next"})
    assert r.status_code == 303 and r.headers["location"] == link.path() + "/submit"
    r = c.post(link.path() + "/importance", data={
        "csrf": token_on(c, link.path() + "/importance"), "importance": "top3"})
    assert r.headers["location"] == link.path() + "/importance?saved=1"
    r = c.post(link.path() + "/importance", data={
        "csrf": token_on(c, link.path() + "/importance"), "importance": "top3",
        "action": "next"})
    assert r.headers["location"] == link.path() + "/capabilities"


def test_submit_lists_what_is_missing_and_thanks_in_the_right_language(app, store):
    from briefgen.serve.questions import all_keys

    keys = all_keys(load_data().framework)
    link = store.invite("region-x", "Region X", "regional", 1, "en")[0]
    store.save("region-x", link.token, {k: 3.0 for k in keys[1:]})
    c = client(app)
    page = c.get(link.path() + "/submit").text
    assert "Before you can submit, please answer 2 more questions:" in page
    assert f'<li><a href="{link.path()}/importance">The weight of digitalisation</a></li>' \
        in page
    assert f'href="{link.path()}/capabilities#q-{keys[0].replace("_", "-")}"' in page
    assert 'class="notice"' in page and 'role="alert"' not in page
    token = token_on(c, link.path() + "/submit")
    r = c.post(link.path() + "/submit", data={"csrf": token})
    assert r.status_code == 400 and 'class="error-summary" role="alert"' in r.text
    assert f'<li><a href="{link.path()}/importance">The weight of digitalisation</a></li>' \
        in r.text
    assert '<p class="site-name">Self-assessment of digital transformation · <bdi>Region X' \
        in r.text
    store.save("region-x", link.token, {keys[0]: 4.0}, "important")
    page = c.get(link.path() + "/submit").text
    assert "Every question is answered." in page and "more question" not in page
    r = c.post(link.path() + "/submit", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/done?lang=en"
    done = c.get("/done?lang=en").text
    assert '<html lang="en">' in done and "<h1>Thank you for your answers</h1>" in done
    assert '<html lang="sv">' in c.get("/done?lang=xx").text
    assert '<html lang="sv">' in c.get("/done").text
    # The link is used up: a further post is the missing page, in the link's language.
    assert c.post(link.path() + "/submit", data={"csrf": token}).status_code == 404


def test_one_missing_answer_is_said_in_the_singular(app, store):
    from briefgen.serve.questions import all_keys

    keys = all_keys(load_data().framework)
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    store.save("region-x", link.token, {k: 3.0 for k in keys}, None)
    page = client(app).get(link.path() + "/submit").text
    assert "Innan du kan skicka in behöver du besvara en fråga till:" in page


def test_a_conflict_on_the_importance_names_the_level_kept(app, store):
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    c = client(app)
    token = token_on(c, link.path() + "/importance")
    store.save("region-x", link.token, {}, "most_important")
    r = c.post(link.path() + "/importance", data={"csrf": token, "importance": "top3",
                                                  "loaded": "importance="})
    assert r.status_code == 409
    label = next(lv.label("sv") for lv in load_data().framework.importance_levels
                 if lv.key == "most_important")
    assert (f'<li><a href="#q-importance">Hur viktig är digital transformation på ledningens '
            f'strategiska agenda?: nu {label}</a></li>') in r.text
    assert 'value="most_important" aria-describedby' in r.text


def test_error_pages(app, store):
    c = client(app)
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0].path()
    token = token_on(c, link + "/capabilities")
    r = c.post(link + "/capabilities", content=b"x" * 70000,
               headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "<h1>Begäran kunde inte tas emot</h1>" in r.text
    r = c.post(link + "/capabilities", data={"csrf": token},
               headers={"x-briefgen-autosave": "1", "sec-fetch-site": "cross-site"})
    assert r.status_code == 403 and r.json() == {"ok": False, "error": "csrf"}
    r = c.request("DELETE", link)
    assert r.status_code == 404 and "<h1>Sidan finns inte</h1>" in r.text


# --------------------------------------------------------------------------- admin downloads


def test_exports_and_briefings_name_their_files_and_types(app, store):
    from briefgen.serve.app import export_rows
    from briefgen.serve.questions import all_keys

    keys = all_keys(load_data().framework)
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    store.save("region-x", link.token, dict.fromkeys(keys, 3.0), "top3")
    store.submit("region-x", link.token, keys)
    c, _ = signed_in(app)
    r = c.get("/admin/orgs/region-x/export.xlsx")
    assert r.status_code == 200 and r.content.startswith(b"PK")
    assert r.headers["content-type"] == ("application/vnd.openxmlformats-officedocument."
                                         "spreadsheetml.sheet")
    assert r.headers["content-disposition"] == 'attachment; filename="region-x-svar.xlsx"'
    r = c.get("/admin/orgs/region-x/export.csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert c.get("/admin/orgs/region-x/export.pdf").status_code == 404
    assert c.get("/admin/orgs/kommun-y/export.xlsx").status_code == 404
    assert c.get("/admin/orgs/region-x/briefing-de.pdf").status_code == 404
    assert c.get("/admin/orgs/kommun-y/briefing-sv.pdf").status_code == 404
    # The admin page offers them on the organisation's latest round only.
    store.close_round(store.rounds("region-x")[0].id)
    store.invite("region-x", "Region X", "regional", 1, "sv")
    rounds = store.rounds()
    assert [r.number for r in rounds] == [2, 1]
    assert export_rows(rounds) == {rounds[0].id}
    page = c.get("/admin").text
    assert page.count('href="/admin/orgs/region-x/export.xlsx"') == 1
    assert 'href="/admin/orgs/region-x/briefing-en.pdf?preview=1">Förhandsvisa</a>' in page
    store.invite("kommun-y", "Kommun Y", "municipal", 1, "sv")
    assert export_rows(store.rounds()) == {rounds[0].id}


# --------------------------------------------------------------------------- security details


def test_the_outermost_layer_answers_when_the_application_cannot(caplog):
    from briefgen.serve.security import Outermost

    async def fails_before_answering(scope, receive, send):
        raise RuntimeError("no answer at all")

    caplog.set_level(logging.INFO)
    r = TestClient(Outermost(fails_before_answering), raise_server_exceptions=False).get("/x")
    assert r.status_code == 500 and r.text == "Internal Server Error"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    [record] = [rec for rec in caplog.records if rec.levelno == logging.ERROR]
    assert record.getMessage() == "GET /x failed" and record.exc_info

    async def static(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"cache-control", b"max-age=60")]})
        await send({"type": "http.response.body", "body": b""})

    r = TestClient(Outermost(static)).get("/static/serve.css")
    assert r.headers["cache-control"] == "max-age=60"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["permissions-policy"] == "camera=(), microphone=(), geolocation=()"
    assert r.headers["cross-origin-opener-policy"] == "same-origin"
    r = TestClient(Outermost(static)).get("/page")
    assert r.headers["cache-control"] == "max-age=60"          # set by the app: kept


def test_pages_are_not_cached_but_assets_may_be(app):
    c = client(app)
    assert c.get("/done").headers["cache-control"] == "no-store"
    assert "cache-control" not in c.get("/static/serve.css").headers or \
        c.get("/static/serve.css").headers["cache-control"] != "no-store"


def test_cookies_are_secure_over_https_and_the_lock_out_says_how_long(app):
    c = TestClient(app, base_url="https://testserver", follow_redirects=False,
                   client=("127.0.0.5", 1))
    page = c.get("/admin/login")
    nonce = page.headers["set-cookie"]
    assert "Secure" in nonce and "HttpOnly" in nonce and "Path=/admin" in nonce
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    r = c.post("/admin/login", data={"csrf": token, "secret": SECRET})
    session = r.headers["set-cookie"]
    assert session.startswith("briefgen_admin=") and "Secure" in session
    assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/admin" in session
    assert "Max-Age" not in session                          # gone with the browser
    plain = client(app, "127.0.0.6")
    assert "Secure" not in plain.get("/admin/login").headers["set-cookie"]
    token = token_on(plain, "/admin/login")
    for _ in range(5):
        r = plain.post("/admin/login", data={"csrf": token, "secret": "wrong-" * 5})
    assert r.status_code == 429 and int(r.headers["retry-after"]) in (899, 900)
    assert "Försök igen om 15 minuter." in r.text
    assert 'aria-describedby="secret-error"' not in r.text


def test_a_wrong_secret_is_said_beside_the_field(app):
    c = client(app)
    r = c.post("/admin/login", data={"csrf": token_on(c, "/admin/login"),
                                     "secret": "wrong-" * 5})
    assert r.status_code == 401
    assert ('<p class="error" id="secret-error"><span class="visually-hidden">Fel: </span>'
            "Fel lösenord.</p>") in r.text
    closed = create_app(Config(store=app.state.store, bundle=load_data(), admin_secret=None))
    c = client(closed)
    page = c.get("/admin/login").text
    assert "Ingen administratörshemlighet är satt." in page
    r = c.post("/admin/login", data={"csrf": token_on(c, "/admin/login"), "secret": SECRET})
    assert r.status_code == 401 and "Ingen administratörshemlighet är satt." in r.text


# --------------------------------------------------------------------------- the store


def test_rounds_count_each_status_and_close_once(store):
    from briefgen.serve.questions import all_keys

    keys = all_keys(load_data().framework)
    made = store.invite("region-x", "Region X", "regional", 3, "sv")
    store.save("region-x", made[0].token, {keys[0]: 2.0})
    store.save("region-x", made[1].token, dict.fromkeys(keys, 2.0), "top3")
    store.submit("region-x", made[1].token, keys)
    store.invite("kommun-y", "Kommun Y", "municipal", 1, "en")
    found = {r.org_id: r for r in store.rounds()}
    assert found["region-x"].counts == {"invited": 1, "started": 1, "submitted": 1}
    assert found["kommun-y"].counts == {"invited": 1, "started": 0, "submitted": 0}
    assert found["region-x"].total == 3 and found["region-x"].is_open
    assert [r.org_id for r in store.rounds("kommun-y")] == ["kommun-y"]
    rid = found["region-x"].id
    assert store.close_round(rid) is True and store.close_round(rid) is False
    assert store.close_round(9999) is False
    # A new round after a closed one; its respondents are numbered from 1 again.
    again = store.invite("region-x", "Region X (ny)", "regional", 2, "en")
    assert [(m.round_number, m.number, m.lang) for m in again] == [(2, 1, "en"), (2, 2, "en")]
    assert store.rounds("region-x")[0].org_name == "Region X (ny)"
    more = store.invite("region-x", "Region X", "regional", 1, "sv")
    assert (more[0].round_number, more[0].number) == (2, 3)
    for count in (0, 501):
        with pytest.raises(InputError) as caught:
            store.invite("region-x", "Region X", "regional", count, "sv")
        assert str(caught.value) == (f"--respondents: {count} is not allowed (allowed: 1 to "
                                     "500)")


def test_submitted_answers_carry_their_round_and_its_last_date(store):
    import datetime as dt

    import sqlalchemy as sa

    from briefgen.serve.questions import all_keys
    from briefgen.serve.store import respondents

    keys = all_keys(load_data().framework)
    made = store.invite("region-x", "Region X", "regional", 3, "sv")
    for i, m in enumerate(made[:2]):
        store.save("region-x", m.token, dict.fromkeys(keys, 1.0 + i), "top3")
        store.submit("region-x", m.token, keys)
    with store.write() as conn:
        conn.execute(respondents.update().where(respondents.c.number == 1).values(
            submitted_at=dt.datetime(2026, 3, 1, 12)))
        conn.execute(respondents.update().where(respondents.c.number == 2).values(
            submitted_at=dt.datetime(2026, 3, 4, 9)))
    people = store.submitted()
    assert [p["respondent"] for p in people] == ["r1-1", "r1-2"]
    assert {p["date"] for p in people} == {dt.date(2026, 3, 4)}
    assert people[0]["answers"] == dict.fromkeys(keys, 1.0)
    assert people[1]["answers"] == dict.fromkeys(keys, 2.0)
    assert (people[0]["org_id"], people[0]["org_name"], people[0]["level"],
            people[0]["importance"], people[0]["round"]) == (
        "region-x", "Region X", "regional", "top3", 1)
    rid = store.rounds("region-x")[0].id
    assert len(store.submitted("region-x", rid)) == 2
    assert store.submitted("region-x", rid + 1) == []
    assert store.submitted("kommun-y") == []
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(respondents).where(
            respondents.c.status == "submitted")).scalar() == 2


def test_the_csrf_key_is_made_once_and_kept(store, tmp_path):
    key = store.server_key()
    assert len(key) == 32 and store.server_key() == key
    assert open_store(str(store.engine.url)).server_key() == key
    assert open_store(f"sqlite:///{tmp_path / 'other.db'}").server_key() != key


def test_a_respondent_lookup_refuses_what_is_not_a_live_link(store):
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    assert store.respondent("region-x", link.token).number == 1
    assert store.respondent("kommun-y", link.token) is None
    assert store.respondent("region-x", "") is None
    assert store.respondent("region-x", link.token + "x" * 60) is None       # > 100
    assert store.respondent("region-x", "x" * 100) is None


# --------------------------------------------------------------------------- the server


def test_uvicorn_is_configured_with_the_limits_and_only_the_proxies_named():
    import resource

    from briefgen.serve.server import (
        GuardedH11Protocol,
        Limits,
        ServeSettings,
        raise_file_limit,
        uvicorn_config,
    )

    config = uvicorn_config(ServeSettings("sqlite:///x.db", limits=Limits(3, 4, 5)),
                            "127.0.0.5", 8123, 2, log_config=None)
    assert (config.host, config.port, config.workers) == ("127.0.0.5", 8123, 2)
    assert config.log_config is None
    assert config.http is GuardedH11Protocol and config.factory
    assert config.proxy_headers is False and config.server_header is False
    assert config.timeout_keep_alive == 5 and config.timeout_graceful_shutdown == 10
    assert config.log_level == 30 or config.log_level == "warning"
    assert config.briefgen_limits == Limits(3, 4, 5, frozenset())
    config = uvicorn_config(ServeSettings("sqlite:///x.db", trusted_proxies=("10.0.0.9",)),
                            "127.0.0.1", 8123, log_config=None)
    assert config.proxy_headers is True and config.forwarded_allow_ips == ["10.0.0.9"]
    assert config.briefgen_limits.exempt == frozenset({"10.0.0.9"})
    assert config.briefgen_limits.header_seconds == settings.HEADER_SECONDS
    assert config.briefgen_limits.per_client == settings.CONNECTIONS_PER_CLIENT
    assert raise_file_limit() == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft == hard or hard == resource.RLIM_INFINITY


def test_run_serves_the_app_given_in_one_process_and_supervises_several(app):
    """What `briefgen serve` runs (server.run is `server_for(...).run()`): one real uvicorn
    server in a thread here, answering with the app given; for two workers uvicorn's
    supervisor on a socket bound to the address, the file limit raised first."""
    import resource
    import signal
    import threading
    import time

    import httpx
    import uvicorn
    from uvicorn.supervisors import Multiprocess
    from uvicorn.supervisors.multiprocess import SIGNALS

    from briefgen.serve.server import (
        GuardedH11Protocol,
        Limits,
        ServeSettings,
        build_app,
        server_for,
    )

    limits = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft, hard = limits
    lowered = hard != resource.RLIM_INFINITY and hard > 1
    if lowered:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard - 1, hard))
    settings_ = ServeSettings("sqlite:///unused.db", limits=Limits(2, 3, 4))
    port = free_port()
    try:
        server = server_for(settings_, "127.0.0.1", port, 1, app, log_config=None)
        if lowered:
            assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
    assert type(server) is uvicorn.Server
    assert server.config.app is app and server.config.factory is False
    assert server.config.http is GuardedH11Protocol
    assert server.config.briefgen_limits == Limits(2, 3, 4, frozenset())
    assert server.config.log_config is None                  # the options are passed on
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            time.sleep(0.01)
        r = httpx.get(f"http://127.0.0.1:{port}/admin/login")
        assert r.status_code == 200 and "server" not in r.headers
        assert '<html lang="sv">' in r.text
    finally:
        server.should_exit = True
        thread.join(15)
    assert not thread.is_alive()

    factory = server_for(settings_, "127.0.0.1", free_port(), 1, log_config=None)
    assert factory.config.factory is True and factory.config.app.func is build_app
    assert factory.config.app.args == (settings_,)

    handlers = {sig: signal.getsignal(sig) for sig in SIGNALS}
    port = free_port()
    try:
        supervisor = server_for(settings_, "127.0.0.1", port, 2, log_config=None)
    finally:                        # uvicorn's supervisor takes the signals when made
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    try:
        assert type(supervisor) is Multiprocess
        assert supervisor.processes_num == 2 and supervisor.config.workers == 2
        [sock] = supervisor.sockets
        assert sock.getsockname() == ("127.0.0.1", port)
        assert supervisor.config.factory is True
    finally:
        for sock in supervisor.sockets:
            sock.close()


def test_the_briefing_download_and_preview(app, store):
    from briefgen.serve.questions import all_keys
    from tests.conftest import pdf_text

    keys = all_keys(load_data().framework)
    for m in store.invite("region-x", "Region X", "regional", 2, "sv"):
        store.save("region-x", m.token, dict.fromkeys(keys, 2.0), "top3")
        store.submit("region-x", m.token, keys)
    c, _ = signed_in(app)
    r = c.get("/admin/orgs/region-x/briefing-en.pdf?preview=1")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'inline; filename="region-x-en.pdf"'
    text = pdf_text(r.content)
    assert "Region X" in text and "2 respondents" in text


def test_a_briefing_that_cannot_be_made_says_why(store, tmp_path):
    from briefgen.serve.questions import all_keys

    keys = all_keys(load_data().framework)
    # The organisation answered, but the data folder the server was given has no profile of
    # it and no framework: the pipeline refuses, and the page says what it said.
    m = store.invite("nowhere", "Nowhere", "regional", 1, "sv")[0]
    store.save("nowhere", m.token, dict.fromkeys(keys, 2.0), "top3")
    store.submit("nowhere", m.token, keys)
    empty = tmp_path / "data"
    empty.mkdir()
    app = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET,
                            admin_lang="en", data=empty))
    c, _ = signed_in(app)
    r = c.get("/admin/orgs/nowhere/briefing-sv.pdf")
    assert r.status_code == 422
    assert "<h1>The request could not be accepted</h1>" in r.text
    assert "<p>What briefgen says about it:</p>" in r.text
    assert re.search(r'<pre class="detail" lang="en">[^<]*framework\.yaml', r.text)
    r = c.get("/admin/orgs/elsewhere/export.csv")
    assert r.status_code == 404 and "<h1>Page not found</h1>" in r.text
    assert "<h1>Page not found</h1>" in c.get("/admin/orgs/nowhere/export.pdf").text
    assert "<h1>Page not found</h1>" in c.get("/admin/orgs/nowhere/briefing-de.pdf").text
    assert "<h1>Page not found</h1>" in c.get("/admin/orgs/elsewhere/briefing-sv.pdf").text
    app.state.config.admin_lang = "sv"      # the tool's message stays English, marked as such
    r = c.get("/admin/orgs/nowhere/briefing-sv.pdf")
    assert "<p>Så här beskriver briefgen felet (på engelska):</p>" in r.text
    assert re.search(r'<pre class="detail" lang="en">[^<]*framework\.yaml', r.text)


def test_the_file_limit_is_raised_to_what_the_system_allows():
    import resource

    from briefgen.serve.server import raise_file_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard < 2:
        pytest.skip("no finite hard limit to raise to")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard - 1, hard))
    try:
        assert raise_file_limit() == hard
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
        assert raise_file_limit() == hard                   # already there: left as it is
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_odd_urls_in_messages():
    from briefgen.serve.store import _shown

    assert _shown("postgresql://u:p@ss@h:x/db") == "h:x/db"
    assert settings.public_url("::", 1, "https://enkat.se/X/") == "https://enkat.se/X"


# --------------------------------------------------------------------------- more details


def test_a_series_started_again_counts_on_to_a_lock_out(store):
    import datetime as dt

    from briefgen.serve import security
    from briefgen.serve.store import login_failures

    args = (security.FAILURE_WINDOW, security.MAX_FAILURES, security.LOCKOUT)
    store.record_failure("c", *args)
    with store.write() as conn:                      # that failure was long ago
        conn.execute(login_failures.update().values(first_at=dt.datetime(2000, 1, 1)))
    results = [store.record_failure("c", *args) for _ in range(security.MAX_FAILURES)]
    assert results[:-1] == [None] * (security.MAX_FAILURES - 1) and results[-1] is not None
    assert store.locked_until("c") == results[-1]
    assert store.record_failure("other", security.FAILURE_WINDOW, 1, security.LOCKOUT)


def test_error_pages_say_their_language(app, store):
    c = client(app)
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0].path()
    r = c.post(link + "/capabilities", content=b"x" * 70000,
               headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and '<html lang="sv">' in r.text
    r = c.get("/nowhere")
    assert '<html lang="sv">' in r.text
    r = c.post("/admin/invite", data={"csrf": "x"})               # no session
    assert r.status_code == 403 and '<html lang="sv">' in r.text
    assert "Av säkerhetsskäl kunde formuläret inte tas emot." in r.text
    assert c.head("/admin").status_code == 303
    en = store.invite("region-x", "Region X", "regional", 1, "en")[0].path()
    r = c.post(en + "/capabilities", data={"csrf": "x"})
    assert "For security reasons the form could not be accepted." in r.text
    english = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET,
                                admin_lang="en"))
    e = client(english)
    r = e.get("/admin/orgs/x/export.csv")
    assert r.status_code == 303
    r = e.post("/admin/invite", data={"csrf": "x"})
    assert '<html lang="en">' in r.text and "For security reasons" in r.text
    # Without a base URL, the admin page says so in its own language.
    c2 = client(english)
    r = c2.post("/admin/login", data={"csrf": token_on(c2, "/admin/login"), "secret": SECRET})
    token = token_on(c2, "/admin")
    r = c2.post("/admin/invite", data={"csrf": token, "org": "region-x", "count": "1"})
    assert "Links cannot be made because the server does not know its public address." in r.text
    assert '<html lang="en">' in r.text


def test_invite_without_a_count_or_with_a_foreign_language(app, store):
    from briefgen.serve.questions import all_keys

    keys = all_keys(load_data().framework)
    m = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    store.save("region-x", m.token, dict.fromkeys(keys, 3.0), "top3")
    store.submit("region-x", m.token, keys)
    c, token = signed_in(app)
    r = c.post("/admin/invite", data={"csrf": token, "org": "region-x", "lang": "de"})
    assert r.status_code == 400
    assert ('<p class="error" id="count-error"><span class="visually-hidden">Fel: </span>'
            "Ange ett antal från 1 till 500.</p>") in r.text
    assert ('<p class="error" id="lang-error"><span class="visually-hidden">Fel: </span>'
            "Välj svenska eller engelska.</p>") in r.text
    assert 'href="/admin/orgs/region-x/export.xlsx"' in r.text     # the rounds as before


def test_exported_numbers_keep_their_decimals_only_when_they_have_some(store, tmp_path):
    import openpyxl

    from briefgen.serve.questions import all_keys, survey_bytes

    fw = load_data().framework
    keys = all_keys(fw)
    m = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    store.save("region-x", m.token, {**dict.fromkeys(keys, 3.0), keys[0]: 2.5}, "top3")
    store.submit("region-x", m.token, keys)
    people = store.submitted()
    raw = survey_bytes(people, fw, ".csv")
    assert raw.startswith(b"\xef\xbb\xbf")          # a BOM: Excel then reads it as UTF-8
    text = raw.decode("utf-8-sig")
    assert text.endswith("\r\n")
    header, row = text.splitlines()[:2]
    cells = row.split(",")
    assert cells[7] == "2.5" and cells[8] == "3" and cells[5] == "top3" and cells[6] == ""
    path = tmp_path / "svar.xlsx"
    path.write_bytes(survey_bytes(people, fw, ".xlsx"))
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "Svar" and sheet.freeze_panes == "A2"
    assert sheet.cell(row=2, column=8).value == 2.5 and sheet.cell(row=2, column=9).value == 3
    for suffix in (".pdf", ""):
        with pytest.raises(InputError) as caught:
            survey_bytes(people, fw, suffix)
        shown = suffix or "no suffix"
        assert str(caught.value) == (f"--out: '{shown}' is not allowed (allowed: .xlsx or "
                                     ".csv)")


def test_posted_fields_that_belong_to_another_part_are_unknown():
    from briefgen.serve.questions import check_posted

    posted = check_posted({"importance": "top3", "partnerships": "3"}, ["partnerships"],
                          ["top3"], False)
    assert posted.values == {"partnerships": 3.0} and posted.importance is None
    assert posted.unknown == ["importance"]
    posted = check_posted({"importance": "", "partnerships": "3"}, [], ["top3"], True)
    assert posted.importance is None and posted.unknown == ["partnerships"]
    assert posted.errors == {} and posted.values == {}


def test_every_posted_field_is_looked_at_whatever_comes_before_it():
    from briefgen.serve.questions import check_posted

    keys = ["a", "b", "c", "d", "e", "f", "g"]
    posted = check_posted({"csrf": "x", "a": "", "action": "next", "b": "3,5", "loaded": "",
                           "c": "inf", "d": "nan", "e": "abc", "f": " 2 ", "g": "9"},
                          keys, ["top3"], False)
    assert posted.values == {"b": 3.5, "f": 2.0}
    assert posted.errors == {"c": "not_number", "d": "not_number", "e": "not_number",
                             "g": "outside"}
    assert posted.echo == {"c": "inf", "d": "nan", "e": "abc", "g": "9"}
    assert posted.unknown == []
    posted = check_posted({"importance": "", "partnerships": "2"}, ["partnerships"],
                          ["top3"], True)
    assert posted.values == {"partnerships": 2.0} and posted.errors == {}
    posted = check_posted({"importance": "urgent", "importance2": "x"}, [], ["top3"], True)
    assert posted.errors == {"importance": "choice"} and posted.echo == {"importance": "urgent"}
    assert posted.unknown == ["importance2"]
    posted = check_posted({"a": "x" * 100}, ["a"], [], False)
    assert posted.echo == {"a": "x" * 40}


def test_the_loaded_field_takes_what_follows_the_first_equals_sign():
    from briefgen.serve.app import parse_loaded

    allowed = ["a", "b", "importance"]
    assert parse_loaded("importance=a=b;b=2", allowed) == {"importance": "a=b", "b": 2.0}
    assert parse_loaded("a=x;b=2", allowed) == {"b": 2.0}


def test_a_post_to_a_part_that_does_not_exist_is_the_missing_page(app, store):
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0].path()
    c = client(app)
    token = token_on(c, link + "/capabilities")
    r = c.post(link + "/nonsense", data={"csrf": token, "partnerships": "3"})
    assert r.status_code == 404 and "<h1>Sidan finns inte</h1>" in r.text


def test_the_data_folder_and_host_from_the_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv(settings.ADMIN_SECRET_ENV, raising=False)
    given = tmp_path / "given"
    assert settings.data_folder(given, tmp_path) == given
    assert settings.data_folder(None, tmp_path) is None
    (tmp_path / "briefgen.toml").write_text('[serve]\nhost = "10.0.0.5"\n')
    assert settings.data_folder(None, tmp_path) is None          # no orgs/ here
    (tmp_path / "orgs").mkdir()
    assert settings.data_folder(None, tmp_path) == tmp_path
    assert settings.server_settings(None, None, "sqlite:///x.db", tmp_path)[0] == "10.0.0.5"


def test_the_server_uses_the_data_folder_it_is_given(tmp_path, monkeypatch):
    import shutil

    from briefgen import resources
    from briefgen.serve.app import app_from_settings

    data = tmp_path / "data"
    shutil.copytree(resources.data_dir(), data)
    profile = (data / "orgs" / "region-x.yaml").read_text(encoding="utf-8")
    (data / "orgs" / "ny-region.yaml").write_text(
        profile.replace("id: region-x", "id: ny-region"), encoding="utf-8")
    monkeypatch.setenv(settings.ADMIN_SECRET_ENV, SECRET)
    app = app_from_settings(f"sqlite:///{tmp_path / 'b.db'}", data, "en", BASE)
    assert app.state.config.data == data
    c, token = signed_in(app)
    r = c.post("/admin/invite", data={"csrf": token, "org": "ny-region", "count": "1"})
    assert r.status_code == 200 and "/a/ny-region/" in r.text


def test_the_application_from_a_database_url_alone(tmp_path, monkeypatch):
    from briefgen.serve.app import app_from_settings

    monkeypatch.delenv(settings.ADMIN_SECRET_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    app = app_from_settings(f"sqlite:///{tmp_path / 'b.db'}")
    config = app.state.config
    assert (config.admin_lang, config.base_url, config.data, config.admin_secret) == (
        "sv", None, None, None)
    assert '<html lang="sv">' in TestClient(app).get("/admin/login").text


# --------------------------------------------------------------------------- e-mail lists


def people_file(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def refused(call, *args) -> list[str] | str:
    with pytest.raises(InputError) as caught:
        call(*args)
    return caught.value.args[0]


def test_an_email_list_is_read_with_its_own_delimiter_and_every_problem_named(tmp_path):
    from briefgen.serve.mail import Person, read_people

    # The delimiter is the first line's: the names' commas below do not change it.
    text = ("\ufeffemail ; name ; role\n" + "".join(
        f'p{i}@x.se;"Berg, Anna, Jr, {i}";IT\n' for i in range(3)) + "q@x.se\n")
    people = read_people(people_file(tmp_path / "p.csv", text), "en", "Ledningen")
    assert people == [Person(f"p{i}@x.se", f"Berg, Anna, Jr, {i}", "IT", "en")
                      for i in range(3)] + [Person("q@x.se", None, "Ledningen", "en")]
    assert read_people(people_file(tmp_path / "p.csv", "email\nq@x.se\n"), "sv") == [
        Person("q@x.se", None, None, "sv")]
    name = str(tmp_path / "p.txt")
    assert refused(read_people, people_file(tmp_path / "p.txt", "email\n"), "sv") == (
        f"--emails: '{name}' must be a .csv file (columns email, name, and optionally role "
        "and lang)")
    assert refused(read_people, tmp_path / "gone.csv", "sv") == (
        f"{tmp_path / 'gone.csv'}: cannot read the file (No such file or directory)")
    bad = people_file(tmp_path / "bad.csv", "email,name\nå@x.se,Åsa\n", "latin-1")
    assert refused(read_people, bad, "sv") == (
        f"{tmp_path / 'bad.csv'}: not UTF-8 text (byte 11); save it as CSV UTF-8")


def test_each_problem_of_a_lists_header_and_size_is_said(tmp_path):
    from briefgen.serve.mail import MAX_PEOPLE, Person, parse_people

    for rows in ([], [[" ", ""]]):
        assert refused(parse_people, rows, "p.csv", "sv") == (
            "p.csv: no header row (allowed columns: email, name, role, lang)")
    assert refused(parse_people, [["e-mail", "Namn", "x"]], "p.csv", "sv") == "\n  ".join([
        "4 problems:",
        "p.csv: row 1: unknown column 'e-mail'; did you mean 'email'? (allowed: email, name, "
        "role, lang)",
        "p.csv: row 1: unknown column 'namn'; did you mean 'name'? (allowed: email, name, "
        "role, lang)",
        "p.csv: row 1: unknown column 'x' (allowed: email, name, role, lang)",
        "p.csv: row 1: no column 'email' (the columns: email, name, optionally role and lang)"])
    assert refused(parse_people, [["email"], [" "], []], "p.csv", "sv") == (
        "p.csv: no one to invite: one row per person below the header")
    many = [["email", "name", "role"]] + [[f"p{i}@x.se"] for i in range(MAX_PEOPLE)]
    people = parse_people(many, "p.csv", "sv", "IT")       # short rows: the rest is blank
    assert len(people) == MAX_PEOPLE and people[-1] == Person("p1999@x.se", None, "IT", "sv")
    assert refused(parse_people, many + [["one@more.se"]], "p.csv", "sv") == (
        "p.csv: 2001 people; at most 2000 in one list")
    # Longer rows than the header: the extra cells are not read.
    assert parse_people([["email"], ["a@x.se", "x", "y"]], "p.csv", "sv") == [
        Person("a@x.se", None, None, "sv")]


def test_a_problem_of_a_list_in_the_clis_words():
    from briefgen.serve.mail import Problem

    assert Problem(4, "name", "name", "N" * 201).english("p.csv") == (
        "p.csv: row 4: name: at most 200 printable characters")
    assert Problem(5, "lang", "lang", "de").english("p.csv") == (
        "p.csv: row 5: lang: 'de' is not allowed (allowed: sv, en)")
    assert Problem(6, "email", "address", "").english("p.csv") == (
        "p.csv: row 6: email: missing")


def test_what_a_mail_server_said_is_one_line_of_text():
    import smtplib

    from briefgen.serve.mail import _said

    assert _said(smtplib.SMTPResponseException(550, b"No \xff such\r\n  user")) == (
        "550 No \ufffd such user")
    assert _said(smtplib.SMTPResponseException(451, "Try\n later")) == "451 Try later"
    assert _said(smtplib.SMTPRecipientsRefused({
        "a@x.se": (550, b"No such user"), "b@x.se": (552, "Mailbox\n full")})) == (
        "550 No such user; 552 Mailbox full")
    assert _said(OSError()) == "OSError"
    assert _said(OSError(111, "Connection  refused")) == "[Errno 111] Connection refused"


def test_the_message_log_and_whom_to_remind(store):
    from briefgen.serve.store import Person, Skipped

    todo, _ = store.invite_people("region-x", "Region X", "regional", [
        Person("a@x.se", "A"), Person("b@x.se", "B"), Person("c@x.se", "C")])
    plain = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    other, _ = store.invite_people("kommun-y", "Kommun Y", "municipal", [Person("k@y.se")])
    first = store.claim(todo[1].respondent_id, "invitation")
    store.finish(first.message_id, "550 no such user " + "x" * 400)
    second = store.claim(todo[0].respondent_id, "invitation")
    store.finish(second.message_id)
    third = store.claim(other[0].respondent_id, "reminder")
    log = store.message_log()
    assert [(m.kind, m.recipient, m.status, m.org_id, m.round_number) for m in log] == [
        ("invitation", "b@x.se", "failed", "region-x", 1),
        ("invitation", "a@x.se", "sent", "region-x", 1),
        ("reminder", "k@y.se", "sending", "kommun-y", 1)]
    assert log[0].error == ("550 no such user " + "x" * 400)[:300] and log[1].error is None
    assert all(m.sent_at.date() == dt.date.today() for m in log)
    assert [m.recipient for m in store.message_log("kommun-y")] == ["k@y.se"]
    assert third.email == "k@y.se"
    # Whom to remind: the open round's people with an address who have not submitted.
    keys = all_keys(load_data().framework)
    store.save("region-x", todo[2].token, dict.fromkeys(keys, 3.0), "top3")
    store.submit("region-x", todo[2].token, keys)
    ids, skipped = store.to_remind("region-x")
    assert ids == [todo[0].respondent_id, todo[1].respondent_id]
    assert skipped == [Skipped(todo[2].respondent_id, 3, "c@x.se", "submitted"),
                       Skipped(plain.respondent_id, 4, None, "no_address")]
    store.close_round(store.rounds("region-x")[0].id)
    assert store.to_remind("region-x") == ([], [])
    assert store.to_remind("kommun-y") == ([other[0].respondent_id], [])


# --------------------------------------------------------------------------- sessions, pages


def test_a_session_cookie_of_40_to_64_characters_is_looked_up_and_no_other(app, store):
    """A session id is 43 characters; the bounds only keep absurd cookies from the database."""
    import datetime as dt

    from briefgen.serve.store import token_hash

    tag = app.state.auth.tag
    for length, works in ((39, False), (40, True), (64, True), (65, False)):
        cookie = "s" * length
        store.open_session(token_hash(cookie), tag, dt.timedelta(hours=1))
        c = TestClient(app, follow_redirects=False, cookies={"briefgen_admin": cookie})
        assert (c.get("/admin").status_code == 200) is works, length
    # The sign-in form's nonce: 20 to 64 characters are taken as they are.
    for nonce, kept in (("n" * 19, False), ("n" * 20, True), ("n" * 64, True),
                        ("n" * 65, False)):
        c = TestClient(app, follow_redirects=False, cookies={"briefgen_csrf": nonce})
        r = c.get("/admin/login")
        assert ("set-cookie" not in r.headers) is kept, nonce
        assert (app.state.csrf.login_token(nonce) in r.text) is kept, nonce


def test_the_thanks_page_speaks_the_language_asked_for_and_the_500_page_swedish(store):
    from briefgen.serve.app import ROUTES
    from briefgen.serve.security import PUBLIC

    async def broken(request):
        raise RuntimeError("a bug")

    app = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET),
                     table=ROUTES + [("/broken", broken, ["GET"], PUBLIC)])
    c = TestClient(app, raise_server_exceptions=False)
    for query, lang, title in (("?lang=en", "en", "Thank you for your answers"),
                               ("?lang=sv", "sv", "Tack för dina svar"),
                               ("?lang=de", "sv", "Tack för dina svar"),
                               ("", "sv", "Tack för dina svar")):
        r = c.get("/done" + query)
        assert r.status_code == 200 and f'<html lang="{lang}">' in r.text, query
        assert f"<h1>{title}</h1>" in r.text, query
    r = c.get("/broken")
    assert r.status_code == 500 and '<html lang="sv">' in r.text
    assert "<h1>Något gick fel hos oss</h1>" in r.text
    assert "Det du har sparat tidigare finns kvar." in r.text


def test_more_than_1000_submitted_respondents_are_exported_with_every_answer(store):
    """The answers are read 500 respondents at a time (SQLite limits a statement's values)."""
    import sqlalchemy as sa

    from briefgen.serve.store import answers, respondents

    made = [m for n in (500, 500, 2) for m in store.invite("region-x", "Region X", "regional",
                                                             n, "sv")]
    ids = [m.respondent_id for m in made]
    stamp = dt.datetime(2026, 11, 2, 10, 0)
    with store.write() as conn:
        conn.execute(respondents.update().where(respondents.c.id.in_(ids)).values(
            status="submitted", submitted_at=stamp, importance="top3"))
        conn.execute(answers.insert(), [{"respondent_id": rid, "key": k, "value": v}
                                        for i, rid in enumerate(ids)
                                        for k, v in (("a", i % 5 + 1.0), ("b", i))])
    got = store.submitted("region-x")
    assert len(got) == 1002
    assert [p["answers"] for p in got] == [{"a": i % 5 + 1.0, "b": float(i)}
                                           for i in range(1002)]
    assert [p["respondent"] for p in got][-2:] == ["r1-1001", "r1-1002"]
    assert store.submitted("region-x", round_id=made[0].round_number + 999) == []
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(answers)).scalar() == 2004


# --------------------------------------------------------------------------- database URLs


def test_database_urls_word_for_word(tmp_path, monkeypatch):
    import sys

    from briefgen.serve.store import make_engine

    norm = settings.normalise_database_url
    assert norm("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert norm("postgres://u@h/db?x=a://b") == "postgresql+psycopg://u@h/db?x=a://b"
    assert norm("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert norm("sqlite:///x.db") == "sqlite:///x.db"
    allowed = "(allowed: sqlite:///FILE or postgresql://USER@HOST/NAME)"
    for url, scheme in (("mysql://x@y/z", "mysql"), ("my sql:a:b", "my sql"),
                        ("Postgresql://x", "Postgresql")):
        assert refused(norm, url) == f"--database: '{scheme}' is not supported {allowed}"
    for url, shown in (("sqlite://", "sqlite://"), ("sqlite:///:memory:", "sqlite:///%3Amemory%3A"),
                       ("sqlite:///file:x.db?uri=true", "sqlite:///file%3Ax.db?uri=true")):
        assert refused(make_engine, url) == (
            f"--database: '{shown}' names no file; the answers must outlive the server "
            "(allowed: sqlite:///FILE)")
    assert refused(make_engine, "postgresql://u:secret@host:notaport/db") == (
        "--database: 'host:notaport/db' is not a database URL (invalid literal for int() with "
        "base 10: 'notaport'); allowed: sqlite:///FILE or postgresql://USER@HOST/NAME")
    # The pools: 20 connections and 40 more for SQLite (one writer, many readers), 20 and 20
    # recycled after half an hour for PostgreSQL (its connections are the server's processes).
    sqlite = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert (sqlite.pool.size(), sqlite.pool._max_overflow, sqlite.pool._timeout) == (20, 40, 60)
    pg = make_engine("postgresql://u:p@127.0.0.1:1/db")
    assert (pg.pool.size(), pg.pool._max_overflow, pg.pool._recycle) == (20, 20, 1800)
    assert pg.url.render_as_string(hide_password=False) == (
        "postgresql+psycopg://u:p@127.0.0.1:1/db")
    monkeypatch.setitem(sys.modules, "psycopg", None)          # as if it were not installed
    assert refused(make_engine, "postgresql://u@127.0.0.1:1/db") == (
        "--database: PostgreSQL needs psycopg: pip install 'briefgen[postgres]'")


def test_a_sqlite_store_serves_threads_and_says_which_round_it_opened(store, caplog):
    import threading

    caplog.set_level(logging.INFO, logger="briefgen.serve.store")
    made = store.invite("region-x", "Region X", "regional", 1, "sv")
    assert [r.getMessage() for r in caplog.records] == ["opened round 1 of region-x"]
    store.close_round(store.rounds("region-x")[0].id)
    store.invite("region-x", "Region X", "regional", 1, "sv")
    store.invite("region-x", "Region X AB", "municipal", 1, "sv")    # a corrected profile
    assert [r.getMessage() for r in caplog.records][-1] == "opened round 2 of region-x"
    assert [(r.number, r.org_name, r.level) for r in store.rounds("region-x")] == [
        (2, "Region X AB", "municipal"), (1, "Region X", "regional")]
    found: list = []
    thread = threading.Thread(target=lambda: found.append(store.respondent(
        "region-x", made[0].token)))
    thread.start()
    thread.join()
    assert found == [None]                                 # its round is closed


# --------------------------------------------------------------------------- the guard, saves


def test_the_guard_names_its_routes_and_refuses_a_post_to_a_public_page(store):
    import functools

    from briefgen.serve.app import ROUTES, done
    from briefgen.serve.security import PUBLIC, guard

    assert guard(done, PUBLIC).__name__ == "done"
    assert guard(functools.partial(done), PUBLIC).__name__ == "guarded"
    with pytest.raises(ValueError) as caught:
        guard(done, "nobody")
    assert str(caught.value) == ("access must be one of public, respondent, login, admin, "
                                 "not 'nobody'")

    async def open_page(request):
        raise AssertionError("a post to a public page must not reach it")

    app = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET),
                     table=ROUTES + [("/open", open_page, ["GET", "POST"], PUBLIC)])
    r = TestClient(app).post("/open", data={"x": "1"})
    assert r.status_code == 404 and "<h1>Sidan finns inte</h1>" in r.text


def test_a_save_returns_the_respondent_as_stored(store):
    from briefgen.serve.store import Respondent

    keys = all_keys(load_data().framework)
    made = store.invite("region-x", "Region X", "regional", 2, "en", role="IT")[1]
    first = store.save("region-x", made.token, {keys[0]: 4})
    assert first.conflicts == {}
    assert first.respondent == Respondent(
        made.respondent_id, first.respondent.round_id, 1, 2, "region-x", "Region X", "en",
        "started", None, {keys[0]: 4.0}, "IT", {})
    assert store.respondent("region-x", made.token) == first.respondent
    second = store.save("region-x", made.token, {keys[1]: 2}, "top3",
                        loaded={keys[0]: 3.0}, comments={"effects": "Bra"})
    assert second.respondent.importance == "top3" and second.respondent.status == "started"
    assert second.respondent.answers == {keys[0]: 4.0, keys[1]: 2.0}
    assert second.respondent.comments == {"effects": "Bra"}
    assert store.respondent("region-x", made.token) == second.respondent
    # The importance saved elsewhere since the page loaded is kept, and said.
    third = store.save("region-x", made.token, {}, "most_important", loaded={"importance": None})
    assert third.conflicts == {"importance": "top3"}
    assert third.respondent.importance == "top3"
    assert store.respondent("region-x", made.token).importance == "top3"
    # Only a comment: the respondent has started.
    other = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    said = store.save("region-x", other.token, {}, comments={"effects": "Hej"})
    assert said.respondent.status == "started"
    assert store.respondent("region-x", other.token).status == "started"
    blank = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    assert store.save("region-x", blank.token, {}).respondent.status == "invited"
    assert store.respondent("region-x", blank.token).status == "invited"


def test_a_failure_series_at_exactly_the_window_or_lock_out_end(store):
    """A failure exactly `window` after the first one still counts on; a lock-out ending this
    very second is over. (The database keeps whole seconds: a test tried again if the clock
    ticked in between.)"""
    import datetime as dt

    from briefgen.serve.store import login_failures, now

    window, lockout = dt.timedelta(minutes=15), dt.timedelta(minutes=15)

    def at(first_at, failures, locked_until=None):
        with store.write() as conn:
            conn.execute(login_failures.delete())
            conn.execute(login_failures.insert().values(
                client="c", failures=failures, first_at=first_at, locked_until=locked_until))

    for _ in range(5):
        stamp = now()
        at(stamp - window, 3)
        until = store.record_failure("c", window, 5, lockout)
        with store.read() as conn:
            row = conn.execute(sa_select(login_failures)).one()
        if now() == stamp:
            assert (row.failures, row.first_at) == (4, stamp - window) and until is None
            break
    else:
        pytest.skip("the clock ticked each time")
    for _ in range(5):
        stamp = now()
        at(stamp - dt.timedelta(minutes=1), 5, locked_until=stamp)
        until = store.record_failure("c", window, 5, lockout)
        with store.read() as conn:
            row = conn.execute(sa_select(login_failures)).one()
        if now() == stamp:
            assert (row.failures, row.first_at, until) == (1, stamp, None)
            break
    else:
        pytest.skip("the clock ticked each time")


def sa_select(table):
    import sqlalchemy as sa

    return sa.select(table)


# --------------------------------------------------------------------------- messages, comments


def test_an_invitation_and_a_reminder_word_for_word():
    import datetime as dt
    from email.utils import parsedate_to_datetime

    from markupsafe import Markup

    from briefgen.serve.mail import Context, compose
    from briefgen.serve.settings import Engagement

    full = Engagement(firm="Konsultfirman AB", contact="Anna Konsult, 08-123 45 67",
                      deadline=dt.date(2026, 12, 15), privacy={"sv": Markup("<p>x</p>")})
    m = compose("invitation", "bo@x.se", "Bo Ek", "en", "https://e.se/a/region-x/T",
                "Konsultfirman AB <enkat@konsultfirman.se>",
                Context("region-x", "Region X", "https://e.se", full))
    assert m["Subject"] == ("Self-assessment of digital transformation for Region X – please "
                            "answer by 15 December 2026")
    assert (m["From"], m["To"]) == ("Konsultfirman AB <enkat@konsultfirman.se>", "Bo Ek <bo@x.se>")
    assert m["Message-ID"].endswith("@konsultfirman.se>")
    sent = parsedate_to_datetime(m["Date"])                    # dated now, with its zone
    assert abs(sent - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)
    assert m.get_content() == (
        "Dear Bo Ek,\n\nYou are invited to rate how far Region X has come in its digital "
        "transformation. The questions follow the study Digital transformation – Public sector "
        "(2018) and take about 15 minutes to answer.\n\nYour personal link:\n"
        "https://e.se/a/region-x/T\n\nPlease answer by 15 December 2026.\nYou can save and "
        "carry on later through the same link. The link is personal, so please do not forward "
        "this message.\n\nHow your answers are handled: https://e.se/privacy/en\n\nKind "
        "regards\nKonsultfirman AB\nAnna Konsult, 08-123 45 67\n")
    m = compose("reminder", "bo@x.se", None, "sv", "https://e.se/a/region-x/T",
                "enkat@konsultfirman.se", Context("region-x", "Region X", "https://e.se",
                                                  Engagement()))
    assert (m["Subject"], m["To"]) == ("Påminnelse: självskattning för Region X", "bo@x.se")
    assert m.get_content() == (
        "Hej,\n\nVi har ännu inte fått dina svar på självskattningen för Region X. Dina svar "
        "behövs för att bilden av organisationen ska bli rättvisande.\n\nDin personliga länk:\n"
        "https://e.se/a/region-x/T\n\nDet du redan har sparat finns kvar, och länken i ett "
        "tidigare meddelande fungerar också. Länken är personlig, så vidarebefordra inte det "
        "här meddelandet.\n\nVänliga hälsningar\n")


def test_a_comment_keeps_its_line_breaks_and_up_to_its_length():
    from briefgen.serve.questions import MAX_COMMENT, check_posted, clean_comment

    assert clean_comment(" a\r\nb\rc\x00d\te\n ") == "a\nb\ncd\te"
    kept = check_posted({"comment": "x" * MAX_COMMENT}, [], [], False)
    assert (kept.comment, kept.errors) == ("x" * MAX_COMMENT, {})
    long = check_posted({"comment": "x" * (MAX_COMMENT + 1)}, [], [], False)
    assert (long.comment, long.errors, long.echo) == (
        None, {"comment": "comment_long"}, {"comment": str(MAX_COMMENT + 1)})


def test_saving_a_part_writes_only_what_changed_and_says_what_changed_elsewhere(app, store):
    from briefgen.serve.questions import sections
    from briefgen.serve.store import comment_tag

    part = sections(load_data().framework)[0]
    a, b = part.keys[:2]
    link = store.invite("region-x", "Region X", "regional", 1, "en")[0]
    c = client(app)
    token = token_on(c, link.path() + f"/{part.key}")
    url = f"{link.path()}/{part.key}"
    # A key the page did not show as loaded is written; one unchanged is not.
    r = c.post(url, data={"csrf": token, a: "2", b: "3", "loaded": f"{a}=2"})
    assert r.status_code == 303
    assert store.respondent("region-x", link.token).answers == {b: 3.0}
    # Another tab set the importance; this page posts the one it loaded: no conflict, kept.
    store.save("region-x", link.token, {}, "most_important")
    r = c.post(f"{link.path()}/importance", data={"csrf": token, "importance": "top3",
                                                  "loaded": "importance=top3"})
    assert r.status_code == 303
    assert store.respondent("region-x", link.token).importance == "most_important"
    # A form that does not say which comment it showed writes the one posted.
    r = c.post(url, data={"csrf": token, "comment": "Från ett äldre formulär"})
    assert r.status_code == 303
    assert store.respondent("region-x", link.token).comments == {
        part.key: "Från ett äldre formulär"}
    # Autosave: a number saved elsewhere comes back as the page shows it, and the comment's tag.
    store.save("region-x", link.token, {a: 4.0, b: 2.5})
    r = c.post(url, data={"csrf": token, a: "1", b: "1", "loaded": f"{a}=;{b}=3"},
               headers={"x-briefgen-autosave": "1"})
    assert r.status_code == 409
    assert r.json() == {"ok": False, "errors": [], "conflicts": {a: "4", b: "2.5"},
                        "comment_tag": comment_tag("Från ett äldre formulär")}
    # A comment removed in another tab comes back as an empty box.
    store.save("region-x", link.token, {}, comments={part.key: ""})
    r = c.post(url, data={"csrf": token, "comment": "Ny", "comment_loaded":
                          comment_tag("Från ett äldre formulär")},
               headers={"x-briefgen-autosave": "1"})
    assert r.status_code == 409
    assert r.json() == {"ok": False, "errors": [], "conflicts": {f"comment.{part.key}": ""},
                        "comment_tag": ""}


class ClosingStore:
    """The store, with the round closed by someone else just before a write (as when the
    consultant closes it while a respondent's page is open)."""

    def __init__(self, store, round_id: int):
        self.store, self.round_id = store, round_id

    def __getattr__(self, name):
        return getattr(self.store, name)

    def save(self, *args, **kwargs):
        self.store.close_round(self.round_id)
        return self.store.save(*args, **kwargs)

    def submit(self, *args, **kwargs):
        self.store.close_round(self.round_id)
        return self.store.submit(*args, **kwargs)


def test_a_round_closed_while_the_page_was_open_is_the_missing_page_in_its_language(store):
    from briefgen.serve.questions import sections

    part = sections(load_data().framework)[0]
    for step in (part.key, "submit"):
        link = store.invite("region-x", "Region X", "regional", 1, "en")[0]
        rid = store.rounds("region-x")[0].id
        app = create_app(Config(store=ClosingStore(store, rid), bundle=load_data(),
                                admin_secret=SECRET))
        c = client(app)
        token = token_on(c, f"{link.path()}/{part.key}")
        r = c.post(f"{link.path()}/{step}", data={"csrf": token, part.keys[0]: "3"})
        assert r.status_code == 404 and '<html lang="en">' in r.text, step
        assert "<h1>Page not found</h1>" in r.text
        assert store.respondent("region-x", link.token) is None


def test_an_organisation_that_cannot_be_invited_is_named_with_why(tmp_path, monkeypatch):
    import shutil

    from briefgen import resources
    from briefgen.serve.app import app_from_settings

    data = tmp_path / "data"
    shutil.copytree(resources.data_dir(), data)
    (data / "orgs" / "trasig.yaml").write_text("id: trasig\nname: [\n", encoding="utf-8")
    monkeypatch.setenv(settings.ADMIN_SECRET_ENV, SECRET)
    app = app_from_settings(f"sqlite:///{tmp_path / 'b.db'}", data, "en", BASE)
    c, token = signed_in(app)
    r = c.post("/admin/invite", data={"csrf": token, "org": "trasig", "count": "1",
                                      "role": "  Ledningen   IT "})
    assert r.status_code == 400
    said = re.search(r'id="org-error"><span class="visually-hidden">Error: </span>([^<]*)</p>',
                     r.text).group(1)
    assert said.startswith("The profile of “trasig” could not be read: ")
    assert "\n" not in said and str(data / "orgs" / "trasig.yaml") in said
    # On a Swedish admin page the tool's own (English) reason is marked as English.
    sv, sv_token = signed_in(app_from_settings(f"sqlite:///{tmp_path / 'sv.db'}", data, "sv",
                                               BASE))
    r = sv.post("/admin/invite", data={"csrf": sv_token, "org": "trasig", "count": "1"})
    assert f'Profilen för ”trasig” kunde inte läsas: <span lang="en">{data}' in r.text
    r = c.post("/admin/invite", data={"csrf": token, "org": "regon-x", "count": "1"})
    assert ('</span>There is no organisation “regon-x”. Did you mean “region-x”? Available: '
            "kommun-y, myndighet-z, region-x, trasig.</p>") in r.text
    r = c.post("/admin/invite", data={"csrf": token, "org": "zzz", "count": "1"})
    assert ("</span>There is no organisation “zzz”. Available: kommun-y, myndighet-z, "
            "region-x, trasig.</p>") in r.text
    # The role typed is trimmed and given to each new respondent.
    r = c.post("/admin/invite", data={"csrf": token, "org": "region-x", "count": "2",
                                      "role": "  Ledningen   IT "})
    assert r.status_code == 200
    store = app.state.store
    rid = store.rounds("region-x")[0].id
    assert [f.role for f in store.follow_up([rid])[rid]] == ["Ledningen IT"] * 2
    r = c.post("/admin/invite", data={"csrf": token, "org": "region-x", "count": "1",
                                      "role": "R" * 41})
    assert r.status_code == 400
    assert ('id="role-error"><span class="visually-hidden">Error: </span>The role may be at '
            "most 40 characters and hold only visible characters.</p>") in r.text



def test_a_typed_list_reads_quoted_names():
    from briefgen.serve.app import people_rows

    assert people_rows('a@x.se, "Berg, Anna", IT\n\n b@x.se;Bo\tEk') == [
        (1, {"email": "a@x.se", "name": "Berg, Anna", "role": "IT"}),
        (3, {"email": "b@x.se", "name": "Bo\tEk"})]


def test_the_admin_page_shows_comments_with_their_line_breaks_and_hidden_characters(app, store):
    keys = all_keys(load_data().framework)
    made = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    store.save("region-x", made.token, dict.fromkeys(keys, 3.0), "top3",
               comments={"effects": "Rad ett\nRad\ttvå \u202eslut"})
    store.submit("region-x", made.token, keys)
    c, _ = signed_in(app)
    assert ("<li><bdi>Rad ett\nRad\ttvå ⟨U+202E⟩slut</bdi></li>") in c.get("/admin").text


# --------------------------------------------------------------------------- store and security


def test_the_clock_is_utc_in_whole_seconds_whatever_the_machines_zone(monkeypatch):
    import datetime as dt
    import time

    from briefgen.serve import security
    from briefgen.serve import store as store_module

    monkeypatch.setenv("TZ", "America/Los_Angeles")     # far from UTC all year
    time.tzset()
    try:
        for clock in (store_module.now, security._now):
            stamp = clock()
            utc = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            assert stamp.tzinfo is None and stamp.microsecond == 0
            assert abs((utc - stamp).total_seconds()) < 5
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_links_and_secrets_with_a_lone_surrogate_are_hashed_not_refused(app, store):
    import hashlib

    from briefgen.serve.security import secret_matches
    from briefgen.serve.store import token_hash

    assert token_hash("a\ud800") == hashlib.sha256(b"a\xed\xa0\x80").hexdigest()
    assert secret_matches(SECRET, "a\ud800") is False
    assert store.respondent("region-x", "a\ud800") is None


def test_sessions_nonces_and_keys_have_their_full_length(app, store):
    import datetime as dt

    c = client(app)
    r = c.get("/admin/login")
    assert len(r.cookies["briefgen_csrf"]) == 32                   # 24 random bytes
    r = c.post("/admin/login", data={"csrf": token_on(c, "/admin/login"), "secret": SECRET})
    assert len(c.cookies["briefgen_admin"]) == 43                  # 32 random bytes
    assert len(store.server_key()) == 32
    # Expired sessions are cleared when a new one opens (a session ending this second too).
    from briefgen.serve.store import admin_sessions, now

    with store.write() as conn:
        conn.execute(admin_sessions.insert().values(
            id_hash="old", secret_tag="t", created_at=now() - dt.timedelta(hours=9),
            seen_at=now() - dt.timedelta(hours=9), expires_at=now() - dt.timedelta(hours=1)))
    store.open_session("new", "t", dt.timedelta(hours=8))
    assert store.session("old") is None and store.session("new").secret_tag == "t"


def test_a_form_of_exactly_the_limit_is_read_and_a_blank_field_clears_a_comment(app, store):
    from briefgen.serve.questions import sections
    from briefgen.serve.security import MAX_FORM_BYTES
    from briefgen.serve.store import comment_tag

    part = sections(load_data().framework)[0]
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    store.save("region-x", link.token, {}, comments={part.key: "Gammal"})
    c = client(app)
    url = f"{link.path()}/{part.key}"
    token = token_on(c, url)
    body = f"csrf={token}&comment=&comment_loaded={comment_tag('Gammal')}&pad="
    body += "x" * (MAX_FORM_BYTES - len(body))
    assert len(body) == MAX_FORM_BYTES
    r = c.post(url, content=body.encode(),
               headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400                        # 'pad' is no question of the part
    assert store.respondent("region-x", link.token).comments == {}
    r = c.post(url, content=(body + "x").encode(),
               headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_exported_rounds_in_order_each_dated_by_its_last_submission(store):
    import datetime as dt

    from briefgen.serve.store import respondents

    made = {}
    for org in ("region-x", "kommun-y"):
        made[org] = store.invite(org, org.title(), "regional", 2, "sv")
    store.close_round(store.rounds("kommun-y")[0].id)
    made["kommun-y 2"] = store.invite("kommun-y", "Kommun-Y", "regional", 1, "sv")
    days = iter(range(1, 10))
    with store.write() as conn:
        for group in made.values():
            for m in reversed(group):
                conn.execute(respondents.update().where(respondents.c.id == m.respondent_id)
                             .values(status="submitted", importance="top3",
                                     submitted_at=dt.datetime(2026, 11, next(days), 9)))
    got = [(p["org_id"], p["round"], p["respondent"], p["date"]) for p in store.submitted()]
    assert got == [("kommun-y", 1, "r1-1", dt.date(2026, 11, 4)),
                   ("kommun-y", 1, "r1-2", dt.date(2026, 11, 4)),
                   ("kommun-y", 2, "r2-1", dt.date(2026, 11, 5)),
                   ("region-x", 1, "r1-1", dt.date(2026, 11, 2)),
                   ("region-x", 1, "r1-2", dt.date(2026, 11, 2))]
    # A round opened by a list of nobody counts nobody; rounds come by organisation, newest
    # first.
    store.invite_people("myndighet-z", "Myndighet Z", "state", [])
    assert [(r.org_id, r.number, r.level, r.counts) for r in store.rounds()] == [
        ("kommun-y", 2, "regional", {"invited": 0, "started": 0, "submitted": 1}),
        ("kommun-y", 1, "regional", {"invited": 0, "started": 0, "submitted": 2}),
        ("myndighet-z", 1, "state", {"invited": 0, "started": 0, "submitted": 0}),
        ("region-x", 1, "regional", {"invited": 0, "started": 0, "submitted": 2})]


def test_the_pages_words_fall_back_to_swedish():
    from briefgen.serve.words import UiText

    assert UiText("de").lang == "sv" and UiText("de")("thanks_title") == "Tack för dina svar"
    assert UiText("en")("thanks_title") == "Thank you for your answers"
    assert (UiText("sv").number(2000), UiText("en").number(2000)) == ("2\u00a0000", "2,000")


# --------------------------------------------------------------------------- issue 23: survivors


def test_an_address_is_refused_by_each_of_its_rules_and_a_good_one_kept():
    from briefgen.serve.mail import address_problem

    for good in ("anna.berg@region-x.se", "Xavier@Xylem.se", "info@X.se",
                 "a" * 243 + "@exempel.se"):
        assert address_problem(good) is None, good            # the last one 254 characters
    # Each address breaks one rule only.
    for bad in ("a@b@c.se", "@b.se", "ab.se", "a@localhost", "a@.b.se", "a@b.se.", "a@b..se",
                "a b@c.se", "a\tb@c.se", "a,b@c.se", "a<b@c.se", "a" * 244 + "@exempel.se"):
        assert address_problem(bad) == (f"'{bad[:80]}' is not an e-mail address (allowed: "
                                        "namn@exempel.se)"), bad
    assert address_problem("å" * 90 + "@x.se") == (
        f"'{'å' * 80}' has letters outside ASCII, which few mail servers accept; give the "
        "address the recipient's organisation uses for mail from outside")


def test_a_lists_names_and_roles_are_read_with_their_problems_said():
    from briefgen.serve.mail import Person, parse_people

    people = parse_people([["email", "name", "role"],
                           ["a@x.se", "N" * 200, "  Head   of\tIT "]], "p.csv", "sv")
    assert people == [Person("a@x.se", "N" * 200, "Head of IT", "sv")]
    said = refused(parse_people, [["email", "name", "role"], ["a@x.se", "N" * 201, "R" * 41]],
                   "p.csv", "sv")
    assert said == "\n  ".join([
        "2 problems:", "p.csv: row 2: name: at most 200 printable characters",
        f"p.csv: row 2: role: '{'R' * 40}…' is 41 characters long (allowed: at most 40)"]), said


def submitted_with(store, org: str, token: str, comments: dict[str, str] | None = None):
    store.save(org, token, {}, "top3", comments=comments)
    assert store.submit(org, token, []) == []


def test_the_follow_up_shows_each_ones_own_last_message_by_name(store):
    from briefgen.serve.store import Person

    made, _ = store.invite_people("region-x", "Region X", "regional", [
        Person("zed@x.se", "Anna"), Person("abc@x.se", "Ylva")])
    store.invite("region-x", "Region X", "regional", 1, "sv")         # no name, no address
    anna, ylva = (m.respondent_id for m in made)
    store.finish(store.claim(anna, "invitation").message_id)
    store.finish(store.claim(anna, "reminder").message_id, "550 no such user")
    store.finish(store.claim(ylva, "invitation").message_id)
    (round_id,) = [r.id for r in store.rounds()]
    follow = store.follow_up([round_id])[round_id]
    assert [(f.name, f.email, f.last_kind, f.last_status, f.last_error) for f in follow] == [
        ("Anna", "zed@x.se", "reminder", "failed", "550 no such user"),
        ("Ylva", "abc@x.se", "invitation", "sent", None),
        (None, None, None, None, None)]


def test_comments_are_the_submitted_ones_of_the_rounds_asked_for_alphabetically(store):
    rounds = {}
    for org, texts in (("region-x", ["a x", "B y", "kept back"]), ("region-y", ["other"])):
        links = store.invite(org, org, "regional", len(texts), "sv")
        for link, text in zip(links, texts, strict=True):
            if text == "kept back":          # started, not submitted: not the admin's to read
                store.save(org, link.token, {}, "top3", comments={"effects": text})
            else:
                submitted_with(store, org, link.token, {"effects": text})
        rounds[org] = [r.id for r in store.rounds(org)][0]
    x = rounds["region-x"]
    assert store.comments([x]) == {x: {"effects": ["a x", "B y"]}}


def test_someone_listed_again_keeps_what_the_new_list_leaves_out(store):
    import sqlalchemy as sa

    from briefgen.serve.mail import Context, SmtpSettings, invite_by_mail
    from briefgen.serve.settings import Engagement
    from briefgen.serve.store import Person, respondents

    first, _ = store.invite_people("region-x", "Region X", "regional", [
        Person("a@x.se", "Anna", "IT", "sv"), Person("b@x.se", "Bo", "Ledning", "sv"),
        Person("c@x.se", "Cia", "HR", "sv")])
    other, _ = store.invite_people("region-y", "Region Y", "regional", [
        Person("a@x.se", "Anna Y", "HR", "en")])                 # another organisation's round
    assert other[0].token and other[0].respondent_id != first[0].respondent_id
    submitted_with(store, "region-x", first[0].token)
    todo, skipped = store.invite_people("region-x", "Region X", "regional", [
        Person("a@x.se", "Anna", "Ny roll", "en"), Person("b@x.se", "Bo Berg", "IT-chef", "en"),
        Person("c@x.se", None, None, "en")])
    assert [(m.respondent_id, m.token) for m in todo] == [(first[1].respondent_id, ""),
                                                          (first[2].respondent_id, "")]
    assert [(s.respondent_id, s.reason) for s in skipped] == [(first[0].respondent_id,
                                                               "submitted")]
    with store.read() as conn:
        rows = conn.execute(sa.select(respondents.c.id, respondents.c.name, respondents.c.role,
                                      respondents.c.lang).order_by(respondents.c.id)).all()
    assert [tuple(r) for r in rows] == [
        (first[0].respondent_id, "Anna", "IT", "sv"),          # submitted: left as it was
        (first[1].respondent_id, "Bo Berg", "IT-chef", "en"),
        (first[2].respondent_id, "Cia", "HR", "en"),                # kept: the list gave none
        (other[0].respondent_id, "Anna Y", "HR", "en")]
    # Sending to someone who has submitted opens no connection: the report says why.
    report = invite_by_mail(store, SmtpSettings(host="127.0.0.1", port=free_port(),
                                                sender="enkat@firma.se"),
                            "region-x", "Region X", "regional", [Person("a@x.se")],
                            Context("region-x", "Region X", BASE, Engagement()))
    assert report.sent == [] and [s.reason for s in report.skipped_for("submitted")] == [
        "submitted"]


def test_the_export_carries_each_ones_role_and_comments(store):
    from briefgen.serve.questions import survey_rows

    link = store.invite("region-x", "Region X", "regional", 1, "sv", role="IT")[0]
    submitted_with(store, "region-x", link.token, {"impact": "Mer stöd"})
    people = store.submitted("region-x")
    assert people[0]["role"] == "IT" and people[0]["comments"] == {"impact": "Mer stöd"}
    header, rows = survey_rows(people, load_data().framework)
    got = dict(zip(header, rows[0], strict=True))
    assert got["role"] == "IT" and got["comment.impact"] == "Mer stöd"
    assert got["comment.effects"] == "" and got["importance"] == "top3"
    # No answer stored (as for a question added to the framework after the round): blank.
    assert got[all_keys(load_data().framework)[0]] == ""


def test_a_database_that_cannot_be_used_is_named_in_the_message(tmp_path):
    import sqlalchemy as sa

    from briefgen.serve.store import make_engine

    assert refused(make_engine, "sqlite:///") == (
        "--database: 'sqlite:///' names no file; the answers must outlive the server "
        "(allowed: sqlite:///FILE)")
    assert refused(make_engine, "postgresql+nosuchdriver://u:pw@h/db") == (
        "--database: 'postgresql+nosuchdriver://u:***@h/db' cannot be used (Can't load "
        "plugin: sqlalchemy.dialects:postgresql.nosuchdriver)")
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all" * 100)
    assert refused(open_store, f"sqlite:///{bad}") == (
        f"--database: cannot open sqlite:///{bad}: file is not a database")
    newer = tmp_path / "newer.db"
    with open_store(f"sqlite:///{newer}").write() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    said = refused(open_store, f"sqlite:///{newer}")
    assert re.fullmatch(rf"--database: sqlite:///{re.escape(str(newer))} was made by a newer "
                        r"briefgen \(schema 0099; this one knows up to \d{4}\); upgrade "
                        r"briefgen to use it", said), said


def test_a_privacy_notice_that_is_not_utf8_is_named_with_its_key(tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(tmp_path)                   # not the workspace: it is given
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "integritet.md").write_bytes("# Ansvar\n\nVi sparar svaren i tolv månader.\n"
                                       .encode("latin-1"))
    for given, key in (('privacy = "integritet.md"', "serve.privacy"),
                       ('privacy = { sv = "integritet.md" }', "serve.privacy.sv")):
        (ws / "briefgen.toml").write_text(f"[serve]\n{given}\n", "utf-8")
        assert refused(settings.engagement, ws) == (
            f"{Path('ws', 'briefgen.toml')}: {key}: integritet.md: not UTF-8 text (byte 35); "
            "save it as UTF-8")
    (ws / "briefgen.toml").write_text("[firm]\nname = \"Konsultfirman AB\"\n", "utf-8")
    assert settings.engagement(ws).logo is None            # no logo: /brand/logo is a 404


def test_a_client_named_by_a_long_text_is_counted_by_its_first_64_characters():
    from starlette.requests import Request

    from briefgen.serve.security import client_key

    def key(host):
        return client_key(Request({"type": "http", "headers": [], "client": (host, 1)}))
    assert key("h" * 100) == "h" * 64 and key("") == "unknown"


def test_each_part_asks_its_questions_under_their_headings(app, store):
    from markupsafe import escape

    from briefgen.survey.columns import answer_columns

    fw = load_data().framework
    link = store.invite("region-x", "Region X", "regional", 1, "en")[0]
    c = client(app)
    pages = {part: c.get(f"{link.path()}/{part}").text
             for part in ("capabilities", "effects", "impact")}
    for cap in fw.capabilities:
        assert f"{escape(cap.label.en)}</" in pages["capabilities"], cap.key
    for col in answer_columns(fw):
        if col.kind == "effect":
            texts = (col.question.en, fw.effect(col.group).description.en)
        elif col.kind == "impact":
            texts = (col.heading.en, col.question.en)
        else:
            continue
        for text in texts:
            assert str(escape(text)) in pages[col.kind if col.kind == "impact" else "effects"]


def test_answers_saved_elsewhere_are_listed_in_the_pages_language(app, store):
    from markupsafe import escape

    from briefgen.serve.questions import sections

    part = sections(load_data().framework)[0]
    question = part.groups[0].questions[0]
    link = store.invite("region-x", "Region X", "regional", 1, "en")[0]
    c = client(app)
    url = f"{link.path()}/{part.key}"
    token = token_on(c, url)
    store.save("region-x", link.token, {question.key: 4.0}, comments={part.key: "Annan"})
    r = c.post(url, data={"csrf": token, question.key: "1", "loaded": f"{question.key}=",
                          "comment": "Min", "comment_loaded": ""})
    assert (f'<li><a href="#{question.html_id}">{escape(question.legend.en)}: now 4</a></li>'
            in r.text), r.text
    assert ('<li><a href="#comment">The comment had been changed elsewhere. The saved '
            'comment is now in the box.</a></li>') in r.text


def test_the_thanks_page_is_swedish_unless_asked_and_says_the_answers_are_locked(app):
    page = client(app).get("/done").text
    assert '<html lang="sv">' in page
    assert "Dina svar är inskickade och låsta. Du kan stänga sidan." in page


def test_the_sign_in_page_says_when_no_secret_is_set(store):
    note = "No admin secret is set."
    for secret, shown in ((None, True), (SECRET, False)):
        app = create_app(Config(store=store, bundle=load_data(), admin_secret=secret,
                                admin_lang="en"))
        c = client(app, "127.0.0.7" if secret else "127.0.0.8")
        assert (note in c.get("/admin/login").text) is shown
        for status in (401, 401, 401, 401, 429):         # wrong, then locked out: still said
            r = c.post("/admin/login", data={"csrf": token_on(c, "/admin/login"),
                                             "secret": "wrong-" + "x" * 20})
            assert r.status_code == status and (note in r.text) is shown


def test_the_admin_page_lists_each_organisation_with_the_forms_limits(store):
    from briefgen.serve.mail import SmtpSettings

    app = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET,
                            base_url=BASE, admin_lang="en",
                            smtp=SmtpSettings(host="127.0.0.1", sender="enkat@firma.se")))
    store.invite("region-x", "Region <i>X</i>", "regional", 1, "sv")
    store.invite("region-y", "Region Y", "regional", 1, "sv")
    c, _ = signed_in(app)
    page = c.get("/admin").text
    assert '<h2 id="org-region-x"><bdi>Region &lt;i&gt;X&lt;/i&gt;</bdi>' in page
    assert '<h2 id="org-region-y"><bdi>Region Y</bdi>' in page
    assert 'name="count" min="1" max="500"' in page
    assert "at least 5 people with that role have answered" in page
    assert "in their language, from enkat@firma.se. Someone" in page
