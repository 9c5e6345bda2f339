"""Workspaces, API keys and the principal a key stands for."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from runs.auth import Role
from runs.models.base import PageMeta, RecordModel, RequestModel, ResponseModel, Timestamp


class WorkspaceCreateRequest(RequestModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]


class ApiKeyCreateRequest(RequestModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role
    expires_at: AwareDatetime | None = Field(default=None, description="The key stops working at this time (future)")


class WorkspaceRecord(RecordModel):
    id: str
    name: str
    created_at: Timestamp
    created_by: str | None = None


class ApiKeyRecord(RecordModel):
    """A key as the authorizer reads it: only a hash of the secret is stored.

    Workspace keys live at `KEY#<keyId>`/`KEY`, platform-admin keys at `PLATFORM#KEYS`/`KEY#<keyId>`: being
    a platform admin is where the item lives, never an attribute a writer could set.
    """

    key_id: str
    name: str
    secret_hash: str
    roles: dict[str, Role] = {}
    created_at: Timestamp
    created_by: str | None = None
    expires_at: Timestamp | None = None
    last_used_at: Timestamp | None = None
    revoked_at: Timestamp | None = None
    revoked_by: str | None = None


class ApiKeyMembershipRecord(RecordModel):
    """The key as listed in one workspace (pk WS#<ws>, sk KEY#<keyId>)."""

    key_id: str
    workspace_id: str
    name: str
    role: Role
    created_at: Timestamp
    created_by: str | None = None
    expires_at: Timestamp | None = None


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
    expires_at: Timestamp | None
    last_used_at: Timestamp | None = Field(description="Recorded at most once an hour")


class ApiKeyCreatedResource(ResponseModel):
    api_key: ApiKeyResource
    secret: str = Field(description="`rk_live_<keyId>.<secret>`; shown only once, never stored")


class ApiKeyPage(ResponseModel):
    items: list[ApiKeyResource]
    meta: PageMeta


class PlatformApiKeyResource(ResponseModel):
    """A platform-admin key: admin in every workspace, minted only by `python -m runs.admin`."""

    key_id: str
    object: Literal["platformApiKey"] = "platformApiKey"
    name: str
    created_at: Timestamp
    created_by: str | None
    expires_at: Timestamp | None
    last_used_at: Timestamp | None = Field(description="Recorded at most once an hour")


class PlatformApiKeyPage(ResponseModel):
    items: list[PlatformApiKeyResource]
    meta: PageMeta
