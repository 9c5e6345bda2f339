"""API key parsing, hashing, roles, and the id format."""

from __future__ import annotations

import uuid

import pytest

from runs import auth
from runs.auth import Principal
from runs.errors import Forbidden, Unauthenticated
from runs.ids import id_ceiling, id_floor, is_valid_id, new_id


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-API-Key": "rk_live_abc.secret-123"}, ("workspace", "abc", "secret-123")),
        ({"X-API-Key": "rk_admin_abc.secret-123"}, ("platform", "abc", "secret-123")),
        ({"X-API-Key": "abc.secret-123"}, ("platform", "abc", "secret-123")),  # chosen at bootstrap
        ({"authorization": "Bearer rk_live_abc.secret-123"}, ("workspace", "abc", "secret-123")),
        ({"Authorization": "bearer abc.secret-123"}, ("platform", "abc", "secret-123")),
        ({"Authorization": "Basic abc.secret-123"}, None),
        ({"X-API-Key": "no-dot-here"}, None),
        ({"X-API-Key": "abc.short"}, None),
        ({"X-API-Key": "a b.secret-123"}, None),
        ({"X-API-Key": "rk_live_.secret-123"}, None),
        ({}, None),
    ],
)
def test_parse_api_key(headers: dict[str, str], expected: tuple[str, str, str] | None) -> None:
    parsed = auth.parse_api_key(headers)
    assert (None if parsed is None else (parsed.kind, parsed.key_id, parsed.secret)) == expected


@pytest.mark.parametrize("kind", ["workspace", "platform"])
def test_a_generated_key_round_trips_through_its_text(kind: auth.KeyKind) -> None:
    key = auth.generate_api_key(kind)
    text = auth.format_api_key(key)
    assert text.startswith({"workspace": "rk_live_", "platform": "rk_admin_"}[kind])
    assert auth.parse_api_key({"X-API-Key": text}) == key


def test_secret_hash_is_salted_by_key_id_and_verifies() -> None:
    stored = auth.hash_secret("k1", "secret-value")
    assert stored != auth.hash_secret("k2", "secret-value")
    assert auth.secret_matches("k1", "secret-value", stored)
    assert not auth.secret_matches("k1", "secret-valuf", stored)


def test_generated_keys_are_unique_and_long() -> None:
    keys = {auth.generate_api_key().secret for _ in range(50)}
    assert len(keys) == 50 and all(len(secret) >= 40 for secret in keys)


def test_roles_grant_cumulative_permissions() -> None:
    viewer = Principal("k", roles={"w": "viewer"})
    operator = Principal("k", roles={"w": "operator"})
    admin = Principal("k", roles={"w": "admin"})
    assert viewer.can("runs.read", "w") and not viewer.can("runs.manage", "w")
    assert operator.can("runs.manage", "w") and not operator.can("configurations.manage", "w")
    assert admin.can("apiKeys.manage", "w") and not admin.can("workspaces.create")
    assert not admin.can("runs.read", "other")
    with pytest.raises(Forbidden):
        viewer.require("documents.manage", "w")


def test_platform_admin_may_do_anything_anywhere() -> None:
    platform = Principal("k", platform_admin=True)
    assert platform.can("workspaces.create") and platform.can("apiKeys.manage", "any")
    assert platform.role_in("any") == "admin"


def test_authorizer_context_round_trips_and_rejects_garbage() -> None:
    principal = Principal("k", platform_admin=False, roles={"w": "operator"})
    assert Principal.from_authorizer_context(principal.to_authorizer_context()) == principal
    for context in (None, {}, {"keyId": "k", "roles": "{not json"}, {"keyId": "k", "roles": '{"w": "owner"}'}):
        with pytest.raises(Unauthenticated):
            Principal.from_authorizer_context(context)


def test_new_ids_are_uuid7_and_sort_by_time() -> None:
    first, second = new_id(1_700_000_000_000), new_id(1_700_000_000_001)
    assert uuid.UUID(first).version == 7 and is_valid_id(first)
    assert first < second
    assert id_floor(1_700_000_000_000) <= first <= id_ceiling(1_700_000_000_000)
    assert not is_valid_id(first.upper()) and not is_valid_id("x")
