"""Runs: create, batch, list, get, cancel. Every status change goes through `runs.dal.runs.transition`."""

from __future__ import annotations

from datetime import datetime

from runs.auth import Principal
from runs.dal import documents as documents_store
from runs.dal import runs as store
from runs.dal.runs import NewEvent, RunFilter
from runs.errors import (
    ApiError,
    ConcurrentUpdate,
    DocumentNotFound,
    DocumentNotReady,
    FieldError,
    RunNotCancellable,
    RunNotFound,
    UnsupportedMediaType,
    ValidationFailed,
)
from runs.ids import RANDOM_IDS, IdSource, id_ceiling, id_floor, is_valid_id
from runs.models.base import PageMeta, format_timestamp, utc_now
from runs.models.documents import DocumentRecord
from runs.models.files import UNKNOWN as UNKNOWN_CONTENT_TYPE
from runs.models.runs import (
    RunBatchCreateRequest,
    RunCreateOptions,
    RunCreateRequest,
    RunInputRecord,
    RunListQuery,
    RunOptions,
    RunPage,
    RunRecord,
    RunResource,
)
from runs.services import configurations
from runs.services.documents import record_upload
from runs.services.paging import filters_fingerprint, make_cursor, read_cursor
from runs.transitions import CANCELLABLE

RUNS_PER_TRANSACTION = 50  # two writes per run (run + run.queued event), 100 per transaction
MAX_TRANSITION_ATTEMPTS = 5
# includeTotal counts at most this many runs (a bounded read); a bigger workspace gets totalCount null.
MAX_TOTAL_COUNT = 1000


def _new_run(
    principal: Principal,
    workspace_id: str,
    document: DocumentRecord,
    configuration_id: str | None,
    options: RunCreateOptions,
    now: datetime,
    run_id: str,
) -> RunRecord:
    return RunRecord(
        id=run_id,
        workspace_id=workspace_id,
        configuration_id=configuration_id,
        operation=options.operation,
        status="queued",
        options=RunOptions(
            active_sheet_only=options.active_sheet_only,
            input_sheet_names=options.input_sheet_names,
            dry_run=options.dry_run,
            log_level=options.log_level,
            metadata=options.metadata,
        ),
        created_at=now,
        created_by=principal.key_id,
        input=RunInputRecord(
            document_id=document.id,
            filename=document.filename,
            content_type=document.content_type,
            size_bytes=document.size_bytes,
            sha256=document.sha256,
            object_key=document.object_key,
            version_id=document.version_id,
        ),
        event_seq=1,
    )


def _queued_event(run: RunRecord) -> NewEvent:
    return NewEvent("run.queued", "Run queued", data={"operation": run.operation, "documentId": run.input.document_id})


def _ready_document(document: DocumentRecord | None, document_id: str) -> DocumentRecord:
    """The document, its upload recorded (version, size, type); raises DocumentNotFound, DocumentNotReady,
    and UnsupportedMediaType when its bytes are not the spreadsheet its name says."""
    if document is None:
        raise DocumentNotFound(f"Document {document_id} not found.")
    document = record_upload(document)
    if document.status != "uploaded":
        raise DocumentNotReady(f"Document {document_id} has not been uploaded yet.")
    if document.content_type == UNKNOWN_CONTENT_TYPE:
        raise UnsupportedMediaType(f"Document {document_id} is not the spreadsheet its name says; upload it again.")
    return document


def create_run(
    principal: Principal, workspace_id: str, request: RunCreateRequest, ids: IdSource = RANDOM_IDS
) -> RunResource:
    """Queue one run. Raises DocumentNotFound, DocumentNotReady, ConfigurationNotFound."""
    document_id = request.input_document_id
    document = _ready_document(documents_store.get_document(workspace_id, document_id), document_id)
    return _queue(principal, workspace_id, [document], request.configuration_id, request.options, ids)[0]


def create_batch(
    principal: Principal, workspace_id: str, request: RunBatchCreateRequest, ids: IdSource = RANDOM_IDS
) -> list[RunResource]:
    """Queue one run per document, in request order; every document is checked before any run is written."""
    found = documents_store.get_documents(workspace_id, request.document_ids)
    problems: list[FieldError] = []
    first_error: type[ApiError] | None = None
    ready: list[DocumentRecord] = []
    for index, document_id in enumerate(request.document_ids):
        try:
            ready.append(_ready_document(found.get(document_id), document_id))
        except (DocumentNotFound, DocumentNotReady, UnsupportedMediaType) as error:
            problems.append(FieldError(f"documentIds.{index}", error.detail, error.code))
            first_error = first_error or type(error)
    if first_error is not None:
        raise first_error("No run was queued: " + "; ".join(p.message for p in problems), errors=problems)
    return _queue(principal, workspace_id, ready, request.configuration_id, request.options, ids)


def _queue(
    principal: Principal,
    workspace_id: str,
    documents: list[DocumentRecord],
    configuration_id: str | None,
    options: RunCreateOptions,
    ids: IdSource,
) -> list[RunResource]:
    """Write a queued run per document, `RUNS_PER_TRANSACTION` per transaction.

    A retry of an idempotent request derives the same run ids, so it writes only the runs that a failed
    attempt did not (a batch that failed after its first transaction) and answers with all of them.
    """
    resolved_configuration = configurations.resolve_for_run(workspace_id, configuration_id)
    now = utc_now()
    planned = [
        _new_run(
            principal, workspace_id, document, resolved_configuration, options, now, ids.new_id(f"run#{document.id}")
        )
        for document in documents
    ]
    written = store.get_runs(workspace_id, [run.id for run in planned]) if ids.retry else {}
    missing = [run for run in planned if run.id not in written]
    for offset in range(0, len(missing), RUNS_PER_TRANSACTION):
        store.create_runs([(run, _queued_event(run)) for run in missing[offset : offset + RUNS_PER_TRANSACTION]], now)
    return [RunResource.from_record(written.get(run.id, run)) for run in planned]


def get_run_record(workspace_id: str, run_id: str) -> RunRecord:
    """One GetItem. Raises RunNotFound for unknown, foreign or malformed ids alike."""
    record = store.get_run(workspace_id, run_id) if is_valid_id(run_id) else None
    if record is None:
        raise RunNotFound(f"Run {run_id} not found.")
    return record


def etag(run: RunRecord) -> str:
    return f'"{run.id}.{run.version}"'


def list_runs(workspace_id: str, query: RunListQuery) -> RunPage:
    """One page of runs, newest first by default; one Query unless filters thin the page."""
    filters = {
        "status": sorted(query.status or []),
        "operation": query.operation,
        "configurationId": query.configuration_id,
        "inputDocumentId": query.input_document_id,
        "createdAfter": query.created_after,
        "createdBefore": query.created_before,
        "q": query.q,
        "sort": query.sort,
    }
    fingerprint = filters_fingerprint(filters)
    start = read_cursor(
        query.cursor,
        fingerprint,
        _partition(workspace_id, query.input_document_id),
        "gsi1pk" if query.input_document_id else "pk",
    )
    records, resume, _ = store.list_runs(
        workspace_id,
        limit=query.limit,
        newest_first=query.sort == "-createdAt",
        run_filter=RunFilter(
            statuses=tuple(sorted(set(query.status or []))),
            operation=query.operation,
            configuration_id=query.configuration_id,
            q=query.q,
        ),
        document_id=query.input_document_id,
        id_from=id_floor(_millis(query.created_after) + 1) if query.created_after else None,
        id_to=id_ceiling(_millis(query.created_before) - 1) if query.created_before else None,
        start_key=start,
    )
    unfiltered = not any(v for k, v in filters.items() if k != "sort")
    total = store.count_runs(workspace_id, at_most=MAX_TOTAL_COUNT) if query.include_total and unfiltered else None
    return RunPage(
        items=[RunResource.from_record(record) for record in records],
        meta=PageMeta(
            limit=query.limit,
            has_more=resume is not None,
            next_cursor=make_cursor(resume, fingerprint),
            total_count=total,
        ),
    )


def _partition(workspace_id: str, document_id: str | None) -> str:
    return f"WS#{workspace_id}#DOC#{document_id}" if document_id else f"WS#{workspace_id}"


def _millis(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValidationFailed(
            "Times need a time zone.",
            errors=[FieldError("createdAfter/createdBefore", "include a time zone, e.g. Z", "timezone_required")],
        )
    return int(moment.timestamp() * 1000)


def cancel_run(principal: Principal, workspace_id: str, run_id: str) -> RunRecord:
    """queued|running → cancelled. A cancelled run is returned unchanged; a finished one is 409.

    Races with the workflow are settled by the conditional write: the loser rereads and decides again.
    """
    for _ in range(MAX_TRANSITION_ATTEMPTS):
        run = get_run_record(workspace_id, run_id)
        if run.status == "cancelled":
            return run
        if run.status not in CANCELLABLE:
            raise RunNotCancellable(f"Run {run_id} has already {run.status}.")
        now = utc_now()
        changes = {"completedAt": format_timestamp(now)}
        if store.transition(
            run,
            "cancelled",
            changes=changes,
            at=now,
            event=NewEvent("run.cancelled", "Run cancelled", data={"by": principal.key_id}),
        ):
            return get_run_record(workspace_id, run_id)
    raise ConcurrentUpdate()
