"""Documents in the documents table: pk `WS#<ws>`, sk `DOC#<documentId>`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from runs.dal import items as dynamo
from runs.dal.clients import client
from runs.models.base import format_timestamp, utc_now
from runs.models.documents import DocumentRecord
from runs.settings import get_settings


def _key(workspace_id: str, document_id: str) -> dict[str, str]:
    return {"pk": f"WS#{workspace_id}", "sk": f"DOC#{document_id}"}


def put_document(document: DocumentRecord) -> None:
    """Insert a new document; never overwrites."""
    client("dynamodb").put_item(
        TableName=get_settings().documents_table,
        Item=dynamo.serialize({**_key(document.workspace_id, document.id), **document.to_item()}),
        ConditionExpression="attribute_not_exists(pk)",
    )


def get_document(workspace_id: str, document_id: str) -> DocumentRecord | None:
    item = dynamo.get_item(get_settings().documents_table, _key(workspace_id, document_id))
    return DocumentRecord.model_validate(item) if item else None


def get_documents(workspace_id: str, document_ids: Sequence[str]) -> dict[str, DocumentRecord]:
    """Consistent BatchGetItem; missing ids are absent from the result."""
    items = dynamo.batch_get(get_settings().documents_table, [_key(workspace_id, d) for d in document_ids])
    records = (DocumentRecord.model_validate(item) for item in items)
    return {record.id: record for record in records}


def mark_uploaded(observed: DocumentRecord) -> DocumentRecord | None:
    """Record a pending document's upload as `observed` (size, version, content type), on condition that
    it is still pending; returns the updated record, None if another writer got there first."""
    changes = {
        "status": "uploaded",
        "sizeBytes": observed.size_bytes,
        "uploadedAt": format_timestamp(observed.uploaded_at or utc_now()),
        "contentType": observed.content_type,
        "versionId": observed.version_id,
    }
    changes = {name: value for name, value in changes.items() if value is not None}
    try:
        response = client("dynamodb").update_item(
            TableName=get_settings().documents_table,
            Key=dynamo.serialize(_key(observed.workspace_id, observed.id)),
            UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in changes),
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames={f"#{name}": name for name in changes},
            ExpressionAttributeValues=dynamo.values(**changes, pending="pendingUpload"),
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return None
        raise
    return DocumentRecord.model_validate(dynamo.deserialize(response["Attributes"]))


def list_documents(
    workspace_id: str, *, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[DocumentRecord], dict[str, Any] | None]:
    records, resume, _ = dynamo.page_query(
        table=get_settings().documents_table,
        key_condition="pk = :pk AND begins_with(sk, :prefix)",
        expression_values=dynamo.values(pk=f"WS#{workspace_id}", prefix="DOC#"),
        limit=limit,
        start_key=start_key,
        forward=False,
    )
    return [DocumentRecord.model_validate(item) for item in records], resume
