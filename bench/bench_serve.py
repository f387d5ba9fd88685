"""Load test: many respondents answering at once against `briefgen serve`, on loopback.

    python bench/bench_serve.py [--respondents 200 500] [--workers 1 2] [--rounds 2]
                                [--databases sqlite postgresql]

For each round, each number of respondents and each variant (database x workers), in an order
that rotates from round to round so that no variant always runs first or last, it starts
`briefgen serve --workers N` as its own process on a fresh database (a new SQLite file, or a
new database in one throwaway PostgreSQL cluster started with fsync on), invites N
respondents and lets all of them, at once, do what the browser does: open the link and each
part (reading its CSRF token and the answers it shows), save the importance and the three
parts of questions with random answers, and submit: 11 requests each. Each respondent has
its own HTTP client from its own loopback address (127.0.x.y), as people on their own
machines would. Afterwards it reads the database back and counts the answers that are not
as sent.

Prints, per run, requests, failures (any response but the expected), lost answers, throughput
and the latency percentiles of all requests and of the saves; then a table of the medians
over the rounds, for docs/serve.md, with the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefgen.load import load_data  # noqa: E402
from briefgen.serve.questions import sections  # noqa: E402
from briefgen.serve.store import open_store  # noqa: E402
from tests.pgcluster import cluster  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
LOADED = re.compile(r'name="loaded" value="([^"]*)"')
PARTS = sections(load_data().framework)
SECRET = "bench-admin-secret-of-the-firm"
# One TLS context for every client: httpx builds one per client otherwise, ~10 ms of the load
# generator's CPU each, which would show up as the server's latency (the server is plain HTTP).
TLS = ssl.create_default_context()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def source_address(i: int) -> str:
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


async def respondent(i: int, link: str, base: str, answers: dict, importance: str,
                     timings: dict[str, list[float]], failures: list[str]) -> None:
    # Idle connections are dropped after 2 s, before the server's 5 s keep-alive ends them:
    # otherwise a client starved of CPU can send on a connection the server is closing.
    transport = httpx.AsyncHTTPTransport(local_address=source_address(i), verify=TLS,
                                         limits=httpx.Limits(keepalive_expiry=2))
    async with httpx.AsyncClient(base_url=base, timeout=120, transport=transport) as client:
        async def call(kind: str, method: str, url: str, expect: int, **kw):
            start = time.perf_counter()
            try:
                response = await client.request(method, url, **kw)
            except httpx.HTTPError as exc:
                failures.append(f"{url}: {type(exc).__name__}")
                return None
            timings[kind].append(time.perf_counter() - start)
            if response.status_code != expect:
                failures.append(f"{method} {url}: {response.status_code}")
                return None
            return response

        path = link[len(base):]
        if await call("page", "GET", path, 200) is None:
            return
        for part in ["importance", *(s.key for s in PARTS)]:
            page = await call("page", "GET", f"{path}/{part}", 200)
            if page is None:
                return
            data = {"csrf": CSRF.search(page.text).group(1), "action": "next",
                    "loaded": LOADED.search(page.text).group(1).replace("&#34;", '"')}
            if part == "importance":
                data["importance"] = importance
            else:
                data.update({k: str(answers[k]) for s in PARTS if s.key == part
                             for k in s.keys})
            if await call("save", "POST", f"{path}/{part}", 303, data=data) is None:
                return
        page = await call("page", "GET", path + "/submit", 200)
        if page is not None:
            await call("save", "POST", path + "/submit", 303,
                       data={"csrf": CSRF.search(page.text).group(1)})


async def load(links: list[str], base: str, plan: list[tuple[dict, str]]):
    timings: dict[str, list[float]] = {"page": [], "save": []}
    failures: list[str] = []
    start = time.perf_counter()
    await asyncio.gather(*(respondent(i, link, base, answers, importance, timings, failures)
                           for i, (link, (answers, importance))
                           in enumerate(zip(links, plan, strict=True))))
    return time.perf_counter() - start, timings, failures


def fresh_database(kind: str, pg_url: str | None, tmp: Path, n: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'run{n}.db'}"
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE run{n}"))
    engine.dispose()
    return pg_url.rsplit("/", 1)[0] + f"/run{n}"


def one_run(database: str, workers: int, respondents: int, seed: int, tmp: Path) -> dict:
    fw_keys = [k for s in PARTS for k in s.keys]
    rng = random.Random(seed)
    plan = [({k: rng.randint(1, 5) for k in fw_keys},
             rng.choice(["most_important", "top3", "important", "not_prioritised"]))
            for _ in range(respondents)]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = open_store(database)
    links = [base + m.path() for m in store.invite("region-x", "Region X", "regional",
                                                   respondents, "sv")]
    log = (tmp / f"serve-{port}.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "briefgen", "serve", "--port", str(port), "--database",
         database, "--workers", str(workers)], cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "BRIEFGEN_ADMIN_SECRET": SECRET})
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/done", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.5 if workers > 1 else 0)      # every worker up
        seconds, timings, failures = asyncio.run(load(links, base, plan))
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    people = store.submitted("region-x")
    store.engine.dispose()
    got = {p["respondent"]: (p["answers"], p["importance"]) for p in people}
    lost = 0
    for i, (answers, importance) in enumerate(plan, 1):
        stored, imp = got.get(f"r1-{i}", ({}, None))
        lost += sum(stored.get(k) != float(v) for k, v in answers.items())
        lost += imp != importance
    every = timings["page"] + timings["save"]
    return {"requests": len(every), "seconds": seconds, "failures": failures, "lost": lost,
            "submitted": len(people),
            "p50": statistics.median(every), "p95": percentile(every, 95),
            "p99": percentile(every, 99), "max": max(every),
            "save_p95": percentile(timings["save"], 95)}


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))   # stop the cluster on the way out
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, nargs="+", default=[200, 500])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()

    variants = list(itertools.product(args.databases, args.workers))
    results: dict[tuple, list[dict]] = {}
    load_before = os.getloadavg()
    print(f"cpus {os.cpu_count()}, load average before {load_before[0]:.2f} "
          f"{load_before[1]:.2f} {load_before[2]:.2f}", flush=True)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        pg_url = (stack.enter_context(cluster(fsync=True))
                  if "postgresql" in args.databases else None)
        run = 0
        for r in range(args.rounds):
            for n in args.respondents:
                shift = (r + args.respondents.index(n)) % len(variants)
                for kind, workers in variants[shift:] + variants[:shift]:
                    run += 1
                    database = fresh_database(kind, pg_url, Path(tmp), run)
                    got = one_run(database, workers, n, args.seed + r, Path(tmp))
                    results.setdefault((kind, workers, n), []).append(got)
                    print(f"round {r + 1} {kind:<10} workers {workers} respondents {n}: "
                          f"{got['requests']} requests in {got['seconds']:.1f} s, failures "
                          f"{len(got['failures'])}, lost {got['lost']}, submitted "
                          f"{got['submitted']}; p50 {got['p50'] * 1000:.0f} ms, p95 "
                          f"{got['p95'] * 1000:.0f} ms, p99 {got['p99'] * 1000:.0f} ms, "
                          f"max {got['max'] * 1000:.0f} ms, saves p95 "
                          f"{got['save_p95'] * 1000:.0f} ms; load "
                          f"{os.getloadavg()[0]:.2f}", flush=True)
                    for line in got["failures"][:5]:
                        print("   failed:", line)
    load_after = os.getloadavg()
    print(f"\nload average after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print("\n| database | workers | respondents | requests/s | p50 | **p95** | p99 | saves p95 "
          "| failures | lost answers |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (kind, workers, n), runs in sorted(results.items(), key=lambda kv: (kv[0][2], kv[0])):
        def med(key, runs=runs):
            return statistics.median(run[key] for run in runs)
        rate = statistics.median(run["requests"] / run["seconds"] for run in runs)
        print(f"| {kind} | {workers} | {n} | {rate:.0f} | {med('p50'):.2f} s | "
              f"**{med('p95'):.2f} s** | {med('p99'):.2f} s | {med('save_p95'):.2f} s | "
              f"{sum(len(run['failures']) for run in runs)} | "
              f"{sum(run['lost'] for run in runs)} |")
    bad = any(run["failures"] or run["lost"] for runs in results.values() for run in runs)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
