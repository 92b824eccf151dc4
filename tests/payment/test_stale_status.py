"""A Status Information still on the line from an earlier transaction is never this payment's.

A command abandoned while the terminal was still sending (a cut-short Repeat Receipt, the drop
after an abort grace) can leave an earlier transaction's 04 0F arriving after the next command
went out. The emulator's ``stale_status`` fault answers the next money command with the previous
transaction's status, receipt and completion and drops the command: nothing is charged for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.errors import PaymentOutcomeUnknown
from kiosk.ports import TerminalPrompt
from kiosk.reconcile import payment_from_evidence
from payment.emulator import ZvtEmulator, count, read_journal
from payment.zvt.messages import StatusInformation
from payment.zvt.terminal import ZvtTerminal
from tests.payment.conftest import section

MakeEmu = Callable[..., ZvtEmulator]
MakeTerm = Callable[..., ZvtTerminal]


def _ignore(prompt: TerminalPrompt, text: str) -> None:
    return None


def test_a_stale_approval_of_the_same_amount_is_not_the_next_sales(
        make_emulator: MakeEmu, make_terminal: MakeTerm, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """Two customers buying the same $25 plan: the first sale's "approved, 25.00, receipt 0001"
    arriving after the second Authorization is the first sale's, not a second approval."""
    emu = make_emulator()
    term = make_terminal(emu, state_dir=tmp_path / "state")
    first = term.authorize(2500, "USD", _ignore)
    assert first.approved and first.receipt_no == "0001"
    mark = term.evidence()
    emu.update(stale_status=True)
    with caplog.at_level(logging.WARNING, logger="payment.zvt"), \
            pytest.raises(PaymentOutcomeUnknown):
        term.authorize(2500, "USD", _ignore)
    assert emu.stats["stale_statuses"] == 1
    assert count(read_journal(emu.journal.path), "approval") == 1  # nothing charged for it
    assert any("trace 000001 already seen" in r.getMessage()
               for r in caplog.records)
    # the evidence does not make the stale status the second sale's own (nor its successor's)
    verdict = payment_from_evidence(term.evidence(), mark_op_seq=mark.op_seq,
                                    mark_receipt_no=mark.last_receipt_no, amount_cents=2500)
    assert verdict.outcome != "approved" and verdict.outcome != "not_charged"
    assert term.evidence().last_receipt_no == "0001"
    # the terminal sells again, with a fresh receipt number
    third = term.authorize(2500, "USD", _ignore)
    assert third.approved and third.receipt_no == "0002"
    settled = payment_from_evidence(term.evidence(), mark_op_seq=mark.op_seq,
                                    mark_receipt_no=mark.last_receipt_no, amount_cents=2500)
    assert settled.outcome == "not_charged"


def test_a_stale_status_of_another_amount_is_not_this_payments(
        make_emulator: MakeEmu, make_terminal: MakeTerm) -> None:
    """A status the driver never saw (its own evidence lost) still cannot be this payment's
    when its amount is not the amount asked for; a stale decline is no decline either."""
    emu = make_emulator(decline=True)
    before = make_terminal(emu)
    assert not before.authorize(1000, "USD", _ignore).approved
    before.close()
    emu.update(decline=False, stale_status=True)
    term = make_terminal(emu)  # another process: it never saw receipt 0001
    with pytest.raises(PaymentOutcomeUnknown):
        term.authorize(2500, "USD", _ignore)
    assert term.authorize(2500, "USD", _ignore).approved


def test_a_refund_is_guarded_too(make_emulator: MakeEmu, make_terminal: MakeTerm) -> None:
    emu = make_emulator()
    term = make_terminal(emu)
    assert term.refund(700, "USD", _ignore).approved
    emu.update(stale_status=True)
    with pytest.raises(PaymentOutcomeUnknown):
        term.refund(700, "USD", _ignore)
    assert count(read_journal(emu.journal.path), "refund") == 1


def test_an_answer_arriving_after_its_command_was_abandoned_is_kept_not_crossed(
        make_emulator: MakeEmu, make_terminal: MakeTerm, tmp_path: Path) -> None:
    """A terminal deaf to 06 B0 books after the driver gave up on the sale (T4). Before the next
    registration the driver lets the line fall silent: the late approval is acknowledged and kept
    as evidence (it names the receipt staff must check), and the next sale is a clean one."""
    # T3 1 s on both sides: the quiet interval (T3) covers the terminal's retry interval
    emu = make_emulator(ack_timeout_s=1.0, ignore_abort=True)
    term = make_terminal(emu, state_dir=tmp_path / "state", ack_timeout_s=1.0)
    assert term.authorize(2500, "USD", _ignore).receipt_no == "0001"
    mark = term.evidence()
    emu.update(host_delay_s=1.8)  # T4 is 1.5 s: the driver gives up first, then it books 0002
    with pytest.raises(PaymentOutcomeUnknown):
        term.authorize(2500, "USD", _ignore)
    emu.update(host_delay_s=0.0)
    sale = term.authorize(2500, "USD", _ignore)
    assert sale.approved and sale.receipt_no == "0003"
    late = [s for s in term.evidence().since(mark.op_seq) if s.receipt_no == "0002"]
    assert [s.operation for s in late] == ["foreign"]
    verdict = payment_from_evidence(term.evidence(), mark_op_seq=mark.op_seq,
                                    mark_receipt_no=mark.last_receipt_no, amount_cents=2500)
    assert verdict.outcome == "undetermined" and verdict.missing_receipts == ("0002",)
    assert count(read_journal(emu.journal.path), "approval") == 3


def test_a_completion_without_any_status_information_is_no_approval(
        make_emulator: MakeEmu, make_terminal: MakeTerm) -> None:
    """An earlier transaction's 06 0F alone, crossing the next Authorization: a payment is
    always answered with its own status information, so a bare completion proves nothing."""
    emu = make_emulator()
    term = make_terminal(emu)
    assert term.authorize(2500, "USD", _ignore).approved
    emu.update(stale_completion=True)
    with pytest.raises(PaymentOutcomeUnknown):
        term.authorize(2500, "USD", _ignore)
    assert count(read_journal(emu.journal.path), "approval") == 1
    assert term.authorize(2500, "USD", _ignore).receipt_no == "0002"


def _st(*, amount: int = 2500, receipt: int | None = 1, trace: int | None = 1,
        tid: int = 52500001) -> StatusInformation:
    return StatusInformation(result_code=0, amount_cents=amount, receipt_no=receipt,
                             trace_no=trace, terminal_id=tid)


def test_which_numbers_make_a_status_foreign() -> None:
    """Unit: the trace number decides when sent (receipt numbers restart with a batch the
    terminal may close on its own), else the receipt number since the last end of day; another
    terminal's numbers do not count; the amount must be the one asked for."""
    term = ZvtTerminal(section("loop://"))  # no I/O: only the state is used
    try:
        term._state.status(1, "authorize", _st())
        assert term._not_ours(_st(receipt=2, trace=2), 2500) is None
        assert "trace 000001 already seen for operation 1" in (term._not_ours(_st(), 2500) or "")
        assert term._not_ours(_st(receipt=1, trace=2), 2500) is None  # receipts restarted
        assert "receipt 0001" in (term._not_ours(_st(trace=None), 2500) or "")
        assert "amount 10.00 for a request of 25.00" in (
            term._not_ours(_st(amount=1000, receipt=9, trace=9), 2500) or "")
        assert term._not_ours(_st(tid=52500002), 2500) is None  # a replaced terminal
        assert term._not_ours(_st(receipt=None, trace=None), 2500) is None
        term._state.status(2, "end_of_day", _st(receipt=None, trace=None, amount=2500))
        assert term._not_ours(_st(trace=None), 2500) is None  # a new batch
    finally:
        term.close()
