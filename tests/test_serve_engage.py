"""The engagement on the web: the firm's form (name, logo, colours, deadline, privacy notice),
roles and comments from the form through the export to ``make --survey``.

The app runs for real (Starlette's TestClient speaks ASGI to it) on a real SQLite database made
by the shipped migrations; the workspace is a real folder with briefgen.toml and the firm's
files; the briefing is a real PDF, read back as text.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from briefgen.cli import cli
from briefgen.errors import InputError
from briefgen.load import load_data
from briefgen.serve.app import Config, create_app
from briefgen.serve.questions import SECTIONS, sections
from briefgen.serve.settings import Engagement, engagement
from briefgen.serve.store import open_store
from briefgen.survey.aggregate import survey_org
from briefgen.survey.read import read_survey

from .conftest import pdf_text
from .firm import FIRM_TOML

pytestmark = pytest.mark.timeout(120)

SECRET = "a-long-admin-secret-for-tests"
BASE = "https://enkat.firma.se"
LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">'
        '<rect width="40" height="20" fill="#0B5D4B"/></svg>')


@pytest.fixture(scope="module")
def bundle():
    return load_data()


@pytest.fixture
def ws(tmp_path, monkeypatch) -> Path:
    """A workspace with the firm's name, logo, colours, deadline and privacy notices."""
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "logo.svg").write_text(LOGO, "utf-8")
    (folder / "integritet.md").write_text(
        "# Ansvar\n\nKonsultfirman AB ansvarar för svaren och sparar dem i tolv månader.\n"
        "<script>alert(1)</script>\n", "utf-8")
    (folder / "privacy.md").write_text("# Responsibility\n\nKonsultfirman AB keeps the "
                                       "answers for twelve months.\n", "utf-8")
    (folder / "briefgen.toml").write_text(FIRM_TOML + """\

[serve]
deadline = 2026-12-15
privacy = { sv = "integritet.md", en = "privacy.md" }
""", "utf-8")
    monkeypatch.chdir(folder)
    return folder


def app_with(store, bundle, found: Engagement | None = None):
    return create_app(Config(store=store, bundle=bundle, admin_secret=SECRET, base_url=BASE,
                             engagement=found or Engagement()))


def csrf_of(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def answer(client: TestClient, link: str, value: int, comments: dict[str, str] | None = None,
           importance: str = "top3", submit: bool = True) -> None:
    """Answer every part through the form's posts, with a comment on some parts."""
    comments = comments or {}
    token = csrf_of(client, link + "/importance")
    data = {"csrf": token, "importance": importance}
    if "importance" in comments:
        data |= {"comment": comments["importance"], "comment_loaded": ""}
    assert client.post(link + "/importance", data=data).status_code == 303
    for section in sections(load_data().framework):
        data = {"csrf": token, **dict.fromkeys(section.keys, str(value))}
        if section.key in comments:
            data |= {"comment": comments[section.key], "comment_loaded": ""}
        r = client.post(f"{link}/{section.key}", data=data)
        assert r.status_code == 303, r.text
    if submit:
        assert client.post(link + "/submit", data={"csrf": token}).status_code == 303


# --------------------------------------------------------------------------- the firm's form


def test_the_firms_name_logo_colours_deadline_and_privacy_on_every_form_page(ws, bundle,
                                                                               tmp_path):
    found = engagement()
    assert found.firm == "Konsultfirman AB" and found.deadline == dt.date(2026, 12, 15)
    assert found.logo[1] == "image/svg+xml" and b"<rect" in found.logo[0]
    assert set(found.privacy) == {"sv", "en"}
    store = open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")
    client = TestClient(app_with(store, bundle, found), follow_redirects=False)
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0].path()
    pages = [link, *(f"{link}/{part}" for part in (*SECTIONS, "submit"))]
    for url in pages:
        page = client.get(url).text
        assert '<p class="deadline" id="deadline">Svara senast 15 december 2026</p>' in page, url
        assert ('<a href="/privacy/sv" target="_blank" rel="noopener">Så behandlas dina svar'
                '<span class="new-tab"> (öppnas i en ny flik)</span></a>') in page, url
        assert '<img class="logo" src="/brand/logo" alt="Konsultfirman AB">' in page, url
        assert "Genomförs av Konsultfirman AB" in page, url
        assert '<link rel="stylesheet" href="/brand/theme.css">' in page, url
    # The admin pages carry the firm's look too, and the deadline the messages give.
    admin = TestClient(app_with(store, bundle, found), follow_redirects=False)
    token = csrf_of(admin, "/admin/login")
    assert admin.post("/admin/login", data={"csrf": token, "secret": SECRET}).status_code == 303
    for url in ("/admin/login", "/admin"):
        page = admin.get(url).text
        assert '<img class="logo" src="/brand/logo" alt="Konsultfirman AB">' in page, url
        assert '<link rel="stylesheet" href="/brand/theme.css">' in page, url
    assert "<p>Sista svarsdag: 15 december 2026</p>" in page
    # The thanks page and the missing page keep the privacy link (no deadline: no form).
    for url in ("/done?lang=sv", "/no/such/page"):
        page = client.get(url).text
        assert 'href="/privacy/sv"' in page and 'id="deadline"' not in page
    privacy = client.get("/privacy/sv")
    assert privacy.status_code == 200
    assert "<h2>Ansvar</h2>" in privacy.text and "tolv månader" in privacy.text
    assert "<script>alert" not in privacy.text and "&lt;script&gt;" in privacy.text
    assert "<h2>Responsibility</h2>" in client.get("/privacy/en").text
    assert client.get("/privacy/de").status_code == 404
    logo = client.get("/brand/logo")
    assert logo.headers["content-type"] == "image/svg+xml" and logo.content == found.logo[0]
    assert logo.headers["content-security-policy"].startswith("default-src 'self'")
    css = client.get("/brand/theme.css")
    assert css.text == ":root { --navy: #0B5D4B; --link: #0B5D4B; --accent: #8A4B08; }\n"
    assert css.headers["content-type"].startswith("text/css")
    # Past the deadline the form stays open and says so.
    late = TestClient(app_with(store, bundle, Engagement(deadline=dt.date(2020, 1, 31))))
    assert ("Sista dag att svara var 31 januari 2020, men formuläret är fortfarande öppet."
            in late.get(link).text)


def test_without_a_firm_the_form_is_plain_and_links_nothing(bundle, tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")
    client = TestClient(app_with(store, bundle), follow_redirects=False)
    link = store.invite("region-x", "Region X", "regional", 1, "en")[0].path()
    page = client.get(link).text
    for absent in ('id="deadline"', "/privacy/", "/brand/logo", "/brand/theme.css",
                   "Conducted by"):
        assert absent not in page
    for url in ("/privacy/sv", "/brand/logo"):
        assert client.get(url).status_code == 404


def test_the_firms_files_are_cached_an_hour_and_each_notice_says_its_language(bundle,
                                                                              tmp_path):
    from markupsafe import Markup

    store = open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")
    found = Engagement(logo=(LOGO.encode(), "image/svg+xml"), accent="#8A4B08",
                       privacy={"sv": Markup("<p>Bara på svenska</p>")})
    client = TestClient(app_with(store, bundle, found), follow_redirects=False)
    for url in ("/brand/logo", "/brand/theme.css"):
        assert client.get(url).headers["cache-control"] == "public, max-age=3600", url
    assert client.get("/brand/theme.css").text == ":root { --accent: #8A4B08; }\n"
    # A notice in Swedish only, asked for in English: the English page, the notice marked
    # as Swedish for screen readers; asked for in Swedish, no mark.
    english = client.get("/privacy/en").text
    assert '<html lang="en">' in english
    assert '<div class="privacy" lang="sv">\n<p>Bara på svenska</p>' in english
    swedish = client.get("/privacy/sv").text
    assert '<html lang="sv">' in swedish and '<div class="privacy">\n<p>Bara' in swedish
    # No notice at all: the missing page in the language asked for (Swedish for any other).
    plain = TestClient(app_with(store, bundle), follow_redirects=False)
    missing = plain.get("/privacy/en")
    assert missing.status_code == 404 and '<html lang="en">' in missing.text
    assert "<h1>Page not found</h1>" in missing.text
    for lang in ("de", "SV"):
        missing = plain.get(f"/privacy/{lang}")
        assert missing.status_code == 404 and "<h1>Sidan finns inte</h1>" in missing.text
        assert '<html lang="sv">' in missing.text
    assert client.get("/privacy/de").status_code == 404


def test_the_firms_files_must_be_inside_the_workspace(ws):
    text = (ws / "briefgen.toml").read_text()
    (ws / "briefgen.toml").write_text(text.replace('sv = "integritet.md"',
                                                   'sv = "../integritet.md"'))
    with pytest.raises(InputError, match=r"briefgen.toml:12: serve.privacy.sv: "
                       r"'../integritet.md' is outside the workspace"):
        engagement()
    (ws / "briefgen.toml").write_text(text.replace('sv = "integritet.md"', 'sv = "logo.svg"'))
    with pytest.raises(InputError, match="serve.privacy.sv: 'logo.svg' is not a Markdown file"):
        engagement()
    (ws / "briefgen.toml").write_text(text.replace("deadline = 2026-12-15",
                                                   'deadline = "15 december"'))
    with pytest.raises(InputError, match="briefgen.toml:11: serve.deadline: "):
        engagement()
    # A logo is checked as on a briefing's cover: a script in an SVG stops the server.
    (ws / "briefgen.toml").write_text(text)
    (ws / "logo.svg").write_text(LOGO.replace("</svg>", "<script>alert(1)</script></svg>"))
    with pytest.raises(InputError, match="logo.svg contains <script>, which is not allowed"):
        engagement()


def test_no_page_a_respondent_sees_carries_a_developers_note(bundle, tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")
    client = TestClient(app_with(store, bundle), follow_redirects=False)
    for lang in ("sv", "en"):
        link = store.invite("region-x", "Region X", "regional", 1, lang)[0].path()
        for url in [link, *(f"{link}/{part}" for part in (*SECTIONS, "submit"))]:
            text = re.sub(r"<[^>]+>", " ", client.get(url).text).lower()
            for note in ("profil", "yaml", "briefgen", "rapporten", "the report", "line ",
                         "tillagd", "added so", "framework", "kolumn", "column"):
                assert note not in text, (url, note)


def test_a_form_page_says_each_thing_once(bundle, tmp_path):
    """The importance question is the part's legend, not its lead too; what a capability's
    levels look like is shown once above its questions, and read out with each of them."""
    store = open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")
    client = TestClient(app_with(store, bundle), follow_redirects=False)
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0].path()
    page = client.get(link + "/importance").text
    assert page.count("Hur viktig är digital transformation på ledningens strategiska") == 1
    page = client.get(link + "/capabilities").text
    clarity = next(c for c in bundle.framework.capabilities
                   if c.key == "organisational_clarity")
    first = clarity.anchors[1].sv
    assert page.count(first) == 1 and page.count('id="a-organisational-clarity"') == 1
    fieldsets = re.findall(r'<fieldset class="question"[^>]*>', page)
    assert len(fieldsets) == 11
    described = [f for f in fieldsets if 'aria-describedby="a-organisational-clarity"' in f]
    assert len(described) == 3


# --------------------------------------------------------------------------- roles and comments


def test_roles_and_comments_from_the_form_to_the_export_and_the_briefing(bundle, tmp_path):
    db = f"sqlite:///{tmp_path / 'briefgen.db'}"
    runner = CliRunner()
    r = runner.invoke(cli, ["invite", "--org", "region-x", "--respondents", "6", "--role",
                            " Ledningen ", "--database", db, "--base-url", BASE])
    assert r.exit_code == 0, r.output
    leaders = [line[len(BASE):] for line in r.output.split()]
    store = open_store(db)
    it = [m.path() for m in store.invite("region-x", "Region X", "regional", 5, "sv", "IT")]
    client = TestClient(app_with(store, bundle), follow_redirects=False)
    hostile = "=HYPERLINK(\"http://x\")\r\nrad två\x07"
    for i, link in enumerate(leaders):
        answer(client, link, 4, {"capabilities": f"Ledare {i}: vi saknar data."} if i < 2
               else {"impact": hostile} if i == 2 else {})
    for link in it:
        answer(client, link, 2, {"effects": "IT ser inga effektmål."})
    # An unsubmitted comment is not listed or exported.
    extra = store.invite("region-x", "Region X", "regional", 1, "sv", "IT")[0].path()
    answer(client, extra, 3, {"capabilities": "Inte inskickad"}, submit=False)

    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"svar{suffix}"
        r = runner.invoke(cli, ["export", "--out", str(out), "--database", db])
        assert r.exit_code == 0, r.output
        survey = read_survey(out, bundle)
        assert sorted(survey.frame["role"]) == ["IT"] * 5 + ["Ledningen"] * 6
        said = survey.comments("region-x")
        assert ("impact", "=HYPERLINK(\"http://x\")\nrad två") in said   # as written, no bell
        assert said.count(("effects", "IT ser inga effektmål.")) == 5
        assert ("capabilities", "Inte inskickad") not in said
        org = survey_org(survey, "region-x", bundle)
        assert [(g.role, g.n) for g in org.role_groups] == [("Ledningen", 6), ("IT", 5)]
    r = runner.invoke(cli, ["make", "--org", "region-x", "--survey", str(out), "--out",
                            str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    text = pdf_text(Path(r.output.strip()))
    assert "Svaren per roll" in text
    assert "Digitalt ledarskap: Ledningen skattar 4,0, IT 2,0" in " ".join(text.split())
    assert "saknar data" not in text and "effektmål" not in text and "HYPERLINK" not in text

    # The admin page lists the submitted comments by part, without names, sorted.
    admin = TestClient(app_with(store, bundle), follow_redirects=False)
    token = csrf_of(admin, "/admin/login")
    assert admin.post("/admin/login", data={"csrf": token, "secret": SECRET}).status_code == 303
    page = admin.get("/admin").text
    assert "Kommentarer (8)" in page and "Inte inskickad" not in page
    listed = page[page.index("<h4>Förmågor</h4>"):]
    assert listed.index("Ledare 0") < listed.index("Ledare 1")
    assert "<li><bdi>=HYPERLINK(&#34;http://x&#34;)\nrad två</bdi></li>" in page


def test_a_comment_is_saved_shortened_never_overwritten_from_a_stale_tab(bundle, tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")
    client = TestClient(app_with(store, bundle), follow_redirects=False)
    made = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    link = made.path()
    page = client.get(link + "/effects").text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    assert '<textarea id="comment" name="comment" rows="4" aria-describedby="comment-hint">' \
        '</textarea>' in page
    assert '<input type="hidden" name="comment_loaded" value="">' in page
    # Too long: said beside the field, kept in the box to shorten, the answers saved.
    r = client.post(link + "/effects", data={"csrf": token, "comment": "x" * 2001,
                                             "comment_loaded": "", "effects.citizen_centric": "4"})
    assert r.status_code == 400
    assert "Kommentaren är 2001 tecken lång. Korta den till högst 2000 tecken" in r.text
    assert 'aria-invalid="true">' + "x" * 2001 + "</textarea>" in r.text
    assert store.respondent("region-x", made.token).answers == {"effects.citizen_centric": 4.0}
    # Two tabs: the first saves a comment; the second, loaded before, may not overwrite it.
    stale = re.search(r'name="comment_loaded" value="([0-9a-f]*)"',
                      client.get(link + "/effects").text).group(1)
    r = client.post(link + "/effects", data={"csrf": token, "comment": "Från flik ett",
                                             "comment_loaded": stale})
    assert r.status_code == 303
    r = client.post(link + "/effects", data={"csrf": token, "comment": "Från flik två",
                                             "comment_loaded": stale})
    assert r.status_code == 409
    assert "Kommentaren hade ändrats på annat håll" in r.text
    assert ">Från flik ett</textarea>" in r.text
    assert store.respondent("region-x", made.token).comments == {"effects": "Från flik ett"}
    # The autosave script gets the same, with the comment kept.
    r = client.post(link + "/effects", data={"csrf": token, "comment": "Från flik två",
                                             "comment_loaded": stale},
                    headers={"x-briefgen-autosave": "1"})
    assert r.status_code == 409 and r.json()["conflicts"] == {"comment.effects": "Från flik ett"}
    # A page that shows the current comment may change it, and clear it.
    current = re.search(r'name="comment_loaded" value="([0-9a-f]+)"',
                        client.get(link + "/effects").text).group(1)
    r = client.post(link + "/effects", data={"csrf": token, "comment": "  ",
                                             "comment_loaded": current},
                    headers={"x-briefgen-autosave": "1"})
    assert r.status_code == 200 and r.json()["comment_tag"] == ""
    assert store.respondent("region-x", made.token).comments == {}


def test_serve_says_what_it_sends_through_and_what_respondents_are_not_told(
        ws, monkeypatch, tmp_path):
    from briefgen.serve import server, settings

    monkeypatch.setattr(server, "run", lambda *a, **k: None)
    monkeypatch.setenv(settings.ADMIN_SECRET_ENV, SECRET)
    db = f"sqlite:///{tmp_path / 'b.db'}"
    r = CliRunner().invoke(cli, ["serve", "--database", db])
    assert r.exit_code == 0, r.output
    assert "privacy" not in r.output and "e-mail through" not in r.output
    (ws / "briefgen.toml").write_text(
        (ws / "briefgen.toml").read_text().split("[serve]")[0]
        + '[smtp]\nhost = "smtp.firma.se"\nsender = "enkat@firma.se"\n')
    r = CliRunner().invoke(cli, ["serve", "--database", db])
    assert r.exit_code == 0, r.output
    assert ("briefgen serve: e-mail through smtp.firma.se:587 as Konsultfirman AB "
            "<enkat@firma.se>") in r.output
    assert "no privacy notice ([serve] privacy in briefgen.toml)" in r.output
