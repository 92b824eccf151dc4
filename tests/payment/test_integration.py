"""The driver through a real pseudo-terminal against the emulator (thread in-process)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from kiosk.errors import PaymentOutcomeUnknown, TerminalUnavailable
from kiosk.ports import PaymentTerminal, TerminalPrompt
from payment.emulator import ZvtEmulator, count, standing_charges
from payment.zvt.terminal import ZvtTerminal

from .conftest import ACK_TIMEOUT_S, MASTER_TIMEOUT_S

MakeEmu = Callable[..., ZvtEmulator]
MakeTerm = Callable[..., ZvtTerminal]


def _ignore(prompt: TerminalPrompt, text: str) -> None:
    return None


def test_implements_the_port(emulator: ZvtEmulator, make_terminal: MakeTerm) -> None:
    assert isinstance(make_terminal(emulator), PaymentTerminal)


def test_registration(emulator: ZvtEmulator, make_terminal: MakeTerm) -> None:
    term = make_terminal(emulator)
    report = term.register()
    assert report.ok and report.terminal_id == "52500001"
    assert emulator.registered
    assert emulator.commands == ["Registration", "RepeatReceipt"]  # the capability probe
    assert term.capabilities().repeat_receipt is True


def test_payment_approved_with_prompts(emulator: ZvtEmulator, make_terminal: MakeTerm) -> None:
    prompts: list[TerminalPrompt] = []
    result = make_terminal(emulator).authorize(1250, "USD", lambda p, t: prompts.append(p))
    assert result.approved and result.result_code == 0
    assert (result.amount_cents, result.currency) == (1250, "USD")
    assert result.receipt_no == "0001" and result.trace_no == "000001"
    assert result.card_brand == "VISA" and result.pan_masked == "476173******0119"
    assert "APPROVED" in result.receipt_lines
    assert prompts == [TerminalPrompt.INSERT_CARD, TerminalPrompt.ENTER_PIN,
                       TerminalPrompt.PROCESSING]
    assert count(emulator.journal.records, "approval") == 1


def test_decline_then_reversal_of_an_approval(make_emulator: MakeEmu,
                                              make_terminal: MakeTerm) -> None:
    emu = make_emulator(decline=True)
    term = make_terminal(emu)
    declined = term.authorize(500, "USD", _ignore)
    assert not declined.approved
    assert declined.result_code == 0x05
    assert "declined" in declined.message
    emu.update(decline=False)
    approved = term.authorize(700, "USD", _ignore)
    assert approved.approved and approved.receipt_no is not None
    reversal = term.reverse(approved.receipt_no, _ignore)
    assert reversal.approved and reversal.amount_cents == 700
    records = emu.journal.records
    assert [r["kind"] for r in records] == ["decline", "approval", "reversal"]
    assert records[2]["original_receipt_no"] == int(approved.receipt_no)
    assert standing_charges(records) == {}
    again = term.reverse(approved.receipt_no, _ignore)
    assert not again.approved and again.result_code == 0xB4


def test_end_of_day_diagnosis_status(emulator: ZvtEmulator, make_terminal: MakeTerm) -> None:
    term = make_terminal(emulator)
    term.authorize(1000, "USD", _ignore)
    term.authorize(250, "USD", _ignore)
    status = term.status()
    assert status.ok and status.terminal_id == "52500001"
    diag = term.diagnose()
    assert diag.ok and "HOST CONNECTION OK" in diag.lines
    eod = term.end_of_day()
    assert eod.ok and eod.totals_cents == 1250
    assert count(emulator.journal.records, "end_of_day") == 1


def test_reversal_after_end_of_day_is_refused(emulator: ZvtEmulator,
                                              make_terminal: MakeTerm) -> None:
    term = make_terminal(emulator)
    paid = term.authorize(900, "USD", _ignore)
    term.end_of_day()
    assert paid.receipt_no is not None
    late = term.reverse(paid.receipt_no, _ignore)
    assert not late.approved and late.result_code == 0xB5
    refund = term.refund(900, "USD", _ignore)
    assert refund.approved
    assert count(emulator.journal.records, "refund") == 1


def test_noisy_line_still_pays_exactly_once(make_emulator: MakeEmu,
                                            make_terminal: MakeTerm) -> None:
    emu = make_emulator(crc_error_rate=0.2, junk_rate=0.3, seed=7)
    term = make_terminal(emu)
    for _ in range(3):
        assert term.authorize(1250, "USD", _ignore).approved
    assert count(emu.journal.records, "approval") == 3
    assert emu.stats["crc_errors"] > 0 and emu.stats["junk_bursts"] > 0


def test_naks_from_the_terminal_are_retried(make_emulator: MakeEmu,
                                            make_terminal: MakeTerm) -> None:
    emu = make_emulator(nak_rate=0.3, seed=3)
    result = make_terminal(emu).authorize(100, "USD", _ignore)
    assert result.approved
    assert emu.stats["naks"] > 0
    assert count(emu.journal.records, "approval") == 1


@pytest.mark.parametrize("stage", ["card", "completion"])
def test_cable_pulled_mid_payment_then_next_payment_works(
        make_emulator: MakeEmu, make_terminal: MakeTerm, stage: str) -> None:
    emu = make_emulator(disconnect_at=stage, reconnect_after_s=0.3)
    term = make_terminal(emu)
    if stage == "card":
        with pytest.raises(PaymentOutcomeUnknown):
            term.authorize(1250, "USD", _ignore)
    else:  # after the final status information: its approval stands
        result = term.authorize(1250, "USD", _ignore)
        assert result.approved and result.completion_missing
    assert emu.connected.wait(5)
    result = term.authorize(300, "USD", _ignore)
    assert result.approved
    approvals = [r for r in emu.journal.records if r["kind"] == "approval"]
    assert [r["amount_cents"] for r in approvals] == ([1250, 300] if stage == "completion"
                                                       else [300])


def test_abort_during_card_wait(make_emulator: MakeEmu, make_terminal: MakeTerm) -> None:
    emu = make_emulator(card_delay_s=5.0)
    term = make_terminal(emu, master_timeout_s=10.0)
    inserted = threading.Event()

    def on_status(prompt: TerminalPrompt, text: str) -> None:
        if prompt is TerminalPrompt.INSERT_CARD:
            inserted.set()

    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(
        term.authorize(1250, "USD", on_status)))
    worker.start()
    assert inserted.wait(5)
    term.abort()
    worker.join(10)
    (result,) = outcome
    assert not result.approved and result.result_code == 0x6C  # type: ignore[attr-defined]
    assert [r["kind"] for r in emu.journal.records] == ["abort"]
    emu.update(card_delay_s=0.0)
    assert term.authorize(100, "USD", _ignore).approved  # the abort flag did not stick


def test_abort_when_idle_is_harmless(emulator: ZvtEmulator, make_terminal: MakeTerm) -> None:
    term = make_terminal(emulator)
    term.abort()
    assert term.authorize(100, "USD", _ignore).approved


def test_missing_port_is_unavailable(tmp_path: object, make_terminal: MakeTerm) -> None:
    from kiosk.config import TerminalSection

    term = ZvtTerminal(TerminalSection(port="/nonexistent/tty", ack_timeout_s=0.2,
                                       master_timeout_s=0.5))
    try:
        with pytest.raises(TerminalUnavailable):
            term.status()
    finally:
        term.close()


def test_last_result_without_history_is_none(emulator: ZvtEmulator,
                                             make_terminal: MakeTerm) -> None:
    assert make_terminal(emulator).last_result() is None


def test_preauthorisation_book_and_release(emulator: ZvtEmulator,
                                           make_terminal: MakeTerm) -> None:
    term = make_terminal(emulator)
    hold = term.reserve(2000, "USD", _ignore)
    assert hold.approved and hold.receipt_no is not None
    booked = term.book_total(hold.receipt_no, 1500, "USD", _ignore)
    assert booked.approved
    other = term.reserve(800, "USD", _ignore)
    assert other.receipt_no is not None
    released = term.release(other.receipt_no, 800, "USD", _ignore)
    assert released.approved
    kinds = [r["kind"] for r in emulator.journal.records]
    assert kinds == ["preauth", "book_total", "preauth", "preauth_reversal"]
    assert list(standing_charges(emulator.journal.records).values()) == [1500]


def test_health(emulator: ZvtEmulator, make_terminal: MakeTerm) -> None:
    health = make_terminal(emulator).health()
    assert health.ok and health.name == "terminal"


def test_timeouts_used_are_short() -> None:
    assert ACK_TIMEOUT_S < 1 and MASTER_TIMEOUT_S < 2
