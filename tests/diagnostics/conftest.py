"""Fixtures for the diagnostics, PIN gate and operator export tests.

The real PC/SC stack is the devices suite's own ``pcsc_stack`` fixture, imported
(not copied). A session fixture imported into a second conftest is a second
fixture: run together with tests/devices, pytest would start a second pcscd on
the same private socket directory and break both. So the stack is shared: the
devices module's ``running_stack`` is wrapped to hand out the stack already
running, whichever suite starts it first (session teardown is LIFO, so the
owner outlives the borrower). The proper fix is to move ``pcsc_stack`` into
tests/conftest.py; this wrapper then becomes a no-op.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher

import tests.devices.conftest as devices_conftest
from kiosk.config import Settings, TechnicianSection
from kiosk.ledger import Ledger
from tests.backend.conftest import sqlite_backend  # noqa: F401 - the backend under uvicorn on loopback
from tests.devices.conftest import PcscStack, pcsc_stack  # noqa: F401 - the real pcscd + vpcd stack

_start_stack = devices_conftest.running_stack
_running: list[PcscStack] = []


@contextmanager
def _shared_running_stack(base: Path) -> Iterator[PcscStack]:
    if _running:
        yield _running[-1]
        return
    with _start_stack(base) as stack:
        _running.append(stack)
        try:
            yield stack
        finally:
            _running.remove(stack)


if getattr(devices_conftest.running_stack, "__name__", "") != "_shared_running_stack":
    devices_conftest.running_stack = _shared_running_stack  # type: ignore[assignment]

TECH_PIN = "482913"
OPERATOR_PIN = "750316"
#: Cheap argon2id parameters: verification reads them from the hash, so tests stay fast.
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def fast_hash(pin: str) -> str:
    return _FAST.hash(pin)


@pytest.fixture(scope="session")
def pin_hashes() -> TechnicianSection:
    return TechnicianSection(pin_hash=fast_hash(TECH_PIN), operator_pin_hash=fast_hash(OPERATOR_PIN))


class Clock:
    """Time the test moves by hand: ``advance`` is time passing (wall and boot clock),
    ``set_wall`` someone changing the wall clock, ``reboot`` a new boot."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2024, 5, 6, 10, 0, tzinfo=dt.UTC)
        self.up = 1000.0
        self.boot = "boot-1"

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        step = dt.timedelta(**delta)
        self.now += step
        self.up += step.total_seconds()

    def set_wall(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)

    def reboot(self, downtime_s: float = 60.0) -> None:
        self.now += dt.timedelta(seconds=downtime_s)
        self.boot = f"boot-{int(self.boot.split('-')[1]) + 1}"
        self.up = 10.0

    def uptime(self) -> float:
        return self.up

    def boot_id(self) -> str:
        return self.boot


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(data_dir: Path) -> Iterator[Ledger]:
    with Ledger.open("", data_dir) as led:
        yield led


@pytest.fixture
def settings() -> Settings:
    return Settings().demo()
