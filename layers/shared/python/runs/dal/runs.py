"""Runs and their events in DynamoDB.

Runs table: pk `WS#<workspaceId>`, sk `RUN#<runId>` (UUIDv7, so sk order is creation order);
index byDocument: gsi1pk `WS#<ws>#DOC#<documentId>`, gsi1sk `RUN#<runId>`.
Events table: pk `RUN#<runId>`, seq (number). A run's `eventSeq` counter and its events are written in
one transaction, so seq values are gap-free and never reused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from runs import transitions
from runs.dal import items as dynamo
from runs.dal.clients import client
from runs.models.base import format_timestamp
from runs.models.runs import RunRecord, RunStatus
from runs.settings import get_settings

EVENT_RETENTION = timedelta(days=90)


def run_key(workspace_id: str, run_id: str) -> dict[str, str]:
    return {"pk": f"WS#{workspace_id}", "sk": f"RUN#{run_id}"}


@dataclass(frozen=True)
class NewEvent:
    """An event to append in the same transaction as a run change."""

    event: str
    message: str
    level: str = "info"
    data: Mapping[str, Any] | None = None


def _run_item(run: RunRecord) -> dict[str, Any]:
    item = run.to_item()
    item.update(run_key(run.workspace_id, run.id))
    item["gsi1pk"] = f"WS#{run.workspace_id}#DOC#{run.input.document_id}"
    item["gsi1sk"] = f"RUN#{run.id}"
    item["searchText"] = f"{run.input.filename.lower()} {run.id}"
    return item


def _event_put(run: RunRecord, seq: int, event: NewEvent, at: datetime) -> dict[str, Any]:
    record = {
        "pk": f"RUN#{run.id}",
        "seq": seq,
        "runId": run.id,
        "workspaceId": run.workspace_id,
        "attempt": run.attempt,
        "timestamp": format_timestamp(at),
        "level": event.level,
        "event": event.event,
        "message": event.message,
        "data": dict(event.data or {}),
        "expiresAt": int((at + EVENT_RETENTION).timestamp()),
    }
    return {
        "Put": {
            "TableName": get_settings().events_table,
            "Item": dynamo.serialize(record),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def create_runs(runs: Sequence[tuple[RunRecord, NewEvent]], at: datetime) -> None:
    """Insert new runs with their first event; ≤ 50 runs per call (two operations each).

    Raises ClientError when a run id already exists (never overwrites).
    """
    operations: list[dict[str, Any]] = []
    for run, event in runs:
        operations.append(
            {
                "Put": {
                    "TableName": get_settings().runs_table,
                    "Item": dynamo.serialize(_run_item(run)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
        operations.append(_event_put(run, run.event_seq, event, at))
    dynamo.transact(operations)


def get_run(workspace_id: str, run_id: str) -> RunRecord | None:
    """One GetItem; None when the run does not exist in this workspace."""
    item = dynamo.get_item(get_settings().runs_table, run_key(workspace_id, run_id))
    return RunRecord.model_validate(item) if item else None


def get_runs(workspace_id: str, run_ids: Sequence[str]) -> dict[str, RunRecord]:
    """The runs among `run_ids` that exist in this workspace (consistent BatchGetItem)."""
    items = dynamo.batch_get(get_settings().runs_table, [run_key(workspace_id, run_id) for run_id in run_ids])
    records = (RunRecord.model_validate(item) for item in items)
    return {record.id: record for record in records}


def transition(
    run: RunRecord,
    target: RunStatus,
    *,
    changes: Mapping[str, Any],
    event: NewEvent,
    at: datetime,
) -> bool:
    """Move `run` (as last read) to `target`, set `changes` and append `event`, all or nothing.

    The write is conditional on the status being one the transition table allows AND on the run
    not having changed since it was read (version). Returns False when the condition failed, i.e.
    another writer got there first; the caller rereads and decides.
    """
    sources = transitions.allowed_sources(target)
    if run.status not in sources:
        return False
    return _conditional_update(run, sources, {"status": target, **changes}, event, at)


def update(run: RunRecord, *, changes: Mapping[str, Any], event: NewEvent | None, at: datetime) -> bool:
    """Set `changes` on `run` (as last read) without changing its status, and append `event` if given.

    Conditional on the status and version being those read, so nothing lands on a run that moved on
    (a cancel, a completion) meanwhile. A change whose value is None removes the attribute. Returns
    False when the condition failed; the caller rereads and decides.
    """
    return _conditional_update(run, (run.status,), changes, event, at)


def _conditional_update(
    run: RunRecord,
    expected_statuses: Sequence[RunStatus],
    changes: Mapping[str, Any],
    event: NewEvent | None,
    at: datetime,
) -> bool:
    names = {"#status": "status", "#version": "version"}
    sets = ["#version = :nextVersion"]
    removes: list[str] = []
    expression_values = dynamo.values(
        version=run.version,
        nextVersion=run.version + 1,
        **{f"source{i}": source for i, source in enumerate(expected_statuses)},
    )
    if event is not None:
        names["#eventSeq"] = "eventSeq"
        sets.append("#eventSeq = :nextSeq")
        expression_values[":nextSeq"] = dynamo.serialize_value(run.event_seq + 1)
    for index, (attribute, value) in enumerate(changes.items()):
        names[f"#c{index}"] = attribute
        if value is None:
            removes.append(f"#c{index}")
            continue
        sets.append(f"#c{index} = :c{index}")
        expression_values[f":c{index}"] = dynamo.serialize_value(value)
    source_list = ", ".join(f":source{i}" for i in range(len(expected_statuses)))
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    operations: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": get_settings().runs_table,
                "Key": dynamo.serialize(run_key(run.workspace_id, run.id)),
                "UpdateExpression": expression,
                "ConditionExpression": f"#status IN ({source_list}) AND #version = :version",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": expression_values,
            }
        }
    ]
    if event is not None:
        operations.append(_event_put(run, run.event_seq + 1, event, at))
    try:
        dynamo.transact(operations)
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
    return True


@dataclass(frozen=True)
class RunFilter:
    statuses: tuple[str, ...] = ()
    operation: str | None = None
    configuration_id: str | None = None
    q: str | None = None


def list_runs(
    workspace_id: str,
    *,
    limit: int,
    newest_first: bool,
    run_filter: RunFilter,
    document_id: str | None,
    id_from: str | None,
    id_to: str | None,
    start_key: dict[str, Any] | None,
) -> tuple[list[RunRecord], dict[str, Any] | None, int]:
    """One page of runs by Query (on the table, or the byDocument index); never a Scan."""
    if document_id:
        partition, sort, index = "gsi1pk", "gsi1sk", "byDocument"
        partition_value = f"WS#{workspace_id}#DOC#{document_id}"
        key_attributes: tuple[str, ...] = ("pk", "sk", "gsi1pk", "gsi1sk")
    else:
        partition, sort, index = "pk", "sk", None
        partition_value = f"WS#{workspace_id}"
        key_attributes = ("pk", "sk")
    condition = f"{partition} = :partition AND {sort} BETWEEN :low AND :high"
    expression_values = dynamo.values(
        partition=partition_value,
        low=f"RUN#{id_from or ''}",
        high=f"RUN#{id_to or 'g'}",  # 'g' sorts after every hex digit
    )
    filters: list[str] = []
    names: dict[str, str] = {}
    if run_filter.statuses:
        names["#status"] = "status"
        placeholders = []
        for i, status in enumerate(run_filter.statuses):
            expression_values[f":status{i}"] = dynamo.serialize_value(status)
            placeholders.append(f":status{i}")
        filters.append(f"#status IN ({', '.join(placeholders)})")
    if run_filter.operation:
        names["#operation"] = "operation"
        expression_values[":operation"] = dynamo.serialize_value(run_filter.operation)
        filters.append("#operation = :operation")
    if run_filter.configuration_id:
        expression_values[":configurationId"] = dynamo.serialize_value(run_filter.configuration_id)
        filters.append("configurationId = :configurationId")
    if run_filter.q:
        expression_values[":q"] = dynamo.serialize_value(run_filter.q.lower())
        filters.append("contains(searchText, :q)")
    records, resume, queries = dynamo.page_query(
        table=get_settings().runs_table,
        key_condition=condition,
        expression_values=expression_values,
        limit=limit,
        start_key=start_key,
        forward=not newest_first,
        filter_expression=" AND ".join(filters) or None,
        expression_names=names or None,
        key_attributes=key_attributes,
        index=index,
    )
    return [RunRecord.model_validate(item) for item in records], resume, queries


def count_runs(workspace_id: str, *, at_most: int) -> int | None:
    """How many runs the workspace has, or None when it has more than `at_most` (Select=COUNT pages,
    reading at most `at_most` + 1 items, so the cost is bounded whatever the workspace's size)."""
    total, start = 0, None
    while True:
        request: dict[str, Any] = {
            "TableName": get_settings().runs_table,
            "KeyConditionExpression": "pk = :partition AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": dynamo.values(partition=f"WS#{workspace_id}", prefix="RUN#"),
            "Select": "COUNT",
            "Limit": at_most + 1 - total,
        }
        if start:
            request["ExclusiveStartKey"] = start
        response = client("dynamodb").query(**request)
        total += int(response.get("Count", 0))
        start = response.get("LastEvaluatedKey")
        if total > at_most:
            return None
        if not start:
            return total


def list_events(run_id: str, *, after_seq: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """Events of a run with seq > after_seq, in order."""
    response = client("dynamodb").query(
        TableName=get_settings().events_table,
        KeyConditionExpression="pk = :pk AND seq > :after",
        ExpressionAttributeValues=dynamo.values(pk=f"RUN#{run_id}", after=after_seq),
        Limit=limit,
        ConsistentRead=True,
    )
    return [dynamo.deserialize(item) for item in response.get("Items", [])]
