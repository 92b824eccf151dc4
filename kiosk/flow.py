"""The customer session: a pure state machine, ``step(session, event) -> (session, commands)``.

Why pure: every path a customer can take (including every failure) is tested
here without Qt, devices or a network. The UI shell (``ui/``) turns touches
and device results into :class:`Event` objects, feeds them to :func:`step`,
runs the returned :class:`Command` objects on worker threads, and renders the
new :class:`Session` snapshot.

Rules the table encodes:

* Device and service results carry the ``req`` number of the command that
  asked for them; a result whose ``req`` is not the session's current one is
  stale (the customer moved on, or the session was reset) and is ignored.
* An event that has no entry for the current state is ignored: the session
  is returned unchanged with no commands. Nothing falls through silently to
  another state.
* Idle handling: the shell reports :class:`IdleTimeout` after the configured
  quiet time; the session shows the "Need more time?" warning, and
  :class:`IdleExpired` resets everything. Idle is paused while the kiosk
  itself is busy (reading, looking up, paying, processing).
* A reset forgets every entered detail; only the ``req`` counter survives so
  late results from the previous customer are recognised as stale, plus what
  the kiosk knows about its card slot (``sim_in_slot``, ``seen_iccid``).
* Every exit (start over, done, idle) after this customer's SIM went into the
  slot shows :attr:`State.TAKE_SIM` until the card is pulled (or its own
  timeout), already forgetting the customer. A card that was read and never
  pulled is remembered by ICCID: reading it again without a new insertion is
  not accepted, so the next customer never sees the previous one's account.
  A card already in the slot when the kiosk starts watching it (:class:`CardPresent`:
  left there before a restart, or put in while the flow was suspended) counts
  as stale the same way, whatever its ICCID, until it is pulled: memory of
  earlier reads does not survive a restart, so nothing found in the slot is
  trusted without a removal and a new insertion.
* Screens with their own end (success, receipt by QR code, take your SIM) do
  not ask "Need more time?": the shell sends :class:`ScreenTimeout` instead.
* A sale the checkout refuses *before* anything is charged (:data:`CHOOSE_AGAIN`:
  the plan changed, is gone, is for another carrier or currency; the number is not
  a valid US number) sends the customer back to choose again, with the reason as
  the session's ``notice``: the plans (reloaded) or the phone keypad.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from kiosk.config import LANGUAGES
from kiosk.ports import (
    Account,
    FailureKind,
    Plan,
    SimCard,
    TerminalPrompt,
    TxnOutcome,
    TxnResult,
)
from kiosk.topup import InvalidNumber, normalize_msisdn

#: Country code put in front of a 10-digit national number the customer types.
DEFAULT_COUNTRY_CODE = "1"
MIN_NATIONAL_DIGITS = 10
MAX_DIGITS = 11  # a North American number: 10 digits, or 11 starting with the country code 1
#: Checkout refusals (raised before anything is journaled or charged) that send the
#: customer back to choose a plan again; ``invalid_number`` goes to the phone keypad.
CHOOSE_AGAIN: frozenset[str] = frozenset(
    {"plan_mismatch", "plan_changed", "plan_unavailable", "currency_mismatch"}
)


class State(StrEnum):
    """Screens of the customer journey; the value is the screen's name."""

    ATTRACT = "attract"
    LANGUAGE = "language"
    INSERT_SIM = "insert_sim"
    READING = "reading"
    PHONE = "phone"
    LOOKUP = "lookup"
    ACCOUNT = "account"
    PLANS = "plans"
    CONFIRM = "confirm"
    PAY = "pay"
    PROCESSING = "processing"
    SUCCESS = "success"
    TAKE_SIM = "take_sim"  # an exit after the customer's SIM was read: take it out
    # failures, each with its own screen and a way forward
    NO_READER = "no_reader"
    UNREADABLE_SIM = "unreadable_sim"
    CARD_REMOVED = "card_removed"
    ACCOUNT_NOT_FOUND = "account_not_found"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_CANCELLED = "payment_cancelled"
    TERMINAL_OFFLINE = "terminal_offline"
    TOPUP_FAILED = "topup_failed"
    UPSTREAM_OFFLINE = "upstream_offline"
    PRINTER_OUT_OF_PAPER = "printer_out_of_paper"
    OUT_OF_SERVICE = "out_of_service"


FAILURE_STATES: frozenset[State] = frozenset(
    {
        State.NO_READER,
        State.UNREADABLE_SIM,
        State.CARD_REMOVED,
        State.ACCOUNT_NOT_FOUND,
        State.PAYMENT_DECLINED,
        State.PAYMENT_CANCELLED,
        State.TERMINAL_OFFLINE,
        State.TOPUP_FAILED,
        State.UPSTREAM_OFFLINE,
        State.PRINTER_OUT_OF_PAPER,
        State.OUT_OF_SERVICE,
    }
)
#: States in which the kiosk waits for a device or service; idle timers pause.
BUSY_STATES: frozenset[State] = frozenset(
    {State.READING, State.LOOKUP, State.PAY, State.PROCESSING}
)
#: States the customer may not leave by "start over" (money is moving).
LOCKED_STATES: frozenset[State] = frozenset({State.PAY, State.PROCESSING})
#: States that end on their own after a while (the shell sends ScreenTimeout), without
#: "Need more time?": the sale is over, or the kiosk only waits for the SIM to be taken.
SELF_TIMED_STATES: frozenset[State] = frozenset(
    {State.SUCCESS, State.PRINTER_OUT_OF_PAPER, State.TAKE_SIM}
)


def idle_applies(state: State) -> bool:
    """Whether the idle timeout runs in ``state`` (not on attract, not while busy, not on a
    screen that ends by itself)."""
    return state is not State.ATTRACT and state not in BUSY_STATES and state not in SELF_TIMED_STATES


@dataclass(frozen=True)
class Session:
    """Everything the kiosk knows about the current customer. Immutable."""

    state: State = State.ATTRACT
    lang: str = "en"
    default_lang: str = "en"
    req: int = 0  # number of the outstanding device/service request
    card: SimCard | None = None
    digits: str = ""  # phone number being typed on the keypad
    number_invalid: bool = False
    msisdn: str | None = None  # number the customer typed (E.164 digits)
    account: Account | None = None
    plans: tuple[Plan, ...] | None = None  # None while loading
    plan: Plan | None = None
    prompt: TerminalPrompt | None = None
    prompt_text: str = ""
    terminal_silent: bool = False  # no message from the terminal for a while during payment
    cancelling: bool = False
    outcome: TxnOutcome | None = None
    error: str = ""  # code of the error behind a failure screen
    retry: State | None = None  # where "try again" leads from a failure screen
    idle_warning: bool = False
    sim_used: bool = False  # this customer's SIM went into the slot (take-your-SIM on exit)
    read_iccid: str | None = None  # ICCID read for this customer (kept when ``card`` is dropped)
    stale_card: bool = False  # insert_sim: the card in the slot was already read; pull it first
    notice: str = ""  # plans / phone: why the customer is choosing again (a checkout refusal code)
    # --- the card slot, as far as the kiosk knows; survives resets (not customer data)
    sim_in_slot: bool = False
    seen_iccid: str | None = None  # read for an earlier customer and not pulled since
    stale_slot: bool = False  # the card in the slot was there before the kiosk watched: pull it first

    @property
    def screen(self) -> str:
        return self.state.value


def new_session(default_lang: str = "en", req: int = 0, *, sim_in_slot: bool = False,
                seen_iccid: str | None = None, stale_slot: bool = False) -> Session:
    """A fresh session for the next customer (with what is known of the card slot)."""
    lang = default_lang if default_lang in LANGUAGES else "en"
    return Session(lang=lang, default_lang=lang, req=req, sim_in_slot=sim_in_slot,
                   seen_iccid=seen_iccid if sim_in_slot else None,
                   stale_slot=stale_slot and sim_in_slot)


def next_session(s: Session) -> Session:
    """A fresh session after ``s`` (the next request number, the default language), keeping
    only what the kiosk knows of its card slot: the card of a customer who is gone counts as
    already seen."""
    return new_session(s.default_lang, req=s.req + 1, sim_in_slot=s.sim_in_slot,
                       seen_iccid=s.read_iccid or s.seen_iccid, stale_slot=s.stale_slot)


# --------------------------------------------------------------------------- events


class Plain:
    """A message (event or command) that carries no data: equal to any instance of its class.

    Not a dataclass on purpose: each ``@dataclass`` costs ~1 ms at import, and this
    module is imported on the way to the attract screen's first frame.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")


class Touch(Plain):
    """Customer touched the attract screen."""


@dataclass(frozen=True)
class ChooseLanguage:
    """Language picked on the language screen (advances the journey)."""

    lang: str


@dataclass(frozen=True)
class SetLanguage:
    """Language switched from the top bar (any screen, no navigation)."""

    lang: str


class UseSim(Plain):
    pass


class UsePhone(Plain):
    pass


class CardInserted(Plain):
    """From the reader's watch (worker thread, delivered queued)."""


class CardPulled(Plain):
    """From the reader's watch: the card left the slot."""


class CardPresent(Plain):
    """From the shell: the reader reports a card already in the slot when the kiosk started
    watching it (at start, or when the reader reappears): nobody was seen inserting it."""


@dataclass(frozen=True)
class CardRead:
    req: int
    card: SimCard


@dataclass(frozen=True)
class ReadFailed:
    req: int
    code: str  # kiosk.errors code, e.g. "card_removed"


@dataclass(frozen=True)
class Digit:
    digit: str


class Backspace(Plain):
    pass


class ClearDigits(Plain):
    pass


class SubmitNumber(Plain):
    pass


@dataclass(frozen=True)
class AccountFound:
    req: int
    account: Account


@dataclass(frozen=True)
class AccountMissing:
    req: int


@dataclass(frozen=True)
class LookupFailed:
    req: int
    code: str


@dataclass(frozen=True)
class PlansLoaded:
    req: int
    plans: tuple[Plan, ...]


@dataclass(frozen=True)
class PlansFailed:
    req: int
    code: str


class Next(Plain):
    pass


class Back(Plain):
    pass


@dataclass(frozen=True)
class ChoosePlan:
    plan_id: str


class Change(Plain):
    """Confirm screen: pick a different plan."""


class Pay(Plain):
    pass


@dataclass(frozen=True)
class Prompt:
    req: int
    prompt: TerminalPrompt
    text: str = ""


class CancelPayment(Plain):
    pass


@dataclass(frozen=True)
class TerminalSilent:
    """From the shell: no message from the terminal for ``[kiosk] payment_silence_s``."""

    req: int


@dataclass(frozen=True)
class CheckoutDone:
    req: int
    outcome: TxnOutcome


@dataclass(frozen=True)
class CheckoutFailed:
    req: int
    code: str


class Retry(Plain):
    pass


class StartOver(Plain):
    pass


class IdleTimeout(Plain):
    pass


class MoreTime(Plain):
    pass


class IdleExpired(Plain):
    pass


class ScreenTimeout(Plain):
    """From the shell: a self-timed screen (success, take your SIM) has been shown long enough."""


Event: TypeAlias = (
    Touch
    | ChooseLanguage
    | SetLanguage
    | UseSim
    | UsePhone
    | CardInserted
    | CardPulled
    | CardPresent
    | CardRead
    | ReadFailed
    | Digit
    | Backspace
    | ClearDigits
    | SubmitNumber
    | AccountFound
    | AccountMissing
    | LookupFailed
    | PlansLoaded
    | PlansFailed
    | Next
    | Back
    | ChoosePlan
    | Change
    | Pay
    | Prompt
    | CancelPayment
    | TerminalSilent
    | CheckoutDone
    | CheckoutFailed
    | Retry
    | StartOver
    | IdleTimeout
    | MoreTime
    | IdleExpired
    | ScreenTimeout
)

# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class ReadCard:
    """Read the SIM (blocks until a card is present or the read times out)."""

    req: int


@dataclass(frozen=True)
class LookupAccount:
    req: int
    iccid: str | None = None
    msisdn: str | None = None


@dataclass(frozen=True)
class LoadPlans:
    req: int
    carrier: str


@dataclass(frozen=True)
class StartCheckout:
    req: int
    account: Account
    plan: Plan
    lang: str = "en"  # the customer's language: receipts are printed in it


class CancelCheckout(Plain):
    pass


@dataclass(frozen=True)
class ApplyLanguage:
    lang: str


Command: TypeAlias = (
    ReadCard | LookupAccount | LoadPlans | StartCheckout | CancelCheckout | ApplyLanguage
)
Result: TypeAlias = tuple[Session, list[Command]]
Handler: TypeAlias = Callable[[Session, "Event"], Result]

# --------------------------------------------------------------------------- helpers


def _same(s: Session) -> Result:
    return s, []


def _enter(s: Session, state: State, **changes: object) -> Result:
    """Move to ``state`` and issue the commands that state needs on entry (a notice is only
    shown where it was given)."""
    changes.setdefault("notice", "")
    s = dataclasses.replace(s, state=state, **changes)  # type: ignore[arg-type]
    if state is State.INSERT_SIM:
        s = dataclasses.replace(s, req=s.req + 1, card=None)
        return s, [ReadCard(s.req)]
    if state is State.READING:
        return s, []
    if state is State.LOOKUP:
        s = dataclasses.replace(s, req=s.req + 1, account=None, plans=None, plan=None)
        iccid = s.card.iccid if s.card is not None and s.msisdn is None else None
        msisdn = s.msisdn if s.msisdn is not None else (s.card.msisdn if s.card else None)
        if msisdn is not None and not msisdn.isdigit():
            msisdn = None  # e.g. PROTECTED
        return s, [LookupAccount(s.req, iccid=iccid, msisdn=msisdn)]
    account, plan = s.account, s.plan
    if state is State.ACCOUNT and s.plans is None and account is not None:
        s = dataclasses.replace(s, req=s.req + 1)
        return s, [LoadPlans(s.req, account.carrier)]
    if state is State.PAY:
        if account is None or plan is None:  # cannot happen through the table
            return _fail(s, State.OUT_OF_SERVICE, "no_plan", None)
        s = dataclasses.replace(
            s, req=s.req + 1, prompt=None, prompt_text="", cancelling=False, outcome=None,
            terminal_silent=False,
        )
        return s, [StartCheckout(s.req, account, plan, s.lang)]
    return s, []


def _fail(s: Session, state: State, code: str, retry: State | None) -> Result:
    return dataclasses.replace(s, state=state, error=code, retry=retry), []


def _reset(s: Session) -> Result:
    """Forget the customer: a fresh session on the attract screen, language back to the
    default. A card still in the slot is remembered as already seen (if it was read)."""
    fresh = next_session(s)
    cmds: list[Command] = [ApplyLanguage(fresh.lang)] if s.lang != fresh.lang else []
    return fresh, cmds


def _exit(s: Session) -> Result:
    """Every way out of a session (start over, done, idle): when this customer's SIM is
    still in the slot, "take your SIM card" first, in their language, knowing nothing else."""
    if not (s.sim_used and s.sim_in_slot):
        return _reset(s)
    fresh = next_session(s)
    return dataclasses.replace(fresh, state=State.TAKE_SIM, lang=s.lang, sim_used=True), []


def _current(s: Session, req: int) -> bool:
    return req == s.req


def normalize_number(digits: str) -> str | None:
    """E.164 digits for what the customer typed, or ``None`` when it cannot be a number the
    checkout accepts: the same NANP rules as the money path (:func:`kiosk.topup.normalize_msisdn`)."""
    if not digits.isdigit():
        return None
    try:
        return normalize_msisdn(digits)
    except InvalidNumber:
        return None


# --------------------------------------------------------------------------- handlers


def _touch(s: Session, e: Event) -> Result:
    return _enter(s, State.LANGUAGE)


def _note_inserted(s: Session, e: Event) -> Result:
    """A card went into the slot (any screen): a new insertion, so nothing is stale."""
    return dataclasses.replace(s, sim_in_slot=True, seen_iccid=None, stale_slot=False), []


def _note_pulled(s: Session, e: Event) -> Result:
    """The card left the slot (any screen)."""
    return dataclasses.replace(s, sim_in_slot=False, seen_iccid=None, read_iccid=None,
                               stale_slot=False), []


def _note_present(s: Session, e: Event) -> Result:
    """A card found in the slot, its insertion unseen: stale until pulled (unless the kiosk
    already knows of a card there, e.g. the watch reporting again after a reader hiccup)."""
    if s.sim_in_slot:
        return _same(s)
    return dataclasses.replace(s, sim_in_slot=True, stale_slot=True), []


def note_slot(s: Session, e: Event) -> Session:
    """What the kiosk learns of its slot while the customer flow is suspended (start-up,
    staff mode): nobody at the customer screens put a card in meanwhile, so a card that
    went in counts as found there (stale); a pull is a pull. Other events change nothing."""
    if isinstance(e, CardInserted | CardPresent):
        return dataclasses.replace(s, sim_in_slot=True, stale_slot=True, seen_iccid=None)
    if isinstance(e, CardPulled):
        return _note_pulled(s, e)[0]
    return s


def _choose_language(s: Session, e: Event) -> Result:
    assert isinstance(e, ChooseLanguage)
    s, cmds = _set_language(s, SetLanguage(e.lang))
    s2, cmds2 = _enter(s, State.INSERT_SIM)
    return s2, cmds + cmds2


def _set_language(s: Session, e: Event) -> Result:
    assert isinstance(e, SetLanguage | ChooseLanguage)
    if e.lang not in LANGUAGES or e.lang == s.lang:
        return _same(s)
    return dataclasses.replace(s, lang=e.lang), [ApplyLanguage(e.lang)]


def _to(state: State) -> Handler:
    def handler(s: Session, e: Event) -> Result:
        return _enter(s, state)

    handler.__name__ = f"to_{state.value}"
    return handler


def _to_phone(s: Session, e: Event) -> Result:
    return _enter(s, State.PHONE, digits="", number_invalid=False, msisdn=None, card=None)


def _card_inserted(s: Session, e: Event) -> Result:
    s, _ = _note_inserted(s, e)
    return _enter(dataclasses.replace(s, sim_used=True, stale_card=False), State.READING)


def _card_inserted_retry(s: Session, e: Event) -> Result:
    """Customer re-inserted the card on a card failure screen: read it again."""
    s, _ = _note_inserted(dataclasses.replace(s, sim_used=True, stale_card=False), e)
    s, cmds = _enter(s, State.INSERT_SIM)
    return dataclasses.replace(s, state=State.READING), cmds


def _card_pulled(s: Session, e: Event) -> Result:
    s, _ = _note_pulled(s, e)
    return _fail(s, State.CARD_REMOVED, "card_removed", State.INSERT_SIM)


def _card_pulled_waiting(s: Session, e: Event) -> Result:
    """Insert-SIM screen: the card left the slot. After a stale card, start reading again."""
    stale = s.stale_card
    s, _ = _note_pulled(dataclasses.replace(s, stale_card=False), e)
    return _enter(s, State.INSERT_SIM) if stale else (s, [])


def _sim_taken(s: Session, e: Event) -> Result:
    """Take-your-SIM screen: the card is out; the attract screen for the next customer."""
    s, _ = _note_pulled(s, e)
    return _reset(s)


def _card_read(s: Session, e: Event) -> Result:
    assert isinstance(e, CardRead)
    if not _current(s, e.req):
        return _same(s)
    s = dataclasses.replace(s, sim_in_slot=True, sim_used=True)
    seen = s.stale_slot or (s.seen_iccid is not None and e.card.iccid == s.seen_iccid)
    if s.state is State.INSERT_SIM and seen:
        # Read without a new insertion: a card read before, or found in the slot at start
        # (e.g. the previous customer's, left there through a restart). Wait for it to go.
        return dataclasses.replace(s, stale_card=True, sim_used=False), []
    s = dataclasses.replace(s, seen_iccid=None, stale_card=False, read_iccid=e.card.iccid)
    if not e.card.iccid_valid:
        s = dataclasses.replace(s, card=None)
        return _fail(s, State.UNREADABLE_SIM, "iccid_invalid", State.INSERT_SIM)
    return _enter(dataclasses.replace(s, card=e.card, msisdn=None), State.LOOKUP)


#: Reader error code → failure screen (anything else is a reader fault).
_READ_FAILURES: dict[str, State] = {
    "card_removed": State.CARD_REMOVED,
    "unreadable_card": State.UNREADABLE_SIM,
    "reader_timeout": State.UNREADABLE_SIM,
    "no_card": State.CARD_REMOVED,
    "no_reader": State.NO_READER,
    "reader_unplugged": State.NO_READER,
}
#: While waiting for a card, these just mean "nothing inserted yet": keep waiting.
_STILL_WAITING = frozenset({"reader_timeout", "no_card"})


def _read_failed(s: Session, e: Event) -> Result:
    assert isinstance(e, ReadFailed)
    if not _current(s, e.req):
        return _same(s)
    if s.state is State.INSERT_SIM and e.code in _STILL_WAITING:
        return _enter(s, State.INSERT_SIM)
    state = _READ_FAILURES.get(e.code, State.NO_READER)
    if state is State.UNREADABLE_SIM:  # a card is in the slot, just not readable
        s = dataclasses.replace(s, sim_in_slot=True, sim_used=True)
    return _fail(s, state, e.code, State.INSERT_SIM)


def _digit(s: Session, e: Event) -> Result:
    assert isinstance(e, Digit)
    if len(e.digit) != 1 or not e.digit.isdigit() or len(s.digits) >= MAX_DIGITS:
        return _same(s)
    return dataclasses.replace(s, digits=s.digits + e.digit, number_invalid=False, notice=""), []


def _backspace(s: Session, e: Event) -> Result:
    return dataclasses.replace(s, digits=s.digits[:-1], number_invalid=False, notice=""), []


def _clear_digits(s: Session, e: Event) -> Result:
    return dataclasses.replace(s, digits="", number_invalid=False, notice=""), []


def _submit_number(s: Session, e: Event) -> Result:
    msisdn = normalize_number(s.digits)
    if msisdn is None:
        return dataclasses.replace(s, number_invalid=True, notice=""), []
    return _enter(dataclasses.replace(s, msisdn=msisdn, card=None), State.LOOKUP)


def _account_found(s: Session, e: Event) -> Result:
    assert isinstance(e, AccountFound)
    if not _current(s, e.req):
        return _same(s)
    return _enter(dataclasses.replace(s, account=e.account, plans=None), State.ACCOUNT)


def _account_missing(s: Session, e: Event) -> Result:
    assert isinstance(e, AccountMissing)
    if not _current(s, e.req):
        return _same(s)
    return _fail(s, State.ACCOUNT_NOT_FOUND, "account_not_found", State.PHONE)


def _service_failure(code: str) -> State:
    """Ledger/database trouble means the kiosk cannot work; anything else is the network."""
    return State.OUT_OF_SERVICE if code.startswith("ledger") else State.UPSTREAM_OFFLINE


def _lookup_failed(s: Session, e: Event) -> Result:
    assert isinstance(e, LookupFailed)
    if not _current(s, e.req):
        return _same(s)
    state = _service_failure(e.code)
    return _fail(s, state, e.code, State.LOOKUP if state is State.UPSTREAM_OFFLINE else None)


def _plans_loaded(s: Session, e: Event) -> Result:
    assert isinstance(e, PlansLoaded)
    if not _current(s, e.req):
        return _same(s)
    return dataclasses.replace(s, plans=tuple(e.plans)), []


def _plans_failed(s: Session, e: Event) -> Result:
    assert isinstance(e, PlansFailed)
    if not _current(s, e.req):
        return _same(s)
    state = _service_failure(e.code)
    return _fail(s, state, e.code, State.ACCOUNT if state is State.UPSTREAM_OFFLINE else None)


def _choose_plan(s: Session, e: Event) -> Result:
    assert isinstance(e, ChoosePlan)
    plan = next((p for p in s.plans or () if p.id == e.plan_id), None)
    if plan is None:
        return _same(s)
    return _enter(dataclasses.replace(s, plan=plan), State.CONFIRM)


def _to_plans(s: Session, e: Event) -> Result:
    """The plans screen shows a spinner until the catalogue (already requested) arrives."""
    return _enter(s, State.PLANS)


def approved(prompt: TerminalPrompt, text: str) -> bool:
    """Whether a prompt says the payment is approved: the terminal's own "approved", or the
    checkout's marker, ``PROCESSING`` with no text, sent once the approval is journaled
    (the terminal's own "processing" statuses always carry their text and come earlier)."""
    return prompt is TerminalPrompt.APPROVED or (prompt is TerminalPrompt.PROCESSING and not text)


def _prompt(s: Session, e: Event) -> Result:
    assert isinstance(e, Prompt)
    if not _current(s, e.req):
        return _same(s)
    s = dataclasses.replace(s, prompt=e.prompt, prompt_text=e.text, terminal_silent=False)
    if approved(e.prompt, e.text) and s.state is State.PAY:
        s = dataclasses.replace(s, state=State.PROCESSING, cancelling=False)
    return s, []


def _terminal_silent(s: Session, e: Event) -> Result:
    assert isinstance(e, TerminalSilent)
    if not _current(s, e.req) or s.terminal_silent:
        return _same(s)
    return dataclasses.replace(s, terminal_silent=True), []


def _cancel_payment(s: Session, e: Event) -> Result:
    if s.cancelling:
        return _same(s)
    return dataclasses.replace(s, cancelling=True), [CancelCheckout()]


def _checkout_done(s: Session, e: Event) -> Result:
    assert isinstance(e, CheckoutDone)
    if not _current(s, e.req):
        return _same(s)
    o = e.outcome
    cancelling = s.cancelling
    s = dataclasses.replace(s, outcome=o, cancelling=False, terminal_silent=False)
    if o.result is TxnResult.COMPLETED:
        if o.printed:
            return _enter(s, State.SUCCESS)
        return _fail(s, State.PRINTER_OUT_OF_PAPER, "printer_out_of_paper", None)
    if o.result is TxnResult.DECLINED and not cancelling:
        return _fail(s, State.PAYMENT_DECLINED, o.result.value, State.CONFIRM)
    if o.result in (TxnResult.CANCELLED, TxnResult.DECLINED):  # a cancel is never "declined"
        return _fail(s, State.PAYMENT_CANCELLED, TxnResult.CANCELLED.value, State.CONFIRM)
    if o.result is TxnResult.TERMINAL_UNAVAILABLE:
        return _fail(s, State.TERMINAL_OFFLINE, o.result.value, State.CONFIRM)
    if o.result is TxnResult.TOPUP_FAILED_REVERSED:
        fixable = o.failure_kind in (FailureKind.CUSTOMER_FIXABLE, FailureKind.TRANSIENT)
        return _fail(s, State.TOPUP_FAILED, o.result.value, State.PLANS if fixable else None)
    return _fail(s, State.OUT_OF_SERVICE, o.result.value, None)


def _checkout_failed(s: Session, e: Event) -> Result:
    assert isinstance(e, CheckoutFailed)
    if not _current(s, e.req):
        return _same(s)
    s = dataclasses.replace(s, cancelling=False, terminal_silent=False)
    if e.code == "invalid_number":  # nothing charged: the customer types the number
        s, cmds = _to_phone(s, e)
        return dataclasses.replace(s, notice=e.code), cmds
    account = s.account
    if e.code in CHOOSE_AGAIN and account is not None:  # nothing charged: choose again
        s = dataclasses.replace(s, req=s.req + 1, plans=None, plan=None)
        return _enter(s, State.PLANS, notice=e.code)[0], [LoadPlans(s.req, account.carrier)]
    if e.code == "terminal_unavailable":
        return _fail(s, State.TERMINAL_OFFLINE, e.code, State.CONFIRM)
    if e.code.startswith("upstream"):
        return _fail(s, State.UPSTREAM_OFFLINE, e.code, State.CONFIRM)
    return _fail(s, State.OUT_OF_SERVICE, e.code, None)


def _retry(s: Session, e: Event) -> Result:
    if s.retry is None:
        return _same(s)
    if s.retry is State.PHONE:
        return _to_phone(dataclasses.replace(s, retry=None, error=""), e)
    return _enter(dataclasses.replace(s, retry=None, error=""), s.retry)


def _start_over(s: Session, e: Event) -> Result:
    return _exit(s)


def _idle_timeout(s: Session, e: Event) -> Result:
    if not idle_applies(s.state) or s.idle_warning:
        return _same(s)
    return dataclasses.replace(s, idle_warning=True), []


def _more_time(s: Session, e: Event) -> Result:
    if not s.idle_warning:
        return _same(s)
    return dataclasses.replace(s, idle_warning=False), []


def _idle_expired(s: Session, e: Event) -> Result:
    if not s.idle_warning:
        return _same(s)
    return _exit(s)


def _take_sim_timeout(s: Session, e: Event) -> Result:
    """Nobody took the SIM: the attract screen anyway; the card stays known as seen."""
    return _reset(s)


# --------------------------------------------------------------------------- the table

_CARD_FAILURES = (State.UNREADABLE_SIM, State.CARD_REMOVED)
_PAYMENT_FAILURES = (State.PAYMENT_DECLINED, State.PAYMENT_CANCELLED, State.TERMINAL_OFFLINE)

#: (state, event type) → handler. Everything not listed here (or in GLOBAL) is ignored.
TABLE: dict[tuple[State, type], Handler] = {
    (State.ATTRACT, Touch): _touch,
    (State.ATTRACT, ChooseLanguage): _choose_language,  # the attract screen's language buttons
    (State.LANGUAGE, ChooseLanguage): _choose_language,
    (State.LANGUAGE, Back): _start_over,
    (State.INSERT_SIM, CardInserted): _card_inserted,
    (State.INSERT_SIM, CardPulled): _card_pulled_waiting,
    (State.INSERT_SIM, CardRead): _card_read,
    (State.INSERT_SIM, ReadFailed): _read_failed,
    (State.INSERT_SIM, UsePhone): _to_phone,
    (State.INSERT_SIM, Back): _to(State.LANGUAGE),
    (State.READING, CardRead): _card_read,
    (State.READING, ReadFailed): _read_failed,
    (State.READING, CardPulled): _card_pulled,
    (State.PHONE, Digit): _digit,
    (State.PHONE, Backspace): _backspace,
    (State.PHONE, ClearDigits): _clear_digits,
    (State.PHONE, SubmitNumber): _submit_number,
    (State.PHONE, UseSim): _to(State.INSERT_SIM),
    (State.PHONE, Back): _to(State.INSERT_SIM),
    (State.LOOKUP, AccountFound): _account_found,
    (State.LOOKUP, AccountMissing): _account_missing,
    (State.LOOKUP, LookupFailed): _lookup_failed,
    (State.ACCOUNT, PlansLoaded): _plans_loaded,
    (State.ACCOUNT, PlansFailed): _plans_failed,
    (State.ACCOUNT, Next): _to_plans,
    (State.ACCOUNT, ChoosePlan): _choose_plan,  # "Renew <current plan> for $X"
    (State.ACCOUNT, UsePhone): _to_phone,
    (State.ACCOUNT, Back): _start_over,
    (State.PLANS, PlansLoaded): _plans_loaded,
    (State.PLANS, PlansFailed): _plans_failed,
    (State.PLANS, ChoosePlan): _choose_plan,
    (State.PLANS, Back): _to(State.ACCOUNT),
    (State.CONFIRM, Pay): _to(State.PAY),
    (State.CONFIRM, Change): _to_plans,
    (State.CONFIRM, Back): _to_plans,
    (State.PAY, Prompt): _prompt,
    (State.PAY, CancelPayment): _cancel_payment,
    (State.PAY, TerminalSilent): _terminal_silent,
    (State.PAY, CheckoutDone): _checkout_done,
    (State.PAY, CheckoutFailed): _checkout_failed,
    (State.PROCESSING, Prompt): _prompt,
    (State.PROCESSING, CheckoutDone): _checkout_done,
    (State.PROCESSING, CheckoutFailed): _checkout_failed,
    (State.SUCCESS, Next): _start_over,
    (State.SUCCESS, ScreenTimeout): _start_over,
    (State.PRINTER_OUT_OF_PAPER, Next): _start_over,
    (State.PRINTER_OUT_OF_PAPER, ScreenTimeout): _start_over,
    (State.TAKE_SIM, CardPulled): _sim_taken,
    (State.TAKE_SIM, ScreenTimeout): _take_sim_timeout,
    (State.NO_READER, Retry): _retry,
    (State.NO_READER, UsePhone): _to_phone,
    (State.ACCOUNT_NOT_FOUND, UsePhone): _to_phone,
    (State.ACCOUNT_NOT_FOUND, Retry): _retry,
    (State.TOPUP_FAILED, Retry): _retry,
    (State.UPSTREAM_OFFLINE, Retry): _retry,
    **{(st, Retry): _retry for st in _CARD_FAILURES},
    **{(st, UsePhone): _to_phone for st in _CARD_FAILURES},
    **{(st, CardInserted): _card_inserted_retry for st in _CARD_FAILURES},
    **{(st, Retry): _retry for st in _PAYMENT_FAILURES},
    **{(st, Change): _to_plans for st in _PAYMENT_FAILURES},
}

#: Handlers that apply in every state (each checks its own guard).
GLOBAL: dict[type, Handler] = {
    SetLanguage: _set_language,
    CardInserted: _note_inserted,
    CardPulled: _note_pulled,
    CardPresent: _note_present,
    IdleTimeout: _idle_timeout,
    MoreTime: _more_time,
    IdleExpired: _idle_expired,
}
#: "Start over" works everywhere except while money is moving.
for _state in State:
    if _state not in LOCKED_STATES and _state not in (State.ATTRACT, State.TAKE_SIM):
        TABLE.setdefault((_state, StartOver), _start_over)


def handler_for(state: State, event_type: type) -> Handler | None:
    """The handler the table names for ``event_type`` in ``state``, if any."""
    return TABLE.get((state, event_type)) or GLOBAL.get(event_type)


def step(session: Session, event: Event) -> Result:
    """Apply one event; return the new session and the commands the shell must run."""
    handler = handler_for(session.state, type(event))
    if handler is None:
        return session, []
    new, commands = handler(session, event)
    if new.idle_warning and not idle_applies(new.state):
        new = dataclasses.replace(new, idle_warning=False)
    return new, commands


ALL_EVENT_TYPES: tuple[type, ...] = (
    Touch, ChooseLanguage, SetLanguage, UseSim, UsePhone, CardInserted, CardPulled, CardPresent,
    CardRead, ReadFailed, Digit, Backspace, ClearDigits, SubmitNumber, AccountFound, AccountMissing,
    LookupFailed, PlansLoaded, PlansFailed, Next, Back, ChoosePlan, Change, Pay, Prompt,
    CancelPayment, TerminalSilent, CheckoutDone, CheckoutFailed, Retry, StartOver, IdleTimeout,
    MoreTime, IdleExpired, ScreenTimeout,
)  # fmt: skip

__all__ = [
    "ALL_EVENT_TYPES",
    "BUSY_STATES",
    "CHOOSE_AGAIN",
    "FAILURE_STATES",
    "GLOBAL",
    "LANGUAGES",
    "SELF_TIMED_STATES",
    "TABLE",
    "Command",
    "Event",
    "Session",
    "State",
    "approved",
    "handler_for",
    "idle_applies",
    "new_session",
    "next_session",
    "normalize_number",
    "note_slot",
    "step",
]
