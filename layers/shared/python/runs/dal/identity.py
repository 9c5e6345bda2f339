"""Who the caller is in AWS: audit fields for what the admin CLI changes."""

from __future__ import annotations

from runs.dal.clients import client


def caller_arn() -> str:
    """The ARN of the credentials in use (STS GetCallerIdentity, which needs no permission)."""
    return str(client("sts").get_caller_identity()["Arn"])
