"""Operator login throttling: per name and per client address, within a window."""

from __future__ import annotations

from backend.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_for_a_name_lock_it_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    t = LoginThrottle(per_user=5, per_client=100, window_s=900, clock=clock)
    for i in range(5):
        assert t.retry_after("alice", f"10.0.0.{i}") == 0
        t.failed("Alice", f"10.0.0.{i}")  # names compare case-insensitively
        clock.now += 10
    assert t.retry_after("alice", "10.0.0.99") == 900 - 50  # from any address
    assert t.retry_after("bob", "10.0.0.99") == 0  # other names are not locked
    clock.now += 850
    assert t.retry_after("alice", "10.0.0.99") == 0  # the first failure has left the window
    t.failed("alice", "10.0.0.99")
    assert t.retry_after("alice", "10.0.0.99") == 10  # the second one leaves in 10 s


def test_one_address_trying_many_names_is_locked_too() -> None:
    clock = Clock()
    t = LoginThrottle(per_user=5, per_client=3, window_s=60, clock=clock)
    for name in ("a", "b", "c"):
        t.failed(name, "192.0.2.7")
    assert t.retry_after("d", "192.0.2.7") == 60
    assert t.retry_after("d", "192.0.2.8") == 0


def test_a_right_password_clears_the_name_but_not_the_address() -> None:
    clock = Clock()
    t = LoginThrottle(per_user=2, per_client=3, window_s=60, clock=clock)
    t.failed("alice", "192.0.2.7")
    t.succeeded("ALICE")
    t.failed("alice", "192.0.2.7")
    assert t.retry_after("alice", "192.0.2.7") == 0  # one failure since the success
    t.failed("bob", "192.0.2.7")
    assert t.retry_after("carol", "192.0.2.7") == 60  # three from this address in the window
