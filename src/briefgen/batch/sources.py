"""The organisations of a batch: profiles from a folder or a sheet, or a survey's respondents.

Every organisation is validated here, in the batch's own process; a bad row comes back with
the reason it is unusable, and the others go on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import InputError, one_line
from ..load import DataBundle, load_org, raw_assessment, validate_profile, with_previous
from ..models import Org
from ..tabular import Row, is_survey, read_rows


def _history(rows: list[Row]) -> dict[int, str]:
    """Which profiles of a folder are not briefed on their own, and why, by position.

    Several profiles with one id are one organisation's assessments: the latest is briefed,
    the earlier ones are its history (``Row.earlier_of`` is set). When one of them has no valid
    date, which is current cannot be told: the others are not briefed either (the undated one
    fails with its own reason). Two on the latest date: the second fails as a repeated id.
    """
    groups: dict[str, list[tuple[int, dt.date | None]]] = {}
    for index, row in enumerate(rows):
        found = raw_assessment(row.data) if row.path is not None and not row.error else None
        if found is not None:
            groups.setdefault(found[0], []).append((index, found[1]))
    reasons: dict[int, str] = {}
    for org_id, members in groups.items():
        if len(members) < 2:
            continue
        undated = [i for i, when in members if when is None]
        if undated:
            for index, when in members:
                if when is not None:
                    reasons[index] = (f"{rows[index].name}: not briefed: "
                                      f"{rows[undated[0]].name} is also a profile of "
                                      f"'{org_id}' and has no valid assessed date, so which "
                                      "of them is the current one cannot be told")
            continue
        dated = [(i, when) for i, when in members if when is not None]
        newest = max(when for _, when in dated)
        current = next(i for i, when in dated if when == newest)
        for index, when in dated:
            if when < newest:
                rows[index].earlier_of = rows[current].name
                reasons[index] = (f"{rows[index].name}: an earlier assessment of '{org_id}' "
                                  f"({when}); its current profile is {rows[current].name} "
                                  f"({newest})")
    return reasons


def load_rows(rows: Iterable[Row], bundle: DataBundle,
              sheet: Path | None = None) -> Iterator[tuple[Row, Org | None, str]]:
    """Validate each row; yield it with its :class:`Org`, or with the reason it is unusable
    (or, for an organisation's earlier assessment, why it is not briefed on its own).

    ``sheet``: the CSV/XLSX file the rows come from; an earlier profile a row names
    (``previous``) is looked up beside it.
    """
    rows = list(rows)  # bounded by tabular.MAX_ROWS; grouped by organisation first
    history = _history(rows)
    seen: dict[str, str] = {}
    for index, row in enumerate(rows):
        if row.error:
            yield row, None, row.error
            continue
        if index in history:
            yield row, None, history[index]
            continue
        try:
            if row.path is not None:
                org = load_org(row.path, bundle)
            else:  # a sheet's row: an earlier profile it names lies beside the sheet
                org = validate_profile(row.data, bundle, row.name)
                if org.profile.previous and sheet is None:
                    raise InputError(f"{row.name}: previous: allowed only in a profile file "
                                     "or a sheet's row")
                if sheet is not None:
                    org = with_previous(org, sheet, row.name, None, bundle)
        except InputError as exc:
            yield row, None, one_line(str(exc))
            continue
        except (ValueError, TypeError, RecursionError) as exc:  # one bad row, not a failed batch
            yield row, None, f"{row.name}: unreadable ({type(exc).__name__}: {str(exc)[:160]})"
            continue
        if org.id in seen:
            yield row, None, (f"{row.name}: id: '{org.id}' is also used by {seen[org.id]}"
                              f"{' (assessed the same day)' if row.path else ''}")
            continue
        seen[org.id] = row.name
        yield row, org, ""


def survey_orgs(source: Path, bundle: DataBundle) -> Iterator[tuple[Row, Org | None, str]]:
    """Each organisation of a survey, aggregated over its respondents."""
    from ..survey.aggregate import survey_org  # pandas: only for surveys
    from ..survey.read import read_survey

    survey = read_survey(source, bundle)
    first_rows = survey.frame.groupby("org_id")["row"].min()  # once, not a scan per organisation
    for org_id in survey.org_ids():
        row = Row(number=int(first_rows[org_id]), name=f"{survey.source} ({org_id})",
                  data={"id": org_id})
        try:
            yield row, survey_org(survey, org_id, bundle), ""
        except InputError as exc:
            yield row, None, one_line(str(exc))


def source_orgs(source: Path, bundle: DataBundle) -> Iterator[tuple[Row, Org | None, str]]:
    """The organisations of a batch: profiles (folder, sheet) or a survey of respondents."""
    if source.is_file() and is_survey(source):
        return survey_orgs(source, bundle)
    return load_rows(read_rows(source), bundle, source if source.is_file() else None)
