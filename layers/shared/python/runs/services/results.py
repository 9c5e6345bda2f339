"""Results of a run: the engine's metrics, per-field and per-column results (DESIGN §6, §8)."""

from __future__ import annotations

from dataclasses import dataclass

from normalizer.report import ColumnResult, FieldResult, Metrics
from runs.constants import MAX_RESPONSE_BODY_BYTES
from runs.dal import results as store
from runs.errors import InvalidCursor, MetricsNotFound
from runs.ids import is_valid_id
from runs.models.results import ColumnListQuery
from runs.services.paging import filters_fingerprint, make_offset_cursor, read_offset_cursor
from runs.services.runs import get_run_record

# Stored column lines one request reads at most; a sparse filter over a huge report answers a short
# (even empty) page with a cursor rather than running into the API's 29 s timeout.
MAX_SCANNED_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ColumnPage:
    items: list[ColumnResult]
    next_cursor: str | None


def get_metrics(workspace_id: str, run_id: str) -> Metrics:
    """One GetItem once results exist. Raises RunNotFound, MetricsNotFound (no report yet)."""
    metrics = store.get_metrics(workspace_id, run_id) if is_valid_id(run_id) else None
    if metrics is None:
        get_run_record(workspace_id, run_id)
        raise MetricsNotFound(f"Run {run_id} has no metrics yet: they exist once the run has a report.")
    return Metrics.model_validate(metrics)


def list_fields(workspace_id: str, run_id: str) -> list[FieldResult]:
    """Every configured field's result; [] until a report exists. Raises RunNotFound."""
    get_run_record(workspace_id, run_id)
    return [FieldResult.model_validate(field) for field in store.get_fields(workspace_id, run_id) or []]


def list_columns(workspace_id: str, run_id: str, query: ColumnListQuery) -> ColumnPage:
    """One page of the columns matching the filters, in report order; [] until a report exists.

    A page ends at `limit` columns, at MAX_RESPONSE_BODY_BYTES of JSON, or after MAX_SCANNED_BYTES
    of stored columns; `next_cursor` resumes after it. Raises RunNotFound, InvalidCursor.
    """
    get_run_record(workspace_id, run_id)
    fingerprint = filters_fingerprint({"runId": run_id, **query.filters()})
    offset = read_offset_cursor(query.cursor, fingerprint)
    # A cursor's offset follows a line break: reading from the byte before it must give an empty line first.
    lines = store.iter_column_lines(workspace_id, run_id, start=offset - 1 if offset else 0)
    if lines is None:
        return ColumnPage([], None)
    if offset and next(lines, (b"", offset))[0] != b"":
        raise InvalidCursor("The cursor is not valid.")
    items: list[ColumnResult] = []
    body_bytes = scanned = 0
    position = offset
    for line, line_end in lines:
        if scanned >= MAX_SCANNED_BYTES:
            return ColumnPage(items, make_offset_cursor(position, fingerprint))
        scanned += len(line) + 1
        if line.strip():
            column = ColumnResult.model_validate_json(line)
            if _matches(column, query):
                if len(items) == query.limit or body_bytes + len(line) + 1 > MAX_RESPONSE_BODY_BYTES:
                    return ColumnPage(items, make_offset_cursor(position, fingerprint))
                items.append(column)
                body_bytes += len(line) + 1
        position = line_end
    return ColumnPage(items, None)


def _matches(column: ColumnResult, query: ColumnListQuery) -> bool:
    return (
        (query.sheet_name is None or column.sheet_name == query.sheet_name)
        and (query.sheet_index is None or column.sheet_index == query.sheet_index)
        and (query.table_index is None or column.table_index == query.table_index)
        and (query.mapped_field is None or column.mapped_field == query.mapped_field)
        and (query.mapping_status is None or column.mapping_status == query.mapping_status)
    )
