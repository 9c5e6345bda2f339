"""The whole laptop stack in one process: moto, the resources, the seeded workspace and the HTTP server."""

from __future__ import annotations

import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from local.gateway import Gateway
from local.moto_stack import (
    LocalMotoServer,
    LocalResources,
    apply_environment,
    aws_environment,
    provision_resources,
    start_moto_server,
)
from local.server import BackgroundServer, LocalServer
from runs import constants

logger = logging.getLogger("local")

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPOSITORY_ROOT / "functions"
LOCAL_WORKSPACE_NAME = "Local workspace"


@dataclass
class LocalStack:
    """A running laptop stack. `base_url` is the server root; the REST API is under `api_url`."""

    base_url: str
    api_key: str
    workspace_id: str
    moto_endpoint_url: str
    resources: LocalResources
    startup_seconds: float
    _http: BackgroundServer
    _moto: LocalMotoServer
    _executor: ThreadPoolExecutor
    _stopped: bool = False

    @property
    def api_url(self) -> str:
        return self.base_url + constants.API_BASE_PATH

    @property
    def websocket_url(self) -> str:
        return "ws" + self.base_url.removeprefix("http") + "/ws"

    def example_curl(self) -> str:
        """A copy-paste command that lists the seeded workspace's runs."""
        url = f"{self.api_url}/workspaces/{self.workspace_id}/runs"
        return f"curl -s -H '{constants.AUTH_HEADER}: {self.api_key}' '{url}'"

    def stop(self) -> None:
        """Stop serving, then stop moto; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._http.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._moto.stop()


def start_local_stack(
    port: int | None = None,
    *,
    host: str | None = None,
    workspace_id: str | None = None,
    api_key: str | None = None,
    access_log: bool = False,
) -> LocalStack:
    """Start moto, provision it from `runs.constants`, seed the workspace and serve the API.

    `port=None` picks a free port. The AWS and resource variables are exported to this process's
    environment before any handler is imported (handlers read their settings at import), so call this
    once per process. Raises `OSError` when the port is taken and `RuntimeError` when seeding fails.
    """
    started = time.monotonic()
    host = host or os.environ.get("HOST", "127.0.0.1")
    workspace_id = workspace_id or os.environ.get("LOCAL_WORKSPACE_ID") or constants.LOCAL_WORKSPACE_ID
    api_key = api_key or os.environ.get("LOCAL_API_KEY") or constants.LOCAL_API_KEY
    prefix = constants.LOCAL_RESOURCE_PREFIX

    moto = start_moto_server()
    try:
        apply_environment(aws_environment(moto.endpoint_url))
        resources = provision_resources(moto.endpoint_url, prefix=prefix)
        apply_environment(resources.environment)
        if str(FUNCTIONS_DIR) not in sys.path:
            sys.path.insert(0, str(FUNCTIONS_DIR))
        _seed_workspace(workspace_id, api_key)

        executor = ThreadPoolExecutor(max_workers=64, thread_name_prefix="lambda")
        gateway = Gateway(
            executor=executor,
            function_name_prefix=prefix,
            enforce_timeouts=os.environ.get("LOCAL_LAMBDA_TIMEOUTS", "1") != "0",
        )
        http = BackgroundServer(LocalServer(gateway), host=host, port=port or 0, access_log=access_log)
        http.start()
    except BaseException:
        moto.stop()
        raise
    display_host = "127.0.0.1" if http.host in ("0.0.0.0", "") else http.host  # noqa: S104
    return LocalStack(
        base_url=f"http://{display_host}:{http.port}",
        api_key=api_key,
        workspace_id=workspace_id,
        moto_endpoint_url=moto.endpoint_url,
        resources=resources,
        startup_seconds=time.monotonic() - started,
        _http=http,
        _moto=moto,
        _executor=executor,
    )


def _seed_workspace(workspace_id: str, api_key: str) -> None:
    try:
        # Imported only now: the service reads its settings from the environment set above.
        from runs.services.workspaces import bootstrap_workspace
    except ImportError as error:
        raise RuntimeError(f"cannot seed the local workspace: {error}") from error
    bootstrap_workspace(workspace_id, LOCAL_WORKSPACE_NAME, api_key)
