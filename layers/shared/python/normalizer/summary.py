"""Assemble a run's report (DESIGN §8) from what its stages produced.

`build_report` takes plain inputs: the run's status and failure, the workbook's sheets with the
tables found on them (`TableOutcome`s), the run-level findings, the issue counts and what was
written. A run that did not succeed reports its sheets but no tables, fields, columns or counts it
never reached (`null`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from normalizer.config import Configuration
from normalizer.read import SheetInfo
from normalizer.report import (
    EvaluationOutcome,
    Failure,
    FieldResult,
    Finding,
    Metrics,
    OutputInfo,
    Report,
    RunStatus,
    SheetResult,
)
from normalizer.table import TableOutcome
from normalizer.write import WrittenWorkbook


@dataclass(slots=True)
class SheetOutcome:
    """A sheet of the input: whether it was processed, and the tables found on it."""

    info: SheetInfo
    processed: bool = False
    tables: list[TableOutcome] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IssueCounts:
    """The run's value issues: how many, and how many of each code."""

    total: int
    by_code: Mapping[str, int]


def build_report(
    *,
    status: RunStatus,
    failure: Failure | None,
    configuration: Configuration,
    sheets: Sequence[SheetOutcome],
    findings: Sequence[Finding],
    issues: IssueCounts,
    written: WrittenWorkbook | None,
    duration_ms: int,
) -> Report:
    """The report of a run that ended with `status`."""
    succeeded = status == "succeeded"
    ordered = sorted(sheets, key=lambda sheet: sheet.info.index)
    sheet_results = [
        SheetResult(
            index=sheet.info.index,
            name=sheet.info.name,
            visible=sheet.info.visible,
            is_active=sheet.info.is_active,
            processed=sheet.processed and succeeded,
            tables=sorted((outcome.table for outcome in sheet.tables), key=lambda table: table.index)
            if succeeded
            else [],
        )
        for sheet in ordered
    ]
    if not succeeded:
        return Report(
            status=status,
            failure=failure,
            metrics=_unknown_metrics(duration_ms),
            fields=[],
            columns=[],
            sheets=sheet_results,
            findings=[],
            output=None,
        )
    outcomes = [
        outcome for sheet in ordered for outcome in sorted(sheet.tables, key=lambda outcome: outcome.table.index)
    ]
    all_findings = [*findings, *(finding for outcome in outcomes for finding in outcome.findings)]
    columns = [column for outcome in outcomes for column in outcome.columns]
    fields = _field_results(configuration, outcomes)
    return Report(
        status=status,
        failure=None,
        metrics=_metrics(outcomes, fields, all_findings, issues, sheets, duration_ms),
        fields=fields,
        columns=columns,
        sheets=sheet_results,
        findings=all_findings,
        output=None
        if written is None
        else OutputInfo(
            path=str(written.path),
            filename=written.path.name,
            size_bytes=written.size_bytes,
            sheet_names=written.sheet_names,
            row_count=sum(outcome.data_rows - outcome.empty_rows for outcome in outcomes),
            issue_count=issues.total,
        ),
    )


def _metrics(
    outcomes: Sequence[TableOutcome],
    fields: Sequence[FieldResult],
    findings: Sequence[Finding],
    issues: IssueCounts,
    sheets: Sequence[SheetOutcome],
    duration_ms: int,
) -> Metrics:
    columns = [column for outcome in outcomes for column in outcome.columns]
    detected = sum(1 for result in fields if result.detected)
    severities = Counter(finding.severity for finding in findings)
    evaluation: EvaluationOutcome
    if not outcomes or detected == 0:
        evaluation = "failure"
    elif severities["warning"] or severities["error"] or issues.total:
        evaluation = "partial"
    else:
        evaluation = "success"
    empty_columns = sum(1 for column in columns if column.header_raw is None and column.non_empty_cells == 0)
    mapped_columns = sum(1 for column in columns if column.mapping_status == "mapped")
    return Metrics(
        evaluation_outcome=evaluation,
        evaluation_findings_total=len(findings),
        evaluation_findings_info=severities["info"],
        evaluation_findings_warning=severities["warning"],
        evaluation_findings_error=severities["error"],
        validation_issues_total=issues.total,
        validation_issues_info=0,
        validation_issues_warning=0,
        validation_issues_error=issues.total,
        validation_max_severity="error" if issues.total else None,
        workbook_count=1,
        sheet_count=sum(1 for sheet in sheets if sheet.processed),
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
        issues_by_code=dict(sorted(issues.by_code.items())),
    )


def _field_results(configuration: Configuration, outcomes: Sequence[TableOutcome]) -> list[FieldResult]:
    results: list[FieldResult] = []
    for spec in configuration.fields:
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
