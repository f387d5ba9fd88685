"""Surveys: reading, validation, aggregation against hand-computed values, and the round trip
questionnaire -> filled in with openpyxl -> briefing PDF."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from briefgen.cli import cli
from briefgen.errors import InputError
from briefgen.options import Options
from briefgen.pipeline import Briefgen
from briefgen.survey.aggregate import disagreements, importance_median, survey_org
from briefgen.survey.columns import COMMENTS, META
from briefgen.survey.read import read_survey

FIXTURE = Path(__file__).parent / "fixtures" / "survey" / "answers.csv"


def write_csv(path: Path, keys: list[str], rows: list[dict], base: float = 3) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*META, *keys])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: base for k in keys} | row)
    return path


def person(org="org-a", who="p1", date="2026-10-01", level="municipal", **answers) -> dict:
    return {"org_id": org, "org_name": org.title(), "level": level, "respondent": who,
            "date": date, "importance": "top3", **{k.replace("__", "."): v
                                                   for k, v in answers.items()}}


# --------------------------------------------------------------------------- aggregation


def test_aggregation_matches_hand_computed_values(bundle):
    survey = read_survey(FIXTURE, bundle)
    org = survey_org(survey, "region-x", bundle)
    assert org.respondents == 3                      # AL, BK, CM: 15, 18 and 20 October
    assert org.profile.assessed.isoformat() == "2026-10-20"
    # digital_leadership answers 2, 4, 5: mean 11/3, sample sd sqrt(((-5/3)^2+(1/3)^2+(4/3)^2)/2)
    s = org.spread["digital_leadership"]
    assert s["mean"] == pytest.approx(11 / 3, abs=1e-4)
    assert (s["min"], s["max"], s["n"]) == (2, 5, 3)
    assert s["sd"] == pytest.approx((14 / 3 / 2) ** 0.5, abs=1e-4)   # 1.5275
    # partnerships: BK left it blank, so the mean is of AL's 3 and CM's 4 only
    assert org.spread["partnerships"]["n"] == 2
    assert org.capability_scores["partnerships"] == pytest.approx(3.5)
    # a composite capability is the mean of its sub-questions' means:
    # collect_store (4+2+3)/3 = 3, insight (3+3+4)/3 = 10/3 -> (3 + 10/3) / 2 = 19/6
    assert org.capability_answers["data_access_security"] == {
        "collect_store": pytest.approx(3.0), "insight": pytest.approx(10 / 3)}
    assert org.capability_scores["data_access_security"] == pytest.approx(19 / 6)
    assert org.profile.effects["citizen_centric"] == pytest.approx(3.0)
    # importance answers top3, most_important, important: the median is top3
    assert org.profile.importance == "top3"
    # the finding: ranges of 2 or more, widest first
    assert disagreements(org, bundle.framework, bundle.rules.surveys.spread_finding) == [
        "digital_leadership", "data_access_security.collect_store", "effects.citizen_centric"]


def test_earlier_rows_become_the_previous_assessment(bundle):
    org = survey_org(read_survey(FIXTURE, bundle), "region-x", bundle)
    prev = org.previous
    assert prev is not None and prev.respondents == 2
    assert prev.profile.assessed.isoformat() == "2025-09-03"
    assert prev.capability_scores["digital_leadership"] == pytest.approx(2.0)
    assert prev.capability_scores["competence_diversity"] == pytest.approx(2.5)
    assert prev.previous is None


def test_one_respondent_is_used_with_a_warning(bundle, caplog):
    survey = read_survey(FIXTURE, bundle)
    org = survey_org(survey, "kommun-a", bundle)
    assert org.respondents == 1
    assert org.spread["partnerships"] == {"mean": 4.0, "min": 4.0, "max": 4.0, "sd": 0.0,
                                          "n": 1.0}
    assert any("kommun-a has one respondent" in w for w in survey.warnings)
    assert disagreements(org, bundle.framework, bundle.rules.surveys.spread_finding) == []


def test_importance_median_prefers_the_more_important_of_two():
    assert importance_median(["important", "top3"]) == "top3"
    assert importance_median(["not_prioritised", "important", "important"]) == "important"
    assert importance_median(["", ""]) is None


def test_answers_dated_within_the_window_are_one_assessment(bundle, keys, tmp_path):
    rows = [person(who="a", date="2026-08-01"), person(who="b", date="2026-09-25"),
            person(who="c", date="2026-05-01")]
    org = survey_org(read_survey(write_csv(tmp_path / "s.csv", keys, rows), bundle), "org-a",
                     bundle)
    assert org.respondents == 2 and org.previous.respondents == 1


@pytest.mark.parametrize("earlier, same_round", [("2026-08-02", True), ("2026-08-01", False)])
def test_the_round_window_is_sixty_days_inclusive(bundle, keys, tmp_path, earlier, same_round):
    # 2026-08-02 is exactly 60 days before 2026-10-01: the same assessment; a day more is not.
    rows = [person(who="a", date="2026-10-01"), person(who="b", date=earlier)]
    org = survey_org(read_survey(write_csv(tmp_path / "s.csv", keys, rows), bundle), "org-a",
                     bundle)
    if same_round:
        assert org.respondents == 2 and org.previous is None
    else:
        assert org.respondents == 1 and org.previous.respondents == 1


# --------------------------------------------------------------------------- bad input


def test_columns_not_matching_the_framework_say_which(bundle, keys, tmp_path):
    renamed = [k if k != "partnerships" else "partnership" for k in keys
               if k != "data_access_security.insight"]
    path = tmp_path / "bad.csv"
    path.write_text(",".join([*META, *renamed]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_survey(path, bundle)
    text = str(err.value)
    assert "missing columns: partnerships, data_access_security.insight" in text
    assert "unknown column 'partnership'; did you mean 'partnerships'?" in text


def test_out_of_range_and_text_answers_name_row_and_column(bundle, keys, tmp_path):
    rows = [person(who="a", partnerships=7), person(who="b", digital_leadership="high")]
    with pytest.raises(InputError) as err:
        read_survey(write_csv(tmp_path / "s.csv", keys, rows), bundle)
    text = str(err.value)
    assert "s.csv: row 2: partnerships: 7 is outside 1-5" in text
    assert "s.csv: row 3: digital_leadership: 'high' is not a number" in text


def test_missing_answers_are_left_out_with_a_warning(bundle, keys, tmp_path):
    rows = [person(who="a", partnerships=""), person(who="b", partnerships=5)]
    survey = read_survey(write_csv(tmp_path / "s.csv", keys, rows), bundle)
    assert len(survey.warnings) == 1
    assert survey.warnings[0].endswith("s.csv: row 2 (org-a): no answer to partnerships; left "
                                       "out of those questions")
    org = survey_org(survey, "org-a", bundle)
    assert org.capability_scores["partnerships"] == 5


def test_a_question_nobody_answered_is_an_error(bundle, keys, tmp_path):
    rows = [person(who="a", partnerships=""), person(who="b", partnerships="")]
    survey = read_survey(write_csv(tmp_path / "s.csv", keys, rows), bundle)
    with pytest.raises(InputError, match="no respondent answered partnerships"):
        survey_org(survey, "org-a", bundle)


def test_duplicate_respondents_are_refused(bundle, keys, tmp_path):
    rows = [person(who="Anna"), person(who="bo"), person(who="anna ", date="2026-10-03")]
    with pytest.raises(InputError) as err:
        read_survey(write_csv(tmp_path / "s.csv", keys, rows), bundle)
    assert "rows 2, 4: respondent 'Anna' of org-a answers more than once" in str(err.value)


def test_bad_meta_values_are_listed_together(bundle, keys, tmp_path):
    rows = [person(level="regonal"), person(who="b", date="15/10/2026"),
            person(who="c", org="Org A"), person(who="d", importance="very")]
    with pytest.raises(InputError) as err:
        read_survey(write_csv(tmp_path / "s.csv", keys, rows), bundle)
    text = str(err.value)
    assert "row 2: level: 'regonal' is not allowed; did you mean 'regional'?" in text
    assert "row 3: date: '15/10/2026' is not a date (allowed: YYYY-MM-DD" in text
    assert "row 4: org_id: 'Org A' is not a valid id" in text
    assert "row 5: importance: 'very' is not allowed" in text


def test_an_organisation_not_in_the_survey(bundle):
    with pytest.raises(InputError, match="no answers for organisation 'region-y'; did you mean "
                       "'region-x'"):
        survey_org(read_survey(FIXTURE, bundle), "region-y", bundle)


def test_semicolons_and_decimal_commas(bundle, keys, tmp_path):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";")
    writer.writerow([*META, *keys])
    writer.writerow(["org-a", "Org A", "state", "x", "2026-01-02", "important",
                     *["2,5"] * len(keys)])
    path = tmp_path / "semi.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    org = survey_org(read_survey(path, bundle), "org-a", bundle)
    assert org.capability_scores["digital_leadership"] == 2.5



def test_a_tab_separated_survey_reads_like_the_comma_one(bundle, tmp_path):
    """The same delimiter rule as a batch sheet (, ; or tab), so that a survey the batch
    recognises by its header is also read by its columns."""
    rows = list(csv.reader(FIXTURE.open(encoding="utf-8")))
    path = tmp_path / "tabs.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter="\t").writerows(rows)
    tabs, commas = read_survey(path, bundle), read_survey(FIXTURE, bundle)
    assert tabs.org_ids() == commas.org_ids()
    assert tabs.frame.drop(columns="row").equals(commas.frame.drop(columns="row"))

# --------------------------------------------------------------------------- round trip


def fill_questionnaire(path: Path, rows: list[list]) -> None:
    wb = openpyxl.load_workbook(path)
    sheet = wb["Svar"]
    for row in rows:
        sheet.append(row)
    wb.save(path)


def test_questionnaire_round_trip_to_briefing(bundle, keys, tmp_path):
    blank = tmp_path / "frågeformulär.xlsx"
    result = CliRunner().invoke(cli, ["questionnaire", "--lang", "sv", "--out", str(blank)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(blank)
    assert wb.sheetnames == ["Instruktioner", "Svar", "Listor"]
    assert wb["Listor"].sheet_state == "hidden" and wb.active.title == "Svar"
    sheet = wb["Svar"]
    assert [c.value for c in sheet[1]] == [*META, "role", *keys, *COMMENTS]
    assert sheet["G2"].value == "Roll" and sheet["H2"].value == "Digitalt ledarskap"
    assert sheet.cell(2, len(META) + 2 + len(keys)).value == "Kommentar: Digitaliseringens vikt"
    assert any(dv.formula1 == "1" and dv.formula2 == "5"
               for dv in sheet.data_validations.dataValidation)
    # The level and importance lists offer Swedish labels, kept on the hidden sheet.
    lists = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation
             if dv.type == "list"}
    assert lists == {"C3:C2000": "'Listor'!$A$1:$A$3", "F3:F2000": "'Listor'!$B$1:$B$4"}
    assert [c.value for c in wb["Listor"]["A"]][:3] == ["Statlig verksamhet", "Region", "Kommun"]
    assert [c.value for c in wb["Listor"]["B"]] == [
        c.label.sv for c in bundle.framework.importance_levels]
    assert "Mycket viktig (bland de tre viktigaste)" in [c.value for c in wb["Listor"]["B"]]
    info = " ".join(str(c.value) for row in wb["Instruktioner"].iter_rows() for c in row)
    for cap in bundle.framework.capabilities:
        for q in cap.questions:
            assert q.text.sv in info
    assert "Mycket hög grad" in info
    assert "minst 5 personer med den rollen" in info       # the role's help names the minimum

    filled = tmp_path / "svar.xlsx"
    shutil.copy(blank, filled)
    import datetime as dt

    def answers(value: int, leadership: int) -> list:
        return [leadership if k == "digital_leadership" else value for k in keys]

    top3, important = "Mycket viktig (bland de tre viktigaste)", "Viktig, men inte bland de " \
        "tre viktigaste"
    fill_questionnaire(filled, [
        ["region-q", "Region Q", "Region", "A", dt.date(2026, 10, 1), top3, "IT",
         *answers(3, 1), "", "- Bra start, men"],
        ["region-q", "Region Q", "regional", "B", dt.date(2026, 10, 2), "top3", " IT ",
         *answers(4, 4)],
        ["region-q", "Region Q", "Region", "C", "2026-10-03", important, "",
         *answers(3, 2), None, None, "Effekterna mäts inte."],
        ["region-q", "Region Q", "Region", "A", "2025-10-01", "important", "",
         *answers(2, 1)],
    ])
    survey = read_survey(filled, bundle)
    latest = survey.frame[survey.frame["date"] >= "2026-01-01"]
    assert list(latest["level"]) == ["regional"] * 3                  # labels back to keys
    assert list(latest["importance"]) == ["top3", "top3", "important"]
    assert list(latest["role"]) == ["IT", "IT", ""]
    assert survey.comments("region-q") == [("capabilities", "- Bra start, men"),
                                           ("effects", "Effekterna mäts inte.")]
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["make", "--survey", str(filled), "--org", "region-q",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = "\n".join(p.extract_text() for p in PdfReader(out / "region-q.pdf").pages)
    assert "bygger på 3 personers svar" in text          # the respondent count
    assert "Ledningen delar inte en bild" in text         # the spread finding
    assert "svar från 1,0 till 4,0 (spann 3,0, 3 svar)" in text
    assert "Förändring sedan förra skattningen" in text    # progress from the earlier row
    assert "Digitalt ledarskap 1,0 2,3 +1,3" in text
    assert "Bra start" not in text and "mäts inte" not in text   # comments never reach it


def test_the_english_questionnaire_lists_english_labels_that_read_back(bundle, keys,
                                                                       tmp_path):
    blank = tmp_path / "questionnaire.xlsx"
    result = CliRunner().invoke(cli, ["questionnaire", "--lang", "en", "--out", str(blank)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(blank)
    assert wb.sheetnames == ["Instructions", "Answers", "Lists"]
    labels = [c.value for c in wb["Lists"]["B"]]
    assert labels == [c.label.en for c in bundle.framework.importance_levels]
    assert [c.value for c in wb["Lists"]["A"]][:3] == ["State body", "Region", "Municipality"]
    rows = [["org-e", "Org E", "State body", f"p{i}", "2026-10-01", label, "",
             *[3] * len(keys)] for i, label in enumerate(labels)]
    rows.append(["org-e", "Org E", "  state  BODY ", "p9", "2026-10-01", labels[0].upper(), "",
                 *[3] * len(keys)])
    sheet = wb["Answers"]
    for row in rows:
        sheet.append(row)
    wb.save(blank)
    survey = read_survey(blank, bundle)
    assert list(survey.frame["level"]) == ["state"] * 5
    assert list(survey.frame["importance"]) == [
        *(c.key for c in bundle.framework.importance_levels), "most_important"]


def test_roles_and_comments_are_checked(bundle, keys, tmp_path):
    rows = [person(who="a", role="x" * 41), person(who="b", role="IT\u202e"),
            person(who="c", role="Ledning 世"),
            {**person(who="d"), "comment.impact": "y" * 2001}]
    path = tmp_path / "bad.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*META, "role", *keys, "comment.impact"])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: 3 for k in keys} | row)
    with pytest.raises(InputError) as err:
        read_survey(path, bundle)
    problems = err.value.problems
    assert f"{path.name}: row 2: role: '{'x' * 40}…' is 41 characters long (allowed: at most " \
        "40)" in [p.split("/")[-1] for p in problems]
    assert any("row 3: role: 'IT\\u202e' holds a control character" in p for p in problems)
    assert any("row 4: role: 'Ledning 世' has characters the briefing's fonts cannot draw: "
               "'世'" in p for p in problems)
    assert any("row 5: comment.impact: 2001 characters (allowed: at most 2000)" in p
               for p in problems)
    assert len(problems) == 4


def test_plain_profile_briefing_has_no_survey_sections(tmp_path):
    bg = Briefgen(Options(out=tmp_path))
    analysis, matches, advice = bg.advised("region-x")
    html = bg.html(analysis, matches, advice)
    assert 'id="survey"' not in html and 'id="progress"' not in html
    assert 'id="peers-' not in html


def test_one_respondent_briefing_says_so(tmp_path):
    bg = Briefgen(Options(out=tmp_path, survey=FIXTURE))
    analysis, matches, advice = bg.advised("kommun-a")
    html = bg.html(analysis, matches, advice)
    assert "bygger på en persons svar" in html
    assert "Bara en person har svarat" in html
    assert "Ledningen delar inte en bild" not in html


def test_a_sub_question_is_named_by_what_it_asks(bundle):
    """The spread section and the questionnaire name a sub-question by its words, not by its
    number ("(2/3)")."""
    from briefgen.survey.columns import answer_columns

    headings = {c.key: (c.heading.sv, c.heading.en) for c in answer_columns(bundle.framework)}
    assert headings["organisational_clarity.ownership_clear"] == (
        "Organisatorisk tydlighet (vem som driver)", "Organisational clarity (who drives it)")
    assert not any("/" in sv or "/" in en for sv, en in headings.values())


# --------------------------------------------------------------------------- roles


def role_survey(path: Path, keys: list[str], groups: list[tuple[str, int, float]]) -> Path:
    """An organisation's answers, ``n`` respondents per (role, n, score): every answer is the
    score, but digital_leadership, which is 4 for the first role and 2.5 for the others."""
    rows, i = [], 0
    for g, (role, n, score) in enumerate(groups):
        for _ in range(n):
            i += 1
            answers = {k: score for k in keys} | {"digital_leadership": 4 if g == 0 else 2.5}
            rows.append({**person(org="region-r", who=f"p{i}"), "role": role, **answers})
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*META, "role", *keys])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("groups, shown", [
    ([("Ledningen", 6, 3), ("IT", 5, 3)], [("Ledningen", 6), ("IT", 5)]),
    # Two others beside both roles: IT joins them (the overall mean would give them away).
    ([("Ledningen", 6, 3), ("IT", 5, 3), ("", 2, 3)], [("Ledningen", 6), (None, 7)]),
    ([("Ledningen", 6, 3), ("IT", 5, 3), ("", 5, 3)],
     [("Ledningen", 6), ("IT", 5), (None, 5)]),
    ([("Ledningen", 4, 3), ("IT", 4, 3)], []),            # no role is big enough
    ([("Ledningen", 6, 3)], []),                          # one role: nothing to compare
    ([("Ledningen", 5, 3), ("IT", 3, 3), ("", 1, 3)], []),  # the others would be 4
    ([("it", 2, 3), ("IT", 3, 3), (" Ledningen", 5, 3)], [("IT", 5), ("Ledningen", 5)]),
])
def test_roles_are_shown_only_in_groups_big_enough(bundle, keys, tmp_path, groups, shown):
    survey = read_survey(role_survey(tmp_path / "roles.csv", keys, groups), bundle)
    org = survey_org(survey, "region-r", bundle)
    assert [(g.role, g.n) for g in org.role_groups] == shown
    assert org.with_role == sum(n for role, n, _ in groups if role.strip())
    if shown:      # every respondent is in exactly one group, each of at least five
        assert sum(g.n for g in org.role_groups) == org.respondents
        assert min(g.n for g in org.role_groups) >= bundle.rules.surveys.min_group_size


def test_the_briefing_says_which_role_rates_what(bundle, keys, tmp_path):
    path = role_survey(tmp_path / "roles.csv", keys, [("Ledningen", 6, 3), ("IT", 5, 3)])
    org = survey_org(read_survey(path, bundle), "region-r", bundle)
    lead, it = org.role_groups
    assert lead.means["digital_leadership"] == 4 and it.means["digital_leadership"] == 2.5
    assert lead.means["data_access_security"] == 3 and it.means["relevant_services"] == 3
    bg = Briefgen(Options(out=tmp_path, survey=path))
    analysis, matches, advice = bg.advised("region-r")
    html = bg.html(analysis, matches, advice)
    section = html[html.index('id="survey-roles"'):html.index("</section>",
                                                               html.index('id="survey-roles"'))]
    assert "Rollerna ser olika på läget" in section
    assert "<strong>Digitalt ledarskap</strong>: Ledningen skattar 4,0, IT 2,5" in section
    assert section.count("<li>") == 1                     # no other area lies 1 apart
    assert "På ett område ligger rollernas medelvärden 1,0 steg eller mer isär." in section
    assert "för varje roll med minst 5 svarande" in section
    en = Briefgen(Options(out=tmp_path, survey=path, lang="en"))
    html_en = en.html(*en.advised("region-r"))
    assert "In one area the roles&#39; means lie 1.0 points or more apart." in html_en
    assert "<strong>Digital leadership</strong>: rated 4.0 by Ledningen, 2.5 by IT" in html_en
    assert '<th scope="col" class="num">Ledningen (6)</th>' in section
    assert '<th scope="col" class="num">Alla (11)</th>' in section
    pdf, _ = bg.pdf("region-r")
    out = tmp_path / "roles.pdf"
    out.write_bytes(pdf)
    text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Svaren per roll" in text and "Ledningen skattar 4,0, IT 2,5" in text


def test_the_briefing_says_when_roles_are_too_few_to_show(bundle, keys, tmp_path):
    path = role_survey(tmp_path / "roles.csv", keys, [("Ledningen", 4, 3), ("IT", 3, 3)])
    bg = Briefgen(Options(out=tmp_path, survey=path, lang="en"))
    html = bg.html(*bg.advised("region-r"))
    assert "The answers are not shown by role. That needs at least two groups of at least 5 " \
        "respondents each" in html
    start = html.index('id="survey-roles"')
    assert "IT" not in html[start:html.index("</section>", start)]
    plain = write_csv(tmp_path / "plain.csv", keys, [person(who="a"), person(who="b")])
    html = Briefgen(Options(out=tmp_path, survey=plain)).html(
        *Briefgen(Options(out=tmp_path, survey=plain)).advised("org-a"))
    assert 'id="survey-roles"' not in html           # no roles given: nothing said
