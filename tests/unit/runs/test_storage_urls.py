"""Presigned uploads are SigV4, bound to the key, the content type and the declared size (moto does not check
signatures or expiry, so the policy itself is what we can assert)."""

from __future__ import annotations

import base64
import json

import pytest


def test_presigned_post_policy_bounds_size_type_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from runs import storage
    from runs.dal.clients import client
    from runs.settings import get_settings

    monkeypatch.setenv("FILES_BUCKET", "bucket")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    get_settings.cache_clear()
    client.cache_clear()
    try:
        post = storage.presign_upload("workspaces/w/documents/d/a.csv", content_type="text/csv", max_bytes=1234)
    finally:
        get_settings.cache_clear()
        client.cache_clear()
    assert post.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    assert ["content-length-range", 1, 1234] in policy["conditions"]
    assert {"Content-Type": "text/csv"} in policy["conditions"]
    assert {"key": "workspaces/w/documents/d/a.csv"} in policy["conditions"]
    assert post.fields["key"] == "workspaces/w/documents/d/a.csv"


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
