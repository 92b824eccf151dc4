"""The driver against terminals as they behave in the field (emulator on a real pty).

The fault matrix (test_fault_matrix.py) covers every fault's outcome and bound;
these tests cover what a matrix row cannot: capabilities kept across restarts,
evidence a later process reads, giving up, closing, activity, status layouts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.config import TerminalSection
from kiosk.errors import PaymentOutcomeUnknown, TerminalFunctionUnsupported
from kiosk.ports import FieldTerminal, TerminalPrompt
from kiosk.reconcile import payment_from_evidence
from payment.emulator import ZvtEmulator, count
from payment.errors import TerminalRejected
from payment.zvt.terminal import ZvtTerminal
from payment.zvt.timing import Timing
from tests.payment.conftest import ACK_TIMEOUT_S

MakeEmu = Callable[..., ZvtEmulator]
MakeTerm = Callable[..., ZvtTerminal]


def _ignore(prompt: TerminalPrompt, text: str) -> None:
    return None


def test_implements_the_optional_field_port(emulator: ZvtEmulator, make_terminal: MakeTerm) -> None:
    assert isinstance(make_terminal(emulator), FieldTerminal)


@pytest.mark.parametrize("layout", ["bmp", "lllvar", "tlv"])
def test_status_enquiry_layouts(make_emulator: MakeEmu, make_terminal: MakeTerm,
                                layout: str) -> None:
    emu = make_emulator(status_layout=layout, terminal_status=0xDF, software_version="V 2.1")
    report = make_terminal(emu).status()
    assert not report.ok and report.result_code == 0xDF
    assert "out of order" in report.message
    assert report.terminal_id == "52500001"
    assert report.software_version == (None if layout == "bmp" else "V 2.1")
    assert emu.commands == ["StatusEnquiry"]  # no registration needed


def test_capabilities_probed_once_and_kept(make_emulator: MakeEmu, make_terminal: MakeTerm,
                                           tmp_path: Path) -> None:
    emu = make_emulator(repeat_receipt=False)
    state = tmp_path / "state"
    first = make_terminal(emu, state_dir=state)
    assert first.capabilities().repeat_receipt is None
    assert first.authorize(500, "USD", _ignore).approved  # sells without Repeat Receipt
    assert first.capabilities().repeat_receipt is False
    assert emu.refused == ["RepeatReceipt"]
    with pytest.raises(TerminalFunctionUnsupported) as err:
        first.last_result()
    assert err.value.function == "repeat_receipt"
    assert emu.refused == ["RepeatReceipt"]  # known: no second 06 20
    first.close()
    emu.commands.clear()
    second = make_terminal(emu, state_dir=state)  # a restart
    assert second.capabilities().repeat_receipt is False
    assert second.authorize(600, "USD", _ignore).approved
    assert emu.commands == ["Registration", "Authorization"]
    assert count(emu.journal.records, "approval") == 2


def test_permitted_commands_at_registration_need_no_probe(make_emulator: MakeEmu,
                                                         make_terminal: MakeTerm) -> None:
    emu = make_emulator(permitted_commands=True, repeat_receipt=False)
    term = make_terminal(emu)
    term.register()
    caps = term.capabilities()
    assert (caps.repeat_receipt, caps.preauth, caps.abort, caps.source) == \
        (False, True, True, "registration")
    assert emu.commands == ["Registration"]


def test_evidence_settles_a_payment_in_doubt_without_repeat_receipt(
        make_emulator: MakeEmu, make_terminal: MakeTerm, tmp_path: Path) -> None:
    """The receipt-number sequence tells a booked payment from one that never was."""
    emu = make_emulator(repeat_receipt=False)
    state = tmp_path / "state"
    term = make_terminal(emu, state_dir=state, master_timeout_s=0.6)
    assert term.authorize(100, "USD", _ignore).approved
    for stage, booked in (("card", False), ("status", True)):
        before = term.evidence()
        emu.update(silent_at=stage)
        with pytest.raises(PaymentOutcomeUnknown):
            term.authorize(700, "USD", _ignore)
        # a restart after the crash: the evidence is on disk
        after = make_terminal(emu, state_dir=state, master_timeout_s=0.6)
        pending = payment_from_evidence(after.evidence(), mark_op_seq=before.op_seq,
                                        mark_receipt_no=before.last_receipt_no, amount_cents=700)
        assert pending.outcome == "undetermined" and pending.pending
        assert after.authorize(100, "USD", _ignore).approved  # the next sale
        verdict = payment_from_evidence(after.evidence(), mark_op_seq=before.op_seq,
                                        mark_receipt_no=before.last_receipt_no, amount_cents=700)
        if booked:
            assert verdict.outcome == "undetermined" and not verdict.pending
            missing = [r["receipt_no"] for r in emu.journal.records if r["amount_cents"] == 700]
            assert verdict.missing_receipts == tuple(f"{n:04d}" for n in missing)
            assert "reverse or refund" in verdict.task
        else:
            assert verdict.outcome == "not_charged"
        term = after


def test_evidence_holds_the_status_of_a_payment_whose_answer_was_lost(
        make_emulator: MakeEmu, make_terminal: MakeTerm, tmp_path: Path) -> None:
    emu = make_emulator(repeat_receipt=False)
    term = make_terminal(emu, state_dir=tmp_path / "state")
    term.register()
    mark = term.evidence()
    emu.update(silent_at="completion")
    result = term.authorize(900, "USD", _ignore)
    assert result.approved and result.completion_missing
    verdict = payment_from_evidence(term.evidence(), mark_op_seq=mark.op_seq,
                                    mark_receipt_no=mark.last_receipt_no, amount_cents=900)
    assert verdict.outcome == "approved" and verdict.status is not None
    assert verdict.status.receipt_no == result.receipt_no


def test_a_caller_that_gives_up_aborts_and_nothing_queues_behind(
        make_emulator: MakeEmu, make_terminal: MakeTerm, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = make_emulator(card_delay_s=30.0)
    term = make_terminal(emu, master_timeout_s=60.0)
    term.register()
    monkeypatch.setattr(term, "_budget", lambda operation: 0.5)  # the caller's patience
    start = time.monotonic()
    result = term.authorize(1250, "USD", _ignore)
    assert time.monotonic() - start < 0.5 + term.timing.abort_bound_s(0.0) + 0.5
    assert not result.approved and result.result_code == 0x6C  # aborted, nothing charged
    monkeypatch.undo()
    emu.update(card_delay_s=0.0)
    start = time.monotonic()
    assert term.authorize(300, "USD", _ignore).approved
    assert time.monotonic() - start < 1.0  # not queued behind the abandoned one
    assert [r["kind"] for r in emu.journal.records] == ["abort", "approval"]


def test_close_is_bounded_whatever_the_terminal_does(make_emulator: MakeEmu) -> None:
    """Production timing (T3 5 s, T4 180 s), terminal silent while master: close <= 5 s."""
    emu = make_emulator(silent_at="card")
    term = ZvtTerminal(TerminalSection(port=emu.port), timing=Timing())
    assert term.timing.close_s == 5.0
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(_try(term)))
    worker.start()
    deadline = time.monotonic() + 5
    while term.activity().phase != "customer" and time.monotonic() < deadline:
        time.sleep(0.02)
    activity = term.activity()
    assert activity.operation == "authorize" and activity.master
    start = time.monotonic()
    term.close()
    assert time.monotonic() - start <= 5.0
    worker.join(2)
    assert not worker.is_alive()
    assert isinstance(outcome[0], PaymentOutcomeUnknown)


def _try(term: ZvtTerminal) -> object:
    try:
        return term.authorize(100, "USD", _ignore)
    except PaymentOutcomeUnknown as exc:
        return exc


def test_activity_and_status_while_busy(make_emulator: MakeEmu, make_terminal: MakeTerm) -> None:
    emu = make_emulator(card_delay_s=1.0)
    term = make_terminal(emu, master_timeout_s=10.0)
    assert term.activity().phase == "idle"
    seen = threading.Event()
    worker = threading.Thread(target=lambda: term.authorize(
        100, "USD", lambda p, t: seen.set() if p is TerminalPrompt.INSERT_CARD else None))
    worker.start()
    assert seen.wait(5)
    time.sleep(0.3)
    activity = term.activity()
    assert activity.master and activity.phase == "customer" and activity.silent_s >= 0.2
    with pytest.raises(TerminalRejected, match="busy"):
        term.status()  # at once, not after the sale
    worker.join(10)
    assert term.activity().phase == "idle"


def test_deadlines_follow_the_measured_pace(make_emulator: MakeEmu,
                                            make_terminal: MakeTerm) -> None:
    fast = make_terminal(make_emulator())
    fast.register()
    quick = fast.deadline_for("last_result")
    emu = make_emulator(answer_delay_s=0.15)
    term = make_terminal(emu)
    term.register()  # registration and the Repeat Receipt probe: four answers at 0.15 s
    assert 0.12 < term.pace_s < 0.5
    slow = term.deadline_for("last_result")
    assert slow > quick
    start = time.monotonic()
    assert term.last_result() is None  # nothing to repeat yet
    assert time.monotonic() - start < slow


def test_default_bounds_hold_the_issues_promises() -> None:
    t = Timing()
    for pace in (0.0, 3.0):
        assert t.settle_silence_s(pace) <= 8 and t.settle_cap_s <= 10
        assert t.budget_s("status", pace) <= 7
        assert t.abort_grace_s(pace) <= 10
    assert t.close_s <= 5 and t.busy_window_s == 10
    # a terminal answering every 3 s: every non-human wait fits two of its messages
    assert t.first_answer_s(3.0) >= 6 and t.quick_silence_s(3.0) >= 6
    assert t.deadline_s("last_result", 3.0) > t.deadline_s("last_result", 0.0)


def test_diag_shows_the_repeat_receipt_capability(make_emulator: MakeEmu,
                                                  make_terminal: MakeTerm) -> None:
    from kiosk.diagnostics import terminal_status

    term = make_terminal(make_emulator(repeat_receipt=False))
    assert "repeat receipt: not probed yet" in terminal_status(term).detail
    term.register()
    health = terminal_status(term)
    assert health.ok and health.data["repeat_receipt"] is False
    assert "repeat receipt: NO" in health.detail


def test_an_unusable_state_directory_degrades_to_memory(emulator: ZvtEmulator,
                                                        make_terminal: MakeTerm,
                                                        tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    term = make_terminal(emulator, state_dir=blocked / "terminal")
    assert term.authorize(100, "USD", _ignore).approved
    assert term.evidence().statuses[-1].amount_cents == 100
    health = term.health()
    assert health.ok and "not-a-dir" in str(health.data["state_problem"])


def test_busy_refusal_says_how_long_it_was_busy(make_emulator: MakeEmu,
                                                make_terminal: MakeTerm) -> None:
    emu = make_emulator(busy=True, busy_code=0x9C)
    term = make_terminal(emu, timing=Timing(ack_s=0.5, master_s=2.0, busy_window_s=1.0))
    with pytest.raises(TerminalRejected) as err:
        term.authorize(500, "USD", _ignore)
    text = str(err.value)
    assert err.value.busy and "busy after" in text and "refused" in text, text
    assert "please wait for" not in text, text


class _DrainFails:
    """A pyserial port that takes every byte, then fails tcdrain: the cable was pulled right
    after the terminal read the frame (the race behind "link dropped at accepted -> approved",
    where the driver sent the payment a second time)."""

    in_waiting = 0

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.frames.append(data)
        return len(data)

    def flush(self) -> None:
        raise OSError(5, "Input/output error")

    def read(self, size: int = 1) -> bytes:
        return b""

    def close(self) -> None:
        return None


def test_a_whole_frame_is_never_sent_again_when_only_the_flush_fails() -> None:
    from payment.errors import LinkDown, ResultLost
    from payment.zvt.messages import Authorization
    from payment.zvt.session import Control, Session
    from payment.zvt.timing import Pace
    from payment.zvt.transport import SerialLink, ZvtTransport

    port = _DrainFails()
    link = SerialLink(port, 0.01)  # type: ignore[arg-type]
    with pytest.raises(LinkDown) as err:
        link.write(b"\x10\x02")
    assert err.value.request_may_have_arrived
    session = Session(ZvtTransport(link, ack_timeout_s=0.2), timing=Timing(ack_s=0.2),
                      pace=Pace())
    with pytest.raises(ResultLost):  # outcome unknown, not "nothing reached the terminal"
        session.run(Authorization(500, 840).to_apdu(), operation="authorize",
                    deadline=time.monotonic() + 5, control=Control("authorize"))
    assert len(port.frames) == 2  # the probe write above, the payment once


def test_an_earlier_ecrs_abort_still_on_the_line_is_not_taken_for_a_refusal(
        make_emulator: MakeEmu, make_terminal: MakeTerm, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An ECR dies while the terminal sends its declined sale's 06 1E: the terminal sends it
    again, to the next ECR, as the first answer to its registration. That is let pass (the
    line settles, registration is asked again) and Repeat Receipt still counts as supported;
    taken for a refusal, it made the driver record "no Repeat Receipt" for good."""
    from payment.zvt import transport

    ignoring = threading.Event()
    seen = threading.Event()
    real = transport.ZvtTransport._verdict

    def verdict(self: transport.ZvtTransport, apdu: bytes) -> transport.Verdict:
        if ignoring.is_set() and apdu[:2] == b"\x06\x1e":
            seen.set()
            return transport.Verdict.IGNORE  # the first ECR is dead: nobody acknowledges it
        return real(self, apdu)

    monkeypatch.setattr(transport.ZvtTransport, "_verdict", verdict)
    emu = make_emulator(decline=True, ack_timeout_s=ACK_TIMEOUT_S)  # one T3 for both sides
    state = tmp_path / "state"
    first = make_terminal(emu, state_dir=state)
    assert first.last_result() is None  # probed: the terminal has Repeat Receipt
    ignoring.set()
    threading.Thread(target=lambda: _swallow(first.authorize, 500, "USD", _ignore),
                     daemon=True).start()
    assert seen.wait(10), "the terminal never sent its 06 1E"
    first.close()
    ignoring.clear()
    second = make_terminal(emu, state_dir=state)  # the next process, at once
    last = second.last_result()
    assert last is not None and not last.approved  # the declined sale, as the terminal keeps it
    assert second.capabilities().repeat_receipt is True


def _swallow(fn: Callable[..., object], *args: object) -> None:
    try:
        fn(*args)
    except Exception:  # the dying ECR's own outcome does not matter here
        return


def test_evidence_says_whether_it_outlives_the_process(tmp_path: Path) -> None:
    """Evidence kept only in memory (an unusable state directory) restarts its numbering with
    each process, so the shell must not compare marks journaled by different processes."""
    from payment.zvt.state import DriverState

    assert DriverState(tmp_path / "state").evidence().durable is True
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    memory = DriverState(blocked / "state")
    assert memory.problem and memory.evidence().durable is False
