"""POST /workspaces/{workspaceId}/runs/{runId}/output: multipart `file` (≤ 4 MiB) replaces the output."""

from runs.errors import UnsupportedMediaType
from runs.http import Request, Response, api_handler, idempotent, json_response
from runs.services import documents, outputs


@api_handler("runs_output_upload")
def handler(request: Request) -> Response:
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType("Send the output as multipart/form-data with a `file` part.")
    upload = documents.parse_multipart_file(request.header("content-type") or "", request.body)

    def replace() -> Response:
        output = outputs.replace_output(request.principal, request.workspace_id, request.path_params["runId"], upload)
        return json_response(201, output, Location=request.path)

    return idempotent(request, replace, fingerprint=upload.fingerprint())
