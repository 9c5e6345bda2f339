"""Configurations: validated target schemas, the active pointer, and the built-in default."""

from __future__ import annotations

from typing import Any

from normalizer.config import DEFAULT_CONFIGURATION, Configuration
from runs.auth import Principal
from runs.dal import configurations as store
from runs.errors import ConfigurationNotFound, PayloadTooLarge
from runs.ids import is_valid_id, new_id
from runs.models.base import PageMeta, utc_now, validate
from runs.models.configurations import (
    DEFAULT_CONFIGURATION_ID,
    ConfigurationPage,
    ConfigurationRecord,
    ConfigurationResource,
    ConfigurationSummary,
)
from runs.services.paging import filters_fingerprint, make_cursor, read_cursor

# A DynamoDB item holds at most 400 KB; the rest of the item needs far less than the margin left here.
MAX_CONFIGURATION_BYTES = 350 * 1024


def _resource(record: ConfigurationRecord, active_id: str | None) -> ConfigurationResource:
    return ConfigurationResource(
        id=record.id,
        workspace_id=record.workspace_id,
        name=record.name,
        active=record.id == active_id,
        built_in=False,
        created_at=record.created_at,
        created_by=record.created_by,
        document=record.document,
    )


def default_configuration(workspace_id: str) -> ConfigurationResource:
    active = store.get_active_configuration_id(workspace_id)
    return ConfigurationResource(
        id=DEFAULT_CONFIGURATION_ID,
        workspace_id=workspace_id,
        name=DEFAULT_CONFIGURATION.name,
        active=active is None,
        built_in=True,
        created_at=None,
        created_by=None,
        document=DEFAULT_CONFIGURATION.model_dump(mode="json", by_alias=True),
    )


def create_configuration(principal: Principal, workspace_id: str, document: dict[str, Any]) -> ConfigurationResource:
    """Validate and store; raises ValidationFailed (422) with `errors[]` paths for an invalid document and
    PayloadTooLarge when it would not fit in one stored item."""
    configuration = validate(Configuration, document)
    size = len(configuration.model_dump_json(by_alias=True).encode())
    if size > MAX_CONFIGURATION_BYTES:
        raise PayloadTooLarge(f"The configuration is {size} bytes; at most {MAX_CONFIGURATION_BYTES} can be stored.")
    record = ConfigurationRecord(
        id=new_id(),
        workspace_id=workspace_id,
        name=configuration.name,
        document=configuration.model_dump(mode="json", by_alias=True),
        created_at=utc_now(),
        created_by=principal.key_id,
    )
    store.put_configuration(record)
    return _resource(record, active_id=None)


def get_configuration_record(workspace_id: str, configuration_id: str) -> ConfigurationRecord:
    record = store.get_configuration(workspace_id, configuration_id) if is_valid_id(configuration_id) else None
    if record is None:
        raise ConfigurationNotFound(f"Configuration {configuration_id} not found.")
    return record


def get_configuration(workspace_id: str, configuration_id: str) -> ConfigurationResource:
    record = get_configuration_record(workspace_id, configuration_id)
    return _resource(record, store.get_active_configuration_id(workspace_id))


def activate_configuration(workspace_id: str, configuration_id: str) -> ConfigurationResource:
    record = get_configuration_record(workspace_id, configuration_id)
    if not store.activate(workspace_id, configuration_id, utc_now()):
        raise ConfigurationNotFound(f"Configuration {configuration_id} not found.")
    return _resource(record, active_id=configuration_id)


def list_configurations(workspace_id: str, *, limit: int, cursor: str | None) -> ConfigurationPage:
    fingerprint = filters_fingerprint({"resource": "configurations"})
    start = read_cursor(cursor, fingerprint, f"WS#{workspace_id}")
    records, resume = store.list_configurations(workspace_id, limit=limit, start_key=start)
    active = store.get_active_configuration_id(workspace_id)
    return ConfigurationPage(
        items=[
            ConfigurationSummary(**record.model_dump(), active=record.id == active, built_in=False)
            for record in records
        ],
        meta=PageMeta(limit=limit, has_more=resume is not None, next_cursor=make_cursor(resume, fingerprint)),
    )


def resolve_for_run(workspace_id: str, configuration_id: str | None) -> str | None:
    """The configuration a new run uses: the given one, else the active one, else None (built-in default)."""
    if configuration_id is not None:
        return get_configuration_record(workspace_id, configuration_id).id
    return store.get_active_configuration_id(workspace_id)
