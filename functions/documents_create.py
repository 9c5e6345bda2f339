"""POST /workspaces/{workspaceId}/documents: JSON (presigned upload) or multipart (direct, ≤ 4 MiB)."""

from runs.http import Request, Response, api_handler, idempotent, json_response
from runs.models.documents import DocumentCreatedResource, DocumentCreateRequest
from runs.services import documents


@api_handler("documents_create")
def handler(request: Request) -> Response:
    def created(document: DocumentCreatedResource) -> Response:
        return json_response(201, document, Location=f"{request.path}/{document.document.id}")

    if request.content_type == "multipart/form-data":
        upload = documents.parse_multipart_file(request.header("content-type") or "", request.body)
        return idempotent(
            request,
            lambda: created(documents.create_uploaded(request.principal, request.workspace_id, upload)),
            fingerprint=upload.fingerprint(),
        )
    body = request.json(DocumentCreateRequest)
    return idempotent(
        request, lambda: created(documents.create_presigned(request.principal, request.workspace_id, body))
    )
