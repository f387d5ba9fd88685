"""The exceptions briefgen raises; the CLI turns each into one line and an exit code."""

from __future__ import annotations


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
