"""The REST API: methods per route behind the authorizer, CORS preflight, problem+json gateway responses."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk.assertions import Match

from runs.constants import AUTHORIZER_CACHE_SECONDS, STAGE_NAME
from runs.routes import ROUTES, Route
from stacks.api import BINARY_MEDIA_TYPES, CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, api_fingerprint, group_routes
from stacks.config import RunsStackConfig
from stacks.gateway_responses import GATEWAY_PROBLEMS
from tests.infra.synth_support import CORS_ORIGINS, NestedTemplate, Synth

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code", "requestId", "errors"}
REQUIRED_GATEWAY_RESPONSES = {
    "UNAUTHORIZED": (401, "UNAUTHENTICATED"),
    "ACCESS_DENIED": (403, "FORBIDDEN"),
    "THROTTLED": (429, "RATE_LIMITED"),
    "DEFAULT_4XX": (400, "BAD_REQUEST"),
    "DEFAULT_5XX": (500, "INTERNAL"),
    "REQUEST_TOO_LARGE": (413, "PAYLOAD_TOO_LARGE"),
}


def methods(synth: Synth) -> Iterator[tuple[NestedTemplate | None, str, dict[str, Any]]]:
    for nested, logical_id, resource in synth.all_resources():
        if resource["Type"] == "AWS::ApiGateway::Method":
            yield nested, logical_id, resource


def authorizer_logical_id(synth: Synth) -> str:
    (logical_id,) = [
        str(logical_id)
        for logical_id, resource in synth.root["Resources"].items()
        if resource["Type"] == "AWS::ApiGateway::Authorizer"
    ]
    return logical_id


def route_methods(synth: Synth) -> dict[tuple[str, str], tuple[NestedTemplate | None, dict[str, Any]]]:
    paths = synth.resource_paths()
    found = {}
    for nested, _logical_id, method in methods(synth):
        props = method["Properties"]
        path = paths[synth.root_target(nested, props["ResourceId"]) or ""]
        found[(props["HttpMethod"], path)] = (nested, method)
    return found


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.handler)
def test_route_method_invokes_its_function_behind_the_authorizer(synth: Synth, route: Route) -> None:
    nested, method = route_methods(synth)[(route.method, route.full_path)]
    props = method["Properties"]
    assert props["AuthorizationType"] == "CUSTOM"
    assert synth.root_target(nested, props["AuthorizerId"]) == authorizer_logical_id(synth)
    assert props["Integration"]["Type"] == "AWS_PROXY"
    # The integration URI names this route's function
    uri_parts = props["Integration"]["Uri"]["Fn::Join"][1]
    function_id = next(part["Fn::GetAtt"][0] for part in uri_parts if isinstance(part, dict) and "Fn::GetAtt" in part)
    assert nested is not None
    assert nested.resources[function_id]["Properties"]["Handler"] == f"{route.handler}.handler"


def test_only_options_methods_skip_the_authorizer(synth: Synth) -> None:
    for _nested, logical_id, method in methods(synth):
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            assert props["AuthorizationType"] == "NONE", logical_id
            assert props["Integration"]["Type"] == "MOCK"
        else:
            assert props["AuthorizationType"] == "CUSTOM", logical_id


def test_every_resource_answers_cors_preflight_with_the_configured_headers(synth: Synth) -> None:
    options = {path for (verb, path) in route_methods(synth) if verb == "OPTIONS"}
    assert set(synth.resource_paths().values()) <= options
    synth.root_template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "HttpMethod": "OPTIONS",
            "Integration": {
                "IntegrationResponses": [
                    Match.object_like(
                        {
                            "ResponseParameters": Match.object_like(
                                {
                                    "method.response.header.Access-Control-Allow-Headers": (
                                        f"'{','.join(CORS_ALLOW_HEADERS)}'"
                                    ),
                                    "method.response.header.Access-Control-Allow-Origin": f"'{CORS_ORIGINS[0]}'",
                                    "method.response.header.Access-Control-Expose-Headers": (
                                        f"'{','.join(CORS_EXPOSE_HEADERS)}'"
                                    ),
                                }
                            )
                        }
                    )
                ]
            },
        },
    )


def test_the_authorizer_sees_every_request_so_bearer_tokens_work(synth: Synth) -> None:
    # Given API Gateway's cache off (the authorizer caches valid keys itself), Then no identity source is
    # demanded: X-API-Key and Authorization: Bearer both reach the authorizer.
    (authorizer,) = synth.root_template.find_resources("AWS::ApiGateway::Authorizer").values()
    assert authorizer["Properties"]["Type"] == "REQUEST"
    assert authorizer["Properties"]["AuthorizerResultTtlInSeconds"] == AUTHORIZER_CACHE_SECONDS == 0
    assert not authorizer["Properties"].get("IdentitySource")
    functions = synth.functions_by_handler()
    nested, _logical_id, _function = functions["authorizer"]
    assert nested is None  # in the root stack, next to the API it serves


def test_authorizer_cache_off_drops_the_identity_source_requirement() -> None:
    # Given caching disabled, Then the config is valid (CDK accepts no identity sources at TTL 0)
    assert RunsStackConfig(authorizer_cache_seconds=0).authorizer_cache_seconds == 0
    with pytest.raises(ValueError, match="between 0 and 3600"):
        RunsStackConfig(authorizer_cache_seconds=7200)


@pytest.mark.parametrize("response_type", sorted(REQUIRED_GATEWAY_RESPONSES))
def test_gateway_response_is_problem_json_with_cors(synth: Synth, response_type: str) -> None:
    status, code = REQUIRED_GATEWAY_RESPONSES[response_type]
    (response,) = [
        resource["Properties"]
        for resource in synth.root["Resources"].values()
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse"
        and resource["Properties"]["ResponseType"] == response_type
    ]
    assert response["StatusCode"] == str(status)
    headers = response["ResponseParameters"]
    assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
    assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "method.request.header.Origin"
    # The template is JSON once API Gateway substitutes its variables
    template = response["ResponseTemplates"]["application/json"]
    body = json.loads(re.sub(r"\$context\.error\.messageString", '"Unauthorized"', template))
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["requestId"] == "$context.requestId"
    assert body["errors"] == []


def test_unknown_routes_answer_404_instead_of_missing_authentication_token(synth: Synth) -> None:
    synth.root_template.has_resource_properties(
        "AWS::ApiGateway::GatewayResponse",
        {"ResponseType": "MISSING_AUTHENTICATION_TOKEN", "StatusCode": "404"},
    )
    assert len({problem.type_name for problem in GATEWAY_PROBLEMS}) == len(GATEWAY_PROBLEMS)


def test_stage_is_throttled_and_named_from_constants(synth: Synth) -> None:
    synth.root_template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": STAGE_NAME,
            "MethodSettings": [
                Match.object_like(
                    {"HttpMethod": "*", "ResourcePath": "/*", "ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100}
                )
            ],
        },
    )


def test_deployment_waits_for_every_route_group_and_gateway_response(synth: Synth) -> None:
    # Given the one deployment the stage points at
    (deployment,) = [r for r in synth.root["Resources"].values() if r["Type"] == "AWS::ApiGateway::Deployment"]
    # Then it is created only after every method (nested stacks, OPTIONS) and gateway response exists
    nested_ids = {nested.root_logical_id for nested in synth.nested.values()}
    snapshotted = {
        logical_id
        for logical_id, resource in synth.root["Resources"].items()
        if resource["Type"] in ("AWS::ApiGateway::GatewayResponse", "AWS::ApiGateway::Method")
    }
    assert nested_ids | snapshotted <= set(deployment["DependsOn"])


def test_deployment_identity_changes_with_the_routes() -> None:
    # Given the route table, When one route's path changes, Then a new deployment is made
    config = RunsStackConfig()
    changed = (ROUTES[0].__class__(**{**ROUTES[0].__dict__, "path": "/renamed"}), *ROUTES[1:])
    assert api_fingerprint(config, ROUTES) == api_fingerprint(config, ROUTES)
    assert api_fingerprint(config, ROUTES) != api_fingerprint(config, changed)


def test_rest_api_is_regional_and_accepts_binary_uploads(synth: Synth) -> None:
    synth.root_template.has_resource_properties(
        "AWS::ApiGateway::RestApi",
        {"EndpointConfiguration": {"Types": ["REGIONAL"]}, "BinaryMediaTypes": list(BINARY_MEDIA_TYPES)},
    )
    assert {"multipart/form-data", "application/octet-stream"} <= set(BINARY_MEDIA_TYPES)


def test_routes_are_grouped_by_their_first_tag(synth: Synth) -> None:
    assert set(synth.nested) == set(group_routes(ROUTES))
    for name, members in group_routes(ROUTES).items():
        handlers = {
            r["Properties"]["Handler"].removesuffix(".handler")
            for r in synth.nested[name].resources.values()
            if r["Type"] == "AWS::Lambda::Function"
        }
        assert handlers == {route.handler for route in members}
