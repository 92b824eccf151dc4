"""Diagnostics against the real stacks: pcscd + vpcd + the virtual SIM, the ZVT terminal
emulator on a pty, the reference backend on loopback; each device present, then absent."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.card.pcsc import PcscCardReader
from kiosk import diagnostics as d
from kiosk.config import ReaderSection, Settings
from kiosk.diagnostics import Diagnostics
from kiosk.ledger import Ledger
from kiosk.sync import Syncer, UpstreamClient
from payment.emulator import EmulatorConfig, ZvtEmulator
from payment.zvt.terminal import ZvtTerminal
from tests.backend.harness import ThreadedBackend
from tests.devices.conftest import REPO, PcscStack

#: The terminal's T3/T4 for tests: short, so an absent terminal is found fast.
FAST_TERMINAL = {"ack_timeout_s": 0.5, "master_timeout_s": 2.0}


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[ZvtEmulator]:
    emu = ZvtEmulator(EmulatorConfig(seed=7, ack_timeout_s=2.0), link=tmp_path / "terminal",
                      journal=tmp_path / "journal.jsonl")
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def kiosk_settings(base: Settings, *, port: str, url: str = "", secret: str = "",
                   reader_filter: str = "Virtual PCD") -> Settings:
    return dataclasses.replace(
        base,
        reader=dataclasses.replace(base.reader, backend="pcsc", name_filter=reader_filter, read_timeout_s=5.0),
        terminal=dataclasses.replace(base.terminal, backend="zvt", port=port, **FAST_TERMINAL),
        printer=dataclasses.replace(base.printer, backend="file"),
        provider=dataclasses.replace(base.provider, backend="upstream" if url else "simulated"),
        upstream=dataclasses.replace(base.upstream, url=url, secret_file=secret or base.upstream.secret_file,
                                     timeout_s=2.0),
    )


# --------------------------------------------------------------------------- reader


@pytest.mark.pcsc
def test_reader_and_sim_read_through_pcscd(pcsc_stack: PcscStack, settings, data_dir):
    with PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0)) as reader:
        dg = Diagnostics(settings, data_dir, reader=reader)
        status = dg.check_reader()
        assert status.ok and status.data["readers"] == [pcsc_stack.reader0]
        empty = dg.check_sim(wait_s=0.3)
        assert not empty.ok and empty.advice == "no SIM in the reader: insert a SIM and retry"
        with pcsc_stack.inserted("tmobile"):
            sim = dg.check_sim(wait_s=5)
        assert sim.ok, sim
        assert sim.data["carrier"] == "T-Mobile" and sim.data["iccid_valid"] is True
        assert "*" in str(sim.data["iccid"])


@pytest.mark.pcsc
def test_reader_absent(pcsc_stack: PcscStack, settings, data_dir):
    with PcscCardReader(ReaderSection(name_filter="ACS ACR39U")) as reader:
        dg = Diagnostics(settings, data_dir, reader=reader)
        h = dg.check_reader()
        assert not h.ok and h.advice == "reader not found: check the USB cable"
        sim = dg.check_sim(wait_s=0.2)
        assert not sim.ok and sim.advice == "reader not found: check the USB cable"


@pytest.mark.pcsc
def test_pcscd_not_running(tmp_path: Path):
    """A kiosk whose pcscd is down (socket absent) is told to restart the service."""
    code = ("import json, pathlib, dataclasses; from kiosk.config import Settings; from kiosk import diagnostics as d; "
            "s = Settings().demo(); s = dataclasses.replace(s, reader=dataclasses.replace(s.reader, backend='pcsc')); "
            "print(json.dumps(d.report(d.run_all(s, pathlib.Path(r'%s'), names=['reader']))))" % (tmp_path / "data"))
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                          cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    (check,) = json.loads(proc.stdout)["checks"]
    assert check["ok"] is False
    assert check["advice"] == d.ADVICE_PCSC_DOWN, check


# --------------------------------------------------------------------------- terminal


def test_terminal_status_diagnosis_end_of_day_on_the_emulator(emulator: ZvtEmulator, settings, data_dir):
    s = kiosk_settings(settings, port=emulator.port)
    with ZvtTerminal(s.terminal) as terminal:
        dg = Diagnostics(s, data_dir, terminal=terminal)
        status = dg.check_terminal()
        assert status.ok and status.data["terminal_id"] == "52500001", status
        assert dg.check_terminal_diagnosis().ok
        eod = dg.check_terminal_end_of_day()
        assert eod.ok and eod.data["totals_cents"] is not None, eod


def test_terminal_busy_on_the_emulator(emulator: ZvtEmulator, settings, data_dir):
    s = kiosk_settings(settings, port=emulator.port)
    emulator.update(busy=True)
    with ZvtTerminal(s.terminal) as terminal:
        h = Diagnostics(s, data_dir, terminal=terminal).check_terminal()
    assert not h.ok and h.advice == "terminal busy: retry in a minute", h


def test_terminal_silent_on_the_emulator(emulator: ZvtEmulator, settings, data_dir):
    s = kiosk_settings(settings, port=emulator.port)
    emulator.update(silent_at="request", repeat_faults=True)
    with ZvtTerminal(s.terminal) as terminal:
        h = Diagnostics(s, data_dir, terminal=terminal).check_terminal()
    assert not h.ok and h.advice == d.ADVICE_TERMINAL_SILENT, h


def test_terminal_unplugged(emulator: ZvtEmulator, settings, data_dir):
    s = kiosk_settings(settings, port=emulator.port)
    with ZvtTerminal(s.terminal) as terminal:
        dg = Diagnostics(s, data_dir, terminal=terminal)
        assert dg.check_terminal().ok
        emulator.stop()  # cable pulled: the pty and its symlink are gone
        h = dg.check_terminal()
    assert not h.ok and h.advice == "terminal not found: check the serial cable and the terminal's power", h


# --------------------------------------------------------------------------- upstream


def _online(settings: Settings, backend: ThreadedBackend, tmp_path: Path) -> Settings:
    secret = tmp_path / "secret"
    secret.write_bytes(backend.add_kiosk(settings.kiosk.id))
    secret.chmod(0o600)
    return kiosk_settings(settings, port="/nonexistent", url=backend.base_url, secret=str(secret))


def test_upstream_reachable_and_unsynced_count_follows_the_sync(sqlite_backend: ThreadedBackend, settings,
                                                                 data_dir, tmp_path):
    s = _online(settings, sqlite_backend, tmp_path)
    with Ledger.open("", data_dir) as ledger:
        for i in range(5):
            ledger.append("test.event", {"i": i})
        dg = Diagnostics(s, data_dir, ledger=ledger)
        before = dg.check_upstream()
        assert before.ok and before.data["unsynced"] == 5, before
        with UpstreamClient(s.upstream.url, s.kiosk.id, Path(s.upstream.secret_file).read_bytes()) as client:
            Syncer(ledger, client).sync_once()
        assert dg.check_upstream().data["unsynced"] == 0
        ledger.append("test.event", {"i": 5})
        after = dg.check_upstream()
        assert after.ok and after.data["unsynced"] == 1
        sqlite_backend.stop()
        down = dg.check_upstream()
    assert not down.ok and down.advice == "upstream unreachable: check the network cable; sales continue offline"
    assert down.data["unsynced"] == 1


# --------------------------------------------------------------------------- kiosk diag, everything at once


@pytest.mark.pcsc
def test_run_all_against_every_real_stack_then_without_them(pcsc_stack: PcscStack, emulator: ZvtEmulator,
                                                           sqlite_backend: ThreadedBackend, settings,
                                                           data_dir, tmp_path):
    s = dataclasses.replace(_online(settings, sqlite_backend, tmp_path), terminal=dataclasses.replace(
        settings.terminal, backend="zvt", port=emulator.port, **FAST_TERMINAL))
    with pcsc_stack.inserted("tmobile"):
        present = {h.name: h for h in d.run_all(s, data_dir, sim_wait_s=3)}
    assert all(h.ok for h in present.values()), d.report_text(list(present.values()))
    assert present["sim"].data["carrier"] == "T-Mobile"
    assert present["terminal"].data["terminal_id"] == "52500001"
    assert present["upstream"].data["http_status"] == 200

    emulator.stop()
    sqlite_backend.stop()
    gone = dataclasses.replace(s, reader=dataclasses.replace(s.reader, name_filter="ACS ACR39U"))
    absent = d.report(d.run_all(gone, data_dir))
    by_name = {c["name"]: c for c in absent["checks"]}
    assert absent["ok"] is False
    assert by_name["reader"]["advice"] == "reader not found: check the USB cable"
    assert by_name["terminal"]["advice"] == d.ADVICE_TERMINAL_MISSING
    assert by_name["upstream"]["advice"] == d.ADVICE_UPSTREAM_DOWN
    for name in ("printer", "ledger", "attention", "disk", "versions"):
        assert by_name[name]["ok"], by_name[name]
