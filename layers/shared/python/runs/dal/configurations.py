"""Configurations: pk `WS#<ws>`, sk `CFG#<id>`; the active pointer is `WS#<ws>`/`ACTIVE`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from runs.dal import items as dynamo
from runs.dal.clients import client
from runs.models.base import format_timestamp
from runs.models.configurations import ConfigurationRecord, ConfigurationSummaryRecord
from runs.settings import get_settings


def _key(workspace_id: str, configuration_id: str) -> dict[str, str]:
    return {"pk": f"WS#{workspace_id}", "sk": f"CFG#{configuration_id}"}


def _active_key(workspace_id: str) -> dict[str, str]:
    return {"pk": f"WS#{workspace_id}", "sk": "ACTIVE"}


def put_configuration(record: ConfigurationRecord) -> None:
    client("dynamodb").put_item(
        TableName=get_settings().configurations_table,
        Item=dynamo.serialize({**_key(record.workspace_id, record.id), **record.to_item()}),
        ConditionExpression="attribute_not_exists(pk)",
    )


def get_configuration(workspace_id: str, configuration_id: str) -> ConfigurationRecord | None:
    item = dynamo.get_item(get_settings().configurations_table, _key(workspace_id, configuration_id))
    return ConfigurationRecord.model_validate(item) if item else None


def get_active_configuration_id(workspace_id: str) -> str | None:
    item = dynamo.get_item(get_settings().configurations_table, _active_key(workspace_id))
    return str(item["configurationId"]) if item else None


def activate(workspace_id: str, configuration_id: str, at: datetime) -> bool:
    """Point the workspace at this configuration, on condition that it exists; False if it doesn't."""
    table = get_settings().configurations_table
    try:
        dynamo.transact(
            [
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": dynamo.serialize(_key(workspace_id, configuration_id)),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": dynamo.serialize(
                            {
                                **_active_key(workspace_id),
                                "configurationId": configuration_id,
                                "activatedAt": format_timestamp(at),
                            }
                        ),
                    }
                },
            ]
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
    return True


def list_configurations(
    workspace_id: str, *, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[ConfigurationSummaryRecord], dict[str, Any] | None]:
    """One page of configurations without their documents (projected away)."""
    records, resume, _ = dynamo.page_query(
        table=get_settings().configurations_table,
        key_condition="pk = :pk AND begins_with(sk, :prefix)",
        expression_values=dynamo.values(pk=f"WS#{workspace_id}", prefix="CFG#"),
        limit=limit,
        start_key=start_key,
        forward=False,
        projection=(
            "pk",
            "sk",
            *(field.alias or name for name, field in ConfigurationSummaryRecord.model_fields.items()),
        ),
    )
    return [ConfigurationSummaryRecord.model_validate(item) for item in records], resume
