"""Table detection on real generated workbooks: where the header is, how far each table goes."""

from __future__ import annotations

from normalizer.config import DEFAULT_CONFIGURATION
from normalizer.detect import detect_header, find_tables
from normalizer.mapping import HeaderVocabulary
from normalizer.segment import SheetSegmenter, TableChunk, TableEnded

MEMBERS_HEADER = ["First Name", "Last Name", "Email", "Member ID"]


def members(count: int, start: int = 0) -> list[list[object]]:
    return [[f"Ann{i}", f"Smith{i}", f"ann{i}@example.com", 1000 + i] for i in range(start, start + count)]


def test_title_row_and_blank_row_above_the_header_are_skipped(make_workbook, validate):
    # Given a title row, a blank row, then the header and 5 data rows
    path = make_workbook({"Members": [["Membership export - Local 123"], [], MEMBERS_HEADER, *members(5)]})
    # When the engine runs
    report = validate(path)
    # Then the header is row 3 and the data rows 4-8
    (table,) = report.sheets[0].tables
    assert (table.header_row_start, table.header_row_count) == (3, 1)
    assert (table.data_row_start, table.data_row_count) == (4, 5)
    assert table.region == "A3:D8"


def test_report_generated_lines_above_the_header_are_skipped(make_workbook, validate):
    # Given two "Report generated ..." lines and blank rows above the header
    rows = [["Report generated 2024-05-01 10:32 by admin"], ["Source: CRM nightly export"], [], [], MEMBERS_HEADER]
    path = make_workbook({"Members": [*rows, *members(3)]})
    # When the engine runs
    report = validate(path)
    # Then the header is found on row 5
    assert report.sheets[0].tables[0].header_row_start == 5
    assert report.metrics.row_count_total == 3


def test_merged_title_cells_above_the_header_are_a_title_not_a_header(make_workbook, validate, column):
    # Given a title merged across A1:D1 directly above the header
    path = make_workbook({"Members": [["Member roster 2024"], MEMBERS_HEADER, *members(4)]}, merged=["A1:D1"])
    # When the engine runs
    report = validate(path)
    # Then the header is row 2, one row high, and its first column keeps its own text
    table = report.sheets[0].tables[0]
    assert (table.header_row_start, table.header_row_count) == (2, 1)
    assert column(report, "First Name").mapped_field == "first_name"


def test_stacked_two_row_header_is_merged_top_to_bottom(make_workbook, validate, column):
    # Given a header split over two rows ("First" over "Name", "Date of" over "Birth")
    rows = [["First", "Last", "Date of", "Member"], ["Name", "Name", "Birth", "ID"]]
    data = [[f"Ann{i}", f"Smith{i}", f"2000-01-{i + 1:02d}", 1000 + i] for i in range(5)]
    path = make_workbook({"Members": [["Roster"], [], *rows, *data]})
    # When the engine runs
    report = validate(path)
    # Then both rows form the header and each column's text is its pieces joined by one space
    table = report.sheets[0].tables[0]
    assert (table.header_row_start, table.header_row_count, table.data_row_start) == (3, 2, 5)
    assert column(report, "First Name").mapped_field == "first_name"
    assert column(report, "Last Name").mapped_field == "last_name"
    assert column(report, "Date of Birth").mapped_field == "date_of_birth"
    assert column(report, "Member ID").mapped_field == "member_id"


def test_new_header_after_a_blank_gap_starts_a_second_table(make_workbook, validate):
    # Given two tables on one sheet separated by a blank row and a title
    second = [["Phone", "Full Name"], ["+1 555 010 0001", "Bob One"], ["+1 555 010 0002", "Bob Two"]]
    path = make_workbook({"Members": [MEMBERS_HEADER, *members(3), [], ["Contractors"], *second]})
    # When the engine runs
    report = validate(path)
    # Then there are two tables with their own regions and mappings
    first, other = report.sheets[0].tables
    assert (first.index, first.region, first.data_row_count) == (0, "A1:D4", 3)
    assert (other.index, other.region, other.header_row_start, other.data_row_count) == (1, "A7:B9", 7, 2)
    mapped = {(c.table_index, c.mapped_field) for c in report.columns if c.mapped_field}
    assert {(1, "phone"), (1, "full_name"), (0, "email")} <= mapped
    assert report.metrics.table_count == 2


def test_new_table_is_found_when_its_labels_sit_over_numbers_of_the_current_table(make_workbook, validate):
    # Given a table of numbers, a blank row, then a header that names no configured field
    first = [["Qty", "Price"], [1, 2.5], [3, 4.0]]
    second = [["Warehouse", "Shelf"], ["North", "B2"], ["South", "C7"]]
    path = make_workbook({"Stock": [*first, [], *second]})
    # When the engine runs
    report = validate(path)
    # Then the second header starts a second table instead of being read as data
    regions = [table.region for table in report.sheets[0].tables]
    assert regions == ["A1:B3", "A5:B7"]


def test_blank_rows_inside_a_table_are_counted_empty_and_trailing_ones_are_not_in_it(make_workbook, validate):
    # Given data with one blank row inside and two blank rows after it
    rows = [MEMBERS_HEADER, *members(2), [], *members(2, start=2), [], []]
    path = make_workbook({"Members": rows})
    # When the engine runs
    report = validate(path)
    # Then the table spans the inner blank row but not the trailing ones
    table = report.sheets[0].tables[0]
    assert (table.region, table.data_row_count) == ("A1:D6", 5)
    assert report.metrics.row_count_empty == 1


def test_table_that_starts_in_column_c_reports_sheet_column_indices(make_workbook, validate):
    # Given a table whose header starts in column C
    rows = [[None, None, *MEMBERS_HEADER], *[[None, None, *row] for row in members(3)]]
    path = make_workbook({"Members": rows})
    # When the engine runs
    report = validate(path)
    # Then the region starts at C and columns keep their sheet positions
    assert report.sheets[0].tables[0].region == "C1:F4"
    assert [c.column_index for c in report.columns] == [2, 3, 4, 5]


def test_hidden_sheets_are_skipped(make_workbook, validate):
    # Given a visible sheet and a hidden one, both with tables
    path = make_workbook(
        {"Members": [MEMBERS_HEADER, *members(2)], "Secret": [MEMBERS_HEADER, *members(2)]}, hidden=["Secret"]
    )
    # When the engine runs with the default selection
    report = validate(path)
    # Then only the visible sheet is processed and reported with tables
    by_name = {sheet.name: sheet for sheet in report.sheets}
    assert by_name["Members"].processed and len(by_name["Members"].tables) == 1
    assert not by_name["Secret"].processed and by_name["Secret"].visible is False
    assert by_name["Secret"].tables == []
    assert report.metrics.sheet_count == 1


def test_empty_sheet_gives_a_sheet_empty_finding(make_workbook, validate):
    # Given a sheet with a table and an empty sheet
    path = make_workbook({"Members": [MEMBERS_HEADER, *members(2)], "Sheet2": []})
    # When the engine runs
    report = validate(path)
    # Then the empty sheet yields a warning finding and no table
    (finding,) = [f for f in report.findings if f.code == "sheet_empty"]
    assert (finding.severity, finding.sheet_name, finding.table_index) == ("warning", "Sheet2", None)


def test_sheet_of_instructions_gives_a_no_table_found_finding(make_workbook, validate):
    # Given a sheet holding a title and numbered steps in one column
    steps = [
        ["How to fill in this template"],
        ["1. Enter one member per row."],
        ["2. Write dates as 2024-05-01."],
        ["3. Leave unknown values empty."],
        ["Questions? Write to support@example.com and we will help."],
    ]
    path = make_workbook({"Instructions": steps})
    # When the engine runs
    report = validate(path)
    # Then no table is found and the run grades as a failure
    assert [f.code for f in report.findings] == ["no_table_found"]
    assert report.metrics.table_count == 0
    assert report.metrics.evaluation_outcome == "failure"
    assert report.status == "succeeded"


def test_header_below_the_scan_window_is_not_found(make_workbook, validate, configuration):
    # Given seven lines of prose, then a header on row 8, and a configuration that scans only 5 rows
    prose = [[f"Line {number} of the export notes, kept for the auditors."] for number in range(7)]
    path = make_workbook({"Members": [*prose, MEMBERS_HEADER, *members(2)]})
    config = configuration({"name": "email", "type": "email"}, header_scan_rows=5)
    # When the engine runs
    report = validate(path, config)
    # Then no table is found
    assert [f.code for f in report.findings] == ["no_table_found"]


def test_required_field_missing_from_a_table_gives_field_not_detected(make_workbook, validate, configuration):
    # Given a configuration requiring a phone and a table without one
    path = make_workbook({"Members": [MEMBERS_HEADER, *members(2)]})
    config = configuration({"name": "email", "type": "email"}, {"name": "phone", "type": "phone", "required": True})
    # When the engine runs
    report = validate(path, config)
    # Then a field_not_detected warning names the field, sheet and table, and the outcome is partial
    (finding,) = report.findings
    assert (finding.code, finding.severity, finding.field) == ("field_not_detected", "warning", "phone")
    assert (finding.sheet_name, finding.table_index) == ("Members", 0)
    assert report.metrics.evaluation_outcome == "partial"


def test_detect_header_prefers_the_first_of_two_tables_in_the_window():
    # Given rows holding two similar tables
    rows = [MEMBERS_HEADER, *members(2), [], MEMBERS_HEADER, *members(2)]
    # When the header is detected
    header = detect_header(rows, HeaderVocabulary(DEFAULT_CONFIGURATION.fields))
    # Then it is the first table's
    assert header is not None
    assert (header.row_start, header.texts) == (1, tuple(MEMBERS_HEADER))


def test_blank_rows_between_text_rows_do_not_split_a_table():
    # Given text-only data rows separated by blank rows (no header among them)
    rows = [["First Name", "City"], ["Ann", "Paris"], [], ["Bob", "Rome"], [""], ["Eve", "Oslo"]]
    # When the rows are streamed as tables
    segmenter = SheetSegmenter(rows, HeaderVocabulary(DEFAULT_CONFIGURATION.fields), scan_rows=10, chunk_rows=4)
    events = list(segmenter)
    # Then they stay one table with their row numbers, ending at the last data row
    chunks = [event for event in events if isinstance(event, TableChunk)]
    assert [n for chunk in chunks for n in chunk.row_numbers] == [2, 4, 6]
    assert [(event.index, event.last_row) for event in events if isinstance(event, TableEnded)] == [(0, 6)]


def test_number_in_a_header_row_becomes_that_column_header(make_workbook, validate):
    # Given a header row with text labels and a year as a number
    path = make_workbook({"Budget": [["Email", "Full Name", 2024], ["a@b.co", "Ann", 10], ["c@d.co", "Bob", 20]]})
    # When the engine runs
    report = validate(path)
    # Then the number is the third column's header text
    assert [c.header_raw for c in report.columns] == ["Email", "Full Name", "2024"]


VOCABULARY = HeaderVocabulary(DEFAULT_CONFIGURATION.fields)


def shapes(rows, **options):
    return [
        (start.header.row_start, start.header.row_count, start.header.first_column, start.header.texts)
        for start in find_tables(rows, VOCABULARY, **options)
    ]


def test_find_tables_splits_a_block_at_empty_columns_into_side_by_side_tables():
    # Given two headers and their data, one empty column apart, under one title
    rows = [
        ["Members"],
        ["Email", "Full Name", "", "Code", "Amount"],
        *[[f"p{i}@x.co", f"P{i}", "", "C", i] for i in range(3)],
    ]
    # Then each side is its own table
    assert shapes(rows) == [(2, 1, 0, ("Email", "Full Name")), (2, 1, 3, ("Code", "Amount"))]


def test_find_tables_stretches_group_labels_over_the_empty_cells_of_their_group():
    # Given a sparse group row directly above a header
    rows = [
        ["Person", "", "Contact", ""],
        ["First", "Last", "Email", "Phone"],
        ["Ann", "Lee", "a@x.co", "+1 416 555 0100"],
    ]
    # Then both rows are the header, each column's text its pieces top to bottom
    assert shapes(rows) == [
        (1, 2, 0, ("Person First", "Person Last", "Contact Email", "Contact Phone")),
    ]


def test_find_tables_names_the_columns_of_a_headerless_block_after_the_sheets_letters():
    # Given dates and amounts from column B on, with no header
    rows = [["", f"2024-01-0{day}", day * 2.5] for day in range(1, 5)]
    # Then it is a headerless table starting at its first row
    assert shapes(rows) == [(1, 0, 1, ("Column B", "Column C"))]


def test_find_tables_sees_no_table_in_prose_or_a_lone_title_over_a_gap():
    # Given a title over numbered steps, and a title with a blank row under it over values
    steps = [["Instructions"], ["1. Enter one member per row."], ["2. Save the file as xlsx."]]
    title_then_values = [["Totals"], [], [1], [2]]
    # Then the steps are no table, and the values are a headerless table without the title
    assert shapes(steps) == []
    assert shapes(title_then_values) == [(3, 0, 0, ("Column A",))]


def test_find_tables_returns_nothing_over_or_under_blocked_columns():
    # Given a table whose middle columns belong to a table already open there
    rows = [["Email", "Full Name", "Phone"], ["a@x.co", "Ann", "+1 416 555 0100"], ["b@x.co", "Bob", "+1 416 555 0101"]]
    # Then nothing is found over them
    assert shapes(rows, blocked=[(1, 1)]) == []


def test_find_tables_needs_two_data_rows_under_a_header_that_names_no_field():
    # Given a summary block of one row under unknown labels, and the same under a known one
    assert shapes([["Fee", "Total"], [25, 175]]) == []
    assert shapes([["Email", "Total"], ["a@x.co", 175]]) == [(1, 1, 0, ("Email", "Total"))]
