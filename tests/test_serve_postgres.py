"""briefgen serve on PostgreSQL: a throwaway cluster (Debian's postgresql) started for the test.

The cluster lives in a temporary folder and runs as an unprivileged user (PostgreSQL refuses to
run as root); the test is skipped, saying why, when no server can be started.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

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

pytestmark = pytest.mark.timeout(180)


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@pytest.fixture(scope="module")
def postgres_url():
    pytest.importorskip("psycopg", reason="psycopg is needed for PostgreSQL")
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    run_as: list[str] = []
    if os.geteuid() == 0:      # initdb refuses root: run the cluster as an unprivileged user
        runuser = shutil.which("runuser")
        user = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
        if not (runuser and user):
            pytest.skip("running as root and no unprivileged user to run PostgreSQL as")
        run_as = [runuser, "-u", user, "--"]
    folder = Path(tempfile.mkdtemp(prefix="briefgen-pg-"))
    if run_as:
        shutil.chown(folder, user=run_as[2])
    data = folder / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = subprocess.run([*run_as, initdb, "-D", str(data), "-A", "trust", "-U", "briefgen",
                           "--no-sync", "-E", "UTF8"], capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"initdb failed: {done.stderr.strip()[:300]}")
    opts = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off"
    done = subprocess.run([*run_as, pg_ctl, "-D", str(data), "-o", opts, "-w", "-t", "60",
                           "-l", str(folder / "log"), "start"], capture_output=True, text=True)
    if done.returncode != 0:
        log = (folder / "log").read_text() if (folder / "log").exists() else done.stderr
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {log.strip()[-300:]}")
    try:
        yield f"postgresql://briefgen@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


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
