"""Errors API Gateway answers itself (before or instead of a Lambda), shaped as problem+json (DESIGN §4)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus

from aws_cdk import aws_apigateway as apigw

from runs.constants import CORS_EXPOSE_HEADERS

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE = "about:blank"  # RFC 9457: the title is then the status' reason phrase


@dataclass(frozen=True)
class GatewayProblem:
    response_type: apigw.ResponseType
    type_name: str  # the ResponseType's name, for tests and the deployment fingerprint
    status: int
    code: str

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase


# The identity source missing, or the authorizer saying Deny / Unauthorized, lands here.
GATEWAY_PROBLEMS: tuple[GatewayProblem, ...] = (
    GatewayProblem(apigw.ResponseType.UNAUTHORIZED, "UNAUTHORIZED", 401, "UNAUTHENTICATED"),
    GatewayProblem(apigw.ResponseType.ACCESS_DENIED, "ACCESS_DENIED", 403, "FORBIDDEN"),
    GatewayProblem(apigw.ResponseType.THROTTLED, "THROTTLED", 429, "RATE_LIMITED"),
    GatewayProblem(apigw.ResponseType.QUOTA_EXCEEDED, "QUOTA_EXCEEDED", 429, "RATE_LIMITED"),
    GatewayProblem(apigw.ResponseType.REQUEST_TOO_LARGE, "REQUEST_TOO_LARGE", 413, "PAYLOAD_TOO_LARGE"),
    GatewayProblem(apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", 415, "UNSUPPORTED_MEDIA_TYPE"),
    # API Gateway answers an unknown path or method with 403 "Missing Authentication Token"; it is a 404.
    GatewayProblem(apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "MISSING_AUTHENTICATION_TOKEN", 404, "NOT_FOUND"),
    GatewayProblem(apigw.ResponseType.RESOURCE_NOT_FOUND, "RESOURCE_NOT_FOUND", 404, "NOT_FOUND"),
    GatewayProblem(apigw.ResponseType.INTEGRATION_TIMEOUT, "INTEGRATION_TIMEOUT", 504, "TIMEOUT"),
    GatewayProblem(apigw.ResponseType.AUTHORIZER_FAILURE, "AUTHORIZER_FAILURE", 500, "INTERNAL"),
    GatewayProblem(
        apigw.ResponseType.AUTHORIZER_CONFIGURATION_ERROR, "AUTHORIZER_CONFIGURATION_ERROR", 500, "INTERNAL"
    ),
    # Everything else keeps one status per family so that the body's `status` never lies.
    GatewayProblem(apigw.ResponseType.DEFAULT_4_XX, "DEFAULT_4XX", 400, "BAD_REQUEST"),
    GatewayProblem(apigw.ResponseType.DEFAULT_5_XX, "DEFAULT_5XX", 500, "INTERNAL"),
)


def problem_template(problem: GatewayProblem) -> str:
    """The body template: API Gateway substitutes `$context` variables (no VTL logic runs here)."""
    body = {
        "type": PROBLEM_TYPE,
        "title": problem.title,
        "status": problem.status,
        "detail": "@DETAIL@",
        "instance": "$context.path",
        "code": problem.code,
        "requestId": "$context.requestId",
        "errors": [],
    }
    # messageString is already a quoted, escaped JSON string.
    return json.dumps(body, separators=(",", ":")).replace('"@DETAIL@"', "$context.error.messageString")


def cors_response_headers(origins: tuple[str, ...]) -> dict[str, str]:
    """CORS headers for gateway responses; values are mapping expressions (static ones in quotes).

    Gateway responses cannot choose among several origins, so with more than one configured origin the
    request's Origin is echoed: these bodies carry no data beyond the request id.
    """
    if not origins:
        return {}
    if "*" in origins:
        allow_origin = "'*'"
    elif len(origins) == 1:
        allow_origin = f"'{origins[0]}'"
    else:
        allow_origin = "method.request.header.Origin"
    return {
        "Access-Control-Allow-Origin": allow_origin,
        "Access-Control-Expose-Headers": f"'{','.join(CORS_EXPOSE_HEADERS)}'",
        "Vary": "'Origin'",
    }


def add_gateway_responses(api: apigw.RestApi, origins: tuple[str, ...]) -> list[apigw.GatewayResponse]:
    headers = {
        "Content-Type": f"'{PROBLEM_CONTENT_TYPE}'",
        # Echoed when the client sent one; the body's requestId is always there.
        "X-Request-Id": "method.request.header.X-Request-Id",
        **cors_response_headers(origins),
    }
    return [
        api.add_gateway_response(
            f"Problem{problem.type_name.title().replace('_', '')}",
            type=problem.response_type,
            status_code=str(problem.status),
            response_headers=headers,
            templates={
                "application/json": problem_template(problem),
                PROBLEM_CONTENT_TYPE: problem_template(problem),
            },
        )
        for problem in GATEWAY_PROBLEMS
    ]
