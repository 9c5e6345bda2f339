"""The secret audit (a pytest plugin): no secret issued during the whole suite may appear in any table item
or any captured log line.

Secrets are collected where they are issued (`minting.py`), log records are checked as they are emitted, and
every table of every moto server the session started is scanned before that server stops
(`audit_tables`). A session fixture fails the run at its end if anything leaked. Each xdist worker audits
what it issued and the servers it started: a secret issued in one process can only be stored there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SITE = Path(__file__).resolve().parent / "site"
SECRETS_FILE_VARIABLE = "RUNS_ISSUED_SECRETS_FILE"


@dataclass
class SecretAudit:
    secrets: set[str] = field(default_factory=set, repr=False)  # never printed, even when a check fails
    leaks: list[str] = field(default_factory=list)
    tables_scanned: int = 0
    items_scanned: int = 0
    log_lines_checked: int = 0

    def collect(self, secret: str) -> None:
        self.secrets.add(secret)

    def check(self, where: str, text: str) -> None:
        for secret in self.secrets:
            if secret in text:
                self.leaks.append(f"{where}: contains the issued secret {secret[:4]}…")

    def check_log_lines(self, where: str, lines: Iterable[str]) -> None:
        for line in lines:
            self.log_lines_checked += 1
            self.check(where, line)

    def audit_tables(self, endpoint_url: str) -> None:
        """Scan every item of every table at `endpoint_url` (a test may Scan; the service never does)."""
        import boto3

        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for table in dynamodb.list_tables()["TableNames"]:
            self.tables_scanned += 1
            for page in dynamodb.get_paginator("scan").paginate(TableName=table):
                for item in page["Items"]:
                    self.items_scanned += 1
                    self.check(f"table {table} item {item.get('pk')}", json.dumps(item, default=repr))


AUDIT = SecretAudit()


class LogRecordAudit(logging.Handler):
    """Checks every record as it is emitted: its message, arguments and extra fields."""

    def __init__(self, audit: SecretAudit) -> None:
        super().__init__(level=logging.DEBUG)
        self.audit = audit

    def emit(self, record: logging.LogRecord) -> None:
        text = " ".join([record.getMessage(), *(repr(value) for value in vars(record).values())])
        self.audit.check_log_lines(f"log record {record.name}:{record.lineno}", [text])


def pytest_configure(config: pytest.Config) -> None:
    from runs.constants import SERVICE_NAME
    from tests.secret_audit.minting import watch_issued_secrets

    watch_issued_secrets(AUDIT.collect)
    handler = LogRecordAudit(AUDIT)
    logging.getLogger().addHandler(handler)
    service_logger = logging.getLogger(SERVICE_NAME)
    if not service_logger.propagate:
        service_logger.addHandler(handler)


def read_secrets_file(path: Path) -> int:
    """Collect the secrets a subprocess issued (see `site/sitecustomize.py`); returns how many."""
    issued = path.read_text().split() if path.exists() else []
    for secret in issued:
        AUDIT.collect(secret)
    return len(issued)


def audit_process_output(where: str, stdout: str, stderr: str) -> None:
    """Check a process's log lines: all of stderr (`logging`, tracebacks) and the JSON records on stdout
    (the service logger). Plain stdout lines are the banner the local stack prints on purpose."""
    json_records = (line for line in stdout.splitlines() if line.startswith("{"))
    AUDIT.check_log_lines(f"{where} stdout", json_records)
    AUDIT.check_log_lines(f"{where} stderr", stderr.splitlines())


@pytest.fixture(scope="session", autouse=True)
def secret_audit() -> Iterator[SecretAudit]:
    """Fails the session (at its end) if any issued secret was found in a table item or a log line."""
    yield AUDIT
    leaks = sorted(set(AUDIT.leaks))
    assert not leaks, "issued secrets leaked:\n" + "\n".join(leaks)


def environment_for_audited_subprocess(secrets_file: Path) -> dict[str, Any]:
    """Variables that make a child Python process report the secrets it issues to `secrets_file`."""
    return {"PYTHONPATH": str(SITE), SECRETS_FILE_VARIABLE: str(secrets_file)}
