"""The organisations of a batch: profiles from a folder or a sheet, or a survey's respondents.

Every organisation is validated here, in the batch's own process; a bad row comes back with
the reason it is unusable, and the others go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import InputError, one_line
from ..load import DataBundle, load_org, validate_profile
from ..models import Org
from ..tabular import Row, is_survey, read_rows


def load_rows(rows: Iterable[Row], bundle: DataBundle) -> Iterator[tuple[Row, Org | None, str]]:
    """Validate each row; yield it with its :class:`Org`, or with the reason it is unusable."""
    seen: dict[str, str] = {}
    for row in rows:
        if row.error:
            yield row, None, row.error
            continue
        try:
            org = (load_org(row.path, bundle) if row.path is not None
                   else validate_profile(row.data, bundle, row.name))
        except InputError as exc:
            yield row, None, one_line(str(exc))
            continue
        except (ValueError, TypeError, RecursionError) as exc:  # one bad row, not a failed batch
            yield row, None, f"{row.name}: unreadable ({type(exc).__name__}: {str(exc)[:160]})"
            continue
        if org.id in seen:
            yield row, None, f"{row.name}: id: '{org.id}' is also used by {seen[org.id]}"
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
    return load_rows(read_rows(source), bundle)
