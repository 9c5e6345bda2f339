"""Run the engine on one workbook: read → detect → map → transform/validate → write, and report.

`process` never raises for bad input: every outcome is a `Report` (succeeded, failed with a code and
stage, or cancelled). This module only runs the stages in order; each lives in its own module:

1. prepare: every field is compiled once (a validator that cannot apply fails the run here) and a
   header vocabulary is built (`mapping.HeaderVocabulary`).
2. read (`read`): the workbook is opened and its sheets selected.
3. detect (`segment`, `detect`): each selected sheet's rows stream into a `SheetSegmenter` until its
   first table is found, with the rows that sample it; a sheet without a table gets a finding. Only
   the first sheet with a table keeps its stream open; the others are read again when their turn
   comes, so the reader never holds more than two sheets' grids.
4. map (`table`): each sheet's first table is mapped (`TableProcessor`).
5. transform/validate (`sheet`, `table`, `values`): the writer pulls each sheet's output rows; its
   segmenter finds the sheet's other tables as the rows stream, and each chunk goes through its
   table's field processors. Nothing holds a sheet: memory is the reader's grid, a chunk, the rows
   held back around a table's end, rows of tables side by side waiting for their turn (spooled to
   disk past a bound), and `unique` sets. The cyclic garbage collector is paused while rows stream.
6. write (`write`): the rows go straight into the output workbook, then the `Issues` sheet.
7. finalize: the report (`summary`).

Output layout: one sheet per input sheet with a table, named as the input sheet. Its header is every
configured field in configuration order, then the first table's unmapped columns (input header
text, de-duplicated; `Column F` when empty) unless `removeUnmappedColumns`. The sheet's other tables
(stacked below or side by side in the input) follow one after another in the order they were found,
each after one blank row and its own header row; fields keep their columns, so types (and date
formats) stay aligned. Rows that are not data (blank rows, notes) are not written. Issues name the
input sheet, row and column. A run that finds no table at all still writes its output: one sheet
with the configured header, and an `Issues` sheet (when configured) saying why.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from normalizer.config import DEFAULT_CONFIGURATION, Configuration
from normalizer.errors import EngineFailure, RunCancelled, Stage
from normalizer.events import CancelCheck, EventCallback, RunEvents
from normalizer.mapping import HeaderVocabulary
from normalizer.read import SheetInfo, Workbook, open_workbook, select_sheets
from normalizer.report import Failure, Finding, FindingCode, Report, RunStatus
from normalizer.segment import SegmentEvent, SheetSegmenter, TableFound
from normalizer.sheet import SheetRun
from normalizer.summary import IssueCounts, SheetOutcome, build_report
from normalizer.table import IssueLog, TableOutcome, TableProcessor, compile_processor
from normalizer.write import (
    IssueRow,
    IssueSpool,
    OutputSheet,
    RowBatch,
    WrittenWorkbook,
    output_sheet_name,
    write_workbook,
)

logger = logging.getLogger(__name__)

CANCEL_CHECK_ROWS = 4096
"""Rows between two calls of the caller's cancellation check (it may cost a database read)."""

CHUNK_ROWS = 512
"""Rows per chunk through value processing. Small chunks are
faster: a chunk's cells stay in the CPU caches from the reader through processing into the writer,
while the per-chunk overhead stays a few microseconds a column."""

SAMPLE_ROWS = 128
"""Data rows of a table read before it is mapped, to sample its columns."""

INTERNAL_MESSAGE = "The engine failed unexpectedly; the error has been logged."
NO_OUTPUT_SHEET_NAME = "Sheet1"


def process(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str] | None,
    configuration: Configuration | None = None,
    *,
    sheet_names: Sequence[str] | None = None,
    active_sheet_only: bool = False,
    write_output: bool = True,
    filename: str | None = None,
    on_event: EventCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> Report:
    """Normalize one workbook into `output_path` and report on it.

    `configuration` None uses the built-in default. `sheet_names` picks sheets (default: every visible
    sheet); `active_sheet_only` picks the active one. `write_output=False` maps and validates but writes
    nothing (the API's "validate" operation). `filename` is the input's display name (default: the
    path's name). `on_event(name, level, message, data)` receives progress events; `should_cancel()` is
    asked between stages and every few thousand rows.

    A run that succeeds with `write_output` always leaves its output workbook at `output_path`; a run
    that does not succeed leaves none. Never raises for bad input or a failed run: an `EngineFailure`
    becomes status "failed" with its code and stage, cancellation becomes "cancelled", and any other
    error becomes "failed" with code INTERNAL and a message without internals.
    """
    run = _Run(configuration or DEFAULT_CONFIGURATION, RunEvents(on_event, should_cancel))
    try:
        run.execute(
            Path(input_path),
            None if output_path is None else Path(output_path),
            sheet_names=sheet_names,
            active_sheet_only=active_sheet_only,
            write_output=write_output,
            filename=filename,
        )
    except EngineFailure as failure:
        return run.report("failed", Failure(code=failure.code, stage=failure.stage, message=failure.message))
    except RunCancelled:
        return run.report("cancelled", None)
    except Exception:
        stage = run.failure_stage()
        logger.exception("normalizer run failed unexpectedly in stage %s", stage)
        return run.report("failed", Failure(code="INTERNAL", stage=stage, message=INTERNAL_MESSAGE))
    return run.report("succeeded", None)


@dataclass(slots=True)
class _SheetPlan:
    """A selected sheet whose first table was found (and, after the map stage, mapped).

    `events` is the sheet's paused segmenter, or None when the sheet is read again for its turn.
    """

    info: SheetInfo
    output_name: str
    found: TableFound
    events: Iterator[SegmentEvent] | None
    first_table: TableProcessor | None = None

    def table(self) -> TableProcessor:
        """The first table, once mapped."""
        assert self.first_table is not None
        return self.first_table


class _Run:
    """The state of one run, from configuration to report."""

    def __init__(self, configuration: Configuration, events: RunEvents) -> None:
        self.configuration = configuration
        self.events = events
        self.started = time.perf_counter()
        self.vocabulary = HeaderVocabulary(configuration.fields)
        self.workbook_name = ""
        self.sheets: list[SheetOutcome] = []
        self.findings: list[Finding] = []
        self.issues = IssueLog(None)
        self.rows_processed = 0
        self.next_cancel_check = CANCEL_CHECK_ROWS
        self.sheets_processed = 0
        self.sheets_total = 0
        self.written: WrittenWorkbook | None = None
        self.rows_failed = False

    def failure_stage(self) -> Stage:
        """The stage an unexpected error happened in (the writer's own errors count as `write`)."""
        stage = self.events.stage
        if stage == "transform" and not self.rows_failed:
            return "write"
        return stage

    # -- running ------------------------------------------------------------------------------

    def execute(
        self,
        input_path: Path,
        output_path: Path | None,
        *,
        sheet_names: Sequence[str] | None,
        active_sheet_only: bool,
        write_output: bool,
        filename: str | None,
    ) -> None:
        events = self.events
        events.enter_stage("prepare")
        if not input_path.is_file():
            raise EngineFailure("INPUT_MISSING", "The input file does not exist.", stage="prepare")
        if write_output and output_path is None:
            raise EngineFailure("INTERNAL", "No output path was given.", stage="prepare")
        for spec in self.configuration.fields:
            compile_processor(spec, self.configuration)
        events.enter_stage("read")
        with open_workbook(input_path, filename=filename) as workbook:
            self.workbook_name = workbook.filename
            self.sheets = [SheetOutcome(info) for info in workbook.sheets]
            selected = select_sheets(workbook, sheet_names=sheet_names, active_sheet_only=active_sheet_only)
            self.sheets_total = len(selected)
            events.enter_stage("detect")
            if not selected:
                self._finding("no_table_found", "The workbook has no sheet to process (every sheet is hidden).", None)
            taken: set[str] = set()
            plans: list[_SheetPlan] = []
            for info in selected:
                events.check_cancelled()
                self._sheet(info).processed = True
                plan = self._plan_sheet(workbook, info, taken, keep_open=not plans)
                if plan is not None:
                    plans.append(plan)
            events.enter_stage("map")
            for plan in plans:
                events.check_cancelled()
                plan.first_table = self._table(plan.info, plan.found)
            events.enter_stage("transform")
            with _collector_paused():
                if write_output:
                    assert output_path is not None
                    self._write(workbook, plans, selected, output_path)
                else:
                    for plan in plans:
                        deque(self._sheet_batches(workbook, plan, writing=False, last=False), maxlen=0)
        events.enter_stage("finalize")
        events.emit(
            "run.validation",
            f"{self.issues.total} issues",
            {"issuesTotal": self.issues.total, "issuesByCode": dict(self.issues.by_code)},
            level="warning" if self.issues.total else "info",
        )
        if self.written is not None:
            events.emit(
                "run.output",
                f"Wrote {self.written.path.name}",
                {
                    "path": str(self.written.path),
                    "filename": self.written.path.name,
                    "sizeBytes": self.written.size_bytes,
                    "sheetNames": self.written.sheet_names,
                },
            )

    def _sheet(self, info: SheetInfo) -> SheetOutcome:
        for sheet in self.sheets:
            if sheet.info.index == info.index:
                return sheet
        sheet = SheetOutcome(info)
        self.sheets.append(sheet)
        return sheet

    def _finding(self, code: FindingCode, message: str, sheet_name: str | None) -> None:
        self.findings.append(
            Finding(code=code, severity="warning", message=message, sheet_name=sheet_name, table_index=None, field=None)
        )

    def _segmenter(self, workbook: Workbook, info: SheetInfo) -> SheetSegmenter:
        return SheetSegmenter(
            workbook.iter_rows(info.index),
            self.vocabulary,
            scan_rows=self.configuration.settings.header_scan_rows,
            chunk_rows=CHUNK_ROWS,
            sample_rows=SAMPLE_ROWS,
        )

    def _plan_sheet(
        self, workbook: Workbook, info: SheetInfo, taken: set[str], *, keep_open: bool
    ) -> _SheetPlan | None:
        """Stream a sheet until its first table is found; None (with a finding) when it has none.

        Only the first sheet with a table keeps its stream open; the others are closed (freeing the
        reader's grid) and read again when their turn comes.
        """
        segmenter = self._segmenter(workbook, info)
        stream = iter(segmenter)
        first = next(stream, None)
        if not isinstance(first, TableFound):
            scan_rows = self.configuration.settings.header_scan_rows
            if segmenter.has_content:
                code: FindingCode = "no_table_found"
                message = f"No table was found in the first {scan_rows} rows of sheet {info.name!r}."
            else:
                code, message = "sheet_empty", f"Sheet {info.name!r} is empty."
            self._finding(code, message, info.name)
            self.events.sheet(message, {"sheetIndex": info.index, "sheetName": info.name, "tables": 0, "finding": code})
            return None
        header = first.header
        self.events.sheet(
            f"Found a table on sheet {info.name!r} at row {header.row_start}",
            {"sheetIndex": info.index, "sheetName": info.name, "headerRow": header.row_start},
        )
        if not keep_open:
            _close(stream)
        return _SheetPlan(info, output_sheet_name(info.name, taken), first, stream if keep_open else None)

    def _table(self, info: SheetInfo, found: TableFound) -> TableProcessor:
        return TableProcessor(
            configuration=self.configuration,
            vocabulary=self.vocabulary,
            sheet=info,
            index=found.index,
            header=found.header,
            sample_rows=found.sample,
            workbook_name=self.workbook_name,
            issues=self.issues,
        )

    def _write(
        self, workbook: Workbook, plans: Sequence[_SheetPlan], selected: Sequence[SheetInfo], path: Path
    ) -> None:
        """Write the output workbook: the sheets with tables, or the configured header alone when none."""
        spool = IssueSpool() if self.configuration.settings.write_issues_sheet else None
        self.issues.spool = spool
        try:
            if plans:
                sheets = [
                    OutputSheet(
                        name=plan.output_name,
                        header=plan.table().output_header,
                        batches=self._sheet_batches(workbook, plan, writing=True, last=plan is plans[-1]),
                        column_kinds=plan.table().column_kinds,
                    )
                    for plan in plans
                ]
            else:
                self.events.enter_stage("write")
                name = selected[0].name if selected else NO_OUTPUT_SHEET_NAME
                sheets = [
                    OutputSheet(output_sheet_name(name, set()), [spec.name for spec in self.configuration.fields], [])
                ]
                if spool is not None:
                    spool.extend([_finding_row(finding) for finding in self.findings])
            self.written = write_workbook(path, sheets, spool)
        finally:
            if spool is not None:
                spool.close()

    def _sheet_batches(self, workbook: Workbook, plan: _SheetPlan, *, writing: bool, last: bool) -> Iterator[RowBatch]:
        """The output rows of one sheet, a chunk at a time (nothing when not writing)."""
        info = plan.info
        run = SheetRun(
            info=info,
            output_name=plan.output_name,
            first_table=plan.table(),
            events=plan.events if plan.events is not None else iter(self._segmenter(workbook, info)),
            make_table=lambda found: self._table(info, found),
            on_rows=self._rows_done,
            on_table=lambda table, outcome: self._table_done(info, table, outcome),
        )
        self._sheet(info).tables = run.outcomes
        try:
            yield from run.batches(writing=writing)
        except BaseException:
            self.rows_failed = True
            raise
        self.sheets_processed += 1
        self.events.progress(self.rows_processed, self.sheets_processed, self.sheets_total)
        if last and writing:
            self.events.enter_stage("write")

    def _rows_done(self, count: int) -> None:
        self.rows_processed += count
        self.events.progress(self.rows_processed, self.sheets_processed, self.sheets_total)
        if self.rows_processed >= self.next_cancel_check:
            self.next_cancel_check = self.rows_processed + CANCEL_CHECK_ROWS
            self.events.check_cancelled()

    def _table_done(self, info: SheetInfo, table: TableProcessor, outcome: TableOutcome) -> None:
        result = outcome.table
        self.events.table(
            f"Table {result.index} of sheet {info.name!r}: {result.region}",
            {
                "sheetIndex": info.index,
                "sheetName": info.name,
                "tableIndex": result.index,
                "region": result.region,
                "headerRow": result.header_row_start,
                "headerRowCount": result.header_row_count,
                "dataRowCount": result.data_row_count,
                "headerless": result.headerless,
                "mappedColumns": table.mapped_summary(),
            },
        )

    # -- reporting ----------------------------------------------------------------------------

    def report(self, status: RunStatus, failure: Failure | None) -> Report:
        """The report for how the run ended (a run that did not succeed keeps no output)."""
        if status != "succeeded" and self.written is not None:
            self.written.path.unlink(missing_ok=True)
            self.written = None
        return build_report(
            status=status,
            failure=failure,
            configuration=self.configuration,
            sheets=self.sheets,
            findings=self.findings,
            issues=IssueCounts(self.issues.total, self.issues.by_code),
            written=self.written,
            duration_ms=round((time.perf_counter() - self.started) * 1000),
        )


def _finding_row(finding: Finding) -> IssueRow:
    """A run-level finding as a line of the Issues sheet (no row, no column)."""
    return (finding.sheet_name or "", None, "", finding.field or "", "", finding.code, finding.message)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while rows stream.

    Streaming allocates millions of short-lived rows, tuples and dicts but creates no reference
    cycles worth collecting; the collector's passes over them cost about 5% of a run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _close(stream: Iterator[SegmentEvent]) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        close()
