"""POST /workspaces"""

from runs.constants import API_BASE_PATH
from runs.http import Request, Response, api_handler, idempotent, json_response
from runs.models.workspaces import WorkspaceCreateRequest
from runs.services import workspaces


@api_handler("workspaces_create")
def handler(request: Request) -> Response:
    body = request.json(WorkspaceCreateRequest)

    def create() -> Response:
        workspace = workspaces.create_workspace(request.principal, body)
        return json_response(201, workspace, Location=f"{API_BASE_PATH}/workspaces/{workspace.id}")

    return idempotent(request, create)
