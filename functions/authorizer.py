"""REQUEST authorizer: checks the API key and passes the principal's roles to every handler."""

from __future__ import annotations

import time
from typing import Any

from runs.auth import Principal, hash_secret, parse_api_key
from runs.constants import AUTHORIZER_MEMORY_CACHE_SECONDS
from runs.errors import Unauthenticated
from runs.http import logger
from runs.services.workspaces import authenticate

# Valid keys are remembered per container for a few seconds (API Gateway's own cache is off, see
# runs.constants), so a burst of requests costs one DynamoDB read; a revoked key stops within this TTL.
CACHE_SECONDS = AUTHORIZER_MEMORY_CACHE_SECONDS
_MAX_CACHED_KEYS = 1024
_cache: dict[str, tuple[float, Principal]] = {}


def _principal(headers: dict[str, str]) -> Principal:
    parsed = parse_api_key(headers)
    if parsed is None:
        raise Unauthenticated()
    cache_key = hash_secret(parsed.key_id, parsed.secret)
    now = time.monotonic()
    cached = _cache.get(cache_key)
    if cached is not None and cached[0] > now:
        return cached[1]
    principal = authenticate(headers)
    if len(_cache) >= _MAX_CACHED_KEYS:
        _cache.clear()
    _cache[cache_key] = (now + CACHE_SECONDS, principal)
    return principal


def _api_wide_resource(method_arn: str) -> str:
    # arn:aws:execute-api:region:account:apiId/stage/METHOD/path → allow the whole API, since the
    # result is cached per key and the handlers check each route's permission themselves.
    prefix, _, rest = method_arn.partition("/")
    stage = rest.split("/", 1)[0] if rest else "*"
    return f"{prefix}/{stage}/*"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        principal = _principal(event.get("headers") or {})
    except Unauthenticated:
        raise Exception("Unauthorized") from None  # API Gateway's contract for a 401
    logger.debug("authorized", extra={"keyId": principal.key_id})
    return {
        "principalId": principal.key_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": _api_wide_resource(str(event.get("methodArn", "*"))),
                }
            ],
        },
        "context": principal.to_authorizer_context(),
    }
