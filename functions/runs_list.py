"""GET /workspaces/{workspaceId}/runs"""

from runs.http import Request, Response, api_handler, json_response
from runs.models.runs import RunListQuery
from runs.services import runs


@api_handler("runs_list")
def handler(request: Request) -> Response:
    return json_response(200, runs.list_runs(request.workspace_id, request.query_as(RunListQuery)))
