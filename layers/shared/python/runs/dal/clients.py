"""boto3 clients, created once per container."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from runs.settings import get_settings

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)


@cache
def client(service: str) -> Any:
    settings = get_settings()
    return boto3.client(service, region_name=settings.region, endpoint_url=settings.endpoint_url, config=_CONFIG)
