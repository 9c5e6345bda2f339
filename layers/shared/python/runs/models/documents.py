"""Documents: the input files runs read."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from runs.models.base import PageMeta, RecordModel, RequestModel, ResponseModel, Timestamp
from runs.models.files import clean_filename

DocumentStatus = Literal["pendingUpload", "uploaded"]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class DocumentCreateRequest(RequestModel):
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None,
        description="Ignored: the content type comes from the file name's extension and, once uploaded, its bytes",
    )
    size_bytes: Annotated[int, Field(ge=1)]
    sha256: Sha256 | None = Field(
        default=None, description="Hex SHA-256 of the file: S3 then refuses an upload of any other bytes"
    )

    _filename_ok = field_validator("filename")(clean_filename)


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
    # The S3 object version seen when the upload was recorded: runs read exactly these bytes.
    version_id: str | None = None
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
        return cls.model_validate(record.model_dump(exclude={"object_key", "version_id"}))


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
