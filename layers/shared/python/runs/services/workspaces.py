"""Workspaces, and the bootstrap of a deployed stack's first workspace and platform-admin key."""

from __future__ import annotations

from runs import auth
from runs.auth import Principal
from runs.dal import workspaces as store
from runs.errors import Conflict, WorkspaceNotFound
from runs.ids import new_id
from runs.models.base import PageMeta, utc_now
from runs.models.workspaces import WorkspaceCreateRequest, WorkspacePage, WorkspaceRecord, WorkspaceResource
from runs.services.api_keys import store_platform_key


def _resource(record: WorkspaceRecord, principal: Principal) -> WorkspaceResource:
    return WorkspaceResource(
        id=record.id,
        name=record.name,
        role=principal.role_in(record.id),
        created_at=record.created_at,
        created_by=record.created_by,
    )


def create_workspace(principal: Principal, request: WorkspaceCreateRequest) -> WorkspaceResource:
    """A new workspace. Only platform admins create workspaces, and they are admin in every one."""
    record = WorkspaceRecord(id=new_id(), name=request.name, created_at=utc_now(), created_by=principal.key_id)
    if not store.create_workspace(record):
        raise Conflict("The workspace could not be created; retry.")
    return _resource(record, principal)


def get_workspace(principal: Principal, workspace_id: str) -> WorkspaceResource:
    record = store.get_workspace(workspace_id)
    if record is None:
        raise WorkspaceNotFound()
    return _resource(record, principal)


def list_workspaces(principal: Principal) -> WorkspacePage:
    records = store.list_workspaces(None if principal.platform_admin else list(principal.roles))
    items = [_resource(record, principal) for record in records]
    return WorkspacePage(
        items=items, meta=PageMeta(limit=len(items), has_more=False, next_cursor=None, total_count=len(items))
    )


def bootstrap_workspace(workspace_id: str, name: str, api_key: str, *, created_by: str = "bootstrap") -> None:
    """Ensure `workspace_id` exists and `api_key` is a platform-admin key; idempotent. Bootstrap path only.

    `api_key` is `rk_admin_<keyId>.<secret>` or an unprefixed `<keyId>.<secret>` (the local dev key).
    Raises ValueError for a workspace key or a malformed key.
    """
    parsed = auth.parse_api_key({"x-api-key": api_key})
    if parsed is None or parsed.kind != "platform":
        raise ValueError("the API key must look like rk_admin_<keyId>.<secret> (secret of 8+ URL-safe characters)")
    store_platform_key(parsed, "bootstrap", created_by)
    if store.get_workspace(workspace_id) is None:
        store.create_workspace(
            WorkspaceRecord(id=workspace_id, name=name, created_at=utc_now(), created_by=parsed.key_id)
        )
