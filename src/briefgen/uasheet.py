"""WeasyPrint's user-agent stylesheet, less the rules a briefing never uses.

WeasyPrint 70 matches its whole HTML user-agent stylesheet against every element of every
briefing. Some of its rules are tested on each element whatever its name: the
direction-dependent margins (``[dir=rtl i] dd``, ...), the pseudo-elements of footnotes and
notes (``::footnote-call``, ``::note-marker``, ...) and ``::marker`` on any element. A
briefing has no ``dir`` attributes (Swedish and English), no footnotes and no form fields, and
only list items have markers. :func:`stylesheet` is WeasyPrint's own file with those rules
left out and ``::marker`` narrowed to ``li::marker``: about 3 % of a warm render (by
``bench/compare.py``), the same PDF byte for byte (tested). Everything else (display, margins,
tables, lists, headings, the page's margin boxes) is kept as it is; the counter styles stay
with WeasyPrint (see :func:`trimmed`).

:class:`BriefingHTML` is :class:`weasyprint.HTML` with that stylesheet; the renderer uses it
for the shipped templates only (a user's ``--templates`` might use footnotes or ``dir``). The
file is read from the installed WeasyPrint (pinned), so an upgrade brings its new rules along.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from weasyprint import CSS, HTML

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_FORM_FIELD = re.compile(r"\b(input|button|select|textarea|keygen|option|optgroup)\b")


def _kept(selector: str, declarations: str) -> str | None:
    """The selector to keep for a rule with ``declarations``, or None to leave it out."""
    if selector.startswith(("::footnote", "::note")) or _FORM_FIELD.search(selector):
        return None
    if "[dir" in selector and declarations.split(":")[0].strip() != "direction":
        return None
    return "li::marker" if selector == "::marker" else selector


def trimmed(source: str) -> str:
    """``source`` (WeasyPrint's user-agent stylesheet) without the rules described above.

    The ``@counter-style`` rules go too: WeasyPrint keeps the ones it parsed from this file
    for every document anyway (``HTML._ua_counter_style``), whatever the stylesheet.
    """
    kept: list[str] = []
    for prelude, body in _rules(_COMMENT.sub("", source)):
        if prelude.startswith("@"):
            if not prelude.startswith("@counter-style"):
                kept.append(f"{prelude} {{{body}}}")  # @page with its margin boxes
            continue
        declarations = body.strip()
        selectors = [kept_selector for s in _top_level_commas(prelude)
                     if (kept_selector := _kept(s.strip(), declarations))]
        if selectors:
            kept.append(f"{', '.join(selectors)} {{ {declarations} }}")
    return "\n".join(kept)


def _rules(css: str) -> list[tuple[str, str]]:
    """(prelude, body) of each top-level rule; a body may hold nested blocks (``@page``).

    Enough for WeasyPrint's file, which has no braces in its strings (tested).
    """
    rules, depth, start, open_at = [], 0, 0, 0
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0:
                open_at = index
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                rules.append((css[start:open_at].strip(), css[open_at + 1:index]))
                start = index + 1
    return rules


def _top_level_commas(prelude: str) -> list[str]:
    """Split a selector list at the commas outside parentheses (``:is(a, b)`` stays whole)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(prelude):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(prelude[start:index])
            start = index + 1
    return [*parts, prelude[start:]]


@cache
def stylesheet() -> CSS:
    """The trimmed stylesheet, parsed once per process."""
    source = (resources.files("weasyprint.css") / "html5_ua.css").read_text(encoding="utf-8")
    return CSS(string=trimmed(source))


class BriefingHTML(HTML):
    """:class:`weasyprint.HTML` whose user-agent stylesheet is :func:`stylesheet`."""

    def _ua_stylesheets(self, forms=False):
        return super()._ua_stylesheets(forms) if forms else [stylesheet()]
