"""The ``briefgen`` command: a thin layer over :mod:`briefgen.pipeline`.

Options are parsed here, the library does the work, and library errors become one-line
messages with exit code 2 (bad input) or 1 (a failed render) in one place:
:meth:`BriefgenGroup.invoke`, which every command runs through.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from . import __version__, collector
from .batch.run import BATCH_DEFAULTS, BatchOptions
from .cli_options import data_option
from .config import workspace_options
from .errors import BriefgenError, printable
from .options import DEFAULTS, FORMATS, LANGS, PDF_VARIANTS, Options
from .pipeline import Briefgen, analysis_json

log = logging.getLogger("briefgen")


# Options shared by several commands: defined once, defaults from pipeline.DEFAULTS.
def org_option(f):
    return click.option("--org", "org", required=True, metavar="ID|FILE",
                        help="An organisation id (in the workspace's orgs/ or DATA/orgs, "
                        "then the shipped examples), or the path of a profile.")(f)


def lang_option(f):
    return click.option("--lang", type=click.Choice(LANGS), default=None,
                        help="Language of the briefing.  [default: the workspace's, else "
                        f"{DEFAULTS.lang}]")(f)


def _remember_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.meta["briefgen.config"] = value


def config_option(f):
    return click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, metavar="FILE", expose_value=False, is_eager=True,
                        callback=_remember_config,
                        help="The workspace's briefgen.toml.  [default: briefgen.toml in the "
                        "current folder or a parent, if any]")(f)


def format_option(f):
    return click.option("--format", "formats", multiple=True,
                        type=click.Choice(FORMATS),
                        help="What to write (repeatable): pdf; pptx (the deck, on the "
                        "workspace's deck_template if any, native charts and speaker notes); "
                        "xlsx (the figures as a data appendix); charts (OUT/ID-charts/, SVG "
                        "and PNG, titled and sourced).  [default: the workspace's formats, "
                        "else pdf]")(f)


def options(**given) -> Options:
    """The command's Options: built-in defaults, then briefgen.toml, then the options given."""
    if "formats" in given:
        given["formats"] = tuple(dict.fromkeys(given["formats"])) or None
    config = click.get_current_context().meta.get("briefgen.config")
    return workspace_options(config, **given)


def benchmark_option(f):
    return click.option("--benchmark", default=None, metavar="ID|FILE",
                        help="A benchmark id (in the workspace's benchmarks/ or "
                        "DATA/benchmarks, then the shipped ones) or a benchmark file. "
                        "Default: the workspace's, else the 2018 study "
                        "(dt-offentlig-sektor-2018).")(f)


def benchmarks_option(f):
    return click.option("--benchmark", "benchmark", multiple=True, metavar="ID|FILE",
                        help="A benchmark id (in the workspace's benchmarks/ or "
                        "DATA/benchmarks, then the shipped ones) or a benchmark file. Give it "
                        "twice to compare with two (the first is primary; a built benchmark "
                        "adds a peer-group section). Default: the workspace's, else the 2018 "
                        "study.")(f)


def survey_option(f):
    return click.option("--survey", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, metavar="FILE",
                        help="A filled-in questionnaire (.xlsx or .csv); --org is then an "
                        "org_id in it, its respondents' answers aggregated.")(f)


def _benchmark_options(benchmark: tuple[str, ...]) -> dict:
    return {"benchmark": benchmark[0] if benchmark else None,
            "extra_benchmarks": tuple(benchmark[1:])}


def review_option(f):
    return click.option("--review", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, metavar="FILE",
                        help="The consultant's review to apply (briefgen review).  [default: "
                        "the workspace's reviews/ID.yaml, ID-en.yaml in English, if any]")(f)


def out_option(f):
    return click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                        default=DEFAULTS.out, show_default=True,
                        help="Folder the PDFs (and the other --format files) are written "
                        "to.")(f)


def render_options(f):
    f = click.option("--templates", type=click.Path(file_okay=False, exists=True,
                                                    path_type=Path), default=None,
                     help="A folder of your own templates, searched before the shipped ones "
                     "(override one partial, e.g. _cover.html, and keep the rest).")(f)
    f = click.option("--author", default=None,
                     help="The firm named on the cover, in the footer and as the PDF's "
                     "author.  [default: the workspace's firm.name, else none]")(f)
    f = click.option("--pdf-variant", type=click.Choice(PDF_VARIANTS),
                     default=None,
                     help="pdf/ua-1: tagged and accessible; pdf/a-3b: also archivable.  "
                     f"[default: the workspace's, else {DEFAULTS.pdf_variant}]")(f)
    return config_option(f)


class BriefgenFailure(click.ClickException):
    """A library error as Click shows it: ``Error: message``, exit code 1 (a failed render)."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(printable(message))  # control characters from the input, escaped


class BadInput(BriefgenFailure):
    """Bad input: exit code 2."""

    exit_code = 2


def failure(message: str, exit_code: int) -> BriefgenFailure:
    """The Click exception for a library error with ``exit_code`` (2: bad input, else 1)."""
    return BadInput(message) if exit_code == 2 else BriefgenFailure(message)


class BriefgenGroup(click.Group):
    """Turn briefgen's errors into one-line messages, in one place, for every command."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BriefgenError as exc:
            raise failure(str(exc), exc.exit_code) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise failure(f"{where}{exc.strerror or exc}", 2) from None
        except RecursionError:
            raise failure("the input is nested too deeply to process", 2) from None


@click.group(cls=BriefgenGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="briefgen")
@click.option("-v", "--verbose", count=True, help="Log each step (-vv: more).")
@config_option
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Turn a digital-transformation self-assessment into a tailored PDF briefing.

    Every command reads briefgen.toml from the current folder or a parent (or --config FILE):
    the firm, its colours and its defaults. Options given on the command line win.

    \b
    Example:
      briefgen init ws && cd ws               # a workspace: briefgen.toml, orgs/, benchmarks/
      briefgen make --org region-x            # writes output/region-x.pdf
      briefgen list                           # the organisations found, and where
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(levelname)s %(name)s: "
                        "%(message)s", stream=sys.stderr)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    logging.getLogger("weasyprint").setLevel(logging.ERROR if verbose < 2 else logging.INFO)
    ctx.obj = {"verbose": verbose}


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), metavar="DIR")
def init(folder: Path) -> None:
    """Create a workspace: briefgen.toml, orgs/region-x.yaml, benchmarks/, theme/, README.md.

    Run briefgen inside DIR (or below it) and every command uses its briefgen.toml: the firm,
    its colours, its defaults; profiles in DIR/orgs and benchmarks in DIR/benchmarks come
    before the shipped ones. Files already there are left as they are.

    \b
    Example:
      briefgen init ws && cd ws
      briefgen make --org region-x --format pdf --format pptx
    """
    from .workspace import init_workspace

    for path in init_workspace(folder):
        click.echo(str(path))


@cli.command()
@org_option
@data_option
@out_option
@lang_option
@benchmarks_option
@survey_option
@render_options
@format_option
@review_option
def make(org: str, data: Path | None, out: Path, lang: str | None, benchmark: tuple[str, ...],
         survey: Path | None, templates: Path | None, author: str | None,
         pdf_variant: str | None, formats: tuple[str, ...], review: Path | None) -> None:
    """Build the briefing of one organisation and print the path of each file written.

    \b
    Examples:
      briefgen make --org region-x
      briefgen make --org region-x --lang en --out deliverables/
      briefgen make --org region-x --format pdf --format pptx --format xlsx --format charts
      briefgen make --org clients/acme.yaml --benchmark kunder-2026
      briefgen make --survey answers.xlsx --org region-x \\
          --benchmark kunder-2026 --benchmark dt-offentlig-sektor-2018
      briefgen make --org region-x --review reviews/region-x.yaml

    In a workspace, the consultant's review (briefgen review) in reviews/ID.yaml is applied:
    a review made for other scores stops the briefing (exit 2) until it is updated.
    """
    if _OWN_PROCESS:  # one briefing, then the process ends: no garbage collection (~10 %)
        collector.off_until_exit()
    opts = options(data=data, out=out, lang=lang, templates=templates, author=author,
                   pdf_variant=pdf_variant, survey=survey, formats=formats, review=review,
                   **_benchmark_options(benchmark))
    result = Briefgen(opts).make(org)
    for path in result.files:
        click.echo(str(path))


@cli.command()
@org_option
@data_option
@benchmark_option
@survey_option
@config_option
def validate(org: str, data: Path | None, benchmark: str | None, survey: Path | None) -> None:
    """Check a profile (or one organisation of a survey) without rendering.

    Every problem is reported at once.

    \b
    Examples:
      briefgen validate --org region-x
      briefgen validate --survey answers.xlsx --org region-x
    """
    bg = Briefgen(options(data=data, benchmark=benchmark, survey=survey))
    loaded = bg.validate(org)
    bg.benchmark()
    extra = f", {loaded.respondents} respondents" if loaded.respondents else ""
    click.echo(printable(f"{loaded.source}: ok ({loaded.name}{extra})"))


def analysis_inputs(f):
    """What an analysis is made from: --org, --data, --lang, --benchmark (repeatable), --survey."""
    for option in (survey_option, benchmarks_option, lang_option, data_option, org_option):
        f = option(f)
    return f


@cli.command()
@analysis_inputs
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FILE",
              help="The review file to write.  [default: the workspace's reviews/ID.yaml, "
              "reviews/ID-en.yaml in English]")
@click.option("--update", is_flag=True,
              help="Bring an existing review up to date with new scores, keeping your edits "
              "where they still apply; prints what it dropped.")
@click.option("--replace", is_flag=True,
              help="Write the rules' proposal over an existing review (your edits are lost).")
@config_option
def review(org: str, data: Path | None, lang: str | None, benchmark: tuple[str, ...],
           survey: Path | None, out_file: Path | None, update: bool, replace: bool) -> None:
    """Write the advice as a YAML file for the consultant to review before the client reads it.

    The file holds the priorities, the summary's texts, the recommendations with their
    reasons and initiatives, an empty list for your own findings, and the scores it was made
    for. Edit the words, remove or add what you will; make, batch, serve and the kit then use
    it. See docs/review.md.

    \b
    Examples:
      briefgen review --org region-x                 # reviews/region-x.yaml in the workspace
      briefgen review --org region-x --lang en       # reviews/region-x-en.yaml
      briefgen review --org region-x --update        # new scores: keep your edits
      briefgen review --org region-x --out review.yaml && briefgen make --org region-x \\
          --review review.yaml
    """
    from .review import write_review

    if update and replace:
        raise click.UsageError("--update and --replace: give one of them")
    bg = Briefgen(options(data=data, lang=lang, survey=survey,
                          **_benchmark_options(benchmark)))
    path, said = write_review(bg, org, out_file, update=update, replace=replace)
    for line in said:
        click.echo(printable(f"  {line}"), err=True)
    click.echo(str(path))


@cli.command()
@analysis_inputs
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text",
              show_default=True, help="json: the full analysis as data; text: a short report.")
@review_option
@config_option
def analyse(org: str, data: Path | None, lang: str | None, benchmark: tuple[str, ...],
            survey: Path | None, fmt: str, review: Path | None) -> None:
    """Print the analysis of one organisation: scores, gaps, priorities, recommendations.

    \b
    Examples:
      briefgen analyse --org region-x --format json
      briefgen analyse --org region-x --lang en
    """
    bg = Briefgen(options(data=data, lang=lang, survey=survey, review=review,
                          **_benchmark_options(benchmark)))
    lang = bg.options.lang
    analysis, matches, advice = bg.advised(org)
    t = bg.texts_for(analysis)
    if fmt == "json":
        click.echo(analysis_json(analysis, matches, advice, t))
        return
    org_ = analysis.org
    click.echo(printable(f"{org_.name} ({org_.id}), {t('level_' + org_.profile.level)}, "
                         f"{t.date(org_.profile.assessed)}"))
    phase = t.label(analysis.maturity.phase)
    if analysis.maturity.estimated:
        phase += f" ({t('headline_phase_estimated')})"
    click.echo(f"{t('headline_phase')}: {phase}")
    click.echo(f"\n{t('table_capability'):<42}{t('table_score'):>14}{t('table_benchmark'):>16} "
               f"{t('table_gap'):>10}  {t('table_status')}")
    for c in analysis.capabilities:
        click.echo(f"{t.label(c.key):<42}{t.num(c.score):>14}{t.num(c.benchmark):>16} "
                   f"{t.signed(c.gap):>10}  {t.status(c, analysis.priorities)}")
    click.echo(f"\n{t('table_area'):<42}{t('table_score'):>14}{t('table_benchmark'):>16} "
               f"{t('table_gap'):>10}")
    for e in analysis.effects:
        click.echo(f"{t.label(e.key):<42}{t.num(e.score):>14}{t.num(e.benchmark):>16} "
                   f"{t.signed(e.gap):>10}")
    click.echo(f"\n{t('recommendations')}:")
    for r in advice.recommendations:
        click.echo(printable(f"  {r.number or '-'}. {r.title}\n     {r.reason}"))
    click.echo(f"\n{t('plan')}:")
    for r in advice.recommendations:
        for s in r.steps:
            goal = "" if s.target is None else "; " + t(
                "plan_target_hold" if s.target.rule == "hold" else "plan_target",
                label=t.lower_label(s.target.key), score=t.num(s.target.score),
                target=t.num(s.target.target))
            click.echo(printable(f"  [{t('horizon_' + s.horizon)}] {s.title} – {s.owner}{goal}"))
    if advice.review:
        click.echo(printable(f"\n{t('analyse_reviewed', path=advice.review)}"))


@cli.command(name="list")
@data_option
@config_option
def list_(data: Path | None) -> None:
    """List the organisations and benchmarks found, and where each came from.

    Profiles in the workspace's orgs/ (or DATA/orgs) come before the shipped examples, and
    benchmarks in its benchmarks/ before the shipped study. An organisation's earlier
    assessments (orgs/ID-2025.yaml, same id, an earlier date) are listed under it as
    "earlier".

    \b
    Example:
      briefgen list
      briefgen list --data clients/
    """
    from .workspace import list_benchmarks, list_profiles

    bg = Briefgen(options(data=data))
    if bg.options.config:
        click.echo(f"workspace: {bg.options.config}")
    click.echo("organisations:")
    for listed, where in list_profiles(bg.bundle):
        try:
            org = bg.load(listed.path)
            click.echo(printable(f"  {org.id:<24} {org.profile.level:<10} {org.name:<28} "
                                 f"{where}"))
        except BriefgenError as exc:
            click.echo(printable(f"  {listed.path.stem:<24} {'invalid':<10} "
                                 f"{str(exc).splitlines()[0]}"))
        for earlier in listed.history:  # its history: briefed only as a previous assessment
            try:
                bg.load(earlier.path)
                click.echo(printable(f"  {'':<24} {'earlier':<10} {earlier.assessed!s:<28} "
                                     f"{earlier.path.name}"))
            except BriefgenError as exc:
                click.echo(printable(f"  {'':<24} {'invalid':<10} "
                                     f"{str(exc).splitlines()[0]}"))
    click.echo("benchmarks:")
    for path, where in list_benchmarks(bg.bundle):
        click.echo(printable(f"  {path.stem:<35} {where}"))


# --------------------------------------------------------------------------- batch and overview


def _progress_line(p) -> None:
    """Redraw one stderr line: done / failed / remaining and the time left."""
    width = 24
    finished = p.total - p.remaining
    bar = "#" * (width * finished // max(p.total, 1))
    eta = "" if p.eta is None else f", about {int(p.eta) // 60}:{int(p.eta) % 60:02d} left"
    click.echo(f"\r[{bar:<{width}}] {finished}/{p.total} done ({p.unchanged} unchanged), "
               f"{p.failed} failed, {p.remaining} remaining{eta}  ", err=True, nl=False)


@cli.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path), metavar="DIR|FILE")
@data_option
@out_option
@lang_option
@benchmark_option
@render_options
@format_option
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes, at most one per core.  [default: the number of cores]")
@click.option("--task-timeout", type=click.FloatRange(min=0, min_open=True),
              default=BATCH_DEFAULTS.task_timeout, show_default=True, metavar="SECONDS",
              help="Stop a briefing that takes longer and mark it failed.")
@click.option("--task-memory", type=click.IntRange(min=64),
              default=BATCH_DEFAULTS.task_memory, show_default=True, metavar="MB",
              help="Stop a briefing whose worker uses more memory and mark it failed.")
@click.option("--wait", is_flag=True,
              help="If another batch is writing into OUT, wait for it instead of exiting.")
@click.option("--force", is_flag=True, help="Render every briefing, even those unchanged.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failure.")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Render on this Dask cluster (pip install 'briefgen[dask]'; the workers "
              "need the same briefgen installed).")
@click.option("--overview", is_flag=True,
              help="Also write the portfolio overview (OUT/overview.pdf).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress line.  [default: when stderr is a terminal]")
def batch(source: Path, data: Path | None, out: Path, lang: str | None, benchmark: str | None,
          templates: Path | None, author: str | None, pdf_variant: str | None,
          formats: tuple[str, ...], jobs: int | None, force: bool, fail_fast: bool,
          scheduler: str | None, overview: bool, progress: bool | None,
          task_timeout: float, task_memory: int, wait: bool) -> None:
    """Build the briefings of many organisations, in parallel, into OUT.

    DIR|FILE is a folder of profiles, or a .csv/.xlsx sheet with one organisation per row and
    columns named by the profile's keys (id, name, ..., capabilities.partnerships,
    capabilities.data_access_security.insight, ...). Briefings whose input is unchanged since
    the last run are not rendered again. OUT/manifest.csv and manifest.json list every
    organisation and every file made for it (--format pptx/xlsx/charts add to the PDF).
    Exit code: 0 all built, 1 some failed, 2 the input is unusable.

    \b
    Examples:
      briefgen batch data/orgs/
      briefgen batch clients.xlsx --out deliverables/ --jobs 4 --overview
      briefgen batch clients.csv --scheduler tcp://10.0.0.5:8786
    """
    from .batch.run import run_batch

    opts = options(data=data, out=out, lang=lang, benchmark=benchmark, templates=templates,
                   author=author, pdf_variant=pdf_variant, formats=formats)
    settings = BatchOptions(jobs=jobs, force=force, fail_fast=fail_fast, scheduler=scheduler,
                            overview=overview, task_timeout=task_timeout,
                            task_memory=task_memory, wait=wait)
    show = sys.stderr.isatty() if progress is None else progress
    result = run_batch(source, opts, settings, progress=_progress_line if show else None)
    if show:
        click.echo("", err=True)
    not_run = result.count("skipped") + result.count("pending")
    earlier = result.count("history")
    click.echo(f"{result.count('ok')} rendered, {result.count('unchanged')} unchanged, "
               f"{result.count('failed')} failed, {not_run} not run"
               f"{f', {earlier} earlier assessment(s) kept as history' if earlier else ''} "
               f"in {result.seconds:.1f} s; manifest: {result.out / 'manifest.csv'}")
    if result.overview:
        click.echo(f"overview: {result.overview}")
    for item in result.failures:
        click.echo(printable(f"failed: row {item.row} ({item.id or 'no id'}): {item.error}"),
                   err=True)
    sys.exit(result.exit_code)


@cli.command(name="overview")
@click.argument("source", type=click.Path(exists=True, path_type=Path), metavar="DIR|FILE")
@data_option
@lang_option
@benchmark_option
@render_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The PDF to write.  [default: OUT/overview.pdf, OUT the batch folder or "
              "output/]")
def overview_(source: Path, data: Path | None, lang: str | None, benchmark: str | None,
              templates: Path | None, author: str | None, pdf_variant: str | None,
              output: Path | None) -> None:
    """Write one PDF comparing every organisation of a batch: scores, spread, maturity.

    DIR|FILE is what ``batch`` takes (profiles, .csv, .xlsx), or a batch's output folder
    (its manifest names the input).

    \b
    Examples:
      briefgen overview data/orgs/
      briefgen overview output/ --lang en
    """
    from .batch.overview import overview_from_source

    opts = options(data=data, lang=lang, benchmark=benchmark, templates=templates,
                   author=author, pdf_variant=pdf_variant)
    path, skipped = overview_from_source(source, opts, output)
    for reason in skipped:
        click.echo(printable(f"left out: {reason}"), err=True)
    click.echo(str(path))


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              metavar="FILE", help="The questionnaire to write: .xlsx (with instructions and "
              "answer checks) or .csv.")
@lang_option
@data_option
@config_option
def questionnaire(out: Path, lang: str | None, data: Path | None) -> None:
    """Write a blank questionnaire: one row per respondent, one column per question.

    \b
    Examples:
      briefgen questionnaire --lang sv --out frågeformulär.xlsx
      briefgen questionnaire --lang en --out questionnaire.csv
    """
    from .survey.questionnaire import write_questionnaire

    bg = Briefgen(options(data=data, lang=lang))
    write_questionnaire(out, bg.bundle.framework, bg.texts(), bg.bundle.rules.surveys)
    click.echo(str(out))


@cli.group()
def benchmark() -> None:
    """Build benchmarks from your own survey data."""


@benchmark.command(name="build")
@click.argument("survey", type=click.Path(dir_okay=False, path_type=Path), metavar="SURVEY")
@click.option("--name", required=True, help='The benchmark\'s title, e.g. "Kunder 2026".')
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              metavar="FILE", help="The benchmark file to write (.yaml); its name is the id "
              "--benchmark finds it by.")
@click.option("--id", "bench_id", default=None, help="The benchmark id (default: the file name).")
@click.option("--publisher", default=None,
              help="Who published the benchmark.  [default: the workspace's firm.name, "
              "else the --name]")
@click.option("--min-group-size", type=click.IntRange(min=2), default=None,
              help="Groups of fewer organisations are not published.  [default: "
              "surveys.min_group_size in rules.yaml, 5]")
@data_option
@config_option
def benchmark_build(survey: Path, name: str, out: Path, bench_id: str | None,
                    publisher: str | None,
                    min_group_size: int | None, data: Path | None) -> None:
    """Build a benchmark from the answers of many organisations.

    \b
    Example:
      briefgen benchmark build answers.xlsx --name "Kunder 2026" \\
          --out benchmarks/kunder-2026.yaml     # in a workspace: then --benchmark kunder-2026
    """
    from .survey.benchmark import build_file

    bg = Briefgen(options(data=data))
    publisher = publisher or bg.options.author or name
    bench = build_file(survey, bg.bundle, name, out, bench_id, publisher, min_group_size)
    published = ", ".join(bench.levels) or "-"
    click.echo(f"{out}: {bench.organisations} organisations, {bench.respondents} respondents; "
               f"level groups published: {published}")


# ------------------------------------------------------------------ the web form (issue 12)
# invite, serve and export live in briefgen.serve.commands; the web stack loads when they run.
from .serve.commands import COMMANDS as _SERVE_COMMANDS  # noqa: E402

for _command in _SERVE_COMMANDS:
    cli.add_command(_command)


_OWN_PROCESS = False  # True when main() runs: the process is the command's and ends with it


def main() -> None:
    """Entry point of the ``briefgen`` command."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    cli(prog_name="briefgen")


if __name__ == "__main__":
    main()
