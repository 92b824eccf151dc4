"""Ownership (kiosk/lease.py): transaction leases and the terminal lock, across threads,
across real processes killed with SIGKILL, and on a real PostgreSQL server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk.config import Settings, TerminalSection
from kiosk.lease import (
    FileLeases,
    LeaseLost,
    LocalLeases,
    Ownership,
    PgLeases,
    TerminalBusy,
    TerminalLock,
    terminal_identity,
)

REPO = Path(__file__).resolve().parents[2]
TXN = "3f2b8c1e-0000-4000-8000-000000000001"

HOLDER = r"""
import sys, time
from pathlib import Path
from kiosk.lease import FileLeases, TerminalLock
what, directory = sys.argv[1], Path(sys.argv[2])
if what == "lease":
    held = FileLeases(directory).acquire(sys.argv[3])
    assert held is not None
else:
    TerminalLock(sys.argv[3], directory).acquire(0)
print("held", flush=True)
time.sleep(60)
"""


def hold_in_child(*args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, *args], cwd=REPO, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def test_file_lease_is_exclusive_and_removed_on_release(tmp_path: Path) -> None:
    leases = FileLeases(tmp_path)
    first = leases.acquire(TXN)
    assert first is not None
    assert leases.acquire(TXN) is None  # another thread or process of ours: a live owner
    first.check()
    first.release()
    assert not leases.path(TXN).exists()  # nothing accumulates per transaction
    with pytest.raises(LeaseLost):
        first.check()
    again = leases.acquire(TXN)
    assert again is not None
    again.release()
    odd = leases.path("../etc/passwd")  # an id that is not a file name is hashed, never a path
    assert odd.parent == tmp_path and odd.name.startswith("txn-h-")


def test_a_dead_owners_lease_is_taken_over_at_once(tmp_path: Path) -> None:
    child = hold_in_child("lease", str(tmp_path), TXN)
    try:
        assert FileLeases(tmp_path).acquire(TXN) is None  # the owner lives
    finally:
        kill(child)  # SIGKILL: no cleanup code runs, the kernel drops the flock
    taken = FileLeases(tmp_path).acquire(TXN)
    assert taken is not None
    taken.release()


def test_terminal_lock_is_reentrant_per_thread_and_exclusive_otherwise(tmp_path: Path) -> None:
    lock = TerminalLock("zvt:/dev/ttyUSB0", tmp_path)
    lock.acquire(0)
    lock.acquire(0)  # a sale settling earlier transactions takes it again
    errors: list[BaseException] = []

    def other() -> None:
        try:
            lock.acquire(0.2)
        except TerminalBusy as exc:
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(errors) == 1
    lock.release()
    assert lock.held_here
    lock.release()
    assert not lock.held_here
    got: list[bool] = []
    t = threading.Thread(target=lambda: (lock.acquire(0), got.append(True), lock.release()))
    t.start()
    t.join()
    assert got == [True]


def test_terminal_lock_between_processes_names_the_holder_and_dies_with_it(tmp_path: Path) -> None:
    identity = terminal_identity(TerminalSection(port="/dev/kiosk-terminal"))
    child = hold_in_child("terminal", str(tmp_path), identity)
    try:
        lock = TerminalLock(identity, tmp_path)
        started = time.monotonic()
        with pytest.raises(TerminalBusy) as busy:
            lock.acquire(0.3)
        assert 0.25 < time.monotonic() - started < 5
        assert f"pid {child.pid}" in str(busy.value) and "\n" not in str(busy.value)
        assert busy.value.code == "terminal_busy"
        TerminalLock(terminal_identity(TerminalSection(port="/dev/other")), tmp_path).acquire(0)  # another device
    finally:
        kill(child)
    lock.acquire(0)
    lock.release()


def test_ownership_follows_the_ledger(tmp_path: Path) -> None:
    s = Settings()
    own = Ownership.for_kiosk(s, tmp_path)
    assert isinstance(own.leases, FileLeases) and own.wait_s == s.terminal.lock_wait_s
    pg = Ownership.for_kiosk(
        Settings(ledger=type(s.ledger)(url="postgresql://kiosk@db.example/ledger")), tmp_path)
    assert isinstance(pg.leases, PgLeases)
    assert isinstance(Ownership.local().leases, LocalLeases)
    assert terminal_identity(TerminalSection(backend="simulated")) == "simulated"
    assert terminal_identity(TerminalSection(port="socket://10.0.0.5:20007")) == "zvt:socket://10.0.0.5:20007"


@pytest.mark.postgres
def test_advisory_leases_on_postgresql_die_with_the_session(postgres_url: str) -> None:
    """Two processes (or machines) on one PostgreSQL ledger: sessions stand for them."""
    import psycopg

    a, b = PgLeases(postgres_url), PgLeases(postgres_url)
    try:
        held = a.acquire(TXN)
        assert held is not None
        assert a.acquire(TXN) is None  # another thread of the same process
        assert b.acquire(TXN) is None  # another process
        held.check()
        other = b.acquire("txn-two")
        assert other is not None  # leases are per transaction
        other.release()
        # the owner's session ends abruptly (its process died, or its connection was lost)
        pid = a._conn.info.backend_pid
        with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://"),
                             autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(LeaseLost):
            held.check()  # the shell stops before the next step
        deadline = time.monotonic() + 10
        taken = b.acquire(TXN)
        while taken is None and time.monotonic() < deadline:
            time.sleep(0.05)
            taken = b.acquire(TXN)
        assert taken is not None  # taken over at once
        assert a.acquire(TXN) is None  # the old owner, on a new session, no longer has it
        taken.release()
    finally:
        a.close()
        b.close()


@pytest.mark.postgres
def test_two_machines_on_one_postgresql_ledger_never_act_on_the_same_transaction(postgres_url: str,
                                                                                 tmp_path: Path) -> None:
    """Each "machine" has its own data directory; only the shared ledger can tell them apart."""
    import dataclasses

    from kiosk.ledger import Ledger
    from kiosk.ports import Account
    from kiosk.recovery import recover
    from kiosk.topup import demo_catalog
    from kiosk.topup.simulated import SimulatedProvider
    from kiosk.txn import TransactionRunner
    from tests.money.conftest import FAST, FakePrinter, FakeTerminal

    s = Settings()
    settings = dataclasses.replace(s, ledger=dataclasses.replace(s.ledger, url=postgres_url))
    one, two = Ownership.for_kiosk(settings, tmp_path / "one"), Ownership.for_kiosk(settings, tmp_path / "two")
    provider = SimulatedProvider(tmp_path / "provider")
    terminal = FakeTerminal()
    plan = next(p for p in demo_catalog() if p.id == "tmo-unl-40")
    with Ledger.open(postgres_url, tmp_path / "one") as ledger:
        try:
            provider.set_control(mode="unknown", status_mode="unreachable")
            runner = TransactionRunner(ledger=ledger, terminal=terminal, provider=provider, printer=FakePrinter(),
                                       settings=settings, deadlines=FAST, ownership=one)
            out = runner.run(Account(msisdn="12025550101", carrier="T-Mobile"), plan, lambda p, t: None)
            provider.set_control(mode="ok")
            held = two.leases.acquire(out.txn_id)  # machine two is working on it
            assert held is not None
            report = recover(ledger=ledger, terminal=terminal, provider=provider, settings=settings,
                             deadlines=FAST, ownership=one)
            assert report.skipped_live == [out.txn_id] and report.resolved == []
            two.close()  # machine two dies: its session ends
            report = recover(ledger=ledger, terminal=terminal, provider=provider, settings=settings,
                             deadlines=FAST, ownership=one)
            assert report.resolved[0].to_state == "completed"
        finally:
            one.close()
            two.close()
