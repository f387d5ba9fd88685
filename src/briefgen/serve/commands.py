"""The ``invite``, ``remind``, ``close``, ``serve``, ``export`` and ``secret`` commands
(registered by briefgen.cli).

Only click is imported here; the web stack loads when a command runs, so ``briefgen make``
starts as fast as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..cli_options import data_option
from ..errors import InputError
from ..options import LANGS
from .settings import (
    DEFAULT_DATABASE,
    DEFAULT_HOST,
    DEFAULT_PORT,
    MAX_RESPONDENTS,
    MAX_WORKERS,
    base_url_setting,
    data_folder,
    is_loopback,
    public_url,
    server_settings,
    trusted_proxies,
)

if TYPE_CHECKING:
    from .store import RoundSummary, Store


def database_option(f):
    return click.option("--database", default=None, metavar="URL",
                        help="Where the answers are kept: sqlite:///FILE, or "
                        "postgresql://USER:PASSWORD@HOST/NAME for a shared server.  [default: "
                        "[serve] database in briefgen.toml, else briefgen.db in the workspace "
                        f"folder, else {DEFAULT_DATABASE}]")(f)


def base_url_option(f):
    return click.option("--base-url", default=None, metavar="URL",
                        help="The public address of the server, e.g. https://enkat.firma.se, "
                        "that respondents' links start with.  [default: [serve] base_url in "
                        "briefgen.toml, else http://HOST:PORT]")(f)


def address_options(f):
    f = click.option("--port", type=click.IntRange(1, 65535), default=None,
                     help=f"The port the server listens on.  [default: [serve] port in "
                     f"briefgen.toml, else {DEFAULT_PORT}]")(f)
    f = click.option("--host", default=None,
                     help="The address the server listens on (0.0.0.0: every interface).  "
                     f"[default: [serve] host in briefgen.toml, else {DEFAULT_HOST}]")(f)
    return f


def mail_report(report, org: str) -> None:
    """Say what a sending did, one line each; a message the server refused stops the command
    with exit code 1 once everything else has gone."""
    from .mail import REMIND_GAP, MailError

    what = {"invitation": ("invitation", "invitations"),
            "reminder": ("reminder", "reminders")}[report.kind]
    click.echo(f"{org}: sent {len(report.sent)} {what[len(report.sent) != 1]}")
    reasons = {"invited": "already invited in this round",
               "submitted": "already submitted",
               "recent": f"written to less than {REMIND_GAP.total_seconds() / 3600:g} hours ago",
               "no_address": "no e-mail address (a link handed out by hand)",
               "closed": "the round is closed"}
    for reason, said in reasons.items():
        if found := report.skipped_for(reason):
            click.echo(f"{org}: left out {len(found)}: {said}")
    if report.failed:
        lines = [f"{address}: {why}" for address, why in report.failed]
        raise MailError(f"{len(report.failed)} {what[len(report.failed) != 1]} could not be "
                        f"sent (the others went; run the command again to try these once "
                        f"more): " + "; ".join(lines))


def mail_context(org_id: str, org_name: str, base: str):
    """The firm's mail server and what every message says; an InputError without [smtp]."""
    from .mail import Context, smtp_settings
    from .settings import engagement

    found = engagement()
    smtp = smtp_settings(firm=found.firm)
    if smtp is None:
        raise InputError("--emails: no [smtp] table in briefgen.toml: name the firm's mail "
                         "server there (host, sender; docs/serve.md), and the password in "
                         "$BRIEFGEN_SMTP_PASSWORD")
    return smtp, Context(org_id, org_name, base, found)


def open_round_of(store: Store, org: str) -> RoundSummary:
    """The organisation's open round, or an error naming those that have one."""
    found = [r for r in store.rounds(org) if r.is_open]
    if not found:
        open_orgs = sorted({r.org_id for r in store.rounds() if r.is_open})
        raise InputError(f"--org: '{org}' has no open round in {store.shown_url} "
                         f"(organisations with one: {', '.join(open_orgs) or 'none'})")
    return found[0]


def _links_base(host: str, port: int, base_url: str | None) -> str:
    base = public_url(host, port, base_url_setting(base_url))
    if base is None:
        raise InputError(f"--host {host} is every interface, not an address a respondent can "
                         "open; give the server's public address with --base-url, e.g. "
                         "--base-url https://enkat.firma.se")
    return base


@click.command()
@click.option("--org", "org", required=True, metavar="ID|FILE",
              help="An organisation id in DATA/orgs, or the path of a profile: its name and "
              "level go with the answers.")
@click.option("--respondents", type=click.IntRange(1, MAX_RESPONDENTS), default=None,
              help="How many personal links to make and print (handed out by hand).")
@click.option("--emails", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE.csv", help="Invite by e-mail instead: a CSV with the columns "
              "email, name and optionally role and lang; each person gets their own link "
              "from the firm's mail server ([smtp] in briefgen.toml), once per round.")
@click.option("--role", default=None, metavar="ROLE",
              help="The respondents' role, e.g. Ledningsgruppen (for --emails: of those the "
              "list gives none). The briefing shows a role on its own only from "
              "surveys.min_group_size respondents (rules.yaml; 5 as shipped).")
@click.option("--lang", type=click.Choice(LANGS), default="sv", show_default=True,
              help="Language of the form these respondents see (and of their e-mail).")
@address_options
@base_url_option
@database_option
@data_option
def invite(org: str, respondents: int | None, emails: Path | None, role: str | None,
           lang: str, host: str, port: int, base_url: str | None, database: str,
           data: Path | None) -> None:
    """Add respondents to an organisation's open round: print one personal link per line, or
    send each person on an e-mail list their own link.

    The first invitation opens a round; a closed round is followed by a new one, whose answers
    make the earlier round the briefing's previous assessment. A link is given only now: the
    database keeps only a hash of each. By e-mail, nobody is invited twice in a round: run
    the same list again after a failure and only those whose invitation failed are sent one.

    \b
    Examples:
      briefgen invite --org region-x --respondents 5 --lang sv
      briefgen invite --org region-x --respondents 2 --role IT --base-url https://enkat.firma.se
      briefgen invite --org region-x --emails ledningen.csv --base-url https://enkat.firma.se
    """
    if (respondents is None) == (emails is None):
        raise InputError("invite: give --respondents N (links to hand out) or --emails "
                         "FILE.csv (invitations by e-mail), one of them")
    from ..survey.read import role_problem

    role = " ".join(role.split()) if role else None
    if role and (problem := role_problem(role)):
        raise InputError(f"--role: {problem}")
    host, port, database = server_settings(host, port, database)
    data = data_folder(data)
    base = _links_base(host, port, base_url)
    from ..load import load_data, load_org
    from .store import open_store

    profile = load_org(org, load_data(data))
    if emails is not None:
        from .mail import invite_by_mail, read_people

        people = read_people(emails, lang, role)
        smtp, context = mail_context(profile.id, profile.name, base)
        report = invite_by_mail(open_store(database), smtp, profile.id, profile.name,
                                profile.profile.level, people, context)
        mail_report(report, profile.id)
        return
    assert respondents is not None
    store = open_store(database)
    for made in store.invite(profile.id, profile.name, profile.profile.level, respondents,
                             lang, role):
        click.echo(base + made.path())


@click.command()
@click.option("--org", "org", required=True, metavar="ID",
              help="The organisation whose open round to remind.")
@address_options
@base_url_option
@database_option
@data_option
def remind(org: str, host: str, port: int, base_url: str | None, database: str,
           data: Path | None) -> None:
    """Remind by e-mail everyone of the organisation's open round who has not submitted.

    Only those invited with an address are written to, each with a new personal link (the
    earlier ones keep working) and the deadline; nobody who got a message within the last
    20 hours is written to again, so a second run by mistake sends nothing.

    \b
    Example:
      briefgen remind --org region-x --base-url https://enkat.firma.se
    """
    host, port, database = server_settings(host, port, database)
    base = _links_base(host, port, base_url)
    from .mail import remind_by_mail
    from .store import open_store

    store = open_store(database)
    this = open_round_of(store, org)
    smtp, context = mail_context(org, this.org_name, base)
    mail_report(remind_by_mail(store, smtp, org, this.org_name, context), org)


@click.command()
@address_options
@database_option
@data_option
@click.option("--lang", type=click.Choice(LANGS), default="sv", show_default=True,
              help="Language of the admin pages (each respondent sees the form in the "
              "language of the invitation).")
@base_url_option
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS), default=1, show_default=True,
              help="Server processes, each with its own connections to the database; no "
              "answer is lost with several, on SQLite (WAL) as on PostgreSQL.")
@click.option("--trusted-proxy", "trusted", multiple=True, metavar="IP",
              help="The address of a reverse proxy whose X-Forwarded-For and "
              "X-Forwarded-Proto headers are believed (repeatable).  [default: [serve] "
              "trusted_proxies in briefgen.toml, else none]")
def serve(host: str, port: int, database: str, data: Path | None, lang: str,
          base_url: str | None, workers: int, trusted: tuple[str, ...]) -> None:
    """Run the web form and the admin pages (uvicorn), answers kept in --database.

    Respondents open their personal links; the consultant signs in at /admin with the secret
    from $BRIEFGEN_ADMIN_SECRET or [serve] admin_secret in ./briefgen.toml (at least 20
    characters: briefgen secret prints one). On the internet, run it behind a TLS proxy
    (docs/serve.md).

    \b
    Examples:
      briefgen serve                                   # http://127.0.0.1:8000, ./briefgen.db
      briefgen serve --workers 4 --base-url https://enkat.firma.se --trusted-proxy 127.0.0.1 \\
          --database postgresql://briefgen@db.firma.se/briefgen
    """
    host, port, database = server_settings(host, port, database)
    data = data_folder(data)
    base = public_url(host, port, base_url_setting(base_url))
    proxies = trusted_proxies(trusted)
    from .server import ServeSettings, build_app, run

    settings = ServeSettings(database, data, lang, base, proxies)
    app = build_app(settings)            # bad settings stop here, before any worker starts
    click.echo(f"briefgen serve: http://{host}:{port} (admin: /admin), answers in "
               f"{app.state.store.shown_url}", err=True)
    config = app.state.config
    if config.smtp is not None:
        click.echo(f"briefgen serve: e-mail through {config.smtp.shown} as "
                   f"{config.smtp.sender}", err=True)
    if not config.engagement.privacy:
        click.echo("briefgen serve: no privacy notice ([serve] privacy in briefgen.toml): "
                   "respondents are not told who is responsible for their answers or how long "
                   "they are kept", err=True)
    if app.state.config.admin_secret is None:
        click.echo("briefgen serve: no admin secret, so /admin stays closed; set "
                   "BRIEFGEN_ADMIN_SECRET or [serve] admin_secret in briefgen.toml", err=True)
    if not is_loopback(host) and not base_url_setting(base_url):
        click.echo(f"briefgen serve: warning: listening on {host}, reachable from other "
                   "machines, without --base-url: links made on the admin page "
                   + (f"point at {base}" if base else "cannot be made")
                   + "; give the public https:// address with --base-url and put a TLS "
                   "proxy in front (docs/serve.md)", err=True)
    run(settings, host, port, workers, app=app if workers == 1 else None)


@click.command()
def secret() -> None:
    """Print a new random admin secret (40 characters) for BRIEFGEN_ADMIN_SECRET.

    \b
    Example:
      export BRIEFGEN_ADMIN_SECRET="$(briefgen secret)"
    """
    import secrets

    click.echo(secrets.token_urlsafe(30))


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              metavar="FILE", help="The file to write: .xlsx or .csv, in the survey format "
              "make --survey reads.")
@click.option("--org", "org", default=None, metavar="ID",
              help="Only this organisation (default: every organisation).")
@database_option
@data_option
def export(out: Path, org: str | None, database: str, data: Path | None) -> None:
    """Write the submitted answers as a survey: one row per respondent, every round.

    Each row carries the respondent's role and their comment on each part (columns role and
    comment.PART): briefgen review --survey lists the comments; they never reach the
    briefing unless quoted there.

    \b
    Examples:
      briefgen export --out svar.xlsx
      briefgen export --out region-x.csv --org region-x
      briefgen make --org region-x --survey svar.xlsx
    """
    _, _, database = server_settings(None, None, database)
    data = data_folder(data)
    from ..load import load_data
    from .questions import write_survey
    from .store import open_store

    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise InputError(f"--out: '{out}' must end in .xlsx or .csv")
    store = open_store(database)
    people = store.submitted(org)
    if not people:
        which = f" for '{org}'" if org else ""
        raise InputError(f"--database: no submitted answers{which} in {database}; nothing "
                         "written")
    n = write_survey(out, people, load_data(data).framework)
    orgs = len({p["org_id"] for p in people})
    click.echo(f"{out}: {n} respondent{'s' * (n != 1)}, {orgs} organisation{'s' * (orgs != 1)}")


@click.command()
@click.option("--org", "org", required=True, metavar="ID",
              help="The organisation whose open round to close.")
@database_option
def close(org: str, database: str) -> None:
    """Close the organisation's open round, as the admin page's button does.

    Its links stop working; the respondents' names and e-mail addresses are erased, from the
    message log too; the submitted answers stay, each under a number, for briefgen export.

    \b
    Example:
      briefgen close --org region-x
    """
    _, _, database = server_settings(None, None, database)
    from .store import open_store

    store = open_store(database)
    this = open_round_of(store, org)
    store.close_round(this.id)
    done = this.counts["submitted"]
    click.echo(f"{org}: round {this.number} closed; {done} of {this.total} submitted; its "
               "links no longer work, and names and e-mail addresses are erased")


COMMANDS = (invite, remind, close, serve, export, secret)
