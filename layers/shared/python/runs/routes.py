"""The route table: the single source for every HTTP endpoint.

The CDK stack builds one Lambda function per route from it, the local server dispatches with it, and
`docs/openapi.json` is generated from it. Models are named as "module:Class" strings so that importing
this table (every handler does, for its permission) costs no model imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from runs.constants import API_BASE_PATH

Permission = Literal[
    "runs.read",
    "runs.manage",
    "documents.read",
    "documents.manage",
    "configurations.read",
    "configurations.manage",
    "apiKeys.manage",
    "workspaces.read",
    "workspaces.create",
    "platform.admin",
    "authenticated",
]


@dataclass(frozen=True)
class Route:
    """One endpoint: `handler` is the module under `functions/` that serves it."""

    handler: str
    method: Literal["GET", "POST", "DELETE"]
    path: str
    permission: Permission
    summary: str
    success_status: int = 200
    request_model: str | None = None
    response_model: str | None = None
    query_model: str | None = None
    response_is_list: bool = False
    body_limit_bytes: int = 1024 * 1024
    multipart: bool = False
    memory_mb: int = 256
    timeout_seconds: int = 10
    tags: tuple[str, ...] = ()
    # What the function's role may touch: "<resource>:<read|write>" over runs, events, documents,
    # configurations, workspaces, idempotency, files (the bucket), or "<table>:update(<attribute>,...)" for
    # UpdateItem of those attributes only. The CDK stack grants exactly these.
    grants: tuple[str, ...] = ()
    # Success is a 302 to a presigned URL; `?redirect=false` answers `response_model` with 200 instead.
    redirect: bool = False
    # Problem statuses beyond those every route of the method may answer (see `runs.openapi`).
    problem_statuses: tuple[int, ...] = ()
    # Headers of a successful response worth documenting: (name, description).
    response_headers: tuple[tuple[str, str], ...] = ()

    @property
    def full_path(self) -> str:
        return API_BASE_PATH + self.path

    @property
    def path_parameters(self) -> tuple[str, ...]:
        return tuple(part[1:-1] for part in self.path.split("/") if part.startswith("{"))


_WS = "/workspaces/{workspaceId}"
_RUN = _WS + "/runs/{runId}"
M = "runs.models"

ROUTES: tuple[Route, ...] = (
    # Workspaces and API keys (DESIGN §5)
    Route(
        "workspaces_list",
        "GET",
        "/workspaces",
        "authenticated",
        "List the workspaces this key can see",
        response_model=f"{M}.workspaces:WorkspacePage",
        tags=("workspaces",),
        grants=("workspaces:read",),
    ),
    Route(
        "workspaces_create",
        "POST",
        "/workspaces",
        "workspaces.create",
        "Create a workspace (platform admin)",
        success_status=201,
        request_model=f"{M}.workspaces:WorkspaceCreateRequest",
        response_model=f"{M}.workspaces:WorkspaceResource",
        tags=("workspaces",),
        grants=("workspaces:write", "idempotency:write"),
    ),
    Route(
        "workspaces_get",
        "GET",
        _WS,
        "workspaces.read",
        "Get a workspace",
        response_model=f"{M}.workspaces:WorkspaceResource",
        tags=("workspaces",),
        grants=("workspaces:read",),
    ),
    Route(
        "api_keys_create",
        "POST",
        _WS + "/api-keys",
        "apiKeys.manage",
        "Create an API key (secret shown once)",
        success_status=201,
        request_model=f"{M}.workspaces:ApiKeyCreateRequest",
        response_model=f"{M}.workspaces:ApiKeyCreatedResource",
        tags=("api-keys",),
        grants=("workspaces:write", "idempotency:write"),
    ),
    Route(
        "api_keys_list",
        "GET",
        _WS + "/api-keys",
        "apiKeys.manage",
        "List the workspace's API keys",
        response_model=f"{M}.workspaces:ApiKeyPage",
        tags=("api-keys",),
        grants=("workspaces:read",),
    ),
    Route(
        "api_keys_delete",
        "DELETE",
        _WS + "/api-keys/{keyId}",
        "apiKeys.manage",
        "Revoke an API key",
        success_status=204,
        tags=("api-keys",),
        grants=("workspaces:write",),
    ),
    Route(
        "admin_api_keys_list",
        "GET",
        "/admin/api-keys",
        "platform.admin",
        "List the platform-admin API keys (platform admin)",
        response_model=f"{M}.workspaces:PlatformApiKeyPage",
        tags=("api-keys",),
        grants=("workspaces:read",),
    ),
    Route(
        "admin_api_keys_delete",
        "DELETE",
        "/admin/api-keys/{keyId}",
        "platform.admin",
        "Revoke a platform-admin API key (platform admin)",
        success_status=204,
        tags=("api-keys",),
        # Platform-admin keys may only be marked revoked: no other attribute (see stacks/grants.py).
        grants=("workspaces:update(revokedAt,revokedBy)",),
    ),
    # Documents (inputs)
    Route(
        "documents_create",
        "POST",
        _WS + "/documents",
        "documents.manage",
        "Create a document: presigned upload (JSON) or direct multipart upload (≤ 4 MiB)",
        success_status=201,
        request_model=f"{M}.documents:DocumentCreateRequest",
        response_model=f"{M}.documents:DocumentCreatedResource",
        body_limit_bytes=4 * 1024 * 1024,
        multipart=True,
        memory_mb=512,
        timeout_seconds=20,
        tags=("documents",),
        grants=("documents:write", "files:write", "idempotency:write"),
    ),
    Route(
        "documents_list",
        "GET",
        _WS + "/documents",
        "documents.read",
        "List documents",
        response_model=f"{M}.documents:DocumentPage",
        query_model=f"{M}.documents:DocumentListQuery",
        tags=("documents",),
        grants=("documents:read",),
    ),
    Route(
        "documents_get",
        "GET",
        _WS + "/documents/{documentId}",
        "documents.read",
        "Get a document",
        response_model=f"{M}.documents:DocumentResource",
        tags=("documents",),
        grants=("documents:read", "files:read"),
    ),
    # Configurations
    Route(
        "configurations_list",
        "GET",
        _WS + "/configurations",
        "configurations.read",
        "List configurations",
        response_model=f"{M}.configurations:ConfigurationPage",
        query_model=f"{M}.configurations:ConfigurationListQuery",
        tags=("configurations",),
        grants=("configurations:read",),
    ),
    Route(
        "configurations_create",
        "POST",
        _WS + "/configurations",
        "configurations.manage",
        "Create a configuration (validated)",
        success_status=201,
        request_model="normalizer.config:Configuration",
        response_model=f"{M}.configurations:ConfigurationResource",
        tags=("configurations",),
        grants=("configurations:write", "idempotency:write"),
    ),
    Route(
        "configurations_default",
        "GET",
        _WS + "/configurations/default",
        "configurations.read",
        "The read-only built-in default configuration",
        response_model=f"{M}.configurations:ConfigurationResource",
        tags=("configurations",),
        grants=(),
    ),
    Route(
        "configurations_get",
        "GET",
        _WS + "/configurations/{configurationId}",
        "configurations.read",
        "Get a configuration",
        response_model=f"{M}.configurations:ConfigurationResource",
        tags=("configurations",),
        grants=("configurations:read",),
    ),
    Route(
        "configurations_activate",
        "POST",
        _WS + "/configurations/{configurationId}/activate",
        "configurations.manage",
        "Make a configuration the workspace's active one",
        response_model=f"{M}.configurations:ConfigurationResource",
        tags=("configurations",),
        grants=("configurations:write",),
    ),
    # Runs (the seed's matrix)
    Route(
        "runs_list",
        "GET",
        _WS + "/runs",
        "runs.read",
        "List runs (cursor pages, filters, search, sort)",
        response_model=f"{M}.runs:RunPage",
        query_model=f"{M}.runs:RunListQuery",
        tags=("runs",),
        grants=("runs:read",),
    ),
    Route(
        "runs_create",
        "POST",
        _WS + "/runs",
        "runs.manage",
        "Create and queue a run",
        success_status=201,
        request_model=f"{M}.runs:RunCreateRequest",
        response_model=f"{M}.runs:RunResource",
        tags=("runs",),
        grants=(
            "runs:write",
            "events:write",
            "documents:write",
            "configurations:read",
            "files:read",
            "idempotency:write",
        ),
    ),
    Route(
        "runs_batch",
        "POST",
        _WS + "/runs/batch",
        "runs.manage",
        "Create runs for many documents",
        success_status=201,
        request_model=f"{M}.runs:RunBatchCreateRequest",
        response_model=f"{M}.runs:RunBatchResource",
        timeout_seconds=20,
        tags=("runs",),
        grants=(
            "runs:write",
            "events:write",
            "documents:write",
            "configurations:read",
            "files:read",
            "idempotency:write",
        ),
    ),
    Route(
        "runs_get",
        "GET",
        _RUN,
        "runs.read",
        "Get a run (ETag / If-None-Match)",
        response_model=f"{M}.runs:RunResource",
        tags=("runs",),
        grants=("runs:read",),
    ),
    Route(
        "runs_cancel",
        "POST",
        _RUN + "/cancel",
        "runs.manage",
        "Cancel a queued or running run",
        response_model=f"{M}.runs:RunResource",
        tags=("runs",),
        grants=("runs:write", "events:write"),
    ),
    # Results: the engine's report (DESIGN §6, §8)
    Route(
        "runs_metrics",
        "GET",
        _RUN + "/metrics",
        "runs.read",
        "The run's metrics (404 METRICS_NOT_FOUND until the run has a report)",
        response_model="normalizer.report:Metrics",
        tags=("results",),
        grants=("runs:read",),
    ),
    Route(
        "runs_fields",
        "GET",
        _RUN + "/fields",
        "runs.read",
        "Per-field results ([] until the run has a report)",
        response_model="normalizer.report:FieldResult",
        response_is_list=True,
        tags=("results",),
        grants=("runs:read", "files:read"),
    ),
    Route(
        "runs_columns",
        "GET",
        _RUN + "/columns",
        "runs.read",
        "Per-column results, filtered ([] until the run has a report; long lists continue at the Link header)",
        response_model="normalizer.report:ColumnResult",
        query_model=f"{M}.results:ColumnListQuery",
        response_is_list=True,
        memory_mb=512,
        timeout_seconds=20,
        tags=("results",),
        grants=("runs:read", "files:read"),
        response_headers=(("Link", '`<?...&cursor=...>; rel="next"` when more columns match than one response holds'),),
    ),
    # The run's input and output files
    Route(
        "runs_input",
        "GET",
        _RUN + "/input",
        "runs.read",
        "The run's input metadata",
        response_model=f"{M}.runs:RunInput",
        tags=("files",),
        grants=("runs:read",),
    ),
    Route(
        "runs_input_download",
        "GET",
        _RUN + "/input/download",
        "runs.read",
        "Download the run's input (302 to a short-lived URL)",
        success_status=302,
        response_model=f"{M}.outputs:DownloadLink",
        query_model=f"{M}.outputs:DownloadQuery",
        redirect=True,
        tags=("files",),
        grants=("runs:read", "files:read"),
    ),
    Route(
        "runs_output",
        "GET",
        _RUN + "/output",
        "runs.read",
        "The run's output metadata (always 200; `ready` says whether it can be downloaded)",
        response_model=f"{M}.runs:RunOutput",
        tags=("files",),
        grants=("runs:read",),
    ),
    Route(
        "runs_output_upload",
        "POST",
        _RUN + "/output",
        "runs.manage",
        "Replace a succeeded run's output with a file (multipart, at most 4 MiB); origin becomes manual",
        success_status=201,
        response_model=f"{M}.runs:RunOutput",
        # The file may be 4 MiB; its multipart framing comes on top.
        body_limit_bytes=4 * 1024 * 1024 + 64 * 1024,
        multipart=True,
        memory_mb=512,
        timeout_seconds=20,
        tags=("files",),
        grants=("runs:write", "events:write", "files:write", "idempotency:write"),
    ),
    Route(
        "runs_output_download",
        "GET",
        _RUN + "/output/download",
        "runs.read",
        "Download the run's output (302 to a short-lived URL; 409 while the run is queued or running)",
        success_status=302,
        response_model=f"{M}.outputs:DownloadLink",
        query_model=f"{M}.outputs:DownloadQuery",
        redirect=True,
        problem_statuses=(409,),
        tags=("files",),
        grants=("runs:read", "files:read"),
    ),
    Route(
        "runs_output_sheets",
        "GET",
        _RUN + "/output/sheets",
        "runs.read",
        "The output's sheets (.xlsx and .csv outputs)",
        response_model=f"{M}.outputs:OutputSheet",
        response_is_list=True,
        problem_statuses=(409, 415),
        memory_mb=1024,
        timeout_seconds=20,
        tags=("files",),
        grants=("runs:read", "files:read"),
    ),
    Route(
        "runs_output_preview",
        "GET",
        _RUN + "/output/preview",
        "runs.read",
        "The top-left window of one output sheet, read without loading the sheet",
        response_model=f"{M}.outputs:SheetPreview",
        query_model=f"{M}.outputs:PreviewQuery",
        problem_statuses=(409, 415),
        memory_mb=1024,
        timeout_seconds=20,
        tags=("files",),
        grants=("runs:read", "files:read"),
    ),
)

ROUTES_BY_HANDLER: dict[str, Route] = {route.handler: route for route in ROUTES}

# The authorizer reads keys and records `lastUsedAt`, nothing else.
AUTHORIZER_GRANTS = ("workspaces:read", "workspaces:update(lastUsedAt)")
