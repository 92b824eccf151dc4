"""The demo backend honours the port's semantics and the demo panel's switch."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

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
    # an abort while it hangs is the customer's Cancel: a definite abort, nothing charged
    aborted = term.authorize(100, "USD", lambda p, t: term.abort())  # Cancel once the card is asked for
    assert not aborted.approved and aborted.result_code == 0x6C
    assert [r["kind"] for r in term.records()] == ["decline"]  # the abort booked nothing
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


# --------------------------------------------------------------------------- state on disk


def _disk(state: Path) -> SimulatedTerminal:
    return SimulatedTerminal(TerminalSection(backend="simulated"), delays=FAST, state_dir=state)


def test_a_later_process_reverses_an_earlier_sale_and_totals_survive(tmp_path: Path) -> None:
    state = tmp_path / "terminal"
    first = _disk(state)
    a = first.authorize(1000, "USD", lambda p, t: None)
    b = first.authorize(250, "USD", lambda p, t: None)
    first.close()
    later = _disk(state)  # a restart
    assert later.last_result() == b
    assert a.receipt_no is not None
    assert later.reverse(a.receipt_no, lambda p, t: None).approved
    assert later.reverse(a.receipt_no, lambda p, t: None).result_code == 0xB4
    c = later.authorize(400, "USD", lambda p, t: None)
    assert [r.receipt_no for r in (a, b, c)] == ["0001", "0002", "0004"]  # 0003: the reversal
    eod = _disk(state).end_of_day()
    assert (eod.totals_cents, eod.totals_count, eod.batch_no) == (650, 4, 1)
    assert (eod.receipt_from, eod.receipt_to) == ("0001", "0004")
    assert _disk(state).reverse(c.receipt_no or "", lambda p, t: None).result_code == 0xB5
    assert _disk(state).end_of_day().batch_no == 2


_SELL = """
import sys
from pathlib import Path
from kiosk.config import TerminalSection
from payment.simulated import SimulatedDelays, SimulatedTerminal
t = SimulatedTerminal(TerminalSection(backend="simulated"), delays=SimulatedDelays(0, 0, 0, 0),
                      state_dir=Path(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    print(t.authorize(100, "USD", lambda p, x: None).receipt_no, flush=True)
"""


def test_receipt_numbers_unique_across_processes(tmp_path: Path) -> None:
    state = tmp_path / "terminal"
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", _SELL, str(state), "15"], cwd=root,
                              stdout=subprocess.PIPE, text=True) for _ in range(3)]
    receipts = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        receipts += out.split()
    assert sorted(receipts) == [f"{n:04d}" for n in range(1, 46)]
    traces = [r["trace_no"] for r in _disk(state).records()]
    assert len(set(traces)) == len(traces) == 45
