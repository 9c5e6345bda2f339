"""The secret audit itself: it sees issued secrets, and finds one in a table item or a log record."""

from __future__ import annotations

import logging
import secrets

from local.moto_stack import LocalMotoServer
from tests.integration.conftest import ADMIN_KEY, Api
from tests.secret_audit import AUDIT, LogRecordAudit, SecretAudit


def test_every_issued_secret_is_collected(api: Api) -> None:
    created = api.call("POST", api.ws("/api-keys"), json_body={"name": "audited", "role": "viewer"}).json()
    assert created["secret"].split(".", 1)[1] in AUDIT.secrets
    assert ADMIN_KEY.split(".", 1)[1] in AUDIT.secrets  # chosen at bootstrap


def test_a_secret_in_a_table_item_is_found(moto_server: LocalMotoServer, api: Api) -> None:
    from runs.dal import items
    from runs.dal.clients import client
    from runs.settings import get_settings

    audit = SecretAudit()
    planted = secrets.token_urlsafe(32)  # never issued: the session's own audit does not know it
    audit.collect(planted)
    key = {"pk": f"WS#{api.workspace_id}", "sk": "PLANTED"}
    table = get_settings().workspaces_table
    client("dynamodb").put_item(TableName=table, Item=items.serialize({**key, "note": f"x{planted}y"}))
    try:
        audit.audit_tables(moto_server.endpoint_url)
    finally:
        client("dynamodb").delete_item(TableName=table, Key=items.serialize(key))
    assert audit.tables_scanned >= 6 and audit.items_scanned > 0
    assert audit.leaks == [
        f"table {table} item {{'S': 'WS#{api.workspace_id}'}}: contains the issued secret {planted[:4]}…"
    ]


def test_a_secret_in_a_log_record_is_found_in_its_message_or_its_extra_fields() -> None:
    audit = SecretAudit()
    planted = secrets.token_urlsafe(32)
    audit.collect(planted)
    logger = logging.getLogger("secret-audit-self-test")
    handler = LogRecordAudit(audit)
    logger.addHandler(handler)
    try:
        logger.warning("nothing to see")
        logger.warning("key %s", f"rk_live_x.{planted}")
        logger.warning("created", extra={"detail": {"secret": planted}})
    finally:
        logger.removeHandler(handler)
    assert audit.log_lines_checked == 3 and len(audit.leaks) == 2
