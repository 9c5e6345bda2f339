"""Put runs into any state the way the workflow does: conditional transitions through `runs.dal.runs`,
the output object under `OUTPUT_KEY_TEMPLATE`, and the engine's report through `save_results`."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integration.conftest import Api, make_csv_upload

MESSY_CSV = (
    b"Member Export,,,\n"
    b",,,\n"
    b"First Name,Last Name,E-mail Address,Date of Birth\n"
    b"Ada,Lovelace,ADA@example.com,1815-12-10\n"
    b"Grace,Hopper,grace@example,12/09/1906\n"
    b"Alan,Turing,alan@example.com,\n"
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class EngineResult:
    report: dict[str, Any]
    output: bytes


def run_engine(content: bytes = MESSY_CSV, filename: str = "people.csv") -> EngineResult:
    """The real engine on `content`: its report (camelCase JSON) and its output workbook."""
    from normalizer.pipeline import process

    with tempfile.TemporaryDirectory() as scratch:
        source, target = Path(scratch, filename), Path(scratch, "output.xlsx")
        source.write_bytes(content)
        report = process(source, target)
        return EngineResult(report.to_json_dict(), target.read_bytes())


def queued_run(api: Api, content: bytes = MESSY_CSV, filename: str = "people.csv", **options: Any) -> str:
    """A run created through the API (queued); returns its id."""
    document_id = make_csv_upload(api, content, filename)
    body: dict[str, Any] = {"inputDocumentId": document_id, **({"options": options} if options else {})}
    response = api.call("POST", api.ws("/runs"), json_body=body)
    assert response.status == 201, response.body
    return str(response.json()["id"])


def move(api: Api, run_id: str, target: str, **changes: Any) -> None:
    """One conditional transition of the run to `target` (with its event), as the workflow makes it."""
    from runs.dal import runs as store
    from runs.dal.runs import NewEvent
    from runs.models.base import format_timestamp, utc_now

    run = store.get_run(api.workspace_id, run_id)
    assert run is not None
    now = utc_now()
    if target == "running":
        changes = {"attempt": 1, "startedAt": format_timestamp(now), **changes}
    else:
        changes = {"completedAt": format_timestamp(now), **changes}
    assert store.transition(run, target, changes=changes, event=NewEvent(f"run.{target}", target), at=now)  # type: ignore[arg-type]


def finish(
    api: Api,
    run_id: str,
    status: str = "succeeded",
    *,
    output: bytes | None = None,
    output_filename: str = "people.xlsx",
    report: dict[str, Any] | None = None,
) -> None:
    """queued → running → `status`; with `output`, the workflow's output object and metadata; with
    `report`, the saved results."""
    from runs import storage
    from runs.constants import OUTPUT_KEY_TEMPLATE
    from runs.dal import results
    from runs.models.runs import RunOutputRecord

    move(api, run_id, "running")
    changes: dict[str, Any] = {}
    if output is not None:
        key = OUTPUT_KEY_TEMPLATE.format(
            workspace_id=api.workspace_id, run_id=run_id, version="1", filename=output_filename
        )
        storage.put_object(key, output, content_type=XLSX_TYPE)
        record = RunOutputRecord(
            ready=True,
            filename=output_filename,
            content_type=XLSX_TYPE,
            size_bytes=len(output),
            origin="engine",
            object_key=key,
        )
        changes["output"] = record.to_item()
    if report is not None:
        results.save_results(api.workspace_id, run_id, report)
    move(api, run_id, status, **changes)


def multipart(filename: str, content: bytes, content_type: str = XLSX_TYPE) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body with one `file` part, and its Content-Type header."""
    boundary = "outputboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
