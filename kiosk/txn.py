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
terminal's last result (see :meth:`TransactionRunner.run`). A terminal without
Repeat Receipt (``last_result()`` raises ``TerminalFunctionUnsupported``) is
settled from the driver's *evidence* instead: the evidence mark (``op_seq`` and
last receipt number) is journaled before the operation and
:func:`kiosk.reconcile.payment_from_evidence` judges it later; such a payment in
doubt does not block new sales (the next sale's receipt number settles it).

Every terminal call waits as long as the terminal says (``FieldTerminal.deadline_for``;
the fixed :class:`Deadlines` for test doubles), and a call whose deadline passes
aborts the terminal operation so nothing queues behind it. ``TransactionRunner.shutdown``
makes every wait end at once (``kiosk run`` stopping): the transaction stays in its
journaled state, which recovery settles.

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
import math
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
    TerminalFunctionUnsupported,
    TerminalUnavailable,
    UpstreamError,
    UpstreamUnavailable,
)
from kiosk.lease import Lease, LeaseLost, Ownership, TerminalBusy
from kiosk.ledger import Ledger
from kiosk.ports import (
    Account,
    FailureKind,
    FieldTerminal,
    PaymentResult,
    PaymentTerminal,
    Plan,
    ReceiptPrinter,
    SeenStatus,
    StatusCallback,
    TerminalCapabilities,
    TerminalPrompt,
    TopUpProvider,
    TopUpResult,
    TopUpStatus,
    TxnOutcome,
    TxnResult,
)
from kiosk.reconcile import EvidenceVerdict, payment_from_evidence
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
#: Journal keys of a baselined phase are prefixed so that a refund's mark does not hide the
#: payment's: ``settle_by``, ``evidence_op_seq``, ``evidence_receipt_no`` (payment) and
#: ``refund_settle_by``, ``refund_evidence_op_seq``, ``refund_evidence_receipt_no``.
_MARK_PREFIX: dict[Phase, str] = {Phase.PAYMENT_REQUESTED: "", Phase.REFUND_REQUESTED: "refund_"}
#: ``settle_by`` values: how a terminal operation in doubt is settled.
BY_LAST_RESULT = "last_result"  # Repeat Receipt compared with the journaled baseline
BY_EVIDENCE = "evidence"  # the driver's evidence (no Repeat Receipt)
#: The baseline journaled when the terminal has no Repeat Receipt: the evidence mark decides.
EVIDENCE_BASELINE = "evidence"
#: ZVT result code "aborted" (the customer or the kiosk aborted; nothing charged).
ABORTED_CODE = 0x6C
#: A refund proven not made, sent again by recovery: its fresh baseline and evidence mark.
REFUND_RETRY_EVENT = "txn.refund_retry"
#: Internal marker of an executor's answer: retrying cannot learn more (staff must act),
#: so ``needs_attention`` gets no resume point. Never journaled.
_STAFF_ONLY = "_staff_only"


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


class ShuttingDown(KioskError):
    """The kiosk is stopping: the transaction stays in its journaled state (its resume
    point), exactly as after a kill, and the next recovery settles it."""

    code = "shutting_down"


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


def call_with_deadline(fn: Callable[[], T], timeout_s: float, what: str, *,
                       stop: threading.Event | None = None) -> T:
    """Run a blocking port call on a daemon worker; give up waiting after ``timeout_s``
    (or at once when ``stop`` is set: :class:`ShuttingDown`).

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
    if stop is None:
        finished = done.wait(timeout_s)
    else:
        give_up = time.monotonic() + timeout_s
        while True:
            left = give_up - time.monotonic()
            finished = done.wait(min(max(left, 0.0), 0.1))
            if finished or left <= 0:
                break
            if stop.is_set():
                raise ShuttingDown(f"{what} abandoned: the kiosk is stopping")
    if not finished:
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
    """What the ledger keeps of a terminal answer (card data already masked by the terminal).

    ``completion_missing``: the terminal's final status said so but its completion never
    came; the result stands and the flag says why the journal has it that way."""
    fields = {
        "terminal_receipt_no": result.receipt_no, "terminal_trace_no": result.trace_no,
        "card_brand": result.card_brand, "pan_masked": result.pan_masked,
        "terminal_id": result.terminal_id, "terminal_message": result.message,
        "result_code": result.result_code, "terminal_lines": list(result.receipt_lines),
        "paid_amount_cents": result.amount_cents,
        "paid_at": result.at.isoformat() if result.at else None,
    }
    if result.completion_missing:
        fields["completion_missing"] = True
    return fields


def status_fields(status: SeenStatus, amount_cents: int) -> dict[str, Any]:
    """What the ledger keeps of a payment settled from the driver's evidence."""
    return {
        "terminal_receipt_no": status.receipt_no, "terminal_trace_no": status.trace_no,
        "card_brand": None, "pan_masked": None, "terminal_id": status.terminal_id,
        "terminal_message": "approved (the terminal's final status, kept by the driver)",
        "result_code": status.result_code, "terminal_lines": [],
        "paid_amount_cents": status.amount_cents if status.amount_cents is not None else amount_cents,
        "paid_at": status.at.isoformat(), "settled_by": BY_EVIDENCE,
    }


def settles_by_last_result(data: dict[str, Any], phase: Phase, baseline: str | None) -> bool:
    """Whether the operation of ``phase`` (payment or refund) is settled by comparing the
    terminal's last result with its baseline, so that no other terminal operation may
    come first (the evidence of a terminal without Repeat Receipt is never hidden)."""
    settle_by = data.get(_MARK_PREFIX.get(phase, "") + "settle_by")
    if settle_by is not None:
        return bool(settle_by == BY_LAST_RESULT)
    return baseline != EVIDENCE_BASELINE  # journaled before the evidence existed


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
            if ev.kind == REFUND_RETRY_EVENT:  # a refund sent again, with its own mark
                baselines[Phase.REFUND_REQUESTED] = str(ev.payload.get("baseline") or EVIDENCE_BASELINE)
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
    """How long the shell waits for each port (derived from configuration).

    The terminal's own entries (``payment_s``, ``terminal_op_s``, ``terminal_query_s``)
    are fallbacks for terminals that do not say their deadlines (test doubles): a
    :class:`~kiosk.ports.FieldTerminal` is asked (:func:`terminal_deadline`), because a
    fixed query deadline fails every sale on a terminal answering every 3 s.
    ``terminal_query_s`` is also the window in which a terminal that is unreachable
    for a moment is asked again.
    """

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

    def fallback(self, operation: str) -> float:
        """The fixed deadline of a terminal ``operation`` for a terminal that names none."""
        if operation in ("authorize", "reserve"):
            return self.payment_s
        if operation in ("reverse", "refund", "book_total", "release", "end_of_day", "diagnose"):
            return self.terminal_op_s
        return self.terminal_query_s


def terminal_deadline(terminal: object, operation: str, deadlines: Deadlines) -> float:
    """Seconds to wait for ``operation`` (one of :data:`kiosk.ports.TERMINAL_OPERATIONS`):
    what the terminal says (``FieldTerminal.deadline_for``: message count × its measured
    pace, plus T4 for customer phases), else the fixed fallback."""
    if isinstance(terminal, FieldTerminal):
        try:
            value = float(terminal.deadline_for(operation))
        except (KeyError, ValueError, TypeError) as exc:
            log.warning("terminal gave no deadline for %s (%s): using %.0f s", operation, exc,
                        deadlines.fallback(operation))
        else:
            if math.isfinite(value) and value > 0:
                return value
    return deadlines.fallback(operation)


def terminal_capabilities(terminal: object) -> TerminalCapabilities | None:
    """What a :class:`~kiosk.ports.FieldTerminal` knows it can do (``None`` for others)."""
    if not isinstance(terminal, FieldTerminal):
        return None
    try:
        return terminal.capabilities()
    except PaymentError as exc:
        log.warning("terminal capabilities unknown: %s", exc)
        return None


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
        stopping: threading.Event | None = None,
    ) -> None:
        self.ledger = ledger
        self.terminal = terminal
        self.provider = provider
        self.settings = settings
        self.deadlines = deadlines or Deadlines.from_settings(settings)
        self.on_prompt = safe_prompt(on_prompt)
        self.cancelled = cancelled or threading.Event()
        self.stopping = stopping or threading.Event()

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
        journaled: the open state already is the resume point), the kiosk stopping
        (:class:`ShuttingDown`: likewise) and ``BaseException`` (a kill or Ctrl-C leaves
        the same resume point).
        """
        try:
            yield
        except (LeaseLost, LedgerError, ShuttingDown):
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
            if pending.pop(_STAFF_ONLY, False) and saga.phase is Phase.NEEDS_ATTENTION:
                saga = dataclasses.replace(saga, resume=None)  # retrying cannot learn more
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
            self._check_stopping(f"before {cmd.value}")
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

    # ------------------------------------------------------------------ terminal calls

    def terminal_deadline(self, operation: str) -> float:
        return terminal_deadline(self.terminal, operation, self.deadlines)

    def _check_stopping(self, where: str) -> None:
        if self.stopping.is_set():
            raise ShuttingDown(f"the kiosk is stopping ({where}): left for recovery")

    def _terminal_call(self, fn: Callable[[], T], operation: str, what: str) -> T:
        """One terminal call under the terminal's deadline for ``operation``. When the
        deadline passes the operation is aborted (so nothing queues behind it) and the
        outcome is unknown (:class:`DeadlineExceeded`)."""
        timeout = self.terminal_deadline(operation)
        try:
            return call_with_deadline(fn, timeout, what, stop=self.stopping)
        except DeadlineExceeded:
            log.warning("%s did not answer within %.0f s: aborting the terminal operation", what, timeout)
            self._abort_quietly(what)
            raise
        except ShuttingDown:
            self._abort_quietly(what)
            raise

    def _abort_quietly(self, why: str) -> None:
        """Ask the terminal to end whatever runs (bounded by its abort deadline); never raises."""
        try:
            call_with_deadline(self.terminal.abort, self.terminal_deadline("abort"), "terminal abort")
        except (PaymentError, DeadlineExceeded) as exc:
            log.warning("terminal abort after %s failed: %s", why, exc)

    def _evidence_mark(self) -> dict[str, Any] | None:
        """``{"op_seq", "receipt_no"}`` of the driver's evidence now (``None``: none kept)."""
        if not isinstance(self.terminal, FieldTerminal):
            return None
        ev = self.terminal.evidence()
        return {"op_seq": ev.op_seq, "receipt_no": ev.last_receipt_no}

    # ------------------------------------------------------------------ before acting

    def _prepare(self, cmd: Cmd, ctx: TxnContext, phase: Phase) -> dict[str, Any]:
        """Take the terminal baseline for a terminal operation not yet attempted.

        With Repeat Receipt: the fingerprint of ``last_result()``. Without it
        (``capabilities().repeat_receipt`` False, or ``last_result()`` raising
        :class:`TerminalFunctionUnsupported`): the evidence mark alone. Either way the
        evidence mark is taken last, right before the operation, so the operation is
        the driver's ``op_seq + 1``.
        """
        if cmd not in _BASELINED or phase in ctx.baselines:
            return {}
        prefix = _MARK_PREFIX[phase]
        caps = terminal_capabilities(self.terminal)
        baseline = EVIDENCE_BASELINE
        settle_by = BY_EVIDENCE
        if caps is None or caps.repeat_receipt is not False:
            try:
                last = self._terminal_call(self.terminal.last_result, "last_result", "terminal last_result")
                baseline, settle_by = fingerprint(last), BY_LAST_RESULT
            except TerminalFunctionUnsupported as exc:
                log.info("terminal without Repeat Receipt (%s): %s settles from its evidence", exc, cmd.value)
            except (PaymentError, DeadlineExceeded) as exc:
                log.warning("no terminal baseline before %s: %s", cmd.value, exc)
                return {"baseline_error": str(exc)}
        try:
            mark = self._evidence_mark()
        except PaymentError as exc:
            if settle_by == BY_EVIDENCE:
                log.warning("no terminal evidence before %s: %s", cmd.value, exc)
                return {"baseline_error": f"the terminal's evidence cannot be read: {exc}"}
            log.warning("terminal evidence unreadable before %s (its last result decides): %s", cmd.value, exc)
            mark = None
        if mark is None and settle_by == BY_EVIDENCE:
            return {"baseline_error": "the terminal cannot show its last result and keeps no evidence"}
        ctx.new_baselines.add(phase)
        out: dict[str, Any] = {"baseline": baseline, prefix + "settle_by": settle_by}
        if mark is not None:
            out[prefix + "evidence_op_seq"] = mark["op_seq"]
            out[prefix + "evidence_receipt_no"] = mark["receipt_no"]
        return out

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
            result = self._terminal_call(pay, "reserve" if pre is not None else "authorize", "terminal payment")
        except TerminalUnavailable as exc:  # nothing charged
            reason = "cancelled" if self.cancelled.is_set() else "terminal_unavailable"
            return Event.DECLINED, {"reason": reason, "message": str(exc)}
        except (PaymentOutcomeUnknown, DeadlineExceeded, PaymentError) as exc:
            return Event.UNKNOWN, {"message": f"payment outcome unknown: {exc}"}
        if result.approved:
            if result.completion_missing:
                log.warning("txn %s: approved on the terminal's final status, completion missing: "
                            "the charge stands (receipt %s)", ctx.txn_id, result.receipt_no,
                            extra={"txn_id": ctx.txn_id})
            return Event.APPROVED, payment_fields(result)
        reason = "cancelled" if self.cancelled.is_set() or result.result_code == ABORTED_CODE else "declined"
        info: dict[str, Any] = {"reason": reason, "message": result.message, "result_code": result.result_code}
        if result.completion_missing:
            info["completion_missing"] = True
        return Event.DECLINED, info

    def _last_result(self) -> PaymentResult | None:
        return self._terminal_call(self.terminal.last_result, "last_result", "terminal last_result")

    def _abort_terminal(self) -> None:
        """Stop a payment the terminal may still be running, so its last result is final."""
        self._abort_quietly("a payment in doubt")

    def _not_charged_reason(self) -> str:
        """A payment the terminal never completed: the customer's Cancel, else the terminal."""
        return "cancelled" if self.cancelled.is_set() else "not_completed"

    def _query_payment(self, ctx: TxnContext) -> tuple[Event, dict[str, Any]]:
        baseline = ctx.baselines.get(Phase.PAYMENT_REQUESTED)
        if baseline is None:  # the payment was never sent (no baseline, no attempt)
            return Event.DECLINED, {"reason": "terminal_unavailable", "message": "payment not attempted"}
        self._abort_terminal()
        if not settles_by_last_result(ctx.data, Phase.PAYMENT_REQUESTED, baseline):
            return self._payment_by_evidence(ctx)
        try:
            last = self._retry_terminal(self._last_result)
        except TerminalFunctionUnsupported as exc:  # Repeat Receipt gone since the baseline
            log.warning("txn %s: the terminal no longer repeats receipts (%s): settled from its evidence",
                        ctx.txn_id, exc, extra={"txn_id": ctx.txn_id})
            event, info = self._payment_by_evidence(ctx)
            return event, {**info, "settle_by": BY_EVIDENCE}
        except (PaymentError, DeadlineExceeded) as exc:
            found = self._payment_by_evidence(ctx, definite_only=True)
            return found if found[0] is not Event.UNKNOWN else (
                Event.UNKNOWN, {"message": f"terminal cannot tell: {exc}"})
        if fingerprint(last) == baseline:
            return Event.DECLINED, {"reason": self._not_charged_reason(),
                                    "message": "the terminal has no record of this payment"}
        assert last is not None
        if not last.approved:
            return Event.DECLINED, {"reason": "declined", "message": last.message,
                                    "result_code": last.result_code}
        if last.amount_cents != int(ctx.data["amount_cents"]):
            return Event.UNKNOWN, {"message": f"terminal's last result is for {last.amount_cents} cents"}
        return Event.APPROVED, payment_fields(last)

    def _verdict(self, ctx: TxnContext, phase: Phase, operations: tuple[str, ...]) \
            -> tuple[EvidenceVerdict | None, int | None, str]:
        """What the driver's evidence proves about the operation of ``phase``; ``None`` with
        the reason when there is no evidence to judge by."""
        prefix = _MARK_PREFIX[phase]
        mark = ctx.data.get(prefix + "evidence_op_seq")
        if not isinstance(self.terminal, FieldTerminal) or not isinstance(mark, int):
            return None, None, "no evidence mark was journaled before the operation"
        try:
            evidence = self.terminal.evidence()
        except PaymentError as exc:
            return None, None, f"the terminal's evidence cannot be read: {exc}"
        receipt = ctx.data.get(prefix + "evidence_receipt_no")
        if evidence.durable and self._mark_taken_again(ctx, prefix + "evidence_op_seq", mark):
            # A later operation was marked from the same point, so this one never reached the
            # driver (it numbers an operation before sending it): operation mark + 1 is the
            # other one's, and taking it for ours would settle this payment with its receipt.
            return EvidenceVerdict("not_charged"), evidence.op_seq, ""
        verdict = payment_from_evidence(evidence, mark_op_seq=mark,
                                        mark_receipt_no=receipt if isinstance(receipt, str) else None,
                                        amount_cents=int(ctx.data["amount_cents"]), operations=operations)
        return verdict, evidence.op_seq, ""

    def _mark_taken_again(self, ctx: TxnContext, key: str, mark: int) -> bool:
        """Did any later terminal operation journal the same evidence mark as this one's?

        Marks never decrease (each is the driver's operation count when it was read), so the
        scan starts at the event that journaled this mark and stops at the first later mark
        (another transaction's, or this one's own next): a few events, however old the ledger."""
        start = None
        for ev in self.ledger.events(txn_id=ctx.txn_id):
            if ev.payload.get(key) == mark:
                start = ev.seq
        if start is None:
            return False
        kiosk_id = ctx.data.get("kiosk_id")
        for ev in self.ledger.events(after_seq=start):
            for other in ("evidence_op_seq", "refund_evidence_op_seq"):
                value = ev.payload.get(other)
                if not isinstance(value, int):
                    continue
                if ev.txn_id is not None and ev.txn_id != ctx.txn_id and kiosk_id is not None \
                        and _kiosk_of(self.ledger, ev.txn_id) not in (None, kiosk_id):
                    continue  # another kiosk's terminal (a shared ledger) numbers its own
                return value == mark
        return False

    def _payment_by_evidence(self, ctx: TxnContext, *, definite_only: bool = False) \
            -> tuple[Event, dict[str, Any]]:
        """Settle a payment in doubt from the statuses the driver kept (no Repeat Receipt).

        ``approved`` / ``declined``: the terminal's final status reached the kiosk.
        ``not_charged``: the receipt numbers prove nothing was booked. Otherwise unknown,
        with the operator task; retried (when a later sale or the end of day may settle
        it, ``pending``) or left to staff.
        """
        operations = ("reserve",) if ctx.saga.preauth else ("authorize",)
        verdict, seen, why = self._verdict(ctx, Phase.PAYMENT_REQUESTED, operations)
        if verdict is None:
            return Event.UNKNOWN, {"message": f"payment in doubt and {why}: check the terminal's journal"}
        info: dict[str, Any] = {"evidence_seen_op_seq": seen}
        amount = int(ctx.data["amount_cents"])
        if verdict.outcome == "approved" and verdict.status is not None:
            log.warning("txn %s: payment settled from the terminal's evidence: approved, receipt %s",
                        ctx.txn_id, verdict.status.receipt_no, extra={"txn_id": ctx.txn_id})
            return Event.APPROVED, {**info, **status_fields(verdict.status, amount)}
        if verdict.outcome == "declined" and verdict.status is not None:
            code = verdict.status.result_code
            reason = "cancelled" if self.cancelled.is_set() or code == ABORTED_CODE else "declined"
            return Event.DECLINED, {**info, "reason": reason, "result_code": code, "settled_by": BY_EVIDENCE,
                                    "message": f"declined by the terminal (result code {code}), from its evidence"}
        if definite_only:
            return Event.UNKNOWN, info
        if verdict.outcome == "not_charged":
            return Event.DECLINED, {**info, "reason": self._not_charged_reason(), "settled_by": BY_EVIDENCE,
                                    "message": "the terminal booked nothing for this payment (its next receipt "
                                               "number follows the one before it)"}
        log.warning("txn %s: payment in doubt: %s", ctx.txn_id, verdict.task, extra={"txn_id": ctx.txn_id})
        info.update(message=verdict.task, operator_task=verdict.task,
                    missing_receipts=list(verdict.missing_receipts))
        if not verdict.pending:
            info[_STAFF_ONLY] = True
        return Event.UNKNOWN, info

    def _retry_terminal(self, fn: Callable[[], T]) -> T:
        """Retry while the terminal says it is busy/unreachable, within the query window.

        A :class:`~kiosk.ports.FieldTerminal` retries "busy" itself (and reopens its link);
        the window then only covers a terminal that is being plugged back in."""
        until = time.monotonic() + self.deadlines.terminal_query_s
        while True:
            try:
                return fn()
            except TerminalUnavailable:
                if time.monotonic() >= until or self.stopping.is_set():
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
                                     self.deadlines.topup_s, "top-up submit", stop=self.stopping)
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
                                         self.deadlines.topup_s, "top-up status", stop=self.stopping)
                problem = record_mismatch(res, ctx.txn_id, ctx.account, ctx.plan)
                done = None if problem else self._topup_event(res)
                if done is not None:
                    return done
                last = problem or f"{res.status.value} {res.message}".strip()
            except (UpstreamError, DeadlineExceeded) as exc:
                last = str(exc)
            if time.monotonic() >= until:
                return Event.TOPUP_UNKNOWN, {"topup_status": "unknown", "topup_message": last}
            self._check_stopping("asking the provider")
            time.sleep(self.deadlines.poll_interval_s)

    def _terminal_followup(self, cmd: Cmd, ctx: TxnContext) -> tuple[Event, dict[str, Any]]:
        """Capture, reverse or refund.

        Reversal, booking and release are idempotent at the terminal (sent again they
        answer "already reversed", :data:`ALREADY_DONE`), so after a crash they are
        simply sent again. A refund is not: if an earlier pass may have sent it, it is
        settled like a payment in doubt (the terminal's last result, or its evidence)
        and sent again only when that proves it was not made (never refund twice).
        """
        phase = ctx.saga.phase
        if cmd is Cmd.REFUND and phase not in ctx.fresh and phase not in ctx.new_baselines:
            return self._refund_after_crash(ctx)
        if cmd is Cmd.REFUND and phase not in ctx.baselines:
            return Event.UNKNOWN, {"message": "terminal unavailable before the refund: "
                                              f"{ctx.data.get('baseline_error', '')}"}
        return self._send_followup(cmd, ctx)

    def _send_followup(self, cmd: Cmd, ctx: TxnContext) -> tuple[Event, dict[str, Any]]:
        key = f"{cmd.value}_"
        receipt_no = str(ctx.data.get("terminal_receipt_no") or "")
        amount, currency = int(ctx.data["amount_cents"]), str(ctx.data["currency"])
        pre = self._preauth(ctx)
        if cmd is Cmd.CAPTURE:
            operation = "book_total"
        elif cmd is Cmd.REVERSE:
            operation = "release" if pre is not None else "reverse"
        else:
            operation = "refund"

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
            result = self._retry_terminal(lambda: self._terminal_call(act, operation, f"terminal {cmd.value}"))
        except (PaymentError, DeadlineExceeded) as exc:
            return Event.UNKNOWN, {"message": f"{cmd.value} outcome unknown: {exc}"}
        info: dict[str, Any] = {key + "receipt_no": result.receipt_no, key + "message": result.message,
                                key + "result_code": result.result_code}
        if result.completion_missing:
            info[key + "completion_missing"] = True
        if result.approved:
            return Event.APPROVED, info
        if cmd is not Cmd.REFUND and result.result_code == ALREADY_DONE:
            return Event.APPROVED, {**info, key + "message": "already done before a restart"}
        return Event.DECLINED, {**info, "message": f"{cmd.value} refused: {result.message}"}

    def _refund_after_crash(self, ctx: TxnContext) -> tuple[Event, dict[str, Any]]:
        """A refund an earlier pass may have sent: settled before anything is sent again."""
        baseline = ctx.baselines.get(Phase.REFUND_REQUESTED)
        if baseline is None:  # never baselined, so never sent: send it now (with a mark)
            return self._refund_again(ctx, "the refund was never sent")
        if not settles_by_last_result(ctx.data, Phase.REFUND_REQUESTED, baseline):
            return self._refund_by_evidence(ctx)
        try:
            last = self._retry_terminal(self._last_result)
        except TerminalFunctionUnsupported:
            event, info = self._refund_by_evidence(ctx)
            return event, {**info, "refund_settle_by": BY_EVIDENCE}
        except (PaymentError, DeadlineExceeded) as exc:
            verdict, _, _ = self._verdict(ctx, Phase.REFUND_REQUESTED, ("refund",))
            if verdict is not None and verdict.outcome == "approved" and verdict.status is not None:
                return Event.APPROVED, self._refund_fields(verdict.status)
            return Event.UNKNOWN, {"message": f"terminal cannot tell: {exc}"}
        if fingerprint(last) != baseline and last is not None and last.approved \
                and last.amount_cents == int(ctx.data["amount_cents"]):
            return Event.APPROVED, {"refund_receipt_no": last.receipt_no, "refund_message": last.message}
        return Event.DECLINED, {"message": "a refund may have been made before a restart and the "
                                           "terminal cannot confirm it: check its journal"}

    @staticmethod
    def _refund_fields(status: SeenStatus) -> dict[str, Any]:
        return {"refund_receipt_no": status.receipt_no, "refund_result_code": status.result_code,
                "refund_message": "approved (the terminal's final status, kept by the driver)",
                "settled_by": BY_EVIDENCE}

    def _refund_by_evidence(self, ctx: TxnContext) -> tuple[Event, dict[str, Any]]:
        """A refund in doubt on a terminal without Repeat Receipt: done (its status reached
        the kiosk), refused, provably never made (then sent now), or staff's task."""
        verdict, seen, why = self._verdict(ctx, Phase.REFUND_REQUESTED, ("refund",))
        if verdict is None:
            return Event.DECLINED, {"message": f"a refund may have been made before a restart and {why}: "
                                               "check the terminal's journal"}
        if verdict.outcome == "approved" and verdict.status is not None:
            return Event.APPROVED, self._refund_fields(verdict.status)
        if verdict.outcome == "declined" and verdict.status is not None:
            return Event.DECLINED, {"message": f"refund refused by the terminal (result code "
                                               f"{verdict.status.result_code}): refund the customer by hand"}
        if verdict.outcome == "not_charged":
            return self._refund_again(ctx, "the terminal's receipt numbers show the refund was not made")
        task = verdict.task.replace("payment of", "refund of")
        if verdict.pending:
            return Event.UNKNOWN, {"message": task, "operator_task": task, "evidence_seen_op_seq": seen}
        return Event.DECLINED, {"message": task, "operator_task": task,
                                "missing_receipts": list(verdict.missing_receipts)}

    def _refund_again(self, ctx: TxnContext, why: str) -> tuple[Event, dict[str, Any]]:
        """Send a refund that provably was not made, journaling a fresh mark first."""
        extra: dict[str, Any] = {"message": f"refund sent again: {why}"}
        caps = terminal_capabilities(self.terminal)
        if caps is not None and caps.repeat_receipt is not False:
            try:
                extra["baseline"] = fingerprint(self._last_result())
                extra["refund_settle_by"] = BY_LAST_RESULT
            except TerminalFunctionUnsupported:
                pass
            except (PaymentError, DeadlineExceeded) as exc:
                return Event.UNKNOWN, {"message": f"terminal unavailable before the refund: {exc}"}
        try:
            mark = self._evidence_mark()
        except PaymentError as exc:
            mark = None
            log.warning("terminal evidence unreadable before a refund: %s", exc)
        if mark is not None:
            extra.update(refund_evidence_op_seq=mark["op_seq"], refund_evidence_receipt_no=mark["receipt_no"])
            extra.setdefault("refund_settle_by", BY_EVIDENCE)
        if "refund_settle_by" not in extra:
            return Event.UNKNOWN, {"message": "the terminal can neither repeat its last result nor keep "
                                              "evidence: a refund cannot be sent safely"}
        if ctx.lease is not None:
            ctx.lease.check()
        self.ledger.append(REFUND_RETRY_EVENT, extra, txn_id=ctx.txn_id)  # journaled before acting
        ctx.data.update(extra)
        if "baseline" in extra:
            ctx.baselines[Phase.REFUND_REQUESTED] = str(extra["baseline"])
        else:
            ctx.baselines[Phase.REFUND_REQUESTED] = EVIDENCE_BASELINE
        log.warning("txn %s: %s", ctx.txn_id, extra["message"], extra={"txn_id": ctx.txn_id})
        return self._send_followup(Cmd.REFUND, ctx)


def open_transactions(ledger: Ledger) -> list[str]:
    return [row["txn_id"] for row in ledger.transactions(states={p.value for p in OPEN})]


def blocking_transactions(ledger: Ledger, kiosk_id: str | None = None) -> list[str]:
    """This kiosk's transactions whose settlement may still depend on the terminal:
    every open one (settled before the next sale), and parked ones that will compare
    the terminal's last result with a baseline (a payment or a refund in doubt).

    A payment or refund in doubt on a terminal without Repeat Receipt does not block:
    the driver's evidence keeps every status, so a new sale hides nothing, and its
    receipt number is what settles the one in doubt (docs/money.md)."""
    out = []
    for row in ledger.transactions(states={p.value for p in OPEN} | {Phase.NEEDS_ATTENTION.value}):
        if row["state"] != Phase.NEEDS_ATTENTION.value:
            if kiosk_id is None or _kiosk_of(ledger, row["txn_id"]) in (None, kiosk_id):
                out.append(row["txn_id"])
            continue
        ctx = TxnContext.from_ledger(ledger, row["txn_id"])
        if kiosk_id is not None and ctx.data.get("kiosk_id") not in (None, kiosk_id):
            continue
        phase = _NEEDS_LAST_RESULT.get(ctx.saga.resume) if ctx.saga.resume else None
        if phase is not None and phase in ctx.baselines \
                and settles_by_last_result(ctx.data, phase, ctx.baselines[phase]):
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
        # "not_completed": the terminal never completed the payment (silent, link lost):
        # nothing was charged, and it was not the card that was declined
        result = {"cancelled": TxnResult.CANCELLED,
                  "terminal_unavailable": TxnResult.TERMINAL_UNAVAILABLE,
                  "not_completed": TxnResult.TERMINAL_UNAVAILABLE}.get(
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
        #: Set by :meth:`shutdown`: every wait of a sale or recovery ends at once.
        self.stopping = threading.Event()

    def shell(self, on_prompt: StatusCallback = _NO_PROMPT) -> SagaShell:
        return SagaShell(ledger=self.ledger, terminal=self.terminal, provider=self.provider,
                         settings=self.settings, deadlines=self.deadlines, on_prompt=on_prompt,
                         cancelled=self._cancelled, stopping=self.stopping)

    def cancel(self) -> None:
        """Customer pressed cancel: ask the terminal to abort (the saga records the decline)."""
        self._cancelled.set()
        try:
            self.terminal.abort()
        except PaymentError as exc:
            log.warning("terminal abort on cancel failed: %s", exc)

    def shutdown(self) -> None:
        """The kiosk is stopping (safe from any thread): a running sale or recovery stops
        waiting at once (aborting the terminal operation it waited for) and leaves its
        transaction in the journaled state for recovery."""
        self.stopping.set()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no sale runs (bounded); True when none does."""
        if not self._busy.acquire(timeout=max(timeout_s, 0.0)):
            return False
        self._busy.release()
        return True

    def run(self, account: Account, plan: Plan, on_prompt: StatusCallback, *,
            lang: str = "en") -> TxnOutcome:
        """One sale. Raises before anything is journaled or charged when the sale cannot
        go ahead (:meth:`check_sale`); otherwise returns how it ended. ``lang``: the
        customer's language, journaled and used for the receipt."""
        if self.stopping.is_set():
            raise ShuttingDown("the kiosk is stopping: no new sale")
        if not self._busy.acquire(blocking=False):
            raise KioskError("a transaction is already running", code="txn_busy")
        try:
            self._cancelled.clear()
            account = self.check_sale(account, plan)
            terminal = self.ownership.terminal
            try:
                terminal.acquire(self.ownership.wait_s)
            except TerminalBusy as exc:  # the caller shows the refusal: its one line, not two
                log.error("sale refused: %s", exc, extra={"on_stderr": False})
                return TxnOutcome("", TxnResult.TERMINAL_UNAVAILABLE, "not_started", str(exc))
            try:
                try:
                    self._settle_earlier()
                except TerminalBlocked as exc:
                    log.error("sale refused: %s", exc, extra={"on_stderr": False})
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
                deadlines=self.deadlines, ownership=self.ownership, only=set(blocking),
                stopping=self.stopping)
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
            caps = terminal_capabilities(self.terminal)
            if preauth and caps is not None and caps.preauth is False:
                log.warning("[terminal] preauth is set but this terminal does not permit pre-authorisation: "
                            "selling with authorization and reversal")
                preauth = False
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
