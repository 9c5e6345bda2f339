"""POST /workspaces/{workspaceId}/runs/{runId}/cancel"""

from runs.http import Request, Response, api_handler, json_response
from runs.models.runs import RunResource
from runs.services import runs


@api_handler("runs_cancel")
def handler(request: Request) -> Response:
    record = runs.cancel_run(request.principal, request.workspace_id, request.path_params["runId"])
    return json_response(200, RunResource.from_record(record), ETag=runs.etag(record))
