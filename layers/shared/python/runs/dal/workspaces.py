"""Workspaces in the workspaces table (API keys share it: `runs.dal.api_keys`).

Items: workspace `WS#<ws>`/`WORKSPACE` (with `adminKeyCount`); registry `WORKSPACES`/`WS#<ws>` (the
platform-admin listing).
"""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import ClientError

from runs.dal import items as dynamo
from runs.models.workspaces import WorkspaceRecord
from runs.settings import get_settings


def _table() -> str:
    return get_settings().workspaces_table


def get_workspace(workspace_id: str) -> WorkspaceRecord | None:
    item = dynamo.get_item(_table(), {"pk": f"WS#{workspace_id}", "sk": "WORKSPACE"})
    return WorkspaceRecord.model_validate(item) if item else None


def create_workspace(workspace: WorkspaceRecord) -> bool:
    """Workspace + registry entry, all or nothing; False when the workspace id already exists."""
    record = workspace.to_item()
    try:
        dynamo.transact(
            [
                dynamo.put_new(_table(), {"pk": f"WS#{workspace.id}", "sk": "WORKSPACE", "adminKeyCount": 0, **record}),
                dynamo.put_new(_table(), {"pk": "WORKSPACES", "sk": f"WS#{workspace.id}", **record}),
            ]
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
    return True


def list_workspaces(workspace_ids: Sequence[str] | None) -> list[WorkspaceRecord]:
    """All workspaces (None: registry Query) or the given ones (BatchGetItem), by id."""
    if workspace_ids is None:
        items = dynamo.query_all(_table(), key_condition="pk = :pk", expression_values=dynamo.values(pk="WORKSPACES"))
    else:
        keys = [{"pk": f"WS#{ws}", "sk": "WORKSPACE"} for ws in dict.fromkeys(workspace_ids)]
        items = dynamo.batch_get(_table(), keys, consistent=False)
    return sorted((WorkspaceRecord.model_validate(item) for item in items), key=lambda record: record.id)
