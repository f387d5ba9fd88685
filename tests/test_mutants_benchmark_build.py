"""Building a benchmark, in detail: the notes and counts it publishes, its limits at their
boundaries, the file it writes and the id it takes. Written to kill the mutants of
``briefgen.survey.benchmark`` that the other tests let live (docs/mutation.md)."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
import yaml

from briefgen.errors import InputError
from briefgen.load import load_data
from briefgen.survey.benchmark import (
    benchmark_yaml,
    build_benchmark,
    build_file,
    org_table,
    slugify,
)
from briefgen.survey.read import read_survey

from .test_benchmark_build import ORGS, make_survey


@pytest.fixture(scope="module")
def bundle():
    return load_data()


@pytest.fixture(scope="module")
def survey(bundle, tmp_path_factory):
    return read_survey(make_survey(tmp_path_factory.mktemp("s") / "s.csv", bundle, ORGS), bundle)


@pytest.fixture
def bench(survey, bundle):   # per test: see test_mutants_analyse.region_x
    return build_benchmark(survey, bundle, "Kommuner i Västra Götaland")


def test_what_a_built_benchmark_says_about_itself(bench):
    assert bench.id == "kommuner-i-vastra-gotaland"
    assert (bench.publisher, bench.version, bench.published) == ("briefgen", "2026-10-01",
                                                                 "2026-10")
    assert {lv: c.count for lv, c in bench.by_level.items()} == {
        "state": 0, "regional": 3, "municipal": 6}
    assert bench.notes[0].en == (
        "Built from survey answers: 10 respondents in 9 organisations. Each organisation counts "
        "once, with its latest assessment: answers are averaged per question, and capabilities "
        "of several questions take the mean of their questions. The maturity phase is "
        "estimated from the capability mean. Quartiles use linear interpolation. Groups of "
        "fewer than 5 organisations are not published.")
    # Only a level with organisations is named as suppressed (no state bodies answered).
    assert bench.notes[1].en == ("Too few organisations to publish separately (fewer than 5): "
                                 "region (3). They are included in the total.")
    assert len(bench.notes) == 2


def test_two_suppressed_groups_are_listed(survey, bundle):
    bench = build_benchmark(survey, bundle, "K", min_group_size=7)
    assert bench.notes[1].en.endswith("(fewer than 7): region (3), municipality (6). They are "
                                      "included in the total.")


def test_limits_at_their_boundaries(survey, bundle):
    # All nine organisations and a minimum of nine: published.
    assert build_benchmark(survey, bundle, "K", min_group_size=9).overall.n == 9
    # A minimum of two is the smallest allowed.
    assert set(build_benchmark(survey, bundle, "K", min_group_size=2).levels) == {
        "regional", "municipal"}
    with pytest.raises(InputError) as err:
        build_benchmark(survey, bundle, "K", min_group_size=1)
    assert str(err.value) == "--min-group-size: 1 is too small (at least 2)"
    with pytest.raises(InputError) as err:
        build_benchmark(survey, bundle, "K", bench_id="Bad Id")
    assert str(err.value) == ("--id: 'Bad Id' is not a valid benchmark id (allowed: lower-case "
                              "letters, digits and '-')")


def test_the_build_is_logged(survey, bundle, caplog):
    with caplog.at_level(logging.INFO, logger="briefgen.survey.benchmark"):
        build_benchmark(survey, bundle, "Kunder", min_group_size=6)
        build_benchmark(survey, bundle, "Kunder", min_group_size=7)
        build_benchmark(survey, bundle, "Kunder", min_group_size=2)
    assert "built benchmark kunder: 9 organisations, levels published: municipal" \
        in caplog.messages
    assert "built benchmark kunder: 9 organisations, levels published: none" in caplog.messages
    assert ("built benchmark kunder: 9 organisations, levels published: regional, municipal"
            in caplog.messages)


def test_the_yaml_file(bench):
    text = benchmark_yaml(bench)
    lines = text.splitlines()
    assert lines[:6] == [
        "# Benchmark built by briefgen from survey answers (kind: built): aggregates only.",
        "# 9 organisations, 10 respondents; groups of fewer than 5 organisations are not "
        "published.",
        "# members: for each organisation (by a fingerprint of its id) the figures of its",
        "# peers without it, so that its briefing never compares it with itself. Taken",
        "# together they could tell a member's scores: keep this file with the answers.",
        "# Format: docs/data-format.md and docs/survey.md."]
    assert lines[6] == "id: kommuner-i-vastra-gotaland"     # in the model's order
    assert "title:\n  sv: Kommuner i Västra Götaland\n" in text    # letters, not escapes
    assert "version: '2026-10-01'" in text                    # a string, as JSON has it
    assert "null" not in text                                 # absent figures are left out
    # Long notes fold after 100 columns (at the next space), not after PyYAML's default 80.
    widths = [len(line) for line in lines]
    assert 100 < max(widths) <= 116
    assert yaml.safe_load(text)["overall"]["n"] == 9


def test_organisations_are_sorted_and_importance_is_the_lower_middle(bundle, tmp_path):
    path = make_survey(tmp_path / "s.csv", bundle, [("kom-b", "municipal", [3]),
                                                    ("kom-a", "municipal", [3, 3])])
    text = path.read_text(encoding="utf-8").splitlines()
    # kom-a's two respondents: most important and not prioritised; kom-b: no answer.
    text[1] = text[1].replace("top3", "")
    text[2] = text[2].replace("top3", "most_important")
    text[3] = text[3].replace("top3", "not_prioritised")
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    table = org_table(read_survey(path, bundle), bundle)
    assert list(table.index) == ["kom-a", "kom-b"]
    assert table.loc["kom-a", "importance"] == "most_important"
    assert pd.isna(table.loc["kom-b", "importance"])


def test_every_organisation_needs_an_answer_to_every_question(bundle, tmp_path):
    path = make_survey(tmp_path / "s.csv", bundle, [("kom-a", "municipal", [3])])
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    for key in ("partnerships", "new_working_methods"):
        row[header.index(key)] = ""
    path.write_text("\n".join([lines[0], ",".join(row)]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        org_table(read_survey(path, bundle), bundle)
    assert str(err.value).endswith("s.csv: kom-a: no respondent answered partnerships, "
                                   "new_working_methods; at least one answer per question is "
                                   "needed")


def test_build_file_takes_its_id_from_the_file_name(survey, bundle, tmp_path):
    source = tmp_path / "s.csv"
    source.write_text(make_survey(tmp_path / "x.csv", bundle, ORGS).read_text("utf-8"), "utf-8")
    out = tmp_path / "kunder-x.yml"
    bench = build_file(source, bundle, "Kunder 2026", out, min_group_size=6)
    assert (bench.id, bench.publisher, bench.min_group_size) == ("kunder-x", "briefgen", 6)
    assert yaml.safe_load(out.read_text("utf-8"))["id"] == "kunder-x"
    # An id given wins over the file name; a file name that is no id gives way to the name.
    assert build_file(source, bundle, "Kunder 2026", out, bench_id="eget").id == "eget"
    assert build_file(source, bundle, "Kunder 2026", tmp_path / "Kunder X.yaml").id == \
        "kunder-2026"
    with pytest.raises(InputError) as err:
        build_file(source, bundle, "K", tmp_path / "k.json")
    assert str(err.value) == f"--out: '{tmp_path / 'k.json'}' must end in .yaml"


def test_slugify_edges():
    assert slugify("!!!") == "benchmark"
    assert slugify("a" * 70) == "a" * 64
    assert slugify("-" + "b" * 70) == "b" * 64
    assert slugify(" Kunder ") == "kunder"
    assert slugify("a" * 63 + " bcd") == "a" * 63     # no dash left where it is cut
