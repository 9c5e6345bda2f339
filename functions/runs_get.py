"""GET /workspaces/{workspaceId}/runs/{runId}: one GetItem; ETag / If-None-Match → 304."""

from runs.http import Request, Response, api_handler, json_response
from runs.models.runs import RunResource
from runs.services import runs


@api_handler("runs_get")
def handler(request: Request) -> Response:
    record = runs.get_run_record(request.workspace_id, request.path_params["runId"])
    etag = runs.etag(record)
    if etag in (request.header("if-none-match") or "").replace("W/", "").split(", "):
        return Response(304, content_type=None, headers={"ETag": etag})
    return json_response(200, RunResource.from_record(record), ETag=etag, Cache_Control="no-cache")
