"""Idempotency-Key: owner tokens, takeovers, secret-free replays, multipart fingerprints, safe batch retries."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import Api, make_csv_upload, multipart_body


def _idempotency_item(pk: str) -> dict[str, Any] | None:
    from runs.dal import items
    from runs.settings import get_settings

    return items.get_item(get_settings().idempotency_table, {"pk": pk})


def _expire_lock(pk: str) -> None:
    from runs.dal import items
    from runs.dal.clients import client
    from runs.settings import get_settings

    client("dynamodb").update_item(
        TableName=get_settings().idempotency_table,
        Key=items.serialize({"pk": pk}),
        UpdateExpression="SET lockedUntil = :past",
        ExpressionAttributeValues=items.values(past=0),
    )


def _scope(api: Api, handler: str, path: str, key: str) -> str:
    return f"{handler}#{path}#{api.api_key.split('.')[0]}#{key}"


# ---- owner tokens ---------------------------------------------------------------------------------


def test_only_the_claimant_completes_or_releases_its_claim(api: Api) -> None:
    from runs.dal import idempotency

    pk = f"test#{api.workspace_id}#owners"
    first = idempotency.claim(pk, "hash-a")
    assert isinstance(first, idempotency.Claim) and first.retry is False
    # Given the first claimant's lock expired (it crashed, say) and a retry took the key over
    _expire_lock(pk)
    second = idempotency.claim(pk, "hash-a")
    assert isinstance(second, idempotency.Claim)
    assert second.retry is True and second.first_attempt_ms == first.first_attempt_ms
    # Then the first claimant can neither complete nor release it any more
    assert idempotency.complete(first, {"status": 201, "body": "stale"}) is False
    assert idempotency.release(first) is False
    item = _idempotency_item(pk)
    assert item is not None and item["status"] == "inProgress" and item["owner"] == second.owner
    # While the new owner completes it
    assert idempotency.complete(second, {"status": 201, "body": "fresh"}) is True
    held = idempotency.claim(pk, "hash-a")
    assert (
        isinstance(held, idempotency.StoredRecord)
        and held.completed
        and held.response
        == {
            "status": 201,
            "body": "fresh",
        }
    )


def test_a_live_claim_is_not_taken_over(api: Api) -> None:
    from runs.dal import idempotency

    pk = f"test#{api.workspace_id}#live"
    assert isinstance(idempotency.claim(pk, "hash-a"), idempotency.Claim)
    held = idempotency.claim(pk, "hash-a")
    assert isinstance(held, idempotency.StoredRecord) and not held.completed


def test_an_expired_claim_of_another_request_is_not_taken_over(api: Api) -> None:
    from runs.dal import idempotency

    pk = f"test#{api.workspace_id}#other-body"
    assert isinstance(idempotency.claim(pk, "hash-a"), idempotency.Claim)
    _expire_lock(pk)
    held = idempotency.claim(pk, "hash-b")
    assert isinstance(held, idempotency.StoredRecord) and held.request_hash == "hash-a"


def test_a_released_claim_is_claimed_again_keeping_its_first_attempt_for_the_same_request(api: Api) -> None:
    from runs.dal import idempotency

    pk = f"test#{api.workspace_id}#released"
    first = idempotency.claim(pk, "hash-a")
    assert isinstance(first, idempotency.Claim) and idempotency.release(first)
    again = idempotency.claim(pk, "hash-a")
    assert isinstance(again, idempotency.Claim)
    assert again.retry is True and again.first_attempt_ms == first.first_attempt_ms
    assert idempotency.release(again)
    # A corrected request (another body) may reuse a released key, as a new first attempt.
    other = idempotency.claim(pk, "hash-b")
    assert isinstance(other, idempotency.Claim) and other.retry is False


# ---- secrets are never stored ---------------------------------------------------------------------


def test_an_api_key_creation_replay_withholds_the_secret(api: Api) -> None:
    headers = {"Idempotency-Key": "new-key-1"}
    body = {"name": "ci", "role": "operator"}
    first = api.call("POST", api.ws("/api-keys"), json_body=body, headers=headers)
    assert first.status == 201
    key_id, secret = first.json()["apiKey"]["keyId"], first.json()["secret"]

    replay = api.call("POST", api.ws("/api-keys"), json_body=body, headers=headers)

    assert replay.status == 409
    problem = replay.json()
    assert problem["code"] == "API_KEY_SECRET_NOT_REPLAYABLE" and key_id in problem["detail"]
    assert problem["requestId"] == replay.headers["X-Request-Id"]
    assert secret not in replay.body.decode()
    stored = _idempotency_item(_scope(api, "api_keys_create", api.ws("/api-keys"), "new-key-1"))
    assert stored is not None and stored["status"] == "completed"
    assert secret.split(".", 1)[1] not in repr(stored)
    assert len(api.call("GET", api.ws("/api-keys")).json()["items"]) == 1  # no second key was made


# ---- multipart ------------------------------------------------------------------------------------


def _upload(api: Api, boundary: str, content: bytes, key: str) -> Any:
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Idempotency-Key": key}
    return api.call("POST", api.ws("/documents"), body=multipart_body(boundary, content, "people.csv"), headers=headers)


def test_a_multipart_retry_with_a_new_boundary_is_the_same_request(api: Api) -> None:
    content = b"email,name\na@example.com,Ann\n"
    first = _upload(api, "boundary-one", content, "upload-1")
    retry = _upload(api, "boundary-two-differs", content, "upload-1")
    assert first.status == retry.status == 201
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()["document"]["id"] == first.json()["document"]["id"]


def test_a_multipart_retry_with_other_content_is_422(api: Api) -> None:
    assert _upload(api, "b1", b"email\na@example.com\n", "upload-2").status == 201
    other = _upload(api, "b1", b"email\nb@example.com\n", "upload-2")
    assert other.status == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


# ---- retries after failures create no duplicate runs ----------------------------------------------


@pytest.fixture
def uploaded_documents(api: Api) -> Iterator[Any]:
    """`uploaded_documents(n)`: n documents already uploaded (written straight to the table)."""
    from runs.dal.documents import put_document
    from runs.ids import new_id
    from runs.models.base import utc_now
    from runs.models.documents import DocumentRecord

    def make(count: int) -> list[str]:
        ids = [new_id() for _ in range(count)]
        for document_id in ids:
            put_document(
                DocumentRecord(
                    id=document_id,
                    workspace_id=api.workspace_id,
                    filename="people.csv",
                    content_type="text/csv",
                    size_bytes=10,
                    status="uploaded",
                    object_key=f"workspaces/{api.workspace_id}/documents/{document_id}/people.csv",
                    created_at=utc_now(),
                )
            )
        return ids

    yield make


def _runs_per_document(api: Api) -> dict[str, int]:
    counts: dict[str, int] = {}
    cursor = None
    while True:
        page = api.call("GET", api.ws("/runs"), query={"limit": 200, **({"cursor": cursor} if cursor else {})}).json()
        for run in page["items"]:
            counts[run["input"]["documentId"]] = counts.get(run["input"]["documentId"], 0) + 1
        cursor = page["meta"]["nextCursor"]
        if not cursor:
            return counts


def test_a_batch_retried_after_a_partial_failure_creates_no_duplicate_runs(
    api: Api, uploaded_documents: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runs.dal import items
    from runs.services.runs import RUNS_PER_TRANSACTION

    # Given a batch that needs two transactions, and a DynamoDB that fails the second one once
    document_ids = uploaded_documents(RUNS_PER_TRANSACTION + 10)
    real_transact = items.transact
    calls = {"runs": 0}

    def second_transaction_fails(operations: Any) -> None:
        if any(op.get("Put", {}).get("TableName", "").endswith("-runs") for op in operations):
            calls["runs"] += 1
            if calls["runs"] == 2:
                raise ClientError(
                    {"Error": {"Code": "InternalServerError", "Message": "injected"}}, "TransactWriteItems"
                )
        real_transact(operations)

    monkeypatch.setattr(items, "transact", second_transaction_fails)
    body = {"documentIds": document_ids}
    headers = {"Idempotency-Key": "batch-partial"}
    failed = api.call("POST", api.ws("/runs/batch"), json_body=body, headers=headers)
    assert failed.status == 500
    assert sum(_runs_per_document(api).values()) == RUNS_PER_TRANSACTION  # the first transaction landed

    # When the client retries the same request with the same key
    retried = api.call("POST", api.ws("/runs/batch"), json_body=body, headers=headers)

    # Then every document has exactly one run, and the answer lists them all in request order
    assert retried.status == 201, retried.body
    assert _runs_per_document(api) == dict.fromkeys(document_ids, 1)
    runs = retried.json()["runs"]
    assert [run["input"]["documentId"] for run in runs] == document_ids
    assert calls["runs"] == 3  # the retry wrote only the second transaction's runs
    replay = api.call("POST", api.ws("/runs/batch"), json_body=body, headers=headers)
    assert [run["id"] for run in replay.json()["runs"]] == [run["id"] for run in runs]


def test_a_batch_without_a_key_gets_new_runs_each_time(api: Api, uploaded_documents: Any) -> None:
    document_ids = uploaded_documents(2)
    for _ in range(2):
        assert api.call("POST", api.ws("/runs/batch"), json_body={"documentIds": document_ids}).status == 201
    assert _runs_per_document(api) == dict.fromkeys(document_ids, 2)


def test_a_run_whose_claimant_died_after_writing_is_not_written_twice(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runs.dal import idempotency

    # Given a create that wrote its run, then died before recording its response
    document_id = make_csv_upload(api)
    body = {"inputDocumentId": document_id}
    headers = {"Idempotency-Key": "died-after-write"}

    def dies(*_: Any) -> bool:
        raise TimeoutError("the function timed out")

    with monkeypatch.context() as patched:
        patched.setattr(idempotency, "complete", dies)
        assert api.call("POST", api.ws("/runs"), json_body=body, headers=headers).status == 500
    # When its in-flight lock expires and the client retries
    _expire_lock(_scope(api, "runs_create", api.ws("/runs"), "died-after-write"))
    retried = api.call("POST", api.ws("/runs"), json_body=body, headers=headers)
    # Then the retry answers with the run the first attempt wrote, and there is still one run
    assert retried.status == 201
    assert _runs_per_document(api) == {document_id: 1}
    assert retried.json()["id"] == api.call("GET", api.ws("/runs")).json()["items"][0]["id"]


def test_derived_ids_are_stable_distinct_and_time_ordered() -> None:
    from runs.ids import IdSource, derived_id, is_valid_id

    source = IdSource(seed=hashlib.sha256(b"scope").hexdigest(), first_attempt_ms=1_700_000_000_000)
    first, second = source.new_id("run#a"), source.new_id("run#b")
    assert is_valid_id(first) and first[14] == "7"
    assert first == source.new_id("run#a") and first != second
    assert derived_id(1_700_000_000_000, "x") < derived_id(1_700_000_000_001, "x")
    assert IdSource().new_id("run#a") != IdSource().new_id("run#a")  # no seed: random
