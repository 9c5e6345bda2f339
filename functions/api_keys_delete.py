"""DELETE /workspaces/{workspaceId}/api-keys/{keyId}"""

from runs.http import Request, Response, api_handler
from runs.services import workspaces


@api_handler("api_keys_delete")
def handler(request: Request) -> Response:
    workspaces.revoke_api_key(request.workspace_id, request.path_params["keyId"])
    return Response(204, content_type=None)
