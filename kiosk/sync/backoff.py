"""Retry delays: exponential backoff with full jitter (pure; the RNG is injected)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """``delay(n)`` is uniform in ``[floor, min(cap, base * 2**n)]``.

    Full jitter spreads a fleet that lost the backend at the same moment, so
    the kiosks do not all come back in the same second when it returns.
    """

    base_s: float = 1.0
    cap_s: float = 300.0
    floor_s: float = 0.1
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def ceiling(self, attempt: int) -> float:
        return min(self.cap_s, self.base_s * 2.0 ** min(attempt, 60))

    def delay(self, attempt: int) -> float:
        top = self.ceiling(attempt)
        return float(self.rng.uniform(min(self.floor_s, top), top))

    def failed(self) -> float:
        """Record one more failure and return how long to wait before the next try."""
        wait = self.delay(self.failures)
        self.failures += 1
        return wait

    def succeeded(self) -> None:
        self.failures = 0
