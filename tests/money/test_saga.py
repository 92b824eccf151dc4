"""The money saga, without I/O: every state × every event, and random event
sequences against a model of the world (terminal and provider with hidden truth)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.saga import FINAL, OPEN, Cmd, Event, InvalidTransition, Phase, Saga, step, table

P, E, C = Phase, Event, Cmd
NA = P.NEEDS_ATTENTION

# (phase, event) -> (next phase, command, resume) for the sale method; preauth differences below.
EXPECTED: dict[tuple[Phase, Event], tuple[Phase, Cmd | None, Phase | None]] = {
    (P.CREATED, E.START): (P.PAYMENT_REQUESTED, C.REQUEST_PAYMENT, None),
    (P.CREATED, E.RECOVER): (P.PAYMENT_DECLINED, C.FINISH, None),
    (P.PAYMENT_REQUESTED, E.APPROVED): (P.PAYMENT_APPROVED, C.PROCEED, None),
    (P.PAYMENT_REQUESTED, E.DECLINED): (P.PAYMENT_DECLINED, C.FINISH, None),
    (P.PAYMENT_REQUESTED, E.UNKNOWN): (P.PAYMENT_UNKNOWN, C.QUERY_PAYMENT, None),
    (P.PAYMENT_REQUESTED, E.RECOVER): (P.PAYMENT_UNKNOWN, C.QUERY_PAYMENT, None),
    (P.PAYMENT_UNKNOWN, E.APPROVED): (P.PAYMENT_APPROVED, C.PROCEED, None),
    (P.PAYMENT_UNKNOWN, E.DECLINED): (P.PAYMENT_DECLINED, C.FINISH, None),
    (P.PAYMENT_UNKNOWN, E.UNKNOWN): (NA, C.FINISH, P.PAYMENT_UNKNOWN),
    (P.PAYMENT_UNKNOWN, E.RECOVER): (P.PAYMENT_UNKNOWN, C.QUERY_PAYMENT, None),
    (P.PAYMENT_APPROVED, E.PROCEED): (P.TOPUP_REQUESTED, C.SUBMIT_TOPUP, None),
    (P.PAYMENT_APPROVED, E.RECOVER): (P.TOPUP_REQUESTED, C.SUBMIT_TOPUP, None),
    (P.TOPUP_REQUESTED, E.TOPUP_OK): (P.TOPUP_SUCCEEDED, C.PROCEED, None),
    (P.TOPUP_REQUESTED, E.TOPUP_FAILED): (P.TOPUP_FAILED, C.PROCEED, None),
    (P.TOPUP_REQUESTED, E.TOPUP_UNKNOWN): (P.TOPUP_UNKNOWN, C.QUERY_TOPUP, None),
    (P.TOPUP_REQUESTED, E.RECOVER): (P.TOPUP_UNKNOWN, C.QUERY_TOPUP, None),
    (P.TOPUP_UNKNOWN, E.TOPUP_OK): (P.TOPUP_SUCCEEDED, C.PROCEED, None),
    (P.TOPUP_UNKNOWN, E.TOPUP_FAILED): (P.TOPUP_FAILED, C.PROCEED, None),
    (P.TOPUP_UNKNOWN, E.TOPUP_UNKNOWN): (NA, C.FINISH, P.TOPUP_UNKNOWN),
    (P.TOPUP_UNKNOWN, E.RECOVER): (P.TOPUP_UNKNOWN, C.QUERY_TOPUP, None),
    (P.TOPUP_SUCCEEDED, E.PROCEED): (P.COMPLETED, C.FINISH, None),
    (P.TOPUP_SUCCEEDED, E.RECOVER): (P.COMPLETED, C.FINISH, None),
    (P.CAPTURE_REQUESTED, E.APPROVED): (P.COMPLETED, C.FINISH, None),
    (P.CAPTURE_REQUESTED, E.DECLINED): (NA, C.FINISH, None),
    (P.CAPTURE_REQUESTED, E.UNKNOWN): (NA, C.FINISH, P.CAPTURE_REQUESTED),
    (P.CAPTURE_REQUESTED, E.RECOVER): (P.CAPTURE_REQUESTED, C.CAPTURE, None),
    (P.TOPUP_FAILED, E.PROCEED): (P.REVERSAL_REQUESTED, C.REVERSE, None),
    (P.TOPUP_FAILED, E.RECOVER): (P.REVERSAL_REQUESTED, C.REVERSE, None),
    (P.REVERSAL_REQUESTED, E.APPROVED): (P.REVERSED, C.FINISH, None),
    (P.REVERSAL_REQUESTED, E.DECLINED): (P.REVERSAL_FAILED, C.PROCEED, None),
    (P.REVERSAL_REQUESTED, E.UNKNOWN): (NA, C.FINISH, P.REVERSAL_REQUESTED),
    (P.REVERSAL_REQUESTED, E.RECOVER): (P.REVERSAL_REQUESTED, C.REVERSE, None),
    (P.REVERSAL_FAILED, E.PROCEED): (P.REFUND_REQUESTED, C.REFUND, None),
    (P.REVERSAL_FAILED, E.RECOVER): (P.REFUND_REQUESTED, C.REFUND, None),
    (P.REFUND_REQUESTED, E.APPROVED): (P.REVERSED, C.FINISH, None),
    (P.REFUND_REQUESTED, E.DECLINED): (NA, C.FINISH, None),
    (P.REFUND_REQUESTED, E.UNKNOWN): (NA, C.FINISH, P.REFUND_REQUESTED),
    (P.REFUND_REQUESTED, E.RECOVER): (P.REFUND_REQUESTED, C.REFUND, None),
    (P.COMPLETED, E.RECOVER): (P.COMPLETED, None, None),
    (P.PAYMENT_DECLINED, E.RECOVER): (P.PAYMENT_DECLINED, None, None),
    (P.REVERSED, E.RECOVER): (P.REVERSED, None, None),
    (NA, E.RECOVER): (NA, None, None),  # resume None: staff decides
}
PREAUTH_DIFF: dict[tuple[Phase, Event], tuple[Phase, Cmd | None, Phase | None]] = {
    (P.TOPUP_SUCCEEDED, E.PROCEED): (P.CAPTURE_REQUESTED, C.CAPTURE, None),
    (P.TOPUP_SUCCEEDED, E.RECOVER): (P.CAPTURE_REQUESTED, C.CAPTURE, None),
    (P.REVERSAL_FAILED, E.PROCEED): (NA, C.FINISH, None),
    (P.REVERSAL_FAILED, E.RECOVER): (NA, C.FINISH, None),
}


@pytest.mark.parametrize("preauth", [False, True])
@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("event", list(Event))
def test_every_state_and_event(phase: Phase, event: Event, preauth: bool) -> None:
    expected = (PREAUTH_DIFF.get((phase, event)) if preauth else None) or EXPECTED.get((phase, event))
    saga = Saga(phase, preauth)
    if expected is None:
        with pytest.raises(InvalidTransition):
            step(saga, event)
        return
    new, cmds = step(saga, event)
    nxt, cmd, resume = expected
    assert new == Saga(nxt, preauth, resume)
    assert cmds == ((cmd,) if cmd else ())


@pytest.mark.parametrize("preauth", [False, True])
@pytest.mark.parametrize("resume", sorted(OPEN - {P.CREATED}))
def test_needs_attention_resumes_like_the_open_phase(resume: Phase, preauth: bool) -> None:
    try:
        expected = step(Saga(resume, preauth), E.RECOVER)
    except InvalidTransition:  # pragma: no cover - every open phase accepts RECOVER
        pytest.fail(f"{resume} must accept RECOVER")
    assert step(Saga(NA, preauth, resume), E.RECOVER) == expected


def test_every_open_phase_accepts_recover_and_final_phases_stay() -> None:
    for phase in Phase:
        for preauth in (False, True):
            new, cmds = step(Saga(phase, preauth), E.RECOVER)
            if phase in FINAL:
                assert (new, cmds) == (Saga(phase, preauth), ())
            else:
                assert cmds, phase


def test_table_covers_every_pair() -> None:
    t = table()
    assert len(t) == len(Phase) * 2 * len(Event)
    valid = sum(1 for v in t.values() if v is not None)
    assert valid == 2 * len(EXPECTED)


def test_no_submit_before_payment_and_no_reverse_after_success() -> None:
    for (phase, _pre, _ev), tr in table().items():
        if tr is None:
            continue
        _, cmds = tr
        if C.SUBMIT_TOPUP in cmds:
            assert phase is P.PAYMENT_APPROVED
        if C.REVERSE in cmds:
            assert phase in (P.TOPUP_FAILED, P.REVERSAL_REQUESTED, NA)
        if C.QUERY_TOPUP in cmds:  # unknown top-ups are only ever queried
            assert phase in (P.TOPUP_REQUESTED, P.TOPUP_UNKNOWN, NA)


# ----------------------------------------------------------------------------- world model


@dataclass
class World:
    """The hidden truth the saga cannot see directly."""

    preauth: bool
    reserved: bool = False
    charged: bool = False  # a sale approved and not reversed/refunded, or a booked reservation
    topped: bool = False
    topup_failed: bool = False  # the provider definitely refused (never performs later)

    @property
    def paid(self) -> bool:
        return self.reserved or self.charged


OUTCOMES = st.sampled_from(["ok", "no", "unknown_done", "unknown_not", "crash_done", "crash_not"])


def run_world(data: st.DataObject, preauth: bool, truthful_tail: bool) -> tuple[Saga, World]:
    world = World(preauth)
    saga = Saga(P.CREATED, preauth)
    event = E.START
    crashes = 0
    for i in range(80):
        truthful = truthful_tail and (i > 30 or crashes >= 6)
        saga, cmds = step(saga, event)
        cmd = cmds[0] if cmds else None
        if cmd is None or cmd is C.FINISH:
            if saga.phase is NA and saga.resume is not None and (crashes < 6 or truthful_tail):
                crashes += 1
                event = E.RECOVER
                continue
            return saga, world
        outcome = "ok" if cmd is C.PROCEED else data.draw(OUTCOMES)
        if truthful and outcome.startswith(("unknown", "crash")):
            outcome = "ok"
        done = outcome in ("ok", "unknown_done", "crash_done")
        # apply the command to the world, checking the invariants on the way
        if cmd is C.REQUEST_PAYMENT:
            if done:
                if preauth:
                    world.reserved = True
                else:
                    world.charged = True
        elif cmd is C.SUBMIT_TOPUP:
            assert world.paid, "top-up submitted before the payment was approved"
            if done and not world.topup_failed:
                world.topped = True
            elif outcome == "no" and not world.topped:
                world.topup_failed = True
        elif cmd is C.CAPTURE:
            assert world.topped and world.paid  # (again, after a crash: the shell checks first)
            if done:
                world.charged, world.reserved = True, False
        elif cmd in (C.REVERSE, C.REFUND):
            assert not world.topped, "money returned although the top-up succeeded"
            assert world.topup_failed, "reversal without a definite top-up failure"
            if done:
                world.charged = world.reserved = False
        # what the shell reports back
        if outcome.startswith("crash"):
            crashes += 1
            event = E.RECOVER
            continue
        if cmd is C.PROCEED:
            event = E.PROCEED
        elif cmd is C.QUERY_PAYMENT:
            event = E.UNKNOWN if outcome.startswith("unknown") else (E.APPROVED if world.paid else E.DECLINED)
        elif cmd is C.QUERY_TOPUP or cmd is C.SUBMIT_TOPUP:
            if outcome.startswith("unknown"):
                event = E.TOPUP_UNKNOWN
            elif cmd is C.QUERY_TOPUP:
                event = E.TOPUP_OK if world.topped else E.TOPUP_FAILED
                if not world.topped:
                    world.topup_failed = True  # status() fences the key
            else:
                event = E.TOPUP_OK if world.topped else E.TOPUP_FAILED
        else:
            event = E.UNKNOWN if outcome.startswith("unknown") else (E.APPROVED if done else E.DECLINED)
    return saga, world


def check_final(saga: Saga, world: World) -> None:
    if saga.phase is P.COMPLETED:
        assert world.topped and world.charged and not world.reserved
    elif saga.phase in (P.PAYMENT_DECLINED, P.REVERSED):
        assert not world.topped and not world.paid
    else:
        assert saga.phase is NA


@settings(max_examples=200, deadline=None)
@given(data=st.data(), preauth=st.booleans())
def test_random_sequences_keep_the_money_invariants(data: st.DataObject, preauth: bool) -> None:
    saga, world = run_world(data, preauth, truthful_tail=False)
    if saga.phase in FINAL:
        check_final(saga, world)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), preauth=st.booleans())
def test_with_truthful_answers_every_transaction_settles(data: st.DataObject, preauth: bool) -> None:
    saga, world = run_world(data, preauth, truthful_tail=True)
    check_final(saga, world)
    if saga.phase is NA:  # only a refused booking/reversal/refund is left to staff
        assert saga.resume is None
