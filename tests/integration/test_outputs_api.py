"""Input and output files of a run: metadata, downloads, manual outputs, sheets and previews (DESIGN §6)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
import requests

from tests.integration.conftest import ADMIN_KEY, Api
from tests.integration.run_states import (
    XLSX_TYPE,
    EngineResult,
    finish,
    move,
    multipart,
    queued_run,
    run_engine,
)

FOUR_MIB = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def engine_result() -> EngineResult:
    return run_engine()


@pytest.fixture
def succeeded(api: Api, engine_result: EngineResult) -> str:
    """A succeeded process run with the engine's output and report."""
    run_id = queued_run(api)
    finish(api, run_id, output=engine_result.output, report=engine_result.report)
    return run_id


def _fetch(location: str) -> requests.Response:
    """Follow a presigned URL (to the moto server, over real HTTP), as `curl -L` would."""
    response = requests.get(location, timeout=10)
    assert response.status_code == 200, response.text
    return response


def _disposition_filename(header: str) -> str:
    """The file name a client takes from `Content-Disposition` (RFC 6266: `filename*` wins)."""
    parameters = dict(re.findall(r';\s*(filename\*?)=("[^"]*"|[^;]*)', header))
    if "filename*" in parameters:
        charset, _, encoded = parameters["filename*"].partition("''")
        assert charset == "UTF-8", header
        return unquote(encoded)
    return parameters["filename"].strip('"')


def _upload(api: Api, run_id: str, filename: str, content: bytes, **headers: str) -> Any:
    body, content_type = multipart(filename, content)
    return api.call("POST", api.ws(f"/runs/{run_id}/output"), body=body, headers={**content_type, **headers})


def _events(run_id: str) -> list[str]:
    from runs.dal import runs as store

    return [event["event"] for event in store.list_events(run_id)]


# ---- metadata and downloads -----------------------------------------------------------------------


def test_output_is_always_200_and_says_whether_it_is_ready(api: Api, succeeded: str) -> None:
    queued = queued_run(api)

    before = api.call("GET", api.ws(f"/runs/{queued}/output"))
    after = api.call("GET", api.ws(f"/runs/{succeeded}/output"))

    assert before.status == 200
    assert before.json() == {
        "ready": False,
        "filename": None,
        "contentType": None,
        "sizeBytes": None,
        "origin": None,
        "downloadUrl": None,
    }
    assert after.json()["ready"] is True
    assert after.json()["origin"] == "engine"
    assert after.json()["downloadUrl"] == api.ws(f"/runs/{succeeded}/output/download")


def test_output_download_redirects_to_a_short_lived_url_serving_the_file(
    api: Api, succeeded: str, engine_result: EngineResult
) -> None:
    response = api.call("GET", api.ws(f"/runs/{succeeded}/output/download"))

    assert response.status == 302
    assert response.body == b""
    assert response.headers["Cache-Control"] == "no-store"
    served = _fetch(response.headers["Location"])
    assert served.content == engine_result.output
    assert served.headers["Content-Type"] == XLSX_TYPE
    assert served.headers["Content-Disposition"] == 'attachment; filename="people.xlsx"'


def test_redirect_false_answers_the_url_and_when_it_expires(api: Api, succeeded: str) -> None:
    response = api.call("GET", api.ws(f"/runs/{succeeded}/output/download"), query={"redirect": "false"})

    assert response.status == 200
    link = response.json()
    assert set(link) == {"url", "expiresAt"}
    expires_at = datetime.fromisoformat(link["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(seconds=250) < expires_at - datetime.now(UTC) <= timedelta(seconds=300)
    assert _fetch(link["url"]).headers["Content-Disposition"] == 'attachment; filename="people.xlsx"'


@pytest.mark.parametrize("status", ["queued", "running"])
def test_output_files_are_409_while_the_run_is_unfinished(api: Api, status: str) -> None:
    run_id = queued_run(api)
    if status == "running":
        move(api, run_id, "running")

    for suffix in ("/output/download", "/output/sheets", "/output/preview"):
        response = api.call("GET", api.ws(f"/runs/{run_id}{suffix}"))
        assert response.status == 409, (suffix, response.body)
        assert response.json()["code"] == "OUTPUT_NOT_READY"


@pytest.mark.parametrize(
    ("status", "options", "reason"),
    [
        ("failed", {}, "failed"),
        ("cancelled", {}, "cancelled"),
        ("succeeded", {"operation": "validate"}, "validate run"),
    ],
)
def test_a_run_that_ended_without_output_has_none_to_download(
    api: Api, status: str, options: dict[str, Any], reason: str
) -> None:
    run_id = queued_run(api, **options)
    if status == "cancelled":
        assert api.call("POST", api.ws(f"/runs/{run_id}/cancel")).status == 200
    else:
        finish(api, run_id, status)

    for suffix in ("/output/download", "/output/sheets", "/output/preview"):
        response = api.call("GET", api.ws(f"/runs/{run_id}{suffix}"))
        assert response.status == 404, (suffix, response.body)
        assert response.json()["code"] == "OUTPUT_NOT_FOUND"
        assert reason in response.json()["detail"]


def test_another_workspaces_output_and_results_are_404(api: Api, engine_result: EngineResult) -> None:
    from runs.ids import new_id
    from runs.services.workspaces import bootstrap_workspace

    other = Api(ADMIN_KEY, new_id())
    bootstrap_workspace(other.workspace_id, "Other", ADMIN_KEY)
    run_id = queued_run(other)
    finish(other, run_id, output=engine_result.output, report=engine_result.report)
    assert other.call("GET", other.ws(f"/runs/{run_id}/output/download")).status == 302

    for suffix in ("/output/download", "/output/sheets", "/output/preview", "/metrics", "/fields", "/columns"):
        response = api.call("GET", api.ws(f"/runs/{run_id}{suffix}"))
        assert response.status == 404, (suffix, response.body)
        assert response.json()["code"] == "RUN_NOT_FOUND"


def test_input_metadata_and_download_whatever_the_status(api: Api) -> None:
    content = b"email\nada@example.com\n"
    run_id = queued_run(api, content, "Größe; Q1 export.csv")

    metadata = api.call("GET", api.ws(f"/runs/{run_id}/input")).json()
    download = api.call("GET", api.ws(f"/runs/{run_id}/input/download"))

    assert metadata["filename"] == "Größe; Q1 export.csv"
    assert metadata["sizeBytes"] == len(content)
    assert download.status == 302
    served = _fetch(download.headers["Location"])
    assert served.content == content
    assert served.headers["Content-Disposition"] == (
        "attachment; filename=\"Gr__e_ Q1 export.csv\"; filename*=UTF-8''Gr%C3%B6%C3%9Fe%3B%20Q1%20export.csv"
    )
    assert _disposition_filename(served.headers["Content-Disposition"]) == "Größe; Q1 export.csv"


def test_input_download_serves_the_object_version_the_run_was_created_on(api: Api) -> None:
    # Given a run, and its input object overwritten afterwards (a second upload to the same key)
    from runs.dal import runs as store
    from runs.dal.clients import client
    from runs.settings import get_settings

    run_id = queued_run(api, b"email\nada@example.com\n", "people.csv")
    run = store.get_run(api.workspace_id, run_id)
    assert run is not None and run.input.version_id
    client("s3").put_object(Bucket=get_settings().files_bucket, Key=run.input.object_key, Body=b"email\nevil@x.io\n")

    # When the run's input is downloaded
    served = _fetch(api.call("GET", api.ws(f"/runs/{run_id}/input/download")).headers["Location"])

    # Then it is the bytes the run was created on
    assert served.content == b"email\nada@example.com\n"


def test_a_hostile_output_filename_cannot_break_content_disposition(api: Api, succeeded: str) -> None:
    # Given an output whose stored name carries quotes, semicolons, line breaks and a header of its own
    from runs.dal import runs as store

    hostile = 'report"; filename=evil.exe\r\nSet-Cookie: session=1;\u202egpj.xlsx'
    run = store.get_run(api.workspace_id, succeeded)
    assert run is not None
    output = run.output.model_copy(update={"filename": hostile}).to_item()
    assert store.update(run, changes={"output": output}, event=None, at=run.created_at)

    # When it is downloaded
    served = _fetch(api.call("GET", api.ws(f"/runs/{succeeded}/output/download")).headers["Location"])

    # Then the header is one attachment parameter list naming the file without the control characters
    header = served.headers["Content-Disposition"]
    assert "Set-Cookie" not in served.headers
    assert "\r" not in header and "\n" not in header and header.isascii()
    assert header.startswith('attachment; filename="report__ filename=evil.exe')
    assert _disposition_filename(header) == 'report"; filename=evil.exeSet-Cookie: session=1;gpj.xlsx'


# ---- manual outputs -------------------------------------------------------------------------------


def test_a_manual_output_replaces_the_output_without_overwriting_it(api: Api, succeeded: str) -> None:
    from runs import storage
    from runs.dal import runs as store

    before = store.get_run(api.workspace_id, succeeded)
    assert before is not None and before.output.object_key is not None
    content = b"first_name,email\nAda,ada@example.com\n"

    response = _upload(api, succeeded, "corrected.csv", content)

    assert response.status == 201, response.body
    assert response.headers["Location"] == api.ws(f"/runs/{succeeded}/output")
    output = response.json()
    assert output == {
        "ready": True,
        "filename": "corrected.csv",
        "contentType": "text/csv",
        "sizeBytes": len(content),
        "origin": "manual",
        "downloadUrl": api.ws(f"/runs/{succeeded}/output/download"),
    }
    assert api.call("GET", api.ws(f"/runs/{succeeded}/output")).json() == output
    assert _fetch(api.call("GET", api.ws(f"/runs/{succeeded}/output/download")).headers["Location"]).content == content
    after = store.get_run(api.workspace_id, succeeded)
    assert after is not None
    assert (after.status, after.version) == ("succeeded", before.version + 1)
    assert after.output.object_key != before.output.object_key
    assert storage.read_head(before.output.object_key, length=1) is not None  # the engine's output is still there
    assert _events(succeeded)[-1] == "run.output"


def test_a_manual_output_of_exactly_4_mib_is_accepted_and_one_byte_more_is_413(api: Api, succeeded: str) -> None:
    accepted = _upload(api, succeeded, "big.csv", b"x" * FOUR_MIB)
    refused = _upload(api, succeeded, "big.csv", b"x" * (FOUR_MIB + 1))

    assert accepted.status == 201, accepted.body
    assert refused.status == 413
    assert refused.json()["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    ("status", "options", "code"),
    [
        ("queued", {}, "OUTPUT_NOT_READY"),
        ("running", {}, "OUTPUT_NOT_READY"),
        ("failed", {}, "OUTPUT_NOT_ACCEPTED"),
        ("cancelled", {}, "OUTPUT_NOT_ACCEPTED"),
        ("succeeded", {"operation": "validate"}, "OUTPUT_NOT_ACCEPTED"),
        ("succeeded", {"dryRun": True}, "OUTPUT_NOT_ACCEPTED"),
    ],
)
def test_only_a_succeeded_process_run_takes_a_manual_output(
    api: Api, status: str, options: dict[str, Any], code: str
) -> None:
    run_id = queued_run(api, **options)
    if status == "running":
        move(api, run_id, "running")
    elif status == "cancelled":
        api.call("POST", api.ws(f"/runs/{run_id}/cancel"))
    elif status != "queued":
        finish(api, run_id, status)

    response = _upload(api, run_id, "manual.csv", b"a,b\n1,2\n")

    assert response.status == 409, response.body
    assert response.json()["code"] == code
    assert api.call("GET", api.ws(f"/runs/{run_id}/output")).json()["ready"] is False


def test_a_manual_output_needs_a_multipart_file(api: Api, succeeded: str) -> None:
    as_json = api.call("POST", api.ws(f"/runs/{succeeded}/output"), json_body={"file": "x"})
    body, headers = multipart("notes.txt", b"hello")
    wrong_type = api.call("POST", api.ws(f"/runs/{succeeded}/output"), body=body, headers=headers)

    assert as_json.status == 415
    assert wrong_type.status == 422
    assert wrong_type.json()["errors"][0]["path"] == "file.filename"


def test_a_manual_output_honours_idempotency_key(api: Api, succeeded: str) -> None:
    first = _upload(api, succeeded, "corrected.csv", b"a\n1\n", **{"Idempotency-Key": "upload-1"})
    replay = _upload(api, succeeded, "corrected.csv", b"a\n1\n", **{"Idempotency-Key": "upload-1"})
    reused = _upload(api, succeeded, "corrected.csv", b"a\n2\n", **{"Idempotency-Key": "upload-1"})

    assert first.status == replay.status == 201
    assert replay.body == first.body
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert reused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert _events(succeeded).count("run.output") == 1


# ---- sheets and previews --------------------------------------------------------------------------


def test_sheets_of_an_engine_output(api: Api, succeeded: str) -> None:
    response = api.call("GET", api.ws(f"/runs/{succeeded}/output/sheets"))

    assert response.status == 200
    assert response.json() == [
        {"name": "people", "index": 0, "kind": "worksheet", "visible": True, "isActive": True},
        {"name": "Issues", "index": 1, "kind": "worksheet", "visible": True, "isActive": False},
    ]


def test_preview_of_an_engine_output(api: Api, succeeded: str, engine_result: EngineResult) -> None:
    response = api.call("GET", api.ws(f"/runs/{succeeded}/output/preview"))

    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    preview = response.json()
    header = ["first_name", "last_name", "full_name", "email", "phone", "member_id", "date_of_birth"]
    assert preview["name"] == "people" and preview["index"] == 0
    assert preview["rows"][0] == header
    assert [row[0] for row in preview["rows"][1:]] == ["Ada", "Grace", "Alan"]
    assert preview["rows"][1][3] == "ada@example.com"
    assert preview["rows"][1][6] == "1815-12-10"
    assert (preview["totalRows"], preview["totalColumns"]) == (4, 7)
    assert (preview["truncatedRows"], preview["truncatedColumns"]) == (False, False)
    assert {(cell["row"], cell["column"], cell["bold"]) for cell in preview["cellFormats"]} == {
        (0, column, True) for column in range(7)
    }
    issues = api.call("GET", api.ws(f"/runs/{succeeded}/output/preview"), query={"sheetName": "Issues"}).json()
    assert issues["rows"][0][:3] == ["sheet", "row", "column"]
    assert issues["totalRows"] == engine_result.report["output"]["issueCount"] + 1


def test_a_csv_outputs_one_sheet_has_the_same_name_in_sheets_and_preview(api: Api, succeeded: str) -> None:
    assert _upload(api, succeeded, "Members 2024.csv", b"name;email\nAda;ada@example.com\n").status == 201

    sheets = api.call("GET", api.ws(f"/runs/{succeeded}/output/sheets")).json()
    by_name = api.call("GET", api.ws(f"/runs/{succeeded}/output/preview"), query={"sheetName": sheets[0]["name"]})
    by_index = api.call("GET", api.ws(f"/runs/{succeeded}/output/preview"), query={"sheetIndex": "0"})
    unknown = api.call("GET", api.ws(f"/runs/{succeeded}/output/preview"), query={"sheetName": "run-output"})

    assert sheets == [{"name": "Members 2024", "index": 0, "kind": "file", "visible": True, "isActive": True}]
    assert by_name.status == 200 and by_name.json() == by_index.json()
    assert by_name.json()["rows"] == [["name", "email"], ["Ada", "ada@example.com"]]
    assert by_name.json()["totalRows"] == 2
    assert unknown.status == 422 and unknown.json()["code"] == "SHEET_NOT_FOUND"


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ({"sheetName": "people", "sheetIndex": "0"}, "body"),
        ({"maxRows": "1001"}, "maxRows"),
        ({"maxColumns": "201"}, "maxColumns"),
        ({"maxRows": "0"}, "maxRows"),
        ({"sheetIndex": "-1"}, "sheetIndex"),
    ],
)
def test_bad_preview_queries_are_422(api: Api, succeeded: str, query: dict[str, str], path: str) -> None:
    response = api.call("GET", api.ws(f"/runs/{succeeded}/output/preview"), query=query)

    assert response.status == 422
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert [error["path"] for error in response.json()["errors"]] == [path]


def test_a_missing_sheet_is_422_sheet_not_found(api: Api, succeeded: str) -> None:
    response = api.call("GET", api.ws(f"/runs/{succeeded}/output/preview"), query={"sheetIndex": "5"})

    assert response.status == 422
    assert response.json()["code"] == "SHEET_NOT_FOUND"
    assert response.json()["errors"][0]["path"] == "sheetIndex"


def test_sheets_and_preview_of_another_file_type_are_415(api: Api, succeeded: str) -> None:
    assert _upload(api, succeeded, "legacy.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not really").status == 201

    for suffix in ("/output/sheets", "/output/preview"):
        response = api.call("GET", api.ws(f"/runs/{succeeded}{suffix}"))
        assert response.status == 415, response.body
        assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_manual_output_whose_bytes_are_not_what_its_name_says_is_415(api: Api, succeeded: str) -> None:
    response = _upload(api, succeeded, "binary.csv", bytes(range(256)) * 4)

    assert response.status == 415
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_an_unreadable_output_is_422_preview_failed(api: Api, succeeded: str) -> None:
    assert _upload(api, succeeded, "broken.xlsx", b"PK\x03\x04 this is no zip").status == 201

    for suffix in ("/output/sheets", "/output/preview"):
        response = api.call("GET", api.ws(f"/runs/{succeeded}{suffix}"))
        assert response.status == 422, response.body
        assert response.json()["code"] == "PREVIEW_FAILED"
        assert "Traceback" not in response.json()["detail"]


def test_a_preview_reads_only_the_rows_it_returns(api: Api) -> None:
    # Given a 200,000-row output written the way the engine writes it
    from rustpy_xlsxwriter import FastExcel

    from runs.dal.clients import client

    rows = ({"id": i, "name": f"Member {i}", "email": f"m{i}@example.com"} for i in range(200_000))
    path = f"/tmp/preview-{api.workspace_id}.xlsx"
    FastExcel(path).sheet("Members", rows).save()
    with open(path, "rb") as file:
        content = file.read()
    run_id = queued_run(api)
    finish(api, run_id, output=content, output_filename="members.xlsx")
    fetched: list[int] = []

    def count(**kwargs: Any) -> None:
        fetched.append(int(kwargs["http_response"].headers.get("Content-Length", 0)))

    client("s3").meta.events.register("after-call.s3.GetObject", count)
    try:
        # When its first 100 rows are previewed
        preview = api.call("GET", api.ws(f"/runs/{run_id}/output/preview")).json()
    finally:
        client("s3").meta.events.unregister("after-call.s3.GetObject", count)

    # Then the answer is exact, and a few small ranged reads of a multi-megabyte object made it
    assert len(preview["rows"]) == 100 and preview["rows"][99] == ["98", "Member 98", "m98@example.com"]
    assert (preview["totalRows"], preview["truncatedRows"]) == (200_001, True)
    assert len(content) > 3_000_000
    assert len(fetched) <= 3 and sum(fetched) <= 768 * 1024, fetched
