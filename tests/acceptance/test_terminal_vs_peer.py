"""Issue 14 acceptance: sales against an independent ZVT terminal behaving as terminals do in the field.

Bounds here are customer waits, so they are correctness: they come from issue 14 ("a lost
Completion after approval: under 15 s end to end", "settles within 10 s" of a Status Information
already received, "kiosk terminal status answers within 10 s", busy retried "for up to 10 s")
and, for faults before the terminal said anything, from the configured ZVT timers (T3
``ack_timeout_s``, T4 ``master_timeout_s``) with a margin. Whatever the fault, money must agree
with the terminal's own journal once ``kiosk recover`` has run (:meth:`Rig.settle_and_check`).

Written from issue 14, docs/zvt.md and the CLI's ``--help`` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.conftest import (
    FAST_TERMINAL,
    SCENARIOS,
    Rig,
    ScenarioFn,
    Verdict,
    sale_result,
)
from tests.peers.zvt_peer import PeerSettings, standing_charges
from tests.peers.zvt_peer import read_journal as read_terminal_journal

pytestmark = pytest.mark.timeout(600)

#: ZVT's own timers (docs/zvt.md): T3 5 s, T4 180 s. Cases about answers the terminal already gave
#: run with T4 = 180 s, so that a kiosk waiting for T4 cannot meet the bound by accident.
SPEC_TIMERS = {"terminal": {"ack_timeout_s": 5.0, "master_timeout_s": 180.0}}
#: Short but legal timers for faults where waiting for T3/T4 is the right thing to do.
SHORT_T3, SHORT_T4 = 2.0, 10.0
SHORT_TIMERS = {"terminal": {"ack_timeout_s": SHORT_T3, "master_timeout_s": SHORT_T4}}


@dataclass(frozen=True)
class Case:
    """One terminal behaviour, the longest a customer may wait for the sale, and how it must end."""

    fault: str
    params: dict[str, Any] = field(default_factory=dict)
    bound_s: float = 15.0
    expect: tuple[str, ...] = ()  # acceptable final states of the sale after recover (empty: any settled)
    config: dict[str, dict[str, Any]] = field(default_factory=lambda: SPEC_TIMERS)
    must_complete: bool = False  # the txn run itself must end `completed` (not only after recover)
    more: tuple[tuple[str, dict[str, Any]], ...] = ()  # further faults in the same sale
    completion_missing: bool = False  # the charge is journaled with "completion missing"


def run_case(rig: Rig, case: Case, verdict: Verdict) -> None:
    rig.pt.faults.add(case.fault, **case.params)
    for fault, params in case.more:
        rig.pt.faults.add(fault, **params)
    sale = rig.sale(timeout=case.bound_s + 5)  # killed soon after its bound: the verdict is known
    result = sale_result(sale)
    verdict.note(f"{sale.describe()} -> {result.get('result')}/{result.get('state')}")
    if sale.timed_out or sale.elapsed > case.bound_s:
        verdict.add(f"the sale took {sale.elapsed:.1f} s{' (killed)' if sale.timed_out else ''}; "
                    f"the customer may wait at most {case.bound_s:.0f} s here")
    if case.must_complete and (sale.rc != 0 or result.get("state") != "completed"):
        verdict.add(f"the sale did not complete: {sale.describe()} {json.dumps(result)[:300]}")
    rig.pt.faults.clear()  # the terminal behaves from now on (a silent one wakes up)
    rows = rig.settle_and_check(verdict)
    txn = result.get("txn_id")
    state = next((r["state"] for r in rows if r["txn_id"] == txn), None)
    if case.expect and state not in case.expect:
        verdict.add(f"the sale ended {state} after recovery, expected {' or '.join(case.expect)}")
    if case.completion_missing and txn:
        text = json.dumps([e.get("payload") for e in rig.events() if e.get("txn_id") == txn]).lower()
        if "completion missing" not in text and "completion_missing" not in text:
            verdict.add("the approved charge is not journaled with 'completion missing'")


def case_scenario(case: Case, terminal: PeerSettings = FAST_TERMINAL) -> ScenarioFn:
    def run(root: Path) -> Verdict:
        verdict = Verdict()
        with Rig(root, terminal=terminal, config=case.config) as rig:
            run_case(rig, case, verdict)
        return verdict

    return run


# --------------------------------------------------------------------------- every sale ends in time

_SILENT = 3600.0
_MASTER_BOUND = SHORT_T4 + 4 * SHORT_T3 + 15  # one T4 of silence, then a fast query, then give up
_T3_BOUND = 4 * SHORT_T3 + 10

MATRIX: dict[str, Case] = {
    "silent-before-accepting": Case("silence", {"stage": "after_ack", "command": "0601", "seconds": _SILENT},
                                    bound_s=_T3_BOUND, expect=("payment_declined",), config=SHORT_TIMERS),
    "silent-waiting-for-host": Case("silence", {"stage": "host", "command": "0601", "seconds": _SILENT},
                                    bound_s=_MASTER_BOUND, expect=("payment_declined",), config=SHORT_TIMERS),
    "silent-after-booking": Case("silence", {"stage": "after_booking", "command": "0601", "seconds": _SILENT},
                                 bound_s=_MASTER_BOUND, config=SHORT_TIMERS),
    "link-dropped-waiting-for-host": Case("disconnect", {"stage": "host", "command": "0601", "reappear_s": 1.0},
                                          bound_s=_MASTER_BOUND, expect=("payment_declined",), config=SHORT_TIMERS),
    "link-dropped-after-booking": Case("disconnect", {"stage": "after_booking", "command": "0601",
                                                      "reappear_s": 1.0},
                                       bound_s=_MASTER_BOUND, config=SHORT_TIMERS),
    "declined": Case("decline", {"command": "0601", "code": 0x05}, bound_s=15.0, expect=("payment_declined",)),
    "noisy-line": Case("crc_error", {"times": 2}, bound_s=_T3_BOUND + 5, must_complete=True, expect=("completed",),
                       config=SHORT_TIMERS, more=(("nak", {"times": 2}), ("junk", {"times": 3}))),
    # One busy answer (84 A0) is "not now", retried for up to 10 s: it does not refuse the sale.
    "busy-once": Case("busy", {"command": "0601", "code": 0xA0}, bound_s=25.0, must_complete=True,
                      expect=("completed",)),
    # Anything the spec does not allow ends the command at once (after ACKing it), never after T4
    # (180 s here); the booking the terminal made meanwhile is found and honoured.
    "unknown-message": Case("unknown_message", {"stage": "after_booking", "command": "0601", "kind": "unknown"},
                            bound_s=30.0),
    "undecodable-message": Case("unknown_message", {"stage": "after_booking", "command": "0601",
                                                    "kind": "undecodable"}, bound_s=30.0),
}

for _name, _case in MATRIX.items():
    SCENARIOS.register(f"terminal:{_name}")(case_scenario(_case))


@pytest.mark.parametrize("name", [SCENARIOS.param(f"terminal:{n}") for n in MATRIX])
def test_every_sale_ends_within_its_bound_and_money_agrees(name: str) -> None:
    SCENARIOS.verdict(name).check()


# --------------------------------------------------------------------------- terminals without Repeat Receipt


@SCENARIOS.register("terminal:no-repeat-receipt")
def _no_repeat_receipt(root: Path) -> Verdict:
    """A terminal answering Repeat Receipt (06 20) with 84 83 still sells, sale after sale."""
    verdict = Verdict()
    with Rig(root, config=SPEC_TIMERS) as rig:
        rig.pt.faults.add("no_repeat_receipt", times="always")
        for _ in range(2):
            sale = rig.sale(timeout=60)
            verdict.note(sale.describe())
            if sale.rc != 0 or sale_result(sale).get("state") != "completed":
                verdict.add(f"no sale without Repeat Receipt: {sale.describe()} {sale.stdout[-300:]!r}")
        rig.settle_and_check(verdict)
        if len(standing_charges(read_terminal_journal(rig.terminal_journal))) != 2:
            verdict.add("two sales did not leave two standing charges at the terminal")
    return verdict


@pytest.mark.scenario("terminal:no-repeat-receipt")
def test_terminal_without_repeat_receipt_sells() -> None:
    SCENARIOS.verdict("terminal:no-repeat-receipt").check()


# --------------------------------------------------------------------------- after the terminal approved


#: Once the terminal has sent 04 0F with a result, a missing Completion, a dropped link or silence
#: settle within 10 s on that result: under 15 s end to end, the charge stands, the sale completes.
AFTER_APPROVAL: dict[str, Case] = {
    "completion-lost": Case("completion_lost", {"command": "0601", "then": "idle"}, must_complete=True,
                            expect=("completed",), completion_missing=True),
    "silent-after-approving": Case("silence", {"stage": "after_status", "command": "0601"}, must_complete=True,
                                   expect=("completed",), completion_missing=True),
    "silent-before-completion": Case("silence", {"stage": "before_completion", "command": "0601"},
                                     must_complete=True, expect=("completed",), completion_missing=True),
    # (Reconnecting and asking the terminal is evidence too, so "completion missing" is not required.)
    "link-dropped-after-approving": Case("disconnect", {"stage": "after_status", "command": "0601",
                                                        "reappear_s": 1.0},
                                         must_complete=True, expect=("completed",)),
}


@pytest.mark.parametrize("name", list(AFTER_APPROVAL))
def test_an_approval_already_received_settles_the_sale_within_15_s(name: str, make_rig: Callable[..., Rig]) -> None:
    SCENARIOS.drain()  # a customer's wait is measured without this suite's own load
    verdict = Verdict()
    with make_rig(config=SPEC_TIMERS, upstream_process=False) as rig:
        run_case(rig, AFTER_APPROVAL[name], verdict)
        charges = standing_charges(read_terminal_journal(rig.terminal_journal))
        if len(charges) != 1:
            verdict.add(f"{len(charges)} charges stand at the terminal, expected the one approved")
    verdict.check()


def test_terminal_pay_returns_the_approval_it_received_within_15_s(make_rig: Callable[..., Rig]) -> None:
    """The technician's test payment: Completion lost and the terminal silent after its approval."""
    SCENARIOS.drain()
    with make_rig(config=SPEC_TIMERS, upstream_process=False) as rig:
        rig.pt.faults.add("completion_lost", command="0601", then="silent")
        run = rig.kiosk("terminal", "pay", "1.00", "--json", timeout=20)
        problems = run.problems()
        doc = sale_result(run)
        if run.timed_out or run.elapsed > 15.0:
            problems.append(f"{run.describe()}: took {run.elapsed:.1f} s with the approval already received")
        if run.rc != 0 or doc.get("approved") is not True or doc.get("amount_cents") != 100:
            problems.append(f"{run.describe()}: the approval was not reported: {run.stdout[-300:]!r}")
        charges = standing_charges(read_terminal_journal(rig.terminal_journal))
        if [c.amount_cents for c in charges] != [100]:
            problems.append(f"terminal journal: {charges}")
        elif doc.get("receipt_no") is not None and int(str(doc["receipt_no"])) != charges[0].receipt_no:
            problems.append(f"receipt {doc['receipt_no']} reported, the terminal booked {charges[0].receipt_no}")
        assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- status enquiry layouts


@pytest.mark.parametrize("layout", ["completion_version", "status_info", "tlv"])
def test_terminal_status_answers_within_10_s_in_every_layout(layout: str, make_rig: Callable[..., Rig]) -> None:
    SCENARIOS.drain()
    with make_rig(config=SPEC_TIMERS, upstream_process=False) as rig:
        rig.pt.faults.add("status_layout", times="always", layout=layout)
        run = rig.kiosk("terminal", "status", "--json", timeout=20)
        problems = run.problems()
        if run.timed_out or run.elapsed > 10.0:
            problems.append(f"{run.describe()}: status took {run.elapsed:.1f} s, at most 10 s")
        if run.rc != 0:
            problems.append(f"{run.describe()}: the terminal is ready, status must say so: {run.stdout[-300:]!r}")
        assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- a slow link


@SCENARIOS.register("terminal:3s-per-message", pooled=False)
def _paced(root: Path) -> Verdict:
    """3 s between any two messages from the terminal (receipts printed line by line through the
    ECR): deadlines scale with the link, so the second sale's last-result query is not cut short."""
    verdict = Verdict()
    terminal = PeerSettings(card_s=0.05, pin_s=0.05, host_s=0.05, pace_s=3.0, receipt_lines=0)
    with Rig(root, terminal=terminal, config=SPEC_TIMERS) as rig:
        for number in (1, 2):
            sale = rig.sale(timeout=240)
            verdict.note(sale.describe())
            if sale.rc != 0 or sale_result(sale).get("state") != "completed":
                verdict.add(f"sale {number} at 3 s per message did not complete: {sale.describe()} "
                            f"{sale.stdout[-300:]!r}")
        replace = PeerSettings(card_s=0.05, pin_s=0.05, host_s=0.05)
        rig.pt.settings = replace  # recovery need not crawl
        rig.settle_and_check(verdict)
        if len(standing_charges(read_terminal_journal(rig.terminal_journal))) != 2:
            verdict.add("two paced sales did not leave two standing charges at the terminal")
    return verdict


@pytest.mark.scenario("terminal:3s-per-message")
def test_two_sales_in_a_row_at_3_s_per_message_both_complete() -> None:
    SCENARIOS.verdict("terminal:3s-per-message", timeout=900).check()
