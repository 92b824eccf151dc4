"""Fixtures: a ZVT emulator on a real pty, and driver settings with short timeouts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import TerminalSection
from payment.emulator import EmulatorConfig, ZvtEmulator
from payment.zvt.terminal import ZvtTerminal
from payment.zvt.timing import Timing

#: T3 and T4 for tests: short, so silence is detected fast.
ACK_TIMEOUT_S = 0.5
MASTER_TIMEOUT_S = 1.5
#: Every other wait scaled down alike (production: Timing.from_settings).
TEST_TIMING = Timing(ack_s=ACK_TIMEOUT_S, master_s=MASTER_TIMEOUT_S, overhead_s=0.1,
                     settle_max_s=0.8, settle_cap_s=1.0, busy_window_s=1.0, abort_max_s=1.0,
                     close_s=3.0, status_cap_s=2.0)


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = {t.ident for t in threading.enumerate()}
    yield
    leaked = [t for t in threading.enumerate()
              if t.ident not in before and t.name in ("zvt-terminal", "zvt-emulator")
              and t.is_alive()]
    for t in leaked:
        t.join(timeout=5)
    assert not [t for t in leaked if t.is_alive()], f"leaked threads: {leaked}"


@pytest.fixture
def make_emulator(tmp_path: Path) -> Iterator[Callable[..., ZvtEmulator]]:
    started: list[ZvtEmulator] = []

    def make(**config: Any) -> ZvtEmulator:
        config.setdefault("seed", 1234)
        config.setdefault("ack_timeout_s", 2.0)
        emu = ZvtEmulator(EmulatorConfig(**config), link=tmp_path / f"terminal{len(started)}",
                          journal=tmp_path / f"journal{len(started)}.jsonl")
        emu.start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


@pytest.fixture
def emulator(make_emulator: Callable[..., ZvtEmulator]) -> ZvtEmulator:
    return make_emulator()


def section(port: str, **overrides: Any) -> TerminalSection:
    values: dict[str, Any] = {"port": port, "ack_timeout_s": ACK_TIMEOUT_S,
                              "master_timeout_s": MASTER_TIMEOUT_S}
    values.update(overrides)
    return TerminalSection(**values)


@pytest.fixture
def make_terminal() -> Iterator[Callable[..., ZvtTerminal]]:
    made: list[ZvtTerminal] = []

    def make(emu: ZvtEmulator, *, timing: Timing | None = None, state_dir: Path | None = None,
             **overrides: Any) -> ZvtTerminal:
        settings = section(emu.port, **overrides)
        t = ZvtTerminal(settings, timing=timing or replace(
            TEST_TIMING, ack_s=settings.ack_timeout_s, master_s=settings.master_timeout_s),
            state_dir=state_dir)
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()
