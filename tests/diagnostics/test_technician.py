"""The PIN gate: roles, the five-strikes lockout (escalating, shared by processes, on the boot
clock so wall-clock changes do nothing), and the audit trail."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import json
import multiprocessing
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from kiosk.config import TechnicianSection
from kiosk.errors import ConfigError, KioskError, LedgerError
from kiosk.ledger import Ledger, verify
from kiosk.ports import DeviceHealth
from kiosk.technician import (
    GATE_META,
    LOCKOUT,
    LOCKOUT_LADDER,
    BadPin,
    GateLocked,
    GateNotConfigured,
    GateState,
    NotPermitted,
    PinGate,
    Role,
    SessionClosed,
    WrongPin,
    hash_pin,
    validate_pin,
)
from tests.diagnostics.conftest import OPERATOR_PIN, TECH_PIN, Clock


def audit_events(ledger: Ledger) -> list[tuple[str, dict[str, object]]]:
    return [(e.kind, e.payload) for e in ledger.events() if e.kind.startswith("audit.")]


@pytest.fixture
def gate(pin_hashes: TechnicianSection, ledger: Ledger, clock: Clock) -> PinGate:
    return PinGate(pin_hashes, ledger, kiosk_id="KIOSK-0001", clock=clock)


def test_right_pins_open_their_roles(gate, ledger):
    tech = gate.login(TECH_PIN)
    assert tech.role is Role.TECHNICIAN and tech.may("ledger") and not tech.may("export")
    tech.logout()
    op = gate.login(OPERATOR_PIN)
    assert op.role is Role.OPERATOR and op.may("export") and not op.may("printer_test")
    op.logout("idle")
    kinds = [k for k, _ in audit_events(ledger)]
    assert kinds == ["audit.login", "audit.logout", "audit.login", "audit.logout"]
    login = audit_events(ledger)[2][1]
    assert login["role"] == "operator" and login["kiosk_id"] == "KIOSK-0001" and login["session"] == op.id
    assert audit_events(ledger)[3][1]["reason"] == "idle"


def test_wrong_pin_counts_down(gate):
    with pytest.raises(WrongPin) as err:
        gate.login("000000")
    assert err.value.remaining_attempts == 4 and err.value.code == "wrong_pin"
    assert gate.status().failures == 1


def test_five_wrong_pins_lock_for_five_minutes_then_unlock(gate, clock, ledger):
    for expected_left in (4, 3, 2, 1):
        with pytest.raises(WrongPin) as err:
            gate.login("111111")
        assert err.value.remaining_attempts == expected_left
    with pytest.raises(GateLocked) as locked:
        gate.login("111111")
    assert locked.value.until == clock.now + LOCKOUT
    # Locked: even the right PIN is refused, without being checked.
    clock.advance(minutes=4, seconds=59)
    with pytest.raises(GateLocked) as still:
        gate.login(TECH_PIN)
    assert still.value.seconds_left == pytest.approx(1.0)
    status = gate.status()
    assert status.locked and status.remaining_attempts == 0
    clock.advance(seconds=1)
    assert not gate.status().locked
    session = gate.login(TECH_PIN)
    assert session.role is Role.TECHNICIAN
    kinds = [k for k, _ in audit_events(ledger)]
    assert kinds == ["audit.pin_failed"] * 5 + ["audit.lockout", "audit.login_refused", "audit.unlocked",
                                                "audit.login"]


def test_after_a_lockout_expires_there_are_five_fresh_attempts(gate, clock):
    for _ in range(4):
        with pytest.raises(WrongPin):
            gate.login("111111")
    with pytest.raises(GateLocked):
        gate.login("111111")
    clock.advance(minutes=5)
    with pytest.raises(WrongPin) as err:
        gate.login("111111")
    assert err.value.remaining_attempts == 4


def test_a_right_pin_resets_the_count(gate):
    for _ in range(4):
        with pytest.raises(WrongPin):
            gate.login("111111")
    gate.login(TECH_PIN).logout()
    with pytest.raises(WrongPin) as err:
        gate.login("111111")
    assert err.value.remaining_attempts == 4


def test_the_lockout_survives_a_restart(pin_hashes, data_dir, clock):
    with Ledger.open("", data_dir) as ledger:
        gate = PinGate(pin_hashes, ledger, clock=clock)
        for _ in range(4):
            with pytest.raises(WrongPin):
                gate.login("111111")
        with pytest.raises(GateLocked):
            gate.login("111111")
    clock.advance(minutes=1)
    with Ledger.open("", data_dir) as ledger:  # the kiosk restarted
        gate = PinGate(pin_hashes, ledger, clock=clock)
        with pytest.raises(GateLocked) as err:
            gate.login(TECH_PIN)
        assert err.value.seconds_left == pytest.approx(240)


def test_failures_survive_a_restart_too(pin_hashes, data_dir, clock):
    with Ledger.open("", data_dir) as ledger, pytest.raises(WrongPin):
        PinGate(pin_hashes, ledger, clock=clock).login("111111")
    with Ledger.open("", data_dir) as ledger:
        with pytest.raises(WrongPin) as err:
            PinGate(pin_hashes, ledger, clock=clock).login("111111")
        assert err.value.remaining_attempts == 3


def _lock_out(gate: PinGate) -> GateLocked:
    for _ in range(4):
        with pytest.raises(WrongPin):
            gate.login("111111")
    with pytest.raises(GateLocked) as locked:
        gate.login("111111")
    return locked.value


def test_wall_clock_changes_neither_end_nor_stretch_a_lockout(gate, clock):
    _lock_out(gate)
    clock.advance(minutes=1)
    clock.set_wall(days=2)  # clock set forward: the lock does not end
    with pytest.raises(GateLocked) as err:
        gate.login(TECH_PIN)
    assert err.value.seconds_left == pytest.approx(240)
    clock.set_wall(days=-30)  # and set back: it does not grow
    status = gate.status()
    assert status.locked and status.seconds_left == pytest.approx(240)
    assert status.locked_until == clock.now + dt.timedelta(seconds=240)  # shown on today's wall clock
    clock.advance(minutes=4)
    assert gate.login(TECH_PIN).role is Role.TECHNICIAN


def test_a_reboot_restarts_the_lockout_instead_of_ending_it(gate, clock):
    _lock_out(gate)
    clock.advance(minutes=4)
    clock.reboot(downtime_s=3600)  # the wall clock says an hour passed; nothing proves it
    status = gate.status()
    assert status.locked and status.seconds_left == pytest.approx(LOCKOUT.total_seconds())
    clock.advance(minutes=2)
    assert gate.status().seconds_left == pytest.approx(180)  # re-anchored once, not on every look
    clock.advance(minutes=3)
    assert not gate.status().locked


def test_lockouts_escalate_until_only_unlock_helps(gate, clock, ledger):
    for length in LOCKOUT_LADDER:
        locked = _lock_out(gate)
        assert locked.seconds_left == pytest.approx(length.total_seconds()) and not locked.permanent
        clock.advance(seconds=length.total_seconds())
    locked = _lock_out(gate)
    assert locked.permanent and "kiosk technician unlock" in locked.message
    clock.advance(days=30)
    with pytest.raises(GateLocked) as still:
        gate.login(TECH_PIN)
    assert still.value.permanent
    assert gate.status().permanent and gate.status().lockouts == 4
    gate.unlock(by="cli")
    assert gate.login(TECH_PIN).role is Role.TECHNICIAN
    assert _lock_out(gate).seconds_left == pytest.approx(LOCKOUT.total_seconds())  # the ladder starts over
    levels = [p["level"] for k, p in audit_events(ledger) if k == "audit.lockout"]
    assert levels == [1, 2, 3, 4, 1]


def test_a_good_login_resets_the_escalation(gate, clock):
    _lock_out(gate)
    clock.advance(minutes=5)
    gate.login(TECH_PIN).logout()
    assert _lock_out(gate).seconds_left == pytest.approx(LOCKOUT.total_seconds())


def test_forged_counters_grant_nothing(gate, ledger, data_dir):
    ledger.set_meta(GATE_META, json.dumps({"v": 2, "failures": -1000, "lockouts": -7, "lock": None}))
    assert GateState.from_json(ledger.get_meta(GATE_META)) == GateState()
    report = verify(ledger)
    assert not report.ok and report.check == "meta" and "failures = -1000" in report.reason
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongPin) as err:
            gate.login("111111")
        assert err.value.remaining_attempts == left
    with pytest.raises(GateLocked):
        gate.login("111111")


def test_the_first_format_of_the_state_still_locks(gate, ledger, clock):
    ledger.set_meta(GATE_META, json.dumps({"failures": 5, "locked_until": clock.now.isoformat()}))
    status = gate.status()
    assert status.locked and status.seconds_left == pytest.approx(LOCKOUT.total_seconds())


def _guesser(data_dir: Path, pin_hash: str, tries: int, barrier: object) -> None:
    from kiosk.config import TechnicianSection
    from kiosk.errors import KioskError

    with Ledger.open("", data_dir) as ledger:
        gate = PinGate(TechnicianSection(pin_hash=pin_hash), ledger)
        barrier.wait()  # type: ignore[attr-defined]
        for _ in range(tries):
            with contextlib.suppress(KioskError):
                gate.login("000000")


def test_processes_sharing_a_ledger_get_five_checks_in_all(pin_hashes, data_dir):
    """Three processes guess at once: the attempts are counted before the check, in the ledger."""
    Ledger.open("", data_dir).close()
    ctx = multiprocessing.get_context("forkserver")  # one import of the kiosk for all three, no fork of pytest
    ctx.set_forkserver_preload(["kiosk.technician", "kiosk.ledger", "argon2"])
    barrier = ctx.Barrier(3)
    procs = [ctx.Process(target=_guesser, args=(data_dir, pin_hashes.pin_hash, 4, barrier)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with Ledger.open("", data_dir) as ledger:
        kinds = [k for k, _ in audit_events(ledger)]
        gate = PinGate(pin_hashes, ledger)
        assert gate.status().locked
    assert kinds.count("audit.pin_failed") == 5  # five PINs checked, in all three processes together
    assert kinds.count("audit.lockout") == 1
    assert kinds.count("audit.login_refused") == 3 * 4 - 5


def test_garbled_gate_state_is_logged_not_fatal(gate, ledger, caplog):
    ledger.set_meta(GATE_META, "{not json")
    session = gate.login(TECH_PIN)
    assert session.role is Role.TECHNICIAN
    assert "unreadable" in caplog.text


def test_unlock_from_the_cli_side(gate, ledger):
    for _ in range(5):
        with pytest.raises(KioskError):
            gate.login("111111")
    gate.unlock(by="cli")
    assert gate.login(TECH_PIN).role is Role.TECHNICIAN
    assert ("audit.unlock", {"kiosk_id": "KIOSK-0001", "by": "cli", "failures": 5, "lockouts": 1}) \
        in audit_events(ledger)


def test_the_pin_never_reaches_the_ledger(gate, ledger, data_dir):
    for pin in ("111111", "222222"):
        with pytest.raises(WrongPin):
            gate.login(pin)
    with gate.login(TECH_PIN) as session:
        session.perform("versions", lambda: DeviceHealth("versions", True, "x"))
    raw = (data_dir / "ledger.sqlite3").read_bytes()
    for pin in ("111111", "222222", TECH_PIN):
        assert pin.encode() not in raw
        for _, payload in audit_events(ledger):
            assert pin not in json.dumps(payload)


def test_actions_are_audited_with_their_outcome(gate, ledger):
    session = gate.login(TECH_PIN)
    result = session.perform("reader", lambda: DeviceHealth("reader", False, "no card reader connected",
                                                            "reader not found: check the USB cable"))
    assert not result.ok
    with pytest.raises(KioskError):
        session.perform("ledger", lambda: (_ for _ in ()).throw(KioskError("boom", code="x")))
    with pytest.raises(NotPermitted):
        session.perform("export", lambda: None)
    session.logout()
    session.logout()  # idempotent
    with pytest.raises(SessionClosed):
        session.perform("reader", lambda: DeviceHealth("reader", True, ""))
    events = audit_events(ledger)
    kinds = [k for k, _ in events]
    assert kinds == ["audit.login", "audit.action", "audit.action", "audit.denied", "audit.logout"]
    reader = events[1][1]
    assert reader["action"] == "reader" and reader["ok"] is False and reader["role"] == "technician"
    assert reader["advice"] == "reader not found: check the USB cable" and reader["session"] == session.id
    assert events[2][1]["ok"] is False and events[2][1]["error"] == "x"
    assert events[4][1]["actions"] == 2  # the denied one did not run


def test_no_pin_configured_keeps_the_gate_shut(ledger, clock):
    gate = PinGate(TechnicianSection(), ledger, clock=clock)
    with pytest.raises(GateNotConfigured):
        gate.login("")
    assert not gate.status().configured


def test_operator_role_is_optional(pin_hashes, ledger, clock):
    gate = PinGate(dataclasses.replace(pin_hashes, operator_pin_hash=""), ledger, clock=clock)
    assert gate.roles == ("technician",)
    with pytest.raises(WrongPin):
        gate.login(OPERATOR_PIN)


def test_a_hash_that_is_not_argon2id_is_a_config_error(ledger):
    with pytest.raises(ConfigError, match=r"\[technician\] pin_hash"):
        PinGate(TechnicianSection(pin_hash="$2b$12$bcrypthash"), ledger)
    argon2i = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("1234").replace(
        "$argon2id$", "$argon2i$")
    with pytest.raises(ConfigError):
        PinGate(TechnicianSection(operator_pin_hash=argon2i), ledger)


def test_pin_rules():
    assert validate_pin("0000") == "0000"
    for bad in ("123", "1234567890123", "12a4", "١٢٣٤"):
        with pytest.raises(BadPin):
            validate_pin(bad)
    digest = hash_pin("482913")
    assert digest.startswith("$argon2id$") and PasswordHasher().verify(digest, "482913")


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    from kiosk.cli import main

    capsys.readouterr()
    rc = main([*argv, "--json"])
    out = capsys.readouterr()
    return rc, json.loads(out.out.strip().splitlines()[-1])


def test_hash_pin_cli_reads_stdin_and_prints_only_the_hash(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("594172\n"))
    rc, out = _cli(capsys, "technician", "hash-pin", "--role", "operator", "--data-dir", str(tmp_path))
    assert rc == 0
    assert out["key"] == "[technician] operator_pin_hash"
    assert PasswordHasher().verify(str(out["hash"]), "594172")
    assert "594172" not in json.dumps(out)
    monkeypatch.setattr(sys, "stdin", io.StringIO("12\n"))
    rc, out = _cli(capsys, "technician", "hash-pin", "--data-dir", str(tmp_path))
    assert rc == 1 and out["error"] == "bad_pin"


def test_status_and_unlock_cli(pin_hashes, tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    with Ledger.open("", data) as ledger:
        gate = PinGate(pin_hashes, ledger)  # real clock: the CLI's
        for _ in range(5):
            with pytest.raises(KioskError):
                gate.login("111111")
    monkeypatch.setenv("KIOSK_TECHNICIAN_PIN_HASH", pin_hashes.pin_hash)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    rc, out = _cli(capsys, "technician", "status", "--data-dir", str(data))
    assert rc == 0 and out["locked"] is True and out["roles"] == ["technician"]
    rc, out = _cli(capsys, "technician", "unlock", "--data-dir", str(data))
    assert rc == 0 and out == {"unlocked": True}
    with Ledger.open("", data) as ledger:
        assert PinGate(pin_hashes, ledger).login(TECH_PIN).role is Role.TECHNICIAN


@pytest.mark.postgres
def test_the_gate_on_a_postgresql_ledger(pin_hashes, postgres_url, data_dir, clock):
    with Ledger.open(postgres_url, data_dir) as ledger:
        gate = PinGate(pin_hashes, ledger, clock=clock)
        assert _lock_out(gate).seconds_left == pytest.approx(LOCKOUT.total_seconds())
        assert PinGate(pin_hashes, ledger, clock=clock).status().locked  # stored, not only in memory
        clock.advance(minutes=5)
        assert gate.login(TECH_PIN).role is Role.TECHNICIAN
        assert verify(ledger).ok


class BrokenLedger:
    """A ledger that fails every write (a full disk): the gate must still let staff in."""

    def __init__(self, fail_on_commit: bool) -> None:
        self.fail_on_commit = fail_on_commit

    def append(self, kind, payload, *, txn_id=None, at=None):
        raise LedgerError("disk full")

    def get_meta(self, name, default=None):
        return default

    @contextlib.contextmanager
    def locked_meta(self, name):
        if not self.fail_on_commit:
            raise LedgerError("database is locked")

        def store(text):
            raise LedgerError("disk full")

        yield None, store


@pytest.mark.parametrize("fail_on_commit", [False, True])
def test_a_failing_ledger_keeps_the_gate_working_from_memory(pin_hashes, clock, fail_on_commit):
    gate = PinGate(pin_hashes, BrokenLedger(fail_on_commit), clock=clock)
    assert _lock_out(gate).seconds_left == pytest.approx(LOCKOUT.total_seconds())
    clock.advance(minutes=5)
    assert gate.login(TECH_PIN).role is Role.TECHNICIAN
    assert gate.audit_failures > 0
