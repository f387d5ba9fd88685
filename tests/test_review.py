"""The consultant's review: review -> edit -> make, and every way a review file can be wrong.

The round trip runs the real CLI in a real workspace (``briefgen init``): the review is written,
edited as a consultant would (a recommendation dropped, a finding added, an initiative
reworded), and the briefing made from it is read back as text.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from briefgen.cli import cli


def deck_text(path: Path) -> str:
    from pptx import Presentation

    deck = Presentation(str(path))
    texts = [shape.text_frame.text for slide in deck.slides for shape in slide.shapes
             if shape.has_text_frame]
    texts += [cell.text for slide in deck.slides for shape in slide.shapes if shape.has_table
              for row in shape.table.rows for cell in row.cells]
    return " ".join(" ".join(texts).split())


def workbook_text(path: Path) -> str:
    import openpyxl

    book = openpyxl.load_workbook(path)
    return " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row
                    if c.value is not None)


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def pdf_text(path: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())


@pytest.fixture
def ws(tmp_path, monkeypatch) -> Path:
    """A workspace with Region X, and its review as the rules propose it."""
    assert run("init", str(tmp_path / "ws")).exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    result = run("review", "--org", "region-x")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("reviews/region-x.yaml")
    return tmp_path / "ws"


def load(ws: Path, name: str = "region-x.yaml") -> dict:
    return yaml.safe_load((ws / "reviews" / name).read_text("utf-8"))


def save(ws: Path, data: dict, name: str = "region-x.yaml") -> None:
    (ws / "reviews" / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                       "utf-8")


FINDING = "Ledningen beskriver att budgetprocessen låser utvecklingsmedel ett år i taget."


def edit(data: dict) -> dict:
    """What a consultant does: drop rec-5, reword the first initiative, add a finding."""
    data["recommendations"] = [r for r in data["recommendations"] if r["id"] != "rec-5"]
    data["recommendations"][0]["initiatives"][0]["title"] = "Kartlägg kompetensen i vården"
    data["findings"] = [{"text": FINDING, "source": "intervjuer, november 2026"}]
    return data


def test_the_proposal_holds_what_the_issue_lists(ws):
    data = load(ws)
    assert list(data) == ["review", "org", "lang", "priorities", "summary", "recommendations",
                          "findings", "made_for"]
    assert data["priorities"] == ["competence_diversity", "agile_decisions",
                                  "data_access_security"]
    assert set(data["summary"]) == {"stand", "position"} and data["findings"] == []
    rec = data["recommendations"][0]
    assert set(rec) == {"id", "title", "reason", "initiatives"}
    assert set(rec["initiatives"][0]) == {"id", "title", "owner", "horizon", "first_step",
                                          "done_when", "target"}
    assert data["made_for"]["capabilities"]["partnerships"] == 4.0
    text = (ws / "reviews" / "region-x.yaml").read_text("utf-8")
    assert text.startswith("# briefgen review of the advice for Region X")


def test_review_edit_make_follows_the_edits_everywhere(ws):
    before = pdf_text(Path(run("make", "--org", "region-x").output.split()[0]))
    assert "Dela data och gör dem till insikt" in before and "Inventera era data" in before
    save(ws, edit(load(ws)))
    result = run("make", "--org", "region-x", "--format", "pdf", "--format", "pptx",
                 "--format", "xlsx")
    assert result.exit_code == 0, result.output
    text = pdf_text(ws / "output" / "region-x.pdf")
    assert "Kartlägg kompetensen i vården" in text                   # reworded
    assert "Kartlägg vilka digitala kompetenser som saknas" not in text
    assert "Dela data och gör dem till insikt" not in text            # dropped: nowhere
    assert "Inventera era data" not in text and "Bygg ett litet analysteam" not in text
    assert FINDING in text and "Våra iakttagelser" in text            # a place of its own
    assert "Källa: intervjuer, november 2026" in text
    for name, kit in (("deck", deck_text(ws / "output" / "region-x.pptx")),
                      ("workbook", workbook_text(ws / "output" / "region-x.xlsx"))):
        assert "Kartlägg kompetensen i vården" in kit, name
        assert "Kartlägg vilka digitala kompetenser som saknas" not in kit, name
        assert "Dela data och gör dem till insikt" not in kit, name
        assert "Inventera era data" not in kit and "Bygg ett litet analysteam" not in kit, name
        assert FINDING in kit and "{" not in kit, name
    text_report = run("analyse", "--org", "region-x").output
    assert "Kartlägg kompetensen i vården" in text_report
    assert text_report.strip().endswith("Granskad: reviews/region-x.yaml")
    data = json.loads(run("analyse", "--org", "region-x", "--format", "json").output)
    assert data["review"].endswith("reviews/region-x.yaml")
    assert [r["id"] for r in data["recommendations"]] == ["rec-3", "rec-4"]
    assert data["findings"][0]["text"] == FINDING
    assert data["action_plan"][0]["initiatives"][0]["title"] == "Kartlägg kompetensen i vården"


def test_a_review_for_other_scores_is_refused_until_updated(ws):
    save(ws, edit(load(ws)))
    assert run("make", "--org", "region-x").exit_code == 0
    pdf = ws / "output" / "region-x.pdf"
    made = pdf.read_bytes()
    profile = ws / "orgs" / "region-x.yaml"
    profile.write_text(profile.read_text("utf-8").replace("partnerships: 4", "partnerships: 3.5"),
                       "utf-8")
    result = run("make", "--org", "region-x")
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "reviews/region-x.yaml: made_for:" in line
    assert "capabilities.partnerships 4,0 -> 3,5" in line and "--update" in line
    assert pdf.read_bytes() == made                                   # nothing half-written
    # --update keeps the edits that still apply and says what it dropped
    result = run("review", "--org", "region-x", "--update")
    assert result.exit_code == 0, result.output
    assert "rec-5: still left out, as you had it" in result.output
    data = load(ws)
    assert data["findings"][0]["text"] == FINDING
    assert data["recommendations"][0]["initiatives"][0]["title"] == "Kartlägg kompetensen i vården"
    assert "rec-5" not in [r["id"] for r in data["recommendations"]]
    assert data["made_for"]["capabilities"]["partnerships"] == 3.5
    assert run("make", "--org", "region-x").exit_code == 0
    assert "Kartlägg kompetensen i vården" in pdf_text(pdf)


def test_update_drops_a_reworded_reason_and_says_so(ws):
    data = load(ws)
    data["recommendations"][0]["reason"] = "Vår egen motivering med gamla siffror."
    data["summary"]["stand"] = "Vår egen text om läget."
    save(ws, data)
    profile = ws / "orgs" / "region-x.yaml"
    profile.write_text(profile.read_text("utf-8").replace("new_working_methods: 2",
                                                          "new_working_methods: 2.2"), "utf-8")
    result = run("review", "--org", "region-x", "--update")
    assert result.exit_code == 0, result.output
    assert "rec-3.reason: your wording was dropped" in result.output
    assert "summary.stand: your wording was dropped" in result.output
    data = load(ws)
    assert data["recommendations"][0]["reason"].startswith("Er 2,5 på mångfald i kompetenser")
    # An update with nothing new says so and changes nothing of the consultant's.
    again = run("review", "--org", "region-x", "--update")
    assert again.exit_code == 0 and "already up to date" in again.output


def test_an_existing_review_is_not_overwritten_by_mistake(ws):
    save(ws, edit(load(ws)))
    result = run("review", "--org", "region-x")
    assert result.exit_code == 2 and "a review exists already; --update" in result.output
    assert load(ws)["findings"]                                        # kept
    assert run("review", "--org", "region-x", "--replace").exit_code == 0
    assert load(ws)["findings"] == []


@pytest.mark.parametrize("change, expected", [
    (lambda d: d.update(recomendations=[]),
     r"reviews/region-x.yaml:\d+: recomendations: unknown key; did you mean 'recommendations'"),
    (lambda d: d["recommendations"][0].update(why="x"),
     r"reviews/region-x.yaml:\d+: recommendations\[0\]\.why: unknown key"),
    (lambda d: d["recommendations"][0]["initiatives"][0].update(horizon="0-6"),
     r"recommendations\[0\]\.initiatives\[0\]\.horizon: '0-6' is not allowed \(allowed: "
     r"0-3, 3-12, 12-24\)"),
    (lambda d: d["recommendations"][0]["initiatives"][0].update(target=3.5),
     r"initiatives\[0\]\.target: name the area, not a figure"),
    (lambda d: d["priorities"].append("partnership"),
     r"priorities\[3\]: unknown capability 'partnership'; did you mean 'partnerships'"),
    (lambda d: d["findings"].append({"txt": "x"}),
     r"findings\[0\]\.txt: unknown key"),
    (lambda d: d.pop("made_for"),
     r"reviews/region-x.yaml: made_for: missing"),
])
def test_a_bad_review_is_one_line_naming_file_line_and_field(ws, change, expected):
    data = load(ws)
    change(data)
    save(ws, data)
    result = run("make", "--org", "region-x")
    assert result.exit_code == 2, result.output
    assert re.search(expected, result.output), result.output
    assert "Traceback" not in result.output and not (ws / "output" / "region-x.pdf").exists()


def test_malformed_yaml_names_the_line(ws):
    path = ws / "reviews" / "region-x.yaml"
    path.write_text(path.read_text("utf-8").replace("priorities:\n-", "priorities:\n - ]", 1),
                    "utf-8")
    result = run("make", "--org", "region-x")
    assert result.exit_code == 2
    assert re.search(r"reviews/region-x.yaml:\d+: malformed YAML", result.output), result.output


def test_a_priority_not_below_its_reference_needs_the_consultants_reason(ws):
    data = load(ws)
    data["priorities"] = ["competence_diversity", "partnerships"]   # partnerships: 4,0, strong
    save(ws, data)
    result = run("make", "--org", "region-x")
    assert result.exit_code == 2
    assert "priorities[1]: partnerships is not more than 0,3 below its reference" in result.output
    reason = "Intervjuerna visar att samarbetena bygger på en enda person."
    data["priorities"][1] = {"key": "partnerships", "reason": reason}
    save(ws, data)
    assert run("make", "--org", "region-x").exit_code == 0
    text = pdf_text(ws / "output" / "region-x.pdf")
    assert f"Konsultens skäl för prioriteringen: {reason}" in text
    assert run("make", "--org", "region-x", "--format", "pptx").exit_code == 0
    assert f"Konsultens skäl för prioriteringen: {reason}" in deck_text(
        ws / "output" / "region-x.pptx")
    assert re.search(r"Partnerskapspotential PRIORITET 2", text), text
    assert not re.search(r"Agila beslutsstrukturer PRIORITET", text)   # the consultant left it out


def test_a_review_is_per_language_and_needs_a_workspace_or_a_file(ws, tmp_path):
    assert run("make", "--org", "region-x", "--lang", "en").exit_code == 0  # no English review
    result = run("review", "--org", "region-x", "--lang", "en")
    assert result.exit_code == 0 and result.output.strip().endswith("reviews/region-x-en.yaml")
    assert load(ws, "region-x-en.yaml")["lang"] == "en"
    result = run("make", "--org", "region-x", "--review", "reviews/region-x.yaml", "--lang", "en")
    assert result.exit_code == 2 and "the review is in 'sv', the briefing in 'en'" in result.output
    # Outside a workspace: --out names the file, --review applies it.
    outside = tmp_path / "outside"
    outside.mkdir()
    import os
    os.chdir(outside)
    result = run("review", "--org", "kommun-y")
    assert result.exit_code == 2 and "no workspace here" in result.output
    assert run("review", "--org", "kommun-y", "--out", "r.yaml").exit_code == 0
    data = yaml.safe_load((outside / "r.yaml").read_text("utf-8"))
    data["findings"] = [{"text": "En iakttagelse utan källa."}]
    (outside / "r.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = run("make", "--org", "kommun-y", "--review", "r.yaml", "--out", "out")
    assert result.exit_code == 0, result.output
    assert "En iakttagelse utan källa." in pdf_text(outside / "out" / "kommun-y.pdf")
    result = run("make", "--org", "region-x", "--review", "r.yaml", "--out", "out")
    assert result.exit_code == 2 and "the review is for 'kommun-y', not 'region-x'" in result.output


def test_a_batch_uses_the_reviews_and_renders_again_when_one_changes(ws):
    save(ws, edit(load(ws)))
    result = run("batch", "orgs", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "Kartlägg kompetensen i vården" in pdf_text(ws / "output" / "region-x.pdf")
    data = load(ws)
    data["findings"].append({"text": "En andra iakttagelse."})
    save(ws, data)
    result = run("batch", "orgs", "--no-progress")
    assert "1 rendered, 0 unchanged" in result.output, result.output
    assert "En andra iakttagelse." in pdf_text(ws / "output" / "region-x.pdf")
