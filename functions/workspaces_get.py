"""GET /workspaces/{workspaceId}"""

from runs.http import Request, Response, api_handler, json_response
from runs.services import workspaces


@api_handler("workspaces_get")
def handler(request: Request) -> Response:
    return json_response(200, workspaces.get_workspace(request.principal, request.workspace_id))
