"""Presigned URLs are SigV4 and bound to what they allow (moto does not check signatures or expiry, so the
policy and the query themselves are what we can assert)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest


@pytest.fixture
def aws_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings and clients of a function on AWS (a bucket name, no local endpoint), reset afterwards."""
    from runs.dal.clients import client
    from runs.settings import get_settings

    monkeypatch.setenv("FILES_BUCKET", "bucket")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    get_settings.cache_clear()
    client.cache_clear()
    yield
    get_settings.cache_clear()
    client.cache_clear()


def test_presigned_post_policy_bounds_size_type_and_key(aws_settings: None) -> None:
    from runs import storage

    post = storage.presign_upload("workspaces/w/documents/d/a.csv", content_type="text/csv", max_bytes=1234)

    assert post.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    assert ["content-length-range", 1, 1234] in policy["conditions"]
    assert {"Content-Type": "text/csv"} in policy["conditions"]
    assert {"key": "workspaces/w/documents/d/a.csv"} in policy["conditions"]
    assert post.fields["key"] == "workspaces/w/documents/d/a.csv"


def test_presigned_get_is_short_lived_sigv4_and_names_the_file(aws_settings: None) -> None:
    from runs import storage

    link = storage.presign_download(
        "workspaces/w/runs/r/output/1/a.xlsx",
        content_disposition='attachment; filename="a.xlsx"',
        content_type="x/y",
    )

    url = urlsplit(link.url)
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert url.path.endswith("/workspaces/w/runs/r/output/1/a.xlsx")
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Expires"] == "300"
    assert query["response-content-disposition"] == 'attachment; filename="a.xlsx"'
    assert query["response-content-type"] == "x/y"


def test_a_declared_sha256_binds_the_upload_to_those_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from runs import storage
    from runs.dal.clients import client
    from runs.settings import get_settings

    digest = hashlib.sha256(b"email\na@example.com\n").hexdigest()
    monkeypatch.setenv("FILES_BUCKET", "bucket")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    get_settings.cache_clear()
    client.cache_clear()
    try:
        post = storage.presign_upload("k/a.csv", content_type="text/csv", max_bytes=99, sha256_hex=digest)
    finally:
        get_settings.cache_clear()
        client.cache_clear()
    expected = base64.b64encode(bytes.fromhex(digest)).decode()
    assert post.fields["x-amz-checksum-sha256"] == expected and post.fields["x-amz-checksum-algorithm"] == "SHA256"
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    assert {"x-amz-checksum-sha256": expected} in policy["conditions"]
    assert {"x-amz-checksum-algorithm": "SHA256"} in policy["conditions"]
