"""Typed environment: every Lambda reads its configuration through `get_settings()` once per container."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field

from runs import constants


class Settings(BaseModel):
    """What a function needs to know about its environment; the only reader of `os.environ`."""

    region: str = constants.LOCAL_REGION
    endpoint_url: str | None = None
    runs_table: str = ""
    events_table: str = ""
    documents_table: str = ""
    configurations_table: str = ""
    workspaces_table: str = ""
    idempotency_table: str = ""
    files_bucket: str = ""
    state_machine_arn: str | None = None
    event_bus_name: str | None = None
    # Exact origins, or `scheme://host:*` for any port of that host (the local stack allows localhost).
    cors_allowed_origins: tuple[str, ...] = ()
    upload_url_expiry_seconds: int = Field(default=900, ge=60, le=3600)
    download_url_expiry_seconds: int = Field(default=300, ge=60, le=3600)
    max_document_bytes: int = 512 * 1024 * 1024
    idempotency_ttl_seconds: int = 24 * 3600
    idempotency_in_flight_seconds: int = 60

    def allows_origin(self, origin: str) -> bool:
        for allowed in self.cors_allowed_origins:
            if allowed.endswith(":*"):
                host, _, port = origin.rpartition(":")
                if host == allowed[:-2] and port.isdigit():
                    return True
            elif origin == allowed:
                return True
        return False

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        origins = tuple(o.strip() for o in env.get(constants.ENV_CORS_ORIGINS, "").split(",") if o.strip())
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or constants.LOCAL_REGION,
            endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            runs_table=env.get(constants.ENV_RUNS_TABLE, ""),
            events_table=env.get(constants.ENV_EVENTS_TABLE, ""),
            documents_table=env.get(constants.ENV_DOCUMENTS_TABLE, ""),
            configurations_table=env.get(constants.ENV_CONFIGURATIONS_TABLE, ""),
            workspaces_table=env.get(constants.ENV_WORKSPACES_TABLE, ""),
            idempotency_table=env.get(constants.ENV_IDEMPOTENCY_TABLE, ""),
            files_bucket=env.get(constants.ENV_BUCKET, ""),
            state_machine_arn=env.get(constants.ENV_STATE_MACHINE_ARN) or None,
            event_bus_name=env.get(constants.ENV_EVENT_BUS) or None,
            cors_allowed_origins=origins,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this container, read once."""
    return Settings.from_environ()
