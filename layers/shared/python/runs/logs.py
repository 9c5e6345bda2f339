"""The service's structured logger, and the audit trail: one line per change to who may call the API."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from runs.constants import SERVICE_NAME

logger = Logger(service=SERVICE_NAME)


def audit(action: str, **fields: str | None) -> None:
    """Log `action` (e.g. "apiKey.revoked") with `fields`; never pass a secret."""
    logger.info(action, extra={"audit": {"action": action, **fields}})
