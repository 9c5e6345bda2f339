"""The laptop stack and the CDK stack create the same tables (keys, indexes, TTL, streams) and bucket rules."""

from __future__ import annotations

from typing import Any

import pytest

from local.moto_stack import table_create_arguments
from runs import constants
from tests.infra.synth_support import Synth

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def _sorted(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: item[key])


@pytest.mark.parametrize("table", constants.TABLES, ids=lambda t: t.logical_id)
def test_local_table_matches_the_deployed_one(
    synth: Synth, table_logical_ids: dict[str, str], table: constants.TableDefinition
) -> None:
    deployed = synth.root["Resources"][table_logical_ids[table.logical_id]]["Properties"]
    local = table_create_arguments(table, "any")
    assert deployed["KeySchema"] == local["KeySchema"]
    assert _sorted(deployed["AttributeDefinitions"], "AttributeName") == _sorted(
        local["AttributeDefinitions"], "AttributeName"
    )
    deployed_indexes = {index["IndexName"]: index["KeySchema"] for index in deployed.get("GlobalSecondaryIndexes", [])}
    assert deployed_indexes == {
        index["IndexName"]: index["KeySchema"] for index in local.get("GlobalSecondaryIndexes", [])
    }
    deployed_stream = deployed.get("StreamSpecification", {}).get("StreamViewType")
    assert deployed_stream == local.get("StreamSpecification", {}).get("StreamViewType")
    deployed_ttl = deployed.get("TimeToLiveSpecification", {})
    assert (deployed_ttl.get("AttributeName") if deployed_ttl.get("Enabled") else None) == table.ttl_attribute
