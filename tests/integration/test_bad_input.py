"""Bad input never yields a 500: every case answers problem+json with a stable code."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Api, make_csv_upload

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code", "requestId", "errors"}


def _problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert response.status == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert set(problem) == PROBLEM_KEYS
    assert problem["code"] == code
    assert "Traceback" not in response.body.decode()
    return problem  # type: ignore[no-any-return]


def test_malformed_json_is_400(api: Api) -> None:
    response = api.call("POST", api.ws("/runs"), body=b"{not json", headers={"Content-Type": "application/json"})
    _problem(response, 400, "BAD_REQUEST")


def test_json_array_body_is_422(api: Api) -> None:
    _problem(api.call("POST", api.ws("/runs"), json_body=[1, 2]), 422, "VALIDATION_FAILED")


@pytest.mark.parametrize(
    "body",
    [
        {"inputDocumentId": 12},
        {"inputDocumentId": "not-a-uuid"},
        {"inputDocumentId": "0190a000-0000-7000-8000-000000000000", "options": {"operation": "publish"}},
        {"inputDocumentId": "0190a000-0000-7000-8000-000000000000", "options": {"logLevel": "info"}},
        {"inputDocumentId": "0190a000-0000-7000-8000-000000000000", "options": {"metadata": {"a": 1}}},
        {"inputDocumentId": "0190a000-0000-7000-8000-000000000000", "options": "yes"},
        {},
    ],
)
def test_wrong_types_are_422_with_paths(api: Api, body: dict) -> None:  # type: ignore[type-arg]
    problem = _problem(api.call("POST", api.ws("/runs"), json_body=body), 422, "VALIDATION_FAILED")
    assert problem["errors"] and all(error["path"] for error in problem["errors"])


def test_form_encoded_body_is_415(api: Api) -> None:
    response = api.call(
        "POST", api.ws("/runs"), body=b"a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    _problem(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_oversized_json_body_is_413(api: Api) -> None:
    body = b'{"inputDocumentId": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = api.call("POST", api.ws("/runs"), body=body, headers={"Content-Type": "application/json"})
    _problem(response, 413, "PAYLOAD_TOO_LARGE")


def test_oversized_multipart_file_is_413(api: Api) -> None:
    boundary = "b"
    content = b"a," * (2 * 1024 * 1024 + 10)
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\n').encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()
    response = api.call(
        "POST", api.ws("/documents"), body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    _problem(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("cursor", ["garbage", "e30", "eyJrIjp7InBrIjoiV1MjeCJ9LCJmIjoiMCJ9", "%%%"])
def test_bad_cursor_is_422(api: Api, cursor: str) -> None:
    _problem(api.call("GET", api.ws("/runs"), query={"cursor": cursor}), 422, "INVALID_CURSOR")


def test_cursor_from_another_workspace_is_422(api: Api) -> None:
    from runs.ids import new_id
    from runs.services.workspaces import bootstrap_workspace
    from tests.integration.conftest import ADMIN_KEY

    document_id = make_csv_upload(api)
    for _ in range(2):
        api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id})
    cursor = api.call("GET", api.ws("/runs"), query={"limit": 1}).json()["meta"]["nextCursor"]
    other = Api(ADMIN_KEY, new_id())
    bootstrap_workspace(other.workspace_id, "Other", ADMIN_KEY)
    _problem(other.call("GET", other.ws("/runs"), query={"limit": 1, "cursor": cursor}), 422, "INVALID_CURSOR")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "201"},
        {"limit": "ten"},
        {"status": "done"},
        {"sort": "name"},
        {"createdAfter": "yesterday"},
        {"unknown": "1"},
    ],
)
def test_bad_list_query_is_422(api: Api, query: dict) -> None:  # type: ignore[type-arg]
    _problem(api.call("GET", api.ws("/runs"), query=query), 422, "VALIDATION_FAILED")


@pytest.mark.parametrize("run_id", ["not-a-uuid", "0190A000-0000-7000-8000-000000000000", "x" * 300, "..%2F"])
def test_malformed_run_id_is_404(api: Api, run_id: str) -> None:
    _problem(api.call("GET", api.ws(f"/runs/{run_id}")), 404, "RUN_NOT_FOUND")
    _problem(api.call("POST", api.ws(f"/runs/{run_id}/cancel")), 404, "RUN_NOT_FOUND")


def test_malformed_document_and_configuration_ids_are_404(api: Api) -> None:
    _problem(api.call("GET", api.ws("/documents/nope")), 404, "DOCUMENT_NOT_FOUND")
    _problem(api.call("GET", api.ws("/configurations/nope")), 404, "CONFIGURATION_NOT_FOUND")


def test_malformed_workspace_id_is_404_for_platform_admin(api: Api) -> None:
    _problem(api.call("GET", "/api/v1/workspaces/not-a-workspace/runs"), 404, "WORKSPACE_NOT_FOUND")


def test_bad_document_declarations_are_422(api: Api) -> None:
    for body in (
        {"filename": "../etc/passwd.csv", "sizeBytes": 5},
        {"filename": "a.exe", "sizeBytes": 5},
        {"filename": "a.csv", "sizeBytes": 0},
        {"filename": "a.csv"},
    ):
        _problem(api.call("POST", api.ws("/documents"), json_body=body), 422, "VALIDATION_FAILED")


def test_declared_document_over_the_limit_is_413(api: Api) -> None:
    response = api.call("POST", api.ws("/documents"), json_body={"filename": "a.csv", "sizeBytes": 10**12})
    _problem(response, 413, "PAYLOAD_TOO_LARGE")


def test_multipart_without_file_field_is_422(api: Api) -> None:
    body = b'--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--b--\r\n'
    response = api.call(
        "POST", api.ws("/documents"), body=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    _problem(response, 422, "VALIDATION_FAILED")


def test_long_idempotency_key_is_422(api: Api) -> None:
    response = api.call(
        "POST",
        api.ws("/runs"),
        json_body={"inputDocumentId": "0190a000-0000-7000-8000-000000000000"},
        headers={"Idempotency-Key": "k" * 300},
    )
    _problem(response, 422, "VALIDATION_FAILED")


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_json_numbers_are_400(api: Api, token: str) -> None:
    body = b'{"schemaVersion": 1, "name": "c", "fields": [{"name": "n", "type": "number", "validators": '
    body += b'[{"kind": "range", "min": ' + token.encode() + b"}]}]}"
    response = api.call("POST", api.ws("/configurations"), body=body, headers={"Content-Type": "application/json"})
    _problem(response, 400, "BAD_REQUEST")


def test_configuration_with_numbers_beyond_dynamodb_range_is_stored_exactly(api: Api) -> None:
    document = {
        "schemaVersion": 1,
        "name": "tiny",
        "fields": [
            {
                "name": "n",
                "type": "number",
                "validators": [{"kind": "range", "min": -2.225073858507203e-309, "max": 1e300}],
            }
        ],
    }
    created = api.call("POST", api.ws("/configurations"), json_body=document)
    assert created.status == 201, created.body
    fetched = api.call("GET", api.ws(f"/configurations/{created.json()['id']}")).json()
    assert fetched["document"]["fields"][0]["validators"][0] == {
        "kind": "range",
        "min": -2.225073858507203e-309,
        "max": 1e300,
    }


def test_configuration_too_large_to_store_is_413(api: Api) -> None:
    fields = [{"name": f"f{i}", "synonyms": [f"{'s' * 190}{i}-{j}" for j in range(100)]} for i in range(20)]
    response = api.call(
        "POST", api.ws("/configurations"), json_body={"schemaVersion": 1, "name": "big", "fields": fields}
    )
    _problem(response, 413, "PAYLOAD_TOO_LARGE")


def test_lone_surrogate_escape_is_400_and_a_valid_pair_is_fine(api: Api) -> None:
    lone = b'{"schemaVersion": 1, "name": "bad \\udc00", "fields": [{"name": "n"}]}'
    response = api.call("POST", api.ws("/configurations"), body=lone, headers={"Content-Type": "application/json"})
    _problem(response, 400, "BAD_REQUEST")
    pair = b'{"schemaVersion": 1, "name": "smile \\ud83d\\ude00", "fields": [{"name": "n"}]}'
    created = api.call("POST", api.ws("/configurations"), body=pair, headers={"Content-Type": "application/json"})
    assert created.status == 201 and created.json()["name"] == "smile \U0001f600"


@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_is_400(api: Api, depth: int) -> None:
    # Given a body nested past the limit (100,000 levels is past Python's own recursion limit too)
    body = b'{"inputDocumentId": "0190a000-0000-7000-8000-000000000000", "options": {"metadata": ' + b"[" * depth
    body += b"]" * depth + b"}}"
    # When it is posted, Then it is a 400 problem, never a 500
    response = api.call("POST", api.ws("/runs"), body=body, headers={"Content-Type": "application/json"})
    problem = _problem(response, 400, "BAD_REQUEST")
    assert "nests deeper" in problem["detail"]


def test_json_nested_up_to_the_limit_is_parsed_and_validated(api: Api) -> None:
    # Given a body exactly at the depth limit, When posted, Then it reaches validation (a 422 for the wrong type)
    body = b'{"inputDocumentId": "0190a000-0000-7000-8000-000000000000", "options": {"metadata": '
    body += b"[" * 30 + b"]" * 30 + b"}}"
    response = api.call("POST", api.ws("/runs"), body=body, headers={"Content-Type": "application/json"})
    _problem(response, 422, "VALIDATION_FAILED")
