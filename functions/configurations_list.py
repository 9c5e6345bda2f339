"""GET /workspaces/{workspaceId}/configurations"""

from runs.http import Request, Response, api_handler, json_response
from runs.models.configurations import ConfigurationListQuery
from runs.services import configurations


@api_handler("configurations_list")
def handler(request: Request) -> Response:
    query = request.query_as(ConfigurationListQuery)
    page = configurations.list_configurations(request.workspace_id, limit=query.limit, cursor=query.cursor)
    return json_response(200, page)
