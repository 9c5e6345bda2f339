"""Loaded at start-up by the end-to-end local stack's interpreter (its PYTHONPATH names this folder): every
secret that process issues is appended to `$RUNS_ISSUED_SECRETS_FILE`, so the test session's secret audit
covers the stack's tables and logs too."""

import os
import sys
from pathlib import Path

_FILE = os.environ.get("RUNS_ISSUED_SECRETS_FILE")
if _FILE:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository root, for `tests`
    from tests.secret_audit.minting import watch_issued_secrets

    def _append(secret: str, path: str = _FILE) -> None:
        with open(path, "a", encoding="utf-8") as file:
            file.write(secret + "\n")

    watch_issued_secrets(_append)
