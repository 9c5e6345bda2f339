"""GET /workspaces/{workspaceId}/runs/{runId}/columns: a bare array; a `Link: rel="next"` header continues it."""

from urllib.parse import urlencode

from runs.http import Request, Response, api_handler, json_response
from runs.models.results import ColumnListQuery
from runs.services import results


@api_handler("runs_columns")
def handler(request: Request) -> Response:
    query = request.query_as(ColumnListQuery)
    page = results.list_columns(request.workspace_id, request.path_params["runId"], query)
    if page.next_cursor is None:
        return json_response(200, page.items)
    next_query = urlencode({**query.model_dump(by_alias=True, exclude_none=True), "cursor": page.next_cursor})
    return json_response(200, page.items, Link=f'<{request.path}?{next_query}>; rel="next"')
