"""Tables, bucket and bus match `runs.constants` and keep data safe."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from runs.constants import (
    ABORT_INCOMPLETE_UPLOAD_DAYS,
    EVENT_BUS_SUFFIX,
    NONCURRENT_VERSION_EXPIRY_DAYS,
    TABLES,
    TableDefinition,
)
from tests.infra.synth_support import CORS_ORIGINS, STACK_NAME, Synth

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def root_resources(synth: Synth, resource_type: str) -> list[dict[str, Any]]:
    return [r for r in synth.root["Resources"].values() if r["Type"] == resource_type]


def table_resource(synth: Synth, table_logical_ids: dict[str, str], definition: TableDefinition) -> dict[str, Any]:
    resource: dict[str, Any] = synth.root["Resources"][table_logical_ids[definition.logical_id]]
    return resource


@pytest.mark.parametrize("definition", TABLES, ids=lambda table: table.logical_id)
def test_table_keys_indexes_ttl_and_stream_follow_constants(
    synth: Synth, table_logical_ids: dict[str, str], definition: TableDefinition
) -> None:
    table = table_resource(synth, table_logical_ids, definition)
    props = table["Properties"]
    assert props["TableName"] == definition.physical_name(STACK_NAME)
    assert props["KeySchema"] == definition.key_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert types[definition.partition_key.name] == definition.partition_key.type
    if definition.sort_key:
        assert types[definition.sort_key.name] == definition.sort_key.type
    indexes = {index["IndexName"]: index for index in props.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {index.name for index in definition.indexes}
    for index in definition.indexes:
        assert indexes[index.name]["KeySchema"] == index.key_schema()
    if definition.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": definition.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props
    if definition.stream:
        assert props["StreamSpecification"] == {"StreamViewType": definition.stream}
    else:
        assert "StreamSpecification" not in props


@pytest.mark.parametrize("definition", TABLES, ids=lambda table: table.logical_id)
def test_table_is_on_demand_with_pitr_and_retained(
    synth: Synth, table_logical_ids: dict[str, str], definition: TableDefinition
) -> None:
    table = table_resource(synth, table_logical_ids, definition)
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    (replica,) = props["Replicas"]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_bucket_blocks_public_access_and_is_encrypted_and_versioned(synth: Synth) -> None:
    (bucket,) = root_resources(synth, "AWS::S3::Bucket")
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_bucket_lifecycle_aborts_uploads_and_expires_old_versions(synth: Synth) -> None:
    (bucket,) = root_resources(synth, "AWS::S3::Bucket")
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert all(rule["Status"] == "Enabled" for rule in rules)
    assert {"DaysAfterInitiation": ABORT_INCOMPLETE_UPLOAD_DAYS} in [
        rule.get("AbortIncompleteMultipartUpload") for rule in rules
    ]
    assert NONCURRENT_VERSION_EXPIRY_DAYS in [
        rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") for rule in rules
    ]


def test_bucket_policy_denies_requests_without_tls(synth: Synth) -> None:
    synth.root_template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Principal": {"AWS": "*"},
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_bucket_cors_allows_presigned_browser_uploads_from_configured_origins(synth: Synth) -> None:
    (bucket,) = root_resources(synth, "AWS::S3::Bucket")
    (rule,) = bucket["Properties"]["CorsConfiguration"]["CorsRules"]
    assert set(rule["AllowedOrigins"]) == set(CORS_ORIGINS)
    assert {"PUT", "POST", "GET"} <= set(rule["AllowedMethods"])
    assert "ETag" in rule["ExposedHeaders"]


def test_event_bus_is_named_after_the_stack(synth: Synth) -> None:
    synth.root_template.has_resource_properties("AWS::Events::EventBus", {"Name": f"{STACK_NAME}-{EVENT_BUS_SUFFIX}"})


def test_outputs_name_the_api_bucket_bus_and_tables(synth: Synth) -> None:
    outputs = set(synth.root["Outputs"])
    assert {"ApiBaseUrl", "BucketName", "EventBusName"} <= outputs
    assert sum(name.endswith("TableName") for name in outputs) == len(TABLES)
