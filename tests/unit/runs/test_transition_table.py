"""The run state machine, stated here literally (DESIGN §6), not derived from the code under test."""

from __future__ import annotations

from runs import transitions

DESIGNED_TRANSITIONS = {
    "queued": {"running", "cancelled", "failed"},
    "running": {"succeeded", "failed", "cancelled"},
    "succeeded": set(),
    "failed": set(),
    "cancelled": set(),
}


def test_the_transition_table_is_the_designed_one() -> None:
    assert transitions.TRANSITIONS == DESIGNED_TRANSITIONS


def test_terminal_and_cancellable_statuses_are_the_designed_ones() -> None:
    assert {"succeeded", "failed", "cancelled"} == transitions.TERMINAL
    assert {"queued", "running"} == transitions.CANCELLABLE


def test_the_condition_sources_of_each_target_are_the_designed_ones() -> None:
    assert {target: set(transitions.allowed_sources(target)) for target in DESIGNED_TRANSITIONS} == {
        "queued": set(),
        "running": {"queued"},
        "succeeded": {"running"},
        "failed": {"queued", "running"},
        "cancelled": {"queued", "running"},
    }
