"""Identifiers: time-ordered UUIDs (version 7) as lower-case text."""

from __future__ import annotations

import os
import re
import time
import uuid

_UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_id(now_ms: int | None = None) -> str:
    """A new UUIDv7: 48 bits of Unix milliseconds, then random bits, so ids sort by creation time."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def id_floor(millis: int) -> str:
    """The smallest UUIDv7 text at `millis`: a sort-key bound for time-range queries."""
    return str(uuid.UUID(int=(max(millis, 0) & ((1 << 48) - 1)) << 80))


def id_ceiling(millis: int) -> str:
    """The largest UUIDv7 text at `millis`."""
    return str(uuid.UUID(int=((max(millis, 0) & ((1 << 48) - 1)) << 80) | ((1 << 80) - 1)))


def is_valid_id(text: str) -> bool:
    """True when `text` is a lower-case UUID; malformed ids in paths are answered as not found."""
    return bool(_UUID_TEXT.match(text))
