"""The answers' database: rounds, respondents and their answers, through SQLAlchemy.

A *round* is one assessment of one organisation: it opens with the first invitation and stays
open until it is closed. Each *respondent* of a round has a personal link whose token (256 random
bits) is stored only as its SHA-256 hash, so the database never holds a usable link. Answers are
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
    sa.UniqueConstraint("round_id", "number", name="uq_respondents_round_number"),
)

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


@dataclass(frozen=True)
class Invitation:
    org_id: str
    round_number: int
    number: int
    token: str
    lang: str

    def path(self) -> str:
        return f"/a/{self.org_id}/{self.token}"


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
               lang: str) -> list[Invitation]:
        """Add ``count`` respondents to the organisation's open round (opening one if none)."""
        if not 1 <= count <= MAX_RESPONDENTS:
            raise InputError(f"--respondents: {count} is not allowed (allowed: 1 to "
                             f"{MAX_RESPONDENTS})")
        org_name = read_text(org_name)      # as a survey sheet would give it back
        stamp = now()
        with self.write() as conn:
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
                    opened_at=stamp)).inserted_primary_key
                assert inserted is not None   # an INSERT always has one
                round_id = inserted[0]
                log.info("opened round %d of %s", number, org_id)
            else:
                round_id, number = current.id, current.number
                # The profile may have been corrected since the round opened.
                conn.execute(rounds.update().where(rounds.c.id == round_id).values(
                    org_name=org_name, level=level))
            last = conn.execute(sa.select(sa.func.max(respondents.c.number)).where(
                respondents.c.round_id == round_id)).scalar() or 0
            made = []
            for n in range(last + 1, last + 1 + count):
                token = secrets.token_urlsafe(TOKEN_BYTES)
                conn.execute(respondents.insert().values(
                    round_id=round_id, number=n, token_hash=token_hash(token), lang=lang,
                    status="invited", created_at=stamp, updated_at=stamp))
                made.append(Invitation(org_id, number, n, token, lang))
        return made

    def close_round(self, round_id: int) -> bool:
        with self.write() as conn:
            done = conn.execute(rounds.update().where(
                (rounds.c.id == round_id) & rounds.c.closed_at.is_(None)).values(
                closed_at=now()))
            return done.rowcount == 1

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
        query = (sa.select(respondents.c.id, respondents.c.round_id, respondents.c.number,
                           respondents.c.lang, respondents.c.status, respondents.c.importance,
                           rounds.c.org_id, rounds.c.org_name,
                           rounds.c.number.label("round_number"), rounds.c.closed_at,
                           answers.c.key, answers.c.value)
                 .select_from(respondents.join(rounds, rounds.c.id == respondents.c.round_id)
                              .outerjoin(answers, answers.c.respondent_id == respondents.c.id))
                 .where(respondents.c.token_hash == token_hash(token)))
        if lock and not self.is_sqlite:       # SQLite: BEGIN IMMEDIATE already locks
            query = query.with_for_update(of=respondents)
        rows = conn.execute(query).all()
        row = rows[0] if rows else None
        if (row is None or row.org_id != org_id or row.closed_at is not None
                or row.status == "submitted"):
            return None
        stored = {r.key: r.value for r in rows if r.key is not None}
        return Respondent(row.id, row.round_id, row.round_number, row.number, row.org_id,
                          row.org_name, row.lang, row.status, row.importance, stored)

    def save(self, org_id: str, token: str, values: dict[str, float],
             importance: str | None = None,
             loaded: dict[str, float | str | None] | None = None) -> Saved:
        """Store these answers (others untouched) in one transaction.

        ``loaded`` holds what the page showed for the questions it changed: a question whose
        stored answer differs from it was saved elsewhere since, and is left as it is (listed
        in :attr:`Saved.conflicts`). Without ``loaded`` every answer given is written.
        """
        loaded = loaded or {}
        with self.write() as conn:
            who = self.respondent(org_id, token, conn)
            if who is None:
                raise AnswersLocked()
            stored: dict[str, float | str | None] = {**who.answers, "importance": who.importance}
            conflicts = {k: stored.get(k) for k in [*values, *(["importance"] if importance
                                                                else [])]
                         if k in loaded and stored.get(k) != loaded[k]}
            values = {k: v for k, v in values.items() if k not in conflicts}
            if "importance" in conflicts:
                importance = None
            if values:                     # one statement: insert, or update what is there
                conn.execute(self._upsert([{"respondent_id": who.id, "key": k,
                                            "value": float(v)} for k, v in values.items()]))
            changes: dict[str, object] = {"updated_at": now()}
            if values or importance:
                changes["status"] = "started"
            if importance:
                changes["importance"] = importance
            conn.execute(respondents.update().where(respondents.c.id == who.id).values(**changes))
        return Saved(replace(who, status=str(changes.get("status", who.status)),
                             importance=importance or who.importance,
                             answers={**who.answers, **{k: float(v) for k, v in values.items()}}),
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
                               respondents.c.submitted_at, rounds.c.id.label("round_id"),
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
                 "round": p.round_number, "answers": stored[p.id]} for p in people]


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
