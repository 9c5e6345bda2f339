"""The other supported shape: no browser origins, and API Gateway's authorizer cache on.

Cache on (opt-in, `-c authorizerCacheSeconds=300`) makes API Gateway demand the `X-API-Key` header,
so `Authorization: Bearer` and `?access_token=` are then refused before the authorizer runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stacks import create_app

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


@pytest.fixture(scope="module")
def variant_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    outdir = Path(tmp_path_factory.mktemp("cdk.out.variant"))
    app, _stack = create_app(
        outdir=str(outdir), context={"stackName": "RunsApiVariant", "authorizerCacheSeconds": 300, "corsOrigins": []}
    )
    app.synth()
    return {path.name: json.loads(path.read_text()) for path in outdir.glob("*.template.json")}


def resources_of_type(templates: dict[str, dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [
        resource
        for template in templates.values()
        for resource in template["Resources"].values()
        if resource["Type"] == resource_type
    ]


def test_cached_authorizer_requires_the_api_key_header(variant_templates: dict[str, dict[str, Any]]) -> None:
    (authorizer,) = resources_of_type(variant_templates, "AWS::ApiGateway::Authorizer")
    assert authorizer["Properties"]["AuthorizerResultTtlInSeconds"] == 300
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.X-API-Key"


def test_without_origins_there_is_no_preflight_and_no_cors_header(
    variant_templates: dict[str, dict[str, Any]],
) -> None:
    methods = resources_of_type(variant_templates, "AWS::ApiGateway::Method")
    assert methods and all(method["Properties"]["HttpMethod"] != "OPTIONS" for method in methods)
    for response in resources_of_type(variant_templates, "AWS::ApiGateway::GatewayResponse"):
        assert "gatewayresponse.header.Access-Control-Allow-Origin" not in response["Properties"]["ResponseParameters"]
    (bucket,) = resources_of_type(variant_templates, "AWS::S3::Bucket")
    assert "CorsConfiguration" not in bucket["Properties"]
