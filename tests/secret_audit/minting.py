"""Where secrets enter the system: `runs.auth.generate_api_key` mints them, and the bootstrap path
(`runs.services.workspaces.bootstrap_workspace`) accepts one chosen by its caller. Both are wrapped here so
that every issued secret reaches a collector the moment it exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def watch_issued_secrets(collect: Callable[[str], None]) -> None:
    """Wrap both entry points (once per process) so each secret they issue is passed to `collect`."""
    from runs import auth
    from runs.services import workspaces

    if getattr(auth.generate_api_key, "watched", False):
        return
    mint = auth.generate_api_key
    bootstrap = workspaces.bootstrap_workspace

    def generate_api_key(kind: auth.KeyKind = "workspace") -> auth.ParsedKey:
        key = mint(kind)
        collect(key.secret)
        return key

    def bootstrap_workspace(workspace_id: str, name: str, api_key: str, **options: Any) -> None:
        parsed = auth.parse_api_key({"x-api-key": api_key})
        if parsed is not None:
            collect(parsed.secret)
        bootstrap(workspace_id, name, api_key, **options)

    generate_api_key.watched = True  # type: ignore[attr-defined]
    auth.generate_api_key = generate_api_key
    workspaces.bootstrap_workspace = bootstrap_workspace
