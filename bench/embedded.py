"""An embedded moto server provisioned as the local stack is, with a fresh workspace to measure in."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.integration.conftest import Api

REPO = Path(__file__).resolve().parents[1]
PATHS = [str(REPO / "layers" / "shared" / "python"), str(REPO / "functions")]
BENCH_KEY = "bench.bench-secret-000"


@contextmanager
def embedded_workspace(prefix: str) -> Iterator[Api]:
    """Moto with the stack's resources (named with `prefix`) and an admin client on a new workspace."""
    from local.moto_stack import apply_environment, aws_environment, provision_resources, start_moto_server

    server = start_moto_server()
    apply_environment(aws_environment(server.endpoint_url))
    apply_environment(provision_resources(server.endpoint_url, prefix=prefix).environment)
    try:
        sys.path[:0] = PATHS
        from runs.ids import new_id
        from runs.services.workspaces import bootstrap_workspace
        from tests.integration.conftest import Api

        api = Api(BENCH_KEY, new_id())
        bootstrap_workspace(api.workspace_id, "bench", api.api_key)
        yield api
    finally:
        server.stop()
