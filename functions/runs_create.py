"""POST /workspaces/{workspaceId}/runs"""

from runs.http import Request, Response, api_handler, idempotent, json_response
from runs.models.runs import RunCreateRequest
from runs.services import runs


@api_handler("runs_create")
def handler(request: Request) -> Response:
    body = request.json(RunCreateRequest)

    def create() -> Response:
        run = runs.create_run(request.principal, request.workspace_id, body)
        return json_response(201, run, Location=run.links.self)

    return idempotent(request, create)
