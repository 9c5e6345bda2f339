"""REQUEST authorizer: checks the API key and passes the principal's roles to every handler."""

from __future__ import annotations

from typing import Any

from runs.errors import Unauthenticated
from runs.logs import logger
from runs.services.api_keys import KeyVerifier

# Per container: API Gateway's own authorizer cache is off (see runs.constants), so this one bounds the
# DynamoDB reads: a valid key is read once per 30 s, a junk key id once per 10 s.
verifier = KeyVerifier()


def _api_wide_resource(method_arn: str) -> str:
    # arn:aws:execute-api:region:account:apiId/stage/METHOD/path → allow the whole API, since the
    # result is cached per key and the handlers check each route's permission themselves.
    prefix, _, rest = method_arn.partition("/")
    stage = rest.split("/", 1)[0] if rest else "*"
    return f"{prefix}/{stage}/*"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        principal = verifier.principal(event.get("headers") or {})
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
