"""GET /workspaces"""

from runs.http import Request, Response, api_handler, json_response
from runs.services import workspaces


@api_handler("workspaces_list")
def handler(request: Request) -> Response:
    return json_response(200, workspaces.list_workspaces(request.principal))
