"""Synthesized templates for the infra tests: JSON for walking, `assertions.Template` on demand.

Nested templates reference root resources through parameters; `Synth.root_target` follows such a
reference back to the root resource's logical id, so tests can say which table a policy names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template

from stacks import RunsStack, create_app

STACK_NAME = "RunsApiTest"
CORS_ORIGINS = ("https://app.example.com", "http://localhost:5173")
TEST_CONTEXT: dict[str, Any] = {"stackName": STACK_NAME, "corsOrigins": list(CORS_ORIGINS)}


@dataclass
class NestedTemplate:
    name: str
    path: Path
    json: dict[str, Any]
    root_logical_id: str
    parameters: dict[str, Any]  # parameter name -> the root-side expression passed in

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.json["Resources"]
        return resources


@dataclass
class Synth:
    stack: RunsStack
    outdir: Path
    root_path: Path
    root: dict[str, Any]
    nested: dict[str, NestedTemplate]
    _templates: dict[Path, Template] = field(default_factory=dict)

    @property
    def template_paths(self) -> list[Path]:
        return [self.root_path, *(nested.path for nested in self.nested.values())]

    def template(self, path: Path) -> Template:
        """`assertions.Template` of a synthesized file (built lazily: each costs a jsii round trip)."""
        if path not in self._templates:
            self._templates[path] = Template.from_json(json.loads(path.read_text()))
        return self._templates[path]

    @property
    def root_template(self) -> Template:
        return self.template(self.root_path)

    def all_resources(self) -> Iterator[tuple[NestedTemplate | None, str, dict[str, Any]]]:
        for logical_id, resource in self.root["Resources"].items():
            yield None, logical_id, resource
        for nested in self.nested.values():
            for logical_id, resource in nested.resources.items():
                yield nested, logical_id, resource

    def root_target(self, nested: NestedTemplate | None, expression: Any) -> str | None:
        """The root logical id an expression (Ref / GetAtt, possibly via a nested parameter) points at."""
        if not isinstance(expression, dict):
            return None
        if "Ref" in expression:
            name = expression["Ref"]
            if nested is not None and name in nested.parameters:
                return self.root_target(None, nested.parameters[name])
            return name if nested is None else None
        if "Fn::GetAtt" in expression:
            return expression["Fn::GetAtt"][0] if nested is None else None
        return None

    def functions_by_handler(self) -> dict[str, tuple[NestedTemplate | None, str, dict[str, Any]]]:
        return {
            resource["Properties"]["Handler"].removesuffix(".handler"): (nested, logical_id, resource)
            for nested, logical_id, resource in self.all_resources()
            if resource["Type"] == "AWS::Lambda::Function"
        }

    def table_name_of(self, root_logical_id: str) -> str | None:
        """`runs`, `run-events`, ... for a root table logical id; None for anything else."""
        resource = self.root["Resources"].get(root_logical_id, {})
        if resource.get("Type") != "AWS::DynamoDB::GlobalTable":
            return None
        name: str = resource["Properties"]["TableName"]
        return name.removeprefix(f"{STACK_NAME}-")

    def resource_paths(self) -> dict[str, str]:
        """Root logical id of every API Gateway resource -> its full path (`/api/v1/...`)."""
        resources = {
            logical_id: resource["Properties"]
            for logical_id, resource in self.root["Resources"].items()
            if resource["Type"] == "AWS::ApiGateway::Resource"
        }

        def path_of(logical_id: str) -> str:
            props = resources[logical_id]
            parent = props["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            return f"{prefix}/{props['PathPart']}"

        paths = {logical_id: path_of(logical_id) for logical_id in resources}
        # The root resource is the RestApi's RootResourceId attribute.
        paths.update(
            {
                logical_id: "/"
                for logical_id, resource in self.root["Resources"].items()
                if resource["Type"] == "AWS::ApiGateway::RestApi"
            }
        )
        return paths


def synthesize(outdir: Path) -> Synth:
    """Synthesize the app once with the test context into `outdir`."""
    app, stack = create_app(outdir=str(outdir), context=TEST_CONTEXT)
    app.synth()
    root_path = outdir / stack.template_file
    root = json.loads(root_path.read_text())
    nested: dict[str, NestedTemplate] = {}
    for name, group in stack.api.route_groups.items():
        root_logical_id = stack.get_logical_id(group.nested_stack_resource)  # type: ignore[arg-type]
        path = outdir / group.template_file
        nested[name] = NestedTemplate(
            name=name,
            path=path,
            json=json.loads(path.read_text()),
            root_logical_id=root_logical_id,
            parameters=root["Resources"][root_logical_id]["Properties"].get("Parameters", {}),
        )
    return Synth(stack=stack, outdir=outdir, root_path=root_path, root=root, nested=nested)
