"""Integration tests: the real handlers and services against one embedded moto server.

Handlers are called with API Gateway proxy events built here (the authorizer runs first, as on AWS).
Tests isolate themselves by creating their own workspace, so the server is shared per session.
"""

from __future__ import annotations

import base64
import importlib
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from local.moto_stack import (
    LocalMotoServer,
    apply_environment,
    aws_environment,
    provision_resources,
    start_moto_server,
)
from tests.secret_audit import AUDIT

ADMIN_KEY = "itadmin.integration-secret-0001"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[LocalMotoServer]:
    server = start_moto_server()
    apply_environment(aws_environment(server.endpoint_url))
    apply_environment(provision_resources(server.endpoint_url, prefix="runs-it").environment)
    from runs.settings import get_settings

    get_settings.cache_clear()
    from runs.dal.clients import client

    client.cache_clear()
    yield server
    AUDIT.audit_tables(server.endpoint_url)  # before the tables go: no issued secret in any item
    server.stop()


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Api:
    """Calls handlers the way API Gateway does: authorizer, then the route's function."""

    api_key: str
    workspace_id: str
    extra_headers: dict[str, str] = field(default_factory=dict)

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        api_key: str | None = None,
    ) -> ApiResponse:
        from runs.routes import ROUTES

        route, params = _match(ROUTES, method, path)
        all_headers = {**self.extra_headers, **(headers or {})}
        key = self.api_key if api_key is None else api_key
        if key:
            all_headers["X-API-Key"] = key
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        multi_query = {k: (v if isinstance(v, list) else [str(v)]) for k, v in (query or {}).items()}
        binary = all_headers.get("Content-Type", "").startswith("multipart/")
        event: dict[str, Any] = {
            "resource": route.full_path,
            "path": path,
            "httpMethod": method,
            "headers": all_headers,
            "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "body": (base64.b64encode(body).decode() if binary else body.decode()) if body else None,
            "isBase64Encoded": bool(body and binary),
            "requestContext": {"requestId": str(uuid.uuid4()), "stage": "v1", "httpMethod": method},
        }
        authorizer = importlib.import_module("authorizer")
        try:
            decision = authorizer.handler({**event, "type": "REQUEST", "methodArn": "arn:x:y/v1/GET/x"}, None)
        except Exception:
            return ApiResponse(401, {}, b'{"code":"UNAUTHENTICATED"}')
        event["requestContext"]["authorizer"] = {"principalId": decision["principalId"], **decision["context"]}
        result = importlib.import_module(route.handler).handler(event, None)
        raw = result.get("body") or ""
        payload = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
        return ApiResponse(result["statusCode"], dict(result.get("headers") or {}), payload)

    def ws(self, suffix: str = "") -> str:
        return f"/api/v1/workspaces/{self.workspace_id}{suffix}"


def _match(routes: Any, method: str, path: str) -> tuple[Any, dict[str, str]]:
    parts = path.strip("/").split("/")
    for route in routes:
        template = route.full_path.strip("/").split("/")
        if route.method != method or len(template) != len(parts):
            continue
        params: dict[str, str] = {}
        for expected, actual in zip(template, parts, strict=True):
            if expected.startswith("{"):
                params[expected[1:-1]] = actual
            elif expected != actual:
                break
        else:
            return route, params
    raise AssertionError(f"no route for {method} {path}")


@pytest.fixture
def api(moto_server: LocalMotoServer) -> Api:
    """An admin client on a fresh workspace of its own."""
    from runs.ids import new_id
    from runs.services.workspaces import bootstrap_workspace

    workspace_id = new_id()
    bootstrap_workspace(workspace_id, "Integration", ADMIN_KEY)
    return Api(ADMIN_KEY, workspace_id)


@contextmanager
def dynamodb_requests() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB request made meanwhile: (operation, parameters)."""
    from runs.dal.clients import client

    requests: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        requests.append((model.name, params))

    events = client("dynamodb").meta.events
    events.register("provide-client-params.dynamodb", record)
    try:
        yield requests
    finally:
        events.unregister("provide-client-params.dynamodb", record)


def race(*actions: Callable[[], object]) -> list[object]:
    """Run the actions in threads released together; each one's result, or the exception it raised."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[index] = action()
        except Exception as error:  # the loser's error is part of the outcome
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def multipart_body(boundary: str, content: bytes, filename: str, part_type: str = "text/csv") -> bytes:
    """A multipart/form-data body with one `file` part."""
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {part_type}\r\n\r\n"
    )
    return head.encode() + content + f"\r\n--{boundary}--\r\n".encode()


def make_csv_upload(api: Api, content: bytes = b"email,name\na@example.com,Ann\n", filename: str = "people.csv") -> str:
    """Upload a small document through the multipart route; returns its id."""
    boundary = "testboundary"
    response = api.call(
        "POST",
        api.ws("/documents"),
        body=multipart_body(boundary, content, filename),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status == 201, response.body
    return str(response.json()["document"]["id"])
