"""Compare two builds of briefgen honestly: interleaved rounds, CPU and wall time, ratios.

    python bench/compare.py                          # baseline: main, against the working tree
    python bench/compare.py --baseline 7d381fc --rounds 9 --json bench/results/latest.json
    python bench/compare.py --baseline HEAD --only warm   # A/A: what noise alone looks like
    python bench/compare.py --only batch --batch-rounds 3
    python bench/compare.py --candidate HEAD     # B built from a commit too (go on editing)

A is the baseline revision, built from git (``git archive REV``) into a temporary folder and
installed with pip into its own venv (kept in ~/.cache/briefgen-bench/SHA, so the next run with
the same revision does not build it again). B is the working tree, run by this interpreter
(or, with --candidate REV, another revision built the same way).
Both run the same measurements, in rounds that alternate A B, B A, A B ... so that load from
other processes on a shared machine falls on both alike. Per measurement it prints the median
of A and of B, the ratio of the medians (B / A), and the spread of the per-round ratios
(min-max and interquartile range), with the 1-minute load average seen during the rounds.

warm   one process per variant renders --org once (warm-up), then once per round; CPU and
       wall time of Briefgen.pdf(), and CPU per page (the briefing may differ in length)
cold   `python -m briefgen make --org ORG` in a fresh process; CPU (user + system, from
       wait4) and wall time. Each variant has its own XDG_CACHE_HOME, filled by one
       unmeasured run first: the figure is a user's second run, not the very first one.
batch  `briefgen batch` of --batch-n generated organisations with --jobs; time to the first
       PDF on disk, wall time, briefings per second, CPU of the whole process tree (sampled
       with psutil every 50 ms), and the peak RSS of each worker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from bench_batch import generate, write_csv  # noqa: E402

CACHE = Path(os.environ.get("BRIEFGEN_BENCH_CACHE", Path.home() / ".cache" / "briefgen-bench"))


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


class Variant:
    """One build of briefgen: a name, the interpreter that runs it, the commit it came from."""

    def __init__(self, name: str, python: str, commit: str, work: Path):
        self.name, self.python, self.commit = name, python, commit
        self.env = dict(os.environ, XDG_CACHE_HOME=str(work / f"cache-{name}"))
        self.probe: subprocess.Popen | None = None

    def module(self, *args: str) -> list[str]:
        return [self.python, "-m", "briefgen", *args]


def build_revision(rev: str) -> tuple[str, str]:
    """Install revision ``rev`` into a venv of its own; return (python, full sha)."""
    sha = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    home = CACHE / sha
    python = home / "venv" / "bin" / "python"
    if (home / "ok").exists():
        return str(python), sha
    shutil.rmtree(home, ignore_errors=True)
    (home / "src").mkdir(parents=True)
    print(f"building {rev} ({sha[:10]}) in {home} ...", file=sys.stderr)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", sha], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(home / "src")], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(home / "src")], check=True)
    (home / "ok").write_text(sha)
    return str(python), sha


def working_tree() -> tuple[str, str]:
    sha = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return sys.executable, sha + ("+dirty" if dirty else "")


def load() -> float:
    return os.getloadavg()[0]


def quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 4:
        return min(values), max(values)
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


# --- warm ------------------------------------------------------------------------------------

def start_probe(v: Variant, org: str, lang: str) -> dict:
    v.probe = subprocess.Popen([v.python, str(HERE / "_probe.py"), org, lang], env=v.env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    first = json.loads(v.probe.stdout.readline())
    return first


def warm_round(v: Variant) -> dict:
    assert v.probe and v.probe.stdin and v.probe.stdout
    v.probe.stdin.write("render\n")
    v.probe.stdin.flush()
    r = json.loads(v.probe.stdout.readline())
    r["cpu_per_page"] = r["cpu"] / r["pages"]
    return r


def stop_probe(v: Variant) -> None:
    if v.probe:
        v.probe.stdin.close()
        v.probe.wait(timeout=60)
        v.probe = None


# --- cold ------------------------------------------------------------------------------------

def run_timed(cmd: list[str], env: dict) -> dict:
    """Run ``cmd``; its wall time, and its CPU time and peak RSS as wait4 reports them."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "maxrss_mb": usage.ru_maxrss / 1024}


def cold_round(v: Variant, org: str, lang: str, out: Path) -> dict:
    return run_timed(v.module("make", "--org", org, "--lang", lang, "--out", str(out)), v.env)


# --- batch -----------------------------------------------------------------------------------

def batch_round(v: Variant, source: Path, out: Path, jobs: int, n: int) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cmd = v.module("batch", str(source), "--out", str(out), "--jobs", str(jobs), "--force",
                   "--no-progress")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=v.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    cpu: dict[int, float] = {}
    worker_rss: dict[int, int] = {}
    first = None
    while proc.poll() is None:
        if first is None and any(not p.name.startswith(".") for p in out.glob("*.pdf")):
            first = time.perf_counter() - start
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            tree = [root]
        for p in tree:
            try:
                with p.oneshot():
                    t = p.cpu_times()
                    cpu[p.pid] = t.user + t.system
                    # Workers render; the main process, the fork server (it has children)
                    # and the resource tracker do not.
                    if p.pid != root.pid and not p.children() and \
                            "resource_tracker" not in " ".join(p.cmdline()):
                        worker_rss[p.pid] = max(worker_rss.get(p.pid, 0), p.memory_info().rss)
            except psutil.Error:
                continue
        time.sleep(0.05)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"batch with {v.name} failed ({proc.returncode}):\n{err[-2000:]}")
    made = len([p for p in out.glob("*.pdf") if not p.name.startswith(".")])
    if made != n:
        raise SystemExit(f"batch with {v.name} made {made} PDFs, expected {n}")
    return {"first_pdf": first if first is not None else wall, "wall": wall,
            "per_second": n / wall, "cpu": sum(cpu.values()),
            "worker_rss_mb": max(worker_rss.values(), default=0) / 2**20,
            "workers": len(worker_rss)}


# --- report ----------------------------------------------------------------------------------

def summarise(rounds: list[dict], key: str) -> dict:
    a = [r["A"][key] for r in rounds]
    b = [r["B"][key] for r in rounds]
    ratios = [y / x for x, y in zip(a, b, strict=True) if x]
    q1, q3 = quartiles(ratios)
    return {"A_median": statistics.median(a), "B_median": statistics.median(b),
            "ratio_of_medians": statistics.median(b) / statistics.median(a),
            "round_ratio_min": min(ratios), "round_ratio_max": max(ratios),
            "round_ratio_q1": q1, "round_ratio_q3": q3, "rounds": len(rounds)}


def print_table(name: str, rounds: list[dict], keys: dict[str, str]) -> dict:
    loads = [r["load"] for r in rounds]
    print(f"\n{name}: {len(rounds)} rounds, 1-min load {min(loads):.1f}-{max(loads):.1f} "
          f"(median {statistics.median(loads):.1f})")
    print(f"  {'':<22}{'A (baseline)':>13}{'B':>11}{'B/A':>7}   per-round B/A: "
          "IQR, min-max")
    out = {"load_min": min(loads), "load_max": max(loads),
           "load_median": statistics.median(loads), "rounds": rounds}
    for key, label in keys.items():
        s = summarise(rounds, key)
        out[key] = s
        print(f"  {label:<22}{s['A_median']:>13.3f}{s['B_median']:>11.3f}"
              f"{s['ratio_of_medians']:>7.2f}   "
              f"{s['round_ratio_q1']:.2f}-{s['round_ratio_q3']:.2f}, "
              f"{s['round_ratio_min']:.2f}-{s['round_ratio_max']:.2f}")
    return out


def interleave(variants: list[Variant], n: int, measure) -> list[dict]:
    rounds = []
    for i in range(n):
        order = variants if i % 2 == 0 else variants[::-1]
        result: dict = {"load": load()}
        for v in order:
            result[v.name] = measure(v)
        rounds.append(result)
        print(f"  round {i + 1}/{n} done (load {result['load']:.1f})", file=sys.stderr)
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--candidate", default=None,
                        help="build this revision as B too, instead of using the working tree")
    parser.add_argument("--org", default="region-x")
    parser.add_argument("--lang", default="sv")
    parser.add_argument("--only", default="warm,cold,batch",
                        help="comma-separated: warm, cold, batch")
    parser.add_argument("--rounds", type=int, default=9, help="warm rounds")
    parser.add_argument("--cold-rounds", type=int, default=7)
    parser.add_argument("--batch-rounds", type=int, default=3)
    parser.add_argument("--batch-n", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    only = set(args.only.split(","))

    a_python, a_sha = build_revision(args.baseline)
    b_python, b_sha = build_revision(args.candidate) if args.candidate else working_tree()
    work = Path(tempfile.mkdtemp(prefix="briefgen-compare-"))
    variants = [Variant("A", a_python, a_sha, work), Variant("B", b_python, b_sha, work)]
    info = {"baseline": args.baseline, "candidate": args.candidate or "working tree",
            "A_commit": a_sha, "B_commit": b_sha,
            "machine": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "load_at_start": os.getloadavg(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                        time.gmtime()),
            "org": args.org, "lang": args.lang}
    print(f"A = {args.baseline} {a_sha[:10]}   B = {args.candidate or 'working tree'} {b_sha[:10]}"
          f"{' (uncommitted changes)' if b_sha.endswith('+dirty') else ''}")
    print(f"{os.cpu_count()} CPUs, load average at start "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine may be shared)")
    results: dict = {"info": info}
    try:
        if "warm" in only:
            firsts = {v.name: start_probe(v, args.org, args.lang) for v in variants}
            for name, first in firsts.items():
                print(f"{name}: {first['file']}: {first['pages']} pages, {first['bytes']:,} bytes")
            rounds = interleave(variants, args.rounds, warm_round)
            results["warm"] = print_table("warm render", rounds, {
                "cpu": "CPU s", "wall": "wall s", "cpu_per_page": "CPU s per page",
                "bytes": "PDF bytes", "maxrss_mb": "process peak RSS MB"})
            for v in variants:
                stop_probe(v)
        if "cold" in only:
            out = work / "make"
            for v in variants:
                cold_round(v, args.org, args.lang, out)  # fill page cache and user cache
            rounds = interleave(variants, args.cold_rounds,
                                lambda v: cold_round(v, args.org, args.lang, out))
            results["cold"] = print_table(f"cold `briefgen make --org {args.org}`", rounds, {
                "cpu": "CPU s", "wall": "wall s", "maxrss_mb": "peak RSS MB"})
        if "batch" in only:
            source = work / "orgs.csv"
            write_csv(generate(args.batch_n, 1), source)
            rounds = interleave(variants, args.batch_rounds, lambda v: batch_round(
                v, source, work / f"batch-{v.name}", args.jobs, args.batch_n))
            results["batch"] = print_table(
                f"batch of {args.batch_n}, --jobs {args.jobs}", rounds, {
                    "first_pdf": "first PDF after s", "wall": "wall s",
                    "per_second": "briefings/s", "cpu": "CPU s (all processes)",
                    "worker_rss_mb": "worker peak RSS MB"})
    finally:
        for v in variants:
            if v.probe:
                v.probe.kill()
        shutil.rmtree(work, ignore_errors=True)
    info["load_at_end"] = os.getloadavg()
    print(f"\nload average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
