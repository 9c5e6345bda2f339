"""Generate `docs/openapi.json` from the route table and the pydantic models.

`python -m runs.openapi --write` regenerates the committed files; a test fails when they drift.
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from runs.constants import AUTH_HEADER
from runs.routes import ROUTES, Route

REPO_ROOT = Path(__file__).resolve().parents[4]
OPENAPI_PATH = REPO_ROOT / "docs" / "openapi.json"
CONFIGURATION_SCHEMA_PATH = REPO_ROOT / "docs" / "configuration.schema.json"
ERROR_STATUSES = {
    "GET": ("401", "403", "404", "422"),
    "POST": ("400", "401", "403", "404", "409", "413", "415", "422"),
    "DELETE": ("401", "403", "404"),
}


def _model(reference: str) -> type[BaseModel]:
    module, _, name = reference.partition(":")
    model = getattr(importlib.import_module(module), name)
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model


def _query_parameters(model: type[BaseModel], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    parameters = []
    for name, field in model.model_fields.items():
        alias = model.model_config.get("alias_generator")
        public = getattr(alias, "serialization_alias", None)
        key = public(name) if callable(public) else name
        schema = schemas.get(key) or {}
        parameters.append(
            {
                "name": key,
                "in": "query",
                "required": field.is_required(),
                "schema": schema,
                **({"explode": True} if schema.get("type") == "array" else {}),
            }
        )
    return parameters


def build_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route."""
    from runs.models.base import Problem

    models: set[tuple[type[BaseModel], JsonSchemaMode]] = {(Problem, "serialization")}
    for route in ROUTES:
        if route.request_model:
            models.add((_model(route.request_model), "validation"))
        if route.response_model:
            models.add((_model(route.response_model), "serialization"))
    ordered = sorted(models, key=lambda pair: (pair[0].__name__, pair[1]))
    keys, definitions = models_json_schema(ordered, by_alias=True, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.full_path, {})[route.method.lower()] = _operation(route, keys)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Runs API",
            "version": "1.0.0",
            "description": "Spreadsheet normalization runs. Errors are application/problem+json with a stable `code`.",
        },
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}, {"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": AUTH_HEADER},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def _operation(route: Route, keys: dict[Any, Any]) -> dict[str, Any]:
    def ref(reference: str, mode: JsonSchemaMode) -> dict[str, Any]:
        return dict(keys[(_model(reference), mode)])

    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in route.path_parameters
    ]
    if route.query_model:
        query_model = _model(route.query_model)
        properties = query_model.model_json_schema(by_alias=True)["properties"]
        parameters.extend(_query_parameters(query_model, properties))
    if route.method == "POST":
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 255},
            }
        )
    operation: dict[str, Any] = {
        "operationId": route.handler,
        "summary": route.summary,
        "tags": list(route.tags),
        "parameters": parameters,
        "x-permission": route.permission,
    }
    content: dict[str, Any] = {}
    if route.request_model:
        content["application/json"] = {"schema": ref(route.request_model, "validation")}
    if route.multipart:
        content["multipart/form-data"] = {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    if content:
        operation["requestBody"] = {"required": True, "content": content}
    body: dict[str, Any] = {}
    if route.response_model:
        schema = ref(route.response_model, "serialization")
        if route.response_is_list:
            schema = {"type": "array", "items": schema}
        body = {"application/json": {"schema": schema}}
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    if route.redirect:
        responses: dict[str, Any] = {
            "302": {
                "description": route.summary,
                "headers": {
                    "Location": {
                        "description": "A presigned URL, valid for a few minutes, whose response names the file",
                        "schema": {"type": "string", "format": "uri"},
                    }
                },
            },
            "200": {"description": "With `redirect=false`: the URL and when it expires", "content": body},
        }
    else:
        success: dict[str, Any] = {"description": route.summary, **({"content": body} if body else {})}
        if route.response_headers:
            success["headers"] = {
                name: {"description": description, "schema": {"type": "string"}}
                for name, description in route.response_headers
            }
        responses = {str(route.success_status): success}
    statuses = sorted({*ERROR_STATUSES[route.method], *map(str, route.problem_statuses)})
    responses.update({status: {"description": "Problem", "content": problem} for status in statuses})
    operation["responses"] = responses
    return operation


def configuration_schema() -> dict[str, Any]:
    from normalizer.config import Configuration

    schema = Configuration.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "configuration.schema.json", **schema}


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate docs/openapi.json and docs/configuration.schema.json")
    parser.add_argument("--write", action="store_true", help="write the files (default: print the OpenAPI)")
    arguments = parser.parse_args()
    if not arguments.write:
        print(render(build_document()), end="")
        return
    OPENAPI_PATH.parent.mkdir(exist_ok=True)
    OPENAPI_PATH.write_text(render(build_document()))
    CONFIGURATION_SCHEMA_PATH.write_text(render(configuration_schema()))
    print(f"wrote {OPENAPI_PATH.relative_to(REPO_ROOT)} and {CONFIGURATION_SCHEMA_PATH.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
