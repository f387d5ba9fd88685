"""The exceptions briefgen raises; the CLI turns each into one line and an exit code."""

from __future__ import annotations

import re


class BriefgenError(Exception):
    """Base class: something the user can fix. ``str(err)`` is the message shown."""

    exit_code = 2


class InputError(BriefgenError):
    """An input file (profile, survey, spreadsheet) is missing, malformed or out of range.

    ``problems`` holds every problem found, each already phrased as
    ``file: field: what is wrong (what is allowed)``.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(self.problems[0] if len(self.problems) == 1 else
                         f"{len(self.problems)} problems:\n  " + "\n  ".join(self.problems))


class DataError(InputError):
    """The framework, benchmark, recommendation or rules data is inconsistent."""


class RenderError(BriefgenError):
    """The PDF could not be produced (a template, font or asset problem)."""

    exit_code = 1


class OutputError(BriefgenError):
    """A file could not be written (disk full, no permission); the message names the path."""

    exit_code = 1


# C0 and C1 control characters (but the newline that separates problems), and the Unicode
# controls that reorder text on a terminal (bidi embeddings, overrides and isolates).
_UNPRINTABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e"
                          "\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters shown escaped (``\\x1b``), safe to print to a terminal."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def one_line(text: str) -> str:
    """A message of several lines (an :class:`InputError`'s problems) as one line."""
    return "; ".join(part.strip() for part in text.splitlines() if part.strip())
