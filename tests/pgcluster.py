"""A throwaway PostgreSQL cluster (Debian's postgresql) in a temporary folder, on loopback.

Used by tests/test_serve_postgres.py, test_serve_workers.py, bench/bench_serve.py and
bench/mutation.py. The cluster runs as an unprivileged user when the caller is root (PostgreSQL
refuses to run as root).

A run that starts many tests (mutation testing: the tests again for each mutant) starts one
cluster and names it in ``$BRIEFGEN_TEST_POSTGRES``; :func:`server` then yields it instead of
starting a cluster (1.5 s each), and :func:`fresh_database` gives each test a database of its own.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SHARED_ENV = "BRIEFGEN_TEST_POSTGRES"


class NoCluster(Exception):
    """PostgreSQL cannot be started here; the message says why."""


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@contextmanager
def cluster(fsync: bool = False, settings: tuple[str, ...] = ()) -> Iterator[str]:
    """Start a cluster; yield the URL of its ``postgres`` database; stop and delete it.

    ``fsync=False`` (tests) trades durability for speed; the bench runs with fsync on.
    """
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise NoCluster("PostgreSQL is not installed (apt-get install postgresql)")
    run_as: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        user = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
        if not (runuser and user):
            raise NoCluster("running as root and no unprivileged user to run PostgreSQL as")
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
        raise NoCluster(f"initdb failed: {done.stderr.strip()[:300]}")
    opts = " ".join([f"-h 127.0.0.1 -p {port} -k {folder}", "-c max_connections=300",
                     *([] if fsync else ["-c fsync=off"]), *(f"-c {s}" for s in settings)])
    done = subprocess.run([*run_as, pg_ctl, "-D", str(data), "-o", opts, "-w", "-t", "60",
                           "-l", str(folder / "log"), "start"], capture_output=True, text=True)
    if done.returncode != 0:
        log = (folder / "log").read_text() if (folder / "log").exists() else done.stderr
        shutil.rmtree(folder, ignore_errors=True)
        raise NoCluster(f"PostgreSQL did not start: {log.strip()[-300:]}")
    try:
        yield f"postgresql://briefgen@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)



@contextmanager
def server() -> Iterator[str]:
    """The ``postgres`` database of a running cluster: ``$BRIEFGEN_TEST_POSTGRES``'s if set
    (left running), else a cluster of its own (stopped and deleted afterwards)."""
    shared = os.environ.get(SHARED_ENV)
    if shared:
        yield shared
        return
    with cluster() as url:
        yield url


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the cluster of ``server_url``, dropped afterwards."""
    import psycopg

    name = f"briefgen_test_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as exc:
        raise NoCluster(f"{server_url} cannot be used: {str(exc).strip()[:300]}") from None
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
