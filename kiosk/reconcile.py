"""End of day, reconciled: the terminal's batch totals against the ledger's money movements.

The terminal closes its batch and reports the net total (BMP 04), and when it
sends them the number of transactions and the batch's receipt-number range
(BMP 60). The ledger's view of the same batch is every charge minus every
reversal and refund the shell journaled since the previous end of day (and,
when the terminal names its receipt range, only those receipts). The two must
be equal; a difference is an alert: it is journaled (``terminal.end_of_day``
with ``matches: false``, synced upstream like every event) together with the
unsettled transactions whose amount would explain it.

How movements are read from the shell's events (``kiosk/txn.py``):

* a sale's ``txn.payment_approved`` with ``terminal_receipt_no``: a charge of
  ``paid_amount_cents`` (pre-authorisation: a reservation, not a charge);
* ``capture_receipt_no`` with ``capture_result_code`` 0: the booked charge of a
  reservation;
* ``reverse_receipt_no`` with ``reverse_result_code`` 0 on a sale: a reversal
  (on a reservation it is a release: no money moved);
* ``refund_receipt_no`` (result code 0 or absent): a refund.

``payment_from_evidence`` settles a payment in doubt on a terminal without
Repeat Receipt from the driver's evidence (``FieldTerminal.evidence()``).

``reconcile``, ``movements`` and ``payment_from_evidence`` are pure;
``reconcile_ledger`` and ``journal_end_of_day`` use the ledger's public API only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.ports import FOREIGN_STATUS, SeenStatus, TerminalEvidence, TerminalReport

END_OF_DAY_EVENT = "terminal.end_of_day"

#: Operations whose status repeats an earlier transaction (no receipt number of their own);
#: a foreign status (an earlier transaction's answer still on the line) likewise.
REPEATS = frozenset({"last_result", FOREIGN_STATUS})

#: Transaction states in which a charge may exist that the ledger does not show yet.
UNSETTLED = frozenset({"payment_requested", "payment_unknown", "needs_attention"})


class EventLike(Protocol):
    seq: int
    txn_id: str | None
    at: str
    kind: str
    payload: dict[str, Any]


class LedgerLike(Protocol):
    def events(self, after_seq: int = 0, limit: int | None = None, *,
               txn_id: str | None = None) -> Iterable[Any]: ...

    def transactions(self, *, states: frozenset[str] | set[str] | None = None,
                     since: str | None = None, until: str | None = None) -> Iterable[dict[str, Any]]: ...

    def append(self, kind: str, payload: Any, *, txn_id: str | None = None,
               at: dt.datetime | None = None) -> Any: ...


@dataclass(frozen=True)
class Movement:
    """One money movement the ledger knows of."""

    txn_id: str
    kind: str  # "charge", "reversal", "refund"
    receipt_no: str | None
    amount_cents: int
    at: str

    @property
    def signed_cents(self) -> int:
        return self.amount_cents if self.kind == "charge" else -self.amount_cents


@dataclass(frozen=True)
class Reconciliation:
    terminal_cents: int | None
    ledger_cents: int
    terminal_count: int | None = None
    ledger_count: int = 0
    charges_cents: int = 0
    reversals_cents: int = 0
    refunds_cents: int = 0
    batch_no: int | None = None
    terminal_id: str | None = None
    receipt_from: str | None = None
    receipt_to: str | None = None
    since: str | None = None  # the ledger window starts after the previous end of day
    suspects: tuple[str, ...] = ()  # unsettled transactions that would explain a difference
    movements: tuple[Movement, ...] = field(default=(), repr=False)

    @property
    def difference_cents(self) -> int | None:
        return None if self.terminal_cents is None else self.terminal_cents - self.ledger_cents

    @property
    def matches(self) -> bool:
        if self.difference_cents != 0:
            return False
        return self.terminal_count is None or self.terminal_count == self.ledger_count

    def as_json(self) -> dict[str, Any]:
        return {
            "matches": self.matches, "batch_no": self.batch_no, "terminal_id": self.terminal_id,
            "terminal_cents": self.terminal_cents, "terminal_count": self.terminal_count,
            "ledger_cents": self.ledger_cents, "ledger_count": self.ledger_count,
            "charges_cents": self.charges_cents, "reversals_cents": self.reversals_cents,
            "refunds_cents": self.refunds_cents, "difference_cents": self.difference_cents,
            "receipt_from": self.receipt_from, "receipt_to": self.receipt_to,
            "since": self.since, "suspects": list(self.suspects),
        }

    def summary(self) -> str:
        """One line for people: the comparison and what to do about a difference."""
        def money(cents: int | None) -> str:
            return "?" if cents is None else f"{cents / 100:.2f}"

        head = (f"terminal {money(self.terminal_cents)} vs ledger {money(self.ledger_cents)} "
                f"(charges {money(self.charges_cents)} - reversals {money(self.reversals_cents)} "
                f"- refunds {money(self.refunds_cents)})")
        if self.matches:
            return f"end of day reconciled: {head}"
        text = f"END OF DAY MISMATCH: {head}, difference {money(self.difference_cents)}"
        if self.terminal_count is not None and self.terminal_count != self.ledger_count:
            text += f", {self.terminal_count} transactions at the terminal, {self.ledger_count} in the ledger"
        if self.suspects:
            text += f"; check transaction(s) {', '.join(self.suspects)} against the terminal's journal"
        else:
            text += "; compare the terminal's end-of-day receipt with `kiosk ledger export`"
        return text


# --------------------------------------------------------------------------- pure


def movements(events: Iterable[EventLike]) -> list[Movement]:
    """The money movements of the shell's transaction events (see the module docstring)."""
    method: dict[str, str] = {}
    amount: dict[str, int] = {}
    seen: set[tuple[str, str, str | None]] = set()
    out: list[Movement] = []

    def add(txn: str, kind: str, receipt: object, cents: object, at: str) -> None:
        key = (txn, kind, str(receipt) if receipt is not None else None)
        if key in seen:
            return
        seen.add(key)
        value = cents if isinstance(cents, int) else amount.get(txn, 0)
        out.append(Movement(txn, kind, str(receipt) if receipt is not None else None, value, at))

    for ev in events:
        txn, p = ev.txn_id, ev.payload
        if not txn or not ev.kind.startswith("txn."):
            continue
        if p.get("state") == "created":
            method[txn] = str(p.get("method") or ("preauth" if p.get("preauth") else "sale"))
            if isinstance(p.get("amount_cents"), int):
                amount[txn] = int(p["amount_cents"])
        sale = method.get(txn, "sale") == "sale"
        if sale and p.get("state") == "payment_approved" and p.get("terminal_receipt_no"):
            add(txn, "charge", p["terminal_receipt_no"], p.get("paid_amount_cents"), ev.at)
        if p.get("capture_receipt_no") and p.get("capture_result_code") == 0:
            add(txn, "charge", p["capture_receipt_no"], amount.get(txn), ev.at)
        if sale and p.get("reverse_receipt_no") and p.get("reverse_result_code") == 0:
            add(txn, "reversal", p["reverse_receipt_no"], amount.get(txn), ev.at)
        if p.get("refund_receipt_no") and p.get("refund_result_code") in (0, None):
            add(txn, "refund", p["refund_receipt_no"], amount.get(txn), ev.at)
    return out


def in_range(receipt: str | None, first: str | None, last: str | None) -> bool:
    """Is ``receipt`` within the batch's receipt range (which may wrap past 9999)?"""
    if first is None or last is None:
        return True
    if receipt is None or not receipt.isdigit():
        return False
    r, a, b = int(receipt), int(first), int(last)
    return a <= r <= b if a <= b else (r >= a or r <= b)


def reconcile(report: TerminalReport, moves: Iterable[Movement], *, since: str | None = None,
              unsettled: Iterable[dict[str, Any]] = ()) -> Reconciliation:
    """Compare the terminal's end-of-day report with the ledger's movements of that batch."""
    batch = [m for m in moves if in_range(m.receipt_no, report.receipt_from, report.receipt_to)]
    totals = {kind: sum(m.amount_cents for m in batch if m.kind == kind)
              for kind in ("charge", "reversal", "refund")}
    ledger = totals["charge"] - totals["reversal"] - totals["refund"]
    rec = Reconciliation(
        terminal_cents=report.totals_cents, ledger_cents=ledger,
        terminal_count=report.totals_count, ledger_count=len(batch),
        charges_cents=totals["charge"], reversals_cents=totals["reversal"],
        refunds_cents=totals["refund"], batch_no=report.batch_no, terminal_id=report.terminal_id,
        receipt_from=report.receipt_from, receipt_to=report.receipt_to, since=since,
        movements=tuple(batch))
    diff = rec.difference_cents
    if diff:
        suspects = tuple(str(row["txn_id"]) for row in unsettled
                         if isinstance(row.get("amount_cents"), int) and row["amount_cents"] > 0
                         and abs(diff) % row["amount_cents"] == 0)
        rec = dataclasses.replace(rec, suspects=suspects)
    return rec


def end_of_day_due(now: dt.datetime, at: str, last: dt.datetime | None) -> bool:
    """``[terminal] end_of_day_at`` ("HH:MM"): due once ``now`` (the kiosk's local time,
    aware) has passed today's HH:MM and the last end of day (``last``) was before it."""
    if not at:
        return False
    hh, _, mm = at.partition(":")
    today = now.replace(hour=int(hh), minute=int(mm), second=0, microsecond=0)
    return now >= today and (last is None or last < today)


# --------------------------------------------------------------------------- evidence


@dataclass(frozen=True)
class EvidenceVerdict:
    """What the driver's evidence proves about one payment in doubt.

    ``outcome``: ``approved`` / ``declined`` (the terminal's final status reached
    the kiosk: ``status`` holds it), ``not_charged`` (the terminal's next receipt
    number follows the one before the payment: it booked nothing in between), or
    ``undetermined`` (``task`` says what staff must check; ``pending`` when a
    later sale or the end of day may still settle it).
    """

    outcome: str
    status: SeenStatus | None = None
    missing_receipts: tuple[str, ...] = ()
    pending: bool = False
    task: str = ""


def payment_from_evidence(evidence: TerminalEvidence, *, mark_op_seq: int,
                          mark_receipt_no: str | None, amount_cents: int,
                          operations: tuple[str, ...] = ("authorize", "reserve")) \
        -> EvidenceVerdict:
    """Settle a payment in doubt from the statuses the driver kept.

    ``mark_op_seq`` / ``mark_receipt_no``: ``evidence().op_seq`` and
    ``last_receipt_no`` journaled right before the payment call, so the payment is
    the driver's operation ``mark_op_seq + 1``. The receipt-number rule assumes the
    terminal numbers every transaction it books or declines and that only this
    kiosk uses it (true of a kiosk's dedicated terminal; check per model).
    """
    later = evidence.since(mark_op_seq)
    own = [s for s in later if s.op_seq == mark_op_seq + 1 and s.operation in operations
           and s.result_code is not None]
    later = tuple(s for s in later if s.op_seq > mark_op_seq + 1)
    money = f"{amount_cents / 100:.2f}"
    if own:
        st = own[0]
        if st.result_code == 0:
            if st.amount_cents not in (None, amount_cents):
                return EvidenceVerdict("undetermined", st, task=(
                    f"the terminal approved {st.amount_cents} cents (receipt {st.receipt_no}) "
                    f"for a payment of {money}: check its journal"))
            return EvidenceVerdict("approved", st)
        return EvidenceVerdict("declined", st)
    # a repeated receipt (Repeat Receipt's status) names an old transaction's number, not a new one
    numbered = [s for s in later if s.receipt_no and s.receipt_no.isdigit() and s.operation not in REPEATS]
    if mark_receipt_no is None or not mark_receipt_no.isdigit():
        return EvidenceVerdict("undetermined", pending=False, task=(
            f"payment of {money} in doubt and the terminal has no receipt number from before it: "
            "check the terminal's journal for an approval of that amount"))
    if not numbered:
        return EvidenceVerdict("undetermined", pending=True, task=(
            f"payment of {money} in doubt: settles at the terminal's next transaction or end "
            f"of day (receipt after {mark_receipt_no})"))
    before = int(mark_receipt_no)
    following = before % 9999 + 1
    first = int(numbered[0].receipt_no or 0)
    if first == following:
        return EvidenceVerdict("not_charged")
    missing: list[str] = []
    n = following
    while n != first and len(missing) < 20:
        missing.append(f"{n:04d}")
        n = n % 9999 + 1
    return EvidenceVerdict("undetermined", missing_receipts=tuple(missing), task=(
        f"payment of {money} in doubt: the terminal used receipt(s) {', '.join(missing)} that "
        "the kiosk never saw; check them in the terminal's journal and reverse or refund an "
        f"approval of {money}"))


# --------------------------------------------------------------------------- ledger


def reconcile_ledger(ledger: LedgerLike, report: TerminalReport) -> Reconciliation:
    """Read the batch's movements from the ledger (after the previous end of day)."""
    events = list(ledger.events())
    start, since = 0, None
    for ev in events:
        if ev.kind == END_OF_DAY_EVENT:
            start, since = ev.seq, ev.at
    moves = movements(ev for ev in events if ev.seq > start)
    unsettled = list(ledger.transactions(states=set(UNSETTLED)))
    return reconcile(report, moves, since=since, unsettled=unsettled)


def journal_end_of_day(ledger: LedgerLike, report: TerminalReport, rec: Reconciliation, *,
                       at: dt.datetime | None = None) -> None:
    """Journal the terminal's totals and the comparison (the alert when they differ);
    ``at``: when (default now), which the scheduled end of day reads back."""
    payload = {**rec.as_json(), "ok": report.ok, "result_code": report.result_code,
               "message": report.message, "summary": rec.summary(),
               "at": report.at.isoformat() if report.at else None}
    ledger.append(END_OF_DAY_EVENT, payload, at=at)
