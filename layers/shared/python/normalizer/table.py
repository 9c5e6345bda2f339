"""One table's map and transform/validate stages.

`TableProcessor` maps a found table's columns to the configuration's fields from its header texts
and sample rows (`normalizer.mapping`), compiles a `FieldProcessor` per mapped field
(`compile_processor`: the engine's one call of `compile_field`), then turns each chunk of the table's
rows into output rows: every configured field in configuration order, then the table's unmapped
columns (unless `removeUnmappedColumns`). It counts non-empty and valid cells per column, and hands
value issues to the run's `IssueLog`. `finish` describes the table for the report (`TableOutcome`).
"""

from __future__ import annotations

import datetime
import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

from normalizer.config import Configuration, FieldSpec
from normalizer.detect import HeaderBlock, column_letter
from normalizer.mapping import ColumnMapping, HeaderVocabulary, column_samples, map_columns
from normalizer.read import SheetInfo
from normalizer.report import Candidate, ColumnResult, Finding, TableResult
from normalizer.segment import TableChunk, TableEnded
from normalizer.values import CellValue, FieldProcessor, ValueIssue, compile_field, value_evidence, write_kind
from normalizer.write import (
    MAX_SHEET_COLUMNS,
    ColumnKind,
    IssueRow,
    IssueSpool,
    RowBatch,
    fit_column,
)

MappedField = tuple[float, int, str | None]
"""A field's mapping in one table: score, valid cells, source header."""


def compile_processor(spec: FieldSpec, configuration: Configuration) -> FieldProcessor:
    """The processor of one field for one output table (the one place fields are compiled).

    Raises EngineFailure CONFIGURATION_INVALID when a validator cannot apply to the field's type.
    """
    return compile_field(spec, configuration.settings)


class IssueLog:
    """Every value issue of a run: counted by code, and spooled for the Issues sheet when one is written."""

    def __init__(self, spool: IssueSpool | None) -> None:
        self.spool = spool
        self.total = 0
        self.by_code: Counter[str] = Counter()

    def record(self, sheet_name: str, column: str, issues: Sequence[ValueIssue]) -> None:
        """Count a chunk's issues for one column and spool them."""
        self.total += len(issues)
        codes = self.by_code
        for issue in issues:
            codes[issue.code] += 1
        if self.spool is not None:
            rows: list[IssueRow] = [
                (sheet_name, issue.row, column, issue.field, issue.value, issue.code, issue.message) for issue in issues
            ]
            self.spool.extend(rows)


@dataclass(slots=True)
class TableOutcome:
    """What one finished table contributes to the report."""

    table: TableResult
    columns: list[ColumnResult]
    data_rows: int
    empty_rows: int
    non_empty_cells: int
    mapped_fields: dict[str, MappedField]
    findings: list[Finding]


class TableProcessor:
    """One table being streamed: its mapping, per-field processors and running counts."""

    def __init__(
        self,
        *,
        configuration: Configuration,
        vocabulary: HeaderVocabulary,
        sheet: SheetInfo,
        index: int,
        header: HeaderBlock,
        sample_rows: Sequence[Sequence[CellValue]],
        workbook_name: str,
        issues: IssueLog,
    ) -> None:
        self.configuration = configuration
        self.sheet = sheet
        self.index = index
        self.header = header
        self.workbook_name = workbook_name
        self.issues = issues
        self.first_column = first_column = header.first_column
        self.width = len(header.texts)
        end = first_column + self.width
        sliced = [row[first_column:end] for row in sample_rows] if first_column else sample_rows
        samples = column_samples(sliced, self.width)
        self.mappings: list[ColumnMapping] = map_columns(
            header.texts,
            samples,
            vocabulary,
            configuration.settings.mapping_threshold,
            functools.partial(value_evidence, settings=configuration.settings),
            first_column=first_column,
        )
        column_of_field = {mapping.field: offset for offset, mapping in enumerate(self.mappings) if mapping.field}
        self.fields: list[tuple[str, FieldProcessor | None, int | None]] = []
        for spec in configuration.fields:
            offset = column_of_field.get(spec.name)
            processor = compile_processor(spec, configuration) if offset is not None else None
            self.fields.append((spec.name, processor, offset))
        self.findings: list[Finding] = []
        self.unmapped = self._unmapped_columns()
        self.output_header = self._output_header()
        self.column_kinds = self._column_kinds(samples)
        self.letters = [column_letter(first_column + offset) for offset in range(self.width)]
        self.non_empty = [0] * self.width
        self.valid = [0] * self.width
        self.rows_written = 0

    def _unmapped_columns(self) -> list[int]:
        if self.configuration.settings.remove_unmapped_columns:
            return []
        unmapped = [offset for offset, mapping in enumerate(self.mappings) if mapping.field is None]
        room = MAX_SHEET_COLUMNS - len(self.fields)
        if len(unmapped) <= room:
            return unmapped
        # Fields first, then as many unmapped columns as an Excel sheet can still hold.
        dropped = unmapped[room:]
        self.findings.append(
            Finding(
                code="columns_dropped",
                severity="warning",
                message=f"{len(dropped)} unmapped columns of table {self.index} on sheet {self.sheet.name!r} (from "
                f"column {column_letter(self.first_column + dropped[0])}) do not fit in an output sheet of "
                f"{MAX_SHEET_COLUMNS} columns and were left out.",
                sheet_name=self.sheet.name,
                table_index=self.index,
                field=None,
            )
        )
        return unmapped[:room]

    def _output_header(self) -> list[str]:
        taken: set[str] = set()
        names: list[str] = []
        texts = [name for name, _, _ in self.fields] + [
            self.header.texts[offset] or f"Column {column_letter(self.first_column + offset)}"
            for offset in self.unmapped
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
        specs = {spec.name: spec for spec in self.configuration.fields}
        for position, (name, _, _) in enumerate(self.fields):
            kinds[self.output_header[position]] = write_kind(specs[name])
        for position, offset in enumerate(self.unmapped, start=len(self.fields)):
            classes = {value.__class__.__name__ for value in samples[offset]}
            if "date" in classes and "datetime" not in classes:
                kinds[self.output_header[position]] = "date"
        return kinds

    def process(self, chunk: TableChunk, writing: bool) -> RowBatch | None:
        """Process one chunk: count, transform, validate, log issues; the output rows when writing."""
        rows: Sequence[Sequence[CellValue]] = chunk.rows
        width, first = self.width, self.first_column
        if first:
            rows = [row[first : first + width] for row in rows]
        if set(map(len, rows)) != {width}:
            rows = [row if len(row) == width else [*row[:width], *repeat("", width - len(row))] for row in rows]
        count = len(rows)
        columns: list[Sequence[CellValue]] = list(zip(*rows, strict=True)) if count else [()] * width
        self.rows_written += count
        kinds = [set(map(type, column)) for column in columns]
        for offset, column in enumerate(columns):
            self.non_empty[offset] += count - _empty_cells(column, kinds[offset])
        row_numbers = chunk.row_numbers
        output: list[Iterable[CellValue]] = []
        for _, processor, field_offset in self.fields:
            if processor is None or field_offset is None:
                output.append(repeat(None, count))
                continue
            values, issues, valid = processor.process(list(columns[field_offset]), row_numbers)
            self.valid[field_offset] += valid
            if issues:
                self.issues.record(self.sheet.name, self.letters[field_offset], issues)
            output.append(fit_column(values) if writing else values)
        if not writing:
            return None
        for offset in self.unmapped:
            output.append(fit_column(columns[offset], kinds[offset]))
        return RowBatch(zip(*output, strict=False), count, len(output))

    def header_batch(self) -> RowBatch:
        """A blank row, then this table's header row (for a table stacked under another)."""
        return RowBatch([(), self.output_header], 2, len(self.output_header))

    def finish(self, ended: TableEnded, output_sheet: str | None) -> TableOutcome:
        """The table's report entries, once its rows are done."""
        header = self.header
        if ended.outside_cells:
            self.findings.append(
                Finding(
                    code="cells_outside_table",
                    severity="warning",
                    message=f"{ended.outside_cells} non-empty cells beside table {self.index} on sheet "
                    f"{self.sheet.name!r} lie outside the columns found from its header and first rows; "
                    "they are not in the output.",
                    sheet_name=self.sheet.name,
                    table_index=self.index,
                    field=None,
                )
            )
        required = [spec.name for spec in self.configuration.fields if spec.required]
        mapped_names = {mapping.field for mapping in self.mappings if mapping.field}
        for name in required:
            if name not in mapped_names:
                self.findings.append(
                    Finding(
                        code="field_not_detected",
                        severity="warning",
                        message=f"Required field {name!r} was not found in table {self.index} of sheet "
                        f"{self.sheet.name!r}.",
                        sheet_name=self.sheet.name,
                        table_index=self.index,
                        field=name,
                    )
                )
        last_row = max(ended.last_row, header.data_row_start - 1)
        data_rows = last_row - header.data_row_start + 1
        last_column = self.first_column + self.width - 1
        bottom = max(last_row, header.row_start)
        region = f"{column_letter(self.first_column)}{header.row_start}:{column_letter(last_column)}{bottom}"
        table = TableResult(
            index=self.index,
            region=region,
            header_row_start=header.row_start,
            header_row_count=header.row_count,
            data_row_start=header.data_row_start,
            data_row_count=data_rows,
            column_count=self.width,
            headerless=header.headerless,
            output_sheet=output_sheet,
        )
        return TableOutcome(
            table=table,
            columns=self._column_results(),
            data_rows=data_rows,
            empty_rows=data_rows - self.rows_written,
            non_empty_cells=sum(self.non_empty),
            mapped_fields={
                mapping.field: (mapping.score, self.valid[offset], mapping.header_raw)
                for offset, mapping in enumerate(self.mappings)
                if mapping.field is not None and mapping.score is not None
            },
            findings=self.findings,
        )

    def _column_results(self) -> list[ColumnResult]:
        return [
            ColumnResult(
                workbook_index=0,
                workbook_name=self.workbook_name,
                sheet_index=self.sheet.index,
                sheet_name=self.sheet.name,
                table_index=self.index,
                column_index=mapping.column_index,
                header_raw=mapping.header_raw,
                header_normalized=mapping.header_normalized,
                non_empty_cells=self.non_empty[offset],
                valid_cells=self.valid[offset] if mapping.field is not None else None,
                mapping_status="mapped" if mapping.field is not None else "unmapped",
                mapped_field=mapping.field,
                mapping_score=mapping.score,
                mapping_method=mapping.method,
                unmapped_reason=mapping.unmapped_reason,
                candidates=[Candidate(field=name, score=score) for name, score in mapping.candidates],
            )
            for offset, mapping in enumerate(self.mappings)
        ]

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


_NEVER_EMPTY = frozenset({int, float, bool, datetime.date, datetime.datetime, datetime.time, datetime.timedelta})
_NEVER_EMPTY_OR_TEXT = _NEVER_EMPTY | {str}


def _empty_cells(column: Sequence[CellValue], kinds: set[type]) -> int:
    """How many cells of a column are empty ("" or None), counted only for the kinds of value that can be
    (`kinds`: the set of the column's types)."""
    if kinds <= _NEVER_EMPTY:
        return 0
    if kinds <= _NEVER_EMPTY_OR_TEXT:
        return column.count("")
    return column.count("") + column.count(None)
