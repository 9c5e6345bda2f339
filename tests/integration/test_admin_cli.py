"""`python -m runs.admin bootstrap` creates a workspace and a working platform-admin key."""

from __future__ import annotations

import pytest

from local.moto_stack import LocalMotoServer, provision_resources
from runs import admin
from tests.integration.conftest import Api


def test_bootstrap_prints_a_key_that_works(
    moto_server: LocalMotoServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from runs.dal.clients import client
    from runs.settings import get_settings

    environment = provision_resources(moto_server.endpoint_url, prefix="AdminStack").environment
    for name in ("RUNS_TABLE", "WORKSPACES_TABLE"):  # admin.main sets the latter; undo() restores both
        monkeypatch.setenv(name, environment[name])
    get_settings.cache_clear()
    client.cache_clear()
    try:
        assert admin.main(["bootstrap", "--stack", "AdminStack", "--name", "Team"]) == 0
        output = capsys.readouterr().out
        workspace_id = output.split("workspace id: ")[1].split()[0]
        api_key = output.split("(shown once): ")[1].split()[0]
        api = Api(api_key, workspace_id)
        response = api.call("GET", "/api/v1/workspaces")
        assert response.status == 200
        assert [w["id"] for w in response.json()["items"]] == [workspace_id]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        client.cache_clear()
