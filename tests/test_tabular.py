"""Reading many profiles: CSV and XLSX sheets with dotted columns, folders of YAML profiles."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from briefgen import tabular
from briefgen.batch.sources import load_rows
from briefgen.errors import InputError
from briefgen.tabular import read_rows

HEADER = ("id,name,level,assessed,importance,impact.optimise_tasks,"
          "impact.change_division_of_work,impact.change_task_portfolio,"
          "effects.relevant_services,effects.citizen_centric,effects.employee_empowerment,"
          "effects.cross_processes,capabilities.digital_leadership,"
          "capabilities.competence_diversity,capabilities.partnerships,"
          "capabilities.data_access_security.collect_store,"
          "capabilities.data_access_security.insight,capabilities.organisational_clarity,"
          "capabilities.new_working_methods,capabilities.agile_decisions,ranking")
GOOD = ("acme,Acme kommun,municipal,2026-03-01,top3,4,3,2,3.5,3,2.5,2,3,2.5,4,3,2,2.5,2,1.5,")


def write(tmp_path, text: str, name: str = "orgs.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_dotted_columns_become_a_profile(tmp_path, bundle):
    path = write(tmp_path, "\ufeff" + HEADER + "\n" + GOOD + "\n")
    [row] = list(read_rows(path))
    assert row.number == 2 and row.name.endswith("orgs.csv row 2")
    assert row.data["capabilities"]["data_access_security"] == {"collect_store": 3, "insight": 2}
    assert row.data["effects"]["relevant_services"] == 3.5
    assert "ranking" not in row.data  # a blank cell is a missing key
    [(_, org, error)] = list(load_rows([row], bundle))
    assert error == "" and org.id == "acme" and org.capability_scores["data_access_security"] == 2.5


def test_semicolon_csv_with_decimal_commas_and_a_ranking(tmp_path):
    header = HEADER.replace(",", ";")
    caps = ("digital_leadership, competence_diversity, partnerships, data_access_security, "
            "organisational_clarity, new_working_methods, agile_decisions")
    good = GOOD.replace(",", ";").replace("3.5", "3,5").replace("2.5", "2,5")[:-1] + f";{caps}"
    [row] = list(read_rows(write(tmp_path, f"{header}\n{good}\n")))
    assert row.data["effects"]["relevant_services"] == 3.5
    assert row.data["ranking"][:2] == ["digital_leadership", "competence_diversity"]


def test_a_bad_row_names_file_row_and_column(tmp_path, bundle):
    bad = GOOD.replace("acme,Acme", "bad,Bad").replace(",4,3,2,3.5", ",4,3,2,seven")
    path = write(tmp_path, f"{HEADER}\n{GOOD}\n{bad}\n\n{GOOD}\n")
    results = list(load_rows(read_rows(path), bundle))
    assert [r.number for r, _, _ in results] == [2, 3, 5]  # the blank line 4 is skipped
    _, org, error = results[1]
    assert org is None
    assert "orgs.csv row 3: effects.relevant_services: 'seven' is not a number" in error
    _, org, error = results[2]
    assert org is None and "id: 'acme' is also used by" in error and "row 2" in error


def test_value_beyond_the_header_is_a_row_problem(tmp_path):
    [row] = list(read_rows(write(tmp_path, f"{HEADER}\n{GOOD},surplus\n")))
    assert row.data is None and "row 2: column 22" in row.error and "surplus" in row.error


@pytest.mark.parametrize("header, message", [
    ("name,level", "row 1: no 'id' column"),
    ("id,name,id", "row 1 column 3: 'id' repeats column 1"),
    ("id,capabilities.partnerships,capabilities.partnerships.x", "clashes with column"),
    ("id,capabilities..x", "is not a dotted key"),
])
def test_unusable_header(tmp_path, header, message):
    with pytest.raises(InputError, match=message):
        list(read_rows(write(tmp_path, f"{header}\nx,y,z\n")))


def test_not_utf8_and_nul_bytes_are_refused(tmp_path):
    path = write(tmp_path, f"{HEADER}\nåäö,Åre kommun\n", encoding="latin-1")
    with pytest.raises(InputError, match="not UTF-8 text.*CSV UTF-8"):
        list(read_rows(path))
    path.write_bytes(b"id,name\nx,\x00\x00\n")
    with pytest.raises(InputError, match="NUL bytes"):
        list(read_rows(path))


def test_size_and_row_limits(tmp_path, monkeypatch):
    path = write(tmp_path, f"{HEADER}\n{GOOD}\n{GOOD.replace('acme', 'b')}\n")
    monkeypatch.setattr(tabular, "MAX_ROWS", 1)
    with pytest.raises(InputError, match="more than 1 rows; split the file"):
        list(read_rows(path))
    monkeypatch.setattr(tabular, "MAX_TABLE_BYTES", 100)
    with pytest.raises(InputError, match=r"the file is \d[\d,]* bytes; at most 100 allowed"):
        list(read_rows(path))


def test_xlsx_rows_match_the_csv_rows(tmp_path, bundle):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    cells: list = GOOD.split(",")
    cells[3] = dt.datetime(2026, 3, 1)  # Excel holds dates as datetimes
    cells = [c if i < 5 or c == "" else float(c) for i, c in enumerate(cells)]
    sheet.append([None if c == "" else c for c in cells])
    path = tmp_path / "orgs.xlsx"
    workbook.save(path)
    [xlsx_row] = list(read_rows(path))
    [csv_row] = list(read_rows(write(tmp_path, f"{HEADER}\n{GOOD}\n")))
    assert xlsx_row.number == 2 and xlsx_row.name.endswith("orgs.xlsx row 2")
    [(_, from_xlsx, _)] = list(load_rows([xlsx_row], bundle))
    [(_, from_csv, _)] = list(load_rows([csv_row], bundle))
    assert from_xlsx.profile == from_csv.profile


def test_broken_xlsx_and_unknown_suffix(tmp_path):
    with pytest.raises(InputError, match="not an XLSX workbook"):
        list(read_rows(write(tmp_path, "id,name\n", name="fake.xlsx")))
    with pytest.raises(InputError, match="unsupported input '.txt'"):
        list(read_rows(write(tmp_path, "x", name="orgs.txt")))


def test_folder_of_profiles(tmp_path, region_x_profile):
    import yaml

    (tmp_path / "a.yaml").write_text(yaml.safe_dump(region_x_profile), "utf-8")
    (tmp_path / "b.yaml").write_text("id: [unclosed\n", "utf-8")
    rows = list(read_rows(tmp_path))
    assert [r.path.name for r in rows] == ["a.yaml", "b.yaml"]
    assert rows[0].data["id"] == "region-x" and rows[1].data is None
    assert "malformed YAML" in rows[1].error
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no .yaml profiles"):
        list(read_rows(empty))


def test_csv_text_cells_lose_the_guard_briefgen_puts_on_formula_like_text(tmp_path):
    import csv
    import io

    from briefgen.cells import to_csv

    names = ['=HYPERLINK("http://x","y")', "+1", "'=x", "'t Hooft", "\tTab", "  Spaced  "]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "name"])
    for i, name in enumerate(names):
        writer.writerow([f"org-{i}", to_csv(name)])
    rows = list(read_rows(write(tmp_path, buffer.getvalue())))
    assert [r.data["name"] for r in rows] == [
        '=HYPERLINK("http://x","y")', "+1", "'=x", "'t Hooft", "\tTab", "Spaced"]
