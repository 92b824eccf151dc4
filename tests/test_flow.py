"""The customer-session state machine (kiosk/flow.py), without Qt or I/O."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk import flow
from kiosk.flow import State
from kiosk.ports import (
    Account,
    FailureKind,
    Plan,
    SimCard,
    TerminalPrompt,
    TxnOutcome,
    TxnResult,
)

CARD = SimCard(iccid="89012601234567890128", iccid_valid=True, atr="3B", reader="r", carrier="T-Mobile")
BAD_CARD = dataclasses.replace(CARD, iccid_valid=False)
ACCOUNT = Account(msisdn="12025550123", carrier="T-Mobile", iccid=CARD.iccid,
                  current_plan="Old", expiry=dt.date(2026, 1, 1))  # fmt: skip
PLANS = (
    Plan("p1", "T-Mobile", "Small", 1500, "USD", 30),
    Plan("p2", "T-Mobile", "Big", 4000, "USD", 30),
)


def outcome(result: TxnResult, printed: bool = True, kind: FailureKind | None = None) -> TxnOutcome:
    return TxnOutcome(txn_id="t-1", result=result, state=result.value, printed=printed,
                      failure_kind=kind)  # fmt: skip


def run(session: flow.Session, *events: flow.Event) -> tuple[flow.Session, list[flow.Command]]:
    """Apply events in order; answer each request with the session's current req."""
    cmds: list[flow.Command] = []
    for event in events:
        session, new = flow.step(session, event)
        cmds.extend(new)
    return session, cmds


def reply(session: flow.Session, make: type, *args: object) -> flow.Session:
    session, _ = flow.step(session, make(session.req, *args))
    return session


def at_insert_sim() -> flow.Session:
    s, _ = run(flow.new_session("en"), flow.Touch(), flow.ChooseLanguage("es"))
    return s


def at_account() -> flow.Session:
    s = at_insert_sim()
    s, _ = run(s, flow.CardInserted())
    s = reply(s, flow.CardRead, CARD)
    return reply(s, flow.AccountFound, ACCOUNT)


def at_confirm() -> flow.Session:
    s = reply(at_account(), flow.PlansLoaded, PLANS)
    s, _ = run(s, flow.Next(), flow.ChoosePlan("p2"))
    return s


def at_pay() -> flow.Session:
    s, _ = run(at_confirm(), flow.Pay())
    return s


# --------------------------------------------------------------------------- paths


def test_happy_path_with_a_sim() -> None:
    s = flow.new_session("en")
    s, cmds = flow.step(s, flow.Touch())
    assert s.state is State.LANGUAGE and cmds == []
    s, cmds = flow.step(s, flow.ChooseLanguage("zh_CN"))
    assert s.state is State.INSERT_SIM and s.lang == "zh_CN"
    assert cmds == [flow.ApplyLanguage("zh_CN"), flow.ReadCard(s.req)]
    s, _ = flow.step(s, flow.CardInserted())
    assert s.state is State.READING
    s, cmds = flow.step(s, flow.CardRead(s.req, CARD))
    assert s.state is State.LOOKUP
    assert cmds == [flow.LookupAccount(s.req, iccid=CARD.iccid, msisdn=None)]
    s, cmds = flow.step(s, flow.AccountFound(s.req, ACCOUNT))
    assert s.state is State.ACCOUNT and cmds == [flow.LoadPlans(s.req, "T-Mobile")]
    s, _ = flow.step(s, flow.PlansLoaded(s.req, PLANS))
    s, _ = flow.step(s, flow.Next())
    assert s.state is State.PLANS
    s, _ = flow.step(s, flow.ChoosePlan("p1"))
    assert s.state is State.CONFIRM and s.plan == PLANS[0]
    s, cmds = flow.step(s, flow.Pay())
    assert s.state is State.PAY and cmds == [flow.StartCheckout(s.req, ACCOUNT, PLANS[0], "zh_CN")]
    s, _ = flow.step(s, flow.Prompt(s.req, TerminalPrompt.ENTER_PIN))
    assert s.state is State.PAY and s.prompt is TerminalPrompt.ENTER_PIN
    s, _ = flow.step(s, flow.Prompt(s.req, TerminalPrompt.APPROVED))
    assert s.state is State.PROCESSING
    s, _ = flow.step(s, flow.CheckoutDone(s.req, outcome(TxnResult.COMPLETED)))
    assert s.state is State.SUCCESS
    s, cmds = flow.step(s, flow.Next())
    # the SIM is still in the slot: "take your SIM card" in the customer's language, nothing else
    assert s.state is State.TAKE_SIM and s.lang == "zh_CN" and cmds == []
    assert s.account is None and s.card is None and s.plan is None and s.outcome is None
    s, cmds = flow.step(s, flow.CardPulled())
    assert s == flow.new_session("en", req=s.req)
    assert cmds == [flow.ApplyLanguage("en")]


def test_phone_number_path() -> None:
    s, _ = run(at_insert_sim(), flow.UsePhone())
    assert s.state is State.PHONE
    for d in "202555012":
        s, _ = flow.step(s, flow.Digit(d))
    s, cmds = flow.step(s, flow.SubmitNumber())
    assert s.state is State.PHONE and s.number_invalid and cmds == []
    s, _ = run(s, flow.Digit("3"))
    assert not s.number_invalid
    s, cmds = flow.step(s, flow.SubmitNumber())
    assert s.state is State.LOOKUP
    assert cmds == [flow.LookupAccount(s.req, iccid=None, msisdn="12025550123")]


def test_keypad_editing_and_limits() -> None:
    s, _ = run(at_insert_sim(), flow.UsePhone())
    s, _ = run(s, *[flow.Digit("9")] * 20)
    assert s.digits == "9" * flow.MAX_DIGITS
    s, _ = run(s, flow.Backspace())
    assert len(s.digits) == flow.MAX_DIGITS - 1
    s, _ = run(s, flow.Digit("x"), flow.Digit("12"))
    assert len(s.digits) == flow.MAX_DIGITS - 1
    s, _ = run(s, flow.ClearDigits())
    assert s.digits == ""


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("2025550123", "12025550123"), ("12025550123", "12025550123"), ("442071234567", None),
     ("202555", None), ("1234567890123456", None), ("", None), ("20255a0123", None),
     ("1025550123", None), ("2021550123", None), ("2115550123", None), ("22025550123", None)],
)  # fmt: skip
def test_normalize_number(digits: str, expected: str | None) -> None:
    """The keypad accepts exactly what the checkout accepts (NANP, kiosk.topup.normalize_msisdn)."""
    assert flow.normalize_number(digits) == expected


def test_the_keypad_refuses_a_number_the_checkout_would_refuse() -> None:
    from kiosk.topup import InvalidNumber, normalize_msisdn

    s, _ = run(at_insert_sim(), flow.UsePhone(), *[flow.Digit(d) for d in "1025550123"])
    with pytest.raises(InvalidNumber):
        normalize_msisdn(s.digits)  # area code starting with 1
    s, cmds = flow.step(s, flow.SubmitNumber())
    assert s.state is State.PHONE and s.number_invalid and cmds == []


@pytest.mark.parametrize("code", sorted(flow.CHOOSE_AGAIN))
def test_a_sale_refused_before_payment_goes_back_to_the_plans(code: str) -> None:
    """The checkout raised before anything was charged: choose again, plans reloaded, the
    reason shown until the customer picks."""
    s = at_pay()
    s, cmds = flow.step(s, flow.CheckoutFailed(s.req, code))
    assert s.state is State.PLANS and s.notice == code and s.plan is None and s.plans is None
    assert cmds == [flow.LoadPlans(s.req, ACCOUNT.carrier)]
    s = reply(s, flow.PlansLoaded, PLANS)
    assert s.state is State.PLANS and s.notice == code
    s, _ = flow.step(s, flow.ChoosePlan("p1"))
    assert s.state is State.CONFIRM and s.notice == ""


def test_an_invalid_number_at_checkout_goes_to_the_keypad() -> None:
    s = at_pay()
    s, cmds = flow.step(s, flow.CheckoutFailed(s.req, "invalid_number"))
    assert s.state is State.PHONE and s.notice == "invalid_number" and s.digits == "" and cmds == []
    s, _ = flow.step(s, flow.Digit("2"))
    assert s.notice == ""


def test_the_provider_unreachable_before_payment_is_upstream_offline() -> None:
    s = reply(at_pay(), flow.CheckoutFailed, "upstream_unavailable")
    assert s.state is State.UPSTREAM_OFFLINE and s.retry is State.CONFIRM


@pytest.mark.parametrize(
    ("code", "state"),
    [("card_removed", State.CARD_REMOVED), ("unreadable_card", State.UNREADABLE_SIM),
     ("reader_timeout", State.UNREADABLE_SIM), ("no_reader", State.NO_READER),
     ("reader_unplugged", State.NO_READER), ("internal_error", State.NO_READER)],
)  # fmt: skip
def test_read_failures_while_reading(code: str, state: State) -> None:
    s, _ = run(at_insert_sim(), flow.CardInserted())
    s = reply(s, flow.ReadFailed, code)
    assert s.state is state and s.retry is State.INSERT_SIM
    s, cmds = flow.step(s, flow.Retry())
    assert s.state is State.INSERT_SIM and cmds == [flow.ReadCard(s.req)]


def test_waiting_for_a_card_keeps_reading() -> None:
    s = at_insert_sim()
    old = s.req
    s, cmds = flow.step(s, flow.ReadFailed(s.req, "reader_timeout"))
    assert s.state is State.INSERT_SIM and cmds == [flow.ReadCard(old + 1)]


def test_card_removed_during_reading_then_reinserted() -> None:
    s, _ = run(at_insert_sim(), flow.CardInserted(), flow.CardPulled())
    assert s.state is State.CARD_REMOVED
    s, cmds = flow.step(s, flow.CardInserted())
    assert s.state is State.READING and cmds == [flow.ReadCard(s.req)]


def test_invalid_iccid_is_unreadable() -> None:
    s, _ = run(at_insert_sim(), flow.CardInserted())
    s = reply(s, flow.CardRead, BAD_CARD)
    assert s.state is State.UNREADABLE_SIM and s.card is None


def test_account_not_found_leads_to_the_keypad() -> None:
    s, _ = run(at_insert_sim(), flow.CardInserted())
    s = reply(reply(s, flow.CardRead, CARD), flow.AccountMissing)
    assert s.state is State.ACCOUNT_NOT_FOUND
    s, _ = flow.step(s, flow.UsePhone())
    assert s.state is State.PHONE and s.card is None


def test_upstream_offline_during_lookup_retries_the_lookup() -> None:
    s, _ = run(at_insert_sim(), flow.CardInserted())
    s = reply(reply(s, flow.CardRead, CARD), flow.LookupFailed, "upstream_unavailable")
    assert s.state is State.UPSTREAM_OFFLINE
    s, cmds = flow.step(s, flow.Retry())
    assert s.state is State.LOOKUP and cmds == [flow.LookupAccount(s.req, iccid=CARD.iccid)]


def test_ledger_failure_is_out_of_service() -> None:
    s, _ = run(at_insert_sim(), flow.CardInserted())
    s = reply(reply(s, flow.CardRead, CARD), flow.LookupFailed, "ledger_error")
    assert s.state is State.OUT_OF_SERVICE and s.retry is None


def test_plans_failure_and_retry_reloads() -> None:
    s = reply(at_account(), flow.PlansFailed, "upstream_unavailable")
    assert s.state is State.UPSTREAM_OFFLINE
    s, cmds = flow.step(s, flow.Retry())
    assert s.state is State.ACCOUNT and cmds == [flow.LoadPlans(s.req, "T-Mobile")]


@pytest.mark.parametrize(
    ("result", "state", "retry"),
    [(TxnResult.DECLINED, State.PAYMENT_DECLINED, State.CONFIRM),
     (TxnResult.CANCELLED, State.PAYMENT_CANCELLED, State.CONFIRM),
     (TxnResult.TERMINAL_UNAVAILABLE, State.TERMINAL_OFFLINE, State.CONFIRM),
     (TxnResult.NEEDS_ATTENTION, State.OUT_OF_SERVICE, None)],
)  # fmt: skip
def test_checkout_outcomes(result: TxnResult, state: State, retry: State | None) -> None:
    s = reply(at_pay(), flow.CheckoutDone, outcome(result))
    assert s.state is state and s.retry is retry


def test_declined_then_pay_again() -> None:
    s = reply(at_pay(), flow.CheckoutDone, outcome(TxnResult.DECLINED))
    s, _ = flow.step(s, flow.Retry())
    assert s.state is State.CONFIRM
    s, cmds = flow.step(s, flow.Pay())
    assert s.state is State.PAY and isinstance(cmds[0], flow.StartCheckout)


@pytest.mark.parametrize(
    ("kind", "retry"),
    [(FailureKind.CUSTOMER_FIXABLE, State.PLANS), (FailureKind.TRANSIENT, State.PLANS),
     (FailureKind.OUT_OF_SERVICE, None), (None, None)],
)  # fmt: skip
def test_topup_failed_reversed(kind: FailureKind | None, retry: State | None) -> None:
    s = reply(at_pay(), flow.CheckoutDone, outcome(TxnResult.TOPUP_FAILED_REVERSED, kind=kind))
    assert s.state is State.TOPUP_FAILED and s.retry is retry


def test_printer_out_of_paper_is_its_own_screen() -> None:
    s = reply(at_pay(), flow.CheckoutDone, outcome(TxnResult.COMPLETED, printed=False))
    assert s.state is State.PRINTER_OUT_OF_PAPER


@pytest.mark.parametrize(
    ("code", "state"),
    [("terminal_unavailable", State.TERMINAL_OFFLINE), ("upstream_unavailable", State.UPSTREAM_OFFLINE),
     ("ledger_error", State.OUT_OF_SERVICE), ("internal_error", State.OUT_OF_SERVICE)],
)  # fmt: skip
def test_checkout_crash(code: str, state: State) -> None:
    s = reply(at_pay(), flow.CheckoutFailed, code)
    assert s.state is state


def test_cancel_during_payment_asks_once_and_waits_for_the_outcome() -> None:
    s = at_pay()
    s, cmds = flow.step(s, flow.CancelPayment())
    assert s.state is State.PAY and s.cancelling and cmds == [flow.CancelCheckout()]
    s, cmds = flow.step(s, flow.CancelPayment())
    assert cmds == []
    s = reply(s, flow.CheckoutDone, outcome(TxnResult.CANCELLED))
    assert s.state is State.PAYMENT_CANCELLED and not s.cancelling


def test_money_moving_states_cannot_be_left_by_the_customer() -> None:
    for s in (at_pay(), reply(at_pay(), flow.Prompt, TerminalPrompt.APPROVED)):
        for event in (flow.StartOver(), flow.Back(), flow.IdleTimeout(), flow.IdleExpired(), flow.Touch()):
            assert flow.step(s, event) == (s, [])


def test_idle_warning_then_reset_forgets_everything() -> None:
    s, _ = run(at_confirm(), flow.SetLanguage("es"))
    s, _ = flow.step(s, flow.IdleTimeout())
    assert s.idle_warning
    s, cmds = flow.step(s, flow.IdleExpired())
    assert s.state is State.TAKE_SIM and s.lang == "es" and cmds == []  # the SIM is in the slot
    s, cmds = flow.step(s, flow.ScreenTimeout())  # nobody took it
    assert s == flow.new_session("en", req=s.req, sim_in_slot=True, seen_iccid=CARD.iccid)
    assert cmds == [flow.ApplyLanguage("en")]


def test_idle_reset_without_a_sim_goes_straight_to_attract() -> None:
    s, _ = run(at_insert_sim(), flow.UsePhone(), flow.Digit("5"), flow.IdleTimeout(), flow.IdleExpired())
    assert s == flow.new_session("en", req=s.req)


def test_more_time_keeps_the_session() -> None:
    before = at_confirm()
    s, _ = flow.step(before, flow.IdleTimeout())
    s, _ = flow.step(s, flow.MoreTime())
    assert s == before


def test_idle_expired_without_warning_is_ignored() -> None:
    s = at_confirm()
    assert flow.step(s, flow.IdleExpired()) == (s, [])


def test_idle_does_not_apply_on_attract_while_busy_or_on_self_timed_screens() -> None:
    for state in State:
        expected = (state is not State.ATTRACT and state not in flow.BUSY_STATES
                    and state not in flow.SELF_TIMED_STATES)
        assert flow.idle_applies(state) == expected
    assert not flow.idle_applies(State.SUCCESS)  # no "Need more time?" after a sale


def test_success_ends_by_its_own_timeout() -> None:
    s = reply(at_pay(), flow.CheckoutDone, outcome(TxnResult.COMPLETED))
    assert flow.step(s, flow.IdleTimeout()) == (s, [])
    s, _ = flow.step(s, flow.ScreenTimeout())
    assert s.state is State.TAKE_SIM


def test_printer_out_of_paper_ends_by_its_own_timeout() -> None:
    s = reply(at_pay(), flow.CheckoutDone, outcome(TxnResult.COMPLETED, printed=False))
    s, _ = flow.step(s, flow.ScreenTimeout())
    assert s.state is State.TAKE_SIM


# --------------------------------------------------------------------------- the card slot


@pytest.mark.parametrize("exit_event", [flow.StartOver(), flow.Back()])
def test_every_exit_after_a_sim_was_read_asks_to_take_it(exit_event: flow.Event) -> None:
    s, cmds = flow.step(at_account(), exit_event)
    assert s.state is State.TAKE_SIM and cmds == []
    assert flow.idle_applies(s.state) is False
    assert flow.step(s, flow.StartOver()) == (s, [])  # nothing to start over: only the SIM


def test_exit_from_a_card_failure_with_the_card_in_the_slot_asks_to_take_it() -> None:
    s, _ = run(at_insert_sim(), flow.CardInserted())
    s = reply(s, flow.ReadFailed, "unreadable_card")
    assert s.state is State.UNREADABLE_SIM
    s, _ = flow.step(s, flow.StartOver())
    assert s.state is State.TAKE_SIM


def test_exit_after_the_card_was_pulled_goes_straight_to_attract() -> None:
    s, _ = run(at_account(), flow.CardPulled(), flow.StartOver())
    assert s == flow.new_session("en", req=s.req)


def test_a_card_left_in_the_slot_is_not_shown_to_the_next_customer() -> None:
    s, _ = run(at_account(), flow.StartOver())
    s, _ = flow.step(s, flow.ScreenTimeout())  # the customer walked off, SIM in the slot
    assert s.state is State.ATTRACT and s.seen_iccid == CARD.iccid
    s, _ = run(s, flow.Touch(), flow.ChooseLanguage("en"))
    assert s.state is State.INSERT_SIM
    # the waiting read finds the old card at once: not accepted, and no new read is started
    s, cmds = flow.step(s, flow.CardRead(s.req, CARD))
    assert s.state is State.INSERT_SIM and s.stale_card and s.card is None and cmds == []
    assert not s.sim_used  # "start over" now goes straight to attract: not this customer's card
    # the new customer takes it out: the kiosk reads again
    s, cmds = flow.step(s, flow.CardPulled())
    assert s.state is State.INSERT_SIM and not s.stale_card and cmds == [flow.ReadCard(s.req)]
    s, cmds = flow.step(s, flow.CardRead(s.req, dataclasses.replace(CARD, iccid="8901260999999999997")))
    assert s.state is State.LOOKUP


def test_the_same_card_removed_and_reinserted_is_read_again() -> None:
    s, _ = run(at_account(), flow.StartOver(), flow.ScreenTimeout(), flow.Touch(), flow.ChooseLanguage("en"))
    s, _ = flow.step(s, flow.CardRead(s.req, CARD))
    assert s.stale_card
    s, _ = run(s, flow.CardPulled(), flow.CardInserted())
    assert s.state is State.READING
    s = reply(s, flow.CardRead, CARD)
    assert s.state is State.LOOKUP and s.card == CARD


def test_reinsertion_without_a_pull_event_is_a_new_insertion() -> None:
    s, _ = run(at_account(), flow.StartOver(), flow.ScreenTimeout(), flow.Touch(), flow.ChooseLanguage("en"))
    s, _ = run(s, flow.CardInserted())
    s = reply(s, flow.CardRead, CARD)
    assert s.state is State.LOOKUP


def test_the_customers_own_card_is_read_again_on_the_way_back() -> None:
    s, _ = run(at_account(), flow.UsePhone(), flow.Back())
    assert s.state is State.INSERT_SIM
    s = reply(s, flow.CardRead, CARD)
    assert s.state is State.LOOKUP
    s, _ = run(at_account(), flow.UsePhone(), flow.StartOver())
    assert s.state is State.TAKE_SIM and s.seen_iccid == CARD.iccid


def found_in_slot() -> flow.Session:
    """The kiosk (re)started with a card in the slot: the shell reports it as present."""
    s, cmds = flow.step(flow.new_session("en"), flow.CardPresent())
    assert s.state is State.ATTRACT and s.sim_in_slot and s.stale_slot and cmds == []
    return s


def test_a_card_found_in_the_slot_at_start_is_not_read_into_the_session() -> None:
    s, _ = run(found_in_slot(), flow.Touch(), flow.ChooseLanguage("en"))
    assert s.state is State.INSERT_SIM
    # the waiting read finds it at once: whatever its ICCID, it is not accepted
    s, cmds = flow.step(s, flow.CardRead(s.req, CARD))
    assert s.state is State.INSERT_SIM and s.stale_card and cmds == []
    assert s.card is None and s.account is None and not s.sim_used
    # walking away (start over, idle) keeps it stale for the next customer
    s, _ = run(s, flow.StartOver(), flow.Touch(), flow.ChooseLanguage("es"))
    assert s.stale_slot and s.state is State.INSERT_SIM
    s, _ = flow.step(s, flow.CardRead(s.req, CARD))
    assert s.stale_card and s.card is None
    # pulled and inserted again: read as this customer's card
    s, cmds = flow.step(s, flow.CardPulled())
    assert not s.stale_slot and cmds == [flow.ReadCard(s.req)]
    s, _ = flow.step(s, flow.CardInserted())
    assert s.state is State.READING
    s = reply(s, flow.CardRead, CARD)
    assert s.state is State.LOOKUP and s.card == CARD


def test_a_card_found_in_the_slot_is_stale_also_via_the_phone_keypad_and_back() -> None:
    s, _ = run(found_in_slot(), flow.Touch(), flow.ChooseLanguage("en"), flow.UsePhone(), flow.UseSim())
    s, _ = flow.step(s, flow.CardRead(s.req, CARD))
    assert s.stale_card and s.card is None


def test_a_present_report_for_a_card_the_kiosk_knows_changes_nothing() -> None:
    s = at_account()  # the customer's card, read in this session
    assert flow.step(s, flow.CardPresent()) == (s, [])


def test_slot_events_while_suspended_leave_the_card_stale() -> None:
    s = flow.new_session("en")
    s = flow.note_slot(s, flow.CardInserted())  # put in during start-up or staff mode
    assert s.state is State.ATTRACT and s.sim_in_slot and s.stale_slot
    assert flow.note_slot(s, flow.Touch()) == s
    s = flow.note_slot(s, flow.CardPulled())
    assert not s.sim_in_slot and not s.stale_slot
    fresh = flow.next_session(flow.note_slot(at_account(), flow.CardPresent()))
    assert fresh.state is State.ATTRACT and fresh.stale_slot and fresh.card is None


def test_take_sim_ends_when_the_card_is_pulled() -> None:
    s, _ = run(at_account(), flow.StartOver(), flow.CardPulled())
    assert s == flow.new_session("en", req=s.req)
    assert flow.step(s, flow.ScreenTimeout()) == (s, [])


def test_card_events_in_money_states_only_note_the_slot() -> None:
    s = at_pay()
    s2, cmds = flow.step(s, flow.CardPulled())
    assert s2.state is State.PAY and cmds == [] and not s2.sim_in_slot


# --------------------------------------------------------------------------- shortcuts and honest states


def test_attract_language_buttons_start_the_flow_in_that_language() -> None:
    s, cmds = flow.step(flow.new_session("en"), flow.ChooseLanguage("es"))
    assert s.state is State.INSERT_SIM and s.lang == "es"
    assert cmds == [flow.ApplyLanguage("es"), flow.ReadCard(s.req)]


def test_renew_the_current_plan_from_the_account_screen() -> None:
    s = reply(at_account(), flow.PlansLoaded, PLANS)
    s, _ = flow.step(s, flow.ChoosePlan("p2"))
    assert s.state is State.CONFIRM and s.plan == PLANS[1]
    assert flow.step(reply(at_account(), flow.PlansLoaded, PLANS), flow.ChoosePlan("gone"))[0].state is State.ACCOUNT


def test_terminal_silence_is_shown_and_cleared_by_the_next_message() -> None:
    s = at_pay()
    s, _ = flow.step(s, flow.TerminalSilent(s.req - 1))
    assert not s.terminal_silent  # stale
    s, _ = flow.step(s, flow.TerminalSilent(s.req))
    assert s.terminal_silent and s.state is State.PAY
    s, cmds = flow.step(s, flow.CancelPayment())
    assert cmds == [flow.CancelCheckout()]
    s = reply(s, flow.Prompt, TerminalPrompt.PLEASE_WAIT, "please wait")
    assert not s.terminal_silent


def test_a_cancel_is_never_shown_as_declined() -> None:
    s, _ = run(at_pay(), flow.CancelPayment())
    s = reply(s, flow.CheckoutDone, outcome(TxnResult.DECLINED))
    assert s.state is State.PAYMENT_CANCELLED and s.error == "cancelled"


def test_processing_as_soon_as_the_checkout_says_approved() -> None:
    s = reply(at_pay(), flow.Prompt, TerminalPrompt.PROCESSING, "waiting for response from host")
    assert s.state is State.PAY  # the terminal's own "processing": not approved yet
    s = reply(s, flow.Prompt, TerminalPrompt.PROCESSING, "")  # the checkout's approval marker
    assert s.state is State.PROCESSING


def test_stale_results_are_ignored() -> None:
    s = at_insert_sim()
    stale = s.req
    s, _ = run(s, flow.UsePhone(), flow.UseSim())
    assert s.state is State.INSERT_SIM and s.req != stale
    assert flow.step(s, flow.CardRead(stale, CARD)) == (s, [])
    assert flow.step(s, flow.ReadFailed(stale, "no_reader")) == (s, [])


def test_results_from_the_previous_customer_are_ignored() -> None:
    s = at_pay()
    old = s.req
    reset, _ = run(at_account(), flow.StartOver())
    # a late outcome of an old checkout reaching a fresh session's attract screen
    assert flow.step(reset, flow.CheckoutDone(old, outcome(TxnResult.COMPLETED))) == (reset, [])


def test_language_switch_mid_flow_keeps_the_step() -> None:
    s = at_confirm()
    s2, cmds = flow.step(s, flow.SetLanguage("zh_CN"))
    assert s2.state is State.CONFIRM and s2.lang == "zh_CN" and cmds == [flow.ApplyLanguage("zh_CN")]
    assert flow.step(s2, flow.SetLanguage("zh_CN")) == (s2, [])
    assert flow.step(s2, flow.SetLanguage("fr")) == (s2, [])


def test_unknown_default_language_falls_back_to_english() -> None:
    assert flow.new_session("fr").lang == "en"


# --------------------------------------------------------------------------- exhaustive


def _rich_session(state: State) -> flow.Session:
    return dataclasses.replace(
        flow.new_session("en", req=7), state=state, card=CARD, account=ACCOUNT, plans=PLANS,
        plan=PLANS[0], retry=State.CONFIRM,
    )  # fmt: skip


def _samples(req: int) -> list[flow.Event]:
    return [
        flow.Touch(), flow.ChooseLanguage("es"), flow.SetLanguage("zh_CN"), flow.UseSim(),
        flow.UsePhone(), flow.CardInserted(), flow.CardPulled(), flow.CardPresent(),
        flow.CardRead(req, CARD),
        flow.CardRead(req, BAD_CARD), flow.ReadFailed(req, "card_removed"),
        flow.ReadFailed(req, "reader_timeout"), flow.Digit("5"), flow.Backspace(),
        flow.ClearDigits(), flow.SubmitNumber(), flow.AccountFound(req, ACCOUNT),
        flow.AccountMissing(req), flow.LookupFailed(req, "upstream_unavailable"),
        flow.PlansLoaded(req, PLANS), flow.PlansFailed(req, "upstream_unavailable"), flow.Next(),
        flow.Back(), flow.ChoosePlan("p2"), flow.ChoosePlan("nope"), flow.Change(), flow.Pay(),
        flow.Prompt(req, TerminalPrompt.APPROVED), flow.CancelPayment(), flow.TerminalSilent(req),
        flow.CheckoutDone(req, outcome(TxnResult.COMPLETED)),
        flow.CheckoutFailed(req, "terminal_unavailable"), flow.CheckoutFailed(req, "plan_changed"),
        flow.CheckoutFailed(req, "invalid_number"), flow.Retry(), flow.StartOver(),
        flow.IdleTimeout(), flow.MoreTime(), flow.IdleExpired(), flow.ScreenTimeout(),
    ]  # fmt: skip


def test_samples_cover_every_event_type() -> None:
    assert {type(e) for e in _samples(0)} == set(flow.ALL_EVENT_TYPES)


@pytest.mark.parametrize("state", list(State))
def test_every_state_handles_every_event(state: State) -> None:
    s = _rich_session(state)
    for event in _samples(s.req) + _samples(s.req - 1):
        new, cmds = flow.step(s, event)
        assert isinstance(new.state, State)
        if flow.handler_for(state, type(event)) is None:
            assert (new, cmds) == (s, []), event
        if getattr(event, "req", s.req) != s.req:
            assert (new, cmds) == (s, []), f"stale {event} changed {state}"
        if state in flow.LOCKED_STATES and new.state not in flow.LOCKED_STATES:
            assert isinstance(event, flow.CheckoutDone | flow.CheckoutFailed), event


def test_every_state_is_reachable_from_the_table() -> None:
    def key(x: flow.Session) -> tuple[object, ...]:
        return (x.state, x.idle_warning, x.card is None, x.account is None, x.plans is None,
                x.plan is None, x.retry, x.cancelling, x.msisdn is None, len(x.digits) >= 10)  # fmt: skip

    outcomes = [outcome(r, p, FailureKind.TRANSIENT) for r in TxnResult for p in (True, False)]
    frontier = [flow.new_session("en")]
    seen = {key(frontier[0])}
    while frontier:
        s = frontier.pop()
        events = [*_samples(s.req), flow.ReadFailed(s.req, "no_reader")]
        events += [flow.CheckoutDone(s.req, o) for o in outcomes]
        events += [flow.Digit("5")] * 10
        for event in events:
            new, _ = flow.step(s, event)
            if key(new) not in seen:
                seen.add(key(new))
                frontier.append(new)
    assert {k[0] for k in seen} == set(State)


def test_every_failure_screen_has_a_way_forward() -> None:
    forward = (flow.Retry, flow.StartOver, flow.UsePhone, flow.Next, flow.Change)
    for state in flow.FAILURE_STATES:
        assert any(flow.handler_for(state, e) for e in forward), state


# --------------------------------------------------------------------------- properties



@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_samples(0)) - 1), st.booleans()), max_size=60))
def test_random_walks_keep_the_invariants(steps: list[tuple[int, bool]]) -> None:
    s = flow.new_session("en")
    for index, stale in steps:
        req = s.req - 1 if stale else s.req
        event = _samples(req)[index]
        new, cmds = flow.step(s, event)
        assert new.req >= s.req
        assert not (new.idle_warning and not flow.idle_applies(new.state))
        for cmd in cmds:
            if hasattr(cmd, "req"):
                assert cmd.req == new.req
        if s.state in flow.LOCKED_STATES and new.state not in flow.LOCKED_STATES:
            assert isinstance(event, flow.CheckoutDone | flow.CheckoutFailed)
        if new.state is State.ATTRACT and s.state is not State.ATTRACT:
            slot = flow.new_session("en", req=new.req, sim_in_slot=new.sim_in_slot,
                                    seen_iccid=new.seen_iccid, stale_slot=new.stale_slot)
            assert new == slot, "a reset must forget everything but the card slot"
        if new.state is State.TAKE_SIM and s.state is not State.TAKE_SIM:
            assert new.account is None and new.card is None and new.plan is None
            assert new.sim_in_slot, "take your SIM only when one is in the slot"
        if new.state is State.PAY and s.state is not State.PAY:
            assert any(isinstance(c, flow.StartCheckout) for c in cmds)
        if s.stale_slot and new.stale_slot:
            # a card found in the slot is never read into the session until it was pulled
            assert new.card is None or new.card == s.card, "a stale card was accepted"
        s = new


def test_data_less_messages_compare_by_class_only() -> None:
    from kiosk.flow import Back, Next, Plain, Touch

    assert Touch() == Touch() and hash(Touch()) == hash(Touch())
    assert Touch() != Back() and Next() != Back() and Touch() != ()
    assert len({Touch(), Touch(), Back()}) == 2
    assert repr(Back()) == "Back()"
    with pytest.raises(AttributeError, match="immutable"):  # frozen, as the dataclasses were
        Touch().x = 1  # type: ignore[attr-defined]
    assert issubclass(Touch, Plain)
