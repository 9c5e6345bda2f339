"""Idempotency records: pk = `<scope>#<Idempotency-Key>`; TTL attribute `expiresAt`.

A claim writes a fresh owner token; only that owner may complete or release it (conditional writes), so a
claimant whose in-flight lock expired and was taken over can no longer overwrite the new owner's record.
A released claim keeps its request hash and `firstAttemptAt`, so a retry of the same request derives the
same resource ids (`runs.ids.IdSource`) and finds what a failed attempt already wrote.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from runs.dal import items as dynamo
from runs.dal.clients import client
from runs.logs import logger
from runs.settings import get_settings

MAX_CLAIM_ATTEMPTS = 5


@dataclass(frozen=True)
class Claim:
    """This request holds the key: `owner` completes or releases it."""

    pk: str
    owner: str
    first_attempt_ms: int
    retry: bool  # an earlier attempt of this very request was released or lost its lock


@dataclass(frozen=True)
class StoredRecord:
    """Another request holds the key, or completed it."""

    request_hash: str
    completed: bool
    response: dict[str, Any] | None


def _table() -> str:
    return get_settings().idempotency_table


def claim(pk: str, request_hash: str) -> Claim | StoredRecord:
    """Claim the key for this request, or return the record that holds it (in flight or completed).

    A released record, or an in-flight one whose lock expired (its claimant crashed) for the same request,
    is taken over. Raises RuntimeError when the record keeps changing under us (never in practice).
    """
    for _ in range(MAX_CLAIM_ATTEMPTS):
        now_ms = int(time.time() * 1000)
        owner = uuid.uuid4().hex
        if _put_fresh(pk, request_hash, owner, now_ms):
            return Claim(pk, owner, now_ms, retry=False)
        item = dynamo.get_item(_table(), {"pk": pk})
        if item is None:  # expired and deleted in between: claim again
            continue
        held = StoredRecord(str(item.get("requestHash")), item.get("status") == "completed", item.get("response"))
        lock_expired = item.get("status") == "inProgress" and int(item.get("lockedUntil", 0)) < now_ms // 1000
        same_request = held.request_hash == request_hash
        if not (item.get("status") == "released" or (lock_expired and same_request)):
            return held
        first_attempt_ms = int(item.get("firstAttemptAt", now_ms)) if same_request else now_ms
        if _take_over(pk, item, request_hash, owner, first_attempt_ms, now_ms):
            return Claim(pk, owner, first_attempt_ms, retry=same_request)
    raise RuntimeError(f"idempotency record {pk!r} kept changing")


def _lock_fields(request_hash: str, owner: str, now_ms: int) -> dict[str, Any]:
    settings = get_settings()
    now = now_ms // 1000
    return {
        "requestHash": request_hash,
        "status": "inProgress",
        "owner": owner,
        "lockedUntil": now + settings.idempotency_in_flight_seconds,
        "expiresAt": now + settings.idempotency_ttl_seconds,
    }


def _put_fresh(pk: str, request_hash: str, owner: str, now_ms: int) -> bool:
    try:
        client("dynamodb").put_item(
            TableName=_table(),
            Item=dynamo.serialize({"pk": pk, **_lock_fields(request_hash, owner, now_ms), "firstAttemptAt": now_ms}),
            ConditionExpression="attribute_not_exists(pk) OR expiresAt < :now",
            ExpressionAttributeValues=dynamo.values(now=now_ms // 1000),
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
    return True


def _take_over(
    pk: str, previous: dict[str, Any], request_hash: str, owner: str, first_attempt_ms: int, now_ms: int
) -> bool:
    """Replace the previous owner, on condition that the record is still as read."""
    fields = {**_lock_fields(request_hash, owner, now_ms), "firstAttemptAt": first_attempt_ms}
    conditions = {"previousStatus": previous.get("status", "")}
    if "owner" in previous:
        conditions["previousOwner"] = previous["owner"]
    same_owner = "#owner = :previousOwner" if "owner" in previous else "attribute_not_exists(#owner)"
    try:
        client("dynamodb").update_item(
            TableName=_table(),
            Key=dynamo.serialize({"pk": pk}),
            UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in fields),
            ConditionExpression=f"{same_owner} AND #status = :previousStatus",
            ExpressionAttributeNames={f"#{name}": name for name in fields},
            ExpressionAttributeValues=dynamo.values(**fields, **conditions),
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
    return True


def complete(held: Claim, response: dict[str, Any]) -> bool:
    """Store the response for replays; False (and nothing written) when another owner took the key over."""
    return _owner_update(held, "completed", {"response": response})


def release(held: Claim) -> bool:
    """Let a retry of a failed request claim the key again; False when another owner took it over."""
    return _owner_update(held, "released", {})


def _owner_update(held: Claim, status: str, extra: dict[str, Any]) -> bool:
    fields = {"status": status, **extra}
    try:
        client("dynamodb").update_item(
            TableName=_table(),
            Key=dynamo.serialize({"pk": held.pk}),
            UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in fields) + " REMOVE lockedUntil",
            ConditionExpression="#owner = :owner AND #status = :inProgress",
            ExpressionAttributeNames={"#owner": "owner", **{f"#{name}": name for name in fields}},
            ExpressionAttributeValues=dynamo.values(**fields, owner=held.owner, inProgress="inProgress"),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise
        logger.warning("idempotency claim was taken over", extra={"idempotencyStatus": status})
        return False
    return True
