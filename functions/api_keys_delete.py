"""DELETE /workspaces/{workspaceId}/api-keys/{keyId}"""

from runs.http import Request, Response, api_handler
from runs.services import api_keys


@api_handler("api_keys_delete")
def handler(request: Request) -> Response:
    api_keys.revoke_api_key(request.principal, request.workspace_id, request.path_params["keyId"])
    return Response(204, content_type=None)
