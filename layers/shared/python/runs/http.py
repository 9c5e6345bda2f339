"""HTTP conventions for every Lambda behind API Gateway (DESIGN §4).

`api_handler` turns a short function `(Request) -> Response` into a Lambda handler that checks the
principal's permission for the route's workspace, parses input through pydantic models, maps every
error to application/problem+json, and adds X-Request-Id and CORS headers. Nothing else in a handler.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from runs.auth import Principal
from runs.constants import CORS_EXPOSE_HEADERS
from runs.errors import (
    ApiError,
    BadRequest,
    FieldError,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    WorkspaceNotFound,
)
from runs.ids import RANDOM_IDS, IdSource, is_valid_id
from runs.logs import logger
from runs.models.base import ModelT, validate
from runs.routes import ROUTES_BY_HANDLER, Route
from runs.settings import get_settings

CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# No request model nests this deep; deeper bodies are refused before they reach pydantic or DynamoDB (32 levels).
MAX_JSON_DEPTH = 32
PROBLEM_TYPE_BASE = "https://errors.runs.example/"


@dataclass(frozen=True)
class Request:
    """What a handler sees: the route, the caller, and the raw request."""

    route: Route
    principal: Principal
    request_id: str
    method: str
    path: str
    path_params: dict[str, str]
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def workspace_id(self) -> str:
        return self.path_params["workspaceId"]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def json(self, model: type[ModelT]) -> ModelT:
        """The JSON body as `model`; raises 415 for another media type, 400 for bad JSON, 422 for bad data."""
        if self.content_type and self.content_type != "application/json" and not self.content_type.endswith("+json"):
            raise UnsupportedMediaType(f"Send the body as application/json, not {self.content_type}.")
        try:
            payload = json.loads(self.body or b"null", parse_constant=_reject_non_standard_number)
            # An escaped lone surrogate ("\\ud800") parses, but no UTF-8 store or response can hold it.
            json.dumps(payload, ensure_ascii=False).encode()
        except (ValueError, UnicodeError):
            raise BadRequest("The body is not valid JSON.") from None
        except RecursionError:
            raise BadRequest(f"The body nests deeper than {MAX_JSON_DEPTH} levels.") from None
        if json_depth(payload) > MAX_JSON_DEPTH:
            raise BadRequest(f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
        if not isinstance(payload, dict):
            raise ValidationFailed(
                "The body must be a JSON object.", errors=[FieldError("", "expected a JSON object", "object_type")]
            )
        return validate(model, payload)

    def query_as(self, model: type[ModelT]) -> ModelT:
        """Query parameters as `model` (repeatable keys become lists); raises 422 on bad values."""
        data: dict[str, Any] = {}
        list_fields = _list_field_names(model)
        for key, values in self.query.items():
            if key in list_fields:
                data[key] = [part for value in values for part in value.split(",") if part]
            else:
                data[key] = values[-1]
        return validate(model, data)


def json_depth(payload: Any) -> int:
    """How deeply arrays and objects nest in `payload` (a scalar is 0); iterative, so any depth is safe."""
    deepest, pending = 0, [(payload, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _reject_non_standard_number(token: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (RFC 8259) does not, and neither can we store them.
    raise ValueError(f"{token} is not a JSON number")


def _list_field_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        candidates = [annotation, *get_args(annotation)]
        if any(get_origin(candidate) is list for candidate in candidates):
            names.update({name, info.alias or name})
            choices = getattr(info.validation_alias, "choices", None) or []
            names.update(str(choice) for choice in choices)
    return names


@dataclass
class Response:
    status: int
    body: bytes | str = b""
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def to_proxy(self) -> dict[str, Any]:
        headers = dict(self.headers)
        if self.content_type and self.body:
            headers["Content-Type"] = self.content_type
        if isinstance(self.body, bytes) and self.content_type and _is_binary(self.content_type):
            return {
                "statusCode": self.status,
                "headers": headers,
                "body": base64.b64encode(self.body).decode(),
                "isBase64Encoded": True,
            }
        text = self.body.decode() if isinstance(self.body, bytes) else self.body
        return {"statusCode": self.status, "headers": headers, "body": text, "isBase64Encoded": False}


def _is_binary(content_type: str) -> bool:
    return not (content_type.startswith("text/") or "json" in content_type)


def json_response(status: int, payload: BaseModel | Mapping[str, Any] | list[Any], **headers: str) -> Response:
    if isinstance(payload, BaseModel):
        data: Any = payload.model_dump(mode="json", by_alias=True)
    elif isinstance(payload, list):
        data = [
            item.model_dump(mode="json", by_alias=True) if isinstance(item, BaseModel) else item for item in payload
        ]
    else:
        data = payload
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return Response(status, body, "application/json", {k.replace("_", "-"): v for k, v in headers.items()})


def download_response(url: str, link: BaseModel, *, redirect: bool) -> Response:
    """302 to a presigned `url`, or (`redirect=false`) `link` as JSON; neither may be cached past its expiry."""
    if redirect:
        return Response(302, content_type=None, headers={"Location": url, "Cache-Control": "no-store"})
    return json_response(200, link, Cache_Control="no-store")


def problem_response(error: ApiError, *, request_id: str | None, instance: str | None) -> Response:
    payload = {
        "type": PROBLEM_TYPE_BASE + error.code.lower().replace("_", "-"),
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "instance": instance,
        "code": error.code,
        "requestId": request_id,
        "errors": [{"path": e.path, "message": e.message, "code": e.code} for e in error.errors],
    }
    return Response(error.status, json.dumps(payload, ensure_ascii=False), "application/problem+json")


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, values in (event.get("multiValueHeaders") or {}).items():
        if values:
            merged[name.lower()] = str(values[-1])
    for name, value in (event.get("headers") or {}).items():
        if value is not None:
            merged[name.lower()] = str(value)
    return merged


def _query(event: Mapping[str, Any]) -> dict[str, list[str]]:
    multi = event.get("multiValueQueryStringParameters") or {}
    if multi:
        return {key: [str(v) for v in values] for key, values in multi.items()}
    return {key: [str(value)] for key, value in (event.get("queryStringParameters") or {}).items()}


def _body(event: Mapping[str, Any], limit: int) -> bytes:
    raw = event.get("body") or ""
    try:
        body = base64.b64decode(raw) if event.get("isBase64Encoded") else str(raw).encode()
    except ValueError:
        raise BadRequest("The body is not valid base64.") from None
    if len(body) > limit:
        raise PayloadTooLarge(f"The body is {len(body)} bytes; this endpoint accepts at most {limit}.")
    return body


def _cors_headers(origin: str | None) -> dict[str, str]:
    if not origin:
        return {}
    if not get_settings().allows_origin(origin):
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": ", ".join(CORS_EXPOSE_HEADERS),
        "Vary": "Origin",
    }


Handler = Callable[[Request], Response]


def api_handler(handler_name: str) -> Callable[[Handler], Callable[[dict[str, Any], Any], dict[str, Any]]]:
    """Wrap `(Request) -> Response` as the Lambda handler of the route named `handler_name`."""
    route = ROUTES_BY_HANDLER[handler_name]

    def decorate(function: Handler) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            headers = _headers(event)
            request_context = event.get("requestContext") or {}
            sent_id = headers.get("x-request-id", "")
            request_id = sent_id if CLIENT_REQUEST_ID.match(sent_id) else str(request_context.get("requestId") or "")
            logger.append_keys(request_id=request_id, route=handler_name)
            try:
                response = function(_build_request(route, event, headers, request_id))
            except ApiError as error:
                response = problem_response(error, request_id=request_id, instance=event.get("path"))
            except Exception:
                logger.exception("unhandled error")
                response = problem_response(ApiError(), request_id=request_id, instance=event.get("path"))
            response.headers["X-Request-Id"] = request_id
            response.headers.update(_cors_headers(headers.get("origin")))
            return response.to_proxy()

        lambda_handler.__wrapped__ = function  # type: ignore[attr-defined]
        return lambda_handler

    return decorate


def _build_request(route: Route, event: Mapping[str, Any], headers: dict[str, str], request_id: str) -> Request:
    request_context = event.get("requestContext") or {}
    principal = Principal.from_authorizer_context(request_context.get("authorizer"))
    path_params = {key: str(value) for key, value in (event.get("pathParameters") or {}).items()}
    workspace_id = path_params.get("workspaceId")
    principal.require(route.permission, workspace_id)
    if workspace_id is not None and not is_valid_id(workspace_id):
        raise WorkspaceNotFound()
    return Request(
        route=route,
        principal=principal,
        request_id=request_id,
        method=str(event.get("httpMethod", route.method)),
        path=str(event.get("path", route.full_path)),
        path_params=path_params,
        query=_query(event),
        headers=headers,
        body=_body(event, route.body_limit_bytes),
    )


def idempotent(
    request: Request,
    operation: Callable[[], Response],
    *,
    fingerprint: str | None = None,
    replay_as: Callable[[Response], ApiError] | None = None,
) -> Response:
    """Run `operation` at most once per `Idempotency-Key`: `idempotent_with_ids` for an operation that makes
    no ids of its own."""
    return idempotent_with_ids(request, lambda _ids: operation(), fingerprint=fingerprint, replay_as=replay_as)


def idempotent_with_ids(
    request: Request,
    operation: Callable[[IdSource], Response],
    *,
    fingerprint: str | None = None,
    replay_as: Callable[[Response], ApiError] | None = None,
) -> Response:
    """Run `operation` at most once per `Idempotency-Key` (DESIGN §4), giving it the source of its new ids.

    Same key + same request → the stored response; same key + another request → 422 IDEMPOTENCY_KEY_REUSED;
    the first request still in flight → 409. Only successful responses are stored; a failed attempt releases
    the key, and its retry gets the same ids (so a retried batch finds the runs a failed attempt wrote).
    `fingerprint` names the request's content when its bytes do not (a multipart boundary differs per
    attempt). `replay_as` turns a success into the error its replays answer, for a response that must never
    be stored (an API key's secret).
    """
    from runs.dal import idempotency  # only the POST routes that honour the header pay for it

    key = request.header("idempotency-key")
    if not key:
        return operation(RANDOM_IDS)
    if not 1 <= len(key) <= 255:
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 255 characters.",
            errors=[FieldError("Idempotency-Key", "must be 1 to 255 characters", "string_length")],
        )
    scope = f"{request.route.handler}#{request.path}#{request.principal.key_id}#{key}"
    request_hash = fingerprint or hashlib.sha256(request.content_type.encode() + b"\n" + request.body).hexdigest()
    held = idempotency.claim(scope, request_hash)
    if isinstance(held, idempotency.StoredRecord):
        if held.request_hash != request_hash:
            raise IdempotencyKeyReused()
        if not held.completed or held.response is None:
            raise IdempotencyInProgress()
        return _replay(held.response)
    seed = hashlib.sha256(f"{scope}\n{request_hash}".encode()).hexdigest()
    try:
        response = operation(IdSource(seed, held.first_attempt_ms, held.retry))
    except BaseException:
        idempotency.release(held)
        raise
    if 200 <= response.status < 300:
        idempotency.complete(held, _to_store(response, replay_as))
    else:
        idempotency.release(held)
    return response


def _to_store(response: Response, replay_as: Callable[[Response], ApiError] | None) -> dict[str, Any]:
    if replay_as is not None:
        error = replay_as(response)
        return {"problem": {"status": error.status, "code": error.code, "title": error.title, "detail": error.detail}}
    body = response.body.decode() if isinstance(response.body, bytes) else response.body
    return {"status": response.status, "body": body, "contentType": response.content_type, "headers": response.headers}


def _replay(stored: dict[str, Any]) -> Response:
    """The stored response again, or the stored problem raised (answered with this request's id)."""
    problem = stored.get("problem")
    if problem is not None:
        error = ApiError(str(problem["detail"]))
        error.status, error.code, error.title = int(problem["status"]), str(problem["code"]), str(problem["title"])
        raise error
    return Response(
        int(stored["status"]),
        str(stored["body"]),
        stored.get("contentType"),
        {**dict(stored.get("headers") or {}), "Idempotent-Replayed": "true"},
    )
