"""Workspaces, API keys and the principal a key stands for."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from runs.auth import Role
from runs.models.base import PageMeta, RecordModel, RequestModel, ResponseModel, Timestamp


class WorkspaceCreateRequest(RequestModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]


class ApiKeyCreateRequest(RequestModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role


class WorkspaceRecord(RecordModel):
    id: str
    name: str
    created_at: Timestamp
    created_by: str | None = None


class ApiKeyRecord(RecordModel):
    """The key itself (pk KEY#<keyId>): only a hash of the secret is stored."""

    key_id: str
    name: str
    secret_hash: str
    platform_admin: bool = False
    roles: dict[str, Role] = {}
    created_at: Timestamp
    created_by: str | None = None
    revoked_at: Timestamp | None = None


class ApiKeyMembershipRecord(RecordModel):
    """The key as listed in one workspace (pk WS#<ws>, sk KEY#<keyId>)."""

    key_id: str
    workspace_id: str
    name: str
    role: Role
    created_at: Timestamp
    created_by: str | None = None


class WorkspaceResource(ResponseModel):
    id: str
    object: Literal["workspace"] = "workspace"
    name: str
    role: Role | None
    created_at: Timestamp
    created_by: str | None


class WorkspacePage(ResponseModel):
    items: list[WorkspaceResource]
    meta: PageMeta


class ApiKeyResource(ResponseModel):
    key_id: str
    object: Literal["apiKey"] = "apiKey"
    workspace_id: str
    name: str
    role: Role
    created_at: Timestamp
    created_by: str | None


class ApiKeyCreatedResource(ResponseModel):
    api_key: ApiKeyResource
    secret: str = Field(description="`<keyId>.<secret>`; shown only once")


class ApiKeyPage(ResponseModel):
    items: list[ApiKeyResource]
    meta: PageMeta
