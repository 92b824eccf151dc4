"""The PIN gate in front of the technician and operator screens, and their audit trail.

One keypad, two roles: the PIN is checked (argon2id, argon2-cffi) against
``[technician] pin_hash`` (role ``technician``: diagnostics) and
``[technician] operator_pin_hash`` (role ``operator``: export, end of day).
Five wrong PINs in a row lock the keypad; each lockout since the last good login
lasts longer (:data:`LOCKOUT_LADDER`: 5 min, 15 min, 1 h), and the fourth holds until
``kiosk technician unlock``.

Why the lockout lives in ledger meta (``technician.gate``, a small JSON document) and
not only in memory: it must survive a restart, or pulling the plug would reset the
counter, and it must hold for every process sharing the ledger (the kiosk, a CLI on a
laptop). Every attempt is counted *before* its PIN is checked, in one transaction under
the ledger's write lock (:meth:`kiosk.ledger.Ledger.locked_meta`), so parallel guessing
from several processes gets no more than five checks either. The audit events
(``audit.*``, hash-chained and synced upstream like every event) are the record; meta is
only the fast, current state.

Time: how long a lock has run is measured on the boot clock (``CLOCK_BOOTTIME``: it
counts suspend, is the same for every process, and ignores wall-clock changes), so
setting the clock forward does not end a lock and setting it back does not stretch it.
A reboot cannot be measured across: a lock seen again after one starts its period anew.
The wall clock only dates audit events and the "try again at" shown on the keypad.
Tests move time with a clock object that also has ``uptime()`` (and may have
``boot_id()``); see :class:`PinGate`.

Every login, failed PIN, lockout, refused attempt, action and logout is its own
ledger event, with the role and a session id, never the PIN. If the ledger
cannot be written the gate still works (a technician must be able to get in to
diagnose a broken ledger): the failure is logged at ERROR and counted in
:attr:`PinGate.audit_failures`, and the lockout is kept in memory meanwhile.

The pure part (:class:`GateState` and its transitions) does no I/O; the
:class:`PinGate` shell adds hashing, the ledger and a lock. Every method
blocks (argon2 takes ~0.1 s by design): call it from a worker thread.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from kiosk.config import TechnicianSection
from kiosk.diagnostics import ACTIONS
from kiosk.errors import ConfigError, KioskError
from kiosk.ports import DeviceHealth

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_FAILURES = 5
#: Lockout lengths, one per lockout since the last good login; past the end: until unlocked.
LOCKOUT_LADDER: tuple[dt.timedelta, ...] = (dt.timedelta(minutes=5), dt.timedelta(minutes=15),
                                            dt.timedelta(hours=1))
LOCKOUT = LOCKOUT_LADDER[0]
#: What "locked until" shows for a lock that only ``kiosk technician unlock`` lifts.
PERMANENT_SHOWN = dt.timedelta(days=3650)
GATE_META = "technician.gate"
PIN_MIN_LEN = 4
PIN_MAX_LEN = 12
_ARGON2ID_PREFIX = "$argon2id$"
_DETAIL_MAX = 300
_BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")


class Role(StrEnum):
    TECHNICIAN = "technician"
    OPERATOR = "operator"


#: What each role may do: the diagnostics actions it is listed for, plus its own.
PERMISSIONS: Mapping[Role, frozenset[str]] = {
    role: frozenset(a.name for a in ACTIONS if role.value in a.roles) | extra
    for role, extra in ((Role.TECHNICIAN, frozenset()), (Role.OPERATOR, frozenset({"export"})))
}


# --------------------------------------------------------------------------- errors


class GateError(KioskError):
    code = "technician_gate"


class GateNotConfigured(GateError):
    """No PIN hash is configured: the hidden screens stay closed."""

    code = "pin_not_configured"


class WrongPin(GateError):
    code = "wrong_pin"

    def __init__(self, message: str, *, remaining_attempts: int) -> None:
        super().__init__(message)
        self.remaining_attempts = remaining_attempts


class GateLocked(GateError):
    """``until`` is wall-clock, for display; ``permanent``: only ``kiosk technician unlock``
    opens it (``until`` is then far away)."""

    code = "gate_locked"

    def __init__(self, message: str, *, until: dt.datetime, seconds_left: float, permanent: bool = False) -> None:
        super().__init__(message)
        self.until = until
        self.seconds_left = seconds_left
        self.permanent = permanent


class NotPermitted(GateError):
    code = "not_permitted"


class SessionClosed(GateError):
    code = "session_closed"


class BadPin(KioskError):
    """A PIN that cannot be set (``kiosk technician hash-pin``)."""

    code = "bad_pin"


# --------------------------------------------------------------------------- pure state


@dataclass(frozen=True)
class Now:
    """One reading of the three clocks the gate uses."""

    wall: dt.datetime
    uptime: float  # seconds on the boot clock
    boot: str  # which boot ``uptime`` belongs to


@dataclass(frozen=True)
class Lock:
    """A lockout: ``seconds`` long (``None``: until unlocked), started at ``since_uptime``
    on boot ``boot``; ``since`` is the wall time it started, for the record."""

    seconds: float | None
    boot: str
    since_uptime: float
    since: str

    def left(self, now: Now) -> float | None:
        """Seconds left (``None``: permanent). Only valid on the lock's own boot."""
        if self.seconds is None:
            return None
        return self.seconds - max(now.uptime - self.since_uptime, 0.0)


def lockout_length(level: int) -> dt.timedelta | None:
    """The ``level``-th lockout (1-based) since the last good login; ``None``: until unlocked."""
    return LOCKOUT_LADDER[level - 1] if level <= len(LOCKOUT_LADDER) else None


@dataclass(frozen=True)
class GateState:
    """Attempts counted since the last good login or lockout, lockouts since the last good
    login (the escalation level), and the lock in force."""

    failures: int = 0
    lockouts: int = 0
    lock: Lock | None = None

    def current(self, now: Now) -> GateState:
        """The state as of ``now``: a lock seen on a new boot starts again (the time across a
        reboot is unknown); a lock whose time has run is lifted, with five fresh attempts."""
        lock = self.lock
        if lock is None:
            return self
        if lock.boot != now.boot:
            return replace(self, lock=replace(lock, boot=now.boot, since_uptime=now.uptime))
        left = lock.left(now)
        if left is not None and left <= 0:
            return GateState(0, self.lockouts, None)
        return self

    def locked(self, now: Now) -> bool:
        return self.current(now).lock is not None

    def seconds_left(self, now: Now) -> float | None:
        lock = self.current(now).lock
        return None if lock is None else lock.left(now)

    def counted(self, now: Now) -> GateState:
        """One more attempt, counted before its PIN is checked; the fifth in a row locks
        (the attempt itself is still checked: it was admitted)."""
        state = self.current(now)
        failures = state.failures + 1
        if failures < MAX_FAILURES:
            return replace(state, failures=failures)
        level = state.lockouts + 1
        length = lockout_length(level)
        lock = Lock(None if length is None else length.total_seconds(), now.boot, now.uptime, now.wall.isoformat())
        return GateState(failures, level, lock)

    @property
    def remaining_attempts(self) -> int:
        return max(MAX_FAILURES - self.failures, 0)

    def to_json(self) -> str:
        lock = None
        if self.lock is not None:
            lock = {"seconds": self.lock.seconds, "boot": self.lock.boot, "since_uptime": self.lock.since_uptime,
                    "since": self.lock.since}
        return json.dumps({"v": 2, "failures": self.failures, "lockouts": self.lockouts, "lock": lock},
                          sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> GateState:
        """Tolerant: counters are clamped to ≥ 0 (a forged -1000 grants nothing), and the
        first format (``failures`` + wall-clock ``locked_until``) becomes a fresh 5-minute lock."""
        if not text:
            return cls()
        try:
            raw = json.loads(text)
            failures = max(_int(raw.get("failures", 0)), 0)
            lockouts = max(_int(raw.get("lockouts", 0)), 0)
            lock = None
            if raw.get("v") == 2 and raw.get("lock") is not None:
                lk = raw["lock"]
                seconds = lk.get("seconds")
                lock = Lock(None if seconds is None else max(float(seconds), 0.0), str(lk["boot"]),
                            float(lk["since_uptime"]), str(lk.get("since", "")))
            elif raw.get("v") is None and raw.get("locked_until"):
                lock = Lock(LOCKOUT.total_seconds(), "", 0.0, str(raw["locked_until"]))  # restarts on load
                lockouts = max(lockouts, 1)
            return cls(failures, lockouts, lock)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            # Unreadable state must not open the gate wider than a fresh start does.
            log.error("ledger meta %s is unreadable (%s); starting from zero failures", GATE_META, exc)
            return cls()


def _stricter(a: GateState, b: GateState) -> GateState:
    """The state that grants fewer attempts: a lock over none, else more failures."""
    if (a.lock is None) != (b.lock is None):
        return a if a.lock is not None else b
    return a if (a.lockouts, a.failures) >= (b.lockouts, b.failures) else b


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not an integer")
    return value


@dataclass(frozen=True)
class GateStatus:
    """What the keypad screen shows."""

    configured: bool
    roles: tuple[str, ...]
    locked: bool
    locked_until: dt.datetime | None
    seconds_left: float
    failures: int
    remaining_attempts: int
    permanent: bool = False
    lockouts: int = 0


# --------------------------------------------------------------------------- hashing


def validate_pin(pin: str) -> str:
    """Digits only (the keypad has nothing else), 4 to 12 of them."""
    if not pin.isascii() or not pin.isdigit():
        raise BadPin("a PIN is digits only")
    if not PIN_MIN_LEN <= len(pin) <= PIN_MAX_LEN:
        raise BadPin(f"a PIN has {PIN_MIN_LEN} to {PIN_MAX_LEN} digits")
    return pin


def hash_pin(pin: str) -> str:
    """The argon2id hash to put in the configuration (argon2-cffi's RFC 9106 defaults)."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(validate_pin(pin))


def _check_hash(key: str, value: str) -> str:
    if value and not value.startswith(_ARGON2ID_PREFIX):
        raise ConfigError(f"bad value for [technician] {key}: expected an argon2id hash "
                          "(make one with `kiosk technician hash-pin`)")
    return value


def _verify(pin_hash: str, pin: str, key: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    if not pin_hash:
        return False
    try:
        return bool(PasswordHasher().verify(pin_hash, pin))
    except VerifyMismatchError:
        return False
    except InvalidHashError as exc:
        raise ConfigError(f"bad value for [technician] {key}: not a valid argon2 hash") from exc
    except VerificationError as exc:
        log.warning("PIN verification failed for [technician] %s: %s", key, exc)
        return False


# --------------------------------------------------------------------------- the gate


class AuditLedger(Protocol):
    """What the gate needs from :class:`kiosk.ledger.Ledger`."""

    def append(self, kind: str, payload: Mapping[str, Any], *, txn_id: str | None = None,
               at: dt.datetime | None = None) -> Any: ...

    def get_meta(self, name: str, default: str | None = None) -> str | None: ...

    def locked_meta(self, name: str) -> contextlib.AbstractContextManager[tuple[str | None, Any]]: ...


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def boot_uptime() -> float:
    """Seconds since boot, counting suspend; the same for every process of this boot."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def boot_id() -> str:
    try:
        return _BOOT_ID_FILE.read_text(encoding="ascii").strip()
    except OSError:
        return "unknown-boot"


class PinGate:
    """Checks PINs, keeps the lockout, opens :class:`TechnicianSession` objects.

    ``clock`` is the wall clock (display and audit). ``uptime``/``boot`` measure lockouts;
    by default the boot clock and ``/proc``'s boot id, or the ``uptime()``/``boot_id()``
    methods of ``clock`` when it has them (a test clock moving all time at once)."""

    def __init__(
        self,
        settings: TechnicianSection,
        ledger: AuditLedger,
        *,
        kiosk_id: str = "",
        clock: Callable[[], dt.datetime] = _utcnow,
        uptime: Callable[[], float] | None = None,
        boot: Callable[[], str] | None = None,
    ) -> None:
        self._hashes = {
            Role.TECHNICIAN: _check_hash("pin_hash", settings.pin_hash),
            Role.OPERATOR: _check_hash("operator_pin_hash", settings.operator_pin_hash),
        }
        self._ledger = ledger
        self._kiosk_id = kiosk_id
        self._clock = clock
        self._uptime = uptime or getattr(clock, "uptime", None) or boot_uptime
        self._boot = boot or getattr(clock, "boot_id", None) or boot_id
        self._lock = threading.Lock()
        self._state = GateState()  # the last state seen, used when the ledger cannot be read
        self._unsaved = False  # the last state could not be written: memory is the better record
        self.audit_failures = 0

    # -------------------------------------------------------------- state

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(r.value for r, h in self._hashes.items() if h)

    def _now(self) -> Now:
        return Now(self._clock(), float(self._uptime()), str(self._boot()))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[tuple[GateState, Callable[[GateState], None]]]:
        """The stored state under the ledger's write lock, and a function to replace it
        (committed when the block ends). When the ledger fails, the gate carries on from
        memory (logged, counted): a technician must get in to diagnose a broken ledger."""
        try:
            manager = self._ledger.locked_meta(GATE_META)
            text, store = manager.__enter__()
        except KioskError as exc:
            self._ledger_failed("unavailable", exc)
            yield self._state, self._remember
            return
        state = GateState.from_json(text)
        if self._unsaved:  # this process's last state never reached the ledger: keep the stricter
            state = _stricter(state, self._state)

        def put(new: GateState) -> None:
            if new != state or self._unsaved:
                try:
                    store(new.to_json())
                    self._unsaved = False
                except KioskError as exc:
                    self._ledger_failed("not stored", exc)
            self._state = new

        try:
            yield state, put
        except BaseException:
            manager.__exit__(*sys.exc_info())  # rolls back
            raise
        try:
            manager.__exit__(None, None, None)  # commits
        except KioskError as exc:
            self._ledger_failed("not stored", exc)

    def _remember(self, new: GateState) -> None:
        self._state = new
        self._unsaved = True

    def _ledger_failed(self, what: str, exc: KioskError) -> None:
        self.audit_failures += 1
        self._unsaved = True
        log.error("PIN gate state %s in the ledger (%s); using memory", what, exc)

    def audit(self, kind: str, payload: Mapping[str, Any]) -> None:
        """Append one ``audit.*`` event; a ledger failure is logged, never fatal (see module doc)."""
        body = {"kiosk_id": self._kiosk_id, **payload}
        try:
            self._ledger.append(f"audit.{kind}", body)
        except KioskError as exc:
            self.audit_failures += 1
            log.error("audit event audit.%s not recorded: %s", kind, exc, extra={"audit": body})

    def _locked_error(self, state: GateState, now: Now, message: str) -> GateLocked:
        left = state.seconds_left(now)
        permanent = left is None
        shown = PERMANENT_SHOWN.total_seconds() if left is None else max(left, 0.0)
        return GateLocked(message, until=now.wall + dt.timedelta(seconds=shown), seconds_left=shown,
                          permanent=permanent)

    def status(self) -> GateStatus:
        """The keypad's state (a lock first seen after a reboot is re-anchored and stored)."""
        with self._lock:
            now = self._now()
            with self._transaction() as (stored, put):
                state = stored.current(now)
                put(state)
            if stored.lock is not None and state.lock is None:
                self.audit("unlocked", {"reason": "lockout expired"})
        left = state.seconds_left(now)
        locked = state.lock is not None
        shown = PERMANENT_SHOWN.total_seconds() if locked and left is None else max(left or 0.0, 0.0)
        return GateStatus(bool(self.roles), self.roles, locked,
                          now.wall + dt.timedelta(seconds=shown) if locked else None, shown, state.failures,
                          state.remaining_attempts, permanent=locked and left is None, lockouts=state.lockouts)

    # -------------------------------------------------------------- login

    def login(self, pin: str) -> TechnicianSession:
        """The session for the role whose PIN this is; raises ``GateLocked``, ``WrongPin``
        or ``GateNotConfigured``. The attempt is counted before the PIN is checked."""
        if not self.roles:
            raise GateNotConfigured("no technician PIN is configured ([technician] pin_hash)")
        with self._lock:
            now = self._now()
            with self._transaction() as (stored, put):
                current = stored.current(now)
                expired = stored.lock is not None and current.lock is None
                admitted = current if current.lock is not None else current.counted(now)
                put(admitted)
            if expired:
                self.audit("unlocked", {"reason": "lockout expired"})
            if current.lock is not None:
                error = self._locked_error(current, now, "too many wrong PINs: locked")
                self.audit("login_refused", {"reason": "locked", "until": error.until.isoformat(),
                                             "permanent": error.permanent})
                raise error
            # Check every configured role, whatever matches first: the time taken does not
            # tell which PINs exist.
            matches = [role for role, h in self._hashes.items()
                       if _verify(h, pin, "pin_hash" if role is Role.TECHNICIAN else "operator_pin_hash")]
            if not matches:
                return self._wrong(admitted, now)
            if len(matches) > 1:
                log.warning("the technician and operator PINs are the same; logging in as technician")
            with self._transaction() as (_stored, put):
                put(GateState())  # a good login: fresh attempts, and the escalation starts over
            role = matches[0]
            session = TechnicianSession(self, role, self._clock())
            self.audit("login", {"role": role.value, "session": session.id})
            return session

    def _wrong(self, admitted: GateState, now: Now) -> TechnicianSession:
        self.audit("pin_failed", {"failures": admitted.failures, "remaining": admitted.remaining_attempts})
        if admitted.lock is not None:
            length = admitted.lock.seconds
            message = (f"{MAX_FAILURES} wrong PINs again: locked until a technician runs `kiosk technician unlock`"
                       if length is None else f"{MAX_FAILURES} wrong PINs: locked for {length:.0f} s")
            error = self._locked_error(admitted, now, message)
            self.audit("lockout", {"failures": admitted.failures, "level": admitted.lockouts,
                                   "until": None if error.permanent else error.until.isoformat(),
                                   "lockout_s": length, "permanent": error.permanent})
            raise error
        raise WrongPin(f"wrong PIN: {admitted.remaining_attempts} attempt(s) left",
                       remaining_attempts=admitted.remaining_attempts)

    def unlock(self, by: str) -> None:
        """Lift a lockout now and start the escalation over (``kiosk technician unlock``); audited."""
        with self._lock, self._transaction() as (before, put):
            put(GateState())
        self.audit("unlock", {"by": by, "failures": before.failures, "lockouts": before.lockouts})

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        return self._clock


# --------------------------------------------------------------------------- a session


def _summary(result: object) -> dict[str, Any]:
    """What of an action's result goes into the audit event (never personal data)."""
    if isinstance(result, DeviceHealth):
        out: dict[str, Any] = {"ok": result.ok, "detail": result.detail[:_DETAIL_MAX]}
        if not result.ok:
            out["advice"] = result.advice[:_DETAIL_MAX]
        return out
    as_audit = getattr(result, "as_audit", None)
    if callable(as_audit):
        return {"ok": True, **as_audit()}
    return {"ok": True}


class TechnicianSession:
    """One login, until :meth:`logout`. Every action goes through :meth:`perform`."""

    def __init__(self, gate: PinGate, role: Role, started: dt.datetime) -> None:
        self.gate = gate
        self.role = role
        self.id = uuid.uuid4().hex[:12]
        self.started = started
        self.actions = 0
        self._closed = False
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        return not self._closed

    def may(self, action: str) -> bool:
        return action in PERMISSIONS[self.role]

    def perform(self, action: str, fn: Callable[[], T], **details: Any) -> T:
        """Run ``fn`` as ``action`` if this role may; audit the outcome either way.

        ``details`` (e.g. the export's date range) go into the audit event as they are:
        pass no personal data.
        """
        if self._closed:
            raise SessionClosed("the technician session has ended; log in again")
        if not self.may(action):
            self.gate.audit("denied", {"role": self.role.value, "session": self.id, "action": action})
            raise NotPermitted(f"the {self.role.value} role may not run {action!r}")
        started = time.monotonic()
        base = {"role": self.role.value, "session": self.id, "action": action, **details}
        try:
            result = fn()
        except KioskError as exc:
            self.gate.audit("action", {**base, "ok": False, "error": exc.code,
                                       "detail": exc.message[:_DETAIL_MAX]})
            raise
        except Exception as exc:
            self.gate.audit("action", {**base, "ok": False, "error": exc.__class__.__name__})
            raise
        finally:
            with self._lock:
                self.actions += 1
        self.gate.audit("action", {**base, **_summary(result),
                                   "elapsed_ms": round((time.monotonic() - started) * 1000)})
        return result

    def logout(self, reason: str = "exit") -> None:
        """Back to the customer flow (``reason``: ``exit``, ``idle``...). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        duration = (self.gate.clock() - self.started).total_seconds()
        self.gate.audit("logout", {"role": self.role.value, "session": self.id, "reason": reason,
                                   "actions": self.actions, "duration_s": round(duration, 1)})

    def __enter__(self) -> TechnicianSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.logout()


def gate_from_settings(settings: Any, ledger: AuditLedger,
                       clock: Callable[[], dt.datetime] = _utcnow) -> PinGate:
    """The gate for :class:`kiosk.config.Settings` (the UI's composition root calls this)."""
    return PinGate(settings.technician, ledger, kiosk_id=settings.kiosk.id, clock=clock)


__all__ = [
    "LOCKOUT", "LOCKOUT_LADDER", "MAX_FAILURES", "PERMISSIONS", "BadPin", "GateError", "GateLocked",
    "GateNotConfigured", "GateState", "GateStatus", "Lock", "NotPermitted", "Now", "PinGate", "Role",
    "SessionClosed", "TechnicianSession", "WrongPin", "gate_from_settings", "hash_pin", "lockout_length",
    "validate_pin",
]
