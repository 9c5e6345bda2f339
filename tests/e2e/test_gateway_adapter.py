"""The local API Gateway over real HTTP, in front of throwaway handlers: what a Lambda sees and what a
client gets back. (The real handlers behind it are exercised in `test_local_stack_api.py`.)"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from local.gateway import Gateway, LambdaHandler, RouteTable
from local.server import BackgroundServer, LocalServer
from runs.constants import CORS_EXPOSE_HEADERS
from runs.routes import ROUTES, Route

GOOD_KEY = "good.key-secret-1"
DENIED_KEY = "denied.key-secret-1"
NARROW_KEY = "narrow.key-secret-1"  # its policy covers one method ARN only
CRASHING_KEY = "crash.key-secret-1"
BAD_CONTEXT_KEY = "badcontext.key-secret-1"

TEST_ROUTES = (
    Route("echo", "GET", "/things/{thingId}", "authenticated", "echo the event"),
    Route("echo", "POST", "/things/{thingId}", "authenticated", "echo the event"),
    Route("echo", "GET", "/things/special", "authenticated", "literal beats parameter"),
    Route("crash", "GET", "/crash", "authenticated", "raises"),
    Route("malformed", "GET", "/malformed", "authenticated", "returns no statusCode"),
    Route("slow", "GET", "/slow", "authenticated", "outlives its timeout", timeout_seconds=1),
    Route("binary", "GET", "/binary", "authenticated", "base64 body"),
    Route("headers", "GET", "/headers", "authenticated", "single and multi-value headers"),
)


class Authorizer:
    """Allows GOOD_KEY on the whole API, denies DENIED_KEY, and counts its invocations."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            self.calls += 1
        key = event["headers"].get("x-api-key") or event["headers"].get("authorization", "").removeprefix("Bearer ")
        if key == CRASHING_KEY:
            raise RuntimeError("authorizer bug")
        if key not in (GOOD_KEY, DENIED_KEY, NARROW_KEY, BAD_CONTEXT_KEY):
            raise Exception("Unauthorized")
        arn = event["methodArn"]
        resource = arn if key == NARROW_KEY else arn.split("/", 1)[0] + "/v1/*"
        context_values: dict[str, Any] = {"keyId": key, "platformAdmin": True, "count": 3}
        if key == BAD_CONTEXT_KEY:
            context_values["roles"] = {"ws": "admin"}
        return {
            "principalId": key.split(".")[0],
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Deny" if key == DENIED_KEY else "Allow",
                        "Resource": resource,
                    }
                ],
            },
            "context": context_values,
        }


def _echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    seen = {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "aws_request_id": context.aws_request_id,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(seen)}


def _crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise ValueError("secret internal detail")


def _slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(2)
    return {"statusCode": 200, "body": "too late"}


def _binary(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/octet-stream"},
        "body": base64.b64encode(b"PK\x03\x04\x00\xff").decode(),
        "isBase64Encoded": True,
    }


def _headers(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"X-Single": "one", "X-Both": "from-headers"},
        "multiValueHeaders": {"X-Both": ["multi-1", "multi-2"]},
        "body": "{}",
    }


@pytest.fixture(scope="module")
def authorizer() -> Authorizer:
    return Authorizer()


@pytest.fixture(scope="module")
def base_url(authorizer: Authorizer) -> Iterator[str]:
    handlers: dict[str, LambdaHandler] = {
        "authorizer": authorizer,
        "echo": _echo,
        "crash": _crash,
        "malformed": lambda event, context: {"body": "no status"},
        "slow": _slow,
        "binary": _binary,
        "headers": _headers,
    }
    gateway = Gateway(routes=TEST_ROUTES, resolve_handler=handlers.__getitem__, authorizer_cache_seconds=300)
    server = BackgroundServer(LocalServer(gateway))
    server.start()
    yield server.base_url
    server.stop()


def _get(base_url: str, path: str, key: str | None = GOOD_KEY, **kwargs: Any) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if key:
        headers["X-API-Key"] = key
    return requests.get(base_url + "/api/v1" + path, headers=headers, timeout=10, **kwargs)


def _assert_problem(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert set(problem) == {"type", "title", "status", "detail", "instance", "code", "requestId", "errors"}
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["errors"] == []
    assert problem["requestId"] == response.headers["X-Request-Id"]
    return problem


# --- the proxy event --------------------------------------------------------------------------------


def test_handler_receives_a_rest_proxy_event(base_url: str) -> None:
    response = _get(base_url, "/things/a%20b?tag=x&tag=y&single=1", headers={"X-Custom": "v"})
    assert response.status_code == 200
    event = response.json()["event"]
    assert event["resource"] == "/api/v1/things/{thingId}"
    assert event["path"] == "/api/v1/things/a b"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"thingId": "a b"}
    assert event["queryStringParameters"] == {"tag": "y", "single": "1"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"], "single": ["1"]}
    assert event["headers"]["x-custom"] == "v"
    assert event["multiValueHeaders"]["x-custom"] == ["v"]
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    request_context = event["requestContext"]
    assert uuid.UUID(request_context["requestId"])
    assert request_context["stage"] == "v1"
    assert request_context["httpMethod"] == "GET"
    assert request_context["resourcePath"] == "/api/v1/things/{thingId}"
    assert request_context["identity"]["sourceIp"] == "127.0.0.1"


def test_authorizer_context_reaches_the_handler_as_strings(base_url: str) -> None:
    authorizer_context = _get(base_url, "/things/1").json()["event"]["requestContext"]["authorizer"]
    assert authorizer_context["principalId"] == "good"
    assert authorizer_context["keyId"] == GOOD_KEY
    assert authorizer_context["platformAdmin"] == "true"
    assert authorizer_context["count"] == "3"


def test_handler_receives_a_lambda_context_bounded_by_the_route_timeout(base_url: str) -> None:
    context = _get(base_url, "/things/1").json()["context"]
    assert context["function_name"] == "runs-local-echo"
    assert context["invoked_function_arn"].endswith(":function:runs-local-echo")
    assert uuid.UUID(context["aws_request_id"])
    assert context["memory_limit_in_mb"] == 256
    assert 0 < context["remaining_ms"] <= 10_000


def test_json_body_is_passed_as_text(base_url: str) -> None:
    response = requests.post(base_url + "/api/v1/things/1", json={"a": 1}, headers={"X-API-Key": GOOD_KEY}, timeout=10)
    event = response.json()["event"]
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False


def test_multipart_body_is_passed_as_base64(base_url: str) -> None:
    response = requests.post(
        base_url + "/api/v1/things/1",
        files={"file": ("a.xlsx", b"PK\x03\x04\xff\x00", "application/octet-stream")},
        headers={"X-API-Key": GOOD_KEY},
        timeout=10,
    )
    event = response.json()["event"]
    assert event["isBase64Encoded"] is True
    assert b"PK\x03\x04\xff\x00" in base64.b64decode(event["body"])


def test_concurrent_requests_each_get_their_own_event(base_url: str) -> None:
    def fetch(number: int) -> str:
        response = _get(base_url, f"/things/{number}")
        return str(response.json()["event"]["pathParameters"]["thingId"])

    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(fetch, range(32))) == [str(n) for n in range(32)]


# --- routing ------------------------------------------------------------------------------------------


def test_literal_segment_wins_over_a_path_parameter(base_url: str) -> None:
    event = _get(base_url, "/things/special").json()["event"]
    assert event["resource"] == "/api/v1/things/special"
    assert event["pathParameters"] is None


def test_unknown_path_is_404_problem(base_url: str) -> None:
    problem = _assert_problem(_get(base_url, "/nowhere"), 404, "NOT_FOUND")
    assert problem["instance"] == "/api/v1/nowhere"


def test_path_outside_the_api_is_404_problem(base_url: str) -> None:
    _assert_problem(requests.get(base_url + "/elsewhere", timeout=10), 404, "NOT_FOUND")


def test_unknown_method_on_a_resource_is_405_problem(base_url: str) -> None:
    response = requests.delete(base_url + "/api/v1/things/1", headers={"X-API-Key": GOOD_KEY}, timeout=10)
    _assert_problem(response, 405, "METHOD_NOT_ALLOWED")


def test_real_route_table_prefers_literal_resources() -> None:
    table = RouteTable(ROUTES)
    workspace = "/api/v1/workspaces/00000000-0000-7000-8000-000000000001"
    found = table.find_resource(workspace + "/configurations/default")
    assert found is not None
    assert table.resources[found[0]]["GET"].handler == "configurations_default"
    found = table.find_resource(workspace + "/runs/batch")
    assert found is not None
    assert table.resources[found[0]]["POST"].handler == "runs_batch"
    found = table.find_resource(workspace + "/runs/0190a0b0-0000-7000-8000-000000000002")
    assert found is not None
    assert table.resources[found[0]]["GET"].handler == "runs_get"


def test_body_over_the_api_gateway_limit_is_413_problem(base_url: str) -> None:
    response = requests.post(
        base_url + "/api/v1/things/1",
        data=b"x" * (10 * 1024 * 1024 + 1),
        headers={"X-API-Key": GOOD_KEY, "Content-Type": "application/octet-stream"},
        timeout=30,
    )
    _assert_problem(response, 413, "PAYLOAD_TOO_LARGE")


# --- the authorizer -----------------------------------------------------------------------------------


def test_request_without_credentials_is_401_without_calling_the_authorizer(
    base_url: str, authorizer: Authorizer
) -> None:
    before = authorizer.calls
    _assert_problem(_get(base_url, "/things/1", key=None), 401, "UNAUTHENTICATED")
    assert authorizer.calls == before


def test_bearer_token_alone_reaches_the_authorizer(base_url: str) -> None:
    response = _get(base_url, "/things/1", key=None, headers={"Authorization": f"Bearer {GOOD_KEY}"})
    assert response.status_code == 200


def test_authorizer_unauthorized_is_401_problem(base_url: str) -> None:
    _assert_problem(_get(base_url, "/things/1", key="nope.nope-nope"), 401, "UNAUTHENTICATED")


def test_authorizer_deny_is_403_problem(base_url: str) -> None:
    _assert_problem(_get(base_url, "/things/1", key=DENIED_KEY), 403, "FORBIDDEN")


def test_authorizer_result_is_cached_per_key(base_url: str, authorizer: Authorizer) -> None:
    _get(base_url, "/things/cache-1", key=GOOD_KEY)
    before = authorizer.calls
    assert _get(base_url, "/things/cache-2", key=GOOD_KEY).status_code == 200
    assert authorizer.calls == before


def test_cached_policy_is_evaluated_against_each_method_arn(base_url: str) -> None:
    # Like on AWS: a policy naming only the first request's ARN denies the next path from the cache.
    assert _get(base_url, "/things/first", key=NARROW_KEY).status_code == 200
    _assert_problem(_get(base_url, "/things/second", key=NARROW_KEY), 403, "FORBIDDEN")


def test_authorizer_crash_is_500_problem(base_url: str) -> None:
    problem = _assert_problem(_get(base_url, "/things/1", key=CRASHING_KEY), 500, "INTERNAL")
    assert "authorizer bug" not in json.dumps(problem)


def test_authorizer_context_with_an_object_value_is_500_problem(base_url: str) -> None:
    _assert_problem(_get(base_url, "/things/1", key=BAD_CONTEXT_KEY), 500, "INTERNAL")


# --- the integration response ------------------------------------------------------------------------


def test_handler_exception_is_502_problem_without_a_traceback(base_url: str) -> None:
    response = _get(base_url, "/crash")
    _assert_problem(response, 502, "INTERNAL")
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text


def test_malformed_handler_result_is_502_problem(base_url: str) -> None:
    _assert_problem(_get(base_url, "/malformed"), 502, "INTERNAL")


def test_handler_past_its_timeout_is_502_problem(base_url: str) -> None:
    _assert_problem(_get(base_url, "/slow"), 502, "INTERNAL")


def test_base64_response_is_decoded(base_url: str) -> None:
    response = _get(base_url, "/binary")
    assert response.content == b"PK\x03\x04\x00\xff"
    assert response.headers["Content-Type"] == "application/octet-stream"


def test_multi_value_headers_win_over_single_ones(base_url: str) -> None:
    response = _get(base_url, "/headers")
    assert response.headers["X-Single"] == "one"
    assert response.raw.headers.getlist("X-Both") == ["multi-1", "multi-2"]


# --- CORS and request ids -----------------------------------------------------------------------------


def test_preflight_is_answered_without_credentials(base_url: str, authorizer: Authorizer) -> None:
    before = authorizer.calls
    response = requests.options(
        base_url + "/api/v1/things/1",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert set(response.headers["Access-Control-Allow-Methods"].split(",")) == {"GET", "POST", "OPTIONS"}
    allowed = {h.lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {
        "x-api-key",
        "authorization",
        "content-type",
        "idempotency-key",
        "if-none-match",
        "last-event-id",
        "x-request-id",
    } <= allowed
    assert authorizer.calls == before


def test_preflight_from_a_foreign_origin_gets_no_allow_origin(base_url: str) -> None:
    response = requests.options(base_url + "/api/v1/things/1", headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in response.headers


def test_gateway_errors_carry_cors_headers_and_echo_the_request_id(base_url: str) -> None:
    response = _get(
        base_url,
        "/things/1",
        key=None,
        headers={"Origin": "http://127.0.0.1:3000", "X-Request-Id": "trace-123"},
    )
    problem = _assert_problem(response, 401, "UNAUTHENTICATED")
    assert problem["requestId"] == "trace-123"
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:3000"
    assert set(response.headers["Access-Control-Expose-Headers"].split(",")) == set(CORS_EXPOSE_HEADERS)


# --- the rest of the server ---------------------------------------------------------------------------


def test_health_is_200(base_url: str) -> None:
    response = requests.get(base_url + "/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_websocket_placeholder_answers_with_an_error_message(base_url: str) -> None:
    from websockets.sync.client import connect

    with connect(base_url.replace("http://", "ws://") + "/ws", open_timeout=5) as websocket:
        message = json.loads(websocket.recv(timeout=5))
    assert message == {"type": "error", "code": "NOT_IMPLEMENTED", "message": message["message"]}
