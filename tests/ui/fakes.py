"""Small in-test fakes of the ports the UI drives (reader, provider, checkout).

Each blocking call waits on a condition the test controls, and ``close()``
releases every waiter so no worker thread outlives a test.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.config import Settings
from kiosk.errors import CardRemoved, KioskError, ReaderTimeout, UpstreamUnavailable
from kiosk.ports import (
    Account,
    CardEvent,
    CardEventKind,
    DeviceHealth,
    FailureKind,
    Plan,
    PlanText,
    SimCard,
    StatusCallback,
    TerminalPrompt,
    TxnOutcome,
    TxnResult,
)
from kiosk.receipt import build_receipt, customer_fields

TMO_CARD = SimCard(iccid="8901260123456789012", iccid_valid=True, atr="3B9F", reader="Fake",
                   carrier="T-Mobile", carrier_source="iccid")  # fmt: skip
ACCOUNT = Account(msisdn="12025550123", carrier="T-Mobile", iccid=TMO_CARD.iccid,
                  current_plan="tmo-40", expiry=dt.date.today() + dt.timedelta(days=9))  # fmt: skip
TYPED_ACCOUNT = Account(msisdn="13105550199", carrier="AT&T", current_plan=None, expiry=None)
PLANS = {
    "T-Mobile": [Plan("tmo-15", "T-Mobile", "Talk & Text 15", 1500, "USD", 30, ("1 GB data",)),
                 Plan("tmo-40", "T-Mobile", "Essentials 40", 4000, "USD", 30,
                      ("Unlimited talk & text", "10 GB data"),
                      (PlanText("zh_CN", "基础套餐 40", ("无限通话和短信", "10 GB 流量")),
                       PlanText("es", "Esencial 40")))],
    "AT&T": [Plan("att-25", "AT&T", "Prepaid 25", 2500, "USD", 30, ("5 GB data",)),
             Plan("att-open", "AT&T", "Refill 10", 1000, "USD", 0, ("Airtime $10",))],  # no validity given
}  # fmt: skip


class _Watch:
    def __init__(self, reader: FakeReader) -> None:
        self._reader = reader

    def close(self) -> None:
        self._reader._watchers.clear()


class FakeReader:
    """``insert``/``pull`` drive it; with ``hold=True`` a read waits for ``release()``."""

    def __init__(self, *, hold: bool = False) -> None:
        self._cond = threading.Condition()
        self._card: SimCard | None = None
        self._hold = hold
        self._released = False
        self._closed = False
        self._watchers: list[Callable[[CardEvent], None]] = []
        self.reads = 0

    def readers(self) -> list[str]:
        return ["Fake Reader"]

    def insert(self, card: SimCard) -> None:
        with self._cond:
            self._card = card
            self._cond.notify_all()
        for cb in list(self._watchers):
            cb(CardEvent(CardEventKind.INSERTED, "Fake Reader", card.atr))

    def pull(self) -> None:
        with self._cond:
            self._card = None
            self._cond.notify_all()
        for cb in list(self._watchers):
            cb(CardEvent(CardEventKind.REMOVED, "Fake Reader"))

    def release(self) -> None:
        with self._cond:
            self._released = True
            self._cond.notify_all()

    def read(self, timeout_s: float) -> SimCard:
        deadline = time.monotonic() + min(timeout_s, 0.5)
        with self._cond:
            self.reads += 1
            while self._card is None and not self._closed:
                if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    raise ReaderTimeout("no card")
            if self._closed:
                raise ReaderTimeout("closed")
            while self._hold and not self._released and not self._closed:
                self._cond.wait(0.05)
                if self._card is None:
                    raise CardRemoved("card pulled during the read")
            assert self._card is not None
            return self._card

    def watch(self, on_event: Callable[[CardEvent], None]) -> _Watch:
        self._watchers.append(on_event)
        return _Watch(self)

    def health(self) -> DeviceHealth:
        return DeviceHealth("reader", True, "fake")

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class FakeProvider:
    def __init__(self) -> None:
        self.offline = False
        self.accounts = {TMO_CARD.iccid: ACCOUNT, TYPED_ACCOUNT.msisdn: TYPED_ACCOUNT}
        self.lookups: list[tuple[str | None, str | None]] = []

    def lookup(self, *, iccid: str | None = None, msisdn: str | None = None) -> Account | None:
        self.lookups.append((iccid, msisdn))
        if self.offline:
            raise UpstreamUnavailable("provider unreachable")
        return self.accounts.get(iccid or "") or self.accounts.get(msisdn or "")

    def catalog(self, carrier: str | None = None) -> list[Plan]:
        if self.offline:
            raise UpstreamUnavailable("provider unreachable")
        return list(PLANS.get(carrier or "", []))


@dataclass
class FakeCheckout:
    """``behaviour``: approve | decline | hang | topup_fail | unavailable | crash, or
    ``refuse:<code>`` (the sale refused before payment, as ``check_sale`` does).

    ``gate`` holds the transaction after the first prompts until ``proceed()``,
    so tests can look at the payment screen; ``cancel()`` ends a waiting one.
    """

    behaviour: str = "approve"
    printed: bool = True
    hold: bool = True
    runs: list[tuple[Account, Plan]] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    cancels: int = 0
    _sale: tuple[Account, Plan, str] | None = None
    _go: threading.Event = field(default_factory=threading.Event)
    _cancelled: threading.Event = field(default_factory=threading.Event)

    def proceed(self) -> None:
        self._go.set()

    def _wait(self) -> bool:
        """True when cancelled while waiting."""
        while not self._go.is_set() and not self._cancelled.is_set():
            self._go.wait(0.02)
        return self._cancelled.is_set()

    def run(self, account: Account, plan: Plan, on_prompt: StatusCallback, *,
            lang: str = "en") -> TxnOutcome:
        self.runs.append((account, plan))
        self.langs.append(lang)
        self._sale = (account, plan, lang)
        self._go.clear()
        self._cancelled.clear()
        txn = f"{len(self.runs):08x}-0000-4000-8000-000000000000"
        if self.behaviour == "unavailable":
            return self._outcome(txn, TxnResult.TERMINAL_UNAVAILABLE, plan)
        if self.behaviour == "crash":
            raise KioskError("ledger is gone", code="ledger_error")
        if self.behaviour.startswith("refuse:"):
            raise KioskError("sale refused before payment", code=self.behaviour.partition(":")[2])
        on_prompt(TerminalPrompt.PRESENT_CARD, "")
        if (self.hold or self.behaviour == "hang") and self._wait():
            return self._outcome(txn, TxnResult.CANCELLED, plan)
        on_prompt(TerminalPrompt.ENTER_PIN, "")
        if self.behaviour == "decline":
            on_prompt(TerminalPrompt.DECLINED, "")
            return self._outcome(txn, TxnResult.DECLINED, plan)
        on_prompt(TerminalPrompt.APPROVED, "approved")
        on_prompt(TerminalPrompt.PROCESSING, "")  # the checkout's marker: approval journaled
        if self.behaviour == "topup_fail":
            return self._outcome(txn, TxnResult.TOPUP_FAILED_REVERSED, plan,
                                 FailureKind.CUSTOMER_FIXABLE)  # fmt: skip
        return self._outcome(txn, TxnResult.COMPLETED, plan)

    def _outcome(self, txn: str, result: TxnResult, plan: Plan,
                 kind: FailureKind | None = None) -> TxnOutcome:  # fmt: skip
        receipt = None
        if result is TxnResult.COMPLETED:
            assert self._sale is not None
            account, _, lang = self._sale
            data = {"carrier": plan.carrier, "plan_name": plan.name, "plan_id": plan.id,
                    "amount_cents": plan.price_cents, "currency": plan.currency,
                    "msisdn": account.msisdn, "validity_days": plan.validity_days,
                    **customer_fields(account, plan, lang)}
            receipt = build_receipt(data, txn, Settings())
        return TxnOutcome(txn_id=txn, result=result, state=result.value, receipt=receipt,
                          failure_kind=kind, printed=self.printed)  # fmt: skip

    def cancel(self) -> None:
        self.cancels += 1
        self._cancelled.set()

    def close(self) -> None:
        self._cancelled.set()


@dataclass
class FakeServices:
    reader: FakeReader | None = field(default_factory=FakeReader)
    provider: FakeProvider = field(default_factory=FakeProvider)
    checkout: FakeCheckout = field(default_factory=FakeCheckout)
    terminal: object | None = None
    printer: object | None = None
    ledger: object | None = None

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
        self.checkout.close()


class FakeSpeech:
    """The speech port (``ui.audio.SpeechEngine``), recording what the kiosk hands it:
    ``requests`` is every ``say`` call (each interrupts the one before), ``said`` all of it."""

    def __init__(self, ok: bool = True) -> None:
        self.ok = ok
        self.started = False
        self.requests: list[list[object]] = []
        self.stops = 0
        self.volume: float | None = None
        self.rate: float | None = None
        self.closed = False

    def start(self, on_ready: Callable[[bool, str], None]) -> None:
        self.started = True
        on_ready(self.ok, "fake engine" if self.ok else "no engine")

    def say(self, utterances: object) -> None:
        self.requests.append(list(utterances))  # type: ignore[call-overload]

    @property
    def said(self) -> list[object]:
        return [u for r in self.requests for u in r]

    def texts(self) -> list[str]:
        return [u.text for u in self.said]  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.stops += 1

    def set_volume(self, volume: float) -> None:
        self.volume = volume

    def set_rate(self, rate: float) -> None:
        self.rate = rate

    def close(self) -> None:
        self.closed = True
