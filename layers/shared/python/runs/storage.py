"""S3: presigned uploads, the first bytes of an object (of a given version), small direct uploads."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from runs.dal.clients import client
from runs.settings import get_settings


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
    expires_at: datetime


def presign_upload(key: str, *, content_type: str, max_bytes: int, sha256_hex: str | None = None) -> PresignedPost:
    """A browser-usable POST policy bound to this key, content type and at most `max_bytes`; with
    `sha256_hex`, S3 also refuses any bytes of another checksum."""
    settings = get_settings()
    expires_in = settings.upload_url_expiry_seconds
    fields = {"Content-Type": content_type}
    if sha256_hex is not None:
        fields |= {"x-amz-checksum-algorithm": "SHA256", "x-amz-checksum-sha256": _base64(sha256_hex)}
    post = client("s3").generate_presigned_post(
        Bucket=settings.files_bucket,
        Key=key,
        Fields=fields,
        Conditions=[*({name: value} for name, value in fields.items()), ["content-length-range", 1, max_bytes]],
        ExpiresIn=expires_in,
    )
    expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
    return PresignedPost(url=post["url"], fields=dict(post["fields"]), expires_at=expires_at)


def _base64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


@dataclass(frozen=True)
class ObjectHead:
    """An object's first bytes, its whole size and the version they belong to."""

    head: bytes
    size: int
    version_id: str | None


def read_head(key: str, *, length: int, version_id: str | None = None) -> ObjectHead | None:
    """The first `length` bytes of the object (of `version_id`, else the latest) in one ranged GET;
    None when it does not exist (yet)."""
    extra = {"VersionId": version_id} if version_id else {}
    try:
        response = client("s3").get_object(
            Bucket=get_settings().files_bucket, Key=key, Range=f"bytes=0-{length - 1}", **extra
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "NoSuchVersion"):
            return None
        raise
    with response["Body"] as body:
        head = body.read()
    content_range = str(response.get("ContentRange") or "")  # "bytes 0-8191/123456"
    size = int(content_range.rpartition("/")[2]) if "/" in content_range else int(response["ContentLength"])
    return ObjectHead(head=head, size=size, version_id=response.get("VersionId"))


def put_object(key: str, body: bytes, *, content_type: str, sha256_b64: str | None = None) -> str | None:
    """Store `body` (checked by S3 against `sha256_b64` when given); returns the new object version."""
    extra = {"ChecksumSHA256": sha256_b64} if sha256_b64 else {}
    response = client("s3").put_object(
        Bucket=get_settings().files_bucket, Key=key, Body=body, ContentType=content_type, **extra
    )
    version = response.get("VersionId")
    return str(version) if version else None
