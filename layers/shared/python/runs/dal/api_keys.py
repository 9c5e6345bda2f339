"""API keys in the workspaces table.

Items: workspace key `KEY#<keyId>`/`KEY` (hash and roles: what the authorizer reads in one GetItem);
its listing `WS#<ws>`/`KEY#<keyId>`; platform-admin key `PLATFORM#KEYS`/`KEY#<keyId>` (one partition, so
listing them is one Query). The workspace item `WS#<ws>`/`WORKSPACE` counts its active admin keys
(`adminKeyCount`), so "never revoke the last admin key" is a condition of the revoking transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import ClientError

from runs.auth import KeyKind
from runs.constants import API_KEY_LAST_USED_INTERVAL_SECONDS, PLATFORM_KEYS_PARTITION
from runs.dal import items as dynamo
from runs.dal.clients import client
from runs.logs import logger
from runs.models.base import format_timestamp
from runs.models.workspaces import ApiKeyMembershipRecord, ApiKeyRecord
from runs.settings import get_settings

RevokeOutcome = Literal["revoked", "notFound", "lastAdmin", "conflict"]
_CONDITION_FAILED = "ConditionalCheckFailed"


def _table() -> str:
    return get_settings().workspaces_table


def key_item_key(kind: KeyKind, key_id: str) -> dict[str, str]:
    if kind == "platform":
        return {"pk": PLATFORM_KEYS_PARTITION, "sk": f"KEY#{key_id}"}
    return {"pk": f"KEY#{key_id}", "sk": "KEY"}


def _membership_key(workspace_id: str, key_id: str) -> dict[str, str]:
    return {"pk": f"WS#{workspace_id}", "sk": f"KEY#{key_id}"}


def _workspace_key(workspace_id: str) -> dict[str, str]:
    return {"pk": f"WS#{workspace_id}", "sk": "WORKSPACE"}


def get_api_key(kind: KeyKind, key_id: str) -> ApiKeyRecord | None:
    """One consistent GetItem: a key revoked a moment ago is never read as active."""
    item = dynamo.get_item(_table(), key_item_key(kind, key_id))
    return ApiKeyRecord.model_validate(item) if item else None


def create_workspace_key(key: ApiKeyRecord, membership: ApiKeyMembershipRecord) -> bool:
    """The key, its listing and (for an admin key) the workspace's admin count, all or nothing.

    Returns False when the workspace does not exist.
    """
    workspace: dict[str, Any] = {
        "TableName": _table(),
        "Key": dynamo.serialize(_workspace_key(membership.workspace_id)),
    }
    workspace["ConditionExpression"] = "attribute_exists(pk)"
    if membership.role == "admin":
        workspace["UpdateExpression"] = "ADD adminKeyCount :one"
        workspace["ExpressionAttributeValues"] = dynamo.values(one=1)
    operations = [
        dynamo.put_new(_table(), {**key_item_key("workspace", key.key_id), **key.to_item()}),
        dynamo.put_new(_table(), {**_membership_key(membership.workspace_id, key.key_id), **membership.to_item()}),
        {"Update" if membership.role == "admin" else "ConditionCheck": workspace},
    ]
    try:
        dynamo.transact(operations)
    except ClientError as error:
        if dynamo.cancellation_reasons(error)[2:3] == [_CONDITION_FAILED]:
            return False
        raise
    return True


def put_platform_key(key: ApiKeyRecord) -> None:
    """Create or replace a platform-admin key: the bootstrap path only (`runs.admin`, the local stack).

    No function role may call this: IAM denies them writes under the platform partition prefix.
    """
    client("dynamodb").put_item(
        TableName=_table(), Item=dynamo.serialize({**key_item_key("platform", key.key_id), **key.to_item()})
    )


def get_membership(workspace_id: str, key_id: str) -> ApiKeyMembershipRecord | None:
    item = dynamo.get_item(_table(), _membership_key(workspace_id, key_id))
    return ApiKeyMembershipRecord.model_validate(item) if item else None


def list_memberships(workspace_id: str) -> list[ApiKeyMembershipRecord]:
    items = dynamo.query_all(
        _table(),
        key_condition="pk = :pk AND begins_with(sk, :prefix)",
        expression_values=dynamo.values(pk=f"WS#{workspace_id}", prefix="KEY#"),
    )
    return [ApiKeyMembershipRecord.model_validate(item) for item in items]


def get_workspace_keys(key_ids: Sequence[str]) -> dict[str, ApiKeyRecord]:
    """Workspace keys by id (BatchGetItem, 100 at a time); unknown ids are absent."""
    items = dynamo.batch_get(_table(), [key_item_key("workspace", key_id) for key_id in key_ids])
    records = (ApiKeyRecord.model_validate(item) for item in items)
    return {record.key_id: record for record in records}


def list_platform_keys() -> list[ApiKeyRecord]:
    """Every platform-admin key not revoked: one Query on their partition."""
    items = dynamo.query_all(
        _table(),
        key_condition="pk = :pk AND begins_with(sk, :prefix)",
        expression_values=dynamo.values(pk=PLATFORM_KEYS_PARTITION, prefix="KEY#"),
        filter_expression="attribute_not_exists(revokedAt)",
    )
    return [ApiKeyRecord.model_validate(item) for item in items]


def _mark_revoked(kind: KeyKind, key_id: str, at: datetime, by: str) -> dict[str, Any]:
    return {
        "TableName": _table(),
        "Key": dynamo.serialize(key_item_key(kind, key_id)),
        "UpdateExpression": "SET revokedAt = :at, revokedBy = :by",
        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(revokedAt)",
        "ExpressionAttributeValues": dynamo.values(at=format_timestamp(at), by=by),
    }


def revoke_workspace_key(membership: ApiKeyMembershipRecord, at: datetime, by: str) -> RevokeOutcome:
    """Mark the key revoked (with who did it) and drop its listing, all or nothing.

    An admin key also decrements the workspace's admin count on condition that another admin key remains,
    so two concurrent revocations can never leave a workspace without one ("lastAdmin").
    """
    operations: list[dict[str, Any]] = [
        {
            "Delete": {
                "TableName": _table(),
                "Key": dynamo.serialize(_membership_key(membership.workspace_id, membership.key_id)),
                "ConditionExpression": "attribute_exists(pk) AND #role = :role",
                "ExpressionAttributeNames": {"#role": "role"},
                "ExpressionAttributeValues": dynamo.values(role=membership.role),
            }
        },
        {"Update": _mark_revoked("workspace", membership.key_id, at, by)},
    ]
    if membership.role == "admin":
        operations.append(
            {
                "Update": {
                    "TableName": _table(),
                    "Key": dynamo.serialize(_workspace_key(membership.workspace_id)),
                    "UpdateExpression": "SET adminKeyCount = adminKeyCount - :one",
                    "ConditionExpression": "adminKeyCount > :one",
                    "ExpressionAttributeValues": dynamo.values(one=1),
                }
            }
        )
    try:
        dynamo.transact(operations)
    except ClientError as error:
        reasons = dynamo.cancellation_reasons(error)
        if reasons[2:3] == [_CONDITION_FAILED]:
            return "lastAdmin"
        if _CONDITION_FAILED in reasons:
            return "notFound"
        if "TransactionConflict" in reasons:
            return "conflict"
        raise
    return "revoked"


def revoke_platform_key(key_id: str, at: datetime, by: str) -> bool:
    """Set revokedAt/revokedBy, the only attributes the revoking role may write; False when unknown or revoked."""
    try:
        client("dynamodb").update_item(**_mark_revoked("platform", key_id, at, by))
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
    return True


def record_key_use(kind: KeyKind, key_id: str, at: datetime) -> bool:
    """Set `lastUsedAt` unless another writer set it within the interval; False when it did (or the key is gone).

    The condition makes "at most one write per key per interval" hold across every authorizer container.
    """
    threshold = at - timedelta(seconds=API_KEY_LAST_USED_INTERVAL_SECONDS)
    try:
        client("dynamodb").update_item(
            TableName=_table(),
            Key=dynamo.serialize(key_item_key(kind, key_id)),
            UpdateExpression="SET lastUsedAt = :at",
            ConditionExpression=(
                "attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt <= :threshold)"
            ),
            ExpressionAttributeValues=dynamo.values(at=format_timestamp(at), threshold=format_timestamp(threshold)),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            # Bookkeeping only: a throttled or refused write must never turn a valid key away.
            logger.warning("lastUsedAt not recorded", extra={"keyId": key_id, "error": dynamo.error_code(error)})
        return False
    return True
