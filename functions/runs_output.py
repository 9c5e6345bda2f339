"""GET /workspaces/{workspaceId}/runs/{runId}/output: always 200, `ready` says whether it can be downloaded."""

from runs.http import Request, Response, api_handler, json_response
from runs.services import outputs


@api_handler("runs_output")
def handler(request: Request) -> Response:
    return json_response(200, outputs.get_output(request.workspace_id, request.path_params["runId"]))
