"""Invitations and reminders by e-mail, against a real SMTP server on loopback (aiosmtpd).

The server is aiosmtpd in this process, on 127.0.0.1: plain, STARTTLS with a self-signed
certificate and a password, and TLS from the first byte. The commands run through the CLI in a
real workspace (briefgen.toml with [firm], [serve] and [smtp]); each message is read back as
the server received it, and its link is followed with the test client against the same
database.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from starlette.testclient import TestClient

from briefgen.cli import cli
from briefgen.errors import InputError
from briefgen.load import load_data
from briefgen.serve.app import Config, create_app
from briefgen.serve.mail import (
    REMIND_GAP,
    Context,
    MailError,
    SmtpSettings,
    remind_by_mail,
    smtp_settings,
)
from briefgen.serve.questions import all_keys, sections
from briefgen.serve.settings import Engagement, engagement
from briefgen.serve.store import messages, open_store

from .loopback import Inbox, free_port, smtp_server

aiosmtpd = pytest.importorskip("aiosmtpd", reason="aiosmtpd is a test extra")
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

pytestmark = pytest.mark.timeout(120)

BASE = "https://enkat.firma.se"
SECRET = "a-long-admin-secret-for-tests"
PASSWORD = "smtp-password-from-the-environment"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Path:
    """A self-signed certificate for 127.0.0.1 (and its key beside it)."""
    tmp = tmp_path_factory.mktemp("cert")
    done = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"), "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return tmp / "cert.pem"


def server_context(certificate: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, certificate.parent / "key.pem")
    return context


PRIVACY_SV = """# Personuppgiftsansvar

Konsultfirman AB ansvarar för svaren. Vi sparar dem i tolv månader.

Frågor: dataskydd@konsultfirman.se
"""


def workspace(folder: Path, port: int, security: str = "none", username: str | None = None,
              deadline: str = "2026-12-15") -> Path:
    """A workspace whose briefgen.toml names the firm, the deadline, the privacy notice and
    the loopback mail server."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "integritet.md").write_text(PRIVACY_SV, "utf-8")
    user = f'username = "{username}"\n' if username else ""
    (folder / "briefgen.toml").write_text(f"""\
[firm]
name = "Konsultfirman AB"
contact = "Anna Konsult, 08-123 45 67"

[serve]
deadline = {deadline}
privacy = "integritet.md"

[smtp]
host = "127.0.0.1"
port = {port}
sender = "enkat@konsultfirman.se"
security = "{security}"
timeout = 10
{user}""", "utf-8")
    return folder


def people_csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "name", "role", "lang"])
        writer.writerows(rows)
    return path


PEOPLE = [("anna.berg@region-x.se", "Anna Berg", "Ledningen", ""),
          ("Bo.Ek@Region-X.se", "Bo Ek", "", ""),
          ("carl.dahl@region-x.se", "Carl Dahl", "IT", "en")]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def text_of(message) -> str:
    """A message's text as the recipient reads it (lines end in CRLF on the wire)."""
    return message.get_content().replace("\r\n", "\n")


def link_of(message) -> str:
    found = re.findall(r"https://enkat\.firma\.se(/a/region-x/[A-Za-z0-9_-]{43})\b",
                       text_of(message))
    assert len(found) == 1, text_of(message)
    return found[0]


@pytest.fixture
def plain(tmp_path, monkeypatch):
    """A plain SMTP server on loopback and a workspace that sends through it."""
    inbox = Inbox()
    with smtp_server(inbox) as controller:
        ws = workspace(tmp_path / "ws", controller.port)
        monkeypatch.chdir(ws)
        yield inbox, ws, f"sqlite:///{ws / 'briefgen.db'}"


def client_for(database: str) -> TestClient:
    config = Config(store=open_store(database), bundle=load_data(), admin_secret=SECRET,
                    base_url=BASE, engagement=engagement())
    return TestClient(create_app(config), follow_redirects=False)


def submit_all(client: TestClient, link: str) -> None:
    page = client.get(link + "/capabilities")
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    r = client.post(f"{link}/importance", data={"csrf": token, "importance": "top3"})
    assert r.status_code == 303
    for section in sections(load_data().framework):
        data = dict.fromkeys(section.keys, "3")
        assert client.post(f"{link}/{section.key}", data={"csrf": token, **data}
                           ).status_code == 303
    assert client.post(link + "/submit", data={"csrf": token}).status_code == 303


def age_messages(database: str, hours: float) -> None:
    """Move every logged message ``hours`` into the past (the test does not wait a day)."""
    store = open_store(database)
    with store.write() as conn:
        for row in conn.execute(sa.select(messages.c.id, messages.c.sent_at)).all():
            conn.execute(messages.update().where(messages.c.id == row.id).values(
                sent_at=row.sent_at - dt.timedelta(hours=hours)))


# --------------------------------------------------------------------------- invite and remind


def test_invitations_go_to_exactly_the_list_with_working_links_and_never_twice(plain, tmp_path):
    inbox, ws, database = plain
    people = people_csv(tmp_path / "ledningen.csv", PEOPLE)
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    r = run("invite", "--org", "region-x", "--emails", str(people), "--base-url", BASE,
            "--database", database)
    assert r.exit_code == 0, r.output
    assert r.output == "region-x: sent 3 invitations\n"
    assert inbox.greetings == 1                       # one connection for the three
    assert sorted(x for m in inbox.received for x in m["to"]) == [
        "anna.berg@region-x.se", "bo.ek@region-x.se", "carl.dahl@region-x.se"]
    mails = inbox.by_address()
    anna, carl = mails["anna.berg@region-x.se"], mails["carl.dahl@region-x.se"]
    assert anna["From"] == "Konsultfirman AB <enkat@konsultfirman.se>"
    assert anna["To"] == "Anna Berg <anna.berg@region-x.se>"
    assert anna["Subject"] == ("Självskattning av digital transformation för Region X – svara "
                               "senast 15 december 2026")
    body = text_of(anna)
    assert body.startswith("Hej Anna Berg,\n") and "Svara senast 15 december 2026." in body
    assert f"Så behandlas dina svar: {BASE}/privacy/sv" in body
    assert body.rstrip().endswith("Konsultfirman AB\nAnna Konsult, 08-123 45 67")
    assert carl["Subject"].startswith("Self-assessment of digital transformation for Region X")
    assert "Please answer by 15 December 2026." in text_of(carl)
    # Each link is the person's own, and opens their form in their language.
    client = client_for(database)
    links = {address: link_of(m) for address, m in mails.items()}
    assert len(set(links.values())) == 3
    page = client.get(links["carl.dahl@region-x.se"])
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert "Please answer by 15 December 2026" in page.text
    page = client.get(links["anna.berg@region-x.se"] + "/capabilities")
    assert "Svara senast 15 december 2026" in page.text
    assert 'href="/privacy/sv"' in page.text and "Genomförs av Konsultfirman AB" in page.text
    # The log says to whom and when, never the link; the database holds no link at all.
    log = open_store(database).message_log("region-x")
    assert [(m.kind, m.recipient, m.status) for m in log] == [
        ("invitation", a, "sent") for a in ("anna.berg@region-x.se", "bo.ek@region-x.se",
                                            "carl.dahl@region-x.se")]
    assert all(started <= m.sent_at <= started + dt.timedelta(minutes=2) for m in log)
    stored = b"".join(p.read_bytes() for p in ws.glob("briefgen.db*"))
    assert not any(link.rsplit("/", 1)[1].encode() in stored for link in links.values())
    # The same list again: nobody is written to twice.
    again = run("invite", "--org", "region-x", "--emails", str(people), "--base-url", BASE,
                "--database", database)
    assert again.exit_code == 0, again.output
    assert again.output == ("region-x: sent 0 invitations\n"
                            "region-x: left out 3: already invited in this round\n")
    assert len(inbox.received) == 3
    # Roles travel with the respondents.
    assert {f.email: f.role for f in open_store(database).follow_up(
        [open_store(database).rounds("region-x")[0].id])[1]} == {
        "anna.berg@region-x.se": "Ledningen", "bo.ek@region-x.se": None,
        "carl.dahl@region-x.se": "IT"}


def test_a_reminder_skips_those_who_submitted_and_is_not_sent_twice(plain, tmp_path):
    inbox, ws, database = plain
    people = people_csv(tmp_path / "ledningen.csv", PEOPLE)
    assert run("invite", "--org", "region-x", "--emails", str(people), "--base-url", BASE,
               "--database", database).exit_code == 0
    first = {address: link_of(m) for address, m in inbox.by_address().items()}
    client = client_for(database)
    submit_all(client, first["bo.ek@region-x.se"])
    # Right after the invitations a reminder would be a second message the same day.
    r = run("remind", "--org", "region-x", "--base-url", BASE, "--database", database)
    assert r.exit_code == 0, r.output
    assert r.output == ("region-x: sent 0 reminders\n"
                        "region-x: left out 1: already submitted\n"
                        "region-x: left out 2: written to less than 20 hours ago\n")
    age_messages(database, REMIND_GAP.total_seconds() / 3600 + 1)
    inbox.received.clear()
    r = run("remind", "--org", "region-x", "--base-url", BASE, "--database", database)
    assert r.exit_code == 0, r.output
    assert r.output == ("region-x: sent 2 reminders\n"
                        "region-x: left out 1: already submitted\n")
    assert sorted(m["to"][0] for m in inbox.received) == ["anna.berg@region-x.se",
                                                          "carl.dahl@region-x.se"]
    reminder = inbox.by_address()["anna.berg@region-x.se"]
    assert reminder["Subject"] == "Påminnelse: självskattning för Region X – svara senast " \
        "15 december 2026"
    assert "Vi har ännu inte fått dina svar" in text_of(reminder)
    # The reminder's link is a new one; the invitation's still works.
    new = link_of(reminder)
    assert new != first["anna.berg@region-x.se"]
    assert client.get(new).status_code == 200
    assert client.get(first["anna.berg@region-x.se"]).status_code == 200
    # Once submitted through the reminder's link, every link of the person is gone.
    submit_all(client, new)
    assert client.get(first["anna.berg@region-x.se"]).status_code == 404
    # Run again at once: nobody is written to twice.
    again = run("remind", "--org", "region-x", "--base-url", BASE, "--database", database)
    assert again.output == ("region-x: sent 0 reminders\n"
                            "region-x: left out 2: already submitted\n"
                            "region-x: left out 1: written to less than 20 hours ago\n")
    assert len(inbox.received) == 2
    kinds = [(m.kind, m.recipient) for m in open_store(database).message_log()]
    assert kinds.count(("reminder", "anna.berg@region-x.se")) == 1


def test_a_refused_address_is_named_and_the_others_are_sent(plain, tmp_path, caplog):
    inbox, ws, database = plain
    inbox.refuse.add("bo.ek@region-x.se")
    people = people_csv(tmp_path / "ledningen.csv", PEOPLE)
    caplog.set_level(logging.WARNING, logger="briefgen.serve.mail")
    r = run("invite", "--org", "region-x", "--emails", str(people), "--base-url", BASE,
            "--database", database)
    assert r.exit_code == 1
    assert [m.getMessage() for m in caplog.records if m.name == "briefgen.serve.mail"] == [
        "invitation to bo.ek@region-x.se failed: 550 5.1.1 No such user here"]
    assert "region-x: sent 2 invitations" in r.output
    assert ("Error: 1 invitation could not be sent (the others went; run the command again to "
            "try these once more): bo.ek@region-x.se: 550 5.1.1 No such user here") in r.output
    assert sorted(m["to"][0] for m in inbox.received) == ["anna.berg@region-x.se",
                                                          "carl.dahl@region-x.se"]
    log = open_store(database).message_log()
    assert [(m.recipient, m.status) for m in log if m.status == "failed"] == [
        ("bo.ek@region-x.se", "failed")]
    # Run again once the address works: only the one that failed is sent, with a link.
    inbox.refuse.clear()
    r = run("invite", "--org", "region-x", "--emails", str(people), "--base-url", BASE,
            "--database", database)
    assert r.exit_code == 0, r.output
    assert r.output == ("region-x: sent 1 invitation\n"
                        "region-x: left out 2: already invited in this round\n")
    assert inbox.received[-1]["to"] == ["bo.ek@region-x.se"]
    assert client_for(database).get(link_of(inbox.received[-1]["message"])).status_code == 200


def test_after_the_server_hangs_up_the_next_message_goes_on_a_new_connection(plain, tmp_path):
    inbox, ws, database = plain
    inbox.hang_up.add("bo.ek@region-x.se")
    people = people_csv(tmp_path / "ledningen.csv", PEOPLE)
    args = ("invite", "--org", "region-x", "--emails", str(people), "--base-url", BASE,
            "--database", database)
    r = run(*args)
    assert r.exit_code == 1
    assert "region-x: sent 2 invitations" in r.output
    assert "bo.ek@region-x.se: 421 4.3.2 Service shutting down" in r.output
    assert sorted(m["to"][0] for m in inbox.received) == ["anna.berg@region-x.se",
                                                          "carl.dahl@region-x.se"]


def test_a_server_gone_for_good_midway_names_each_message_as_failed(tmp_path, monkeypatch):
    inbox = Inbox()
    inbox.hang_up.add("bo.ek@region-x.se")
    with smtp_server(inbox) as controller:
        inbox.on_hang_up = controller.server.close       # no new connections from now on
        ws = workspace(tmp_path / "ws", controller.port)
        monkeypatch.chdir(ws)
        database = f"sqlite:///{ws / 'briefgen.db'}"
        people = people_csv(tmp_path / "ledningen.csv", PEOPLE)
        r = run("invite", "--org", "region-x", "--emails", str(people), "--base-url", BASE,
                "--database", database)
    assert r.exit_code == 1
    assert "region-x: sent 1 invitation\n" in r.output
    assert "Error: 2 invitations could not be sent" in r.output
    assert "carl.dahl@region-x.se: [smtp] cannot reach the mail server 127.0.0.1:" in r.output
    # Logged as failed, not as perhaps sent: running again writes to both.
    assert [(m.recipient, m.status) for m in open_store(database).message_log()] == [
        ("anna.berg@region-x.se", "sent"), ("bo.ek@region-x.se", "failed"),
        ("carl.dahl@region-x.se", "failed")]


def test_two_senders_at_once_write_to_each_person_once(plain, tmp_path):
    inbox, ws, database = plain
    people = people_csv(tmp_path / "p.csv", [(f"p{i}@region-x.se", f"P {i}", "", "")
                                            for i in range(8)])
    assert run("invite", "--org", "region-x", "--emails", str(people), "--base-url", BASE,
               "--database", database).exit_code == 0
    age_messages(database, 48)
    inbox.received.clear()
    store = open_store(database)
    smtp = smtp_settings()
    context = Context("region-x", "Region X", BASE, engagement())
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(
        remind_by_mail(store, smtp, "region-x", "Region X", context))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(m["to"][0] for m in inbox.received) == sorted(
        f"p{i}@region-x.se" for i in range(8))
    assert sum(len(r.sent) for r in reports) == 8
    assert sum(len(r.skipped_for("recent")) for r in reports) == 16


# --------------------------------------------------------------------------- TLS and passwords


def test_starttls_with_a_password_from_the_environment(tmp_path, monkeypatch, certificate):
    inbox = Inbox()

    def check(server, session, envelope, mechanism, data):
        ok = (isinstance(data, LoginPassword) and data.login == b"enkat"
              and data.password == PASSWORD.encode())
        return AuthResult(success=ok, handled=False)      # not handled: aiosmtpd says 535

    with smtp_server(inbox, tls_context=server_context(certificate), require_starttls=True,
                     authenticator=check, auth_required=True) as controller:
        ws = workspace(tmp_path / "ws", controller.port, "starttls", "enkat")
        monkeypatch.chdir(ws)
        database = f"sqlite:///{ws / 'briefgen.db'}"
        people = people_csv(tmp_path / "p.csv", PEOPLE[:1])
        args = ("invite", "--org", "region-x", "--emails", str(people), "--base-url", BASE,
                "--database", database)
        # The password is read from the environment only.
        r = run(*args)
        assert r.exit_code == 2 and "BRIEFGEN_SMTP_PASSWORD is not set" in r.output
        monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", PASSWORD)
        # The self-signed certificate is not trusted until SSL_CERT_FILE names it.
        r = run(*args)
        assert r.exit_code == 1 and "TLS failed" in r.output and "SSL_CERT_FILE" in r.output
        assert inbox.received == []
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
        monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", "wrong")
        r = run(*args)
        assert r.exit_code == 1 and ("refused the sign-in of 'enkat': 535 5.7.8 "
                                     "Authentication credentials invalid") in r.output, r.output
        monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", PASSWORD)
        r = run(*args)
        assert r.exit_code == 0, r.output
    [got] = inbox.received
    assert got["tls"] and got["login"] and got["to"] == ["anna.berg@region-x.se"]
    assert client_for(database).get(link_of(got["message"])).status_code == 200


def test_tls_from_the_first_byte(tmp_path, monkeypatch, certificate):
    inbox = Inbox()
    with smtp_server(inbox, ssl_context=server_context(certificate)) as controller:
        ws = workspace(tmp_path / "ws", controller.port, "tls")
        monkeypatch.chdir(ws)
        people = people_csv(tmp_path / "p.csv", PEOPLE[:2])
        args = ("invite", "--org", "region-x", "--emails", str(people), "--base-url", BASE,
                "--database", f"sqlite:///{ws / 'briefgen.db'}")
        # The self-signed certificate is not trusted until SSL_CERT_FILE names it.
        r = run(*args)
        assert r.exit_code == 1 and inbox.received == []
        assert r.output.endswith(
            f"[smtp] 127.0.0.1:{controller.port}: TLS failed (CERTIFICATE_VERIFY_FAILED); a "
            "certificate from the firm's own CA is trusted through SSL_CERT_FILE\n"), r.output
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
        r = run(*args)
        assert r.exit_code == 0, r.output
    assert len(inbox.received) == 2 and all(m["tls"] for m in inbox.received)


def test_starttls_refused_by_a_server_that_does_not_offer_it(plain, tmp_path):
    inbox, ws, database = plain
    text = (ws / "briefgen.toml").read_text().replace('security = "none"',
                                                       'security = "starttls"')
    (ws / "briefgen.toml").write_text(text)
    r = run("invite", "--org", "region-x", "--emails",
            str(people_csv(tmp_path / "p.csv", PEOPLE[:1])), "--base-url", BASE,
            "--database", database)
    assert r.exit_code == 1 and (
        "does not offer STARTTLS; set security = \"tls\" for TLS from the start (port 465), "
        "or \"none\" for a server on this machine\n") in r.output, r.output
    assert inbox.received == []


def test_an_unreachable_server_sends_nothing_and_says_which(tmp_path, monkeypatch):
    ws = workspace(tmp_path / "ws", free_port())
    monkeypatch.chdir(ws)
    database = f"sqlite:///{ws / 'briefgen.db'}"
    r = run("invite", "--org", "region-x", "--emails",
            str(people_csv(tmp_path / "p.csv", PEOPLE[:1])), "--base-url", BASE,
            "--database", database)
    assert r.exit_code == 1 and re.search(
        r"cannot reach the mail server 127\.0\.0\.1:\d+: \[Errno 111\] Connection refused",
        r.output), r.output
    assert open_store(database).message_log() == []


def test_the_password_is_never_read_from_briefgen_toml(tmp_path, monkeypatch):
    ws = workspace(tmp_path / "ws", 2525)
    with (ws / "briefgen.toml").open("a") as fh:
        fh.write('password = "hemligt"\n')
    monkeypatch.chdir(ws)
    with pytest.raises(InputError) as caught:
        smtp_settings()
    assert str(caught.value) == (
        "briefgen.toml:15: smtp.password: the password is never kept in briefgen.toml; set "
        "the environment variable BRIEFGEN_SMTP_PASSWORD instead")
    (ws / "briefgen.toml").write_text((ws / "briefgen.toml").read_text().replace(
        'password = "hemligt"\n', 'username = "enkat"\nsecurity = "none"\n').replace(
        'host = "127.0.0.1"', 'host = "smtp.firma.se"').replace(
        'security = "none"\ntimeout', 'timeout'))
    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", PASSWORD)
    with pytest.raises(InputError, match="would send the password in clear to smtp.firma.se"):
        smtp_settings()


def test_the_mail_settings_of_the_workspace_asked_for(tmp_path, monkeypatch):
    ws = workspace(tmp_path / "ws", 2525)
    monkeypatch.chdir(tmp_path)                        # elsewhere: the folder given counts
    monkeypatch.delenv("BRIEFGEN_SMTP_PASSWORD", raising=False)
    got = smtp_settings(ws)
    assert (got.host, got.port, got.sender, got.security, got.timeout, got.username) == (
        "127.0.0.1", 2525, "Konsultfirman AB <enkat@konsultfirman.se>", "none", 10.0, None)
    assert smtp_settings(ws, firm="Firman").sender == "Firman <enkat@konsultfirman.se>"
    assert smtp_settings(tmp_path) is None
    text = (ws / "briefgen.toml").read_text()
    (ws / "briefgen.toml").write_text(text.replace('name = "Konsultfirman AB"\n', "").replace(
        "timeout = 10\n", 'username = "enkat"\n'))
    with pytest.raises(InputError) as caught:
        smtp_settings(ws)
    assert str(caught.value) == (
        "briefgen.toml: [smtp]: username is 'enkat' but BRIEFGEN_SMTP_PASSWORD is not set; "
        "export the password in that variable (it is never read from briefgen.toml)")
    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", PASSWORD)
    got = smtp_settings(ws)
    assert (got.sender, got.username, got.password, got.timeout) == (
        "enkat@konsultfirman.se", "enkat", PASSWORD, 30.0)


# --------------------------------------------------------------------------- the e-mail list


def test_every_problem_of_an_email_list_is_named(plain, tmp_path):
    inbox, ws, database = plain
    people = people_csv(tmp_path / "p.csv", [
        ("anna.berg@region-x.se", "Anna", "", ""), ("inte en adress", "", "", ""),
        ("ANNA.BERG@region-x.se", "", "", ""), ("e@x.se", "E", "R" * 41, "de"),
        ("åsa@x.se", "", "", "")])
    r = run("invite", "--org", "region-x", "--emails", str(people), "--base-url", BASE,
            "--database", database)
    assert r.exit_code == 2
    assert "p.csv: row 3: email: 'inte en adress' is not an e-mail address" in r.output
    assert "p.csv: row 4: email: anna.berg@region-x.se is on row 2 too; one row per person" \
        in r.output
    assert "p.csv: row 5: role: " in r.output and "row 5: lang: 'de' is not allowed" in r.output
    assert "row 6: email: 'åsa@x.se' has letters outside ASCII" in r.output
    assert inbox.received == [] and open_store(database).rounds() == []
    bad = tmp_path / "bad.csv"
    bad.write_text("e-mail,namn\nanna@x.se,Anna\n", "utf-8")
    r = run("invite", "--org", "region-x", "--emails", str(bad), "--base-url", BASE,
            "--database", database)
    assert r.exit_code == 2 and "unknown column 'e-mail'; did you mean 'email'?" in r.output
    r = run("invite", "--org", "region-x", "--base-url", BASE, "--database", database)
    assert r.exit_code == 2 and "give --respondents N" in r.output


def test_without_smtp_invitations_by_email_say_what_to_set(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "briefgen.toml").write_text('[firm]\nname = "Konsultfirman AB"\n', "utf-8")
    monkeypatch.chdir(ws)
    r = run("invite", "--org", "region-x", "--emails",
            str(people_csv(tmp_path / "p.csv", PEOPLE[:1])), "--base-url", BASE)
    assert r.exit_code == 2 and "no [smtp] table in briefgen.toml" in r.output


# --------------------------------------------------------------------------- the admin page


def signed_in(app) -> tuple[TestClient, str]:
    c = TestClient(app, follow_redirects=False)
    page = c.get("/admin/login")
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    assert c.post("/admin/login", data={"csrf": token, "secret": SECRET}).status_code == 303
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', c.get("/admin").text).group(1)
    return c, token


def admin_with_mail(tmp_path: Path, port: int, sender: str = "enkat@konsultfirman.se",
                    timeout: int = 10, engagement: Engagement | None = None):
    """A store, and a signed-in admin client (with its form token) of an app that sends mail
    through the SMTP server on ``port``."""
    store = open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", sender=sender,
                        timeout=timeout)
    app = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET,
                            base_url=BASE, smtp=smtp, engagement=engagement or Engagement()))
    c, token = signed_in(app)
    return store, c, token


def test_the_admin_page_invites_reminds_and_follows_up(tmp_path):
    inbox = Inbox()
    inbox.refuse.add("bo.ek@region-x.se")
    with smtp_server(inbox) as controller:
        store, c, token = admin_with_mail(
            tmp_path, controller.port, "Konsultfirman AB <enkat@konsultfirman.se>",
            engagement=Engagement(firm="Konsultfirman AB", deadline=dt.date(2026, 12, 15)))
        assert "Bjud in via e-post" in c.get("/admin").text
        lines = ("anna.berg@region-x.se; Anna Berg; Ledningen\n\n"
                 "bo.ek@region-x.se, Bo Ek\ncarl.dahl@region-x.se\tCarl Dahl\tIT\n")
        r = c.post("/admin/mail-invite", data={"csrf": token, "org": "region-x",
                                                "people": lines, "lang": "sv"})
        assert r.status_code == 200, r.text
        assert "Skickade: 2" in r.text and "Kunde inte skickas: 1" in r.text
        assert ('<ul class="people"><li><bdi>anna.berg@region-x.se</bdi></li><li><bdi>'
                "carl.dahl@region-x.se</bdi></li></ul>") in r.text
        assert "bo.ek@region-x.se</bdi>: 550 5.1.1 No such user here" in r.text
        assert sorted(m["to"][0] for m in inbox.received) == ["anna.berg@region-x.se",
                                                              "carl.dahl@region-x.se"]
        # Mistakes are said in the admin's language, beside the field, and nothing is sent.
        r = c.post("/admin/mail-invite", data={"csrf": token, "org": "regon-x",
                                                "people": "inte-en-adress\nx@y.se;" + "N" * 201,
                                                "lang": "sv"})
        assert r.status_code == 400
        assert "Rad 1: ”inte-en-adress” är ingen e-postadress." in r.text
        assert "Rad 2: namnet får vara högst 200 tecken" in r.text
        assert "Organisationen ”regon-x” finns inte. Menade du ”region-x”?" in r.text
        summary = r.text.split('<div class="error-summary" role="alert"')[1].split("</div>")[0]
        assert [re.sub(r"<[^>]+>", "", x)[:28] for x in re.findall(
            r'<li><a href="#[^"]+">.*?</a></li>', summary)] == [
            "Organisationen ”regon-x” fin", "Rad 1: ”inte-en-adress” är i",
            "Rad 2: namnet får vara högst"]
        assert ['mail-org', 'people', 'people'] == re.findall(r'href="#([^"]+)"', summary)
        assert len(inbox.received) == 2
        # Follow up: who has answered, and the last message to each.
        page = c.get("/admin").text
        assert "Svarande (3)" in page
        assert "<bdi>Anna Berg</bdi>" in page and "<bdi>Ledningen</bdi>" in page
        assert "misslyckades: 550 5.1.1 No such user here" in page
        assert f"inbjudan {dt.date.today().isoformat()}" in page
        # Remind: nobody written to within 20 hours; the failed one is reminded (a link).
        inbox.refuse.clear()
        rid = store.rounds("region-x")[0].id
        r = c.post(f"/admin/rounds/{rid}/remind", data={"csrf": token})
        assert r.status_code == 200
        assert "Skickade: 1" in r.text and "för mindre än 20 timmar sedan: 2" in r.text
        assert inbox.received[-1]["to"] == ["bo.ek@region-x.se"]
        assert "<h1>Påminnelser via e-post: <bdi>Region X</bdi></h1>" in r.text
        reminder = inbox.received[-1]["message"]
        assert reminder["Subject"].startswith("Påminnelse: självskattning för Region X")
        assert c.get(link_of(reminder)).status_code == 200        # the reminder's own link
        # Reminding is an admin's post like any other: no token, no reminder.
        assert c.post(f"/admin/rounds/{rid}/remind", data={}).status_code == 403
    # Without a mail server the page says how to set one up, and sends nothing.
    bare = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET,
                             base_url=BASE))
    c, token = signed_in(bare)
    assert "Utskick via e-post är avstängt" in c.get("/admin").text
    r = c.post("/admin/mail-invite", data={"csrf": token, "org": "region-x",
                                            "people": "x@region-x.se", "lang": "sv"})
    assert r.status_code == 400 and "Utskick via e-post är avstängt" in r.text


def test_an_unreachable_server_on_the_admin_page_sends_nothing(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")
    smtp = SmtpSettings(host="127.0.0.1", port=free_port(), security="none",
                        sender="enkat@konsultfirman.se", timeout=5)
    app = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET,
                            base_url=BASE, smtp=smtp))
    c, token = signed_in(app)
    r = c.post("/admin/mail-invite", data={"csrf": token, "org": "region-x",
                                            "people": "anna@region-x.se", "lang": "sv"})
    assert r.status_code == 502
    # the tool's own (English) words marked as English on the Swedish page
    assert ('E-postservern gick inte att använda, så inget skickades: <span lang="en">[smtp] '
            f"cannot reach the mail server 127.0.0.1:{smtp.port}: ") in r.text
    assert ">anna@region-x.se</textarea>" in r.text            # what was typed is kept
    assert store.message_log() == []
    with pytest.raises(MailError):
        remind_by_mail(store, smtp, "region-x", "Region X",
                       Context("region-x", "Region X", BASE, Engagement()))


def test_the_admin_pages_invitations_carry_working_links_the_forms_language_and_role(
        tmp_path):
    inbox = Inbox()
    with smtp_server(inbox) as controller:
        store, c, token = admin_with_mail(tmp_path, controller.port)
        # A post that gives nothing but its token: each missing field said, none invented.
        r = c.post("/admin/mail-invite", data={"csrf": token})
        assert r.status_code == 400
        assert ('<span class="visually-hidden">Fel: </span>Skriv minst en e-postadress, en '
                "per rad.</li>") in r.text
        assert "”” är inget id" in r.text
        for absent in ("Välj svenska eller engelska.", 'id="mail-role-error"',
                       'id="mail-lang-error"', "Utskick via e-post är avstängt",
                       "Länkar kan inte skapas"):
            assert absent not in r.text, absent
        # A wrong language or role is said beside its field, and what was typed is kept.
        r = c.post("/admin/mail-invite", data={"csrf": token, "org": "region-x",
                                                "people": "a@region-x.se; A",
                                                "lang": "de", "role": "R" * 41})
        assert r.status_code == 400
        assert ('id="mail-lang-error"><span class="visually-hidden">Fel: </span>Välj svenska '
                "eller engelska.</p>") in r.text
        assert ('id="mail-role-error"><span class="visually-hidden">Fel: </span>Rollen får '
                "vara högst 40 tecken") in r.text
        assert 'aria-invalid="true">a@region-x.se; A</textarea>' in r.text
        assert f'name="role" value="{"R" * 41}"' in r.text
        assert inbox.received == []
        r = c.post("/admin/mail-invite", data={
            "csrf": token, "org": " region-x ", "lang": "en", "role": "  Ledningen   IT ",
            "people": "anna@region-x.se; Anna Berg\nbo@region-x.se; Bo Ek; Kansliet"})
        assert r.status_code == 200
        assert "<h1>Inbjudningar via e-post: <bdi>Region X</bdi></h1>" in r.text
        got = inbox.by_address()
        assert got["anna@region-x.se"]["Subject"].startswith(
            "Self-assessment of digital transformation for Region X")
        assert sorted(got) == ["anna@region-x.se", "bo@region-x.se"]
        for address in got:
            link = link_of(got[address])
            assert "Dear Anna Berg" in text_of(got["anna@region-x.se"])
            assert c.get(link).status_code == 200
        rid = store.rounds("region-x")[0].id
        assert [(f.email, f.role, f.lang) for f in store.follow_up([rid])[rid]] == [
            ("anna@region-x.se", "Ledningen IT", "en"), ("bo@region-x.se", "Kansliet", "en")]


def test_a_typed_list_longer_than_a_sending_is_refused_whole(tmp_path):
    """Found by mutation testing: the page read the first 2,001 lines and invited them, the
    rest dropped unsaid."""
    inbox = Inbox()
    with smtp_server(inbox) as controller:
        store, c, token = admin_with_mail(tmp_path, controller.port)
        typed = "\n".join(f"p{i}@region-x.se" for i in range(2001))
        r = c.post("/admin/mail-invite", data={"csrf": token, "org": "region-x",
                                                "people": typed, "lang": "sv"})
        assert r.status_code == 400
        assert ("</span>Listan har 2\u00a0001 rader. Bjud in högst 2\u00a0000 personer åt "
                "gången och skicka resten i ett nytt utskick.</li>") in r.text
        assert inbox.received == [] and store.rounds() == []
    # Without a mail server or an address for links, each is said at the top of the form;
    # 2,000 lines are not too many.
    bare = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET,
                             admin_lang="en"))
    c, token = signed_in(bare)
    r = c.post("/admin/mail-invite", data={"csrf": token, "org": "region-x", "lang": "sv",
                                            "people": "\n".join(typed.split()[:2000])})
    assert r.status_code == 400 and "The list has" not in r.text
    assert ('<li><a href="#mail-h">Sending e-mail is switched off: set up [smtp] in '
            "briefgen.toml") in r.text
    assert ("<li>Links cannot be made because the server does not know its public address. "
            "Start it with --base-url") in r.text


def test_reminding_on_the_admin_page_says_why_nothing_went_in_the_admins_language(tmp_path):
    from briefgen.serve.store import Person

    store = open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")
    store.invite_people("region-x", "Region X", "regional", [Person("a@x.se", "A"),
                                                             Person("b@x.se", "B")])
    rid = store.rounds("region-x")[0].id
    port = free_port()                                    # nobody listens there
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none",
                        sender="enkat@konsultfirman.se", timeout=5)

    def post(url: str, **config) -> object:
        app = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET,
                                admin_lang="en", **config))
        c, token = signed_in(app)
        return c.post(url, data={"csrf": token})

    r = post(f"/admin/rounds/{rid}/remind", base_url=BASE)
    assert r.status_code == 400 and ('<p class="error-summary" role="alert">Reminders need '
                                     "e-mail: set up [smtp] in briefgen.toml.</p>") in r.text
    r = post(f"/admin/rounds/{rid}/remind", smtp=smtp)
    assert r.status_code == 400
    assert ('role="alert">Links cannot be made because the server does not know its public '
            "address. Start it with --base-url") in r.text
    r = post(f"/admin/rounds/{rid}/remind", smtp=smtp, base_url=BASE)
    assert r.status_code == 502
    assert ('role="alert">The mail server could not be used, so nothing was sent: [smtp] '
            f"cannot reach the mail server 127.0.0.1:{port}: ") in r.text
    r = post(f"/admin/rounds/{rid + 1}/remind", smtp=smtp, base_url=BASE)
    assert r.status_code == 404
    assert '<html lang="en">' in r.text and "<h1>Page not found</h1>" in r.text
    store.close_round(rid)
    r = post(f"/admin/rounds/{rid}/remind", smtp=smtp, base_url=BASE)
    assert r.status_code == 400 and 'role="alert">The round is closed: 2</p>' in r.text
    assert store.message_log() == []


def test_each_mistake_of_a_typed_list_is_said_on_its_line(tmp_path):
    label = {"en": "Error:", "sv": "Fel:"}
    store = open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")
    smtp = SmtpSettings(host="127.0.0.1", port=free_port(), security="none",
                        sender="enkat@konsultfirman.se", timeout=5)
    for lang, said in (("en", ["Line 1: “" + "a" * 80 + "” is not an e-mail address.",
                               "Line 3: anna@x.se is on line 2 too; one line per person.",
                               "Line 4: The role may be at most 40 characters and hold only "
                               "visible characters."]),
                       ("sv", ["Rad 3: anna@x.se står också på rad 2; en rad per person."])):
        app = create_app(Config(store=store, bundle=load_data(), admin_secret=SECRET,
                                admin_lang=lang, base_url=BASE, smtp=smtp))
        c, token = signed_in(app)
        typed = ("a" * 90 + "\nanna@x.se\nANNA@x.se; Anna\n"
                 "bo@x.se; Bo; " + "R" * 41 + "\n")
        r = c.post("/admin/mail-invite", data={"csrf": token, "org": "region-x",
                                                "people": typed, "lang": "sv"})
        assert r.status_code == 400
        for line in said:
            assert f'<span class="visually-hidden">{label[lang]} </span>{line}</li>' in r.text
    assert store.message_log() == [] and store.rounds() == []


def test_a_claim_refuses_whoever_must_not_be_written_to(tmp_path):
    from briefgen.serve.store import Claim, Person

    store = open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")
    todo, _ = store.invite_people("region-x", "Region X", "regional", [
        Person("a@x.se", "A"), Person("b@x.se", "B"), Person("c@x.se", "C")])
    a, b, c = (m.respondent_id for m in todo)
    plain = store.invite("region-x", "Region X", "regional", 1, "sv")[0]
    first = store.claim(a, "invitation")
    assert isinstance(first, Claim) and first.token is None and first.email == "a@x.se"
    store.finish(first.message_id)
    assert store.claim(a, "invitation").reason == "invited"
    assert store.claim(a, "reminder", gap=REMIND_GAP).reason == "recent"
    again = store.claim(a, "reminder", gap=dt.timedelta(0), new_link=True)
    assert isinstance(again, Claim) and len(again.token) == 43
    assert store.respondent("region-x", again.token).id == a
    failed = store.claim(b, "invitation")
    store.finish(failed.message_id, "550 no such user")
    assert isinstance(store.claim(b, "invitation"), Claim)    # a failed one may go again
    assert store.claim(plain.respondent_id, "reminder").reason == "no_address"
    keys = all_keys(load_data().framework)
    token = next(m.token for m in todo if m.respondent_id == c)
    store.save("region-x", token, dict.fromkeys(keys, 3.0), "top3")
    store.submit("region-x", token, keys)
    assert store.claim(c, "reminder").reason == "submitted"
    store.close_round(store.rounds("region-x")[0].id)
    assert store.claim(a, "reminder").reason == "closed"
    # Closing the round erased the names and addresses, in the log too.
    assert {m.recipient for m in store.message_log()} == {None}
    assert all(f.email is None and f.name is None for f in store.follow_up(
        [store.rounds("region-x")[0].id])[store.rounds("region-x")[0].id])
