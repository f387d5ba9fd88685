"""Run the stages in order: load -> analyse -> match -> chart -> render.

:class:`Briefgen` is the Python API; the CLI is a thin layer over it. It keeps the loaded data
and the renderer, so building many briefings in one process pays for their set-up once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from . import __version__, brand
from .advice import Advice, advise
from .analyse import Analysis, Target, analyse, round1
from .compare import target_checks
from .config import workspace_options
from .context import briefing_context, partials_context
from .load import DataBundle, load_benchmark, load_data, load_org
from .logo import logo_data_uri, logo_folders
from .match import Matches, match
from .models import Benchmark, Org
from .options import DEFAULTS, Options
from .output import (
    AttachedFile,
    PdfMeta,
    creation_time,
    pdf_name,
    stable_identifier,
    write_atomic,
)
from .review import apply_review, check_review, find_review, read_review
from .texts import Texts

if TYPE_CHECKING:
    from .render import Renderer

log = logging.getLogger(__name__)


@dataclass
class Result:
    org: Org
    analysis: Analysis
    matches: Matches
    advice: Advice
    path: Path | None = None
    pages: int | None = None
    bytes: int | None = None
    files: list[Path] = field(default_factory=list)   # every file written, the PDF first


class Briefgen:
    """Build briefings. Reuse one instance for many organisations."""

    def __init__(self, options: Options = DEFAULTS, renderer: Renderer | None = None):
        """``renderer``: one of the caller's own; by default the process's shared renderer
        for ``options.templates``, built on first use (WeasyPrint loads slowly)."""
        self.options = options
        self.bundle: DataBundle = load_data(options.data)
        self._renderer: Renderer | None = renderer

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            from .render import shared_renderer

            self._renderer = shared_renderer(self.options.templates)
        return self._renderer

    def benchmark(self) -> Benchmark:
        return load_benchmark(self.options.benchmark, self.bundle)

    def texts(self, lang: str | None = None) -> Texts:
        return Texts(lang or self.options.lang, self.bundle.root, self.bundle.framework)

    def texts_for(self, analysis: Analysis, lang: str | None = None) -> Texts:
        """The texts of ``lang`` worded for the analysis's benchmark (a built one is named,
        never called the study): the one set the PDF, its metadata and the kit all use."""
        return self.texts(lang).for_benchmark(analysis.benchmark)

    # -- stages

    def load(self, org: str | Path | Org) -> Org:
        if not isinstance(org, Org) and self.options.survey is not None:
            return self.survey_org(str(org))
        return org if isinstance(org, Org) else load_org(org, self.bundle)

    def survey(self):
        """The survey of ``Options.survey``, read and validated once."""
        from .survey.read import read_survey

        if getattr(self, "_survey", None) is None:
            assert self.options.survey is not None  # only asked for with a survey
            self._survey = read_survey(self.options.survey, self.bundle)
        return self._survey

    def survey_org(self, org_id: str) -> Org:
        """One organisation of the survey, its answers aggregated (earlier rounds: previous)."""
        from .survey.aggregate import survey_org

        return survey_org(self.survey(), org_id, self.bundle)

    def benchmarks(self) -> list[Benchmark]:
        """Every benchmark given, the primary first."""
        return [self.benchmark()] + [load_benchmark(b, self.bundle)
                                     for b in self.options.extra_benchmarks]

    def analyse(self, org: str | Path | Org) -> tuple[Analysis, Matches]:
        loaded = self.load(org)
        log.info("step 1: loaded %s from %s", loaded.id, loaded.source)
        analysis = analyse(loaded, self.benchmark(), self.bundle)
        log.info("step 2: analysed %s: priorities %s", loaded.id, ", ".join(analysis.priorities))
        matches = match(analysis, self.bundle.library, self.bundle.rules)
        log.info("step 3: matched %d recommendations", len(matches.recommendations))
        return analysis, matches

    def review_path(self, org: Org, lang: str) -> Path | None:
        """The review that applies to ``org`` in ``lang`` (see :func:`review.find_review`)."""
        return find_review(self.options.review, self.options.config, org.id, lang)

    def advised(self, org: str | Path | Org,
                lang: str | None = None) -> tuple[Analysis, Matches, Advice]:
        """The analysis, matches and worded advice of one briefing, with the consultant's
        review applied when there is one (a review made for other scores is refused)."""
        analysis, matches = self.analyse(org)
        t = self.texts_for(analysis, lang)
        advice = advise(analysis, matches, self.bundle.library, self.bundle.rules, t)
        path = self.review_path(analysis.org, t.lang)
        if path is not None:
            review = read_review(path, self.bundle)
            check_review(review, analysis, t.lang, t)
            analysis, matches, advice = apply_review(review, analysis, matches, advice,
                                                     self.bundle, t)
        return analysis, matches, advice

    def charts(self, analysis: Analysis, lang: str | None = None) -> tuple[dict, dict]:
        """Every chart of the briefing in the firm's colours, and the partials' extra context."""
        from .charts import colours, draw_all  # ReportLab loads on first use

        t = self.texts_for(analysis, lang)
        with colours(self.options.primary, self.options.accent):
            charts = draw_all(analysis, t)
            extra, extra_charts = partials_context(
                analysis, [analysis.benchmark, *self.benchmarks()[1:]], self.bundle.framework,
                self.bundle.rules.surveys, t)
        charts.update(extra_charts)
        log.info("step 4: drew %d charts", len(charts))
        return charts, extra

    def html(self, analysis: Analysis, matches: Matches, advice: Advice,
             lang: str | None = None, drawn: tuple[dict, dict] | None = None) -> str:
        """The briefing's HTML; ``drawn``: what :meth:`charts` returned, if already drawn."""
        t = self.texts_for(analysis, lang)
        charts, extra = drawn or self.charts(analysis, lang)
        return self.renderer.html(briefing_context(
            t, analysis, matches, advice, charts, extra, self.bundle, self.options.author,
            self.logo(analysis.org), target_checks(analysis),
            brand.brand_context(self.options, t.lang)))

    def logo(self, org: Org) -> str | None:
        """The profile's logo as a ``data:`` URI, found only in its folder or the data folder."""
        if not org.profile.logo:
            return None
        return logo_data_uri(org.profile.logo, logo_folders(org.source, self.bundle.root),
                             f"{org.source}: logo")

    def attachments(self, analysis: Analysis, matches: Matches, advice: Advice,
                    lang: str | None = None) -> tuple[AttachedFile, ...]:
        """The evidence a PDF/A-3 briefing carries: the profile as it was read, and the
        analysis (JSON). Built from the loaded organisation: a profile file's own bytes, or for
        a survey or a sheet row, the aggregated profile the briefing was made from."""
        org = analysis.org
        source = Path(org.source)
        if (org.respondents is None and source.suffix in (".yaml", ".yml")
                and source.is_file()):
            profile = source.read_bytes()
        else:
            profile = yaml.safe_dump(org.profile.model_dump(mode="json", exclude_none=True),
                                     allow_unicode=True, sort_keys=False).encode()
        t = self.texts_for(analysis, lang)
        return (
            AttachedFile(f"{org.id}.yaml", profile, t("attachment_profile"), "Source"),
            AttachedFile(f"{org.id}-analysis.json",
                         analysis_json(analysis, matches, advice, t).encode(),
                         t("attachment_analysis"), "Data"),
        )

    def meta(self, analysis: Analysis, lang: str | None = None) -> PdfMeta:
        t = self.texts_for(analysis, lang)
        org = analysis.org
        return PdfMeta(
            title=t("pdf_title", name=org.name),
            author=self.options.author or "",
            subject=t("pdf_subject", name=org.name, benchmark=analysis.benchmark.title(t.lang)),
            keywords=tuple(t("pdf_keywords").split(", ")),
            lang=t.lang,
            created=creation_time(org.profile.assessed),
            identifier=stable_identifier(org.id, t.lang, analysis.benchmark.id,
                                         analysis.benchmark.version, __version__),
        )

    def pdf(self, org: str | Path | Org, lang: str | None = None) -> tuple[bytes, Result]:
        """The briefing as PDF bytes, and its :class:`Result` (with its page count)."""
        analysis, matches, advice = self.advised(org, lang)
        return self._pdf(analysis, matches, advice, lang, self.charts(analysis, lang))

    def _pdf(self, analysis: Analysis, matches: Matches, advice: Advice, lang: str | None,
             drawn: tuple[dict, dict]) -> tuple[bytes, Result]:
        html = self.html(analysis, matches, advice, lang, drawn)
        meta = self.meta(analysis, lang)
        if self.options.pdf_variant == "pdf/a-3b":
            meta = replace(meta, attachments=self.attachments(analysis, matches, advice, lang))
        rendered = self.renderer.pdf(html, meta, self.options.pdf_variant)
        log.info("step 5: rendered %s (%d pages, %d bytes)", analysis.org.id, rendered.pages,
                 len(rendered.pdf))
        return rendered.pdf, Result(analysis.org, analysis, matches, advice,
                                    pages=rendered.pages, bytes=len(rendered.pdf))

    def build(self, org: str | Path | Org, lang: str | None = None,
              formats: Iterable[str] | None = None) -> tuple[Result, dict[str, bytes]]:
        """Every file of one briefing, by name relative to OUT, the PDF first; none written.

        ``formats`` (default ``Options.formats``): pdf, and the kit's pptx, xlsx and charts.
        """
        lang = lang or self.options.lang
        formats = set(formats or self.options.formats or ("pdf",))
        files: dict[str, bytes] = {}
        analysis, matches, advice = self.advised(org, lang)
        drawn = self.charts(analysis, lang)  # once, for the PDF and the kit alike
        if "pdf" in formats:
            data, result = self._pdf(analysis, matches, advice, lang, drawn)
            files[pdf_name(result.org.id, lang)] = data
        else:
            result = Result(analysis.org, analysis, matches, advice)
        if formats - {"pdf"}:
            from .kit.files import KitInputs, kit_files

            charts, extra = drawn
            inputs = KitInputs(analysis, matches, advice, self.texts_for(analysis, lang), charts,
                               brand.firm(self.options, lang, with_template="pptx" in formats),
                               peers=extra["peers"], progress=extra["progress"],
                               survey=extra["survey"],
                               library=self.bundle.library.recommendations)
            kit = kit_files(inputs, formats,
                            findings=[(f.text, f.source) for f in advice.findings])
            files.update(kit)
            log.info("kit: %d files for %s", len(kit), result.org.id)
        return result, files

    def make(self, org: str | Path | Org, out: Path | None = None,
             lang: str | None = None) -> Result:
        """Build one briefing and write it atomically to ``OUT/ID.pdf`` (or ``OUT/ID-en.pdf``).

        The other formats of ``Options.formats`` (pptx, xlsx, charts) are written beside it;
        ``Result.files`` lists every file made, the PDF first.
        """
        lang = lang or self.options.lang
        folder = Path(out or self.options.out)
        result, files = self.build(org, lang)
        for name, data in files.items():
            path = folder / name
            write_atomic(path, data)
            result.files.append(path)
        if result.pages is not None:
            result.path = result.files[0]
        return result

    def validate(self, org: str | Path) -> Org:
        """Check a profile without rendering; raises :class:`InputError` listing every problem."""
        return self.load(org)


def analysis_dict(analysis: Analysis, matches: Matches, advice: Advice,
                  t: Texts) -> dict[str, Any]:
    """The analysis as plain data (``briefgen analyse --format json``), with the advice as the
    briefing gives it (a consultant's review applied, if there is one)."""
    org = analysis.org
    t = t.for_benchmark(analysis.benchmark)

    def comparison(c) -> dict[str, Any]:
        return {"key": c.key, "label": t.label(c.key), "score": c.score,
                "benchmark": c.benchmark, "gap": c.gap,
                "benchmark_source": c.figure.source or None}

    def target(x: Target | None) -> dict[str, Any] | None:
        return None if x is None else {"key": x.key, "score": x.score, "target": x.target,
                                       "rule": x.rule}

    caps = []
    for c in analysis.capabilities:
        item = comparison(c)
        item.update({"answers": c.answers or None, "study_rank": c.rank, "own_rank": c.own_rank,
                     "reference": c.reference, "urgency": c.urgency, "status": c.status})
        caps.append(item)
    effects = [dict(comparison(e), reference=e.reference, below=e.below)
               for e in analysis.effects]
    cap_keys = {c.key for c in analysis.capabilities}
    targets = all_targets(analysis, advice)
    return {
        "briefgen": __version__,
        "lang": t.lang,
        "org": {"id": org.id, "name": org.name, "level": org.profile.level,
                "assessed": org.profile.assessed.isoformat(), "source": org.source,
                "respondents": org.respondents},
        "spread": org.spread or None,    # per question: min, max, sd, n (surveys only)
        "benchmark": {"id": analysis.benchmark.id, "version": analysis.benchmark.version,
                      "organisations": analysis.benchmark.organisations},
        "capabilities": caps,
        "effects": effects,
        "maturity": {"phase": analysis.maturity.phase, "estimated": analysis.maturity.estimated,
                     "basis": analysis.maturity.basis},
        "importance": org.profile.importance,
        "impact": dict(org.profile.impact),
        "track": analysis.track,
        "review": advice.review,         # the review file applied, or null
        "priorities": analysis.priorities,
        "priority_notes": analysis.priority_notes or None,
        "strengths": analysis.strengths,
        "summary": dict(advice.summary),
        "findings": [{"text": f.text, "source": f.source} for f in advice.findings],
        "practices": [{"id": mp.practice.id, "addresses": mp.practice.addresses,
                       "title": mp.practice.title(t.lang), "reason": t.reason(mp.reason)}
                      for group in (*matches.capability_practices.values(),
                                    *matches.effect_practices.values()) for mp in group],
        "recommendations": [{"id": r.id, "number": r.number, "title": r.title,
                             "reason": r.reason,
                             "findings": [{"area": x.area, "key": x.key, "kind": x.kind,
                                           "score": x.score, "reference": x.reference,
                                           "gap": round1(x.score - x.reference)}
                                          for x in r.reasons]}
                            for r in advice.recommendations],
        "action_plan": [{"recommendation": r.id,
                         "initiatives": [{"id": s.id, "title": s.title, "horizon": s.horizon,
                                          "owner": s.owner, "first_step": s.first_step,
                                          "done_when": s.done_when, "areas": list(s.areas),
                                          "target": target(s.target)}
                                         for s in r.steps]}
                        for r in advice.recommendations],
        "targets": [target(x) for x in targets if x.key in cap_keys],
        "effect_targets": [target(x) for x in targets if x.key not in cap_keys],
    }


def all_targets(analysis: Analysis, advice: Advice) -> list[Target]:
    """The plan's targets and any the profile sets itself, once per area."""
    seen = {t.key: t for t in advice.targets}
    for t in analysis.targets:
        if t.rule == "profile" or t.key in analysis.focus:
            seen.setdefault(t.key, t)
    return list(seen.values())


def analysis_json(analysis: Analysis, matches: Matches, advice: Advice, t: Texts) -> str:
    return json.dumps(analysis_dict(analysis, matches, advice, t), ensure_ascii=False,
                      indent=2)


__all__ = ["Briefgen", "Options", "DEFAULTS", "workspace_options", "Result", "analysis_dict",
           "analysis_json"]
