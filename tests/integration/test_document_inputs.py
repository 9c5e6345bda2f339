"""Documents: the content type comes from the bytes, names are cleaned, and a run is pinned to the exact
object version (and sha256) it was created on."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest

from runs.models.files import CSV, XLSX
from tests.integration.conftest import Api, multipart_body

CSV_BYTES = b"email,name\na@example.com,Ann\n"


def _xlsx_bytes() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["email", "name"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(api: Api, content: bytes, filename: str, part_type: str = "text/csv") -> Any:
    body = multipart_body("inputs-boundary", content, filename, part_type)
    headers = {"Content-Type": "multipart/form-data; boundary=inputs-boundary"}
    return api.call("POST", api.ws("/documents"), body=body, headers=headers)


def _put_object(key: str, body: bytes) -> str:
    from runs.dal.clients import client
    from runs.settings import get_settings

    return str(client("s3").put_object(Bucket=get_settings().files_bucket, Key=key, Body=body)["VersionId"])


def _document_item(api: Api, document_id: str) -> dict[str, Any]:
    from runs.dal import items
    from runs.settings import get_settings

    item = items.get_item(get_settings().documents_table, {"pk": f"WS#{api.workspace_id}", "sk": f"DOC#{document_id}"})
    assert item is not None
    return item


def _run_input(api: Api, run_id: str) -> Any:
    from runs.dal.runs import get_run

    run = get_run(api.workspace_id, run_id)
    assert run is not None
    return run.input


def test_the_content_type_of_an_upload_comes_from_its_bytes_not_the_client(api: Api) -> None:
    csv = upload(api, CSV_BYTES, "people.csv", part_type="application/x-msdownload")
    workbook = upload(api, _xlsx_bytes(), "book.xlsx", part_type="text/html")
    assert csv.status == workbook.status == 201
    assert csv.json()["document"]["contentType"] == CSV
    assert workbook.json()["document"]["contentType"] == XLSX


@pytest.mark.parametrize(
    ("content", "filename"),
    [(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.csv"), (CSV_BYTES, "people.xlsx"), (b"PK\x03\x04" * 8, "x.csv")],
)
def test_an_upload_whose_bytes_are_not_what_its_name_says_is_415(api: Api, content: bytes, filename: str) -> None:
    response = upload(api, content, filename)
    assert response.status == 415 and response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_an_upload_name_loses_quotes_controls_and_templates(api: Api) -> None:
    response = upload(api, CSV_BYTES, "q\u202e1 ${jndi:x}report'.csv")
    assert response.status == 201, response.body
    assert response.json()["document"]["filename"] == "q1 report.csv"


def test_a_declared_document_takes_its_type_from_the_extension_and_records_a_declared_sha256(api: Api) -> None:
    digest = hashlib.sha256(CSV_BYTES).hexdigest()
    body = {"filename": "people.csv", "contentType": "image/png", "sizeBytes": len(CSV_BYTES), "sha256": digest}
    created = api.call("POST", api.ws("/documents"), json_body=body).json()
    assert created["document"]["contentType"] == CSV and created["document"]["sha256"] == digest
    assert created["upload"]["fields"]["Content-Type"] == CSV


def test_a_run_is_pinned_to_the_version_and_sha256_of_a_direct_upload(api: Api) -> None:
    document = upload(api, CSV_BYTES, "people.csv").json()["document"]
    run_id = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document["id"]}).json()["id"]
    pinned = _run_input(api, run_id)
    stored = _document_item(api, document["id"])
    assert pinned.version_id and pinned.version_id == stored["versionId"]
    assert pinned.sha256 == hashlib.sha256(CSV_BYTES).hexdigest() == document["sha256"]


def test_a_presigned_upload_is_observed_on_read_and_pinned_when_a_run_is_created(api: Api) -> None:
    from runs import storage

    # Given a declared document whose bytes then arrive in S3
    created = api.call("POST", api.ws("/documents"), json_body={"filename": "late.csv", "sizeBytes": 5}).json()
    document_id, key = created["document"]["id"], created["upload"]["fields"]["key"]
    first_version = _put_object(key, CSV_BYTES)
    # When it is read, Then it shows as uploaded with the real size and type, and the read wrote nothing
    shown = api.call("GET", api.ws(f"/documents/{document_id}")).json()
    assert (shown["status"], shown["sizeBytes"], shown["contentType"]) == ("uploaded", len(CSV_BYTES), CSV)
    assert _document_item(api, document_id)["status"] == "pendingUpload"
    # When a run is created, Then the upload is recorded with the version seen, and the run pinned to it
    first_run = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id}).json()["id"]
    assert _document_item(api, document_id)["versionId"] == first_version
    assert _run_input(api, first_run).version_id == first_version
    # And a later overwrite of the object changes nothing for this document's runs
    _put_object(key, b"email\nintruder@example.com\n")
    second_run = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id}).json()["id"]
    assert _run_input(api, second_run).version_id == first_version
    head = storage.read_head(key, length=100, version_id=first_version)
    assert head is not None and head.head == CSV_BYTES


def test_a_presigned_upload_of_the_wrong_bytes_cannot_be_run(api: Api) -> None:
    created = api.call("POST", api.ws("/documents"), json_body={"filename": "book.xlsx", "sizeBytes": 20}).json()
    _put_object(created["upload"]["fields"]["key"], CSV_BYTES)
    document_id = created["document"]["id"]
    assert api.call("GET", api.ws(f"/documents/{document_id}")).json()["contentType"] == "application/octet-stream"
    response = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id})
    assert response.status == 415 and response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    batch = api.call("POST", api.ws("/runs/batch"), json_body={"documentIds": [document_id]})
    assert batch.status == 415 and batch.json()["errors"][0]["path"] == "documentIds.0"
