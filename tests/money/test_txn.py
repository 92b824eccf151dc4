"""The shell (kiosk/txn.py) and recovery against in-memory fakes of the terminal and the
real simulated provider: every path, and a crash at every state boundary."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import kiosk.txn as txn_mod
from kiosk.errors import PrinterOutOfPaper
from kiosk.ledger import verify
from kiosk.ports import Account, FailureKind, TerminalPrompt, TxnResult
from kiosk.recovery import recover
from kiosk.saga import Phase
from kiosk.topup import demo_catalog
from tests.money.conftest import FAST, Rig

ACCOUNT = Account(msisdn="12025550101", carrier="T-Mobile")
PLAN = next(p for p in demo_catalog() if p.id == "tmo-unl-40")


def prompts() -> tuple[list[tuple[TerminalPrompt, str]], Any]:
    seen: list[tuple[TerminalPrompt, str]] = []
    return seen, lambda p, t: seen.append((p, t))


def states(rig: Rig, txn_id: str) -> list[str]:
    return [e.payload["state"] for e in rig.ledger.events(txn_id=txn_id) if "state" in e.payload]


def provider_status(rig: Rig, txn_id: str) -> str | None:
    rec = rig.provider.records().get(txn_id)
    return None if rec is None else str(rec["status"])


def assert_money_invariant(rig: Rig) -> None:
    """Charge stands iff the provider shows a succeeded top-up; no orphan charge; chain intact."""
    records = rig.provider.records()
    refund_no: dict[str, str] = {}
    for ev in rig.ledger.events():
        if ev.txn_id and ev.payload.get("refund_receipt_no"):
            refund_no[ev.txn_id] = ev.payload["refund_receipt_no"]
    refunds = {r["receipt_no"] for r in rig.terminal.journal if r["kind"] == "refund" and r["approved"]}
    linked: set[str] = set()  # receipts of charges the ledger accounts for
    for row in rig.ledger.transactions():
        rec = records.get(row["txn_id"])
        topped = rec is not None and rec["status"] == "succeeded"
        stands = (rig.terminal.charge_stands(row["terminal_receipt_no"])
                  and refund_no.get(row["txn_id"]) not in refunds)
        if rig.terminal.charge_stands(row["terminal_receipt_no"]):
            linked.add(row["terminal_receipt_no"])
        if row["state"] == Phase.NEEDS_ATTENTION.value:  # staff's: accounted for, not judged
            continue
        assert row["state"] in {"completed", "payment_declined", "reversed"}, row
        assert stands == topped, (row, rig.terminal.journal, rec)
        assert (row["state"] == "completed") == topped
    assert rig.terminal.unreversed_charges() == linked, rig.terminal.journal  # no orphan charge
    assert verify(rig.ledger).ok


def test_happy_path_journals_every_state_before_acting(rig: Rig) -> None:
    seen, cb = prompts()
    out = rig.runner().run(ACCOUNT, PLAN, cb)
    assert out.result is TxnResult.COMPLETED and out.state == "completed"
    assert states(rig, out.txn_id) == ["created", "payment_requested", "payment_approved",
                                       "topup_requested", "topup_succeeded", "completed"]
    row = rig.ledger.transaction(out.txn_id)
    assert row is not None
    assert row["terminal_receipt_no"] == "0001" and row["topup_status"] == "succeeded"
    assert row["pan_masked"] == "476173******0119" and row["amount_cents"] == 4000
    assert out.printed and rig.printer.printed[0].txn_id == out.txn_id
    assert out.receipt is not None and "0119" in " ".join(out.receipt.terminal_lines)
    assert "4761 7390" not in " ".join(out.receipt.terminal_lines)
    assert (TerminalPrompt.INSERT_CARD, "") in seen
    assert [e.kind for e in rig.ledger.events(txn_id=out.txn_id)][-1] == "txn.receipt"
    assert_money_invariant(rig)


def test_decline_charges_nothing_and_submits_nothing(rig: Rig) -> None:
    rig.terminal.mode = "decline"
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.DECLINED and out.state == "payment_declined"
    assert provider_status(rig, out.txn_id) is None
    assert_money_invariant(rig)


def test_cancel_is_reported_as_cancelled(rig: Rig) -> None:
    rig.terminal.mode = "decline"
    runner = rig.runner()
    runner._cancelled.set()
    out = runner._run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.CANCELLED


def test_terminal_silent_is_terminal_unavailable(rig: Rig) -> None:
    rig.terminal.mode = "silent"
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.TERMINAL_UNAVAILABLE
    assert_money_invariant(rig)


@pytest.mark.parametrize("mode,expected", [("lose", TxnResult.COMPLETED),
                                           # nothing charged, and not the card's fault: the terminal
                                           ("lose_before", TxnResult.TERMINAL_UNAVAILABLE)])
def test_lost_payment_answer_is_settled_from_the_terminal(rig: Rig, mode: str, expected: TxnResult) -> None:
    rig.terminal.mode = mode
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is expected
    assert "payment_unknown" in states(rig, out.txn_id)
    assert_money_invariant(rig)


def test_payment_unknown_with_silent_terminal_needs_attention_then_blocks_sales(rig: Rig) -> None:
    rig.terminal.mode = "lose"
    authorize = rig.terminal.authorize

    def then_silent(*args: Any) -> Any:
        rig.terminal.query_mode = "silent"  # the terminal stops answering after the charge
        return authorize(*args)

    rig.terminal.authorize = then_silent  # type: ignore[method-assign,assignment]
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    rig.terminal.authorize = authorize  # type: ignore[method-assign]
    assert out.result is TxnResult.NEEDS_ATTENTION
    blocked = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)  # terminal still silent
    assert blocked.result is TxnResult.TERMINAL_UNAVAILABLE and blocked.state == "not_started"
    rig.terminal.query_mode = "ok"
    rig.terminal.mode = "approve"
    nxt = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)  # recovery first, then the sale
    assert nxt.result is TxnResult.COMPLETED
    assert rig.ledger.transaction(out.txn_id)["state"] == "completed"  # type: ignore[index]
    assert_money_invariant(rig)


@pytest.mark.parametrize("kind", [FailureKind.TRANSIENT, FailureKind.OUT_OF_SERVICE,
                                  FailureKind.CUSTOMER_FIXABLE])
def test_definite_topup_failure_reverses_the_charge(rig: Rig, kind: FailureKind) -> None:
    rig.provider.set_control(mode="fail", failure_kind=kind.value)
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.TOPUP_FAILED_REVERSED and out.failure_kind is kind
    assert states(rig, out.txn_id)[-2:] == ["reversal_requested", "reversed"]
    assert [r["kind"] for r in rig.terminal.journal] == ["approval", "reversal"]
    assert_money_invariant(rig)


def test_reversal_refused_falls_back_to_refund(rig: Rig) -> None:
    rig.provider.set_control(mode="fail")
    rig.terminal.reverse_mode = "decline"
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.TOPUP_FAILED_REVERSED
    assert states(rig, out.txn_id)[-3:] == ["reversal_failed", "refund_requested", "reversed"]
    assert rig.terminal.standing() == 0


@pytest.mark.parametrize("perform", [True, False])
def test_unknown_topup_is_resolved_by_status_never_resubmitted(rig: Rig, perform: bool) -> None:
    rig.provider.set_control(mode="unknown", perform=perform)
    calls: list[str] = []
    submit = rig.provider.submit
    rig.provider.submit = lambda k, a, p: (calls.append(k), submit(k, a, p))[1]  # type: ignore[method-assign,assignment,func-returns-value]
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert calls == [out.txn_id]
    assert "topup_unknown" in states(rig, out.txn_id)
    assert out.result is (TxnResult.COMPLETED if perform else TxnResult.TOPUP_FAILED_REVERSED)
    assert_money_invariant(rig)


def test_hanging_provider_hits_the_deadline_then_settles(rig: Rig) -> None:
    rig.provider.set_control(mode="hang", hang_s=0.8)
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert "topup_unknown" in states(rig, out.txn_id)
    assert out.result is TxnResult.COMPLETED
    assert_money_invariant(rig)


def test_unreachable_status_needs_attention_until_recovery(rig: Rig) -> None:
    rig.provider.set_control(mode="unknown", status_mode="unreachable")
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.NEEDS_ATTENTION
    row = rig.ledger.transaction(out.txn_id)
    assert row is not None and row["state"] == "needs_attention"
    rig.provider.set_control(mode="ok")
    report = recover(ledger=rig.ledger, terminal=rig.terminal, provider=rig.provider,
                     settings=rig.settings, deadlines=FAST)
    assert report.ok and report.resolved[0].to_state == "completed"
    assert_money_invariant(rig)


def test_lost_submit_is_fenced_and_reversed(rig: Rig) -> None:
    rig.provider.set_control(mode="lost")
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.TOPUP_FAILED_REVERSED
    assert provider_status(rig, out.txn_id) == "void"
    rig.provider.set_control(mode="ok")  # a late copy of the request performs nothing
    late = rig.provider.submit(out.txn_id, ACCOUNT, PLAN)
    assert late.status.value == "failed" and provider_status(rig, out.txn_id) == "void"
    assert_money_invariant(rig)


def test_printer_out_of_paper_never_blocks_the_sale(rig: Rig) -> None:
    rig.printer.fault = PrinterOutOfPaper("no paper")
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.COMPLETED and not out.printed and out.receipt is not None
    kinds = [e.kind for e in rig.ledger.events(txn_id=out.txn_id)]
    assert kinds[-2:] == ["txn.receipt", "txn.receipt_not_printed"]


def test_preauth_books_after_topup_and_releases_on_failure(rig: Rig) -> None:
    rig.settings = dataclasses.replace(rig.settings, terminal=dataclasses.replace(rig.settings.terminal,
                                                                                  preauth=True))
    out = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.COMPLETED
    assert states(rig, out.txn_id)[-2:] == ["capture_requested", "completed"]
    rig.provider.set_control(mode="fail")
    out2 = rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
    assert out2.result is TxnResult.TOPUP_FAILED_REVERSED
    assert [r["kind"] for r in rig.terminal.journal] == ["preauth", "book_total", "preauth", "preauth_reversal"]


# ----------------------------------------------------------------------------- crash at every boundary


class Crash(BaseException):
    """Stands for SIGKILL in-process (the real kill is in test_crash.py)."""


BOUNDARIES = [(p, m) for p in Phase if p not in (Phase.COMPLETED, Phase.NEEDS_ATTENTION)
              for m in ("before", "after")] + [(Phase.COMPLETED, "before")]
_PAY = {Phase.CREATED, Phase.PAYMENT_REQUESTED, Phase.PAYMENT_UNKNOWN, Phase.PAYMENT_APPROVED}
_AFTER_PAY = set(Phase) - _PAY
SCENARIOS: dict[str, dict[str, Any]] = {
    "reversal_lost": {"provider": {"mode": "fail"}, "reverse_mode": "lose", "phases": _AFTER_PAY},
    "ok": {"phases": set(Phase)},
    "provider_fails": {"provider": {"mode": "fail"}, "phases": _AFTER_PAY},
    "provider_unknown": {"provider": {"mode": "unknown"}, "phases": _AFTER_PAY},
    "provider_unknown_not_performed": {"provider": {"mode": "unknown", "perform": False},
                                       "phases": _AFTER_PAY},
    "refund": {"provider": {"mode": "fail"}, "reverse_mode": "decline", "phases": _AFTER_PAY},
    "payment_lost": {"mode": "lose", "phases": _PAY},
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("preauth", [False, True])
def test_crash_at_every_boundary_then_recover(rig: Rig, monkeypatch: pytest.MonkeyPatch,
                                              scenario: str, preauth: bool) -> None:
    spec = SCENARIOS[scenario]
    if preauth:
        rig.settings = dataclasses.replace(
            rig.settings, terminal=dataclasses.replace(rig.settings.terminal, preauth=True))
    crashed = 0
    parked: set[str] = set()
    for phase, moment in BOUNDARIES:
        if phase not in spec["phases"]:
            continue
        rig.terminal.mode = spec.get("mode", "approve")
        rig.terminal.reverse_mode = spec.get("reverse_mode", "approve")
        rig.provider.set_control(**spec.get("provider", {}))

        def crash_point(p: Phase, m: str, target: tuple[Phase, str] = (phase, moment)) -> None:
            if (p, m) == target:
                raise Crash(f"{p.value}:{m}")

        monkeypatch.setattr(txn_mod, "_crash_point", crash_point)
        try:
            rig.runner().run(ACCOUNT, PLAN, lambda p, t: None)
        except Crash:
            crashed += 1
        monkeypatch.setattr(txn_mod, "_crash_point", lambda p, m: None)
        rig.terminal.mode = rig.terminal.reverse_mode = "approve"
        rig.provider.set_control(mode="ok")
        report = recover(ledger=rig.ledger, terminal=rig.terminal, provider=rig.provider,
                         settings=rig.settings, deadlines=FAST)
        # left to staff: a refused release, and a refund the terminal cannot confirm
        new_attention = set(report.needs_attention) - parked
        if scenario == "refund" and (preauth or phase is Phase.REFUND_REQUESTED):
            parked |= new_attention
        else:
            assert not new_attention, report.as_json()
    assert_money_invariant(rig)
    assert crashed >= 5
