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
from runs.errors import DocumentNotFound, FieldError, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from runs.ids import is_valid_id, new_id
from runs.models.base import PageMeta, utc_now
from runs.models.documents import (
    DocumentCreatedResource,
    DocumentCreateRequest,
    DocumentPage,
    DocumentRecord,
    DocumentResource,
    UploadInstructions,
)
from runs.models.files import SNIFF_BYTES, clean_filename, content_type_of_file, content_type_of_name
from runs.models.files import UNKNOWN as UNKNOWN_CONTENT_TYPE
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
    """The `file` part of a multipart/form-data body, its name cleaned and its content type taken from its
    bytes and extension. Raises ValidationFailed, PayloadTooLarge, and UnsupportedMediaType (415) for bytes
    that are no spreadsheet or not the kind the name says."""
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
        try:
            filename = clean_filename(part.get_filename() or "")
        except ValueError as error:
            raise _invalid("file.filename", str(error), "value_error") from None
        try:
            content_type = content_type_of_file(content[:SNIFF_BYTES], filename)
        except ValueError as error:
            raise UnsupportedMediaType(f"The file {filename} cannot be used: {error}.") from None
        return UploadedFile(filename, content_type, content)
    raise _invalid("file", "a form field named 'file' is required", "missing")


def _invalid(path: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed("The upload is not valid.", errors=[FieldError(path, message, code)])


def _object_key(workspace_id: str, document_id: str, filename: str) -> str:
    return INPUT_KEY_TEMPLATE.format(workspace_id=workspace_id, document_id=document_id, filename=filename)


def create_presigned(
    principal: Principal, workspace_id: str, request: DocumentCreateRequest
) -> DocumentCreatedResource:
    """A `pendingUpload` document and a POST policy limited to its declared size (and checksum, if given).

    The content type comes from the extension until the bytes are seen.
    """
    settings = get_settings()
    if request.size_bytes > settings.max_document_bytes:
        raise PayloadTooLarge(f"Documents are limited to {settings.max_document_bytes} bytes.")
    document_id = new_id()
    record = DocumentRecord(
        id=document_id,
        workspace_id=workspace_id,
        filename=request.filename,
        content_type=content_type_of_name(request.filename),
        size_bytes=request.size_bytes,
        sha256=request.sha256,
        status="pendingUpload",
        object_key=_object_key(workspace_id, document_id, request.filename),
        created_at=utc_now(),
        created_by=principal.key_id,
    )
    post = storage.presign_upload(
        record.object_key, content_type=record.content_type, max_bytes=request.size_bytes, sha256_hex=request.sha256
    )
    store.put_document(record)
    return DocumentCreatedResource(
        document=DocumentResource.from_record(record),
        upload=UploadInstructions(
            method="POST", url=post.url, fields=post.fields, headers={}, expires_at=post.expires_at
        ),
    )


def create_uploaded(principal: Principal, workspace_id: str, upload: UploadedFile) -> DocumentCreatedResource:
    """Store a small file directly; the document is `uploaded` at once, pinned to the object version stored."""
    document_id = new_id()
    now = utc_now()
    digest = hashlib.sha256(upload.content).digest()
    object_key = _object_key(workspace_id, document_id, upload.filename)
    version_id = storage.put_object(
        object_key, upload.content, content_type=upload.content_type, sha256_b64=base64.b64encode(digest).decode()
    )
    record = DocumentRecord(
        id=document_id,
        workspace_id=workspace_id,
        filename=upload.filename,
        content_type=upload.content_type,
        size_bytes=len(upload.content),
        sha256=digest.hex(),
        status="uploaded",
        object_key=object_key,
        version_id=version_id,
        created_at=now,
        uploaded_at=now,
        created_by=principal.key_id,
    )
    store.put_document(record)
    return DocumentCreatedResource(document=DocumentResource.from_record(record), upload=None)


def observe_upload(record: DocumentRecord) -> DocumentRecord:
    """A pending document as it is once its object exists: `uploaded`, with the object's size, version and
    content type (from its first bytes; `application/octet-stream` when they are not what the name says).
    Reads S3 (one ranged GET), writes nothing."""
    if record.status != "pendingUpload":
        return record
    found = storage.read_head(record.object_key, length=SNIFF_BYTES)
    if found is None:
        return record
    try:
        content_type = content_type_of_file(found.head, record.filename)
    except ValueError:
        content_type = UNKNOWN_CONTENT_TYPE
    return record.model_copy(
        update={
            "status": "uploaded",
            "size_bytes": found.size,
            "version_id": found.version_id,
            "content_type": content_type,
            "uploaded_at": utc_now(),
        }
    )


def record_upload(record: DocumentRecord) -> DocumentRecord:
    """`observe_upload`, persisted (conditional on the document still being pending): from then on every
    run of the document reads the version recorded here."""
    observed = observe_upload(record)
    if observed is record:
        return record
    return store.mark_uploaded(observed) or store.get_document(record.workspace_id, record.id) or observed


def get_document(workspace_id: str, document_id: str) -> DocumentResource:
    """The document as it is now (an upload is observed, not recorded); raises DocumentNotFound (also for
    malformed ids)."""
    record = store.get_document(workspace_id, document_id) if is_valid_id(document_id) else None
    if record is None:
        raise DocumentNotFound(f"Document {document_id} not found.")
    return DocumentResource.from_record(observe_upload(record))


def list_documents(workspace_id: str, *, limit: int, cursor: str | None) -> DocumentPage:
    fingerprint = filters_fingerprint({"resource": "documents"})
    start = read_cursor(cursor, fingerprint, f"WS#{workspace_id}")
    records, resume = store.list_documents(workspace_id, limit=limit, start_key=start)
    return DocumentPage(
        items=[DocumentResource.from_record(r) for r in records],
        meta=PageMeta(limit=limit, has_more=resume is not None, next_cursor=make_cursor(resume, fingerprint)),
    )
