"""`python -m runs.admin`: the bootstrap path, the only one that can mint platform-admin keys."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from local.moto_stack import LocalMotoServer, provision_resources
from runs import admin
from tests.integration.conftest import Api

STACK = "AdminStack"

Run = Callable[..., str]


@pytest.fixture
def run_admin(
    moto_server: LocalMotoServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Run]:
    """`run_admin("keys", "list")` runs the CLI against a stack named AdminStack and returns its stdout."""
    from runs.dal.clients import client
    from runs.settings import get_settings

    environment = provision_resources(moto_server.endpoint_url, prefix=STACK).environment
    for name in ("RUNS_TABLE", "WORKSPACES_TABLE"):  # admin.main sets the latter; undo() restores both
        monkeypatch.setenv(name, environment[name])
    get_settings.cache_clear()
    client.cache_clear()

    def run(*arguments: str) -> str:
        capsys.readouterr()
        assert admin.main([*arguments, "--stack", STACK]) == 0
        return capsys.readouterr().out

    try:
        yield run
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        client.cache_clear()


def _printed_key(output: str) -> str:
    return output.split("(shown once): ")[1].split()[0]


def test_bootstrap_prints_a_key_that_works(run_admin: Run) -> None:
    output = run_admin("bootstrap", "--name", "Team")
    workspace_id = output.split("workspace id: ")[1].split()[0]
    api_key = _printed_key(output)
    assert api_key.startswith("rk_admin_")
    response = Api(api_key, workspace_id).call("GET", "/api/v1/workspaces")
    assert response.status == 200
    assert [w["id"] for w in response.json()["items"]] == [workspace_id]


def test_keys_are_created_listed_and_revoked_with_the_callers_identity(run_admin: Run) -> None:
    from runs.auth import parse_api_key
    from runs.dal.api_keys import get_api_key

    # Given a platform-admin key minted by the CLI
    api_key = _printed_key(run_admin("keys", "create", "--name", "ops", "--expires-at", "2099-01-01T00:00:00Z"))
    parsed = parse_api_key({"x-api-key": api_key})
    assert parsed is not None and parsed.kind == "platform"
    # Then it is listed, with who created it (the AWS identity in use)
    listed = [json.loads(line) for line in run_admin("keys", "list").splitlines()]
    mine = next(key for key in listed if key["keyId"] == parsed.key_id)
    assert mine["name"] == "ops" and mine["expiresAt"] == "2099-01-01T00:00:00.000Z"
    assert mine["createdBy"].startswith("cli:arn:aws:")
    # When it is revoked, Then it is no longer listed and the revocation names the caller
    assert run_admin("keys", "revoke", parsed.key_id).strip() == f"revoked {parsed.key_id}"
    assert parsed.key_id not in run_admin("keys", "list")
    record = get_api_key("platform", parsed.key_id)
    assert record is not None and record.revoked_by is not None and record.revoked_by.startswith("cli:arn:aws:")


def test_revoking_an_unknown_key_fails_with_a_message(run_admin: Run, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert admin.main(["keys", "revoke", "--stack", STACK, "no-such-key"]) == 1
    assert "not found" in capsys.readouterr().err.lower()
