"""API Gateway (REST, Lambda proxy) in front of the handlers, as the laptop stack plays it.

What a request meets on AWS, in order, and what this module does for it:

1. body over the 10 MB API Gateway limit → 413 (gateway response);
2. no resource for the path → 404, resource without the method → 405; `OPTIONS` on a resource is the
   CORS preflight answered by a MOCK integration (no authorizer, no Lambda);
3. the REQUEST authorizer (`functions/authorizer.py`): skipped with a 401 when neither `X-API-Key` nor
   `Authorization` is sent; its result is cached per identity for `AUTHORIZER_CACHE_SECONDS` (0: off) and its
   policy evaluated against each request's method ARN (Deny or no matching Allow → 403);
4. the route's handler with a proxy event (payload v1) and a Lambda context; an exception, a timeout or a
   malformed result → 502, never a traceback in the body (it goes to stderr).

Gateway-made errors are `application/problem+json` with the eight keys of DESIGN §4 and CORS headers;
handler responses pass through untouched (handlers add their own CORS headers).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import fnmatch
import importlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote

from runs import constants, errors
from runs.http import CLIENT_REQUEST_ID, PROBLEM_TYPE_BASE
from runs.routes import ROUTES, Route

logger = logging.getLogger("local.gateway")

LambdaHandler = Callable[[dict[str, Any], Any], Any]

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway REST payload limit
MAX_LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024  # synchronous Invoke request and response limit
INTEGRATION_TIMEOUT_SECONDS = 29.0
AUTHORIZER_TIMEOUT_SECONDS = 10.0
AUTHORIZER_HANDLER = "authorizer"
API_ID = "local"
ACCOUNT_ID = "123456789012"

CORS_ALLOWED_ORIGIN_PATTERNS = (r"http://127\.0\.0\.1(:\d+)?", r"http://localhost(:\d+)?")
CORS_MAX_AGE_SECONDS = 600

# Gateway responses use the handlers' problem titles (`runs.errors`) for the codes they share.
PROBLEM_TITLES = {
    error.code: error.title
    for error in (
        errors.Unauthenticated,
        errors.Forbidden,
        errors.NotFound,
        errors.PayloadTooLarge,
        errors.ApiError,
    )
}


@dataclass(frozen=True)
class HttpRequest:
    """One request as the HTTP server received it. Header names are lower-case (HTTP/2 and ASGI)."""

    method: str
    raw_path: str  # still percent-encoded, so an encoded "/" stays inside its segment
    query_string: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return values[-1] if values else None


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


class RouteTable:
    """API Gateway resource matching: a literal segment wins over a `{parameter}` at the same depth."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.resources: dict[str, dict[str, Route]] = {}
        for route in routes:
            self.resources.setdefault(route.full_path, {})[route.method] = route

    def find_resource(self, raw_path: str) -> tuple[str, dict[str, str]] | None:
        """The most specific resource template matching `raw_path`, with its decoded parameters."""
        segments = raw_path.rstrip("/").split("/") if raw_path != "/" else [""]
        best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
        for template in self.resources:
            parts = template.split("/")
            if len(parts) != len(segments):
                continue
            parameters: dict[str, str] = {}
            rank: list[int] = []
            for part, segment in zip(parts, segments, strict=True):
                if part.startswith("{") and part.endswith("}"):
                    if not segment:
                        break
                    parameters[part[1:-1]] = unquote(segment)
                    rank.append(0)
                elif part == segment:
                    rank.append(1)
                else:
                    break
            else:
                if best is None or tuple(rank) > best[0]:
                    best = (tuple(rank), template, parameters)
        return None if best is None else (best[1], best[2])

    def methods(self, template: str) -> list[str]:
        return sorted(self.resources[template])


@dataclass(frozen=True)
class CachedAuthorization:
    principal_id: str
    statements: tuple[dict[str, Any], ...]
    context: dict[str, str]
    expires_at: float


class LambdaContext:
    """The context object the Python Lambda runtime passes to a handler."""

    def __init__(self, function_name: str, memory_limit_in_mb: int, timeout_seconds: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{constants.LOCAL_REGION}:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class GatewayError(Exception):
    """A gateway response (not a handler's): becomes a problem+json answer."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


def import_handler(module_name: str) -> LambdaHandler:
    """`functions/<module_name>.py`'s `handler` (the directory must be on `sys.path`)."""
    handler: LambdaHandler = importlib.import_module(module_name).handler
    return handler


def is_allowed_origin(origin: str | None) -> bool:
    return origin is not None and any(re.fullmatch(p, origin) for p in CORS_ALLOWED_ORIGIN_PATTERNS)


def is_binary_media_type(content_type: str | None) -> bool:
    """As API Gateway decides from the RestApi's binaryMediaTypes: listed types arrive base64-encoded."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() in constants.BINARY_MEDIA_TYPES


def method_arn(method: str, path: str) -> str:
    return (
        f"arn:aws:execute-api:{constants.LOCAL_REGION}:{ACCOUNT_ID}:{API_ID}/"
        f"{constants.STAGE_NAME}/{method}/{path.lstrip('/')}"
    )


def policy_allows(statements: Iterable[Mapping[str, Any]], arn: str) -> bool:
    """IAM evaluation of an authorizer policy for one method ARN: an explicit Deny wins over any Allow."""
    allowed = False
    for statement in statements:
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        if not any(_arn_matches(a, "execute-api:Invoke") for a in actions):
            continue
        if not any(_arn_matches(r, arn) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _arn_matches(pattern: str, value: str) -> bool:
    # IAM wildcards: `*` any run of characters (including "/"), `?` one character; no character classes.
    escaped = "".join("[[]" if c == "[" else c for c in pattern)
    return fnmatch.fnmatchcase(value, escaped)


def _stringify_context_value(value: Any) -> str:
    # API Gateway hands the authorizer context to the integration as strings.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Gateway:
    """The REST API: route table, authorizer, Lambda proxy integration and gateway responses."""

    def __init__(
        self,
        routes: Iterable[Route] = ROUTES,
        resolve_handler: Callable[[str], LambdaHandler] = import_handler,
        executor: concurrent.futures.Executor | None = None,
        authorizer_cache_seconds: float = constants.AUTHORIZER_CACHE_SECONDS,
        function_name_prefix: str = constants.LOCAL_RESOURCE_PREFIX,
        enforce_timeouts: bool = True,
    ) -> None:
        self.route_table = RouteTable(routes)
        self.resolve_handler = resolve_handler
        self.executor = executor or concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="lambda")
        self.authorizer_cache_seconds = authorizer_cache_seconds
        self.function_name_prefix = function_name_prefix
        self.enforce_timeouts = enforce_timeouts
        self._authorizer_cache: dict[tuple[str, str], CachedAuthorization] = {}

    async def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request under the API base path; never raises."""
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        try:
            response = await self._handle(request, request_id)
        except GatewayError as error:
            response = self.problem_response(request, request_id, error.status, error.code, error.detail)
        except Exception:
            logger.exception("gateway failure on %s %s", request.method, request.raw_path)
            response = self.problem_response(
                request, request_id, 500, "INTERNAL", "The gateway failed to process the request."
            )
        logger.info(
            "%s %s -> %d (%.0f ms)",
            request.method,
            request.raw_path + (f"?{request.query_string}" if request.query_string else ""),
            response.status,
            (time.monotonic() - started) * 1000,
        )
        return response

    def payload_too_large(self, request: HttpRequest) -> HttpResponse:
        """The gateway response for a body over `MAX_REQUEST_BYTES` (the server stops reading it)."""
        return self.problem_response(
            request,
            str(uuid.uuid4()),
            413,
            "PAYLOAD_TOO_LARGE",
            f"The request body exceeds the API limit of {MAX_REQUEST_BYTES} bytes.",
        )

    async def _handle(self, request: HttpRequest, request_id: str) -> HttpResponse:
        if len(request.body) > MAX_REQUEST_BYTES:
            return self.payload_too_large(request)
        found = self.route_table.find_resource(request.raw_path)
        if found is None:
            raise GatewayError(404, "NOT_FOUND", "No resource exists at this path.")
        template, path_parameters = found
        if request.method == "OPTIONS":
            return self.preflight_response(request, self.route_table.methods(template))
        route = self.route_table.resources[template].get(request.method)
        if route is None:
            detail = f"{request.method} is not supported on this resource."
            raise GatewayError(405, "METHOD_NOT_ALLOWED", detail)

        arn = method_arn(request.method, unquote(request.raw_path))
        authorization = await self._authorize(request, route, path_parameters, request_id, arn)
        event = self.proxy_event(request, route, path_parameters, request_id, authorization)
        return await self._invoke(route, event)

    async def _authorize(
        self,
        request: HttpRequest,
        route: Route,
        path_parameters: dict[str, str],
        request_id: str,
        arn: str,
    ) -> CachedAuthorization:
        api_key = request.header(constants.AUTH_HEADER) or ""
        bearer = request.header("Authorization") or ""
        if not api_key and not bearer:
            raise GatewayError(401, "UNAUTHENTICATED", "An API key is required (X-API-Key header).")
        cache_key = (api_key, bearer)
        cached = self._authorizer_cache.get(cache_key)
        if cached is None or cached.expires_at <= time.monotonic():
            cached = await self._call_authorizer(request, route, path_parameters, request_id, arn)
            if self.authorizer_cache_seconds > 0:
                self._authorizer_cache[cache_key] = cached
        if not policy_allows(cached.statements, arn):
            raise GatewayError(403, "FORBIDDEN", "The API key is not allowed to perform this request.")
        return cached

    async def _call_authorizer(
        self,
        request: HttpRequest,
        route: Route,
        path_parameters: dict[str, str],
        request_id: str,
        arn: str,
    ) -> CachedAuthorization:
        event = self.proxy_event(request, route, path_parameters, request_id, None, include_body=False)
        event = {"type": "REQUEST", "methodArn": arn} | {
            key: event[key]
            for key in (
                "resource",
                "path",
                "httpMethod",
                "headers",
                "multiValueHeaders",
                "queryStringParameters",
                "multiValueQueryStringParameters",
                "pathParameters",
                "stageVariables",
                "requestContext",
            )
        }
        try:
            handler = self.resolve_handler(AUTHORIZER_HANDLER)
            result = await self._run(handler, event, AUTHORIZER_HANDLER, 256, AUTHORIZER_TIMEOUT_SECONDS)
        except Exception as error:
            if str(error) == "Unauthorized":
                raise GatewayError(401, "UNAUTHENTICATED", "The API key is missing or invalid.") from None
            logger.exception("authorizer failed")
            raise GatewayError(500, "INTERNAL", "The authorizer failed.") from None
        return self._parse_authorizer_result(result)

    def _parse_authorizer_result(self, result: Any) -> CachedAuthorization:
        def invalid(reason: str) -> GatewayError:
            logger.error("authorizer returned an invalid response: %s", reason)
            return GatewayError(500, "INTERNAL", "The authorizer returned an invalid response.")

        if not isinstance(result, dict):
            raise invalid("not an object")
        principal_id = result.get("principalId")
        policy = result.get("policyDocument")
        if not isinstance(principal_id, str) or not principal_id:
            raise invalid("principalId missing")
        if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), list):
            raise invalid("policyDocument.Statement missing")
        context = result.get("context") or {}
        if not isinstance(context, dict):
            raise invalid("context is not an object")
        for key, value in context.items():
            if value is not None and not isinstance(value, str | int | float | bool):
                raise invalid(f"context value {key!r} is not a string, number or boolean")
        return CachedAuthorization(
            principal_id=principal_id,
            statements=tuple(s for s in policy["Statement"] if isinstance(s, dict)),
            context={k: _stringify_context_value(v) for k, v in context.items() if v is not None},
            expires_at=time.monotonic() + self.authorizer_cache_seconds,
        )

    def proxy_event(
        self,
        request: HttpRequest,
        route: Route,
        path_parameters: dict[str, str],
        request_id: str,
        authorization: CachedAuthorization | None,
        include_body: bool = True,
    ) -> dict[str, Any]:
        """The Lambda proxy integration event (REST API, payload format 1.0)."""
        path = unquote(request.raw_path)
        multi_headers: dict[str, list[str]] = {}
        for name, value in request.headers:
            multi_headers.setdefault(name, []).append(value)
        multi_headers.setdefault("x-forwarded-for", [request.source_ip])
        multi_headers.setdefault("x-forwarded-proto", ["http"])
        multi_query: dict[str, list[str]] = {}
        for name, value in parse_qsl(request.query_string, keep_blank_values=True):
            multi_query.setdefault(name, []).append(value)

        body: str | None = None
        is_base64 = False
        if request.body and include_body:
            content_type = request.header("Content-Type")
            if is_binary_media_type(content_type):
                body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
            else:
                try:
                    body = request.body.decode("utf-8")
                except UnicodeDecodeError:
                    body, is_base64 = base64.b64encode(request.body).decode("ascii"), True

        now = datetime.now(UTC)
        request_context: dict[str, Any] = {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": request.header("Host") or "127.0.0.1",
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "identity": {"sourceIp": request.source_ip, "userAgent": request.header("User-Agent")},
            "path": f"/{constants.STAGE_NAME}{path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": route.handler,
            "resourcePath": route.full_path,
            "stage": constants.STAGE_NAME,
        }
        if authorization is not None:
            request_context["authorizer"] = {
                "principalId": authorization.principal_id,
                "integrationLatency": 0,
                **authorization.context,
            }
        return {
            "resource": route.full_path,
            "path": path,
            "httpMethod": request.method,
            "headers": {name: values[-1] for name, values in multi_headers.items()},
            "multiValueHeaders": multi_headers,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "requestContext": request_context,
            "body": body,
            "isBase64Encoded": is_base64,
        }

    async def _invoke(self, route: Route, event: dict[str, Any]) -> HttpResponse:
        if len(json.dumps(event)) > MAX_LAMBDA_PAYLOAD_BYTES:
            detail = "The request exceeds the Lambda payload limit of 6 MB."
            raise GatewayError(413, "PAYLOAD_TOO_LARGE", detail)
        try:
            handler = self.resolve_handler(route.handler)
        except Exception:
            logger.exception("cannot load handler %s", route.handler)
            raise GatewayError(502, "INTERNAL", "The service failed to process the request.") from None
        timeout = min(float(route.timeout_seconds), INTEGRATION_TIMEOUT_SECONDS)
        try:
            result = await self._run(handler, event, route.handler, route.memory_mb, timeout)
        except TimeoutError:
            logger.error("%s timed out after %.0f s", route.handler, timeout)
            if route.timeout_seconds >= INTEGRATION_TIMEOUT_SECONDS:
                raise GatewayError(504, "GATEWAY_TIMEOUT", "The service did not answer in time.") from None
            raise GatewayError(502, "INTERNAL", "The service failed to process the request.") from None
        except Exception:
            logger.exception("handler %s raised", route.handler)
            raise GatewayError(502, "INTERNAL", "The service failed to process the request.") from None
        return self._proxy_result_to_response(route, result)

    async def _run(
        self, handler: LambdaHandler, event: dict[str, Any], name: str, memory_mb: int, timeout: float
    ) -> Any:
        context = LambdaContext(f"{self.function_name_prefix}-{name}", memory_mb, timeout)
        future = asyncio.get_running_loop().run_in_executor(self.executor, handler, event, context)
        if not self.enforce_timeouts:
            return await future
        # The thread cannot be killed; like a timed-out Lambda its result is discarded.
        return await asyncio.wait_for(future, timeout)

    def _proxy_result_to_response(self, route: Route, result: Any) -> HttpResponse:
        def malformed(reason: str) -> GatewayError:
            logger.error("malformed Lambda proxy response from %s: %s", route.handler, reason)
            return GatewayError(502, "INTERNAL", "The service returned an invalid response.")

        if not isinstance(result, dict):
            raise malformed("not an object")
        status = result.get("statusCode")
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise malformed(f"statusCode {status!r}")
        body = result.get("body")
        if body is not None and not isinstance(body, str):
            raise malformed("body is not a string")
        if len(json.dumps(result, default=str)) > MAX_LAMBDA_PAYLOAD_BYTES:
            raise malformed("response over the 6 MB Lambda payload limit")
        raw_body = b""
        if body:
            if result.get("isBase64Encoded"):
                try:
                    raw_body = base64.b64decode(body, validate=True)
                except ValueError:
                    raise malformed("isBase64Encoded body is not base64") from None
            else:
                raw_body = body.encode("utf-8")

        headers = result.get("headers") or {}
        multi_headers = result.get("multiValueHeaders") or {}
        if not isinstance(headers, dict) or not isinstance(multi_headers, dict):
            raise malformed("headers are not objects")
        merged: dict[str, list[str]] = {}
        for name, value in headers.items():
            if isinstance(value, dict | list):
                raise malformed(f"header {name!r} is not a scalar")
            merged[str(name).lower()] = [_header_text(value)]
        for name, values in multi_headers.items():
            if not isinstance(values, list):
                raise malformed(f"multiValueHeaders {name!r} is not a list")
            # Where both maps name a header, API Gateway keeps the multi-value one.
            merged[str(name).lower()] = [_header_text(v) for v in values]
        response_headers = [(name, value) for name, values in merged.items() for value in values]
        if "content-type" not in merged and status != 204:
            response_headers.append(("content-type", "application/json"))
        response_headers.append(("x-amzn-requestid", str(uuid.uuid4())))
        return HttpResponse(status=status, headers=response_headers, body=raw_body)

    def preflight_response(self, request: HttpRequest, methods: list[str]) -> HttpResponse:
        """API Gateway's MOCK `OPTIONS` integration (CDK `default_cors_preflight_options`)."""
        headers = [
            ("access-control-allow-methods", ",".join([*methods, "OPTIONS"])),
            ("access-control-allow-headers", ",".join(constants.CORS_ALLOW_HEADERS)),
            ("access-control-max-age", str(CORS_MAX_AGE_SECONDS)),
            ("vary", "Origin"),
        ]
        origin = request.header("Origin")
        if is_allowed_origin(origin):
            headers.append(("access-control-allow-origin", origin or ""))
        return HttpResponse(status=204, headers=headers)

    def problem_response(
        self, request: HttpRequest, request_id: str, status: int, code: str, detail: str
    ) -> HttpResponse:
        """A gateway response: problem+json with CORS headers and the request id."""
        echoed = request.header("X-Request-Id") or ""
        correlation_id = echoed if CLIENT_REQUEST_ID.match(echoed) else request_id
        problem = {
            "type": PROBLEM_TYPE_BASE + code.lower().replace("_", "-"),
            "title": PROBLEM_TITLES.get(code) or HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "instance": unquote(request.raw_path),
            "code": code,
            "requestId": correlation_id,
            "errors": [],
        }
        headers = [
            ("content-type", "application/problem+json"),
            ("x-request-id", correlation_id),
            ("access-control-expose-headers", ",".join(constants.CORS_EXPOSE_HEADERS)),
            ("vary", "Origin"),
        ]
        origin = request.header("Origin")
        if is_allowed_origin(origin):
            headers.append(("access-control-allow-origin", origin or ""))
        return HttpResponse(status=status, headers=headers, body=json.dumps(problem).encode())


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
