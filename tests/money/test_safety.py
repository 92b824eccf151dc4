"""The shell's safety rules (kiosk/txn.py, kiosk/recovery.py) with the in-memory terminal and
the real simulated provider: nothing charged before the sale is checked; no exception leaves
money open; a record for another key or request is not an answer; one owner per transaction."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest

import kiosk.txn as txn_mod
from kiosk.errors import UpstreamUnavailable
from kiosk.lease import Ownership
from kiosk.ports import Account, TerminalPrompt, TopUpResult, TopUpStatus, TxnResult
from kiosk.recovery import recover
from kiosk.saga import OPEN, Phase
from kiosk.topup import InvalidNumber, demo_catalog
from kiosk.txn import ProviderUnreachable, SaleRejected, TxnContext
from tests.money.conftest import FAST, Rig
from tests.money.test_txn import assert_money_invariant, states

ACCOUNT = Account(msisdn="12025550101", carrier="T-Mobile")
PLAN = next(p for p in demo_catalog() if p.id == "tmo-unl-40")


def no_prompt(_p: TerminalPrompt, _t: str) -> None:
    pass


def recover_all(rig: Rig, ownership: Ownership | None = None) -> Any:
    return recover(ledger=rig.ledger, terminal=rig.terminal, provider=rig.provider,
                   settings=rig.settings, deadlines=FAST, ownership=ownership)


def last_state(rig: Rig, txn_id: str) -> dict[str, Any]:
    return [e.payload for e in rig.ledger.events(txn_id=txn_id) if "state" in e.payload][-1]


# ----------------------------------------------------------------------------- before any charge


@pytest.mark.parametrize(("account", "plan", "error", "code"), [
    (dataclasses.replace(ACCOUNT, msisdn="123"), PLAN, InvalidNumber, "invalid_number"),
    (dataclasses.replace(ACCOUNT, msisdn="abc12065550199"), PLAN, InvalidNumber, "invalid_number"),
    (dataclasses.replace(ACCOUNT, msisdn="10125550101"), PLAN, InvalidNumber, "invalid_number"),
    (dataclasses.replace(ACCOUNT, carrier="AT&T"), PLAN, SaleRejected, "plan_mismatch"),
    (ACCOUNT, dataclasses.replace(PLAN, price_cents=3900), SaleRejected, "plan_changed"),
    (ACCOUNT, dataclasses.replace(PLAN, id="tmo-gone"), SaleRejected, "plan_unavailable"),
    (ACCOUNT, dataclasses.replace(PLAN, currency="EUR"), SaleRejected, "currency_mismatch"),
])
def test_a_sale_that_cannot_go_ahead_journals_and_charges_nothing(rig: Rig, account: Account, plan: Any,
                                                                  error: type[Exception], code: str) -> None:
    with pytest.raises(error) as info:
        rig.runner().run(account, plan, no_prompt)
    assert info.value.code == code and "\n" not in str(info.value)  # type: ignore[attr-defined]
    assert rig.ledger.last_seq() == 0 and rig.terminal.calls == []


def test_provider_unreachable_before_payment_charges_nothing(rig: Rig) -> None:
    rig.provider.set_control(mode="unreachable")
    with pytest.raises(ProviderUnreachable) as info:
        rig.runner().run(ACCOUNT, PLAN, no_prompt)
    assert isinstance(info.value, UpstreamUnavailable) and info.value.code == "upstream_unavailable"
    assert rig.ledger.last_seq() == 0 and rig.terminal.calls == []


def test_a_typed_number_is_normalised_before_it_is_journaled(rig: Rig) -> None:
    out = rig.runner().run(dataclasses.replace(ACCOUNT, msisdn="+1 (202) 555-0101"), PLAN, no_prompt)
    assert out.result is TxnResult.COMPLETED
    assert rig.ledger.transaction(out.txn_id)["msisdn"] == "12025550101"  # type: ignore[index]


def test_cancel_before_the_terminal_is_asked_charges_nothing(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = rig.runner()
    settle = runner._settle_earlier

    def cancel_meanwhile() -> None:  # the customer presses cancel while the sale is being set up
        runner.cancel()
        settle()

    monkeypatch.setattr(runner, "_settle_earlier", cancel_meanwhile)
    out = runner.run(ACCOUNT, PLAN, no_prompt)
    assert out.result is TxnResult.CANCELLED and out.state == "not_started"
    assert "approval" not in rig.terminal.calls and rig.ledger.last_seq() == 0


def test_processing_is_prompted_as_soon_as_the_approval_is_journaled(rig: Rig) -> None:
    seen: list[tuple[TerminalPrompt, list[str]]] = []
    rig.provider.set_control(mode="hang", hang_s=0.3)  # the top-up takes a while

    def on_prompt(prompt: TerminalPrompt, _text: str) -> None:
        txns = list(rig.ledger.transactions())
        seen.append((prompt, states(rig, txns[0]["txn_id"]) if txns else []))

    out = rig.runner().run(ACCOUNT, PLAN, on_prompt)
    assert out.result is TxnResult.COMPLETED
    processing = [s for p, s in seen if p is TerminalPrompt.PROCESSING]
    assert processing == [["created", "payment_requested", "payment_approved"]]


def test_a_prompt_callback_that_fails_does_not_touch_the_money(rig: Rig) -> None:
    def broken(prompt: TerminalPrompt, _text: str) -> None:
        raise BrokenPipeError("stderr closed")

    out = rig.runner().run(ACCOUNT, PLAN, broken)
    assert out.result is TxnResult.COMPLETED
    assert_money_invariant(rig)


# ----------------------------------------------------------------------------- no exception leaves money open


class Boom(RuntimeError):
    """An unexpected bug anywhere in the shell."""


STEPS = [(p, m) for p in Phase if p in OPEN for m in ("before", "after")]
SCENARIOS: dict[str, dict[str, Any]] = {
    "ok": {},
    "topup_fails": {"provider": {"mode": "fail"}},
    "refund": {"provider": {"mode": "fail"}, "reverse_mode": "decline"},
    "topup_unknown": {"provider": {"mode": "unknown"}},
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_an_exception_at_every_step_parks_the_transaction_for_recovery(
        rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, scenario: str) -> None:
    spec = SCENARIOS[scenario]
    hit = 0
    for phase, moment in STEPS:
        rig.provider.set_control(**spec.get("provider", {}))
        rig.terminal.reverse_mode = spec.get("reverse_mode", "approve")

        fired: list[str] = []

        def crash_point(p: Phase, m: str, target: tuple[Phase, str] = (phase, moment),
                        fired: list[str] = fired) -> None:
            if (p, m) == target:
                fired.append(f"{p.value}:{m}")
                raise Boom(f"injected at {p.value}:{m}")

        monkeypatch.setattr(txn_mod, "_crash_point", crash_point)
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="kiosk.txn"):
            out = rig.runner().run(ACCOUNT, PLAN, no_prompt)
        monkeypatch.setattr(txn_mod, "_crash_point", lambda p, m: None)
        if not fired:
            assert out.result is not TxnResult.NEEDS_ATTENTION, out
            continue  # this scenario never reaches that step
        hit += 1
        last = last_state(rig, out.txn_id)
        assert out.result is TxnResult.NEEDS_ATTENTION, (phase, moment, out)
        assert last["state"] == "needs_attention" and last["resume"] == phase.value, (phase, moment, last)
        assert "Boom" in last["message"]
        logged = [r for r in caplog.records if getattr(r, "txn_id", None) == out.txn_id]
        assert logged and logged[0].exc_info is not None  # logged with the id and the traceback
        rig.provider.set_control(mode="ok")
        rig.terminal.reverse_mode = "approve"
        report = recover_all(rig)  # recovery acts on the resume point
        row = rig.ledger.transaction(out.txn_id)
        assert row is not None
        parked_for_staff = scenario == "refund" and phase in (Phase.REFUND_REQUESTED,)
        if not parked_for_staff:
            assert row["state"] in {"completed", "reversed", "payment_declined"}, (phase, moment, report.as_json())
        else:  # a refund that may have been sent is never sent twice: staff checks the terminal
            assert row["state"] == "needs_attention" and last_state(rig, out.txn_id)["resume"] is None
    assert hit >= 8
    assert_money_invariant(rig)


class BrokenProvider:
    """The simulated provider with one method that raises something no adapter should."""

    def __init__(self, inner: Any, broken: str) -> None:
        self.inner, self.broken = inner, broken

    def __getattr__(self, name: str) -> Any:
        if name == self.broken:
            def boom(*_a: Any, **_k: Any) -> Any:
                raise KeyError("adapter bug")
            return boom
        return getattr(self.inner, name)


@pytest.mark.parametrize("where", ["authorize", "last_result", "reverse", "submit", "status"])
def test_an_adapter_bug_parks_the_transaction_with_a_resume_point(rig: Rig, monkeypatch: pytest.MonkeyPatch,
                                                                  where: str) -> None:
    runner = rig.runner()
    if where in ("submit", "status"):
        runner.provider = BrokenProvider(rig.provider, where)  # type: ignore[assignment]
        if where == "status":
            rig.provider.set_control(mode="unknown")
    else:
        if where == "reverse":
            rig.provider.set_control(mode="fail")
        if where == "last_result":
            rig.terminal.mode = "lose"  # the payment's answer is lost: the shell asks the terminal
        original = getattr(rig.terminal, where)
        calls = {"n": 0}

        def boom(*args: Any) -> Any:
            calls["n"] += 1
            if where == "last_result" and calls["n"] == 1:
                return original(*args)  # the baseline is taken; the query after the loss fails
            raise KeyError("adapter bug")

        monkeypatch.setattr(rig.terminal, where, boom)
    out = runner.run(ACCOUNT, PLAN, no_prompt)
    assert out.result is TxnResult.NEEDS_ATTENTION, out
    parked = last_state(rig, out.txn_id)
    assert parked["resume"] in {p.value for p in OPEN} and "KeyError" in parked["message"]
    monkeypatch.undo()
    rig.terminal.mode = "approve"
    rig.provider.set_control(mode="ok")
    recover_all(rig)
    assert rig.ledger.transaction(out.txn_id)["state"] in {  # type: ignore[index]
        "completed", "reversed", "payment_declined"}
    assert_money_invariant(rig)


# ----------------------------------------------------------------------------- records that are not answers


class LyingProvider:
    """Answers submit (and optionally status) with a record that is not ours."""

    def __init__(self, inner: Any, submit_lie: dict[str, Any], status_lies: int = 0) -> None:
        self.inner, self.submit_lie, self.status_lies = inner, submit_lie, status_lies
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def submit(self, key: str, account: Account, plan: Any) -> TopUpResult:
        self.calls.append("submit")
        real = self.inner.submit(key, account, plan)  # what the provider really did
        return dataclasses.replace(real, status=TopUpStatus.SUCCEEDED, provider_ref="FOREIGN", **self.submit_lie)

    def status(self, key: str) -> TopUpResult:
        self.calls.append("status")
        real = self.inner.status(key)
        if self.status_lies:
            self.status_lies -= 1
            return dataclasses.replace(real, key="someone-else", status=TopUpStatus.SUCCEEDED)
        return real


@pytest.mark.parametrize("lie", [{"key": "someone-else"}, {"amount_cents": 1}, {"currency": "CAD"},
                                 {"msisdn": "12025559999"}, {"plan_id": "tmo-10"}])
def test_a_record_for_another_key_or_request_is_unknown_then_asked_for_by_key(rig: Rig, lie: dict[str, Any]) -> None:
    rig.provider.set_control(mode="fail")  # in truth the provider refuses: a lie must not complete the sale
    runner = rig.runner()
    liar = LyingProvider(rig.provider, lie)
    runner.provider = liar  # type: ignore[assignment]
    out = runner.run(ACCOUNT, PLAN, no_prompt)
    assert liar.calls[:2] == ["submit", "status"]  # GET /v1/topups/{key}, never a new submit
    assert liar.calls.count("submit") == 1
    assert "topup_unknown" in states(rig, out.txn_id)
    assert out.result is TxnResult.TOPUP_FAILED_REVERSED  # the provider's own record for our key
    assert_money_invariant(rig)


def test_status_answers_for_another_key_are_never_completed(rig: Rig) -> None:
    rig.provider.set_control(mode="unknown", perform=False)
    runner = rig.runner()
    runner.provider = LyingProvider(rig.provider, {"key": "other"}, status_lies=10_000)  # type: ignore[assignment]
    out = runner.run(ACCOUNT, PLAN, no_prompt)
    assert out.result is TxnResult.NEEDS_ATTENTION
    parked = last_state(rig, out.txn_id)
    assert parked["resume"] == "topup_unknown" and "another key" in parked["topup_message"]
    assert "completed" not in states(rig, out.txn_id)
    rig.provider.set_control(mode="ok")
    recover_all(rig)  # the honest answer for our key: never performed (fenced) → money back
    assert rig.ledger.transaction(out.txn_id)["state"] == "reversed"  # type: ignore[index]
    assert_money_invariant(rig)


# ----------------------------------------------------------------------------- one owner per transaction


def test_recovery_skips_a_transaction_a_live_owner_holds(rig: Rig) -> None:
    own = Ownership.local(wait_s=0.2)
    rig.provider.set_control(mode="unknown", status_mode="unreachable")
    out = rig.runner().run(ACCOUNT, PLAN, no_prompt)  # parked, resume topup_unknown
    rig.provider.set_control(mode="ok")
    lease = own.leases.acquire(out.txn_id)  # someone is working on it right now
    assert lease is not None
    report = recover_all(rig, own)
    assert report.skipped_live == [out.txn_id] and report.resolved == []
    assert rig.ledger.transaction(out.txn_id)["state"] == "needs_attention"  # type: ignore[index]
    lease.release()  # its owner died: taken over at once
    report = recover_all(rig, own)
    assert report.skipped_live == [] and report.resolved[0].to_state == "completed"
    assert report.as_json()["skipped_live"] == []


def test_recovery_waits_once_for_a_busy_terminal_and_leaves_the_transactions_alone(rig: Rig) -> None:
    import threading
    import time

    own = Ownership.local(wait_s=2.0)
    rig.provider.set_control(mode="unknown", status_mode="unreachable")
    parked = [rig.runner().run(ACCOUNT, PLAN, no_prompt).txn_id for _ in range(3)]
    rig.provider.set_control(mode="ok")
    held, done = threading.Event(), threading.Event()

    def sale_elsewhere() -> None:
        with own.terminal.hold(1):
            held.set()
            done.wait(20)

    t = threading.Thread(target=sale_elsewhere)
    t.start()
    held.wait(5)
    try:
        started = time.monotonic()
        report = recover_all(rig, own)
        took = time.monotonic() - started
    finally:
        done.set()
        t.join()
    assert report.skipped_terminal_busy == parked
    assert took < 4.5, took  # one wait of 2 s, not one per transaction
    assert {rig.ledger.transaction(t)["state"] for t in parked} == {"needs_attention"}  # type: ignore[index]


def test_recovery_never_acts_on_another_kiosks_transaction(rig: Rig) -> None:
    rig.provider.set_control(mode="unknown", status_mode="unreachable")
    out = rig.runner().run(ACCOUNT, PLAN, no_prompt)
    rig.provider.set_control(mode="ok")
    other = dataclasses.replace(rig.settings, kiosk=dataclasses.replace(rig.settings.kiosk, id="KIOSK-0002"))
    report = recover(ledger=rig.ledger, terminal=rig.terminal, provider=rig.provider, settings=other,
                     deadlines=FAST)
    assert report.skipped_other_kiosk == [out.txn_id]
    assert txn_mod.blocking_transactions(rig.ledger, "KIOSK-0002") == []
    assert TxnContext.from_ledger(rig.ledger, out.txn_id).saga.phase is Phase.NEEDS_ATTENTION


def test_a_refund_in_doubt_blocks_new_sales_until_the_terminal_answers(rig: Rig) -> None:
    """A new sale would change the terminal's last result and make a refund that never
    happened look done: parked refunds the terminal may still confirm block sales."""
    rig.provider.set_control(mode="fail")
    rig.terminal.reverse_mode = "decline"
    rig.terminal.refund_mode = "lose"
    first = rig.runner().run(ACCOUNT, PLAN, no_prompt)
    assert last_state(rig, first.txn_id)["resume"] == "refund_requested"
    rig.provider.set_control(mode="ok")
    rig.terminal.query_mode = "silent"
    blocked = rig.runner().run(ACCOUNT, PLAN, no_prompt)
    assert blocked.result is TxnResult.TERMINAL_UNAVAILABLE and blocked.state == "not_started"
    assert [r["kind"] for r in rig.terminal.journal].count("approval") == 1
