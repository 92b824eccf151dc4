"""Operator login throttling in the database: per name and per client address, within a window,
counted before the password is checked (the concurrent case is in test_security.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.store import Store
from backend.throttle import LoginThrottle, TooManyAttempts, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'b.sqlite3'}") as s:
        yield s


def test_retry_after_counts_from_the_oldest_attempt_that_keeps_the_key_over() -> None:
    recent = {"user:a": [1000, 2000, 3000]}
    assert retry_after(recent, [("user:a", 3)], now_ms=3500, window_ms=10_000) == 7.5
    assert retry_after(recent, [("user:a", 2)], now_ms=3500, window_ms=10_000) == 8.5
    assert retry_after(recent, [("user:a", 4)], now_ms=3500, window_ms=10_000) == 0


def test_five_attempts_for_a_name_lock_it_until_the_oldest_leaves_the_window(store: Store) -> None:
    clock = Clock()
    t = LoginThrottle(store, per_user=5, per_client=100, window_s=900, clock=clock)
    for i in range(5):
        t.admit("Alice", f"10.0.0.{i}")  # names compare case-insensitively
        clock.now += 10
    with pytest.raises(TooManyAttempts) as info:
        t.admit("alice", "10.0.0.99")  # from any address
    assert info.value.wait_s == 900 - 50
    t.admit("bob", "10.0.0.99")  # other names are not locked
    clock.now += 850
    t.admit("alice", "10.0.0.99")  # the first attempt has left the window
    with pytest.raises(TooManyAttempts) as info:
        t.admit("alice", "10.0.0.99")
    assert info.value.wait_s == 10  # the second one leaves in 10 s


def test_a_refused_attempt_is_not_counted(store: Store) -> None:
    clock = Clock()
    t = LoginThrottle(store, per_user=2, per_client=100, window_s=60, clock=clock)
    t.admit("a", "c")
    t.admit("a", "c")
    for _ in range(10):
        with pytest.raises(TooManyAttempts):
            t.admit("a", "c")
    clock.now += 61
    t.admit("a", "c")


def test_one_address_trying_many_names_is_locked_too(store: Store) -> None:
    t = LoginThrottle(store, per_user=5, per_client=3, window_s=60, clock=Clock())
    for name in ("a", "b", "c"):
        t.admit(name, "192.0.2.7")
    with pytest.raises(TooManyAttempts) as info:
        t.admit("d", "192.0.2.7")
    assert info.value.wait_s == 60
    t.admit("d", "192.0.2.8")


def test_a_right_password_clears_the_name_and_its_own_attempt(store: Store) -> None:
    t = LoginThrottle(store, per_user=2, per_client=3, window_s=60, clock=Clock())
    t.admit("alice", "192.0.2.7")
    t.succeeded("ALICE", t.admit("alice", "192.0.2.7"))
    t.admit("alice", "192.0.2.7")
    t.admit("alice", "192.0.2.7")  # the name starts afresh after the success
    with pytest.raises(TooManyAttempts):
        t.admit("carol", "192.0.2.7")  # three counted attempts from this address in the window


def test_attempts_are_purged_by_time(store: Store) -> None:
    clock = Clock()
    t = LoginThrottle(store, per_user=5, per_client=100, window_s=60, clock=clock)
    t.admit("a", "c")
    clock.now += 120
    _nonces, attempts = store.purge_expired(int(clock.now), int((clock.now - 60) * 1000))
    assert attempts == 2  # the user row and the client row
