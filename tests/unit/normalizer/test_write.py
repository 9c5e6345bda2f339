"""The output workbook: typed cells, text never turned into formulas, the Issues sheet, options."""

from __future__ import annotations

import datetime

import openpyxl

from normalizer.pipeline import process
from normalizer.write import (
    MAX_TEXT_LENGTH,
    IssueSpool,
    OutputSheet,
    RowBatch,
    RowSpool,
    fit_column,
    output_sheet_name,
    write_workbook,
)

TYPED_FIELDS = [
    {"name": "member_id", "label": "Member ID", "type": "integer"},
    {"name": "balance", "label": "Balance", "type": "number"},
    {"name": "active", "label": "Active", "type": "boolean"},
    {"name": "joined", "label": "Joined", "type": "date"},
    {"name": "seen", "label": "Last Seen", "type": "datetime"},
    {"name": "email", "label": "Email", "type": "email"},
]


def test_parsed_values_are_written_as_typed_cells(make_workbook, configuration, tmp_path):
    # Given text numbers, yes/no, text dates and datetimes under typed fields
    header = ["Member ID", "Balance", "Active", "Joined", "Last Seen", "Email"]
    row = ["1,234", "(12.50)", "yes", "03/01/2024", "2024-03-01 10:30", " Ann@Example.COM "]
    path = make_workbook({"Members": [header, row]})
    output = tmp_path / "out.xlsx"
    # When the engine writes the output
    report = process(path, output, configuration(*TYPED_FIELDS))
    # Then each cell has the field's type and dates carry a date format
    sheet = openpyxl.load_workbook(output)["Members"]
    cells = {cell.value: cell for cell in sheet[1]}
    values = [cell.value for cell in sheet[2]]
    assert report.status == "succeeded"
    assert values == [
        1234,
        -12.5,
        True,
        datetime.datetime(2024, 3, 1),
        datetime.datetime(2024, 3, 1, 10, 30),
        "ann@example.com",
    ]
    assert [cell.data_type for cell in sheet[2]] == ["n", "n", "b", "d", "d", "s"]
    assert sheet.cell(2, cells["joined"].column).number_format == "yyyy-mm-dd"
    assert sheet.cell(2, cells["seen"].column).number_format == "yyyy-mm-dd hh:mm:ss"


def test_text_that_looks_like_a_formula_is_written_as_text(make_workbook, tmp_path):
    # Given cells holding formula-like text, mapped and unmapped
    formula = '=HYPERLINK("http://x","y")'
    path = make_workbook({"S": [["Full Name", "Notes"], [formula, "+1+2"], ["@SUM(A1)", "-3"]]})
    output = tmp_path / "out.xlsx"
    # When the engine writes the output
    process(path, output)
    # Then they come back as text cells, not formulas
    sheet = openpyxl.load_workbook(output)["S"]
    full_name = next(cell.column for cell in sheet[1] if cell.value == "full_name")
    notes = next(cell.column for cell in sheet[1] if cell.value == "Notes")
    assert (sheet.cell(2, full_name).value, sheet.cell(2, full_name).data_type) == (formula, "s")
    assert (sheet.cell(2, notes).value, sheet.cell(2, notes).data_type) == ("+1+2", "s")
    assert sheet.cell(3, full_name).value == "@SUM(A1)"


def test_writer_never_writes_a_formula_even_when_given_one_directly(tmp_path, read_back):
    # Given an output sheet whose rows hold formula text
    rows = [("=1+1",), ('=HYPERLINK("http://x","y")',)]
    sheet = OutputSheet("Data", ["text"], [RowBatch(rows, count=2, width=1)])
    # When it is written
    written = write_workbook(tmp_path / "out.xlsx", [sheet], None)
    # Then the cells read back as the same text
    workbook = openpyxl.load_workbook(written.path)
    assert [(c.value, c.data_type) for c in workbook["Data"]["A"]][1:] == [
        ("=1+1", "s"),
        ('=HYPERLINK("http://x","y")', "s"),
    ]


def test_issues_sheet_lists_every_issue_with_its_location(make_workbook, tmp_path, read_back):
    # Given two invalid e-mails in rows 3 and 5 of the input
    rows = [["Report"], ["Email", "Full Name"], ["bad", "Ann"], ["a@b.co", "Bob"], ["worse", "Eve"]]
    path = make_workbook({"Members": rows})
    output = tmp_path / "out.xlsx"
    # When the engine writes the output
    report = process(path, output)
    # Then the Issues sheet names sheet, input row, column, field, value, code and message
    issues = read_back(output, "Issues")
    assert issues[0] == ["sheet", "row", "column", "field", "value", "code", "message"]
    assert [row[:6] for row in issues[1:]] == [
        ["Members", 3, "A", "email", "bad", "invalid_email"],
        ["Members", 5, "A", "email", "worse", "invalid_email"],
    ]
    assert all(row[6] for row in issues[1:])
    assert report.output is not None and report.output.issue_count == 2
    assert report.output.sheet_names == ["Members", "Issues"]


def test_issues_sheet_is_left_out_when_the_setting_is_off(make_workbook, configuration, tmp_path):
    # Given writeIssuesSheet off
    path = make_workbook({"S": [["Email"], ["bad"]]})
    output = tmp_path / "out.xlsx"
    # When the engine writes the output
    report = process(path, output, configuration({"name": "email", "type": "email"}, write_issues_sheet=False))
    # Then there is no Issues sheet, but the issue is still counted
    assert openpyxl.load_workbook(output).sheetnames == ["S"]
    assert report.metrics.validation_issues_total == 1


def test_header_is_fields_in_configuration_order_then_unmapped_columns(make_workbook, tmp_path, read_back):
    # Given input columns in another order than the configuration, plus unmapped ones
    path = make_workbook({"S": [["Notes", "Email", "First Name", "Notes"], ["n1", "a@b.co", "Ann", "n2"]]})
    output = tmp_path / "out.xlsx"
    # When the engine writes the output
    process(path, output)
    # Then fields come first in configuration order, then unmapped headers (made unique)
    header, row = read_back(output, "S")
    assert header == [
        "first_name", "last_name", "full_name", "email", "phone", "member_id", "date_of_birth",
        "Notes", "Notes (2)",
    ]  # fmt: skip
    assert row == ["Ann", None, None, "a@b.co", None, None, None, "n1", "n2"]


def test_remove_unmapped_columns_keeps_only_the_fields(make_workbook, configuration, tmp_path, read_back):
    # Given an unmapped column and removeUnmappedColumns on
    path = make_workbook({"S": [["Email", "Notes"], ["a@b.co", "n1"]]})
    output = tmp_path / "out.xlsx"
    config = configuration({"name": "email", "type": "email"}, remove_unmapped_columns=True)
    # When the engine writes the output
    process(path, output, config)
    # Then only the field column is written
    assert read_back(output, "S") == [["email"], ["a@b.co"]]


def test_second_table_on_a_sheet_is_stacked_below_the_first(make_workbook, configuration, tmp_path, read_back):
    # Given two tables on one sheet
    rows = [["Email"], ["a@b.co"], [], ["Email", "Notes"], ["c@d.co", "late"]]
    path = make_workbook({"S": rows})
    output = tmp_path / "out.xlsx"
    # When the engine writes the output
    report = process(path, output, configuration({"name": "email", "type": "email"}))
    # Then the second table follows one blank row, with its own header row
    assert read_back(output, "S") == [
        ["email", None],
        ["a@b.co", None],
        [None, None],
        ["email", "Notes"],
        ["c@d.co", "late"],
    ]
    assert [table.output_sheet for table in report.sheets[0].tables] == ["S", "S"]


def test_table_without_data_rows_still_gets_its_header(tmp_path, read_back):
    # Given a sheet with a header and no rows
    sheet = OutputSheet("Empty", ["email", "phone"], [])
    # When it is written
    write_workbook(tmp_path / "out.xlsx", [sheet], None)
    # Then the header is there
    assert read_back(tmp_path / "out.xlsx", "Empty") == [["email", "phone"]]


def test_text_too_long_for_a_cell_is_cut_and_dates_before_1900_become_text():
    # Given a column with an over-long text and one with a date Excel cannot hold
    long_text = "x" * (MAX_TEXT_LENGTH + 10)
    # When the columns are fitted for writing
    texts = fit_column(["ok", None, long_text])
    dates = fit_column([datetime.date(1850, 5, 1), datetime.date(2020, 1, 1), None])
    # Then the text is cut to Excel's limit and the old date is ISO text
    assert [len(value) if value else value for value in texts] == [2, None, MAX_TEXT_LENGTH]
    assert dates == ["1850-05-01", datetime.date(2020, 1, 1), None]


def test_fit_column_returns_ordinary_columns_untouched():
    # Given a column of ordinary values
    values = ["a", 1, 2.5, None, True, datetime.date(2020, 1, 1)]
    # When it is fitted, Then it is the same object
    assert fit_column(values) is values


def test_sheet_names_are_made_valid_and_unique():
    # Given names with forbidden characters, too long, and clashing
    taken: set[str] = set()
    # When output names are chosen
    names = [output_sheet_name(name, taken) for name in ["Q1/Q2 [draft]", "Issues", "issues", "x" * 40, "x" * 40]]
    # Then they are valid, at most 31 characters, and unique case-insensitively
    assert names == ["Q1_Q2 _draft_", "Issues", "issues (2)", "x" * 31, "x" * 27 + " (2)"]


def test_issue_spool_gives_back_every_issue_in_order_across_flushes():
    # Given a spool that flushes to disk every 3 issues
    spool = IssueSpool(flush_every=3)
    issues = [("S", row, "A", "email", f"v{row}", "invalid_email", "m") for row in range(10)]
    # When issues are added in batches
    for start in range(0, 10, 4):
        spool.extend(issues[start : start + 4])
    # Then reading gives all of them in order, twice over
    assert list(spool) == issues
    assert list(spool) == issues
    assert spool.count == 10
    spool.close()


def test_row_spool_gives_back_every_row_in_order_across_its_file():
    # Given a row spool that moves to a temporary file every two rows
    spool = RowSpool(flush_every=2)
    try:
        # When batches of rows are kept
        spool.add(RowBatch(iter([("a", 1), ("b", 2), ("c", 3)]), count=3, width=2))
        spool.add(RowBatch(iter([("d", 4, True)]), count=1, width=3))
        batch = spool.batch()
        # Then one batch gives them all back in order, as wide as the widest
        assert (batch.count, batch.width) == (4, 3)
        assert [tuple(row) for row in batch.rows] == [("a", 1), ("b", 2), ("c", 3), ("d", 4, True)]
    finally:
        spool.close()
