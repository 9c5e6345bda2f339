"""Configurations as API resources (the document itself is `normalizer.config.Configuration`)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, field_serializer, field_validator

from runs.models.base import PageMeta, RecordModel, RequestModel, ResponseModel, Timestamp

DEFAULT_CONFIGURATION_ID = "default"


class ConfigurationListQuery(RequestModel):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=2048)] | None = None


class ConfigurationRecord(RecordModel):
    """Stored with the document as one JSON string: DynamoDB numbers cannot hold every JSON number."""

    id: str
    workspace_id: str
    name: str
    document: dict[str, Any]
    created_at: Timestamp
    created_by: str | None = None

    @field_validator("document", mode="before")
    @classmethod
    def _parse_stored_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    @field_serializer("document", when_used="json")
    def _store_as_json(self, document: dict[str, Any]) -> str:
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


class ConfigurationSummaryRecord(RecordModel):
    """A stored configuration without its document: what a list reads (a document may hold 350 KB)."""

    id: str
    workspace_id: str
    name: str
    created_at: Timestamp
    created_by: str | None = None


class ConfigurationSummary(ResponseModel):
    """A configuration in a list: everything but the document (GET /configurations/{id} has it), so a page
    of 200 stays far below Lambda's 6 MB response limit."""

    id: str
    object: Literal["configuration"] = "configuration"
    workspace_id: str
    name: str
    active: bool
    built_in: bool
    created_at: Timestamp | None
    created_by: str | None


class ConfigurationResource(ConfigurationSummary):
    document: dict[str, Any]


class ConfigurationPage(ResponseModel):
    items: list[ConfigurationSummary]
    meta: PageMeta
