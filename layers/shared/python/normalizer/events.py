"""Progress events a run reports to its caller, and the caller's cancellation check.

The caller passes `on_event(name, level, message, data)` and `should_cancel()`. Events follow the
catalogue of DESIGN §7: `run.stage`, `run.sheet`, `run.table`, `run.progress`, `run.validation`,
`run.output`. A run emits at most a few hundred of them whatever its size: progress is throttled by
time, and per-sheet/per-table events stop after a budget (stage, validation and output events are
always sent).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from normalizer.errors import RunCancelled, Stage

EventLevel = Literal["debug", "info", "warning", "error"]
EventCallback = Callable[[str, str, str, dict[str, Any]], None]
CancelCheck = Callable[[], bool]

PROGRESS_INTERVAL_SECONDS = 1.0
"""At most one `run.progress` event per this many seconds."""

DROPPABLE_EVENT_BUDGET = 250
"""How many `run.sheet`, `run.table` and `run.progress` events a run may send in all."""


class RunEvents:
    """Sends a run's events to the caller and asks it whether to stop.

    With no callback the events go nowhere; with no cancellation check the run never stops early.
    """

    def __init__(
        self,
        on_event: EventCallback | None = None,
        should_cancel: CancelCheck | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._on_event = on_event
        self._should_cancel = should_cancel
        self._clock = clock
        self._last_progress = clock()
        self._droppable_sent = 0
        self.stage: Stage = "prepare"

    def emit(self, name: str, message: str, data: dict[str, Any], *, level: EventLevel = "info") -> None:
        """Send one event now (no budget applies)."""
        if self._on_event is not None:
            self._on_event(name, level, message, data)

    def _emit_within_budget(self, name: str, message: str, data: dict[str, Any]) -> bool:
        if self._droppable_sent >= DROPPABLE_EVENT_BUDGET:
            return False
        self._droppable_sent += 1
        self.emit(name, message, data)
        return True

    def enter_stage(self, stage: Stage) -> None:
        """Record that the run entered `stage`, tell the caller, and honour a pending cancellation.

        Raises:
            RunCancelled: the caller asked the run to stop.
        """
        self.check_cancelled()
        if stage != self.stage or stage == "prepare":
            self.stage = stage
            self.emit("run.stage", f"Stage {stage}", {"stage": stage})

    def sheet(self, message: str, data: dict[str, Any]) -> None:
        """Send a `run.sheet` event (within the event budget)."""
        self._emit_within_budget("run.sheet", message, data)

    def table(self, message: str, data: dict[str, Any]) -> None:
        """Send a `run.table` event (within the event budget)."""
        self._emit_within_budget("run.table", message, data)

    def progress(self, rows_processed: int, sheets_processed: int, sheets_total: int) -> None:
        """Send a `run.progress` event unless one was sent less than a second ago."""
        now = self._clock()
        if now - self._last_progress < PROGRESS_INTERVAL_SECONDS:
            return
        self._last_progress = now
        self._emit_within_budget(
            "run.progress",
            f"{rows_processed} rows processed",
            {
                "stage": self.stage,
                "rowsProcessed": rows_processed,
                "sheetsProcessed": sheets_processed,
                "sheetsTotal": sheets_total,
            },
        )

    def check_cancelled(self) -> None:
        """Ask the caller whether to stop.

        Raises:
            RunCancelled: the caller's check answered true.
        """
        if self._should_cancel is not None and self._should_cancel():
            raise RunCancelled("the run was cancelled")
