"""DynamoDB item (de)serialization and the small set of calls every repository shares."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from runs.dal.clients import client
from runs.errors import InvalidCursor

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(_to_dynamo(value)) for key, value in item.items()}


def serialize_value(value: Any) -> dict[str, Any]:
    return dict(_serializer.serialize(_to_dynamo(value)))


def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _from_dynamo(_deserializer.deserialize(value)) for key, value in item.items()}


def values(**named: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from keyword arguments (`:name` → value)."""
    return {f":{name}": serialize_value(value) for name, value in named.items()}


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_condition_failure(error: ClientError) -> bool:
    return error_code(error) in ("ConditionalCheckFailedException", "TransactionCanceledException")


def cancellation_reasons(error: ClientError) -> list[str]:
    return [reason.get("Code", "") for reason in error.response.get("CancellationReasons", [])]


def get_item(table: str, key: Mapping[str, Any], *, consistent: bool = True) -> dict[str, Any] | None:
    response = client("dynamodb").get_item(TableName=table, Key=serialize(key), ConsistentRead=consistent)
    item = response.get("Item")
    return deserialize(item) if item else None


def put_new(table: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """A transaction's Put of an item that must not exist yet."""
    return {"Put": {"TableName": table, "Item": serialize(item), "ConditionExpression": "attribute_not_exists(pk)"}}


def query_all(
    table: str, *, key_condition: str, expression_values: dict[str, Any], filter_expression: str | None = None
) -> list[dict[str, Any]]:
    """Every item of a Query, page after page (for partitions known to stay small)."""
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": key_condition,
        "ExpressionAttributeValues": expression_values,
    }
    if filter_expression:
        request["FilterExpression"] = filter_expression
    found: list[dict[str, Any]] = []
    while True:
        response = client("dynamodb").query(**request)
        found.extend(deserialize(item) for item in response.get("Items", []))
        if not response.get("LastEvaluatedKey"):
            return found
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def batch_get(table: str, keys: Sequence[Mapping[str, Any]], *, consistent: bool = True) -> list[dict[str, Any]]:
    """The items at `keys` that exist (BatchGetItem, 100 keys per call, unprocessed keys retried)."""
    found: list[dict[str, Any]] = []
    for offset in range(0, len(keys), 100):
        chunk = [serialize(key) for key in keys[offset : offset + 100]]
        pending: dict[str, Any] = {table: {"Keys": chunk, "ConsistentRead": consistent}}
        while pending:
            response = client("dynamodb").batch_get_item(RequestItems=pending)
            found.extend(deserialize(item) for item in response.get("Responses", {}).get(table, []))
            pending = response.get("UnprocessedKeys") or {}
    return found


def transact(operations: Sequence[dict[str, Any]]) -> None:
    """One all-or-nothing TransactWriteItems (≤ 100 operations); raises ClientError on a failed condition."""
    client("dynamodb").transact_write_items(TransactItems=list(operations))


def encode_cursor(payload: Mapping[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Raises InvalidCursor for anything that is not a cursor this service issued."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise InvalidCursor("The cursor is not valid.") from None
    if not isinstance(payload, dict):
        raise InvalidCursor("The cursor is not valid.")
    return payload


def page_query(
    *,
    table: str,
    key_condition: str,
    expression_values: dict[str, Any],
    limit: int,
    start_key: dict[str, Any] | None,
    forward: bool = True,
    filter_expression: str | None = None,
    expression_names: dict[str, str] | None = None,
    key_attributes: Sequence[str] = ("pk", "sk"),
    index: str | None = None,
    max_queries: int = 10,
    projection: Sequence[str] = (),
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, int]:
    """Items for one page: one Query, more only while a filter thins the page.

    Returns (items, the key to resume after the last returned item or None, queries made).
    `key_attributes` are the table's and the index's key attributes (a resume key needs all of them);
    `projection`, when given, names the only attributes returned (include the key attributes).
    """
    names = dict(expression_names or {})
    if projection:
        names |= {f"#p{position}": attribute for position, attribute in enumerate(projection)}
    items: list[dict[str, Any]] = []
    exclusive_start = serialize(start_key) if start_key else None
    queries = 0
    last_evaluated: dict[str, Any] | None = None
    while queries < max_queries:
        request: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": expression_values,
            "ScanIndexForward": forward,
            "Limit": limit + 1 - len(items) if filter_expression is None else max(limit + 1, 25),
        }
        if index:
            request["IndexName"] = index
        if filter_expression:
            request["FilterExpression"] = filter_expression
        if projection:
            request["ProjectionExpression"] = ", ".join(f"#p{position}" for position in range(len(projection)))
        if names:
            request["ExpressionAttributeNames"] = names
        if exclusive_start:
            request["ExclusiveStartKey"] = exclusive_start
        response = client("dynamodb").query(**request)
        queries += 1
        items.extend(deserialize(item) for item in response.get("Items", []))
        last_evaluated = response.get("LastEvaluatedKey")
        if len(items) > limit or not last_evaluated:
            break
        exclusive_start = last_evaluated
    if len(items) > limit:
        items = items[:limit]
        resume: dict[str, Any] | None = {name: items[-1][name] for name in key_attributes}
    else:
        resume = deserialize(last_evaluated) if last_evaluated else None
    return items, resume, queries
