"""S3: presigned uploads and downloads, object existence, small direct uploads."""

from __future__ import annotations

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


def presign_upload(key: str, *, content_type: str, max_bytes: int) -> PresignedPost:
    """A browser-usable POST policy bound to this key, content type and at most `max_bytes`."""
    settings = get_settings()
    expires_in = settings.upload_url_expiry_seconds
    post = client("s3").generate_presigned_post(
        Bucket=settings.files_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=expires_in,
    )
    expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
    return PresignedPost(url=post["url"], fields=dict(post["fields"]), expires_at=expires_at)


def object_size(key: str) -> int | None:
    """The object's size, or None when it does not exist (yet)."""
    try:
        head = client("s3").head_object(Bucket=get_settings().files_bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return int(head["ContentLength"])


def put_object(key: str, body: bytes, *, content_type: str, sha256_b64: str | None = None) -> None:
    extra = {"ChecksumSHA256": sha256_b64} if sha256_b64 else {}
    client("s3").put_object(Bucket=get_settings().files_bucket, Key=key, Body=body, ContentType=content_type, **extra)
