"""Warm workers: the fork server's preload leaves a ready renderer to every worker it forks."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

import pytest

from briefgen import render
from briefgen.options import Options
from briefgen.pipeline import Briefgen
from briefgen.warm import warm

PROBE = textwrap.dedent("""
    import concurrent.futures as cf
    import multiprocessing
    import sys

    def probe():
        # Before this worker does anything: is the shipped templates' renderer there, with
        # its templates compiled? Then give its first PDF's page count.
        from briefgen import render
        from briefgen.options import Options
        from briefgen.pipeline import Briefgen

        renderer = render._SHARED.get(None)
        ready = renderer is not None and "briefing.html" in {
            t.name for t in renderer.env.cache.values()}
        import gc

        frozen = gc.get_freeze_count() > 10_000  # the fork server froze what it warmed up
        bg = Briefgen(Options())
        _, result = bg.pdf("kommun-y")
        return ready, bg.renderer is renderer, frozen, result.pages

    if __name__ == "__main__":
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(sys.argv[1:])
        with cf.ProcessPoolExecutor(1, mp_context=context) as pool:
            print(*pool.submit(probe).result())
""")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("preload", [["briefgen._preload"], []])
def test_forked_workers_start_with_the_warm_renderer(tmp_path, preload):
    script = tmp_path / "probe.py"
    script.write_text(PROBE, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script), *preload], capture_output=True,
                            text=True, timeout=170)
    assert result.returncode == 0, result.stderr
    ready, reused, frozen, pages = result.stdout.split()
    warmed = bool(preload)
    assert (ready, reused, frozen) == (str(warmed),) * 3
    assert int(pages) > 10


def test_warm_builds_the_renderer_every_briefgen_then_uses(tmp_path):
    try:
        warm()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()  # this is a test process, not a fork server
    renderer = render.shared_renderer()
    assert "briefing.html" in {t.name for t in renderer.env.cache.values()}
    assert Briefgen(Options()).renderer is renderer
    assert Briefgen(Options(lang="en")).renderer is renderer
    own = tmp_path / "templates"
    own.mkdir()
    assert Briefgen(Options(templates=own)).renderer is not renderer

