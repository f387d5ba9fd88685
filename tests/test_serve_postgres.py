"""briefgen serve on PostgreSQL: a throwaway cluster (Debian's postgresql) started for the
module, or the one ``$BRIEFGEN_TEST_POSTGRES`` names (bench/mutation.py starts one for its whole
run); each test has a database of its own in it.

The cluster lives in a temporary folder and runs as an unprivileged user (PostgreSQL refuses to
run as root); the tests are skipped, saying why, when no server can be started.
"""

from __future__ import annotations

import re
import threading

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from briefgen.cli import cli
from briefgen.load import load_data
from briefgen.serve.app import Config, create_app
from briefgen.serve.questions import all_keys, sections
from briefgen.serve.store import open_store
from briefgen.survey.aggregate import survey_org
from briefgen.survey.read import read_survey

from .pgcluster import NoCluster, fresh_database, server

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def postgres_server():
    pytest.importorskip("psycopg", reason="psycopg is needed for PostgreSQL")
    try:
        with server() as url:
            yield url
    except NoCluster as exc:
        pytest.skip(str(exc))


@pytest.fixture
def postgres_url(postgres_server):
    """A database of the test's own."""
    with fresh_database(postgres_server) as url:
        yield url


def test_postgres_round_trip(postgres_url, tmp_path):
    bundle = load_data()
    keys = all_keys(bundle.framework)
    store = open_store(postgres_url)
    assert store.engine.dialect.name == "postgresql"
    open_store(postgres_url)                         # migrating twice is a no-op
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from briefgen.serve.store import metadata

    with store.engine.connect() as conn:              # the migrations make the code's schema
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []

    runner = CliRunner()
    r = runner.invoke(cli, ["invite", "--org", "myndighet-z", "--respondents", "2",
                            "--database", postgres_url])
    assert r.exit_code == 0, r.output
    links = [u.split("8000")[1] for u in r.output.split()]

    # Invitations at once: one round, distinct respondent numbers.
    threads = [threading.Thread(target=store.invite, args=("kommun-y", "Kommun Y", "municipal",
                                                           2, "sv")) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (kommun,) = store.rounds("kommun-y")
    assert kommun.number == 1 and kommun.total == 12

    # Concurrent writers on one respondent: row locks keep every answer.
    org, token = "myndighet-z", links[0].rsplit("/", 1)[1]
    threads = [threading.Thread(target=store.save, args=(org, token, {k: 3.0}))
               for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.respondent(org, token).answers == dict.fromkeys(keys, 3.0)

    # The web form on PostgreSQL: CSRF, save, submit, used-up link.
    app = create_app(Config(store=store, bundle=bundle, admin_secret="postgres-test-secret"))
    with TestClient(app, follow_redirects=False) as client:
        for i, link in enumerate(links):
            page = client.get(link + "/importance").text
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
            assert client.post(link + "/importance", data={
                "csrf": csrf, "importance": "most_important"}).status_code == 303
            for section in sections(bundle.framework):
                values = {k: str(2 + 2 * i) for k in section.keys}
                assert client.post(f"{link}/{section.key}", data={"csrf": csrf, **values}
                                   ).status_code == 303
            assert client.post(link + "/submit", data={"csrf": csrf}).status_code == 303
            assert client.get(link).status_code == 404

    out = tmp_path / "svar.xlsx"
    r = runner.invoke(cli, ["export", "--out", str(out), "--database", postgres_url])
    assert r.exit_code == 0, r.output
    org_ = survey_org(read_survey(out, bundle), "myndighet-z", bundle)
    assert org_.respondents == 2
    assert org_.spread["partnerships"]["min"] == 2 and org_.spread["partnerships"]["max"] == 4


def test_guesses_at_once_on_postgresql_count_each_failure_once(postgres_url):
    from briefgen.serve import security

    store = open_store(postgres_url)
    results: list = []

    def fail() -> None:
        results.append(store.record_failure("10.9.8.7", security.FAILURE_WINDOW,
                                            security.MAX_FAILURES, security.LOCKOUT))

    threads = [threading.Thread(target=fail) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 12                                 # none failed
    assert sum(r is None for r in results) == security.MAX_FAILURES - 1
    assert store.locked_until("10.9.8.7") is not None


def test_messages_roles_and_comments_on_postgresql(postgres_url):
    """The engagement's tables on PostgreSQL: one claim per person when three senders race, a
    reminder's link that works beside the first, comments and the follow-up list."""
    import datetime as dt

    from briefgen.serve.store import Claim, Person

    store = open_store(postgres_url)
    org = "region-pg"
    todo, skipped = store.invite_people(org, "Region PG", "regional", [
        Person(f"p{i}@x.se", f"P {i}", "IT" if i % 2 else "Ledningen") for i in range(6)])
    assert len(todo) == 6 and skipped == []
    claims: list = []
    lock = threading.Lock()

    def claim(respondent_id: int) -> None:
        got = store.claim(respondent_id, "reminder", gap=dt.timedelta(hours=1), new_link=True)
        with lock:
            claims.append(got)

    threads = [threading.Thread(target=claim, args=(m.respondent_id,))
               for m in todo for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [c for c in claims if isinstance(c, Claim)]
    assert sorted(c.respondent_id for c in won) == sorted(m.respondent_id for m in todo)
    assert sum(1 for c in claims if not isinstance(c, Claim) and c.reason == "recent") == 12
    for c in won:
        store.finish(c.message_id)
    first = todo[0]
    again = next(c for c in won if c.respondent_id == first.respondent_id)
    keys = all_keys(load_data().framework)
    store.save(org, again.token, dict.fromkeys(keys, 3.0), "top3",
               comments={"effects": "Svar via påminnelsen"})
    assert store.respondent(org, first.token).comments == {"effects": "Svar via påminnelsen"}
    assert store.submit(org, first.token, keys) == []
    assert store.respondent(org, again.token) is None      # every link of theirs is gone
    rid = store.rounds(org)[0].id
    assert store.comments([rid]) == {rid: {"effects": ["Svar via påminnelsen"]}}
    follow = store.follow_up([rid])[rid]
    assert [(f.name, f.role, f.status, f.last_kind) for f in follow][:2] == [
        ("P 0", "Ledningen", "submitted", "reminder"), ("P 1", "IT", "invited", "reminder")]
    assert store.submitted(org)[0]["role"] == "Ledningen"
