"""``kiosk txn run``, ``kiosk plans``, ``kiosk recover``, ``kiosk diag`` through the real CLI
entry point (in-process, the terminal replaced by the in-memory fake)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import kiosk.app
from kiosk.cli import main
from kiosk.ledger import Ledger
from kiosk.topup.simulated import SimulatedProvider
from tests.money.conftest import FakeTerminal


@pytest.fixture
def cli(fast_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    terminal = FakeTerminal()
    monkeypatch.setattr(kiosk.app, "make_terminal", lambda settings, data_dir=None: terminal)
    for key, value in {"KIOSK_DATA_DIR": str(fast_dir), "KIOSK_PROVIDER_BACKEND": "simulated",
                       "KIOSK_READER_BACKEND": "simulated", "KIOSK_PRINTER_BACKEND": "file",
                       "KIOSK_PROVIDER_TIMEOUT_S": "0.5"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)

    def run(*argv: str) -> tuple[int, Any]:
        capsys.readouterr()
        rc = main([*argv, "--json"])
        out = capsys.readouterr().out.strip().splitlines()
        return rc, json.loads(out[-1]) if out else None

    run.terminal = terminal  # type: ignore[attr-defined]
    run.data_dir = fast_dir  # type: ignore[attr-defined]
    return run


def test_plans_lists_the_catalog(cli: Any) -> None:
    rc, out = cli("plans", "--carrier", "Verizon")
    assert rc == 0 and {p["carrier"] for p in out["plans"]} == {"Verizon"}
    assert all({"id", "name", "price_cents", "currency"} <= set(p) for p in out["plans"])


def test_txn_run_completes_and_prints(cli: Any) -> None:
    rc, out = cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "12025550101")
    assert rc == 0 and out["result"] == "completed" and out["printed"] is True
    assert out["msisdn"] == "*******0101" and out["terminal_receipt_no"] == "0001"
    assert (cli.data_dir / "receipts" / f"{out['txn_id']}.escpos").exists()
    rc, out = cli("txn", "run", "--plan", "att-25", "--iccid", "89014103210987654321")
    assert rc == 0 and out["carrier"] == "AT&T"


def test_txn_run_failure_is_a_json_error_with_the_outcome(cli: Any) -> None:
    cli.terminal.mode = "decline"
    rc, out = cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "12025550101")
    assert rc == 1 and out["error"] == "declined" and out["state"] == "payment_declined"
    rc, out = cli("txn", "run", "--plan", "nope", "--msisdn", "12025550101")
    assert rc == 2 and out == {"error": "unknown_plan", "message": out["message"]}
    rc, out = cli("txn", "run", "--plan", "vzw-35", "--msisdn", "12025550101")
    assert rc == 2 and out["error"] == "plan_mismatch"


def test_recover_and_diag_show_what_needs_attention(cli: Any) -> None:
    SimulatedProvider(cli.data_dir).set_control(mode="unknown", status_mode="unreachable")
    rc, out = cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "12025550101")
    assert out["result"] == "needs_attention"
    rc, diag = cli("diag")
    assert rc == 1 and diag["needs_attention"][0]["txn_id"] == out["txn_id"]
    assert diag["needs_attention"][0]["retry"] == "topup_unknown"
    rc, rep = cli("recover")  # provider still unreachable
    assert rc == 1 and rep["needs_attention"] == [out["txn_id"]]
    SimulatedProvider(cli.data_dir).set_control(mode="ok")
    rc, rep = cli("recover")
    assert rc == 0 and rep["resolved"][0]["to"] == "completed"
    rc, diag = cli("diag")
    assert rc == 0 and diag["ok"]
    with Ledger.open("", cli.data_dir) as ledger:
        row = ledger.transaction(out["txn_id"])
    assert row is not None and row["state"] == "completed" and row["provider_ref"]


def test_diag_shows_printer_faults_until_a_receipt_prints(cli: Any) -> None:
    from devices.printer import FAULT_FILE

    (cli.data_dir / "receipts").mkdir(exist_ok=True)
    (cli.data_dir / "receipts" / FAULT_FILE).write_text("out_of_paper")
    rc, out = cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "12025550101")
    assert rc == 0 and out["printed"] is False
    rc, diag = cli("diag")
    assert rc == 1 and diag["printer_faults"][0]["error"] == "printer_out_of_paper"
    (cli.data_dir / "receipts" / FAULT_FILE).unlink()
    cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "12025550101")
    rc, diag = cli("diag")
    assert rc == 0 and diag["printer_faults"] == []


@pytest.mark.parametrize("number", ["123", "abc12065550199", "+44 20 7946 0958", "(206) 055-0100", "0125550101"])
def test_txn_run_refuses_an_invalid_number_with_exit_2_and_journals_nothing(
        cli: Any, capsys: pytest.CaptureFixture[str], number: str) -> None:
    capsys.readouterr()
    rc = main(["txn", "run", "--plan", "tmo-unl-40", "--msisdn", number, "--json"])
    cap = capsys.readouterr()
    assert rc == 2 and json.loads(cap.out)["error"] == "invalid_number"
    assert len(cap.err.strip().splitlines()) == 1 and number not in cap.err  # one line, the number not echoed
    assert cli.terminal.calls == []
    assert not (cli.data_dir / "ledger.sqlite3").exists()  # refused before anything was opened


def test_txn_run_refuses_a_plan_of_another_carrier_before_any_payment(cli: Any) -> None:
    rc, out = cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "2065550100")  # a Cricket number
    assert rc == 2 and out["error"] == "plan_mismatch"
    rc, out = cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "2025550000")  # unknown to the provider
    assert rc == 2 and out["error"] == "account_not_found"
    rc, out = cli("txn", "run", "--plan", "tmo-unl-40", "--iccid", "8901-2601")
    assert rc == 2 and out["error"] == "invalid_iccid"
    with Ledger.open("", cli.data_dir) as ledger:
        assert not [e for e in ledger.events() if e.payload.get("state") == "payment_requested"]
    assert cli.terminal.calls == []


@pytest.mark.parametrize("number", ["2025550101", "(202) 555-0101", "+1 202.555.0101", "1-202-555-0101"])
def test_txn_run_accepts_and_normalises_a_valid_number(cli: Any, number: str) -> None:
    rc, out = cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", number)
    assert rc == 0 and out["result"] == "completed"
    with Ledger.open("", cli.data_dir) as ledger:
        assert ledger.transaction(out["txn_id"])["msisdn"] == "12025550101"  # type: ignore[index]


def test_txn_run_with_the_provider_unreachable_charges_nothing(cli: Any) -> None:
    SimulatedProvider(cli.data_dir).set_control(mode="unreachable")
    rc, out = cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "12025550101")
    assert rc == 1 and out["error"] == "upstream_unavailable"
    assert cli.terminal.calls == []


def test_recover_reports_skipped_live(cli: Any) -> None:
    from kiosk.lease import LOCK_DIR, FileLeases

    SimulatedProvider(cli.data_dir).set_control(mode="unknown", status_mode="unreachable")
    rc, out = cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "12025550101")
    SimulatedProvider(cli.data_dir).set_control(mode="ok")
    lease = FileLeases(cli.data_dir / LOCK_DIR).acquire(out["txn_id"])  # as a live sale holds it
    assert lease is not None
    try:
        rc, rep = cli("recover")
    finally:
        lease.release()
    assert rep["skipped_live"] == [out["txn_id"]] and rep["resolved"] == []
    rc, rep = cli("recover")
    assert rc == 0 and rep["skipped_live"] == [] and rep["resolved"][0]["to"] == "completed"


def test_diag_does_not_talk_to_a_terminal_another_process_uses(cli: Any) -> None:
    from kiosk.config import load_settings
    from kiosk.lease import LOCK_DIR, TerminalLock, terminal_identity

    lock = TerminalLock(terminal_identity(load_settings(None).terminal), cli.data_dir / LOCK_DIR)
    lock.acquire(0)  # a sale in progress (this thread stands for the other process)
    try:
        import threading

        result: list[Any] = []
        t = threading.Thread(target=lambda: result.append(cli("diag", "--only", "terminal", "--only", "disk")))
        t.start()
        t.join(30)
    finally:
        lock.release()
    _rc, diag = result[0]
    terminal = next(c for c in diag["checks"] if c["name"] == "terminal")
    assert "not checked" in terminal["detail"] and "in use" in terminal["detail"]
    assert [c["name"] for c in diag["checks"]] == ["terminal", "disk"]


def test_recover_text_lists_every_list_the_json_has(cli: Any, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A payment in doubt that waits for the terminal's next operation is in the text output
    too (``waiting_for_evidence``), and every list key of ``--json`` has its text line."""
    from kiosk.recovery import RecoveryReport
    from tests.money.test_field_terminal import FieldFake

    terminal = FieldFake()
    monkeypatch.setattr(kiosk.app, "make_terminal", lambda settings, data_dir=None: terminal)
    rc, _first = cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "12025550101")  # the evidence mark
    assert rc == 0
    terminal.mode = "lose_before"  # the payment's answer never came back: in doubt
    rc, doubt = cli("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "12025550101")
    assert doubt["result"] == "needs_attention"
    rc, rep = cli("recover")
    assert rc == 1 and rep["waiting_for_evidence"] == [doubt["txn_id"]]
    capsys.readouterr()
    assert main(["recover"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "0 resolved, 1 need attention"
    assert lines[1] == (f"waiting (the terminal has done nothing since this payment was last judged; "
                        f"retried after its next operation): {doubt['txn_id']}")
    assert lines[2] == f"needs attention: {doubt['txn_id']}"
    from kiosk.cli.recover import TEXT_LISTS

    lists = {k for k, v in RecoveryReport().as_json().items() if isinstance(v, list) and k != "resolved"}
    assert {key for key, _label in TEXT_LISTS} == lists
