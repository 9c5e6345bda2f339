"""GET /admin/api-keys (platform admin)"""

from runs.http import Request, Response, api_handler, json_response
from runs.services import api_keys


@api_handler("admin_api_keys_list")
def handler(request: Request) -> Response:
    return json_response(200, api_keys.list_platform_keys())
