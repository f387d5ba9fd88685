"""Time and size of each PDF variant: the example organisations in PDF/UA-1 and PDF/A-3b.

    python bench/bench_variants.py            # 3 rounds
    python bench/bench_variants.py --rounds 5

One Briefgen per variant (data loaded and renderer set up once, as in a batch); the first
briefing of each variant is a warm-up and not counted.
"""

from __future__ import annotations

import argparse
import statistics
import time

from briefgen.load import list_orgs
from briefgen.options import Options
from briefgen.pipeline import Briefgen
from briefgen.render import PDF_VARIANTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"{'variant':<10} {'org':<14} {'seconds (median)':>17} {'bytes':>10}")
    totals = {}
    for variant in PDF_VARIANTS:
        bg = Briefgen(Options(pdf_variant=variant))
        orgs = [p.stem for p in list_orgs(bg.bundle)]
        bg.pdf(orgs[0])  # warm-up: fonts, first template compile
        times, sizes = [], []
        for org in orgs:
            runs = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                data, _ = bg.pdf(org)
                runs.append(time.perf_counter() - start)
            times.append(statistics.median(runs))
            sizes.append(len(data))
            print(f"{variant:<10} {org:<14} {times[-1]:>17.2f} {len(data):>10,}")
        totals[variant] = (statistics.mean(times), statistics.mean(sizes))
    print()
    base_t, base_b = totals[PDF_VARIANTS[0]]
    for variant, (t, b) in totals.items():
        print(f"{variant:<10} mean {t:.2f} s, {b:,.0f} bytes "
              f"({(t / base_t - 1) * 100:+.1f} % time, {(b / base_b - 1) * 100:+.1f} % bytes)")


if __name__ == "__main__":
    main()
