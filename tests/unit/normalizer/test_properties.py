"""Properties: generated tables are found exactly where they are; a table whose headers are the
field names maps column for column and round-trips."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

import hypothesis.strategies as st
import openpyxl
from hypothesis import HealthCheck, given, settings

from normalizer.config import Configuration
from normalizer.detect import HeaderBlock, column_letter
from normalizer.mapping import HeaderVocabulary
from normalizer.pipeline import process
from normalizer.segment import SheetSegmenter, TableEnded, TableFound
from tests.unit.normalizer.sheet_layouts import CONFIGURATION as LAYOUT_CONFIGURATION
from tests.unit.normalizer.sheet_layouts import ExpectedTable, layouts

FIELD_NAMES = ["code", "city", "amount", "count", "note", "region"]
FIELD_TYPES = {
    "code": "string",
    "city": "string",
    "amount": "number",
    "count": "integer",
    "note": "string",
    "region": "string",
}

# Text without leading/trailing spaces (the default "trim" transform), never formula-like, never number-like.
words = st.text(alphabet=string.ascii_letters + "äéß", min_size=1, max_size=12)
texts = st.builds(
    lambda first, rest: first + rest, words, st.text(alphabet=string.ascii_letters + " -", max_size=10).map(str.rstrip)
)
cells = {
    "string": texts,
    "number": st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda value: round(value, 4)),
    "integer": st.integers(min_value=-(10**12), max_value=10**12),
}


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[object]]]:
    names = draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=len(FIELD_NAMES), unique=True))
    row_count = draw(st.integers(min_value=1, max_value=25))
    rows = [[draw(cells[FIELD_TYPES[name]]) for name in names] for _ in range(row_count)]
    return names, rows


CONFIGURATION = Configuration.model_validate(
    {
        "schemaVersion": 1,
        "name": "property",
        "fields": [{"name": name, "type": FIELD_TYPES[name]} for name in FIELD_NAMES],
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_headers_equal_to_field_names_map_exactly_and_values_round_trip(table):
    # Given a generated table whose headers are field names
    names, rows = table
    with tempfile.TemporaryDirectory() as scratch:
        source, output = Path(scratch) / "in.xlsx", Path(scratch) / "out.xlsx"
        workbook = openpyxl.Workbook()
        workbook.active.append(names)
        for row in rows:
            workbook.active.append(row)
        workbook.save(source)
        # When the engine processes it
        report = process(source, output, CONFIGURATION)
        # Then every column maps to its own field with score 1.0
        assert report.status == "succeeded", report.failure
        assert [(c.header_raw, c.mapped_field, c.mapping_score) for c in report.columns] == [
            (name, name, 1.0) for name in names
        ]
        # And the output holds the same values under the field's column
        written = openpyxl.load_workbook(output, read_only=True)
        header, *body = [list(values) for values in written.worksheets[0].iter_rows(values_only=True)]
        written.close()
        assert header == FIELD_NAMES
        assert len(body) == len(rows)
        for position, name in enumerate(names):
            assert [line[FIELD_NAMES.index(name)] for line in body] == [row[position] for row in rows]


def _detected(rows: list[list[object]], chunk_rows: int) -> list[ExpectedTable]:
    found: dict[int, HeaderBlock] = {}
    ended: dict[int, int] = {}
    vocabulary = HeaderVocabulary(LAYOUT_CONFIGURATION.fields)
    for event in SheetSegmenter(rows, vocabulary, scan_rows=50, chunk_rows=chunk_rows, sample_rows=4):
        if isinstance(event, TableFound):
            found[event.index] = event.header
        elif isinstance(event, TableEnded):
            ended[event.index] = event.last_row
    assert sorted(found) == sorted(ended) == list(range(len(found)))
    return [
        ExpectedTable(header.first_column, header.last_column, header.row_start, header.row_count, ended[index])
        for index, header in sorted(found.items())
    ]


def _by_position(tables: list[ExpectedTable]) -> list[ExpectedTable]:
    return sorted(tables, key=lambda table: (table.header_row_start, table.first_column))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(layouts(), st.integers(min_value=1, max_value=9))
def test_detected_tables_are_the_generated_ones_whatever_the_chunk_size(layout, chunk_rows):
    # Given a generated sheet: preambles, notes, gaps, blank rows, side-by-side neighbours, headerless blocks
    rows = layout.rows()
    # When its rows stream through table detection in chunks of any size
    detected = _detected(rows, chunk_rows)
    # Then the tables found are the generated ones: same columns, header rows and last data row
    assert _by_position(detected) == _by_position(layout.tables)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(layouts())
def test_report_regions_of_a_real_workbook_are_the_generated_tables(layout):
    # Given a generated layout written to a real workbook
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "layout.xlsx"
        workbook = openpyxl.Workbook()
        for (row, column), value in layout.cells.items():
            workbook.active.cell(row + 1, column + 1, value)
        workbook.save(source)
        # When the engine validates it
        report = process(source, None, LAYOUT_CONFIGURATION, write_output=False)
    # Then each reported table's region and header rows are those of a generated table
    assert report.status == "succeeded", report.failure
    expected = [
        (
            f"{column_letter(table.first_column)}{table.header_row_start}:"
            f"{column_letter(table.last_column)}{table.last_row}",
            table.header_row_count,
            table.header_row_count == 0,
        )
        for table in _by_position(layout.tables)
    ]
    reported = [(table.region, table.header_row_count, table.headerless) for table in report.sheets[0].tables]
    assert sorted(reported) == sorted(expected)
