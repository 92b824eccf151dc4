"""The imperative shell around :mod:`kiosk.saga`: one money transaction, journaled.

For every transition the shell (1) asks the pure ``step`` for the new state and
its command, (2) appends that state to the ledger (a durable commit), and only
then (3) executes the command against the ports, under a deadline, turning
the answer into the next event. A crash anywhere leaves the ledger naming the
last state whose action *may* have started; :mod:`kiosk.recovery` feeds such
transactions ``RECOVER`` and the same shell settles them.

Terminal operations are made checkable after a crash with a *baseline*: the
terminal's ``last_result()`` fingerprint is journaled with the state, before
the operation. Later, a different last result means the operation reached the
terminal (and says how it ended); the same one means it never happened. That is
also why no new sale may start while a transaction still depends on the
terminal's last result (see :meth:`TransactionRunner.run`).

Payment method: reserve → top-up → book when ``[terminal] preauth`` is true and
the terminal implements :class:`PreauthTerminal`; otherwise authorize → top-up →
reverse (refund when the reversal is refused) on a definite top-up failure.

Ownership (:mod:`kiosk.lease`): a sale holds the payment terminal's lock from
before it settles earlier transactions until it ends, and its transaction's lease
from before ``created`` is journaled until the transaction is final or parked;
recovery takes both the same way. Before anything is journaled, the sale is
checked (:meth:`TransactionRunner.check_sale`): the number, the plan against the
account's carrier and the kiosk's currency, and the provider's live catalog. Any
unexpected exception after a state was journaled parks the transaction in
``needs_attention`` with that state as its resume point (:meth:`SagaShell.protect`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from kiosk.config import Settings
from kiosk.errors import (
    KioskError,
    LedgerError,
    PaymentError,
    PaymentOutcomeUnknown,
    PrinterError,
    TerminalUnavailable,
    UpstreamError,
    UpstreamUnavailable,
)
from kiosk.lease import Lease, LeaseLost, Ownership, TerminalBusy
from kiosk.ledger import Ledger
from kiosk.ports import (
    Account,
    FailureKind,
    PaymentResult,
    PaymentTerminal,
    Plan,
    ReceiptPrinter,
    StatusCallback,
    TerminalPrompt,
    TopUpProvider,
    TopUpResult,
    TopUpStatus,
    TxnOutcome,
    TxnResult,
)
from kiosk.saga import FINAL, OPEN, Cmd, Event, Phase, Saga, step
from kiosk.topup import normalize_msisdn, record_mismatch

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Test hook: ``<state>`` or ``<state>:before`` kills the process (SIGKILL) right
#: after that state is journaled; ``<state>:after`` right after the command that
#: state names has returned, before its result is journaled.
CRASH_ENV = "KIOSK_TEST_CRASH_AT"
_BASELINED: dict[Cmd, Phase] = {
    Cmd.REQUEST_PAYMENT: Phase.PAYMENT_REQUESTED, Cmd.REFUND: Phase.REFUND_REQUESTED,
}
#: ZVT result code "already reversed" (PA00P015 error codes): a reversal, booking or
#: release sent again after a crash finds the work done; that is success, not a decline.
ALREADY_DONE = 0xB4
_NO_PROMPT: StatusCallback = lambda _prompt, _text: None  # noqa: E731
#: Phases whose settlement compares the terminal's last result with a baseline, so no
#: other terminal operation may come first (see :func:`blocking_transactions`).
_NEEDS_LAST_RESULT: dict[Phase, Phase] = {
    Phase.PAYMENT_REQUESTED: Phase.PAYMENT_REQUESTED, Phase.PAYMENT_UNKNOWN: Phase.PAYMENT_REQUESTED,
    Phase.REFUND_REQUESTED: Phase.REFUND_REQUESTED,
}


def safe_prompt(on_prompt: StatusCallback) -> StatusCallback:
    """``on_prompt`` that never raises into a terminal driver or the saga (a closed
    stderr, a UI torn down): the prompt is only information for the customer."""
    if on_prompt is _NO_PROMPT:
        return on_prompt

    def call(prompt: TerminalPrompt, text: str) -> None:
        try:
            on_prompt(prompt, text)
        except Exception as exc:
            log.warning("showing terminal prompt %s failed: %s", prompt, exc)

    return call


class DeadlineExceeded(KioskError):
    """A port call did not return in time; its outcome is unknown."""

    code = "deadline_exceeded"


class TerminalBlocked(TerminalUnavailable):
    """No sale may start: an earlier transaction still waits for the terminal's answer."""

    code = "terminal_blocked"


class SaleRejected(KioskError):
    """The sale cannot go ahead as asked (plan of another carrier, plan changed or gone,
    another currency); nothing was journaled and nothing charged. ``code`` says which."""

    code = "sale_rejected"
    usage_error = True  # the command line exits 2


class ProviderUnreachable(UpstreamUnavailable):
    """The top-up provider did not answer before the payment: nothing was charged."""

    code = "upstream_unavailable"


@runtime_checkable
class PreauthTerminal(Protocol):
    """Optional terminal capability: pre-authorization (ZVT 06 22), book total (06 24),
    and release of the reservation (pre-authorization reversal 06 25)."""

    def reserve(self, amount_cents: int, currency: str, on_status: StatusCallback) -> PaymentResult: ...

    def book_total(self, receipt_no: str, amount_cents: int, currency: str,
                   on_status: StatusCallback) -> PaymentResult: ...

    def release(self, receipt_no: str, amount_cents: int, currency: str,
                on_status: StatusCallback) -> PaymentResult: ...


def call_with_deadline(fn: Callable[[], T], timeout_s: float, what: str) -> T:
    """Run a blocking port call on a daemon worker; give up waiting after ``timeout_s``.

    The call itself cannot be killed: it finishes (or not) in the background and
    its answer is dropped, which is why every caller treats the deadline as
    "outcome unknown" and settles it by asking again.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the waiting thread below
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name=f"txn-{what}", daemon=True).start()
    if not done.wait(timeout_s):
        raise DeadlineExceeded(f"{what} did not answer within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def fingerprint(result: PaymentResult | None) -> str:
    """Identity of the terminal's last result; a change means a new terminal operation."""
    if result is None:
        return "none"
    # not ``at``: a terminal that sends no timestamp gets "now" from the driver
    return "|".join((str(result.trace_no), str(result.receipt_no), str(result.amount_cents),
                     str(result.result_code), "A" if result.approved else "D"))


def payment_fields(result: PaymentResult) -> dict[str, Any]:
    """What the ledger keeps of a terminal answer (card data already masked by the terminal)."""
    return {
        "terminal_receipt_no": result.receipt_no, "terminal_trace_no": result.trace_no,
        "card_brand": result.card_brand, "pan_masked": result.pan_masked,
        "terminal_id": result.terminal_id, "terminal_message": result.message,
        "result_code": result.result_code, "terminal_lines": list(result.receipt_lines),
        "paid_amount_cents": result.amount_cents,
        "paid_at": result.at.isoformat() if result.at else None,
    }


def _crash_point(phase: Phase, moment: str) -> None:
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    target, _, when = spec.partition(":")
    if target == phase.value and (when or "before") == moment:
        log.warning("test hook %s=%s: killing this process", CRASH_ENV, spec)
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class TxnContext:
    """Everything known about one transaction: the saga, the merged journal payloads,
    and the terminal baselines per phase."""

    txn_id: str
    saga: Saga
    data: dict[str, Any] = field(default_factory=dict)
    baselines: dict[Phase, str] = field(default_factory=dict)
    fresh: set[Phase] = field(default_factory=set)  # phases entered (not resumed) in this pass
    new_baselines: set[Phase] = field(default_factory=set)  # baselines taken in this pass
    started_at: float = field(default_factory=time.monotonic)
    lease: Lease | None = None  # this process's ownership of the transaction

    @classmethod
    def from_ledger(cls, ledger: Ledger, txn_id: str) -> TxnContext:
        """Rebuild a transaction from its journal (used by recovery)."""
        data: dict[str, Any] = {}
        baselines: dict[Phase, str] = {}
        last: dict[str, Any] = {}
        for ev in ledger.events(txn_id=txn_id):
            data.update(ev.payload)
            if "state" in ev.payload:
                last = ev.payload
                if "baseline" in ev.payload and ev.payload["baseline"] is not None:
                    baselines[Phase(ev.payload["state"])] = str(ev.payload["baseline"])
        if not last:
            raise LedgerError(f"transaction {txn_id} has no state in the ledger")
        phase = Phase(last["state"])
        resume = Phase(last["resume"]) if phase is Phase.NEEDS_ATTENTION and last.get("resume") else None
        saga = Saga(phase, preauth=bool(data.get("preauth")), resume=resume)
        return cls(txn_id=txn_id, saga=saga, data=data, baselines=baselines)

    @property
    def account(self) -> Account:
        return Account(msisdn=str(self.data["msisdn"]), carrier=str(self.data["carrier"]),
                       iccid=self.data.get("iccid"))

    @property
    def plan(self) -> Plan:
        return Plan(id=str(self.data["plan_id"]), carrier=str(self.data["carrier"]),
                    name=str(self.data.get("plan_name", self.data["plan_id"])),
                    price_cents=int(self.data["amount_cents"]), currency=str(self.data["currency"]),
                    validity_days=int(self.data.get("validity_days", 0)))


@dataclass(frozen=True)
class Deadlines:
    """How long the shell waits for each port (derived from configuration)."""

    payment_s: float
    terminal_op_s: float
    terminal_query_s: float
    topup_s: float
    topup_poll_s: float
    printer_s: float
    poll_interval_s: float = 0.5
    preflight_s: float = 11.0  # the live catalog before a sale (upstream timeout + 1)

    @classmethod
    def from_settings(cls, settings: Settings) -> Deadlines:
        t = settings.terminal
        return cls(
            payment_s=t.master_timeout_s + 4 * t.ack_timeout_s + 5.0,
            terminal_op_s=t.master_timeout_s + 4 * t.ack_timeout_s + 5.0,
            terminal_query_s=max(3 * t.ack_timeout_s, 5.0),
            topup_s=settings.provider.timeout_s + 1.0,
            topup_poll_s=max(4 * settings.provider.timeout_s, 2.0),
            printer_s=settings.printer.timeout_s + 1.0,
            preflight_s=settings.upstream.timeout_s + 1.0,
        )


class SagaShell:
    """Drives one transaction through the saga: journal first, then act."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        terminal: PaymentTerminal,
        provider: TopUpProvider,
        settings: Settings,
        deadlines: Deadlines | None = None,
        on_prompt: StatusCallback = _NO_PROMPT,
        cancelled: threading.Event | None = None,
    ) -> None:
        self.ledger = ledger
        self.terminal = terminal
        self.provider = provider
        self.settings = settings
        self.deadlines = deadlines or Deadlines.from_settings(settings)
        self.on_prompt = safe_prompt(on_prompt)
        self.cancelled = cancelled or threading.Event()

    # ------------------------------------------------------------------ the loop

    def drive(self, ctx: TxnContext, event: Event) -> TxnContext:
        """Feed ``event`` and keep going until the saga names no further action.

        Never leaves money open on an unexpected exception: see :meth:`protect`.
        """
        with self.protect(ctx):
            self._drive(ctx, event)
        return ctx

    @contextlib.contextmanager
    def protect(self, ctx: TxnContext) -> Iterator[None]:
        """Park the transaction on any unexpected exception inside the block.

        The last journaled open state becomes the resume point of ``needs_attention``
        (its action may have started, which is what recovery assumes of a resumed
        state), the exception is logged with the transaction id, and the caller gets
        the parked transaction instead of a traceback. Not caught: a lost lease (the
        transaction is no longer ours to journal), a failing ledger (nothing can be
        journaled: the open state already is the resume point) and ``BaseException``
        (a kill or Ctrl-C leaves the same resume point).
        """
        try:
            yield
        except (LeaseLost, LedgerError):
            raise
        except Exception as exc:
            self.park(ctx, exc)

    def park(self, ctx: TxnContext, exc: Exception) -> None:
        phase = ctx.saga.phase
        if phase not in OPEN:
            log.error("txn %s: unexpected error after reaching %s: %s", ctx.txn_id, phase.value, exc,
                      exc_info=exc, extra={"txn_id": ctx.txn_id})
            return
        log.error("txn %s: unexpected error in %s; parked in needs_attention for recovery: %s: %s",
                  ctx.txn_id, phase.value, type(exc).__name__, exc, exc_info=exc,
                  extra={"txn_id": ctx.txn_id})
        saga = Saga(Phase.NEEDS_ATTENTION, preauth=ctx.saga.preauth, resume=phase)
        self._journal(ctx, saga, {"error": "internal_error",
                                  "message": f"internal error in {phase.value}: {type(exc).__name__}: {exc}"})

    def prompt(self, prompt: TerminalPrompt, text: str = "") -> None:
        self.on_prompt(prompt, text)

    def _drive(self, ctx: TxnContext, event: Event) -> None:
        pending: dict[str, Any] = {}
        while True:
            saga, cmds = step(ctx.saga, event)
            cmd = cmds[0] if cmds else None
            if cmd is None and saga == ctx.saga:
                return  # nothing to do (a settled transaction fed RECOVER)
            extra = pending
            if saga.phase is not ctx.saga.phase and ctx.saga.phase is not Phase.NEEDS_ATTENTION:
                ctx.fresh.add(saga.phase)  # entered now: its action has not been tried yet
            else:
                ctx.fresh.discard(saga.phase)  # resumed: an earlier pass may have acted
            if cmd is not None:
                extra.update(self._prepare(cmd, ctx, saga.phase))
            self._journal(ctx, saga, extra)
            if saga.phase is Phase.PAYMENT_APPROVED:
                self.prompt(TerminalPrompt.PROCESSING)  # the pay screen moves on at once
            _crash_point(saga.phase, "before")
            if cmd is None or cmd is Cmd.FINISH:
                return
            event, pending = self._execute(cmd, ctx)
            _crash_point(saga.phase, "after")

    def _journal(self, ctx: TxnContext, saga: Saga, extra: dict[str, Any]) -> None:
        if ctx.lease is not None:
            ctx.lease.check()  # only the owner journals (and then acts)
        payload: dict[str, Any] = {"state": saga.phase.value, **extra}
        if saga.phase is Phase.NEEDS_ATTENTION:
            payload["resume"] = saga.resume.value if saga.resume else None
            payload["stuck_at"] = ctx.saga.phase.value
        self.ledger.append(f"txn.{saga.phase.value}", payload, txn_id=ctx.txn_id)
        ctx.data.update(payload)
        ctx.saga = saga
        if "baseline" in extra:
            ctx.baselines[saga.phase] = str(extra["baseline"])
        log.info("txn %s → %s", ctx.txn_id, saga.phase.value, extra={"txn_id": ctx.txn_id})

    # ------------------------------------------------------------------ before acting

    def _prepare(self, cmd: Cmd, ctx: TxnContext, phase: Phase) -> dict[str, Any]:
        """Take the terminal baseline for a terminal operation not yet attempted."""
        if cmd not in _BASELINED or phase in ctx.baselines:
            return {}
        try:
            last = call_with_deadline(self.terminal.last_result, self.deadlines.terminal_query_s,
                                      "terminal last_result")
        except (PaymentError, DeadlineExceeded) as exc:
            log.warning("no terminal baseline before %s: %s", cmd.value, exc)
            return {"baseline_error": str(exc)}
        ctx.new_baselines.add(phase)
        return {"baseline": fingerprint(last)}

    # ------------------------------------------------------------------ acting

    def _execute(self, cmd: Cmd, ctx: TxnContext) -> tuple[Event, dict[str, Any]]:
        if cmd is Cmd.PROCEED:
            return Event.PROCEED, {}
        if cmd is Cmd.REQUEST_PAYMENT:
            return self._request_payment(ctx)
        if cmd is Cmd.QUERY_PAYMENT:
            return self._query_payment(ctx)
        if cmd is Cmd.SUBMIT_TOPUP:
            return self._submit_topup(ctx)
        if cmd is Cmd.QUERY_TOPUP:
            return self._query_topup(ctx)
        if cmd in (Cmd.CAPTURE, Cmd.REVERSE, Cmd.REFUND):
            return self._terminal_followup(cmd, ctx)
        raise AssertionError(f"no executor for {cmd}")  # FINISH never reaches here

    def _preauth(self, ctx: TxnContext) -> PreauthTerminal | None:
        if ctx.saga.preauth and isinstance(self.terminal, PreauthTerminal):
            return self.terminal
        return None

    def _request_payment(self, ctx: TxnContext) -> tuple[Event, dict[str, Any]]:
        if Phase.PAYMENT_REQUESTED not in ctx.baselines:
            return Event.DECLINED, {"reason": "terminal_unavailable",
                                    "message": str(ctx.data.get("baseline_error", ""))}
        if self.cancelled.is_set():  # cancelled before the terminal was asked: nothing to abort
            return Event.DECLINED, {"reason": "cancelled", "message": "cancelled before the payment started"}
        amount, currency = int(ctx.data["amount_cents"]), str(ctx.data["currency"])
        pre = self._preauth(ctx)

        def pay() -> PaymentResult:
            if pre is not None:
                return pre.reserve(amount, currency, self.on_prompt)
            return self.terminal.authorize(amount, currency, self.on_prompt)

        try:
            result = call_with_deadline(pay, self.deadlines.payment_s, "terminal payment")
        except TerminalUnavailable as exc:
            return Event.DECLINED, {"reason": "terminal_unavailable", "message": str(exc)}
        except (PaymentOutcomeUnknown, DeadlineExceeded, PaymentError) as exc:
            return Event.UNKNOWN, {"message": f"payment outcome unknown: {exc}"}
        if result.approved:
            return Event.APPROVED, payment_fields(result)
        reason = "cancelled" if self.cancelled.is_set() else "declined"
        return Event.DECLINED, {"reason": reason, "message": result.message,
                                "result_code": result.result_code}

    def _last_result(self) -> PaymentResult | None:
        return call_with_deadline(self.terminal.last_result, self.deadlines.terminal_query_s,
                                  "terminal last_result")

    def _abort_terminal(self) -> None:
        """Stop a payment the terminal may still be running, so its last result is final."""
        try:
            call_with_deadline(self.terminal.abort, self.deadlines.terminal_query_s, "terminal abort")
        except (PaymentError, DeadlineExceeded) as exc:
            log.info("terminal abort before a status query failed: %s", exc)

    def _query_payment(self, ctx: TxnContext) -> tuple[Event, dict[str, Any]]:
        baseline = ctx.baselines.get(Phase.PAYMENT_REQUESTED)
        if baseline is None:  # the payment was never sent (no baseline, no attempt)
            return Event.DECLINED, {"reason": "terminal_unavailable", "message": "payment not attempted"}
        self._abort_terminal()
        try:
            last = self._retry_terminal(self._last_result)
        except (PaymentError, DeadlineExceeded) as exc:
            return Event.UNKNOWN, {"message": f"terminal cannot tell: {exc}"}
        if fingerprint(last) == baseline:
            return Event.DECLINED, {"reason": "not_completed",
                                    "message": "the terminal has no record of this payment"}
        assert last is not None
        if not last.approved:
            return Event.DECLINED, {"reason": "declined", "message": last.message,
                                    "result_code": last.result_code}
        if last.amount_cents != int(ctx.data["amount_cents"]):
            return Event.UNKNOWN, {"message": f"terminal's last result is for {last.amount_cents} cents"}
        return Event.APPROVED, payment_fields(last)

    def _retry_terminal(self, fn: Callable[[], T]) -> T:
        """Retry while the terminal says it is busy/unreachable, within the query window."""
        until = time.monotonic() + self.deadlines.terminal_query_s
        while True:
            try:
                return fn()
            except TerminalUnavailable:
                if time.monotonic() >= until:
                    raise
                time.sleep(self.deadlines.poll_interval_s)

    def _topup_event(self, res: TopUpResult) -> tuple[Event, dict[str, Any]] | None:
        """A definite provider answer as an event; ``None`` while it is not definite."""
        info: dict[str, Any] = {"topup_status": res.status.value, "provider_ref": res.provider_ref,
                                "topup_message": res.message}
        if res.status is TopUpStatus.SUCCEEDED:
            return Event.TOPUP_OK, {**info, "failure_kind": None}
        if res.status is TopUpStatus.FAILED and res.failure_kind is not FailureKind.UNKNOWN:
            kind = res.failure_kind or FailureKind.TRANSIENT
            return Event.TOPUP_FAILED, {**info, "failure_kind": kind.value}
        if res.status is TopUpStatus.NOT_FOUND:  # fenced by the provider: never performed
            return Event.TOPUP_FAILED, {**info, "topup_status": TopUpStatus.FAILED.value,
                                        "failure_kind": FailureKind.TRANSIENT.value,
                                        "topup_message": "provider never received the request"}
        return None

    def _submit_topup(self, ctx: TxnContext) -> tuple[Event, dict[str, Any]]:
        account, plan = ctx.account, ctx.plan
        try:
            res = call_with_deadline(lambda: self.provider.submit(ctx.txn_id, account, plan),
                                     self.deadlines.topup_s, "top-up submit")
        except (UpstreamError, DeadlineExceeded) as exc:
            return Event.TOPUP_UNKNOWN, {"topup_status": "unknown", "topup_message": str(exc)}
        problem = record_mismatch(res, ctx.txn_id, account, plan)
        if problem:  # not an answer to our request: ask GET /v1/topups/{key}
            log.warning("txn %s: %s; asking the provider for our key", ctx.txn_id, problem,
                        extra={"txn_id": ctx.txn_id})
            return Event.TOPUP_UNKNOWN, {"topup_status": "unknown", "topup_message": problem}
        done = self._topup_event(res)
        if done is not None:
            return done
        return Event.TOPUP_UNKNOWN, {"topup_status": res.status.value, "topup_message": res.message,
                                     "failure_kind": FailureKind.UNKNOWN.value}

    def _query_topup(self, ctx: TxnContext) -> tuple[Event, dict[str, Any]]:
        """Ask ``status(key)`` until the answer is definite; never a new submit."""
        until = time.monotonic() + self.deadlines.topup_poll_s
        last = "no answer"
        while True:
            try:
                res = call_with_deadline(lambda: self.provider.status(ctx.txn_id),
                                         self.deadlines.topup_s, "top-up status")
                problem = record_mismatch(res, ctx.txn_id, ctx.account, ctx.plan)
                done = None if problem else self._topup_event(res)
                if done is not None:
                    return done
                last = problem or f"{res.status.value} {res.message}".strip()
            except (UpstreamError, DeadlineExceeded) as exc:
                last = str(exc)
            if time.monotonic() >= until:
                return Event.TOPUP_UNKNOWN, {"topup_status": "unknown", "topup_message": last}
            time.sleep(self.deadlines.poll_interval_s)

    def _terminal_followup(self, cmd: Cmd, ctx: TxnContext) -> tuple[Event, dict[str, Any]]:
        """Capture, reverse or refund.

        Reversal, booking and release are idempotent at the terminal (sent again they
        answer "already reversed", :data:`ALREADY_DONE`), so after a crash they are
        simply sent again. A refund is not: if an earlier pass may have sent it and the
        terminal's last result does not show it, staff must check (never refund twice).
        """
        phase = ctx.saga.phase
        key = f"{cmd.value}_"
        if cmd is Cmd.REFUND and phase not in ctx.fresh and phase not in ctx.new_baselines:
            return self._refund_after_crash(ctx, key)
        if cmd is Cmd.REFUND and phase not in ctx.baselines:
            return Event.UNKNOWN, {"message": "terminal unavailable before the refund: "
                                              f"{ctx.data.get('baseline_error', '')}"}
        receipt_no = str(ctx.data.get("terminal_receipt_no") or "")
        amount, currency = int(ctx.data["amount_cents"]), str(ctx.data["currency"])
        pre = self._preauth(ctx)

        def act() -> PaymentResult:
            if cmd is Cmd.CAPTURE:
                if pre is None:
                    raise TerminalUnavailable("the terminal cannot book a pre-authorization")
                return pre.book_total(receipt_no, amount, currency, self.on_prompt)
            if cmd is Cmd.REVERSE:
                if pre is not None:
                    return pre.release(receipt_no, amount, currency, self.on_prompt)
                return self.terminal.reverse(receipt_no, self.on_prompt)
            return self.terminal.refund(amount, currency, self.on_prompt)

        try:
            result = self._retry_terminal(
                lambda: call_with_deadline(act, self.deadlines.terminal_op_s, f"terminal {cmd.value}"))
        except (PaymentError, DeadlineExceeded) as exc:
            return Event.UNKNOWN, {"message": f"{cmd.value} outcome unknown: {exc}"}
        info: dict[str, Any] = {key + "receipt_no": result.receipt_no, key + "message": result.message,
                                key + "result_code": result.result_code}
        if result.approved:
            return Event.APPROVED, info
        if cmd is not Cmd.REFUND and result.result_code == ALREADY_DONE:
            return Event.APPROVED, {**info, key + "message": "already done before a restart"}
        return Event.DECLINED, {**info, "message": f"{cmd.value} refused: {result.message}"}

    def _refund_after_crash(self, ctx: TxnContext, key: str) -> tuple[Event, dict[str, Any]]:
        baseline = ctx.baselines[Phase.REFUND_REQUESTED]
        try:
            last = self._retry_terminal(self._last_result)
        except (PaymentError, DeadlineExceeded) as exc:
            return Event.UNKNOWN, {"message": f"terminal cannot tell: {exc}"}
        if fingerprint(last) != baseline and last is not None and last.approved \
                and last.amount_cents == int(ctx.data["amount_cents"]):
            return Event.APPROVED, {key + "receipt_no": last.receipt_no, key + "message": last.message}
        return Event.DECLINED, {"message": "a refund may have been made before a restart and the "
                                           "terminal cannot confirm it: check its journal"}


def open_transactions(ledger: Ledger) -> list[str]:
    return [row["txn_id"] for row in ledger.transactions(states={p.value for p in OPEN})]


def blocking_transactions(ledger: Ledger, kiosk_id: str | None = None) -> list[str]:
    """This kiosk's transactions whose settlement may still depend on the terminal:
    every open one (settled before the next sale), and parked ones that will compare
    the terminal's last result with a baseline (a payment or a refund in doubt)."""
    out = []
    for row in ledger.transactions(states={p.value for p in OPEN} | {Phase.NEEDS_ATTENTION.value}):
        if row["state"] != Phase.NEEDS_ATTENTION.value:
            if kiosk_id is None or _kiosk_of(ledger, row["txn_id"]) in (None, kiosk_id):
                out.append(row["txn_id"])
            continue
        ctx = TxnContext.from_ledger(ledger, row["txn_id"])
        if kiosk_id is not None and ctx.data.get("kiosk_id") not in (None, kiosk_id):
            continue
        baseline = _NEEDS_LAST_RESULT.get(ctx.saga.resume) if ctx.saga.resume else None
        if baseline is not None and baseline in ctx.baselines:
            out.append(row["txn_id"])
    return out


def _kiosk_of(ledger: Ledger, txn_id: str) -> str | None:
    first = list(ledger.events(txn_id=txn_id, limit=1))
    value = first[0].payload.get("kiosk_id") if first else None
    return str(value) if value is not None else None


def outcome_of(ctx: TxnContext) -> TxnOutcome:
    """How the transaction ended, for the customer (and the UI's message)."""
    phase, data = ctx.saga.phase, ctx.data
    kind = FailureKind(data["failure_kind"]) if data.get("failure_kind") in set(FailureKind) else None
    message = str(data.get("message") or data.get("topup_message") or "")
    if phase is Phase.COMPLETED:
        return TxnOutcome(ctx.txn_id, TxnResult.COMPLETED, phase.value, data.get("topup_message", ""))
    if phase is Phase.PAYMENT_DECLINED:
        result = {"cancelled": TxnResult.CANCELLED,
                  "terminal_unavailable": TxnResult.TERMINAL_UNAVAILABLE}.get(
            str(data.get("reason")), TxnResult.DECLINED)
        return TxnOutcome(ctx.txn_id, result, phase.value, message)
    if phase is Phase.REVERSED:
        return TxnOutcome(ctx.txn_id, TxnResult.TOPUP_FAILED_REVERSED, phase.value,
                          str(data.get("topup_message", "")), failure_kind=kind)
    return TxnOutcome(ctx.txn_id, TxnResult.NEEDS_ATTENTION, phase.value, message, failure_kind=kind)


class TransactionRunner:
    """The :class:`kiosk.ports.Checkout` the UI and ``kiosk txn run`` drive."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        terminal: PaymentTerminal,
        provider: TopUpProvider,
        printer: ReceiptPrinter | None,
        settings: Settings,
        deadlines: Deadlines | None = None,
        ownership: Ownership | None = None,
    ) -> None:
        from kiosk.topup.cache import CachingProvider

        self.ledger = ledger
        self.terminal = terminal
        # the checkout sees upstream as it is: never a cached catalog
        self.provider = provider.inner if isinstance(provider, CachingProvider) else provider
        self.printer = printer
        self.settings = settings
        self.deadlines = deadlines or Deadlines.from_settings(settings)
        self.ownership = ownership or Ownership.local(wait_s=settings.terminal.lock_wait_s)
        self._cancelled = threading.Event()
        self._busy = threading.Lock()

    def shell(self, on_prompt: StatusCallback = _NO_PROMPT) -> SagaShell:
        return SagaShell(ledger=self.ledger, terminal=self.terminal, provider=self.provider,
                         settings=self.settings, deadlines=self.deadlines, on_prompt=on_prompt,
                         cancelled=self._cancelled)

    def cancel(self) -> None:
        """Customer pressed cancel: ask the terminal to abort (the saga records the decline)."""
        self._cancelled.set()
        try:
            self.terminal.abort()
        except PaymentError as exc:
            log.warning("terminal abort on cancel failed: %s", exc)

    def run(self, account: Account, plan: Plan, on_prompt: StatusCallback, *,
            lang: str = "en") -> TxnOutcome:
        """One sale. Raises before anything is journaled or charged when the sale cannot
        go ahead (:meth:`check_sale`); otherwise returns how it ended. ``lang``: the
        customer's language, journaled and used for the receipt."""
        if not self._busy.acquire(blocking=False):
            raise KioskError("a transaction is already running", code="txn_busy")
        try:
            self._cancelled.clear()
            account = self.check_sale(account, plan)
            terminal = self.ownership.terminal
            try:
                terminal.acquire(self.ownership.wait_s)
            except TerminalBusy as exc:
                log.error("sale refused: %s", exc)
                return TxnOutcome("", TxnResult.TERMINAL_UNAVAILABLE, "not_started", str(exc))
            try:
                try:
                    self._settle_earlier()
                except TerminalBlocked as exc:
                    log.error("sale refused: %s", exc)
                    return TxnOutcome("", TxnResult.TERMINAL_UNAVAILABLE, "not_started", str(exc))
                if self._cancelled.is_set():
                    return TxnOutcome("", TxnResult.CANCELLED, "not_started", "cancelled before the payment")
                return self._run(account, plan, on_prompt, lang)
            finally:
                terminal.release()
        finally:
            self._busy.release()

    def check_sale(self, account: Account, plan: Plan) -> Account:
        """Everything that can be known before the terminal is asked for money, in order:
        the number (NANP), the plan against the account's carrier and the kiosk's
        currency, then the provider, which must answer now with the plan on sale at
        this price. Returns the account with its number normalised; raises
        :class:`~kiosk.topup.InvalidNumber`, :class:`SaleRejected` or
        :class:`ProviderUnreachable`, having journaled and charged nothing."""
        msisdn = normalize_msisdn(account.msisdn)
        if plan.carrier.casefold() != account.carrier.casefold():
            raise SaleRejected(f"plan {plan.id} is for {plan.carrier}; this number is on {account.carrier}",
                               code="plan_mismatch")
        currency = self.settings.kiosk.currency
        if plan.currency != currency or plan.price_cents <= 0:
            raise SaleRejected(f"plan {plan.id} costs {plan.price_cents} {plan.currency}; "
                               f"this kiosk takes positive amounts in {currency}", code="currency_mismatch")
        try:
            live = call_with_deadline(lambda: self.provider.catalog(plan.carrier), self.deadlines.preflight_s,
                                      "top-up provider catalog")
        except (UpstreamError, DeadlineExceeded) as exc:
            log.error("sale refused before payment: the top-up provider cannot be used: %s", exc)
            raise ProviderUnreachable(f"the top-up provider cannot be used right now, so nothing was charged: "
                                      f"{exc}") from exc
        current = next((p for p in live if p.id == plan.id), None)
        if current is None:
            raise SaleRejected(f"plan {plan.id} is no longer on sale", code="plan_unavailable")
        if (current.price_cents, current.currency, current.carrier.casefold()) != \
                (plan.price_cents, plan.currency, plan.carrier.casefold()):
            raise SaleRejected(f"plan {plan.id} now costs {current.price_cents} {current.currency} "
                               f"(was {plan.price_cents} {plan.currency}); choose again", code="plan_changed")
        return dataclasses.replace(account, msisdn=msisdn)

    def _settle_earlier(self) -> None:
        """Recovery first: a new terminal operation would hide an earlier one's result."""
        kiosk_id = self.settings.kiosk.id
        blocking = blocking_transactions(self.ledger, kiosk_id)
        if not blocking:
            return
        from kiosk.recovery import recover

        recover(ledger=self.ledger, terminal=self.terminal, provider=self.provider, settings=self.settings,
                deadlines=self.deadlines, ownership=self.ownership, only=set(blocking))
        still = blocking_transactions(self.ledger, kiosk_id)
        if still:
            raise TerminalBlocked(
                f"{len(still)} earlier transaction(s) still wait for the terminal's answer "
                f"({', '.join(still)}); sales resume once the terminal answers")

    def _run(self, account: Account, plan: Plan, on_prompt: StatusCallback,
             lang: str = "en") -> TxnOutcome:
        from kiosk.receipt import customer_fields
        txn_id = str(uuid.uuid4())
        lease = self.ownership.leases.acquire(txn_id)
        if lease is None:  # a fresh UUID nobody can know: only a broken lease store says no
            raise LeaseLost(f"cannot take the lease of the new transaction {txn_id}")
        try:
            preauth = bool(self.settings.terminal.preauth and isinstance(self.terminal, PreauthTerminal))
            ctx = TxnContext(txn_id=txn_id, saga=Saga(Phase.CREATED, preauth=preauth), lease=lease)
            created = {
                "state": Phase.CREATED.value, "carrier": account.carrier, "msisdn": account.msisdn,
                "iccid": account.iccid, "plan_id": plan.id, "plan_name": plan.name,
                "validity_days": plan.validity_days, "amount_cents": plan.price_cents,
                "currency": plan.currency, "preauth": preauth, "kiosk_id": self.settings.kiosk.id,
                "method": "preauth" if preauth else "sale",
                **customer_fields(account, plan, lang),  # "lang", localized plan name, old expiry
            }
            self.ledger.append("txn.created", created, txn_id=txn_id)
            ctx.data.update(created)
            shell = self.shell(on_prompt)
            with shell.protect(ctx):
                _crash_point(Phase.CREATED, "before")
                shell.prompt(TerminalPrompt.PLEASE_WAIT)
                shell.drive(ctx, Event.START)
            outcome = outcome_of(ctx)
            if ctx.saga.phase is Phase.COMPLETED:
                outcome = self.issue_receipt(ctx, outcome, print_it=True)
            return outcome
        finally:
            lease.release()

    def issue_receipt(self, ctx: TxnContext, outcome: TxnOutcome, *, print_it: bool) -> TxnOutcome:
        """Journal the receipt, then print it; a printer fault never fails the sale.

        The money is settled by now: whatever goes wrong here is logged with the
        transaction id and the customer still gets the completed outcome.
        """
        from kiosk.receipt import build_receipt, receipt_to_json

        try:
            receipt = build_receipt(ctx.data, ctx.txn_id, self.settings)
            will_print = print_it and self.printer is not None
            self.ledger.append("txn.receipt", {"receipt": receipt_to_json(receipt), "print": will_print},
                               txn_id=ctx.txn_id)
        except Exception as exc:
            log.error("txn %s completed but its receipt could not be issued: %s", ctx.txn_id, exc,
                      exc_info=exc, extra={"txn_id": ctx.txn_id})
            return outcome
        printed = False
        if will_print and self.printer is not None:
            printer = self.printer
            try:
                call_with_deadline(lambda: printer.print_receipt(receipt),
                                   self.deadlines.printer_s, "printer")
                printed = True
            except (PrinterError, DeadlineExceeded) as exc:
                log.warning("receipt not printed: %s", exc, extra={"txn_id": ctx.txn_id})
                self._not_printed(ctx, exc.code, str(exc))
            except Exception as exc:  # a printer driver's own bug: the receipt is journaled
                log.error("receipt not printed (printer error): %s", exc, exc_info=exc,
                          extra={"txn_id": ctx.txn_id})
                self._not_printed(ctx, "printer_error", f"{type(exc).__name__}: {exc}")
        return dataclasses.replace(outcome, receipt=receipt, printed=printed)

    def _not_printed(self, ctx: TxnContext, code: str, message: str) -> None:
        try:
            self.ledger.append("txn.receipt_not_printed", {"error": code, "message": message},
                               txn_id=ctx.txn_id)
        except LedgerError as exc:
            log.error("cannot journal the printer fault of %s: %s", ctx.txn_id, exc,
                      extra={"txn_id": ctx.txn_id})


def is_final(state: str) -> bool:
    return Phase(state) in FINAL


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
