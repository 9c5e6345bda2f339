"""The authorizer's key cache: bounded, expiring, and junk-proof."""

from __future__ import annotations

from runs.services.api_keys import BoundedTtlCache


def test_an_entry_lives_until_its_deadline() -> None:
    cache: BoundedTtlCache[str, int] = BoundedTtlCache(max_entries=10)
    cache.put("a", 1, until=100.0)
    assert cache.get("a", now=99.9) == (True, 1)
    assert cache.get("a", now=100.0) == (False, None)
    assert len(cache) == 0  # an expired entry is dropped when seen


def test_the_least_recently_used_entry_goes_first_when_full() -> None:
    cache: BoundedTtlCache[str, int] = BoundedTtlCache(max_entries=2)
    cache.put("a", 1, until=100.0)
    cache.put("b", 2, until=100.0)
    cache.get("a", now=0.0)  # a is now the most recently used
    cache.put("c", 3, until=100.0)
    assert [cache.get(key, now=0.0)[0] for key in "abc"] == [True, False, True]
    assert len(cache) == 2


def test_replace_keeps_the_deadline_and_ignores_a_missing_entry() -> None:
    cache: BoundedTtlCache[str, int] = BoundedTtlCache(max_entries=2)
    cache.put("a", 1, until=10.0)
    cache.replace("a", 2)
    cache.replace("b", 3)
    assert cache.get("a", now=9.0) == (True, 2)
    assert cache.get("a", now=10.0) == (False, None)
    assert cache.get("b", now=0.0) == (False, None)


def test_a_flood_of_unknown_key_ids_cannot_evict_the_keys_that_work() -> None:
    from runs.services.api_keys import KeyVerifier

    verifier = KeyVerifier(clock=lambda: 0.0)
    verifier.known.put(("workspace", "good"), None, until=50.0)  # type: ignore[arg-type]
    for index in range(verifier.unknown.max_entries * 3):
        verifier.unknown.put(("workspace", f"junk-{index}"), None, until=50.0)
    assert len(verifier.unknown) == verifier.unknown.max_entries
    assert verifier.known.get(("workspace", "good"), now=0.0)[0]
