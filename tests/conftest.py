"""Shared test wiring: no test reaches real AWS."""

from __future__ import annotations

import os

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "runs-api-tests")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# No issued secret may reach a table item or a log line, over the whole suite.
pytest_plugins = ["tests.secret_audit"]


def pytest_collection_modifyitems(items: list) -> None:  # type: ignore[type-arg]
    """Keep each expensive session fixture on one xdist worker: one synth, one local stack."""
    import pytest

    for item in items:
        path = str(item.fspath)
        for group in ("infra", "e2e"):
            if f"/tests/{group}/" in path:
                item.add_marker(pytest.mark.xdist_group(group))
                item.add_marker(getattr(pytest.mark, group))


def _point_service_log_handlers_at_live_stdout() -> None:
    import logging
    import sys

    from runs.constants import SERVICE_NAME

    for handler in logging.getLogger(SERVICE_NAME).handlers:
        if type(handler) is logging.StreamHandler:
            handler.stream = sys.stdout  # not setStream: that flushes the old stream, which may be closed


def pytest_runtest_setup(item: object) -> None:
    """pytest swaps sys.stdout for every test; the service logger's handler (made once, at its first
    import) must write to the live one, or its lines go to a closed stream."""
    _point_service_log_handlers_at_live_stdout()
