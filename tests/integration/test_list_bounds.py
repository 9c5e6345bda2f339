"""Lists stay bounded: a configuration page never carries documents, and includeTotal reads a bounded count."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Api, dynamodb_requests, make_csv_upload


def _big_configuration(name: str) -> dict[str, Any]:
    """About 200 KB stored: near the per-item cap, so 200 of them would be 40 MB."""
    fields = [{"name": f"f{i}", "synonyms": [f"{'s' * 190}{i}-{j}" for j in range(100)]} for i in range(10)]
    return {"schemaVersion": 1, "name": name, "fields": fields}


def test_a_configuration_page_lists_summaries_without_documents(api: Api) -> None:
    # Given configurations whose documents are large
    ids = []
    for index in range(3):
        created = api.call("POST", api.ws("/configurations"), json_body=_big_configuration(f"big-{index}"))
        assert created.status == 201, created.body
        ids.append(created.json()["id"])
    api.call("POST", api.ws(f"/configurations/{ids[1]}/activate"))
    # When they are listed
    with dynamodb_requests() as requests:
        page = api.call("GET", api.ws("/configurations"), query={"limit": 200})
    # Then the page names them without their documents, and DynamoDB was asked for no document either
    assert page.status == 200 and len(page.body) < 5_000
    items = page.json()["items"]
    assert [item["id"] for item in items] == ids[::-1]
    assert all("document" not in item for item in items)
    assert [item["active"] for item in items] == [False, True, False]
    assert set(items[0]) == {"id", "object", "workspaceId", "name", "active", "builtIn", "createdAt", "createdBy"}
    queries = [params for operation, params in requests if operation == "Query"]
    assert queries and all("document" not in params["ExpressionAttributeNames"].values() for params in queries)
    # And the full document is one GET away
    assert len(api.call("GET", api.ws(f"/configurations/{ids[0]}")).json()["document"]["fields"]) == 10


def test_include_total_is_exact_within_the_bound(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from runs.services import runs

    monkeypatch.setattr(runs, "MAX_TOTAL_COUNT", 3)
    document_id = make_csv_upload(api)
    for _ in range(3):
        api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id})
    meta = api.call("GET", api.ws("/runs"), query={"limit": 1, "includeTotal": "true"}).json()["meta"]
    assert meta["totalCount"] == 3


def test_include_total_past_the_bound_is_null_and_reads_no_more(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from runs.services import runs

    monkeypatch.setattr(runs, "MAX_TOTAL_COUNT", 3)
    document_id = make_csv_upload(api)
    for _ in range(5):
        api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id})
    with dynamodb_requests() as requests:
        meta = api.call("GET", api.ws("/runs"), query={"limit": 1, "includeTotal": "true"}).json()["meta"]
    assert meta["totalCount"] is None
    counts = [params for operation, params in requests if operation == "Query" and params.get("Select") == "COUNT"]
    assert len(counts) == 1 and counts[0]["Limit"] == 4
