"""Warm-render probe, run by bench/compare.py inside one variant's own interpreter.

It renders once (the warm-up: fonts, templates, stylesheet), prints ``ready``, then renders
once more for every ``render`` line it reads on stdin and answers with one JSON line: CPU and
wall seconds, pages and bytes. It uses only the API every revision of briefgen has
(``Briefgen(Options(...)).pdf(org)``), so the same probe drives the baseline and the working tree.
"""

from __future__ import annotations

import json
import re
import resource
import sys
import time


def main() -> None:
    org, lang = sys.argv[1], sys.argv[2]
    from briefgen.options import Options
    from briefgen.pipeline import Briefgen

    bg = Briefgen(Options(lang=lang))

    def render() -> dict:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        data, result = bg.pdf(org, lang)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        # Result.pages since the renderer returns its page count; before: renderer.last_pages
        pages = result.pages or getattr(bg.renderer, "last_pages", None) or len(
            re.findall(rb"/Type\s*/Page\b", data))
        return {"cpu": cpu, "wall": wall, "pages": pages, "bytes": len(data),
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

    first = render()
    import briefgen

    print(json.dumps({"ready": True, "file": briefgen.__file__, **first}), flush=True)
    for line in sys.stdin:
        if line.strip() != "render":
            break
        print(json.dumps(render()), flush=True)


if __name__ == "__main__":
    main()
