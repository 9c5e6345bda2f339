"""The whole run: outcomes, failures, cancellation, events, validate mode, streaming across chunks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import xlsxwriter

from normalizer import pipeline
from normalizer.errors import RunCancelled
from normalizer.events import DROPPABLE_EVENT_BUDGET, PROGRESS_INTERVAL_SECONDS, RunEvents
from normalizer.pipeline import process

HEADER = ["First Name", "Last Name", "Email", "Member ID"]


def big_workbook(path: Path, rows: int, *, duplicate_every: int = 0) -> Path:
    """A title row, a header and `rows` member rows, written with xlsxwriter (fast)."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Members")
    sheet.write_row(0, 0, ["Member export"])
    sheet.write_row(1, 0, HEADER)
    for index in range(rows):
        member = index if not duplicate_every or index % duplicate_every else 0
        sheet.write_row(index + 2, 0, [f"Ann{index}", "Smith", f"ann{index}@example.com", f"M{member}"])
    workbook.close()
    return path


class EventLog:
    def __init__(self) -> None:
        self.records: list[tuple[str, str, str, dict[str, Any]]] = []

    def __call__(self, name: str, level: str, message: str, data: dict[str, Any]) -> None:
        self.records.append((name, level, message, data))

    def names(self) -> list[str]:
        return [name for name, *_ in self.records]


def test_clean_run_succeeds_and_reports_metrics(make_workbook, tmp_path):
    # Given a clean member list
    path = make_workbook({"Members": [HEADER, ["Ann", "Smith", "ann@example.com", "M1"]]})
    # When the engine runs
    report = process(path, tmp_path / "out.xlsx")
    # Then it succeeds, writes the output and counts what it saw
    metrics = report.metrics
    assert (report.status, report.failure) == ("succeeded", None)
    assert (metrics.table_count, metrics.row_count_total, metrics.column_count_mapped) == (1, 1, 4)
    assert (metrics.cell_count_total, metrics.cell_count_non_empty) == (4, 4)
    assert (metrics.field_count_expected, metrics.field_count_detected) == (7, 4)
    assert metrics.evaluation_outcome == "success"
    assert report.output is not None and Path(report.output.path).exists()
    assert report.output.size_bytes == Path(report.output.path).stat().st_size
    assert report.output.row_count == 1


def test_validate_mode_maps_and_validates_but_writes_nothing(make_workbook, tmp_path):
    # Given a workbook with one invalid e-mail
    path = make_workbook({"Members": [HEADER, ["Ann", "Smith", "not-an-email", "M1"]]})
    output = tmp_path / "out.xlsx"
    # When the engine runs without writing
    report = process(path, output, write_output=False)
    # Then the report is complete but nothing is written
    assert not output.exists()
    assert report.output is None
    assert report.metrics.issues_by_code == {"invalid_email": 1}
    assert [field.field for field in report.fields if field.detected] == [
        "first_name",
        "last_name",
        "email",
        "member_id",
    ]
    assert report.sheets[0].tables[0].output_sheet is None


def test_missing_input_fails_with_input_missing(tmp_path):
    # Given a path with no file
    # When the engine runs
    report = process(tmp_path / "nope.xlsx", tmp_path / "out.xlsx")
    # Then the run failed in prepare with INPUT_MISSING and reports no output
    assert report.status == "failed"
    assert report.failure is not None
    assert (report.failure.code, report.failure.stage) == ("INPUT_MISSING", "prepare")
    assert report.output is None and report.metrics.evaluation_outcome == "failure"


def test_corrupt_workbook_fails_with_input_unreadable(tmp_path):
    # Given a file that claims to be xlsx but is a broken zip
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    # When the engine runs
    report = process(path, tmp_path / "out.xlsx")
    # Then it failed with INPUT_UNREADABLE in read, and no output exists
    assert report.failure is not None
    assert (report.status, report.failure.code, report.failure.stage) == ("failed", "INPUT_UNREADABLE", "read")
    assert not (tmp_path / "out.xlsx").exists()


def test_unknown_sheet_name_fails_with_sheet_not_found(make_workbook, tmp_path):
    # Given a workbook without a sheet called "Missing"
    path = make_workbook({"Members": [HEADER, ["Ann", "Smith", "a@b.co", "M1"]]})
    # When the engine is asked for it
    report = process(path, tmp_path / "out.xlsx", sheet_names=["Missing"])
    # Then the run failed with SHEET_NOT_FOUND and still lists the workbook's sheets
    assert report.failure is not None and report.failure.code == "SHEET_NOT_FOUND"
    assert [sheet.name for sheet in report.sheets] == ["Members"]


def test_unexpected_error_fails_with_internal_and_a_safe_message(make_workbook, tmp_path):
    # Given an event listener that breaks in the middle of the run
    path = make_workbook({"Members": [HEADER, ["Ann", "Smith", "a@b.co", "M1"]]})

    def broken_listener(name: str, level: str, message: str, data: dict[str, Any]) -> None:
        if name == "run.table":
            raise KeyError("secret internals /etc/passwd")

    # When the engine runs
    report = process(path, tmp_path / "out.xlsx", on_event=broken_listener)
    # Then it failed with INTERNAL, a message without internals, and no output file
    assert report.failure is not None
    assert (report.status, report.failure.code, report.failure.stage) == ("failed", "INTERNAL", "transform")
    assert "secret" not in report.failure.message and "Traceback" not in report.failure.message
    assert not (tmp_path / "out.xlsx").exists()
    assert list(tmp_path.glob("*.partial*")) == []


def test_cancellation_mid_stream_leaves_no_output(tmp_path):
    # Given a workbook big enough for several chunks and a caller that cancels after a few checks
    path = big_workbook(tmp_path / "big.xlsx", 3 * pipeline.CANCEL_CHECK_ROWS)
    checks = 0

    def cancel_after_a_while() -> bool:
        nonlocal checks
        checks += 1
        return checks > 8

    output = tmp_path / "out.xlsx"
    # When the engine runs
    report = process(path, output, should_cancel=cancel_after_a_while)
    # Then the run is cancelled, with no failure and no output left behind
    assert (report.status, report.failure, report.output) == ("cancelled", None, None)
    assert checks == 9
    assert not output.exists()
    assert list(tmp_path.glob("*.partial*")) == []


def test_cancellation_before_start_stops_at_once(make_workbook, tmp_path):
    # Given a caller that has already cancelled
    path = make_workbook({"Members": [HEADER, ["Ann", "Smith", "a@b.co", "M1"]]})
    # When the engine runs
    report = process(path, tmp_path / "out.xlsx", should_cancel=lambda: True)
    # Then it is cancelled
    assert report.status == "cancelled"


def test_events_follow_the_stages_and_describe_tables_validation_and_output(make_workbook, tmp_path):
    # Given a workbook with one invalid e-mail
    path = make_workbook({"Members": [["Title"], HEADER, ["Ann", "Smith", "bad", "M1"]]})
    log = EventLog()
    # When the engine runs with a listener
    process(path, tmp_path / "out.xlsx", on_event=log)
    # Then stages come in order, then the table, validation and output events
    stages = [data["stage"] for name, _, _, data in log.records if name == "run.stage"]
    assert stages == ["prepare", "read", "detect", "map", "transform", "write", "finalize"]
    table = next(data for name, _, _, data in log.records if name == "run.table")
    assert (table["region"], table["headerRow"]) == ("A2:D3", 2)
    assert {column["field"] for column in table["mappedColumns"]} == {"first_name", "last_name", "email", "member_id"}
    validation = next(data for name, _, _, data in log.records if name == "run.validation")
    assert validation == {"issuesTotal": 1, "issuesByCode": {"invalid_email": 1}}
    output = next(data for name, _, _, data in log.records if name == "run.output")
    assert output["sheetNames"] == ["Members", "Issues"]
    assert all(json.dumps(data) for *_, data in log.records)


def test_progress_events_are_throttled_to_one_per_interval():
    # Given a clock that advances 0.25 s per progress call
    now = [0.0]

    def clock() -> float:
        return now[0]

    log = EventLog()
    events = RunEvents(log, clock=clock)
    # When progress is reported 20 times over 5 seconds
    for step in range(20):
        now[0] += 0.25
        events.progress(step * 1000, 0, 1)
    # Then one event per interval went out, the first after one interval
    assert log.names().count("run.progress") == int(5 / PROGRESS_INTERVAL_SECONDS)
    assert log.records[0][3] == {"stage": "prepare", "rowsProcessed": 3000, "sheetsProcessed": 0, "sheetsTotal": 1}


def test_sheet_table_and_progress_events_stop_at_the_budget():
    # Given a run that reports many more tables than the budget
    log = EventLog()
    events = RunEvents(log)
    # When it reports them and then enters a stage
    for index in range(DROPPABLE_EVENT_BUDGET + 50):
        events.table("table", {"tableIndex": index})
    events.enter_stage("finalize")
    # Then the budget caps them and the stage still goes out
    assert log.names().count("run.table") == DROPPABLE_EVENT_BUDGET
    assert log.names()[-1] == "run.stage"


def test_cancel_check_raises_run_cancelled():
    # Given a cancellation check that says stop
    events = RunEvents(should_cancel=lambda: True)
    # When it is consulted, Then RunCancelled is raised
    try:
        events.check_cancelled()
    except RunCancelled:
        return
    raise AssertionError("RunCancelled was not raised")


def test_unique_duplicates_are_found_across_chunks(tmp_path, configuration):
    # Given more rows than one chunk, with member ids repeating across chunk boundaries
    rows, every = 3 * pipeline.CHUNK_ROWS + 500, pipeline.CHUNK_ROWS - 100
    path = big_workbook(tmp_path / "big.xlsx", rows, duplicate_every=every)
    config = configuration(
        {"name": "email", "type": "email"},
        {"name": "member_id", "label": "Member ID", "validators": [{"kind": "unique"}]},
    )
    # When the engine runs
    report = process(path, tmp_path / "out.xlsx", config)
    # Then every repeat of the first id is a duplicate issue, wherever it is
    repeats = len(range(0, rows, every)) - 1
    assert repeats >= 3
    assert report.metrics.issues_by_code == {"duplicate": repeats}
    assert report.metrics.row_count_total == rows
    assert report.output is not None and report.output.row_count == rows


def test_csv_input_is_one_sheet_named_after_the_file(tmp_path, read_back):
    # Given a CSV file
    path = tmp_path / "roster.csv"
    path.write_text("First Name,Email\nAnn,ann@example.com\nBob,bob@example.com\n", encoding="utf-8")
    output = tmp_path / "out.xlsx"
    # When the engine runs
    report = process(path, output)
    # Then the one sheet is named after the file's stem, in the report and the output
    assert [sheet.name for sheet in report.sheets] == ["roster"]
    assert report.output is not None and report.output.sheet_names == ["roster", "Issues"]
    assert read_back(output, "roster")[1][:4] == ["Ann", None, None, "ann@example.com"]


def test_each_input_sheet_with_a_table_gets_an_output_sheet(make_workbook, tmp_path):
    # Given two sheets with tables and one empty sheet
    path = make_workbook(
        {"North": [HEADER, ["Ann", "S", "a@b.co", "1"]], "Blank": [], "South": [HEADER, ["Bob", "T", "b@c.co", "2"]]}
    )
    # When the engine runs
    report = process(path, tmp_path / "out.xlsx")
    # Then the output has North, South and Issues, in workbook order
    assert report.output is not None and report.output.sheet_names == ["North", "South", "Issues"]
    assert [sheet.name for sheet in report.sheets if sheet.tables] == ["North", "South"]


def test_workbook_without_any_table_writes_the_configured_header_and_why(make_workbook, tmp_path, read_back):
    # Given a workbook with only an empty sheet
    path = make_workbook({"Blank": []})
    output = tmp_path / "out.xlsx"
    # When the engine runs
    report = process(path, output)
    # Then the run succeeds with a failure grade, and its output holds the configured header and the reason
    assert (report.status, report.metrics.evaluation_outcome) == ("succeeded", "failure")
    assert report.output is not None and report.output.sheet_names == ["Blank", "Issues"]
    assert report.output.row_count == 0
    assert read_back(output, "Blank") == [
        ["first_name", "last_name", "full_name", "email", "phone", "member_id", "date_of_birth"]
    ]
    assert read_back(output, "Issues") == [
        ["sheet", "row", "column", "field", "value", "code", "message"],
        ["Blank", None, None, None, None, "sheet_empty", "Sheet 'Blank' is empty."],
    ]


def test_later_sheets_stream_every_row_exactly_once(make_workbook, tmp_path, read_back):
    # Given two sheets, the second longer than what is read ahead to find and map its table
    north = [HEADER, *[[f"Ann{i}", "S", f"a{i}@b.co", f"N{i}"] for i in range(3)]]
    south = [["Title"], HEADER, *[[f"Bob{i}", "T", f"b{i}@c.co", f"S{i}"] for i in range(400)]]
    path = make_workbook({"North": north, "South": south})
    output = tmp_path / "out.xlsx"
    # When the engine runs
    report = process(path, output)
    # Then the second sheet's output holds each of its rows once, in order
    member_ids = [row[5] for row in read_back(output, "South")[1:]]
    assert member_ids == [f"S{i}" for i in range(400)]
    assert report.sheets[1].tables[0].data_row_count == 400


def test_cells_beside_the_table_below_the_sampled_rows_are_reported_not_lost_silently(make_workbook, tmp_path):
    # Given a two-column table and, far below its first rows, a note two columns to its right
    rows: list[list[Any]] = [["Email", "First Name"]]
    rows += [[f"p{i}@example.com", f"P{i}"] for i in range(300)]
    rows[250] = [*rows[250], None, "see note"]
    source = make_workbook({"People": rows})

    # When it is processed
    report = process(source, tmp_path / "out.xlsx")

    # Then the run succeeds and a finding says how many cells were left out and where
    assert report.status == "succeeded"
    (finding,) = [f for f in report.findings if f.code == "cells_outside_table"]
    assert finding.sheet_name == "People" and finding.table_index == 0
    assert finding.message.startswith("1 non-empty cells")


def test_cancellation_is_checked_every_few_thousand_rows_not_every_chunk(tmp_path):
    # Given a workbook of ten check intervals and a caller counting the checks
    path = big_workbook(tmp_path / "big.xlsx", 10 * pipeline.CANCEL_CHECK_ROWS)
    checks = 0

    def never() -> bool:
        nonlocal checks
        checks += 1
        return False

    # When the engine runs to the end
    report = process(path, tmp_path / "out.xlsx", should_cancel=never)

    # Then it asked about once per interval (plus once per stage), not once per chunk
    assert report.status == "succeeded"
    assert 10 <= checks <= 10 + 12


def test_a_run_that_fails_after_writing_leaves_no_output(make_workbook, tmp_path):
    # Given a listener that breaks when told the output was written
    path = make_workbook({"Members": [HEADER, ["Ann", "Smith", "a@b.co", "M1"]]})
    output = tmp_path / "out.xlsx"

    def broken_listener(name: str, level: str, message: str, data: dict[str, Any]) -> None:
        if name == "run.output":
            raise RuntimeError("listener down")

    # When the engine runs
    report = process(path, output, on_event=broken_listener)
    # Then the run failed in finalize and the workbook it wrote is gone
    assert report.failure is not None and (report.failure.code, report.failure.stage) == ("INTERNAL", "finalize")
    assert (report.output, output.exists()) == (None, False)
