"""API key lifecycle: prefixes, platform-admin keys, the last admin key, expiry, lastUsedAt, audit fields."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from runs.constants import AUTHORIZER_MEMORY_CACHE_SECONDS, AUTHORIZER_REJECTED_CACHE_SECONDS
from tests.integration.conftest import Api, dynamodb_requests, race

ISSUED_KEY = re.compile(
    r"^rk_(live|admin)_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.[\w-]{43}$"
)


def create_key(api: Api, role: str = "admin", **extra: Any) -> dict[str, Any]:
    response = api.call("POST", api.ws("/api-keys"), json_body={"name": f"{role} key", "role": role, **extra})
    assert response.status == 201, response.body
    return dict(response.json())


def key_item(kind: str, key_id: str) -> dict[str, Any]:
    from runs.dal import items
    from runs.dal.api_keys import key_item_key
    from runs.settings import get_settings

    item = items.get_item(get_settings().workspaces_table, key_item_key(kind, key_id))  # type: ignore[arg-type]
    assert item is not None
    return item


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Move the authorizer's clocks forward: `later(seconds)` expires its caches and ages every key."""
    import authorizer

    from runs.models.base import utc_now
    from runs.services import api_keys

    start_monotonic, start_wall = authorizer.verifier.clock(), utc_now()

    def advance(seconds: float) -> None:
        monkeypatch.setattr(authorizer.verifier, "clock", lambda: start_monotonic + seconds)
        monkeypatch.setattr(api_keys, "utc_now", lambda: start_wall + timedelta(seconds=seconds))

    return advance


def test_an_issued_workspace_key_carries_the_live_prefix_and_works(api: Api) -> None:
    created = create_key(api, "viewer")
    assert ISSUED_KEY.match(created["secret"])
    assert created["secret"].startswith(f"rk_live_{created['apiKey']['keyId']}.")
    assert api.call("GET", api.ws("/runs"), api_key=created["secret"]).status == 200


def test_a_live_key_presented_as_an_admin_key_is_401(api: Api) -> None:
    secret = create_key(api, "admin")["secret"]
    assert api.call("GET", api.ws("/runs"), api_key=secret.replace("rk_live_", "rk_admin_")).status == 401
    assert api.call("GET", api.ws("/runs"), api_key=secret.removeprefix("rk_live_")).status == 401


def test_key_lookups_read_consistently(api: Api) -> None:
    import authorizer

    secret = create_key(api, "viewer")["secret"]
    with dynamodb_requests() as requests:
        authorizer.verifier.principal({"x-api-key": secret})
    reads = [params for operation, params in requests if operation == "GetItem"]
    assert len(reads) == 1 and reads[0]["ConsistentRead"] is True


def test_a_junk_key_id_costs_one_read_until_the_rejection_expires(api: Api, later: Any) -> None:
    junk = "rk_live_0190a000-0000-7000-8000-0000000000aa.not-a-real-secret"
    with dynamodb_requests() as requests:
        statuses = [api.call("GET", api.ws("/runs"), api_key=junk).status for _ in range(5)]
    assert statuses == [401] * 5
    assert [operation for operation, _ in requests] == ["GetItem"]
    later(AUTHORIZER_REJECTED_CACHE_SECONDS + 1)
    with dynamodb_requests() as requests:
        assert api.call("GET", api.ws("/runs"), api_key=junk).status == 401
    assert [operation for operation, _ in requests] == ["GetItem"]


def test_a_wrong_secret_for_a_known_key_costs_no_read(api: Api) -> None:
    secret = create_key(api, "viewer")["secret"]
    assert api.call("GET", api.ws("/runs"), api_key=secret).status == 200
    wrong = secret.rsplit(".", 1)[0] + ".wrong-secret-value"
    with dynamodb_requests() as requests:
        assert api.call("GET", api.ws("/runs"), api_key=wrong).status == 401
    assert not requests


def test_an_expired_key_is_401_even_while_cached(api: Api, later: Any) -> None:
    from runs.models.base import format_timestamp, utc_now

    expires = format_timestamp(utc_now() + timedelta(minutes=5))
    created = create_key(api, "operator", expiresAt=expires)
    assert created["apiKey"]["expiresAt"] == expires
    assert api.call("GET", api.ws("/runs"), api_key=created["secret"]).status == 200
    later(5 * 60 + 1)
    assert api.call("GET", api.ws("/runs"), api_key=created["secret"]).status == 401


def test_an_expiry_in_the_past_is_422(api: Api) -> None:
    response = api.call(
        "POST", api.ws("/api-keys"), json_body={"name": "k", "role": "viewer", "expiresAt": "2020-01-01T00:00:00Z"}
    )
    assert response.status == 422
    assert response.json()["errors"][0]["path"] == "expiresAt"


def test_last_used_at_is_written_at_most_once_an_hour(api: Api, later: Any) -> None:
    created = create_key(api, "viewer")
    key_id = created["apiKey"]["keyId"]

    def writes_while_calling() -> int:
        with dynamodb_requests() as requests:
            assert api.call("GET", api.ws("/runs"), api_key=created["secret"]).status == 200
        return sum(1 for operation, params in requests if operation == "UpdateItem" and "lastUsedAt" in str(params))

    assert writes_while_calling() == 1
    first = key_item("workspace", key_id)["lastUsedAt"]
    assert writes_while_calling() == 0
    later(AUTHORIZER_MEMORY_CACHE_SECONDS + 1)  # a fresh read of the key: still within the hour
    assert writes_while_calling() == 0
    later(3600 + 1)
    assert writes_while_calling() == 1
    assert key_item("workspace", key_id)["lastUsedAt"] > first
    listed = api.call("GET", api.ws("/api-keys")).json()["items"]
    assert next(item for item in listed if item["keyId"] == key_id)["lastUsedAt"] is not None


def test_the_last_used_condition_refuses_a_second_write_within_the_hour(api: Api) -> None:
    from runs.dal.api_keys import record_key_use
    from runs.models.base import utc_now

    key_id = create_key(api, "viewer")["apiKey"]["keyId"]
    now = utc_now()
    assert record_key_use("workspace", key_id, now) is True
    assert record_key_use("workspace", key_id, now + timedelta(minutes=59)) is False  # another container, say
    assert record_key_use("workspace", key_id, now + timedelta(minutes=60)) is True


def test_creation_and_revocation_record_who_did_it(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    admin_key_id = api.api_key.split(".")[0]
    created = create_key(api, "viewer")
    key_id = created["apiKey"]["keyId"]
    assert created["apiKey"]["createdBy"] == admin_key_id
    with caplog.at_level("INFO", logger="runs-api"):
        assert api.call("DELETE", api.ws(f"/api-keys/{key_id}")).status == 204
    item = key_item("workspace", key_id)
    assert item["createdBy"] == admin_key_id and item["revokedBy"] == admin_key_id and item["revokedAt"]
    audits = [record.__dict__["audit"] for record in caplog.records if "audit" in record.__dict__]
    assert {"action": "apiKey.revoked", "keyId": key_id, "workspaceId": api.workspace_id, "role": "viewer"}.items() <= (
        audits[-1].items()
    )
    assert audits[-1]["by"] == admin_key_id


def test_revoking_the_last_admin_key_is_409(api: Api) -> None:
    first = create_key(api, "admin")
    first_id = first["apiKey"]["keyId"]
    response = api.call("DELETE", api.ws(f"/api-keys/{first_id}"))
    assert response.status == 409 and response.json()["code"] == "LAST_ADMIN_KEY"
    second = create_key(api, "admin")
    assert api.call("DELETE", api.ws(f"/api-keys/{first_id}"), api_key=second["secret"]).status == 204
    # The remaining admin key cannot revoke itself either.
    response = api.call("DELETE", api.ws(f"/api-keys/{second['apiKey']['keyId']}"), api_key=second["secret"])
    assert response.status == 409 and response.json()["code"] == "LAST_ADMIN_KEY"
    assert [key["keyId"] for key in api.call("GET", api.ws("/api-keys")).json()["items"]] == [second["apiKey"]["keyId"]]


def test_other_roles_are_revoked_whatever_the_admin_count(api: Api) -> None:
    viewer = create_key(api, "viewer")
    assert api.call("DELETE", api.ws(f"/api-keys/{viewer['apiKey']['keyId']}")).status == 204


def test_concurrent_revocations_of_the_last_two_admin_keys_leave_one(api: Api) -> None:
    from runs.ids import new_id
    from runs.services.workspaces import bootstrap_workspace

    for _ in range(5):
        # Given a fresh workspace with exactly two admin keys
        workspace = Api(api.api_key, new_id())
        bootstrap_workspace(workspace.workspace_id, "race", api.api_key)
        keys = [create_key(workspace, "admin")["apiKey"]["keyId"] for _ in range(2)]
        # When both are revoked at once, Then exactly one revocation wins and one admin key remains
        paths = [workspace.ws(f"/api-keys/{key_id}") for key_id in keys]
        revocations = [lambda path=path, caller=workspace: caller.call("DELETE", path) for path in paths]
        assert sorted(response.status for response in race(*revocations)) == [204, 409]  # type: ignore[attr-defined]
        remaining = [key["keyId"] for key in workspace.call("GET", workspace.ws("/api-keys")).json()["items"]]
        assert len(remaining) == 1 and remaining[0] in keys


def test_the_admin_count_condition_holds_without_the_service_check(api: Api) -> None:
    # Given the workspace's only admin key, read before a second revoke could change anything
    from runs.dal.api_keys import get_membership, revoke_workspace_key
    from runs.models.base import utc_now

    only = create_key(api, "admin")["apiKey"]["keyId"]
    membership = get_membership(api.workspace_id, only)
    assert membership is not None
    # When the data layer is asked directly, Then the transaction's own condition refuses it
    assert revoke_workspace_key(membership, utc_now(), "test") == "lastAdmin"


def test_a_key_of_another_workspace_or_unknown_is_404(api: Api) -> None:
    for key_id in ("0190a000-0000-7000-8000-0000000000bb", "not-an-id"):
        response = api.call("DELETE", api.ws(f"/api-keys/{key_id}"))
        assert response.status == 404 and response.json()["code"] == "API_KEY_NOT_FOUND"


def test_platform_admin_keys_are_listed_and_revoking_one_stops_it(api: Api, later: Any) -> None:
    from runs.services.api_keys import issue_platform_key

    # Given a second platform-admin key, minted on the bootstrap path
    key, secret = issue_platform_key("ops", created_by="test")
    assert ISSUED_KEY.match(secret) and secret.startswith("rk_admin_")
    assert api.call("GET", "/api/v1/workspaces", api_key=secret).status == 200
    listed = api.call("GET", "/api/v1/admin/api-keys").json()["items"]
    assert key.key_id in [item["keyId"] for item in listed]
    assert all(item["object"] == "platformApiKey" for item in listed)
    # When a platform admin revokes it
    assert api.call("DELETE", f"/api/v1/admin/api-keys/{key.key_id}").status == 204
    # Then it is no longer listed, records who revoked it, and stops working once the cache expires
    listed = api.call("GET", "/api/v1/admin/api-keys").json()["items"]
    assert key.key_id not in [item["keyId"] for item in listed]
    assert key_item("platform", key.key_id)["revokedBy"] == api.api_key.split(".")[0]
    later(AUTHORIZER_MEMORY_CACHE_SECONDS + 1)
    assert api.call("GET", "/api/v1/workspaces", api_key=secret).status == 401
    again = api.call("DELETE", f"/api/v1/admin/api-keys/{key.key_id}")
    assert again.status == 404 and again.json()["code"] == "API_KEY_NOT_FOUND"


def test_a_workspace_admin_cannot_see_or_revoke_platform_keys(api: Api) -> None:
    admin = create_key(api, "admin")["secret"]
    assert api.call("GET", "/api/v1/admin/api-keys", api_key=admin).status == 403
    key_id = api.api_key.split(".")[0]
    assert api.call("DELETE", f"/api/v1/admin/api-keys/{key_id}", api_key=admin).status == 403


def test_a_workspace_key_item_claiming_platform_admin_confers_nothing(api: Api) -> None:
    # Given a workspace key whose item a writer tampered with, the way only a platform key could look
    from runs.dal.clients import client
    from runs.dal.items import serialize
    from runs.settings import get_settings

    created = create_key(api, "viewer")
    item = key_item("workspace", created["apiKey"]["keyId"])
    item.update(platformAdmin=True, roles={})
    client("dynamodb").put_item(TableName=get_settings().workspaces_table, Item=serialize(item))
    # Then being a platform admin is where a key lives, not what its item says
    import authorizer

    principal = authorizer.verifier.principal({"x-api-key": created["secret"]})
    assert principal.platform_admin is False and principal.roles == {}
