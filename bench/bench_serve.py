"""Load test: many respondents answering at once against `briefgen serve` on SQLite (loopback).

    python bench/bench_serve.py [--respondents 200] [--concurrency 200]

Starts `briefgen serve` as its own process on a fresh SQLite database, invites N respondents
and lets each one, concurrently, do what the browser does: open the link, open each part
(reading its CSRF token), save the importance and the three parts of questions with random
answers, and submit. At most --concurrency respondents are active at once (an asyncio
semaphore; one httpx client, hence one cookie jar, per respondent). Afterwards it reads the
database back and checks that every respondent is submitted with exactly the answers sent.

Prints the number of requests, failures, lost answers, throughput and the latency
percentiles (p50, p95, p99, max) of all requests, of the saves and of the page loads.
"""

from __future__ import annotations

import argparse
import asyncio
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
from pathlib import Path

import httpx

from briefgen.load import load_data
from briefgen.serve.questions import sections
from briefgen.serve.store import open_store

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


PARTS = sections(load_data().framework)
# One TLS context for all clients: building one per client costs the client ~10 ms of CPU
# each, which would show up as server latency (the server is plain HTTP on loopback anyway).
TLS = ssl.create_default_context()


async def respondent(link: str, base: str, answers: dict, importance: str,
                     gate: asyncio.Semaphore, timings: dict[str, list[float]],
                     failures: list[str]) -> None:
    parts = PARTS
    async with gate, httpx.AsyncClient(base_url=base, timeout=120, verify=TLS) as client:
        async def call(kind: str, method: str, url: str, **kw) -> httpx.Response:
            start = time.perf_counter()
            response = await client.request(method, url, **kw)
            timings[kind].append(time.perf_counter() - start)
            return response

        path = link[len(base):]
        r = await call("page", "GET", path)
        if r.status_code != 200:
            failures.append(f"{path}: GET {r.status_code}")
            return
        r = await call("page", "GET", path + "/importance")
        token = CSRF.search(r.text).group(1)
        r = await call("save", "POST", path + "/importance",
                       data={"csrf": token, "importance": importance, "action": "next"})
        if r.status_code != 303:
            failures.append(f"{path}: importance {r.status_code}")
        for section in parts:
            await call("page", "GET", f"{path}/{section.key}")
            data = {k: str(answers[k]) for k in section.keys}
            r = await call("save", "POST", f"{path}/{section.key}",
                           data={"csrf": token, "action": "next", **data})
            if r.status_code != 303:
                failures.append(f"{path}: {section.key} {r.status_code}")
        await call("page", "GET", path + "/submit")
        r = await call("save", "POST", path + "/submit", data={"csrf": token})
        if r.status_code != 303:
            failures.append(f"{path}: submit {r.status_code}")


async def run(links: list[str], base: str, plan: list[tuple[dict, str]], concurrency: int):
    gate = asyncio.Semaphore(concurrency)
    timings: dict[str, list[float]] = {"page": [], "save": []}
    failures: list[str] = []
    start = time.perf_counter()
    await asyncio.gather(*(respondent(link, base, answers, importance, gate, timings, failures)
                           for link, (answers, importance) in zip(links, plan, strict=True)))
    return time.perf_counter() - start, timings, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()

    fw = load_data().framework
    keys = [k for s in sections(fw) for k in s.keys]
    rng = random.Random(args.seed)
    plan = [({k: rng.randint(1, 5) for k in keys},
             rng.choice(["most_important", "top3", "important", "not_prioritised"]))
            for _ in range(args.respondents)]

    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{Path(tmp) / 'briefgen.db'}"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        store = open_store(database)
        links = [base + m.path() for m in store.invite("region-x", "Region X", "regional",
                                                       args.respondents, "sv")]
        server = subprocess.Popen([sys.executable, "-m", "briefgen", "serve", "--port",
                                   str(port), "--database", database], cwd=tmp,
                                  env={**os.environ, "BRIEFGEN_ADMIN_SECRET": "x" * 16})
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/admin/login", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            seconds, timings, failures = asyncio.run(run(links, base, plan, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=30)

        people = store.submitted("region-x")
        got = {p["respondent"]: (p["answers"], p["importance"]) for p in people}
        lost = 0
        for i, (answers, importance) in enumerate(plan, 1):
            stored, imp = got.get(f"r1-{i}", ({}, None))
            lost += sum(stored.get(k) != float(v) for k, v in answers.items())
            lost += imp != importance
    every = timings["page"] + timings["save"]
    print(f"respondents {args.respondents}, concurrency {args.concurrency}, "
          f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    print(f"requests {len(every)} in {seconds:.1f} s = {len(every) / seconds:.0f}/s; "
          f"failures {len(failures)}; submitted {len(people)}/{args.respondents}; "
          f"lost answers {lost}")
    for name, values in (("all", every), ("saves", timings["save"]),
                         ("pages", timings["page"])):
        print(f"{name:<6} p50 {statistics.median(values) * 1000:7.0f} ms   "
              f"p95 {percentile(values, 95) * 1000:7.0f} ms   "
              f"p99 {percentile(values, 99) * 1000:7.0f} ms   "
              f"max {max(values) * 1000:7.0f} ms")
    for line in failures[:10]:
        print("failed:", line)
    sys.exit(1 if failures or lost else 0)


if __name__ == "__main__":
    main()
