"""The answer columns of a survey, in questionnaire order, derived from the framework.

A survey is a table with one row per respondent (see ``docs/survey.md``): who answered
(:data:`META`: ``org_id``, ``org_name``, ``level``, ``respondent``, ``date``), how important the
digital agenda is (``importance``), and one column per question of the framework. Two kinds of
column may be left out (:data:`OPTIONAL`): the respondent's ``role``, and a free-text comment per
part of the form (``comment.capabilities``, ...), which is read but never reaches a briefing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Framework, Text

META = ("org_id", "org_name", "level", "respondent", "date", "importance")
ROLE = "role"
# The parts of the questionnaire, as the web form asks them; each may carry a comment.
PARTS = ("importance", "capabilities", "effects", "impact")
MAX_ROLE = 40          # characters of a role ("Ledningsgruppen", "IT", "Verksamhet")
MAX_COMMENT = 2000     # characters of one comment


def comment_key(part: str) -> str:
    """The survey column of a part's comment: ``comment.capabilities``."""
    return f"comment.{part}"


COMMENTS = tuple(comment_key(part) for part in PARTS)
OPTIONAL = (ROLE, *COMMENTS)


@dataclass(frozen=True)
class Column:
    """One answer column of the survey: its key, short heading and question."""

    key: str
    kind: str            # capability | impact | effect
    group: str           # the capability, impact or effect key it belongs to
    heading: Text
    question: Text


def answer_columns(fw: Framework) -> list[Column]:
    """Every answer column, in questionnaire order: capabilities, effect areas, impact."""
    cols = []
    for cap in fw.capabilities:
        for i, q in enumerate(cap.questions, 1):
            key = f"{cap.key}.{q.key}" if cap.composite else cap.key
            heading = cap.label
            if cap.composite:  # named by what it asks, not by its number
                short = q.short or Text(sv=f"{i}/{len(cap.questions)}",
                                        en=f"{i}/{len(cap.questions)}")
                heading = Text(sv=f"{cap.label.sv} ({short.sv})",
                               en=f"{cap.label.en} ({short.en})")
            cols.append(Column(key, "capability", cap.key, heading, q.text))
    for e in fw.effects:
        cols.append(Column(f"effects.{e.key}", "effect", e.key, e.label, e.question))
    for c in fw.impacts:
        cols.append(Column(f"impact.{c.key}", "impact", c.key, c.label, c.description))
    return cols
