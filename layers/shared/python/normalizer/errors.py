"""Run-level failures the engine reports with a stable code and the stage it stopped in."""

from __future__ import annotations

from typing import Literal

FailureCode = Literal[
    "INPUT_MISSING",
    "INPUT_UNREADABLE",
    "INPUT_TOO_LARGE",
    "UNSUPPORTED_FILE_TYPE",
    "SHEET_NOT_FOUND",
    "CONFIGURATION_INVALID",
    "TIMEOUT",
    "CANCELLED",
    "INTERNAL",
]
Stage = Literal["prepare", "read", "detect", "map", "transform", "validate", "write", "finalize"]


class EngineFailure(Exception):
    """The run cannot go on; `code` and `stage` end up in the report's `failure`."""

    def __init__(self, code: FailureCode, message: str, *, stage: Stage = "read") -> None:
        super().__init__(message)
        self.code: FailureCode = code
        self.stage: Stage = stage
        self.message = message


class RunCancelled(Exception):
    """Raised when the caller's cancellation check says stop."""
