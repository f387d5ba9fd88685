"""The briefing as a client reads it: in one language, without near-empty pages, and the
advice consistent on the page (priorities below their reference, targets met or not).

Rendered once per session: the shipped organisations in both languages, a uniformly strong and
a uniformly weak profile, and a survey with an earlier round against a built benchmark.
"""

from __future__ import annotations

import copy
import csv
import random
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from briefgen.options import Options
from briefgen.pipeline import Briefgen
from briefgen.survey.benchmark import build_benchmark
from briefgen.survey.read import read_survey

from .conftest import EXAMPLES

SURVEY_HEADER = (Path(__file__).parent / "fixtures" / "survey" / "answers.csv").read_text(
    "utf-8").splitlines()[0].split(",")

# Words that only the other language uses (whole words, case-insensitive).
ENGLISH = re.compile(r"\b(the|and|of|with|which|line|lines|see|notes|study|benchmark|your|"
                     r"below|above|priority|strength|not reported|source|target)\b", re.I)
SWEDISH = re.compile(r"\b(och|att|som|för|med|studien|studiens|ej|redovisat|skattning|rad|"
                     r"är|inte|av|på|mål|källa|sida|under referens)\b", re.I)


def text_of(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def page_ends(path: Path) -> list[float]:
    """Where the body text ends on each page, as a share of the page height."""
    xml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    ends = []
    for _, height, body in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>',
                                      xml, re.S):
        h = float(height)
        ys = [float(y) for y in re.findall(r'<word [^>]*yMax="([\d.]+)"', body)]
        body_ys = [y for y in ys if 0.09 * h < y < 0.93 * h]   # not the running head or foot
        ends.append(max(body_ys) / h if body_ys else 0.0)
    return ends


def _uniform(base: dict, org_id: str, name: str, score: float) -> dict:
    data = copy.deepcopy(base)
    data.update(id=org_id, name=name)
    data["capabilities"] = {k: score for k in data["capabilities"]}
    data["effects"] = {k: score for k in data["effects"]}
    for key in ("maturity_phase", "logo", "previous", "ranking"):
        data.pop(key, None)
    return data


def _survey(path: Path) -> Path:
    """Twelve organisations of three respondents; kund-01 also answered a year earlier."""
    rng = random.Random(5)
    rows = []
    for i in range(12):
        base = rng.uniform(1.8, 4.0)
        rounds = [("2026-10-10", 0.0)] + ([("2025-09-01", -0.6)] if i == 0 else [])
        for date, offset in rounds:
            for r in range(3):
                rows.append([f"kund-{i + 1:02d}", f"Kund {i + 1}", ("state", "regional",
                             "municipal")[i % 3], f"R{r}", date, "top3"]
                            + [str(max(1, min(5, round(base + offset + rng.uniform(-1.2, 1.2)))))
                               for _ in SURVEY_HEADER[6:]])
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([SURVEY_HEADER, *rows])
    return path


@pytest.fixture(scope="session")
def variants(tmp_path_factory, rendered, bg, region_x_profile) -> dict[tuple[str, str], Path]:
    out = tmp_path_factory.mktemp("variants")
    data = out / "data"
    (data / "orgs").mkdir(parents=True)
    (data / "benchmarks").mkdir()
    for org_id, name, score in (("stark", "Stark myndighet", 4.5), ("svag", "Svag kommun", 1.5)):
        (data / "orgs" / f"{org_id}.yaml").write_text(
            yaml.safe_dump(_uniform(region_x_profile, org_id, name, score), allow_unicode=True),
            "utf-8")
    survey = _survey(out / "svar.csv")
    built = build_benchmark(read_survey(survey, bg.bundle), bg.bundle, "Kunder 2026")
    (data / "benchmarks" / "kunder-2026.yaml").write_text(
        yaml.safe_dump(built.model_dump(mode="json", exclude_none=True), allow_unicode=True),
        "utf-8")
    found = dict(rendered)
    plain = Briefgen(Options(data=data, out=out))
    peers = Briefgen(Options(data=data, out=out, survey=survey, benchmark="kunder-2026",
                             extra_benchmarks=("dt-offentlig-sektor-2018",)))
    for lang in ("sv", "en"):
        for org_id in ("stark", "svag"):
            found[(org_id, lang)] = plain.make(org_id, lang=lang).path
        found[("kund-01", lang)] = peers.make("kund-01", lang=lang).path
    return found


VARIANTS = [(o, lang) for o in (*EXAMPLES, "stark", "svag", "kund-01") for lang in ("sv", "en")]


@pytest.mark.parametrize("org, lang", VARIANTS)
def test_every_word_is_in_the_briefing_language(variants, org, lang):
    text = text_of(variants[(org, lang)])
    # Proper names may be in either language: the organisations' names, the report's own
    # Swedish title (marked as Swedish in the PDF) and the survey's benchmark name.
    for name in ("Myndigheten för Zeta-frågor", "Digital transformation – Offentlig sektor – "
                 "Rapport 2018 – Sverige", "Kommun Y", "Region X"):
        text = text.replace(name, "")
    hits = sorted({m.group(0).lower() for m in (ENGLISH if lang == "sv" else SWEDISH)
                   .finditer(text)})
    assert not hits, f"{org} ({lang}): {hits}"


@pytest.mark.parametrize("org, lang", VARIANTS)
def test_no_page_is_nearly_empty(variants, org, lang):
    ends = page_ends(variants[(org, lang)])
    short = [f"page {i}: {end:.0%}" for i, end in enumerate(ends, 1)
             if 1 < i < len(ends) and end < 0.40]
    assert not short, f"{org} ({lang}): {short}"


def test_a_long_back_page_does_not_leave_the_appendix_page_nearly_empty(tmp_path):
    """The back page's content follows the appendix, kept whole; one too tall for the room left
    would leave the appendix's last page nearly empty, so the renderer lays out again (the
    back matter tighter, then the back content allowed to break) until no page is."""
    sentence = ("Rådgivningen bygger på organisationens egen skattning och ska läsas som ett "
                "underlag för samtal i ledningen. ")
    pdf = Briefgen(Options(out=tmp_path, disclaimer=sentence * 28)).make("kommun-y").path
    ends = page_ends(pdf)
    short = [f"page {i}: {end:.0%}" for i, end in enumerate(ends, 1)
             if 1 < i < len(ends) and end < 0.40]
    assert not short
    assert text_of(pdf).count("underlag för samtal i ledningen") == 28


@pytest.mark.parametrize("org, lang", VARIANTS)
def test_no_line_number_or_tool_name_on_a_page(variants, org, lang):
    text = text_of(variants[(org, lang)])
    assert not re.search(r"\b(rad|line|lines|rader)\s+\d", text)
    assert "(QVARTZ och Microsoft) (QVARTZ" not in text and "7 av de sju" not in text


def test_a_strong_organisation_gets_no_priority_badge(variants):
    text = text_of(variants[("stark", "sv")])
    assert not re.search(r"prioritet \d", text, re.I)           # no badge, no "Priority 1"
    flat = " ".join(text.split())
    assert "Alla sju förmågorna är styrkor" in flat
    assert "från 4,5 till 5,0" not in flat and "lägsta skattningar" not in flat
    en = " ".join(text_of(variants[("stark", "en")]).split())
    assert "All seven capabilities are strengths" in en and "from 4.5 to 5.0" not in en
    assert not re.search(r"priority \d", en, re.I)
    weak = text_of(variants[("svag", "sv")])
    assert re.search(r"prioritet 1", weak, re.I)


def test_a_built_benchmark_is_named_and_never_called_the_study(variants):
    text = " ".join(text_of(variants[("kund-01", "sv")]).split())
    assert "Kunder 2026" in text
    for false in ("intervjustudie med 12", "intervjuer med 36", "studiens verksamheter skattade",
                  "svar.csv", "under studiens medel"):
        assert false not in text


def test_progress_claims_no_targets_an_earlier_round_did_not_record(variants, bg):
    # kund-01's earlier survey round recorded no targets: the change is shown, no target is
    # said to have been set, met or missed (tests/test_advice.py: a profile that recorded some).
    text = " ".join(text_of(variants[("kund-01", "sv")]).split())
    assert "Förändring sedan förra skattningen" in text
    assert "Nåddes målen" not in text and "Ej nått" not in text
    assert "satte Kund 1" not in text
    en = " ".join(text_of(variants[("kund-01", "en")]).split())
    assert "Change since the last assessment" in en and "targets of the last" not in en


def test_the_peer_group_leaves_the_organisation_out(variants):
    # kund-01 is one of the twelve in Kunder 2026: its peers are the other three state
    # bodies... too few (fewer than five), so all eleven others; never itself.
    text = " ".join(text_of(variants[("kund-01", "sv")]).split())
    assert "Jämförelsegruppen är de 11 andra organisationerna i Kunder 2026" in text
    assert "Jämförelsegruppen är alla 12" not in text
    assert "Utöver er själva finns det för få statliga verksamheter för att redovisa dem" in text
    assert "följer medelvärdena i Kunder 2026" in text   # which comparison the advice follows
