"""Every route in the route table becomes one correctly sized python3.12/arm64 function."""

from __future__ import annotations

import ast

import pytest

from runs.constants import (
    ENV_BUCKET,
    ENV_CORS_ORIGINS,
    ENV_EVENT_BUS,
    LAMBDA_ARCHITECTURE,
    LAMBDA_RUNTIME,
    SERVICE_NAME,
    TABLES,
)
from runs.routes import ROUTES, Route
from stacks.functions import FUNCTIONS_DIR
from tests.infra.synth_support import CORS_ORIGINS, Synth

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def layer_logical_ids(synth: Synth) -> set[str]:
    return {
        logical_id
        for logical_id, resource in synth.root["Resources"].items()
        if resource["Type"] == "AWS::Lambda::LayerVersion"
    }


def test_there_is_exactly_one_function_per_route_plus_the_authorizer(synth: Synth) -> None:
    # Given the synthesized app, When its functions are listed by handler module
    handlers = sorted(synth.functions_by_handler())
    # Then each route's handler appears once, and the authorizer is the only extra one
    assert handlers == sorted([route.handler for route in ROUTES] + ["authorizer"])


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.handler)
def test_route_function_has_handler_sizing_runtime_and_both_layers(synth: Synth, route: Route) -> None:
    nested, _logical_id, function = synth.functions_by_handler()[route.handler]
    props = function["Properties"]
    assert props["Handler"] == f"{route.handler}.handler"
    assert props["MemorySize"] == route.memory_mb
    assert props["Timeout"] == route.timeout_seconds
    assert props["Runtime"] == LAMBDA_RUNTIME == "python3.12"
    assert props["Architectures"] == [LAMBDA_ARCHITECTURE] == ["arm64"]
    layers = {synth.root_target(nested, layer) for layer in props["Layers"]}
    assert layers == layer_logical_ids(synth)
    assert len(layers) == 2


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.handler)
def test_route_function_environment_names_every_resource(synth: Synth, route: Route) -> None:
    nested, _logical_id, function = synth.functions_by_handler()[route.handler]
    variables = function["Properties"]["Environment"]["Variables"]
    expected = {table.env_var for table in TABLES} | {ENV_BUCKET, ENV_EVENT_BUS}
    assert expected <= set(variables)
    for name in expected:  # each one is a reference to a root resource, never a literal guess
        assert synth.root_target(nested, variables[name]) in synth.root["Resources"], name
    assert variables["POWERTOOLS_SERVICE_NAME"] == SERVICE_NAME
    assert variables["LOG_LEVEL"] == "INFO"
    assert variables[ENV_CORS_ORIGINS] == ",".join(CORS_ORIGINS)


def test_functions_log_to_their_own_log_group_with_retention(synth: Synth) -> None:
    for nested, logical_id, function in synth.functions_by_handler().values():
        resources = synth.root["Resources"] if nested is None else nested.resources
        log_group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[log_group_id]["Type"] == "AWS::Logs::LogGroup", logical_id
        assert resources[log_group_id]["Properties"]["RetentionInDays"] == 30


def test_every_log_group_has_a_retention(synth: Synth) -> None:
    log_groups = [r for _n, _id, r in synth.all_resources() if r["Type"] == "AWS::Logs::LogGroup"]
    assert len(log_groups) == len(ROUTES) + 1
    assert all(group["Properties"].get("RetentionInDays") for group in log_groups)


def test_the_function_code_is_the_functions_folder_without_bytecode(synth: Synth) -> None:
    # Given every function, Then all share one code asset (one upload per deploy)
    keys = {function["Properties"]["Code"]["S3Key"] for _n, _id, function in synth.functions_by_handler().values()}
    assert len(keys) == 1
    asset_dir = synth.outdir / f"asset.{keys.pop().removesuffix('.zip')}"
    assert not list(asset_dir.rglob("__pycache__"))


@pytest.mark.parametrize("handler", sorted({route.handler for route in ROUTES} | {"authorizer"}))
def test_handler_module_exists_with_a_handler_function(handler: str) -> None:
    # Parsed, not imported: importing would pull the layers' dependencies into this test
    source = FUNCTIONS_DIR / f"{handler}.py"
    assert source.is_file(), f"functions/{handler}.py is missing"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    assert any(isinstance(node, ast.FunctionDef) and node.name == "handler" for node in tree.body)
