"""The consultant's review, function by function: every problem of a review file with its
line and field, what applying and updating a review keeps. Written to kill the mutants of
``briefgen.review`` the other tests let live (docs/mutation.md)."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest
import yaml

from briefgen.advice import Finding, advise
from briefgen.analyse import Target, analyse
from briefgen.errors import InputError
from briefgen.load import load_org, validate_profile
from briefgen.match import match
from briefgen.review import (
    COMMENTS_NOTE,
    Priority,
    Review,
    apply_review,
    changes,
    check_review,
    comment_lines,
    find_review,
    fingerprints,
    made_for,
    proposal,
    read_review,
    review_name,
    review_yaml,
    updated,
)

BASE = """\
review: 1
org: region-x
lang: sv
priorities: [partnerships]
summary: {stand: "A", position: "B"}
recommendations:
- id: rec-3
  title: T
  reason: R
  initiatives:
  - id: r3-map
    title: S
    owner: O
    horizon: 0-3
    first_step: F
    done_when: D
    target: competence_diversity
findings:
- {text: "X", source: "Y"}
made_for: {}
"""
CAPS = ("digital_leadership, competence_diversity, partnerships, data_access_security, "
        "organisational_clarity, new_working_methods, agile_decisions")
TOP = "review, org, lang, priorities, summary, recommendations, findings, made_for"
STEP = "r.yaml:{}: recommendations[0].initiatives[0]."


def problems_of(tmp_path, monkeypatch, bundle, text: str) -> list[str]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.yaml").write_text(text, "utf-8")
    with pytest.raises(InputError) as err:
        read_review(Path("r.yaml"), bundle)
    return err.value.problems


def test_a_review_file_read_as_written(tmp_path, monkeypatch, bundle):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.yaml").write_text(BASE.replace("[partnerships]", "[partnerships, {key: "
                                                  "agile_decisions, reason: Q}]"), "utf-8")
    assert read_review(Path("r.yaml"), bundle) == Review(
        path="r.yaml", org="region-x", lang="sv",
        priorities=(Priority("partnerships"), Priority("agile_decisions", "Q")),
        summary={"stand": "A", "position": "B"},
        recommendations=({"id": "rec-3", "title": "T", "reason": "R", "initiatives": [
            {"id": "r3-map", "horizon": "0-3", "target": "competence_diversity", "title": "S",
             "owner": "O", "first_step": "F", "done_when": "D"}]},),
        findings=(Finding("X", "Y"),), made_for={})
    # an empty reason, an empty finding and an empty source are none
    (tmp_path / "r.yaml").write_text(
        BASE.replace("[partnerships]", '[{key: partnerships, reason: ""}]')
        .replace('- {text: "X", source: "Y"}', '- {text: "", source: ""}\n- {text: "Z"}')
        .replace("made_for: {}", "made_for: {a: 1}"), "utf-8")
    review = read_review(Path("r.yaml"), bundle)
    assert review.priorities == (Priority("partnerships", None),)
    assert review.findings == (Finding("Z", None),)
    assert review.made_for == {"a": 1}


@pytest.mark.parametrize("old, new, expected", [
    ("", "- 1\n", [f"r.yaml:1: (top level): must be a mapping with {TOP}"]),
    ("findings:", "findngs:", [
        f"r.yaml:18: findngs: unknown key; did you mean 'findings'? (allowed: {TOP})",
        "r.yaml: findings: missing", "r.yaml:1: findings: must be a list ([] for none)"]),
    ("review: 1\norg: region-x\nlang: sv", "review: 2\norg: Region X\nlang: de", [
        "r.yaml:1: review: must be 1 (the format this briefgen reads)",
        "r.yaml:2: org: must be the organisation's id", "r.yaml:3: lang: must be sv or en"]),
    ("[partnerships]", "partnerships",
     ["r.yaml:4: priorities: must be a list of capability keys ([] for none)"]),
    ("[partnerships]", "[{key: partnerships, why: x}, {key: digital_leadership, reason: 3}, "
     "partnership, partnerships, agile_decisions]", [
         "r.yaml:4: priorities[0].why: unknown key (allowed: key, reason)",
         "r.yaml:4: priorities[1].reason: must be text",
         "r.yaml:4: priorities[2]: unknown capability 'partnership'; did you mean "
         f"'partnerships'? (allowed: {CAPS})",
         "r.yaml:4: priorities[3]: 'partnerships' is named twice",
         "r.yaml:4: priorities: 5 priorities; at most 3 (rules.yaml: priorities.top)"]),
    ('{stand: "A", position: "B"}', "{stand: 1}", [
        "r.yaml:5: summary.position: missing", "r.yaml:5: summary.stand: must be text"]),
    ('{stand: "A", position: "B"}', "[a]",
     ["r.yaml:5: summary: must be a mapping with stand, position"]),
    ('{stand: "A", position: "B"}', '{stand: "' + "a" * 1501 + '", position: "漢"}', [
        "r.yaml:5: summary.stand: 1,501 characters; at most 1,500 allowed",
        "r.yaml:5: summary.position: the briefing's fonts cannot draw '漢' (U+6F22 CJK "
        "UNIFIED IDEOGRAPH-6F22)"]),
    ("recommendations:\n- id", "recommendations: 1\nx:\n- id", [
        f"r.yaml:7: x: unknown key (allowed: {TOP})",
        "r.yaml:6: recommendations: must be a list ([] for none)"]),
    ("- id: rec-3\n", "- 5\n- id: rec-3\n- id: Rec 3\n  title: T\n  reason: R\n- id: rec-3\n"
     "  title: 1\n  reason: R\n  initiatives: x\n- id: rec-3\n", [
         "r.yaml:7: recommendations[0]: must be a mapping with id, title, reason",
         "r.yaml:8: recommendations[1].title: missing",
         "r.yaml:8: recommendations[1].reason: missing",
         "r.yaml:9: recommendations[2].id: must be rec-1 ... rec-6 or an id of your own "
         "(lower-case letters, digits and '-')",
         "r.yaml:12: recommendations[3].id: 'rec-3' is named twice",
         "r.yaml:13: recommendations[3].title: must be text",
         "r.yaml:15: recommendations[3].initiatives: must be a list ([] for none)",
         "r.yaml:16: recommendations[4].id: 'rec-3' is named twice"]),
    ("- id: rec-3\n", "".join(f"- {{id: own-{i}, title: T, reason: R}}\n" for i in range(8))
     + "- id: rec-3\n", ["r.yaml:6: recommendations: 9 recommendations; at most 8"]),
    ("  initiatives:\n", "  initiatives:\n" + "  - {title: S, owner: O, horizon: 0-3, "
     "first_step: F, done_when: D}\n" * 6,
     ["r.yaml:10: recommendations[0].initiatives: 7 initiatives; at most 6"]),
    ("  - id: r3-map\n", "  - 4\n  - id: r3-map\n",
     ["r.yaml:11: recommendations[0].initiatives[0]: must be a mapping with title, owner, "
      "horizon, first_step, done_when"]),
    ("  - id: r3-map\n    title: S\n    owner: O\n    horizon: 0-3\n",
     "  - 4\n  - id: r3-map\n    title: S\n    owner: O\n    horizon: 0-6\n",
     ["r.yaml:11: recommendations[0].initiatives[0]: must be a mapping with title, owner, "
      "horizon, first_step, done_when",
      "r.yaml:15: recommendations[0].initiatives[1].horizon: '0-6' is not allowed (allowed: "
      "0-3, 3-12, 12-24)"]),
    ("  - id: r3-map\n    title: S\n    owner: O\n    horizon: 0-3\n",
     "  - 4\n  - id: r3-map\n    title: S\n    owner: O\n",
     ["r.yaml:11: recommendations[0].initiatives[0]: must be a mapping with title, owner, "
      "horizon, first_step, done_when",
      "r.yaml:12: recommendations[0].initiatives[1].horizon: missing"]),
    ("horizon: 0-3\n    first_step: F\n    done_when: D\n    target: competence_diversity\n"
     "findings", "horizon: 0-6\n    first_step: F\n    done_when: D\n    target: "
     "competence_diversty\n    extra: 1\nfindings", [
         STEP.format(18) + "extra: unknown key (allowed: id, title, owner, horizon, "
         "first_step, done_when, target)",
         STEP.format(14) + "horizon: '0-6' is not allowed (allowed: 0-3, 3-12, 12-24)",
         STEP.format(17) + "target: unknown area 'competence_diversty'; did you mean "
         "'competence_diversity'? (allowed: a capability or effect area key, or null)"]),
    ("  - id: r3-map\n    title: S\n    owner: O\n", "  - id: 5\n    title: S\n",
     [STEP.format(11) + "owner: missing", STEP.format(11) + "id: must be text"]),
    ("    title: S\n", "    title: null\n",
     [STEP.format(12) + "title: missing (text is needed)"]),
    ("target: competence_diversity", "target: 3.5", [
        STEP.format(17) + "target: name the area, not a figure: target values follow the "
        "rules (docs/method.md)"]),
    ("target: competence_diversity", "target: 4", [
        STEP.format(17) + "target: name the area, not a figure: target values follow the "
        "rules (docs/method.md)"]),
    ("target: competence_diversity", "target: true", [
        STEP.format(17) + "target: unknown area 'True' (allowed: a capability or effect area "
        "key, or null)"]),
    ('- {text: "X", source: "Y"}', '- {txt: "X"}\n- {text: "X", source: 1}\n- 3', [
        "r.yaml:19: findings[0].txt: unknown key; did you mean 'text'? (allowed: text, "
        "source)",
        "r.yaml:19: findings[0].text: missing",
        "r.yaml:20: findings[1].source: must be text",
        "r.yaml:21: findings[2]: must be a mapping with text"]),
    ('findings:\n- {text: "X", source: "Y"}', "findings: x",
     ["r.yaml:18: findings: must be a list ([] for none)"]),
    ('- {text: "X", source: "Y"}', '- {text: "X"}\n' * 31,
     ["r.yaml:18: findings: 31 findings; at most 30"]),
    ("made_for: {}", "made_for: 1", ["r.yaml:20: made_for: must be the mapping briefgen "
                                     "wrote; make the review again with briefgen review"]),
])
def test_each_problem_of_a_review_with_its_line_and_field(tmp_path, monkeypatch, bundle, old,
                                                           new, expected):
    text = new if old == "" else BASE.replace(old, new, 1)
    assert text != BASE
    assert problems_of(tmp_path, monkeypatch, bundle, text) == expected


@pytest.fixture
def region_x(bg):
    """Region X's analysis, matches, Swedish texts and advice, built for each test (mutmut
    counts a module fixture for its first test only)."""
    analysis = analyse(load_org("region-x", bg.bundle), bg.benchmark(), bg.bundle)
    matches = match(analysis, bg.bundle.library, bg.bundle.rules)
    t = bg.texts_for(analysis, "sv")
    return analysis, matches, t, advise(analysis, matches, bg.bundle.library, bg.bundle.rules, t)


def test_the_proposal_and_what_it_is_made_for(region_x):
    analysis, _, t, advice = region_x
    data = proposal(analysis, advice)
    assert list(data) == ["review", "org", "lang", "priorities", "summary", "recommendations",
                          "findings", "made_for"]
    assert (data["review"], data["org"], data["lang"], data["findings"]) == (
        1, "region-x", "sv", [])
    assert data["priorities"] == ["competence_diversity", "agile_decisions",
                                  "data_access_security"]
    assert data["summary"] == advice.summary
    rec = data["recommendations"][0]
    assert (rec["id"], rec["title"], rec["reason"]) == (
        "rec-3", advice.recommendations[0].title, advice.recommendations[0].reason)
    assert rec["initiatives"][0] == {
        "id": "r3-map", "title": "Kartlägg vilka digitala kompetenser som saknas",
        "owner": "HR-chefen", "horizon": "0-3",
        "first_step": advice.recommendations[0].steps[0].first_step,
        "done_when": "En kompetensplan med prioriterade roller är beslutad.",
        "target": "competence_diversity"}
    made = dict(data["made_for"])
    prints = made.pop("proposal")
    assert made == made_for(analysis, "sv") == {
        "benchmark": "dt-offentlig-sektor-2018", "benchmark_version": "2018.1", "lang": "sv",
        "assessed": "2026-10-15", "level": "regional", "phase": "embedded",
        "importance": "top3",
        "capabilities": {"digital_leadership": 3.0, "competence_diversity": 2.5,
                         "partnerships": 4.0, "data_access_security": 2.5,
                         "organisational_clarity": 2.3, "new_working_methods": 2.0,
                         "agile_decisions": 1.5},
        "answers": {"data_access_security": {"collect_store": 3.0, "insight": 2.0},
                    "organisational_clarity": {"strategy_support": 3.0,
                                               "ownership_clear": 2.0, "cross_unit": 2.0},
                    "agile_decisions": {"balance_top_down": 2.0, "multi_speed": 1.0}},
        "effects": {"relevant_services": 3.5, "citizen_centric": 3.0,
                    "employee_empowerment": 2.5, "cross_processes": 2.0},
        "targets": {}, "ranking": []}
    assert list(prints)[:6] == ["priorities", "summary.stand", "summary.position",
                                "rec-3.title", "rec-3.reason", "rec-3/r3-map"]
    assert prints == fingerprints(data)
    assert all(len(p) == 12 for p in prints.values())
    # a fingerprint follows the item, and an initiative without an id has none
    other = copy.deepcopy(data)
    other["recommendations"][0]["initiatives"][0]["title"] = "Annat"
    other["recommendations"][0]["initiatives"].append({"id": None, "title": "Egen"})
    changed = fingerprints(other)
    assert {k for k in prints if prints[k] != changed[k]} == {"rec-3/r3-map"}
    assert set(changed) == set(prints)


def test_the_review_file_explains_itself_in_its_header(region_x):
    analysis, _, t, advice = region_x
    data = proposal(analysis, advice)
    text = review_yaml(data, analysis, t, 0.3, 3)
    assert text.startswith(
        "# briefgen review of the advice for Region X (region-x), in Swedish.\n"
        "# Edit what the client should read, then run: briefgen make --org region-x\n#\n"
        "# priorities       capability keys, most urgent first (at most 3). One that is not "
        "more\n#                  than 0,3 below its reference needs your reason:\n"
        '#                    - {key: partnerships, reason: "Intervjuerna visar ..."}\n'
        '# summary          the two paragraphs under "Var ni står"; "" leaves one out.\n')
    assert "\nreview: 1\norg: region-x\nlang: sv\npriorities:\n- competence_diversity\n" in text
    english = dict(data, lang="en")
    text = review_yaml(english, analysis, t, 0.3, 3)
    assert "in English.\n# Edit what the client should read, then run: briefgen make --org " \
           "region-x --lang en\n" in text
    assert "in xx." in review_yaml(dict(data, lang="xx"), analysis, t, 0.3, 3)
    # A name over two lines stays on the header's line; the file folds at 96 columns.
    profile = analysis.org.profile.model_copy(update={"name": "Region\nX"})
    renamed = dataclasses.replace(analysis,
                                  org=analysis.org.model_copy(update={"profile": profile}))
    long = ("Intervjuerna visar att förvaltningen saknar en gemensam bild av vilka data som "
            "nu finns, vem som äger dem och hur de får delas med andra aktörer i regionen.")
    text = review_yaml(dict(data, summary={"stand": long, "position": ""}), renamed, t, 0.3, 3)
    assert text.startswith("# briefgen review of the advice for Region X (region-x), in Swedish.\n")
    assert ("\nsummary:\n  stand: Intervjuerna visar att förvaltningen saknar en gemensam bild av "
            "vilka data som nu finns,\n    vem som äger dem och hur de får delas med andra "
            "aktörer i regionen.\n  position: ''\n") in text     # "vem" would end at 101


def test_review_names_and_where_a_review_is_found(tmp_path):
    assert review_name("region-x", "sv") == "region-x.yaml"
    assert review_name("region-x", "en") == "region-x-en.yaml"
    config = tmp_path / "briefgen.toml"
    assert find_review(None, None, "region-x", "sv") is None
    assert find_review(None, config, "region-x", "sv") is None
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "region-x-en.yaml").write_text("x", "utf-8")
    assert find_review(None, config, "region-x", "sv") is None
    assert find_review(None, config, "region-x", "en") == tmp_path / "reviews" / \
        "region-x-en.yaml"
    given = tmp_path / "mine.yaml"
    with pytest.raises(InputError, match=rf"^--review: {given}: no such file$"):
        find_review(given, config, "region-x", "en")
    given.write_text("x", "utf-8")
    assert find_review(given, config, "region-x", "en") == given
    assert find_review(str(given), None, "region-x", "en") == given


def test_changes_name_each_score_that_moved(region_x):
    analysis, _, t, _ = region_x
    now = made_for(analysis, "sv")
    assert changes(now, now, t) == []
    made = copy.deepcopy(now)
    made["phase"] = "mobilised"
    made["ranking"] = ["a"]
    made["capabilities"]["partnerships"] = 3.5
    del made["effects"]["cross_processes"]
    made["targets"]["partnerships"] = 4.5
    made["answers"]["agile_decisions"]["multi_speed"] = 2.0
    made["answers"]["extra"] = {}
    assert changes(made, now, t) == [
        "phase mobilised -> embedded", "ranking ['a'] -> []",
        "capabilities.partnerships 3,5 -> 4,0", "effects.cross_processes none -> 2,0",
        "targets.partnerships 4,5 -> none",
        "capabilities.agile_decisions: its sub-questions' answers changed",
        "capabilities.extra: its sub-questions' answers changed"]
    assert changes({}, now, t)[:3] == [
        "benchmark None -> dt-offentlig-sektor-2018", "benchmark_version None -> 2018.1",
        "lang None -> sv"]


def review_of(data: dict, path: str = "reviews/region-x.yaml") -> Review:
    return Review(path=path, org=data["org"], lang=data["lang"],
                  priorities=tuple(Priority(p) if isinstance(p, str) else
                                   Priority(p["key"], p["reason"]) for p in data["priorities"]),
                  summary=data["summary"], recommendations=tuple(data["recommendations"]),
                  findings=(), made_for=data["made_for"])


def test_a_review_is_checked_against_the_organisation_language_and_scores(region_x):
    analysis, _, t, advice = region_x
    data = proposal(analysis, advice)
    check_review(review_of(data), analysis, "sv", t)
    with pytest.raises(InputError, match=r"^r\.yaml: org: the review is for 'kommun-y', not "
                                         r"'region-x'$"):
        check_review(review_of(dict(data, org="kommun-y"), "r.yaml"), analysis, "sv", t)
    with pytest.raises(InputError) as err:
        check_review(review_of(data, "r.yaml"), analysis, "en", t)
    assert str(err.value) == ("r.yaml: lang: the review is in 'sv', the briefing in 'en'; make "
                              "one with briefgen review --org region-x --lang en")
    moved = copy.deepcopy(data)
    for key in ("digital_leadership", "competence_diversity", "partnerships",
                "data_access_security", "organisational_clarity", "new_working_methods",
                "agile_decisions"):
        moved["made_for"]["capabilities"][key] = 1.0
    with pytest.raises(InputError) as err:
        check_review(review_of(moved, "r.yaml"), analysis, "sv", t)
    assert str(err.value) == (
        "r.yaml: made_for: the review was made for other scores (capabilities.agile_decisions "
        "1,0 -> 1,5; capabilities.competence_diversity 1,0 -> 2,5; "
        "capabilities.data_access_security 1,0 -> 2,5; capabilities.digital_leadership 1,0 -> "
        "3,0; capabilities.new_working_methods 1,0 -> 2,0; capabilities.organisational_clarity "
        "1,0 -> 2,3; and 1 more); bring it up to date with briefgen review --org region-x "
        "--update")
    moved["made_for"]["capabilities"]["partnerships"] = 4.0
    with pytest.raises(InputError, match=r"2,3\); bring it up to date"):
        check_review(review_of(moved, "r.yaml"), analysis, "sv", t)


def test_applying_a_review_puts_the_consultants_advice_in_force(bg, region_x):
    analysis, matches, t, advice = region_x
    data = proposal(analysis, advice)
    data["priorities"] = ["agile_decisions", {"key": "partnerships", "reason": "Skäl."}]
    rec3, rec4, _ = data["recommendations"]
    rec3["initiatives"] = [
        dict(rec3["initiatives"][2], target="partnerships"),       # 3-12, retargeted
        dict(rec3["initiatives"][0], target=None),                  # 0-3, no target
        {"id": None, "title": "Egen", "owner": "Jag", "horizon": "12-24", "first_step": "F",
         "done_when": "D", "target": "cross_processes"}]            # the consultant's own
    own = {"id": "egen-1", "title": "Eget råd", "reason": "För att.", "initiatives": [
        {"id": "x", "title": "X", "owner": "O", "horizon": "0-3", "first_step": "F",
         "done_when": "D", "target": "agile_decisions"}]}
    data["recommendations"] = [rec4, own, rec3]        # rec-5 taken out
    review = review_of(data)
    review = Review(**{**review.__dict__, "findings": (Finding("Iakttagelse", "intervjuer"),)})
    reviewed, matched, result = apply_review(review, analysis, matches, advice, bg.bundle, t)

    assert reviewed.priorities == ["agile_decisions", "partnerships"]
    assert reviewed.focus == ["agile_decisions", "partnerships"]
    assert reviewed.priority_notes == {"partnerships": "Skäl."}
    assert {c.key: c.status for c in reviewed.capabilities} == {
        "digital_leadership": "on_par", "competence_diversity": "below",
        "partnerships": "priority", "data_access_security": "below",
        "organisational_clarity": "below", "new_working_methods": "below",
        "agile_decisions": "priority"}
    assert {k: [p.practice.id for p in v] for k, v in matched.capability_practices.items()} == {
        "agile_decisions": ["cap-agile_decisions-1", "cap-agile_decisions-2",
                            "cap-agile_decisions-3"],
        "partnerships": ["cap-partnerships-1", "cap-partnerships-2", "cap-partnerships-3"]}
    reason = matched.capability_practices["partnerships"][0].reason
    assert (reason.key, reason.kind, reason.score, reason.reference) == (
        "partnerships", "advance", 4.0, 3.0)

    assert [(r.id, r.number) for r in result.recommendations] == [
        ("rec-4", 4), ("egen-1", None), ("rec-3", 3)]
    r4, mine, r3 = result.recommendations
    assert r4.summary == advice.recommendations[1].summary and r4.next_steps
    assert r4.reasons == advice.recommendations[1].reasons and r4.reasons
    assert (mine.title, mine.reason, mine.summary, mine.next_steps, mine.reasons) == (
        "Eget råd", "För att.", "", (), ())
    assert [(s.id, s.horizon, s.areas) for s in r3.steps] == [
        ("r3-map", "0-3", ("competence_diversity",)),
        ("r3-reskill", "3-12", ("partnerships", "competence_diversity")),
        (None, "12-24", ("cross_processes",))]
    assert [s.target for s in r3.steps] == [
        None,
        Target(key="partnerships", score=4.0, target=4.0, rule="hold"),
        Target(key="cross_processes", score=2.0, target=2.9, rule="reference")]
    # a target the analysis has keeps its figure (agile_decisions: a step to 2,5)
    assert mine.steps[0].target == Target(key="agile_decisions", score=1.5, target=2.5,
                                          rule="step")
    assert mine.steps[0].areas == ("agile_decisions",)
    assert result.removed == ("rec-5",)
    assert result.priorities == ("agile_decisions", "partnerships")
    assert result.summary == data["summary"] and result.summary is not data["summary"]
    assert result.findings == (Finding("Iakttagelse", "intervjuer"),)
    assert result.priority_notes == {"partnerships": "Skäl."}
    assert result.review == "reviews/region-x.yaml"


def test_a_priority_not_below_its_reference_needs_a_reason(bg, region_x):
    analysis, matches, t, advice = region_x
    data = proposal(analysis, advice)
    data["priorities"] = ["partnerships", "agile_decisions", "digital_leadership"]
    with pytest.raises(InputError) as err:
        apply_review(review_of(data, "r.yaml"), analysis, matches, advice, bg.bundle, t)
    assert err.value.problems == [
        "r.yaml: priorities[0]: partnerships is not more than 0,3 below its reference (4,0 "
        "against 3,0); give your reason as {key: partnerships, reason: \"...\"}",
        "r.yaml: priorities[2]: digital_leadership is not more than 0,3 below its reference "
        "(3,0 against 3,0); give your reason as {key: digital_leadership, reason: \"...\"}"]


def test_no_priorities_in_a_review_of_the_gaps_track_leave_no_focus(bg, region_x):
    analysis, matches, t, advice = region_x
    data = proposal(analysis, advice)
    data["priorities"] = []
    reviewed, matched, result = apply_review(review_of(data), analysis, matches, advice,
                                             bg.bundle, t)
    assert (reviewed.priorities, reviewed.focus, matched.capability_practices) == ([], [], {})
    assert "priority" not in {c.status for c in reviewed.capabilities}
    assert result.removed == ()


def test_the_lead_track_keeps_its_focus_and_builds_on_strengths(bg):
    path = Path(__file__).parent / "fixtures" / "advice" / "strong-agency.yaml"
    org = validate_profile(yaml.safe_load(path.read_text("utf-8")), bg.bundle, str(path))
    analysis = analyse(org, bg.benchmark(), bg.bundle)
    matches = match(analysis, bg.bundle.library, bg.bundle.rules)
    t = bg.texts_for(analysis, "en")
    advice = advise(analysis, matches, bg.bundle.library, bg.bundle.rules, t)
    assert analysis.track == "lead" and analysis.focus
    data = proposal(analysis, advice)
    data["priorities"] = []
    reviewed, matched, _ = apply_review(review_of(data), analysis, matches, advice, bg.bundle, t)
    assert reviewed.focus == analysis.focus       # no priorities: the track's focus stays
    assert matched.capability_practices == {}     # strengths: nothing to raise
    data["priorities"] = [{"key": "partnerships", "reason": "Skäl."}]
    reviewed, matched, _ = apply_review(review_of(data), analysis, matches, advice, bg.bundle, t)
    assert reviewed.focus == ["partnerships"]
    assert [k for k in matched.capability_practices] == []


# --------------------------------------------------------------------------- updating


def test_an_update_keeps_the_consultants_edits_where_they_still_apply(region_x):
    analysis, _, _, advice = region_x
    old = proposal(analysis, advice)
    new = copy.deepcopy(old)
    new["summary"]["stand"] = "Ny text."
    new["made_for"]["capabilities"]["partnerships"] = 3.9
    # the consultant: own priorities, a reworded summary and reason, a new title, rec-5 out,
    # an own recommendation, an own initiative, r3-obstacles out, r3-map edited
    old["priorities"] = ["agile_decisions"]
    old["summary"]["stand"] = "Min text."
    rec3, rec4, _ = old["recommendations"]
    rec3["title"] = "Min titel"
    rec4["reason"] = "Mitt skäl."
    rec3["initiatives"] = [dict(rec3["initiatives"][0], title="Mitt steg"),
                           *rec3["initiatives"][2:],
                           {"id": None, "title": "Eget", "owner": "O", "horizon": "0-3",
                            "first_step": "F", "done_when": "D", "target": None}]
    mine = {"id": "egen", "title": "Eget råd", "reason": "R", "initiatives": []}
    old["recommendations"] = [rec3, rec4, mine]
    old["findings"] = [{"text": "F"}]
    out, said = updated(old, new)
    assert said == [
        "priorities: kept your list (check each against the new scores)",
        "summary.stand: your wording was dropped (it states the old scores); the new one is in "
        "its place",
        "rec-3/r3-obstacles: still left out, as you had it",
        "rec-4.reason: your wording was dropped (it states the old scores); the new one is in "
        "its place",
        "egen: kept as you wrote it",
        "rec-5: still left out, as you had it"]
    assert out["priorities"] == ["agile_decisions"]
    assert out["summary"] == new["summary"]
    assert [r["id"] for r in out["recommendations"]] == ["rec-3", "rec-4", "egen"]
    r3, r4, own = out["recommendations"]
    assert r3["title"] == "Min titel" and r4["reason"] == new["recommendations"][1]["reason"]
    assert [(s["id"], s["title"]) for s in r3["initiatives"]] == [
        ("r3-map", "Mitt steg"), (None, "Eget"), ("r3-reskill", "Vidareutbilda de medarbetare "
                                                  "ni redan har"),
        ("r3-careers", "Bygg karriärvägar tillsammans med andra")]
    assert own is mine
    assert out["findings"] == [{"text": "F"}]
    assert out["made_for"]["capabilities"]["partnerships"] == 3.9
    assert out["made_for"]["proposal"] == new["made_for"]["proposal"]
    assert list(out) == ["review", "org", "lang", "priorities", "summary", "recommendations",
                         "findings", "made_for"]
    # unchanged: nothing said, the new proposal as it is
    fresh = proposal(analysis, advice)
    same, said = updated(copy.deepcopy(fresh), fresh)
    assert said == [] and same == fresh


def test_an_update_drops_and_adds_what_the_new_scores_call_for(region_x):
    analysis, _, _, advice = region_x
    old = proposal(analysis, advice)
    new = copy.deepcopy(old)
    rec3, rec4, rec5 = new["recommendations"]
    fresh = copy.deepcopy(rec5)
    fresh["id"] = "rec-6"
    new["recommendations"] = [rec3, fresh]
    new["made_for"]["proposal"] = fingerprints(new)
    # rec-4 untouched, rec-5 edited: one goes, one stays; rec-3 loses an initiative
    new["recommendations"][0]["initiatives"] = rec3["initiatives"][:1] + rec3["initiatives"][2:]
    old_rec3 = old["recommendations"][0]
    old_rec3["initiatives"][2] = dict(old_rec3["initiatives"][2], owner="Jag")  # r3-reskill
    old["recommendations"][2]["title"] = "Min titel"
    with_own = copy.deepcopy(old)
    with_own["recommendations"].append({"id": "rec-6", "title": "Eget", "reason": "R",
                                        "initiatives": []})
    out, said = updated(old, new)
    assert said == [
        "rec-3/r3-obstacles: dropped; the new scores no longer call for it",
        "rec-4: dropped; the new scores no longer call for it",
        "rec-5: kept as you had it, though the rules no longer choose it",
        "rec-6: added; the new scores call for it"]
    assert [r["id"] for r in out["recommendations"]] == ["rec-3", "rec-5", "rec-6"]
    assert [s["id"] for s in out["recommendations"][0]["initiatives"]] == [
        "r3-map", "r3-reskill", "r3-careers"]
    assert out["recommendations"][0]["initiatives"][1]["owner"] == "Jag"
    # the old proposal's prints stay for what it had and the new one lacks
    assert out["made_for"]["proposal"]["rec-4.title"] == old["made_for"]["proposal"][
        "rec-4.title"]
    assert out["made_for"]["proposal"]["rec-6.title"] == new["made_for"]["proposal"][
        "rec-6.title"]
    _, said = updated(with_own, new)
    assert "rec-6: kept as you wrote it; the rules now choose it too" in said
    # an edited initiative the rules no longer choose stays, and says so
    new["recommendations"][0]["initiatives"] = rec3["initiatives"][:1]
    _, said = updated(old, new)
    assert said[:3] == [
        "rec-3/r3-obstacles: dropped; the new scores no longer call for it",
        "rec-3/r3-reskill: kept as you edited it, though the rules no longer choose it",
        "rec-3/r3-careers: dropped; the new scores no longer call for it"]


def test_an_update_of_a_review_without_prints_takes_the_new_proposal(region_x):
    analysis, _, _, advice = region_x
    new = proposal(analysis, advice)
    old = copy.deepcopy(new)
    old["made_for"] = None
    old["summary"]["stand"] = "Min text."
    out, said = updated(old, new)
    assert out["summary"] == new["summary"]
    assert said == [f"{r['id']}: kept as you wrote it; the rules now choose it too"
                    for r in new["recommendations"]]


# --------------------------------------------------------------------------- edges


@pytest.mark.parametrize("old, new", [
    ('stand: "A"', 'stand: "' + "a" * 1500 + '"'),                  # at the limit
    ("lang: sv", "lang: en"),
    ("- id: rec-3\n", "".join(f"- {{id: own-{i}, title: T, reason: R}}\n" for i in range(7))
     + "- id: rec-3\n"),                                             # 8 recommendations
    ("  initiatives:\n", "  initiatives:\n" + "  - {title: S, owner: O, horizon: 0-3, "
     "first_step: F, done_when: D}\n" * 5),                         # 6 initiatives
    ('- {text: "X", source: "Y"}', '- {text: "X"}\n' * 30),          # 30 findings
])
def test_a_review_at_its_limits_is_read(tmp_path, monkeypatch, bundle, old, new):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.yaml").write_text(BASE.replace(old, new, 1), "utf-8")
    assert read_review(Path("r.yaml"), bundle).org == "region-x"


def test_an_empty_paragraph_stays_empty_and_a_key_is_named_as_written(tmp_path, monkeypatch,
                                                                      bundle):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.yaml").write_text(BASE.replace('stand: "A"', 'stand: ""'), "utf-8")
    assert read_review(Path("r.yaml"), bundle).summary == {"stand": "", "position": "B"}
    assert problems_of(tmp_path, monkeypatch, bundle, BASE + "Xtra: 1\n") == [
        f"r.yaml:21: Xtra: unknown key (allowed: {TOP})"]


def test_a_read_review_as_the_data_an_update_compares(tmp_path, monkeypatch, bundle):
    from briefgen.review import _as_data

    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.yaml").write_text(
        BASE.replace("[partnerships]", "[partnerships, {key: agile_decisions, reason: Q}]")
        .replace('- {text: "X", source: "Y"}', '- {text: "X", source: "Y"}\n- {text: "Z"}'),
        "utf-8")
    review = read_review(Path("r.yaml"), bundle)
    assert _as_data(review) == {
        "priorities": ["partnerships", {"key": "agile_decisions", "reason": "Q"}],
        "summary": {"stand": "A", "position": "B"},
        "recommendations": [dict(r) for r in review.recommendations],
        "findings": [{"text": "X", "source": "Y"}, {"text": "Z"}],
        "made_for": {}}


def test_applied_initiatives_summary_and_practice_reasons_are_the_reviews(bg, region_x):
    from briefgen.match import reason_for

    analysis, matches, t, advice = region_x
    data = proposal(analysis, advice)
    data["priorities"] = [{"key": "partnerships", "reason": "Skäl."}]
    data["summary"] = {"stand": "Egen.", "position": ""}
    data["recommendations"][0]["initiatives"] = [
        {"id": None, "title": "Egen", "owner": "Jag", "horizon": "0-3", "first_step": "Börja.",
         "done_when": "Klart.", "target": None}]
    reviewed, matched, result = apply_review(review_of(data), analysis, matches, advice,
                                             bg.bundle, t)
    assert result.summary == {"stand": "Egen.", "position": ""}
    step = result.recommendations[0].steps[0]
    assert (step.id, step.title, step.owner, step.horizon, step.first_step, step.done_when,
            step.areas, step.target) == (None, "Egen", "Jag", "0-3", "Börja.", "Klart.", (),
                                         None)
    cap = reviewed.capability("partnerships")
    assert matched.capability_practices["partnerships"][0].reason == reason_for(
        cap, "capability", cap.urgency, cap.rank, "priority")
    reason = matched.capability_practices["partnerships"][0].reason
    assert (reason.area, reason.rank) == ("capability", cap.rank) and cap.rank is not None


def test_a_target_the_profile_sets_keeps_its_figure(bg, region_x_profile):
    profile = copy.deepcopy(region_x_profile)
    profile["targets"] = {"new_working_methods": 2.5}
    analysis = analyse(validate_profile(profile, bg.bundle, "x.yaml"), bg.benchmark(), bg.bundle)
    matches = match(analysis, bg.bundle.library, bg.bundle.rules)
    t = bg.texts_for(analysis, "sv")
    advice = advise(analysis, matches, bg.bundle.library, bg.bundle.rules, t)
    data = proposal(analysis, advice)
    data["recommendations"][0]["initiatives"][0]["target"] = "new_working_methods"
    _, _, result = apply_review(review_of(data), analysis, matches, advice, bg.bundle, t)
    target = result.recommendations[0].steps[0].target
    assert (target.key, target.target, target.rule) == ("new_working_methods", 2.5, "profile")
    assert made_for(analysis, "sv")["targets"] == {"new_working_methods": 2.5}


def test_an_update_refreshes_what_the_consultant_left_alone(region_x):
    analysis, _, _, advice = region_x
    old = proposal(analysis, advice)
    new = copy.deepcopy(old)
    rec3, rec4, rec5 = new["recommendations"]
    rec4["title"] = "Ny titel"                                        # not edited: refreshed
    rec3["initiatives"][0]["first_step"] = "Nytt första steg."        # not edited: refreshed
    rec3["initiatives"].append({"id": "r3-new", "title": "Ny", "owner": "O", "horizon": "0-3",
                                "first_step": "F", "done_when": "D", "target": None})
    extra = dict(copy.deepcopy(rec5), id="rec-6")
    new["recommendations"] = [rec3, rec4, extra]
    new["made_for"]["proposal"] = fingerprints(new)
    # the consultant: rec-5 kept only for an edited initiative, an own initiative with an id
    old_rec5 = old["recommendations"][2]
    old_rec5["initiatives"][0] = dict(old_rec5["initiatives"][0], owner="Jag")
    old["recommendations"][0]["initiatives"].append(
        {"id": "mitt", "title": "Mitt", "owner": "O", "horizon": "12-24", "first_step": "F",
         "done_when": "D", "target": None})
    out, said = updated(old, new)
    assert said == ["rec-5: kept as you had it, though the rules no longer choose it",
                    "rec-6: added; the new scores call for it"]
    r3, r4, r5, r6 = out["recommendations"]
    assert r4["title"] == "Ny titel"
    assert [s["id"] for s in r3["initiatives"]] == [
        "r3-map", "r3-obstacles", "r3-new", "r3-reskill", "r3-careers", "mitt"]
    assert r3["initiatives"][0]["first_step"] == "Nytt första steg."
    assert r5["initiatives"][0]["owner"] == "Jag" and r6["id"] == "rec-6"
    # a recommendation taken out is still out, and what follows it is still added
    old2 = proposal(analysis, advice)
    old2["recommendations"] = old2["recommendations"][:2]
    new2 = proposal(analysis, advice)
    new2["recommendations"].append(dict(copy.deepcopy(new2["recommendations"][2]), id="rec-6"))
    _, said = updated(old2, new2)
    assert said == ["rec-5: still left out, as you had it",
                    "rec-6: added; the new scores call for it"]


def test_a_fingerprint_is_stable_across_key_order_and_keeps_swedish_letters():
    from briefgen.review import _fingerprint

    # written into review files: a later briefgen must compute the same print
    assert _fingerprint({"b": "å", "a": 1}) == _fingerprint({"a": 1, "b": "å"}) == "16b58dbb5183"


def test_the_review_file_keeps_swedish_letters_as_they_are(region_x):
    analysis, _, t, advice = region_x
    text = review_yaml(proposal(analysis, advice), analysis, t, 0.3, 3)
    assert "  title: Bygg moderna och attraktiva arbetsplatser\n" in text
    assert "Kartlägg vilka digitala kompetenser som saknas" in text and "\\x" not in text


def test_comments_are_wrapped_at_92_columns_with_words_and_links_whole(region_x):
    _, _, t, _ = region_x
    link = ("https://intranet.region-s.se/digitalisering/strategi/2026/bilaga-3-"
            "forvaltningsmodell-for-gemensamma-plattformar.pdf")
    text = comment_lines([("capabilities", "Vi har en gemensam plattform för e-tjänster men "
                           "saknar en plan för hur den ska förvaltas av verksamheten och\n"
                           f"it-avdelningen tillsammans. Se {link}"),
                          ("impact", "Kort.")], t)
    assert text == COMMENTS_NOTE + (
        "#   - [Förmågor] Vi har en gemensam plattform för e-tjänster men saknar en plan för "
        "hur den\n"      # 91 columns: "ska" would make 95
        "#     ska förvaltas av verksamheten och it-avdelningen tillsammans. Se\n"
        f"#     {link}\n"
        "#   - [Förväntad påverkan] Kort.\n")
    # 92 columns exactly fit; 93 do not
    words = " ".join(["abcdefghi"] * 7)     # after "#   - [Förmågor] ": 17 + 69 = 86
    lines = comment_lines([("capabilities", f"{words} abcde")], t).splitlines()
    assert [len(line) for line in lines[2:]] == [92]
    lines = comment_lines([("capabilities", f"{words} abcdef")], t).splitlines()
    assert [len(line) for line in lines[2:]] == [86, 12]


def test_a_surveys_comments_are_written_under_findings(tmp_path, keys):
    """write_review with a survey: the comments of its latest assessment, as YAML comments
    right after findings:, and a workspace's review in its reviews folder."""
    import csv

    from briefgen.options import Options
    from briefgen.pipeline import Briefgen
    from briefgen.review import write_review
    from briefgen.survey.columns import META

    survey = tmp_path / "svar.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*META, *keys, "comment.capabilities"])
        writer.writeheader()
        base = {"org_id": "region-s", "org_name": "Region S", "level": "regional",
                "importance": "top3", "date": "2026-10-01", **dict.fromkeys(keys, 3)}
        writer.writerow({**base, "respondent": "a", "comment.capabilities": "Data saknas."})
        writer.writerow({**base, "respondent": "b"})
    (tmp_path / "briefgen.toml").write_text('[firm]\nname = "Nordkonsult"\n', "utf-8")
    bg = Briefgen(Options(survey=survey, config=tmp_path / "briefgen.toml"))
    path, said = write_review(bg, "region-s", None)
    assert (path, said) == (tmp_path / "reviews" / "region-s.yaml", [])
    text = path.read_text("utf-8")
    assert f"\nfindings: []\n{COMMENTS_NOTE}#   - [Förmågor] Data saknas.\nmade_for:\n" in text


def test_where_briefgen_review_writes(tmp_path):
    from briefgen.options import Options
    from briefgen.pipeline import Briefgen
    from briefgen.review import review_path

    bare = Briefgen(Options())
    with pytest.raises(InputError) as err:
        review_path(bare, "region-x", "sv", None)
    assert str(err.value) == ("review: no workspace here (no briefgen.toml in this folder or "
                              "a parent); give --out FILE, or make one with briefgen init")
    with pytest.raises(InputError, match=r"^--out: 'r\.txt' must end in \.yaml$"):
        review_path(bare, "region-x", "sv", Path("r.txt"))
    assert review_path(bare, "region-x", "sv", Path("r.yml")) == Path("r.yml")
    assert review_path(bare, "region-x", "sv", "a/r.yaml") == Path("a/r.yaml")
    ws = Briefgen(Options(config=tmp_path / "briefgen.toml"))
    assert review_path(ws, "region-x", "en", None) == tmp_path / "reviews" / "region-x-en.yaml"


def test_writing_updating_and_replacing_a_review(bg, tmp_path, monkeypatch):
    from briefgen.options import Options
    from briefgen.pipeline import Briefgen
    from briefgen.review import write_review

    monkeypatch.chdir(tmp_path)
    out = Path("r.yaml")
    assert write_review(bg, "region-x", out) == (out, [])
    assert out.read_text("utf-8").startswith("# briefgen review of the advice for Region X")
    # the header gives the rules' number of priorities and their tolerance
    assert "(at most 3). One that is not more\n#                  than 0,3 below its reference" \
        in out.read_text("utf-8")
    with pytest.raises(InputError) as err:
        write_review(bg, "region-x", out)
    assert str(err.value) == ("r.yaml: a review exists already; --update brings it up to date "
                              "with new scores and keeps your edits, --replace starts again "
                              "from the rules' proposal")
    assert write_review(bg, "region-x", out, update=True) == (out, ["already up to date"])
    with pytest.raises(InputError, match=r"^r\.yaml: the review is for 'region-x' in 'sv', "
                                         r"not 'kommun-y' in 'sv'$"):
        write_review(bg, "kommun-y", out, update=True)
    english = Briefgen(Options(lang="en"))
    with pytest.raises(InputError, match=r"^r\.yaml: the review is for 'region-x' in 'sv', "
                                         r"not 'region-x' in 'en'$"):
        write_review(english, "region-x", out, update=True)
    with pytest.raises(InputError, match=r"^r2\.yaml: no review to update; leave out --update "
                                         r"to write one$"):
        write_review(bg, "region-x", Path("r2.yaml"), update=True)
    # made for other scores, nothing edited: brought up to date without a word
    out.write_text(out.read_text("utf-8").replace("partnerships: 4.0", "partnerships: 3.5"),
                   "utf-8")
    assert write_review(bg, "region-x", out, update=True) == (out, [])
    assert "partnerships: 4.0" in out.read_text("utf-8")
    out.write_text(out.read_text("utf-8").replace("findings: []", "findings: [{text: X}]"),
                   "utf-8")
    assert write_review(bg, "region-x", out, replace=True) == (out, [])
    assert "findings: []" in out.read_text("utf-8")
