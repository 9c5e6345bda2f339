"""A run's results: the engine's whole report in S3 (any size), its metrics in one DynamoDB item.

The report of a sheet with 16,384 columns is megabytes, far past DynamoDB's 400 KB item limit, so
the report lives at `REPORT_KEY_TEMPLATE` in the files bucket. `/metrics` must cost one read, so the
metrics (a few hundred bytes) are also kept in the runs table under pk `WS#<ws>`, sk `RESULT#<runId>`
(outside the `RUN#` range that run lists and counts query). Beside the report, its `fields` are kept
as one small object and its `columns` as one JSON line each, so `/fields` never loads the columns and
`/columns` streams any number of them from a byte offset.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from runs import storage
from runs.constants import COLUMNS_KEY_TEMPLATE, FIELDS_KEY_TEMPLATE, REPORT_KEY_TEMPLATE
from runs.dal import items as dynamo
from runs.dal.clients import client
from runs.settings import get_settings

RESULT_SORT_KEY_PREFIX = "RESULT#"


def report_key(workspace_id: str, run_id: str) -> str:
    return REPORT_KEY_TEMPLATE.format(workspace_id=workspace_id, run_id=run_id)


def _part_key(template: str, workspace_id: str, run_id: str) -> str:
    return template.format(workspace_id=workspace_id, run_id=run_id)


def _result_key(workspace_id: str, run_id: str) -> dict[str, str]:
    return {"pk": f"WS#{workspace_id}", "sk": f"{RESULT_SORT_KEY_PREFIX}{run_id}"}


def _json(value: Any) -> bytes:
    # json.dumps escapes line breaks inside strings, so one value is always one line.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def save_results(workspace_id: str, run_id: str, report: Mapping[str, Any]) -> None:
    """Store a report (camelCase, as `Report.model_dump(by_alias=True, mode="json")` gives it).

    The report and its parts go to S3 first and the metrics item last, so a metrics item always has
    its report. Saving again (a retried attempt) replaces them all.
    """
    settings = get_settings()
    s3 = client("s3")
    body = _json(report)
    key = report_key(workspace_id, run_id)
    s3.put_object(Bucket=settings.files_bucket, Key=key, Body=body, ContentType="application/json")
    s3.put_object(
        Bucket=settings.files_bucket,
        Key=_part_key(FIELDS_KEY_TEMPLATE, workspace_id, run_id),
        Body=_json(report.get("fields") or []),
        ContentType="application/json",
    )
    s3.put_object(
        Bucket=settings.files_bucket,
        Key=_part_key(COLUMNS_KEY_TEMPLATE, workspace_id, run_id),
        Body=b"".join(_json(column) + b"\n" for column in report.get("columns") or []),
        ContentType="application/x-ndjson",
    )
    item = {
        **_result_key(workspace_id, run_id),
        "runId": run_id,
        "schemaVersion": report.get("schemaVersion"),
        "status": report.get("status"),
        "metrics": report.get("metrics"),
        "reportKey": key,
        "reportBytes": len(body),
    }
    client("dynamodb").put_item(TableName=settings.runs_table, Item=dynamo.serialize(item))


def get_metrics(workspace_id: str, run_id: str) -> dict[str, Any] | None:
    """The run's metrics in one GetItem; None until results were saved."""
    item = dynamo.get_item(get_settings().runs_table, _result_key(workspace_id, run_id))
    if not item or item.get("metrics") is None:
        return None
    return dict(item["metrics"])


def get_report(workspace_id: str, run_id: str) -> dict[str, Any] | None:
    """The whole report from S3; None until results were saved."""
    settings = get_settings()
    s3 = client("s3")
    try:
        response = s3.get_object(Bucket=settings.files_bucket, Key=report_key(workspace_id, run_id))
    except s3.exceptions.NoSuchKey:
        return None
    report: dict[str, Any] = json.loads(response["Body"].read())
    return report


def get_fields(workspace_id: str, run_id: str) -> list[dict[str, Any]] | None:
    """The report's fields (one small object); None until results were saved."""
    chunks = storage.stream_object(_part_key(FIELDS_KEY_TEMPLATE, workspace_id, run_id))
    if chunks is None:
        return None
    fields: list[dict[str, Any]] = json.loads(b"".join(chunks))
    return fields


def iter_column_lines(workspace_id: str, run_id: str, *, start: int = 0) -> Iterator[tuple[bytes, int]] | None:
    """The report's columns from byte offset `start`: (JSON line, offset after it), fetched as consumed.

    None until results were saved.
    """
    chunks = storage.stream_object(_part_key(COLUMNS_KEY_TEMPLATE, workspace_id, run_id), start=start)
    if chunks is None:
        return None
    return _lines(chunks, start)


def _lines(chunks: Iterator[bytes], offset: int) -> Iterator[tuple[bytes, int]]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            offset += len(line) + 1
            yield line, offset
    if pending:  # a final line without its newline
        yield pending, offset + len(pending)
