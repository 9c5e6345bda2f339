"""GET /workspaces/{workspaceId}/runs/{runId}/metrics: one GetItem once the run has a report."""

from runs.http import Request, Response, api_handler, json_response
from runs.services import results


@api_handler("runs_metrics")
def handler(request: Request) -> Response:
    return json_response(200, results.get_metrics(request.workspace_id, request.path_params["runId"]))
