"""Ports: the small interfaces the core needs from the outside world.

The core (``kiosk/``) codes against these protocols only; ``devices/``,
``payment/`` and ``kiosk/topup`` implement them, each with a simulator that is
an ordinary backend chosen by configuration. Every method that talks to a
device or the network blocks the calling thread: callers run them on a worker
thread, never on the Qt GUI thread, and every one takes or has a deadline.

Errors are the typed ones from :mod:`kiosk.errors`; a method documents which.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

#: Value of a SIM file that exists but needs the PIN (status 69 82 / 98 04).
PROTECTED = "protected"


@dataclass(frozen=True)
class DeviceHealth:
    """One line of diagnostics: what is wrong and what a technician should do."""

    name: str  # "reader", "terminal", "printer", "upstream", "ledger", "disk"
    ok: bool
    detail: str  # what was found, e.g. "ACS ACR39U (card present)"
    advice: str = ""  # next step when not ok, e.g. "reader not found: check the USB cable"
    data: dict[str, object] = field(default_factory=dict)


# --------------------------------------------------------------------------- SIM reader


@dataclass(frozen=True)
class SimCard:
    """What the reader learnt from one SIM.

    Optional files are ``None`` when absent or unreadable and :data:`PROTECTED`
    when PIN-protected; reading them never fails the whole read.
    """

    iccid: str
    iccid_valid: bool  # Luhn check digit correct
    atr: str  # upper-case hex
    reader: str
    imsi: str | None = None
    gid1: str | None = None  # hex
    spn: str | None = None
    msisdn: str | None = None
    carrier: str | None = None  # brand or host network, None when unknown
    carrier_source: str = "unknown"  # "iccid" | "imsi" | "gid1" | "spn" | "unknown"
    host_network_only: bool = False  # True: only the host network is known (MVNO SIMs)


class CardEventKind(StrEnum):
    INSERTED = "inserted"
    PRESENT = "present"  # already in the slot when the watch started (its insertion unseen)
    REMOVED = "removed"
    READER_ADDED = "reader_added"
    READER_REMOVED = "reader_removed"


@dataclass(frozen=True)
class CardEvent:
    kind: CardEventKind
    reader: str
    atr: str | None = None


@runtime_checkable
class CardWatch(Protocol):
    """A running insertion/removal watch; ``close()`` stops its thread (idempotent)."""

    def close(self) -> None: ...


@runtime_checkable
class CardReader(Protocol):
    """Raises :class:`kiosk.errors.ReaderError` subclasses: ``NoReader``,
    ``ReaderUnplugged``, ``NoCard``, ``CardRemoved``, ``UnreadableCard``,
    ``ReaderTimeout``."""

    def readers(self) -> list[str]: ...

    def read(self, timeout_s: float) -> SimCard:
        """Wait up to ``timeout_s`` for a card, then read it (each APDU has its own deadline)."""
        ...

    def watch(self, on_event: Callable[[CardEvent], None]) -> CardWatch:
        """Call ``on_event`` from a worker thread on every insertion and removal; a card
        already in a reader when the watch first sees that reader is reported ``PRESENT``
        (not ``INSERTED``: nobody was seen putting it in)."""
        ...

    def health(self) -> DeviceHealth: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- payment terminal


class TerminalPrompt(StrEnum):
    """Intermediate statuses shown to the customer (the UI translates each id)."""

    INSERT_CARD = "insert_card"
    PRESENT_CARD = "present_card"
    ENTER_PIN = "enter_pin"
    PIN_WRONG = "pin_wrong"
    PLEASE_WAIT = "please_wait"
    PROCESSING = "processing"
    REMOVE_CARD = "remove_card"
    APPROVED = "approved"
    DECLINED = "declined"
    CARD_NOT_SUPPORTED = "card_not_supported"
    CARD_ERROR = "card_error"
    TRY_AGAIN = "try_again"
    OTHER = "other"


@dataclass(frozen=True)
class PaymentResult:
    """The terminal's definite answer. ``approved=False`` is a definite decline or abort.

    Card data is only what the terminal returns, masked at the edge to at most
    the first 6 and last 4 digits.
    """

    approved: bool
    result_code: int | None
    amount_cents: int
    currency: str  # ISO-4217 alpha, e.g. "USD"
    receipt_no: str | None = None
    trace_no: str | None = None
    card_brand: str | None = None
    pan_masked: str | None = None
    terminal_id: str | None = None
    message: str = ""
    receipt_lines: tuple[str, ...] = ()
    at: dt.datetime | None = None
    #: The terminal's final status information (ZVT 04 0F) carried this result but its
    #: completion (06 0F) never came (lost, link dropped, terminal silent): the result
    #: stands, and the shell journals it with this flag.
    completion_missing: bool = False


@dataclass(frozen=True)
class TerminalCapabilities:
    """What the terminal can do, as far as the driver knows. ``None``: not known yet.

    ``repeat_receipt`` decides how the shell settles a payment in doubt: with it,
    ``last_result()`` answers; without it, ``last_result()`` raises
    :class:`kiosk.errors.TerminalFunctionUnsupported` and the shell uses
    :meth:`FieldTerminal.evidence` and end-of-day totals instead.
    """

    repeat_receipt: bool | None = None
    preauth: bool | None = None  # reserve / book total / release
    abort: bool = True  # the ECR may abort a running command (ZVT 06 B0)
    source: str = ""  # where the answer came from: "registration", "probe", "configuration", "simulated"
    terminal_id: str | None = None
    software_version: str | None = None
    checked_at: dt.datetime | None = None


@dataclass(frozen=True)
class TerminalReport:
    """Result of status, diagnosis or end of day.

    End of day fills ``totals_cents`` (the batch's net total), ``totals_count``,
    ``batch_no`` and the batch's receipt-number range when the terminal sends them.
    """

    ok: bool
    result_code: int | None
    message: str
    terminal_id: str | None = None
    lines: tuple[str, ...] = ()
    totals_cents: int | None = None
    batch_no: int | None = None
    totals_count: int | None = None
    receipt_from: str | None = None
    receipt_to: str | None = None
    software_version: str | None = None
    capabilities: TerminalCapabilities | None = None
    at: dt.datetime | None = None


#: ``SeenStatus.operation`` of a status that came during an operation but was not its own (an
#: earlier transaction's answer still on the line): evidence of that transaction, never of the
#: operation it came during, nor a transaction number after it.
FOREIGN_STATUS = "foreign"


@dataclass(frozen=True)
class SeenStatus:
    """One final status (ZVT 04 0F) the driver received, kept before it was acknowledged."""

    op_seq: int  # the operation it answered (see :class:`TerminalEvidence`)
    operation: str  # "authorize", "reverse", "refund", "reserve", "book_total", "release", ...
    at: dt.datetime
    result_code: int | None
    amount_cents: int | None
    receipt_no: str | None = None
    trace_no: str | None = None
    terminal_id: str | None = None


@dataclass(frozen=True)
class TerminalEvidence:
    """What the driver saw, kept in its state directory so a crash does not lose it.

    ``op_seq`` numbers every operation the driver started (increasing, across
    restarts). Take ``evidence().op_seq`` before a payment; after a crash,
    ``since(that)`` holds the payment's status if the terminal sent it.
    """

    op_seq: int
    statuses: tuple[SeenStatus, ...] = ()  # oldest first
    #: False when the driver could not keep it on disk (its state directory is unusable): the
    #: numbering then restarts with each process, and marks from another process mean nothing
    durable: bool = True

    def since(self, op_seq: int) -> tuple[SeenStatus, ...]:
        return tuple(s for s in self.statuses if s.op_seq > op_seq)

    @property
    def last_receipt_no(self) -> str | None:
        return next((s.receipt_no for s in reversed(self.statuses)
                     if s.receipt_no and s.operation != FOREIGN_STATUS), None)

    @property
    def last_trace_no(self) -> str | None:
        return next((s.trace_no for s in reversed(self.statuses)
                     if s.trace_no and s.operation != FOREIGN_STATUS), None)


@dataclass(frozen=True)
class TerminalActivity:
    """What the terminal is doing now (no I/O; safe from any thread, e.g. a UI timer)."""

    operation: str | None  # running operation, ``None`` when idle
    master: bool  # the terminal holds the master role (only an abort may be sent)
    silent_s: float  # seconds since the terminal's last message (0 when idle)
    phase: str  # "idle", "request", "customer", "settling", "aborting"


StatusCallback = Callable[[TerminalPrompt, str], None]

#: Operation names :meth:`FieldTerminal.deadline_for` knows.
TERMINAL_OPERATIONS = (
    "authorize", "reverse", "refund", "reserve", "book_total", "release", "last_result",
    "status", "diagnose", "end_of_day", "register", "abort", "close",
)


@runtime_checkable
class PaymentTerminal(Protocol):
    """Raises :class:`kiosk.errors.TerminalUnavailable` when nothing was charged
    (port missing, terminal busy, no answer to the request) and
    :class:`kiosk.errors.PaymentOutcomeUnknown` when a charge may have happened
    but its result was lost; never reports a lost result as a decline."""

    def authorize(self, amount_cents: int, currency: str, on_status: StatusCallback) -> PaymentResult:
        ...

    def reverse(self, receipt_no: str, on_status: StatusCallback) -> PaymentResult: ...

    def refund(self, amount_cents: int, currency: str, on_status: StatusCallback) -> PaymentResult:
        ...

    def abort(self) -> None:
        """Ask the terminal to abort the running payment; safe from any thread."""
        ...

    def last_result(self) -> PaymentResult | None:
        """The outcome of the last payment (repeat receipt), for crash recovery."""
        ...

    def status(self) -> TerminalReport: ...

    def diagnose(self) -> TerminalReport: ...

    def end_of_day(self) -> TerminalReport: ...

    def health(self) -> DeviceHealth: ...

    def close(self) -> None: ...


@runtime_checkable
class FieldTerminal(Protocol):
    """Optional capabilities of a terminal driver (both shipped backends have them).

    None of these methods does I/O; they answer at once from the driver's state.
    """

    def capabilities(self) -> TerminalCapabilities: ...

    def deadline_for(self, operation: str) -> float:
        """Seconds a caller should wait for ``operation`` (one of :data:`TERMINAL_OPERATIONS`):
        the driver itself gives up (and aborts) before that, so a caller that waits this long
        never leaves a command running behind it."""
        ...

    def evidence(self) -> TerminalEvidence: ...

    def activity(self) -> TerminalActivity: ...


# --------------------------------------------------------------------------- top-up provider


@dataclass(frozen=True)
class Account:
    msisdn: str  # E.164 digits without "+", e.g. "12025550123"
    carrier: str
    iccid: str | None = None
    current_plan: str | None = None
    expiry: dt.date | None = None


@dataclass(frozen=True)
class PlanText:
    """A plan's name and benefits in one language (``lang`` as in ``[kiosk] languages``)."""

    lang: str  # "zh_CN", "es", ...
    name: str
    benefits: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    id: str
    carrier: str
    name: str  # English: the catalog's reference text
    price_cents: int
    currency: str
    validity_days: int
    benefits: tuple[str, ...] = ()
    i18n: tuple[PlanText, ...] = ()  # translations from the catalog; English when missing

    def text(self, lang: str) -> PlanText:
        """Name and benefits for ``lang`` ("zh" matches "zh_CN"), falling back to English."""
        for t in self.i18n:
            if t.lang == lang or t.lang.split("_")[0] == lang.split("_")[0]:
                return PlanText(t.lang, t.name or self.name, t.benefits or self.benefits)
        return PlanText("en", self.name, self.benefits)


class TopUpStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_FOUND = "not_found"  # the provider never received this key: definitely not performed


class FailureKind(StrEnum):
    CUSTOMER_FIXABLE = "customer_fixable"  # wrong number, plan not allowed for account
    TRANSIENT = "transient"
    OUT_OF_SERVICE = "out_of_service"
    UNKNOWN = "unknown"  # treated as pending, resolved by status(key)


@dataclass(frozen=True)
class TopUpResult:
    """A provider's top-up record. ``key`` is the key the record names (the checkout
    compares it with the key it sent); the request fields the provider echoed, when
    it did, must match the request too (``None`` = not in the reply)."""

    key: str
    status: TopUpStatus
    failure_kind: FailureKind | None = None
    provider_ref: str | None = None
    message: str = ""
    msisdn: str | None = None
    plan_id: str | None = None
    amount_cents: int | None = None
    currency: str | None = None


@runtime_checkable
class TopUpProvider(Protocol):
    """Raises :class:`kiosk.errors.UpstreamUnavailable` when the provider cannot be reached."""

    def lookup(self, *, iccid: str | None = None, msisdn: str | None = None) -> Account | None: ...

    def catalog(self, carrier: str | None = None) -> list[Plan]: ...

    def submit(self, key: str, account: Account, plan: Plan) -> TopUpResult:
        """Idempotent on ``key``: submitting the same key twice performs at most one top-up."""
        ...

    def status(self, key: str) -> TopUpResult: ...

    def health(self) -> DeviceHealth: ...


# --------------------------------------------------------------------------- receipt printer


@dataclass(frozen=True)
class Receipt:
    txn_id: str
    kiosk_id: str
    location: str
    at: dt.datetime
    carrier: str
    plan_name: str
    amount_cents: int
    currency: str
    msisdn_masked: str
    provider_confirmation: str
    terminal_lines: tuple[str, ...]
    support_contact: str
    url: str  # e-receipt URL, also encoded in the QR code
    lang: str = "en"  # the customer's language: the receipt is printed in it
    timezone: str = ""  # IANA zone the time is printed in ("" = the system's)
    valid_until: dt.date | None = None  # the plan's new expiry (reminder QR code 3 days before)
    valid_until_at_least: bool = False  # the old expiry was unknown: counted from the sale


@runtime_checkable
class ReceiptPrinter(Protocol):
    """Raises :class:`kiosk.errors.PrinterError` (``PrinterOutOfPaper``, ``PrinterOffline``)."""

    def print_receipt(self, receipt: Receipt) -> None: ...

    def health(self) -> DeviceHealth: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- checkout (core service the UI drives)


class TxnResult(StrEnum):
    """How a customer's transaction ended, as far as the customer is concerned."""

    COMPLETED = "completed"  # paid and topped up
    DECLINED = "declined"  # terminal declined; nothing charged
    CANCELLED = "cancelled"  # customer or kiosk aborted the payment; nothing charged
    TERMINAL_UNAVAILABLE = "terminal_unavailable"  # nothing charged
    TOPUP_FAILED_REVERSED = "topup_failed_reversed"  # charge reversed (or being reversed)
    NEEDS_ATTENTION = "needs_attention"  # outcome unsettled; staff will resolve it


@dataclass(frozen=True)
class TxnOutcome:
    txn_id: str
    result: TxnResult
    state: str  # final saga state, e.g. "completed"
    message: str = ""
    receipt: Receipt | None = None
    failure_kind: FailureKind | None = None
    printed: bool = False  # False when the printer failed; the QR code still holds the receipt


class Checkout(Protocol):
    """Runs one money transaction through the saga (kiosk/txn.py). Blocking: call on a worker."""

    def run(self, account: Account, plan: Plan, on_prompt: StatusCallback, *,
            lang: str = "en") -> TxnOutcome:
        """How the sale ended. Raises a ``KioskError`` *before* anything is journaled or
        charged when the sale cannot go ahead: ``invalid_number``, ``plan_mismatch``,
        ``plan_changed``, ``plan_unavailable``, ``currency_mismatch`` (choose again) or
        ``upstream_unavailable`` (the provider cannot be used now). ``on_prompt`` gets the
        terminal's prompts, then ``PROCESSING`` as soon as the payment is approved.
        ``lang``: the customer's language, journaled and used for the receipt."""
        ...

    def cancel(self) -> None:
        """Customer pressed cancel during payment; safe from any thread."""
        ...
