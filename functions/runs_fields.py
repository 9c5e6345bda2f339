"""GET /workspaces/{workspaceId}/runs/{runId}/fields: a bare array, [] until the run has a report."""

from runs.http import Request, Response, api_handler, json_response
from runs.services import results


@api_handler("runs_fields")
def handler(request: Request) -> Response:
    return json_response(200, results.list_fields(request.workspace_id, request.path_params["runId"]))
