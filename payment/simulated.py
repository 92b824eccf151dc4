"""``SimulatedTerminal``: an in-process payment terminal for demo mode (no serial port).

It behaves like a real terminal from the kiosk's point of view: prompts with
realistic delays, receipt and trace numbers, reversals by receipt number, end of
day, and the same error semantics as the ZVT driver. With a ``state_dir`` (the
kiosk passes ``<data_dir>/terminal``) its journal lives on disk, shared by
every process on that data directory under a file lock: receipt and trace
numbers stay unique across processes and restarts, a later process can reverse
an earlier one's sale, and end-of-day totals survive restarts. The journal has
the emulator's format (``payment.emulator.journal`` helpers apply to it).

The demo panel switches its behaviour at any time (thread-safe) with
:meth:`set_behaviour`:

* ``approve``: insert card, enter PIN, processing, remove card, approved
* ``decline``: the same prompts, then a decline (result code 05)
* ``hang``: insert card, then nothing until the master timeout ->
  ``PaymentOutcomeUnknown``; an abort meanwhile (the customer's Cancel) ends it as a
  definite abort (result code 6C, nothing charged), as the ZVT driver's 06 B0 does
* ``offline``: ``TerminalUnavailable`` at once, nothing charged
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import TerminalSection
from kiosk.errors import PaymentOutcomeUnknown, TerminalUnavailable
from kiosk.ports import (
    DeviceHealth,
    PaymentResult,
    SeenStatus,
    StatusCallback,
    TerminalActivity,
    TerminalCapabilities,
    TerminalEvidence,
    TerminalPrompt,
    TerminalReport,
)
from payment.statefile import LockedJournal, Record, StateFileError

log = logging.getLogger(__name__)

BEHAVIOURS = ("approve", "decline", "hang", "offline")
DECLINED_CODE = 0x05
ABORTED_CODE = 0x6C
TERMINAL_ID = "99999999"
_MONEY = ("approval", "decline", "reversal", "refund")
_SIGN = {"approval": 1, "reversal": -1, "refund": -1}


@dataclass(frozen=True)
class SimulatedDelays:
    card_s: float = 1.5
    pin_s: float = 1.5
    processing_s: float = 1.0
    remove_s: float = 0.5


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def _last_numbers(records: list[Record]) -> tuple[int, int]:
    numbered = [r for r in records if r.get("trace_no")]
    last = numbered[-1] if numbered else {}
    receipts = [r for r in records if r.get("receipt_no")]
    return (int(receipts[-1]["receipt_no"]) if receipts else 0), int(last.get("trace_no") or 0)


def _batch(records: list[Record]) -> int:
    return 1 + sum(1 for r in records if r["kind"] == "end_of_day")


class SimulatedTerminal:
    def __init__(self, settings: TerminalSection, *, delays: SimulatedDelays | None = None,
                 behaviour: str = "approve", state_dir: Path | None = None) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._behaviour = "approve"
        self.set_behaviour(behaviour)
        self._delays = delays or SimulatedDelays()
        self._abort = threading.Event()
        try:
            self._journal = LockedJournal(
                state_dir / "simulated-journal.jsonl" if state_dir else None)
        except StateFileError as exc:  # a demo must still run: keep the journal in memory
            log.warning("simulated terminal journal in memory only: %s", exc)
            self._journal = LockedJournal(None)
        self._current: str | None = None
        self._phase = "idle"
        self._closed = False

    # ------------------------------------------------------------------ demo panel

    def set_behaviour(self, name: str) -> None:
        if name not in BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {', '.join(BEHAVIOURS)}")
        with self._lock:
            self._behaviour = name

    @property
    def behaviour(self) -> str:
        with self._lock:
            return self._behaviour

    def set_delays(self, delays: SimulatedDelays) -> None:
        with self._lock:
            self._delays = delays

    # ------------------------------------------------------------------ journal

    def records(self) -> list[Record]:
        """The simulated terminal's journal (what a real terminal's own records would say)."""
        return self._journal.read()

    def _book(self, kind: str, **fields: Any) -> Record:
        """Number and journal one operation, atomically across processes."""
        def make(current: list[Record]) -> list[Record]:
            receipt, trace = _last_numbers(current)
            seq = 1 + sum(1 for r in current if r["kind"] in (*_MONEY, "end_of_day"))
            record: Record = {"seq": seq, "kind": kind, "at": _now().isoformat(),
                              "terminal_id": TERMINAL_ID, "batch": _batch(current),
                              "trace_no": trace % 999999 + 1, **fields}
            if kind in _MONEY:
                record["receipt_no"] = receipt % 9999 + 1
            return [record]

        try:
            return self._journal.append(make)[0]
        except StateFileError as exc:
            raise TerminalUnavailable(f"simulated terminal cannot book: {exc}") from exc

    @staticmethod
    def _payment(r: Record) -> PaymentResult:
        approved = r["kind"] != "decline"
        receipt = f"{int(r['receipt_no']):04d}" if r.get("receipt_no") else None
        return PaymentResult(
            approved=approved, result_code=int(r.get("result_code") or 0),
            amount_cents=int(r["amount_cents"]), currency=str(r.get("currency") or "USD"),
            receipt_no=receipt, trace_no=f"{int(r['trace_no']):06d}",
            card_brand="VISA", pan_masked="476173******0119", terminal_id=TERMINAL_ID,
            message=str(r.get("message") or ("approved" if approved else "declined")),
            at=dt.datetime.fromisoformat(str(r["at"])),
            receipt_lines=("SIMULATED TERMINAL", f"RECEIPT {receipt}",
                           str(r.get("message") or "").upper()))

    # ------------------------------------------------------------------ helpers

    def _wait(self, seconds: float) -> bool:
        """Sleep; True if the customer aborted meanwhile."""
        return self._abort.wait(seconds)

    def _aborted(self, amount: int, currency: str) -> PaymentResult:
        return PaymentResult(False, ABORTED_CODE, amount, currency, terminal_id=TERMINAL_ID,
                             message="aborted", at=_now())

    def _customer_flow(self, amount: int, currency: str, on_status: StatusCallback,
                       kind: str) -> PaymentResult:
        if self._closed:
            raise TerminalUnavailable("simulated terminal closed")
        behaviour, delays = self.behaviour, self._delays
        self._abort.clear()
        if behaviour == "offline":
            raise TerminalUnavailable("simulated terminal is offline")
        self._current, self._phase = {"approval": "authorize"}.get(kind, kind), "customer"
        try:
            on_status(TerminalPrompt.INSERT_CARD, "insert card")
            if behaviour == "hang":
                if self._wait(self.settings.master_timeout_s):
                    return self._aborted(amount, currency)  # the terminal took the abort
                raise PaymentOutcomeUnknown("simulated terminal stopped answering")
            steps = ((TerminalPrompt.ENTER_PIN, "enter PIN", delays.card_s),
                     (TerminalPrompt.PROCESSING, "processing", delays.pin_s),
                     (TerminalPrompt.REMOVE_CARD, "remove card", delays.processing_s))
            for prompt, text, before in steps:
                if self._wait(before):
                    return self._aborted(amount, currency)
                on_status(prompt, text)
            time.sleep(delays.remove_s)
            if behaviour == "decline" and kind == "approval":
                on_status(TerminalPrompt.DECLINED, "declined")
                record = self._book("decline", amount_cents=amount, currency=currency,
                                    result_code=DECLINED_CODE,
                                    message="declined by the card issuer")
            else:
                on_status(TerminalPrompt.APPROVED, "approved")
                record = self._book(kind, amount_cents=amount, currency=currency,
                                    result_code=0, message="approved")
            return self._payment(record)
        finally:
            self._current, self._phase = None, "idle"

    # ------------------------------------------------------------------ port

    def authorize(self, amount_cents: int, currency: str, on_status: StatusCallback) \
            -> PaymentResult:
        return self._customer_flow(amount_cents, currency, on_status, "approval")

    def refund(self, amount_cents: int, currency: str, on_status: StatusCallback) \
            -> PaymentResult:
        return self._customer_flow(amount_cents, currency, on_status, "refund")

    def reverse(self, receipt_no: str, on_status: StatusCallback) -> PaymentResult:
        """Reversal of an approval of the open batch (any process's); B5 / B4 otherwise."""
        if self.behaviour == "offline" or self._closed:
            raise TerminalUnavailable("simulated terminal is offline")
        wanted = int(receipt_no)
        outcome: dict[str, Any] = {}

        def make(current: list[Record]) -> list[Record]:
            batch = _batch(current)
            original = next((r for r in current if r["kind"] == "approval"
                             and int(r["receipt_no"]) == wanted and r["batch"] == batch), None)
            done = any(r["kind"] == "reversal" and r.get("original_receipt_no") == wanted
                       for r in current)
            outcome.update(original=original, done=done)
            if original is None or done:
                return []
            receipt, trace = _last_numbers(current)
            seq = 1 + sum(1 for r in current if r["kind"] in (*_MONEY, "end_of_day"))
            return [{"seq": seq, "kind": "reversal", "at": _now().isoformat(),
                     "terminal_id": TERMINAL_ID, "batch": batch, "trace_no": trace % 999999 + 1,
                     "receipt_no": receipt % 9999 + 1, "original_receipt_no": wanted,
                     "amount_cents": original["amount_cents"],
                     "currency": original.get("currency"), "result_code": 0,
                     "message": "approved"}]

        try:
            booked = self._journal.append(make)
        except StateFileError as exc:
            raise TerminalUnavailable(f"simulated terminal cannot book: {exc}") from exc
        original = outcome.get("original")
        if original is None:
            return PaymentResult(False, 0xB5, 0, "USD", terminal_id=TERMINAL_ID,
                                 message="reversal not possible", at=_now())
        if outcome.get("done"):
            return PaymentResult(False, 0xB4, int(original["amount_cents"]),
                                 str(original.get("currency") or "USD"), terminal_id=TERMINAL_ID,
                                 message="already reversed", at=_now())
        on_status(TerminalPrompt.PROCESSING, "processing")
        return self._payment(booked[0])

    def abort(self) -> None:
        self._abort.set()

    def last_result(self) -> PaymentResult | None:
        if self.behaviour == "offline":
            raise TerminalUnavailable("simulated terminal is offline")
        last = next((r for r in reversed(self.records())
                     if r["kind"] in ("approval", "decline")), None)
        return self._payment(last) if last is not None else None

    def _report(self, what: str) -> TerminalReport:
        if self.behaviour == "offline" or self._closed:
            raise TerminalUnavailable("simulated terminal is offline")
        return TerminalReport(True, 0, f"{what}: ok", TERMINAL_ID, ("SIMULATED TERMINAL",),
                              software_version="simulated", capabilities=self.capabilities())

    def status(self) -> TerminalReport:
        return self._report("status")

    def diagnose(self) -> TerminalReport:
        return self._report("diagnosis")

    def end_of_day(self) -> TerminalReport:
        """Closes the open batch (kept on disk): net total, count and receipt range."""
        report = self._report("end of day")
        summary: dict[str, Any] = {}

        def make(current: list[Record]) -> list[Record]:
            batch = _batch(current)
            rows = [r for r in current if r.get("batch") == batch and r["kind"] in _SIGN]
            total = sum(_SIGN[r["kind"]] * int(r["amount_cents"]) for r in rows)
            receipts = [int(r["receipt_no"]) for r in rows]
            _, trace = _last_numbers(current)
            seq = 1 + sum(1 for r in current if r["kind"] in (*_MONEY, "end_of_day"))
            summary.update(batch=batch, total=total, count=len(rows),
                           first=min(receipts, default=None), last=max(receipts, default=None))
            return [{"seq": seq, "kind": "end_of_day", "at": _now().isoformat(),
                     "terminal_id": TERMINAL_ID, "batch": batch, "trace_no": trace % 999999 + 1,
                     "amount_cents": total, "count": len(rows), "result_code": 0,
                     "receipt_from": summary["first"], "receipt_to": summary["last"]}]

        try:
            self._journal.append(make)
        except StateFileError as exc:
            raise TerminalUnavailable(f"simulated terminal cannot close the day: {exc}") from exc
        first, last = summary["first"], summary["last"]
        lines = ("SIMULATED TERMINAL", "END OF DAY", f"TRANSACTIONS {summary['count']}",
                 f"TOTAL {summary['total'] / 100:.2f}")
        return TerminalReport(True, 0, report.message, TERMINAL_ID, lines, summary["total"],
                              batch_no=summary["batch"], totals_count=summary["count"],
                              receipt_from=f"{first:04d}" if first is not None else None,
                              receipt_to=f"{last:04d}" if last is not None else None,
                              software_version="simulated", capabilities=self.capabilities(),
                              at=_now())

    def health(self) -> DeviceHealth:
        if self.behaviour == "offline":
            return DeviceHealth("terminal", False, "simulated terminal offline",
                                "switch the demo terminal back on")
        return DeviceHealth("terminal", True, f"simulated terminal ({self.behaviour})", "",
                            {"terminal_id": TERMINAL_ID, "repeat_receipt": True})

    # ------------------------------------------------------------------ FieldTerminal

    def capabilities(self) -> TerminalCapabilities:
        return TerminalCapabilities(repeat_receipt=True, preauth=False, abort=True,
                                    source="simulated", terminal_id=TERMINAL_ID,
                                    software_version="simulated")

    def deadline_for(self, operation: str) -> float:
        d = self._delays
        if operation in ("authorize", "refund"):
            return (self.settings.master_timeout_s + d.card_s + d.pin_s + d.processing_s
                    + d.remove_s + 5.0)
        return 5.0

    def evidence(self) -> TerminalEvidence:
        """Every money record as a status; ``op_seq`` is the journal's last ``seq`` (end of
        day included), so a payment's record is ``evidence().op_seq + 1`` taken before it."""
        everything = self.records()
        records = [r for r in everything if r["kind"] in _MONEY]
        names = {"approval": "authorize", "decline": "authorize", "reversal": "reverse",
                 "refund": "refund"}
        statuses = tuple(SeenStatus(
            op_seq=int(r.get("seq") or 0), operation=names[r["kind"]],
            at=dt.datetime.fromisoformat(str(r["at"])), result_code=r.get("result_code"),
            amount_cents=r.get("amount_cents"), receipt_no=f"{int(r['receipt_no']):04d}",
            trace_no=f"{int(r['trace_no']):06d}", terminal_id=TERMINAL_ID) for r in records)
        return TerminalEvidence(max((int(r.get("seq") or 0) for r in everything), default=0), statuses)

    def activity(self) -> TerminalActivity:
        current = self._current
        if current is None:
            return TerminalActivity(None, False, 0.0, "idle")
        return TerminalActivity(current, True, 0.0, self._phase)

    def close(self) -> None:
        self._closed = True
        self._abort.set()
