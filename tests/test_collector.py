"""The cyclic garbage collector is held off while a briefing renders, and back on after."""

from __future__ import annotations

import datetime as dt
import gc
import subprocess
import sys
import threading

import pytest

from briefgen import collector
from briefgen.render import PdfMeta, Renderer

from .conftest import run_cli

HTML = ("<html lang='sv'><body><h1>Rubrik</h1>"
        + "".join(f"<p>Stycke {i} med <b>lite</b> text.</p>" for i in range(60))
        + "<table><tr><th>a</th><td>1</td></tr></table></body></html>")
META = PdfMeta(title="t", author="a", subject="s", keywords=("k",), lang="sv",
               created=dt.datetime(2024, 1, 1), identifier=b"0" * 16)


@pytest.fixture
def collections():
    """The generations of the collections that run while the test does."""
    seen: list[int] = []

    def record(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)


def test_a_render_runs_no_collection_but_one_after_and_leaves_the_collector_on(collections):
    renderer = Renderer()
    renderer._pdf(HTML, META, "pdf/ua-1")  # the same work, not paused: the control
    assert len(collections) > 10, "the control render should have run the collector"
    # Start from empty generations, whatever earlier tests in this process left: otherwise the
    # first young collection after the render may find an older generation at its threshold.
    gc.collect()
    collections.clear()
    rendered = renderer.pdf(HTML, META)
    assert rendered.pages >= 2
    # at most the one young collection that takes the render's garbage once it is back on
    assert collections in ([], [0], [1])
    assert gc.isenabled()


def test_paused_nests_across_threads_and_keeps_a_collector_that_was_off():
    inside, leave = threading.Event(), threading.Event()

    def hold():
        with collector.paused():
            inside.set()
            leave.wait(10)

    worker = threading.Thread(target=hold)
    with collector.paused():
        assert not gc.isenabled()
        worker.start()
        inside.wait(10)
    assert not gc.isenabled()  # the other thread is still inside
    leave.set()
    worker.join(10)
    assert gc.isenabled()

    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()  # the caller had it off: it stays off
    finally:
        gc.enable()


def test_paused_turns_the_collector_back_on_after_an_error():
    with pytest.raises(ValueError), collector.paused():
        raise ValueError("x")
    assert gc.isenabled()


def test_make_as_its_own_process_collects_nothing_and_in_process_leaves_the_collector_on(
        tmp_path):
    script = ("import atexit, gc, sys\n"
              "atexit.register(lambda: print('enabled', gc.isenabled(), 'frozen',"
              " gc.get_freeze_count() > 10_000))\n"  # runs after briefgen's own handler
              "from briefgen.cli import main\n"
              f"sys.argv = ['briefgen', 'make', '--org', 'kommun-y', '--out', {str(tmp_path)!r}]\n"
              "main()\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["enabled", "False", "frozen", "True"]
    assert (tmp_path / "kommun-y.pdf").stat().st_size > 50_000

    run_cli("make", "--org", "kommun-y", "--out", str(tmp_path / "in-process"))
    assert gc.isenabled()  # the CLI run inside another program (the tests) changes nothing
