"""Configurations as API resources (the document itself is `normalizer.config.Configuration`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from runs.models.base import PageMeta, RecordModel, RequestModel, ResponseModel, Timestamp

DEFAULT_CONFIGURATION_ID = "default"


class ConfigurationListQuery(RequestModel):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=2048)] | None = None


class ConfigurationRecord(RecordModel):
    id: str
    workspace_id: str
    name: str
    document: dict[str, Any]
    created_at: Timestamp
    created_by: str | None = None


class ConfigurationResource(ResponseModel):
    id: str
    object: Literal["configuration"] = "configuration"
    workspace_id: str
    name: str
    active: bool
    built_in: bool
    created_at: Timestamp | None
    created_by: str | None
    document: dict[str, Any]


class ConfigurationPage(ResponseModel):
    items: list[ConfigurationResource]
    meta: PageMeta
