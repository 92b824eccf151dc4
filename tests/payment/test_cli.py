"""``kiosk terminal`` and ``python -m payment.emulator`` as subprocesses, over a pty."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from payment.emulator import read_journal

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[Callable[..., dict[str, Any]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(*extra: str) -> dict[str, Any]:
        link = tmp_path / "terminal"
        journal = tmp_path / "journal.jsonl"
        control = tmp_path / "control.json"
        proc = subprocess.Popen(
            [sys.executable, "-m", "payment.emulator", "--link", str(link), "--journal",
             str(journal), "--control", str(control), "--seed", "5", *extra],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        proc.stdout.close()
        assert ready["event"] == "ready" and Path(ready["link"]).is_symlink()
        return {"link": str(link), "journal": journal, "control": control, "proc": proc}

    yield start
    for proc in procs:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def kiosk(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    env = dict(os.environ, KIOSK_DATA_DIR=str(tmp_path / "data"),
               KIOSK_TERMINAL_ACK_TIMEOUT_S="0.5", KIOSK_TERMINAL_MASTER_TIMEOUT_S="2")
    env.pop("KIOSK_CONFIG", None)
    proc = subprocess.run([sys.executable, "-m", "kiosk", "terminal", *args, "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stdout + proc.stderr
    return proc.returncode, json.loads(lines[0])


@pytest.fixture
def kiosk_inproc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., Any]]:
    """``kiosk terminal ...`` through :func:`kiosk.cli.main` (no interpreter start-up)."""
    from kiosk.cli import main
    from kiosk.logs import setup_logging

    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIOSK_TERMINAL_ACK_TIMEOUT_S", "0.5")
    monkeypatch.setenv("KIOSK_TERMINAL_MASTER_TIMEOUT_S", "2")
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)

    def run(*args: str) -> tuple[int, dict[str, Any]]:
        capsys.readouterr()
        rc = main(["terminal", *args, "--json"])
        out = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
        assert len(out) == 1, out
        return rc, json.loads(out[0])

    yield run
    setup_logging(None)


def test_pay_reverse_status_diagnose_end_of_day(kiosk_inproc: Callable[..., Any],tmp_path: Path,
                                                emulator_process: Callable[..., Any]) -> None:
    emu = emulator_process()
    port = ["--port", emu["link"]]
    rc, paid = kiosk(tmp_path, "pay", "12.50", *port)
    assert rc == 0
    assert paid["approved"] is True and paid["amount_cents"] == 1250
    assert set(paid) >= {"approved", "result_code", "amount_cents", "currency", "receipt_no",
                         "trace_no", "card_brand", "pan_masked", "message"}
    assert paid["currency"] == "USD" and paid["pan_masked"] == "476173******0119"
    rc, rev = kiosk(tmp_path, "reverse", paid["receipt_no"], *port)
    assert rc == 0 and rev["approved"] is True
    rc, report = kiosk(tmp_path, "status", *port)
    assert rc == 0 and report["ok"] is True and report["terminal_id"] == "52500001"
    rc, report = kiosk_inproc("diagnose", *port)
    assert rc == 0 and report["ok"] is True, report
    # the sales above bypassed the ledger (``pay`` is a technician's test): no reconciliation
    rc, report = kiosk_inproc("end-of-day", "--no-reconcile", *port)
    assert rc == 0 and report["ok"] is True, report
    assert report["totals_cents"] == 0 and report["totals_count"] == 2
    kinds = [r["kind"] for r in read_journal(emu["journal"])]
    assert kinds == ["approval", "reversal", "end_of_day"]


def test_decline_shows_result_code(tmp_path: Path,
                                   emulator_process: Callable[..., Any]) -> None:
    emu = emulator_process("--decline", "--decline-code", "0x33")
    rc, result = kiosk(tmp_path, "pay", "5", "--port", emu["link"])
    assert rc == 1
    assert result["approved"] is False and result["result_code"] == 0x33


def test_control_file_switches_faults(kiosk_inproc: Callable[..., Any],
                                      emulator_process: Callable[..., Any]) -> None:
    emu = emulator_process()
    emu["control"].write_text(json.dumps({"busy_count": 1, "decline": True}))
    time.sleep(0.5)  # the emulator polls the file every 0.1 s
    rc, result = kiosk_inproc("pay", "1.00", "--port", emu["link"])
    assert rc == 1 and result["approved"] is False and result["result_code"] == 0x05
    kinds = [r["kind"] for r in read_journal(emu["journal"])]
    assert kinds == ["decline"]  # the busy answer was retried, then the terminal declined


def test_unavailable_port_is_a_json_error(tmp_path: Path,
                                          kiosk_inproc: Callable[..., Any]) -> None:
    rc, result = kiosk_inproc("status", "--port", str(tmp_path / "no-such-tty"))
    assert rc == 1 and result["error"] == "terminal_unavailable"


@pytest.mark.parametrize("text", ["1.234", "0", "-5", "abc", "nan"])
def test_bad_amount_is_rejected(text: str) -> None:
    import argparse

    from kiosk.cli.terminal import parse_amount

    with pytest.raises(argparse.ArgumentTypeError):
        parse_amount(text)


def test_amount_is_in_dollars() -> None:
    from kiosk.cli.terminal import parse_amount

    assert parse_amount("12.50") == 1250 and parse_amount("12") == 1200


def test_status_answers_within_10_s_whatever_the_terminal_does(
        tmp_path: Path, emulator_process: Callable[..., Any]) -> None:
    """Default timing (T3 5 s): a terminal that acknowledges nothing would take 3 x T3."""
    emu = emulator_process("--silent-at", "request", "--repeat-faults")
    env = dict(os.environ, KIOSK_DATA_DIR=str(tmp_path / "data"))
    for key in ("KIOSK_CONFIG", "KIOSK_TERMINAL_ACK_TIMEOUT_S", "KIOSK_TERMINAL_MASTER_TIMEOUT_S"):
        env.pop(key, None)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "kiosk", "terminal", "status", "--port",
                           emu["link"], "--json"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert time.monotonic() - start < 10.0
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "terminal_unavailable"


def test_status_shows_the_capabilities(kiosk_inproc: Callable[..., Any], tmp_path: Path) -> None:
    from payment.emulator import EmulatorConfig, ZvtEmulator

    with ZvtEmulator(EmulatorConfig(repeat_receipt=False, status_layout="lllvar"),
                     link=tmp_path / "pt") as emu:
        rc, report = kiosk_inproc("status", "--port", emu.port)
        assert rc == 0 and report["capabilities"]["repeat_receipt"] is False
        assert report["software_version"] == "SIMKIOSK-EMU 1.0"
        assert emu.refused == ["RepeatReceipt"]
        rc, report = kiosk_inproc("status", "--port", emu.port)  # kept in the data directory
        assert rc == 0 and report["capabilities"]["repeat_receipt"] is False
        assert emu.refused == ["RepeatReceipt"]
        emu.update(repeat_receipt=True)
        rc, report = kiosk_inproc("status", "--probe", "--port", emu.port)
        assert report["capabilities"]["repeat_receipt"] is True


def test_status_learns_repeat_receipt_within_10_s_at_3_s_per_message(tmp_path: Path) -> None:
    """A fresh data directory and a terminal (the independent peer) at 3 s per message, the
    default timing: registration and the 06 20 probe take three of its messages, which is all
    that fits in 10 s; a status enquiry would be two more. The technician waits through it."""
    from tests.peers.zvt_peer import PeerSettings, ZvtPeer

    env = dict(os.environ, KIOSK_DATA_DIR=str(tmp_path / "data"))
    for key in ("KIOSK_CONFIG", "KIOSK_TERMINAL_ACK_TIMEOUT_S", "KIOSK_TERMINAL_MASTER_TIMEOUT_S"):
        env.pop(key, None)
    with ZvtPeer(tmp_path / "pt", tmp_path / "journal.jsonl",
                 settings=PeerSettings(pace_s=3.0, receipt_lines=0)):
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "kiosk", "terminal", "status", "--port",
                               str(tmp_path / "pt"), "--json"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        elapsed = time.monotonic() - start
    assert elapsed < 10.0, (elapsed, proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True and report["terminal_id"] == "52000001"
    assert report["capabilities"]["repeat_receipt"] is True, report
    kept = json.loads((tmp_path / "data" / "terminal" / "zvt-capabilities.json").read_text())
    assert kept["repeat_receipt"] is True and kept["terminal_id"] == "52000001"


def test_pay_json_says_when_the_completion_was_missing(kiosk_inproc: Callable[..., Any],
                                                       tmp_path: Path) -> None:
    from payment.emulator import EmulatorConfig, ZvtEmulator

    with ZvtEmulator(EmulatorConfig(lose_completion=True), link=tmp_path / "pt") as emu:
        rc, paid = kiosk_inproc("pay", "2.00", "--port", emu.port)
    assert rc == 0 and paid["approved"] is True and paid["completion_missing"] is True


def test_end_of_day_without_a_batch_number_prints_none() -> None:
    from kiosk.cli.terminal import _end_of_day
    from kiosk.ports import TerminalReport

    class Closing:
        def end_of_day(self) -> TerminalReport:
            return TerminalReport(True, 0, "end of day: ok", totals_cents=2500, totals_count=2,
                                  receipt_from="0001", receipt_to="0002")

    _, text, ok = _end_of_day(None, Closing(), reconcile=False)  # type: ignore[arg-type]
    assert ok and "batch" not in text and "total 25.00, 2 transaction(s)" in text


def test_control_changes_are_told_by_identity_and_acknowledged(tmp_path: Path) -> None:
    """Two control writes within one tick of the file-system clock (same mtime) are both
    applied, and each is acknowledged with its generation, so a driver can wait for the
    faults to be in force instead of sleeping and hoping."""
    control = tmp_path / "control.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "payment.emulator", "--link", str(tmp_path / "terminal"),
         "--journal", str(tmp_path / "journal.jsonl"), "--control", str(control)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert json.loads(proc.stdout.readline())["event"] == "ready"

        def write(generation: int, **faults: Any) -> None:
            tmp = control.with_suffix(".tmp")
            tmp.write_text(json.dumps({**faults, "generation": generation}))
            os.replace(tmp, control)
            os.utime(control, ns=(1_000_000_000, 1_000_000_000))  # the same mtime every time

        events: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=lambda: [events.put(json.loads(line)) for line in proc.stdout],  # type: ignore[union-attr]
                         daemon=True).start()

        def applied() -> int:  # a missed change fails here (queue.Empty), it does not hang
            while True:
                event = events.get(timeout=10)
                if event["event"] == "control_applied":
                    return int(event["generation"])

        write(1, decline=True)
        assert applied() == 1
        write(2, decline=False, busy_count=2)
        assert applied() == 2
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
