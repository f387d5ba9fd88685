"""Invitations and reminders by e-mail, through the firm's own mail server.

``[smtp]`` in briefgen.toml names the server (``host``, ``port``, ``sender``, ``username``,
``security``: STARTTLS, TLS from the first byte, or none); the password comes from
``$BRIEFGEN_SMTP_PASSWORD`` only. Each person gets their own message, in their language, from
the firm, with their personal link and the deadline.

Nobody is written to twice by mistake: before a message goes, :meth:`Store.claim
<briefgen.serve.store.Store.claim>` logs it in one transaction that locks the respondent and
refuses a second invitation, or a reminder within :data:`REMIND_GAP` of the last message; the
log keeps to whom, when, what kind and what the server said, never the link. A message the
server refuses is named, and the others still go.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from ..config import SMTP_PASSWORD_ENV
from ..errors import BriefgenError, InputError
from ..options import LANGS
from .settings import Engagement, is_loopback
from .store import Claim, Invitation, Person, Skipped, Store
from .words import UiText

log = logging.getLogger(__name__)

# A reminder goes at most once within this time of the last message to the same person
# (an invitation included): a second run by mistake, or the CLI and the admin page at once,
# writes to nobody twice. 20 hours, so that a reminder a day may go at any hour.
REMIND_GAP = dt.timedelta(hours=20)
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
MAX_PEOPLE = 2000         # rows of one e-mail list


class MailError(BriefgenError):
    """The mail server cannot be used at all (nothing was sent)."""

    exit_code = 1


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "starttls"
    timeout: float = 30.0

    @property
    def shown(self) -> str:
        return f"{self.host}:{self.port}"


def smtp_settings(cwd: Path | None = None, firm: str | None = None) -> SmtpSettings | None:
    """``[smtp]`` of the workspace's briefgen.toml with the password from the environment;
    None when there is no ``[smtp]``. The sender is shown with the firm's name if it has no
    name of its own."""
    from ..config import workspace_config

    config = workspace_config(start=cwd or Path.cwd())
    if config is None or config.smtp is None:
        return None
    smtp = config.smtp
    where = f"{config.path.name}: [smtp]"
    password = os.environ.get(SMTP_PASSWORD_ENV) or None
    if smtp.username and not password:
        raise InputError(f"{where}: username is {smtp.username!r} but {SMTP_PASSWORD_ENV} is "
                         "not set; export the password in that variable (it is never read "
                         "from briefgen.toml)")
    if smtp.username and smtp.security == "none" and not is_loopback(smtp.host):
        raise InputError(f"{where}: security = \"none\" would send the password in clear to "
                         f"{smtp.host}; use \"starttls\" or \"tls\"")
    name, address = parseaddr(smtp.sender)
    firm = firm or (config.firm.name if config.firm else None)
    sender = str(Address(name or firm or "", addr_spec=address))
    return SmtpSettings(host=smtp.host, sender=sender,
                        port=smtp.port or DEFAULT_PORTS[smtp.security],
                        username=smtp.username, password=password, security=smtp.security,
                        timeout=smtp.timeout)


class Mailer:
    """One connection to the mail server, opened on entering, with TLS as configured."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        s = self.settings
        context = ssl.create_default_context()     # the system's CAs, or $SSL_CERT_FILE
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                      context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            smtp.ehlo()
            if s.security == "starttls":
                if not smtp.has_extn("starttls"):
                    smtp.close()
                    raise MailError(f"[smtp] {s.shown} does not offer STARTTLS; set security "
                                    "= \"tls\" for TLS from the start (port 465), or \"none\" "
                                    "for a server on this machine")
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"[smtp] {s.shown} refused the sign-in of {s.username!r}: "
                            f"{_said(exc)}") from None
        except ssl.SSLError as exc:
            raise MailError(f"[smtp] {s.shown}: TLS failed ({exc.reason or exc}); a "
                            "certificate from the firm's own CA is trusted through "
                            "SSL_CERT_FILE") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"[smtp] cannot reach the mail server {s.shown}: "
                            f"{_said(exc)}") from None
        self.smtp = smtp

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server; an exception says why it did not take it."""
        if self.smtp is not None and self.smtp.sock is None:
            self.smtp = None         # a 421 for the last message closed the connection
        if self.smtp is None:
            self.connect()
        assert self.smtp is not None
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self.smtp = None         # the next message opens a new connection
            raise

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def _said(exc: BaseException) -> str:
    """What the server or the network said, in one line."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {_text(text)}" for code, text in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return " ".join(str(exc).split()) or type(exc).__name__


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(text.split())


# --------------------------------------------------------------------------- the messages


@dataclass(frozen=True)
class Context:
    """What every message of one sending says besides the person and the link."""

    org_id: str
    org_name: str
    base_url: str
    engagement: Engagement


def compose(kind: str, to: str, name: str | None, lang: str, link: str, sender: str,
            context: Context) -> EmailMessage:
    """One invitation or reminder, in ``lang``, as plain text."""
    t = UiText(lang)
    e = context.engagement
    values = {"org": context.org_name, "deadline": t.date(e.deadline) if e.deadline else ""}
    lines = [t("mail_greeting_name", name=name) if name else t("mail_greeting"), "",
             t(f"mail_{kind}_lead", **values), "", t("mail_link_intro"), link, ""]
    if e.deadline:
        lines.append(t("mail_deadline", **values))
    lines.append(t(f"mail_{kind}_how"))
    if e.privacy:
        lines += ["", t("mail_privacy", url=f"{context.base_url}/privacy/{lang}")]
    lines += ["", t("mail_signature")]
    lines += [e.firm] if e.firm else []
    lines += [e.contact] if e.contact else []
    subject = t(f"mail_{kind}_subject", **values)
    if e.deadline:
        subject += t("mail_subject_deadline", **values)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = str(Address(name or "", addr_spec=to))
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message.set_content("\n".join(lines) + "\n")
    return message


# --------------------------------------------------------------------------- sending


@dataclass
class Report:
    """What one sending did: who got a message, whose failed (and why), who was left out."""

    kind: str
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)      # address, reason
    skipped: list[Skipped] = field(default_factory=list)

    def skipped_for(self, reason: str) -> list[Skipped]:
        return [s for s in self.skipped if s.reason == reason]


def invite_by_mail(store: Store, smtp: SmtpSettings, org_id: str, org_name: str, level: str,
                   people: list[Person], context: Context) -> Report:
    """Add each person to the open round and send them their invitation: once, ever, per
    round (a person whose invitation failed gets one with a new link when run again)."""
    todo, skipped = store.invite_people(org_id, org_name, level, people)
    report = Report("invitation", skipped=skipped)
    if not todo:
        return report
    with Mailer(smtp) as mailer:
        for made in todo:
            claim = store.claim(made.respondent_id, "invitation", new_link=not made.token)
            _deliver(store, mailer, smtp, claim, made, context, report)
    return report


def remind_by_mail(store: Store, smtp: SmtpSettings, org_id: str, org_name: str,
                   context: Context) -> Report:
    """Remind everyone of the open round who has an address and has not submitted, unless
    written to within :data:`REMIND_GAP`. Each reminder carries a new link (the database
    holds none of the old ones); every earlier link keeps working."""
    todo, skipped = store.to_remind(org_id)
    report = Report("reminder", skipped=skipped)
    if not todo:
        return report
    with Mailer(smtp) as mailer:
        for respondent_id in todo:
            claim = store.claim(respondent_id, "reminder", gap=REMIND_GAP, new_link=True)
            _deliver(store, mailer, smtp, claim, None, context, report)
    return report


def _deliver(store: Store, mailer: Mailer, smtp: SmtpSettings, claim: Claim | Skipped,
             made: Invitation | None, context: Context, report: Report) -> None:
    if isinstance(claim, Skipped):
        report.skipped.append(claim)
        return
    token = claim.token or (made.token if made else "")
    link = f"{context.base_url}/a/{context.org_id}/{token}"
    try:
        mailer.send(compose(report.kind, claim.email, claim.name, claim.lang, link,
                            smtp.sender, context))
    except (OSError, smtplib.SMTPException, ValueError, MailError) as exc:
        # MailError: the connection dropped and could not be opened again. The message is
        # logged as failed, not left "sending", so that running again sends it.
        reason = _said(exc)
        store.finish(claim.message_id, reason)
        report.failed.append((claim.email, reason))
        log.warning("%s to %s failed: %s", report.kind, claim.email, reason)
        return
    store.finish(claim.message_id)
    report.sent.append(claim.email)


# --------------------------------------------------------------------------- the e-mail list


def read_people(path: Path, lang: str, role: str | None = None) -> list[Person]:
    """The people of an e-mail list (CSV: ``email``, ``name``, optional ``role`` and
    ``lang``), every row checked; :class:`InputError` lists every problem at once."""
    import csv
    import io

    from ..reading import display_path, open_regular
    from ..tabular import csv_delimiter

    name = display_path(path)
    if path.suffix.lower() != ".csv":
        raise InputError(f"--emails: '{name}' must be a .csv file (columns email, name, and "
                         "optionally role and lang)")
    try:
        with open_regular(path, name) as fh:
            text = fh.read(2_000_000).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start}); save it as CSV "
                         "UTF-8") from None
    rows = list(csv.reader(io.StringIO(text), delimiter=csv_delimiter(text.split("\n", 1)[0])))
    return parse_people(rows, name, lang, role)


@dataclass(frozen=True)
class Problem:
    """One problem of an e-mail list: the row, the column, what is wrong (``address``,
    ``twice``, ``name``, ``role``, ``lang``), the value, and a detail (the other row, or why
    a role cannot be one)."""

    row: int
    field: str
    code: str
    value: str
    detail: str = ""

    def english(self, name: str) -> str:
        """The problem as the CLI says it: ``people.csv: row 3: email: ...``."""
        said = {"address": address_problem(self.value) or "",
                "twice": f"{self.value} is on row {self.detail} too; one row per person",
                "name": "at most 200 printable characters",
                "role": self.detail,
                "lang": f"'{self.value}' is not allowed (allowed: {', '.join(LANGS)})"}
        return f"{name}: row {self.row}: {self.field}: {said[self.code]}"


def parse_people(rows: list[list[str]], name: str, lang: str,
                 role: str | None = None) -> list[Person]:
    """People from table rows, the first the header; ``role`` for those the list gives none.
    :class:`InputError` lists every problem at once."""
    from ..reading import did_you_mean

    allowed = ("email", "name", "role", "lang")
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError(f"{name}: no header row (allowed columns: {', '.join(allowed)})")
    header = [cell.strip().lower() for cell in rows[0]]
    problems = [f"{name}: row 1: unknown column '{h}'{did_you_mean(h, list(allowed))}"
                f" (allowed: {', '.join(allowed)})" for h in header if h and h not in allowed]
    if "email" not in header:
        problems.append(f"{name}: row 1: no column 'email' (the columns: email, name, "
                        "optionally role and lang)")
    if problems:
        raise InputError(problems)
    body = [(n, dict(zip(header, row, strict=False))) for n, row in enumerate(rows[1:], 2)
            if any(c.strip() for c in row)]
    if not body:
        raise InputError(f"{name}: no one to invite: one row per person below the header")
    if len(body) > MAX_PEOPLE:
        raise InputError(f"{name}: {len(body)} people; at most {MAX_PEOPLE} in one list")
    people, found = check_people(body, lang, role)
    if found:
        raise InputError([p.english(name) for p in found])
    return people


def check_people(body: list[tuple[int, dict[str, str]]], lang: str,
                 role: str | None = None) -> tuple[list[Person], list[Problem]]:
    """Check each row (its number, its cells by column) of an e-mail list."""
    from ..survey.read import role_problem

    people: list[Person] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for n, cells in body:
        address = cells.get("email", "").strip().lower()
        who = " ".join(cells.get("name", "").split())
        their_role = " ".join(cells.get("role", "").split()) or (role or "")
        their_lang = cells.get("lang", "").strip().lower() or lang
        if address_problem(address):
            problems.append(Problem(n, "email", "address", address))
        elif address in seen:
            problems.append(Problem(n, "email", "twice", address, str(seen[address])))
        else:
            seen[address] = n
        if len(who) > 200 or any(not c.isprintable() for c in who):
            problems.append(Problem(n, "name", "name", who))
        if said := role_problem(their_role):
            problems.append(Problem(n, "role", "role", their_role, said))
        if their_lang not in LANGS:
            problems.append(Problem(n, "lang", "lang", their_lang))
        people.append(Person(address, who or None, their_role or None, their_lang))
    return people, problems


def address_problem(address: str) -> str | None:
    """Why ``address`` is not an e-mail address a message can go to, or None."""
    if not address:
        return "missing"
    if not address.isascii():
        return (f"'{address[:80]}' has letters outside ASCII, which few mail servers accept; "
                "give the address the recipient's organisation uses for mail from outside")
    local, at, domain = address.rpartition("@")
    if (not at or not local or "@" in local or "." not in domain.strip(".") or len(address) > 254
            or any(c.isspace() or not c.isprintable() or c in "<>(),;:\"[]\\" for c in address)
            or domain.startswith(".") or domain.endswith(".") or ".." in domain):
        return f"'{address[:80]}' is not an e-mail address (allowed: namn@exempel.se)"
    return None
