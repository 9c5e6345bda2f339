"""GET /workspaces/{workspaceId}/configurations/{configurationId}"""

from runs.http import Request, Response, api_handler, json_response
from runs.services import configurations


@api_handler("configurations_get")
def handler(request: Request) -> Response:
    configuration_id = request.path_params["configurationId"]
    return json_response(200, configurations.get_configuration(request.workspace_id, configuration_id))
