"""Deployability: CloudFormation's resource limit, cfn-lint, and Lambda's 250 MB unzipped size."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from layers.build import LAMBDA_UNZIPPED_LIMIT_BYTES, directory_size, layer_requirements, requirement_name
from runs.routes import ROUTES
from stacks.api import MAX_ROUTES_PER_GROUP, group_routes
from stacks.config import RunsStackConfig
from tests.infra.synth_support import Synth

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

# CloudFormation allows 500; fail well before, while there is room to split.
RESOURCE_BUDGET = 400
# W3005: CDK writes DependsOn next to GetAtt/Ref dependencies; harmless and inherent to CDK.
CFN_LINT_IGNORES = ["W3005"]
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_every_template_stays_under_the_resource_budget(synth: Synth) -> None:
    for path in synth.template_paths:
        count = len(json.loads(path.read_text())["Resources"])
        assert count < RESOURCE_BUDGET, f"{path.name}: {count} resources"


def test_route_groups_have_room_for_the_full_route_table() -> None:
    # 6 resources per route: a full group is far below the budget
    assert MAX_ROUTES_PER_GROUP * 6 < RESOURCE_BUDGET
    with pytest.raises(ValueError, match="give some another first tag"):
        group_routes([ROUTES[0]] * (MAX_ROUTES_PER_GROUP + 1))


def cfn_lint_executable() -> str:
    """The venv's cfn-lint (next to this interpreter), else the one on PATH."""
    beside = Path(sys.executable).parent / "cfn-lint"
    found = str(beside) if beside.exists() else shutil.which("cfn-lint")
    assert found, "cfn-lint is not installed (requirements-dev.txt)"
    return found


def test_cfn_lint_passes_on_every_template(synth: Synth) -> None:
    paths = [str(path) for path in synth.template_paths]
    assert len(paths) == 1 + len(synth.nested)
    ignores = [option for rule in CFN_LINT_IGNORES for option in ("--ignore-checks", rule)]
    result = subprocess.run(
        [cfn_lint_executable(), *ignores, "--", *paths], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependency_layer_has_no_boto_and_has_arm64_cp312_calamine(synth: Synth) -> None:
    site = synth.stack.layers.dependencies_dir / "python"
    names = {entry.name.lower() for entry in site.iterdir()}
    assert not any(name.startswith(("boto3", "botocore", "s3transfer")) for name in names)
    assert list(site.glob("python_calamine/_python_calamine.cpython-312-aarch64-linux-gnu.so"))
    assert list(site.glob("pydantic_core/_pydantic_core.cpython-312-aarch64-linux-gnu.so"))
    assert not list(site.rglob("*x86_64*.so"))
    assert not list(site.rglob("__pycache__"))


def test_function_and_layers_fit_lambdas_unzipped_limit(synth: Synth) -> None:
    layers = synth.stack.layers
    functions_asset = REPO_ROOT / "functions"
    total = (
        directory_size(layers.dependencies_dir) + directory_size(layers.shared_dir) + directory_size(functions_asset)
    )
    assert total < LAMBDA_UNZIPPED_LIMIT_BYTES, f"{total / 2**20:.1f} MiB"


def test_layer_requirements_drop_runtime_provided_packages(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3==1.0\nBotocore==1.0  # pinned\npydantic==2.0\n-r other.txt\n# comment\n")
    kept = [line for line in layer_requirements(requirements).splitlines() if line]
    assert kept == ["pydantic==2.0", "-r other.txt", "# comment"]
    assert requirement_name("python_calamine==0.9.1") == "python-calamine"
    assert requirement_name("--only-binary=:all:") is None


def test_cors_origins_come_from_a_list_or_a_comma_separated_string() -> None:
    from_list = RunsStackConfig.from_context({"corsOrigins": ["https://a.example", "https://b.example"]}.get)
    from_cli = RunsStackConfig.from_context({"corsOrigins": "https://a.example, https://b.example"}.get)
    assert from_list.cors_origins == from_cli.cors_origins == ("https://a.example", "https://b.example")
    assert RunsStackConfig.from_context({}.get).cors_origins == ()
    with pytest.raises(ValueError, match="stackName"):
        RunsStackConfig(stack_name="bad_name")
