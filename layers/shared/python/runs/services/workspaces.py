"""Workspaces and API keys."""

from __future__ import annotations

from runs import auth
from runs.auth import Principal
from runs.dal import workspaces as store
from runs.errors import ApiKeyNotFound, Conflict, Unauthenticated, WorkspaceNotFound
from runs.ids import is_valid_id, new_id
from runs.models.base import PageMeta, utc_now
from runs.models.workspaces import (
    ApiKeyCreatedResource,
    ApiKeyCreateRequest,
    ApiKeyMembershipRecord,
    ApiKeyPage,
    ApiKeyRecord,
    ApiKeyResource,
    WorkspaceCreateRequest,
    WorkspacePage,
    WorkspaceRecord,
    WorkspaceResource,
)


def authenticate(headers: dict[str, str]) -> Principal:
    """The principal for the API key in `headers`; raises Unauthenticated for a missing/bad/revoked key."""
    parsed = auth.parse_api_key(headers)
    if parsed is None:
        raise Unauthenticated()
    record = store.get_api_key(parsed.key_id)
    if record is None or record.revoked_at is not None:
        raise Unauthenticated()
    if not auth.secret_matches(parsed.key_id, parsed.secret, record.secret_hash):
        raise Unauthenticated()
    return Principal(key_id=record.key_id, platform_admin=record.platform_admin, roles=dict(record.roles))


def _resource(record: WorkspaceRecord, principal: Principal) -> WorkspaceResource:
    return WorkspaceResource(
        id=record.id,
        name=record.name,
        role=principal.role_in(record.id),
        created_at=record.created_at,
        created_by=record.created_by,
    )


def create_workspace(principal: Principal, request: WorkspaceCreateRequest) -> WorkspaceResource:
    """A new workspace; the creating key becomes its admin."""
    record = WorkspaceRecord(id=new_id(), name=request.name, created_at=utc_now(), created_by=principal.key_id)
    if not store.create_workspace(record, admin_key_id=principal.key_id):
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


def _key_resource(membership: ApiKeyMembershipRecord) -> ApiKeyResource:
    return ApiKeyResource(
        key_id=membership.key_id,
        workspace_id=membership.workspace_id,
        name=membership.name,
        role=membership.role,
        created_at=membership.created_at,
        created_by=membership.created_by,
    )


def create_api_key(principal: Principal, workspace_id: str, request: ApiKeyCreateRequest) -> ApiKeyCreatedResource:
    """A key with `role` in this workspace; the secret is returned once and only its hash is kept."""
    if store.get_workspace(workspace_id) is None:
        raise WorkspaceNotFound()
    generated = auth.generate_api_key()
    now = utc_now()
    key = ApiKeyRecord(
        key_id=generated.key_id,
        name=request.name,
        secret_hash=auth.hash_secret(generated.key_id, generated.secret),
        roles={workspace_id: request.role},
        created_at=now,
        created_by=principal.key_id,
    )
    membership = ApiKeyMembershipRecord(
        key_id=generated.key_id,
        workspace_id=workspace_id,
        name=request.name,
        role=request.role,
        created_at=now,
        created_by=principal.key_id,
    )
    store.create_api_key(key, membership)
    return ApiKeyCreatedResource(api_key=_key_resource(membership), secret=f"{generated.key_id}.{generated.secret}")


def list_api_keys(workspace_id: str) -> ApiKeyPage:
    items = [_key_resource(m) for m in store.list_memberships(workspace_id)]
    return ApiKeyPage(
        items=items, meta=PageMeta(limit=len(items), has_more=False, next_cursor=None, total_count=len(items))
    )


def revoke_api_key(workspace_id: str, key_id: str) -> None:
    """Raises ApiKeyNotFound unless the key belongs to this workspace."""
    if not is_valid_id(key_id) or not store.revoke_api_key(workspace_id, key_id, utc_now()):
        raise ApiKeyNotFound()


def bootstrap_workspace(workspace_id: str, name: str, api_key: str) -> None:
    """Ensure `workspace_id` exists and `api_key` (`<keyId>.<secret>`) is a platform-admin key; idempotent."""
    parsed = auth.parse_api_key({"x-api-key": api_key})
    if parsed is None:
        raise ValueError("the API key must look like <keyId>.<secret> (secret of 8+ URL-safe characters)")
    now = utc_now()
    store.put_bootstrap_key(
        ApiKeyRecord(
            key_id=parsed.key_id,
            name="bootstrap",
            secret_hash=auth.hash_secret(parsed.key_id, parsed.secret),
            platform_admin=True,
            roles={workspace_id: "admin"},
            created_at=now,
            created_by="bootstrap",
        )
    )
    if store.get_workspace(workspace_id) is None:
        store.create_workspace(
            WorkspaceRecord(id=workspace_id, name=name, created_at=now, created_by=parsed.key_id), admin_key_id=None
        )
