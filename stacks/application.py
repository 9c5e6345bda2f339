"""Build the CDK app the same way for `python app.py`, the CDK CLI and the tests."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from stacks.config import RunsStackConfig
from stacks.runs_stack import RunsStack

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = REPO_ROOT / "cdk.json"
DEFAULT_OUTDIR = "cdk.out"


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """cdk.json's `context` (feature flags, defaults): `python app.py` then synthesizes what `cdk` does."""
    if not path.is_file():
        return {}
    context = json.loads(path.read_text(encoding="utf-8")).get("context", {})
    return dict(context)


def create_app(*, outdir: str | None = None, context: Mapping[str, Any] | None = None) -> tuple[cdk.App, RunsStack]:
    """The app with its one stack. `context` overrides cdk.json; the CLI's own context overrides both."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    merged = {**cdk_json_context(), **(context or {})}
    resolved_outdir = outdir or os.environ.get("CDK_OUTDIR") or DEFAULT_OUTDIR
    app = cdk.App(outdir=resolved_outdir, context=merged)
    config = RunsStackConfig.from_context(app.node.try_get_context)
    env = cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))
    stack = RunsStack(app, config.stack_name, config=config, env=env)
    return app, stack
