"""The pipeline's stages on their own, with plain inputs: one table's processing, one sheet's output
order, and report assembly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from normalizer.config import Configuration
from normalizer.detect import HeaderBlock
from normalizer.mapping import HeaderVocabulary
from normalizer.read import SheetInfo
from normalizer.segment import SegmentEvent, TableChunk, TableEnded, TableFound
from normalizer.sheet import SheetRun
from normalizer.summary import IssueCounts, SheetOutcome, build_report
from normalizer.table import IssueLog, TableOutcome, TableProcessor

CONFIGURATION = Configuration.model_validate(
    {
        "schemaVersion": 1,
        "name": "stages",
        "fields": [{"name": "email", "type": "email", "required": True}, {"name": "amount", "type": "number"}],
    }
)
SHEET = SheetInfo(index=0, name="Sheet", visible=True, is_active=True)


def found(index: int, first_column: int, texts: tuple[str, ...], sample: list[list[Any]]) -> TableFound:
    return TableFound(index, HeaderBlock(1, 1, first_column, texts, 1.0), sample)


def processor(event: TableFound, issues: IssueLog | None = None) -> TableProcessor:
    return TableProcessor(
        configuration=CONFIGURATION,
        vocabulary=HeaderVocabulary(CONFIGURATION.fields),
        sheet=SHEET,
        index=event.index,
        header=event.header,
        sample_rows=event.sample,
        workbook_name="book.xlsx",
        issues=issues or IssueLog(None),
    )


def test_a_table_processor_maps_cleans_counts_and_reports_one_table():
    # Given a table in columns B-D: an email, an amount and an unmapped note
    rows = [["", "Ann@Example.com", "12.5", "vip"], ["", "not an email", "", ""]]
    table = found(0, 1, ("Email", "Amount", "Notes"), rows)
    issues = IssueLog(None)
    run = processor(table, issues)
    # When a chunk of its rows goes through it and it ends
    batch = run.process(TableChunk(0, rows, range(2, 4)), writing=True)
    outcome = run.finish(TableEnded(0, 4, 0), "Sheet")
    # Then the output rows are the fields in configuration order, then the unmapped column
    assert run.output_header == ["email", "amount", "Notes"]
    assert batch is not None and list(batch.rows) == [("ann@example.com", 12.5, "vip"), ("not an email", None, "")]
    # And the issue is logged, and the report counts one empty row in the region
    assert (issues.total, dict(issues.by_code)) == (1, {"invalid_email": 1})
    assert (outcome.table.region, outcome.data_rows, outcome.empty_rows) == ("B1:D4", 3, 1)
    assert [c.valid_cells for c in outcome.columns] == [1, 1, None]


def test_a_sheet_run_writes_side_by_side_tables_one_after_the_other_in_index_order():
    # Given events of two tables whose chunks interleave, the second found beside the first
    left = found(0, 0, ("Email",), [["a@x.co"]])
    right = found(1, 2, ("Amount",), [["", "", "1"]])
    events: list[SegmentEvent] = [
        TableChunk(0, [["a@x.co"]], range(2, 3)),
        right,
        TableChunk(1, [["", "", "1"], ["", "", "2"]], range(2, 4)),
        TableChunk(0, [["b@x.co"]], range(3, 4)),
        TableEnded(1, 3, 0),
        TableEnded(0, 3, 0),
    ]
    outcomes: list[TableOutcome] = []
    run = SheetRun(
        info=SHEET,
        output_name="Sheet",
        first_table=processor(left),
        events=iter(events),
        make_table=processor,
        on_rows=lambda count: None,
        on_table=lambda table, outcome: outcomes.append(outcome),
    )
    # When its output rows are pulled
    rows = [tuple(row) for batch in run.batches(writing=True) for row in batch.rows]
    # Then the first table's rows come first, then a blank row, the second's header and its rows
    assert rows == [
        ("a@x.co", None),
        ("b@x.co", None),
        (),
        ("email", "amount"),
        (None, 1.0),
        (None, 2.0),
    ]
    assert [outcome.table.index for outcome in run.outcomes] == [1, 0]


def _events_of_one_table() -> Iterator[SegmentEvent]:
    yield TableChunk(0, [["a@x.co"]], range(2, 3))
    yield TableEnded(0, 2, 0)


def test_report_assembly_counts_tables_fields_and_findings_from_plain_outcomes():
    # Given one processed table on the first of two sheets
    table = found(0, 0, ("Email",), [["a@x.co"]])
    run = SheetRun(
        info=SHEET,
        output_name="Sheet",
        first_table=processor(table),
        events=_events_of_one_table(),
        make_table=processor,
        on_rows=lambda count: None,
        on_table=lambda table, outcome: None,
    )
    list(run.batches(writing=False))
    other = SheetInfo(index=1, name="Other", visible=False, is_active=False)
    # When the report is built
    report = build_report(
        status="succeeded",
        failure=None,
        configuration=CONFIGURATION,
        sheets=[SheetOutcome(SHEET, processed=True, tables=run.outcomes), SheetOutcome(other)],
        findings=[],
        issues=IssueCounts(0, {}),
        written=None,
        duration_ms=5,
    )
    # Then metrics, fields and sheets describe it
    metrics = report.metrics
    assert (metrics.table_count, metrics.row_count_total, metrics.sheet_count) == (1, 1, 1)
    assert [(f.field, f.detected) for f in report.fields] == [("email", True), ("amount", False)]
    assert [(s.name, s.processed, len(s.tables)) for s in report.sheets] == [("Sheet", True, 1), ("Other", False, 0)]
    assert (report.output, metrics.evaluation_outcome) == (None, "success")
