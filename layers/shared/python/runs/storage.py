"""S3: presigned uploads and downloads, the first bytes of an object, small direct uploads, ranged reads.

Reads take an optional `version_id`: a run's input is pinned to the object version it was created on."""

from __future__ import annotations

import base64
import io
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from runs.dal.clients import client
from runs.settings import get_settings

_MISSING_OBJECT_CODES = ("404", "NoSuchKey", "NotFound", "NoSuchVersion")
# Ranged reads: the first GET takes the object's tail (a zip's central directory lives there);
# later misses fetch at least READ_AHEAD_BYTES, doubling while reads stay sequential.
TAIL_BYTES = 256 * 1024
READ_AHEAD_BYTES = 256 * 1024
MAX_READ_AHEAD_BYTES = 8 * 1024 * 1024
MAX_CACHED_BYTES = 32 * 1024 * 1024
STREAM_CHUNK_BYTES = 64 * 1024


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
class PresignedGet:
    url: str
    expires_at: datetime


def presign_download(
    key: str, *, content_disposition: str, content_type: str | None, version_id: str | None = None
) -> PresignedGet:
    """A short-lived GET URL (of `version_id`, else the latest) whose response carries these
    `Content-Disposition` and `Content-Type` headers."""
    settings = get_settings()
    expires_in = settings.download_url_expiry_seconds
    params = {"Bucket": settings.files_bucket, "Key": key, "ResponseContentDisposition": content_disposition}
    if version_id:
        params["VersionId"] = version_id
    if content_type:
        params["ResponseContentType"] = content_type
    url = client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
    return PresignedGet(url=url, expires_at=datetime.now(UTC) + timedelta(seconds=expires_in))


def _is_missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in _MISSING_OBJECT_CODES


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
        if _is_missing(error):
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


def open_ranged(key: str, *, version_id: str | None = None) -> io.BufferedReader | None:
    """A seekable reader over the object that fetches only the byte ranges read; None when it is missing.

    The first request is a suffix range (`bytes=-TAIL_BYTES`): it tells the size and holds the end of
    the object, where a zip keeps its directory. Fetched ranges are cached (at most MAX_CACHED_BYTES).
    """
    settings = get_settings()
    s3 = client("s3")
    target: dict[str, Any] = {"Bucket": settings.files_bucket, "Key": key}
    if version_id:
        target["VersionId"] = version_id

    def fetch(start: int, end: int) -> bytes:
        response = s3.get_object(**target, Range=f"bytes={start}-{end - 1}")
        return bytes(response["Body"].read())

    try:
        response = s3.get_object(**target, Range=f"bytes=-{TAIL_BYTES}")
    except ClientError as error:
        if _is_missing(error):
            return None
        if error.response.get("Error", {}).get("Code") == "InvalidRange":  # S3's answer for an empty object
            return io.BufferedReader(_RangedObject(fetch, 0, 0, b""))
        raise
    tail = bytes(response["Body"].read())
    content_range = response.get("ContentRange")  # "bytes <first>-<last>/<size>"; absent when S3 sent it all
    size = int(content_range.rpartition("/")[2]) if content_range else len(tail)
    return io.BufferedReader(_RangedObject(fetch, size, size - len(tail), tail), buffer_size=16 * 1024)


def stream_object(key: str, *, start: int = 0, version_id: str | None = None) -> Iterator[bytes] | None:
    """The object's bytes from `start` in chunks, fetched as they are consumed; None when it is missing.

    Stopping early closes the connection, so only what was read (plus the transfer in flight) is fetched.
    """
    settings = get_settings()
    request: dict[str, Any] = {"Bucket": settings.files_bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    if start:
        request["Range"] = f"bytes={start}-"
    try:
        body = client("s3").get_object(**request)["Body"]
    except ClientError as error:
        if _is_missing(error):
            return None
        if error.response.get("Error", {}).get("Code") == "InvalidRange":  # `start` is at (or past) the end
            return iter(())
        raise

    def chunks() -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(STREAM_CHUNK_BYTES)
        finally:
            body.close()

    return chunks()


class _RangedObject(io.RawIOBase):
    """Raw, seekable access to an object of known size through `fetch(start, end)` and a small cache."""

    def __init__(self, fetch: Callable[[int, int], bytes], size: int, tail_start: int, tail: bytes) -> None:
        super().__init__()
        self._fetch = fetch
        self._size = size
        self._position = 0
        self._segments: OrderedDict[int, bytes] = OrderedDict()
        self._cached_bytes = 0
        self._read_ahead = READ_AHEAD_BYTES
        self._last_fetch_end = -1
        if tail:
            self._remember(tail_start, tail)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self._size - self._position)
        if wanted <= 0:
            return 0
        data = self._cached(self._position, wanted) or self._load(self._position, wanted)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def _cached(self, position: int, wanted: int) -> bytes:
        for start, data in self._segments.items():
            if start <= position < start + len(data):
                offset = position - start
                return data[offset : offset + wanted]
        return b""

    def _load(self, position: int, wanted: int) -> bytes:
        sequential = position == self._last_fetch_end
        self._read_ahead = min(self._read_ahead * 2, MAX_READ_AHEAD_BYTES) if sequential else READ_AHEAD_BYTES
        end = min(self._size, position + max(wanted, self._read_ahead))
        data = self._fetch(position, end)
        if not data:
            raise OSError(f"S3 returned no bytes for the range {position}-{end - 1}")
        self._last_fetch_end = position + len(data)
        self._remember(position, data)
        return data[:wanted]

    def _remember(self, start: int, data: bytes) -> None:
        self._segments[start] = data
        self._cached_bytes += len(data)
        while self._cached_bytes > MAX_CACHED_BYTES and len(self._segments) > 1:
            _, dropped = self._segments.popitem(last=False)
            self._cached_bytes -= len(dropped)
