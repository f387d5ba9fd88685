"""Measure a batch: briefings per second, memory per worker over the batch, no-op re-run time.

    python bench/bench_batch.py [--n 300] [--jobs 2] [--seed 1] [--keep DIR]

It writes N generated organisations (deterministic random scores) to one CSV, runs
``briefgen batch`` on it in a fresh process, samples the resident memory (RSS) of every worker
process with psutil while it runs, then runs the same command again (nothing to do) and times it.

Targets on the 2-core reference machine: >= 4 briefings/s with 2 jobs, worker memory flat after
the first 50 briefings, a no-op re-run of 300 in < 5 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

CAPABILITIES = {
    "digital_leadership": None,
    "competence_diversity": None,
    "partnerships": None,
    "data_access_security": ("collect_store", "insight"),
    "organisational_clarity": ("strategy_support", "ownership_clear", "cross_unit"),
    "new_working_methods": None,
    "agile_decisions": ("balance_top_down", "multi_speed"),
}
EFFECTS = ("relevant_services", "citizen_centric", "employee_empowerment", "cross_processes")
IMPACTS = ("optimise_tasks", "change_division_of_work", "change_task_portfolio")


def generate(n: int, seed: int) -> list[dict[str, object]]:
    """N organisations as CSV rows (dotted column names), the same for the same seed."""
    rng = random.Random(seed)

    def score() -> float:
        return rng.choice([1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5])

    rows = []
    for i in range(n):
        row: dict[str, object] = {
            "id": f"org-{i:04d}", "name": f"Organisation {i:04d}",
            "level": rng.choice(["state", "regional", "municipal"]),
            "assessed": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "importance": rng.choice(["most_important", "top3", "important", "not_prioritised"]),
        }
        row.update({f"impact.{k}": score() for k in IMPACTS})
        row.update({f"effects.{k}": score() for k in EFFECTS})
        for cap, subs in CAPABILITIES.items():
            if subs:
                row.update({f"capabilities.{cap}.{s}": score() for s in subs})
            else:
                row[f"capabilities.{cap}"] = score()
        rows.append(row)
    return rows


def write_csv(rows: list[dict[str, object]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def done_count(out: Path) -> int:
    try:
        items = json.loads((out / "manifest.json").read_text("utf-8"))["items"]
    except (OSError, ValueError, KeyError):
        return 0
    return sum(1 for i in items if i["status"] in ("ok", "failed"))


def command(source: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, "-c", "from briefgen.cli import main; main()", "batch", str(source),
            "--out", str(out), "--jobs", str(jobs), "--no-progress"]


def run_sampled(cmd: list[str], out: Path, n: int) -> dict:
    """Run the batch, sampling each worker's RSS; return timings and memory per worker."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    early: dict[int, int] = {}   # peak RSS of each worker while <= 50 briefings were done
    late: dict[int, int] = {}    # peak RSS of each worker after that
    at_50 = None
    while proc.poll() is None:
        done = done_count(out)
        if done >= 50 and at_50 is None:
            at_50 = (time.perf_counter() - start, done)
        try:
            children = parent.children(recursive=True)
        except psutil.Error:
            children = []
        for child in children:
            try:
                # Workers are forked by the fork server (a child with children of its own,
                # rendering nothing); the resource tracker renders nothing either.
                if child.children() or "resource_tracker" in " ".join(child.cmdline()):
                    continue
                rss = child.memory_info().rss
            except psutil.Error:
                continue
            bucket = early if done <= 50 else late
            bucket[child.pid] = max(bucket.get(child.pid, 0), rss)
        time.sleep(0.2)
    wall = time.perf_counter() - start
    stdout, stderr = proc.communicate()
    return {"wall": wall, "at_50": at_50, "early": early, "late": late, "stdout": stdout,
            "stderr": stderr, "code": proc.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    work.mkdir(parents=True, exist_ok=True)
    source, out = work / "orgs.csv", work / "out"
    write_csv(generate(args.n, args.seed), source)
    cmd = command(source, out, args.jobs)

    print(f"batch of {args.n} organisations, {args.jobs} jobs, in {work}")
    first = run_sampled(cmd, out, args.n)
    print(first["stdout"].strip())
    if first["code"] != 0:
        print(first["stderr"][-2000:])
        sys.exit(f"the batch failed (exit {first['code']})")
    print(f"wall time          {first['wall']:.1f} s  ({args.n / first['wall']:.2f} briefings/s, "
          "including start-up)")
    if first["at_50"]:
        t50, d50 = first["at_50"]
        rate = (args.n - d50) / (first["wall"] - t50)
        print(f"steady rate        {rate:.2f} briefings/s (from briefing {d50} to the end)")
    mb = 1024 * 1024
    for pid in sorted(set(first["early"]) | set(first["late"])):
        early, late = first["early"].get(pid, 0) / mb, first["late"].get(pid, 0) / mb
        print(f"worker {pid:<8}    peak RSS {early:6.0f} MB in the first 50, "
              f"{late:6.0f} MB after ({late - early:+.0f} MB)")

    start = time.perf_counter()
    again = subprocess.run(cmd, capture_output=True, text=True)
    noop = time.perf_counter() - start
    print(again.stdout.strip())
    print(f"no-op re-run       {noop:.2f} s (the whole command, start-up included)")


if __name__ == "__main__":
    main()
