"""Building a benchmark from many organisations: arithmetic, suppression, the YAML it writes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from briefgen.cli import cli
from briefgen.errors import InputError
from briefgen.load import load_benchmark, load_data
from briefgen.models import Benchmark
from briefgen.survey.benchmark import build_benchmark, org_table, slugify
from briefgen.survey.columns import META, answer_columns
from briefgen.survey.read import read_survey


@pytest.fixture(scope="module")
def bundle():
    return load_data()


def make_survey(path: Path, bundle, orgs: list[tuple[str, str, list[float]]]) -> Path:
    """``orgs``: (id, level, answers of each respondent); every question gets that answer."""
    keys = [c.key for c in answer_columns(bundle.framework)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*META, *keys])
        for org_id, level, values in orgs:
            for i, value in enumerate(values):
                writer.writerow([org_id, org_id.upper(), level, f"r{i}", "2026-10-01",
                                 "important" if value < 3 else "top3", *[value] * len(keys)])
    return path


# Six municipalities (one answered by two people) and three regions.
ORGS = [("kom-1", "municipal", [1, 2]), ("kom-2", "municipal", [2]), ("kom-3", "municipal", [3]),
        ("kom-4", "municipal", [4]), ("kom-5", "municipal", [5]), ("kom-6", "municipal", [3]),
        ("reg-1", "regional", [2]), ("reg-2", "regional", [4]), ("reg-3", "regional", [4])]


def test_figures_match_hand_computed_values(bundle, tmp_path):
    survey = read_survey(make_survey(tmp_path / "s.csv", bundle, ORGS), bundle)
    table = org_table(survey, bundle)
    assert table.loc["kom-1", "digital_leadership"] == 1.5     # two respondents: (1 + 2) / 2
    assert table.loc["kom-1", "respondents"] == 2
    bench = build_benchmark(survey, bundle, "Kunder 2026")
    # Organisation scores: 1.5, 2, 3, 4, 5, 3, 2, 4, 4 (n = 9), sorted 1.5 2 2 3 3 4 4 4 5.
    fig = bench.overall.capabilities["digital_leadership"]
    assert fig.n == 9
    assert fig.mean == 3.2                   # 28.5 / 9 = 3.1667
    assert fig.median == 3.0
    assert fig.q1 == 2.0 and fig.q3 == 4.0   # linear interpolation at positions 2 and 6
    # Municipalities: 1.5 2 3 3 4 5 -> mean 3.0833, median 3, q1 2.25 -> 2.3 (half up), q3 3.75
    mun = bench.levels["municipal"].capabilities["digital_leadership"]
    assert (mun.n, mun.mean, mun.median, mun.q1, mun.q3) == (6, 3.1, 3.0, 2.3, 3.8)
    assert bench.levels["municipal"].effects["cross_processes"].median == 3.0
    assert bench.organisations == 9 and bench.respondents == 10
    assert bench.kind == "built" and bench.id == "kunder-2026" and bench.min_group_size == 5
    # Importance: kom-1 answered important and important; below 3 -> important
    counts = {k: c.count for k, c in bench.overall.importance.items()}
    assert counts == {"most_important": 0, "top3": 6, "important": 3, "not_prioritised": 0}
    assert sum(c.count for c in bench.overall.phases.values()) == 9


def test_groups_below_five_are_suppressed(bundle, tmp_path):
    survey = read_survey(make_survey(tmp_path / "s.csv", bundle, ORGS), bundle)
    bench = build_benchmark(survey, bundle, "Kunder 2026")
    assert set(bench.levels) == {"municipal"}          # 3 regions, 0 state bodies: not published
    assert "region (3)" in bench.notes[1].sv
    # With a minimum of 7 even the six municipalities are suppressed.
    bench7 = build_benchmark(survey, bundle, "K", min_group_size=7)
    assert bench7.levels == {}
    with pytest.raises(InputError, match="9 organisation\\(s\\); a benchmark needs at least 10"):
        build_benchmark(survey, bundle, "K", min_group_size=10)
    # The boundary: a group of exactly the minimum is published, one fewer is not.
    assert set(build_benchmark(survey, bundle, "K", min_group_size=6).levels) == {"municipal"}
    assert build_benchmark(survey, bundle, "K", min_group_size=6).levels["municipal"].n == 6


def test_no_organisation_answers_are_written(bundle, tmp_path):
    survey_path = make_survey(tmp_path / "s.csv", bundle, ORGS)
    out = tmp_path / "benchmarks" / "kunder-2026.yaml"
    result = CliRunner().invoke(cli, ["benchmark", "build", str(survey_path), "--name",
                                      "Kunder 2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "9 organisations, 10 respondents; level groups published: municipal" in result.output
    text = out.read_text(encoding="utf-8")
    for org_id, _, _ in ORGS:
        assert org_id not in text and org_id.upper() not in text
    assert "r0" not in text
    data = yaml.safe_load(text)
    bench = Benchmark.model_validate(data)
    assert bench.id == "kunder-2026"
    assert load_benchmark(out, bundle).overall.n == 9


def test_build_errors_are_one_line(bundle, tmp_path):
    survey_path = make_survey(tmp_path / "s.csv", bundle, ORGS[:3])
    result = CliRunner().invoke(cli, ["benchmark", "build", str(survey_path), "--name", "K",
                                      "--out", str(tmp_path / "k.yaml")])
    assert result.exit_code == 2
    assert "3 organisation(s); a benchmark needs at least 5" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "k.yaml").exists()


def test_slugify():
    assert slugify("Kunder 2026") == "kunder-2026"
    assert slugify("Kommuner i Västra Götaland") == "kommuner-i-vastra-gotaland"
