"""Documents: the input files runs read."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from runs.models.base import PageMeta, RecordModel, RequestModel, ResponseModel, Timestamp

DocumentStatus = Literal["pendingUpload", "uploaded"]
SUPPORTED_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv")


def check_filename(name: str) -> str:
    """A plain file name (no folders, no control characters) with a supported extension."""
    cleaned = name.strip()
    if not cleaned or any(ch in cleaned for ch in "/\\") or any(ord(ch) < 32 for ch in cleaned):
        raise ValueError("must be a plain file name without folders or control characters")
    if not cleaned.lower().endswith(SUPPORTED_EXTENSIONS):
        raise ValueError(f"must end with one of {', '.join(SUPPORTED_EXTENSIONS)}")
    return cleaned


class DocumentCreateRequest(RequestModel):
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(min_length=1, max_length=200)] = "application/octet-stream"
    size_bytes: Annotated[int, Field(ge=1)]

    _filename_ok = field_validator("filename")(check_filename)


class DocumentListQuery(RequestModel):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=2048)] | None = None


class DocumentRecord(RecordModel):
    id: str
    workspace_id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str | None = None
    status: DocumentStatus
    object_key: str
    created_at: Timestamp
    uploaded_at: Timestamp | None = None
    created_by: str | None = None


class DocumentResource(ResponseModel):
    id: str
    object: Literal["document"] = "document"
    workspace_id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str | None
    status: DocumentStatus
    created_at: Timestamp
    uploaded_at: Timestamp | None
    created_by: str | None

    @classmethod
    def from_record(cls, record: DocumentRecord) -> DocumentResource:
        return cls.model_validate(record.model_dump(exclude={"object_key"}))


class UploadInstructions(ResponseModel):
    method: Literal["POST"]
    url: str
    fields: dict[str, str]
    headers: dict[str, str]
    expires_at: Timestamp


class DocumentCreatedResource(ResponseModel):
    document: DocumentResource
    upload: UploadInstructions | None


class DocumentPage(ResponseModel):
    items: list[DocumentResource]
    meta: PageMeta
