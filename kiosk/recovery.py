"""Crash recovery: settle every transaction the ledger shows as unfinished.

Runs on every start (before the attract screen), before every sale when a
transaction still depends on the terminal, and on demand (``kiosk recover``).
Each open transaction is fed ``RECOVER`` through the same saga and shell as a
live sale: a payment in doubt is settled from the terminal's last result, a
top-up in doubt from ``status(key)``; then the transaction goes forward
(top-up, book) or back (reverse, refund). What cannot be settled now becomes
``needs_attention`` (and, when it names a phase to resume, is tried again on
the next recovery); nothing is ever dropped.

A payment or refund in doubt on a terminal without Repeat Receipt is settled from
the driver's evidence (:func:`kiosk.reconcile.payment_from_evidence`); when the
evidence could not decide yet, it is parked and tried again only once the terminal
has done something since (a later sale's receipt number settles it).

Ownership (:mod:`kiosk.lease`): a transaction is recovered only by the process
that takes its lease, so one whose owner is alive (a sale in another process,
another ``kiosk recover``) is skipped and reported (``skipped_live``) while a dead
owner's is taken over at once. The state is re-read after the lease is taken. The
payment terminal's lock is held while a transaction is driven; when another
process keeps the terminal busy the transaction waits for a later recovery
(``skipped_terminal_busy``). Transactions another kiosk created (a shared
PostgreSQL ledger) are never acted on here (``skipped_other_kiosk``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import Settings
from kiosk.errors import KioskError, PaymentError
from kiosk.lease import Ownership, TerminalBusy
from kiosk.ledger import Ledger
from kiosk.ports import FieldTerminal, PaymentTerminal, TopUpProvider
from kiosk.saga import OPEN, Event, Phase
from kiosk.txn import (
    BY_EVIDENCE,
    Deadlines,
    SagaShell,
    ShuttingDown,
    TransactionRunner,
    TxnContext,
    outcome_of,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resolved:
    txn_id: str
    from_state: str
    to_state: str
    result: str
    message: str = ""

    def as_json(self) -> dict[str, str]:
        return {"txn_id": self.txn_id, "from": self.from_state, "to": self.to_state,
                "result": self.result, "message": self.message}


@dataclass
class RecoveryReport:
    resolved: list[Resolved] = field(default_factory=list)
    needs_attention: list[str] = field(default_factory=list)  # txn ids still unsettled
    skipped_live: list[str] = field(default_factory=list)  # owned by a live process: its owner settles it
    skipped_terminal_busy: list[str] = field(default_factory=list)  # the next recovery tries again
    skipped_other_kiosk: list[str] = field(default_factory=list)  # created by another kiosk id
    waiting_for_evidence: list[str] = field(default_factory=list)  # nothing new at the terminal yet

    @property
    def ok(self) -> bool:
        return not self.needs_attention

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "resolved": [r.as_json() for r in self.resolved],
                "needs_attention": self.needs_attention, "skipped_live": self.skipped_live,
                "skipped_terminal_busy": self.skipped_terminal_busy,
                "skipped_other_kiosk": self.skipped_other_kiosk,
                "waiting_for_evidence": self.waiting_for_evidence}


def _recoverable(ctx: TxnContext) -> bool:
    return ctx.saga.phase in OPEN or (ctx.saga.phase is Phase.NEEDS_ATTENTION and ctx.saga.resume is not None)


_EVIDENCE_PHASES = {Phase.PAYMENT_REQUESTED: "", Phase.PAYMENT_UNKNOWN: "", Phase.REFUND_REQUESTED: "refund_"}


def waits_for_evidence(ctx: TxnContext, terminal: object) -> bool:
    """A parked payment or refund settled from the terminal's evidence that saw nothing new
    since it was last judged: trying again would only journal the same doubt."""
    if ctx.saga.phase is not Phase.NEEDS_ATTENTION or ctx.saga.resume not in _EVIDENCE_PHASES:
        return False
    if ctx.data.get(_EVIDENCE_PHASES[ctx.saga.resume] + "settle_by") != BY_EVIDENCE:
        return False
    seen = ctx.data.get("evidence_seen_op_seq")
    if not isinstance(seen, int) or not isinstance(terminal, FieldTerminal):
        return False
    try:
        return terminal.evidence().op_seq <= seen
    except PaymentError:
        return False


def candidates(ledger: Ledger) -> list[str]:
    """Open transactions, plus parked ones that name a phase to resume (oldest first)."""
    states = {p.value for p in OPEN} | {Phase.NEEDS_ATTENTION.value}
    out = []
    for row in ledger.transactions(states=states):
        if row["state"] == Phase.NEEDS_ATTENTION.value:
            last = TxnContext.from_ledger(ledger, row["txn_id"])
            if last.saga.resume is None:
                continue
        out.append(row["txn_id"])
    return out


def attention_list(ledger: Ledger) -> list[dict[str, Any]]:
    """Every transaction staff must look at (for ``kiosk diag``)."""
    rows = []
    for row in ledger.transactions(states={Phase.NEEDS_ATTENTION.value}):
        ctx = TxnContext.from_ledger(ledger, row["txn_id"])
        rows.append({
            "txn_id": row["txn_id"], "created_at": row["created_at"], "updated_at": row["updated_at"],
            "stuck_at": ctx.data.get("stuck_at"),
            "retry": ctx.saga.resume.value if ctx.saga.resume else None,
            "amount_cents": row["amount_cents"], "currency": row["currency"],
            "terminal_receipt_no": row["terminal_receipt_no"], "topup_status": row["topup_status"],
            "message": ctx.data.get("message") or ctx.data.get("topup_message") or "",
        })
    return rows


def recover(
    *,
    ledger: Ledger,
    terminal: PaymentTerminal,
    provider: TopUpProvider,
    settings: Settings,
    deadlines: Deadlines | None = None,
    ownership: Ownership | None = None,
    only: Collection[str] | None = None,
    stopping: threading.Event | None = None,
) -> RecoveryReport:
    """Settle what can be settled now (``only``: just these transactions); returns what
    happened to each. Once the terminal is found busy, the remaining transactions are
    skipped without waiting again (the next recovery takes them). ``stopping`` (the
    kiosk shutting down) ends it at once with :class:`~kiosk.txn.ShuttingDown`."""
    report = RecoveryReport()
    shell = SagaShell(ledger=ledger, terminal=terminal, provider=provider, settings=settings,
                      deadlines=deadlines, stopping=stopping)
    own = ownership or Ownership.local(wait_s=settings.terminal.lock_wait_s)
    runner = TransactionRunner(ledger=ledger, terminal=terminal, provider=provider, printer=None,
                               settings=settings, deadlines=shell.deadlines, ownership=own)
    wait_s = own.wait_s
    for txn_id in candidates(ledger):
        if only is not None and txn_id not in only:
            continue
        if stopping is not None and stopping.is_set():
            raise ShuttingDown("the kiosk is stopping: recovery left for the next start")
        lease = own.leases.acquire(txn_id)
        if lease is None:
            log.info("recovery skips %s: a live process owns it", txn_id, extra={"txn_id": txn_id})
            report.skipped_live.append(txn_id)
            continue
        try:
            ctx = TxnContext.from_ledger(ledger, txn_id)  # as its last owner left it
            if not _recoverable(ctx):
                continue  # settled by its owner between the listing and the lease
            if ctx.data.get("kiosk_id") not in (None, settings.kiosk.id):
                log.warning("recovery skips %s: created by kiosk %s, this is %s", txn_id,
                            ctx.data.get("kiosk_id"), settings.kiosk.id, extra={"txn_id": txn_id})
                report.skipped_other_kiosk.append(txn_id)
                continue
            if waits_for_evidence(ctx, terminal):
                log.info("recovery of %s waits: the terminal has done nothing since its payment was "
                         "last judged", txn_id, extra={"txn_id": txn_id})
                report.waiting_for_evidence.append(txn_id)
                continue
            ctx.lease = lease
            try:
                own.terminal.acquire(wait_s)
            except TerminalBusy as exc:
                log.warning("recovery of %s waits: %s", txn_id, exc, extra={"txn_id": txn_id})
                report.skipped_terminal_busy.append(txn_id)
                wait_s = 0.0
                continue
            try:
                _recover_one(ctx, shell, runner, report)
            finally:
                own.terminal.release()
        finally:
            lease.release()
    report.needs_attention = [row["txn_id"] for row in
                              ledger.transactions(states={Phase.NEEDS_ATTENTION.value})]
    return report


def _recover_one(ctx: TxnContext, shell: SagaShell, runner: TransactionRunner, report: RecoveryReport) -> None:
    txn_id, before = ctx.txn_id, ctx.saga.phase
    try:
        shell.drive(ctx, Event.RECOVER)
    except KioskError as exc:  # the ledger itself failed, or the lease is gone: stop, the next start tries again
        log.error("recovery of %s stopped: %s", txn_id, exc, extra={"txn_id": txn_id})
        raise
    outcome = outcome_of(ctx)
    if ctx.saga.phase is Phase.COMPLETED:
        outcome = runner.issue_receipt(ctx, outcome, print_it=False)
    report.resolved.append(Resolved(txn_id, before.value, ctx.saga.phase.value,
                                    outcome.result.value, outcome.message))
    log.warning("recovered %s: %s → %s", txn_id, before.value, ctx.saga.phase.value,
                extra={"txn_id": txn_id})
