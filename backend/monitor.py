"""Background upkeep of the aggregator side: catalog refresh on a schedule and health checks,
done once per interval for the whole fleet of backend processes sharing one database.

Every backend process (each ``serve --workers N`` worker, each machine behind a load
balancer) runs one :class:`ProviderMonitor` thread, but the work is the fleet's: a scheduled
run takes the job's fleet lock (:meth:`Store.exclusive`: a PostgreSQL advisory lock, a file
lock on SQLite) without waiting, skips when another process holds it, and skips when the
stored last run (``aggregator_runs``) is more recent than the interval. So the aggregator is
asked once per ``catalog_refresh_s`` / ``check_interval_s`` however many processes run, and
each process wakes when the stored run falls due. An operator's refresh takes the same lock,
waiting at most :attr:`ProviderMonitor.on_demand_wait_s`, then answers ``409
refresh_in_progress``.

What the operator page shows (:meth:`ProviderMonitor.status`) is read from the stored runs,
not this process's memory, so every worker shows the same check. Failures are logged,
stored and shown, never raised from the thread: the kiosk-facing API keeps serving the
stored catalog meanwhile.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from backend.catalog import CatalogService
from backend.errors import ApiError
from backend.provider import ProviderAdapter, ProviderHealth, ProviderUnavailable
from backend.providers.config import ProviderConfig
from backend.store import Store

log = logging.getLogger(__name__)

CATALOG, CHECK = "catalog", "check"
#: How long an operator's refresh or check waits for one running elsewhere before 409.
ON_DEMAND_WAIT_S = 5.0
#: A scheduled run another process holds is looked at again after at most this long.
HELD_RETRY_S = 5.0
#: After the database itself failed (no lock, no row), try again after at most this long.
ERROR_RETRY_S = 30.0


def runner_name() -> str:
    """Which process ran a job, as stored with it (``host[pid]``)."""
    return f"{socket.gethostname()[:80]}[{os.getpid()}]"


def _now_ms() -> int:
    return int(time.time() * 1000)


class ProviderMonitor:
    def __init__(self, provider: ProviderAdapter, catalog: CatalogService, config: ProviderConfig,
                 store: Store) -> None:
        self._provider = provider
        self._catalog = catalog
        self._config = config
        self._store = store
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_demand_wait_s = ON_DEMAND_WAIT_S
        self.runner = runner_name()
        #: The stored runs' and locks' key: a switch of environment (sandbox to production)
        #: or of aggregator starts afresh, with a refresh and a check at once.
        self.aggregator = f"{provider.name}:{provider.environment}"[:32]

    def lock_name(self, job: str) -> str:
        return f"aggregator:{self.aggregator}:{job}"

    def interval_s(self, job: str, last_ok: bool = True) -> float:
        """A job's interval; a failed refresh is retried at the check interval when that is shorter."""
        if job == CHECK:
            return self._config.check_interval_s
        if last_ok:
            return self._config.catalog_refresh_s
        return min(self._config.check_interval_s, self._config.catalog_refresh_s)

    # ------------------------------------------------------------------ on demand (operator)

    def check_now(self) -> ProviderHealth:
        """Check now under the check's fleet lock (409 ``check_in_progress`` when one elsewhere
        runs past the wait); the result is stored for every worker to show."""
        with self._store.exclusive(self.lock_name(CHECK), self.on_demand_wait_s) as held:
            if not held:
                raise ApiError(409, "check_in_progress",
                               "another backend process is checking the aggregator; try again in a moment")
            return self._check()

    def refresh_catalog(self) -> dict[str, Any]:
        """Refresh now under the catalog's fleet lock; 409 ``refresh_in_progress`` when a refresh
        elsewhere holds it past the wait; raises :class:`ProviderUnavailable` (stored) on failure."""
        with self._store.exclusive(self.lock_name(CATALOG), self.on_demand_wait_s) as held:
            if not held:
                raise ApiError(409, "refresh_in_progress",
                               "another backend process is refreshing the catalog; its result shows when it ends")
            return self._refresh()

    # ------------------------------------------------------------------ the work (under the lock)

    def _check(self) -> ProviderHealth:
        previous = self._store.aggregator_run(self.aggregator, CHECK)
        started = _now_ms()
        health = self._provider.health()
        self._store.record_aggregator_run(self.aggregator, CHECK, started_ms=started, ok=health.ok,
                                          result=health.as_dict(), error=None if health.ok else health.detail,
                                          runner=self.runner)
        if not health.ok:
            log.warning("aggregator check failed: %s", health.detail, extra={"provider": health.provider})
        elif previous is not None and not previous["ok"]:
            log.info("aggregator check ok again", extra={"provider": health.provider})
        if self.low_balance(health.balance_cents):
            log.warning("aggregator prepaid balance low: %s %s", health.balance_cents, health.currency)
        return health

    def _refresh(self) -> dict[str, Any]:
        started = _now_ms()
        try:
            result = self._catalog.refresh()
        except ProviderUnavailable as exc:
            self._store.record_aggregator_run(self.aggregator, CATALOG, started_ms=started, ok=False,
                                              result=None, error=str(exc), runner=self.runner)
            log.warning("catalog refresh failed: %s", exc)
            raise
        self._store.record_aggregator_run(self.aggregator, CATALOG, started_ms=started, ok=True,
                                          result=result, error=None, runner=self.runner)
        return result

    # ------------------------------------------------------------------ scheduled

    def run_scheduled(self, job: str) -> float:
        """Run ``job`` if it is due for the fleet and no other process is running it; returns
        the seconds until it should be looked at again."""
        with self._store.exclusive(self.lock_name(job)) as held:
            if not held:
                log.debug("aggregator %s: another backend process is running it; skipped", job)
                return min(self.interval_s(job), HELD_RETRY_S)
            last = self._store.aggregator_run(self.aggregator, job)
            if last is not None:
                due_in = (int(last["started_ms"]) + self.interval_s(job, last["ok"]) * 1000 - _now_ms()) / 1000
                if due_in > 0:
                    log.debug("aggregator %s: run %.0f s ago by %s; skipped", job,
                              self.interval_s(job, last["ok"]) - due_in, last["runner"])
                    return due_in
            ok = True
            try:
                if job == CATALOG:
                    self._refresh()
                else:
                    ok = self._check().ok
            except ProviderUnavailable:
                ok = False  # stored and logged by _refresh; retried at the check interval
            return self.interval_s(job, ok)

    def low_balance(self, balance_cents: int | None) -> bool:
        return balance_cents is not None and balance_cents < self._config.low_balance_cents

    def status(self) -> dict[str, Any]:
        """The last stored check and refresh of this provider (the same on every worker)."""
        checked = self._store.aggregator_run(self.aggregator, CHECK)
        refreshed = self._store.aggregator_run(self.aggregator, CATALOG)
        health = checked["result"] if checked is not None else None
        return {
            "provider": self._provider.name, "environment": self._provider.environment,
            "health": health,
            "ok": bool(health["ok"]) if health is not None else None,
            "low_balance_cents": self._config.low_balance_cents,
            "low_balance": self.low_balance(health.get("balance_cents") if health is not None else None),
            "checked_by": checked["runner"] if checked is not None else None,
            "catalog": {"refreshed_at": refreshed["at"] if refreshed else None,
                        "error": refreshed["error"] if refreshed else None,
                        "last": refreshed["result"] if refreshed else None,
                        "refreshed_by": refreshed["runner"] if refreshed else None},
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
        next_at = {CATALOG: time.monotonic(), CHECK: time.monotonic()}
        while not self._stop.is_set():
            for job, at in next_at.items():
                if time.monotonic() < at:
                    continue
                try:
                    wait = self.run_scheduled(job)
                except Exception:
                    log.exception("aggregator %s crashed", job)
                    wait = min(self.interval_s(job), ERROR_RETRY_S)
                next_at[job] = time.monotonic() + max(0.05, wait)
                if self._stop.is_set():
                    return
            self._stop.wait(max(0.05, min(next_at.values()) - time.monotonic()))
