"""Sheet lists and previews of xlsx and CSV outputs, on real files written by openpyxl and the engine's writer."""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.colors import COLOR_INDEX, Color

from runs.errors import PreviewFailed, SheetNotFound
from runs.models.outputs import PreviewQuery, SheetPreview
from runs.preview.delimited import preview_csv
from runs.preview.styles import DEFAULT_INDEXED_COLORS
from runs.preview.window import MAX_CELL_CHARACTERS
from runs.preview.workbook import XlsxWorkbook


def _save(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _preview(content: bytes, **query: Any) -> SheetPreview:
    return XlsxWorkbook(io.BytesIO(content)).preview(PreviewQuery(**query))


def _replace_part(content: bytes, part: str, edit: Any) -> bytes:
    """The package with one part's bytes passed through `edit`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, edit(data) if info.filename == part else data)
    return buffer.getvalue()


def _grid(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    return _save(workbook)


# ---- cell text ------------------------------------------------------------------------------------


def _expected_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


_CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(-1e9, 1e9, allow_nan=False).map(lambda number: round(number, 6)),
    st.dates(datetime.date(1901, 1, 1), datetime.date(2099, 12, 31)),
    st.datetimes(datetime.datetime(1901, 1, 1), datetime.datetime(2099, 12, 31)).map(
        lambda moment: moment.replace(microsecond=0)
    ),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=30).filter(
        lambda text: not text.startswith("=") and text != ""
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_CELLS, min_size=1, max_size=6), min_size=1, max_size=8))
def test_cell_text_is_what_openpyxl_reads(rows: list[list[Any]]) -> None:
    # Given a workbook openpyxl wrote (shared strings, number formats for dates) with at least one value
    assume(any(value is not None for row in rows for value in row))
    content = _grid(rows)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    expected = [[_expected_text(cell.value) for cell in row] for row in sheet.iter_rows()]

    # When it is previewed whole
    preview = _preview(content, max_rows=1000, max_columns=200)

    # Then every cell reads as openpyxl reads it, in a rectangle of the sheet's size
    assert preview.rows == expected
    assert (preview.total_rows, preview.total_columns) == (sheet.max_row, sheet.max_column)
    assert not preview.truncated_rows and not preview.truncated_columns


def test_shared_strings_are_read_only_as_far_as_the_window_needs(tmp_path: Path) -> None:
    # Given 1,000 rows x 20 columns of distinct strings in a shared-strings table (xlsxwriter writes one),
    # the table broken at its 10,000th string (row 500)
    import xlsxwriter

    path = tmp_path / "shared.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for row in range(1000):
        for column in range(20):
            sheet.write_string(row, column, f"text {row * 20 + column} with some padding")
    book.close()
    broken = _replace_part(
        path.read_bytes(),
        "xl/sharedStrings.xml",
        lambda xml: re.sub(rb"<si><t>text 10000 .*", b"<si><<<", xml, flags=re.DOTALL),
    )

    # Then the first rows resolve their strings, and only a window reaching the damage fails
    assert _preview(broken, max_columns=20).rows[99][19] == "text 1999 with some padding"
    with pytest.raises(PreviewFailed, match="shared strings"):
        _preview(broken, max_rows=1000, max_columns=20)


def test_dates_follow_the_workbooks_1904_date_system() -> None:
    workbook = openpyxl.Workbook()
    workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    workbook.active.append([datetime.date(2024, 3, 1), datetime.datetime(2024, 3, 1, 10, 30)])

    assert _preview(_save(workbook)).rows == [["2024-03-01", "2024-03-01T10:30:00"]]


def test_long_text_is_cut_with_an_ellipsis() -> None:
    preview = _preview(_grid([["x" * 5000, "short"]]))

    assert preview.rows[0][0] == "x" * (MAX_CELL_CHARACTERS - 1) + "…"
    assert preview.rows[0][1] == "short"


# ---- the window -----------------------------------------------------------------------------------


def test_the_window_is_the_top_left_corner_and_says_what_it_left_out() -> None:
    content = _grid([[f"r{row}c{column}" for column in range(10)] for row in range(30)])

    preview = _preview(content, max_rows=5, max_columns=3)

    assert preview.rows == [[f"r{row}c{column}" for column in range(3)] for row in range(5)]
    assert (preview.total_rows, preview.total_columns) == (30, 10)
    assert preview.truncated_rows and preview.truncated_columns


def test_gaps_between_rows_and_cells_are_blank() -> None:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "top"
    workbook.active["C4"] = "corner"

    preview = _preview(_save(workbook))

    assert preview.rows == [["top", "", ""], ["", "", ""], ["", "", ""], ["", "", "corner"]]


def test_trimming_drops_blank_rows_and_columns_and_positions_follow() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B2"] = "a"
    sheet["D2"] = "b"
    sheet["D4"] = "c"
    sheet["D4"].font = Font(bold=True)
    sheet.row_dimensions[4].hidden = True
    sheet.column_dimensions["D"].hidden = True

    preview = _preview(_save(workbook), trim_empty_rows=True, trim_empty_columns=True)

    assert preview.rows == [["a", "b"], ["", "c"]]
    assert preview.hidden_rows == [1]
    assert preview.hidden_columns == [1]
    assert [(cell.row, cell.column, cell.bold) for cell in preview.cell_formats] == [(1, 1, True)]


def test_rows_past_the_window_are_never_parsed() -> None:
    # Given a sheet whose XML is broken right after row 100
    content = _grid([[row] for row in range(1, 201)])
    broken = _replace_part(
        content, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb'<row r="101".*', b'<row r="101"><<<', xml)
    )

    # Then the first 100 rows preview, and asking for more meets the damage
    assert _preview(broken).rows[-1] == ["100"]
    with pytest.raises(PreviewFailed, match="not valid XML"):
        _preview(broken, max_rows=101)


def test_without_a_dimension_the_totals_are_known_only_when_the_sheet_was_read_to_its_end() -> None:
    content = _grid([[row] for row in range(1, 51)])
    undeclared = _replace_part(content, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb"<dimension[^>]*/>", b"", xml))

    partial = _preview(undeclared, max_rows=10)
    whole = _preview(undeclared, max_rows=100)

    assert (partial.total_rows, partial.total_columns, partial.truncated_rows) == (None, None, True)
    assert (whole.total_rows, whole.total_columns, whole.truncated_rows) == (50, 1, False)


def test_a_window_past_the_response_budget_answers_the_rows_that_fit() -> None:
    content = _grid([["y" * 2000] * 50 for _ in range(200)])

    preview = _preview(content, max_rows=200, max_columns=50)

    assert 0 < len(preview.rows) < 200
    assert preview.truncated_rows and preview.total_rows == 200
    assert len(preview.model_dump_json(by_alias=True)) < 1536 * 1024


# ---- styles ---------------------------------------------------------------------------------------


def test_visible_formatting_becomes_cell_formats() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["bold on red", "italic indexed", "accent tint", "centred wrap", "plain", "date"])
    sheet["A1"].font = Font(bold=True)
    sheet["A1"].fill = PatternFill("solid", fgColor="FF0000")
    sheet["B1"].font = Font(italic=True, color=Color(indexed=12))
    sheet["C1"].fill = PatternFill("solid", fgColor=Color(theme=4, tint=0.3999755851924192))
    sheet["D1"].alignment = Alignment(horizontal="center", wrap_text=True)
    sheet["F1"].number_format = "yyyy-mm-dd"

    formats = {cell.column: cell for cell in _preview(_save(workbook)).cell_formats}

    assert set(formats) == {0, 1, 2, 3}
    assert (formats[0].bold, formats[0].bg_color) == (True, "#FF0000")
    assert (formats[1].italic, formats[1].text_color) == (True, "#0000FF")
    assert formats[2].bg_color == "#95B3D7"  # Excel's "Accent 1, lighter 40%" in the Office theme
    assert (formats[3].horizontal_align, formats[3].wrap_text, formats[3].bold) == ("center", True, False)


def test_the_default_palette_is_excels() -> None:
    assert tuple(color[2:] for color in COLOR_INDEX[:64]) == DEFAULT_INDEXED_COLORS


# ---- sheets ---------------------------------------------------------------------------------------


def test_sheets_are_listed_in_workbook_order_with_visibility_and_the_active_one() -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Data"
    workbook.create_sheet("Secret").sheet_state = "hidden"
    workbook.create_sheet("Summary")
    workbook.active = 2

    sheets = XlsxWorkbook(io.BytesIO(_save(workbook))).sheets()

    assert [(s.name, s.index, s.kind, s.visible, s.is_active) for s in sheets] == [
        ("Data", 0, "worksheet", True, False),
        ("Secret", 1, "worksheet", False, False),
        ("Summary", 2, "worksheet", True, True),
    ]


def test_a_sheet_is_chosen_by_exact_name_or_index() -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["first"])
    workbook.create_sheet("Second").append(["second"])
    content = _save(workbook)

    assert _preview(content, sheet_name="Second").rows == [["second"]]
    assert _preview(content, sheet_index=1).rows == [["second"]]
    assert _preview(content).rows == [["first"]]
    with pytest.raises(SheetNotFound):
        _preview(content, sheet_name="second")


def test_the_engines_writer_output_previews(tmp_path: Path) -> None:
    from rustpy_xlsxwriter import FastExcel

    path = tmp_path / "out.xlsx"
    FastExcel(str(path)).sheet("Members", ({"id": i, "name": f"N{i}"} for i in range(3))).save()

    preview = _preview(path.read_bytes())

    assert preview.rows == [["id", "name"], ["0", "N0"], ["1", "N1"], ["2", "N2"]]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"PK\x05\x06" + b"\0" * 18,
        b"not a zip at all",
        _replace_part(_grid([[1]]), "xl/workbook.xml", lambda _: b"<wb"),
    ],
)
def test_a_package_that_is_not_a_workbook_is_preview_failed(content: bytes) -> None:
    with pytest.raises(PreviewFailed):
        XlsxWorkbook(io.BytesIO(content)).sheets()


def test_a_dtd_is_refused() -> None:
    hostile = _replace_part(
        _grid([["a"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: b'<!DOCTYPE x [<!ENTITY e "boom">]>' + xml.split(b"?>", 1)[-1],
    )

    with pytest.raises(PreviewFailed, match="DTD"):
        _preview(hostile)


# ---- CSV ------------------------------------------------------------------------------------------


def _chunks(content: bytes, size: int = 7) -> Iterator[bytes]:
    return (content[start : start + size] for start in range(0, len(content), size))


@pytest.mark.parametrize(
    ("content", "rows"),
    [
        (b"a,b\n1,2\n", [["a", "b"], ["1", "2"]]),
        (b'a;b\r\n"x;y";2\r\n', [["a", "b"], ["x;y", "2"]]),
        ("\ufeffname\tcity\nZoë\tKöln\n".encode(), [["name", "city"], ["Zoë", "Köln"]]),
        ("name|city\nZoë|Köln\n".encode("utf-16"), [["name", "city"], ["Zoë", "Köln"]]),
        ("name,city\nZoë,Köln\n".encode("cp1252"), [["name", "city"], ["Zoë", "Köln"]]),
        (b'a,b\n"multi\nline",2\n', [["a", "b"], ["multi\nline", "2"]]),
    ],
)
def test_csv_encodings_and_delimiters_are_sniffed(content: bytes, rows: list[list[str]]) -> None:
    preview = preview_csv(_chunks(content), "people.csv", PreviewQuery())

    assert preview.rows == rows
    assert (preview.name, preview.total_rows, preview.truncated_rows) == ("people", len(rows), False)


def test_a_csv_is_read_only_as_far_as_the_window() -> None:
    pulled: list[int] = []

    def million_lines() -> Iterator[bytes]:
        yield b"id,name\n"
        for index in range(1_000_000):
            line = f"{index},name {index}\n".encode()
            pulled.append(len(line))
            yield line

    preview = preview_csv(million_lines(), "big.csv", PreviewQuery(max_rows=10))

    assert len(preview.rows) == 10
    assert (preview.total_rows, preview.truncated_rows) == (None, True)
    assert sum(pulled) < 128 * 1024  # the encoding sample and one read buffer, not 20 MB


def test_a_binary_file_is_not_a_csv() -> None:
    with pytest.raises(PreviewFailed, match="not a text file"):
        preview_csv(iter([bytes(range(256)) * 10]), "x.csv", PreviewQuery())
