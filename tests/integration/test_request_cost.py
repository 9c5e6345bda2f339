"""Per-request DynamoDB cost of the polling endpoints (the authorizer's cached read not included)."""

from __future__ import annotations

from tests.integration.conftest import Api, dynamodb_requests, make_csv_upload


def _handler_only(api: Api, path: str, query: dict | None = None) -> list[str]:  # type: ignore[type-arg]
    import authorizer

    authorizer.verifier.principal({"x-api-key": api.api_key})  # cached now: the authorizer reads nothing
    with dynamodb_requests() as requests:
        assert api.call("GET", path, query=query).status == 200
    return [operation for operation, _ in requests]


def test_get_run_costs_one_read(api: Api) -> None:
    document_id = make_csv_upload(api)
    run_id = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id}).json()["id"]
    assert _handler_only(api, api.ws(f"/runs/{run_id}")) == ["GetItem"]


def test_list_page_costs_one_query(api: Api) -> None:
    document_id = make_csv_upload(api)
    for _ in range(3):
        api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id})
    assert _handler_only(api, api.ws("/runs"), {"limit": "2"}) == ["Query"]
    assert _handler_only(api, api.ws("/runs"), {"limit": "50"}) == ["Query"]
    assert _handler_only(api, api.ws("/runs"), {"inputDocumentId": document_id}) == ["Query"]
