"""The one spreadsheet-cell rule: text that starts like a formula stays text, in XLSX and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from briefgen.cells import from_csv, set_xlsx, to_csv

FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-x", "@SUM(A1)", "\tx", "\rx", "=1+1"]
PLAIN = ["Region X", "'t Hooft", "'", "", "Å-ström", "3-4", "x=1"]
TRICKY = ["'=1", "''", "''=x", "'+"]   # text that already starts with the CSV's guard


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_like_text_gets_a_guard_in_csv(text):
    assert to_csv(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_written_as_it_is(text):
    assert to_csv(text) == text


@pytest.mark.parametrize("value", FORMULAS + PLAIN + TRICKY + [3, 2.5, None])
def test_every_value_reads_back_through_a_real_csv(value):
    buffer = io.StringIO()
    csv.writer(buffer).writerow([to_csv(value)])
    (cell,) = next(csv.reader(io.StringIO(buffer.getvalue())))
    expected = "" if value is None else str(value)
    assert from_csv(cell) == expected
    assert not str(to_csv(value)).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_xlsx_keeps_text_text_and_numbers_and_dates_as_themselves():
    wb = openpyxl.Workbook()
    ws = wb.active
    values = FORMULAS + TRICKY + [3, 2.5, dt.date(2026, 3, 4), True]
    for row, value in enumerate(values, start=1):
        set_xlsx(ws.cell(row=row, column=1), value)
    buffer = io.BytesIO()
    wb.save(buffer)
    back = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    for row, value in enumerate(values, start=1):
        cell = back.cell(row=row, column=1)
        if isinstance(value, str):
            assert cell.data_type == "s" and cell.value == value, value
            assert cell.quotePrefix == value.startswith(("=", "+", "-", "@", "\t", "\r"))
        elif isinstance(value, bool):
            assert cell.value == "True"
        elif isinstance(value, dt.date):
            assert cell.value.date() == value and cell.is_date
        else:
            assert cell.value == value and cell.data_type == "n"


@pytest.mark.parametrize("text, read", [
    ("  Region X ", "Region X"), ("\tx", "\tx"), ("=x ", "=x "), (" =x", "=x"),
    ("'t Hooft ", "'t Hooft"), ("", ""), ("\r\n", "\r\n"), (" \t ", ""),
])
def test_read_text_trims_all_but_formula_like_text_and_is_idempotent(text, read):
    from briefgen.cells import read_text

    assert read_text(text) == read
    assert read_text(read_text(text)) == read_text(text)
