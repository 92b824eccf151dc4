"""Failed operator logins, counted per user name and per client address.

Why: the operator page is on the network and a password is all that guards it.
After ``per_user`` failures for one name (or ``per_client`` from one address)
within ``window_s`` further attempts are refused without checking the password
(so argon2 is not a lever for overloading the backend either) until the oldest
failure leaves the window. A right password clears that name's failures. Kept
in memory: one backend process serves the page; a restart forgets (and logs).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(self, *, per_user: int = 5, per_client: int = 20, window_s: float = 900.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = {"user": per_user, "client": per_client}
        self._window_s = window_s
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self._window_s:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def _keys(self, user: str, client: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("user", user.casefold()), ("client", client)

    def retry_after(self, user: str, client: str) -> float:
        """Seconds until ``user`` from ``client`` may try again; 0 when they may now."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in self._keys(user, client):
                times = self._recent(key, now)
                if len(times) >= self._limits[key[0]]:
                    wait = max(wait, times[len(times) - self._limits[key[0]]] + self._window_s - now)
        return wait

    def failed(self, user: str, client: str) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(user, client):
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._failures.pop(("user", user.casefold()), None)
