"""Measure `briefgen benchmark build` on a large generated survey.

Generates a survey of 10,000 respondents in 2,000 organisations (CSV and, with --xlsx, XLSX),
then times `benchmark build` in a fresh process and reports its peak memory (ru_maxrss).

    python bench/bench_survey.py                    # 10,000 respondents, CSV
    python bench/bench_survey.py --xlsx             # also the same survey as XLSX
    python bench/bench_survey.py --orgs 200 --respondents 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from briefgen.load import load_data
from briefgen.models import IMPORTANCE_LEVELS, LEVELS
from briefgen.survey.columns import META, answer_columns


def generate(orgs: int, respondents: int, seed: int = 2026) -> pd.DataFrame:
    """A survey with ``respondents`` rows spread over ``orgs`` organisations (at least one each)."""
    rng = np.random.default_rng(seed)
    keys = [c.key for c in answer_columns(load_data().framework)]
    org_of = np.concatenate([np.arange(orgs), rng.integers(0, orgs, respondents - orgs)])
    org_of.sort()
    level = rng.choice(LEVELS, size=orgs, p=[0.3, 0.1, 0.6])
    centre = rng.normal(3.0, 0.6, size=orgs)
    frame = pd.DataFrame({
        "org_id": [f"org-{i:05d}" for i in org_of],
        "org_name": [f"Organisation {i}" for i in org_of],
        "level": level[org_of],
        "respondent": [f"r{j}" for j in range(respondents)],
        "date": [(dt.date(2026, 10, 1) + dt.timedelta(days=int(d))).isoformat()
                 for d in rng.integers(0, 20, respondents)],
        "importance": rng.choice(IMPORTANCE_LEVELS, size=respondents),
    })
    answers = np.clip(np.rint(centre[org_of][:, None] + rng.normal(0, 0.8, (respondents,
                                                                           len(keys)))), 1, 5)
    return pd.concat([frame, pd.DataFrame(answers.astype(int), columns=keys)], axis=1)[
        [*META, *keys]]


CHILD = """
import resource, sys
from briefgen.cli import cli
try:
    cli(sys.argv[1:], prog_name="briefgen", standalone_mode=False)
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def run_build(survey: Path, out: Path) -> tuple[float, float, str]:
    """Time one `briefgen benchmark build` in a fresh process; return seconds, peak MiB, output."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, "benchmark", "build", str(survey),
                           "--name", "Bench", "--out", str(out)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"benchmark build failed: {done.stderr.strip()}")
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return seconds, peak_kib / 1024, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--respondents", type=int, default=10_000)
    parser.add_argument("--xlsx", action="store_true", help="also measure the XLSX form")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        frame = generate(args.orgs, args.respondents)
        print(f"generated {len(frame):,} respondents in {frame['org_id'].nunique():,} "
              f"organisations in {time.perf_counter() - start:.1f} s")
        forms = [("csv", folder / "survey.csv")]
        frame.to_csv(forms[0][1], index=False)
        if args.xlsx:
            forms.append(("xlsx", folder / "survey.xlsx"))
            frame.to_excel(forms[1][1], index=False)
        # The interpreter and imports alone, for reference.
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import briefgen.survey.benchmark"], check=True)
        print(f"python + imports alone: {time.perf_counter() - start:.2f} s")
        for kind, path in forms:
            seconds, peak, output = run_build(path, folder / f"bench-{kind}.yaml")
            size = path.stat().st_size / 1e6
            print(f"benchmark build ({kind}, {size:.1f} MB): {seconds:.2f} s wall, peak RSS "
                  f"{peak:.0f} MiB -> {output.split(': ', 1)[1]}")


if __name__ == "__main__":
    main()
