"""Documents: presigned or direct uploads of input files, and their upload status."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from runs import storage
from runs.auth import Principal
from runs.constants import INPUT_KEY_TEMPLATE
from runs.dal import documents as store
from runs.errors import DocumentNotFound, FieldError, PayloadTooLarge, ValidationFailed
from runs.ids import is_valid_id, new_id
from runs.models.base import PageMeta, utc_now
from runs.models.documents import (
    DocumentCreatedResource,
    DocumentCreateRequest,
    DocumentPage,
    DocumentRecord,
    DocumentResource,
    UploadInstructions,
    check_filename,
)
from runs.services.paging import filters_fingerprint, make_cursor, read_cursor
from runs.settings import get_settings

MULTIPART_FILE_LIMIT = 4 * 1024 * 1024


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes

    def fingerprint(self) -> str:
        """What identifies this upload for Idempotency-Key: its parsed name and bytes, never the multipart
        boundary (a client picks a new one for every attempt)."""
        digest = hashlib.sha256(self.content).hexdigest()
        return hashlib.sha256(f"multipart/form-data\n{self.filename}\n{digest}".encode()).hexdigest()


def parse_multipart_file(content_type_header: str, body: bytes) -> UploadedFile:
    """The `file` part of a multipart/form-data body; raises ValidationFailed / PayloadTooLarge."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type_header.encode("latin-1", "replace") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise _invalid("file", "the body is not multipart/form-data with a boundary", "multipart_invalid")
    for part in message.iter_parts():
        assert isinstance(part, Message)
        if part.get_param("name", header="content-disposition") != "file":
            continue
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes) or not content:
            raise _invalid("file", "the file is empty", "file_empty")
        if len(content) > MULTIPART_FILE_LIMIT:
            raise PayloadTooLarge(
                f"Direct uploads are limited to {MULTIPART_FILE_LIMIT} bytes; use a presigned upload for larger files."
            )
        raw_name = part.get_filename() or ""
        try:
            filename = check_filename(raw_name)
        except ValueError as error:
            raise _invalid("file.filename", str(error), "value_error") from None
        return UploadedFile(filename, part.get_content_type() or "application/octet-stream", content)
    raise _invalid("file", "a form field named 'file' is required", "missing")


def _invalid(path: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed("The upload is not valid.", errors=[FieldError(path, message, code)])


def _object_key(workspace_id: str, document_id: str, filename: str) -> str:
    return INPUT_KEY_TEMPLATE.format(workspace_id=workspace_id, document_id=document_id, filename=filename)


def create_presigned(
    principal: Principal, workspace_id: str, request: DocumentCreateRequest
) -> DocumentCreatedResource:
    """A `pendingUpload` document and a POST policy limited to its declared size."""
    settings = get_settings()
    if request.size_bytes > settings.max_document_bytes:
        raise PayloadTooLarge(f"Documents are limited to {settings.max_document_bytes} bytes.")
    document_id = new_id()
    record = DocumentRecord(
        id=document_id,
        workspace_id=workspace_id,
        filename=request.filename,
        content_type=request.content_type,
        size_bytes=request.size_bytes,
        status="pendingUpload",
        object_key=_object_key(workspace_id, document_id, request.filename),
        created_at=utc_now(),
        created_by=principal.key_id,
    )
    post = storage.presign_upload(record.object_key, content_type=request.content_type, max_bytes=request.size_bytes)
    store.put_document(record)
    return DocumentCreatedResource(
        document=DocumentResource.from_record(record),
        upload=UploadInstructions(
            method="POST", url=post.url, fields=post.fields, headers={}, expires_at=post.expires_at
        ),
    )


def create_uploaded(principal: Principal, workspace_id: str, upload: UploadedFile) -> DocumentCreatedResource:
    """Store a small file directly; the document is `uploaded` at once."""
    document_id = new_id()
    now = utc_now()
    digest = hashlib.sha256(upload.content).digest()
    record = DocumentRecord(
        id=document_id,
        workspace_id=workspace_id,
        filename=upload.filename,
        content_type=upload.content_type,
        size_bytes=len(upload.content),
        sha256=digest.hex(),
        status="uploaded",
        object_key=_object_key(workspace_id, document_id, upload.filename),
        created_at=now,
        uploaded_at=now,
        created_by=principal.key_id,
    )
    storage.put_object(
        record.object_key,
        upload.content,
        content_type=upload.content_type,
        sha256_b64=base64.b64encode(digest).decode(),
    )
    store.put_document(record)
    return DocumentCreatedResource(document=DocumentResource.from_record(record), upload=None)


def refresh_upload_status(record: DocumentRecord) -> DocumentRecord:
    """A pending document becomes `uploaded` once its object exists (checked on read)."""
    if record.status != "pendingUpload":
        return record
    size = storage.object_size(record.object_key)
    if size is None:
        return record
    updated = store.mark_uploaded(record, size_bytes=size, at=utc_now())
    return updated or store.get_document(record.workspace_id, record.id) or record


def get_document_record(workspace_id: str, document_id: str) -> DocumentRecord:
    """Raises DocumentNotFound (also for malformed ids)."""
    record = store.get_document(workspace_id, document_id) if is_valid_id(document_id) else None
    if record is None:
        raise DocumentNotFound(f"Document {document_id} not found.")
    return refresh_upload_status(record)


def get_document(workspace_id: str, document_id: str) -> DocumentResource:
    return DocumentResource.from_record(get_document_record(workspace_id, document_id))


def list_documents(workspace_id: str, *, limit: int, cursor: str | None) -> DocumentPage:
    fingerprint = filters_fingerprint({"resource": "documents"})
    start = read_cursor(cursor, fingerprint, f"WS#{workspace_id}")
    records, resume = store.list_documents(workspace_id, limit=limit, start_key=start)
    return DocumentPage(
        items=[DocumentResource.from_record(r) for r in records],
        meta=PageMeta(limit=limit, has_more=resume is not None, next_cursor=make_cursor(resume, fingerprint)),
    )
