"""Run requests, the stored run record and the run resource (DESIGN §6)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from runs.constants import API_BASE_PATH
from runs.models.base import PageMeta, RecordModel, RequestModel, ResponseModel, Timestamp

RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
Operation = Literal["process", "validate"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
FailureCode = Literal[
    "INPUT_MISSING",
    "INPUT_UNREADABLE",
    "INPUT_TOO_LARGE",
    "UNSUPPORTED_FILE_TYPE",
    "SHEET_NOT_FOUND",
    "CONFIGURATION_INVALID",
    "TIMEOUT",
    "INTERNAL",
]
FailureStage = Literal["prepare", "read", "detect", "map", "transform", "validate", "write", "finalize"]
RunId = Annotated[str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
SheetName = Annotated[str, Field(max_length=200)]


# ---- requests -------------------------------------------------------------------------------------


class RunCreateOptions(RequestModel):
    operation: Operation = "process"
    dry_run: bool = False
    active_sheet_only: bool = False
    input_sheet_names: Annotated[list[SheetName], Field(max_length=100)] | None = None
    log_level: LogLevel | None = None
    metadata: (
        Annotated[
            dict[Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=1000)]], Field(max_length=50)
        ]
        | None
    ) = None

    @field_validator("input_sheet_names")
    @classmethod
    def _clean_sheet_names(cls, names: list[str] | None) -> list[str] | None:
        """Trim, drop empties and duplicates (order kept); an empty result is null."""
        if names is None:
            return None
        cleaned = list(dict.fromkeys(name.strip() for name in names if name.strip()))
        return cleaned or None

    @model_validator(mode="after")
    def _sheet_selection_is_unambiguous(self) -> RunCreateOptions:
        if self.active_sheet_only and self.input_sheet_names:
            raise ValueError("activeSheetOnly cannot be combined with inputSheetNames")
        return self


class RunCreateRequest(RequestModel):
    input_document_id: RunId
    configuration_id: RunId | None = None
    options: RunCreateOptions = RunCreateOptions()


class RunBatchCreateRequest(RequestModel):
    document_ids: Annotated[list[RunId], Field(min_length=1, max_length=100)]
    configuration_id: RunId | None = None
    options: RunCreateOptions = RunCreateOptions()

    @field_validator("document_ids")
    @classmethod
    def _no_duplicates(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("documentIds must not repeat a document")
        return ids


class RunListQuery(RequestModel):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=2048)] | None = None
    status: list[RunStatus] | None = None
    operation: Operation | None = None
    configuration_id: RunId | None = None
    input_document_id: RunId | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    sort: Literal["createdAt", "-createdAt"] = "-createdAt"
    include_total: bool = Field(
        default=False,
        description="Count the workspace's runs (no filters): exact up to 1000; null beyond, or with filters",
    )


# ---- stored record --------------------------------------------------------------------------------


class RunOptions(RecordModel):
    active_sheet_only: bool = False
    input_sheet_names: list[str] | None = None
    dry_run: bool = False
    log_level: LogLevel | None = None
    metadata: dict[str, str] | None = None


class RunProgress(RecordModel):
    stage: FailureStage | None = None
    rows_processed: int = 0
    sheets_processed: int = 0
    sheets_total: int | None = None


class RunInputRecord(RecordModel):
    document_id: str
    filename: str
    content_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    object_key: str
    # The exact object version the run was created on: every read of the input passes it to S3.
    version_id: str | None = None
    input_sheet_names: list[str] | None = None


class RunOutputRecord(RecordModel):
    ready: bool = False
    filename: str | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    origin: Literal["engine", "manual"] | None = None
    object_key: str | None = None


class RunRecord(RecordModel):
    """The run as stored in the runs table; `version` feeds the ETag, `event_seq` the event counter."""

    id: str
    workspace_id: str
    configuration_id: str | None = None
    operation: Operation
    status: RunStatus
    options: RunOptions
    attempt: int = 0
    max_attempts: int = 3
    failure_code: FailureCode | None = None
    failure_stage: FailureStage | None = None
    failure_message: str | None = None
    progress: RunProgress = RunProgress()
    created_at: Timestamp
    started_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    created_by: str | None = None
    input: RunInputRecord
    output: RunOutputRecord = RunOutputRecord()
    version: int = 1
    event_seq: int = 0


# ---- response -------------------------------------------------------------------------------------


def run_path(record: RunRecord) -> str:
    """The run's URL path (what `links.self` holds)."""
    return f"{API_BASE_PATH}/workspaces/{record.workspace_id}/runs/{record.id}"


class RunInput(ResponseModel):
    document_id: str
    filename: str
    content_type: str | None
    size_bytes: int | None
    sha256: str | None
    input_sheet_names: list[str] | None
    download_url: str

    @classmethod
    def from_record(cls, record: RunRecord) -> RunInput:
        return cls(
            document_id=record.input.document_id,
            filename=record.input.filename,
            content_type=record.input.content_type,
            size_bytes=record.input.size_bytes,
            sha256=record.input.sha256,
            input_sheet_names=record.input.input_sheet_names,
            download_url=f"{run_path(record)}/input/download",
        )


class RunOutput(ResponseModel):
    ready: bool
    filename: str | None
    content_type: str | None
    size_bytes: int | None
    origin: Literal["engine", "manual"] | None
    download_url: str | None

    @classmethod
    def from_record(cls, record: RunRecord) -> RunOutput:
        output = record.output
        return cls(
            ready=output.ready,
            filename=output.filename,
            content_type=output.content_type,
            size_bytes=output.size_bytes,
            origin=output.origin,
            download_url=f"{run_path(record)}/output/download" if output.ready else None,
        )


class RunLinks(ResponseModel):
    self: str
    events_stream: str
    events_download: str
    input_download: str
    output: str
    output_download: str
    metrics: str
    fields: str
    columns: str


class RunResource(ResponseModel):
    id: str
    object: Literal["run"] = "run"
    workspace_id: str
    configuration_id: str | None = None
    operation: Operation
    status: RunStatus
    options: RunOptionsView
    attempt: int
    max_attempts: int
    failure_code: FailureCode | None
    failure_stage: FailureStage | None
    failure_message: str | None
    progress: RunProgressView
    created_at: Timestamp
    started_at: Timestamp | None
    completed_at: Timestamp | None
    duration_seconds: float | None
    created_by: str | None
    input: RunInput
    output: RunOutput
    links: RunLinks

    @classmethod
    def from_record(cls, record: RunRecord) -> RunResource:
        base = run_path(record)
        duration = None
        if record.started_at and record.completed_at:
            duration = round((record.completed_at - record.started_at).total_seconds(), 3)
        return cls(
            id=record.id,
            workspace_id=record.workspace_id,
            configuration_id=record.configuration_id,
            operation=record.operation,
            status=record.status,
            options=RunOptionsView.model_validate(record.options.model_dump()),
            attempt=record.attempt,
            max_attempts=record.max_attempts,
            failure_code=record.failure_code,
            failure_stage=record.failure_stage,
            failure_message=record.failure_message,
            progress=RunProgressView.model_validate(record.progress.model_dump()),
            created_at=record.created_at,
            started_at=record.started_at,
            completed_at=record.completed_at,
            duration_seconds=duration,
            created_by=record.created_by,
            input=RunInput.from_record(record),
            output=RunOutput.from_record(record),
            links=RunLinks(
                self=base,
                events_stream=f"{base}/events/stream",
                events_download=f"{base}/events/download",
                input_download=f"{base}/input/download",
                output=f"{base}/output",
                output_download=f"{base}/output/download",
                metrics=f"{base}/metrics",
                fields=f"{base}/fields",
                columns=f"{base}/columns",
            ),
        )


class RunOptionsView(ResponseModel):
    active_sheet_only: bool
    input_sheet_names: list[str] | None
    dry_run: bool
    log_level: LogLevel | None
    metadata: dict[str, str] | None


class RunProgressView(ResponseModel):
    stage: FailureStage | None
    rows_processed: int
    sheets_processed: int
    sheets_total: int | None


RunResource.model_rebuild()


class RunPage(ResponseModel):
    items: list[RunResource]
    meta: PageMeta


class RunBatchResource(ResponseModel):
    runs: list[RunResource]
