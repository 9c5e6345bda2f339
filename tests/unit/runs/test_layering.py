"""The layers of the code (docs/architecture.md): services work on models and never reach for HTTP or boto3."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[3] / "layers" / "shared" / "python" / "runs" / "services"
FORBIDDEN_IN_SERVICES = ("runs.http", "boto3", "botocore")


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of the file (function-level imports included)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


@pytest.mark.parametrize("path", sorted(SERVICES.glob("*.py")), ids=lambda path: path.name)
def test_a_service_imports_neither_the_http_layer_nor_boto3(path: Path) -> None:
    offending = {
        module
        for module in imported_modules(path)
        for forbidden in FORBIDDEN_IN_SERVICES
        if module == forbidden or module.startswith(forbidden + ".")
    }
    assert not offending, f"{path.name} imports {sorted(offending)}"


def test_the_import_scan_sees_a_function_level_import(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text("def f():\n    from runs.http import validate\n    import boto3\n")
    assert {"runs.http", "runs.http.validate", "boto3"} <= imported_modules(source)
