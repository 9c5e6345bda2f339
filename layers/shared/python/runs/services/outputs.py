"""A run's input and output files: metadata, download links and manual outputs.

Downloads are presigned S3 GETs (the bytes never pass through Lambda) whose response names the file
in a `Content-Disposition` no file name can break. A manual output is a new object under
`OUTPUT_KEY_TEMPLATE` (never an overwrite) that the run points at after a conditional update.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import PurePosixPath

from runs import content_disposition, storage
from runs.auth import Principal
from runs.constants import OUTPUT_KEY_TEMPLATE
from runs.dal import runs as store
from runs.dal.runs import NewEvent
from runs.errors import ConcurrentUpdate, OutputNotAccepted, OutputNotFound, OutputNotReady
from runs.ids import new_id
from runs.models.base import utc_now
from runs.models.outputs import CONTENT_TYPES_BY_EXTENSION, DownloadLink
from runs.models.runs import RunInput, RunOutput, RunOutputRecord, RunRecord
from runs.services.documents import UploadedFile
from runs.services.runs import MAX_TRANSITION_ATTEMPTS, get_run_record
from runs.transitions import CANCELLABLE

UNFINISHED = CANCELLABLE  # queued and running: the engine may still write (or replace) the output


def get_input(workspace_id: str, run_id: str) -> RunInput:
    """Raises RunNotFound."""
    return RunInput.from_record(get_run_record(workspace_id, run_id))


def download_input(workspace_id: str, run_id: str) -> DownloadLink:
    """A presigned GET of the run's input (the object version the run was created on), whatever the run's
    status. Raises RunNotFound."""
    run = get_run_record(workspace_id, run_id)
    return _link(
        run.input.object_key,
        content_disposition=content_disposition.attachment(run.input.filename),
        content_type=run.input.content_type,
        version_id=run.input.version_id,
    )


def get_output(workspace_id: str, run_id: str) -> RunOutput:
    """The output's metadata, `ready` or not. Raises RunNotFound."""
    return RunOutput.from_record(get_run_record(workspace_id, run_id))


def download_output(workspace_id: str, run_id: str) -> DownloadLink:
    """A presigned GET of the output. Raises RunNotFound, OutputNotReady (409), OutputNotFound (404)."""
    run = get_run_record(workspace_id, run_id)
    output, key = ready_output(run)
    return _link(
        key,
        content_disposition=content_disposition.attachment(output.filename or "", default="output"),
        content_type=output.content_type,
    )


def replace_output(principal: Principal, workspace_id: str, run_id: str, upload: UploadedFile) -> RunOutput:
    """Make `upload` the output of a succeeded `process` run (origin "manual"), with a `run.output` event.

    The file goes to a new key first; the run then points at it by a conditional update (status and
    version as read), retried on a lost race. The run's status never changes.
    Raises RunNotFound, OutputNotReady (queued/running), OutputNotAccepted, ConcurrentUpdate.
    """
    run = _accepting_output(get_run_record(workspace_id, run_id))
    # A new time-ordered version per upload: earlier outputs (and links to them) stay as they were.
    key = OUTPUT_KEY_TEMPLATE.format(
        workspace_id=workspace_id, run_id=run_id, version=new_id(), filename=upload.filename
    )
    content_type = CONTENT_TYPES_BY_EXTENSION.get(extension(upload.filename), "application/octet-stream")
    digest = base64.b64encode(hashlib.sha256(upload.content).digest()).decode()
    storage.put_object(key, upload.content, content_type=content_type, sha256_b64=digest)
    output = RunOutputRecord(
        ready=True,
        filename=upload.filename,
        content_type=content_type,
        size_bytes=len(upload.content),
        origin="manual",
        object_key=key,
    )
    event = NewEvent(
        "run.output",
        "Output replaced by a manual upload",
        data={"origin": "manual", "filename": upload.filename, "sizeBytes": output.size_bytes, "by": principal.key_id},
    )
    for _ in range(MAX_TRANSITION_ATTEMPTS):
        if store.update(run, changes={"output": output.to_item()}, event=event, at=utc_now()):
            return RunOutput.from_record(run.model_copy(update={"output": output}))
        run = _accepting_output(get_run_record(workspace_id, run_id))
    raise ConcurrentUpdate()


def _link(
    key: str, *, content_disposition: str, content_type: str | None, version_id: str | None = None
) -> DownloadLink:
    presigned = storage.presign_download(
        key, content_disposition=content_disposition, content_type=content_type, version_id=version_id
    )
    return DownloadLink(url=presigned.url, expires_at=presigned.expires_at)


def _accepting_output(run: RunRecord) -> RunRecord:
    """Only a succeeded `process` run that is not a dry run takes a manual output."""
    if run.status in UNFINISHED:
        raise OutputNotReady(f"Run {run.id} is {run.status}: an output can be uploaded once it has succeeded.")
    if run.status != "succeeded":
        raise OutputNotAccepted(f"Run {run.id} {run.status}: only a succeeded run takes a manual output.")
    if run.operation != "process" or run.options.dry_run:
        kind = "a dry run" if run.options.dry_run else f"a {run.operation} run"
        raise OutputNotAccepted(f"Run {run.id} is {kind}, which has no output to replace.")
    return run


def ready_output(run: RunRecord) -> tuple[RunOutputRecord, str]:
    """The run's output and its object key. Raises OutputNotReady (409), OutputNotFound (404)."""
    if run.status in UNFINISHED:
        raise OutputNotReady(f"Run {run.id} is {run.status}: its output is available once it completes.")
    if not run.output.ready or not run.output.object_key:
        raise OutputNotFound(_no_output_reason(run))
    return run.output, run.output.object_key


def _no_output_reason(run: RunRecord) -> str:
    if run.status == "failed":
        return f"Run {run.id} failed and has no output."
    if run.status == "cancelled":
        return f"Run {run.id} was cancelled and has no output."
    if run.options.dry_run or run.operation == "validate":
        return f"Run {run.id} is a {'dry run' if run.options.dry_run else 'validate run'}, which writes no output."
    return f"Run {run.id} has no output."


def extension(filename: str) -> str:
    """The file name's extension, lower-cased (what decides how an output is read)."""
    return PurePosixPath(filename).suffix.lower()
