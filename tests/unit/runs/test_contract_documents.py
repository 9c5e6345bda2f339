"""The committed contract documents are generated, not hand-edited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runs import openapi

SHARED_SCHEMA = Path(__file__).resolve().parents[4] / "shared" / "spec" / "configuration.schema.json"


def test_committed_openapi_matches_the_route_table_and_models() -> None:
    assert openapi.OPENAPI_PATH.read_text() == openapi.render(openapi.build_document()), (
        "docs/openapi.json drifted: run `make openapi`"
    )


def test_committed_configuration_schema_matches_the_models() -> None:
    assert openapi.CONFIGURATION_SCHEMA_PATH.read_text() == openapi.render(openapi.configuration_schema()), (
        "docs/configuration.schema.json drifted: run `make openapi`"
    )


def test_every_route_is_documented_with_its_permission() -> None:
    from runs.routes import ROUTES

    document = openapi.build_document()
    for route in ROUTES:
        operation = document["paths"][route.full_path][route.method.lower()]
        assert operation["operationId"] == route.handler
        assert operation["x-permission"] == route.permission
        assert str(route.success_status) in operation["responses"]


def test_openapi_document_is_valid() -> None:
    from openapi_spec_validator import validate

    validate(openapi.build_document())


def _properties(schema: dict, definitions: dict, name: str) -> dict:  # type: ignore[type-arg]
    node = definitions[name] if name else schema
    return node.get("properties", {})  # type: ignore[no-any-return]


@pytest.mark.skipif(not SHARED_SCHEMA.exists(), reason="../shared (the design folder) is not next to this checkout")
def test_configuration_schema_agrees_with_the_shared_spec() -> None:
    """Same keys at every level and the same enums as ../shared/spec/configuration.schema.json."""
    ours = openapi.configuration_schema()
    spec = json.loads(SHARED_SCHEMA.read_text())
    assert set(ours["properties"]) == set(spec["properties"])
    assert set(ours["required"]) == set(spec["required"])
    assert set(ours["$defs"]["FieldSpec"]["properties"]) == set(spec["$defs"]["field"]["properties"])
    assert set(ours["$defs"]["Settings"]["properties"]) == set(spec["$defs"]["settings"]["properties"])
    assert (
        ours["$defs"]["FieldSpec"]["properties"]["type"]["enum"] == spec["$defs"]["field"]["properties"]["type"]["enum"]
    )
    transforms = ours["$defs"]["FieldSpec"]["properties"]["transforms"]["items"]["enum"]
    assert transforms == spec["$defs"]["field"]["properties"]["transforms"]["items"]["enum"]
    kinds = {v["properties"]["kind"]["const"] for v in spec["$defs"]["validator"]["oneOf"]}
    assert kinds == {"pattern", "range", "length", "unique", "oneOf"}
    for name in ("PatternValidator", "RangeValidator", "LengthValidator", "UniqueValidator", "OneOfValidator"):
        assert ours["$defs"][name]["additionalProperties"] is False
    assert ours["additionalProperties"] is False and spec["additionalProperties"] is False
