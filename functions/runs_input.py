"""GET /workspaces/{workspaceId}/runs/{runId}/input"""

from runs.http import Request, Response, api_handler, json_response
from runs.services import outputs


@api_handler("runs_input")
def handler(request: Request) -> Response:
    return json_response(200, outputs.get_input(request.workspace_id, request.path_params["runId"]))
