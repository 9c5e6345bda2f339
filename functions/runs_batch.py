"""POST /workspaces/{workspaceId}/runs/batch"""

from runs.http import Request, Response, api_handler, idempotent_with_ids, json_response
from runs.ids import IdSource
from runs.models.runs import RunBatchCreateRequest, RunBatchResource
from runs.services import runs


@api_handler("runs_batch")
def handler(request: Request) -> Response:
    body = request.json(RunBatchCreateRequest)

    def create(ids: IdSource) -> Response:
        created = runs.create_batch(request.principal, request.workspace_id, body, ids)
        return json_response(201, RunBatchResource(runs=created))

    return idempotent_with_ids(request, create)
