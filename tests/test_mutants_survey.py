"""Survey aggregation in detail: rounding of the spread, disagreements at their threshold, the
messages for an organisation that cannot be aggregated, and what is logged. Written to kill the
mutants of the survey's aggregation (``survey.aggregate``, ``survey.read``) that the other
tests let live (docs/mutation.md)."""

from __future__ import annotations

import logging
import math

import pandas as pd
import pytest

from briefgen.errors import InputError
from briefgen.survey.aggregate import capability_scores, disagreements, spread_dict, survey_org
from briefgen.survey.read import Survey, _assessment_dates, read_survey

from .test_survey import FIXTURE, person, write_csv


def test_spread_figures_are_rounded_to_four_decimals(bundle, keys, tmp_path):
    # digital_leadership 1, 2, 2: mean 1.66666..., sd 0.57735...
    rows = [person(who="a", digital_leadership=1), person(who="b", digital_leadership=2),
            person(who="c", digital_leadership=2)]
    org = survey_org(read_survey(write_csv(tmp_path / "s.csv", keys, rows), bundle), "org-a",
                     bundle)
    assert org.spread["digital_leadership"] == {"mean": 1.6667, "min": 1.0, "max": 2.0,
                                                "sd": 0.5774, "n": 3.0}
    assert org.profile.name == "Org-A"


def _org_with_spread(bundle, spread: dict):
    org = survey_org(read_survey(FIXTURE, bundle), "kommun-a", bundle)
    return org.model_copy(update={"spread": spread})


def test_disagreements_at_the_threshold_and_with_two_answers(bundle):
    fw = bundle.framework
    spread = {
        # two answers exactly the threshold apart: a disagreement
        "digital_leadership": {"mean": 3.0, "min": 2.0, "max": 4.0, "sd": 1.4, "n": 2.0},
        # three answers 3 apart: the widest, first
        "partnerships": {"mean": 3.0, "min": 1.0, "max": 4.0, "sd": 1.5, "n": 3.0},
        # high answers 2.5 apart: between the two (ordered by range, not by level)
        "new_working_methods": {"mean": 4.0, "min": 2.5, "max": 5.0, "sd": 1.2, "n": 3.0},
        # just under the threshold
        "competence_diversity": {"mean": 3.0, "min": 2.1, "max": 4.0, "sd": 1.0, "n": 3.0},
        # one answer has no spread, whatever the figures say
        "agile_decisions.multi_speed": {"mean": 3.0, "min": 1.0, "max": 5.0, "sd": 0.0,
                                        "n": 1.0},
    }
    org = _org_with_spread(bundle, spread)
    assert disagreements(org, fw, 2.0) == ["partnerships", "new_working_methods",
                                           "digital_leadership"]


def test_a_capability_with_an_unanswered_question_has_no_score(bundle):
    means = pd.DataFrame({"digital_leadership": [3.0], "competence_diversity": [2.0],
                          "partnerships": [4.0], "data_access_security.collect_store": [3.0],
                          "data_access_security.insight": [math.nan],
                          "organisational_clarity.strategy_support": [3.0],
                          "organisational_clarity.ownership_clear": [2.0],
                          "organisational_clarity.cross_unit": [2.0],
                          "new_working_methods": [2.0],
                          "agile_decisions.balance_top_down": [2.0],
                          "agile_decisions.multi_speed": [1.0]}, index=["org-b"])
    caps = capability_scores(means, bundle.framework)
    assert list(caps.index) == ["org-b"]
    assert math.isnan(caps.at["org-b", "data_access_security"])
    assert caps.at["org-b", "organisational_clarity"] == pytest.approx(7 / 3)


def test_assessment_dates_line_up_with_the_rows_whatever_their_index():
    frame = pd.DataFrame({"org_id": ["a", "a", "b"],
                          "date": pd.to_datetime(["2026-10-01", "2026-05-01", "2026-09-01"])},
                         index=[10, 11, 12])
    dates = _assessment_dates(frame, 60)
    assert list(dates.index) == [10, 11, 12]
    assert [d.date().isoformat() for d in dates] == ["2026-10-01", "2026-05-01", "2026-09-01"]


def _survey_of(org_ids: list[str]) -> Survey:
    return Survey(source="s.csv", frame=pd.DataFrame({"org_id": org_ids}), columns=[])


def test_an_unknown_organisation_lists_at_most_twenty(bundle):
    twenty = [f"org-{i:02d}" for i in range(20)]
    with pytest.raises(InputError) as err:
        survey_org(_survey_of(twenty), "zzz", bundle)
    assert str(err.value) == ("s.csv: no answers for organisation 'zzz' In the survey: "
                              + ", ".join(twenty))
    with pytest.raises(InputError) as err:
        survey_org(_survey_of([*twenty, "org-20"]), "zzz", bundle)
    assert str(err.value).endswith(", ".join(twenty) + " …")


def test_a_question_nobody_answered_names_the_survey_and_every_question(bundle, keys, tmp_path):
    rows = [person(who="a", partnerships="", new_working_methods=""),
            person(who="b", partnerships="", new_working_methods="")]
    survey = read_survey(write_csv(tmp_path / "s.csv", keys, rows), bundle)
    with pytest.raises(InputError) as err:
        survey_org(survey, "org-a", bundle)
    assert str(err.value).endswith("s.csv: org-a (2026-10-01): no respondent answered "
                                   "partnerships, new_working_methods; at least one answer per "
                                   "question is needed")


def test_no_answer_to_importance_is_an_error(bundle, keys, tmp_path):
    rows = [person(who="a", importance=""), person(who="b", importance="")]
    survey = read_survey(write_csv(tmp_path / "s.csv", keys, rows), bundle)
    with pytest.raises(InputError) as err:
        survey_org(survey, "org-a", bundle)
    assert str(err.value).endswith("s.csv: org-a (2026-10-01): no respondent answered "
                                   "importance; at least one answer is needed")


def test_what_aggregation_logs(bundle, caplog):
    survey = read_survey(FIXTURE, bundle)
    with caplog.at_level(logging.INFO, logger="briefgen.survey"):
        survey_org(survey, "region-x", bundle)
        survey_org(survey, "kommun-a", bundle)
    messages = caplog.messages
    assert any(m.endswith("answers.csv: region-x answered from 2026-10-15 to 2026-10-20: one "
                          "assessment") for m in messages)
    assert any(m.endswith("answers.csv: region-x answered from 2025-09-01 to 2025-09-03: one "
                          "assessment") for m in messages)
    assert any(m.endswith("answers.csv: region-x has an earlier assessment (2025-09-03): "
                          "progress is shown") for m in messages)
    one = ("answers.csv: kommun-a has one respondent in the assessment of 2026-09-01; its "
           "answers are used as they are, with no spread")
    assert any(m.endswith(one) for m in messages)
    assert any(w.endswith(one) for w in survey.warnings)
    # An assessment answered on a single day says nothing about a range of dates.
    assert not any("kommun-a answered from" in m for m in messages)


def test_spread_dict_of_one_answer_has_no_sd():
    stats = pd.Series({("q", "mean"): 3.0, ("q", "min"): 3.0, ("q", "max"): 3.0,
                       ("q", "std"): math.nan, ("q", "count"): 1})
    assert spread_dict(stats) == {"q": {"mean": 3.0, "min": 3.0, "max": 3.0, "sd": 0.0,
                                        "n": 1.0}}
