"""Idempotency records: pk = `<scope>#<Idempotency-Key>`; TTL attribute `expiresAt`.

A claim is a conditional put that succeeds when no live record exists or the previous claimant's
in-flight lock expired (it crashed); completion stores the response for replays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from runs.dal import items as dynamo
from runs.dal.clients import client
from runs.settings import get_settings


@dataclass(frozen=True)
class StoredRecord:
    request_hash: str
    completed: bool
    response: dict[str, Any] | None


def claim(pk: str, request_hash: str) -> StoredRecord | None:
    """Claim the key for this request; returns None when claimed, else the record that holds it."""
    settings = get_settings()
    now = int(time.time())
    try:
        client("dynamodb").put_item(
            TableName=settings.idempotency_table,
            Item=dynamo.serialize(
                {
                    "pk": pk,
                    "requestHash": request_hash,
                    "status": "inProgress",
                    "lockedUntil": now + settings.idempotency_in_flight_seconds,
                    "expiresAt": now + settings.idempotency_ttl_seconds,
                }
            ),
            ConditionExpression=(
                "attribute_not_exists(pk) OR expiresAt < :now OR (#status = :inProgress AND lockedUntil < :now)"
            ),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=dynamo.values(now=now, inProgress="inProgress"),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise
        item = dynamo.get_item(settings.idempotency_table, {"pk": pk})
        if item is None:  # expired and deleted in between: claim again
            return claim(pk, request_hash)
        return StoredRecord(
            request_hash=str(item.get("requestHash")),
            completed=item.get("status") == "completed",
            response=item.get("response"),
        )
    return None


def complete(pk: str, response: dict[str, Any]) -> None:
    client("dynamodb").update_item(
        TableName=get_settings().idempotency_table,
        Key=dynamo.serialize({"pk": pk}),
        UpdateExpression="SET #status = :completed, #response = :response",
        ExpressionAttributeNames={"#status": "status", "#response": "response"},
        ExpressionAttributeValues=dynamo.values(completed="completed", response=response),
    )


def release(pk: str) -> None:
    """Forget an in-flight claim whose request failed, so the client may retry with the same key."""
    try:
        client("dynamodb").delete_item(
            TableName=get_settings().idempotency_table,
            Key=dynamo.serialize({"pk": pk}),
            ConditionExpression="#status = :inProgress",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=dynamo.values(inProgress="inProgress"),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise
