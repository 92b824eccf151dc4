"""Fakes for the diagnostics unit tests: each device does what the test tells it to."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.errors import KioskError
from kiosk.ports import (
    CardEvent,
    CardWatch,
    DeviceHealth,
    PaymentResult,
    Receipt,
    SimCard,
    StatusCallback,
    TerminalReport,
)

SIM = SimCard(iccid="8901260123456789012", iccid_valid=True, atr="3B9F96801F", reader="Fake Reader 0",
              imsi="310260123456789", msisdn="12025550123", carrier="T-Mobile", carrier_source="iccid")


def _outcome(value: object) -> object:
    if isinstance(value, BaseException):
        raise value
    if callable(value):
        return value()
    return value


@dataclass
class FakeReader:
    names: list[str] | KioskError = field(default_factory=lambda: ["Fake Reader 0"])
    card: SimCard | KioskError = SIM
    closed: bool = False

    def readers(self) -> list[str]:
        return _outcome(self.names)  # type: ignore[return-value]

    def read(self, timeout_s: float) -> SimCard:
        return _outcome(self.card)  # type: ignore[return-value]

    def watch(self, on_event: Callable[[CardEvent], None]) -> CardWatch:
        raise NotImplementedError

    def health(self) -> DeviceHealth:
        return DeviceHealth("reader", True, "Fake Reader 0 (card present)")

    def close(self) -> None:
        self.closed = True


OK_REPORT = TerminalReport(True, 0, "status: ok", "52500001")
DIAGNOSIS_REPORT = TerminalReport(True, 0, "diagnosis: ok", "52500001")
END_OF_DAY_REPORT = TerminalReport(True, 0, "end of day: ok", "52500001", ("TOTAL 30.00",), 3000)


@dataclass
class FakeTerminal:
    status_: TerminalReport | KioskError | Callable[[], TerminalReport] = OK_REPORT
    diagnose_: TerminalReport | KioskError = DIAGNOSIS_REPORT
    end_of_day_: TerminalReport | KioskError = END_OF_DAY_REPORT

    def authorize(self, amount_cents: int, currency: str, on_status: StatusCallback) -> PaymentResult:
        raise NotImplementedError

    def reverse(self, receipt_no: str, on_status: StatusCallback) -> PaymentResult:
        raise NotImplementedError

    def refund(self, amount_cents: int, currency: str, on_status: StatusCallback) -> PaymentResult:
        raise NotImplementedError

    def abort(self) -> None:
        pass

    def last_result(self) -> PaymentResult | None:
        return None

    def status(self) -> TerminalReport:
        return _outcome(self.status_)  # type: ignore[return-value]

    def diagnose(self) -> TerminalReport:
        return _outcome(self.diagnose_)  # type: ignore[return-value]

    def end_of_day(self) -> TerminalReport:
        return _outcome(self.end_of_day_)  # type: ignore[return-value]

    def health(self) -> DeviceHealth:
        return DeviceHealth("terminal", True, "fake")

    def close(self) -> None:
        pass


@dataclass
class FakePrinter:
    health_: DeviceHealth = field(default_factory=lambda: DeviceHealth("printer", True, "fake printer"))
    fault: KioskError | None = None
    printed: list[Receipt] = field(default_factory=list)

    def print_receipt(self, receipt: Receipt) -> None:
        if self.fault is not None:
            raise self.fault
        self.printed.append(receipt)

    def health(self) -> DeviceHealth:
        return self.health_

    def close(self) -> None:
        pass


class Blocker:
    """A device call that hangs until the test releases it (deadline tests)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self) -> TerminalReport:
        self.release.wait(30)
        return OK_REPORT
