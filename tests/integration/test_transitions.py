"""Run state changes are conditional writes driven by one transition table."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs import transitions
from runs.dal import runs as store
from runs.dal.runs import NewEvent
from runs.errors import RunNotCancellable
from runs.models.base import utc_now
from runs.models.runs import RunRecord
from runs.services import runs as service
from tests.integration.conftest import Api, make_csv_upload, race

STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"]


def _queued_run(api: Api, document_id: str) -> str:
    return str(api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id}).json()["id"])


def _read(api: Api, run_id: str) -> RunRecord:
    record = store.get_run(api.workspace_id, run_id)
    assert record is not None
    return record


def _move(api: Api, run_id: str, target: str) -> bool:
    record = _read(api, run_id)
    return store.transition(
        record,
        target,
        changes={},
        event=NewEvent(f"run.{target}", target),  # type: ignore[arg-type]
        at=utc_now(),
    )


def test_cancel_racing_completion_has_exactly_one_winner(api: Api) -> None:
    document_id = make_csv_upload(api)
    outcomes = {"cancelled": 0, "succeeded": 0}
    for _ in range(15):
        run_id = _queued_run(api, document_id)
        assert _move(api, run_id, "running")
        cancel, complete = race(
            lambda run_id=run_id: service.cancel_run(api_principal(api), api.workspace_id, run_id),  # type: ignore[misc]
            lambda run_id=run_id: _move(api, run_id, "succeeded"),  # type: ignore[misc]
        )
        final = _read(api, run_id)
        events = store.list_events(run_id)
        if final.status == "cancelled":
            assert complete is False and isinstance(cancel, RunRecord)
        else:
            assert final.status == "succeeded"
            assert complete is True and isinstance(cancel, RunNotCancellable)
        outcomes[final.status] += 1
        # Never corrupted: one terminal event, gap-free seq, one version bump per applied transition.
        assert [e["seq"] for e in events] == [1, 2, 3]
        assert events[-1]["event"] == f"run.{final.status}"
        assert final.version == 3 and final.event_seq == 3
    assert sum(outcomes.values()) == 15


def test_two_concurrent_cancels_write_one_cancellation(api: Api) -> None:
    document_id = make_csv_upload(api)
    for _ in range(10):
        run_id = _queued_run(api, document_id)
        first, second = race(
            lambda run_id=run_id: service.cancel_run(api_principal(api), api.workspace_id, run_id),  # type: ignore[misc]
            lambda run_id=run_id: service.cancel_run(api_principal(api), api.workspace_id, run_id),  # type: ignore[misc]
        )
        assert isinstance(first, RunRecord) and isinstance(second, RunRecord)
        assert first.status == second.status == "cancelled"
        assert [e["event"] for e in store.list_events(run_id)] == ["run.queued", "run.cancelled"]


def api_principal(api: Api):  # type: ignore[no-untyped-def]
    from runs.auth import Principal

    return Principal(key_id=api.api_key.split(".")[0], platform_admin=True)


def test_a_stale_read_cannot_overwrite_a_newer_state(api: Api) -> None:
    run_id = _queued_run(api, make_csv_upload(api))
    stale = _read(api, run_id)
    assert _move(api, run_id, "running")
    assert not store.transition(stale, "cancelled", changes={}, event=NewEvent("run.cancelled", "x"), at=utc_now())
    assert _read(api, run_id).status == "running"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(targets=st.lists(st.sampled_from(STATUSES), min_size=1, max_size=6))
def test_random_transition_sequences_follow_the_table(api: Api, targets: list[str]) -> None:
    document_id = getattr(test_random_transition_sequences_follow_the_table, "_document", None)
    if document_id is None or document_id[0] != api.workspace_id:
        document_id = (api.workspace_id, make_csv_upload(api))
        test_random_transition_sequences_follow_the_table._document = document_id  # type: ignore[attr-defined]
    run_id = _queued_run(api, document_id[1])
    expected, applied = "queued", 1
    for target in targets:
        allowed = transitions.is_allowed(expected, target)  # type: ignore[arg-type]
        assert _move(api, run_id, target) is allowed
        if allowed:
            expected, applied = target, applied + 1
    final = _read(api, run_id)
    assert final.status == expected
    assert final.version == applied and final.event_seq == applied
    assert [e["seq"] for e in store.list_events(run_id)] == list(range(1, applied + 1))
    if expected in transitions.TERMINAL:
        assert all(not transitions.is_allowed(expected, t) for t in STATUSES)  # type: ignore[arg-type]


def test_update_keeps_the_status_bumps_the_version_and_appends_its_event(api: Api) -> None:
    run_id = _queued_run(api, make_csv_upload(api))
    before = _read(api, run_id)

    assert store.update(before, changes={"attempt": 2}, event=NewEvent("run.retry", "retry"), at=utc_now())

    after = _read(api, run_id)
    assert (after.status, after.attempt, after.version, after.event_seq) == ("queued", 2, 2, 2)
    assert [e["event"] for e in store.list_events(run_id)] == ["run.queued", "run.retry"]


def test_update_of_a_run_that_changed_since_it_was_read_writes_nothing(api: Api) -> None:
    run_id = _queued_run(api, make_csv_upload(api))
    stale = _read(api, run_id)
    assert _move(api, run_id, "cancelled")

    assert not store.update(stale, changes={"attempt": 2}, event=NewEvent("run.retry", "retry"), at=utc_now())

    after = _read(api, run_id)
    assert (after.status, after.attempt) == ("cancelled", 0)
    assert [e["event"] for e in store.list_events(run_id)] == ["run.queued", "run.cancelled"]


def test_update_with_a_none_value_removes_the_attribute_and_may_skip_the_event(api: Api) -> None:
    run_id = _queued_run(api, make_csv_upload(api))
    assert store.update(_read(api, run_id), changes={"failureMessage": "x"}, event=None, at=utc_now())
    assert _read(api, run_id).failure_message == "x"

    assert store.update(_read(api, run_id), changes={"failureMessage": None}, event=None, at=utc_now())

    after = _read(api, run_id)
    assert after.failure_message is None
    assert after.event_seq == 1


DISALLOWED = [
    (target, stored)
    for target in STATUSES
    for stored in STATUSES
    if transitions.allowed_sources(target) and not transitions.is_allowed(stored, target)  # type: ignore[arg-type]
]


def _force_stored_status(api: Api, run_id: str, status: str) -> None:
    """Change the stored status behind the service's back, leaving the version as it was."""
    from runs.dal import items
    from runs.dal.clients import client
    from runs.dal.runs import run_key
    from runs.settings import get_settings

    client("dynamodb").update_item(
        TableName=get_settings().runs_table,
        Key=items.serialize(run_key(api.workspace_id, run_id)),
        UpdateExpression="SET #status = :status",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues=items.values(status=status),
    )


@pytest.mark.parametrize(("target", "stored"), DISALLOWED, ids=lambda value: str(value))
def test_the_dynamodb_status_condition_refuses_a_disallowed_move_the_python_check_let_through(
    api: Api, target: str, stored: str
) -> None:
    # Given a run read while in a status the move is allowed from, then moved to `stored` (same version)
    run_id = _queued_run(api, make_csv_upload(api))
    as_read = _read(api, run_id).model_copy(update={"status": transitions.allowed_sources(target)[0]})  # type: ignore[arg-type]
    _force_stored_status(api, run_id, stored)
    # When the move is written: the Python pre-check passes (the read status allows it)
    moved = store.transition(as_read, target, changes={}, event=NewEvent(f"run.{target}", target), at=utc_now())  # type: ignore[arg-type]
    # Then only DynamoDB's condition on the stored status stands in the way, and it refuses
    assert moved is False
    after = _read(api, run_id)
    assert (after.status, after.version, after.event_seq) == (stored, 1, 1)
    assert [event["event"] for event in store.list_events(run_id)] == ["run.queued"]
