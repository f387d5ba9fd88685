"""Load and validate input files: the shipped data, benchmarks and organisation profiles.

Loading is the only stage (with rendering) that reads files. It collects every problem in a
file before it stops, and phrases each as ``file:line: field: what is wrong (what is allowed)``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from . import resources
from .errors import DataError, InputError
from .fonts import describe, missing_glyphs
from .models import (
    ASSESSED_ALLOWED,
    IMPACTS,
    SLUG_RE,
    TERM,
    Benchmark,
    Framework,
    Library,
    Org,
    Profile,
    Rules,
    round1,
)
from .reading import (
    InvalidScalar,
    did_you_mean,
    display_path,
    invalid_scalars,
    line_of,
    read_yaml,
    regular_size,
)

log = logging.getLogger(__name__)

DEFAULT_BENCHMARK = "dt-offentlig-sektor-2018"


# --------------------------------------------------------------------------- shipped data


@dataclass(frozen=True)
class DataBundle:
    """Everything the analysis needs besides the organisation: loaded once, reused."""

    root: Path
    framework: Framework
    library: Library
    rules: Rules

    def orgs_dir(self) -> Path:
        return self.root / "orgs"


def _model(cls, path: Path):
    data, node = read_yaml(path)
    invalid = [f"{display_path(path)}:{line_of(node, loc)}: {'.'.join(map(str, loc))}: "
               f"{value.problem}" for loc, value in invalid_scalars(data)]
    if invalid:
        raise DataError(invalid)
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise DataError(_pydantic_problems(exc, display_path(path), node)) from None


def _pydantic_problems(exc: ValidationError, name: str, node: yaml.Node | None) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = line_of(node, loc)
        where = f"{name}:{line}" if line else name
        field = ".".join(str(p) for p in loc) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        problems.append(f"{where}: {field}: {msg}")
    return problems


@lru_cache(maxsize=8)
def load_data(root: Path | None = None) -> DataBundle:
    """Load the framework, recommendation library and rules from a data folder."""
    root = Path(root) if root else resources.data_dir()
    for required in ("framework.yaml", "recommendations.yaml", "rules.yaml"):
        if not (root / required).is_file():
            # A user's --data folder may hold only orgs/: the rest comes from the shipped data.
            shipped = resources.data_dir()
            if root != shipped and ((root / "orgs").is_dir() or (root / "benchmarks").is_dir()):
                return _with_orgs(load_data(shipped), root)
            raise DataError(f"{display_path(root)}: no {required} here; --data must name a folder "
                            "laid out like briefgen's data/ (framework.yaml, orgs/, benchmarks/)")
    framework = _model(Framework, root / "framework.yaml")
    library = _model(Library, root / "recommendations.yaml")
    rules = _model(Rules, root / "rules.yaml")
    _check_library(library, framework, display_path(root / "recommendations.yaml"))
    return DataBundle(root=root, framework=framework, library=library, rules=rules)


def _with_orgs(bundle: DataBundle, root: Path) -> DataBundle:
    return DataBundle(root=root, framework=bundle.framework, library=bundle.library,
                      rules=bundle.rules)


def _check_library(library: Library, framework: Framework, name: str) -> None:
    caps, effects = set(framework.capability_keys), set(framework.effect_keys)
    problems = []
    ids = [p.id for p in library.practices] + [r.id for r in library.recommendations]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{name}: id '{dup}' is used more than once")
    for p in library.practices:
        allowed = caps if p.area == "capability" else effects
        if p.addresses not in allowed:
            problems.append(f"{name}: {p.id}.addresses: unknown {p.area} '{p.addresses}'"
                            f"{did_you_mean(p.addresses, sorted(allowed))}")
    for r in library.recommendations:
        for key in r.capabilities:
            if key not in caps:
                problems.append(f"{name}: {r.id}.capabilities: unknown '{key}'"
                                f"{did_you_mean(key, sorted(caps))}")
        for key in r.effects:
            if key not in effects:
                problems.append(f"{name}: {r.id}.effects: unknown '{key}'"
                                f"{did_you_mean(key, sorted(effects))}")
        for key, sub in r.answers_to.items():
            subs = ([q.key for q in framework.capability(key).questions] if key in caps else [])
            if key not in r.capabilities or sub not in subs or len(subs) < 2:
                problems.append(f"{name}: {r.id}.answers_to: '{key}: {sub}' must name a "
                                f"capability {r.id} addresses and one of its sub-questions")
        for i in r.initiatives:
            problems += _initiative_problems(i, r, library, name)
    initiative_ids = [i.id for r in library.recommendations for i in r.initiatives]
    for dup in sorted({i for i in initiative_ids if initiative_ids.count(i) > 1}):
        problems.append(f"{name}: initiative id '{dup}' is used more than once")
    if problems:
        raise DataError(problems)


def _initiative_problems(i, rec, library: Library, name: str) -> list[str]:
    """An initiative's owner, areas and level-dependent terms: each one the library knows."""
    problems = []
    if i.owner not in library.owners:
        problems.append(f"{name}: {i.id}.owner: unknown '{i.owner}' (allowed: "
                        f"{', '.join(library.owners)})")
    for key in i.areas:
        if key not in (*rec.capabilities, *rec.effects):
            problems.append(f"{name}: {i.id}.areas: '{key}' is not an area {rec.id} addresses "
                            f"(allowed: {', '.join((*rec.capabilities, *rec.effects))})")
    for field in ("title", "first_step", "done_when"):
        text = getattr(i, field)
        for lang in ("sv", "en"):
            for term in TERM.findall(text(lang)):
                if term.lower() not in library.terms:
                    problems.append(f"{name}: {i.id}.{field}.{lang}: unknown term '{{{term}}}' "
                                    f"(allowed: {', '.join(library.terms)})")
    return problems


def _file_or_id(spec: str, option: str, an_id: str, file_kind: str) -> Path | None:
    """``spec`` as a YAML file if it looks like a path (it must exist), else None for a valid id.

    Anything else, ``../../etc/x`` included, is refused before it reaches the file system.
    """
    path = Path(spec)
    if path.suffix in (".yaml", ".yml") or "/" in spec or "\\" in spec:
        if path.suffix not in (".yaml", ".yml"):
            raise InputError(f"{option}: '{spec}' is neither {an_id} id (lower-case letters, "
                             f"digits and '-') nor a .yaml {file_kind}")
        if not path.exists():
            raise InputError(f"{spec}: {file_kind} not found")
        regular_size(path, spec)  # a FIFO or a device: refused before anything waits on it
        return path
    if not SLUG_RE.match(spec):
        raise InputError(f"{option}: '{spec}' is not a valid {an_id.split()[-1]} id "
                         "(allowed: lower-case letters, digits and '-')")
    return None


def benchmark_path(spec: str | Path | None, bundle: DataBundle) -> Path:
    """Resolve ``--benchmark``: a file path, or an id looked up in ``benchmarks/``."""
    spec = str(spec) if spec else DEFAULT_BENCHMARK
    given = _file_or_id(spec, "--benchmark", "a benchmark", "benchmark file")
    if given is not None:
        return given
    folders = [bundle.root / "benchmarks", resources.data_dir() / "benchmarks"]
    for folder in folders:
        path = folder / f"{spec}.yaml"
        if path.is_file():
            return path
    known = sorted({p.stem for f in folders if f.is_dir() for p in f.glob("*.yaml")})
    raise InputError(f"--benchmark: unknown benchmark '{spec}'{did_you_mean(spec, known)} "
                     f"Available: {', '.join(known) or 'none'}")


@lru_cache(maxsize=32)
def _load_benchmark_file(path: Path, mtime: float) -> Benchmark:
    return _model(Benchmark, path)


def load_benchmark(spec: str | Path | None, bundle: DataBundle) -> Benchmark:
    path = benchmark_path(spec, bundle).resolve()
    bench = _load_benchmark_file(path, path.stat().st_mtime)
    problems = []
    name = display_path(path)
    for key in bench.overall.capabilities:
        if key not in bundle.framework.capability_keys:
            problems.append(f"{name}: overall.capabilities.{key}: unknown capability"
                            f"{did_you_mean(key, bundle.framework.capability_keys)}")
    for key in bench.overall.effects:
        if key not in bundle.framework.effect_keys:
            problems.append(f"{name}: overall.effects.{key}: unknown effect area"
                            f"{did_you_mean(key, bundle.framework.effect_keys)}")
    if problems:
        raise DataError(problems)
    return bench


# --------------------------------------------------------------------------- organisations


def org_folders(bundle: DataBundle) -> list[Path]:
    """Where ``--org ID`` is looked up: DATA/orgs (a workspace's orgs/), then the shipped ones."""
    shipped = resources.data_dir() / "orgs"
    own = bundle.orgs_dir()
    return [own] if own.resolve() == shipped.resolve() else [own, shipped]


# An organisation's earlier assessments may sit beside its current profile, e.g.
# orgs/mellanby-kommun.yaml (assessed 2026) and orgs/mellanby-kommun-2025.yaml (assessed 2025),
# both with id mellanby-kommun: the latest is the organisation's current profile, the others
# its history (docs/workspace.md). Files are named ID.yaml or ID-LABEL.yaml.
MAX_HISTORY = 100   # earlier assessments followed through previous: from one profile


@dataclass(frozen=True)
class Assessment:
    """A profile file as one assessment of an organisation: its id and date as written."""

    path: Path
    id: str
    assessed: dt.date


def raw_assessment(data: Any) -> tuple[str, dt.date | None] | None:
    """The id and assessment date a profile's data gives before validation: None without a
    usable id, a None date when the date is missing or invalid."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) \
            or not SLUG_RE.match(data["id"]):
        return None
    when = data.get("assessed")
    if isinstance(when, dt.datetime):
        when = when.date()
    if isinstance(when, str):  # a sheet's cell, as text
        try:
            when = dt.date.fromisoformat(when)
        except ValueError:
            when = None
    return data["id"], when if isinstance(when, dt.date) else None


def _assessment(path: Path, org_id: str | None = None) -> Assessment | None:
    """``path`` as an assessment (of ``org_id`` if given); None when it has no usable id or is
    another organisation's.

    Raises :class:`InputError` when the file cannot be read, or has the id but no valid date:
    then which profile is the organisation's latest cannot be told.
    """
    data, node = read_yaml(path)
    found = raw_assessment(data)
    if found is None or (org_id is not None and found[0] != org_id):
        return None
    if found[1] is None:
        line = line_of(node, ("assessed",))
        raise InputError(f"{display_path(path)}:{line}: assessed: missing or not a date, so it "
                         f"cannot be told whether this is the latest assessment of {found[0]} "
                         f"(allowed: {ASSESSED_ALLOWED})")
    return Assessment(path, found[0], found[1])


def latest(assessments: list[Assessment]) -> Assessment:
    """The current one of an organisation's assessments: the latest; two on that day: refused."""
    ordered = sorted(assessments, key=lambda a: a.assessed, reverse=True)
    if len(ordered) > 1 and ordered[0].assessed == ordered[1].assessed:
        raise InputError(f"{display_path(ordered[1].path)}: assessed: {ordered[1].assessed} is "
                         f"also the date of {display_path(ordered[0].path)}, another profile "
                         f"of {ordered[0].id} (allowed: one profile per organisation and date; "
                         "an earlier assessment has an earlier date)")
    return ordered[0]


def _folder_assessments(folder: Path) -> tuple[dict[str, list[Assessment]], list[Path]]:
    """Every assessment in a folder by id, and the files whose id or date cannot be read."""
    by_id: dict[str, list[Assessment]] = {}
    unreadable: list[Path] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            found = _assessment(path)
        except InputError:
            found = None
        if found is None:
            unreadable.append(path)
        else:
            by_id.setdefault(found.id, []).append(found)
    return by_id, unreadable


@dataclass(frozen=True)
class Listed:
    """An organisation as ``briefgen list`` shows it: its current profile and its history."""

    path: Path                                 # the current profile (or an unreadable file)
    history: tuple[Assessment, ...] = ()       # earlier assessments beside it, latest first


def listed_orgs(bundle: DataBundle) -> list[Listed]:
    """Every organisation found, each once: its current profile and earlier assessments from
    the first folder that has it (DATA/orgs before the shipped ones); files whose id or date
    cannot be read are listed by their name, for ``list`` to say what is wrong."""
    found: dict[str, Listed] = {}
    for folder in org_folders(bundle):
        if not folder.is_dir():
            continue
        by_id, unreadable = _folder_assessments(folder)
        for org_id, assessments in by_id.items():
            ordered = sorted(assessments, key=lambda a: a.assessed, reverse=True)
            found.setdefault(org_id, Listed(ordered[0].path, tuple(ordered[1:])))
        for path in unreadable:
            found.setdefault(path.stem, Listed(path))
    return [found[key] for key in sorted(found)]


def list_orgs(bundle: DataBundle) -> list[Path]:
    """Every organisation's current profile (DATA/orgs before the shipped ones)."""
    return [listed.path for listed in listed_orgs(bundle)]


def resolve_org(spec: str, bundle: DataBundle) -> Path:
    """Turn ``--org`` (an id in ``DATA/orgs`` or the path of a profile) into a file path.

    An id finds the organisation's current profile: of ``ID.yaml`` and ``ID-*.yaml`` with that
    id, the one assessed last (the first folder that has one wins).
    """
    given = _file_or_id(spec, "--org", "an organisation", "profile")
    if given is not None:
        return given
    for folder in org_folders(bundle):
        named = folder / f"{spec}.yaml"
        siblings = sorted(folder.glob(f"{spec}-*.yaml"))  # a slug: no glob characters
        if not siblings:
            if named.exists():
                return named  # the common case, read once: load_org checks its id
            continue
        assessments = []
        for candidate in ([named] if named.exists() else []) + siblings:
            found = _assessment(candidate, spec)
            if found is None and candidate == named:
                return named  # no usable id, or another's: load_org says what is wrong
            if found is not None:
                assessments.append(found)
        if assessments:
            return latest(assessments).path
    known = [p.stem for p in list_orgs(bundle)]
    raise InputError(f"--org: unknown organisation '{spec}'{did_you_mean(spec, known)} "
                     f"Available in {display_path(bundle.orgs_dir())}: "
                     f"{', '.join(known) or 'none'}")


def load_org(spec: str | Path, bundle: DataBundle) -> Org:
    path = resolve_org(str(spec), bundle)
    data, node = read_yaml(path)
    org = validate_profile(data, bundle, display_path(path), node)
    stem = path.stem
    if str(spec) == stem and org.id != stem and stem.startswith(f"{org.id}-"):
        raise InputError(f"--org: '{spec}' is an earlier assessment of {org.id} "
                         f"({display_path(path)}); --org {org.id} briefs its current profile (to "
                         "brief this one, give the file's path)")
    if path.parent in org_folders(bundle) and stem != org.id and not stem.startswith(
            f"{org.id}-"):
        # `--org ID` must mean the organisation with that id, or batch outputs collide.
        line = line_of(node, ("id",))
        raise InputError(f"{display_path(path)}:{line}: id: '{org.id}' differs from the file "
                         f"name; rename the file to {org.id}.yaml (or {org.id}-2025.yaml for "
                         f"an earlier assessment) or set id: {stem}")
    return with_previous(org, path, display_path(path), node, bundle)


def with_previous(org: Org, path: Path, name: str, node: yaml.Node | None,
                  bundle: DataBundle) -> Org:
    """``org`` with the earlier assessment its ``previous:`` names, looked up beside ``path``
    (a profile, or the sheet it is a row of; ``name`` names it in messages).

    The whole chain of ``previous:`` is checked: each names a profile in the same folder, of
    the same organisation, assessed before the one naming it, and none twice (no loop).
    """
    chain = [path.resolve()]
    first: Org | None = None
    here, here_org, here_node, here_name = path, org, node, name
    while here_org.profile.previous:
        spec = here_org.profile.previous
        line = line_of(here_node, ("previous",))
        where = f"{here_name}:{line}: previous" if line else f"{here_name}: previous"
        earlier = _previous_path(here, spec, where)
        allowed = (f"allowed: an earlier profile of {org.id} in the same folder, assessed "
                   f"before {here_org.profile.assessed}, that names none of the later ones")
        if earlier in chain:
            loop = [p.name for p in chain[chain.index(earlier):]] + [earlier.name]
            what = ("names this profile itself" if earlier == here.resolve() else
                    f"closes a loop ({' -> '.join(loop)})")
            raise InputError(f"{where}: '{spec[:80]}' {what} ({allowed})")
        if len(chain) > MAX_HISTORY:
            raise InputError(f"{where}: more than {MAX_HISTORY} earlier assessments in a row "
                             f"(allowed: at most {MAX_HISTORY})")
        data, earlier_node = read_yaml(earlier)
        earlier_org = validate_profile(data, bundle, display_path(earlier), earlier_node)
        if earlier_org.id != org.id:
            raise InputError(f"{where}: '{spec[:80]}' is an assessment of '{earlier_org.id}', "
                             f"not of '{org.id}' ({allowed})")
        if earlier_org.profile.assessed >= here_org.profile.assessed:
            raise InputError(f"{where}: '{spec[:80]}' was assessed "
                             f"{earlier_org.profile.assessed}, not before this profile "
                             f"({here_org.profile.assessed}) ({allowed})")
        chain.append(earlier)
        first = first or earlier_org
        here, here_org, here_node, here_name = (earlier, earlier_org, earlier_node,
                                                display_path(earlier))
    return org.model_copy(update={"previous": first}) if first else org


def _previous_path(path: Path, previous: str, where: str) -> Path:
    """The earlier profile named by ``previous``: only a .yaml file beside ``path``, resolved."""
    given = Path(previous)
    folder = path.parent.resolve()
    candidate = (folder / given).resolve()
    if (given.is_absolute() or ".." in given.parts or "://" in previous
            or given.suffix not in (".yaml", ".yml") or not candidate.is_relative_to(folder)):
        raise InputError(f"{where}: '{previous[:80]}' is not allowed (allowed: the "
                         "file name of a .yaml profile in the same folder, without '..')")
    if not candidate.exists():
        raise InputError(f"{where}: '{previous[:80]}' not found in {display_path(folder)}")
    return candidate


def score_problem(value: Any) -> str | None:
    """What is wrong with one score of a profile (a number from 1 to 5), or None."""
    if isinstance(value, InvalidScalar):
        return f"{value.problem} (allowed: a number from 1 to 5)"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value!r} is not a number (allowed: a number from 1 to 5, e.g. 3 or 2.5)"
    try:
        number = float(value)
    except OverflowError:
        return "the number is far too large (allowed: 1 to 5)"
    if math.isnan(number) or math.isinf(number):
        return f"{value} is not a number from 1 to 5"
    if not 1 <= number <= 5:
        return f"{value:g} is outside 1-5 (allowed: a number from 1 to 5)"
    return None


# --------------------------------------------------------------------------- profiles

Problem = Callable[[tuple, str], None]   # report one problem at a key path
SCORE_KEYS = ("capabilities", "effects", "impact", "ranking", "targets")  # checked here


def validate_profile(data: Any, bundle: DataBundle, name: str,
                     node: yaml.Node | None = None) -> Org:
    """Check a profile against the framework and return it as an :class:`Org`.

    Every problem is collected first; an :class:`InputError` lists them all.
    """
    fw = bundle.framework
    problems: list[str] = []

    def problem(loc: tuple, msg: str) -> None:
        line = line_of(node, loc)
        where = f"{name}:{line}" if line else name
        problems.append(f"{where}: {'.'.join(map(str, loc))}: {msg}")

    if not isinstance(data, dict):
        raise InputError(f"{name}: a profile must be a mapping of keys (id, name, level, ...), "
                         f"not {type(data).__name__}")
    _check_scores(data, "capabilities", fw.capability_keys, problem, fw)
    _check_scores(data, "effects", fw.effect_keys, problem)
    _check_scores(data, "impact", list(IMPACTS), problem)
    _check_ranking(data.get("ranking"), fw.capability_keys, problem)
    _check_targets(data.get("targets"), fw.capability_keys, problem)
    _check_the_rest(data, problem)
    if problems:
        raise InputError(problems)

    profile = Profile.model_validate(data)
    scores, answers = _capability_scores(profile)
    _check_targets_above(profile, scores, problem)
    if problems:
        raise InputError(problems)
    return Org(profile=profile, source=name,
               capability_scores={k: scores[k] for k in fw.capability_keys},
               capability_answers=answers)


def _check_scores(data: dict, section: str, allowed: list[str], problem: Problem,
                  fw: Framework | None = None) -> None:
    """A section of scores (capabilities, effects, impact): every key known and given, 1-5.
    The capabilities (``fw`` given) may have sub-questions."""
    given = data.get(section)
    if given is None:
        problem((section,), f"missing (allowed keys: {', '.join(allowed)})")
        return
    if not isinstance(given, dict):
        problem((section,), f"must be a mapping of {', '.join(allowed)} to scores 1-5")
        return
    for key, value in given.items():
        if key not in allowed:
            problem((section, key), f"unknown key{did_you_mean(key, allowed)} "
                    f"(allowed: {', '.join(allowed)})")
        elif fw is not None and isinstance(value, dict):
            _check_sub_questions(fw, key, value, problem)
        elif (msg := score_problem(value)) is not None:
            problem((section, key), msg)
    for key in allowed:
        if key not in given:
            problem((section, key), "missing (a score from 1 to 5 is required)")


def _check_sub_questions(fw: Framework, key: str, value: dict, problem: Problem) -> None:
    """A composite capability's answers: one per sub-question, each 1-5."""
    cap = fw.capability(key)
    subs = [q.key for q in cap.questions]
    if not cap.composite:
        problem(("capabilities", key), "takes one score (1-5), not sub-questions")
        return
    for sub, answer in value.items():
        if sub not in subs:
            problem(("capabilities", key, sub), f"unknown sub-question"
                    f"{did_you_mean(sub, subs)} (allowed: {', '.join(subs)})")
        elif (msg := score_problem(answer)) is not None:
            problem(("capabilities", key, sub), msg)
    for sub in subs:
        if sub not in value:
            problem(("capabilities", key, sub), "missing (give every sub-question, or one "
                    "score for the capability)")


def _check_ranking(ranking: Any, keys: list[str], problem: Problem) -> None:
    """The profile's own order of the capabilities: each once, all of them."""
    if ranking is None:
        return
    if not isinstance(ranking, list):
        problem(("ranking",), "must be a list of capability keys, most important first")
        return
    for i, key in enumerate(ranking):
        if key not in keys:
            problem(("ranking", i), f"unknown capability '{key}'{did_you_mean(key, keys)}")
    if len(set(map(str, ranking))) != len(ranking):
        problem(("ranking",), "names a capability more than once")
    elif len(ranking) != len(keys) and all(k in keys for k in ranking):
        missing = [k for k in keys if k not in ranking]
        problem(("ranking",), f"must rank all {len(keys)} capabilities; "
                f"missing: {', '.join(missing)}")


def _check_targets(targets: Any, keys: list[str], problem: Problem) -> None:
    """The profile's own targets: known capabilities, scores 1-5."""
    if targets is None:
        return
    if not isinstance(targets, dict):
        problem(("targets",), "must map capability keys to the score to reach (1-5)")
        return
    for key, value in targets.items():
        if key not in keys:
            problem(("targets", key), "unknown capability"
                    f"{did_you_mean(key, keys)} (allowed: {', '.join(keys)})")
        elif (msg := score_problem(value)) is not None:
            problem(("targets", key), msg)


def _check_the_rest(data: dict, problem: Problem) -> None:
    """Every other key: values YAML could not read, the name's glyphs, then pydantic's checks
    with its messages made plainer."""
    rest = {k: v for k, v in data.items() if k not in SCORE_KEYS}
    invalid = dict(invalid_scalars(rest))
    for loc, value in invalid.items():
        problem(loc, value.problem)
    if isinstance(data.get("name"), str) and (missing := missing_glyphs(data["name"])):
        problem(("name",), f"the briefing's fonts cannot draw {describe(missing)} (allowed: "
                "Latin, Greek and Cyrillic letters, digits, punctuation and common symbols)")
    try:
        Profile.model_validate(rest | {"capabilities": {}, "effects": {}, "impact": {}})
    except ValidationError as exc:
        allowed_keys = list(Profile.model_fields)
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc in invalid:
                continue  # already reported, with the reason
            if err["type"] == "extra_forbidden":
                problem(loc, f"unknown key{did_you_mean(loc[-1], allowed_keys)} "
                        f"(allowed: {', '.join(allowed_keys)})")
            elif err["type"] == "missing":
                problem(loc, "missing (required)")
            elif loc == ("assessed",) and err["type"] in ("greater_than_equal",
                                                           "less_than_equal"):
                problem(loc, f"{data['assessed']} is outside the years an assessment can be "
                        f"dated (allowed: {ASSESSED_ALLOWED})")
            elif loc == ("id",):
                problem(loc, f"'{data.get('id')}' is not a valid id (allowed: lower-case "
                        "letters, digits and '-', e.g. region-x)")
            else:
                problem(loc, err["msg"].replace("Input should be", "must be"))


def _capability_scores(profile: Profile) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Each capability's score (a composite one: the mean of its answers), and the answers."""
    scores: dict[str, float] = {}
    answers: dict[str, dict[str, float]] = {}
    for key, value in profile.capabilities.items():
        if isinstance(value, dict):
            answers[key] = {k: float(v) for k, v in value.items()}
            scores[key] = sum(answers[key].values()) / len(answers[key])
        else:
            scores[key] = float(value)
    return scores, answers


def _check_targets_above(profile: Profile, scores: dict[str, float], problem: Problem) -> None:
    """A target must lie above today's (rounded) score."""
    for key, target in profile.targets.items():
        now = round1(scores[key])
        if target <= now:
            problem(("targets", key), f"{target:g} is not above today's score {now:g} "
                    f"(allowed: a score above {now:g}, up to 5)")
