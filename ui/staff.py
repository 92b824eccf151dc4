"""Technician and operator mode: the hidden gesture, the PIN pad and the staff screens.

Why a separate controller and not more states in :mod:`kiosk.flow`: staff mode
is not part of a customer's journey. While it is open the customer session is
suspended (no card event, no idle timer reaches it) and leaving it always
starts a fresh customer session on the attract screen.

Everything that blocks — the argon2 PIN check, the ledger, each diagnostic,
the USB export — runs on this controller's own worker lanes
(:class:`ui.workers.Worker`); answers come back as queued signals. Each answer
carries the *generation* it was asked in, so an answer that arrives after the
technician left (or logged in again) is dropped.

The pure parts (:class:`CornerTaps`, :func:`advice_key`, :class:`DateRange`)
do no I/O and are tested without Qt.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Property, QDate, QEvent, QLocale, QObject, QTimer, Signal, Slot

from kiosk.errors import KioskError
from kiosk.flow import LOCKED_STATES
from kiosk.ports import DeviceHealth

log = logging.getLogger(__name__)

#: The hidden gesture: this many taps in the corner within this many seconds.
TAP_COUNT = 5
TAP_WINDOW_S = 3.0
#: Staff screens close by themselves after this long without a touch (a technician who
#: walks away must not leave the diagnostics open to the next customer).
STAFF_IDLE_S = 120.0
PIN_IDLE_S = 45.0
PIN_MAX_LEN = 12
PIN_MIN_LEN = 4

#: Which worker lane each action runs on: one per device, so a hung terminal never
#: delays a reader test.
ACTION_LANES: dict[str, str] = {
    "startup": "staff-misc",
    "reader": "staff-reader", "sim": "staff-reader",
    "terminal": "staff-terminal", "terminal_diagnosis": "staff-terminal",
    "terminal_end_of_day": "staff-terminal",
    "printer": "staff-printer", "printer_test": "staff-printer",
    "upstream": "staff-upstream",
    "ledger": "staff-ledger", "attention": "staff-ledger", "end_of_day": "staff-ledger",
    "disk": "staff-misc", "versions": "staff-misc", "speech": "staff-misc",
}  # fmt: skip
GATE_LANE = "staff-gate"
EXPORT_LANE = "staff-export"
LOCAL_EXPORT_DIR = "exports"

Clock = Callable[[], dt.datetime]
Monotonic = Callable[[], float]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- pure parts


class CornerTaps:
    """Counts taps in the hidden corner: ``count`` of them within ``window_s`` seconds open it."""

    def __init__(self, count: int = TAP_COUNT, window_s: float = TAP_WINDOW_S) -> None:
        self.count = count
        self.window_s = window_s
        self._times: deque[float] = deque()

    def tap(self, now: float) -> bool:
        """Record one tap at ``now`` (monotonic seconds); True when the gesture is complete."""
        self._times.append(now)
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()
        if len(self._times) >= self.count:
            self._times.clear()
            return True
        return False

    def reset(self) -> None:
        self._times.clear()


def _advice_templates() -> list[str]:
    """Every advice text :mod:`kiosk.diagnostics` can give (the ``ADVICE_*`` constants)."""
    from kiosk import diagnostics  # imported on first use: it is not needed for the first frame

    return [value for name, value in vars(diagnostics).items()
            if name.startswith("ADVICE_") and isinstance(value, str)]  # fmt: skip


_FIELD = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def catalogue_key(template: str) -> str:
    """``"ledger corrupt at seq {seq}: ..."`` → ``"ledger corrupt at seq %1: ..."`` (the
    form the translation catalogue holds, context ``Advice``)."""
    counter = iter(range(1, 100))
    return _FIELD.sub(lambda _m: f"%{next(counter)}", template)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = _FIELD.split(template)
    # split() alternates literal text and field names: keep literals, capture fields
    pattern = "".join(re.escape(p) if i % 2 == 0 else "(.+?)" for i, p in enumerate(parts))
    return re.compile(pattern + r"\Z", re.DOTALL)


@functools.cache
def _advice_patterns() -> list[tuple[re.Pattern[str], str]]:
    return sorted(
        ((_template_regex(t), catalogue_key(t)) for t in _advice_templates()),
        key=lambda pair: -len(pair[1]),  # the most specific template first
    )


def advice_key(advice: str) -> tuple[str, list[str]]:
    """The catalogue key and arguments of a diagnostics advice text; unknown advice (from a
    driver) comes back as itself, shown untranslated rather than lost."""
    for pattern, key in _advice_patterns():
        match = pattern.match(advice)
        if match is not None:
            return key, list(match.groups())
    return advice, []


@dataclass(frozen=True)
class DateRange:
    """The operator's export range: whole UTC days ``first`` … ``last``, never in the future."""

    first: dt.date
    last: dt.date

    @classmethod
    def today(cls, today: dt.date) -> DateRange:
        return cls(today, today)

    def step(self, which: str, days: int, today: dt.date) -> DateRange:
        """Move one end by ``days``; the other end follows so the range stays valid."""
        if which == "first":
            first = min(self.first + dt.timedelta(days=days), today)
            return DateRange(first, max(self.last, first))
        last = min(self.last + dt.timedelta(days=days), today)
        return DateRange(min(self.first, last), last)

    @classmethod
    def preset(cls, name: str, today: dt.date) -> DateRange:
        if name == "yesterday":
            day = today - dt.timedelta(days=1)
            return cls(day, day)
        if name == "week":
            return cls(today - dt.timedelta(days=6), today)
        if name == "month":
            return cls(today.replace(day=1), today)
        return cls(today, today)


# --------------------------------------------------------------------------- answers from the lanes


@dataclass(frozen=True)
class _Answer:
    """One lane's answer: which generation asked, what kind of answer, its payload."""

    generation: int
    kind: str
    payload: Any = None


def _health_dict(health: DeviceHealth | None, state: str) -> dict[str, Any]:
    if health is None:
        return {"state": state, "ok": False, "detail": "", "adviceKey": "", "adviceArgs": []}
    key, args = advice_key(health.advice) if health.advice else ("", [])
    return {"state": "ok" if health.ok else "fail", "ok": health.ok, "detail": health.detail,
            "adviceKey": key, "adviceArgs": args}


def _target_dict(path: Path, label: str, removable: bool, free: int | None, writable: bool) -> dict[str, Any]:
    return {"path": str(path), "label": label, "removable": removable, "writable": writable,
            "freeMiB": -1 if free is None else free // (1024 * 1024)}


class StaffController(QObject):
    """What the PIN, technician and operator screens bind to (context property ``staff``)."""

    changed = Signal()
    resultsChanged = Signal()
    exportChanged = Signal()
    #: Staff mode closed: the customer session must start afresh.
    left = Signal()
    #: Staff mode opened (the customer session is suspended).
    entered = Signal()
    _answer = Signal(object)

    def __init__(
        self,
        services: Any,
        settings: Any,
        *,
        can_open: Callable[[], bool] | None = None,
        startup_failure: Callable[[], tuple[str, str] | None] | None = None,
        clock: Clock = _utcnow,
        monotonic: Monotonic = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        from ui.workers import Worker

        self._services = services
        self._settings = settings
        self._can_open = can_open or (lambda: True)
        #: The kiosk's failed start-up ``(code, one line)`` (``Boot.failure``): shown to the
        #: technician as the first check's result; customers only see "Out of service".
        self._startup_failure = startup_failure or (lambda: None)
        self._clock = clock
        self._monotonic = monotonic
        self._taps = CornerTaps()
        self._worker = Worker(self)
        self._worker.finished.connect(self._on_answer)
        self._generation = 0
        self._gate: Any = None
        self._diag: Any = None
        self._tech: Any = None  # the TechnicianSession while logged in
        self._mode = ""
        self._role = ""
        self._pin = ""
        self._pin_busy = False
        self._pin_message = ""
        self._attempts_left = -1
        self._locked_until: dt.datetime | None = None
        self._locked_seconds = 0
        self._locked_permanent = False
        self._results: dict[str, dict[str, Any]] = {}
        self._range = DateRange.today(self._today())
        self._targets: list[dict[str, Any]] = []
        self._target = -1
        self._scanning = False
        self._unmask = False
        self._export: dict[str, Any] = {"state": "idle"}
        self.find_targets: Callable[[], list[Any]] = self._default_targets
        self._lock_tick = QTimer(self)
        self._lock_tick.setInterval(1000)
        self._lock_tick.timeout.connect(self._update_lock)
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(lambda: self.leave("idle"))
        self._closed = False

    def attach(self, services: Any) -> None:
        """Services built after the first frame (``kiosk run``); read at each use."""
        self._services = services

    # ------------------------------------------------------------------ plumbing

    def _today(self) -> dt.date:
        return self._clock().astimezone(dt.UTC).date()

    def _submit(self, lane: str, kind: str, call: Callable[[], Any]) -> None:
        """Run ``call`` on ``lane``; its return value (or error) comes back as an ``_Answer``."""
        generation = self._generation

        def job() -> _Answer:
            return _Answer(generation, kind, call())

        def failed(code: str) -> _Answer:
            return _Answer(generation, kind + ":error", code)

        self._worker.submit(lane, job, failed)

    @Slot(object)
    def _on_answer(self, answer: object) -> None:
        if self._closed or not isinstance(answer, _Answer) or answer.generation != self._generation:
            return  # asked before the technician left or logged in again
        kind, _, error = answer.kind.partition(":")
        handler = getattr(self, f"_got_{kind}")
        handler(answer.payload, error == "error")

    def _set_mode(self, mode: str) -> None:
        self._mode = mode
        self._arm_idle()
        self.changed.emit()

    def _arm_idle(self) -> None:
        if self._mode:
            self._idle.start(int((PIN_IDLE_S if self._mode == "pin" else STAFF_IDLE_S) * 1000))
        else:
            self._idle.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Any touch or key on the window keeps staff mode open."""
        if self._mode and event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin,
                                           QEvent.Type.KeyPress):
            self._arm_idle()
        return False

    def close(self) -> None:
        """Log out (if logged in), stop timers and lanes; idempotent."""
        if self._closed:
            return
        tech, self._tech = self._tech, None
        if tech is not None:  # at shutdown, after the event loop: the lanes may be gone
            tech.logout("shutdown")
        self._closed = True
        self._lock_tick.stop()
        self._idle.stop()
        self._worker.close(wait=False)

    # ------------------------------------------------------------------ QML: general

    @Property(bool, notify=changed)
    def active(self) -> bool:
        return bool(self._mode)

    @Property(str, notify=changed)
    def mode(self) -> str:
        return self._mode

    @Property(str, notify=changed)
    def screenFile(self) -> str:
        return {"pin": "PinScreen.qml", "technician": "TechnicianScreen.qml",
                "operator": "OperatorScreen.qml"}.get(self._mode, "")

    @Property(str, notify=changed)
    def role(self) -> str:
        return self._role

    @Slot()
    def cornerTap(self) -> None:
        """One tap in the hidden corner; the fifth within 3 s opens the PIN pad."""
        if self._mode or self._closed:
            return
        if self._taps.tap(self._monotonic()) and self._can_open():
            self.open_pin()

    def open_pin(self) -> None:
        self._generation += 1
        self._pin = ""
        self._pin_busy = False
        self._pin_message = ""
        self._attempts_left = -1
        self._locked_until = None
        self._locked_seconds = 0
        self._locked_permanent = False
        self.entered.emit()
        self._set_mode("pin")
        self._submit(GATE_LANE, "status", self._gate_status)

    @Slot()
    @Slot(str)
    def leave(self, reason: str = "exit") -> None:
        """Back to a fresh customer session (the PIN pad's cancel, the staff screens' exit, idle)."""
        if not self._mode:
            return
        tech, self._tech = self._tech, None
        if tech is not None:
            self._worker.submit(GATE_LANE, lambda: tech.logout(reason))
        self._generation += 1
        self._taps.reset()
        self._pin = ""
        self._role = ""
        self._results = {}
        self._export = {"state": "idle"}
        self._unmask = False
        self._lock_tick.stop()
        self._set_mode("")
        self.resultsChanged.emit()
        self.exportChanged.emit()
        self.left.emit()

    # ------------------------------------------------------------------ the PIN pad

    def _ensure_gate(self) -> Any:
        """The PIN gate, built on first use on the gate lane (it reads the configuration)."""
        if self._gate is None:
            from kiosk.technician import gate_from_settings

            ledger = getattr(self._services, "ledger", None)
            if ledger is None:
                raise KioskError("the ledger is not available", code="gate_unavailable")
            self._gate = gate_from_settings(self._settings, ledger, clock=self._clock)
        return self._gate

    def _gate_status(self) -> Any:
        return self._ensure_gate().status()

    def _got_status(self, status: Any, failed: bool) -> None:
        if failed:
            self._pin_message = "unavailable" if status == "gate_unavailable" else status
        elif not status.configured:
            self._pin_message = "not_configured"
        elif status.locked:
            self._lock(status.locked_until, bool(getattr(status, "permanent", False)))
        self.changed.emit()

    def _lock(self, until: dt.datetime | None, permanent: bool = False) -> None:
        """Locked until ``until`` (counted down on the pad), or, ``permanent``, until
        ``kiosk technician unlock`` (no countdown: ``until`` is then only far away)."""
        self._locked_until = until
        self._locked_permanent = permanent
        self._pin_message = "locked"
        self._update_lock()
        if not permanent:
            self._lock_tick.start()

    def _update_lock(self) -> None:
        if self._locked_until is None:
            self._lock_tick.stop()
            return
        if self._locked_permanent:
            self._locked_seconds = 0
            self._lock_tick.stop()
            self.changed.emit()
            return
        left = (self._locked_until - self._clock()).total_seconds()
        if left <= 0:
            self._locked_until = None
            self._locked_seconds = 0
            self._pin_message = ""
            self._attempts_left = -1
            self._lock_tick.stop()
        else:
            self._locked_seconds = int(left + 0.999)
        self.changed.emit()

    @Property(int, notify=changed)
    def pinLength(self) -> int:
        return len(self._pin)

    @Property(bool, notify=changed)
    def pinBusy(self) -> bool:
        return self._pin_busy

    @Property(str, notify=changed)
    def pinMessage(self) -> str:
        """``""``, ``wrong_pin``, ``locked``, ``too_short``, ``not_configured``, ``unavailable``
        or an error code; QML says it in words."""
        return self._pin_message

    @Property(int, notify=changed)
    def attemptsLeft(self) -> int:
        return self._attempts_left

    @Property(bool, notify=changed)
    def locked(self) -> bool:
        return self._locked_until is not None

    @Property(int, notify=changed)
    def lockedSeconds(self) -> int:
        return self._locked_seconds

    @Property(bool, notify=changed)
    def lockedPermanent(self) -> bool:
        """Locked until a technician runs ``kiosk technician unlock`` (no countdown)."""
        return self._locked_until is not None and self._locked_permanent

    @Property(bool, notify=changed)
    def canSubmit(self) -> bool:
        return (len(self._pin) >= PIN_MIN_LEN and not self._pin_busy and self._locked_until is None
                and self._pin_message not in ("not_configured", "unavailable"))

    @Slot(str)
    def pinDigit(self, digit: str) -> None:
        if self._mode != "pin" or self._pin_busy or self._locked_until is not None:
            return
        if len(digit) == 1 and digit.isdigit() and len(self._pin) < PIN_MAX_LEN:
            self._pin += digit
            if self._pin_message in ("wrong_pin", "too_short"):
                self._pin_message = ""
            self.changed.emit()

    @Slot()
    def pinBackspace(self) -> None:
        if self._mode == "pin" and not self._pin_busy:
            self._pin = self._pin[:-1]
            self.changed.emit()

    @Slot()
    def pinClear(self) -> None:
        if self._mode == "pin" and not self._pin_busy:
            self._pin = ""
            self.changed.emit()

    @Slot()
    def submitPin(self) -> None:
        if self._mode != "pin" or self._pin_busy or self._locked_until is not None:
            return
        if len(self._pin) < PIN_MIN_LEN:
            self._pin_message = "too_short"
            self.changed.emit()
            return
        pin, self._pin = self._pin, ""
        self._pin_busy = True
        self.changed.emit()
        self._submit(GATE_LANE, "login", lambda: self._login(pin))

    def _login(self, pin: str) -> tuple[str, Any]:
        """On the gate lane: the outcome as data (the exceptions carry what the pad shows)."""
        from kiosk.technician import GateLocked, GateNotConfigured, WrongPin

        try:
            return "ok", self._ensure_gate().login(pin)
        except WrongPin as exc:
            return "wrong_pin", exc.remaining_attempts
        except GateLocked as exc:
            return "locked", (exc.until, bool(getattr(exc, "permanent", False)))
        except GateNotConfigured:
            return "not_configured", None

    def _got_login(self, payload: Any, failed: bool) -> None:
        self._pin_busy = False
        if failed:
            self._pin_message = "unavailable" if payload == "gate_unavailable" else str(payload)
            self.changed.emit()
            return
        outcome, value = payload
        if outcome == "ok":
            self._tech = tech = value
            self._role = str(value.role.value)
            self._results = {}
            failure = self._startup_failure()
            if failure is not None and tech.may("startup"):  # shown at once, no tap needed
                from kiosk.diagnostics import startup_failure_health

                self._results["startup"] = _health_dict(startup_failure_health(*failure), "fail")
            self._export = {"state": "idle"}
            self._unmask = False
            self._range = DateRange.today(self._today())
            self._set_mode("operator" if self._role == "operator" else "technician")
            self.resultsChanged.emit()
            self.exportChanged.emit()
            if self._mode == "operator":
                self.refreshTargets()
            return
        self._pin_message = outcome
        if outcome == "wrong_pin":
            self._attempts_left = int(value)
        elif outcome == "locked":
            until, permanent = value
            self._lock(until, permanent)
        self.changed.emit()

    # ------------------------------------------------------------------ diagnostics

    def _diagnostics(self) -> Any:
        if self._diag is None:
            from kiosk import diagnostics

            self._diag = diagnostics.Diagnostics(
                self._settings, Path(getattr(self._services, "data_dir", ".")),
                ledger=getattr(self._services, "ledger", None),
                reader=getattr(self._services, "reader", None),
                terminal=getattr(self._services, "terminal", None),
                printer=getattr(self._services, "printer", None),
                # terminal checks never interleave with a sale of another process
                terminal_lock=getattr(getattr(self._services, "ownership", None), "terminal", None),
                startup_failure=self._startup_failure,
            )
        return self._diag

    @Property("QVariantList", notify=changed)  # type: ignore[arg-type]
    def actions(self) -> list[str]:
        """The actions this role may run, in screen order."""
        if not self._role:
            return []
        from kiosk.diagnostics import ACTIONS

        return [a.name for a in ACTIONS if self._role in a.roles]

    @Property("QVariantMap", notify=resultsChanged)  # type: ignore[arg-type]
    def results(self) -> dict[str, dict[str, Any]]:
        return dict(self._results)

    @Slot(str)
    def run(self, name: str) -> None:
        """Run one diagnostic action in the background; its card shows "running" meanwhile."""
        tech = self._tech
        if tech is None or name not in ACTION_LANES or self._results.get(name, {}).get("state") == "running":
            return
        if not tech.may(name):
            log.warning("the %s role may not run %s", self._role, name)
            return
        self._results[name] = _health_dict(None, "running")
        self.resultsChanged.emit()
        diag_for = self._diagnostics

        def call() -> tuple[str, DeviceHealth]:
            try:
                return name, tech.perform(name, lambda: diag_for().run(name))
            except KioskError as exc:  # perform() refused: session closed, role not permitted
                from kiosk.diagnostics import ADVICE_INTERNAL

                return name, DeviceHealth(name, False, exc.message, ADVICE_INTERNAL)

        self._submit(ACTION_LANES[name], "action", call)

    def _got_action(self, payload: Any, failed: bool) -> None:
        if failed:  # a bug below perform(): logged by the worker; unblock every running card
            from kiosk.diagnostics import ADVICE_INTERNAL

            for name, result in list(self._results.items()):
                if result.get("state") == "running":
                    self._results[name] = {**_health_dict(None, "fail"), "detail": str(payload),
                                           "adviceKey": catalogue_key(ADVICE_INTERNAL)}
        else:
            name, health = payload
            self._results[name] = _health_dict(health, "fail")
        self.resultsChanged.emit()

    # ------------------------------------------------------------------ operator export

    def _default_targets(self) -> list[Any]:
        from kiosk.operator_export import removable_targets

        return list(removable_targets())

    @Property(str, notify=exportChanged)
    def fromDate(self) -> str:
        return self._range.first.isoformat()

    @Property(str, notify=exportChanged)
    def toDate(self) -> str:
        return self._range.last.isoformat()

    def _long_date(self, day: dt.date) -> str:
        return QLocale().toString(QDate(day.year, day.month, day.day), QLocale.FormatType.LongFormat)

    @Property(str, notify=exportChanged)
    def fromLabel(self) -> str:
        return self._long_date(self._range.first)

    @Property(str, notify=exportChanged)
    def toLabel(self) -> str:
        return self._long_date(self._range.last)

    @Property(bool, notify=exportChanged)
    def toIsToday(self) -> bool:
        return self._range.last >= self._today()

    @Property(bool, notify=exportChanged)
    def fromIsToday(self) -> bool:
        return self._range.first >= self._today()

    @Slot(str, int)
    def stepDate(self, which: str, days: int) -> None:
        self._range = self._range.step("first" if which == "from" else "last", days, self._today())
        self.exportChanged.emit()

    @Slot(str)
    def presetRange(self, name: str) -> None:
        self._range = DateRange.preset(name, self._today())
        self.exportChanged.emit()

    def set_range(self, first: dt.date, last: dt.date) -> None:
        """Tests and previews: the range as if stepped to."""
        self._range = DateRange(first, last)
        self.exportChanged.emit()

    @Property("QVariantList", notify=exportChanged)  # type: ignore[arg-type]
    def targets(self) -> list[dict[str, Any]]:
        return list(self._targets)

    @Property(int, notify=exportChanged)
    def targetIndex(self) -> int:
        return self._target

    @Property(bool, notify=exportChanged)
    def scanning(self) -> bool:
        return self._scanning

    @Slot(int)
    def chooseTarget(self, index: int) -> None:
        if 0 <= index < len(self._targets) and self._targets[index]["writable"]:
            self._target = index
            self.exportChanged.emit()

    @Slot()
    def refreshTargets(self) -> None:
        """Look for USB sticks (reads the mount table: on a lane, not here)."""
        self._scanning = True
        self.exportChanged.emit()
        finder = self.find_targets
        local = Path(getattr(self._services, "data_dir", ".")) / LOCAL_EXPORT_DIR

        def call() -> list[dict[str, Any]]:
            found = [_target_dict(t.path, t.label, t.removable, t.free_bytes, t.writable) for t in finder()]
            local.mkdir(parents=True, exist_ok=True)
            found.append(_target_dict(local, "", False, None, True))
            return found

        self._submit(EXPORT_LANE, "targets", call)

    def _got_targets(self, payload: Any, failed: bool) -> None:
        self._scanning = False
        if failed:
            self._export = {"state": "fail", "code": str(payload), "detail": ""}
        else:
            chosen = self._targets[self._target]["path"] if 0 <= self._target < len(self._targets) else None
            self._targets = list(payload)
            paths = [t["path"] for t in self._targets]
            writable = [i for i, t in enumerate(self._targets) if t["writable"]]
            if chosen in paths and self._targets[paths.index(chosen)]["writable"]:
                self._target = paths.index(chosen)
            else:  # a USB stick first, when there is one
                self._target = writable[0] if writable else -1
        self.exportChanged.emit()

    @Property(bool, notify=exportChanged)
    def unmask(self) -> bool:
        return self._unmask

    @Slot()
    def toggleUnmask(self) -> None:
        self._unmask = not self._unmask
        self.exportChanged.emit()

    @Property("QVariantMap", notify=exportChanged)  # type: ignore[arg-type]
    def exportResult(self) -> dict[str, Any]:
        return dict(self._export)

    @Slot()
    def exportNow(self) -> None:
        """Write the CSV for the chosen range to the chosen place, in the background."""
        tech = self._tech
        if tech is None or self._export.get("state") == "running" or not 0 <= self._target < len(self._targets):
            return
        from kiosk.operator_export import day_range, export_transactions

        ledger = getattr(self._services, "ledger", None)
        folder = Path(self._targets[self._target]["path"])
        since, until = day_range(self._range.first, self._range.last)
        unmask = self._unmask
        kiosk_id = self._settings.kiosk.id
        self._export = {"state": "running"}
        self.exportChanged.emit()

        def call() -> Any:
            if ledger is None:
                raise KioskError("the ledger is not available", code="export_failed")
            return tech.perform(
                "export",
                lambda: export_transactions(ledger, folder, since=since, until=until, unmask=unmask,
                                            kiosk_id=kiosk_id),
                since=since, until=until, unmask=unmask,
            )

        def job() -> Any:
            try:
                return call()
            except KioskError as exc:  # the message names the file and the cause: show it
                return exc

        self._submit(EXPORT_LANE, "export", job)

    def _got_export(self, payload: Any, failed: bool) -> None:
        if failed:
            self._export = {"state": "fail", "code": str(payload), "detail": ""}
        elif isinstance(payload, KioskError):
            self._export = {"state": "fail", "code": payload.code, "detail": payload.message}
        else:
            self._export = {"state": "ok", "path": str(payload.path), "file": payload.path.name,
                            "rows": payload.rows, "kib": max(1, (payload.bytes + 1023) // 1024),
                            "masked": payload.masked}
        self.exportChanged.emit()

    # ------------------------------------------------------------------ previews

    def preview(self, mode: str, *, role: str = "", pin_length: int = 0, pin_message: str = "",
                attempts_left: int = -1, locked_seconds: int = 0, locked_permanent: bool = False,
                results: dict[str, DeviceHealth | None] | None = None,
                targets: list[dict[str, Any]] | None = None, export: dict[str, Any] | None = None,
                date_range: tuple[dt.date, dt.date] | None = None) -> None:
        """Show a staff screen with made-up state, touching nothing (``kiosk screenshots``)."""
        self._mode = mode
        self._role = role or ("technician" if mode == "technician" else "operator" if mode == "operator" else "")
        self._pin = "0" * pin_length
        self._pin_message = pin_message
        self._attempts_left = attempts_left
        self._locked_seconds = locked_seconds
        self._locked_permanent = locked_permanent
        self._locked_until = (self._clock() + dt.timedelta(seconds=locked_seconds or 3600)
                              if locked_seconds or locked_permanent else None)
        self._results = {n: _health_dict(h, "running") for n, h in (results or {}).items()}
        self._targets = list(targets or [])
        self._target = 0 if self._targets else -1
        self._export = dict(export or {"state": "idle"})
        if date_range is not None:
            self._range = DateRange(*date_range)
        self.changed.emit()
        self.resultsChanged.emit()
        self.exportChanged.emit()


def can_open_staff(controller: Any) -> Callable[[], bool]:
    """Staff mode may not open while money is moving (pay, processing)."""
    return lambda: controller.session.state not in LOCKED_STATES


__all__ = [
    "ACTION_LANES", "CornerTaps", "DateRange", "StaffController", "advice_key", "can_open_staff",
    "catalogue_key",
]
