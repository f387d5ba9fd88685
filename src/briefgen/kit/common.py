"""What the deck, the workbook and the chart files share: their inputs, sources and stable zips."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..advice import Advice
from ..analyse import Analysis
from ..brand import Firm
from ..charts import Chart
from ..compare import PeerComparison, ProgressReport
from ..match import Matches
from ..models import Recommendation
from ..output import ISO_UTC, creation_time, pdf_name
from ..texts import Texts

HORIZONS = ("0-3", "3-12", "12-24")    # the action plan's time horizons, in months

# A finding of the consultant's own (issue 18's review): its text and where it comes from
# ("intervjuer"), or None.
Finding = tuple[str, str | None]


@dataclass(frozen=True)
class KitInputs:
    """Everything the kit draws from, as plain data: nothing here reads a file.

    ``texts`` are in the kit's language and worded for the analysis's benchmark; ``charts``
    are the briefing's, by name; ``peers``, ``progress`` and ``survey`` are what the briefing's
    partials show (:func:`briefgen.context.partials_context`), when the input has them.
    """

    analysis: Analysis
    matches: Matches
    advice: Advice             # the advice as the briefing gives it (a review applied)
    texts: Texts
    charts: Mapping[str, Chart]
    firm: Firm = field(default_factory=Firm)
    peers: Sequence[PeerComparison] = ()
    progress: ProgressReport | None = None
    survey: Mapping[str, Any] | None = None
    library: Sequence[Recommendation] = ()  # the study's six: sources, what each addresses

    @property
    def lang(self) -> str:
        return self.texts.lang


def base_name(org_id: str, lang: str) -> str:
    """``ID`` in Swedish, ``ID-LANG`` otherwise: the PDF's name without ``.pdf``."""
    return pdf_name(org_id, lang).removesuffix(".pdf")


# --------------------------------------------------------------------------- sources


def cited(t: Texts, sources: Sequence[str]) -> str:
    """The report's sections that ``sources`` (line references in data/) fall in, once each."""
    sections: list[str] = []
    for source in sources:
        for part in t.cite(source).split("; "):
            if part and part not in sections:
                sections.append(part)
    return "; ".join(sections)


def source_line(inputs: KitInputs, *, own: bool = True, figures: Sequence[str] = (),
                benchmark: bool = False, extra: Sequence[str] = ()) -> str:
    """Where a chart's or slide's figures come from, in one line: "Källa: …".

    ``own``: the organisation's self-assessment; ``figures``: the benchmark figures' sources
    (cited by the report's sections); ``benchmark``: the benchmark named even without figures.
    """
    t, org = inputs.texts, inputs.analysis.org
    bench = inputs.analysis.benchmark
    parts = []
    if own:
        if org.respondents:
            parts.append(t("kit_source_survey", name=org.name, n=org.respondents,
                           date=t.date(org.profile.assessed)))
        else:
            parts.append(t("kit_source_own", name=org.name, date=t.date(org.profile.assessed)))
    if figures or benchmark:
        sections = cited(t, figures) if bench.kind != "built" else ""
        parts.append(t("kit_source_sections", benchmark=bench.title(t.lang), sections=sections)
                     if sections else t("kit_source_benchmark", benchmark=bench.title(t.lang)))
    parts.extend(extra)
    return t("kit_source", sources=" · ".join(parts))


def library_source(t: Texts, source: str) -> str:
    """Where a practice or recommendation of the 2018 study stands in its report."""
    if t.built or not source:
        return t("kit_source_study")
    return cited(t, [source]) or t("cite_document")


# --------------------------------------------------------------------------- action plan


def action_plan(advice: Advice, t: Texts) -> list[dict[str, Any]]:
    """The action plan, one row per initiative: recommendation, horizon, owner, target.

    The initiatives are the briefing's (``advice``, a consultant's review applied); without
    any there is no row, and the deck and workbook then have no roadmap or plan.
    """
    rows = []
    for r in advice.recommendations:
        for s in r.steps:
            target = s.target
            rows.append({
                "number": r.number,
                "recommendation": r.title,
                "initiative": s.title,
                "horizon": t(f"horizon_{s.horizon}"),
                "owner": s.owner,
                "area": t.label(target.key) if target else None,
                "now": target.score if target else None,
                "target": target.target if target else None,
                "rule": target.rule if target else None,
                "goal": goal(target, t),
                "first_step": s.first_step,
                "done_when": s.done_when,
                "horizon_key": s.horizon,
            })
    return rows


def goal(target, t: Texts) -> str:
    """A plan target in words, as the briefing writes it ("… från 2,5 till 3,3", or for a
    strength "… kvar på minst 4,5"); empty for an initiative without one."""
    if target is None:
        return ""
    return t("plan_target_hold" if target.rule == "hold" else "plan_target",
             label=t.label(target.key), score=t.num(target.score), target=t.num(target.target))


def by_horizon(plan: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The plan's rows by horizon (0-3, 3-12, 12-24 months), each in the plan's order."""
    return {h: [row for row in plan if row["horizon_key"] == h] for h in HORIZONS}


# --------------------------------------------------------------------------- stable zips


def office_date(assessed: dt.date) -> dt.datetime:
    """The date an Office file carries: the assessment date (or ``SOURCE_DATE_EPOCH``)."""
    return creation_time(assessed)


_DATES = re.compile(rb"(<dcterms:(?:modified|created)[^>]*>)[^<]*(</dcterms:(?:modified|created)>)")


def stable_zip(data: bytes, assessed: dt.date) -> bytes:
    """The same Office file with every date ``assessed``: byte-identical for the same input.

    The zip entries carry that date, and so do the document's "created" and "modified"
    properties, which openpyxl and XlsxWriter set to the time of saving. The workbooks inside a
    deck (each native chart's data) are made stable the same way.
    """
    when = office_date(assessed)
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    iso = when.strftime(ISO_UTC).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _DATES.sub(rb"\g<1>" + iso + rb"\g<2>", content)
            elif info.filename.endswith(".xlsx"):
                content = stable_zip(content, assessed)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return out.getvalue()
