"""Run the engine on one workbook: read → detect → map → transform/validate → write, and report.

`process` never raises for bad input: every outcome is a `Report` (succeeded, failed with a code and
stage, or cancelled).

How a run flows:

1. prepare: the configuration's fields are compiled once (a header vocabulary for detection/mapping).
2. read/detect/map, per selected sheet: the first `headerScanRows` rows (plus ~100 rows of sample)
   are read; the header is found (`detect`) and the first table's columns are mapped (`mapping`).
   The sheet's row stream stays open, suspended where the sample ended.
3. transform/validate/write: the writer pulls output rows sheet by sheet; each pull streams the
   sheet's rows in chunks (`detect.TableRows`, which also splits off further tables after blank
   gaps), runs each mapped column through its `FieldProcessor`, counts, spools issues, and hands the
   rows on. Nothing holds a sheet: memory is the reader's grid (at most two sheets' worth: the first
   sheet's stays open from step 2, later sheets are reopened when their turn comes), one chunk, and
   `unique` sets. The cyclic garbage collector is paused while rows stream.

A table's columns are fixed from its header and its first ~100 data rows; cells further right that
appear only later are not part of the table (and are not written).

Output layout: one sheet per input sheet with a table, named as the input sheet. Its header is every
configured field in configuration order, then the table's unmapped columns (input header text,
de-duplicated; `Column F` when empty) unless `removeUnmappedColumns`. Further tables on the same
sheet are stacked below after one blank row, each starting with its own header row; fields keep
their columns, so types (and date formats) stay aligned. Fully blank input rows are not written.
Issues name the input sheet, row and column.
"""

from __future__ import annotations

import datetime
import gc
import logging
import os
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice, repeat
from pathlib import Path

from normalizer.config import DEFAULT_CONFIGURATION, Configuration
from normalizer.detect import (
    MAX_HEADER_ROWS,
    DataChunk,
    HeaderBlock,
    TableRows,
    detect_header,
    is_blank_row,
    table_columns,
)
from normalizer.errors import EngineFailure, RunCancelled, Stage
from normalizer.events import CancelCheck, EventCallback, RunEvents
from normalizer.mapping import ColumnMapping, HeaderVocabulary, column_samples, map_columns
from normalizer.read import SheetInfo, Workbook, open_workbook, select_sheets
from normalizer.report import (
    Candidate,
    ColumnResult,
    EvaluationOutcome,
    Failure,
    FieldResult,
    Finding,
    FindingCode,
    Metrics,
    OutputInfo,
    Report,
    RunStatus,
    SheetResult,
    TableResult,
)
from normalizer.values import CellValue, FieldProcessor, ValueIssue, compile_field, value_evidence, write_kind
from normalizer.write import (
    MAX_SHEET_COLUMNS,
    ColumnKind,
    IssueRow,
    IssueSpool,
    OutputSheet,
    RowBatch,
    WrittenWorkbook,
    column_letter,
    fit_column,
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
"""Data rows read ahead of a sheet's first table to sample its columns for mapping."""


INTERNAL_MESSAGE = "The engine failed unexpectedly; the error has been logged."


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

    Never raises for bad input or a failed run: an `EngineFailure` becomes status "failed" with its code
    and stage, cancellation becomes "cancelled" (no output left behind), and any other error becomes
    "failed" with code INTERNAL and a message without internals.
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
class _TableOutcome:
    """What one finished table contributes to the report."""

    table: TableResult
    columns: list[ColumnResult]
    data_rows: int
    empty_rows: int
    non_empty_cells: int
    mapped_fields: dict[str, tuple[float, int, str | None]]


class _Table:
    """One table being streamed: its mapping, per-field processors and running counts."""

    def __init__(
        self,
        run: _Run,
        sheet: SheetInfo,
        index: int,
        header: HeaderBlock,
        first_column: int,
        last_column: int,
        sample_rows: Sequence[Sequence[CellValue]],
    ) -> None:
        self.run = run
        self.sheet = sheet
        self.index = index
        self.header = header
        self.first_column = first_column
        self.width = last_column - first_column + 1
        configuration = run.configuration
        headers = [
            header.texts[column - header.first_column] if header.first_column <= column <= header.last_column else None
            for column in range(first_column, last_column + 1)
        ]
        offset_rows = [row[first_column : last_column + 1] for row in sample_rows] if first_column else sample_rows
        samples = column_samples(offset_rows, self.width)
        self.mappings: list[ColumnMapping] = map_columns(
            headers,
            samples,
            run.vocabulary,
            configuration.settings.mapping_threshold,
            value_evidence,
            first_column=first_column,
        )
        column_of_field = {mapping.field: offset for offset, mapping in enumerate(self.mappings) if mapping.field}
        self.fields: list[tuple[str, FieldProcessor | None, int | None]] = []
        for spec in configuration.fields:
            offset = column_of_field.get(spec.name)
            self.fields.append(
                (spec.name, compile_field(spec, configuration.settings) if offset is not None else None, offset)
            )
        self.unmapped: list[int] = (
            []
            if configuration.settings.remove_unmapped_columns
            else [offset for offset, mapping in enumerate(self.mappings) if mapping.field is None]
        )
        room = MAX_SHEET_COLUMNS - len(self.fields)
        if len(self.unmapped) > room:
            # Fields first, then as many unmapped columns as an Excel sheet can still hold.
            dropped = self.unmapped[room:]
            self.unmapped = self.unmapped[:room]
            run.findings.append(
                Finding(
                    code="columns_dropped",
                    severity="warning",
                    message=f"{len(dropped)} unmapped columns of table {index} on sheet {sheet.name!r} (from "
                    f"column {column_letter(first_column + dropped[0])}) do not fit in an output sheet of "
                    f"{MAX_SHEET_COLUMNS} columns and were left out.",
                    sheet_name=sheet.name,
                    table_index=index,
                    field=None,
                )
            )
        self.output_header = self._output_header(headers)
        self.column_kinds = self._column_kinds(samples)
        self.letters = [column_letter(first_column + offset) for offset in range(self.width)]
        self.non_empty = [0] * self.width
        self.valid = [0] * self.width
        self.rows_written = 0
        self.blank_rows = 0
        self.last_row = header.data_row_start - 1
        self.cells_outside = 0  # non-empty cells left or right of the table's columns (reported, not lost silently)

    def _output_header(self, headers: Sequence[str | None]) -> list[str]:
        taken: set[str] = set()
        names: list[str] = []
        texts = [name for name, _, _ in self.fields] + [
            headers[offset] or f"Column {column_letter(self.first_column + offset)}" for offset in self.unmapped
        ]
        for text in texts:
            name, counter = text, 2
            while name.casefold() in taken:
                name = f"{text} ({counter})"
                counter += 1
            taken.add(name.casefold())
            names.append(name)
        return names

    def _column_kinds(self, samples: Sequence[Sequence[CellValue]]) -> dict[str, ColumnKind]:
        kinds: dict[str, ColumnKind] = {}
        specs = {spec.name: spec for spec in self.run.configuration.fields}
        for position, (name, _, _) in enumerate(self.fields):
            kinds[self.output_header[position]] = write_kind(specs[name])
        for position, offset in enumerate(self.unmapped, start=len(self.fields)):
            classes = {value.__class__.__name__ for value in samples[offset]}
            if "date" in classes and "datetime" not in classes:
                kinds[self.output_header[position]] = "date"
        return kinds

    def process(self, chunk: DataChunk, writing: bool) -> RowBatch | None:
        """Process one chunk: count, transform, validate, spool issues; the output rows when writing."""
        rows: Sequence[Sequence[CellValue]] = chunk.rows
        width, first = self.width, self.first_column
        end = first + width
        if first or max(map(len, rows), default=0) > end:
            self.cells_outside += _non_empty_outside(rows, first, end)
        if first:
            rows = [row[first:end] for row in rows]
        if set(map(len, rows)) != {width}:
            rows = [row if len(row) == width else [*row[:width], *repeat("", width - len(row))] for row in rows]
        count = len(rows)
        columns: list[Sequence[CellValue]] = list(zip(*rows, strict=True)) if count else [()] * width
        self.rows_written += count
        self.blank_rows += chunk.blank_rows
        self.last_row = chunk.row_numbers[-1]
        for offset, column in enumerate(columns):
            self.non_empty[offset] += count - _empty_cells(column)
        row_numbers = chunk.row_numbers
        if not isinstance(row_numbers, range) and row_numbers[-1] - row_numbers[0] + 1 == count:
            row_numbers = range(row_numbers[0], row_numbers[-1] + 1)
        output: list[Iterable[CellValue]] = []
        run = self.run
        for _, processor, field_offset in self.fields:
            if processor is None or field_offset is None:
                output.append(repeat(None, count))
                continue
            values, issues, valid = processor.process(list(columns[field_offset]), row_numbers)
            self.valid[field_offset] += valid
            if issues:
                run.record_issues(self.sheet.name, self.letters[field_offset], issues)
            output.append(fit_column(values) if writing else values)
        if not writing:
            return None
        for offset in self.unmapped:
            output.append(fit_column(columns[offset]))
        return RowBatch(zip(*output, strict=False), count, len(output))

    def finish(self, output_sheet: str | None) -> _TableOutcome:
        """The table's report entries, once its rows are done."""
        if self.cells_outside:
            self.run.findings.append(
                Finding(
                    code="cells_outside_table",
                    severity="warning",
                    message=f"{self.cells_outside} non-empty cells beside table {self.index} on sheet "
                    f"{self.sheet.name!r} lie outside the columns found from its header and first rows; "
                    "they are not in the output.",
                    sheet_name=self.sheet.name,
                    table_index=self.index,
                    field=None,
                )
            )
        header = self.header
        data_rows = self.last_row - header.data_row_start + 1
        last_column = self.first_column + self.width - 1
        bottom = max(self.last_row, header.data_row_start - 1)
        region = f"{column_letter(self.first_column)}{header.row_start}:{column_letter(last_column)}{bottom}"
        table = TableResult(
            index=self.index,
            region=region,
            header_row_start=header.row_start,
            header_row_count=header.row_count,
            data_row_start=header.data_row_start,
            data_row_count=data_rows,
            column_count=self.width,
            output_sheet=output_sheet,
        )
        columns: list[ColumnResult] = []
        mapped: dict[str, tuple[float, int, str | None]] = {}
        workbook_name = self.run.workbook_name
        for offset, mapping in enumerate(self.mappings):
            is_mapped = mapping.field is not None
            if mapping.field is not None and mapping.score is not None:
                mapped[mapping.field] = (mapping.score, self.valid[offset], mapping.header_raw)
            columns.append(
                ColumnResult(
                    workbook_index=0,
                    workbook_name=workbook_name,
                    sheet_index=self.sheet.index,
                    sheet_name=self.sheet.name,
                    table_index=self.index,
                    column_index=mapping.column_index,
                    header_raw=mapping.header_raw,
                    header_normalized=mapping.header_normalized,
                    non_empty_cells=self.non_empty[offset],
                    valid_cells=self.valid[offset] if is_mapped else None,
                    mapping_status="mapped" if is_mapped else "unmapped",
                    mapped_field=mapping.field,
                    mapping_score=mapping.score,
                    mapping_method=mapping.method,
                    unmapped_reason=mapping.unmapped_reason,
                    candidates=[Candidate(field=name, score=score) for name, score in mapping.candidates],
                )
            )
        return _TableOutcome(
            table=table,
            columns=columns,
            data_rows=data_rows,
            empty_rows=data_rows - self.rows_written,
            non_empty_cells=sum(self.non_empty),
            mapped_fields=mapped,
        )

    def mapped_summary(self) -> list[dict[str, object]]:
        """The mapped columns, for the `run.table` event."""
        return [
            {
                "columnIndex": mapping.column_index,
                "header": mapping.header_raw,
                "field": mapping.field,
                "score": mapping.score,
            }
            for mapping in self.mappings
            if mapping.field is not None
        ]


@dataclass(slots=True)
class _SheetPlan:
    """A selected sheet whose first table was found, its row stream paused after the sample rows."""

    info: SheetInfo
    output_name: str
    header: HeaderBlock
    sample_rows: list[list[CellValue]]
    rows: Iterator[list[CellValue]]
    first_table: _Table | None = None

    def table(self) -> _Table:
        """The first table, once mapped."""
        assert self.first_table is not None
        return self.first_table


@dataclass(slots=True)
class _SheetState:
    info: SheetInfo
    processed: bool = False
    tables: list[_TableOutcome] = field(default_factory=list)


class _Run:
    """The state of one run, from configuration to report."""

    def __init__(self, configuration: Configuration, events: RunEvents) -> None:
        self.configuration = configuration
        self.events = events
        self.started = time.perf_counter()
        self.vocabulary = HeaderVocabulary(configuration.fields)
        self.workbook_name = ""
        self.sheets: list[_SheetState] = []
        self.findings: list[Finding] = []
        self.issues_by_code: Counter[str] = Counter()
        self.issue_total = 0
        self.spool: IssueSpool | None = None
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
            compile_field(spec, self.configuration.settings)
        events.enter_stage("read")
        with open_workbook(input_path, filename=filename) as workbook:
            self.workbook_name = workbook.filename
            self.sheets = [_SheetState(info) for info in workbook.sheets]
            selected = select_sheets(workbook, sheet_names=sheet_names, active_sheet_only=active_sheet_only)
            self.sheets_total = len(selected)
            events.enter_stage("detect")
            taken: set[str] = set()
            plans: list[_SheetPlan] = []
            for info in selected:
                events.check_cancelled()
                self._state(info).processed = True
                plan = self._plan_sheet(workbook, info, taken, keep_open=not plans)
                if plan is not None:
                    plans.append(plan)
            events.enter_stage("map")
            for plan in plans:
                events.check_cancelled()
                first_column, last_column = table_columns(plan.header, plan.sample_rows)
                plan.first_table = _Table(self, plan.info, 0, plan.header, first_column, last_column, plan.sample_rows)
            events.enter_stage("transform")
            with _collector_paused():
                self._stream(plans, output_path if write_output else None)
        if self.spool is not None:
            self.spool.close()
        events.enter_stage("finalize")
        events.emit(
            "run.validation",
            f"{self.issue_total} issues",
            {"issuesTotal": self.issue_total, "issuesByCode": dict(self.issues_by_code)},
            level="warning" if self.issue_total else "info",
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

    def _state(self, info: SheetInfo) -> _SheetState:
        for state in self.sheets:
            if state.info.index == info.index:
                return state
        state = _SheetState(info)
        self.sheets.append(state)
        return state

    def _plan_sheet(
        self, workbook: Workbook, info: SheetInfo, taken: set[str], *, keep_open: bool
    ) -> _SheetPlan | None:
        """Read a sheet's first rows and find its first table; None (with a finding) when it has none.

        Only the first sheet with a table keeps its row stream open; the others are closed (freeing
        the reader's grid) and reopened when their turn comes, past the rows already read, so the
        reader never holds more than two sheets at once.
        """
        events = self.events
        rows = iter(workbook.iter_rows(info.index))
        scan_rows = self.configuration.settings.header_scan_rows
        window = list(islice(rows, scan_rows + MAX_HEADER_ROWS + 1))
        header = detect_header(window, self.vocabulary, scan_rows=scan_rows)
        if header is None:
            has_content = any(not is_blank_row(row) for row in window) or any(not is_blank_row(row) for row in rows)
            code: FindingCode = "no_table_found" if has_content else "sheet_empty"
            message = (
                f"No header row was found in the first {scan_rows} rows of sheet {info.name!r}."
                if has_content
                else f"Sheet {info.name!r} is empty."
            )
            self.findings.append(
                Finding(
                    code=code,
                    severity="warning",
                    message=message,
                    sheet_name=info.name,
                    table_index=None,
                    field=None,
                )
            )
            events.sheet(message, {"sheetIndex": info.index, "sheetName": info.name, "tables": 0, "finding": code})
            return None
        after = window[header.data_row_start - 1 :]
        if len(after) < SAMPLE_ROWS:
            after.extend(islice(rows, SAMPLE_ROWS - len(after)))
        sample_rows = _first_table_rows(after, header, self.vocabulary)
        events.sheet(
            f"Found a table on sheet {info.name!r} at row {header.row_start}",
            {"sheetIndex": info.index, "sheetName": info.name, "headerRow": header.row_start},
        )
        rest: Iterator[list[CellValue]] = rows
        if not keep_open:
            read_so_far = header.data_row_start - 1 + len(after)
            _close(rows)
            rest = _reopened(workbook, info.index, read_so_far)
        return _SheetPlan(info, output_sheet_name(info.name, taken), header, sample_rows, chain(after, rest))

    def _stream(self, plans: Sequence[_SheetPlan], output_path: Path | None) -> None:
        """Pull every sheet's rows through processing, into the writer when there is an output."""
        if output_path is None or not plans:
            for plan in plans:
                deque(self._sheet_batches(plan, writing=False, last=plan is plans[-1]), maxlen=0)
            return
        if self.configuration.settings.write_issues_sheet:
            self.spool = IssueSpool()
        sheets = [
            OutputSheet(
                name=plan.output_name,
                header=plan.table().output_header,
                batches=self._sheet_batches(plan, writing=True, last=plan is plans[-1]),
                column_kinds=plan.table().column_kinds,
            )
            for plan in plans
        ]
        try:
            self.written = write_workbook(output_path, sheets, self.spool)
        finally:
            if self.spool is not None:
                self.spool.close()

    def _sheet_batches(self, plan: _SheetPlan, *, writing: bool, last: bool) -> Iterator[RowBatch]:
        """The output rows of one sheet, a chunk at a time (nothing when not writing)."""
        try:
            yield from self._sheet_batches_unguarded(plan, writing=writing)
        except BaseException:
            self.rows_failed = True
            raise
        if last and writing:
            self.events.enter_stage("write")

    def _sheet_batches_unguarded(self, plan: _SheetPlan, *, writing: bool) -> Iterator[RowBatch]:
        events = self.events
        info = plan.info
        state = self._state(info)
        table = plan.table()
        output_sheet = plan.output_name if writing else None
        pending: HeaderBlock | None = None
        segments = TableRows(plan.rows, table.header, self.vocabulary, chunk_rows=CHUNK_ROWS)
        for item in segments:
            if isinstance(item, HeaderBlock):
                if pending is not None:
                    table = self._next_table(info, state, table, pending, [], output_sheet)
                    if writing:
                        yield _header_batch(table)
                pending = item
                continue
            if pending is not None:
                table = self._next_table(info, state, table, pending, item.rows, output_sheet)
                pending = None
                if writing:
                    yield _header_batch(table)
            batch = table.process(item, writing)
            if batch is not None:
                yield batch
            self.rows_processed += len(item.rows)
            events.progress(self.rows_processed, self.sheets_processed, self.sheets_total)
            if self.rows_processed >= self.next_cancel_check:
                self.next_cancel_check = self.rows_processed + CANCEL_CHECK_ROWS
                events.check_cancelled()
        if pending is not None:
            table = self._next_table(info, state, table, pending, [], output_sheet)
            if writing:
                yield _header_batch(table)
        self._finish_table(state, table, output_sheet)
        self.sheets_processed += 1
        events.progress(self.rows_processed, self.sheets_processed, self.sheets_total)

    def _next_table(
        self,
        info: SheetInfo,
        state: _SheetState,
        finished: _Table,
        header: HeaderBlock,
        sample_rows: Sequence[Sequence[CellValue]],
        output_sheet: str | None,
    ) -> _Table:
        self._finish_table(state, finished, output_sheet)
        first_column, last_column = table_columns(header, sample_rows[:SAMPLE_ROWS])
        return _Table(self, info, finished.index + 1, header, first_column, last_column, sample_rows[:SAMPLE_ROWS])

    def _finish_table(self, state: _SheetState, table: _Table, output_sheet: str | None) -> None:
        outcome = table.finish(output_sheet)
        state.tables.append(outcome)
        required = [spec.name for spec in self.configuration.fields if spec.required]
        for name in required:
            if name not in outcome.mapped_fields:
                self.findings.append(
                    Finding(
                        code="field_not_detected",
                        severity="warning",
                        message=f"Required field {name!r} was not found in table {table.index} of sheet "
                        f"{state.info.name!r}.",
                        sheet_name=state.info.name,
                        table_index=table.index,
                        field=name,
                    )
                )
        self.events.table(
            f"Table {table.index} of sheet {state.info.name!r}: {outcome.table.region}",
            {
                "sheetIndex": state.info.index,
                "sheetName": state.info.name,
                "tableIndex": table.index,
                "region": outcome.table.region,
                "headerRow": outcome.table.header_row_start,
                "headerRowCount": outcome.table.header_row_count,
                "dataRowCount": outcome.table.data_row_count,
                "mappedColumns": table.mapped_summary(),
            },
        )

    def record_issues(self, sheet_name: str, column: str, issues: Sequence[ValueIssue]) -> None:
        """Count a chunk's issues for one column and spool them for the Issues sheet."""
        self.issue_total += len(issues)
        codes = self.issues_by_code
        for issue in issues:
            codes[issue.code] += 1
        if self.spool is not None:
            rows: list[IssueRow] = [
                (sheet_name, issue.row, column, issue.field, issue.value, issue.code, issue.message) for issue in issues
            ]
            self.spool.extend(rows)

    # -- reporting ----------------------------------------------------------------------------

    def report(self, status: RunStatus, failure: Failure | None) -> Report:
        """The report for how the run ended."""
        duration_ms = round((time.perf_counter() - self.started) * 1000)
        sheets = [
            SheetResult(
                index=state.info.index,
                name=state.info.name,
                visible=state.info.visible,
                is_active=state.info.is_active,
                processed=state.processed and status == "succeeded",
                tables=[outcome.table for outcome in state.tables] if status == "succeeded" else [],
            )
            for state in sorted(self.sheets, key=lambda state: state.info.index)
        ]
        if status != "succeeded":
            return Report(
                status=status,
                failure=failure,
                metrics=_unknown_metrics(duration_ms),
                fields=[],
                columns=[],
                sheets=sheets,
                findings=[],
                output=None,
            )
        outcomes = [outcome for state in self.sheets for outcome in state.tables]
        columns = [column for outcome in outcomes for column in outcome.columns]
        fields = self._field_results(outcomes)
        detected = sum(1 for result in fields if result.detected)
        findings = self.findings
        severities = Counter(finding.severity for finding in findings)
        outcome: EvaluationOutcome
        if not outcomes or detected == 0:
            outcome = "failure"
        elif severities["warning"] or severities["error"] or self.issue_total:
            outcome = "partial"
        else:
            outcome = "success"
        empty_columns = sum(1 for column in columns if column.header_raw is None and column.non_empty_cells == 0)
        mapped_columns = sum(1 for column in columns if column.mapping_status == "mapped")
        metrics = Metrics(
            evaluation_outcome=outcome,
            evaluation_findings_total=len(findings),
            evaluation_findings_info=severities["info"],
            evaluation_findings_warning=severities["warning"],
            evaluation_findings_error=severities["error"],
            validation_issues_total=self.issue_total,
            validation_issues_info=0,
            validation_issues_warning=0,
            validation_issues_error=self.issue_total,
            validation_max_severity="error" if self.issue_total else None,
            workbook_count=1,
            sheet_count=sum(1 for state in self.sheets if state.processed),
            table_count=len(outcomes),
            row_count_total=sum(outcome.data_rows for outcome in outcomes),
            row_count_empty=sum(outcome.empty_rows for outcome in outcomes),
            column_count_total=len(columns),
            column_count_empty=empty_columns,
            column_count_mapped=mapped_columns,
            column_count_unmapped=len(columns) - mapped_columns - empty_columns,
            field_count_expected=len(fields),
            field_count_detected=detected,
            field_count_not_detected=len(fields) - detected,
            cell_count_total=sum(outcome.data_rows * outcome.table.column_count for outcome in outcomes),
            cell_count_non_empty=sum(outcome.non_empty_cells for outcome in outcomes),
            duration_ms=duration_ms,
            issues_by_code=dict(sorted(self.issues_by_code.items())),
        )
        output = None
        if self.written is not None:
            output = OutputInfo(
                path=str(self.written.path),
                filename=self.written.path.name,
                size_bytes=self.written.size_bytes,
                sheet_names=self.written.sheet_names,
                row_count=sum(outcome.data_rows - outcome.empty_rows for outcome in outcomes),
                issue_count=self.issue_total,
            )
        return Report(
            status=status,
            failure=None,
            metrics=metrics,
            fields=fields,
            columns=columns,
            sheets=sheets,
            findings=findings,
            output=output,
        )

    def _field_results(self, outcomes: Sequence[_TableOutcome]) -> list[FieldResult]:
        results: list[FieldResult] = []
        for spec in self.configuration.fields:
            hits = [outcome.mapped_fields[spec.name] for outcome in outcomes if spec.name in outcome.mapped_fields]
            results.append(
                FieldResult(
                    field=spec.name,
                    label=spec.display_label,
                    detected=bool(hits),
                    best_mapping_score=max(score for score, _, _ in hits) if hits else None,
                    valid_cells=sum(valid for _, valid, _ in hits),
                    occurrences_tables=len(hits),
                    occurrences_columns=len(hits),
                    source_headers=sorted({header for _, _, header in hits if header is not None}),
                )
            )
        return results


def _first_table_rows(
    rows: Sequence[list[CellValue]], header: HeaderBlock, vocabulary: HeaderVocabulary
) -> list[list[CellValue]]:
    """The data rows of a sheet's first table among rows read ahead (stops where another table starts)."""
    sample: list[list[CellValue]] = []
    for item in TableRows(iter(rows), header, vocabulary, chunk_rows=len(rows) + 1):
        if isinstance(item, HeaderBlock):
            break
        sample.extend(item.rows)
    return sample


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


_NEVER_EMPTY = frozenset({int, float, bool, datetime.date, datetime.datetime, datetime.time, datetime.timedelta})
_NEVER_EMPTY_OR_TEXT = _NEVER_EMPTY | {str}


def _empty_cells(column: Sequence[CellValue]) -> int:
    """How many cells of a column are empty ("" or None), counted only for the kinds of value that can be."""
    kinds = set(map(type, column))
    if kinds <= _NEVER_EMPTY:
        return 0
    if kinds <= _NEVER_EMPTY_OR_TEXT:
        return column.count("")
    return column.count("") + column.count(None)


def _non_empty_outside(rows: Sequence[Sequence[CellValue]], first: int, end: int) -> int:
    """Non-empty cells of `rows` before column `first` or from column `end` on."""
    outside = [cell for row in rows for cell in (*row[:first], *row[end:])]
    return len(outside) - outside.count("") - outside.count(None)


def _header_batch(table: _Table) -> RowBatch:
    """A blank row, then a stacked table's header row."""
    return RowBatch([(), table.output_header], 2, len(table.output_header))


def _close(rows: Iterator[list[CellValue]]) -> None:
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _reopened(workbook: Workbook, sheet_index: int, skip: int) -> Iterator[list[CellValue]]:
    """A sheet's rows after the first `skip`, opened only when first pulled."""
    yield from islice(workbook.iter_rows(sheet_index), skip, None)


def _unknown_metrics(duration_ms: int) -> Metrics:
    return Metrics(
        evaluation_outcome="failure",
        evaluation_findings_total=0,
        evaluation_findings_info=0,
        evaluation_findings_warning=0,
        evaluation_findings_error=0,
        validation_issues_total=None,
        validation_issues_info=None,
        validation_issues_warning=None,
        validation_issues_error=None,
        validation_max_severity=None,
        workbook_count=None,
        sheet_count=None,
        table_count=None,
        row_count_total=None,
        row_count_empty=None,
        column_count_total=None,
        column_count_empty=None,
        column_count_mapped=None,
        column_count_unmapped=None,
        field_count_expected=None,
        field_count_detected=None,
        field_count_not_detected=None,
        cell_count_total=None,
        cell_count_non_empty=None,
        duration_ms=duration_ms,
        issues_by_code={},
    )
