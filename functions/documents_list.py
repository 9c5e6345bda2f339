"""GET /workspaces/{workspaceId}/documents"""

from runs.http import Request, Response, api_handler, json_response
from runs.models.documents import DocumentListQuery
from runs.services import documents


@api_handler("documents_list")
def handler(request: Request) -> Response:
    query = request.query_as(DocumentListQuery)
    return json_response(200, documents.list_documents(request.workspace_id, limit=query.limit, cursor=query.cursor))
