"""Operate a deployed stack with your AWS credentials: the bootstrap path for platform-admin keys.

    python -m runs.admin bootstrap --stack RunsApi --name "My team"     first workspace + platform-admin key
    python -m runs.admin keys create --stack RunsApi --name "ops"       another platform-admin key
    python -m runs.admin keys list --stack RunsApi                      the active platform-admin keys
    python -m runs.admin keys revoke --stack RunsApi KEY_ID             revoke one

Secrets are printed once; only their hashes are stored. Function roles cannot write platform-admin keys
(IAM), so this CLI is the only way to mint one. Creations and revocations record the caller's AWS
identity. Table names follow the stack's naming (`<stack>-<table>`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime

from runs import constants


def _aware_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone, e.g. 2027-01-01T00:00:00Z")
    return moment


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m runs.admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--stack", default="RunsApi", help="the deployed stack's name (default RunsApi)")
    common.add_argument("--region", help="AWS region (default: your AWS configuration)")
    commands = parser.add_subparsers(dest="command", required=True)
    bootstrap = commands.add_parser(
        "bootstrap", parents=[common], help="create a workspace and a platform-admin API key"
    )
    bootstrap.add_argument("--name", required=True, help="the workspace's display name")
    bootstrap.add_argument("--workspace-id", help="use this id instead of a new one (a UUID)")
    keys = commands.add_parser("keys", help="platform-admin API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", parents=[common], help="mint a platform-admin API key")
    create.add_argument("--name", required=True, help="what the key is for")
    create.add_argument("--expires-at", type=_aware_time, help="ISO 8601 time with a zone, e.g. 2027-01-01T00:00:00Z")
    keys.add_parser("list", parents=[common], help="list the active platform-admin API keys")
    revoke = keys.add_parser("revoke", parents=[common], help="revoke a platform-admin API key")
    revoke.add_argument("key_id", help="the key's id (the part before the '.')")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    os.environ[constants.ENV_WORKSPACES_TABLE] = constants.WORKSPACES_TABLE.physical_name(arguments.stack)
    if arguments.region:
        os.environ["AWS_REGION"] = arguments.region
    # Imported only now: the settings are read from the environment set above.
    from runs.auth import format_api_key, generate_api_key
    from runs.dal.identity import caller_arn
    from runs.errors import ApiError
    from runs.ids import is_valid_id, new_id
    from runs.logs import logger
    from runs.services import api_keys
    from runs.services.workspaces import bootstrap_workspace

    handler = logger.registered_handler
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(sys.stderr)  # the audit lines; stdout is this command's output
    who = f"cli:{caller_arn()}"
    try:
        if arguments.command == "bootstrap":
            workspace_id = arguments.workspace_id or new_id()
            if not is_valid_id(workspace_id):
                parser.error("--workspace-id must be a lower-case UUID")
            api_key = format_api_key(generate_api_key("platform"))
            bootstrap_workspace(workspace_id, arguments.name, api_key, created_by=who)
            print(f"workspace id: {workspace_id}")
            print(f"platform-admin API key (shown once): {api_key}")
        elif arguments.action == "create":
            key, secret = api_keys.issue_platform_key(arguments.name, who, arguments.expires_at)
            print(f"key id: {key.key_id}")
            print(f"platform-admin API key (shown once): {secret}")
        elif arguments.action == "list":
            for key in api_keys.list_platform_keys().items:
                print(key.model_dump_json(by_alias=True))
        else:
            api_keys.revoke_platform_key(who, arguments.key_id)
            print(f"revoked {arguments.key_id}")
    except ApiError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
