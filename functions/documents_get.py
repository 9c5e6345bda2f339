"""GET /workspaces/{workspaceId}/documents/{documentId}"""

from runs.http import Request, Response, api_handler, json_response
from runs.services import documents


@api_handler("documents_get")
def handler(request: Request) -> Response:
    return json_response(200, documents.get_document(request.workspace_id, request.path_params["documentId"]))
