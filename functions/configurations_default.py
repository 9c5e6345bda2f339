"""GET /workspaces/{workspaceId}/configurations/default"""

from runs.http import Request, Response, api_handler, json_response
from runs.services import configurations


@api_handler("configurations_default")
def handler(request: Request) -> Response:
    return json_response(200, configurations.default_configuration(request.workspace_id))
