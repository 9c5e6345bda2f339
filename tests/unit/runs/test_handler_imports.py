"""Cold start is a feature: API handlers import no workbook library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from runs.routes import ROUTES

REPO = Path(__file__).resolve().parents[3]
WORKBOOK_MODULES = ("openpyxl", "python_calamine", "rustpy_xlsxwriter", "xlsxwriter", "aws_xray_sdk")


def test_api_handlers_import_no_workbook_library() -> None:
    modules = ["authorizer", *sorted({route.handler for route in ROUTES})]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in {WORKBOOK_MODULES!r} if m in sys.modules))\n"
    )
    paths = f"{REPO / 'layers' / 'shared' / 'python'}:{REPO / 'functions'}"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": paths, "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.stdout.strip() == "[]"
