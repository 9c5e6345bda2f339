"""POST /workspaces/{workspaceId}/documents: JSON (presigned upload) or multipart (direct, ≤ 4 MiB)."""

from runs.http import Request, Response, api_handler, idempotent, json_response
from runs.models.documents import DocumentCreateRequest
from runs.services import documents


@api_handler("documents_create")
def handler(request: Request) -> Response:
    if request.content_type == "multipart/form-data":
        upload = documents.parse_multipart_file(request.header("content-type") or "", request.body)

        def create() -> Response:
            created = documents.create_uploaded(request.principal, request.workspace_id, upload)
            return json_response(201, created, Location=f"{request.path}/{created.document.id}")
    else:
        body = request.json(DocumentCreateRequest)

        def create() -> Response:
            created = documents.create_presigned(request.principal, request.workspace_id, body)
            return json_response(201, created, Location=f"{request.path}/{created.document.id}")

    return idempotent(request, create)
