"""The embedded AWS of the laptop stack: a moto server in this process, and the resources on it.

Every table, the bucket and the bus are created from `runs.constants`, the same definitions the CDK
stack reads, so the laptop and the cloud cannot drift apart (`tests/integration/test_local_provisioning.py`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from runs import constants

LOCAL_ACCOUNT_ID = "123456789012"  # moto's default account; ARNs built here must agree with it
LOCAL_CORS_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*")
# Services whose moto backends must behave atomically per request, like the real ones.
SERIALIZED_SERVICES = frozenset({"dynamodb", "dynamodb_v20111205", "dynamodbstreams"})

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SerializedDynamoDBDispatcher(DomainDispatcherApplication):
    """moto's WSGI dispatcher, with DynamoDB requests run one at a time.

    moto evaluates a `ConditionExpression` (or a transaction) and applies the write without a lock, so two
    threads can both pass `attribute_not_exists` for the same item. Real DynamoDB evaluates and writes
    atomically per item; serializing moto's DynamoDB requests gives the same outcome for races.
    """

    def __init__(self, create_app: Callable[..., Any]) -> None:
        super().__init__(create_app)
        self.dynamodb_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        backend_app = self.get_application(environ)
        if getattr(backend_app, "service", None) not in SERIALIZED_SERVICES:
            return backend_app(environ, start_response)
        with self.dynamodb_lock:
            # The view runs inside the call; materialize the body so nothing of it runs outside the lock.
            return list(backend_app(environ, start_response))


class LocalMotoServer(ThreadedMotoServer):
    """`ThreadedMotoServer` with DynamoDB serialized (see `SerializedDynamoDBDispatcher`).

    Port 0 picks a free port; read the real one with `get_host_and_port()` after `start()`.
    """

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self.dispatcher: SerializedDynamoDBDispatcher | None = None

    def _server_entry(self) -> None:
        # Same as the parent's, with our dispatcher in place of moto's.
        self.dispatcher = SerializedDynamoDBDispatcher(create_backend_app)
        self._server = make_server(
            self._ip_address, self._port, self.dispatcher, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def endpoint_url(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"


def start_moto_server(host: str = "127.0.0.1", port: int = 0) -> LocalMotoServer:
    """Start moto in a background thread, quiet, with Step Functions executing and Lambda without Docker."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = LocalMotoServer(ip_address=host, port=port)
    server.start()
    _post_json(
        server.endpoint_url + "/moto-api/config",
        {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}},
    )
    return server


def aws_environment(endpoint_url: str, region: str = constants.LOCAL_REGION) -> dict[str, str]:
    """The variables that point boto3 (ours, the handlers' and moto's own callbacks) at moto."""
    port = endpoint_url.rsplit(":", 1)[1]
    return {
        "MOTO_PORT": port,  # moto's Step Functions interpreter calls back to localhost:$MOTO_PORT
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


@dataclass(frozen=True)
class LocalResources:
    """Physical names of what `provision_resources` created, and the environment that names them."""

    prefix: str
    region: str
    tables: dict[str, str]  # logical id -> table name
    bucket: str
    event_bus: str
    state_machine_arn: str
    environment: dict[str, str] = field(default_factory=dict)


def table_create_arguments(table: constants.TableDefinition, prefix: str) -> dict[str, Any]:
    """`CreateTable` arguments for one table definition (on-demand, stream when the definition has one)."""
    arguments: dict[str, Any] = {
        "TableName": table.physical_name(prefix),
        "KeySchema": table.key_schema(),
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": type_} for name, type_ in table.key_attributes().items()
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if table.indexes:
        arguments["GlobalSecondaryIndexes"] = [
            {"IndexName": index.name, "KeySchema": index.key_schema(), "Projection": {"ProjectionType": "ALL"}}
            for index in table.indexes
        ]
    if table.stream:
        arguments["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream}
    return arguments


# Until the workflow issue provisions the real definition, runs can be queued against a no-op machine.
_PLACEHOLDER_WORKFLOW = {
    "Comment": "Placeholder until the run workflow is provisioned from the CDK definition",
    "StartAt": "Queued",
    "States": {"Queued": {"Type": "Pass", "End": True}},
}


def provision_resources(
    endpoint_url: str,
    prefix: str = constants.LOCAL_RESOURCE_PREFIX,
    region: str = constants.LOCAL_REGION,
    cors_origins: Iterable[str] = LOCAL_CORS_ORIGINS,
) -> LocalResources:
    """Create the tables, bucket, bus and workflow on moto at `endpoint_url`; idempotent per name."""
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto accepts any credentials
        region_name=region,
    )
    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url)
    existing_tables = set(dynamodb.list_tables()["TableNames"])
    tables: dict[str, str] = {}
    for table in constants.TABLES:
        name = table.physical_name(prefix)
        tables[table.logical_id] = name
        if name in existing_tables:
            continue
        dynamodb.create_table(**table_create_arguments(table, prefix))
        if table.ttl_attribute:
            ttl = {"Enabled": True, "AttributeName": table.ttl_attribute}
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )

    s3 = session.client("s3", endpoint_url=endpoint_url)
    bucket = constants.bucket_name(prefix)
    s3.create_bucket(Bucket=bucket)  # us-east-1 takes no LocationConstraint; existing bucket is a no-op
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": list(cors_origins),
                    "AllowedMethods": ["GET", "HEAD", "PUT", "POST"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 3000,
                }
            ]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "abort-incomplete-uploads",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": constants.ABORT_INCOMPLETE_UPLOAD_DAYS},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": constants.NONCURRENT_VERSION_EXPIRY_DAYS},
                }
            ]
        },
    )

    events = session.client("events", endpoint_url=endpoint_url)
    bus = constants.event_bus_name(prefix)
    if bus not in {b["Name"] for b in events.list_event_buses()["EventBuses"]}:
        events.create_event_bus(Name=bus)

    stepfunctions = session.client("stepfunctions", endpoint_url=endpoint_url)
    machine = constants.state_machine_name(prefix)
    machines = {m["name"]: m["stateMachineArn"] for m in stepfunctions.list_state_machines()["stateMachines"]}
    state_machine_arn = (
        machines.get(machine)
        or stepfunctions.create_state_machine(
            name=machine,
            definition=json.dumps(_PLACEHOLDER_WORKFLOW),
            roleArn=f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/{prefix}-workflow",
        )["stateMachineArn"]
    )

    environment = {table.env_var: tables[table.logical_id] for table in constants.TABLES}
    environment |= {
        constants.ENV_BUCKET: bucket,
        constants.ENV_EVENT_BUS: bus,
        constants.ENV_STATE_MACHINE_ARN: state_machine_arn,
        constants.ENV_CORS_ORIGINS: ",".join(cors_origins),
    }
    return LocalResources(
        prefix=prefix,
        region=region,
        tables=tables,
        bucket=bucket,
        event_bus=bus,
        state_machine_arn=state_machine_arn,
        environment=environment,
    )


def apply_environment(variables: Mapping[str, str]) -> None:
    """Export `variables` for this process: handlers read their settings from the environment at import."""
    os.environ.update(variables)


def _post_json(url: str, payload: object) -> None:
    request = urllib.request.Request(  # noqa: S310 - a loopback URL we built
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()
