"""End of day, reconciled: the terminal's batch against the ledger (kiosk/reconcile.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kiosk.ports import SeenStatus, TerminalEvidence, TerminalReport
from kiosk.reconcile import (
    END_OF_DAY_EVENT,
    in_range,
    movements,
    payment_from_evidence,
    reconcile,
)
from payment.emulator import EmulatorConfig, ZvtEmulator


@dataclass
class Ev:
    seq: int
    txn_id: str | None
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    at: str = "2025-01-01T10:00:00Z"


def _sale(txn: str, receipt: str, cents: int, seq: int, *, reversed_as: str | None = None,
          refunded_as: str | None = None, method: str = "sale") -> list[Ev]:
    evs = [Ev(seq, txn, "txn.created", {"state": "created", "method": method,
                                         "amount_cents": cents}),
           Ev(seq + 1, txn, "txn.payment_approved", {"state": "payment_approved",
                                                      "terminal_receipt_no": receipt,
                                                      "paid_amount_cents": cents})]
    if reversed_as:
        evs.append(Ev(seq + 2, txn, "txn.reversed", {"state": "reversed",
                                                      "reverse_receipt_no": reversed_as,
                                                      "reverse_result_code": 0}))
    if refunded_as:
        evs.append(Ev(seq + 3, txn, "txn.completed", {"state": "completed",
                                                       "refund_receipt_no": refunded_as,
                                                       "refund_result_code": 0}))
    return evs


def test_movements_of_sales_reversals_refunds_and_reservations() -> None:
    events = [*_sale("a", "0001", 4000, 1), *_sale("b", "0002", 2500, 10, reversed_as="0003"),
              *_sale("c", "0004", 1000, 20, refunded_as="0005"),
              *_sale("d", "0006", 3000, 30, method="preauth"),  # a reservation: no money moved
              Ev(40, "d", "txn.completed", {"state": "completed", "capture_receipt_no": "0007",
                                            "capture_result_code": 0}),
              *_sale("e", "0008", 500, 50, method="preauth", reversed_as="0009"),  # released
              Ev(60, None, "sync.ack", {})]
    moves = movements(events)
    assert [(m.txn_id, m.kind, m.receipt_no, m.amount_cents) for m in moves] == [
        ("a", "charge", "0001", 4000), ("b", "charge", "0002", 2500),
        ("b", "reversal", "0003", 2500), ("c", "charge", "0004", 1000),
        ("c", "refund", "0005", 1000), ("d", "charge", "0007", 3000)]
    report = TerminalReport(True, 0, "end of day: ok", totals_cents=4000 + 3000,
                            totals_count=6, receipt_from="0001", receipt_to="0009")
    rec = reconcile(report, moves)
    assert rec.matches and rec.ledger_cents == 7000 and rec.difference_cents == 0
    assert "reconciled" in rec.summary()


def test_a_difference_names_the_transactions_that_would_explain_it() -> None:
    moves = movements(_sale("a", "0001", 4000, 1))
    report = TerminalReport(True, 0, "end of day: ok", totals_cents=8000, totals_count=2)
    unsettled = [{"txn_id": "x", "amount_cents": 4000}, {"txn_id": "y", "amount_cents": 1500}]
    rec = reconcile(report, moves, unsettled=unsettled)
    assert not rec.matches and rec.difference_cents == 4000 and rec.suspects == ("x",)
    assert "MISMATCH" in rec.summary() and "x" in rec.summary()


def test_receipt_ranges_wrap() -> None:
    assert in_range("0005", "0003", "0007") and not in_range("0008", "0003", "0007")
    assert in_range("9999", "9998", "0002") and in_range("0001", "9998", "0002")
    assert not in_range("0003", "9998", "0002") and in_range("0003", None, None)


def _evidence(*statuses: tuple[int, str, int, int]) -> TerminalEvidence:
    seen = tuple(SeenStatus(seq, op, dt.datetime(2025, 1, 1), code, cents,
                            receipt_no=f"{seq:04d}")
                 for seq, op, code, cents in statuses)
    return TerminalEvidence(max((s.op_seq for s in seen), default=0), seen)


def test_payment_from_evidence() -> None:
    approved = payment_from_evidence(_evidence((1, "authorize", 0, 100), (2, "authorize", 0, 700)),
                                     mark_op_seq=1, mark_receipt_no="0001", amount_cents=700)
    assert approved.outcome == "approved" and approved.status is not None
    declined = payment_from_evidence(_evidence((2, "authorize", 5, 700)), mark_op_seq=1,
                                     mark_receipt_no="0001", amount_cents=700)
    assert declined.outcome == "declined"
    odd = payment_from_evidence(_evidence((2, "authorize", 0, 999)), mark_op_seq=1,
                                mark_receipt_no="0001", amount_cents=700)
    assert odd.outcome == "undetermined" and "999" in odd.task
    blind = payment_from_evidence(_evidence(), mark_op_seq=1, mark_receipt_no=None,
                                  amount_cents=700)
    assert blind.outcome == "undetermined" and not blind.pending


# --------------------------------------------------------------------------- the real stack


@pytest.fixture
def kiosk_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., Any]]:
    from kiosk.cli import main
    from kiosk.logs import setup_logging

    emu = ZvtEmulator(EmulatorConfig(seed=3, ack_timeout_s=2.0), link=tmp_path / "pt",
                      journal=tmp_path / "journal.jsonl").start()
    env = {"KIOSK_DATA_DIR": str(tmp_path / "data"), "KIOSK_TERMINAL_BACKEND": "zvt",
           "KIOSK_TERMINAL_PORT": emu.port, "KIOSK_TERMINAL_ACK_TIMEOUT_S": "0.5",
           "KIOSK_TERMINAL_MASTER_TIMEOUT_S": "2", "KIOSK_PROVIDER_BACKEND": "simulated",
           "KIOSK_PROVIDER_TIMEOUT_S": "1", "KIOSK_READER_BACKEND": "simulated",
           "KIOSK_PRINTER_BACKEND": "none"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)

    def run(*args: str) -> tuple[int, dict[str, Any]]:
        capsys.readouterr()
        rc = main([*args, "--json"])
        out = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
        return rc, json.loads(out[-1])

    yield run
    setup_logging(None)
    emu.stop()


def test_end_of_day_against_sales_through_the_saga(kiosk_cli: Callable[..., Any],
                                                   tmp_path: Path) -> None:
    from kiosk.ledger import Ledger
    from kiosk.topup.simulated import SimulatedProvider

    sale = ("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "12025550101")
    assert kiosk_cli(*sale)[1]["result"] == "completed"
    SimulatedProvider(tmp_path / "data").set_control(mode="fail", failure_kind="transient")
    assert kiosk_cli(*sale)[1]["result"] == "topup_failed_reversed"
    rc, out = kiosk_cli("terminal", "end-of-day")
    rec = out["reconciliation"]
    assert rc == 0 and rec["matches"], out
    assert (rec["terminal_cents"], rec["ledger_cents"], rec["charges_cents"],
            rec["reversals_cents"], rec["ledger_count"]) == (4000, 4000, 8000, 4000, 3)
    # a charge the ledger never saw (a technician's test payment): the next batch disagrees
    assert kiosk_cli("terminal", "pay", "5.00")[0] == 0
    rc, out = kiosk_cli("terminal", "end-of-day")
    assert rc == 1 and out["reconciliation"]["difference_cents"] == 500
    with Ledger.open("", tmp_path / "data") as ledger:
        days = [ev.payload for ev in ledger.events() if ev.kind == END_OF_DAY_EVENT]
    assert [d["matches"] for d in days] == [True, False]
    assert days[1]["batch_no"] == 2 and "MISMATCH" in days[1]["summary"]


def test_end_of_day_schedule() -> None:
    from kiosk.reconcile import end_of_day_due

    tz = dt.timezone(dt.timedelta(hours=-5))
    at = dt.datetime(2025, 6, 1, 23, 5, tzinfo=tz)
    assert end_of_day_due(at, "23:00", None)
    assert not end_of_day_due(at, "23:30", None)
    assert not end_of_day_due(at, "23:00", dt.datetime(2025, 6, 1, 23, 1, tzinfo=tz))
    assert end_of_day_due(at, "23:00", dt.datetime(2025, 5, 31, 23, 1, tzinfo=tz))
    assert not end_of_day_due(at, "", None)


def test_end_of_day_at_is_validated(tmp_path: Path) -> None:
    from kiosk.config import load_settings
    from kiosk.errors import ConfigError

    assert load_settings(None, {"KIOSK_TERMINAL_END_OF_DAY_AT": "02:30"}).terminal.end_of_day_at \
        == "02:30"
    with pytest.raises(ConfigError, match="end_of_day_at"):
        load_settings(None, {"KIOSK_TERMINAL_END_OF_DAY_AT": "25:00"})
