"""POST /workspaces/{workspaceId}/configurations"""

from typing import Any

from pydantic import RootModel

from runs.http import Request, Response, api_handler, idempotent, json_response
from runs.services import configurations


@api_handler("configurations_create")
def handler(request: Request) -> Response:
    document: dict[str, Any] = request.json(RootModel[dict[str, Any]]).root

    def create() -> Response:
        created = configurations.create_configuration(request.principal, request.workspace_id, document)
        return json_response(201, created, Location=f"{request.path}/{created.id}")

    return idempotent(request, create)
