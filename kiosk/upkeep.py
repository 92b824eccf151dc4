"""What the running kiosk does between customers: the scheduled end of day, and retries of
transactions recovery had to park.

``kiosk run`` calls :meth:`Upkeep.run` on its control lane (never the GUI thread) every
little while, and only while the attract screen shows: nobody is in a sale then. Each
piece of work holds the payment terminal's lock (:mod:`kiosk.lease`) while it talks to
the terminal, so it never interleaves with a sale or recovery of another process, and a
customer who starts a sale meanwhile waits for the lock like any second user.

* **End of day** (``[terminal] end_of_day_at = "HH:MM"``, the kiosk's local time,
  ``[kiosk] timezone`` or the system's): once the time has passed and the ledger's last
  ``terminal.end_of_day`` event is from before it. The terminal closes its batch, the
  totals are journaled and compared with the ledger (:mod:`kiosk.reconcile`); a
  mismatch is an alert: the event says ``matches: false`` (synced upstream like every
  event), ``kiosk diag`` and the technician screen show it (check ``end_of_day``). A
  failed end of day is tried again every :data:`END_OF_DAY_RETRY_S`. Because the ledger
  decides, it happens once a day across restarts and processes.
* **Recovery**: every :data:`RECOVERY_INTERVAL_S`, when the ledger holds something to
  settle (a transaction parked because the provider stayed pending, a payment in doubt
  waiting for the terminal's next receipt number), recovery runs as at start-up.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.errors import KioskError, PaymentError
from kiosk.ledger.chain import parse_at
from kiosk.ports import PaymentTerminal, TerminalReport
from kiosk.reconcile import END_OF_DAY_EVENT, Reconciliation, end_of_day_due, journal_end_of_day, reconcile_ledger
from kiosk.txn import DeadlineExceeded, Deadlines, call_with_deadline, terminal_deadline

log = logging.getLogger(__name__)

#: Parked transactions are tried again this often while the kiosk is idle.
RECOVERY_INTERVAL_S = 300.0
#: A scheduled end of day that failed (terminal offline, busy) is tried again this often.
END_OF_DAY_RETRY_S = 900.0


def local_zone(timezone: str) -> dt.tzinfo | None:
    """The kiosk's zone: ``[kiosk] timezone`` when set, else the system's (``None``)."""
    return zoneinfo.ZoneInfo(timezone) if timezone else None


def local_now(timezone: str, now: dt.datetime | None = None) -> dt.datetime:
    """``now`` (aware; default the current time) in the kiosk's local time."""
    now = now or dt.datetime.now(dt.UTC)
    zone = local_zone(timezone)
    return now.astimezone(zone) if zone is not None else now.astimezone()


def last_end_of_day(ledger: Any) -> tuple[dt.datetime | None, dict[str, Any]]:
    """When the ledger's last end of day was journaled, and its payload."""
    event = ledger.last_event(END_OF_DAY_EVENT)
    if event is None:
        return None, {}
    return parse_at(event.at), dict(event.payload)


def close_batch(terminal: PaymentTerminal, ledger: Any, *, lock: Any | None, wait_s: float,
                deadlines: Deadlines, stop: threading.Event | None = None,
                clock: Callable[[], dt.datetime] | None = None) \
        -> tuple[TerminalReport, Reconciliation | None]:
    """End of day (ZVT 06 50) under the terminal lock, then the totals journaled and compared
    with the ledger. Raises ``TerminalBusy`` (another process has the terminal),
    ``TerminalUnavailable`` or ``DeadlineExceeded`` (the operation was aborted); a report
    that is not ok is returned without a reconciliation."""
    if lock is not None:
        lock.acquire(wait_s)
    try:
        timeout = terminal_deadline(terminal, "end_of_day", deadlines)
        try:
            report = call_with_deadline(terminal.end_of_day, timeout, "terminal end of day", stop=stop)
        except DeadlineExceeded:
            try:
                terminal.abort()
            except PaymentError as exc:
                log.warning("terminal abort after the end of day's deadline failed: %s", exc)
            raise
    finally:
        if lock is not None:
            lock.release()
    if not report.ok:
        log.error("end of day refused by the terminal: %s", report.message)
        return report, None
    rec = reconcile_ledger(ledger, report)
    journal_end_of_day(ledger, report, rec, at=clock() if clock is not None else None)
    if rec.matches:
        log.info("%s", rec.summary())
    else:
        log.error("%s", rec.summary(), extra={"error_code": "end_of_day_mismatch"})
    return report, rec


@dataclass
class UpkeepState:
    """What the last :meth:`Upkeep.run` did (for logs and tests)."""

    ran: tuple[str, ...] = ()
    error: str = ""


class Upkeep:
    """The idle work of one kiosk process; :meth:`run` blocks (call it on the control lane).

    ``services``: :class:`kiosk.app.Services` (ledger, terminal, settings, checkout, ownership).
    """

    def __init__(self, services: Any, *, clock: Callable[[], dt.datetime] | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 recovery_interval_s: float = RECOVERY_INTERVAL_S,
                 end_of_day_retry_s: float = END_OF_DAY_RETRY_S) -> None:
        self.services = services
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._monotonic = monotonic
        self.recovery_interval_s = recovery_interval_s
        self.end_of_day_retry_s = end_of_day_retry_s
        self._next_recovery = -math.inf
        self._eod_retry_at = -math.inf
        self._last_eod: dt.datetime | None = None
        self._last_eod_known = False
        self._lock = threading.Lock()
        self.last = UpkeepState()

    # ------------------------------------------------------------------ end of day

    def end_of_day_due(self) -> bool:
        """Whether the scheduled end of day should run now (reads the ledger only when the
        time has come: the answer is then fresh, whoever closed the batch meanwhile)."""
        settings = self.services.settings
        at = settings.terminal.end_of_day_at
        if not at or self._monotonic() < self._eod_retry_at:
            return False
        now = local_now(settings.kiosk.timezone, self._clock())
        if self._last_eod_known and not end_of_day_due(now, at, self._last_local(settings)):
            return False
        self._last_eod, _ = last_end_of_day(self.services.ledger)
        self._last_eod_known = True
        return end_of_day_due(now, at, self._last_local(settings))

    def _last_local(self, settings: Any) -> dt.datetime | None:
        if self._last_eod is None:
            return None
        return local_now(settings.kiosk.timezone, self._last_eod)

    def end_of_day(self) -> Reconciliation | None:
        """Close the terminal's batch now, reconciled; ``None`` when it did not happen (logged;
        tried again after :attr:`end_of_day_retry_s`)."""
        services = self.services
        checkout = services.checkout
        ownership = getattr(services, "ownership", None)
        try:
            _report, rec = close_batch(services.terminal, services.ledger,
                                      lock=ownership.terminal if ownership is not None else None,
                                      wait_s=services.settings.terminal.lock_wait_s,
                                      deadlines=checkout.deadlines, stop=checkout.stopping,
                                      clock=self._clock)
        except KioskError as exc:  # busy, unavailable, aborted at its deadline
            if exc.code == "shutting_down":
                raise
            log.error("scheduled end of day failed (tried again in %.0f min): %s",
                      self.end_of_day_retry_s / 60, exc, extra={"error_code": exc.code})
            self._eod_retry_at = self._monotonic() + self.end_of_day_retry_s
            return None
        if rec is None:
            self._eod_retry_at = self._monotonic() + self.end_of_day_retry_s
            return None
        self._last_eod, _ = last_end_of_day(services.ledger)
        self._last_eod_known = True
        return rec

    # ------------------------------------------------------------------ recovery

    def defer_recovery(self) -> None:
        """Recovery just ran (start-up): the next idle one after the interval."""
        self._next_recovery = self._monotonic() + self.recovery_interval_s

    def recovery_due(self) -> bool:
        if self._monotonic() < self._next_recovery:
            return False
        from kiosk.recovery import candidates

        self._next_recovery = self._monotonic() + self.recovery_interval_s
        return bool(candidates(self.services.ledger))

    def recover(self) -> Any:
        from kiosk.recovery import recover

        services, checkout = self.services, self.services.checkout
        report = recover(ledger=services.ledger, terminal=services.terminal, provider=checkout.provider,
                         settings=services.settings, deadlines=checkout.deadlines,
                         ownership=checkout.ownership, stopping=checkout.stopping)
        if report.resolved:
            log.warning("idle recovery tried %d transaction(s); %d need attention", len(report.resolved),
                        len(report.needs_attention))
        return report

    # ------------------------------------------------------------------ both

    def run(self) -> UpkeepState:
        """Whatever is due, end of day first (its comparison should see the ledger as the
        terminal's batch closed). Never raises a kiosk error: it is logged and returned."""
        if not self._lock.acquire(blocking=False):
            return UpkeepState(error="already running")
        ran: list[str] = []
        try:
            if self.end_of_day_due():
                ran.append("end_of_day")
                self.end_of_day()
            if self.recovery_due():
                ran.append("recovery")
                self.recover()
            self.last = UpkeepState(tuple(ran))
        except KioskError as exc:
            log.error("idle work stopped: %s", exc, extra={"error_code": exc.code})
            self.last = UpkeepState(tuple(ran), exc.code)
        finally:
            self._lock.release()
        return self.last
