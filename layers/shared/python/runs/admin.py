"""Bootstrap a deployed stack: `python -m runs.admin bootstrap --stack RunsApi --name "My team"`.

Creates a workspace and a platform-admin API key (printed once; only its hash is stored). Uses the
caller's AWS credentials; table names follow the stack's naming (`<stack>-<table>`).
"""

from __future__ import annotations

import argparse
import os
import sys

from runs import constants


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runs.admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    bootstrap = commands.add_parser("bootstrap", help="create a workspace and a platform-admin API key")
    bootstrap.add_argument("--stack", default="RunsApi", help="the deployed stack's name (default RunsApi)")
    bootstrap.add_argument("--name", required=True, help="the workspace's display name")
    bootstrap.add_argument("--workspace-id", help="use this id instead of a new one (a UUID)")
    bootstrap.add_argument("--region", help="AWS region (default: your AWS configuration)")
    arguments = parser.parse_args(argv)

    os.environ[constants.ENV_WORKSPACES_TABLE] = constants.WORKSPACES_TABLE.physical_name(arguments.stack)
    if arguments.region:
        os.environ["AWS_REGION"] = arguments.region
    from runs.auth import generate_api_key
    from runs.ids import is_valid_id, new_id
    from runs.services.workspaces import bootstrap_workspace

    workspace_id = arguments.workspace_id or new_id()
    if not is_valid_id(workspace_id):
        parser.error("--workspace-id must be a lower-case UUID")
    key = generate_api_key()
    api_key = f"{key.key_id}.{key.secret}"
    bootstrap_workspace(workspace_id, arguments.name, api_key)
    print(f"workspace id: {workspace_id}")
    print(f"platform-admin API key (shown once): {api_key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
