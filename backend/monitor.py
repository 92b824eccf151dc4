"""Background upkeep of the aggregator side: catalog refresh on a schedule and health checks.

One daemon thread per server process, started and stopped with the app's lifespan.
It refreshes the catalog every ``catalog_refresh_s`` and checks reachability,
authentication and prepaid balance every ``check_interval_s``; the operator page and
the fleet view read :meth:`ProviderMonitor.status`. Failures are logged and shown,
never raised: the kiosk-facing API keeps serving the stored catalog meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from backend.catalog import CatalogService
from backend.provider import ProviderAdapter, ProviderHealth, ProviderUnavailable, utc_now_text
from backend.providers.config import ProviderConfig

log = logging.getLogger(__name__)


class ProviderMonitor:
    def __init__(self, provider: ProviderAdapter, catalog: CatalogService, config: ProviderConfig) -> None:
        self._provider = provider
        self._catalog = catalog
        self._config = config
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._health: ProviderHealth | None = None
        self._catalog_error: str | None = None
        self._catalog_at: str | None = None

    # ------------------------------------------------------------------ actions

    def check_now(self) -> ProviderHealth:
        health = self._provider.health()
        with self._lock:
            previous, self._health = self._health, health
        if not health.ok:
            log.warning("aggregator check failed: %s", health.detail, extra={"provider": health.provider})
        elif previous is not None and not previous.ok:
            log.info("aggregator check ok again", extra={"provider": health.provider})
        if self.low_balance(health):
            log.warning("aggregator prepaid balance low: %s %s", health.balance_cents, health.currency)
        return health

    def refresh_catalog(self) -> dict[str, Any]:
        """Refresh now; raises :class:`ProviderUnavailable` (and records it) on failure."""
        try:
            result = self._catalog.refresh()
        except ProviderUnavailable as exc:
            with self._lock:
                self._catalog_error, self._catalog_at = str(exc), utc_now_text()
            log.warning("catalog refresh failed: %s", exc)
            raise
        with self._lock:
            self._catalog_error, self._catalog_at = None, utc_now_text()
        return result

    def low_balance(self, health: ProviderHealth | None) -> bool:
        return bool(health is not None and health.balance_cents is not None
                    and health.balance_cents < self._config.low_balance_cents)

    def status(self) -> dict[str, Any]:
        with self._lock:
            health, error, at = self._health, self._catalog_error, self._catalog_at
        return {
            "provider": self._provider.name, "environment": self._provider.environment,
            "health": health.as_dict() if health is not None else None,
            "ok": health.ok if health is not None else None,
            "low_balance_cents": self._config.low_balance_cents, "low_balance": self.low_balance(health),
            "catalog": {"refreshed_at": at, "error": error, "last": self._catalog.last_refresh},
        }

    # ------------------------------------------------------------------ thread

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="provider-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)
            self._thread = None

    def _run(self) -> None:
        next_check = next_refresh = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_refresh:
                try:
                    self.refresh_catalog()
                except ProviderUnavailable:
                    pass  # recorded and logged in refresh_catalog; retried at the next check
                except Exception:
                    log.exception("catalog refresh crashed")
                next_refresh = now + (self._config.catalog_refresh_s if self._catalog_error is None
                                      else min(self._config.check_interval_s, self._config.catalog_refresh_s))
            if now >= next_check:
                try:
                    self.check_now()
                except Exception:
                    log.exception("aggregator check crashed")
                next_check = now + self._config.check_interval_s
            self._stop.wait(max(0.05, min(next_check, next_refresh) - time.monotonic()))
