"""Workspaces and API keys in the workspaces table.

Items: workspace `WS#<ws>`/`WORKSPACE`; registry `WORKSPACES`/`WS#<ws>` (platform-admin listing);
key `KEY#<keyId>`/`KEY` (the hash and roles the authorizer reads in one GetItem);
membership `WS#<ws>`/`KEY#<keyId>` (the workspace's key listing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from runs.dal import items as dynamo
from runs.dal.clients import client
from runs.models.base import format_timestamp
from runs.models.workspaces import ApiKeyMembershipRecord, ApiKeyRecord, WorkspaceRecord
from runs.settings import get_settings


def _table() -> str:
    return get_settings().workspaces_table


def _put(item: dict[str, Any], *, new: bool = True) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": _table(), "Item": dynamo.serialize(item)}
    if new:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    return {"Put": put}


def get_api_key(key_id: str) -> ApiKeyRecord | None:
    item = dynamo.get_item(_table(), {"pk": f"KEY#{key_id}", "sk": "KEY"}, consistent=False)
    return ApiKeyRecord.model_validate(item) if item else None


def get_workspace(workspace_id: str) -> WorkspaceRecord | None:
    item = dynamo.get_item(_table(), {"pk": f"WS#{workspace_id}", "sk": "WORKSPACE"})
    return WorkspaceRecord.model_validate(item) if item else None


def create_workspace(workspace: WorkspaceRecord, *, admin_key_id: str | None) -> bool:
    """Workspace + registry entry (+ the creating key's admin role), all or nothing.

    Returns False when the workspace id already exists.
    """
    record = workspace.to_item()
    operations = [
        _put({"pk": f"WS#{workspace.id}", "sk": "WORKSPACE", **record}),
        _put({"pk": "WORKSPACES", "sk": f"WS#{workspace.id}", **record}),
    ]
    if admin_key_id:
        operations.append(_grant_role(admin_key_id, workspace.id, "admin"))
    try:
        dynamo.transact(operations)
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
    return True


def _grant_role(key_id: str, workspace_id: str, role: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": _table(),
            "Key": dynamo.serialize({"pk": f"KEY#{key_id}", "sk": "KEY"}),
            "UpdateExpression": "SET #roles.#ws = :role",
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(revokedAt)",
            "ExpressionAttributeNames": {"#roles": "roles", "#ws": workspace_id},
            "ExpressionAttributeValues": dynamo.values(role=role),
        }
    }


def list_workspaces(workspace_ids: Sequence[str] | None) -> list[WorkspaceRecord]:
    """All workspaces (None: registry Query) or the given ones (BatchGetItem)."""
    if workspace_ids is None:
        found: list[dict[str, Any]] = []
        start = None
        while True:
            request: dict[str, Any] = {
                "TableName": _table(),
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": dynamo.values(pk="WORKSPACES"),
            }
            if start:
                request["ExclusiveStartKey"] = start
            response = client("dynamodb").query(**request)
            found.extend(dynamo.deserialize(item) for item in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                break
        return [WorkspaceRecord.model_validate(item) for item in found]
    records: list[WorkspaceRecord] = []
    ids = list(dict.fromkeys(workspace_ids))
    for offset in range(0, len(ids), 100):
        keys = [dynamo.serialize({"pk": f"WS#{ws}", "sk": "WORKSPACE"}) for ws in ids[offset : offset + 100]]
        pending: dict[str, Any] = {_table(): {"Keys": keys}}
        while pending:
            response = client("dynamodb").batch_get_item(RequestItems=pending)
            records.extend(
                WorkspaceRecord.model_validate(dynamo.deserialize(item))
                for item in response.get("Responses", {}).get(_table(), [])
            )
            pending = response.get("UnprocessedKeys") or {}
    return sorted(records, key=lambda record: record.id)


def create_api_key(key: ApiKeyRecord, membership: ApiKeyMembershipRecord | None) -> None:
    """The key item and (for workspace keys) its membership listing, all or nothing."""
    operations = [_put({"pk": f"KEY#{key.key_id}", "sk": "KEY", **key.to_item()})]
    if membership is not None:
        operations.append(
            _put({"pk": f"WS#{membership.workspace_id}", "sk": f"KEY#{membership.key_id}", **membership.to_item()})
        )
    dynamo.transact(operations)


def put_bootstrap_key(key: ApiKeyRecord) -> None:
    """Create or replace a platform-admin key (bootstrap only: the CLI and the local stack)."""
    client("dynamodb").put_item(
        TableName=_table(), Item=dynamo.serialize({"pk": f"KEY#{key.key_id}", "sk": "KEY", **key.to_item()})
    )


def list_memberships(workspace_id: str) -> list[ApiKeyMembershipRecord]:
    response = client("dynamodb").query(
        TableName=_table(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues=dynamo.values(pk=f"WS#{workspace_id}", prefix="KEY#"),
    )
    return [ApiKeyMembershipRecord.model_validate(dynamo.deserialize(i)) for i in response.get("Items", [])]


def revoke_api_key(workspace_id: str, key_id: str, at: datetime) -> bool:
    """Mark the key revoked and drop its listing; False when it is not a key of this workspace."""
    try:
        dynamo.transact(
            [
                {
                    "Delete": {
                        "TableName": _table(),
                        "Key": dynamo.serialize({"pk": f"WS#{workspace_id}", "sk": f"KEY#{key_id}"}),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": _table(),
                        "Key": dynamo.serialize({"pk": f"KEY#{key_id}", "sk": "KEY"}),
                        "UpdateExpression": "SET revokedAt = :at",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": dynamo.values(at=format_timestamp(at)),
                    }
                },
            ]
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
    return True
