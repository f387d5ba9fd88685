"""End to end: every example organisation in both languages, read back from the PDF."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from .conftest import EXAMPLES, pdf_text

CASES = [(org, lang) for org in EXAMPLES for lang in ("sv", "en")]


@pytest.mark.parametrize("org, lang", CASES)
def test_briefing_content(rendered, bg, org, lang):
    path = rendered[(org, lang)]
    reader = PdfReader(path)
    text = pdf_text(path)
    analysis, matches = bg.analyse(org)
    assert 12 <= len(reader.pages) <= 24
    assert analysis.org.name in text
    # Benchmark figures in the locale's format; the unreported ones as words, never a number.
    if lang == "sv":
        for figure in ("3,6", "3,3", "3,1", "3,0", "2,9"):
            assert figure in text
        assert "ej redovisat" in text and f"Sida 3 av {len(reader.pages)}" in text
    else:
        assert "not reported" in text and f"Page 3 of {len(reader.pages)}" in text
    for rec in matches.recommendations:
        title = rec.recommendation.title(lang)
        assert title in text.replace("\n", " "), title
    for heading in (("Sammanfattning", "Metod och källor") if lang == "sv"
                    else ("Summary", "Method and sources")):
        assert heading in text


@pytest.mark.parametrize("org, lang", CASES)
def test_metadata_and_fonts(rendered, org, lang):
    path = rendered[(org, lang)]
    reader = PdfReader(path)
    meta = reader.metadata
    names = {"region-x": "Region X", "kommun-y": "Ytterby kommun",
             "myndighet-z": "Myndigheten för Zeta-frågor"}
    assert meta.title == {"sv": "Digital transformation – lägesbild för {}",
                          "en": "Digital transformation – briefing for {}"}[lang].format(names[org])
    assert meta.author in (None, "")            # no firm given: no author, never "briefgen"
    assert meta.subject and "2018" in meta.subject
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == lang
        fonts = set()
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                descendant = font.get("/DescendantFonts", [font])[0]
                descriptor = descendant.get("/FontDescriptor")
                assert descriptor is not None and ("/FontFile2" in descriptor
                                                   or "/FontFile3" in descriptor)
                fonts.add(str(font.BaseFont).split("+")[-1])
        assert fonts and all(name.startswith("Lato") for name in fonts)


def test_table_of_contents_has_page_numbers(rendered):
    path = rendered[("region-x", "sv")]
    reader = PdfReader(path)
    toc = reader.pages[1].extract_text()
    pages = {m[1]: int(m[2]) for m in re.finditer(r"(?m)^(.+?)(?: \.+)? (\d+)$", toc)}
    assert pages["Sammanfattning"] == 3
    assert 3 < pages["Rekommendationer"] < pages["Metod och källor"] <= len(reader.pages)
    # The entry's number is the page the section really starts on.
    method_page = reader.pages[pages["Metod och källor"] - 1].extract_text()
    assert "Metod och källor" in method_page


def test_same_input_gives_the_same_bytes(bg):
    first, _ = bg.pdf("kommun-y", lang="en")
    second, _ = bg.pdf("kommun-y", lang="en")
    assert first == second


def test_made_from_another_directory_with_the_installed_command(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "briefgen", "make", "--org", "region-x",
                             "--out", str(out)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out / "region-x.pdf")
    assert PdfReader(io.BytesIO((out / "region-x.pdf").read_bytes())).pages


def test_no_effect_section_when_no_area_is_below_the_study(rendered, bg):
    _, matches = bg.analyse("myndighet-z")
    assert matches.effect_practices == {}
    text = pdf_text(rendered[("myndighet-z", "sv")])
    assert "Effektområden att lyfta" not in text
    assert "Inget effektområde ligger mer än 0,3 under studiens medel." in text
    assert "Effektområden att lyfta" in pdf_text(rendered[("kommun-y", "sv")])


def test_the_public_api_is_importable_from_the_package():
    import briefgen
    from briefgen import BatchOptions, Briefgen, BriefgenError, InputError, Options, run_batch

    assert Briefgen.__module__ == "briefgen.pipeline" and Options().lang == "sv"
    assert run_batch.__module__ == "briefgen.batch.run" and BatchOptions().fail_fast is False
    assert issubclass(InputError, BriefgenError)
    assert set(briefgen.__all__) >= {"Briefgen", "Options", "Result", "run_batch"}


def test_a_survey_briefing_as_pdf_a_carries_the_survey_organisation(tmp_path):
    # make --survey ... --pdf-variant pdf/a-3b once re-read the org as a file: an id only in
    # the survey failed, and a shipped id attached the shipped example instead of the answers.
    import yaml

    from briefgen import Briefgen, Options

    survey = Path(__file__).parent / "fixtures" / "survey" / "answers.csv"
    bg = Briefgen(Options(survey=survey, pdf_variant="pdf/a-3b", out=tmp_path))
    for org_id in ("kommun-a", "region-x"):
        path = bg.make(org_id).path
        with pikepdf.open(path) as pdf:
            files = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
        profile = yaml.safe_load(files[f"{org_id}.yaml"])
        expected = bg.survey_org(org_id)
        assert profile["id"] == org_id and profile["name"] == expected.name
        assert profile["capabilities"]["digital_leadership"] == pytest.approx(
            expected.capability_scores["digital_leadership"])
