"""Read stage: real files written by the tests (openpyxl, xlsxwriter, xlwt, zipfile, plain text)."""

from __future__ import annotations

import datetime
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlwt

from normalizer.errors import EngineFailure
from normalizer.read import CellValue, ReadLimits, Workbook, open_workbook, select_sheets

# Forces every xlsx sheet through the streaming reader instead of python-calamine.
STREAMING_ONLY = ReadLimits(max_dense_cells=0)


def all_rows(workbook: Workbook, sheet_index: int = 0) -> list[list[CellValue]]:
    return list(workbook.iter_rows(sheet_index))


def trimmed(rows: list[list[CellValue]]) -> list[list[CellValue]]:
    """Rows without trailing empty cells, so padded and ragged rows compare equal."""
    result = []
    for row in rows:
        cells = list(row)
        while cells and cells[-1] == "":
            cells.pop()
        result.append(cells)
    return result


def write_xlsx(
    path: Path, sheets: dict[str, dict[str, Any]], *, active: int = 0, states: dict[str, str] | None = None
) -> Path:
    """An openpyxl workbook: `sheets` maps sheet name -> {cell reference: value}."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, cells in sheets.items():
        sheet = workbook.create_sheet(name)
        for reference, value in cells.items():
            sheet[reference] = value
        sheet.sheet_state = (states or {}).get(name, "visible")
    workbook.active = active
    workbook.save(path)
    return path


def raise_failure(path: Path, **options: Any) -> EngineFailure:
    with pytest.raises(EngineFailure) as failure:
        open_workbook(path, **options)
    assert failure.value.stage == "read"
    return failure.value


TYPED_CELLS = {
    "A1": "text",
    "B1": 42,
    "C1": 2.5,
    "D1": True,
    "E1": datetime.date(2024, 3, 1),
    "F1": datetime.datetime(2024, 3, 1, 13, 45, 30),
    "G1": datetime.time(8, 30),
    "I1": "after a gap",
}
TYPED_ROW: list[CellValue] = [
    "text",
    42.0,
    2.5,
    True,
    datetime.date(2024, 3, 1),
    datetime.datetime(2024, 3, 1, 13, 45, 30),
    datetime.time(8, 30),
    "",
    "after a gap",
]


# ---------------------------------------------------------------------------------------------
# xlsx / xlsm


@pytest.mark.parametrize("limits", [ReadLimits(), STREAMING_ONLY], ids=["calamine", "streaming"])
def test_xlsx_cells_keep_their_types(tmp_path: Path, limits: ReadLimits) -> None:
    # Given a sheet with text, numbers, a boolean, dates, a time and an empty cell
    path = write_xlsx(tmp_path / "types.xlsx", {"Types": TYPED_CELLS})

    # When it is read
    with open_workbook(path, limits=limits) as workbook:
        rows = all_rows(workbook)

    # Then each value has its Python type (numbers are floats) and the empty cell is ""
    assert trimmed(rows) == [TYPED_ROW]


@pytest.mark.parametrize("limits", [ReadLimits(), STREAMING_ONLY], ids=["calamine", "streaming"])
def test_xlsx_rows_and_columns_keep_their_excel_positions(tmp_path: Path, limits: ReadLimits) -> None:
    # Given data starting at C3 with an empty row 4 and a value in E5
    path = write_xlsx(tmp_path / "offset.xlsx", {"Offset": {"C3": "x", "D3": 1, "E5": 2}})

    # When it is read
    with open_workbook(path, limits=limits) as workbook:
        rows = trimmed(all_rows(workbook))

    # Then row k of the iterator is Excel row k+1 and column positions are true
    assert rows == [[], [], ["", "", "x", 1.0], [], ["", "", "", "", 2.0]]


def test_streaming_reader_resolves_shared_strings_inline_strings_and_durations(tmp_path: Path) -> None:
    # Given shared strings, a duration formatted [h]:mm:ss and a percentage
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["B1"], sheet["C1"] = "shared", datetime.timedelta(hours=30), 0.25
    sheet["B1"].number_format = "[h]:mm:ss"
    sheet["C1"].number_format = "0%"
    workbook.save(tmp_path / "kinds.xlsx")

    # When it is read through both readers
    with open_workbook(tmp_path / "kinds.xlsx") as by_calamine:
        expected = all_rows(by_calamine)
    with open_workbook(tmp_path / "kinds.xlsx", limits=STREAMING_ONLY) as by_streaming:
        actual = all_rows(by_streaming)

    # Then they agree
    assert actual == expected == [["shared", datetime.timedelta(hours=30), 0.25]]


def test_xlsm_extension_is_read_as_a_workbook(tmp_path: Path) -> None:
    # Given a workbook saved under an .xlsm name
    path = write_xlsx(tmp_path / "macro.xlsm", {"Sheet1": {"A1": "id", "A2": 7}})

    # When it is read, Then its cells come back
    with open_workbook(path) as workbook:
        assert workbook.filename == "macro.xlsm"
        assert all_rows(workbook) == [["id"], [7.0]]


def test_workbook_reports_hidden_very_hidden_and_active_sheets(tmp_path: Path) -> None:
    # Given four sheets: visible, hidden, very hidden, and a visible active one
    path = write_xlsx(
        tmp_path / "states.xlsx",
        {"One": {"A1": 1}, "Two": {"A1": 2}, "Three": {"A1": 3}, "Four": {"A1": 4}},
        active=3,
        states={"Two": "hidden", "Three": "veryHidden"},
    )

    # When it is opened
    with open_workbook(path) as workbook:
        sheets = workbook.sheets

    # Then each sheet has its index, visibility and active flag
    assert [(s.index, s.name, s.visible, s.is_active) for s in sheets] == [
        (0, "One", True, False),
        (1, "Two", False, False),
        (2, "Three", False, False),
        (3, "Four", True, True),
    ]


def test_empty_sheet_yields_no_rows(tmp_path: Path) -> None:
    # Given a workbook whose sheet has no cells
    path = write_xlsx(tmp_path / "empty.xlsx", {"Empty": {}})

    # When it is read, Then there are no rows
    with open_workbook(path) as workbook:
        assert all_rows(workbook) == []


def test_rows_are_streamed_lazily(tmp_path: Path) -> None:
    # Given a workbook of two rows
    path = write_xlsx(tmp_path / "lazy.xlsx", {"S": {"A1": 1, "A2": 2}})

    # When its rows are requested, Then an iterator comes back, not a list
    with open_workbook(path) as workbook:
        rows = workbook.iter_rows(0)
        assert not isinstance(rows, list)
        assert next(rows) == [1.0]


# ---------------------------------------------------------------------------------------------
# xls


def test_xls_cells_keep_their_types_and_sheet_states(tmp_path: Path) -> None:
    # Given an xls workbook with a visible and a hidden sheet
    book = xlwt.Workbook()
    data = book.add_sheet("Data")
    data.write(2, 1, "name")
    data.write(2, 2, 3)
    data.write(2, 3, True)
    data.write(2, 4, datetime.datetime(2024, 3, 1), xlwt.easyxf(num_format_str="YYYY-MM-DD"))
    hidden = book.add_sheet("Hidden")
    hidden.write(0, 0, "secret")
    hidden.visibility = 1
    book.save(str(tmp_path / "legacy.xls"))

    # When it is read
    with open_workbook(tmp_path / "legacy.xls") as workbook:
        sheets = workbook.sheets
        rows = trimmed(all_rows(workbook))

    # Then positions, types and visibility survive; the first visible sheet is active
    assert rows == [[], [], ["", "name", 3.0, True, datetime.date(2024, 3, 1)]]
    assert [(s.name, s.visible, s.is_active) for s in sheets] == [("Data", True, True), ("Hidden", False, False)]


# ---------------------------------------------------------------------------------------------
# select_sheets


@pytest.fixture
def four_sheets(tmp_path: Path) -> Workbook:
    path = write_xlsx(
        tmp_path / "four.xlsx",
        {"Members": {"A1": 1}, "Hidden": {"A1": 2}, "Notes": {"A1": 3}, "Summary": {"A1": 4}},
        active=2,
        states={"Hidden": "hidden"},
    )
    return open_workbook(path)


def names(sheets: Sequence[Any]) -> list[str]:
    return [sheet.name for sheet in sheets]


def test_selection_defaults_to_visible_sheets_in_workbook_order(four_sheets: Workbook) -> None:
    assert names(select_sheets(four_sheets, sheet_names=None, active_sheet_only=False)) == [
        "Members",
        "Notes",
        "Summary",
    ]


def test_selection_of_the_active_sheet_only(four_sheets: Workbook) -> None:
    assert names(select_sheets(four_sheets, sheet_names=None, active_sheet_only=True)) == ["Notes"]


def test_named_sheets_come_in_workbook_order_even_when_hidden(four_sheets: Workbook) -> None:
    chosen = select_sheets(four_sheets, sheet_names=["Summary", "Hidden"], active_sheet_only=False)
    assert names(chosen) == ["Hidden", "Summary"]


def test_named_sheet_matches_ignoring_case_and_surrounding_spaces(four_sheets: Workbook) -> None:
    chosen = select_sheets(four_sheets, sheet_names=["  members "], active_sheet_only=False)
    assert names(chosen) == ["Members"]


def test_unknown_sheet_name_is_sheet_not_found_naming_missing_and_available(four_sheets: Workbook) -> None:
    with pytest.raises(EngineFailure) as failure:
        select_sheets(four_sheets, sheet_names=["Members", "Budget"], active_sheet_only=False)
    assert failure.value.code == "SHEET_NOT_FOUND"
    assert "'Budget'" in failure.value.message
    assert "'Members', 'Hidden', 'Notes', 'Summary'" in failure.value.message


def test_active_sheet_only_falls_back_to_first_visible_when_active_is_hidden(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "hidden-active.xlsx", {"A": {"A1": 1}, "B": {"A1": 2}}, active=1, states={"B": "hidden"}
    )
    with open_workbook(path) as workbook:
        assert names(select_sheets(workbook, sheet_names=None, active_sheet_only=True)) == ["A"]


# ---------------------------------------------------------------------------------------------
# CSV


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    # Given a CSV with accented text in a given encoding
    path = tmp_path / "members.csv"
    path.write_bytes("name,city\ncafé,Zürich\n".encode(encoding))

    # When it is read
    with open_workbook(path) as workbook:
        rows = all_rows(workbook)

    # Then the text is decoded correctly and the sheet is named after the file's stem
    assert rows == [["name", "city"], ["café", "Zürich"]]
    assert [(s.name, s.visible, s.is_active) for s in workbook.sheets] == [("members", True, True)]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters_are_detected(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "data.csv"
    path.write_text(delimiter.join(["id", "name", "amount"]) + "\n" + delimiter.join(["1", "Ann", "2,5"]) + "\n")
    with open_workbook(path) as workbook:
        rows = all_rows(workbook)
    expected_amount = "2,5" if delimiter != "," else "2"
    assert rows[0] == ["id", "name", "amount"]
    assert rows[1][:3] == ["1", "Ann", expected_amount]


def test_csv_quoted_field_keeps_its_embedded_newline(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('id,note\n1,"first line\nsecond line"\n2,plain\n')
    with open_workbook(path) as workbook:
        assert all_rows(workbook) == [["id", "note"], ["1", "first line\nsecond line"], ["2", "plain"]]


def test_csv_values_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    path.write_text("n,when,flag\n007,2024-03-01,TRUE\n")
    with open_workbook(path) as workbook:
        assert all_rows(workbook)[1] == ["007", "2024-03-01", "TRUE"]


def test_empty_csv_is_one_sheet_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with open_workbook(path) as workbook:
        assert names(workbook.sheets) == ["empty"]
        assert all_rows(workbook) == []


def test_display_filename_names_the_csv_sheet(tmp_path: Path) -> None:
    path = tmp_path / "upload-1234"
    path.write_text("a,b\n1,2\n")
    with open_workbook(path, filename="members.csv") as workbook:
        assert workbook.filename == "members.csv"
        assert names(workbook.sheets) == ["members"]


def test_csv_renamed_as_xlsx_is_read_by_its_content(tmp_path: Path) -> None:
    path = tmp_path / "really-a.xlsx"
    path.write_text("a;b\n1;2\n")
    with open_workbook(path) as workbook:
        assert all_rows(workbook) == [["a", "b"], ["1", "2"]]


# ---------------------------------------------------------------------------------------------
# Failures


def test_binary_junk_is_an_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(bytes(range(256)) * 64)
    assert raise_failure(path).code == "UNSUPPORTED_FILE_TYPE"


def test_zip_that_is_not_a_workbook_is_an_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "letter.docx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("word/document.xml", "<document/>")
    assert raise_failure(path).code == "UNSUPPORTED_FILE_TYPE"


def test_malformed_zip_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 100)
    assert raise_failure(path).code == "INPUT_UNREADABLE"


def test_truncated_xlsx_is_unreadable(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "whole.xlsx", {"S": {f"A{n}": f"value {n}" for n in range(1, 500)}})
    data = path.read_bytes()
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(data[: len(data) // 2])
    assert raise_failure(truncated).code == "INPUT_UNREADABLE"


def test_xlsx_without_workbook_part_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "headless.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    assert raise_failure(path).code == "INPUT_UNREADABLE"


def test_empty_xlsx_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "nothing.xlsx"
    path.write_bytes(b"")
    assert raise_failure(path).code == "INPUT_UNREADABLE"


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    assert raise_failure(tmp_path / "absent.xlsx").code == "INPUT_UNREADABLE"


def test_ole2_file_that_is_not_a_workbook_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "fake.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    assert raise_failure(path).code == "INPUT_UNREADABLE"


def test_input_larger_than_the_limit_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" * 1000)
    assert raise_failure(path, limits=ReadLimits(max_input_bytes=100)).code == "INPUT_TOO_LARGE"


def test_corrupt_sheet_xml_fails_while_iterating_as_unreadable(tmp_path: Path) -> None:
    # Given a workbook whose sheet XML is cut off mid-element
    path = write_xlsx(tmp_path / "ok.xlsx", {"S": {"A1": 1}})
    broken = tmp_path / "broken-sheet.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data[:-40] if info.filename.endswith("sheet1.xml") else data)

    # When its rows are read, Then the failure is INPUT_UNREADABLE, never a traceback from calamine
    with open_workbook(broken) as workbook, pytest.raises(EngineFailure) as failure:
        all_rows(workbook)
    assert failure.value.code == "INPUT_UNREADABLE"
