"""`briefgen serve --workers 2` as its own processes, on SQLite (WAL) and on PostgreSQL.

Twenty-four respondents answer at once, each from its own loopback address, through both worker
processes; every answer must be in the database afterwards, and an admin session opened on one
worker must hold on the other (sessions live in the database).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.request

import httpx
import psutil
import pytest

from briefgen.load import load_data
from briefgen.serve.questions import sections
from briefgen.serve.store import open_store

from .pgcluster import NoCluster, fresh_database, server

SECRET = "workers-test-admin-secret-2026"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
LOADED = re.compile(r'name="loaded" value="([^"]*)"')
pytestmark = pytest.mark.timeout(180)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'briefgen.db'}"
        return
    pytest.importorskip("psycopg", reason="psycopg is needed for PostgreSQL")
    try:
        with server() as cluster, fresh_database(cluster) as url:
            yield url
    except NoCluster as exc:
        pytest.skip(str(exc))


async def answer(i: int, base: str, path: str, plan: dict, parts) -> list[str]:
    problems = []
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.1.{i + 1}")
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=60) as client:
        for part in ["importance", *(s.key for s in parts)]:
            page = await client.get(f"{path}/{part}")
            data = {"csrf": CSRF.search(page.text).group(1),
                    "loaded": LOADED.search(page.text).group(1)}
            data.update({"importance": "top3"} if part == "importance" else
                        {k: str(plan[k]) for s in parts if s.key == part for k in s.keys})
            r = await client.post(f"{path}/{part}", data=data)
            if r.status_code != 303:
                problems.append(f"{path}/{part}: {r.status_code}")
        page = await client.get(f"{path}/submit")
        r = await client.post(f"{path}/submit", data={"csrf": CSRF.search(page.text).group(1)})
        if r.status_code != 303:
            problems.append(f"{path}/submit: {r.status_code}")
    return problems


def test_two_workers_lose_no_answer_and_share_sessions(database, tmp_path):
    parts = sections(load_data().framework)
    keys = [k for s in parts for k in s.keys]
    store = open_store(database)
    invited = store.invite("region-x", "Region X", "regional", 24, "sv")
    rng = random.Random(5)
    plans = [{k: rng.randint(1, 5) for k in keys} for _ in invited]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "briefgen", "serve", "--port", str(port), "--database",
         database, "--workers", "2"], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "BRIEFGEN_ADMIN_SECRET": SECRET})
    try:
        while True:                                   # pytest-timeout ends a hang
            try:
                urllib.request.urlopen(base + "/done", timeout=1)
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
        def workers() -> int:                          # not multiprocessing's resource tracker
            return sum("spawn_main" in " ".join(child.cmdline())
                       for child in psutil.Process(server.pid).children())

        for _ in range(100):                           # both workers up
            if workers() >= 2:
                break
            time.sleep(0.1)
        assert workers() == 2

        async def everyone():
            return await asyncio.gather(*(
                answer(i, base, m.path(), plan, parts)
                for i, (m, plan) in enumerate(zip(invited, plans, strict=True))))

        problems = [p for found in asyncio.run(everyone()) for p in found]
        assert problems == []
        # One admin session, asked for on fresh connections (the kernel spreads them over
        # both workers): it holds everywhere, and sign-out ends it everywhere.
        with httpx.Client(base_url=base, follow_redirects=False) as admin:
            page = admin.get("/admin/login")
            admin.post("/admin/login", data={"csrf": CSRF.search(page.text).group(1),
                                             "secret": SECRET})
            cookie = admin.cookies.get("briefgen_admin")
        for _ in range(6):
            with httpx.Client(base_url=base, follow_redirects=False,
                              cookies={"briefgen_admin": cookie}) as fresh:
                assert fresh.get("/admin").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    got = {p["respondent"]: p["answers"] for p in store.submitted("region-x")}
    assert got == {f"r1-{i + 1}": {k: float(v) for k, v in plan.items()}
                   for i, plan in enumerate(plans)}
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
