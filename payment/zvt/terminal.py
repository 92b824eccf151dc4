"""``ZvtTerminal``: the :class:`kiosk.ports.PaymentTerminal` adapter for ZVT over serial.

One worker thread owns the port; every public method queues a job for it and
waits with a deadline, so a caller never blocks longer than
:meth:`ZvtTerminal.deadline_for` says and the port is never touched by two
threads. ``abort()`` only flags the running job, so it is safe from any thread.

Error translation at this edge:

* the command never accepted (port missing, 84 xx after the busy retries; for a
  check, also no ACK or no 80 00) -> ``TerminalUnavailable``
* a money command sent but not acknowledged / accepted in time -> ``PaymentOutcomeUnknown``:
  a terminal that was only frozen acts on the frame in its buffer when it wakes
* 06 1E as the first answer to registration or Repeat Receipt: maybe an earlier
  transaction's abort still on the line; believed only after the line settled
* accepted, then silence or link loss *before* the final status information ->
  ``PaymentOutcomeUnknown`` (never a decline)
* a final status information (04 0F with a result code) decides, even when the
  completion (06 0F) is lost afterwards: ``PaymentResult(completion_missing=True)``
* 06 1E from the terminal -> a ``PaymentResult`` with ``approved=False`` and the
  terminal's result code (the port's meaning of a definite decline or abort)
* Repeat Receipt answered 84 83 -> ``TerminalFunctionUnsupported`` from
  ``last_result()``; every other command still works.

A caller whose wait runs out aborts its job (06 B0 while the terminal is master,
else the link is dropped), so no later call queues behind a command nobody waits
for. After a link failure or an abandoned command the port is closed; the next
call reopens it (retrying for up to T3, so a cable plugged back in is picked up)
and registers again.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from kiosk.config import TerminalSection
from kiosk.errors import PaymentOutcomeUnknown, TerminalFunctionUnsupported, TerminalUnavailable
from kiosk.ports import (
    DeviceHealth,
    PaymentResult,
    StatusCallback,
    TerminalActivity,
    TerminalCapabilities,
    TerminalEvidence,
    TerminalReport,
)
from payment.errors import (
    Abandoned,
    Interrupted,
    LinkDown,
    NoAcknowledge,
    RegistrationRefused,
    RequestNotAccepted,
    ResultLost,
    TerminalProtocolError,
    TerminalRejected,
    UndecodableMessage,
    UndecodablePaymentAnswer,
    ZvtAborted,
    ZvtError,
)
from payment.statefile import StateFileError
from payment.zvt.apdu import Apdu
from payment.zvt.codes import (
    ABORTED,
    CARD_TYPES,
    NOT_POSSIBLE,
    NOT_REGISTERED,
    currency_alpha,
    currency_numeric,
    intermediate_prompt,
    mask_pan,
    result_text,
    terminal_status_text,
)
from payment.zvt.messages import (
    Authorization,
    BookTotal,
    Completion,
    Diagnosis,
    EndOfDay,
    IntermediateStatus,
    LogOff,
    NegativeAck,
    PositiveAck,
    PreAuthorization,
    PreAuthReversal,
    Refund,
    Registration,
    RepeatReceipt,
    Reversal,
    StatusEnquiry,
    StatusInformation,
    parse_terminal_message,
)
from payment.zvt.session import Control, Exchange, Session
from payment.zvt.state import DriverState
from payment.zvt.timing import EXPECTED_MESSAGES, Pace, Timing
from payment.zvt.transport import ByteLink, SerialLink, ZvtTransport

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Repeat Receipt (06 20) and the pre-authorisation family, as control fields.
_REPEAT_RECEIPT = RepeatReceipt.CONTROL
_PREAUTH = (PreAuthorization.CONTROL, BookTotal.CONTROL, PreAuthReversal.CONTROL)
_ABORT = (0x06, 0xB0)
_ACK_APDU = PositiveAck().to_apdu().encode()

#: Operations that move no money: a caller who gives up on one (or ``close()`` during one)
#: drops the link at once instead of sending 06 B0 and waiting out the abort grace.
CHECKS = frozenset({"status", "register", "last_result", "log_off"})
#: Operations that move money (:meth:`ZvtTerminal._money`): a command of these the terminal
#: did not accept in time may still be acted on by a late terminal, so its outcome is unknown.
MONEY_OPERATIONS = frozenset({"authorize", "reverse", "refund", "reserve", "book_total", "release"})


def _noop_status(prompt: object, text: str) -> None:
    return None


@dataclass
class _Job:
    fn: Callable[[], object]
    future: Future[object]
    control: Control


class ZvtTerminal:
    """ZVT ECR driver. Construct cheaply (no I/O); the port opens on first use.

    ``state_dir``: where capabilities and evidence survive a restart (the kiosk
    passes ``<data_dir>/terminal``); ``None`` keeps them in memory.
    ``timing``: waits (default from ``settings``); tests pass shorter ones.
    """

    def __init__(
        self,
        settings: TerminalSection,
        *,
        currency: str = "USD",
        link_factory: Callable[[], ByteLink] | None = None,
        state_dir: Path | None = None,
        timing: Timing | None = None,
    ) -> None:
        self.settings = settings
        self.currency = currency
        self._currency_num = currency_numeric(currency)
        self._link_factory = link_factory or self._open_serial
        self.timing = timing or Timing.from_settings(settings)
        self.pace = Pace()
        self._state = DriverState(state_dir)
        self._caps = self._state.capabilities() or TerminalCapabilities()
        self._counts = dict(EXPECTED_MESSAGES)
        self._probe_failed = False
        self._hurry_probe = False  # worker thread: the probe runs under a caller's budget
        self._registration: Completion | None = None
        self._session: Session | None = None
        self._registered = False
        #: a command ended while the terminal may still be sending: before the next registration
        #: the line is let settle (:meth:`_settle_line`)
        self._line_dirty = False
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._current: Control | None = None
        self._closed = False
        self.terminal_id: str | None = self._caps.terminal_id

    # ------------------------------------------------------------------ for the shell (no I/O)

    def capabilities(self) -> TerminalCapabilities:
        """What the terminal can do as far as known (probed at registration, kept on disk)."""
        with self._lock:
            return self._caps

    def deadline_for(self, operation: str) -> float:
        """Seconds a caller should wait for ``operation``; the driver gives up and aborts first."""
        return self.timing.deadline_s(operation, self.pace.value,
                                      messages=self._counts.get(operation),
                                      probe=self._needs_probe(), quiet=self._line_dirty)

    def evidence(self) -> TerminalEvidence:
        return self._state.evidence()

    def activity(self) -> TerminalActivity:
        ctrl = self._current
        if ctrl is None:
            return TerminalActivity(None, False, 0.0, "idle")
        return TerminalActivity(ctrl.operation, ctrl.master,
                                max(0.0, time.monotonic() - ctrl.last_rx), ctrl.phase)

    @property
    def pace_s(self) -> float:
        """The terminal's measured time per message (0 until it has answered)."""
        return self.pace.value

    def _needs_probe(self) -> bool:
        return self._caps.repeat_receipt is None and not self._probe_failed

    def _budget(self, operation: str) -> float:
        return self.timing.budget_s(operation, self.pace.value,
                                    messages=self._counts.get(operation),
                                    probe=self._needs_probe(), quiet=self._line_dirty)

    # ------------------------------------------------------------------ worker

    def _open_serial(self) -> ByteLink:
        s = self.settings
        return SerialLink.open(s.port, baud=s.baud, bytesize=s.bytesize, parity=s.parity,
                               stopbits=s.stopbits)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._closed:
                raise TerminalUnavailable("payment terminal driver is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._worker, name="zvt-terminal",
                                                daemon=True)
                self._thread.start()

    def _worker(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                break
            if not job.future.set_running_or_notify_cancel():
                continue
            self._current = job.control
            try:
                job.future.set_result(job.fn())
            except BaseException as exc:  # handed to the caller, who re-raises it
                job.future.set_exception(exc)
            finally:
                self._current = None
        self._drop_link()

    def _call(self, fn: Callable[[Control, float], T], operation: str, *, money: bool,
              budget_s: float | None = None) -> T:
        """Run ``fn(control, deadline)`` on the worker. A caller whose wait runs out aborts
        the job and waits (bounded) for it to end, so the worker is free for the next call."""
        self._ensure_thread()
        pace = self.pace.value
        budget = self._budget(operation)
        if budget_s is not None:
            budget = min(budget, budget_s)
        deadline = time.monotonic() + budget
        control = Control(operation)
        future: Future[object] = Future()
        self._jobs.put(_Job(lambda: fn(control, deadline), future, control))
        # the job aborts itself at its deadline (06 B0, then the grace): wait for that too;
        # a check that moves no money is not worth the grace: its link is dropped at once
        wait = budget + 0.1 if operation in CHECKS else budget + self.timing.abort_bound_s(pace) + 0.5
        try:
            return future.result(timeout=wait)  # type: ignore[return-value]
        except TimeoutError:
            pass
        except CancelledError as exc:
            raise TerminalUnavailable("payment terminal driver closed") from exc
        control.cancel.set()
        if future.cancel():
            raise self._gave_up(money, "it never started (the terminal was busy)")
        control.stop.set()  # every wait on the line checks this within 50 ms
        try:
            return future.result(timeout=1.0)  # type: ignore[return-value]
        except TimeoutError:
            raise self._gave_up(money, "the terminal did not end it") from None

    @staticmethod
    def _gave_up(money: bool, why: str) -> TerminalUnavailable | PaymentOutcomeUnknown:
        text = f"payment terminal did not finish in time; {why}"
        return PaymentOutcomeUnknown(text) if money else TerminalUnavailable(text)

    # ------------------------------------------------------------------ link (worker thread)

    def _drop_link(self) -> None:
        if self._session is not None:
            self._session.transport.close()
        self._session = None
        self._registered = False

    def _connect(self, control: Control, deadline: float) -> Session:
        if self._session is not None:
            return self._session
        give_up = min(deadline, time.monotonic() + self.timing.connect_s())
        while True:
            try:
                link = self._link_factory()
                break
            except LinkDown as exc:
                if time.monotonic() >= give_up or control.stop.is_set():
                    raise TerminalUnavailable(
                        f"payment terminal port {self.settings.port} unavailable: {exc}") from exc
                time.sleep(0.1)
        transport = ZvtTransport(link, ack_timeout_s=self.timing.ack_s, tries=self.timing.tries)
        self._session = Session(transport, timing=self.timing, pace=self.pace)
        return self._session

    def _ready(self, control: Control, deadline: float) -> Session:
        """An open, registered session; reconnects once if the old port went stale."""
        for attempt in (1, 2):
            session = self._connect(control, deadline)
            if self._registered:
                return session
            settled = False
            try:
                if self._line_dirty:
                    settled = True
                    self._settle_line(session, control, deadline)
                self._register(session, control, deadline)
                return session
            except TerminalRejected as exc:
                # Never the command's refusal (a caller must not take it for one, e.g. "no
                # Repeat Receipt"): a 06 1E at once may be an earlier transaction's abort still
                # on the line, so let the line settle and register once more before believing it.
                self._drop_link()
                if exc.at_once and not settled and attempt == 1 and time.monotonic() < deadline \
                        and not control.stop.is_set():
                    self._line_dirty = True
                    log.info("registration answered at once with 06 1E (%s); letting the line "
                             "settle and registering again", exc)
                    continue
                raise RegistrationRefused(f"payment terminal refused registration: {exc}",
                                          nack_code=exc.nack_code, busy=exc.busy) from exc
            except (LinkDown, RequestNotAccepted, ResultLost, TerminalProtocolError) as exc:
                self._drop_link()
                if isinstance(exc, ResultLost):
                    self._line_dirty = True
                # after settling the line the port is a fresh one: reopening it again would
                # only add another 3 x T3 on a dead terminal (docs/money.md 6b's bounds)
                if attempt == 2 or settled or time.monotonic() >= deadline \
                        or control.stop.is_set() or isinstance(exc, Interrupted):
                    raise TerminalUnavailable(f"payment terminal registration failed: {exc}") \
                        from exc
                log.info("registration failed (%s); reopening the port", exc)
        raise TerminalUnavailable("payment terminal registration failed")  # pragma: no cover

    def _run(self, session: Session, command: Apdu, operation: str, control: Control,
             deadline: float, **kwargs: object) -> Exchange:
        """One command with the busy retries: 84 A0 / 84 9C and the like are "not now".

        Tries again after 0.5, 1, 2, 2... s (for the default 10 s window) until the
        next try would end after the window; then the command is refused.
        """
        window = self.timing.busy_window_s
        backoff, busy_since = window / 20, None
        while True:
            try:
                return session.run(command, operation=operation, deadline=deadline,
                                   control=control, **kwargs)  # type: ignore[arg-type]
            except TerminalRejected as exc:
                if not exc.busy:
                    raise
                now = time.monotonic()
                busy_since = busy_since if busy_since is not None else now
                if now - busy_since + backoff > window or now + backoff >= deadline:
                    raise TerminalRejected(
                        f"terminal still busy after {now - busy_since:.1f} s of retries "
                        f"(84 {exc.nack_code:02X}: {result_text(exc.nack_code)}); "
                        f"command refused", nack_code=exc.nack_code, busy=True) from exc
                log.info("terminal busy (%02X); trying again in %.1f s", exc.nack_code, backoff)
                until = time.monotonic() + backoff
                while time.monotonic() < until:
                    if control.cancelled() or control.stop.is_set():
                        raise TerminalUnavailable("cancelled while the terminal was busy") \
                            from exc
                    time.sleep(0.05)
                backoff = min(backoff * 2, window / 5)

    def _settle_line(self, session: Session, control: Control, deadline: float) -> None:
        """Let a terminal abandoned while it was master finish before the next command.

        Until the line has been silent for :meth:`Timing.quick_silence_s` (T3 at least: a
        frame nobody acknowledged is sent again T3 later), whatever the terminal still sends
        is acknowledged (80 00) and discarded, so an earlier transaction's answer does not
        cross the next command; a final status among it is kept as foreign evidence. At most
        :meth:`Timing.quiet_cap_s`: a terminal that keeps talking is left to the checks.
        """
        pace = self.pace.value
        quiet = self.timing.quick_silence_s(pace)
        start = last = time.monotonic()
        cap = start + self.timing.quiet_cap_s(pace)
        end = min(deadline, cap)
        transport = session.transport
        stale = 0
        while True:
            now = time.monotonic()
            if now - last >= quiet or now >= cap:
                self._line_dirty = False  # silent, or it talks on: the checks take over
                break
            if now >= end:
                break  # the caller's deadline: the next command waits again
            if control.cancelled() or control.stop.is_set():
                raise TerminalUnavailable("cancelled before the terminal took the command")
            try:
                raw = transport.receive(min(0.2, quiet - (now - last), end - now),
                                        stop=control.stop.is_set)
            except Interrupted as exc:
                raise TerminalUnavailable(f"payment terminal link closed: {exc}") from exc
            if raw is None:
                continue
            last = time.monotonic()
            stale += 1
            try:
                message = parse_terminal_message(Apdu.decode(raw))
            except ZvtError:
                message = None
            if isinstance(message, PositiveAck | NegativeAck):
                continue  # an answer to an abandoned command: nothing to acknowledge
            if isinstance(message, StatusInformation) and message.result_code is not None:
                try:
                    self._state.status(control.op_seq, control.operation, message,
                                       foreign="arrived after its command was abandoned")
                except StateFileError as exc:
                    log.warning("a stale status information not kept: %s", exc)
            try:
                transport.send(_ACK_APDU, deadline=time.monotonic() + self.timing.ack_s,
                               stop=control.stop.is_set)
            except NoAcknowledge as exc:
                log.info("could not acknowledge a stale message: %s", exc)
        log.info("line settled before registering: waited %.1f s, %d stale message(s) "
                 "acknowledged and discarded", time.monotonic() - start, stale)

    def _register(self, session: Session, parent: Control, deadline: float) -> None:
        control = parent.child("register")
        cmd = Registration(self.settings.password, currency=self._currency_num).to_apdu()
        ex = self._run(session, cmd, "register", control, deadline)
        if ex.aborted:
            raise TerminalUnavailable(
                f"payment terminal refused registration: {result_text(ex.abort_code)}")
        comp = ex.completion
        if ex.completion_missing:
            self._drop_link()
            raise ResultLost("registration without completion")
        self._learn("register", ex)
        tid = f"{comp.terminal_id:08d}" if comp is not None and comp.terminal_id is not None \
            else self.terminal_id
        self.terminal_id = tid
        self._registered = True
        self._registration = comp
        self._note_registration(comp, tid)
        if self._needs_probe():
            self._probe(session, control, deadline)

    def _note_registration(self, comp: Completion | None, tid: str | None) -> None:
        """Capabilities from the registration: the permitted-commands list when sent."""
        with self._lock:
            caps = self._caps
            if caps.terminal_id is not None and tid is not None and caps.terminal_id != tid:
                log.info("a different terminal (%s, was %s): capabilities probed again",
                         tid, caps.terminal_id)
                caps = TerminalCapabilities()
            caps = replace(caps, terminal_id=tid)
            if comp is not None and comp.permitted_commands is not None:
                allowed = set(comp.permitted_commands)
                caps = replace(caps, repeat_receipt=_REPEAT_RECEIPT in allowed,
                               preauth=all(c in allowed for c in _PREAUTH),
                               abort=_ABORT in allowed or not allowed, source="registration",
                               checked_at=dt.datetime.now(dt.UTC))
            changed = caps != self._caps
            self._caps = caps
        if changed:
            self._save_caps()

    def _probe(self, session: Session, control: Control, deadline: float) -> None:
        """Repeat Receipt (06 20) once: 84 83 means the terminal lacks it.

        A terminal that chokes on the probe (silence, garbage) must still sell: the
        probe is not tried again by this driver and registration starts over without it.
        """
        probe = control.child("probe")
        probe.hurry = self._hurry_probe
        try:
            self._run(session, RepeatReceipt(self.settings.password).to_apdu(), "last_result",
                      probe, deadline)
            supported: bool | None = True
        except TerminalRejected as exc:
            # only an 84 xx to 06 20 itself says "no Repeat Receipt"; 06 1E at once may be an
            # earlier transaction's abort still on the line (unknown: probed again later)
            supported = None if exc.busy or exc.at_once or exc.nack_code == NOT_REGISTERED \
                or isinstance(exc, RegistrationRefused) else False
            log.info("repeat receipt probe: %s", exc)
        except (ResultLost, RequestNotAccepted) as exc:
            if probe.phase != "request":
                # it took 06 20 (80 00): it has Repeat Receipt, whatever happened next
                self._set_repeat_receipt(True, "probe")
            if not (isinstance(exc, Abandoned) or probe.stop.is_set()):
                self._probe_failed = True  # it choked on the probe: it is not asked again
                log.warning("repeat receipt probe failed (%s); not probing again", exc)
            raise
        self._set_repeat_receipt(supported, "probe")

    def _set_repeat_receipt(self, supported: bool | None, source: str) -> None:
        with self._lock:
            if supported is None or self._caps.repeat_receipt == supported:
                return
            self._caps = replace(self._caps, repeat_receipt=supported, source=source,
                                 checked_at=dt.datetime.now(dt.UTC))
        self._save_caps()

    def _save_caps(self) -> None:
        try:
            self._state.save_capabilities(self._caps)
        except StateFileError as exc:
            log.warning("capabilities not saved: %s", exc)

    def _learn(self, operation: str, ex: Exchange) -> None:
        if operation in self._counts and not ex.completion_missing:
            self._counts[operation] = max(self._counts[operation], ex.messages)

    def _exchange(
        self,
        command: Apdu,
        operation: str,
        control: Control,
        deadline: float,
        *,
        on_status: StatusCallback | None = None,
        keep_status: bool = False,
        belongs: Callable[[StatusInformation], str | None] | None = None,
        register: bool = True,
        master: bool = True,
    ) -> Exchange:
        """Run one command on the worker thread with reconnect and error translation.

        ``belongs(status)``: why a final status is not this command's (``None``: it is); a
        status that is not makes the outcome unknown (:class:`ResultLost`).
        """
        on_intermediate = None
        if on_status is not None:
            callback = on_status

            def on_intermediate(msg: IntermediateStatus) -> None:
                prompt, text = intermediate_prompt(msg.status)
                callback(prompt, text)

        def keep(st: StatusInformation) -> str | None:
            if st.result_code is None:
                return None
            try:
                foreign = belongs(st) if belongs is not None else None
            except StateFileError as exc:  # unproven is not this payment's
                foreign = f"its numbers cannot be checked: {exc}"
            try:
                self._state.status(control.op_seq, operation, st, foreign=foreign or "")
            except StateFileError:
                log.exception("could not keep the status information")
            return foreign

        resent = False
        reregistered = False
        while True:
            session = self._ready(control, deadline) if register \
                else self._connect(control, deadline)
            if control.cancel.is_set() or control.stop.is_set():
                raise TerminalUnavailable("cancelled before the terminal took the command")
            try:
                ex = self._run(session, command, operation, control, deadline, master=master,
                               on_intermediate=on_intermediate,
                               on_status=keep if keep_status else None)
            except TerminalRejected as exc:
                if exc.nack_code == NOT_REGISTERED and register and not reregistered:
                    reregistered = True  # the terminal restarted and forgot us
                    self._registered = False
                    continue
                raise
            except Interrupted as exc:
                self._drop_link()
                raise TerminalUnavailable(f"payment terminal link closed: {exc}") from exc
            except LinkDown as exc:  # nothing reached the terminal: safe to reopen and resend
                self._drop_link()
                if resent:
                    raise TerminalUnavailable(f"payment terminal link down: {exc}") from exc
                resent = True
                continue
            except RequestNotAccepted as exc:
                self._drop_link()
                if exc.may_have_arrived and operation in MONEY_OPERATIONS:
                    # "No ACK after 3 tries" is not "never received": a terminal frozen for a
                    # while acts on the frame in its buffer once it wakes (found by the money
                    # bench with the emulator stalled). Unknown, so it is checked, not assumed.
                    self._line_dirty = True
                    raise ResultLost(f"the terminal did not accept the command in time and may "
                                     f"still act on it: {exc}") from exc
                raise TerminalUnavailable(f"payment terminal did not accept the command: {exc}") \
                    from exc
            except ResultLost:
                self._drop_link()
                self._line_dirty = True  # the terminal may still be sending
                raise
            if ex.foreign:
                self._drop_link()  # whatever the terminal is doing, it is not what we asked
                self._line_dirty = True
                raise ResultLost(f"the terminal answered with another transaction's status "
                                 f"({ex.foreign})")
            if ex.completion_missing or ex.abort_sent:
                self._drop_link()  # the terminal may still be master: register afresh next time
                self._line_dirty = self._line_dirty or not ex.finished
            self._learn(operation, ex)
            return ex

    # ------------------------------------------------------------------ results

    def _result(self, ex: Exchange, amount_cents: int, currency: str) -> PaymentResult:
        st = ex.status
        try:
            ex.raise_for_abort()
        except ZvtAborted as exc:
            if st is not None and st.result_code == 0:
                raise ResultLost(f"terminal reported approval, then aborted ({exc})") from exc
            code = st.result_code if st is not None and st.result_code else exc.result_code
            message = "aborted" if code == ABORTED else result_text(code)
            return self._build(st, approved=False, code=code, amount=amount_cents,
                               currency=currency, message=message, lines=ex.lines)
        if st is None:
            # a completion and no status information: a payment is always answered with its
            # own 04 0F, so this may be an earlier transaction's 06 0F still on the line
            log.warning("%s: completion without a status information: outcome unknown",
                        ex.operation)
            raise ResultLost("the terminal completed without a status information")
        code = st.result_code if st.result_code is not None else 0
        return self._build(st, approved=code == 0, code=code, amount=amount_cents,
                           currency=currency, message=result_text(code), lines=ex.lines,
                           completion_missing=ex.completion_missing)

    def _build(self, st: StatusInformation | None, *, approved: bool, code: int | None,
               amount: int, currency: str, message: str, lines: list[str],
               completion_missing: bool = False) -> PaymentResult:
        if st is None:
            return PaymentResult(approved, code, amount, currency, terminal_id=self.terminal_id,
                                 message=message, receipt_lines=tuple(lines),
                                 at=dt.datetime.now().astimezone())
        brand = st.card_name or (CARD_TYPES.get(st.card_type) if st.card_type else None)
        try:
            at = st.fields().timestamp()
        except ZvtError:
            at = None
        return PaymentResult(
            approved=approved,
            result_code=code,
            amount_cents=st.amount_cents if st.amount_cents is not None else amount,
            currency=currency_alpha(st.currency, currency),
            receipt_no=f"{st.receipt_no:04d}" if st.receipt_no is not None else None,
            trace_no=f"{st.trace_no:06d}" if st.trace_no is not None else None,
            card_brand=brand,
            pan_masked=mask_pan(st.pan),
            terminal_id=f"{st.terminal_id:08d}" if st.terminal_id is not None
            else self.terminal_id,
            message=message,
            receipt_lines=tuple(lines),
            at=at or dt.datetime.now().astimezone(),
            completion_missing=completion_missing,
        )

    def _money(self, operation: str, command: Apdu, amount: int, currency: str,
               on_status: StatusCallback | None) -> PaymentResult:
        def job(control: Control, deadline: float) -> PaymentResult:
            try:
                control.op_seq = self._state.start(operation, amount_cents=amount,
                                                   currency=currency)
            except StateFileError as exc:
                raise TerminalUnavailable(f"cannot keep the payment's evidence: {exc}") from exc
            try:
                ex = self._exchange(command, operation, control, deadline,
                                    on_status=on_status or _noop_status, keep_status=True,
                                    belongs=None if operation == "reverse"
                                    else lambda st: self._not_ours(st, amount))
                if ex.status is None and not ex.aborted:
                    self._drop_link()  # see _result: not this payment's answer
                    self._line_dirty = True
                return self._result(ex, amount, currency)
            except UndecodableMessage as exc:
                raise UndecodablePaymentAnswer(f"payment outcome unknown: {exc}") from exc
            except ResultLost as exc:
                raise PaymentOutcomeUnknown(f"payment outcome unknown: {exc}") from exc

        return self._call(job, operation, money=True)

    def _not_ours(self, st: StatusInformation, amount_cents: int) -> str | None:
        """Why a money command's final status cannot be its own, ``None`` when it can be.

        An earlier transaction's answer may still be on the line when the next command goes
        out (a command abandoned while the terminal was sending). Its amount, when sent, must
        be the one asked for; its trace number, when sent, else its receipt number, must be
        new: a terminal never numbers two transactions alike. The trace number decides when
        there is one, because receipt numbers restart with a batch the terminal may close on
        its own (an acquirer's nightly cut-over) without the kiosk's end of day.
        """
        if st.amount_cents is not None and st.amount_cents != amount_cents:
            return (f"amount {st.amount_cents / 100:.2f} for a request of "
                    f"{amount_cents / 100:.2f}")
        tid = f"{st.terminal_id:08d}" if st.terminal_id is not None else self.terminal_id
        receipts, traces = self._state.seen_numbers(tid)
        if st.trace_no is not None:
            what, number, seen = "trace", f"{st.trace_no:06d}", traces
        elif st.receipt_no is not None:
            what, number, seen = "receipt", f"{st.receipt_no:04d}", receipts
        else:
            return None
        earlier = seen.get(number)
        if earlier is not None:
            return (f"{what} {number} already seen for operation {earlier.op_seq} "
                    f"({earlier.operation})")
        return None

    @staticmethod
    def _check_amount(amount_cents: int) -> None:
        if not 0 < amount_cents < 10**12:
            raise ValueError(f"amount out of range: {amount_cents}")

    def _currency(self, currency: str) -> int:
        try:
            return currency_numeric(currency)
        except ValueError as exc:
            raise TerminalUnavailable(str(exc)) from exc

    # ------------------------------------------------------------------ PaymentTerminal

    def authorize(self, amount_cents: int, currency: str, on_status: StatusCallback) \
            -> PaymentResult:
        self._check_amount(amount_cents)
        cmd = Authorization(amount_cents, self._currency(currency)).to_apdu()
        return self._money("authorize", cmd, amount_cents, currency, on_status)

    def reverse(self, receipt_no: str, on_status: StatusCallback) -> PaymentResult:
        cmd = Reversal(self.settings.password, int(receipt_no)).to_apdu()
        return self._money("reverse", cmd, 0, self.currency, on_status)

    def refund(self, amount_cents: int, currency: str, on_status: StatusCallback) \
            -> PaymentResult:
        self._check_amount(amount_cents)
        cmd = Refund(self.settings.password, amount_cents, self._currency(currency)).to_apdu()
        return self._money("refund", cmd, amount_cents, currency, on_status)

    # pre-authorisation (06 22 / 06 24 / 06 25): beyond the port, used when
    # [terminal] preauth = true so the kiosk charges only after the top-up succeeded

    def reserve(self, amount_cents: int, currency: str, on_status: StatusCallback) \
            -> PaymentResult:
        """Pre-authorise (reserve) ``amount_cents``; ``receipt_no`` names the reservation."""
        self._check_amount(amount_cents)
        cmd = PreAuthorization(amount_cents, self._currency(currency)).to_apdu()
        return self._money("reserve", cmd, amount_cents, currency, on_status)

    def book_total(self, receipt_no: str, amount_cents: int, currency: str,
                   on_status: StatusCallback) -> PaymentResult:
        """Book (charge) a reservation made with :meth:`reserve`."""
        cmd = BookTotal(int(receipt_no), amount_cents, self._currency(currency)).to_apdu()
        return self._money("book_total", cmd, amount_cents, currency, on_status)

    def release(self, receipt_no: str, amount_cents: int, currency: str,
                on_status: StatusCallback) -> PaymentResult:
        """Release a reservation (pre-authorisation reversal) after a definite failure."""
        cmd = PreAuthReversal(int(receipt_no), amount_cents, self._currency(currency)).to_apdu()
        return self._money("release", cmd, amount_cents, currency, on_status)

    def abort(self) -> None:
        """End the running operation (from any thread): 06 B0 as soon as the terminal is
        master; if it does not end within the grace, the link is dropped. Bounded by
        ``deadline_for("abort")``; a no-op when idle (nothing sticks to the next call)."""
        ctrl = self._current
        if ctrl is not None:
            ctrl.cancel.set()

    def last_result(self) -> PaymentResult | None:
        """The terminal's last payment (Repeat Receipt), ``None`` when it has none.

        Raises :class:`TerminalFunctionUnsupported` when the terminal lacks Repeat Receipt.
        """
        if self._caps.repeat_receipt is False:
            raise TerminalFunctionUnsupported("the payment terminal does not support repeat "
                                              "receipt (06 20)", function="repeat_receipt")

        def job(control: Control, deadline: float) -> PaymentResult | None:
            control.op_seq = self._state.start("last_result")
            cmd = RepeatReceipt(self.settings.password).to_apdu()
            try:
                try:
                    ex = self._exchange(cmd, "last_result", control, deadline, keep_status=True)
                except TerminalRejected as exc:
                    if not exc.at_once:
                        raise
                    # 06 1E at once may be an earlier transaction's abort still on the line:
                    # let the line settle and ask once more before believing it
                    log.info("repeat receipt answered at once with 06 1E (%s); asking again "
                             "once the line has settled", exc)
                    self._drop_link()
                    self._line_dirty = True
                    ex = self._exchange(cmd, "last_result", control, deadline, keep_status=True)
            except TerminalRejected as exc:
                if isinstance(exc, RegistrationRefused) or exc.nack_code == NOT_REGISTERED \
                        or (exc.busy and exc.nack_code != NOT_POSSIBLE):
                    raise  # not an answer about Repeat Receipt (registration, or busy)
                if exc.nack_code == NOT_POSSIBLE or not exc.busy:
                    self._set_repeat_receipt(False, "probe")
                    raise TerminalFunctionUnsupported(
                        f"the payment terminal does not support repeat receipt: {exc}",
                        function="repeat_receipt") from exc
                raise
            except UndecodableMessage as exc:
                raise TerminalProtocolError(f"repeat receipt failed: {exc}") from exc
            except ResultLost as exc:
                raise TerminalUnavailable(f"repeat receipt failed: {exc}") from exc
            self._set_repeat_receipt(True, "probe")
            if ex.status is None:
                return None  # 06 1E: nothing to repeat
            st = ex.status
            code = st.result_code if st.result_code is not None else 0
            return self._build(st, approved=code == 0, code=code,
                               amount=st.amount_cents or 0, currency=self.currency,
                               message=result_text(code), lines=ex.lines,
                               completion_missing=ex.completion_missing)

        return self._call(job, "last_result", money=False)

    def _report(self, command: Apdu, operation: str, what: str, *,
                register: bool = True, budget_s: float | None = None) -> TerminalReport:
        def job(control: Control, deadline: float) -> TerminalReport:
            if operation == "end_of_day":
                control.op_seq = self._state.start(operation)
            try:
                ex = self._exchange(command, operation, control, deadline, register=register,
                                    keep_status=operation == "end_of_day")
            except UndecodableMessage as exc:
                raise TerminalProtocolError(f"{what} failed: {exc}") from exc
            except ResultLost as exc:
                raise TerminalUnavailable(f"{what} failed: {exc}") from exc
            return self._report_of(ex, what)

        return self._call(job, operation, money=False, budget_s=budget_s)

    def _report_of(self, ex: Exchange, what: str) -> TerminalReport:
        st, comp = ex.status, ex.completion
        tid = self.terminal_id
        if st is not None and st.terminal_id is not None:
            tid = f"{st.terminal_id:08d}"
        elif comp is not None and comp.terminal_id is not None:
            tid = f"{comp.terminal_id:08d}"
        caps = self.capabilities()
        try:
            ex.raise_for_abort()
        except ZvtAborted as exc:
            return TerminalReport(False, exc.result_code, f"{what}: {exc}", tid, tuple(ex.lines),
                                  capabilities=caps)
        version = comp.software_version if comp is not None else None
        if st is not None:
            code = st.result_code
            ok = code in (None, 0)
            message = f"{what}: ok" if ok else f"{what}: {result_text(code)}"
        else:
            code = comp.status_byte if comp is not None else None  # terminal status code
            ok = code in (None, 0)
            message = f"{what}: {terminal_status_text(code) if code is not None else 'ok'}"
        if version:
            message += f" (software {version})"
            with self._lock:
                if self._caps.software_version != version:
                    self._caps = replace(self._caps, software_version=version)
                    caps = self._caps
        if ex.completion_missing:
            message += " (completion missing)"
        totals = count = batch = None
        receipt_from = receipt_to = None
        at = None
        if st is not None:
            totals = st.amount_cents
            batch = st.turnover_no
            if st.totals is not None:
                count = st.totals.count
                receipt_from = f"{st.totals.receipt_from:04d}"
                receipt_to = f"{st.totals.receipt_to:04d}"
            try:
                at = st.fields().timestamp()
            except ZvtError:
                at = None
        return TerminalReport(ok, code, message, tid, tuple(ex.lines), totals, batch_no=batch,
                              totals_count=count, receipt_from=receipt_from,
                              receipt_to=receipt_to, software_version=version,
                              capabilities=caps, at=at)

    def register(self) -> TerminalReport:
        """Register (06 00) now, and probe Repeat Receipt if not known yet."""
        def job(control: Control, deadline: float) -> TerminalReport:
            self._drop_link()
            self._ready(control, deadline)
            return TerminalReport(True, 0, "registration: ok", self.terminal_id,
                                  capabilities=self.capabilities())

        return self._call(job, "register", money=False)

    def probe_capabilities(self, *, refresh: bool = False,
                           timeout_s: float | None = None) -> TerminalCapabilities:
        """Register if needed, which probes Repeat Receipt once per terminal; ``refresh``
        forgets what is known and probes again (a terminal's software was updated).
        ``timeout_s`` caps the whole call (``kiosk terminal status`` answers within 10 s):
        then a terminal that takes 06 20 counts as having Repeat Receipt at once, and when the
        rest of its answer cannot arrive in time the link is dropped (it moves no money)."""
        def job(control: Control, deadline: float) -> TerminalCapabilities:
            if refresh:
                with self._lock:
                    self._caps = TerminalCapabilities()
                self._probe_failed = False
                self._drop_link()
            self._hurry_probe = timeout_s is not None
            try:
                self._ready(control, deadline)
            finally:
                self._hurry_probe = False
            return self.capabilities()

        return self._call(job, "register", money=False, budget_s=timeout_s)

    def log_off(self) -> None:
        """Log off (06 02): the terminal leaves ECR control until the next registration."""
        def job(control: Control, deadline: float) -> None:
            self._exchange(LogOff().to_apdu(), "log_off", control, deadline, master=False,
                           register=False)
            self._registered = False

        self._call(job, "log_off", money=False)

    def status(self, *, timeout_s: float | None = None) -> TerminalReport:
        """Status enquiry (05 01), within ``Timing.status_cap_s`` (or ``timeout_s``, when
        shorter) whatever the terminal does.

        Needs no registration; fails fast (busy) while another operation runs.
        """
        running = self._current
        if running is not None:
            raise TerminalRejected(f"payment terminal busy: {running.operation} running",
                                   nack_code=0x9C, busy=True)
        return self._report(StatusEnquiry(self.settings.password).to_apdu(), "status", "status",
                            register=False, budget_s=timeout_s)

    def registration_report(self) -> TerminalReport | None:
        """What this driver's last registration's completion said (no I/O): the terminal
        status byte (BMP 19) and id; ``None`` before a registration."""
        comp = self._registration
        if comp is None:
            return None
        code = comp.status_byte
        ok = code in (None, 0)
        text = terminal_status_text(code) if code is not None else "ok"
        return TerminalReport(ok, code, f"registration: {text}", self.terminal_id,
                              capabilities=self.capabilities())

    def diagnose(self) -> TerminalReport:
        return self._report(Diagnosis().to_apdu(), "diagnose", "diagnosis")

    def end_of_day(self) -> TerminalReport:
        return self._report(EndOfDay(self.settings.password).to_apdu(), "end_of_day",
                            "end of day")

    def health(self) -> DeviceHealth:
        try:
            report = self.status()
        except TerminalUnavailable as exc:
            return DeviceHealth("terminal", False, str(exc),
                                "check the terminal's power and serial cable")
        caps = self.capabilities()
        advice = "" if report.ok else "see the terminal's display; run a diagnosis"
        data: dict[str, object] = {
            "terminal_id": report.terminal_id, "port": self.settings.port,
            "software_version": report.software_version or caps.software_version,
            "repeat_receipt": caps.repeat_receipt, "pace_s": round(self.pace.value, 2)}
        if self._state.problem:
            data["state_problem"] = self._state.problem
        return DeviceHealth("terminal", report.ok, report.message, advice, data)

    def close(self) -> None:
        """Stop the worker within ``Timing.close_s`` whatever the terminal does (idempotent).

        A running command is aborted; if it does not end in time the line is
        interrupted and the port closed.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is None:
            self._drop_link()
            return
        ctrl = self._current
        if ctrl is not None:
            ctrl.cancel.set()
            if ctrl.operation in CHECKS:
                ctrl.stop.set()  # it moves no money: drop the link now, no abort grace
        self._cancel_queued()
        self._jobs.put(None)
        budget = self.timing.close_s
        thread.join(timeout=max(0.0, budget - 2.0))
        if thread.is_alive():
            ctrl = self._current
            if ctrl is not None:
                ctrl.stop.set()  # every wait on the line checks this within 50 ms
            thread.join(timeout=1.0)
        if thread.is_alive():
            log.warning("payment terminal worker still busy after %.0f s; closing its port",
                        budget - 1.0)
            session = self._session
            if session is not None:
                session.transport.close()
            thread.join(timeout=0.5)

    def _cancel_queued(self) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                job.future.cancel()

    def __enter__(self) -> ZvtTerminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_thread", None) is not None and not getattr(self, "_closed", True):
            warnings.warn("ZvtTerminal was never closed", ResourceWarning, stacklevel=1)


__all__ = ["ZvtAborted", "ZvtTerminal"]
