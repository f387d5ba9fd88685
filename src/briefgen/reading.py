"""Read small input files safely: the size checked first, UTF-8, and YAML without surprises.

Every file briefgen reads from a user (profiles, benchmarks, the data files, briefgen.toml, a
cover note, a logo) goes through here: :func:`read_bytes` and :func:`read_text` read only a
regular file (a FIFO or a device would hang the read) and never more than their limit, and
:func:`read_yaml` is PyYAML's safe loader that also refuses duplicate keys, alias bombs and
tags, keeps the node tree for line numbers (:func:`line_of`), and turns an impossible value
(2026-02-30) into an :class:`InvalidScalar` that validation reports with its line. Messages
name the file as the user gave it (:func:`display_path`).
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from .errors import InputError

MAX_YAML_BYTES = 1_000_000
MAX_ALIASES = 100


# libyaml's parser where PyYAML has it (ten times faster: the data files are read on every cold
# start); the constructors below are Python either way.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[misc, valid-type]  # chosen at import time
    """SafeLoader that also refuses duplicate keys (aliases are counted in _check_expansion)."""

    def construct_mapping(self, node, deep=False):
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
    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return InvalidScalar(node.value, "is not a valid date (allowed: a date such as "
                                 "2026-10-15)")

    def construct_yaml_int(self, node):
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            return InvalidScalar(node.value, f"is a number of {len(node.value):,} digits, far "
                                 "too large")


class InvalidScalar(str):
    """A YAML value that parses as no valid value of its type; ``problem`` says why.

    A ``str`` so that every later step can show it, shortened, in a message.
    """

    problem: str

    def __new__(cls, text: str, problem: str) -> InvalidScalar:
        shown = text if len(text) <= 24 else f"{text[:12]}...{text[-6:]}"
        value = super().__new__(cls, shown)
        value.problem = f"'{shown}' {problem}"
        return value


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def invalid_scalars(data: Any, loc: tuple = ()) -> Iterator[tuple[tuple, InvalidScalar]]:
    """Every :class:`InvalidScalar` in a parsed document, with its key path."""
    if isinstance(data, InvalidScalar):
        yield loc, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from invalid_scalars(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from invalid_scalars(value, (*loc, i))


MAX_EXPANDED_NODES = 100_000


def _check_expansion(root: yaml.Node, name: str) -> None:
    """Refuse a document with many aliases, or whose aliases expand to a huge (or endless) tree.

    Few aliases can still nest into a billion values ("billion laughs"); anything that later
    walks the data would then hang. Count the values as if every alias were copied out.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    aliases = 0  # each use of an alias (*) reaches a node a second time
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
        if key in sizes or key in active:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise InputError(f"{name}:{node.start_mark.line + 1}: malformed YAML: more than "
                                 f"{MAX_ALIASES} aliases (&/*): refused")
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


def display_path(path: Path) -> str:
    """Show a path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _refuse_irregular(mode: int, name: str) -> None:
    if not stat.S_ISREG(mode):
        raise InputError(f"{name}: is {_kind(mode)}, not a regular file; reading it could wait "
                         "forever or never end (allowed: a file saved on disk)")


def regular_size(path: Path, name: str) -> int:
    """The size of ``path``, which must be a regular file: a FIFO, device or socket (which a
    read would wait on, or never finish) is refused before anything opens it."""
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(f"{name}: cannot read the file ({exc.strerror})") from None
    _refuse_irregular(info.st_mode, name)
    return info.st_size


def open_regular(path: Path, name: str) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file, checked on the open file itself.

    Opened without blocking, so a FIFO put in place after :func:`regular_size` looked is
    refused too, instead of waiting for a writer.
    """
    regular_size(path, name)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputError(f"{name}: cannot read the file ({exc.strerror})") from None
    try:
        _refuse_irregular(os.fstat(fd).st_mode, name)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, name: str, limit: int) -> bytes:
    """A file's bytes, its size checked first: never more than ``limit`` + 1 bytes are read."""
    size = regular_size(path, name)
    if size > limit:
        raise InputError(f"{name}: the file is {size:,} bytes; at most {limit:,} allowed")
    try:
        with open_regular(path, name) as fh:
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
    name = display_path(path)
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


def line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """The line (1-based) of the value at ``loc`` in a composed YAML tree, or its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(part)), None)
            key = next((k for k, v in node.value if k.value == str(part)), None)
            if child is None or key is None:
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
