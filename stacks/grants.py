"""Least-privilege IAM statements derived from a route's `grants`.

`<resource>:read|write` grants a table's (or the bucket's) actions; `<table>:update(<attr>,...)` grants
UpdateItem of those attributes only (`dynamodb:Attributes`). Every role that may write the workspaces
table is also denied writes under the platform-admin partition prefix (`dynamodb:LeadingKeys`), except,
for a role whose only write is `update(...)`, the attributes it names: so no function can mint a
platform-admin key; only the bootstrap path (`python -m runs.admin`, with an operator's credentials) can.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from runs.constants import (
    EVENTS_ARCHIVE_KEY_TEMPLATE,
    INPUT_KEY_TEMPLATE,
    OUTPUT_KEY_TEMPLATE,
    PLATFORM_PARTITION_PREFIX,
    REPORT_KEY_TEMPLATE,
    WORKSPACES_TABLE,
    TableDefinition,
)

# No Scan anywhere: every list is a Query on a key or an index (DESIGN §4).
TABLE_READ_ACTIONS = ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query")
TABLE_WRITE_ACTIONS = (
    *TABLE_READ_ACTIONS,
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",  # TransactWriteItems is authorized per item action, plus this
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
# HeadObject is authorized by GetObject; presigned GET/PUT URLs carry the signer's (this role's) rights.
OBJECT_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
OBJECT_WRITE_ACTIONS = (*OBJECT_READ_ACTIONS, "s3:AbortMultipartUpload", "s3:PutObject")
# ListBucket turns HeadObject of a missing key into 404 instead of 403 (documents_get relies on it).
BUCKET_READ_ACTIONS = ("s3:ListBucket",)
FILES = "files"
ACCESS_LEVELS = ("read", "write", "update")
# Partition-key prefixes no function role may write (table logical id -> prefix).
PROTECTED_PARTITIONS = {WORKSPACES_TABLE.logical_id: PLATFORM_PARTITION_PREFIX}
PROTECTED_WRITE_ACTIONS = ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
_UPDATE = re.compile(r"^update\(([A-Za-z][A-Za-z0-9]*(?:,[A-Za-z][A-Za-z0-9]*)*)\)$")


def _object_prefix() -> str:
    templates = (INPUT_KEY_TEMPLATE, OUTPUT_KEY_TEMPLATE, REPORT_KEY_TEMPLATE, EVENTS_ARCHIVE_KEY_TEMPLATE)
    prefixes = {template.split("/", 1)[0] for template in templates}
    if len(prefixes) != 1:
        raise ValueError(f"bucket key templates no longer share one top-level prefix: {sorted(prefixes)}")
    return prefixes.pop() + "/*"


OBJECT_KEY_PATTERN = _object_prefix()


@dataclass(frozen=True)
class Grant:
    resource: str
    access: str
    attributes: tuple[str, ...] = ()  # for `update`: the only attributes it may set

    @classmethod
    def parse(cls, text: str) -> Grant:
        """Raises ValueError for an unknown access level or a malformed `update(...)`."""
        resource, _, access = text.partition(":")
        update = _UPDATE.match(access)
        if update:
            return cls(resource, "update", tuple(sorted(update.group(1).split(","))))
        if access not in ACCESS_LEVELS or access == "update":
            raise ValueError(f"grant {text!r}: access must be read, write or update(<attribute>,...)")
        return cls(resource, access)


def table_resource_names(definitions: Iterable[TableDefinition]) -> dict[str, str]:
    """Grant resource name -> table logical id: `events` names the `run-events` table, others match."""
    names: dict[str, str] = {}
    for definition in definitions:
        names[definition.logical_id] = definition.logical_id
        names[definition.logical_id.removeprefix("run-")] = definition.logical_id
    return names


def policy_statements(
    grants: Iterable[str],
    *,
    tables: Mapping[str, dynamodb.ITableV2],
    definitions: Mapping[str, TableDefinition],
    bucket: s3.IBucket,
) -> list[iam.PolicyStatement]:
    """One statement per granted resource, holding exactly that resource's ARNs.

    Raises ValueError for a grant naming an unknown resource or access level.
    """
    table_names = table_resource_names(definitions.values())
    parsed = sorted({Grant.parse(text) for text in grants}, key=lambda g: (g.resource, g.access, g.attributes))
    statements: list[iam.PolicyStatement] = []
    for grant in parsed:
        if grant.resource == FILES:
            if grant.access == "update":
                raise ValueError("the bucket has no update(...) grant")
            statements.extend(_bucket_statements(grant, bucket))
            continue
        logical_id = table_names.get(grant.resource)
        if logical_id is None:
            raise ValueError(f"grant {grant.resource}:{grant.access}: unknown resource")
        table = tables[logical_id]
        arns = [table.table_arn]
        if definitions[logical_id].indexes:
            arns.append(f"{table.table_arn}/index/*")
        if grant.access == "update":
            statements.append(_attribute_update_statement(grant, table.table_arn, definitions[logical_id]))
            continue
        actions = TABLE_WRITE_ACTIONS if grant.access == "write" else TABLE_READ_ACTIONS
        statements.append(iam.PolicyStatement(actions=list(actions), resources=arns))
    for logical_id, prefix in PROTECTED_PARTITIONS.items():
        writes = [g for g in parsed if table_names.get(g.resource) == logical_id and g.access != "read"]
        if writes:
            statements.extend(
                _protected_partition_denials(writes, tables[logical_id].table_arn, prefix, definitions[logical_id])
            )
    return statements


def _key_attribute_names(definition: TableDefinition) -> list[str]:
    return [key.name for key in (definition.partition_key, definition.sort_key) if key is not None]


def _attribute_update_statement(grant: Grant, table_arn: str, definition: TableDefinition) -> iam.PolicyStatement:
    """UpdateItem of the named attributes only (the key attributes are always part of the request)."""
    return iam.PolicyStatement(
        actions=["dynamodb:UpdateItem"],
        resources=[table_arn],
        conditions={
            "ForAllValues:StringEquals": {
                "dynamodb:Attributes": [*_key_attribute_names(definition), *grant.attributes]
            },
            "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]},
        },
    )


def _protected_partition_denials(
    writes: list[Grant], table_arn: str, prefix: str, definition: TableDefinition
) -> list[iam.PolicyStatement]:
    """Deny writes to items whose partition key starts with `prefix`.

    A role whose only writes are `update(...)` grants keeps exactly those attributes there (revoking or
    touching a platform-admin key); any other write stays denied, so no such item can be created or changed.
    """
    leading_keys = {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": [f"{prefix}*"]}}
    exempt = sorted({attribute for grant in writes for attribute in grant.attributes})
    if any(grant.access == "write" for grant in writes) or not exempt:
        return [
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=list(PROTECTED_WRITE_ACTIONS),
                resources=[table_arn],
                conditions=leading_keys,
            )
        ]
    other_attributes = {
        "ForAnyValue:StringNotEquals": {"dynamodb:Attributes": [*_key_attribute_names(definition), *exempt]}
    }
    return [
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            actions=[action for action in PROTECTED_WRITE_ACTIONS if action != "dynamodb:UpdateItem"],
            resources=[table_arn],
            conditions=leading_keys,
        ),
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            actions=["dynamodb:UpdateItem"],
            resources=[table_arn],
            conditions={**leading_keys, **other_attributes},
        ),
    ]


def _bucket_statements(grant: Grant, bucket: s3.IBucket) -> list[iam.PolicyStatement]:
    actions = OBJECT_WRITE_ACTIONS if grant.access == "write" else OBJECT_READ_ACTIONS
    return [
        iam.PolicyStatement(actions=list(actions), resources=[bucket.arn_for_objects(OBJECT_KEY_PATTERN)]),
        iam.PolicyStatement(actions=list(BUCKET_READ_ACTIONS), resources=[bucket.bucket_arn]),
    ]
