"""The segmenter alone: a sheet's rows in, table events out (no files, no mapping)."""

from __future__ import annotations

from typing import Any

from normalizer.config import DEFAULT_CONFIGURATION
from normalizer.mapping import HeaderVocabulary
from normalizer.segment import MAX_HELD_ROWS, SegmentEvent, SheetSegmenter, TableChunk, TableEnded, TableFound

VOCABULARY = HeaderVocabulary(DEFAULT_CONFIGURATION.fields)
HEADER = ["First Name", "Last Name", "Email", "Member ID"]


def members(count: int, start: int = 0) -> list[list[Any]]:
    return [[f"Ann{i}", f"Smith{i}", f"ann{i}@example.com", 1000 + i] for i in range(start, start + count)]


def segment(rows: list[list[Any]], **options: Any) -> list[SegmentEvent]:
    options = {"scan_rows": 20, "chunk_rows": 4, "sample_rows": 3, **options}
    return list(SheetSegmenter(rows, VOCABULARY, **options))


def data_rows(events: list[SegmentEvent], index: int) -> list[int]:
    return [n for e in events if isinstance(e, TableChunk) and e.index == index for n in e.row_numbers]


def test_a_table_is_found_sent_in_chunks_and_ended_at_its_last_data_row():
    # Given a header, ten data rows and trailing blank rows
    events = segment([HEADER, *members(10), [], [""]])
    # Then the table is announced with its sample, its rows follow in chunks, and it ends at row 11
    found, *chunks, ended = events
    assert isinstance(found, TableFound) and (found.index, found.header.row_start) == (0, 1)
    assert [row[0] for row in found.sample] == ["Ann0", "Ann1", "Ann2"]
    assert data_rows(events, 0) == list(range(2, 12))
    assert all(isinstance(chunk, TableChunk) for chunk in chunks)
    assert ended == TableEnded(index=0, last_row=11, outside_cells=0)


def test_blank_rows_inside_a_table_are_not_sent_but_keep_it_going():
    # Given data rows separated by single blank rows, across several chunks
    rows = [HEADER]
    for index in range(6):
        rows += [*members(1, index), []]
    # When they are segmented
    events = segment(rows)
    # Then the table goes on over the gaps and only the data rows are sent
    assert data_rows(events, 0) == [2, 4, 6, 8, 10, 12]
    assert [e for e in events if isinstance(e, TableEnded)] == [TableEnded(0, 12, 0)]


def test_a_note_right_under_the_data_in_the_next_chunk_ends_the_table_before_it():
    # Given a table whose note falls at a chunk boundary, then a second table after a gap
    rows = [
        HEADER,
        *members(3),
        ["Note: first batch"],
        [],
        ["Full Name", "Email"],
        ["Bob", "b@x.co"],
        ["Eve", "e@x.co"],
    ]
    # When they are segmented in chunks of every size
    for chunk_rows in range(1, 8):
        events = segment(rows, chunk_rows=chunk_rows)
        # Then the first table ends at its last data row, and the second starts at its header
        ends = [(e.index, e.last_row) for e in events if isinstance(e, TableEnded)]
        starts = [(e.index, e.header.row_start) for e in events if isinstance(e, TableFound)]
        assert (ends, starts) == ([(0, 4), (1, 9)], [(0, 1), (1, 7)]), chunk_rows


def test_a_table_goes_on_over_page_breaks_that_repeat_its_header():
    # Given pages of one table, each with a title and the header again, after a page footer
    rows: list[list[Any]] = [HEADER, *members(5)]
    for page in range(2, 4):
        rows += [[], [f"Page {page - 1} of 3"], [], ["Member list"], HEADER, *members(5, page * 10)]
    # When they are segmented in chunks of every size
    for chunk_rows in (1, 3, 4, 512):
        events = segment(rows, chunk_rows=chunk_rows)
        # Then it is one table, and only the member rows are data
        assert [e.index for e in events if isinstance(e, TableEnded)] == [0], chunk_rows
        assert data_rows(events, 0) == [*range(2, 7), *range(12, 17), *range(22, 27)], chunk_rows


def test_sparse_rows_right_under_the_data_stay_in_it_when_the_sheet_ends():
    # Given a last member with only a first name
    events = segment([HEADER, *members(3), ["Zoe"]])
    # Then that row is data
    assert data_rows(events, 0) == [2, 3, 4, 5]


def test_tables_side_by_side_are_announced_in_order_and_their_chunks_interleave():
    # Given two tables separated by an empty column, the right one longer
    rows = [[*HEADER, "", "Code", "Amount"]]
    rows += [[*member, "", f"C{i}", i * 2.5] for i, member in enumerate(members(3))]
    rows += [["", "", "", "", "", f"C{i}", i * 2.5] for i in range(3, 9)]
    # When they are segmented
    events = segment(rows)
    # Then table 0 is the members and table 1 the codes, each with its own rows
    found = [(e.index, e.header.first_column, e.header.last_column) for e in events if isinstance(e, TableFound)]
    assert found == [(0, 0, 3), (1, 5, 6)]
    assert data_rows(events, 0) == [2, 3, 4]
    assert data_rows(events, 1) == list(range(2, 11))


def test_stray_cells_beside_a_tables_rows_are_counted_against_it():
    # Given a table and, far below its first rows, a note two columns to its right
    rows = [["Email", "First Name"], *[[f"p{i}@example.com", f"P{i}"] for i in range(30)]]
    rows[25] = [*rows[25], "", "see note"]
    # When it is segmented
    events = segment(rows)
    # Then the cell is counted against the table and no table is made of it
    assert [e for e in events if isinstance(e, TableEnded)] == [TableEnded(0, 31, 1)]


def test_a_sheet_without_a_table_yields_nothing_and_says_whether_it_has_content():
    # Given a sheet of prose and an empty one
    prose = SheetSegmenter(
        [["How to use this workbook"], ["Fill in one row per member, then save."]], VOCABULARY, scan_rows=5
    )
    empty = SheetSegmenter([[], [""]], VOCABULARY, scan_rows=5)
    # When they are segmented, Then neither yields an event, and only the first has content
    assert (list(prose), prose.has_content) == ([], True)
    assert (list(empty), empty.has_content) == ([], False)


def test_a_long_run_of_sparse_rows_right_under_the_data_is_data_and_is_not_held_in_memory():
    # Given full rows, then more sparse rows (a first name only) than a table holds back, then full rows
    sparse = [[f"Solo{i}"] for i in range(MAX_HELD_ROWS + 10)]
    rows = [HEADER, *members(3), *sparse, *members(2, 100)]
    # When they are segmented
    events = segment(rows, chunk_rows=64)
    # Then every row is data of the one table
    assert data_rows(events, 0) == list(range(2, len(rows) + 1))
    assert [e.index for e in events if isinstance(e, TableEnded)] == [0]


def test_a_table_ends_once_it_has_held_back_too_many_rows_past_a_gap():
    # Given a table, a gap, then more single-cell notes than a table holds back, then full rows
    notes = [[f"Note: item {i}"] for i in range(MAX_HELD_ROWS + 10)]
    rows = [HEADER, *members(3), [], *notes, *members(2, 100)]
    # When they are segmented
    events = segment(rows, chunk_rows=64)
    # Then the table ended at its last data row; the rows far below are not its data
    assert next((e.index, e.last_row) for e in events if isinstance(e, TableEnded)) == (0, 4)
    assert data_rows(events, 0) == [2, 3, 4]
