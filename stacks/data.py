"""Stateful resources: one DynamoDB table per `runs.constants.TABLES` entry, the files bucket, the bus."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_s3 as s3
from constructs import Construct

from runs.constants import (
    ABORT_INCOMPLETE_UPLOAD_DAYS,
    NONCURRENT_VERSION_EXPIRY_DAYS,
    TABLES,
    KeyAttribute,
    TableDefinition,
    event_bus_name,
)
from stacks.config import RunsStackConfig

_ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}
_STREAM_VIEWS = {
    "NEW_IMAGE": dynamodb.StreamViewType.NEW_IMAGE,
    "NEW_AND_OLD_IMAGES": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    "OLD_IMAGE": dynamodb.StreamViewType.OLD_IMAGE,
    "KEYS_ONLY": dynamodb.StreamViewType.KEYS_ONLY,
}
# Browsers upload inputs straight to S3 with presigned PUT/POST and read outputs with presigned GET.
BUCKET_CORS_METHODS = (s3.HttpMethods.PUT, s3.HttpMethods.POST, s3.HttpMethods.GET, s3.HttpMethods.HEAD)


def construct_id(name: str) -> str:
    """`run-events` -> `RunEvents`: a stable construct id from a resource's logical name."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-") if part)


def _attribute(key: KeyAttribute) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


class DataStore(Construct):
    """Tables (on demand, PITR, retained), the versioned TLS-only bucket, and the EventBridge bus."""

    def __init__(self, scope: Construct, construct_id_: str, *, config: RunsStackConfig) -> None:
        super().__init__(scope, construct_id_)
        self.tables: dict[str, dynamodb.TableV2] = {
            definition.logical_id: self._table(definition, config.stack_name) for definition in TABLES
        }
        self.definitions: dict[str, TableDefinition] = {d.logical_id: d for d in TABLES}
        self.bucket = self._bucket(config)
        self.event_bus = events.EventBus(self, "EventBus", event_bus_name=event_bus_name(config.stack_name))

    def _table(self, definition: TableDefinition, prefix: str) -> dynamodb.TableV2:
        return dynamodb.TableV2(
            self,
            f"{construct_id(definition.logical_id)}Table",
            table_name=definition.physical_name(prefix),
            partition_key=_attribute(definition.partition_key),
            sort_key=_attribute(definition.sort_key) if definition.sort_key else None,
            billing=dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=definition.ttl_attribute,
            dynamo_stream=_STREAM_VIEWS[definition.stream] if definition.stream else None,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=_attribute(index.partition_key),
                    sort_key=_attribute(index.sort_key) if index.sort_key else None,
                )
                for index in definition.indexes
            ]
            or None,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _bucket(self, config: RunsStackConfig) -> s3.Bucket:
        cors = (
            [
                s3.CorsRule(
                    allowed_methods=list(BUCKET_CORS_METHODS),
                    allowed_origins=list(config.cors_origins),
                    allowed_headers=["*"],
                    exposed_headers=["ETag"],
                    max_age=3600,
                )
            ]
            if config.cors_origins
            else None
        )
        return s3.Bucket(
            self,
            "FilesBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            cors=cors,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-incomplete-multipart-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(ABORT_INCOMPLETE_UPLOAD_DAYS),
                ),
                s3.LifecycleRule(
                    id="expire-noncurrent-versions",
                    noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_EXPIRY_DAYS),
                ),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
