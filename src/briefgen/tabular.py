"""Read many organisation profiles at once: a CSV or XLSX sheet (one organisation per row) or a
folder of YAML profiles.

A sheet's columns are named by the profile's keys in dotted form
(``capabilities.data_access_security.insight``); each row becomes a profile dict as a YAML file
would give it. Reading streams and is bounded: files above :data:`MAX_TABLE_BYTES` or with more
than :data:`MAX_ROWS` rows are refused with a message saying so. Problems with the file itself
(unreadable, not UTF-8, no ``id`` column, clashing columns) raise :class:`InputError`; problems
with one row are returned with that row, so the other rows can go on.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cells import from_csv, read_text
from .errors import InputError
from .reading import display_path, open_regular, read_yaml, regular_size

log = logging.getLogger(__name__)

# Limits that bound the time and memory of reading (figures measured in docs/batch.md).
MAX_TABLE_BYTES = 50_000_000        # a CSV or XLSX file on disk
MAX_XLSX_UNPACKED = 100_000_000     # an XLSX is a zip: its unpacked size, against zip bombs
MAX_XLSX_SHEET = 50_000_000         # one worksheet's XML, unpacked (parsed at ~2.5 MB/s)
MAX_XLSX_PART = 10_000_000          # any other part, shared strings included (read whole)
MAX_ROWS = 20_000                   # every row's validated profile stays in memory (~5 kB)
MAX_COLUMNS = 500
MAX_CELLS = 1_000_000               # cells read, blank rows included (~90,000 per second)
MAX_CELL_CHARS = 2_000
MAX_LINE_CHARS = MAX_COLUMNS * MAX_CELL_CHARS   # one physical line of a CSV
MAX_RECORD_LINES = 100              # physical lines of one CSV record (quoted line breaks)
MAX_PROFILES = MAX_ROWS             # YAML files in a folder

YAML_SUFFIXES = (".yaml", ".yml")
SCORE_SECTIONS = ("capabilities", "effects", "impact")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class Row:
    """One organisation read from the input, before validation."""

    number: int                 # the sheet's row number (header = 1), or the file's index
    name: str                   # where it came from, for messages: "clients.csv row 5"
    data: dict[str, Any] | None  # the profile, as a YAML file would give it
    error: str | None = None    # why the row could not be read (then data is None)
    path: Path | None = None    # the YAML file, for a folder of profiles
    earlier_of: str = ""        # set by batch.sources: the current profile, when this is an
                                # earlier assessment of the same organisation (not briefed)

    @property
    def raw_id(self) -> str:
        value = (self.data or {}).get("id")
        return value if isinstance(value, str) else ""


def read_rows(source: Path) -> Iterator[Row]:
    """Yield the organisations of a CSV/XLSX file or a folder of YAML profiles, in order."""
    source = Path(source)
    if source.is_dir():
        yield from read_folder(source)
        return
    if not source.exists():
        raise InputError(f"{source}: not found (give a folder of .yaml profiles, a .csv or an "
                         ".xlsx file)")
    suffix = source.suffix.lower()
    if suffix == ".csv":
        yield from read_csv(source)
    elif suffix == ".xlsx":
        yield from read_xlsx(source)
    elif suffix in YAML_SUFFIXES:
        yield from _yaml_rows([source])
    else:
        raise InputError(f"{source}: unsupported input '{suffix or source.name}' (allowed: a "
                         "folder of .yaml profiles, a .csv or an .xlsx file)")


# --------------------------------------------------------------------------- YAML folder


def read_folder(folder: Path) -> Iterator[Row]:
    # Every .yaml entry, not only regular files: a FIFO or a broken link among the profiles
    # fails its row with the reason (read_yaml refuses it) instead of vanishing from the batch.
    paths = sorted(p for p in folder.iterdir()
                   if p.suffix.lower() in YAML_SUFFIXES and not p.name.startswith("."))
    if not paths:
        raise InputError(f"{display_path(folder)}: no .yaml profiles in this folder")
    if len(paths) > MAX_PROFILES:
        raise InputError(f"{display_path(folder)}: {len(paths):,} profiles; at most "
                         f"{MAX_PROFILES:,} in one batch (split the folder)")
    yield from _yaml_rows(paths)


def _yaml_rows(paths: list[Path]) -> Iterator[Row]:
    for number, path in enumerate(paths, start=1):
        name = display_path(path)
        try:
            data, _ = read_yaml(path)
        except InputError as exc:
            yield Row(number, name, None, str(exc), path=path)
            continue
        yield Row(number, name, data if isinstance(data, dict) else None,
                  None if isinstance(data, dict) else
                  f"{name}: a profile must be a mapping of keys (id, name, level, ...)",
                  path=path)


# --------------------------------------------------------------------------- sheets


def check_size(path: Path, name: str | None = None) -> None:
    """Refuse a sheet (CSV or XLSX, batch or survey) that is no regular file (a FIFO would
    hang the read) or is larger than ``MAX_TABLE_BYTES`` on disk."""
    name = name or display_path(path)
    size = regular_size(path, name)
    if size > MAX_TABLE_BYTES:
        raise InputError(f"{name}: the file is {size:,} bytes; at most "
                         f"{MAX_TABLE_BYTES:,} allowed (split it into several files)")


def _columns(header: list[Any], name: str) -> list[tuple[str, ...] | None]:
    """Check the header row; return each column's key path (None for an empty column)."""
    if len(header) > MAX_COLUMNS:
        raise InputError(f"{name}: {len(header)} columns; at most {MAX_COLUMNS} allowed")
    columns: list[tuple[str, ...] | None] = []
    seen: dict[tuple[str, ...], int] = {}
    problems = []
    for i, cell in enumerate(header, start=1):
        text = "" if cell is None else str(cell).strip()
        if not text:
            columns.append(None)
            continue
        parts = tuple(p.strip() for p in text.split("."))
        if any(not p for p in parts):
            problems.append(f"{name} row 1 column {i}: '{text}' is not a dotted key such as "
                            "capabilities.partnerships")
        elif parts in seen:
            problems.append(f"{name} row 1 column {i}: '{text}' repeats column {seen[parts]}")
        seen.setdefault(parts, i)
        columns.append(parts)
    keys = set(seen)
    for parts, i in seen.items():
        for n in range(1, len(parts)):
            if parts[:n] in keys:
                problems.append(f"{name} row 1 column {i}: '{'.'.join(parts)}' clashes with "
                                f"column '{'.'.join(parts[:n])}' (give one score or every "
                                "sub-question, not both)")
    if ("id",) not in keys:
        problems.append(f"{name} row 1: no 'id' column (the header row must name the profile's "
                        "keys: id, name, level, assessed, capabilities.partnerships, ...)")
    if problems:
        raise InputError(problems)
    return columns


def _value(parts: tuple[str, ...], cell: Any) -> Any:
    """Turn a cell into what a YAML profile would hold at that key."""
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if not isinstance(cell, str):
        return cell
    text = cell.strip()
    if parts[0] in SCORE_SECTIONS:
        if _NUMBER.match(text):
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
        if _DECIMAL_COMMA.match(text):  # a Swedish spreadsheet's 3,5
            return float(text.replace(",", "."))
    if parts == ("ranking",):
        return [k.strip() for k in re.split(r"[;,|\s]+", text) if k.strip()]
    return read_text(cell)


class _RowProblem(Exception):
    """One row cannot be read; the others go on."""


def _profile(columns: list[tuple[str, ...] | None], cells: list[Any], name: str) -> dict:
    data: dict[str, Any] = {}
    for i, cell in enumerate(cells):
        parts = columns[i] if i < len(columns) else None
        empty = cell is None or (isinstance(cell, str) and not cell.strip())
        if parts is None:
            if not empty and i >= len(columns):
                raise _RowProblem(f"{name}: column {i + 1}: a value beyond the last named "
                                  f"column ({str(cell)[:40]!r}); add a header or remove it")
            continue
        if empty:
            continue  # a blank cell is a missing key; validation says if it is required
        if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
            raise _RowProblem(f"{name}: {'.'.join(parts)}: the cell has {len(cell):,} "
                              f"characters; at most {MAX_CELL_CHARS:,} allowed")
        target = data
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = _value(parts, cell)
    return data


def _rows(name: str, header: list[Any], records: Iterator[tuple[int, list[Any]]]) -> Iterator[Row]:
    columns = _columns(header, name)
    count = 0
    cells_read = len(header)
    for number, cells in records:
        cells_read += max(len(cells), 1)
        if cells_read > MAX_CELLS:
            raise InputError(f"{name}: more than {MAX_CELLS:,} cells (blank ones included); "
                             "split the file")
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue  # blank rows in a sheet are common; skip them quietly
        count += 1
        if count > MAX_ROWS:
            raise InputError(f"{name}: more than {MAX_ROWS:,} rows; split the file")
        where = f"{name} row {number}"
        try:
            yield Row(number, where, _profile(columns, cells, where))
        except _RowProblem as exc:
            yield Row(number, where, None, str(exc))


class _BoundedLines:
    """A text file's lines for ``csv.reader``, each at most :data:`MAX_LINE_CHARS` long and at
    most :data:`MAX_RECORD_LINES` to one record: one record never holds more than that."""

    def __init__(self, fh: Any, name: str):
        self.fh, self.name = fh, name
        self.line = self.record_start = 0

    def record_done(self) -> None:
        self.record_start = self.line

    def __iter__(self) -> Iterator[str]:
        while True:
            line = self.fh.readline(MAX_LINE_CHARS + 1)
            if not line:
                return
            self.line += 1
            if len(line) > MAX_LINE_CHARS:
                raise InputError(f"{self.name} line {self.line}: longer than "
                                 f"{MAX_LINE_CHARS:,} characters; not a sheet of profiles")
            if self.line - self.record_start > MAX_RECORD_LINES:
                raise InputError(f"{self.name} line {self.line}: one row spans more than "
                                 f"{MAX_RECORD_LINES} lines (an unclosed quote?)")
            yield line


def read_csv(path: Path) -> Iterator[Row]:
    """Read a CSV (UTF-8, optionally with a BOM; delimiter , ; or tab, found from the header)."""
    check_size(path)
    name = display_path(path)
    with open_regular(path, name) as fh:
        head = fh.read(65536)
    if b"\x00" in head:
        raise InputError(f"{name}: holds NUL bytes; this is not a text CSV (save it from the "
                         "spreadsheet as 'CSV UTF-8')")
    first = head.split(b"\n", 1)[0]
    delimiter = csv_delimiter(first)
    with io.TextIOWrapper(open_regular(path, name), encoding="utf-8-sig", newline="") as text:
        lines = _BoundedLines(text, name)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise InputError(f"{name}: the file is empty (expected a header row naming the "
                                 "profile's keys)")
            lines.record_done()

            def records() -> Iterator[tuple[int, list[Any]]]:
                number = 1
                for cells in reader:
                    lines.record_done()
                    number += 1
                    if any("\x00" in c for c in cells):
                        raise InputError(f"{name} row {number}: holds NUL bytes; not a text CSV")
                    # The guard briefgen's own sheets put on formula-like text (cells.py).
                    yield number, [from_csv(c) for c in cells]

            yield from _rows(name, header, records())
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: not UTF-8 text (byte {exc.start} of a block); save it "
                             "from the spreadsheet as 'CSV UTF-8'") from None
        except csv.Error as exc:
            raise InputError(f"{name} line {reader.line_num}: malformed CSV: {exc}") from None


def csv_delimiter(first_line: str | bytes) -> str:
    """A CSV's delimiter, by its first line: the most frequent of , ; and tab (',' on a tie)."""
    line = first_line if isinstance(first_line, str) else first_line.decode("utf-8", "replace")
    return max((",", ";", "\t"), key=line.count)


def is_survey(path: Path) -> bool:
    """Whether a .csv/.xlsx holds survey answers (a ``respondent`` column), not profiles."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with io.TextIOWrapper(open_regular(path, display_path(path)),
                                  encoding="utf-8-sig", newline="") as fh:
                first = fh.readline(65536)
            delimiter = csv_delimiter(first)
            header = next(csv.reader([first], delimiter=delimiter), [])
            return "respondent" in [h.strip() for h in header]
        if suffix == ".xlsx":
            check_xlsx(path, display_path(path))
            import openpyxl

            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                for sheet in workbook.worksheets:
                    top = next(sheet.iter_rows(max_row=1, values_only=True), ())
                    if "respondent" in [str(v).strip() for v in top if v is not None]:
                        return True
            finally:
                workbook.close()
    except (OSError, UnicodeDecodeError, csv.Error):
        return False  # the readers proper will say what is wrong
    except InputError:
        raise
    except Exception:  # a damaged workbook: read_xlsx reports it
        return False
    return False


def check_xlsx(path: Path, name: str, limit: int = MAX_XLSX_UNPACKED) -> None:
    """Refuse a file that is no zip, or whose members unpack to more than ``limit`` bytes.

    The sizes come from the zip's directory, so a zip bomb is refused before anything is
    unpacked.
    """
    try:
        with open_regular(path, name) as fh, zipfile.ZipFile(fh) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(f"{name}: not an XLSX workbook (save it as 'Excel Workbook .xlsx')") \
            from None
    unpacked = sum(info.file_size for info in members)
    if unpacked > limit:
        raise InputError(f"{name}: unpacks to {unpacked:,} bytes; at most {limit:,} allowed")
    # zipfile never unpacks more than a member's declared size, so these bound what is read.
    for info in members:
        sheet = info.filename.startswith("xl/worksheets/")
        cap = MAX_XLSX_SHEET if sheet else MAX_XLSX_PART
        if info.file_size > cap:
            what = "a worksheet" if sheet else f"the part {info.filename[:60]}"
            raise InputError(f"{name}: {what} unpacks to {info.file_size:,} bytes; at most "
                             f"{cap:,} allowed (split the file)")


def read_xlsx(path: Path) -> Iterator[Row]:
    """Read the first worksheet of an XLSX workbook (cached values of formulas)."""
    check_size(path)
    name = display_path(path)
    check_xlsx(path, name)
    import openpyxl  # imported here: only sheets need it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"{name}: cannot read the workbook ({type(exc).__name__}: "
                         f"{str(exc)[:120]})") from None
    try:
        sheet = workbook.worksheets[0]
        # Never wider than the limit: a sheet may claim a million columns in its dimension.
        rows = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
        header = next(rows, None)
        if header is None:
            raise InputError(f"{name}: the first worksheet is empty (expected a header row "
                             "naming the profile's keys)")
        header = list(header)
        while header and header[-1] is None:
            header.pop()
        width = max(len(header), 1)
        records = ((number, list(cells[:width + 1]))
                   for number, cells in enumerate(rows, start=2))
        yield from _rows(name, header, records)
    finally:
        workbook.close()

