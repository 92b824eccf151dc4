"""Operator login throttling, shared by every backend worker through the database.

Why: the operator page is on the network and a password is all that guards it. Each
attempt is counted per user name and per client address *before* its password is
checked, atomically (:meth:`backend.store.Store.admit_login`), so concurrent attempts
cannot slip past the limit: with ``per_user`` attempts for one name (or ``per_client``
from one address) within ``window_s``, further attempts are refused without checking
the password (so argon2 is not a lever for overloading the backend either) until the
oldest attempt leaves the window. A right password clears that name's attempts.

Times are wall-clock epoch milliseconds (workers on several hosts share them); the
pure part, :func:`retry_after`, is what decides how long to wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from backend.store import Store

PER_USER = 5
PER_CLIENT = 20
WINDOW_S = 900.0


def user_key(name: str) -> str:
    return "user:" + name.casefold()


def client_key(address: str) -> str:
    return "client:" + address


def retry_after(recent: Mapping[str, Sequence[int]], limits: Sequence[tuple[str, int]], now_ms: int,
                window_ms: int) -> float:
    """Seconds until every key is under its limit again, from each key's attempt times
    (ascending, within the window); 0 when an attempt may be made now."""
    wait_ms = 0
    for key, limit in limits:
        times = sorted(recent.get(key, ()))
        if len(times) >= limit:
            wait_ms = max(wait_ms, times[len(times) - limit] + window_ms - now_ms)
    return max(wait_ms, 0) / 1000.0


@dataclass(frozen=True)
class Admission:
    """An admitted attempt: its rows, to clear when the password proves right."""

    keys: tuple[str, ...]
    ids: tuple[int, ...]


class TooManyAttempts(Exception):
    def __init__(self, wait_s: float) -> None:
        super().__init__(f"retry in {wait_s:.0f} s")
        self.wait_s = wait_s


class LoginThrottle:
    def __init__(self, store: Store, *, per_user: int = PER_USER, per_client: int = PER_CLIENT,
                 window_s: float = WINDOW_S, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._per_user = per_user
        self._per_client = per_client
        self.window_s = window_s
        self.clock = clock

    def _limits(self, user: str, client: str) -> list[tuple[str, int]]:
        return [(user_key(user), self._per_user), (client_key(client), self._per_client)]

    def admit(self, user: str, client: str) -> Admission:
        """Count this attempt; raises :class:`TooManyAttempts` (nothing counted) when over."""
        limits = self._limits(user, client)
        now_ms = int(self.clock() * 1000)
        window_ms = int(self.window_s * 1000)
        ids, recent = self._store.admit_login(limits, now_ms, window_ms)
        if not ids:
            raise TooManyAttempts(max(retry_after(recent, limits, now_ms, window_ms), 1.0))
        return Admission(tuple(key for key, _ in limits), tuple(ids))

    def succeeded(self, user: str, admission: Admission) -> None:
        """A right password: the name starts afresh, and this attempt counts for no one."""
        self._store.clear_login_attempts([user_key(user)], admission.ids)
