"""``SimulatedTerminal``: an in-process payment terminal for demo mode (no serial port).

It behaves like a real terminal from the kiosk's point of view: prompts with
realistic delays, a receipt number per payment, reversals by receipt number, and
the same error semantics as the ZVT driver. The demo panel switches its
behaviour at any time (thread-safe) with :meth:`set_behaviour`:

* ``approve``: insert card, enter PIN, processing, remove card, approved
* ``decline``: the same prompts, then a decline (result code 05)
* ``hang``: insert card, then nothing until the master timeout (or abort) ->
  ``PaymentOutcomeUnknown``
* ``offline``: ``TerminalUnavailable`` at once, nothing charged
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from kiosk.config import TerminalSection
from kiosk.errors import PaymentOutcomeUnknown, TerminalUnavailable
from kiosk.ports import DeviceHealth, PaymentResult, StatusCallback, TerminalPrompt, TerminalReport

BEHAVIOURS = ("approve", "decline", "hang", "offline")
DECLINED_CODE = 0x05
ABORTED_CODE = 0x6C


@dataclass(frozen=True)
class SimulatedDelays:
    card_s: float = 1.5
    pin_s: float = 1.5
    processing_s: float = 1.0
    remove_s: float = 0.5


class SimulatedTerminal:
    def __init__(self, settings: TerminalSection, *, delays: SimulatedDelays | None = None,
                 behaviour: str = "approve") -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._behaviour = "approve"
        self.set_behaviour(behaviour)
        self._delays = delays or SimulatedDelays()
        self._abort = threading.Event()
        self._receipt_no = 0
        self._payments: dict[str, PaymentResult] = {}
        self._reversed: set[str] = set()
        self._last: PaymentResult | None = None
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

    # ------------------------------------------------------------------ helpers

    def _wait(self, seconds: float) -> bool:
        """Sleep; True if the customer aborted meanwhile."""
        return self._abort.wait(seconds)

    def _next_receipt(self) -> str:
        with self._lock:
            self._receipt_no = self._receipt_no % 9999 + 1
            return f"{self._receipt_no:04d}"

    def _result(self, approved: bool, code: int, amount: int, currency: str, message: str,
                receipt: str | None) -> PaymentResult:
        return PaymentResult(
            approved=approved, result_code=code, amount_cents=amount, currency=currency,
            receipt_no=receipt, trace_no=receipt and f"{int(receipt):06d}",
            card_brand="VISA" if receipt else None,
            pan_masked="476173******0119" if receipt else None, terminal_id="99999999",
            message=message, at=dt.datetime.now().astimezone(),
            receipt_lines=("SIMULATED TERMINAL", message.upper()),
        )

    def _customer_flow(self, amount: int, currency: str, on_status: StatusCallback,
                       kind: str) -> PaymentResult:
        if self._closed:
            raise TerminalUnavailable("simulated terminal closed")
        behaviour, delays = self.behaviour, self._delays
        self._abort.clear()
        if behaviour == "offline":
            raise TerminalUnavailable("simulated terminal is offline")
        on_status(TerminalPrompt.INSERT_CARD, "insert card")
        if behaviour == "hang":
            self._wait(self.settings.master_timeout_s)
            raise PaymentOutcomeUnknown("simulated terminal stopped answering")
        steps = ((TerminalPrompt.ENTER_PIN, "enter PIN", delays.card_s),
                 (TerminalPrompt.PROCESSING, "processing", delays.pin_s),
                 (TerminalPrompt.REMOVE_CARD, "remove card", delays.processing_s))
        for prompt, text, before in steps:
            if self._wait(before):
                return self._result(False, ABORTED_CODE, amount, currency, "aborted", None)
            on_status(prompt, text)
        time.sleep(delays.remove_s)
        if behaviour == "decline" and kind == "payment":
            on_status(TerminalPrompt.DECLINED, "declined")
            result = self._result(False, DECLINED_CODE, amount, currency,
                                  "declined by the card issuer", self._next_receipt())
        else:
            on_status(TerminalPrompt.APPROVED, "approved")
            result = self._result(True, 0, amount, currency, "approved", self._next_receipt())
        with self._lock:
            if kind == "payment":
                self._last = result
                if result.approved and result.receipt_no:
                    self._payments[result.receipt_no] = result
        return result

    # ------------------------------------------------------------------ port

    def authorize(self, amount_cents: int, currency: str, on_status: StatusCallback) \
            -> PaymentResult:
        return self._customer_flow(amount_cents, currency, on_status, "payment")

    def refund(self, amount_cents: int, currency: str, on_status: StatusCallback) \
            -> PaymentResult:
        return self._customer_flow(amount_cents, currency, on_status, "refund")

    def reverse(self, receipt_no: str, on_status: StatusCallback) -> PaymentResult:
        if self.behaviour == "offline" or self._closed:
            raise TerminalUnavailable("simulated terminal is offline")
        key = f"{int(receipt_no):04d}"
        with self._lock:
            original = self._payments.get(key)
            done = key in self._reversed
            if original is not None and not done:
                self._reversed.add(key)
        if original is None:
            return self._result(False, 0xB5, 0, "USD", "reversal not possible", None)
        if done:
            return self._result(False, 0xB4, original.amount_cents, original.currency,
                                "already reversed", None)
        on_status(TerminalPrompt.PROCESSING, "processing")
        return self._result(True, 0, original.amount_cents, original.currency, "approved",
                            self._next_receipt())

    def abort(self) -> None:
        self._abort.set()

    def last_result(self) -> PaymentResult | None:
        if self.behaviour == "offline":
            raise TerminalUnavailable("simulated terminal is offline")
        with self._lock:
            return self._last

    def _report(self, what: str) -> TerminalReport:
        if self.behaviour == "offline" or self._closed:
            raise TerminalUnavailable("simulated terminal is offline")
        return TerminalReport(True, 0, f"{what}: ok", "99999999", ("SIMULATED TERMINAL",))

    def status(self) -> TerminalReport:
        return self._report("status")

    def diagnose(self) -> TerminalReport:
        return self._report("diagnosis")

    def end_of_day(self) -> TerminalReport:
        report = self._report("end of day")
        with self._lock:
            total = sum(p.amount_cents for k, p in self._payments.items()
                        if k not in self._reversed)
            self._payments.clear()
            self._reversed.clear()
        return TerminalReport(True, 0, report.message, report.terminal_id, report.lines, total)

    def health(self) -> DeviceHealth:
        if self.behaviour == "offline":
            return DeviceHealth("terminal", False, "simulated terminal offline",
                                "switch the demo terminal back on")
        return DeviceHealth("terminal", True, f"simulated terminal ({self.behaviour})")

    def close(self) -> None:
        self._closed = True
        self._abort.set()
