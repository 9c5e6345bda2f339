"""The two Lambda layers: third-party dependencies (pip-built for arm64, no Docker) and shared code."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from layers.build import DEFAULT_BUILD_ROOT, DEFAULT_REQUIREMENTS, build_dependency_layer
from stacks.runtime import ARCHITECTURE, RUNTIME

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_CODE_DIR = REPO_ROOT / "layers" / "shared"
# Bytecode from the local interpreter is useless to the 3.12 runtime and would change the asset hash.
BYTECODE_EXCLUDES = ["**/__pycache__", "**/*.pyc", "**/.mypy_cache", "**/.pytest_cache"]


class Layers(Construct):
    """`dependencies`: requirements.txt minus boto3; `shared`: the `runs` and `normalizer` packages."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        requirements: Path = DEFAULT_REQUIREMENTS,
        build_root: Path = DEFAULT_BUILD_ROOT,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dependencies_dir = build_dependency_layer(requirements, build_root)
        self.shared_dir = SHARED_CODE_DIR
        self.dependencies = self._layer(
            "Dependencies", self.dependencies_dir, "Third-party packages (requirements.txt without boto3)"
        )
        self.shared = self._layer("SharedCode", self.shared_dir, "The runs service library and normalizer")

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return [self.dependencies, self.shared]

    def _layer(self, construct_id: str, directory: Path, description: str) -> lambda_.LayerVersion:
        return lambda_.LayerVersion(
            self,
            construct_id,
            code=lambda_.Code.from_asset(str(directory), exclude=BYTECODE_EXCLUDES),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description=description,
            removal_policy=RemovalPolicy.DESTROY,
        )
