"""Session fixtures: one CDK synth for the whole infra suite (a synth costs seconds, a lookup nothing)."""

from __future__ import annotations

import pytest

from runs.constants import TABLES
from tests.infra.synth_support import Synth, synthesize


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def table_logical_ids(synth: Synth) -> dict[str, str]:
    """Table logical name (`runs`) -> root logical id."""
    found = {
        synth.table_name_of(logical_id): logical_id
        for logical_id, resource in synth.root["Resources"].items()
        if resource["Type"] == "AWS::DynamoDB::GlobalTable"
    }
    assert set(found) == {table.logical_id for table in TABLES}
    return {name: logical_id for name, logical_id in found.items() if name is not None}
