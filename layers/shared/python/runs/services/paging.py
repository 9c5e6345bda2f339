"""Opaque list cursors bound to the workspace, the sort and the filters they were issued for."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from runs.dal.items import decode_cursor, encode_cursor
from runs.errors import InvalidCursor


def filters_fingerprint(filters: Mapping[str, Any]) -> str:
    canonical = json.dumps(filters, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def make_cursor(resume_key: Mapping[str, Any] | None, fingerprint: str) -> str | None:
    return encode_cursor({"k": dict(resume_key), "f": fingerprint}) if resume_key else None


def read_cursor(cursor: str | None, fingerprint: str, partition: str, partition_attribute: str = "pk") -> Any:
    """The resume key inside `cursor`; raises InvalidCursor when it is foreign, tampered or for other filters."""
    if cursor is None:
        return None
    payload = decode_cursor(cursor)
    key = payload.get("k")
    if payload.get("f") != fingerprint:
        raise InvalidCursor("This cursor was issued for other filters or another sort order.")
    if (
        not isinstance(key, dict)
        or key.get(partition_attribute) != partition
        or not all(isinstance(value, str) for value in key.values())
    ):
        raise InvalidCursor("The cursor is not valid.")
    return key


def make_offset_cursor(offset: int, fingerprint: str) -> str:
    """A cursor for a list read from a byte offset of a stored file (bound to the filters like the others)."""
    return encode_cursor({"o": offset, "f": fingerprint})


def read_offset_cursor(cursor: str | None, fingerprint: str) -> int:
    """The byte offset inside `cursor` (0 without one); raises InvalidCursor as `read_cursor` does."""
    if cursor is None:
        return 0
    payload = decode_cursor(cursor)
    offset = payload.get("o")
    if payload.get("f") != fingerprint:
        raise InvalidCursor("This cursor was issued for other filters or another run.")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 1:
        raise InvalidCursor("The cursor is not valid.")
    return offset
