"""Resource names and shapes shared by the CDK stack and the local stack.

Both `stacks/` and `local/` build their tables, bucket, bus and queues from these definitions, so the
deployed and the laptop resources cannot drift apart (a test compares them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

API_BASE_PATH = "/api/v1"
STAGE_NAME = "v1"
SERVICE_NAME = "runs-api"
LAMBDA_RUNTIME = "python3.12"
LAMBDA_ARCHITECTURE = "arm64"

# Environment variable names read by `runs.settings` (the CDK stack and local stack set them).
ENV_RUNS_TABLE = "RUNS_TABLE"
ENV_EVENTS_TABLE = "RUN_EVENTS_TABLE"
ENV_DOCUMENTS_TABLE = "DOCUMENTS_TABLE"
ENV_CONFIGURATIONS_TABLE = "CONFIGURATIONS_TABLE"
ENV_WORKSPACES_TABLE = "WORKSPACES_TABLE"
ENV_IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE"
ENV_BUCKET = "FILES_BUCKET"
ENV_STATE_MACHINE_ARN = "STATE_MACHINE_ARN"
ENV_EVENT_BUS = "EVENT_BUS_NAME"
ENV_CORS_ORIGINS = "CORS_ALLOWED_ORIGINS"

AUTH_HEADER = "X-API-Key"
# Lambda's 6 MB limit applies to the proxy response envelope, where JSON escaping of the body can triple
# it (a 2-byte UTF-8 character becomes `\u00e9`): bodies that can grow with the data stay under this.
MAX_RESPONSE_BODY_BYTES = 1536 * 1024
# API Gateway's authorizer cache is off: with caching, API Gateway demands every identity source and
# refuses `Authorization: Bearer` (and `?access_token=`) requests before the authorizer runs. The
# authorizer keeps its own short per-container cache instead (`AUTHORIZER_MEMORY_CACHE_SECONDS`).
AUTHORIZER_CACHE_SECONDS = 0
# So a revoked key keeps working for at most this long on a warm authorizer container (expiry is exact).
AUTHORIZER_MEMORY_CACHE_SECONDS = 30
# Unknown key ids are remembered this long, so repeating a junk key costs no DynamoDB read each time.
AUTHORIZER_REJECTED_CACHE_SECONDS = 10
# Separate bounds: a flood of junk key ids can never evict the keys that work.
AUTHORIZER_CACHE_MAX_KEYS = 1024
AUTHORIZER_REJECTED_CACHE_MAX_KEYS = 4096
# `lastUsedAt` of a key is written at most once per this interval (a conditional update).
API_KEY_LAST_USED_INTERVAL_SECONDS = 3600

# API keys are `<prefix><keyId>.<secret>`; the prefix lets secret scanners find leaked keys. A key without a
# prefix can only be one chosen at bootstrap (the local `LOCAL_API_KEY`), and is a platform-admin key.
WORKSPACE_KEY_PREFIX = "rk_live_"
PLATFORM_KEY_PREFIX = "rk_admin_"
# Platform-admin keys live under this partition-key prefix of the workspaces table. Every function role that
# may write that table is denied writes to it (stacks/grants.py), so only the bootstrap path can mint one.
PLATFORM_PARTITION_PREFIX = "PLATFORM#"
PLATFORM_KEYS_PARTITION = PLATFORM_PARTITION_PREFIX + "KEYS"

# CORS: what browsers may send and read (API Gateway preflight, handlers and the local gateway agree).
CORS_ALLOW_HEADERS = (
    "X-API-Key",
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-None-Match",
    "Last-Event-ID",
    "X-Request-Id",
)
CORS_EXPOSE_HEADERS = ("Location", "ETag", "X-Request-Id", "Link")

# Request bodies API Gateway hands to Lambda base64-encoded (the RestApi's binaryMediaTypes).
BINARY_MEDIA_TYPES = (
    "multipart/form-data",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroEnabled.12",
    "application/vnd.ms-excel",
)


@dataclass(frozen=True)
class KeyAttribute:
    name: str
    type: str = "S"  # DynamoDB scalar type: S or N


def key_schema(partition_key: KeyAttribute, sort_key: KeyAttribute | None) -> list[dict[str, str]]:
    """The DynamoDB `KeySchema` of a table or index with these keys."""
    schema = [{"AttributeName": partition_key.name, "KeyType": "HASH"}]
    if sort_key is not None:
        schema.append({"AttributeName": sort_key.name, "KeyType": "RANGE"})
    return schema


@dataclass(frozen=True)
class IndexDefinition:
    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None

    def key_schema(self) -> list[dict[str, str]]:
        return key_schema(self.partition_key, self.sort_key)


@dataclass(frozen=True)
class TableDefinition:
    """A DynamoDB table as both stacks create it (on-demand billing, point-in-time recovery on AWS)."""

    logical_id: str
    env_var: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    indexes: tuple[IndexDefinition, ...] = field(default_factory=tuple)
    ttl_attribute: str | None = None
    stream: str | None = None  # NEW_IMAGE / NEW_AND_OLD_IMAGES when a stream processor reads it

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.logical_id}"

    def key_schema(self) -> list[dict[str, str]]:
        return key_schema(self.partition_key, self.sort_key)

    def key_attributes(self) -> dict[str, str]:
        """Every key attribute of the table and its indexes → its DynamoDB type (S or N)."""
        keys = [self.partition_key, self.sort_key]
        for index in self.indexes:
            keys += [index.partition_key, index.sort_key]
        return {key.name: key.type for key in keys if key is not None}


PK = KeyAttribute("pk")
SK = KeyAttribute("sk")

RUNS_TABLE = TableDefinition(
    logical_id="runs",
    env_var=ENV_RUNS_TABLE,
    partition_key=PK,
    sort_key=SK,
    indexes=(
        # Runs of one input document, newest first: pk=WS#<ws>#DOC#<documentId>, sk=RUN#<runId>.
        IndexDefinition("byDocument", KeyAttribute("gsi1pk"), KeyAttribute("gsi1sk")),
    ),
    stream="NEW_AND_OLD_IMAGES",
)
EVENTS_TABLE = TableDefinition(
    logical_id="run-events",
    env_var=ENV_EVENTS_TABLE,
    partition_key=PK,
    sort_key=KeyAttribute("seq", "N"),
    ttl_attribute="expiresAt",
    stream="NEW_IMAGE",
)
DOCUMENTS_TABLE = TableDefinition(logical_id="documents", env_var=ENV_DOCUMENTS_TABLE, partition_key=PK, sort_key=SK)
CONFIGURATIONS_TABLE = TableDefinition(
    logical_id="configurations", env_var=ENV_CONFIGURATIONS_TABLE, partition_key=PK, sort_key=SK
)
WORKSPACES_TABLE = TableDefinition(logical_id="workspaces", env_var=ENV_WORKSPACES_TABLE, partition_key=PK, sort_key=SK)
IDEMPOTENCY_TABLE = TableDefinition(
    logical_id="idempotency",
    env_var=ENV_IDEMPOTENCY_TABLE,
    partition_key=PK,
    ttl_attribute="expiresAt",
)

TABLES: tuple[TableDefinition, ...] = (
    RUNS_TABLE,
    EVENTS_TABLE,
    DOCUMENTS_TABLE,
    CONFIGURATIONS_TABLE,
    WORKSPACES_TABLE,
    IDEMPOTENCY_TABLE,
)

# S3 layout (one bucket): inputs and outputs are per-version keys, never overwritten in place.
BUCKET_LOGICAL_ID = "files"
INPUT_KEY_TEMPLATE = "workspaces/{workspace_id}/documents/{document_id}/{filename}"
OUTPUT_KEY_TEMPLATE = "workspaces/{workspace_id}/runs/{run_id}/output/{version}/{filename}"
REPORT_KEY_TEMPLATE = "workspaces/{workspace_id}/runs/{run_id}/report.json"
# Parts of the report the API serves on their own: `/fields` reads a small object, `/columns` streams lines.
FIELDS_KEY_TEMPLATE = "workspaces/{workspace_id}/runs/{run_id}/fields.json"
COLUMNS_KEY_TEMPLATE = "workspaces/{workspace_id}/runs/{run_id}/columns.ndjson"
EVENTS_ARCHIVE_KEY_TEMPLATE = "workspaces/{workspace_id}/runs/{run_id}/events.ndjson"
# Lifecycle: abandoned multipart uploads go after 1 day; noncurrent versions after 30 days.
ABORT_INCOMPLETE_UPLOAD_DAYS = 1
NONCURRENT_VERSION_EXPIRY_DAYS = 30

EVENT_BUS_SUFFIX = "runs"
EVENT_SOURCE = "runs.api"
STATE_MACHINE_SUFFIX = "run-workflow"


def bucket_name(prefix: str) -> str:
    """The local bucket's name; on AWS CloudFormation names the bucket (names are global)."""
    return f"{prefix}-{BUCKET_LOGICAL_ID}"


def event_bus_name(prefix: str) -> str:
    return f"{prefix}-{EVENT_BUS_SUFFIX}"


def state_machine_name(prefix: str) -> str:
    return f"{prefix}-{STATE_MACHINE_SUFFIX}"


# Defaults for the local stack (DESIGN §9).
LOCAL_RESOURCE_PREFIX = "runs-local"
LOCAL_WORKSPACE_ID = "00000000-0000-7000-8000-000000000001"
LOCAL_API_KEY = "local.devkey-change-me"
LOCAL_REGION = "us-east-1"
