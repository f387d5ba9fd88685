"""Measure one briefing: warm time, cold command time, peak memory, and WeasyPrint's floor.

    python bench/bench_make.py [--org region-x] [--runs 7]

warm   median time of Briefgen.pdf() in a process that has rendered once already
cold   median wall time of the `briefgen make` command in a fresh process
floor  median time WeasyPrint alone needs for the same final HTML, stylesheet and fonts
       (parsed once, as briefgen does), i.e. what no amount of work on briefgen can remove
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from weasyprint import HTML

from briefgen.options import Options
from briefgen.pipeline import Briefgen


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--org", default="region-x")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--variant", default="pdf/ua-1")
    args = parser.parse_args()

    bg = Briefgen(Options(pdf_variant=args.variant))
    data, _ = bg.pdf(args.org)                                  # warm-up: fonts, templates, CSS
    analysis, matches = bg.analyse(args.org)
    html = bg.html(analysis, matches)
    r = bg.renderer

    def floor() -> None:
        HTML(string=html, base_url=r.base_url, url_fetcher=r.fetcher).write_pdf(
            stylesheets=[r.css], font_config=r.font_config, pdf_variant=args.variant,
            pdf_tags=True)

    floor()
    # Interleaved, so that load from other processes hits both measurements alike.
    warm_times, floor_times = [], []
    for _ in range(args.runs):
        warm_times.append(median_time(lambda: bg.pdf(args.org), 1))
        floor_times.append(median_time(floor, 1))
    warm, floor_time = statistics.median(warm_times), statistics.median(floor_times)
    peak_warm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "briefgen", "make", "--org", args.org, "--out", out]
        subprocess.run(cmd, check=True, capture_output=True)     # page cache warm
        cold = median_time(lambda: subprocess.run(cmd, check=True, capture_output=True),
                           max(3, args.runs // 2))
    peak_cold = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    overhead = (warm - floor_time) / floor_time * 100
    print(f"briefing         {args.org}, {len(data):,} bytes, variant {args.variant}")
    print(f"warm (median)    {warm * 1000:7.0f} ms   target <= 400 ms")
    print(f"cold make        {cold * 1000:7.0f} ms   target <= 1500 ms")
    print(f"weasyprint floor {floor_time * 1000:7.0f} ms")
    print(f"our overhead     {overhead:7.1f} %    target <= 15 %")
    print(f"peak RSS         {peak_warm:7.0f} MiB (warm process), {peak_cold:.0f} MiB (cold make)")


if __name__ == "__main__":
    main()
