"""boto3 clients, created once per container."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from runs.settings import get_settings

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)
# Presigned S3 URLs and POST policies must be SigV4: SigV2 is refused in newer regions.
_S3_CONFIG = _CONFIG.merge(Config(signature_version="s3v4"))


@cache
def client(service: str) -> Any:
    settings = get_settings()
    config = _S3_CONFIG if service == "s3" else _CONFIG
    return boto3.client(service, region_name=settings.region, endpoint_url=settings.endpoint_url, config=config)
