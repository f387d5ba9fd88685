"""The answers' database: rounds, respondents and their answers, through SQLAlchemy.

A *round* is one assessment of one organisation: it opens with the first invitation and stays
open until it is closed. Each *respondent* of a round has a personal link whose token (256 random
bits) is stored only as its SHA-256 hash, so the database never holds a usable link; a reminder
by e-mail carries a new link (``respondent_links``), and every link of a respondent works until
the answers are submitted or the round is closed. A respondent may carry a role, a comment per
part of the form and, when invited by e-mail, a name and an address; every message sent is
logged (to whom, when, what kind, whether it went: never the link), and closing a round erases
its names and addresses. Answers are
kept one row per question, so saving one section never touches another's answers, and every
write runs in one transaction that first locks the respondent (``BEGIN IMMEDIATE`` on SQLite,
``SELECT ... FOR UPDATE`` on PostgreSQL): two tabs of one link cannot interleave their writes, and
nothing is written once the answers are submitted or the round is closed.

The schema is made by the Alembic migrations shipped in ``migrations/``; :func:`open_store`
brings any database up to date before it is used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..cells import read_text
from ..errors import InputError
from ..survey.columns import PARTS
from .settings import MAX_RESPONDENTS, normalise_database_url

log = logging.getLogger(__name__)

TOKEN_BYTES = 32            # secrets.token_urlsafe(32): 256 bits
STATUSES = ("invited", "started", "submitted")

metadata = sa.MetaData()

meta_table = sa.Table(
    "briefgen_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

rounds = sa.Table(
    "rounds", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.String(64), nullable=False, index=True),
    sa.Column("org_name", sa.String(200), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("closed_at", sa.DateTime, nullable=True),
    sa.UniqueConstraint("org_id", "number", name="uq_rounds_org_number"),
)

respondents = sa.Table(
    "respondents", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False, index=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("lang", sa.String(2), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("importance", sa.String(32), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("submitted_at", sa.DateTime, nullable=True),
    sa.Column("role", sa.String(40), nullable=True),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),
    *(sa.Column(f"comment_{part}", sa.Text, nullable=True) for part in PARTS),
    sa.UniqueConstraint("round_id", "number", name="uq_respondents_round_number"),
    sa.Index("ix_respondents_round_email", "round_id", "email", unique=True),
)

# Further links of a respondent (a reminder's, or an invitation sent again): each works as the
# first does. Only the hash is kept.
respondent_links = sa.Table(
    "respondent_links", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("respondent_id", sa.Integer, sa.ForeignKey("respondents.id"), nullable=False,
              index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Every message to a respondent: what kind, to whom, when, and whether the server took it
# ("sending" until it says; a message left so counts as sent, never to write twice).
messages = sa.Table(
    "messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("respondent_id", sa.Integer, sa.ForeignKey("respondents.id"), nullable=False,
              index=True),
    sa.Column("kind", sa.String(12), nullable=False),        # invitation | reminder
    sa.Column("recipient", sa.String(254), nullable=True),   # erased when the round closes
    sa.Column("sent_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),      # sending | sent | failed
    sa.Column("error", sa.String(300), nullable=True),
)
COMMENT_COLUMNS = {part: respondents.c[f"comment_{part}"] for part in PARTS}

answers = sa.Table(
    "answers", metadata,
    sa.Column("respondent_id", sa.Integer, sa.ForeignKey("respondents.id"), primary_key=True),
    sa.Column("key", sa.String(96), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
)

# An admin session: the cookie holds a random id, the table its hash. ``secret_tag`` ties it to
# the admin secret it was opened with, so changing the secret ends every session.
admin_sessions = sa.Table(
    "admin_sessions", metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("secret_tag", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("seen_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

# Failed sign-ins per client address, kept in the database so that every worker process
# counts the same guesses.
login_failures = sa.Table(
    "login_failures", metadata,
    sa.Column("client", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("first_at", sa.DateTime, nullable=False),
    sa.Column("locked_until", sa.DateTime, nullable=True),
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def comment_tag(text: str | None) -> str:
    """A short fingerprint of a comment as a page showed it ("" for none), sent back with the
    form so that a save can tell a comment changed there from one changed elsewhere."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16] if text \
        else ""


@dataclass(frozen=True)
class Person:
    """Someone to invite by e-mail: the address (lower case), a name and role, if known."""

    email: str
    name: str | None = None
    role: str | None = None
    lang: str = "sv"


@dataclass(frozen=True)
class Invitation:
    org_id: str
    round_number: int
    number: int
    token: str
    lang: str
    respondent_id: int = 0
    person: Person | None = None

    def path(self) -> str:
        return f"/a/{self.org_id}/{self.token}"


@dataclass(frozen=True)
class Skipped:
    """Someone not written to, and why: ``invited`` (an invitation went already),
    ``submitted``, ``recent`` (written to within the gap) or ``no_address``."""

    respondent_id: int
    number: int
    email: str | None
    reason: str


@dataclass(frozen=True)
class Claim:
    """A message about to be sent: its log entry, and the link it carries (None: the
    respondent's first link, given by the caller)."""

    message_id: int
    respondent_id: int
    number: int
    email: str
    name: str | None
    lang: str
    token: str | None


@dataclass(frozen=True)
class Follow:
    """One respondent of a round as the admin page follows them up."""

    number: int
    name: str | None
    email: str | None
    role: str | None
    lang: str
    status: str
    last_kind: str | None = None       # the last message: invitation | reminder
    last_at: dt.datetime | None = None
    last_status: str | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class Respondent:
    """A respondent whose link is live: the round is open and the answers not yet submitted."""

    id: int
    round_id: int
    round_number: int
    number: int
    org_id: str
    org_name: str
    lang: str
    status: str
    importance: str | None
    answers: dict[str, float] = field(default_factory=dict)
    role: str | None = None
    comments: dict[str, str] = field(default_factory=dict)    # part -> text

    def missing(self, keys: list[str]) -> list[str]:
        """What is still unanswered of ``keys``, the importance question first."""
        return ((["importance"] if self.importance is None else [])
                + [k for k in keys if k not in self.answers])


@dataclass(frozen=True)
class RoundSummary:
    id: int
    org_id: str
    org_name: str
    level: str
    number: int
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    counts: dict[str, int]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Saved:
    """What a save left: the respondent as stored, and the answers it did not overwrite."""

    respondent: Respondent
    conflicts: dict[str, float | str | None]    # question -> the answer saved elsewhere


class AnswersLocked(Exception):
    """The respondent has submitted, or the round was closed, while the page was open."""


class Store:
    """Every read and write of the answers' database."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"

    @property
    def shown_url(self) -> str:
        """The database's URL with its password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    # -- transactions

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (on SQLite it takes the write lock at once: no deadlock)."""
        with self.engine.connect().execution_options(briefgen_immediate=True) as conn:
            with conn.begin():
                yield conn

    @contextmanager
    def read(self, single: bool = False) -> Iterator[Connection]:
        """A read transaction; for ``single`` statement, on PostgreSQL, none at all
        (autocommit: no BEGIN and COMMIT round trips; a respondent's page reads 1.5 times
        as fast)."""
        with self.engine.connect() as conn:
            if single and not self.is_sqlite:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
                return
            with conn.begin():
                yield conn

    def server_key(self) -> bytes:
        """A random key kept in the database, for signing CSRF tokens across restarts."""
        with self.write() as conn:
            value = conn.execute(sa.select(meta_table.c.value).where(
                meta_table.c.key == "csrf_key")).scalar()
            if value is None:
                value = secrets.token_hex(32)
                conn.execute(meta_table.insert().values(key="csrf_key", value=value))
        return bytes.fromhex(value)

    # -- rounds and invitations

    def invite(self, org_id: str, org_name: str, level: str, count: int,
               lang: str, role: str | None = None) -> list[Invitation]:
        """Add ``count`` respondents (of ``role``, if given) to the organisation's open round
        (opening one if none)."""
        if not 1 <= count <= MAX_RESPONDENTS:
            raise InputError(f"--respondents: {count} is not allowed (allowed: 1 to "
                             f"{MAX_RESPONDENTS})")
        with self.write() as conn:
            round_id, number = self._open_round(conn, org_id, org_name, level)
            return [self._add(conn, round_id, number, org_id, Person("", None, role, lang))
                    for _ in range(count)]

    def _open_round(self, conn: Connection, org_id: str, org_name: str,
                    level: str) -> tuple[int, int]:
        """The organisation's open round (id, number), opened if there is none."""
        org_name = read_text(org_name)      # as a survey sheet would give it back
        if not self.is_sqlite:     # two invitations at once must not open two rounds
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                         {"key": "briefgen invite " + org_id})
        current = conn.execute(
            sa.select(rounds).where(rounds.c.org_id == org_id)
            .order_by(rounds.c.number.desc()).limit(1)).first()
        if current is None or current.closed_at is not None:
            number = 1 if current is None else current.number + 1
            inserted = conn.execute(rounds.insert().values(
                org_id=org_id, org_name=org_name, level=level, number=number,
                opened_at=now())).inserted_primary_key
            assert inserted is not None   # an INSERT always has one
            log.info("opened round %d of %s", number, org_id)
            return inserted[0], number
        # The profile may have been corrected since the round opened.
        conn.execute(rounds.update().where(rounds.c.id == current.id).values(
            org_name=org_name, level=level))
        return current.id, current.number

    def _add(self, conn: Connection, round_id: int, round_number: int, org_id: str,
             person: Person) -> Invitation:
        """A new respondent of the round, with a new link."""
        stamp = now()
        last = conn.execute(sa.select(sa.func.max(respondents.c.number)).where(
            respondents.c.round_id == round_id)).scalar() or 0
        token = secrets.token_urlsafe(TOKEN_BYTES)
        inserted = conn.execute(respondents.insert().values(
            round_id=round_id, number=last + 1, token_hash=token_hash(token), lang=person.lang,
            status="invited", created_at=stamp, updated_at=stamp, role=person.role or None,
            name=person.name or None, email=person.email or None)).inserted_primary_key
        assert inserted is not None
        return Invitation(org_id, round_number, last + 1, token, person.lang, inserted[0],
                          person if person.email else None)

    def invite_people(self, org_id: str, org_name: str, level: str,
                      people: list[Person]) -> tuple[list[Invitation], list[Skipped]]:
        """Add each person to the organisation's open round, once: someone already in it is
        not added again, but takes the name, role and language the list gives now. Returns
        whom to send an invitation (a new respondent, with the new link; or one already in
        the round, without a link: :meth:`claim` decides whether one goes, with a link of its
        own) and who has submitted already."""
        todo: list[Invitation] = []
        skipped: list[Skipped] = []
        with self.write() as conn:
            round_id, number = self._open_round(conn, org_id, org_name, level)
            known = {r.email: r for r in conn.execute(
                sa.select(respondents).where((respondents.c.round_id == round_id)
                                             & respondents.c.email.is_not(None)))}
            for person in people:
                row = known.get(person.email)
                if row is None:
                    todo.append(self._add(conn, round_id, number, org_id, person))
                elif row.status == "submitted":
                    skipped.append(Skipped(row.id, row.number, row.email, "submitted"))
                else:
                    conn.execute(respondents.update().where(respondents.c.id == row.id).values(
                        name=person.name or row.name, role=person.role or row.role,
                        lang=person.lang))
                    todo.append(Invitation(org_id, number, row.number, "", person.lang, row.id,
                                           person))
        return todo, skipped

    def close_round(self, round_id: int) -> bool:
        """Close an open round: its links stop working, and its respondents' names and e-mail
        addresses are erased (here and in the message log), no longer needed."""
        with self.write() as conn:
            done = conn.execute(rounds.update().where(
                (rounds.c.id == round_id) & rounds.c.closed_at.is_(None)).values(
                closed_at=now()))
            ids = sa.select(respondents.c.id).where(respondents.c.round_id == round_id)
            conn.execute(messages.update().where(messages.c.respondent_id.in_(ids)).values(
                recipient=None))
            conn.execute(respondents.update().where(respondents.c.round_id == round_id).values(
                name=None, email=None))
            return done.rowcount == 1

    # -- messages

    def to_remind(self, org_id: str) -> tuple[list[int], list[Skipped]]:
        """The respondents of the organisation's open round to remind (not submitted, with
        an address), and those left out (``submitted``, ``no_address``)."""
        with self.read() as conn:
            found = conn.execute(
                sa.select(respondents.c.id, respondents.c.number, respondents.c.email,
                          respondents.c.status)
                .join(rounds, rounds.c.id == respondents.c.round_id)
                .where((rounds.c.org_id == org_id) & rounds.c.closed_at.is_(None))
                .order_by(respondents.c.number)).all()
        todo = [r.id for r in found if r.status != "submitted" and r.email]
        skipped = [Skipped(r.id, r.number, r.email,
                           "submitted" if r.status == "submitted" else "no_address")
                   for r in found if r.status == "submitted" or not r.email]
        return todo, skipped

    def claim(self, respondent_id: int, kind: str, gap: dt.timedelta | None = None,
              new_link: bool = False) -> Claim | Skipped:
        """Log a message as going to the respondent, unless it must not go: the round is
        closed, the answers are in, there is no address, an invitation went already (for an
        invitation), or any message went within ``gap`` (for a reminder). One transaction
        that locks the respondent, so two senders at once never both write. ``new_link``:
        the message carries a link of its own, made here."""
        stamp = now()
        with self.write() as conn:
            query = (sa.select(respondents, rounds.c.closed_at)
                     .join(rounds, rounds.c.id == respondents.c.round_id)
                     .where(respondents.c.id == respondent_id))
            if not self.is_sqlite:
                query = query.with_for_update(of=respondents)
            row = conn.execute(query).first()
            if row is None or row.closed_at is not None:
                return Skipped(respondent_id, row.number if row else 0, None, "closed")

            def skip(reason: str) -> Skipped:
                return Skipped(row.id, row.number, row.email, reason)

            if row.status == "submitted":
                return skip("submitted")
            if not row.email:
                return skip("no_address")
            went = conn.execute(sa.select(messages.c.kind, messages.c.sent_at).where(
                (messages.c.respondent_id == row.id) & (messages.c.status != "failed"))).all()
            if kind == "invitation" and any(m.kind == "invitation" for m in went):
                return skip("invited")
            if gap is not None and any(m.sent_at > stamp - gap for m in went):
                return skip("recent")
            token = None
            if new_link:
                token = secrets.token_urlsafe(TOKEN_BYTES)
                conn.execute(respondent_links.insert().values(
                    token_hash=token_hash(token), respondent_id=row.id, created_at=stamp))
            inserted = conn.execute(messages.insert().values(
                respondent_id=row.id, kind=kind, recipient=row.email, sent_at=stamp,
                status="sending")).inserted_primary_key
            assert inserted is not None
        return Claim(inserted[0], row.id, row.number, row.email, row.name, row.lang, token)

    def finish(self, message_id: int, error: str | None = None) -> None:
        """Log what the mail server said: taken (``error`` None), or why not."""
        with self.write() as conn:
            conn.execute(messages.update().where(messages.c.id == message_id).values(
                status="failed" if error else "sent", sent_at=now(),
                error=error[:300] if error else None))

    def message_log(self, org_id: str | None = None) -> list[sa.Row]:
        """Every message logged, oldest first: kind, recipient, sent_at, status, error, and
        the organisation and round it belongs to."""
        with self.read() as conn:
            query = (sa.select(messages.c.kind, messages.c.recipient, messages.c.sent_at,
                               messages.c.status, messages.c.error, rounds.c.org_id,
                               rounds.c.number.label("round_number"))
                     .join(respondents, respondents.c.id == messages.c.respondent_id)
                     .join(rounds, rounds.c.id == respondents.c.round_id)
                     .order_by(messages.c.id))
            if org_id is not None:
                query = query.where(rounds.c.org_id == org_id)
            return list(conn.execute(query).all())

    def follow_up(self, round_ids: list[int]) -> dict[int, list[Follow]]:
        """Per round, its respondents and the last message to each, for the admin page (by
        name and address, not by number: the export names respondents by number)."""
        if not round_ids:
            return {}
        with self.read() as conn:
            earlier = messages.alias("earlier")
            last = (sa.select(sa.func.max(earlier.c.id))
                    .where(earlier.c.respondent_id == respondents.c.id)
                    .correlate(respondents).scalar_subquery())
            found = conn.execute(
                sa.select(respondents.c.round_id, respondents.c.number, respondents.c.name,
                          respondents.c.email, respondents.c.role, respondents.c.lang,
                          respondents.c.status, messages.c.kind, messages.c.sent_at,
                          messages.c.status.label("message_status"), messages.c.error)
                .select_from(respondents.outerjoin(messages, messages.c.id == last))
                .where(respondents.c.round_id.in_(round_ids))).all()
        by_round: dict[int, list[Follow]] = {}
        for r in found:
            by_round.setdefault(r.round_id, []).append(Follow(
                r.number, r.name, r.email, r.role, r.lang, r.status, r.kind, r.sent_at,
                r.message_status, r.error))
        for people in by_round.values():
            people.sort(key=lambda f: ((f.name or f.email or "~").casefold(), f.number))
        return by_round

    def comments(self, round_ids: list[int]) -> dict[int, dict[str, list[str]]]:
        """Per round and part, the submitted respondents' comments, in alphabetical order (so
        that their order tells nothing about who wrote them)."""
        if not round_ids:
            return {}
        with self.read() as conn:
            found = conn.execute(
                sa.select(respondents.c.round_id, *COMMENT_COLUMNS.values())
                .where(respondents.c.round_id.in_(round_ids)
                       & (respondents.c.status == "submitted"))).all()
        by_round: dict[int, dict[str, list[str]]] = {}
        for r in found:
            for part in PARTS:
                if text := getattr(r, f"comment_{part}"):
                    by_round.setdefault(r.round_id, {}).setdefault(part, []).append(text)
        for parts in by_round.values():
            for texts in parts.values():
                texts.sort(key=str.casefold)
        return by_round

    def rounds(self, org_id: str | None = None) -> list[RoundSummary]:
        with self.read() as conn:
            query = sa.select(rounds).order_by(rounds.c.org_id, rounds.c.number.desc())
            if org_id is not None:
                query = query.where(rounds.c.org_id == org_id)
            found = conn.execute(query).all()
            counts = conn.execute(
                sa.select(respondents.c.round_id, respondents.c.status, sa.func.count())
                .group_by(respondents.c.round_id, respondents.c.status)).all()
        by_round: dict[int, dict[str, int]] = {}
        for round_id, status, n in counts:
            by_round.setdefault(round_id, dict.fromkeys(STATUSES, 0))[status] = n
        return [RoundSummary(r.id, r.org_id, r.org_name, r.level, r.number, r.opened_at,
                             r.closed_at, by_round.get(r.id, dict.fromkeys(STATUSES, 0)))
                for r in found]

    # -- one respondent

    def respondent(self, org_id: str, token: str,
                   conn: Connection | None = None) -> Respondent | None:
        """The live respondent of this link, or None (wrong, other org's, used or closed).

        Given a connection (a write transaction), the respondent's row is locked until it ends.
        """
        if not token or len(token) > 100:
            return None
        if conn is None:
            with self.read(single=True) as conn:
                return self._respondent(org_id, token, conn, lock=False)
        return self._respondent(org_id, token, conn, lock=True)

    def _respondent(self, org_id: str, token: str, conn: Connection,
                    lock: bool) -> Respondent | None:
        # One round trip: the respondent, its round and its answers (one row per answer).
        hashed = token_hash(token)
        further = (sa.select(respondent_links.c.respondent_id)
                   .where(respondent_links.c.token_hash == hashed).scalar_subquery())
        query = (sa.select(respondents.c.id, respondents.c.round_id, respondents.c.number,
                           respondents.c.lang, respondents.c.status, respondents.c.importance,
                           respondents.c.role, *COMMENT_COLUMNS.values(),
                           rounds.c.org_id, rounds.c.org_name,
                           rounds.c.number.label("round_number"), rounds.c.closed_at,
                           answers.c.key, answers.c.value)
                 .select_from(respondents.join(rounds, rounds.c.id == respondents.c.round_id)
                              .outerjoin(answers, answers.c.respondent_id == respondents.c.id))
                 .where((respondents.c.token_hash == hashed) | (respondents.c.id == further)))
        if lock and not self.is_sqlite:       # SQLite: BEGIN IMMEDIATE already locks
            query = query.with_for_update(of=respondents)
        rows = conn.execute(query).all()
        row = rows[0] if rows else None
        if (row is None or row.org_id != org_id or row.closed_at is not None
                or row.status == "submitted"):
            return None
        stored = {r.key: r.value for r in rows if r.key is not None}
        said = {part: text for part in PARTS if (text := getattr(row, f"comment_{part}"))}
        return Respondent(row.id, row.round_id, row.round_number, row.number, row.org_id,
                          row.org_name, row.lang, row.status, row.importance, stored,
                          row.role, said)

    def save(self, org_id: str, token: str, values: dict[str, float],
             importance: str | None = None,
             loaded: dict[str, float | str | None] | None = None,
             comments: dict[str, str] | None = None) -> Saved:
        """Store these answers and ``comments`` (part -> text, "" to remove one), others
        untouched, in one transaction.

        ``loaded`` holds what the page showed for the questions it changed (for a comment,
        ``comment.PART``: its :func:`comment_tag`): a question whose stored answer differs
        from it was saved elsewhere since, and is left as it is (listed in
        :attr:`Saved.conflicts`; a comment's with its stored text). Without ``loaded`` every
        answer given is written.
        """
        loaded = loaded or {}
        comments = comments or {}
        with self.write() as conn:
            who = self.respondent(org_id, token, conn)
            if who is None:
                raise AnswersLocked()
            stored: dict[str, float | str | None] = {**who.answers, "importance": who.importance}
            conflicts = {k: stored.get(k) for k in [*values, *(["importance"] if importance
                                                                else [])]
                         if k in loaded and stored.get(k) != loaded[k]}
            for part in comments:
                key = f"comment.{part}"
                if key in loaded and comment_tag(who.comments.get(part)) != loaded[key]:
                    conflicts[key] = who.comments.get(part, "")
            values = {k: v for k, v in values.items() if k not in conflicts}
            comments = {p: text for p, text in comments.items() if f"comment.{p}" not in conflicts}
            if "importance" in conflicts:
                importance = None
            if values:                     # one statement: insert, or update what is there
                conn.execute(self._upsert([{"respondent_id": who.id, "key": k,
                                            "value": float(v)} for k, v in values.items()]))
            changes: dict[str, object] = {"updated_at": now()}
            if values or importance or any(comments.values()):
                changes["status"] = "started"
            if importance:
                changes["importance"] = importance
            for part, text in comments.items():
                changes[f"comment_{part}"] = text or None
            conn.execute(respondents.update().where(respondents.c.id == who.id).values(**changes))
        said = {**who.comments, **comments}
        return Saved(replace(who, status=str(changes.get("status", who.status)),
                             importance=importance or who.importance,
                             answers={**who.answers, **{k: float(v) for k, v in values.items()}},
                             comments={p: text for p, text in said.items() if text}),
                     conflicts)

    def _upsert(self, rows: list[dict[str, object]]):
        from sqlalchemy.dialects import postgresql, sqlite

        insert = sqlite.insert if self.is_sqlite else postgresql.insert
        statement = insert(answers).values(rows)
        return statement.on_conflict_do_update(index_elements=["respondent_id", "key"],
                                               set_={"value": statement.excluded.value})

    def submit(self, org_id: str, token: str, required: list[str]) -> list[str]:
        """Lock the answers if every question is answered; else return the unanswered keys."""
        with self.write() as conn:
            who = self.respondent(org_id, token, conn)
            if who is None:
                raise AnswersLocked()
            missing = who.missing(required)
            if missing:
                return missing
            stamp = now()
            conn.execute(respondents.update().where(respondents.c.id == who.id).values(
                status="submitted", submitted_at=stamp, updated_at=stamp))
            return []

    # -- admin sessions and failed sign-ins (the rules are in security.py)

    def open_session(self, id_hash: str, secret_tag: str, lifetime: dt.timedelta) -> None:
        """Keep a new admin session; sessions already over are removed on the way."""
        stamp = now()
        with self.write() as conn:
            conn.execute(admin_sessions.delete().where(admin_sessions.c.expires_at <= stamp))
            conn.execute(admin_sessions.insert().values(
                id_hash=id_hash, secret_tag=secret_tag, created_at=stamp, seen_at=stamp,
                expires_at=stamp + lifetime))

    def session(self, id_hash: str) -> sa.Row | None:
        with self.read(single=True) as conn:
            return conn.execute(sa.select(admin_sessions).where(
                admin_sessions.c.id_hash == id_hash)).first()

    def touch_session(self, id_hash: str) -> None:
        with self.write() as conn:
            conn.execute(admin_sessions.update().where(
                admin_sessions.c.id_hash == id_hash).values(seen_at=now()))

    def end_session(self, id_hash: str) -> None:
        with self.write() as conn:
            conn.execute(admin_sessions.delete().where(admin_sessions.c.id_hash == id_hash))

    def locked_until(self, client: str) -> dt.datetime | None:
        """Until when this client may not try to sign in (None: it may now)."""
        with self.read(single=True) as conn:
            until = conn.execute(sa.select(login_failures.c.locked_until).where(
                login_failures.c.client == client)).scalar()
        return until if until is not None and until > now() else None

    def record_failure(self, client: str, window: dt.timedelta, limit: int,
                       lockout: dt.timedelta) -> dt.datetime | None:
        """Count a failed sign-in; lock the client out once ``limit`` fail within ``window``.

        Returns until when the client is locked out, or None.
        """
        stamp = now()
        with self.write() as conn:
            if not self.is_sqlite:     # two first failures at once must not both insert
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                             {"key": "briefgen sign-in " + client})
            row = conn.execute(sa.select(login_failures).where(
                login_failures.c.client == client)).first()
            if row is None or stamp - row.first_at > window or (
                    row.locked_until is not None and row.locked_until <= stamp):
                failures, first = 1, stamp      # a first failure, an old series, or served
            else:
                failures, first = row.failures + 1, row.first_at
            until = stamp + lockout if failures >= limit else None
            values = {"failures": failures, "first_at": first, "locked_until": until}
            if row is None:
                conn.execute(login_failures.insert().values(client=client, **values))
            else:
                conn.execute(login_failures.update().where(
                    login_failures.c.client == client).values(**values))
        return until

    def clear_failures(self, client: str) -> None:
        with self.write() as conn:
            conn.execute(login_failures.delete().where(login_failures.c.client == client))

    # -- export

    def submitted(self, org_id: str | None = None,
                  round_id: int | None = None) -> list[dict[str, object]]:
        """Every submitted respondent with the round's data and answers, oldest round first."""
        with self.read() as conn:
            query = (sa.select(respondents.c.id, respondents.c.number, respondents.c.importance,
                               respondents.c.submitted_at, respondents.c.role,
                               *COMMENT_COLUMNS.values(), rounds.c.id.label("round_id"),
                               rounds.c.org_id, rounds.c.org_name, rounds.c.level,
                               rounds.c.number.label("round_number"), rounds.c.closed_at)
                     .join(rounds, rounds.c.id == respondents.c.round_id)
                     .where(respondents.c.status == "submitted")
                     .order_by(rounds.c.org_id, rounds.c.number, respondents.c.number))
            if org_id is not None:
                query = query.where(rounds.c.org_id == org_id)
            if round_id is not None:
                query = query.where(rounds.c.id == round_id)
            people = conn.execute(query).all()
            ids = [p.id for p in people]
            stored: dict[int, dict[str, float]] = {i: {} for i in ids}
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for rid, key, value in conn.execute(
                        sa.select(answers.c.respondent_id, answers.c.key, answers.c.value)
                        .where(answers.c.respondent_id.in_(chunk))):
                    stored[rid][key] = value
        # A round's answers carry one date, its last submission: the survey reader then keeps
        # one round together as one assessment, and a later round makes it the previous one.
        last: dict[int, dt.date] = {}
        for p in people:
            day = p.submitted_at.date()
            last[p.round_id] = max(last.get(p.round_id, day), day)
        return [{"org_id": p.org_id, "org_name": p.org_name, "level": p.level,
                 "respondent": f"r{p.round_number}-{p.number}",
                 "date": last[p.round_id], "importance": p.importance,
                 "round": p.round_number, "answers": stored[p.id], "role": p.role or "",
                 "comments": {part: text for part in PARTS
                              if (text := getattr(p, f"comment_{part}"))}} for p in people]


# --------------------------------------------------------------------------- engine and schema


def _sqlite_engine(url: str) -> Engine:
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                              pool_size=20, max_overflow=40, pool_timeout=60)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite would defer it).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")      # readers do not wait for the writer
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("briefgen_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_engine(url: str) -> Engine:
    """The engine for a database URL; a URL it cannot use is an InputError, said in one line."""
    url = normalise_database_url(url)
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise InputError(f"--database: '{_shown(url)}' is not a database URL ({exc}); "
                         "allowed: sqlite:///FILE or postgresql://USER@HOST/NAME") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:") or parsed.database.startswith("file:"):
            raise InputError(f"--database: '{_shown(url)}' names no file; the answers must "
                             "outlive the server (allowed: sqlite:///FILE)")
        _create_private(Path(parsed.database))
        return _sqlite_engine(url)
    try:
        # No pre-ping (a round trip on every checkout): a connection the server has dropped
        # fails its request once, and pool_recycle keeps connections from getting that old.
        return sa.create_engine(parsed, pool_size=20, max_overflow=20, pool_recycle=1800)
    except ModuleNotFoundError:
        raise InputError("--database: PostgreSQL needs psycopg: pip install "
                         "'briefgen[postgres]'") from None
    except (sa.exc.ArgumentError, TypeError, ValueError) as exc:
        raise InputError(f"--database: '{_shown(url)}' cannot be used ({exc})") from None


def _shown(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return url.split("@")[-1] if "@" in url else url


def _create_private(path: Path) -> None:
    """Create a new SQLite file readable by its owner only (its -wal and -shm files follow)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise InputError(f"--database: cannot create {path}: {exc.strerror}") from None
    os.close(fd)


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (Alembic, shipped in the package)."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    known = {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}
    with engine.connect() as conn:
        if sa.inspect(conn).has_table("alembic_version"):
            found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            if found is not None and found not in known:
                raise InputError(
                    f"--database: {_shown(str(engine.url))} was made by a newer briefgen "
                    f"(schema {found}; this one knows up to {max(known)}); upgrade briefgen "
                    "to use it")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


def open_store(url: str) -> Store:
    """Connect, migrate, and return the store; a bad URL, a dead server or a file that is not
    a database is an InputError."""
    engine = make_engine(url)
    try:
        migrate(engine)
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        engine.dispose()
        raise InputError(f"--database: cannot open {_shown(str(engine.url))}: "
                         f"{reason}") from None
    return Store(engine)
