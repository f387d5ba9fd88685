"""The command line through Click's CliRunner: exit codes, messages, outputs."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from briefgen.cli import cli

from .conftest import write_profile


@pytest.fixture
def runner():
    return CliRunner()


def test_analyse_json_has_the_contract_keys(runner):
    result = runner.invoke(cli, ["analyse", "--org", "region-x", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["org"] == {"id": "region-x", "name": "Region X", "level": "regional",
                           "assessed": "2026-10-15", "source": data["org"]["source"],
                           "respondents": None}
    assert data["spread"] is None
    caps = {c["key"]: c for c in data["capabilities"]}
    assert caps["new_working_methods"]["score"] == 2.0
    assert caps["new_working_methods"]["benchmark"] == 3.1
    assert caps["new_working_methods"]["gap"] == -1.1
    assert caps["digital_leadership"]["benchmark"] is None
    assert {e["key"] for e in data["effects"]} == {"relevant_services", "citizen_centric",
                                                   "employee_empowerment", "cross_processes"}
    assert data["maturity"] == {"phase": "embedded", "estimated": False, "basis": None}
    assert data["priorities"] == ["competence_diversity", "agile_decisions",
                                  "data_access_security"]
    assert data["strengths"] == ["partnerships"]
    statuses = {c["key"]: c["status"] for c in data["capabilities"]}
    assert all(statuses[k] == "priority" for k in data["priorities"])
    rec = data["recommendations"][0]
    assert set(rec) >= {"id", "title", "number", "reason", "findings"}
    assert rec["id"] == "rec-3"
    assert rec["reason"] == ("Er 2,5 på mångfald i kompetenser ligger 0,8 under studiens medel "
                             "(3,3) och er 2,5 på större handlingsutrymme för medarbetarna ligger "
                             "0,5 under studiens medel (3,0).")
    plan = data["action_plan"][0]
    assert plan["recommendation"] == "rec-3"
    first = plan["initiatives"][0]
    assert set(first) >= {"horizon", "owner", "first_step", "target"}
    assert (first["horizon"], first["owner"]) == ("0-3", "HR-chefen")
    assert first["target"] == {"key": "competence_diversity", "score": 2.5, "target": 3.3,
                               "rule": "reference"}
    assert first["areas"][0] == "competence_diversity" and data["review"] is None
    targets = {x["key"]: x for x in data["targets"]}
    assert targets["agile_decisions"] == {"key": "agile_decisions", "score": 1.5,
                                          "target": 2.5, "rule": "step"}
    assert all(x["target"] > x["score"] for x in data["targets"])


def test_analyse_text_in_english(runner):
    result = runner.invoke(cli, ["analyse", "--org", "kommun-y", "--lang", "en"])
    assert result.exit_code == 0
    assert "Maturity phase: Mobilised (estimated)" in result.output
    assert "not reported" in result.output


def test_make_writes_the_pdf_and_prints_its_path(runner, tmp_path):
    result = runner.invoke(cli, ["make", "--org", "myndighet-z", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(tmp_path / "myndighet-z.pdf")
    assert (tmp_path / "myndighet-z.pdf").read_bytes().startswith(b"%PDF-")


def test_make_reports_the_page_count(bg, tmp_path):
    from pypdf import PdfReader

    result = bg.make("kommun-y", out=tmp_path)
    assert result.pages == len(PdfReader(result.path).pages) > 10


def test_list_shows_the_examples(runner):
    result = runner.invoke(cli, ["list"])
    assert result.exit_code == 0
    for org in ("region-x", "kommun-y", "myndighet-z"):
        assert org in result.output


def test_validate_reports_every_problem_at_once(runner, data_dir, region_x_profile):
    bad = copy.deepcopy(region_x_profile)
    bad["capabilities"]["partnerships"] = 6
    bad["capabilities"]["digital_leadership"] = "hög"
    del bad["capabilities"]["competence_diversity"]
    write_profile(data_dir, bad)
    result = runner.invoke(cli, ["validate", "--org", "region-x", "--data", str(data_dir)])
    assert result.exit_code == 2
    assert "3 problems" in result.output
    assert "capabilities.partnerships: 6 is outside 1-5" in result.output
    assert "capabilities.digital_leadership: 'hög' is not a number" in result.output
    assert "capabilities.competence_diversity: missing" in result.output
    assert "Traceback" not in result.output


def test_validate_ok(runner):
    result = runner.invoke(cli, ["validate", "--org", "region-x"])
    assert result.exit_code == 0 and "ok (Region X)" in result.output


def _make(runner, *args):
    return runner.invoke(cli, ["make", *args])


@pytest.mark.parametrize("change, message", [
    ({"capabilities.partnerships": 6}, "capabilities.partnerships: 6 is outside 1-5"),
    ({"capabilities.partnerships": "hög"}, "capabilities.partnerships: 'hög' is not a number"),
    ({"capabilities.new_working_methods": None}, "capabilities.new_working_methods: missing"),
    ({"effectz": {}}, "effectz: unknown key; did you mean 'effects'?"),
])
def test_bad_profile_gives_one_line_exit_2_and_keeps_the_old_pdf(runner, data_dir, tmp_path,
                                                                  region_x_profile, change,
                                                                  message):
    out = tmp_path / "out"
    out.mkdir()
    previous = out / "region-x.pdf"
    previous.write_bytes(b"%PDF- an earlier briefing")
    bad = copy.deepcopy(region_x_profile)
    for dotted, value in change.items():
        *parents, leaf = dotted.split(".")
        target = bad
        for part in parents:
            target = target[part]
        if value is None:
            del target[leaf]
        else:
            target[leaf] = value
    write_profile(data_dir, bad)
    result = _make(runner, "--org", "region-x", "--data", str(data_dir), "--out", str(out))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "region-x.yaml:" in lines[0] and message in lines[0]
    assert previous.read_bytes() == b"%PDF- an earlier briefing"
    assert [p.name for p in out.iterdir()] == ["region-x.pdf"]


@pytest.mark.parametrize("org, message", [
    ("regon-x", "unknown organisation 'regon-x'; did you mean 'region-x'? Available in"),
    ("../../etc/x", "is neither an organisation id"),
    ("nothere.yaml", "nothere.yaml: profile not found"),
])
def test_unknown_or_unsafe_org(runner, tmp_path, org, message):
    result = _make(runner, "--org", org, "--out", str(tmp_path))
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_malformed_yaml(runner, data_dir, tmp_path):
    (data_dir / "orgs" / "broken.yaml").write_text("id: broken\nname: [oops\n")
    result = _make(runner, "--org", "broken", "--data", str(data_dir), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "broken.yaml:" in result.output and "malformed YAML" in result.output


def test_org_given_as_a_path(runner, data_dir, tmp_path, region_x_profile):
    profile = copy.deepcopy(region_x_profile) | {"id": "klient-a", "name": "Klient A"}
    path = write_profile(data_dir, profile)
    result = runner.invoke(cli, ["analyse", "--org", str(path), "--format", "json"])
    assert result.exit_code == 0 and '"id": "klient-a"' in result.output


@pytest.mark.parametrize("command", ["make", "validate", "analyse", "list", "batch", "overview",
                                     "questionnaire", "benchmark build"])
def test_help_has_an_example(runner, command):
    result = runner.invoke(cli, [*command.split(), "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "briefgen " in result.output


def test_validate_one_organisation_of_a_survey(runner):
    from pathlib import Path

    survey = str(Path(__file__).parent / "fixtures" / "survey" / "answers.csv")
    ok = runner.invoke(cli, ["validate", "--survey", survey, "--org", "region-x"])
    assert ok.exit_code == 0 and "ok (Region X, 3 respondents)" in ok.output
    bad = runner.invoke(cli, ["validate", "--survey", survey, "--org", "regon-x"])
    assert bad.exit_code == 2 and "did you mean 'region-x'?" in bad.output
