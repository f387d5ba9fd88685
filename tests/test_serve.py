"""briefgen serve: links and tokens, CSRF, the admin login, validation, transactions, export.

The app runs for real (Starlette's TestClient speaks ASGI to it) on a real SQLite database made
by the shipped Alembic migrations; the briefing tests render real PDFs.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from starlette.testclient import TestClient

from briefgen.cli import cli
from briefgen.errors import InputError
from briefgen.load import load_data
from briefgen.serve import settings
from briefgen.serve.app import Config, create_app
from briefgen.serve.questions import all_keys
from briefgen.serve.store import open_store, respondents
from briefgen.survey.aggregate import survey_org
from briefgen.survey.read import read_survey

from .conftest import pdf_text

SECRET = "a-long-admin-secret-for-tests"
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def bundle():
    return load_data()


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'briefgen.db'}"


@pytest.fixture
def store(db_url):
    return open_store(db_url)


BASE = "https://enkat.firma.se"


@pytest.fixture
def client(store, bundle):
    app = create_app(Config(store=store, bundle=bundle, admin_secret=SECRET, base_url=BASE))
    with TestClient(app, follow_redirects=False) as c:
        yield c


def invite(store, org="region-x", name="Region X", level="regional", n=1, lang="sv"):
    made = store.invite(org, name, level, n, lang)
    return [m.path() for m in made]


def csrf_of(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def answers_for(keys: list[str], value: int) -> dict[str, str]:
    return {k: str(value) for k in keys}


def fill(client: TestClient, link: str, importance: str, values: dict[str, int]) -> None:
    """Answer every part through the form posts a browser would send, then submit."""
    from briefgen.serve.questions import sections

    token = csrf_of(client, link + "/importance")
    r = client.post(link + "/importance", data={"csrf": token, "importance": importance,
                                                "action": "next"})
    assert r.status_code == 303
    for section in sections(load_data().framework):
        data = {k: str(values[k]) for k in section.keys}
        r = client.post(f"{link}/{section.key}", data={"csrf": token, "action": "next", **data})
        assert r.status_code == 303, r.text
    r = client.post(link + "/submit", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/done")


# --------------------------------------------------------------------------- tokens


def test_links_are_long_random_tokens(store):
    paths = invite(store, n=3)
    tokens = [p.rsplit("/", 1)[1] for p in paths]
    assert len(set(tokens)) == 3
    assert all(len(t) >= 43 for t in tokens)        # 32 random bytes, base64url
    with store.read() as conn:                      # only hashes are stored
        stored = conn.execute(sa.select(respondents.c.token_hash)).scalars().all()
    assert not set(tokens) & set(stored)


def test_wrong_other_org_used_and_closed_tokens_get_the_missing_page(client, store):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    link, other = invite(store, n=2)
    token = link.rsplit("/", 1)[1]
    kommun = invite(store, org="kommun-y", name="Kommun Y", level="municipal")[0]
    cases = {
        "wrong": "/a/region-x/" + "A" * 43,
        "wrong-part": link + "/nonsense",
        "other org's": "/a/kommun-y/" + token,
        "other org's, its own path": kommun.replace("kommun-y", "region-x"),
    }
    for name, url in cases.items():
        r = client.get(url)
        assert r.status_code == 404, name
        assert r.text == missing.text, name
    # A post with a wrong token is refused the same way, CSRF token or not.
    assert client.post("/a/region-x/" + "A" * 43 + "/capabilities",
                       data={"partnerships": "3"}).text == missing.text

    # Used up: once submitted, the link is gone.
    values = dict.fromkeys(all_keys(load_data().framework), 3)
    fill(client, link, "top3", values)
    assert client.get(link).status_code == 404
    assert client.get(link + "/capabilities").text == missing.text
    # Closed round: the unsubmitted link is gone too.
    assert client.get(other).status_code == 200
    store.close_round(store.rounds("region-x")[0].id)
    assert client.get(other).text == missing.text


def test_security_headers_on_pages_errors_and_assets(client, store):
    link = invite(store)[0]
    for url in (link, "/missing", "/static/serve.css", "/admin/login"):
        r = client.get(url)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "http" not in csp, url                 # no third-party source
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
    page = client.get(link).text
    assert not re.search(r'(src|href)="(https?:)?//', page)   # every asset is briefgen's own
    cookie = TestClient(client.app).get("/admin/login").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie


# --------------------------------------------------------------------------- CSRF


def test_posts_without_a_valid_csrf_token_are_refused_and_change_nothing(client, store):
    link, other = invite(store, n=2)
    good = csrf_of(client, link + "/capabilities")
    foreign = csrf_of(client, other + "/capabilities")       # another respondent's form
    for data in ({"partnerships": "4"}, {"partnerships": "4", "csrf": "0" * 64},
                 # the last character changed (it may already have been a 0)
                 {"partnerships": "4", "csrf": good[:-1] + ("1" if good.endswith("0") else "0")},
                 {"partnerships": "4", "csrf": foreign}):
        r = client.post(link + "/capabilities", data=data)
        assert r.status_code == 403 and "Formuläret hann gå ut" in r.text
    # The right token, but posted from another site: refused.
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}):
        r = client.post(link + "/capabilities", data={"partnerships": "4", "csrf": good},
                        headers=headers)
        assert r.status_code == 403
    assert store.respondent("region-x", link.rsplit("/", 1)[1]).answers == {}
    # A respondent's token belongs to their link, not to a cookie: a second tab (or browser)
    # opened from the same e-mail does not invalidate the first.
    assert "set-cookie" not in client.get(link).headers
    assert csrf_of(TestClient(client.app), link + "/effects") == good
    # Admin forms are bound to the admin's cookie: even with a valid session, no token fails.
    login(client)
    assert client.post("/admin/invite", data={"org": "region-x", "count": "2",
                                              "lang": "sv"}).status_code == 403
    assert client.post("/admin/rounds/1/close", data={}).status_code == 403
    admin_token = csrf_of(client, "/admin")
    # The token belongs to the session: another session's token does not do.
    other = TestClient(client.app, follow_redirects=False)
    login(other)
    assert other.post("/admin/rounds/1/close", data={"csrf": admin_token}).status_code == 403
    assert store.rounds("region-x")[0].is_open
    # With the tokens it works.
    r = client.post(link + "/capabilities", data={"partnerships": "4", "csrf": good},
                    headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"})
    assert r.status_code == 303
    assert client.post("/admin/rounds/1/close", data={"csrf": admin_token}).status_code == 303


def test_oversized_or_multipart_posts_are_refused(client, store):
    link = invite(store)[0]
    good = csrf_of(client, link + "/capabilities")
    r = client.post(link + "/capabilities", data={"csrf": good, "partnerships": "4" * 70000})
    assert r.status_code == 413
    r = client.post(link + "/capabilities", files={"f": ("a.txt", b"x")},
                    data={"csrf": good})
    assert r.status_code == 415
    assert store.respondent("region-x", link.rsplit("/", 1)[1]).answers == {}


# --------------------------------------------------------------------------- admin


def login(client: TestClient, secret: str = SECRET):
    token = csrf_of(client, "/admin/login")
    return client.post("/admin/login", data={"csrf": token, "secret": secret})


def test_admin_pages_need_the_login(client, store, bundle):
    invite(store, n=2)
    assert client.get("/admin").headers["location"] == "/admin/login"
    assert "Region X" not in client.get("/admin/login").text
    r = login(client, "wrong-secret-guess")
    assert r.status_code == 401 and 'aria-describedby="secret-error"' in r.text
    # A forged cookie is no session.
    client.cookies.set("briefgen_admin", "A" * 43, path="/admin")
    assert client.get("/admin").status_code == 303
    client.cookies.clear()

    r = login(client)
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    page = client.get("/admin").text
    assert "Region X" in page and "<dt>Inbjudna</dt><dd>2</dd>" in page      # invited: 2

    # Add respondents from the admin page: links shown once, for the configured org.
    token = csrf_of(client, "/admin")
    r = client.post("/admin/invite", data={"csrf": token, "org": "region-x", "count": "3",
                                           "lang": "en"})
    assert r.status_code == 200
    links = re.findall(r"<code>(http[^<]+)</code>", r.text)
    # The links start with the configured address, whatever the request's Host header says.
    assert len(links) == 3 and all(u.startswith(BASE + "/a/region-x/") for u in links)
    assert client.get(links[0][len(BASE):]).text.count('lang="en"') == 1
    r = client.post("/admin/invite", data={"csrf": token, "org": "regon-x", "count": "3",
                                           "lang": "sv"})
    # Said in the admin's language (Swedish here), not in the CLI's words.
    assert r.status_code == 400 and "Organisationen ”regon-x” finns inte. Menade du " \
        "”region-x”? Tillgängliga: " in r.text
    assert "unknown organisation" not in r.text
    assert 'aria-describedby="org-hint org-error"' in r.text
    # Said at the top too, where the page opens, linked to the field further down.
    summary = r.text.split('<div class="error-summary" role="alert"')[1].split("</div>")[0]
    assert "<h2 id=\"error-summary-h\">Något behöver rättas</h2>" in summary
    assert '<li><a href="#org">Organisationen ”regon-x” finns inte.' in summary
    assert r.text.index("error-summary") < r.text.index('<section class="org"')
    # Close the round.
    rid = store.rounds("region-x")[0].id
    assert client.post(f"/admin/rounds/{rid}/close", data={"csrf": token}).status_code == 303
    assert not store.rounds("region-x")[0].is_open
    # Sign out.
    client.post("/admin/logout", data={"csrf": token})
    assert client.get("/admin").status_code == 303


def test_admin_stays_closed_without_a_secret(store, bundle):
    app = create_app(Config(store=store, bundle=bundle, admin_secret=None))
    with TestClient(app, follow_redirects=False) as c:
        assert "BRIEFGEN_ADMIN_SECRET" in c.get("/admin/login").text
        assert login(c, "").status_code == 401
        assert login(c, "anything-at-all").status_code == 401


def test_admin_secret_from_env_or_toml(tmp_path, monkeypatch):
    monkeypatch.delenv(settings.ADMIN_SECRET_ENV, raising=False)
    assert settings.admin_secret(tmp_path) is None
    (tmp_path / "briefgen.toml").write_text('[serve]\nadmin_secret = "from-the-toml-file-1234"\n')
    assert settings.admin_secret(tmp_path) == "from-the-toml-file-1234"
    monkeypatch.setenv(settings.ADMIN_SECRET_ENV, "from-the-environment-1234")
    assert settings.admin_secret(tmp_path) == "from-the-environment-1234"
    for weak, why in (("short", "has 5 characters besides spaces; use at least 20"),
                      (" " * 24, "has 0 characters besides spaces"),
                      ("a b c d e f g h i j k l m n o p q r s t", None),
                      ("ab" * 12, "uses 2 different characters; use at least 8")):
        monkeypatch.setenv(settings.ADMIN_SECRET_ENV, weak)
        if why is None:
            assert settings.admin_secret(tmp_path) == weak
            continue
        with pytest.raises(InputError, match=why) as caught:
            settings.admin_secret(tmp_path)
        assert str(caught.value).startswith("BRIEFGEN_ADMIN_SECRET: the admin secret ")
    monkeypatch.delenv(settings.ADMIN_SECRET_ENV)
    (tmp_path / "briefgen.toml").write_text('[serve]\nadmin_secret = "' + " " * 12 + '"\n')
    with pytest.raises(InputError, match=r"\[serve\] admin_secret in .*briefgen.toml: the "):
        settings.admin_secret(tmp_path)


def test_serve_settings_come_from_the_workspace(tmp_path, monkeypatch):
    # The workspace's briefgen.toml is found from a sub-folder, as by every other command;
    # options given win over it, and without a URL the answers live in the workspace folder.
    monkeypatch.delenv(settings.ADMIN_SECRET_ENV, raising=False)
    (tmp_path / "briefgen.toml").write_text('[serve]\nadmin_secret = "from-the-workspace-1234"\n'
                                            'port = 8123\n')
    below = tmp_path / "orgs"
    below.mkdir()
    assert settings.admin_secret(below) == "from-the-workspace-1234"
    host, port, database = settings.server_settings(None, None, None, below)
    assert (host, port) == ("127.0.0.1", 8123)
    assert database == f"sqlite:///{tmp_path / 'briefgen.db'}"
    assert settings.server_settings("0.0.0.0", 9000, "sqlite:///x.db", below) == (
        "0.0.0.0", 9000, "sqlite:///x.db")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    assert settings.server_settings(None, None, None, outside)[2] == settings.DEFAULT_DATABASE
    # briefgen.toml may name a plain file (as `briefgen init` suggests): a SQLite file there.
    (tmp_path / "briefgen.toml").write_text('[serve]\ndatabase = "answers.sqlite"\n')
    assert settings.server_settings(None, None, None, below)[2] == \
        f"sqlite:///{tmp_path / 'answers.sqlite'}"


# --------------------------------------------------------------------------- validation


def test_bad_answers_are_reported_beside_their_field_and_nothing_else_is_lost(client, store):
    link = invite(store)[0]
    token = csrf_of(client, link + "/capabilities")
    r = client.post(link + "/capabilities", data={
        "csrf": token, "partnerships": "7", "digital_leadership": "abc",
        "competence_diversity": "4", "data_access_security.insight": "2",
        "no_such_question": "3"})
    assert r.status_code == 400
    page = r.text
    # Each message sits in its question's fieldset, tied to its radios by aria-describedby.
    assert re.search(r'id="q-partnerships-error">.*7 ligger utanför skalan', page)
    assert re.search(r'id="q-digital-leadership-error">.*”abc” är inte ett tal', page)
    assert 'aria-describedby="q-partnerships-error"' in page
    assert page.count('aria-invalid="true"') == 10          # 5 radios x 2 bad questions
    assert "no_such_question" in page and 'role="alert"' in page
    # The valid answers are kept, and shown checked.
    stored = store.respondent("region-x", link.rsplit("/", 1)[1]).answers
    assert stored == {"competence_diversity": 4.0, "data_access_security.insight": 2.0}
    assert re.search(r'id="q-competence-diversity-4" value="4" checked', page)
    # An impossible importance is reported too, in English for an English link.
    en = invite(store, lang="en")[0]
    token = csrf_of(client, en + "/importance")
    r = client.post(en + "/importance", data={"csrf": token, "importance": "urgent"})
    assert r.status_code == 400 and "“urgent” is not one of the options" in r.text
    # Submitting with answers missing lists them and locks nothing.
    token = csrf_of(client, link + "/submit")
    r = client.post(link + "/submit", data={"csrf": token})
    assert r.status_code == 400
    assert "behöver du besvara 17 frågor till" in r.text       # importance and 16 questions
    assert client.get(link).status_code == 200


def test_autosave_answers_in_json(client, store):
    link = invite(store)[0]
    token = csrf_of(client, link + "/effects")
    auto = {"x-briefgen-autosave": "1"}
    r = client.post(link + "/effects", data={"csrf": token, "effects.citizen_centric": "4"},
                    headers=auto)
    assert r.status_code == 200 and r.json() == {"ok": True, "errors": [], "conflicts": {},
                                                 "comment_tag": ""}
    r = client.post(link + "/effects", data={"csrf": token, "effects.cross_processes": "0",
                                             "effects.relevant_services": "5"}, headers=auto)
    assert r.status_code == 422 and r.json()["errors"] == ["effects.cross_processes"]
    assert store.respondent("region-x", link.rsplit("/", 1)[1]).answers == {
        "effects.citizen_centric": 4.0, "effects.relevant_services": 5.0}
    assert client.post(link + "/effects", data={"csrf": "x"}, headers=auto).status_code == 403


def test_two_tabs_and_concurrent_saves_keep_every_answer(client, store, bundle):
    link = invite(store)[0]
    org, tok = "region-x", link.rsplit("/", 1)[1]
    keys = all_keys(bundle.framework)
    # Two tabs: each saves its own part; neither undoes the other.
    tab1, tab2 = TestClient(client.app), TestClient(client.app)
    t1, t2 = csrf_of(tab1, link + "/capabilities"), csrf_of(tab2, link + "/effects")
    tab1.post(link + "/capabilities", data={"csrf": t1, "partnerships": "2"})
    tab2.post(link + "/effects", data={"csrf": t2, "effects.citizen_centric": "5"})
    # Tab 1 was opened before tab 2 answered; its stale form posts nothing for that question.
    tab1.post(link + "/effects", data={"csrf": t1, "effects.cross_processes": "1"})
    assert store.respondent(org, tok).answers == {
        "partnerships": 2.0, "effects.citizen_centric": 5.0, "effects.cross_processes": 1.0}
    # Many writers at once (threads on one SQLite file): every answer lands.
    errors = []

    def save(key: str, value: int) -> None:
        try:
            store.save(org, tok, {key: float(value)})
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(k, 1 + i % 5)) for i, k in enumerate(keys)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.respondent(org, tok).answers == {k: float(1 + i % 5)
                                                  for i, k in enumerate(keys)}


# --------------------------------------------------------------------------- export and rounds


def two_respondents(client, store, bundle) -> tuple[dict, dict]:
    keys = all_keys(bundle.framework)
    a, b = invite(store, n=2)
    first = {k: 2 for k in keys}
    second = {k: 4 for k in keys}
    first["partnerships"], second["partnerships"] = 1, 5     # a range of 4: a finding
    fill(client, a, "top3", first)
    fill(client, b, "important", second)
    return first, second


def test_export_writes_the_survey_format_and_make_reads_it(client, store, bundle, db_url,
                                                           tmp_path):
    first, second = two_respondents(client, store, bundle)
    runner = CliRunner()
    out = tmp_path / "svar.xlsx"
    r = runner.invoke(cli, ["export", "--out", str(out), "--database", db_url])
    assert r.exit_code == 0, r.output
    assert "2 respondents, 1 organisation\n" in r.output
    survey = read_survey(out, bundle)
    org = survey_org(survey, "region-x", bundle)
    assert org.respondents == 2 and org.name == "Region X"
    assert org.profile.level == "regional" and org.profile.importance == "top3"
    assert org.spread["partnerships"]["min"] == 1 and org.spread["partnerships"]["max"] == 5
    assert org.profile.capabilities["digital_leadership"] == 3.0
    csv_out = tmp_path / "svar.csv"
    assert runner.invoke(cli, ["export", "--out", str(csv_out), "--database", db_url,
                               "--org", "region-x"]).exit_code == 0
    assert survey_org(read_survey(csv_out, bundle), "region-x", bundle).respondents == 2

    # The admin page offers the export and the briefing; its export is the command's.
    login(client)
    assert 'href="/admin/orgs/region-x/export.csv"' in client.get("/admin").text
    exported = client.get("/admin/orgs/region-x/export.csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="region-x-svar.csv"'
    assert exported.content == csv_out.read_bytes()
    assert client.get("/admin/orgs/kommun-y/export.csv").status_code == 404
    # The admin's briefing is the very PDF `make --survey` makes from the export.
    pdf = client.get("/admin/orgs/region-x/briefing-sv.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment")
    r = runner.invoke(cli, ["make", "--org", "region-x", "--survey", str(csv_out),
                            "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    made = Path(r.output.strip()).read_bytes()
    assert pdf.content == made
    text = pdf_text(made)
    assert "2 personers svar" in text                  # two respondents
    assert "Ledningen delar inte en bild" in text      # and the spread called out
    preview = client.get("/admin/orgs/region-x/briefing-sv.pdf?preview=1")
    assert preview.headers["content-disposition"].startswith("inline")


def test_a_later_round_makes_the_earlier_one_previous(client, store, bundle, tmp_path):
    two_respondents(client, store, bundle)
    store.close_round(store.rounds("region-x")[0].id)
    # The first round was answered 90 days ago.
    with store.write() as conn:
        conn.execute(respondents.update().values(
            submitted_at=sa.func.datetime(respondents.c.submitted_at, "-90 days")))
    link = invite(store)[0]
    assert "/a/region-x/" in link and store.rounds("region-x")[0].number == 2
    fill(client, link, "most_important", dict.fromkeys(all_keys(bundle.framework), 5))
    out = tmp_path / "svar.csv"
    assert CliRunner().invoke(cli, ["export", "--out", str(out), "--database",
                                    str(store.engine.url)]).exit_code == 0
    org = survey_org(read_survey(out, bundle), "region-x", bundle)
    assert org.respondents == 1 and org.previous is not None
    assert org.previous.respondents == 2
    assert org.previous.profile.capabilities["partnerships"] == 3.0


def test_invite_and_export_commands(db_url, tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["invite", "--org", "kommun-y", "--respondents", "3", "--lang", "en",
                            "--database", db_url, "--base-url", "https://enkat.firma.se/"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert len(lines) == 3
    assert all(re.fullmatch(r"https://enkat\.firma\.se/a/kommun-y/[\w-]{43}", u) for u in lines)
    r = runner.invoke(cli, ["invite", "--org", "region-x", "--respondents", "1",
                            "--database", db_url, "--port", "8123"])
    assert r.output.startswith("http://127.0.0.1:8123/a/region-x/")
    r = runner.invoke(cli, ["invite", "--org", "regon-x", "--respondents", "1",
                            "--database", db_url])
    assert r.exit_code == 2 and "did you mean 'region-x'" in r.output
    r = runner.invoke(cli, ["export", "--out", str(tmp_path / "x.csv"), "--database", db_url])
    assert r.exit_code == 2 and "no submitted answers" in r.output
    assert not (tmp_path / "x.csv").exists()
    r = runner.invoke(cli, ["export", "--out", str(tmp_path / "x.pdf"), "--database", db_url])
    assert r.exit_code == 2 and "must end in .xlsx or .csv" in r.output
    r = runner.invoke(cli, ["export", "--out", str(tmp_path / "x.csv"), "--database",
                            "mysql://x@y/z"])
    assert r.exit_code == 2 and "not supported" in r.output


def test_close_command_ends_the_round_as_the_admin_page_does(store, client, bundle, tmp_path):
    """briefgen close: the links stop working, names and addresses go, the answers stay."""
    from briefgen.serve.mail import Person

    done, late = invite(store, n=2)
    store.invite_people("region-x", "Region X", "regional",
                        [Person("ann.berg@example.se", "Ann Berg", "IT", "sv")])
    fill(client, done, "most_important", dict.fromkeys(all_keys(bundle.framework), 4))
    db = str(store.engine.url)
    r = CliRunner().invoke(cli, ["close", "--org", "region-x", "--database", db])
    assert r.exit_code == 0, r.output
    assert r.output == ("region-x: round 1 closed; 1 of 3 submitted; its links no longer "
                        "work, and names and e-mail addresses are erased\n")
    assert client.get(late).status_code == 404
    with store.engine.connect() as conn:
        people = conn.execute(sa.text("SELECT name, email FROM respondents")).all()
    assert people and all(p == (None, None) for p in people)
    out = tmp_path / "svar.csv"
    assert CliRunner().invoke(cli, ["export", "--out", str(out), "--database", db]).exit_code == 0
    assert out.read_text("utf-8").count("region-x") == 1              # the answers stay
    r = CliRunner().invoke(cli, ["close", "--org", "region-x", "--database", db])
    assert r.exit_code == 2
    assert r.output.startswith("Error: --org: 'region-x' has no open round in ")
    assert r.output.rstrip().endswith("(organisations with one: none)")


def test_invitations_at_once_open_one_round(store):
    threads = [threading.Thread(target=store.invite, args=("kommun-y", "Kommun Y", "municipal",
                                                           2, "sv")) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (kommun,) = store.rounds("kommun-y")
    assert kommun.number == 1 and kommun.total == 12 and kommun.counts["invited"] == 12


def test_the_migrations_make_the_schema_the_code_expects(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from briefgen.serve.store import metadata

    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0003"


# --------------------------------------------------------------------------- two tabs


EFFECTS = ["effects.relevant_services", "effects.citizen_centric",
           "effects.employee_empowerment", "effects.cross_processes"]


def test_a_stale_tab_saves_only_what_changed_in_it_and_never_reverts_another(client, store):
    link = invite(store)[0]
    tok = link.rsplit("/", 1)[1]
    tab1, tab2 = (TestClient(client.app, follow_redirects=False) for _ in range(2))
    old = tab1.get(link + "/effects").text                    # tab 1 loads the part
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', old).group(1)
    loaded = re.search(r'name="loaded" value="([^"]*)"', old).group(1)
    assert loaded == ";".join(f"{k}=" for k in EFFECTS)
    # Tab 2 answers two questions.
    assert tab2.post(link + "/effects", data={
        "csrf": csrf, "effects.citizen_centric": "5", "effects.cross_processes": "4",
        "loaded": loaded}).status_code == 303
    # Tab 1, still showing the page as loaded, re-sends what it shows: one answer it changed
    # itself, one it did not touch (posted as loaded: left alone), and one that tab 2 saved
    # meanwhile, which is kept and reported.
    r = tab1.post(link + "/effects", data={
        "csrf": csrf, "effects.employee_empowerment": "2", "effects.citizen_centric": "1",
        "loaded": loaded}, follow_redirects=False)
    assert r.status_code == 409
    assert store.respondent("region-x", tok).answers == {
        "effects.citizen_centric": 5.0, "effects.cross_processes": 4.0,
        "effects.employee_empowerment": 2.0}
    assert "Några svar hade ändrats på annat håll" in r.text
    assert re.search(r'href="#q-effects-citizen-centric">[^<]*: nu 5</a>', r.text)
    assert 'id="q-effects-citizen-centric-5" value="5" checked' in r.text    # shown as stored
    assert re.search(r'name="loaded" value="[^"]*effects.citizen_centric=5;', r.text)
    assert re.search(r'name="loaded" value="[^"]*effects.employee_empowerment=2;', r.text)
    # The importance question works the same way, and so does the autosave (JSON).
    imp = tab1.get(link + "/importance").text
    loaded_imp = re.search(r'name="loaded" value="([^"]*)"', imp).group(1)
    assert loaded_imp == "importance="
    assert tab2.post(link + "/importance", data={"csrf": csrf, "importance": "top3",
                                                 "loaded": loaded_imp}).status_code == 303
    r = tab1.post(link + "/importance", data={"csrf": csrf, "importance": "important",
                                              "loaded": loaded_imp},
                  headers={"x-briefgen-autosave": "1"})
    assert r.status_code == 409
    assert r.json() == {"ok": False, "errors": [], "conflicts": {"importance": "top3"},
                        "comment_tag": ""}
    assert store.respondent("region-x", tok).importance == "top3"
    r = tab1.post(link + "/effects", data={"csrf": csrf, "effects.relevant_services": "3",
                                           "effects.citizen_centric": "5",
                                           "loaded": "effects.citizen_centric=5;"
                                           "effects.relevant_services="},
                  headers={"x-briefgen-autosave": "1"})
    assert r.status_code == 200 and r.json()["conflicts"] == {}
    assert store.respondent("region-x", tok).answers["effects.relevant_services"] == 3.0


def test_the_loaded_field_is_read_strictly():
    from briefgen.serve.app import parse_loaded

    allowed = ["a", "b", "importance"]
    assert parse_loaded(None, allowed) is None
    assert parse_loaded("", allowed) == {}
    assert parse_loaded("a=3;b=;c=4;a;=2;b=x;importance=top3", allowed) == {
        "a": 3.0, "b": None, "importance": "top3"}
    assert parse_loaded("importance=", allowed) == {"importance": None}
    assert parse_loaded("a=2.5", allowed) == {"a": 2.5}


# --------------------------------------------------------------------------- hostile names

HOSTILE_NAMES = ['=HYPERLINK("http://x","y")', "+1", "-x", "@a", "\tTab kommun", "'=x",
                 "'t Hooft", "=1+1 ", "\rCR", "Region \u202eX\u200b", "''=x", "  Spaced  "]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_any_name_survives_the_export_and_reads_back_equal(store, bundle, tmp_path, suffix):
    import openpyxl

    from briefgen.cells import read_text
    from briefgen.serve.questions import write_survey

    keys = all_keys(bundle.framework)
    for i, name in enumerate(HOSTILE_NAMES):
        org = f"org-{i}"
        link = store.invite(org, name, "municipal", 1, "sv")[0]
        store.save(org, link.token, dict.fromkeys(keys, 3.0), "top3")
        assert store.submit(org, link.token, keys) == []
    stored = {r.org_id: r.org_name for r in store.rounds()}
    assert stored == {f"org-{i}": read_text(n) for i, n in enumerate(HOSTILE_NAMES)}
    out = tmp_path / ("svar" + suffix)
    write_survey(out, store.submitted(), bundle.framework)
    survey = read_survey(out, bundle)
    for org, name in stored.items():
        assert survey_org(survey, org, bundle).name == name, name
    # Nothing in the file is a formula a spreadsheet would run.
    if suffix == ".xlsx":
        sheet = openpyxl.load_workbook(out).active
        for row in sheet.iter_rows(min_row=2):
            assert all(c.data_type != "f" for c in row)
            name = row[1]
            assert name.data_type == "s"
            assert name.quotePrefix == name.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    else:
        import csv

        with out.open(encoding="utf-8-sig", newline="") as f:
            for row in list(csv.reader(f))[1:]:
                assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_make_reads_an_export_with_a_formula_like_name(store, bundle, tmp_path):
    keys = all_keys(bundle.framework)
    name = '=HYPERLINK("http://x","y")'
    for token in [m.token for m in store.invite("region-x", name, "regional", 2, "sv")]:
        store.save("region-x", token, dict.fromkeys(keys, 4.0), "top3")
        store.submit("region-x", token, keys)
    out = tmp_path / "svar.xlsx"
    r = CliRunner().invoke(cli, ["export", "--out", str(out), "--database",
                                 str(store.engine.url)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["make", "--org", "region-x", "--survey", str(out), "--out",
                                 str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert name in pdf_text(Path(r.output.strip()).read_bytes())


def test_names_that_hide_or_reorder_text_are_shown_on_the_admin_page(client, store):
    invite(store, name="Region \u202eX\u200b")
    login(client)
    page = client.get("/admin").text
    assert "\u202e" not in page and "\u200b" not in page
    assert "<bdi>Region ⟨U+202E⟩X⟨U+200B⟩</bdi>" in page


# --------------------------------------------------------------------------- the database


@pytest.mark.parametrize("url, says", [
    ("sqlite://", "names no file"),
    ("sqlite:///:memory:", "names no file"),
    ("postgresql://u:p@host:notaport/db", "is not a database URL"),
    ("mysql://x@y/z", "not supported"),
])
def test_a_bad_database_url_is_one_line_and_exit_2(tmp_path, url, says):
    r = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "x.csv"), "--database", url])
    assert r.exit_code == 2 and says in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert "u:p" not in r.output                       # no password in messages


def test_a_corrupt_or_newer_database_is_one_line_and_exit_2(tmp_path, db_url):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all" * 100)
    r = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "x.csv"), "--database",
                                 f"sqlite:///{bad}"])
    assert r.exit_code == 2 and "file is not a database" in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1
    store = open_store(db_url)
    with store.write() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    r = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "x.csv"), "--database",
                                 db_url])
    assert r.exit_code == 2 and "made by a newer briefgen (schema 0099" in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1
    missing = tmp_path / "no" / "such" / "folder" / "x.db"
    r = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "x.csv"), "--database",
                                 f"sqlite:///{missing}"])
    assert r.exit_code == 2 and "cannot create" in r.output


def test_a_new_database_file_is_readable_by_its_owner_only(tmp_path):
    import os
    import stat

    path = tmp_path / "briefgen.db"
    store = open_store(f"sqlite:///{path}")
    store.invite("region-x", "Region X", "regional", 1, "sv")
    for name in ("briefgen.db", "briefgen.db-wal", "briefgen.db-shm"):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o600, (name, oct(mode))


# --------------------------------------------------------------------------- addresses


def test_links_need_an_address_respondents_can_open(db_url, store, bundle):
    runner = CliRunner()
    r = runner.invoke(cli, ["invite", "--org", "region-x", "--respondents", "1",
                            "--database", db_url, "--host", "0.0.0.0"])
    assert r.exit_code == 2 and "give the server's public address with --base-url" in r.output
    r = runner.invoke(cli, ["invite", "--org", "region-x", "--respondents", "1",
                            "--database", db_url, "--host", "0.0.0.0", "--base-url",
                            "https://enkat.firma.se/"])
    assert r.exit_code == 0 and r.output.startswith("https://enkat.firma.se/a/region-x/")
    r = runner.invoke(cli, ["invite", "--org", "region-x", "--respondents", "1",
                            "--database", db_url, "--base-url", "enkat.firma.se"])
    assert r.exit_code == 2 and "must start with http:// or https://" in r.output
    assert settings.public_url("::1", 8000, None) == "http://[::1]:8000"
    assert settings.public_url("::", 8000, None) is None
    assert settings.is_loopback("127.0.0.1") and settings.is_loopback("::1")
    assert settings.is_loopback("localhost") and not settings.is_loopback("0.0.0.0")
    assert not settings.is_loopback("192.168.1.5") and not settings.is_loopback("enkat.se")
    # Without a usable address the admin page makes no links, whatever Host the request names.
    app = create_app(Config(store=store, bundle=bundle, admin_secret=SECRET, base_url=None))
    with TestClient(app, follow_redirects=False) as c:
        login(c)
        token = csrf_of(c, "/admin")
        r = c.post("/admin/invite", data={"csrf": token, "org": "region-x", "count": "1",
                                          "lang": "sv"}, headers={"host": "evil.example"})
        assert r.status_code == 400 and "Starta den med --base-url" in r.text
        assert "evil.example" not in r.text


def test_serving_beyond_this_machine_without_a_base_url_warns(monkeypatch, tmp_path):
    from briefgen.serve import server

    started = []
    monkeypatch.setattr(server, "run", lambda *a, **k: started.append((a, k)))
    monkeypatch.setenv(settings.ADMIN_SECRET_ENV, SECRET)
    db = f"sqlite:///{tmp_path / 'b.db'}"
    r = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--database", db])
    assert r.exit_code == 0 and "warning: listening on 0.0.0.0" in r.output
    assert "links made on the admin page cannot be made" in r.output
    r = CliRunner().invoke(cli, ["serve", "--database", db, "--workers", "3",
                                 "--trusted-proxy", "127.0.0.1"])
    assert r.exit_code == 0 and "warning" not in r.output
    (settings_, host, port, workers), _ = started[-1]
    assert (host, port, workers) == ("127.0.0.1", 8000, 3)
    assert settings_.trusted_proxies == ("127.0.0.1",)
    assert settings_.base_url == "http://127.0.0.1:8000"
    r = CliRunner().invoke(cli, ["serve", "--database", db, "--trusted-proxy", "proxy"])
    assert r.exit_code == 2 and "'proxy' is not an IP address" in r.output
    monkeypatch.setenv(settings.ADMIN_SECRET_ENV, " " * 30)
    r = CliRunner().invoke(cli, ["serve", "--database", db])
    assert r.exit_code == 2 and "the admin secret has 0 characters" in r.output


def test_briefgen_secret_prints_a_strong_secret():
    first = CliRunner().invoke(cli, ["secret"]).output.strip()
    second = CliRunner().invoke(cli, ["secret"]).output.strip()
    assert first != second and len(first) == 40
    assert settings.secret_problem(first) is None
