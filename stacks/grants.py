"""Least-privilege IAM statements derived from a route's `grants` ("<resource>:<read|write>")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from runs.constants import (
    EVENTS_ARCHIVE_KEY_TEMPLATE,
    INPUT_KEY_TEMPLATE,
    OUTPUT_KEY_TEMPLATE,
    REPORT_KEY_TEMPLATE,
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
ACCESS_LEVELS = ("read", "write")


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

    @classmethod
    def parse(cls, text: str) -> Grant:
        resource, _, access = text.partition(":")
        if access not in ACCESS_LEVELS:
            raise ValueError(f"grant {text!r}: access must be one of {ACCESS_LEVELS}")
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
    statements: list[iam.PolicyStatement] = []
    for grant in sorted({Grant.parse(text) for text in grants}, key=lambda g: (g.resource, g.access)):
        if grant.resource == FILES:
            statements.extend(_bucket_statements(grant, bucket))
            continue
        logical_id = table_names.get(grant.resource)
        if logical_id is None:
            raise ValueError(f"grant {grant.resource}:{grant.access}: unknown resource")
        table = tables[logical_id]
        arns = [table.table_arn]
        if definitions[logical_id].indexes:
            arns.append(f"{table.table_arn}/index/*")
        actions = TABLE_WRITE_ACTIONS if grant.access == "write" else TABLE_READ_ACTIONS
        statements.append(iam.PolicyStatement(actions=list(actions), resources=arns))
    return statements


def _bucket_statements(grant: Grant, bucket: s3.IBucket) -> list[iam.PolicyStatement]:
    actions = OBJECT_WRITE_ACTIONS if grant.access == "write" else OBJECT_READ_ACTIONS
    return [
        iam.PolicyStatement(actions=list(actions), resources=[bucket.arn_for_objects(OBJECT_KEY_PATTERN)]),
        iam.PolicyStatement(actions=list(BUCKET_READ_ACTIONS), resources=[bucket.bucket_arn]),
    ]
