"""The run state machine as data: which status may follow which.

DynamoDB conditions are built from this table (`allowed_sources`), and a property test drives random
sequences through it.
"""

from __future__ import annotations

from typing import Final

from runs.models.runs import RunStatus

TRANSITIONS: Final[dict[RunStatus, frozenset[RunStatus]]] = {
    "queued": frozenset({"running", "cancelled", "failed"}),
    "running": frozenset({"succeeded", "failed", "cancelled"}),
    "succeeded": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}
TERMINAL: Final[frozenset[RunStatus]] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
CANCELLABLE: Final[frozenset[RunStatus]] = frozenset(s for s, t in TRANSITIONS.items() if "cancelled" in t)


def allowed_sources(target: RunStatus) -> tuple[RunStatus, ...]:
    """The statuses a run may be in for a move to `target` (sorted, for stable condition expressions)."""
    return tuple(sorted(source for source, targets in TRANSITIONS.items() if target in targets))


def is_allowed(source: RunStatus, target: RunStatus) -> bool:
    return target in TRANSITIONS[source]
