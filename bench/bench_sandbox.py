"""What Jinja's sandbox costs: briefing.html rendered by a plain environment and by the
renderer's BriefingSandbox, the same context, in alternating rounds.

    python bench/bench_sandbox.py               # 41 rounds of 5 renders each
    python bench/bench_sandbox.py --rounds 81

Only the template stage is timed (CPU); a whole warm render, WeasyPrint included, is measured
by ``bench/compare.py --only warm`` against a commit without the sandbox.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import time

import jinja2
from markupsafe import Markup

from briefgen import brand, resources
from briefgen.context import briefing_context
from briefgen.options import Options
from briefgen.pipeline import Briefgen
from briefgen.render import BriefingSandbox, _upfirst


def environment(cls: type[jinja2.Environment]) -> jinja2.Environment:
    """The renderer's settings and filters, in an environment of class ``cls``."""
    env = cls(loader=jinja2.FileSystemLoader(resources.templates_dir()), autoescape=True,
              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["upfirst"] = _upfirst
    env.filters["data_uri"] = lambda svg: Markup(
        "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode())
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--org", default="region-x")
    args = parser.parse_args()
    bg = Briefgen(Options())
    analysis, matches = bg.analyse(args.org)
    charts, extra = bg.charts(analysis)
    context = briefing_context(bg.texts_for(analysis), analysis, matches, charts, extra,
                               bg.bundle, None, None, bg.target_checks(analysis),
                               brand.brand_context(bg.options))
    templates = {name: environment(cls).get_template("briefing.html")
                 for name, cls in (("plain", jinja2.Environment), ("sandbox", BriefingSandbox))}
    html = {name: t.render(**context) for name, t in templates.items()}
    assert html["plain"] == html["sandbox"], "the sandbox changed the HTML"
    times: dict[str, list[float]] = {name: [] for name in templates}
    for round_ in range(args.rounds):
        for name in (["plain", "sandbox"] if round_ % 2 == 0 else ["sandbox", "plain"]):
            start = time.process_time()
            for _ in range(5):
                templates[name].render(**context)
            times[name].append((time.process_time() - start) / 5)
    ratios = sorted(s / p for p, s in zip(times["plain"], times["sandbox"], strict=True))
    quartiles = statistics.quantiles(ratios, n=4)
    print(f"{args.org}: briefing.html, {len(html['plain']):,} characters, identical in both; "
          f"{args.rounds} rounds, load {os.getloadavg()[0]:.1f}")
    for name, values in times.items():
        print(f"  {name:<8} CPU per render, median {1000 * statistics.median(values):.1f} ms")
    ratio = statistics.median(times["sandbox"]) / statistics.median(times["plain"])
    print(f"  sandbox / plain {ratio:.2f} (per-round IQR {quartiles[0]:.2f}-{quartiles[2]:.2f}, "
          f"min-max {ratios[0]:.2f}-{ratios[-1]:.2f})")


if __name__ == "__main__":
    main()
