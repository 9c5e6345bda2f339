"""API keys: issue, list, revoke (workspace and platform-admin keys), and verify presented keys."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from runs import auth
from runs.auth import KeyKind, ParsedKey, Principal
from runs.constants import (
    API_KEY_LAST_USED_INTERVAL_SECONDS,
    AUTHORIZER_CACHE_MAX_KEYS,
    AUTHORIZER_MEMORY_CACHE_SECONDS,
    AUTHORIZER_REJECTED_CACHE_MAX_KEYS,
    AUTHORIZER_REJECTED_CACHE_SECONDS,
)
from runs.dal import api_keys as store
from runs.errors import (
    ApiKeyNotFound,
    ConcurrentUpdate,
    FieldError,
    LastAdminKey,
    Unauthenticated,
    ValidationFailed,
    WorkspaceNotFound,
)
from runs.ids import is_valid_id
from runs.logs import audit
from runs.models.base import PageMeta, utc_now
from runs.models.workspaces import (
    ApiKeyCreatedResource,
    ApiKeyCreateRequest,
    ApiKeyMembershipRecord,
    ApiKeyPage,
    ApiKeyRecord,
    ApiKeyResource,
    PlatformApiKeyPage,
    PlatformApiKeyResource,
)

MAX_REVOKE_ATTEMPTS = 5


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed(
            "expiresAt must be in the future.", errors=[FieldError("expiresAt", "must be in the future", "expired")]
        )


def _key_resource(membership: ApiKeyMembershipRecord, key: ApiKeyRecord | None) -> ApiKeyResource:
    return ApiKeyResource(
        key_id=membership.key_id,
        workspace_id=membership.workspace_id,
        name=membership.name,
        role=membership.role,
        created_at=membership.created_at,
        created_by=membership.created_by,
        expires_at=membership.expires_at,
        last_used_at=key.last_used_at if key else None,
    )


def create_api_key(principal: Principal, workspace_id: str, request: ApiKeyCreateRequest) -> ApiKeyCreatedResource:
    """A key with `role` in this workspace; the secret is returned once and only its hash is kept.

    Raises WorkspaceNotFound, and ValidationFailed for an `expiresAt` in the past.
    """
    now = utc_now()
    _check_expiry(request.expires_at, now)
    generated = auth.generate_api_key("workspace")
    key = ApiKeyRecord(
        key_id=generated.key_id,
        name=request.name,
        secret_hash=auth.hash_secret(generated.key_id, generated.secret),
        roles={workspace_id: request.role},
        created_at=now,
        created_by=principal.key_id,
        expires_at=request.expires_at,
    )
    membership = ApiKeyMembershipRecord(
        key_id=generated.key_id,
        workspace_id=workspace_id,
        name=request.name,
        role=request.role,
        created_at=now,
        created_by=principal.key_id,
        expires_at=request.expires_at,
    )
    if not store.create_workspace_key(key, membership):
        raise WorkspaceNotFound()
    audit("apiKey.created", keyId=key.key_id, workspaceId=workspace_id, role=request.role, by=principal.key_id)
    return ApiKeyCreatedResource(api_key=_key_resource(membership, key), secret=auth.format_api_key(generated))


def list_api_keys(workspace_id: str) -> ApiKeyPage:
    """The workspace's active keys: one Query for the listing, one BatchGetItem for `lastUsedAt`."""
    memberships = store.list_memberships(workspace_id)
    keys = store.get_workspace_keys([membership.key_id for membership in memberships])
    items = [_key_resource(membership, keys.get(membership.key_id)) for membership in memberships]
    return ApiKeyPage(
        items=items, meta=PageMeta(limit=len(items), has_more=False, next_cursor=None, total_count=len(items))
    )


def revoke_api_key(principal: Principal, workspace_id: str, key_id: str) -> None:
    """Revoke a key of this workspace and record who did it.

    Raises ApiKeyNotFound unless the key is an active key of this workspace, and LastAdminKey (409) for the
    workspace's last admin key.
    """
    for _ in range(MAX_REVOKE_ATTEMPTS):
        membership = store.get_membership(workspace_id, key_id) if is_valid_id(key_id) else None
        if membership is None:
            raise ApiKeyNotFound()
        outcome = store.revoke_workspace_key(membership, utc_now(), principal.key_id)
        if outcome == "lastAdmin":
            raise LastAdminKey("This is the workspace's last admin key; create another admin key first.")
        if outcome == "revoked":
            audit("apiKey.revoked", keyId=key_id, workspaceId=workspace_id, role=membership.role, by=principal.key_id)
            return
        # notFound: revoked meanwhile (the reread says 404); conflict: a concurrent transaction, try again.
    raise ConcurrentUpdate()


def _platform_resource(record: ApiKeyRecord) -> PlatformApiKeyResource:
    return PlatformApiKeyResource(
        key_id=record.key_id,
        name=record.name,
        created_at=record.created_at,
        created_by=record.created_by,
        expires_at=record.expires_at,
        last_used_at=record.last_used_at,
    )


def issue_platform_key(
    name: str, created_by: str, expires_at: datetime | None = None
) -> tuple[PlatformApiKeyResource, str]:
    """Mint a platform-admin key (bootstrap path only); returns it and its one-time `rk_admin_...` text."""
    _check_expiry(expires_at, utc_now())
    generated = auth.generate_api_key("platform")
    record = store_platform_key(generated, name, created_by, expires_at)
    return _platform_resource(record), auth.format_api_key(generated)


def store_platform_key(key: ParsedKey, name: str, created_by: str, expires_at: datetime | None = None) -> ApiKeyRecord:
    """Make `key` a platform-admin key (create or replace); bootstrap path only (IAM denies function roles)."""
    record = ApiKeyRecord(
        key_id=key.key_id,
        name=name,
        secret_hash=auth.hash_secret(key.key_id, key.secret),
        created_at=utc_now(),
        created_by=created_by,
        expires_at=expires_at,
    )
    store.put_platform_key(record)
    audit("platformApiKey.created", keyId=key.key_id, by=created_by)
    return record


def list_platform_keys() -> PlatformApiKeyPage:
    items = [_platform_resource(record) for record in store.list_platform_keys()]
    return PlatformApiKeyPage(
        items=items, meta=PageMeta(limit=len(items), has_more=False, next_cursor=None, total_count=len(items))
    )


def revoke_platform_key(revoked_by: str, key_id: str) -> None:
    """Raises ApiKeyNotFound for an unknown or already revoked platform-admin key."""
    if not auth.is_key_id(key_id) or not store.revoke_platform_key(key_id, utc_now(), revoked_by):
        raise ApiKeyNotFound()
    audit("platformApiKey.revoked", keyId=key_id, by=revoked_by)


K = TypeVar("K")
V = TypeVar("V")


class BoundedTtlCache(Generic[K, V]):
    """At most `max_entries` values, each until its own deadline; the least recently used goes first."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K, now: float) -> tuple[bool, V | None]:
        """(True, value) while the entry is fresh, else (False, None)."""
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        if entry[0] <= now:
            del self._entries[key]
            return False, None
        self._entries.move_to_end(key)
        return True, entry[1]

    def put(self, key: K, value: V, until: float) -> None:
        self._entries[key] = (until, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def replace(self, key: K, value: V) -> None:
        """A new value for a cached entry, keeping its deadline; nothing when the entry is gone."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries[key] = (entry[0], value)


class KeyVerifier:
    """Verifies presented keys for the authorizer, with a per-container cache of key records.

    Known keys are cached for `AUTHORIZER_MEMORY_CACHE_SECONDS` (so a revocation takes effect within that
    time; expiry is checked on every request) and unknown key ids for `AUTHORIZER_REJECTED_CACHE_SECONDS`,
    in separately bounded caches. A wrong secret for a cached key costs no read either.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.known: BoundedTtlCache[tuple[KeyKind, str], ApiKeyRecord] = BoundedTtlCache(AUTHORIZER_CACHE_MAX_KEYS)
        self.unknown: BoundedTtlCache[tuple[KeyKind, str], None] = BoundedTtlCache(AUTHORIZER_REJECTED_CACHE_MAX_KEYS)

    def principal(self, headers: dict[str, str]) -> Principal:
        """The principal for the key in `headers`; raises Unauthenticated for a missing, unknown, wrong,
        revoked or expired key."""
        parsed = auth.parse_api_key(headers)
        if parsed is None:
            raise Unauthenticated()
        record = self._record(parsed)
        now = utc_now()
        if (
            record is None
            or record.revoked_at is not None
            or (record.expires_at is not None and record.expires_at <= now)
            or not auth.secret_matches(parsed.key_id, parsed.secret, record.secret_hash)
        ):
            raise Unauthenticated()
        self._note_use(parsed, record, now)
        return Principal(key_id=record.key_id, platform_admin=parsed.kind == "platform", roles=dict(record.roles))

    def _record(self, parsed: ParsedKey) -> ApiKeyRecord | None:
        cache_key = (parsed.kind, parsed.key_id)
        now = self.clock()
        found, record = self.known.get(cache_key, now)
        if found:
            return record
        if self.unknown.get(cache_key, now)[0]:
            return None
        record = store.get_api_key(parsed.kind, parsed.key_id)
        if record is None:
            self.unknown.put(cache_key, None, now + AUTHORIZER_REJECTED_CACHE_SECONDS)
        else:
            self.known.put(cache_key, record, now + AUTHORIZER_MEMORY_CACHE_SECONDS)
        return record

    def _note_use(self, parsed: ParsedKey, record: ApiKeyRecord, now: datetime) -> None:
        interval = timedelta(seconds=API_KEY_LAST_USED_INTERVAL_SECONDS)
        if record.last_used_at is not None and now - record.last_used_at < interval:
            return
        store.record_key_use(parsed.kind, parsed.key_id, now)
        # Written here or, within the interval, by another container: either way nothing to write for a while.
        self.known.replace((parsed.kind, parsed.key_id), record.model_copy(update={"last_used_at": now}))
