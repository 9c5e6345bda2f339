"""POST /workspaces/{workspaceId}/api-keys"""

from runs.errors import ApiError, ApiKeySecretNotReplayable
from runs.http import Request, Response, api_handler, idempotent, json_response
from runs.models.workspaces import ApiKeyCreateRequest
from runs.services import api_keys


def _secret_withheld(response: Response) -> ApiError:
    # The idempotency record must never hold the secret: a replay says which key was made, not its secret.
    return ApiKeySecretNotReplayable.for_key(response.headers["Location"])


@api_handler("api_keys_create")
def handler(request: Request) -> Response:
    body = request.json(ApiKeyCreateRequest)

    def create() -> Response:
        created = api_keys.create_api_key(request.principal, request.workspace_id, body)
        return json_response(201, created, Location=f"{request.path}/{created.api_key.key_id}")

    return idempotent(request, create, replay_as=_secret_withheld)
