"""GET /workspaces/{workspaceId}/runs/{runId}/input/download: 302 to a presigned URL (`?redirect=false`: JSON)."""

from runs.http import Request, Response, api_handler, download_response
from runs.models.outputs import DownloadQuery
from runs.services import outputs


@api_handler("runs_input_download")
def handler(request: Request) -> Response:
    query = request.query_as(DownloadQuery)
    link = outputs.download_input(request.workspace_id, request.path_params["runId"])
    return download_response(link.url, link, redirect=query.redirect)
