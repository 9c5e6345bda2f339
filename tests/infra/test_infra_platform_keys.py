"""No function can mint a platform-admin key: IAM denies every role that may write the workspaces table any
write under the platform partition prefix, except the revoke/lastUsedAt attributes its `update(...)` grant
names. Only the bootstrap path (`python -m runs.admin`, an operator's credentials) writes there."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from runs.constants import PLATFORM_KEYS_PARTITION, PLATFORM_PARTITION_PREFIX, WORKSPACES_TABLE
from tests.infra.synth_support import NestedTemplate, Synth

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"}
KEY_ATTRIBUTES = {"pk", "sk"}
# What a role may still change on a platform-admin key: mark it revoked, record its use. Never its hash.
HARMLESS_ATTRIBUTES = {"lastUsedAt", "revokedAt", "revokedBy"}
LEADING_KEYS = {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": [f"{PLATFORM_PARTITION_PREFIX}*"]}}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(synth: Synth, handler: str) -> tuple[NestedTemplate | None, list[dict[str, Any]]]:
    nested, _, function = synth.functions_by_handler()[handler]
    resources = synth.root["Resources"] if nested is None else nested.resources
    role = {"Ref": function["Properties"]["Role"]["Fn::GetAtt"][0]}
    statements = [
        statement
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy" and role in resource["Properties"]["Roles"]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]
    return nested, statements


def _on_workspaces_table(synth: Synth, nested: NestedTemplate | None, statement: dict[str, Any]) -> bool:
    targets = {synth.root_target(nested, arn) for arn in _list(statement["Resource"])}
    return any(synth.table_name_of(target) == WORKSPACES_TABLE.logical_id for target in targets if target)


def why_platform_writes_are_not_denied(
    synth: Synth, nested: NestedTemplate | None, statements: list[dict[str, Any]]
) -> str | None:
    """None when the role cannot write the workspaces table, or is denied minting a platform-admin item."""
    on_table = [s for s in statements if _on_workspaces_table(synth, nested, s)]
    allowed = {a for s in on_table if s["Effect"] == "Allow" for a in _list(s["Action"])} & WRITES
    if not allowed:
        return None
    denied_outright: set[str] = set()
    update_exemptions: set[str] | None = None
    for statement in (s for s in on_table if s["Effect"] == "Deny"):
        condition = statement.get("Condition", {})
        if condition.get("ForAnyValue:StringLike") != LEADING_KEYS["ForAnyValue:StringLike"]:
            continue
        others = condition.get("ForAnyValue:StringNotEquals", {}).get("dynamodb:Attributes")
        if others is None and set(condition) == set(LEADING_KEYS):
            denied_outright |= set(_list(statement["Action"]))
        elif others is not None and _list(statement["Action"]) == ["dynamodb:UpdateItem"]:
            update_exemptions = set(others) - KEY_ATTRIBUTES
    missing = (WRITES - {"dynamodb:UpdateItem"}) - denied_outright
    if missing:
        return f"not denied under {PLATFORM_PARTITION_PREFIX}: {sorted(missing)}"
    if "dynamodb:UpdateItem" in denied_outright:
        return None
    if update_exemptions is None:
        return f"UpdateItem under {PLATFORM_PARTITION_PREFIX} is not denied"
    if not update_exemptions <= HARMLESS_ATTRIBUTES:
        return f"UpdateItem under {PLATFORM_PARTITION_PREFIX} may set {sorted(update_exemptions - HARMLESS_ATTRIBUTES)}"
    return None


def test_platform_admin_keys_live_under_the_protected_prefix() -> None:
    from runs.dal.api_keys import key_item_key

    assert PLATFORM_KEYS_PARTITION.startswith(PLATFORM_PARTITION_PREFIX)
    assert key_item_key("platform", "k")["pk"].startswith(PLATFORM_PARTITION_PREFIX)
    assert not key_item_key("workspace", "k")["pk"].startswith(PLATFORM_PARTITION_PREFIX)


def test_no_function_role_can_mint_a_platform_admin_item(synth: Synth) -> None:
    writers = []
    for handler in synth.functions_by_handler():
        nested, statements = role_statements(synth, handler)
        assert why_platform_writes_are_not_denied(synth, nested, statements) is None, handler
        if any(_on_workspaces_table(synth, nested, s) and s["Effect"] == "Allow" for s in statements):
            writers.append(handler)
    # The test saw the roles it is about (guards against a template walk that finds nothing).
    assert {"authorizer", "api_keys_create", "api_keys_delete", "admin_api_keys_delete", "workspaces_create"} <= set(
        writers
    )


@pytest.mark.parametrize(
    ("handler", "exempt"),
    [("authorizer", {"lastUsedAt"}), ("admin_api_keys_delete", {"revokedAt", "revokedBy"})],
)
def test_an_attribute_limited_role_keeps_exactly_its_attributes_on_platform_keys(
    synth: Synth, handler: str, exempt: set[str]
) -> None:
    _, statements = role_statements(synth, handler)
    updates = [s for s in statements if _list(s["Action"]) == ["dynamodb:UpdateItem"]]
    allow = next(s for s in updates if s["Effect"] == "Allow")
    deny = next(s for s in updates if s["Effect"] == "Deny")
    assert set(allow["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]) == KEY_ATTRIBUTES | exempt
    assert set(deny["Condition"]["ForAnyValue:StringNotEquals"]["dynamodb:Attributes"]) == KEY_ATTRIBUTES | exempt
    assert not any(s["Effect"] == "Allow" and "dynamodb:PutItem" in _list(s["Action"]) for s in statements)


def test_the_check_catches_a_role_without_the_denial(synth: Synth) -> None:
    # Given api_keys_create's role with its denials removed, or its UpdateItem denial loosened to secretHash
    nested, statements = role_statements(synth, "api_keys_create")
    stripped = [s for s in statements if s["Effect"] != "Deny"]
    assert "not denied" in str(why_platform_writes_are_not_denied(synth, nested, stripped))
    loosened = copy.deepcopy(statements)
    for statement in loosened:
        if statement["Effect"] == "Deny":
            statement["Action"] = [a for a in _list(statement["Action"]) if a != "dynamodb:UpdateItem"]
    loosened.append(
        {
            "Effect": "Deny",
            "Action": "dynamodb:UpdateItem",
            "Resource": next(s for s in statements if s["Effect"] == "Deny")["Resource"],
            "Condition": {**LEADING_KEYS, "ForAnyValue:StringNotEquals": {"dynamodb:Attributes": ["pk", "secretHash"]}},
        }
    )
    assert "secretHash" in str(why_platform_writes_are_not_denied(synth, nested, loosened))
