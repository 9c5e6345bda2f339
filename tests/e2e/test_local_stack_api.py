"""The Runs API as `make dev` serves it: the real handlers, authorizer and moto, over real HTTP."""

from __future__ import annotations

import re
import shlex
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from runs.routes import ROUTES, Route
from tests.e2e.conftest import LocalStackProcess

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code", "requestId", "errors"}
VIEWER_PERMISSIONS = {"runs.read", "documents.read", "configurations.read", "workspaces.read"}
CSV = b"email,name\na@example.com,Ann\nb@example.com,Bob\n"


@dataclass
class Client:
    api_url: str
    api_key: str | None
    workspace_id: str

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.api_key is not None:
            headers.setdefault("X-API-Key", self.api_key)
        url = path if path.startswith("http") else self.api_url + path
        return requests.request(method, url, headers=headers, timeout=30, **kwargs)

    def ws(self, suffix: str = "") -> str:
        return f"/workspaces/{self.workspace_id}{suffix}"

    def upload(self, content: bytes = CSV, filename: str = "people.csv") -> dict[str, Any]:
        response = self.request("POST", self.ws("/documents"), files={"file": (filename, content, "text/csv")})
        assert response.status_code == 201, response.text
        document: dict[str, Any] = response.json()["document"]
        return document

    def create_run(self, document_id: str) -> dict[str, Any]:
        response = self.request("POST", self.ws("/runs"), json={"inputDocumentId": document_id})
        assert response.status_code == 201, response.text
        run: dict[str, Any] = response.json()
        return run


def _printed(stack: LocalStackProcess, label: str) -> str:
    match = re.search(rf"^\s*{label}\s+(\S+)\s*$", stack.stdout(), re.MULTILINE)
    assert match, f"`python -m local` did not print its {label}:\n{stack.stdout()}"
    return match.group(1)


def assert_problem(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert set(problem) == PROBLEM_KEYS
    assert (problem["status"], problem["code"]) == (status, code)
    assert "Traceback" not in response.text
    return problem


@pytest.fixture(scope="module")
def admin(local_stack: LocalStackProcess) -> Client:
    return Client(local_stack.api_url, _printed(local_stack, "API key"), _printed(local_stack, "workspace"))


@pytest.fixture(scope="module")
def viewer(admin: Client) -> Client:
    response = admin.request("POST", admin.ws("/api-keys"), json={"name": "e2e viewer", "role": "viewer"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["apiKey"]["role"] == "viewer"
    return Client(admin.api_url, created["secret"], admin.workspace_id)


@pytest.fixture(scope="module")
def other_workspace(admin: Client) -> Client:
    """Workspace B, where the viewer of workspace A has no role; the platform admin key administers it."""
    response = admin.request("POST", "/workspaces", json={"name": "e2e workspace B"})
    assert response.status_code == 201, response.text
    return Client(admin.api_url, admin.api_key, response.json()["id"])


@pytest.fixture(scope="module")
def document(admin: Client) -> dict[str, Any]:
    return admin.upload()


def _path_for(route: Route, workspace_id: str) -> str:
    values = {name: str(uuid.uuid4()) for name in route.path_parameters} | {"workspaceId": workspace_id}
    return route.full_path.removeprefix("/api/v1").format(**values)


# --- the gateway in front of every route --------------------------------------------------------------


def test_health_is_200(local_stack: LocalStackProcess) -> None:
    assert requests.get(local_stack.base_url + "/health", timeout=10).json() == {"status": "ok"}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.handler)
def test_every_route_without_a_key_is_401(admin: Client, route: Route) -> None:
    anonymous = Client(admin.api_url, None, admin.workspace_id)
    assert_problem(anonymous.request(route.method, _path_for(route, admin.workspace_id)), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if r.permission not in VIEWER_PERMISSIONS | {"authenticated"}],
    ids=lambda r: r.handler,
)
def test_every_route_needing_more_than_read_is_403_for_a_viewer(viewer: Client, route: Route) -> None:
    assert_problem(viewer.request(route.method, _path_for(route, viewer.workspace_id)), 403, "FORBIDDEN")


@pytest.mark.parametrize("route", [r for r in ROUTES if r.permission in VIEWER_PERMISSIONS], ids=lambda r: r.handler)
def test_every_read_route_is_403_in_a_workspace_where_the_key_has_no_role(
    viewer: Client, other_workspace: Client, route: Route
) -> None:
    response = viewer.request(route.method, _path_for(route, other_workspace.workspace_id))
    assert_problem(response, 403, "FORBIDDEN")


def test_workspace_list_shows_a_viewer_only_its_workspace(viewer: Client, other_workspace: Client) -> None:
    response = viewer.request("GET", "/workspaces")
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == [viewer.workspace_id]


def test_bad_key_is_401(admin: Client) -> None:
    bad = Client(admin.api_url, "local.wrong-secret-value", admin.workspace_id)
    assert_problem(bad.request("GET", bad.ws("/runs")), 401, "UNAUTHENTICATED")


def test_malformed_key_is_401(admin: Client) -> None:
    malformed = Client(admin.api_url, "no-dot-in-this-key", admin.workspace_id)
    assert_problem(malformed.request("GET", malformed.ws("/runs")), 401, "UNAUTHENTICATED")


def test_bearer_authorization_is_accepted(admin: Client) -> None:
    bearer = Client(admin.api_url, None, admin.workspace_id)
    response = bearer.request("GET", bearer.ws("/runs"), headers={"Authorization": f"Bearer {admin.api_key}"})
    assert response.status_code == 200, response.text


def test_unknown_route_is_404_problem(admin: Client) -> None:
    assert_problem(admin.request("GET", admin.ws("/nothing-here")), 404, "NOT_FOUND")


def test_cors_preflight_on_a_real_route(admin: Client) -> None:
    response = requests.options(
        admin.api_url + admin.ws("/runs"),
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert {"GET", "POST"} <= set(response.headers["Access-Control-Allow-Methods"].split(","))


def test_handler_responses_carry_cors_headers_for_local_origins(admin: Client) -> None:
    response = admin.request("GET", admin.ws("/runs"), headers={"Origin": "http://127.0.0.1:5173"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5173"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_x_request_id_is_echoed_on_success_and_on_errors(admin: Client) -> None:
    ok = admin.request("GET", admin.ws("/runs"), headers={"X-Request-Id": "e2e-trace-1"})
    assert ok.headers["X-Request-Id"] == "e2e-trace-1"
    missing = admin.request("GET", admin.ws(f"/runs/{uuid.uuid4()}"), headers={"X-Request-Id": "e2e-trace-2"})
    assert missing.headers["X-Request-Id"] == "e2e-trace-2"
    assert assert_problem(missing, 404, "RUN_NOT_FOUND")["requestId"] == "e2e-trace-2"
    fresh = admin.request("GET", admin.ws("/runs"))
    assert fresh.headers["X-Request-Id"]


# --- documents ------------------------------------------------------------------------------------------


def test_multipart_upload_creates_an_uploaded_document(admin: Client) -> None:
    response = admin.request("POST", admin.ws("/documents"), files={"file": ("people.csv", CSV, "text/csv")})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["upload"] is None
    assert created["document"]["status"] == "uploaded"
    assert created["document"]["filename"] == "people.csv"
    assert created["document"]["sizeBytes"] == len(CSV)
    assert response.headers["Location"].endswith(created["document"]["id"])


def test_presigned_upload_then_the_document_is_uploaded(admin: Client) -> None:
    response = admin.request(
        "POST",
        admin.ws("/documents"),
        json={"filename": "big.csv", "contentType": "text/csv", "sizeBytes": len(CSV)},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["document"]["status"] == "pendingUpload"
    upload = created["upload"]
    assert upload["method"] == "POST"
    assert upload["expiresAt"].endswith("Z")

    posted = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("big.csv", CSV, "text/csv")}, timeout=30
    )
    assert posted.status_code in (200, 201, 204), posted.text

    document = admin.request("GET", admin.ws(f"/documents/{created['document']['id']}"))
    assert document.status_code == 200, document.text
    assert document.json()["status"] == "uploaded"


def test_run_on_a_pending_document_is_409(admin: Client) -> None:
    pending = admin.request(
        "POST",
        admin.ws("/documents"),
        json={"filename": "later.csv", "contentType": "text/csv", "sizeBytes": 10},
    ).json()["document"]
    response = admin.request("POST", admin.ws("/runs"), json={"inputDocumentId": pending["id"]})
    assert_problem(response, 409, "DOCUMENT_NOT_READY")


# --- runs -----------------------------------------------------------------------------------------------


def test_create_run_is_201_queued_with_location(admin: Client, document: dict[str, Any]) -> None:
    response = admin.request("POST", admin.ws("/runs"), json={"inputDocumentId": document["id"]})
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["status"] == "queued"
    assert run["workspaceId"] == admin.workspace_id
    assert run["input"]["documentId"] == document["id"]
    assert response.headers["Location"].endswith(f"/runs/{run['id']}")


def test_get_run_has_an_etag_and_if_none_match_is_304(admin: Client, document: dict[str, Any]) -> None:
    run = admin.create_run(document["id"])
    first = admin.request("GET", admin.ws(f"/runs/{run['id']}"))
    assert first.status_code == 200, first.text
    assert first.json()["id"] == run["id"]
    etag = first.headers["ETag"]
    again = admin.request("GET", admin.ws(f"/runs/{run['id']}"), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_list_runs_pages_with_a_cursor(admin: Client) -> None:
    fresh = Client(
        admin.api_url,
        admin.api_key,
        admin.request("POST", "/workspaces", json={"name": "paging"}).json()["id"],
    )
    document = fresh.upload()
    created = [fresh.create_run(document["id"])["id"] for _ in range(3)]

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = fresh.request("GET", fresh.ws("/runs"), params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 1
        seen += [item["id"] for item in body["items"]]
        cursor = body["meta"]["nextCursor"]
        assert body["meta"]["hasMore"] == (cursor is not None)
        if cursor is None:
            break
    assert seen == list(reversed(created))  # newest first by default


def test_cancel_is_200_cancelled_and_again_unchanged(admin: Client, document: dict[str, Any]) -> None:
    run = admin.create_run(document["id"])
    cancelled = admin.request("POST", admin.ws(f"/runs/{run['id']}/cancel"))
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    again = admin.request("POST", admin.ws(f"/runs/{run['id']}/cancel"))
    assert again.status_code == 200, again.text
    assert again.json() == cancelled.json()


def test_batch_creates_runs_in_request_order(admin: Client) -> None:
    documents = [admin.upload(filename=f"batch-{n}.csv")["id"] for n in range(3)]
    response = admin.request("POST", admin.ws("/runs/batch"), json={"documentIds": documents})
    assert response.status_code == 201, response.text
    runs = response.json()["runs"]
    assert [run["input"]["documentId"] for run in runs] == documents
    assert {run["status"] for run in runs} == {"queued"}


def test_run_of_another_workspace_is_404(admin: Client, other_workspace: Client) -> None:
    foreign_run = other_workspace.create_run(other_workspace.upload()["id"])
    assert_problem(admin.request("GET", admin.ws(f"/runs/{foreign_run['id']}")), 404, "RUN_NOT_FOUND")
    cancel = admin.request("POST", admin.ws(f"/runs/{foreign_run['id']}/cancel"))
    assert_problem(cancel, 404, "RUN_NOT_FOUND")
    still = other_workspace.request("GET", other_workspace.ws(f"/runs/{foreign_run['id']}"))
    assert still.json()["status"] == "queued"


def test_bad_json_body_is_a_400_problem(admin: Client) -> None:
    response = admin.request("POST", admin.ws("/runs"), data=b"{not json", headers={"Content-Type": "application/json"})
    assert_problem(response, 400, "BAD_REQUEST")


def test_unknown_body_key_is_422_with_the_path(admin: Client, document: dict[str, Any]) -> None:
    response = admin.request("POST", admin.ws("/runs"), json={"inputDocumentId": document["id"], "colour": "red"})
    problem = assert_problem(response, 422, "VALIDATION_FAILED")
    assert any("colour" in error["path"] for error in problem["errors"])


def test_concurrent_gets_each_return_their_own_run(admin: Client, document: dict[str, Any]) -> None:
    run_ids = [admin.create_run(document["id"])["id"] for _ in range(8)]

    def fetch(run_id: str) -> str:
        response = admin.request("GET", admin.ws(f"/runs/{run_id}"), headers={"X-Request-Id": f"get-{run_id}"})
        assert response.headers["X-Request-Id"] == f"get-{run_id}"
        return str(response.json()["id"])

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(fetch, run_ids * 3)) == run_ids * 3


def test_concurrent_cancels_of_one_run_all_see_it_cancelled(admin: Client, document: dict[str, Any]) -> None:
    run = admin.create_run(document["id"])
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda _: admin.request("POST", admin.ws(f"/runs/{run['id']}/cancel")), range(6)))
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    assert {r.json()["status"] for r in responses} == {"cancelled"}


# --- what `make dev` prints -----------------------------------------------------------------------------


def test_printed_curl_works(local_stack: LocalStackProcess) -> None:
    line = next(line for line in local_stack.stdout().splitlines() if line.strip().startswith("curl "))
    arguments = shlex.split(line)
    headers = dict(
        arguments[i + 1].split(": ", 1) for i, argument in enumerate(arguments) if argument in ("-H", "--header")
    )
    (url,) = [a for a in arguments[1:] if a.startswith("http")]
    response = requests.get(url, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"items", "meta"}


@pytest.fixture
def second_stack(e2e_workdir: Any) -> Iterator[LocalStackProcess]:
    from tests.e2e.conftest import start_local_stack_process

    stack = start_local_stack_process(e2e_workdir)
    yield stack
    stack.stop()


def test_the_stack_stops_cleanly_on_sigterm(second_stack: LocalStackProcess) -> None:
    import signal

    assert second_stack.stop(signal.SIGTERM) == 0, second_stack.stderr()
    assert "Traceback" not in second_stack.stderr()
