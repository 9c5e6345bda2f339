"""GET /workspaces/{workspaceId}/runs/{runId}/output/preview: one sheet's top-left window, as text."""

from runs.http import Request, Response, api_handler, json_response
from runs.models.outputs import PreviewQuery
from runs.services import previews


@api_handler("runs_output_preview")
def handler(request: Request) -> Response:
    query = request.query_as(PreviewQuery)
    preview = previews.preview_output(request.workspace_id, request.path_params["runId"], query)
    return json_response(200, preview, Cache_Control="no-store")
