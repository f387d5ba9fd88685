"""What the templates see: the briefing's context, built from the stages' results.

The stages compute (:mod:`~briefgen.analyse`, :mod:`~briefgen.match`, :mod:`~briefgen.compare`);
this module gathers their results, the charts and the firm's brand into the names the templates
use (``a``, ``m``, ``charts``, ``survey``, ``progress``, ``peers``, ...). Nothing here reads
files or renders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import __version__
from .advice import Advice
from .analyse import Analysis
from .compare import PeerGroup, TargetCheck, compare, disagreements, progress
from .load import DataBundle
from .match import Matches
from .models import Benchmark, Framework, SurveyRule
from .survey.aggregate import disagreements as disagreements_of
from .survey.aggregate import role_gaps
from .survey.columns import answer_columns
from .texts import Texts

if TYPE_CHECKING:
    from .charts import Chart


def briefing_context(t: Texts, analysis: Analysis, matches: Matches, advice: Advice,
                     charts: dict[str, Chart],
                     partials: dict, bundle: DataBundle, author: str | None, logo: str | None,
                     target_checks: list[TargetCheck], brand: dict[str, Any]) -> dict[str, Any]:
    """The context of ``briefing.html``: the analysis, matches and charts, the data, the
    survey/progress/peers partials' values (:func:`partials_context`), the earlier targets
    checked, and the firm's brand (:func:`briefgen.brand.brand_context`)."""
    context = dict(t=t, a=analysis, m=matches, advice=advice, charts=charts, fw=bundle.framework,
                   bench=analysis.benchmark, org=analysis.org, profile=analysis.org.profile,
                   rules=bundle.rules, lang=t.lang, version=__version__, author=author,
                   library=bundle.library, logo=logo)
    context.update(partials)
    context["target_checks"] = target_checks
    context.update(brand)
    return context


def group_label(peers: PeerGroup, t: Texts) -> str:
    return t("peer_group_" + (peers.level or "all"))


MAX_ROLE_COLUMNS = 5     # roles side by side in the table (the largest); A4 holds no more


def roles_context(org, fw: Framework, rules: SurveyRule, t: Texts) -> dict | None:
    """The roles' means side by side, and the areas where they lie ``role_gap`` apart; or
    why there are none (``hidden``: roles were given, but no two groups are big enough).
    None when no respondent gave a role."""
    if not org.with_role:
        return None
    if not org.role_groups:
        return {"hidden": True, "min": rules.min_group_size}
    ordered = sorted(org.role_groups, key=lambda g: g.role is None)   # "the others" last
    groups, omitted = ordered[:MAX_ROLE_COLUMNS], ordered[MAX_ROLE_COLUMNS:]

    def name(group) -> str:
        return group.role if group.role is not None else t("survey_roles_others")

    areas = [*fw.capability_keys, *fw.effect_keys]
    everyone = {**org.capability_scores, **org.profile.effects}
    rows = [(t.label(k), everyone[k], [g.means.get(k) for g in groups]) for k in areas]
    gaps = [(t.label(k), name(high), high.means[k], name(low), low.means[k])
            for k, high, low in role_gaps(org, fw, rules.role_gap)]
    return {"hidden": False, "min": rules.min_group_size, "rows": rows, "gaps": gaps,
            "heads": [t("survey_roles_column", role=t("survey_roles_all"),
                        n=t.integer(org.respondents)),
                      *(t("survey_roles_column", role=name(g), n=t.integer(g.n))
                        for g in groups)],
            "gap": rules.role_gap,
            "omitted": [name(g) for g in omitted]}


def partials_context(analysis: Analysis, benchmarks: list[Benchmark], fw: Framework,
                     rules: SurveyRule, t: Texts) -> tuple[dict, dict[str, Chart]]:
    """What the survey, progress and peer partials need, and their charts, by name.

    ``benchmarks`` are all the benchmarks given, the primary first. Every built one gets a
    peer comparison; the first study among them is shown beside it as a second reference.
    """
    from . import charts  # ReportLab loads on first use

    org = analysis.org
    context: dict = {"survey": None, "progress": None, "peers": [], "peers_unavailable": [],
                     "peer_disagreements": {}}
    drawn = {}
    if org.respondents:
        threshold = rules.spread_finding

        pairs = [(c, (c.heading(t.lang), org.spread[c.key])) for c in answer_columns(fw)
                 if c.key in org.spread]
        rows = [row for _, row in pairs]
        headings = {c.key: c.heading(t.lang) for c, _ in pairs}
        # The one rule for a spread that is a finding: survey.aggregate.disagreements.
        wide = [(headings[k], org.spread[k]) for k in disagreements_of(org, fw, threshold)]
        context["survey"] = {"respondents": org.respondents, "rows": rows, "wide": wide,
                             "single": org.respondents == 1, "threshold": threshold,
                             "roles": roles_context(org, fw, rules, t)}
        cap_rows = [row for c, row in pairs if c.kind != "impact"]
        drawn["spread"] = charts.spread(cap_rows, t, t("spread_title", n=org.respondents),
                                        threshold)
    prog = progress(org, fw)
    if prog is not None:
        context["progress"] = prog
        drawn["progress"] = charts.progress(prog, t, t(
            "progress_title", name=org.name, before=t.date(prog.previous.profile.assessed),
            now=t.date(org.profile.assessed)))
    reference = next((b for b in benchmarks if b.kind == "study"), None)
    seen = set()
    for bench in benchmarks:
        if bench.kind != "built" or bench.id in seen:
            continue
        seen.add(bench.id)
        pc = compare(analysis, bench, rules, reference)
        if pc is None:  # a member with too few others: no comparison, and the briefing says so
            context["peers_unavailable"].append(bench)
            continue
        context["peers"].append(pc)
        context["peer_disagreements"][bench.id] = disagreements(pc, analysis)
        title = t("peers_title", benchmark=bench.title(t.lang), group=group_label(pc.peers, t),
                  n=pc.peers.n)
        drawn[f"peers-{bench.id}"] = charts.peers(pc, t, title)
    return context, drawn
