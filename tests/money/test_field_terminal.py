"""The shell with a terminal as it behaves in the field (issue 14): no Repeat Receipt, the
driver's evidence, deadlines from the terminal, completions missing, shutdown.

``FieldFake`` is the money tests' in-memory terminal plus the optional
:class:`kiosk.ports.FieldTerminal` API, with the ZVT driver's evidence semantics: every
operation is numbered (``op_seq``) when it starts and its final status is kept before it
is reported, unless the test says the status never reached the kiosk.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import kiosk.txn as txn_mod
from kiosk.errors import PaymentOutcomeUnknown, TerminalFunctionUnsupported
from kiosk.ports import (
    PaymentResult,
    SeenStatus,
    StatusCallback,
    TerminalActivity,
    TerminalCapabilities,
    TerminalEvidence,
    TxnResult,
)
from kiosk.recovery import recover
from kiosk.topup import demo_catalog
from tests.money.conftest import FAST, FakeTerminal, Rig
from tests.money.test_txn import ACCOUNT, PLAN, assert_money_invariant, states

OTHER_PLAN = next(p for p in demo_catalog() if p.carrier == PLAN.carrier and p.id != PLAN.id)


class FieldFake(FakeTerminal):
    """Modes besides FakeTerminal's: ``lose`` keeps the status in the evidence (it reached
    the kiosk, the completion did not), ``lose_unseen`` books but the status is lost on the
    way, ``no_completion`` approves with ``completion_missing``."""

    def __init__(self, *, repeat_receipt: bool | None = False) -> None:
        super().__init__()
        self.repeat_receipt = repeat_receipt
        self.op_seq = 0
        self.statuses: list[SeenStatus] = []
        self.deadlines: dict[str, float] = {}
        self.asked: list[str] = []

    # FieldTerminal
    def capabilities(self) -> TerminalCapabilities:
        return TerminalCapabilities(repeat_receipt=self.repeat_receipt, source="test")

    def deadline_for(self, operation: str) -> float:
        self.asked.append(operation)
        return self.deadlines.get(operation, 2.0)

    def evidence(self) -> TerminalEvidence:
        return TerminalEvidence(self.op_seq, tuple(self.statuses))

    def activity(self) -> TerminalActivity:
        return TerminalActivity(None, False, 0.0, "idle")

    # PaymentTerminal
    def last_result(self) -> PaymentResult | None:
        if self.repeat_receipt is not True:
            self.calls.append("last_result")
            self.op_seq += 1
            self.repeat_receipt = False  # probed: 84 83
            raise TerminalFunctionUnsupported("no repeat receipt", function="repeat_receipt")
        return super().last_result()

    def _money(self, kind: str, amount: int, mode: str, original: str | None = None) -> PaymentResult:
        self.op_seq += 1
        op = self.op_seq
        operation = {"approval": "authorize", "preauth": "reserve"}.get(kind, kind)
        if mode == "no_completion":
            result = super()._money(kind, amount, "approve", original)
            self._keep(op, operation, result)
            return PaymentResult(**{**result.__dict__, "completion_missing": True})
        if mode in ("lose", "lose_unseen"):
            result = self._record(kind, amount, True, original)
            if mode == "lose":
                self._keep(op, operation, result)
            self.calls.append(kind)
            raise PaymentOutcomeUnknown(f"fake: {mode}")
        result = super()._money(kind, amount, mode, original)
        self._keep(op, operation, result)
        return result

    def _keep(self, op: int, operation: str, result: PaymentResult) -> None:
        self.statuses.append(SeenStatus(op, operation, dt.datetime.now(dt.UTC), result.result_code,
                                        result.amount_cents, result.receipt_no, result.trace_no, "12345678"))


@pytest.fixture
def field(rig: Rig) -> Rig:
    rig.terminal = FieldFake()
    return rig


def txn_events(rig: Rig, txn_id: str) -> list[dict[str, Any]]:
    return [e.payload for e in rig.ledger.events(txn_id=txn_id)]


def merged(rig: Rig, txn_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for payload in txn_events(rig, txn_id):
        out.update(payload)
    return out


def test_a_terminal_without_repeat_receipt_sells_and_journals_its_evidence_mark(field: Rig) -> None:
    term = field.terminal
    assert isinstance(term, FieldFake)
    term.repeat_receipt = None  # not known yet: the first baseline finds out (84 83)
    first = field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    second = field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert first.result is TxnResult.COMPLETED and second.result is TxnResult.COMPLETED
    assert term.calls.count("last_result") == 1  # once known, never asked again
    requested = next(p for p in txn_events(field, second.txn_id) if p.get("state") == "payment_requested")
    assert requested["settle_by"] == "evidence" and requested["baseline"] == "evidence"
    assert requested["evidence_receipt_no"] == "0001" and isinstance(requested["evidence_op_seq"], int)
    assert "last_result" in term.asked and "authorize" in term.asked  # deadlines from the terminal
    assert_money_invariant(field)


def test_a_status_kept_by_the_driver_settles_a_lost_answer(field: Rig) -> None:
    field.terminal.mode = "lose"
    out = field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.COMPLETED
    assert "payment_unknown" in states(field, out.txn_id)
    data = merged(field, out.txn_id)
    assert data["settled_by"] == "evidence" and data["terminal_receipt_no"] == "0001"
    assert_money_invariant(field)


def test_a_payment_never_booked_is_proven_by_the_next_sales_receipt_number(field: Rig) -> None:
    """Payment in doubt, nothing booked: it does not block the next sale, whose receipt
    number (the one right after the mark) proves the first was not charged."""
    field.runner().run(ACCOUNT, PLAN, lambda p, t: None)  # receipt 0001: the mark's receipt
    field.terminal.mode = "lose_before"
    doubt = field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert doubt.result is TxnResult.NEEDS_ATTENTION
    assert txn_mod.blocking_transactions(field.ledger) == []  # never "terminal blocked"
    skipped = recover(ledger=field.ledger, terminal=field.terminal, provider=field.provider,
                      settings=field.settings, deadlines=FAST)
    assert skipped.waiting_for_evidence == [doubt.txn_id]  # nothing new at the terminal: not retried
    assert states(field, doubt.txn_id)[-2:] == ["payment_unknown", "needs_attention"]  # journaled once
    field.terminal.mode = "approve"
    nxt = field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert nxt.result is TxnResult.COMPLETED
    report = recover(ledger=field.ledger, terminal=field.terminal, provider=field.provider,
                     settings=field.settings, deadlines=FAST)
    assert [r.to_state for r in report.resolved] == ["payment_declined"]
    assert field.ledger.transaction(doubt.txn_id)["state"] == "payment_declined"  # type: ignore[index]
    assert_money_invariant(field)


def test_a_booking_the_kiosk_never_saw_is_a_precise_task_for_staff(field: Rig) -> None:
    """The terminal booked (receipt 0002) but the status was lost: the next sale gets 0003,
    so 0002 is unaccounted for; staff gets the receipt number and the amount, and recovery
    stops retrying (nothing more can be learnt)."""
    field.runner().run(ACCOUNT, PLAN, lambda p, t: None)  # receipt 0001: the mark's receipt
    field.terminal.mode = "lose_unseen"
    doubt = field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert doubt.result is TxnResult.NEEDS_ATTENTION
    field.terminal.mode = "approve"
    assert field.runner().run(ACCOUNT, PLAN, lambda p, t: None).result is TxnResult.COMPLETED
    recover(ledger=field.ledger, terminal=field.terminal, provider=field.provider,
            settings=field.settings, deadlines=FAST)
    data = merged(field, doubt.txn_id)
    assert field.ledger.transaction(doubt.txn_id)["state"] == "needs_attention"  # type: ignore[index]
    assert data["resume"] is None and data["missing_receipts"] == ["0002"]
    assert "0002" in data["operator_task"] and f"{PLAN.price_cents / 100:.2f}" in data["operator_task"]
    assert txn_mod.blocking_transactions(field.ledger) == []
    again = recover(ledger=field.ledger, terminal=field.terminal, provider=field.provider,
                    settings=field.settings, deadlines=FAST)
    assert again.resolved == []  # staff's now


def test_completion_missing_is_journaled_and_the_sale_completes(field: Rig) -> None:
    field.terminal.mode = "no_completion"
    out = field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.COMPLETED
    approved = next(p for p in txn_events(field, out.txn_id) if p.get("state") == "payment_approved")
    assert approved["completion_missing"] is True


def test_a_terminal_call_past_its_deadline_is_aborted(field: Rig) -> None:
    """The payment waits as long as the terminal says (here 0.3 s), then aborts the terminal
    operation, so the query that follows does not queue behind it."""
    term = field.terminal
    assert isinstance(term, FieldFake)
    term.deadlines["authorize"] = 0.3
    term.mode = "hang"
    started = time.monotonic()
    out = field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    term.release_hang.set()
    assert time.monotonic() - started < 5.0
    assert out.result is not TxnResult.COMPLETED
    assert term.calls.index("abort") > term.calls.index("approval")  # aborted after giving up


def test_a_refund_in_doubt_is_sent_again_only_when_proven_not_made(field: Rig) -> None:
    term = field.terminal
    field.provider.set_control(mode="fail")
    term.reverse_mode = "decline"  # the day is closed: refund
    term.refund_mode = "lose_before"  # the refund's answer is lost, nothing made
    doubt = field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert doubt.result is TxnResult.NEEDS_ATTENTION
    assert txn_mod.blocking_transactions(field.ledger) == []
    field.provider.set_control(mode="ok")
    term.reverse_mode = term.refund_mode = "approve"
    assert field.runner().run(ACCOUNT, OTHER_PLAN, lambda p, t: None).result is TxnResult.COMPLETED
    recover(ledger=field.ledger, terminal=field.terminal, provider=field.provider,
            settings=field.settings, deadlines=FAST)
    assert field.ledger.transaction(doubt.txn_id)["state"] == "reversed"  # type: ignore[index]
    assert [r["kind"] for r in term.journal].count("refund") == 1
    assert any(e.kind == "txn.refund_retry" for e in field.ledger.events(txn_id=doubt.txn_id))


def test_a_refund_whose_status_was_kept_is_never_sent_twice(field: Rig) -> None:
    term = field.terminal
    field.provider.set_control(mode="fail")
    term.reverse_mode = "decline"
    term.refund_mode = "lose"  # made, and its status reached the kiosk
    doubt = field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    term.refund_mode = "approve"
    field.provider.set_control(mode="ok")
    recover(ledger=field.ledger, terminal=field.terminal, provider=field.provider,
            settings=field.settings, deadlines=FAST)
    # settled at once in the sale (its evidence) or by recovery: one refund either way
    assert field.ledger.transaction(doubt.txn_id)["state"] in ("reversed", "needs_attention")  # type: ignore[index]
    assert [r["kind"] for r in term.journal].count("refund") == 1


def test_shutdown_ends_a_sale_waiting_for_the_terminal_and_leaves_it_recoverable(field: Rig) -> None:
    term = field.terminal
    assert isinstance(term, FieldFake)
    term.deadlines["authorize"] = 60.0
    term.mode = "hang"
    runner = field.runner()
    out: list[Any] = []

    def sale() -> None:
        try:
            runner.run(ACCOUNT, PLAN, lambda p, t: None)
        except txn_mod.ShuttingDown as exc:
            out.append(exc)

    thread = threading.Thread(target=sale)
    thread.start()
    deadline = time.monotonic() + 5
    while "approval" not in term.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    runner.shutdown()
    assert runner.wait_idle(2.0)
    thread.join(2.0)
    assert time.monotonic() - started < 1.0 and isinstance(out[0], txn_mod.ShuttingDown)
    rows = list(field.ledger.transactions())
    assert [r["state"] for r in rows] == ["payment_requested"]  # its resume point
    term.release_hang.set()
    term.mode = "approve"
    report = recover(ledger=field.ledger, terminal=term, provider=field.provider,
                     settings=field.settings, deadlines=FAST)
    assert [r.to_state for r in report.resolved] in (["payment_declined"], ["needs_attention"])


def test_the_simulated_terminals_evidence_names_the_next_payment(tmp_path: Path) -> None:
    """op_seq counts the end of day too, so a payment after it is ``mark + 1``."""
    from kiosk.config import TerminalSection
    from payment.simulated import SimulatedDelays, SimulatedTerminal

    term = SimulatedTerminal(TerminalSection(backend="simulated"), delays=SimulatedDelays(0, 0, 0, 0),
                             state_dir=tmp_path)
    noop: StatusCallback = lambda p, t: None  # noqa: E731
    term.authorize(100, "USD", noop)
    term.end_of_day()
    mark = term.evidence().op_seq
    paid = term.authorize(250, "USD", noop)
    own = [s for s in term.evidence().since(mark) if s.op_seq == mark + 1]
    assert [(s.receipt_no, s.amount_cents) for s in own] == [(paid.receipt_no, 250)]


def test_preauth_is_not_used_on_a_terminal_that_does_not_permit_it(field: Rig) -> None:
    import dataclasses

    term = field.terminal
    assert isinstance(term, FieldFake)
    field.settings = dataclasses.replace(field.settings,
                                         terminal=dataclasses.replace(field.settings.terminal, preauth=True))
    term.capabilities = lambda: TerminalCapabilities(repeat_receipt=False, preauth=False)  # type: ignore[method-assign]
    out = field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.COMPLETED
    assert "preauth" not in term.calls and "approval" in term.calls
    term.capabilities = lambda: TerminalCapabilities(repeat_receipt=False, preauth=None)  # type: ignore[method-assign]
    field.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert "preauth" in term.calls  # not known: the configuration decides


def test_a_repeated_receipt_is_not_taken_for_the_next_transactions_number() -> None:
    """Repeat Receipt's status names an old receipt number: it neither proves the payment in
    doubt uncharged nor opens a gap; only the next real transaction's number does."""
    from kiosk.reconcile import payment_from_evidence

    at = dt.datetime.now(dt.UTC)
    repeat = SeenStatus(12, "last_result", at, 0, 500, "0041", "000041")
    sale = SeenStatus(13, "authorize", at, 0, 900, "0042", "000042")
    verdict = payment_from_evidence(TerminalEvidence(12, (repeat,)), mark_op_seq=10, mark_receipt_no="0041",
                                    amount_cents=500)
    assert verdict.outcome == "undetermined" and verdict.pending and not verdict.missing_receipts
    settled = payment_from_evidence(TerminalEvidence(13, (repeat, sale)), mark_op_seq=10,
                                    mark_receipt_no="0041", amount_cents=500)
    assert settled.outcome == "not_charged"
