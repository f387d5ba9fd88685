"""Load and validate input files: the shipped data, benchmarks and organisation profiles.

Loading is the only stage (with rendering) that reads files. It collects every problem in a
file before it stops, and phrases each as ``file:line: field: what is wrong (what is allowed)``.
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Iterator
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
    IMPACTS,
    SLUG_RE,
    Benchmark,
    Framework,
    Library,
    Org,
    Profile,
    Rules,
    round1,
)

log = logging.getLogger(__name__)

MAX_YAML_BYTES = 1_000_000
MAX_ALIASES = 100
DEFAULT_BENCHMARK = "dt-offentlig-sektor-2018"


# --------------------------------------------------------------------------- safe YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader that also refuses duplicate keys and alias bombs."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                event = self.peek_event()
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {MAX_ALIASES} aliases (&/*): refused", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    # PyYAML raises a bare ValueError for an impossible date (2026-02-30) and for an integer
    # longer than Python converts (4,300 digits). Keep the file readable instead, so that
    # validation names the field and its line like any other bad value.
    def construct_yaml_timestamp(self, node):  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return InvalidScalar(node.value, "is not a valid date (allowed: a date such as "
                                 "2026-10-15)")

    def construct_yaml_int(self, node):  # type: ignore[override]
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            return InvalidScalar(node.value, f"is a number of {len(node.value):,} digits, far "
                                 "too large")


class InvalidScalar(str):
    """A YAML value that parses as no valid value of its type; ``problem`` says why.

    A ``str`` so that every later step can show it, shortened, in a message.
    """

    def __new__(cls, text: str, problem: str) -> InvalidScalar:
        shown = text if len(text) <= 24 else f"{text[:12]}...{text[-6:]}"
        value = super().__new__(cls, shown)
        value.problem = f"'{shown}' {problem}"
        return value


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _invalid_scalars(data: Any, loc: tuple = ()) -> Iterator[tuple[tuple, InvalidScalar]]:
    """Every :class:`InvalidScalar` in a parsed document, with its key path."""
    if isinstance(data, InvalidScalar):
        yield loc, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _invalid_scalars(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _invalid_scalars(value, (*loc, i))


MAX_EXPANDED_NODES = 100_000


def _check_expansion(root: yaml.Node, name: str) -> None:
    """Refuse a document whose aliases expand to a huge (or endless) tree.

    Few aliases can still nest into a billion values ("billion laughs"); anything that later
    walks the data would then hang. Count the values as if every alias were copied out.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            kids = ([n for pair in node.value for n in pair]
                    if isinstance(node, yaml.MappingNode) else
                    node.value if isinstance(node, yaml.SequenceNode) else [])
            sizes[key] = 1 + sum(sizes[id(k)] for k in kids)
            if sizes[key] > MAX_EXPANDED_NODES:
                raise InputError(f"{name}:{node.start_mark.line + 1}: malformed YAML: aliases "
                                 f"(&/*) expand to more than {MAX_EXPANDED_NODES:,} values; "
                                 "refused")
            continue
        if key in sizes:
            continue
        if key in active:
            raise InputError(f"{name}:{node.start_mark.line + 1}: malformed YAML: an alias "
                             "(*) refers to the value that contains it; refused")
        active.add(key)
        stack.append((node, True))
        if isinstance(node, yaml.MappingNode):
            stack.extend((n, False) for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((n, False) for n in node.value)


def _display(path: Path) -> str:
    """Show a path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_bytes(path: Path, name: str, limit: int) -> bytes:
    """A file's bytes, its size checked first: never more than ``limit`` + 1 bytes are read."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"{name}: the file is {size:,} bytes; at most {limit:,} allowed")
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{name}: cannot read the file ({exc.strerror})") from None
    if len(data) > limit:  # it grew since it was measured
        raise InputError(f"{name}: the file is more than {limit:,} bytes; at most {limit:,} "
                         "allowed")
    return data


def read_text(path: Path, name: str, limit: int) -> str:
    """A small UTF-8 text file (a BOM is dropped), its size checked before it is read."""
    try:
        return read_bytes(path, name, limit).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file safely; return the data and its node tree (for line numbers)."""
    name = _display(path)
    text = read_text(path, name, MAX_YAML_BYTES)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_expansion(node, name)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = (exc.problem or exc.context or "malformed YAML").strip()
        if "could not determine a constructor" in problem:
            problem = f"YAML tags such as {problem.split('tag ')[-1]} are not allowed"
        raise InputError(f"{where}: malformed YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: malformed YAML: {exc}") from None
    except RecursionError:
        raise InputError(f"{name}: malformed YAML: nested too deeply") from None
    except ValueError as exc:  # any other scalar PyYAML cannot convert
        raise InputError(f"{name}: malformed YAML: {str(exc)[:160]}") from None
    return data, node


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """The line (1-based) of the value at ``loc`` in a composed YAML tree, or its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(part)), None)
            key = next((k for k, v in node.value if k.value == str(part)), None)
            if child is None:
                return line
            line, node = key.start_mark.line + 1, child
        elif (isinstance(node, yaml.SequenceNode) and isinstance(part, int)
              and part < len(node.value)):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


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
    invalid = [f"{_display(path)}:{_line_of(node, loc)}: {'.'.join(map(str, loc))}: "
               f"{value.problem}" for loc, value in _invalid_scalars(data)]
    if invalid:
        raise DataError(invalid)
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise DataError(_pydantic_problems(exc, _display(path), node)) from None


def _pydantic_problems(exc: ValidationError, name: str, node: yaml.Node | None) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = _line_of(node, loc)
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
            raise DataError(f"{_display(root)}: no {required} here; --data must name a folder "
                            "laid out like briefgen's data/ (framework.yaml, orgs/, benchmarks/)")
    framework = _model(Framework, root / "framework.yaml")
    library = _model(Library, root / "recommendations.yaml")
    rules = _model(Rules, root / "rules.yaml")
    _check_library(library, framework, _display(root / "recommendations.yaml"))
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
        for i in r.initiatives:
            if i.owner not in library.owners:
                problems.append(f"{name}: {i.id}.owner: unknown '{i.owner}' (allowed: "
                                f"{', '.join(library.owners)})")
            for key in i.moves:
                if key not in (*r.capabilities, *r.effects):
                    problems.append(f"{name}: {i.id}.moves: '{key}' is not an area {r.id} "
                                    f"addresses (allowed: "
                                    f"{', '.join((*r.capabilities, *r.effects))})")
    if problems:
        raise DataError(problems)


def _file_or_id(spec: str, option: str, an_id: str, file_kind: str) -> Path | None:
    """``spec`` as a YAML file if it looks like a path (it must exist), else None for a valid id.

    Anything else, ``../../etc/x`` included, is refused before it reaches the file system.
    """
    path = Path(spec)
    if path.suffix in (".yaml", ".yml") or "/" in spec or "\\" in spec:
        if path.suffix not in (".yaml", ".yml"):
            raise InputError(f"{option}: '{spec}' is neither {an_id} id (lower-case letters, "
                             f"digits and '-') nor a .yaml {file_kind}")
        if not path.is_file():
            raise InputError(f"{spec}: {file_kind} not found")
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
    name = _display(path)
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


def list_orgs(bundle: DataBundle) -> list[Path]:
    """Every profile found by id, the first of each id (DATA/orgs before the shipped ones)."""
    found: dict[str, Path] = {}
    for folder in org_folders(bundle):
        if folder.is_dir():
            for path in sorted(folder.glob("*.yaml")):
                found.setdefault(path.stem, path)
    return sorted(found.values(), key=lambda p: p.stem)


def resolve_org(spec: str, bundle: DataBundle) -> Path:
    """Turn ``--org`` (an id in ``DATA/orgs`` or the path of a profile) into a file path."""
    given = _file_or_id(spec, "--org", "an organisation", "profile")
    if given is not None:
        return given
    for folder in org_folders(bundle):
        candidate = folder / f"{spec}.yaml"
        if candidate.is_file():
            return candidate
    known = [p.stem for p in list_orgs(bundle)]
    raise InputError(f"--org: unknown organisation '{spec}'{did_you_mean(spec, known)} "
                     f"Available in {_display(bundle.orgs_dir())}: {', '.join(known) or 'none'}")


def load_org(spec: str | Path, bundle: DataBundle) -> Org:
    path = resolve_org(str(spec), bundle)
    data, node = read_yaml(path)
    org = validate_profile(data, bundle, _display(path), node)
    if path.parent in org_folders(bundle) and org.id != path.stem:
        # `--org ID` must mean the organisation with that id, or batch outputs collide.
        line = _line_of(node, ("id",))
        raise InputError(f"{_display(path)}:{line}: id: '{org.id}' differs from the file name; "
                         f"rename the file to {org.id}.yaml or set id: {path.stem}")
    if org.profile.previous:
        prev_path = _previous_path(path, org.profile.previous, node)
        prev_data, prev_node = read_yaml(prev_path)
        prev = validate_profile(prev_data, bundle, _display(prev_path), prev_node)
        org = org.model_copy(update={"previous": prev})
    return org


def _previous_path(path: Path, previous: str, node: yaml.Node | None) -> Path:
    """The earlier profile named by ``previous``: only a .yaml file beside this profile."""
    line = _line_of(node, ("previous",))
    where = f"{_display(path)}:{line}" if line else _display(path)
    given = Path(previous)
    folder = path.parent.resolve()
    candidate = (folder / given).resolve()
    if (given.is_absolute() or ".." in given.parts or "://" in previous
            or given.suffix not in (".yaml", ".yml") or not candidate.is_relative_to(folder)):
        raise InputError(f"{where}: previous: '{previous[:80]}' is not allowed (allowed: the "
                         "file name of a .yaml profile in the same folder, without '..')")
    if not candidate.is_file():
        raise InputError(f"{where}: previous: '{previous[:80]}' not found in {_display(folder)}")
    return candidate


def _score_problem(value: Any) -> str | None:
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


def validate_profile(data: Any, bundle: DataBundle, name: str,
                     node: yaml.Node | None = None) -> Org:
    """Check a profile against the framework and return it as an :class:`Org`.

    Every problem is collected first; an :class:`InputError` lists them all.
    """
    fw = bundle.framework
    problems: list[str] = []

    def problem(loc: tuple, msg: str) -> None:
        line = _line_of(node, loc)
        where = f"{name}:{line}" if line else name
        problems.append(f"{where}: {'.'.join(map(str, loc))}: {msg}")

    if not isinstance(data, dict):
        raise InputError(f"{name}: a profile must be a mapping of keys (id, name, level, ...), "
                         f"not {type(data).__name__}")

    def check_scores(section: str, allowed: list[str], required: bool) -> None:
        given = data.get(section)
        if given is None:
            if required:
                problem((section,), f"missing (allowed keys: {', '.join(allowed)})")
            return
        if not isinstance(given, dict):
            problem((section,), f"must be a mapping of {', '.join(allowed)} to scores 1-5")
            return
        for key, value in given.items():
            if key not in allowed:
                problem((section, key), f"unknown key{did_you_mean(key, allowed)} "
                        f"(allowed: {', '.join(allowed)})")
                continue
            if section == "capabilities" and isinstance(value, dict):
                cap = fw.capability(key)
                subs = [q.key for q in cap.questions]
                if not cap.composite:
                    problem((section, key), "takes one score (1-5), not sub-questions")
                    continue
                for sub, answer in value.items():
                    if sub not in subs:
                        problem((section, key, sub), f"unknown sub-question"
                                f"{did_you_mean(sub, subs)} (allowed: {', '.join(subs)})")
                    elif (msg := _score_problem(answer)) is not None:
                        problem((section, key, sub), msg)
                for sub in subs:
                    if sub not in value:
                        problem((section, key, sub), "missing (give every sub-question, or one "
                                "score for the capability)")
                continue
            if (msg := _score_problem(value)) is not None:
                problem((section, key), msg)
        for key in allowed:
            if key not in given:
                problem((section, key), "missing (a score from 1 to 5 is required)")

    check_scores("capabilities", fw.capability_keys, True)
    check_scores("effects", fw.effect_keys, True)
    check_scores("impact", list(IMPACTS), True)

    ranking = data.get("ranking")
    if ranking is not None:
        if not isinstance(ranking, list):
            problem(("ranking",), "must be a list of capability keys, most important first")
        else:
            for i, key in enumerate(ranking):
                if key not in fw.capability_keys:
                    problem(("ranking", i), f"unknown capability '{key}'"
                            f"{did_you_mean(key, fw.capability_keys)}")
            if len(set(map(str, ranking))) != len(ranking):
                problem(("ranking",), "names a capability more than once")
            elif len(ranking) != len(fw.capability_keys) and all(
                    k in fw.capability_keys for k in ranking):
                missing = [k for k in fw.capability_keys if k not in ranking]
                problem(("ranking",), f"must rank all {len(fw.capability_keys)} capabilities; "
                        f"missing: {', '.join(missing)}")

    targets = data.get("targets")
    if targets is not None:
        if not isinstance(targets, dict):
            problem(("targets",), "must map capability keys to the score to reach (1-5)")
        else:
            for key, value in targets.items():
                if key not in fw.capability_keys:
                    problem(("targets", key), "unknown capability"
                            f"{did_you_mean(key, fw.capability_keys)} "
                            f"(allowed: {', '.join(fw.capability_keys)})")
                elif (msg := _score_problem(value)) is not None:
                    problem(("targets", key), msg)

    scores_checked = {"capabilities", "effects", "impact", "ranking", "targets"}
    invalid = dict(_invalid_scalars({k: v for k, v in data.items()
                                     if k not in scores_checked}))
    for loc, value in invalid.items():
        problem(loc, value.problem)
    if isinstance(data.get("name"), str) and (missing := missing_glyphs(data["name"])):
        problem(("name",), f"the briefing's fonts cannot draw {describe(missing)} (allowed: "
                "Latin, Greek and Cyrillic letters, digits, punctuation and common symbols)")

    # The remaining keys and types: pydantic, with its messages made plainer.
    try:
        Profile.model_validate({k: v for k, v in data.items() if k not in scores_checked}
                               | {"capabilities": {}, "effects": {}, "impact": {}})
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
            elif loc == ("id",):
                problem(loc, f"'{data.get('id')}' is not a valid id (allowed: lower-case "
                        "letters, digits and '-', e.g. region-x)")
            else:
                problem(loc, err["msg"].replace("Input should be", "must be"))
    if problems:
        raise InputError(problems)

    profile = Profile.model_validate(data)
    scores: dict[str, float] = {}
    answers: dict[str, dict[str, float]] = {}
    for key, value in profile.capabilities.items():
        if isinstance(value, dict):
            answers[key] = {k: float(v) for k, v in value.items()}
            scores[key] = sum(answers[key].values()) / len(answers[key])
        else:
            scores[key] = float(value)
    for key, target in profile.targets.items():
        now = round1(scores[key])
        if target <= now:
            problem(("targets", key), f"{target:g} is not above today's score {now:g} "
                    f"(allowed: a score above {now:g}, up to 5)")
    if problems:
        raise InputError(problems)
    return Org(profile=profile, source=name,
               capability_scores={k: scores[k] for k in fw.capability_keys},
               capability_answers=answers)
