"""One rule for every spreadsheet cell briefgen writes or reads back: text stays text.

A spreadsheet runs a cell that starts like a formula (``=``, ``+``, ``-``, ``@``, a tab or a
carriage return), so text from the input (an organisation's name, a comment) could otherwise
become a live formula in a consultant's Excel. The rule, for every file the tool writes (the
kit's workbook, the batch manifest, the answers export):

- XLSX: text is stored as a string cell, never a formula, and formula-like text carries Excel's
  quote prefix (shown as typed text when edited). Nothing is added to the value itself.
- CSV: formula-like text gets a leading apostrophe, as spreadsheets write it. So that this
  survives a round trip, text that already starts with an apostrophe followed by a formula
  character or another apostrophe gets one too, and :func:`from_csv` takes exactly one away
  from such text. Any text written by :func:`to_csv` reads back equal through :func:`from_csv`.
- Reading text back (:func:`read_text`), the readers trim the whitespace around it, except
  around text that starts like a formula: the guard says it was written so on purpose.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as the start of a formula."""
    return text.startswith(FORMULA_START)


def _quoted(text: str) -> bool:
    """``text`` starts with the apostrophe :func:`to_csv` adds (followed by what it guards)."""
    return text[:1] == _QUOTE and (formula_like(text[1:]) or text[1:2] == _QUOTE)


def to_csv(value: Any) -> Any:
    """A CSV cell a spreadsheet shows and never runs; numbers and None pass unchanged."""
    if isinstance(value, str) and (formula_like(value) or _quoted(value)):
        return _QUOTE + value
    return value


def from_csv(value: Any) -> Any:
    """A CSV cell as it was before :func:`to_csv`."""
    if isinstance(value, str) and _quoted(value):
        return value[1:]
    return value


def read_text(text: str) -> str:
    """Text from a cell (after :func:`from_csv` for a CSV) as the readers take it: without
    the whitespace around it, unless it starts like a formula, when it is kept as written.

    ``read_text(read_text(x)) == read_text(x)``: text kept in this form (the answers' database
    keeps organisation names so) reads back from any export unchanged.
    """
    return text if formula_like(text) else text.strip()


def set_xlsx(cell: Any, value: Any) -> None:
    """Put ``value`` in an openpyxl cell: numbers (not booleans) and dates as themselves,
    everything else as text that is never a formula."""
    import datetime as dt

    if value is None or (isinstance(value, (int, float, dt.date)) and not isinstance(value, bool)):
        cell.value = value
        return
    text = str(value)
    cell.value = text
    cell.data_type = "s"              # a string cell, whatever the text starts with
    if formula_like(text):
        cell.quotePrefix = True       # and Excel keeps it text when the cell is edited
