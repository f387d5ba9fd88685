"""Rendering: escaping, the safe fetcher, and atomic writes."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import io
import re
import subprocess
import sys
import zlib
from pathlib import Path

import jinja2
import pikepdf
import pydyf
import pytest
from pypdf import PdfReader

from briefgen import __version__, render
from briefgen.load import validate_profile
from briefgen.render import (
    PDF_COMPRESSION_LEVEL,
    PdfMeta,
    Renderer,
    SafeFetcher,
    compress_streams,
    write_atomic,
)

from .conftest import pdf_text


def test_text_from_the_data_appears_literally(bg, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    data["name"] = "Å<script>alert(1)</script> & {{ 7*7 }} {% raw %} Ärla Ö"
    org = validate_profile(data, bg.bundle, "x.yaml")
    # The renderer is shared within a process: count only what this briefing asked for.
    refused_before = len(bg.renderer.fetcher.refused)
    analysis, matches, advice = bg.advised(org)
    html = bg.html(analysis, matches, advice)
    assert "<script>" not in html and "&lt;script&gt;" in html
    pdf, _ = bg.pdf(org)
    text = pdf_text(pdf).replace("\n", " ")
    assert "Å<script>alert(1)</script> & {{ 7*7 }} {% raw %} Ärla Ö" in text
    assert " 49 " not in text.split("Ärla")[0][-40:]
    assert bg.renderer.fetcher.refused[refused_before:] == []


def test_fetcher_serves_own_assets_and_refuses_the_rest(tmp_path):
    from briefgen import resources

    fetcher = SafeFetcher([resources.fonts_dir()])
    font = resources.fonts_dir() / "Lato-Regular.ttf"
    assert fetcher.fetch(font.as_uri()).read()[:4] == b"\x00\x01\x00\x00"
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    for url in (secret.as_uri(), "file:///etc/passwd", "http://127.0.0.1:9/x.css",
                "https://example.org/", (resources.fonts_dir() / ".." / ".." / "x").as_uri()):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5


def test_user_templates_override_one_partial(tmp_path, bg):
    (tmp_path / "_cover.html").write_text("<section class='cover'><p>FIRM COVER "
                                          "{{ org.name }}</p><p class='orgname-holder'>"
                                          "{{ org.name }}</p></section>")
    from briefgen.options import Options
    from briefgen.pipeline import Briefgen

    custom = Briefgen(Options(templates=tmp_path))
    pdf, _ = custom.pdf("region-x")
    text = pdf_text(pdf)
    assert "FIRM COVER Region X" in text and "Sammanfattning" in text


def test_write_atomic_never_leaves_half_a_file(tmp_path):
    # A write that fails half-way (here: a file-size limit of 10 kB, set in a child process so
    # that it binds no one else) must leave the earlier file whole and no temporary behind.
    target = tmp_path / "a.pdf"
    write_atomic(target, b"first")
    script = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "from briefgen.errors import OutputError\n"
        "from briefgen.output import write_atomic\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))\n"
        "try:\n"
        "    write_atomic(Path(sys.argv[1]), b'x' * 100_000)\n"
        "except OutputError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True,
                          text=True)
    assert done.returncode == 3, done.stderr[-500:]
    assert "a.pdf: cannot write" in done.stdout
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]


def test_renderer_is_reused(bg):
    renderer = bg.renderer
    bg.pdf("region-x")
    assert bg.renderer is renderer and isinstance(renderer, Renderer)
    assert Path(renderer.base_url).is_dir()


def _deflate(data: bytes, level: int) -> bytes:
    deflate = zlib.compressobj(level=level)
    return deflate.compress(data) + deflate.flush()


def test_compress_streams_deflates_at_the_level_given(tmp_path):
    pdf = pydyf.PDF()
    content = pydyf.Stream(compress=True)
    content.move_to(0, 0)
    content.line_to(100, 100)
    content.stroke()
    plain = pydyf.Stream([b"left alone"])  # compress=False: not touched
    pdf.add_object(content)
    pdf.add_object(plain)
    raw = b"\n".join(content.stream)

    assert compress_streams(pdf, 6) == 1
    assert content.stream == [_deflate(raw, 6)] and content.extra["Filter"] == "/FlateDecode"
    assert plain.stream == [b"left alone"] and "Filter" not in plain.extra
    out = io.BytesIO()
    pdf.write(out, compress=True)
    # Written as handed over: deflated once, not twice.
    assert b"/Filter /FlateDecode" in out.getvalue() and _deflate(raw, 6) in out.getvalue()


def test_briefing_streams_are_deflated_at_level_6(bg):
    data, _ = bg.pdf("region-x")
    pdf = pikepdf.open(io.BytesIO(data))
    checked = differs_from_9 = 0
    for page in pdf.pages:
        for stream in [page.Contents] if isinstance(page.Contents, pikepdf.Stream) \
                else list(page.Contents):
            assert stream.Filter == "/FlateDecode"
            assert stream.read_raw_bytes() == _deflate(stream.read_bytes(), PDF_COMPRESSION_LEVEL)
            differs_from_9 += stream.read_raw_bytes() != _deflate(stream.read_bytes(), 9)
            checked += 1
    assert PDF_COMPRESSION_LEVEL == 6 and checked >= len(pdf.pages) and differs_from_9


def test_template_cache_is_made_when_absent_and_used_by_the_next_renderer(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = Renderer()
    first.env.get_template("briefing.html")
    folder = Path(first.env.bytecode_cache.directory)
    assert folder.parent == tmp_path / "cache" / "briefgen"
    cached = sorted(folder.glob("*.cache"))
    assert cached
    stamps = [p.stat().st_mtime_ns for p in cached]
    second = Renderer()
    second.env.get_template("briefing.html")  # loaded from the cache, not written again
    assert [p.stat().st_mtime_ns for p in sorted(folder.glob("*.cache"))] == stamps


@pytest.mark.parametrize("where", ["a file", "read-only"])
def test_template_cache_that_cannot_be_used_is_no_error(tmp_path, monkeypatch, where):
    if where == "a file":  # the cache folder cannot be made: a file is in the way
        (tmp_path / "cache").write_text("not a folder")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    else:  # the folder exists but nothing can be written in it, not even by root
        folder = (tmp_path / "cache" / "briefgen"
                  / f"templates-{__version__}-jinja{jinja2.__version__}-sandboxed")
        folder.parent.mkdir(parents=True)
        folder.symlink_to("/proc/self/fdinfo")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    renderer = Renderer()
    # No cache at all when the folder cannot be made; one that writes nothing when read-only.
    assert (renderer.env.bytecode_cache is None) == (where == "a file")
    renderer.warm_up()  # compiles every template and writes a PDF
    toc = renderer.env.get_template("_toc.html").render(
        t=lambda key, **_: key, a={"capabilities": []}, m={"effect_practices": {}},
        advice={"findings": ()})
    assert 'href="#summary"' in toc


def test_fallback_fonts_are_named_only_for_text_the_primary_font_lacks(bg):
    from briefgen.fonts import needs_fallback

    assert not needs_fallback("Region X")
    assert not needs_fallback("Östra Göinge kommun – ”digital” · 2,5 %")  # Lato has these
    assert needs_fallback("Region ✓")
    assert not needs_fallback("Region\u200b X\u00ad")  # invisible characters need no glyph
    # The shipped texts and templates stay within Lato, so an ordinary briefing takes the
    # fast path: its HTML needs no fallback, and the PDF embeds Lato alone.
    for lang in ("sv", "en"):
        assert not needs_fallback(bg.html(*bg.advised("region-x", lang), lang=lang))
    plain, _ = bg.pdf("region-x")
    fonts = {name.split("+")[-1] for name in pdf_font_names(plain)}
    assert fonts and all(name.startswith("Lato") for name in fonts), fonts


def pdf_font_names(pdf: bytes) -> set[str]:
    """The BaseFont of every font object in ``pdf``."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return {str(obj.BaseFont) for obj in doc.objects
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"
                and "/BaseFont" in obj}


def _text_runs(pdf: bytes) -> int:
    """How many text-showing operators the PDF's pages and forms hold."""
    runs = 0
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") in (None, "/Form") \
                    and obj.get("/Type") in (None, "/XObject") and "/Length1" not in obj:
                try:
                    ops = pikepdf.parse_content_stream(obj)
                except pikepdf.PdfError:
                    continue
                runs += sum(str(op) in ("Tj", "TJ") for _, op in ops)
    return runs


@pytest.mark.parametrize(("attributes", "extra"), [("", 0), ('dx="0 1 0 1"', 3)])
def test_chart_labels_are_drawn_as_one_run_unless_letters_are_placed(attributes, extra):
    """A plain SVG ``<text>`` is laid out and drawn once (svgtext), not letter by letter: a
    four-letter label costs no more text runs than a one-letter one. Per-letter positions
    still go through WeasyPrint's own code (a run per letter)."""
    from urllib.parse import quote

    renderer = Renderer()

    def pdf(label: str) -> bytes:
        svg = ("<svg xmlns='http://www.w3.org/2000/svg' width='200' height='40'>"
               f"<text x='10' y='20' {attributes} style='font-family: Lato; font-size: 9px'>"
               f"{label}</text></svg>")
        html = (f'<html lang="en"><body><img alt="chart" src="data:image/svg+xml,{quote(svg)}">'
                "</body></html>")
        return renderer._layout(html).write_pdf()

    four = pdf("AVAV")
    assert _text_runs(four) - _text_runs(pdf("A")) == extra
    assert "AVAV" in pdf_text(four).replace(" ", "")


def test_inline_images_reach_the_renderer_by_reference_during_the_render_only(bg):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>'
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    other = "data:image/png;base64," + base64.b64encode(b"\x89PNG").decode()
    html = f'<img src="{uri}"><img src="{other}"><img src="{uri}"><p>"{uri[:30]}</p>'
    swapped, images = render._by_reference(html)
    refs = re.findall(r'src="([^"]*)"', swapped)
    assert refs[0] == refs[2] != refs[1] and all(r.startswith("briefgen-inline:") for r in refs)
    assert images == {refs[0]: ("image/svg+xml", svg), refs[1]: ("image/png", b"\x89PNG")}
    assert swapped.endswith(f'<p>"{uri[:30]}</p>')  # text that is no whole URL stays

    refused = len(bg.renderer.fetcher.refused)
    data, _ = bg.pdf("region-x")
    assert bg.renderer.fetcher.refused[refused:] == []
    text = pdf_text(data)
    # the charts are drawn (their legend is text on the page), not replaced by their alt text
    assert "Studiens medel" in text and "Radardiagram" not in text
    with pytest.raises(ValueError, match="only its own assets"):  # after the render: no more
        bg.renderer.fetcher.fetch(refs[0])


def test_contents_numbers_written_after_pagination_match_weasyprints_own(bg):
    """The placeholder filled in by briefgen.pagerefs gives the very PDF that WeasyPrint's
    target-counter() gives (which lays the contents page out three times)."""
    analysis, matches, advice = bg.advised("region-x")
    html = bg.html(analysis, matches, advice)
    meta = bg.meta(analysis)
    own = html.replace("</head>", "<style>.toc a::after { content: "
                       "target-counter(attr(href), page); }</style></head>", 1)
    ours = html.replace("</head>", "<style></style></head>", 1)  # the same HTML but for that
    assert bg.renderer.pdf(ours, meta).pdf == bg.renderer.pdf(own, meta).pdf


def test_contents_entry_without_a_target_gets_no_number(bg):
    html = ('<html lang="en"><body><nav class="toc"><ol><li><a href="#a">Alpha</a></li>'
            '<li><a href="#nowhere">Beta</a></li></ol></nav>'
            '<h2 id="a" style="break-before: page">Alpha</h2><p>x</p></body></html>')
    meta = PdfMeta(title="t", author="a", subject="s", keywords=("k",), lang="en",
                   created=dt.datetime(2024, 1, 1), identifier=b"0" * 16)
    contents = PdfReader(io.BytesIO(bg.renderer.pdf(html, meta).pdf)).pages[0].extract_text()
    assert re.search(r"^Alpha 2$", contents, re.M)
    assert re.search(r"^Beta$", contents, re.M) and "00" not in contents
