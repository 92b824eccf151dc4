"""One ECR command from request to completion (PA00P015 section 2, "ECR as master").

The ECR sends a command and waits for 80 00 (accepted) or 84 xx (refused). For
most commands the terminal then becomes master: it sends intermediate status
(04 FF), status information (04 0F), print lines (06 D1 / 06 D3) and finally
completion (06 0F) or abort (06 1E); the ECR answers each with 80 00 00. While the
terminal is master the ECR may send only Abort (06 B0).

What this module decides, beyond the happy path:

* a failure *before* 80 00 is :class:`RequestNotAccepted` (``may_have_arrived`` when the
  whole frame went out: the terminal driver treats that as unknown for a money command,
  since a frozen terminal acts on its buffer later); a failure *after* it means the
  outcome is unknown (:class:`ResultLost`), never a decline;
* once the terminal has sent its final status information (04 0F with a result
  code), that result decides: a missing completion, a dropped link, silence or
  an undecodable message afterwards *settle* the command on it
  (``Exchange.completion_missing``) within :meth:`Timing.settle_silence_s` /
  ``settle_cap_s`` instead of waiting for T4;
* a message no decoder understands is acknowledged and ends the command at once
  (:class:`UndecodableMessage`);
* a final status information the caller's hook says is not this command's (an earlier
  transaction's, still on the line) is acknowledged and kept, but never becomes the
  command's status (``Exchange.foreign``): the caller makes the outcome unknown;
* waits scale with the terminal's measured pace (:mod:`payment.zvt.timing`);
* a cancelled command gets 06 B0 as soon as the terminal is master, then
  ``abort_grace_s`` to end; after that (or on a hard stop) it is
  :class:`Abandoned` and the caller drops the link.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from payment.errors import (
    Abandoned,
    CodecError,
    Interrupted,
    LinkDown,
    NoAcknowledge,
    RequestNotAccepted,
    ResultLost,
    TerminalRejected,
    UndecodableMessage,
    ZvtAborted,
)
from payment.zvt.apdu import Apdu
from payment.zvt.codes import BUSY_CODES, NOT_POSSIBLE, result_text
from payment.zvt.messages import (
    Abort,
    Completion,
    IntermediateStatus,
    NegativeAck,
    OtherMessage,
    PositiveAck,
    PrintLine,
    PrintTextBlock,
    StatusInformation,
    TerminalAbort,
    TerminalMessage,
    parse_terminal_message,
)
from payment.zvt.timing import INTERACTIVE, Pace, Timing
from payment.zvt.transport import SLICE_S, ZvtTransport

log = logging.getLogger(__name__)

_ACK = PositiveAck().to_apdu().encode()
_NOT_POSSIBLE = NegativeAck(NOT_POSSIBLE).to_apdu().encode()

#: Operations whose rest is capped at ``settle_cap_s`` after the final status (money:
#: a customer is waiting). End of day and diagnosis may print long receipts.
SETTLE_CAPPED = frozenset({"authorize", "reserve", "refund", "reverse", "book_total", "release",
                           "last_result"})


@dataclass
class Control:
    """One running command, shared with other threads: cancel/stop requests in, activity out."""

    operation: str
    cancel: threading.Event = field(default_factory=threading.Event)  # soft: 06 B0 when allowed
    stop: threading.Event = field(default_factory=threading.Event)  # hard: stop waiting now
    op_seq: int = 0
    phase: str = "request"  # request, customer, settling, aborting
    master: bool = False
    last_rx: float = field(default_factory=time.monotonic)
    parent: Control | None = None  # a registration run for this operation
    #: a check that moves no money, under a caller's budget: once the terminal has taken the
    #: command, give up at once if the rest of its answer cannot arrive before the deadline
    hurry: bool = False

    def child(self, operation: str) -> Control:
        """A step of this operation (registration, probe) that is never sent 06 B0 itself
        but shares the hard stop and sees the parent's cancel between commands."""
        return Control(operation, stop=self.stop, parent=self)

    def cancelled(self) -> bool:
        return self.cancel.is_set() or (self.parent is not None and self.parent.cancelled())


@dataclass
class Exchange:
    """Everything the terminal said about one command."""

    operation: str = ""
    accepted: bool = False
    status: StatusInformation | None = None
    statuses: list[StatusInformation] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    completion: Completion | None = None
    abort_code: int | None = None
    aborted: bool = False
    abort_sent: bool = False
    messages: int = 0  # messages after the first answer
    completion_missing: bool = False
    settled: str = ""  # why the command settled without its completion
    #: why a final status information was not this command's (the first such); the command's
    #: outcome is then unknown whatever follows
    foreign: str = ""
    #: a foreign status came and no intermediate status since: the terminal is finishing an
    #: earlier transaction, no customer is acting, so silence is not waited out for T4
    foreign_tail: bool = False

    @property
    def final(self) -> bool:
        """The terminal has sent a status information with a result code."""
        return self.status is not None and self.status.result_code is not None

    @property
    def finished(self) -> bool:
        return self.completion is not None or self.aborted

    def raise_for_abort(self) -> None:
        """06 1E as the typed :class:`ZvtAborted` carrying the terminal's result code."""
        if self.aborted:
            raise ZvtAborted(result_text(self.abort_code), result_code=self.abort_code)


#: Keeps a status information (before it is acknowledged); returns why it is not the running
#: command's (an earlier transaction's), or ``None`` when it is.
StatusHook = Callable[[StatusInformation], str | None]
IntermediateHook = Callable[[IntermediateStatus], None]


class _Settle(Exception):
    """Internal: end the command on the final status it already has."""


class Session:
    """Runs commands over one transport; not thread-safe (the worker thread owns it)."""

    def __init__(self, transport: ZvtTransport, *, timing: Timing, pace: Pace) -> None:
        self.transport = transport
        self.timing = timing
        self.pace = pace

    def run(
        self,
        command: Apdu,
        *,
        operation: str,
        deadline: float,
        control: Control,
        master: bool = True,
        on_intermediate: IntermediateHook | None = None,
        on_status: StatusHook | None = None,
    ) -> Exchange:
        """Send ``command`` and follow the terminal until it gives the master role back."""
        ex = Exchange(operation)
        stop = control.stop.is_set
        control.phase, control.master = "request", False
        self.transport.discard_input()
        try:
            self.transport.send(command.encode(), deadline=deadline, stop=stop)
        except NoAcknowledge as exc:
            raise RequestNotAccepted(f"terminal did not acknowledge {command.cls:02X} "
                                     f"{command.instr:02X}: {exc}") from exc
        except Interrupted as exc:
            if exc.request_may_have_arrived:
                raise Abandoned(f"stopped while sending {command.cls:02X} {command.instr:02X}") \
                    from exc
            raise RequestNotAccepted("stopped before the command went out",
                                     may_have_arrived=False) from exc
        except LinkDown as exc:
            if exc.request_may_have_arrived:
                # A whole frame went out: the terminal may be running the command.
                raise ResultLost(f"link lost while sending: {exc}") from exc
            raise
        first = self._first_answer(command, deadline, control)
        ex.accepted = True
        control.master = master
        control.phase = "customer"
        control.last_rx = time.monotonic()
        try:
            if control.hurry and master and \
                    time.monotonic() + 2 * self.timing.message_s(self.pace.value) > deadline:
                raise Abandoned("the terminal took the command, but the rest of its answer "
                                "cannot arrive before the deadline")
            if first is not None:
                ex.messages += 1
                try:
                    self._handle(first, ex, control, on_intermediate, on_status)
                except ResultLost as exc:
                    self._settle_or(ex, exc)
            if master:
                self._follow(ex, deadline, control, on_intermediate, on_status)
        except _Settle:
            ex.completion_missing = True
        finally:
            control.master = False
        return ex

    # ------------------------------------------------------------------ first answer

    def _first_answer(self, command: Apdu, deadline: float, control: Control) \
            -> TerminalMessage | None:
        """Wait for 80 00 (returns None) or the terminal's first message as master."""
        sent = time.monotonic()
        limit = self.timing.first_answer_s(self.pace.value)
        end = min(deadline, sent + limit)
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise RequestNotAccepted(
                    f"no answer to {command.cls:02X} {command.instr:02X} within {limit:.1f} s")
            try:
                raw = self.transport.receive(remaining, stop=control.stop.is_set)
            except Interrupted as exc:
                raise Abandoned("stopped while waiting for the terminal to take the command") \
                    from exc
            except LinkDown as exc:
                # The terminal took the frame; losing the link now leaves the outcome open
                # (it may have sent 80 00 and started): never call that "nothing charged".
                raise ResultLost(f"link lost after the terminal took the command: {exc}") from exc
            if raw is None:
                continue
            self.pace.add(time.monotonic() - sent)
            control.last_rx = time.monotonic()
            try:
                message = parse_terminal_message(Apdu.decode(raw))
            except CodecError as exc:
                self._answer_quietly()
                raise UndecodableMessage(
                    f"undecodable answer to {command.cls:02X} {command.instr:02X}: {exc}",
                    raw=raw, accepted=False) from exc
            if isinstance(message, PositiveAck):
                return None
            if isinstance(message, NegativeAck):
                busy = message.code in BUSY_CODES
                raise TerminalRejected(
                    f"terminal refused the command{' (busy)' if busy else ''}: "
                    f"{result_text(message.code)}", nack_code=message.code, busy=busy)
            if isinstance(message, TerminalAbort):
                self._answer_quietly()
                code = message.result_code if message.result_code is not None else 0xFF
                raise TerminalRejected(f"terminal aborted at once: {result_text(code)}",
                                       nack_code=code, busy=code in BUSY_CODES, at_once=True)
            return message  # acceptance implied by the terminal acting as master

    # ------------------------------------------------------------------ master phase

    def _follow(self, ex: Exchange, deadline: float, control: Control,
                on_intermediate: IntermediateHook | None, on_status: StatusHook | None) -> None:
        t = self.timing
        interactive = ex.operation in INTERACTIVE
        capped = ex.operation in SETTLE_CAPPED
        last_rx = last_tx = time.monotonic()
        status_at: float | None = None
        abort_at: float | None = None
        while not ex.finished:
            now = time.monotonic()
            pace = self.pace.value
            if ex.final and status_at is None:
                status_at = now
                control.phase = "settling"
            if control.stop.is_set():
                self._settle_or(ex, Abandoned("stopped while the terminal was master"))
            if now >= deadline and not ex.final and not control.cancel.is_set():
                log.info("%s: deadline reached while the terminal is master: aborting",
                         ex.operation)
                control.cancel.set()  # the caller will stop waiting: end it, do not abandon it
            if control.cancel.is_set():
                if ex.final:
                    ex.settled = "cancelled after the final status information"
                    raise _Settle
                if abort_at is None:
                    abort_at = now
                    control.phase = "aborting"
                    self._send_abort(ex, now + t.abort_grace_s(pace), control)
                elif now - abort_at > t.abort_grace_s(pace):
                    raise Abandoned(f"terminal did not end the command within "
                                    f"{t.abort_grace_s(pace):.1f} s of the abort")
            if ex.final:
                limit = t.settle_silence_s(pace)
                assert status_at is not None
                if capped and now - status_at >= t.settle_cap_s:
                    ex.settled = f"no completion within {t.settle_cap_s:g} s of the status"
                    raise _Settle
            elif interactive and not ex.foreign_tail:
                limit = t.master_s
            else:
                limit = t.quick_silence_s(pace)
            if now >= deadline and ex.final:
                self._settle_or(ex, ResultLost("terminal did not finish within the operation's "
                                               "deadline"))
            if now - last_rx >= limit and abort_at is None:
                after = "its final status information" if ex.final else "accepting the command"
                self._settle_or(ex, ResultLost(f"terminal silent for {limit:.1f} s after {after}"))
            wait = max(0.0, min(SLICE_S * 4, max(deadline - now, 0.0) or SLICE_S,
                                limit - (now - last_rx)))
            try:
                raw = self.transport.receive(wait, stop=control.stop.is_set)
            except Interrupted as exc:
                self._settle_or(ex, Abandoned(f"stopped while the terminal was master: {exc}"))
                continue
            except LinkDown as exc:
                self._settle_or(ex, ResultLost(f"link lost while the terminal was master: {exc}"))
                continue
            if raw is None:
                continue
            rx = time.monotonic()
            if not interactive or ex.final:
                self.pace.add(rx - last_tx)
            last_rx = control.last_rx = rx
            ex.messages += 1
            try:
                message = parse_terminal_message(Apdu.decode(raw))
            except CodecError as exc:
                log.warning("undecodable message from the terminal (%s): %s", exc, raw.hex(" "))
                self._answer_quietly()
                self._settle_or(ex, UndecodableMessage(f"undecodable message from the terminal: {exc}",
                                                       raw=raw, accepted=True))
                continue
            try:
                self._handle(message, ex, control, on_intermediate, on_status)
            except ResultLost as exc:
                self._settle_or(ex, exc)
            last_tx = time.monotonic()

    def _settle_or(self, ex: Exchange, error: ResultLost) -> None:
        """With a final status the command settles on it; without, ``error`` is raised."""
        if ex.final:
            ex.settled = str(error)
            log.info("settled on the final status information: %s", error)
            raise _Settle from error
        raise error

    def _send_abort(self, ex: Exchange, until: float, control: Control) -> None:
        try:
            self.transport.send(Abort().to_apdu().encode(), deadline=until, stop=control.stop.is_set)
        except (NoAcknowledge, LinkDown) as exc:
            raise Abandoned(f"abort (06 B0) not acknowledged: {exc}") from exc
        ex.abort_sent = True

    # ------------------------------------------------------------------ messages

    def _handle(self, message: object, ex: Exchange, control: Control,
                on_intermediate: IntermediateHook | None, on_status: StatusHook | None) -> None:
        if isinstance(message, PositiveAck | NegativeAck):
            return  # the terminal's answer to our Abort; nothing to acknowledge
        if isinstance(message, OtherMessage):
            self._send(_NOT_POSSIBLE if message.request else _ACK, "answer", control, ex.final)
            return
        if isinstance(message, IntermediateStatus):
            ex.foreign_tail = False  # the terminal is at a customer's command again
            self._send(_ACK, "acknowledgement", control, ex.final)
            if on_intermediate is not None:
                try:
                    on_intermediate(message)
                except Exception:  # a UI callback must not break a payment
                    log.exception("status callback failed")
            return
        if isinstance(message, StatusInformation):
            foreign = None
            if on_status is not None:
                try:
                    foreign = on_status(message)  # kept (fsync'ed) before the terminal hears it
                except Exception:
                    log.exception("could not keep the status information")
            if foreign:
                log.warning("%s: a status information that is not this command's (%s): "
                            "outcome unknown", ex.operation, foreign)
                ex.foreign = ex.foreign or foreign
                ex.foreign_tail = True
            else:
                ex.statuses.append(message)
                if message.result_code is not None or ex.status is None:
                    ex.status = message
        elif isinstance(message, PrintLine):
            ex.lines.append(message.text)
        elif isinstance(message, PrintTextBlock):
            ex.lines.extend(message.lines)
        elif isinstance(message, Completion):
            ex.completion = message
        elif isinstance(message, TerminalAbort):
            ex.aborted = True
            ex.abort_code = message.result_code
        self._send(_ACK, "acknowledgement", control, ex.final)

    def _send(self, apdu: bytes, what: str, control: Control, final: bool) -> None:
        """Our answer; after the final status it may not hold the command past the settle bound."""
        pace = self.pace.value
        until = time.monotonic() + (self.timing.settle_silence_s(pace) if final
                                    else self.timing.send_s())
        try:
            self.transport.send(apdu, deadline=until, stop=control.stop.is_set)
        except (NoAcknowledge, LinkDown) as exc:
            raise ResultLost(f"could not send {what} to the terminal: {exc}") from exc

    def _answer_quietly(self) -> None:
        """80 00 to a message we cannot use, so the terminal is not left waiting; best effort."""
        try:
            self.transport.send(_ACK, deadline=time.monotonic() + self.timing.ack_s)
        except (NoAcknowledge, LinkDown) as exc:
            log.info("could not acknowledge an undecodable message: %s", exc)
