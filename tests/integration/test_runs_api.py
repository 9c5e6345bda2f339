"""Runs endpoints through the real handlers on moto (DESIGN §4, §6)."""

from __future__ import annotations

from tests.integration.conftest import Api, make_csv_upload


def _create(api: Api, document_id: str, **body: object) -> dict:  # type: ignore[type-arg]
    response = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id, **body})
    assert response.status == 201, response.body
    return response.json()  # type: ignore[no-any-return]


def test_create_accepts_snake_case_spellings(api: Api) -> None:
    document_id = make_csv_upload(api)
    response = api.call(
        "POST", api.ws("/runs"), json_body={"input_document_id": document_id, "options": {"active_sheet_only": True}}
    )
    assert response.status == 201, response.body
    assert response.json()["options"]["activeSheetOnly"] is True


def test_run_resource_has_every_documented_key(api: Api) -> None:
    run = _create(api, make_csv_upload(api))
    assert set(run) == {
        "id",
        "object",
        "workspaceId",
        "configurationId",
        "operation",
        "status",
        "options",
        "attempt",
        "maxAttempts",
        "failureCode",
        "failureStage",
        "failureMessage",
        "progress",
        "createdAt",
        "startedAt",
        "completedAt",
        "durationSeconds",
        "createdBy",
        "input",
        "output",
        "links",
    }
    assert run["createdAt"].endswith("Z") and len(run["createdAt"]) == 24
    assert set(run["links"]) == {
        "self",
        "eventsStream",
        "eventsDownload",
        "inputDownload",
        "output",
        "outputDownload",
        "metrics",
        "fields",
        "columns",
    }
    assert run["output"] == {
        "ready": False,
        "filename": None,
        "contentType": None,
        "sizeBytes": None,
        "origin": None,
        "downloadUrl": None,
    }


def test_unknown_key_is_422_with_its_path(api: Api) -> None:
    document_id = make_csv_upload(api)
    response = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id, "bogus": 1})
    assert response.status == 422
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [("bogus", "extra_forbidden")]


def test_active_sheet_only_with_sheet_names_is_422(api: Api) -> None:
    document_id = make_csv_upload(api)
    response = api.call(
        "POST",
        api.ws("/runs"),
        json_body={"inputDocumentId": document_id, "options": {"activeSheetOnly": True, "inputSheetNames": ["A"]}},
    )
    assert response.status == 422
    assert response.json()["errors"][0]["path"] == "options"


def test_run_on_unknown_document_is_404(api: Api) -> None:
    response = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": "0190a000-0000-7000-8000-000000000000"})
    assert response.status == 404
    assert response.json()["code"] == "DOCUMENT_NOT_FOUND"


def test_run_on_pending_document_is_409(api: Api) -> None:
    created = api.call(
        "POST",
        api.ws("/documents"),
        json_body={"filename": "big.xlsx", "contentType": "application/vnd.ms-excel", "sizeBytes": 10},
    )
    assert created.status == 201, created.body
    response = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": created.json()["document"]["id"]})
    assert response.status == 409
    assert response.json()["code"] == "DOCUMENT_NOT_READY"


def test_cancel_of_cancelled_run_is_200_unchanged(api: Api) -> None:
    run = _create(api, make_csv_upload(api))
    first = api.call("POST", api.ws(f"/runs/{run['id']}/cancel"))
    second = api.call("POST", api.ws(f"/runs/{run['id']}/cancel"))
    assert second.status == 200
    assert second.json() == first.json()


def test_cancel_of_succeeded_run_is_409(api: Api) -> None:
    from runs.dal import runs as store
    from runs.dal.runs import NewEvent
    from runs.models.base import utc_now

    run_id = _create(api, make_csv_upload(api))["id"]
    for target in ("running", "succeeded"):
        record = store.get_run(api.workspace_id, run_id)
        assert record is not None
        assert store.transition(record, target, changes={}, event=NewEvent(f"run.{target}", target), at=utc_now())
    response = api.call("POST", api.ws(f"/runs/{run_id}/cancel"))
    assert response.status == 409
    assert response.json()["code"] == "RUN_NOT_CANCELLABLE"


def test_cancel_writes_a_cancelled_event_after_queued(api: Api) -> None:
    from runs.dal.runs import list_events

    run_id = _create(api, make_csv_upload(api))["id"]
    api.call("POST", api.ws(f"/runs/{run_id}/cancel"))
    assert [(e["seq"], e["event"]) for e in list_events(run_id)] == [(1, "run.queued"), (2, "run.cancelled")]


def test_etag_changes_when_the_run_changes(api: Api) -> None:
    run_id = _create(api, make_csv_upload(api))["id"]
    before = api.call("GET", api.ws(f"/runs/{run_id}")).headers["ETag"]
    api.call("POST", api.ws(f"/runs/{run_id}/cancel"))
    after = api.call("GET", api.ws(f"/runs/{run_id}"), headers={"If-None-Match": before})
    assert after.status == 200
    assert after.headers["ETag"] != before


def test_batch_returns_runs_in_request_order(api: Api) -> None:
    ids = [make_csv_upload(api, filename=f"f{i}.csv") for i in range(3)]
    response = api.call("POST", api.ws("/runs/batch"), json_body={"documentIds": list(reversed(ids))})
    assert response.status == 201, response.body
    assert [run["input"]["documentId"] for run in response.json()["runs"]] == list(reversed(ids))


def test_batch_with_one_missing_document_queues_nothing(api: Api) -> None:
    good = make_csv_upload(api)
    missing = "0190a000-0000-7000-8000-00000000beef"
    response = api.call("POST", api.ws("/runs/batch"), json_body={"documentIds": [good, missing]})
    assert response.status == 404
    assert response.json()["errors"][0]["path"] == "documentIds.1"
    assert api.call("GET", api.ws("/runs")).json()["items"] == []


def test_batch_over_100_documents_is_422(api: Api) -> None:
    ids = [f"0190a000-0000-7000-8000-{i:012d}" for i in range(101)]
    response = api.call("POST", api.ws("/runs/batch"), json_body={"documentIds": ids})
    assert response.status == 422


def test_list_pages_with_cursor_newest_first(api: Api) -> None:
    document_id = make_csv_upload(api)
    created = [_create(api, document_id)["id"] for _ in range(3)]
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.call("GET", api.ws("/runs"), query=query).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["meta"]["nextCursor"]
        if not page["meta"]["hasMore"]:
            break
    assert seen == list(reversed(created))


def test_list_filters_by_status_and_search(api: Api) -> None:
    a = _create(api, make_csv_upload(api, filename="alpha.csv"))["id"]
    b = _create(api, make_csv_upload(api, filename="beta.csv"))["id"]
    api.call("POST", api.ws(f"/runs/{a}/cancel"))
    by_status = api.call("GET", api.ws("/runs"), query={"status": ["cancelled"]}).json()
    assert [i["id"] for i in by_status["items"]] == [a]
    by_q = api.call("GET", api.ws("/runs"), query={"q": "BETA"}).json()
    assert [i["id"] for i in by_q["items"]] == [b]
    by_doc = api.call("GET", api.ws("/runs"), query={"inputDocumentId": b and by_q["items"][0]["input"]["documentId"]})
    assert [i["id"] for i in by_doc.json()["items"]] == [b]


def test_list_sort_ascending(api: Api) -> None:
    document_id = make_csv_upload(api)
    created = [_create(api, document_id)["id"] for _ in range(2)]
    page = api.call("GET", api.ws("/runs"), query={"sort": "createdAt"}).json()
    assert [i["id"] for i in page["items"]] == created


def test_cursor_reused_with_other_filters_is_422(api: Api) -> None:
    document_id = make_csv_upload(api)
    for _ in range(2):
        _create(api, document_id)
    cursor = api.call("GET", api.ws("/runs"), query={"limit": 1}).json()["meta"]["nextCursor"]
    response = api.call("GET", api.ws("/runs"), query={"limit": 1, "cursor": cursor, "status": "queued"})
    assert response.status == 422
    assert response.json()["code"] == "INVALID_CURSOR"


def test_idempotency_key_replays_the_original_response(api: Api) -> None:
    document_id = make_csv_upload(api)
    headers = {"Idempotency-Key": "abc-123"}
    first = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id}, headers=headers)
    second = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id}, headers=headers)
    assert second.status == 201
    assert second.json()["id"] == first.json()["id"]
    assert len(api.call("GET", api.ws("/runs")).json()["items"]) == 1


def test_idempotency_key_with_another_body_is_422(api: Api) -> None:
    document_id = make_csv_upload(api)
    headers = {"Idempotency-Key": "abc-456"}
    api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id}, headers=headers)
    other = api.call(
        "POST",
        api.ws("/runs"),
        json_body={"inputDocumentId": document_id, "options": {"dryRun": True}},
        headers=headers,
    )
    assert other.status == 422
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_idempotency_key_in_flight_is_409(api: Api) -> None:
    from runs.dal import idempotency

    document_id = make_csv_upload(api)
    body = {"inputDocumentId": document_id}
    import hashlib
    import json

    raw = json.dumps(body).encode()
    scope = f"runs_create#{api.ws('/runs')}#itadmin#in-flight"
    assert isinstance(
        idempotency.claim(scope, hashlib.sha256(b"application/json\n" + raw).hexdigest()), idempotency.Claim
    )
    response = api.call("POST", api.ws("/runs"), json_body=body, headers={"Idempotency-Key": "in-flight"})
    assert response.status == 409
    assert response.json()["code"] == "IDEMPOTENCY_IN_PROGRESS"


def test_every_response_carries_a_request_id_and_echoes_one_sent(api: Api) -> None:
    response = api.call("GET", api.ws("/runs"), headers={"X-Request-Id": "trace-42"})
    assert response.headers["X-Request-Id"] == "trace-42"
    assert api.call("GET", api.ws("/runs")).headers["X-Request-Id"]


def test_list_filters_by_creation_time_bounds(api: Api) -> None:
    import time

    document_id = make_csv_upload(api)
    first, second, third = [(_create(api, document_id), time.sleep(0.005))[0] for _ in range(3)]
    after_first = api.call("GET", api.ws("/runs"), query={"createdAfter": first["createdAt"]}).json()
    assert [i["id"] for i in after_first["items"]] == [third["id"], second["id"]]
    before_third = api.call("GET", api.ws("/runs"), query={"createdBefore": third["createdAt"]}).json()
    assert [i["id"] for i in before_third["items"]] == [second["id"], first["id"]]
    naive = api.call("GET", api.ws("/runs"), query={"createdAfter": "2026-01-01T00:00:00"})
    assert naive.status == 422


def test_total_count_on_request(api: Api) -> None:
    document_id = make_csv_upload(api)
    for _ in range(3):
        _create(api, document_id)
    meta = api.call("GET", api.ws("/runs"), query={"limit": 1, "includeTotal": "true"}).json()["meta"]
    assert meta["totalCount"] == 3 and meta["hasMore"] is True
    assert api.call("GET", api.ws("/runs"), query={"limit": 1}).json()["meta"]["totalCount"] is None
