"""Every route in the table: 401 without a key, 403 for a key lacking the permission, and 404 for a
resource that exists in another workspace (no existence oracle)."""

from __future__ import annotations

from typing import Any

import pytest

from runs.routes import ROUTES, Route
from tests.integration.conftest import ADMIN_KEY, Api, make_csv_upload
from tests.integration.run_states import multipart

NOT_FOUND_CODES = {
    "runId": "RUN_NOT_FOUND",
    "documentId": "DOCUMENT_NOT_FOUND",
    "configurationId": "CONFIGURATION_NOT_FOUND",
    "keyId": "API_KEY_NOT_FOUND",
}
CONFIGURATION = {"schemaVersion": 1, "name": "c", "fields": [{"name": "email", "type": "email"}]}


@pytest.fixture
def world(api: Api) -> dict[str, Any]:
    """Workspace A (the `api` fixture's) and workspace B with a run, document, configuration and key."""
    from runs.ids import new_id
    from runs.services.workspaces import bootstrap_workspace

    other = Api(ADMIN_KEY, new_id())
    bootstrap_workspace(other.workspace_id, "B", ADMIN_KEY)
    document_id = make_csv_upload(other)
    run_id = other.call("POST", other.ws("/runs"), json_body={"inputDocumentId": document_id}).json()["id"]
    configuration_id = other.call("POST", other.ws("/configurations"), json_body=CONFIGURATION).json()["id"]
    key_id = other.call("POST", other.ws("/api-keys"), json_body={"name": "k", "role": "viewer"}).json()["apiKey"][
        "keyId"
    ]
    viewer = api.call("POST", api.ws("/api-keys"), json_body={"name": "viewer", "role": "viewer"}).json()["secret"]
    outsider = other.call("POST", other.ws("/api-keys"), json_body={"name": "o", "role": "admin"}).json()["secret"]
    return {
        "a": api,
        "ids": {
            "runId": run_id,
            "documentId": document_id,
            "configurationId": configuration_id,
            "keyId": key_id,
            "workspaceId": api.workspace_id,
        },
        "viewer": viewer,
        "outsider": outsider,
    }


def _path(route: Route, ids: dict[str, str]) -> str:
    path = route.full_path
    for name in route.path_parameters:
        path = path.replace("{" + name + "}", ids[name])
    return path


def _body(route: Route) -> dict[str, Any]:
    """A well-formed body for the route, so each case reaches the check it is about."""
    if route.method != "POST":
        return {}
    if route.multipart:
        body, headers = multipart("file.csv", b"a,b\n1,2\n")
        return {"body": body, "headers": headers}
    return {"json_body": {}}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.handler)
def test_route_without_key_is_401(world: dict[str, Any], route: Route) -> None:
    response = world["a"].call(route.method, _path(route, world["ids"]), **_body(route), api_key="")
    assert response.status == 401


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.handler)
def test_route_with_a_key_lacking_the_permission_is_403(world: dict[str, Any], route: Route) -> None:
    if route.permission == "authenticated":
        pytest.skip("any valid key may call this route")
    from runs.auth import ROLE_PERMISSIONS

    key = world["outsider"] if route.permission in ROLE_PERMISSIONS["viewer"] else world["viewer"]
    response = world["a"].call(route.method, _path(route, world["ids"]), **_body(route), api_key=key)
    assert response.status == 403, (route.handler, response.body)
    assert response.json()["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if set(r.path_parameters) & set(NOT_FOUND_CODES)], ids=lambda r: r.handler
)
def test_resource_of_another_workspace_is_404(world: dict[str, Any], route: Route) -> None:
    response = world["a"].call(route.method, _path(route, world["ids"]), **_body(route))
    assert response.status == 404, (route.handler, response.body)
    resource = next(name for name in route.path_parameters if name in NOT_FOUND_CODES)
    assert response.json()["code"] == NOT_FOUND_CODES[resource]


def test_revoked_key_is_401_once_the_authorizer_cache_expires(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import authorizer

    from runs.constants import AUTHORIZER_MEMORY_CACHE_SECONDS

    created = api.call("POST", api.ws("/api-keys"), json_body={"name": "temp", "role": "operator"}).json()
    assert api.call("GET", api.ws("/runs"), api_key=created["secret"]).status == 200
    assert api.call("DELETE", api.ws(f"/api-keys/{created['apiKey']['keyId']}")).status == 204
    assert api.call("GET", api.ws("/runs"), api_key=created["secret"]).status == 200  # still cached
    later = authorizer.verifier.clock() + AUTHORIZER_MEMORY_CACHE_SECONDS + 1
    monkeypatch.setattr(authorizer.verifier, "clock", lambda: later)
    assert api.call("GET", api.ws("/runs"), api_key=created["secret"]).status == 401


def test_key_with_wrong_secret_is_401(api: Api) -> None:
    key_id = ADMIN_KEY.split(".")[0]
    assert api.call("GET", api.ws("/runs"), api_key=f"{key_id}.wrong-secret-value").status == 401


def test_keys_are_stored_hashed(api: Api) -> None:
    from runs.auth import parse_api_key
    from runs.dal.api_keys import get_api_key

    created = api.call("POST", api.ws("/api-keys"), json_body={"name": "h", "role": "viewer"}).json()
    parsed = parse_api_key({"X-API-Key": created["secret"]})
    assert parsed is not None
    record = get_api_key(parsed.kind, parsed.key_id)
    assert record is not None
    assert parsed.secret not in record.model_dump_json()


def test_viewer_can_read_but_not_manage(api: Api) -> None:
    viewer = api.call("POST", api.ws("/api-keys"), json_body={"name": "v", "role": "viewer"}).json()["secret"]
    assert api.call("GET", api.ws("/runs"), api_key=viewer).status == 200
    assert api.call("GET", api.ws("/configurations/default"), api_key=viewer).status == 200
    assert api.call("POST", api.ws("/runs"), json_body={}, api_key=viewer).status == 403


def test_workspace_creator_becomes_its_admin_and_lists_it(api: Api) -> None:
    created = api.call("POST", "/api/v1/workspaces", json_body={"name": "New"})
    assert created.status == 201
    listed = api.call("GET", "/api/v1/workspaces").json()["items"]
    assert created.json()["id"] in [w["id"] for w in listed]
    assert created.json()["role"] == "admin"


def test_key_sees_only_its_workspaces(api: Api) -> None:
    operator = api.call("POST", api.ws("/api-keys"), json_body={"name": "o", "role": "operator"}).json()["secret"]
    listed = api.call("GET", "/api/v1/workspaces", api_key=operator).json()["items"]
    assert [(w["id"], w["role"]) for w in listed] == [(api.workspace_id, "operator")]
