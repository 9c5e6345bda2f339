"""S3 reads that fetch only what is read: ranged, seekable access and streams from an offset."""

from __future__ import annotations

import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import Api

OBJECT = os.urandom(1_500_000)  # several read-ahead blocks, and a tail that is not the whole object


def _key(api: Api, name: str) -> str:
    return f"workspaces/{api.workspace_id}/tests/{name}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(OBJECT) + 10), st.integers(0, 700_000)), min_size=1, max_size=12))
def test_ranged_reads_return_the_objects_bytes(api: Api, reads: list[tuple[int, int]]) -> None:
    from runs import storage

    storage.put_object(_key(api, "ranged"), OBJECT, content_type="application/octet-stream")
    file = storage.open_ranged(_key(api, "ranged"))
    assert file is not None

    for position, size in reads:
        file.seek(position)
        assert file.read(size) == OBJECT[position : position + size]
    assert file.seek(0, io.SEEK_END) == len(OBJECT)


def test_a_missing_object_reads_as_none_and_an_empty_one_as_empty(api: Api) -> None:
    from runs import storage

    storage.put_object(_key(api, "empty"), b"", content_type="application/octet-stream")

    assert storage.open_ranged(_key(api, "missing")) is None
    assert storage.stream_object(_key(api, "missing")) is None
    empty = storage.open_ranged(_key(api, "empty"))
    assert empty is not None and empty.read() == b""


def test_a_stream_starts_at_its_offset_and_past_the_end_is_empty(api: Api) -> None:
    from runs import storage

    storage.put_object(_key(api, "stream"), OBJECT, content_type="application/octet-stream")

    tail = storage.stream_object(_key(api, "stream"), start=1_000_000)
    beyond = storage.stream_object(_key(api, "stream"), start=len(OBJECT) + 5)

    assert tail is not None and b"".join(tail) == OBJECT[1_000_000:]
    assert beyond is not None and b"".join(beyond) == b""
