"""Fakes of the ports for the money tests, with the same journal semantics as the
ZVT emulator (every money event recorded before it is reported)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import Settings
from kiosk.errors import PaymentOutcomeUnknown, TerminalUnavailable
from kiosk.ledger import Ledger
from kiosk.ports import (
    DeviceHealth,
    PaymentResult,
    StatusCallback,
    TerminalPrompt,
    TerminalReport,
)
from kiosk.topup.simulated import SimulatedProvider
from kiosk.txn import Deadlines, TransactionRunner

FAST = Deadlines(payment_s=2.0, terminal_op_s=2.0, terminal_query_s=0.3, topup_s=0.5,
                 topup_poll_s=1.0, printer_s=1.0, poll_interval_s=0.02)


class FakeTerminal:
    """An in-memory terminal. ``mode`` for the next money operations:
    ``approve``, ``decline``, ``silent`` (TerminalUnavailable, nothing done),
    ``lose`` (performed, then the answer is lost: PaymentOutcomeUnknown),
    ``lose_before`` (not performed, PaymentOutcomeUnknown), ``hang`` (blocks)."""

    def __init__(self) -> None:
        self.journal: list[dict[str, Any]] = []
        self.mode = "approve"
        self.reverse_mode = "approve"
        self.refund_mode = "approve"
        self.query_mode = "ok"  # or "silent"
        self._lock = threading.Lock()
        self._last: PaymentResult | None = None
        self._next = 1
        self.calls: list[str] = []
        self.release_hang = threading.Event()

    def _record(self, kind: str, amount: int, approved: bool, original: str | None = None,
                code: int | None = None) -> PaymentResult:
        with self._lock:
            no = f"{self._next:04d}"
            self._next += 1
            self.journal.append({"kind": kind, "receipt_no": no, "amount_cents": amount,
                                 "approved": approved, "original_receipt_no": original})
            result = PaymentResult(
                approved=approved, result_code=0 if approved else (code or 5), amount_cents=amount, currency="USD",
                receipt_no=no, trace_no=f"{int(no):06d}", card_brand="VISA",
                pan_masked="476173******0119", terminal_id="12345678",
                message="approved" if approved else "declined",
                receipt_lines=("CARD 4761 7390 0101 0119", "APPROVED" if approved else "DECLINED"),
                at=dt.datetime.now(dt.UTC))
            if kind == "approval":  # like the emulator: repeat receipt shows sale payments only
                self._last = result
            return result

    def _money(self, kind: str, amount: int, mode: str, original: str | None = None) -> PaymentResult:
        self.calls.append(kind)
        if original is not None and mode in ("approve", "lose") and any(
                r["approved"] and r["original_receipt_no"] == original for r in self.journal):
            return self._record(kind, amount, False, original, code=0xB4)  # already reversed/booked
        if mode == "silent":
            raise TerminalUnavailable("fake terminal silent")
        if mode == "lose_before":
            raise PaymentOutcomeUnknown("fake: lost before")
        if mode == "hang":
            self.release_hang.wait(10)
            raise PaymentOutcomeUnknown("fake: hung")
        result = self._record(kind, amount, mode != "decline", original)
        if mode == "lose":
            raise PaymentOutcomeUnknown("fake: answer lost")
        return result

    def authorize(self, amount_cents: int, currency: str, on_status: StatusCallback) -> PaymentResult:
        on_status(TerminalPrompt.INSERT_CARD, "")
        return self._money("approval", amount_cents, self.mode)

    def reserve(self, amount_cents: int, currency: str, on_status: StatusCallback) -> PaymentResult:
        return self._money("preauth", amount_cents, self.mode)

    def book_total(self, receipt_no: str, amount_cents: int, currency: str,
                   on_status: StatusCallback) -> PaymentResult:
        return self._money("book_total", amount_cents, self.reverse_mode, receipt_no)

    def release(self, receipt_no: str, amount_cents: int, currency: str,
                on_status: StatusCallback) -> PaymentResult:
        return self._money("preauth_reversal", amount_cents, self.reverse_mode, receipt_no)

    def reverse(self, receipt_no: str, on_status: StatusCallback) -> PaymentResult:
        orig = next((r for r in self.journal if r["receipt_no"] == receipt_no), None)
        mode = self.reverse_mode
        if orig is None:
            mode = "decline" if mode == "approve" else mode
        return self._money("reversal", orig["amount_cents"] if orig else 0, mode, receipt_no)

    def refund(self, amount_cents: int, currency: str, on_status: StatusCallback) -> PaymentResult:
        return self._money("refund", amount_cents, self.refund_mode)

    def abort(self) -> None:
        self.calls.append("abort")

    def last_result(self) -> PaymentResult | None:
        self.calls.append("last_result")
        if self.query_mode == "silent":
            raise TerminalUnavailable("fake terminal silent")
        return self._last

    def status(self) -> TerminalReport:
        return TerminalReport(True, 0, "ok")

    diagnose = status
    end_of_day = status

    def health(self) -> DeviceHealth:
        return DeviceHealth("terminal", True, "fake")

    def close(self) -> None:
        self.release_hang.set()

    # ------------------------------------------------------------------ for assertions

    def charge_stands(self, receipt_no: str | None) -> bool:
        """Approved sale (or booked reservation) not reversed and not refunded."""
        if receipt_no is None:
            return False
        kinds = {"approval", "book_total"}
        charged = any(r["approved"] and r["kind"] in kinds and
                      (r["receipt_no"] == receipt_no or r["original_receipt_no"] == receipt_no)
                      for r in self.journal)
        reversed_ = any(r["approved"] and r["kind"] == "reversal" and r["original_receipt_no"] == receipt_no
                        for r in self.journal)
        return charged and not reversed_

    def unreversed_charges(self) -> set[str]:
        """The payment receipt numbers (the reservation's for a booking) of every charge not
        reversed, refunds ignored (a refund is not linked to a receipt)."""
        out = set()
        for r in self.journal:
            if r["approved"] and r["kind"] == "approval":
                out.add(r["receipt_no"])
            elif r["approved"] and r["kind"] == "book_total":
                out.add(r["original_receipt_no"])
        for r in self.journal:
            if r["approved"] and r["kind"] == "reversal":
                out.discard(r["original_receipt_no"])
        return out

    def standing(self) -> int:
        approvals = [r for r in self.journal if r["approved"] and r["kind"] in ("approval", "book_total")]
        reversals = {r["original_receipt_no"] for r in self.journal if r["approved"] and r["kind"] == "reversal"}
        refunds = sum(1 for r in self.journal if r["approved"] and r["kind"] == "refund")
        return sum(1 for r in approvals if r["receipt_no"] not in reversals) - refunds


class FakePrinter:
    def __init__(self) -> None:
        self.printed: list[Any] = []
        self.fault: Exception | None = None

    def print_receipt(self, receipt: Any) -> None:
        if self.fault is not None:
            raise self.fault
        self.printed.append(receipt)

    def health(self) -> DeviceHealth:
        return DeviceHealth("printer", self.fault is None, "fake")

    def close(self) -> None:
        pass


@dataclasses.dataclass
class Rig:
    ledger: Ledger
    terminal: FakeTerminal
    provider: SimulatedProvider
    printer: FakePrinter
    settings: Settings
    data_dir: Path

    def runner(self) -> TransactionRunner:
        return TransactionRunner(ledger=self.ledger, terminal=self.terminal, provider=self.provider,
                                 printer=self.printer, settings=self.settings, deadlines=FAST)


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory in RAM when available: these tests kill nothing, so fsync buys nothing."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="kiosk-money-", dir=shm))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def rig(fast_dir: Path) -> Iterator[Rig]:
    settings = Settings()
    ledger = Ledger.open("", fast_dir)
    terminal = FakeTerminal()
    try:
        yield Rig(ledger, terminal, SimulatedProvider(fast_dir), FakePrinter(), settings, fast_dir)
    finally:
        terminal.close()
        ledger.close()
