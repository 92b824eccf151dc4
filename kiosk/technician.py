"""The PIN gate in front of the technician and operator screens, and their audit trail.

One keypad, two roles: the PIN is checked (argon2id, argon2-cffi) against
``[technician] pin_hash`` (role ``technician``: diagnostics) and
``[technician] operator_pin_hash`` (role ``operator``: export, end of day).
Five wrong PINs in a row lock the keypad for five minutes.

Why the lockout lives in ledger meta (``technician.gate``, a small JSON
document) and not only in memory: it must survive a restart, or pulling the
plug would reset the counter. Meta is read on every attempt, so ``kiosk
technician unlock`` run from a laptop takes effect on the running kiosk. The
audit events (``audit.*``, hash-chained and synced upstream like every event)
are the record; meta is only the fast, current state. Times are wall-clock UTC
from an injectable clock (tests move it); a lock that ends further away than
the lockout period (the clock was set back) is clamped.

Every login, failed PIN, lockout, refused attempt, action and logout is its own
ledger event, with the role and a session id, never the PIN. If the ledger
cannot be written the gate still works (a technician must be able to get in to
diagnose a broken ledger): the failure is logged at ERROR and counted in
:attr:`PinGate.audit_failures`.

The pure part (:class:`GateState` and its transitions) does no I/O; the
:class:`PinGate` shell adds hashing, the ledger and a lock. Every method
blocks (argon2 takes ~0.1 s by design): call it from a worker thread.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from kiosk.config import TechnicianSection
from kiosk.diagnostics import ACTIONS
from kiosk.errors import ConfigError, KioskError
from kiosk.ports import DeviceHealth

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=5)
GATE_META = "technician.gate"
PIN_MIN_LEN = 4
PIN_MAX_LEN = 12
_ARGON2ID_PREFIX = "$argon2id$"
_DETAIL_MAX = 300


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
    code = "gate_locked"

    def __init__(self, message: str, *, until: dt.datetime, seconds_left: float) -> None:
        super().__init__(message)
        self.until = until
        self.seconds_left = seconds_left


class NotPermitted(GateError):
    code = "not_permitted"


class SessionClosed(GateError):
    code = "session_closed"


class BadPin(KioskError):
    """A PIN that cannot be set (``kiosk technician hash-pin``)."""

    code = "bad_pin"


# --------------------------------------------------------------------------- pure state


@dataclass(frozen=True)
class GateState:
    """Consecutive failures and, when locked, until when (UTC)."""

    failures: int = 0
    locked_until: dt.datetime | None = None

    def current(self, now: dt.datetime) -> GateState:
        """The state as of ``now``: an expired lock is lifted (a fresh five attempts);
        a lock ending beyond one lockout period (clock set back) is clamped."""
        if self.locked_until is None:
            return self
        if now >= self.locked_until:
            return GateState()
        if self.locked_until - now > LOCKOUT:
            return GateState(self.failures, now + LOCKOUT)
        return self

    def locked(self, now: dt.datetime) -> bool:
        return self.current(now).locked_until is not None

    def failed(self, now: dt.datetime) -> GateState:
        """One more wrong PIN; the fifth in a row locks."""
        failures = self.current(now).failures + 1
        if failures >= MAX_FAILURES:
            return GateState(failures, now + LOCKOUT)
        return GateState(failures)

    @property
    def remaining_attempts(self) -> int:
        return max(MAX_FAILURES - self.failures, 0)

    def to_json(self) -> str:
        until = self.locked_until.isoformat() if self.locked_until else None
        return json.dumps({"failures": self.failures, "locked_until": until}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> GateState:
        if not text:
            return cls()
        try:
            raw = json.loads(text)
            until = raw.get("locked_until")
            locked_until = dt.datetime.fromisoformat(until) if until else None
            if locked_until is not None and locked_until.tzinfo is None:
                locked_until = locked_until.replace(tzinfo=dt.UTC)
            return cls(int(raw.get("failures", 0)), locked_until)
        except (ValueError, TypeError, AttributeError) as exc:
            # Unreadable state must not open the gate wider than a fresh start does.
            log.error("ledger meta %s is unreadable (%s); starting from zero failures", GATE_META, exc)
            return cls()


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

    def set_meta(self, name: str, value: str) -> None: ...


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PinGate:
    """Checks PINs, keeps the lockout, opens :class:`TechnicianSession` objects."""

    def __init__(
        self,
        settings: TechnicianSection,
        ledger: AuditLedger,
        *,
        kiosk_id: str = "",
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._hashes = {
            Role.TECHNICIAN: _check_hash("pin_hash", settings.pin_hash),
            Role.OPERATOR: _check_hash("operator_pin_hash", settings.operator_pin_hash),
        }
        self._ledger = ledger
        self._kiosk_id = kiosk_id
        self._clock = clock
        self._lock = threading.Lock()
        self._state = GateState()
        self.audit_failures = 0

    # -------------------------------------------------------------- state

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(r.value for r, h in self._hashes.items() if h)

    def _load(self) -> GateState:
        try:
            self._state = GateState.from_json(self._ledger.get_meta(GATE_META))
        except KioskError as exc:
            log.error("cannot read the PIN gate state from the ledger (%s); using memory", exc)
        return self._state

    def _store(self, state: GateState) -> None:
        self._state = state
        try:
            self._ledger.set_meta(GATE_META, state.to_json())
        except KioskError as exc:
            self.audit_failures += 1
            log.error("cannot store the PIN gate state in the ledger: %s", exc)

    def audit(self, kind: str, payload: Mapping[str, Any]) -> None:
        """Append one ``audit.*`` event; a ledger failure is logged, never fatal (see module doc)."""
        body = {"kiosk_id": self._kiosk_id, **payload}
        try:
            self._ledger.append(f"audit.{kind}", body)
        except KioskError as exc:
            self.audit_failures += 1
            log.error("audit event audit.%s not recorded: %s", kind, exc, extra={"audit": body})

    def status(self) -> GateStatus:
        now = self._clock()
        with self._lock:
            state = self._load().current(now)
        left = (state.locked_until - now).total_seconds() if state.locked_until else 0.0
        return GateStatus(bool(self.roles), self.roles, state.locked_until is not None, state.locked_until,
                          max(left, 0.0), state.failures, state.remaining_attempts)

    # -------------------------------------------------------------- login

    def login(self, pin: str) -> TechnicianSession:
        """The session for the role whose PIN this is; raises ``GateLocked``, ``WrongPin``
        or ``GateNotConfigured``. Attempts are serialised: no parallel guessing."""
        if not self.roles:
            raise GateNotConfigured("no technician PIN is configured ([technician] pin_hash)")
        with self._lock:
            now = self._clock()
            state = self._load()
            current = state.current(now)
            if current != state:
                self._store(current)
                if state.locked_until is not None and current.locked_until is None:
                    self.audit("unlocked", {"reason": "lockout expired"})
            if current.locked_until is not None:
                left = (current.locked_until - now).total_seconds()
                self.audit("login_refused", {"reason": "locked", "until": current.locked_until.isoformat()})
                raise GateLocked(f"too many wrong PINs: locked for {left:.0f} s more",
                                 until=current.locked_until, seconds_left=left)
            # Check every configured role, whatever matches first: the time taken does not
            # tell which PINs exist.
            matches = [role for role, h in self._hashes.items()
                       if _verify(h, pin, "pin_hash" if role is Role.TECHNICIAN else "operator_pin_hash")]
            now = self._clock()
            if not matches:
                failed = current.failed(now)
                self._store(failed)
                self.audit("pin_failed", {"failures": failed.failures, "remaining": failed.remaining_attempts})
                if failed.locked_until is not None:
                    self.audit("lockout", {"failures": failed.failures, "until": failed.locked_until.isoformat(),
                                           "lockout_s": LOCKOUT.total_seconds()})
                    raise GateLocked(f"{MAX_FAILURES} wrong PINs: locked for {LOCKOUT.total_seconds():.0f} s",
                                     until=failed.locked_until, seconds_left=LOCKOUT.total_seconds())
                raise WrongPin(f"wrong PIN: {failed.remaining_attempts} attempt(s) left",
                               remaining_attempts=failed.remaining_attempts)
            if len(matches) > 1:
                log.warning("the technician and operator PINs are the same; logging in as technician")
            role = matches[0]
            if current.failures:
                self._store(GateState())
            session = TechnicianSession(self, role, now)
            self.audit("login", {"role": role.value, "session": session.id})
            return session

    def unlock(self, by: str) -> None:
        """Lift a lockout now (``kiosk technician unlock``); audited."""
        with self._lock:
            before = self._load()
            self._store(GateState())
            self.audit("unlock", {"by": by, "failures": before.failures})

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
    "LOCKOUT", "MAX_FAILURES", "PERMISSIONS", "BadPin", "GateError", "GateLocked", "GateNotConfigured",
    "GateState", "GateStatus", "NotPermitted", "PinGate", "Role", "SessionClosed", "TechnicianSession",
    "WrongPin", "gate_from_settings", "hash_pin", "validate_pin",
]
