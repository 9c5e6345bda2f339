"""Typed settings of the Runs API stack, read from CDK context (`cdk.json` or `-c key=value`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runs.constants import AUTHORIZER_CACHE_SECONDS

DEFAULT_STACK_NAME = "RunsApi"
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")


@dataclass(frozen=True)
class RunsStackConfig:
    """Everything a deployment may tune; resource shapes themselves come from `runs.constants`."""

    stack_name: str = DEFAULT_STACK_NAME
    # Browser origins allowed by the REST API's CORS and by the bucket (presigned uploads); empty = none.
    cors_origins: tuple[str, ...] = ()
    throttling_rate_limit: int = 50
    throttling_burst_limit: int = 100
    log_retention_days: int = 30
    log_level: str = "INFO"
    access_logging: bool = False
    # 0 disables API Gateway's authorizer cache (then the authorizer runs on every request).
    authorizer_cache_seconds: int = AUTHORIZER_CACHE_SECONDS
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _STACK_NAME.match(self.stack_name):
            raise ValueError(f"stackName {self.stack_name!r}: letters, digits and '-', from a letter")
        if not 0 <= self.authorizer_cache_seconds <= 3600:
            raise ValueError("authorizerCacheSeconds must be between 0 and 3600")
        if self.throttling_rate_limit <= 0 or self.throttling_burst_limit <= 0:
            raise ValueError("throttling limits must be positive")

    @classmethod
    def from_context(cls, get: Any) -> RunsStackConfig:
        """Build from a context getter such as `app.node.try_get_context` (values may be CLI strings)."""
        defaults = cls()
        return cls(
            stack_name=str(get("stackName") or defaults.stack_name),
            cors_origins=_as_list(get("corsOrigins")),
            throttling_rate_limit=int(get("throttlingRateLimit") or defaults.throttling_rate_limit),
            throttling_burst_limit=int(get("throttlingBurstLimit") or defaults.throttling_burst_limit),
            log_retention_days=int(get("logRetentionDays") or defaults.log_retention_days),
            log_level=str(get("logLevel") or defaults.log_level).upper(),
            access_logging=_as_bool(get("accessLogging")),
            authorizer_cache_seconds=_as_int(get("authorizerCacheSeconds"), defaults.authorizer_cache_seconds),
            tags=dict(get("tags") or {}),
        )


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(str(item).strip() for item in items if str(item).strip())


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _as_int(value: Any, default: int) -> int:
    return default if value is None or value == "" else int(value)
