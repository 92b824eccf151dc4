"""Crash recovery: settle every transaction the ledger shows as unfinished.

Runs on every start (before the attract screen), before every sale when a
transaction still depends on the terminal, and on demand (``kiosk recover``).
Each open transaction is fed ``RECOVER`` through the same saga and shell as a
live sale: a payment in doubt is settled from the terminal's last result, a
top-up in doubt from ``status(key)``; then the transaction goes forward
(top-up, book) or back (reverse, refund). What cannot be settled now becomes
``needs_attention`` (and, when it names a phase to resume, is tried again on
the next recovery); nothing is ever dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import Settings
from kiosk.errors import KioskError
from kiosk.ledger import Ledger
from kiosk.ports import PaymentTerminal, TopUpProvider
from kiosk.saga import OPEN, Event, Phase
from kiosk.txn import Deadlines, SagaShell, TransactionRunner, TxnContext, outcome_of

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

    @property
    def ok(self) -> bool:
        return not self.needs_attention

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "resolved": [r.as_json() for r in self.resolved],
                "needs_attention": self.needs_attention}


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
) -> RecoveryReport:
    """Settle what can be settled now; returns what happened to each transaction."""
    report = RecoveryReport()
    shell = SagaShell(ledger=ledger, terminal=terminal, provider=provider, settings=settings,
                      deadlines=deadlines)
    runner = TransactionRunner(ledger=ledger, terminal=terminal, provider=provider, printer=None,
                               settings=settings, deadlines=shell.deadlines)
    for txn_id in candidates(ledger):
        ctx = TxnContext.from_ledger(ledger, txn_id)
        before = ctx.saga.phase
        try:
            shell.drive(ctx, Event.RECOVER)
        except KioskError as exc:  # the ledger itself failed: stop, the next start tries again
            log.error("recovery of %s stopped: %s", txn_id, exc, extra={"txn_id": txn_id})
            raise
        outcome = outcome_of(ctx)
        if ctx.saga.phase is Phase.COMPLETED:
            outcome = runner.issue_receipt(ctx, outcome, print_it=False)
        report.resolved.append(Resolved(txn_id, before.value, ctx.saga.phase.value,
                                        outcome.result.value, outcome.message))
        log.warning("recovered %s: %s → %s", txn_id, before.value, ctx.saga.phase.value,
                    extra={"txn_id": txn_id})
    report.needs_attention = [row["txn_id"] for row in
                              ledger.transactions(states={Phase.NEEDS_ATTENTION.value})]
    return report
