"""GET /workspaces/{workspaceId}/runs/{runId}/output/sheets: a bare array of the output's sheets."""

from runs.http import Request, Response, api_handler, json_response
from runs.services import previews


@api_handler("runs_output_sheets")
def handler(request: Request) -> Response:
    return json_response(200, previews.list_output_sheets(request.workspace_id, request.path_params["runId"]))
