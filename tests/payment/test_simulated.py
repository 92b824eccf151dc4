"""The demo backend honours the port's semantics and the demo panel's switch."""

from __future__ import annotations

import threading

import pytest

from kiosk.config import TerminalSection
from kiosk.errors import PaymentOutcomeUnknown, TerminalUnavailable
from kiosk.ports import PaymentTerminal, TerminalPrompt
from payment import open_terminal
from payment.simulated import SimulatedDelays, SimulatedTerminal

FAST = SimulatedDelays(0.01, 0.01, 0.01, 0.0)


def _term(behaviour: str = "approve") -> SimulatedTerminal:
    return SimulatedTerminal(TerminalSection(backend="simulated", master_timeout_s=0.3),
                             delays=FAST, behaviour=behaviour)


def test_registry_builds_the_simulated_backend() -> None:
    term = open_terminal(TerminalSection(backend="simulated"))
    assert isinstance(term, SimulatedTerminal) and isinstance(term, PaymentTerminal)


def test_approve_then_reverse() -> None:
    term = _term()
    prompts: list[TerminalPrompt] = []
    result = term.authorize(1250, "USD", lambda p, t: prompts.append(p))
    assert result.approved and result.receipt_no == "0001"
    assert prompts[0] is TerminalPrompt.INSERT_CARD and prompts[-1] is TerminalPrompt.APPROVED
    assert term.last_result() == result
    assert result.receipt_no is not None
    assert term.reverse(result.receipt_no, lambda p, t: None).approved
    assert not term.reverse(result.receipt_no, lambda p, t: None).approved


def test_decline_hang_offline() -> None:
    term = _term("decline")
    declined = term.authorize(100, "USD", lambda p, t: None)
    assert not declined.approved and declined.result_code == 0x05
    term.set_behaviour("hang")
    with pytest.raises(PaymentOutcomeUnknown):
        term.authorize(100, "USD", lambda p, t: None)
    term.set_behaviour("offline")
    with pytest.raises(TerminalUnavailable):
        term.authorize(100, "USD", lambda p, t: None)
    assert not term.health().ok
    with pytest.raises(ValueError):
        term.set_behaviour("explode")


def test_abort_from_another_thread() -> None:
    term = SimulatedTerminal(TerminalSection(backend="simulated"),
                             delays=SimulatedDelays(5.0, 5.0, 5.0, 0.0))
    started = threading.Event()
    out: list[object] = []
    worker = threading.Thread(target=lambda: out.append(
        term.authorize(100, "USD", lambda p, t: started.set())))
    worker.start()
    assert started.wait(2)
    term.abort()
    worker.join(5)
    (result,) = out
    assert not result.approved and result.result_code == 0x6C  # type: ignore[attr-defined]
