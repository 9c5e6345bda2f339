"""POST /workspaces/{workspaceId}/runs"""

from runs.http import Request, Response, api_handler, idempotent_with_ids, json_response
from runs.ids import IdSource
from runs.models.runs import RunCreateRequest
from runs.services import runs


@api_handler("runs_create")
def handler(request: Request) -> Response:
    body = request.json(RunCreateRequest)

    def create(ids: IdSource) -> Response:
        run = runs.create_run(request.principal, request.workspace_id, body, ids)
        return json_response(201, run, Location=run.links.self)

    return idempotent_with_ids(request, create)
