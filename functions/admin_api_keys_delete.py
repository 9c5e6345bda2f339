"""DELETE /admin/api-keys/{keyId} (platform admin)"""

from runs.http import Request, Response, api_handler
from runs.services import api_keys


@api_handler("admin_api_keys_delete")
def handler(request: Request) -> Response:
    api_keys.revoke_platform_key(request.principal.key_id, request.path_params["keyId"])
    return Response(204, content_type=None)
