"""API keys and permissions: parsing, hashing, roles, and the principal handlers act for."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from runs.constants import PLATFORM_KEY_PREFIX, WORKSPACE_KEY_PREFIX
from runs.errors import Forbidden, Unauthenticated
from runs.ids import new_id
from runs.routes import Permission

Role = Literal["viewer", "operator", "admin"]

_VIEWER: frozenset[str] = frozenset({"runs.read", "documents.read", "configurations.read", "workspaces.read"})
_OPERATOR = _VIEWER | {"runs.manage", "documents.manage"}
_ADMIN = _OPERATOR | {"configurations.manage", "apiKeys.manage"}
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {"viewer": _VIEWER, "operator": _OPERATOR, "admin": _ADMIN}

_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{8,128}$")


KeyKind = Literal["workspace", "platform"]
_PREFIXES: dict[KeyKind, str] = {"workspace": WORKSPACE_KEY_PREFIX, "platform": PLATFORM_KEY_PREFIX}


@dataclass(frozen=True)
class ParsedKey:
    """A presented or generated key: which table partition holds it (`kind`), its id and its secret."""

    key_id: str
    secret: str
    kind: KeyKind = "workspace"


def parse_api_key(headers: dict[str, str]) -> ParsedKey | None:
    """The key from `X-API-Key` or `Authorization: Bearer`, or None when absent/malformed.

    `rk_live_<keyId>.<secret>` is a workspace key and `rk_admin_<keyId>.<secret>` a platform-admin key; a
    key without either prefix can only be one chosen at bootstrap, so it is looked up as a platform-admin key.
    """
    lowered = {name.lower(): value for name, value in headers.items() if isinstance(value, str)}
    raw = lowered.get("x-api-key")
    if raw is None:
        authorization = lowered.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        raw = token if scheme.lower() == "bearer" else None
    if raw is None:
        return None
    kind: KeyKind = "platform"
    token = raw.strip()
    for candidate, prefix in _PREFIXES.items():
        if token.startswith(prefix):
            kind, token = candidate, token.removeprefix(prefix)
            break
    key_id, dot, secret = token.partition(".")
    if not dot or not _KEY_ID.match(key_id) or not _SECRET.match(secret):
        return None
    return ParsedKey(key_id, secret, kind)


def is_key_id(text: str) -> bool:
    """True for text shaped like a key id (UUIDv7 for issued keys; bootstrap may choose another)."""
    return bool(_KEY_ID.match(text))


def format_api_key(key: ParsedKey) -> str:
    """The text a client sends: `<prefix><keyId>.<secret>`."""
    return f"{_PREFIXES[key.kind]}{key.key_id}.{key.secret}"


def hash_secret(key_id: str, secret: str) -> str:
    """SHA-256 of the high-entropy secret, salted with its key id; the secret itself is never stored."""
    return hashlib.sha256(f"{key_id}.{secret}".encode()).hexdigest()


def secret_matches(key_id: str, secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(key_id, secret), stored_hash)


def generate_api_key(kind: KeyKind = "workspace") -> ParsedKey:
    """A new key id (UUIDv7) and a 256-bit URL-safe secret: the one place secrets are minted."""
    return ParsedKey(new_id(), secrets.token_urlsafe(32), kind)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key, its role per workspace, and whether it is a platform admin."""

    key_id: str
    platform_admin: bool = False
    roles: dict[str, Role] = field(default_factory=dict)

    def role_in(self, workspace_id: str) -> Role | None:
        return "admin" if self.platform_admin else self.roles.get(workspace_id)

    def can(self, permission: Permission, workspace_id: str | None = None) -> bool:
        if permission == "authenticated" or self.platform_admin:
            return True
        if permission in ("workspaces.create", "platform.admin") or workspace_id is None:
            return False
        role = self.roles.get(workspace_id)
        return role is not None and permission in ROLE_PERMISSIONS[role]

    def require(self, permission: Permission, workspace_id: str | None = None) -> None:
        """Raises Forbidden unless the key holds `permission` in `workspace_id`."""
        if not self.can(permission, workspace_id):
            raise Forbidden(f"This API key lacks the permission {permission!s} here.")

    def to_authorizer_context(self) -> dict[str, str]:
        """Flat string values, as API Gateway passes authorizer context to integrations."""
        return {
            "keyId": self.key_id,
            "platformAdmin": "true" if self.platform_admin else "false",
            "roles": json.dumps(self.roles, separators=(",", ":")),
        }

    @classmethod
    def from_authorizer_context(cls, context: dict[str, Any] | None) -> Principal:
        """Raises Unauthenticated when the request did not pass the authorizer."""
        if not context or not context.get("keyId"):
            raise Unauthenticated()
        try:
            roles = json.loads(context.get("roles") or "{}")
        except ValueError:
            raise Unauthenticated() from None
        if not isinstance(roles, dict) or not all(role in ROLE_PERMISSIONS for role in roles.values()):
            raise Unauthenticated()
        platform_admin = str(context.get("platformAdmin", "false")).lower() == "true"
        return cls(key_id=str(context["keyId"]), platform_admin=platform_admin, roles=cast(dict[str, Role], roles))
