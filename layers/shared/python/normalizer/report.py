"""The engine's report: what a run found, mapped, checked and wrote (schema version 1).

These models are the contract the API serves verbatim (`/metrics`, `/fields`, `/columns`), so they
are camelCase on the wire (`model_dump(by_alias=True)`), every documented key is always present,
and a value the run could not know is `null`. Indices are 0-based; row numbers are 1-based as Excel
shows them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from normalizer.errors import FailureCode, Stage

RunStatus = Literal["succeeded", "failed", "cancelled"]
EvaluationOutcome = Literal["success", "partial", "failure"]
MappingStatus = Literal["mapped", "unmapped"]
MappingMethod = Literal["header_exact", "header_fuzzy", "values", "combined"]
UnmappedReason = Literal["no_signal", "below_threshold", "duplicate_field", "empty_header"]
FindingCode = Literal["field_not_detected", "no_table_found", "sheet_empty", "columns_dropped", "cells_outside_table"]
Severity = Literal["info", "warning", "error"]


class ReportModel(BaseModel):
    """Base of every report model: camelCase aliases, snake_case names accepted, no extra keys."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Failure(ReportModel):
    """Why a run stopped: a stable code, the stage it stopped in, and a message safe to show."""

    code: FailureCode
    stage: Stage
    message: str


class Metrics(ReportModel):
    """Run-wide counters (the API's `/metrics`). Counts are `null` when the run ended before knowing them."""

    evaluation_outcome: EvaluationOutcome
    evaluation_findings_total: int
    evaluation_findings_info: int
    evaluation_findings_warning: int
    evaluation_findings_error: int
    validation_issues_total: int | None
    validation_issues_info: int | None
    validation_issues_warning: int | None
    validation_issues_error: int | None
    validation_max_severity: Severity | None
    workbook_count: int | None
    sheet_count: int | None
    table_count: int | None
    row_count_total: int | None
    row_count_empty: int | None
    column_count_total: int | None
    column_count_empty: int | None
    column_count_mapped: int | None
    column_count_unmapped: int | None
    field_count_expected: int | None
    field_count_detected: int | None
    field_count_not_detected: int | None
    cell_count_total: int | None
    cell_count_non_empty: int | None
    duration_ms: int
    issues_by_code: dict[str, int]


class FieldResult(ReportModel):
    """One configured field across the run (the API's `/fields`)."""

    field: str
    label: str
    detected: bool
    best_mapping_score: float | None
    valid_cells: int
    occurrences_tables: int
    occurrences_columns: int
    source_headers: list[str]


class Candidate(ReportModel):
    """A field a column could be, with its score in [0, 1]."""

    field: str
    score: float


class ColumnResult(ReportModel):
    """One input column of one table (the API's `/columns`). `columnIndex` is the sheet column (A = 0)."""

    workbook_index: int
    workbook_name: str
    sheet_index: int
    sheet_name: str
    table_index: int
    column_index: int
    header_raw: str | None
    header_normalized: str | None
    non_empty_cells: int
    valid_cells: int | None
    mapping_status: MappingStatus
    mapped_field: str | None
    mapping_score: float | None
    mapping_method: MappingMethod | None
    unmapped_reason: UnmappedReason | None
    candidates: list[Candidate]


class TableResult(ReportModel):
    """A table found on a sheet: where it is and where it went in the output.

    `region` spans its header and data rows (a table ends at its last data row). A headerless table
    (`headerless`: a block of data with no header row) has `headerRowCount` 0, `headerRowStart` equal
    to `dataRowStart`, and columns named after the sheet's letters (`Column A`).
    """

    index: int
    region: str
    header_row_start: int
    header_row_count: int
    data_row_start: int
    data_row_count: int
    column_count: int
    headerless: bool
    output_sheet: str | None


class SheetResult(ReportModel):
    """One sheet of the input workbook; `processed` is false for sheets not selected (hidden by default)."""

    index: int
    name: str
    visible: bool
    is_active: bool
    processed: bool
    tables: list[TableResult]


class Finding(ReportModel):
    """A run-level observation (not a cell issue): `field_not_detected`, `no_table_found`, `sheet_empty`."""

    code: FindingCode
    severity: Severity
    message: str
    sheet_name: str | None
    table_index: int | None
    field: str | None


class OutputInfo(ReportModel):
    """The normalized workbook that was written."""

    path: str
    filename: str
    size_bytes: int
    sheet_names: list[str]
    row_count: int
    issue_count: int


class Report(ReportModel):
    """The whole result of one run. `output` is null when nothing was written."""

    schema_version: Literal[1] = 1
    status: RunStatus
    failure: Failure | None
    metrics: Metrics
    fields: list[FieldResult]
    columns: list[ColumnResult]
    sheets: list[SheetResult]
    findings: list[Finding]
    output: OutputInfo | None

    def to_json_dict(self) -> dict[str, object]:
        """The report as JSON-ready camelCase data."""
        return self.model_dump(mode="json", by_alias=True)
