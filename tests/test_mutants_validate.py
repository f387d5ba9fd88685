"""Profile validation, message by message: every problem of a profile with many, each with its
line, field and what is allowed. Written to kill the mutants of ``briefgen.load``'s profile
validation that the other tests let live (docs/mutation.md)."""

from __future__ import annotations

import copy

import pytest

from briefgen.errors import InputError
from briefgen.load import validate_profile
from briefgen.reading import read_yaml

BIG = "9" * 5000            # an integer PyYAML cannot convert: an invalid scalar
SHOWN = "'999999999999...999999' is a number of 5,000 digits, far too large"
CAPS = ("digital_leadership, competence_diversity, partnerships, data_access_security, "
        "organisational_clarity, new_working_methods, agile_decisions")
KEYS = ("id, name, level, assessed, importance, impact, effects, capabilities, ranking, "
        "maturity_phase, logo, previous, targets")
DATE = "is not a valid date (allowed: a date such as 2026-10-15)"

BAD = f"""id: Region X
name: "Region 区域"
assessed: 2026-02-30
importance: veryy
impact:
  optimise_tasks: 4
  change_division_of_work: {BIG}
effects: [1, 2026-02-30]
capabilities:
  leadership: 3
  digital_leadership: {{a: 1}}
  competence_diversity: {BIG}
  partnerships: 4
  data_access_security: {{collect_store: 3, insihgt: 2}}
  organisational_clarity:
    strategy_support: 3
    ownership_clear: 9
    cross_unit: 2
  agile_decisions: {{balance_top_down: 2, multi_speed: 1}}
ranking:
  - digital_leadership
  - partnerhsips
  - {BIG}
  - digital_leadership
targets:
  competence_diversity: 7
  leadership: 3
  partnerships: {BIG}
colour: blue
extra:
  when: 2026-02-30
  list: [1, 2026-02-31]
"""

EXPECTED = [
    f"bad.yaml:10: capabilities.leadership: unknown key; did you mean 'digital_leadership'? "
    f"(allowed: {CAPS})",
    "bad.yaml:11: capabilities.digital_leadership: takes one score (1-5), not sub-questions",
    f"bad.yaml:12: capabilities.competence_diversity: {SHOWN} (allowed: a number from 1 to 5)",
    "bad.yaml:14: capabilities.data_access_security.insihgt: unknown sub-question; did you "
    "mean 'insight'? (allowed: collect_store, insight)",
    "bad.yaml:14: capabilities.data_access_security.insight: missing (give every "
    "sub-question, or one score for the capability)",
    "bad.yaml:17: capabilities.organisational_clarity.ownership_clear: 9 is outside 1-5 "
    "(allowed: a number from 1 to 5)",
    "bad.yaml:9: capabilities.new_working_methods: missing (a score from 1 to 5 is required)",
    "bad.yaml:8: effects: must be a mapping of relevant_services, citizen_centric, "
    "employee_empowerment, cross_processes to scores 1-5",
    f"bad.yaml:7: impact.change_division_of_work: {SHOWN} (allowed: a number from 1 to 5)",
    "bad.yaml:5: impact.change_task_portfolio: missing (a score from 1 to 5 is required)",
    "bad.yaml:22: ranking.1: unknown capability 'partnerhsips'; did you mean 'partnerships'?",
    "bad.yaml:23: ranking.2: unknown capability '999999999999...999999'",
    "bad.yaml:20: ranking: names a capability more than once",
    "bad.yaml:26: targets.competence_diversity: 7 is outside 1-5 (allowed: a number from 1 "
    "to 5)",
    f"bad.yaml:27: targets.leadership: unknown capability; did you mean 'digital_leadership'? "
    f"(allowed: {CAPS})",
    f"bad.yaml:28: targets.partnerships: {SHOWN} (allowed: a number from 1 to 5)",
    f"bad.yaml:3: assessed: '2026-02-30' {DATE}",
    f"bad.yaml:31: extra.when: '2026-02-30' {DATE}",
    f"bad.yaml:32: extra.list.1: '2026-02-31' {DATE}",
    "bad.yaml:2: name: the briefing's fonts cannot draw '区' (U+533A CJK UNIFIED "
    "IDEOGRAPH-533A), '域' (U+57DF CJK UNIFIED IDEOGRAPH-57DF) (allowed: Latin, Greek and "
    "Cyrillic letters, digits, punctuation and common symbols)",
    "bad.yaml:1: id: 'Region X' is not a valid id (allowed: lower-case letters, digits and "
    "'-', e.g. region-x)",
    "bad.yaml:1: level: missing (required)",
    "bad.yaml:4: importance: must be 'most_important', 'top3', 'important' or "
    "'not_prioritised'",
    f"bad.yaml:29: colour: unknown key (allowed: {KEYS})",
    f"bad.yaml:30: extra: unknown key (allowed: {KEYS})",
]


def test_every_problem_of_a_bad_profile_with_its_line(bundle, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    data, node = read_yaml(path)
    with pytest.raises(InputError) as err:
        validate_profile(data, bundle, "bad.yaml", node)
    assert err.value.problems == EXPECTED


def _problems(bundle, data) -> list[str]:
    with pytest.raises(InputError) as err:
        validate_profile(data, bundle, "x.yaml")
    return err.value.problems


def test_a_profile_must_be_a_mapping(bundle):
    assert _problems(bundle, [1, 2]) == [
        "x.yaml: a profile must be a mapping of keys (id, name, level, ...), not list"]


def test_every_score_section_is_required(bundle, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    for section in ("capabilities", "effects", "impact"):
        del data[section]
    assert _problems(bundle, data) == [
        f"x.yaml: capabilities: missing (allowed keys: {CAPS})",
        "x.yaml: effects: missing (allowed keys: relevant_services, citizen_centric, "
        "employee_empowerment, cross_processes)",
        "x.yaml: impact: missing (allowed keys: optimise_tasks, change_division_of_work, "
        "change_task_portfolio)"]


def test_ranking_and_targets_of_the_wrong_shape(bundle, region_x_profile):
    data = copy.deepcopy(region_x_profile) | {"ranking": "digital_leadership", "targets": [3]}
    assert _problems(bundle, data) == [
        "x.yaml: ranking: must be a list of capability keys, most important first",
        "x.yaml: targets: must map capability keys to the score to reach (1-5)"]


def test_a_ranking_must_name_every_capability(bundle, region_x_profile):
    data = copy.deepcopy(region_x_profile) | {"ranking": ["agile_decisions",
                                                         "digital_leadership"]}
    assert _problems(bundle, data) == [
        "x.yaml: ranking: must rank all 7 capabilities; missing: competence_diversity, "
        "partnerships, data_access_security, organisational_clarity, new_working_methods"]
