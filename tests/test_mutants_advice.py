"""The advice's wording: the summary's paragraphs for every track and count, the reasons and
the plan's first steps. Written to kill the mutants of ``briefgen.advice`` the other tests let
live (docs/mutation.md)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from briefgen.advice import Advice, Advised, Step, advise
from briefgen.analyse import Target, analyse
from briefgen.load import load_org, validate_profile
from briefgen.match import match

FIXTURES = Path(__file__).parent / "fixtures" / "advice"


def advice_for(bg, name: str, lang: str) -> Advice:
    """The advice for a shipped example or a profile in tests/fixtures/advice, built here (a
    fixture would count for mutmut's first test only)."""
    if name.endswith(".yaml"):
        path = FIXTURES / name
        org = validate_profile(yaml.safe_load(path.read_text("utf-8")), bg.bundle, str(path))
    else:
        org = load_org(name, bg.bundle)
    analysis = analyse(org, bg.benchmark(), bg.bundle)
    matches = match(analysis, bg.bundle.library, bg.bundle.rules)
    return advise(analysis, matches, bg.bundle.library, bg.bundle.rules,
                  bg.texts_for(analysis, lang))


BELOW_SOME = ("Five of the seven capabilities are more than 0.3 below their reference. Weighing "
              "each rating against the capability's importance in the study, the most pressing "
              "are diversity of competences, agile decision structures, and data access and "
              "data security.")
SUMMARIES = {
    # gaps, more below than priorities; two effects below, as many as the plan takes up
    "region-x": (
        "Region X rates its seven capabilities at 2.5 out of 5 on average and places itself in "
        "the embedded phase. In the 2018 study, 8 of 18 organisations were in the same phase.",
        BELOW_SOME + " Among the effect areas, optimised cross-cutting processes and greater "
        "scope for employees are more than 0.3 below the study's mean."),
    # gaps, every capability below; more effects below than the plan takes up
    "kommun-y": (
        "Ytterby kommun rates its seven capabilities at 1.9 out of 5 on average. From that mean "
        "we estimate that the organisation is in the mobilised phase. In the 2018 study, 8 of "
        "18 organisations were in the same phase.",
        "All seven capabilities are more than 0.3 below their reference. Weighing each rating "
        "against the capability's importance in the study, the most pressing are diversity of "
        "competences, digital leadership, and data access and data security. Among the effect "
        "areas, greater scope for employees and optimised cross-cutting processes are furthest "
        "below the study's mean."),
    # gaps, one capability below; no effect below
    "myndighet-z": (
        "Myndigheten för Zeta-frågor rates its seven capabilities at 3.8 out of 5 on average "
        "and places itself in the accelerated phase. In the 2018 study, 2 of 18 organisations "
        "were in the same phase.",
        "One of the seven capabilities is more than 0.3 below its reference: agile decision "
        "structures. None of the effect areas is more than 0.3 below the study's mean."),
    # gaps, as many below as priorities; one effect below
    "mixed-region.yaml": (
        "Region Blandad rates its seven capabilities at 3.2 out of 5 on average and places "
        "itself in the accelerated phase. In the 2018 study, 2 of 18 organisations were in the "
        "same phase.",
        "Three of the seven capabilities are more than 0.3 below their reference: diversity of "
        "competences, data access and data security, and agile decision structures. Among the "
        "effect areas, citizen at the centre is more than 0.3 below the study's mean."),
    # lead, with the strength margin (0.5) beside the tolerance (0.3)
    "lead-kommun.yaml": (
        "Framkomna kommun rates its seven capabilities at 3.8 out of 5 on average. From that "
        "mean we estimate that the organisation is in the accelerated phase. In the 2018 study, "
        "2 of 18 organisations were in the same phase.",
        "All seven capabilities are strengths: each is at least 0.5 above its reference. The "
        "advice is therefore not about raising the ratings but about realising the benefits of "
        "what you can do, spreading what works and sharing it with others, starting with "
        "digital leadership, partnership potential, and diversity of competences. Among the "
        "effect areas, citizen at the centre and optimised cross-cutting processes are more "
        "than 0.3 below the study's mean."),
    # lead in a phase no organisation of the study was in
    "strong-region.yaml": (
        "Region Stark rates its seven capabilities at 4.5 out of 5 on average. From that mean "
        "we estimate that the organisation is in the integrated phase. In the 2018 study, none "
        "of the 18 organisations was in that phase.",
        "All seven capabilities are strengths: each is at least 0.5 above its reference. The "
        "advice is therefore not about raising the ratings but about realising the benefits of "
        "what you can do, spreading what works and sharing it with others, starting with "
        "digital leadership, partnership potential, and organisational clarity. Among the "
        "effect areas, optimised cross-cutting processes is more than 0.3 below the study's "
        "mean."),
    # advance below the highest phase, and in it
    "noisy-agency.yaml": (
        "Myndigheten för nära referensen rates its seven capabilities at 3.1 out of 5 on "
        "average. From that mean we estimate that the organisation is in the embedded phase. "
        "In the 2018 study, 8 of 18 organisations were in the same phase.",
        "None of the seven capabilities is more than 0.3 below its reference. The advice is "
        "therefore about the road to the next phase: raising digital leadership, diversity of "
        "competences, and partnership potential, the most pressing of the capabilities that are "
        "not yet strengths. None of the effect areas is more than 0.3 below the study's mean."),
    "top-region.yaml": (
        "Region Topp rates its seven capabilities at 3.7 out of 5 on average and places itself "
        "in the integrated phase. In the 2018 study, none of the 18 organisations was in that "
        "phase.",
        "None of the seven capabilities is more than 0.3 below its reference, and Region Topp "
        "is already in the highest phase. The advice is therefore about making diversity of "
        "competences, organisational clarity, and data access and data security strengths too: "
        "the most pressing of the capabilities that are not yet. None of the effect areas is "
        "more than 0.3 below the study's mean."),
}


@pytest.mark.parametrize("name", SUMMARIES)
def test_the_summary_for_each_track_count_and_phase_share(bg, name):
    advice = advice_for(bg, name, "en")
    assert (advice.summary["stand"], advice.summary["position"]) == SUMMARIES[name]


def test_the_summary_in_swedish_numbers_and_words(bg):
    advice = advice_for(bg, "myndighet-z", "sv")
    assert advice.summary == {
        "stand": "Myndigheten för Zeta-frågor skattar sina sju förmågor till i genomsnitt 3,8 "
                 "av 5 och placerar sig själv i fasen accelererad. I studien 2018 var 2 av 18 "
                 "verksamheter i samma fas.",
        "position": "En av de sju förmågorna ligger mer än 0,3 under sin referens: agila "
                    "beslutsstrukturer. Inget av effektområdena ligger mer än 0,3 under "
                    "studiens medel."}


def test_each_recommendation_worded_with_its_reasons_steps_and_weakest_sub_question(bg):
    advice = advice_for(bg, "secure-agency.yaml", "sv")
    assert (advice.lang, advice.track, advice.priorities, advice.first_count) == (
        "sv", "gaps", ("competence_diversity", "data_access_security", "agile_decisions"), 3)
    assert [(r.id, r.number, r.title) for r in advice.recommendations] == [
        ("rec-3", 3, "Bygg moderna och attraktiva arbetsplatser"),
        ("rec-6", 6, "Var ambitiösa och proaktiva i säkerhetsarbetet"),
        ("rec-4", 4, "Ge plats för innovation trots budgetstyrningen")]
    rec3, rec6, _ = advice.recommendations
    assert rec3.reason == (
        "Er 2,8 på mångfald i kompetenser ligger 0,5 under studiens medel (3,3) och er 2,6 på "
        "större handlingsutrymme för medarbetarna ligger 0,4 under studiens medel (3,0).")
    assert [(r.key, r.kind) for r in rec3.reasons] == [
        ("competence_diversity", "below"), ("employee_empowerment", "below")]
    # rec-6 answers data_access_security's weakest sub-question: the reason says which
    assert rec6.reason == (
        "Er 2,5 på datatillgång och datasäkerhet ligger 1,1 under studiens medel (3,6). Lägst "
        "av dess delfrågor ligger ”samla in och nå data” (1,5), och det är vad den här "
        "rekommendationen tar sikte på.")
    assert rec6.next_steps[0] == (
        "Granska externa leverantörer och dataoperatörer gemensamt inom offentlig sektor, till "
        "exempel med en lista över godkända leverantörer och lösningar.")
    assert rec6.summary.startswith("År 2018 var IT-säkerhet en högt prioriterad fråga, inte "
                                   "minst i spåren av den uppmärksammade outsourcingen")
    assert rec3.steps[0] == Step(
        id="r3-map", title="Kartlägg vilka digitala kompetenser som saknas", owner="HR-chefen",
        horizon="0-3",
        first_step="Gå igenom vilka digitala roller ni saknar eller har svårt att behålla, och "
                   "vad varje roll skulle ge verksamheten.",
        done_when="En kompetensplan med prioriterade roller är beslutad.",
        areas=("competence_diversity",),
        target=Target(key="competence_diversity", score=2.8, target=3.3, rule="reference"))
    assert [s.areas for s in rec6.steps] == [
        ("data_access_security", "partnerships"), ("data_access_security",),
        ("data_access_security", "partnerships")]
    # the plan's targets: once per area, in the order the plan meets them
    assert [(t.key, t.target) for t in advice.targets] == [
        ("competence_diversity", 3.3), ("employee_empowerment", 3.1),
        ("data_access_security", 3.5), ("agile_decisions", 3.0), ("cross_processes", 3.0)]
    assert [s.id for s in advice.first_steps] == ["r3-map", "r6-classify", "r4-delegate-state"]


def test_the_reasons_in_english_and_the_sub_question_a_recommendation_answers(bg):
    advice = advice_for(bg, "region-x", "en")
    assert [(r.id, r.reason) for r in advice.recommendations] == [
        ("rec-3", "Your 2.5 on diversity of competences is 0.8 below the study's mean (3.3) and "
                  "your 2.5 on greater scope for employees is 0.5 below the study's mean (3.0)."),
        ("rec-4", "Your 1.5 on agile decision structures is 1.5 below the study's mean (3.0) "
                  "and your 2.0 on optimised cross-cutting processes is 0.9 below the study's "
                  "mean (2.9)."),
        ("rec-5", "Your 2.5 on data access and data security is 1.1 below the study's mean "
                  "(3.6). Its lowest sub-question is “insight from data” (2.0), which is what "
                  "this recommendation addresses.")]


def step(id: str, horizon: str, area: str, target: Target | None = None) -> Step:
    return Step(id=id, title=id, owner="", horizon=horizon, first_step="", done_when="",
                areas=(area,), target=target)


def plan(steps: list[Step], priorities: tuple[str, ...], first_count: int = 3) -> Advice:
    rec = Advised(id="r", number=1, title="", reason="", summary="", next_steps=(),
                  steps=tuple(steps))
    return Advice(lang="en", track="gaps", priorities=priorities, summary={},
                  recommendations=(rec,), first_count=first_count)


def test_first_steps_one_per_priority_in_order_then_the_rest_of_the_earliest():
    steps = [step("a1", "3-12", "a"), step("b1", "0-3", "b"), step("x1", "0-3", "x"),
             step("b2", "0-3", "b"), step("c1", "0-3", "c"), step("a2", "12-24", "a")]
    # 'a' has nothing in 0-3: the priorities' first steps are b1 and c1, then the rest in order
    assert [s.id for s in plan(steps, ("a", "c", "b")).first_steps] == ["c1", "b1", "x1"]
    assert [s.id for s in plan(steps, ("b",), first_count=4).first_steps] == [
        "b1", "x1", "b2", "c1"]
    assert [s.id for s in plan(steps, ("b",), first_count=1).first_steps] == ["b1"]
    # more priorities than first_count: every priority's step is kept
    assert [s.id for s in plan(steps, ("c", "b"), first_count=1).first_steps] == ["c1", "b1"]
    # no 0-3 step at all: the earliest horizon there is
    late = [step("a1", "12-24", "a"), step("b1", "3-12", "b"), step("c1", "3-12", "c")]
    assert [s.id for s in plan(late, ("c",)).first_steps] == ["c1", "b1"]
    assert plan([], ("a",)).first_steps == []


def test_targets_once_per_area_the_first_met_and_none_left_out():
    first = Target(key="a", score=2.0, target=2.5, rule="step")
    again = Target(key="a", score=2.0, target=3.0, rule="reference")
    other = Target(key="b", score=1.0, target=1.5, rule="min_step")
    steps = [step("1", "0-3", "a", None), step("2", "0-3", "b", other),
             step("3", "3-12", "a", first), step("4", "3-12", "a", again)]
    assert plan(steps, ()).targets == [other, first]
    assert plan([], ()).targets == []


def advice_of_profile(bg, profile: dict, rules=None) -> Advice:
    org = validate_profile(profile, bg.bundle, "x.yaml")
    analysis = analyse(org, bg.benchmark(), bg.bundle)
    rules = rules or bg.bundle.rules
    matches = match(analysis, bg.bundle.library, rules)
    return advise(analysis, matches, bg.bundle.library, rules, bg.texts_for(analysis, "en"))


def test_a_sub_question_is_named_only_when_strictly_lowest_and_its_area_in_focus(
        bg, region_x_profile):
    tie = copy.deepcopy(region_x_profile)
    tie["capabilities"]["data_access_security"] = {"collect_store": 2.0, "insight": 2.0}
    reasons = {r.id: r.reason for r in advice_of_profile(bg, tie).recommendations}
    assert reasons["rec-5"] == ("Your 2.0 on data access and data security is 1.6 below the "
                                "study's mean (3.6).")
    # rec-5 answers data access's 'insight', the lowest; chosen here for partnerships, with
    # data access on par: its reason is the partnerships' alone
    elsewhere = copy.deepcopy(region_x_profile)
    elsewhere["capabilities"]["data_access_security"] = {"collect_store": 4.5, "insight": 2.0}
    elsewhere["capabilities"]["partnerships"] = 1.5
    reasons = {r.id: r.reason for r in advice_of_profile(bg, elsewhere).recommendations}
    assert reasons["rec-5"] == ("Your 1.5 on partnership potential is 1.5 below the middle of "
                                "the scale (3.0), the reference where the benchmark has no mean.")


def test_do_this_first_counts_what_the_rules_say(bg, region_x_profile):
    rules = bg.bundle.rules
    two = rules.model_copy(update={"matching": rules.matching.model_copy(
        update={"recommendations_summary": 2})})
    assert advice_of_profile(bg, region_x_profile, two).first_count == 2
    assert advice_of_profile(bg, region_x_profile).first_count == 3


def test_a_sub_question_without_a_short_label_is_named_by_its_question(bg):
    from briefgen.texts import Texts

    fw = bg.bundle.framework
    caps = [c if c.key != "data_access_security" else c.model_copy(update={"questions": [
        q.model_copy(update={"short": None}) for q in c.questions]}) for c in fw.capabilities]
    bare = fw.model_copy(update={"capabilities": caps})
    analysis = analyse(load_org("region-x", bg.bundle), bg.benchmark(), bg.bundle)
    matches = match(analysis, bg.bundle.library, bg.bundle.rules)
    advice = advise(analysis, matches, bg.bundle.library, bg.bundle.rules,
                    Texts("en", bg.bundle.root, bare))
    assert advice.recommendations[2].reason.endswith(
        "Its lowest sub-question is “How far can you derive relevant, up-to-date insight from "
        "your data?” (2.0), which is what this recommendation addresses.")
