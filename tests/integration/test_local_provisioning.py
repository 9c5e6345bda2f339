"""The laptop stack's resources are the ones `runs.constants` defines (which the CDK stack also reads).

The CDK side of the comparison lives with the infrastructure tests: both sides assert against
`runs.constants`, so a drift on either side fails one of them.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from local.moto_stack import (
    LOCAL_CORS_ORIGINS,
    LocalMotoServer,
    LocalResources,
    SerializedDynamoDBDispatcher,
    provision_resources,
    start_moto_server,
)
from runs import constants

PREFIX = "runs-provisioning"


def _client(service: str, endpoint_url: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=constants.LOCAL_REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(max_pool_connections=32),
    )


@pytest.fixture(scope="module")
def moto() -> Iterator[LocalMotoServer]:
    server = start_moto_server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def resources(moto: LocalMotoServer) -> LocalResources:
    return provision_resources(moto.endpoint_url, prefix=PREFIX)


@pytest.mark.parametrize("table", constants.TABLES, ids=lambda t: t.logical_id)
def test_table_has_the_key_schema_of_its_definition(
    moto: LocalMotoServer, resources: LocalResources, table: constants.TableDefinition
) -> None:
    description = _client("dynamodb", moto.endpoint_url).describe_table(TableName=table.physical_name(PREFIX))
    description = description["Table"]
    assert description["KeySchema"] == table.key_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in description["AttributeDefinitions"]}
    assert types[table.partition_key.name] == table.partition_key.type
    if table.sort_key:
        assert types[table.sort_key.name] == table.sort_key.type
    assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


@pytest.mark.parametrize("table", constants.TABLES, ids=lambda t: t.logical_id)
def test_table_has_the_indexes_of_its_definition(
    moto: LocalMotoServer, resources: LocalResources, table: constants.TableDefinition
) -> None:
    description = _client("dynamodb", moto.endpoint_url).describe_table(TableName=table.physical_name(PREFIX))
    indexes = {index["IndexName"]: index for index in description["Table"].get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {index.name for index in table.indexes}
    types = {a["AttributeName"]: a["AttributeType"] for a in description["Table"]["AttributeDefinitions"]}
    for index in table.indexes:
        assert indexes[index.name]["KeySchema"] == index.key_schema()
        assert types[index.partition_key.name] == index.partition_key.type
        if index.sort_key:
            assert types[index.sort_key.name] == index.sort_key.type
        assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}


@pytest.mark.parametrize("table", constants.TABLES, ids=lambda t: t.logical_id)
def test_table_has_the_ttl_and_stream_of_its_definition(
    moto: LocalMotoServer, resources: LocalResources, table: constants.TableDefinition
) -> None:
    dynamodb = _client("dynamodb", moto.endpoint_url)
    name = table.physical_name(PREFIX)
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if table.ttl_attribute:
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": table.ttl_attribute}
    else:
        assert ttl["TimeToLiveStatus"] == "DISABLED"
    stream = dynamodb.describe_table(TableName=name)["Table"].get("StreamSpecification")
    if table.stream:
        assert stream == {"StreamEnabled": True, "StreamViewType": table.stream}
        assert dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    else:
        assert not stream or not stream.get("StreamEnabled")


def test_only_the_defined_tables_are_created(moto: LocalMotoServer, resources: LocalResources) -> None:
    names = _client("dynamodb", moto.endpoint_url).list_tables()["TableNames"]
    assert {n for n in names if n.startswith(PREFIX + "-")} == {t.physical_name(PREFIX) for t in constants.TABLES}


def test_environment_names_every_resource_under_the_constants_variables(resources: LocalResources) -> None:
    expected = {table.env_var: table.physical_name(PREFIX) for table in constants.TABLES}
    expected |= {
        constants.ENV_BUCKET: f"{PREFIX}-{constants.BUCKET_LOGICAL_ID}",
        constants.ENV_EVENT_BUS: f"{PREFIX}-{constants.EVENT_BUS_SUFFIX}",
        constants.ENV_STATE_MACHINE_ARN: resources.state_machine_arn,
        constants.ENV_CORS_ORIGINS: ",".join(LOCAL_CORS_ORIGINS),
    }
    assert resources.environment == expected


def test_bucket_is_versioned_and_allows_local_browser_origins(moto: LocalMotoServer, resources: LocalResources) -> None:
    s3 = _client("s3", moto.endpoint_url)
    assert s3.get_bucket_versioning(Bucket=resources.bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_cors(Bucket=resources.bucket)["CORSRules"]
    assert set(rule["AllowedOrigins"]) == {"http://127.0.0.1:*", "http://localhost:*"}
    assert {"GET", "PUT", "POST"} <= set(rule["AllowedMethods"])
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=resources.bucket)["Rules"]
    assert lifecycle["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": constants.ABORT_INCOMPLETE_UPLOAD_DAYS
    }


def test_event_bus_exists(moto: LocalMotoServer, resources: LocalResources) -> None:
    events = _client("events", moto.endpoint_url)
    assert events.describe_event_bus(Name=resources.event_bus)["Name"] == f"{PREFIX}-{constants.EVENT_BUS_SUFFIX}"


def test_provisioning_twice_is_a_no_op(moto: LocalMotoServer, resources: LocalResources) -> None:
    again = provision_resources(moto.endpoint_url, prefix=PREFIX)
    assert again == resources


# --- DynamoDB atomicity -------------------------------------------------------------------------------


@pytest.fixture
def slow_condition_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen moto's gap between checking a condition and writing, so a race shows up every time."""
    import moto.dynamodb.models as models
    import moto.dynamodb.models.table as table_module

    original = table_module.get_filter_expression  # type: ignore[attr-defined]

    class SlowCondition:
        def __init__(self, condition: Any) -> None:
            self.condition = condition

        def expr(self, item: Any) -> Any:
            outcome = self.condition.expr(item)
            time.sleep(0.05)
            return outcome

    def slow_filter_expression(*args: Any, **kwargs: Any) -> SlowCondition:
        return SlowCondition(original(*args, **kwargs))

    monkeypatch.setattr(table_module, "get_filter_expression", slow_filter_expression)
    monkeypatch.setattr(models, "get_filter_expression", slow_filter_expression)


def _racing_creates(endpoint_url: str, table_name: str, contenders: int = 8) -> int:
    dynamodb = _client("dynamodb", endpoint_url)

    def create(contender: int) -> bool:
        try:
            dynamodb.put_item(
                TableName=table_name,
                Item={"pk": {"S": "RACE"}, "sk": {"S": "RACE"}, "winner": {"N": str(contender)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    with concurrent.futures.ThreadPoolExecutor(contenders) as pool:
        return sum(pool.map(create, range(contenders)))


@pytest.mark.usefixtures("slow_condition_checks")
def test_concurrent_conditional_creates_have_exactly_one_winner(
    moto: LocalMotoServer, resources: LocalResources
) -> None:
    assert isinstance(moto.dispatcher, SerializedDynamoDBDispatcher)
    assert _racing_creates(moto.endpoint_url, resources.tables["runs"]) == 1


@pytest.mark.usefixtures("slow_condition_checks")
def test_plain_moto_lets_several_conditional_creates_win() -> None:
    """Control for the test above: without the lock the same race has several winners."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        created = provision_resources(f"http://{host}:{port}", prefix="runs-unlocked")
        assert _racing_creates(f"http://{host}:{port}", created.tables["runs"]) > 1
    finally:
        server.stop()


@pytest.mark.usefixtures("slow_condition_checks")
def test_concurrent_transactions_on_one_item_have_exactly_one_winner(
    moto: LocalMotoServer, resources: LocalResources
) -> None:
    dynamodb = _client("dynamodb", moto.endpoint_url)
    table = resources.tables["runs"]
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "TX"}, "sk": {"S": "TX"}, "status": {"S": "queued"}})

    def transition(contender: int) -> bool:
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": table,
                            "Key": {"pk": {"S": "TX"}, "sk": {"S": "TX"}},
                            "UpdateExpression": "SET #s = :new, winner = :who",
                            "ConditionExpression": "#s = :old",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {
                                ":old": {"S": "queued"},
                                ":new": {"S": "running"},
                                ":who": {"N": str(contender)},
                            },
                        }
                    },
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {"pk": {"S": "TX"}, "sk": {"S": f"EVT#{contender}"}},
                        }
                    },
                ]
            )
        except dynamodb.exceptions.TransactionCanceledException:
            return False
        return True

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(transition, range(8))) == 1
    events = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :evt)",
        ExpressionAttributeValues={":pk": {"S": "TX"}, ":evt": {"S": "EVT#"}},
    )
    assert events["Count"] == 1
