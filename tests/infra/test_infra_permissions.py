"""Each function's role may touch exactly the resources its route's `grants` name, and nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from runs.constants import TABLES
from runs.routes import ROUTES, ROUTES_BY_HANDLER, Route
from stacks.grants import (
    BUCKET_READ_ACTIONS,
    OBJECT_READ_ACTIONS,
    OBJECT_WRITE_ACTIONS,
    TABLE_READ_ACTIONS,
    TABLE_WRITE_ACTIONS,
    Grant,
    table_resource_names,
)
from tests.infra.synth_support import NestedTemplate, Synth

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

Permission = tuple[str, str]  # (what, action): ("runs", "dynamodb:GetItem"), ("files/objects", "s3:GetObject")
OWN_LOGS = "own-log-group"
DEFINITIONS = {table.logical_id: table for table in TABLES}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def describe_resource(synth: Synth, nested: NestedTemplate | None, arn: Any, log_group_id: str) -> str:
    """A readable name for an ARN expression: `runs`, `runs/index`, `files/objects`, `files`, own logs."""
    if isinstance(arn, dict) and "Fn::GetAtt" in arn and arn["Fn::GetAtt"][0] == log_group_id:
        return OWN_LOGS
    suffix = ""
    if isinstance(arn, dict) and "Fn::Join" in arn:
        separator, parts = arn["Fn::Join"]
        assert separator == "" and len(parts) == 2, arn
        arn, suffix = parts
    target = synth.root_target(nested, arn)
    assert target is not None, f"unresolvable resource {arn}"
    table = synth.table_name_of(target)
    if table is not None:
        assert suffix in ("", "/index/*"), suffix
        return table + ("/index" if suffix else "")
    assert synth.root["Resources"][target]["Type"] == "AWS::S3::Bucket", target
    assert suffix in ("", "/workspaces/*"), suffix
    return "files/objects" if suffix else "files"


def effective_permissions(synth: Synth, handler: str) -> set[Permission]:
    nested, _function_id, function = synth.functions_by_handler()[handler]
    resources = synth.root["Resources"] if nested is None else nested.resources
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    log_group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    permissions: set[Permission] = set()
    for resource in resources.values():
        if resource["Type"] != "AWS::IAM::Policy" or {"Ref": role_id} not in resource["Properties"]["Roles"]:
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny":
                continue  # the platform-partition denials: test_infra_platform_keys.py
            for arn in as_list(statement["Resource"]):
                assert arn != "*", f"{handler}: wildcard resource"
                what = describe_resource(synth, nested, arn, log_group_id)
                permissions.update(
                    (what, action + _attribute_limit(statement)) for action in as_list(statement["Action"])
                )
    assert not resources[role_id]["Properties"].get("ManagedPolicyArns"), f"{handler}: managed policies"
    assert not resources[role_id]["Properties"].get("Policies"), f"{handler}: inline policies on the role"
    return permissions


def _attribute_limit(statement: dict[str, Any]) -> str:
    """`[pk,sk,lastUsedAt]` for an Allow limited to those attributes, else empty."""
    attributes = statement.get("Condition", {}).get("ForAllValues:StringEquals", {}).get("dynamodb:Attributes")
    return f"[{','.join(attributes)}]" if attributes else ""


def expected_permissions(grants: Iterable[str]) -> set[Permission]:
    names = table_resource_names(TABLES)
    expected: set[Permission] = {(OWN_LOGS, "logs:CreateLogStream"), (OWN_LOGS, "logs:PutLogEvents")}
    for grant in map(Grant.parse, grants):
        if grant.resource == "files":
            objects = OBJECT_WRITE_ACTIONS if grant.access == "write" else OBJECT_READ_ACTIONS
            expected |= {("files/objects", action) for action in objects}
            expected |= {("files", action) for action in BUCKET_READ_ACTIONS}
            continue
        table = names[grant.resource]
        if grant.access == "update":
            expected.add((table, f"dynamodb:UpdateItem[pk,sk,{','.join(grant.attributes)}]"))
            continue
        actions = TABLE_WRITE_ACTIONS if grant.access == "write" else TABLE_READ_ACTIONS
        expected |= {(table, action) for action in actions}
        if DEFINITIONS[table].indexes:
            expected |= {(f"{table}/index", action) for action in actions}
    return expected


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.handler)
def test_route_role_grants_exactly_its_routes_resources(synth: Synth, route: Route) -> None:
    assert effective_permissions(synth, route.handler) == expected_permissions(route.grants)


def test_runs_get_can_read_runs_but_not_write_them_nor_touch_documents(synth: Synth) -> None:
    assert ROUTES_BY_HANDLER["runs_get"].grants == ("runs:read",)
    permissions = effective_permissions(synth, "runs_get")
    assert ("runs", "dynamodb:GetItem") in permissions
    assert ("runs", "dynamodb:Query") in permissions
    assert ("runs/index", "dynamodb:Query") in permissions
    assert ("runs", "dynamodb:PutItem") not in permissions
    assert ("runs", "dynamodb:UpdateItem") not in permissions
    assert not {what for what, _action in permissions} & {"documents", "files", "files/objects", "run-events"}


def test_documents_create_may_put_objects_only_under_the_workspaces_prefix(synth: Synth) -> None:
    permissions = effective_permissions(synth, "documents_create")
    assert ("files/objects", "s3:PutObject") in permissions
    assert ("files", "s3:PutObject") not in permissions
    assert ("runs", "dynamodb:GetItem") not in permissions


def test_a_route_without_grants_may_only_write_its_logs(synth: Synth) -> None:
    assert ROUTES_BY_HANDLER["configurations_default"].grants == ()
    assert {what for what, _ in effective_permissions(synth, "configurations_default")} == {OWN_LOGS}


def test_no_role_may_scan(synth: Synth) -> None:
    for handler in synth.functions_by_handler():
        assert not any(action == "dynamodb:Scan" for _what, action in effective_permissions(synth, handler))


def test_authorizer_reads_only_the_workspaces_table_and_writes_only_last_used_at(synth: Synth) -> None:
    assert effective_permissions(synth, "authorizer") == expected_permissions(
        ["workspaces:read", "workspaces:update(lastUsedAt)"]
    )


def test_unknown_grant_is_refused() -> None:
    with pytest.raises(ValueError, match="access must be"):
        Grant.parse("runs:admin")
    with pytest.raises(ValueError, match="access must be"):
        Grant.parse("workspaces:update()")
