"""The money transaction as a pure state machine (DESIGN section 3).

``step(saga, event) -> (saga, commands)`` with no I/O: the shell
(:mod:`kiosk.txn`, :mod:`kiosk.recovery`) journals the new state to the ledger
and only then executes the commands it names, feeding each command's result
back as the next event. Every state is therefore on disk before the action it
names is attempted, which is what makes recovery after a crash possible.

States (``Phase``)::

    created → payment_requested → payment_approved | payment_declined | payment_unknown
            → topup_requested → topup_succeeded | topup_failed | topup_unknown
            → capture_requested (pre-authorization only: book the reserved amount)
            → reversal_requested → reversed | reversal_failed → refund_requested
            → completed | needs_attention

Events are few and interpreted by the state that named the action:
``APPROVED``/``DECLINED``/``UNKNOWN`` answer whichever terminal operation the
state names (payment, capture, reversal, refund); ``TOPUP_*`` answer the
provider; ``PROCEED`` moves on from a state that records a fact;
``RECOVER`` is what crash recovery feeds to an open transaction.

The money invariants the table keeps (tested exhaustively and with random
event sequences): no top-up is submitted before the payment is approved; an
unknown top-up is only ever *queried* (never resubmitted under another key and
never reversed); a reversal is only issued after a definite top-up failure;
``completed`` needs an approved payment and a succeeded top-up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from kiosk.errors import KioskError


class Phase(StrEnum):
    CREATED = "created"
    PAYMENT_REQUESTED = "payment_requested"
    PAYMENT_APPROVED = "payment_approved"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_UNKNOWN = "payment_unknown"
    TOPUP_REQUESTED = "topup_requested"
    TOPUP_SUCCEEDED = "topup_succeeded"
    TOPUP_FAILED = "topup_failed"
    TOPUP_UNKNOWN = "topup_unknown"
    CAPTURE_REQUESTED = "capture_requested"
    REVERSAL_REQUESTED = "reversal_requested"
    REVERSED = "reversed"
    REVERSAL_FAILED = "reversal_failed"
    REFUND_REQUESTED = "refund_requested"
    COMPLETED = "completed"
    NEEDS_ATTENTION = "needs_attention"


#: Nothing more happens to a transaction in these phases (``needs_attention``
#: is retried by recovery only when it names a phase to resume).
FINAL: frozenset[Phase] = frozenset(
    {Phase.COMPLETED, Phase.PAYMENT_DECLINED, Phase.REVERSED, Phase.NEEDS_ATTENTION}
)
#: Phases recovery must settle.
OPEN: frozenset[Phase] = frozenset(set(Phase) - FINAL)


class Event(StrEnum):
    START = "start"
    PROCEED = "proceed"
    RECOVER = "recover"
    APPROVED = "approved"
    DECLINED = "declined"
    UNKNOWN = "unknown"
    TOPUP_OK = "topup_ok"
    TOPUP_FAILED = "topup_failed"
    TOPUP_UNKNOWN = "topup_unknown"


class Cmd(StrEnum):
    """What the shell does after journaling the new state."""

    REQUEST_PAYMENT = "request_payment"  # authorize (sale) or reserve (pre-authorization)
    QUERY_PAYMENT = "query_payment"  # terminal last_result(): did the payment happen?
    SUBMIT_TOPUP = "submit_topup"  # provider.submit(txn_id, ...)
    QUERY_TOPUP = "query_topup"  # provider.status(txn_id), never a new submit
    CAPTURE = "capture"  # book the reserved amount (check the terminal first when recovering)
    REVERSE = "reverse"  # reverse the sale / release the reservation (check first when recovering)
    REFUND = "refund"  # refund when the reversal was refused (day closed)
    PROCEED = "proceed"  # no I/O: feed Event.PROCEED
    FINISH = "finish"  # no I/O: the transaction is over (print the receipt when completed)


class InvalidTransition(KioskError):
    """The shell fed an event the current state does not expect: a programming error."""

    code = "invalid_transition"


@dataclass(frozen=True)
class Saga:
    """The whole machine state: the phase, the payment method, and where to resume.

    ``resume`` is set only in ``needs_attention``: the phase whose action could
    not be settled (terminal silent, provider unreachable), so a later recovery
    can try again; ``None`` means staff must decide.
    """

    phase: Phase
    preauth: bool = False
    resume: Phase | None = None


Transition = tuple[Saga, tuple[Cmd, ...]]


def _to(saga: Saga, phase: Phase, *cmds: Cmd, resume: Phase | None = None) -> Transition:
    return dataclasses.replace(saga, phase=phase, resume=resume), cmds


def _attention(saga: Saga, resume: Phase | None) -> Transition:
    return _to(saga, Phase.NEEDS_ATTENTION, Cmd.FINISH, resume=resume)


def step(saga: Saga, event: Event) -> Transition:
    """One transition; raises :class:`InvalidTransition` for a pair the table does not hold."""
    p, e = saga.phase, event
    P, E, C = Phase, Event, Cmd
    if p is P.CREATED:
        if e is E.START:
            return _to(saga, P.PAYMENT_REQUESTED, C.REQUEST_PAYMENT)
        if e is E.RECOVER:  # crashed before asking for money: nothing was charged
            return _to(saga, P.PAYMENT_DECLINED, C.FINISH)
    elif p in (P.PAYMENT_REQUESTED, P.PAYMENT_UNKNOWN):
        if e is E.APPROVED:
            return _to(saga, P.PAYMENT_APPROVED, C.PROCEED)
        if e is E.DECLINED:
            return _to(saga, P.PAYMENT_DECLINED, C.FINISH)
        if e is E.UNKNOWN:
            if p is P.PAYMENT_REQUESTED:
                return _to(saga, P.PAYMENT_UNKNOWN, C.QUERY_PAYMENT)
            return _attention(saga, P.PAYMENT_UNKNOWN)
        if e is E.RECOVER:
            return _to(saga, P.PAYMENT_UNKNOWN, C.QUERY_PAYMENT)
    elif p is P.PAYMENT_APPROVED:
        if e in (E.PROCEED, E.RECOVER):
            return _to(saga, P.TOPUP_REQUESTED, C.SUBMIT_TOPUP)
    elif p in (P.TOPUP_REQUESTED, P.TOPUP_UNKNOWN):
        if e is E.TOPUP_OK:
            return _to(saga, P.TOPUP_SUCCEEDED, C.PROCEED)
        if e is E.TOPUP_FAILED:
            return _to(saga, P.TOPUP_FAILED, C.PROCEED)
        if e is E.TOPUP_UNKNOWN:
            if p is P.TOPUP_REQUESTED:
                return _to(saga, P.TOPUP_UNKNOWN, C.QUERY_TOPUP)
            return _attention(saga, P.TOPUP_UNKNOWN)
        if e is E.RECOVER:
            return _to(saga, P.TOPUP_UNKNOWN, C.QUERY_TOPUP)
    elif p is P.TOPUP_SUCCEEDED:
        if e in (E.PROCEED, E.RECOVER):
            if saga.preauth:
                return _to(saga, P.CAPTURE_REQUESTED, C.CAPTURE)
            return _to(saga, P.COMPLETED, C.FINISH)
    elif p is P.CAPTURE_REQUESTED:
        if e is E.APPROVED:
            return _to(saga, P.COMPLETED, C.FINISH)
        if e is E.DECLINED:  # topped up but the booking was refused: staff must collect
            return _attention(saga, None)
        if e is E.UNKNOWN:
            return _attention(saga, P.CAPTURE_REQUESTED)
        if e is E.RECOVER:
            return _to(saga, P.CAPTURE_REQUESTED, C.CAPTURE)
    elif p is P.TOPUP_FAILED:
        if e in (E.PROCEED, E.RECOVER):
            return _to(saga, P.REVERSAL_REQUESTED, C.REVERSE)
    elif p is P.REVERSAL_REQUESTED:
        if e is E.APPROVED:
            return _to(saga, P.REVERSED, C.FINISH)
        if e is E.DECLINED:
            return _to(saga, P.REVERSAL_FAILED, C.PROCEED)
        if e is E.UNKNOWN:
            return _attention(saga, P.REVERSAL_REQUESTED)
        if e is E.RECOVER:
            return _to(saga, P.REVERSAL_REQUESTED, C.REVERSE)
    elif p is P.REVERSAL_FAILED:
        if e in (E.PROCEED, E.RECOVER):
            if saga.preauth:  # a refused release: the reservation lapses, staff confirms
                return _attention(saga, None)
            return _to(saga, P.REFUND_REQUESTED, C.REFUND)
    elif p is P.REFUND_REQUESTED:
        if e is E.APPROVED:
            return _to(saga, P.REVERSED, C.FINISH)
        if e is E.DECLINED:
            return _attention(saga, None)
        if e is E.UNKNOWN:
            return _attention(saga, P.REFUND_REQUESTED)
        if e is E.RECOVER:
            return _to(saga, P.REFUND_REQUESTED, C.REFUND)
    elif p is P.NEEDS_ATTENTION:
        if e is E.RECOVER:
            if saga.resume is None:
                return saga, ()
            return step(Saga(saga.resume, saga.preauth), E.RECOVER)
    elif p in FINAL and e is E.RECOVER:
        return saga, ()
    raise InvalidTransition(f"event {e.value} is not expected in state {p.value}")


def table() -> dict[tuple[Phase, bool, Event], Transition | None]:
    """The whole transition table (``None`` = invalid pair), for docs and tests."""
    out: dict[tuple[Phase, bool, Event], Transition | None] = {}
    for phase in Phase:
        for preauth in (False, True):
            for event in Event:
                try:
                    out[(phase, preauth, event)] = step(Saga(phase, preauth), event)
                except InvalidTransition:
                    out[(phase, preauth, event)] = None
    return out
