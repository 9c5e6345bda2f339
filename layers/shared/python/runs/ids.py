"""Identifiers: time-ordered UUIDs (version 7) as lower-case text."""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from dataclasses import dataclass

_UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_id(now_ms: int | None = None) -> str:
    """A new UUIDv7: 48 bits of Unix milliseconds, then random bits, so ids sort by creation time."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    return _uuid7(millis, os.urandom(10))


def derived_id(millis: int, material: str) -> str:
    """The UUIDv7 at `millis` whose other bits come from SHA-256 of `material`: the same inputs, the same id."""
    return _uuid7(millis, hashlib.sha256(material.encode()).digest()[:10])


def _uuid7(millis: int, tail: bytes) -> str:
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(tail, "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


@dataclass(frozen=True)
class IdSource:
    """Where a request's new resource ids come from.

    Random by default. For a request with an Idempotency-Key, ids derive from the key, the request and its
    first attempt's time, so a retry names the same resources and finds the ones a failed attempt wrote
    (`retry` says an earlier attempt may have written some).
    """

    seed: str | None = None
    first_attempt_ms: int = 0
    retry: bool = False

    def new_id(self, label: str) -> str:
        """A new id for the resource this request calls `label` (unique within the request)."""
        if self.seed is None:
            return new_id()
        return derived_id(self.first_attempt_ms, f"{self.seed}#{label}")


RANDOM_IDS = IdSource()


def id_floor(millis: int) -> str:
    """The smallest UUIDv7 text at `millis`: a sort-key bound for time-range queries."""
    return str(uuid.UUID(int=(max(millis, 0) & ((1 << 48) - 1)) << 80))


def id_ceiling(millis: int) -> str:
    """The largest UUIDv7 text at `millis`."""
    return str(uuid.UUID(int=((max(millis, 0) & ((1 << 48) - 1)) << 80) | ((1 << 80) - 1)))


def is_valid_id(text: str) -> bool:
    """True when `text` is a lower-case UUID; malformed ids in paths are answered as not found."""
    return bool(_UUID_TEXT.match(text))
