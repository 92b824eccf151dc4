"""The imperative shell around :mod:`kiosk.flow`: events in, commands out, on the GUI thread.

The controller holds the current :class:`~kiosk.flow.Session`, feeds it every
touch (from QML) and every device result (from :mod:`ui.workers`, queued), runs
the commands :func:`kiosk.flow.step` returns on worker lanes, owns the idle
timers and tells the view models to refresh. It never calls a device itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import Property, QEvent, QObject, QTimer, Signal, Slot

from kiosk import flow
from kiosk.flow import Event, Session, State
from kiosk.ports import Account, CardEvent, CardEventKind, Plan, TerminalPrompt
from ui.qrimage import qr_source, remember_reminder
from ui.workers import Worker

log = logging.getLogger(__name__)


class ServicesLike(Protocol):
    """What the UI needs from the composition root (``kiosk.app.Services``); any may be None."""

    reader: Any
    provider: Any
    checkout: Any


#: QML intents (``session.send(name, arg)``) → flow events. Unknown names are a bug.
INTENTS: dict[str, Callable[[str], Event]] = {
    "touch": lambda _a: flow.Touch(),
    "choose_language": lambda a: flow.ChooseLanguage(a),
    "set_language": lambda a: flow.SetLanguage(a),
    "use_sim": lambda _a: flow.UseSim(),
    "use_phone": lambda _a: flow.UsePhone(),
    "digit": lambda a: flow.Digit(a),
    "backspace": lambda _a: flow.Backspace(),
    "clear": lambda _a: flow.ClearDigits(),
    "submit_number": lambda _a: flow.SubmitNumber(),
    "next": lambda _a: flow.Next(),
    "back": lambda _a: flow.Back(),
    "choose_plan": lambda a: flow.ChoosePlan(a),
    "change": lambda _a: flow.Change(),
    "pay": lambda _a: flow.Pay(),
    "cancel_payment": lambda _a: flow.CancelPayment(),
    "retry": lambda _a: flow.Retry(),
    "start_over": lambda _a: flow.StartOver(),
    "more_time": lambda _a: flow.MoreTime(),
}

_ACTIVITY_EVENTS = frozenset(
    {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress}
)


def screen_file(state: State) -> str:
    """``insert_sim`` → ``InsertSimScreen.qml``."""
    return "".join(part.capitalize() for part in state.value.split("_")) + "Screen.qml"


class SessionController(QObject):
    """Holds the session; QML sees ``screen``, ``idleWarning``, ``idleRemaining`` and ``send``."""

    changed = Signal()
    sessionChanged = Signal(object)  # the new Session, for view models and tests
    languageRequested = Signal(str)
    #: A checkout ended (any outcome): the sync service is nudged to push the new events.
    transactionFinished = Signal(object)

    def __init__(
        self,
        services: ServicesLike | None,
        *,
        default_lang: str = "en",
        idle_timeout_s: float = 45.0,
        idle_countdown_s: float = 15.0,
        read_timeout_s: float = 10.0,
        payment_silence_s: float = 30.0,
        success_timeout_s: float = 60.0,
        take_sim_timeout_s: float = 30.0,
        worker: Worker | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._session = flow.new_session(default_lang)
        self._read_timeout_s = read_timeout_s
        self._countdown_s = idle_countdown_s
        self._remaining_ms = 0
        self._worker = worker if worker is not None else Worker(self)
        self._worker.finished.connect(self._on_result)  # queued: emitted from lanes
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(max(1, int(idle_timeout_s * 1000)))
        self._idle.timeout.connect(lambda: self.dispatch(flow.IdleTimeout()))
        self._tick = QTimer(self)
        self._tick.setSingleShot(True)
        self._tick.timeout.connect(self._on_tick)
        # Paying: no message from the terminal for this long → "not responding" with Cancel.
        self._silence = QTimer(self)
        self._silence.setSingleShot(True)
        self._silence.setInterval(max(1, int(payment_silence_s * 1000)))
        self._silence.timeout.connect(lambda: self.dispatch(flow.TerminalSilent(self._session.req)))
        # Screens that end by themselves (success, take your SIM): no "Need more time?".
        self._screen_timeouts_ms = {
            State.SUCCESS: max(1, int(success_timeout_s * 1000)),
            State.PRINTER_OUT_OF_PAPER: max(1, int(success_timeout_s * 1000)),
            State.TAKE_SIM: max(1, int(take_sim_timeout_s * 1000)),
        }
        self._screen_timer = QTimer(self)
        self._screen_timer.setSingleShot(True)
        self._screen_timer.timeout.connect(lambda: self.dispatch(flow.ScreenTimeout()))
        self._watch: Any = None
        self._closed = False
        self._suspended = False

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start watching the card slot (on the reader lane; watch() may touch the device).
        The watch first reports a card already in the slot (``PRESENT``): the flow counts it
        as stale until it is pulled, so a card left in through a restart is never read."""
        reader = self._reader
        if reader is None:
            return

        def start_watch() -> None:
            self._watch = reader.watch(self._on_card_event)

        self._worker.submit("reader", start_watch)

    def attach(self, services: ServicesLike) -> None:
        """Services built after the first frame (``kiosk run``): use them, watch the slot."""
        self._services = services
        if not self._closed:
            self.start()

    def close(self, wait: bool = False) -> None:
        """Stop timers, the card watch and the lanes; idempotent.

        ``wait=True`` joins the lane threads (their device calls must be able to end).
        """
        if self._closed:
            if wait:
                self._worker.close(wait=True)
            return
        self._closed = True
        self._stop_timers()
        watch, self._watch = self._watch, None
        if watch is not None:
            try:
                watch.close()
            except Exception:
                log.exception("closing the card watch failed")
        self._worker.close(wait=wait)

    @property
    def suspended(self) -> bool:
        return self._suspended

    def suspend(self) -> None:
        """Staff mode or start-up: the customer flow hears nothing (no card event, no late
        answer, no idle timer) until :meth:`resume`. Language switches still apply."""
        self._suspended = True
        self._stop_timers()
        self._remaining_ms = 0

    def resume(self) -> None:
        """A fresh customer session on the attract screen (every entered detail forgotten;
        answers asked for before the suspension are stale by their request number)."""
        self._suspended = False
        if self._closed:
            return
        before = self._session
        fresh = flow.next_session(before)
        self._session = fresh
        if before.lang != fresh.lang:
            self.languageRequested.emit(fresh.lang)
        self._update_idle(before, fresh)
        self.changed.emit()
        self.sessionChanged.emit(fresh)

    @property
    def _reader(self) -> Any:
        return getattr(self._services, "reader", None)

    @property
    def _provider(self) -> Any:
        return getattr(self._services, "provider", None)

    @property
    def _checkout(self) -> Any:
        return getattr(self._services, "checkout", None)

    # ------------------------------------------------------------------ QML surface

    @Property(str, notify=changed)
    def screen(self) -> str:
        return self._session.state.value

    @Property(str, notify=changed)
    def screenFile(self) -> str:
        return screen_file(self._session.state)

    @Property(str, notify=changed)
    def lang(self) -> str:
        return self._session.lang

    @Property(bool, notify=changed)
    def idleWarning(self) -> bool:
        return self._session.idle_warning

    @Property(int, notify=changed)
    def idleRemaining(self) -> int:
        return (self._remaining_ms + 999) // 1000

    @Slot(str)
    @Slot(str, str)
    def send(self, name: str, arg: str = "") -> None:
        """A touch intent from QML."""
        factory = INTENTS.get(name)
        if factory is None:
            log.error("unknown UI intent %r", name)
            return
        self.dispatch(factory(arg))

    # ------------------------------------------------------------------ the loop

    @property
    def session(self) -> Session:
        return self._session

    def dispatch(self, event: Event) -> None:
        """Step the flow and run what it asks for. GUI thread only."""
        if self._closed:
            return
        if self._suspended and not isinstance(event, flow.SetLanguage):
            # the slot is still watched: a card put in meanwhile is not the next customer's
            self._session = flow.note_slot(self._session, event)
            return
        before = self._session
        after, commands = flow.step(before, event)
        if after is before and not commands:
            return
        self._session = after
        if after.state is not before.state:
            log.info("screen %s -> %s", before.state.value, after.state.value)
        for command in commands:
            self._run(command)
        if not self._suspended:
            self._update_idle(before, after)
            self._update_screen_timers(before, after, event)
        self.changed.emit()
        self.sessionChanged.emit(after)
        if isinstance(event, flow.CheckoutDone | flow.CheckoutFailed) and after.state is not before.state:
            self.transactionFinished.emit(after)

    def show_snapshot(self, session: Session) -> None:
        """Display ``session`` as is, running no commands (screenshots and previews only)."""
        before = self._session
        self._session = session
        self._update_idle(before, session)
        self.changed.emit()
        self.sessionChanged.emit(session)

    def _stop_timers(self) -> None:
        for timer in (self._idle, self._tick, self._silence, self._screen_timer):
            timer.stop()

    def _update_screen_timers(self, before: Session, after: Session, event: Event) -> None:
        """The terminal-silence watch while paying, and the self-timed screens' own end."""
        if after.state is State.PAY and not after.terminal_silent:
            if before.state is not State.PAY or isinstance(event, flow.Prompt):
                self._silence.start()  # every message from the terminal restarts the watch
        else:
            self._silence.stop()
        if after.state is not before.state:
            interval = self._screen_timeouts_ms.get(after.state)
            if interval is None:
                self._screen_timer.stop()
            else:
                self._screen_timer.start(interval)

    def _post(self, event: Event) -> None:
        """Deliver an event on the next loop turn (never re-entering ``dispatch``)."""
        QTimer.singleShot(0, self, lambda: self.dispatch(event))

    @Slot(object)
    def _on_result(self, event: object) -> None:
        self.dispatch(event)  # type: ignore[arg-type]

    def _on_card_event(self, event: CardEvent) -> None:
        """Reader watch callback, on the reader's thread: hand over through the signal."""
        if event.kind is CardEventKind.INSERTED:
            self._worker.finished.emit(flow.CardInserted())
        elif event.kind is CardEventKind.PRESENT:  # in the slot when the watch started
            self._worker.finished.emit(flow.CardPresent())
        elif event.kind is CardEventKind.REMOVED:
            self._worker.finished.emit(flow.CardPulled())

    def _run(self, command: flow.Command) -> None:
        if isinstance(command, flow.ReadCard):
            self._read_card(command.req)
        elif isinstance(command, flow.LookupAccount):
            self._lookup(command)
        elif isinstance(command, flow.LoadPlans):
            self._load_plans(command.req, command.carrier)
        elif isinstance(command, flow.StartCheckout):
            self._start_checkout(command.req, command.account, command.plan, command.lang)
        elif isinstance(command, flow.CancelCheckout):
            checkout = self._checkout
            if checkout is not None:
                self._worker.submit("control", checkout.cancel)
        elif isinstance(command, flow.ApplyLanguage):
            self.languageRequested.emit(command.lang)

    def _read_card(self, req: int) -> None:
        reader, timeout = self._reader, self._read_timeout_s
        if reader is None:
            self._post(flow.ReadFailed(req, "no_reader"))
            return
        self._worker.submit(
            "reader",
            lambda: flow.CardRead(req, reader.read(timeout)),
            lambda code: flow.ReadFailed(req, code),
        )

    def _lookup(self, cmd: flow.LookupAccount) -> None:
        provider = self._provider
        if provider is None:
            self._post(flow.LookupFailed(cmd.req, "upstream_unavailable"))
            return

        def call() -> Event:
            account = provider.lookup(iccid=cmd.iccid, msisdn=cmd.msisdn)
            if account is None:
                return flow.AccountMissing(cmd.req)
            return flow.AccountFound(cmd.req, account)

        self._worker.submit("provider", call, lambda code: flow.LookupFailed(cmd.req, code))

    def _load_plans(self, req: int, carrier: str) -> None:
        provider = self._provider
        if provider is None:
            self._post(flow.PlansFailed(req, "upstream_unavailable"))
            return
        self._worker.submit(
            "provider",
            lambda: flow.PlansLoaded(req, tuple(provider.catalog(carrier))),
            lambda code: flow.PlansFailed(req, code),
        )

    def _start_checkout(self, req: int, account: Account, plan: Plan, lang: str) -> None:
        checkout = self._checkout
        if checkout is None:
            self._post(flow.CheckoutFailed(req, "out_of_service"))
            return
        finished = self._worker.finished

        def on_prompt(prompt: TerminalPrompt, text: str) -> None:
            finished.emit(flow.Prompt(req, TerminalPrompt(prompt), text))

        def call() -> Event:
            outcome = checkout.run(account, plan, on_prompt, lang=lang)
            if outcome.receipt is not None:  # encode both QR codes here, not on the GUI thread
                qr_source(outcome.receipt.url)
                remember_reminder(outcome.receipt)
            return flow.CheckoutDone(req, outcome)

        self._worker.submit("checkout", call, lambda code: flow.CheckoutFailed(req, code))

    # ------------------------------------------------------------------ idle

    def _update_idle(self, before: Session, after: Session) -> None:
        if after.idle_warning and not before.idle_warning:
            self._idle.stop()
            self._remaining_ms = int(self._countdown_s * 1000)
            self._schedule_tick()
            return
        if not after.idle_warning:
            self._tick.stop()
            self._remaining_ms = 0
            if after.state is not before.state or before.idle_warning:
                self._arm_idle()

    def _arm_idle(self) -> None:
        if flow.idle_applies(self._session.state) and not self._session.idle_warning:
            self._idle.start()
        else:
            self._idle.stop()

    def _schedule_tick(self) -> None:
        self._tick.start(max(1, min(1000, self._remaining_ms)))

    def _on_tick(self) -> None:
        self._remaining_ms -= self._tick.interval()
        if self._remaining_ms <= 0:
            self._remaining_ms = 0
            self.dispatch(flow.IdleExpired())
            return
        self.changed.emit()
        self._schedule_tick()

    def user_activity(self) -> None:
        """Any touch or key: the customer is still there."""
        if self._suspended:
            return
        if self._session.idle_warning:
            # After this touch is delivered: the overlay must swallow it, not the screen below.
            self._post(flow.MoreTime())
        self._arm_idle()
        if self._session.state in (State.SUCCESS, State.PRINTER_OUT_OF_PAPER):
            self._screen_timer.start()  # still scanning the QR codes: the full time again

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY_EVENTS:
            self.user_activity()
        return False
