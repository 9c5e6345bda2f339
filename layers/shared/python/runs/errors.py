"""Domain errors: each has a stable `code` and an HTTP status; `runs.http` turns them into problem+json."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str
    code: str


class ApiError(Exception):
    """Base of every error a client may see. Subclasses fix `status`, `code` and `title`."""

    status = 500
    code = "INTERNAL"
    title = "Internal error"

    def __init__(self, detail: str | None = None, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []


class BadRequest(ApiError):
    status, code, title = 400, "BAD_REQUEST", "Bad request"


class Unauthenticated(ApiError):
    status, code, title = 401, "UNAUTHENTICATED", "Missing or invalid API key"


class Forbidden(ApiError):
    status, code, title = 403, "FORBIDDEN", "Not allowed"


class NotFound(ApiError):
    status, code, title = 404, "NOT_FOUND", "Not found"


class WorkspaceNotFound(NotFound):
    code, title = "WORKSPACE_NOT_FOUND", "Workspace not found"


class RunNotFound(NotFound):
    code, title = "RUN_NOT_FOUND", "Run not found"


class DocumentNotFound(NotFound):
    code, title = "DOCUMENT_NOT_FOUND", "Document not found"


class ConfigurationNotFound(NotFound):
    code, title = "CONFIGURATION_NOT_FOUND", "Configuration not found"


class ApiKeyNotFound(NotFound):
    code, title = "API_KEY_NOT_FOUND", "API key not found"


class MetricsNotFound(NotFound):
    code, title = "METRICS_NOT_FOUND", "The run has no metrics yet"


class OutputNotFound(NotFound):
    code, title = "OUTPUT_NOT_FOUND", "The run has no output"


class Conflict(ApiError):
    status, code, title = 409, "CONFLICT", "Conflict"


class RunNotCancellable(Conflict):
    code, title = "RUN_NOT_CANCELLABLE", "Run cannot be cancelled"


class DocumentNotReady(Conflict):
    code, title = "DOCUMENT_NOT_READY", "Document is not uploaded yet"


class OutputNotReady(Conflict):
    code, title = "OUTPUT_NOT_READY", "The run's output is not available until the run completes"


class OutputNotAccepted(Conflict):
    code, title = "OUTPUT_NOT_ACCEPTED", "This run cannot take a manual output"


class IdempotencyInProgress(Conflict):
    code, title = "IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is still in progress"


class LastAdminKey(Conflict):
    code, title = "LAST_ADMIN_KEY", "A workspace's last admin key cannot be revoked"


class ApiKeySecretNotReplayable(Conflict):
    code, title = "API_KEY_SECRET_NOT_REPLAYABLE", "The key was created by an earlier request; its secret is shown once"

    @classmethod
    def for_key(cls, key_location: str) -> ApiKeySecretNotReplayable:
        key_id = key_location.rstrip("/").rsplit("/", 1)[-1]
        return cls(
            f"An earlier request with this Idempotency-Key created API key {key_id}. Its secret was shown once and "
            "is not stored: if it was lost, revoke that key and create another."
        )


class ConcurrentUpdate(Conflict):
    code, title = "CONCURRENT_UPDATE", "The resource changed while it was being updated; retry"


class PayloadTooLarge(ApiError):
    status, code, title = 413, "PAYLOAD_TOO_LARGE", "Payload too large"


class UnsupportedMediaType(ApiError):
    status, code, title = 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"


class ValidationFailed(ApiError):
    status, code, title = 422, "VALIDATION_FAILED", "Request validation failed"


class IdempotencyKeyReused(ValidationFailed):
    code, title = "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key was already used with a different request"


class InvalidCursor(ValidationFailed):
    code, title = "INVALID_CURSOR", "The cursor is invalid or belongs to other filters"


class SheetNotFound(ValidationFailed):
    code, title = "SHEET_NOT_FOUND", "The output has no such sheet"


class PreviewFailed(ValidationFailed):
    code, title = "PREVIEW_FAILED", "The output cannot be read"


class ConfigurationInvalid(ValidationFailed):
    code, title = "CONFIGURATION_INVALID", "The configuration is invalid"
