"""One ECR command from request to completion (PA00P015 section 2, "ECR as master").

The ECR sends a command and waits for 80 00 (accepted) or 84 xx (refused). For
most commands the terminal then becomes master: it sends intermediate status
(04 FF), status information (04 0F), print lines (06 D1 / 06 D3) and finally
completion (06 0F) or abort (06 1E); the ECR answers each with 80 00 00. While the
terminal is master the ECR may send only Abort (06 B0).

The distinction this module exists for: a failure *before* 80 00 means the
command never started (:class:`RequestNotAccepted`, nothing charged); a failure
*after* it means the outcome is unknown (:class:`ResultLost`) and must never be
reported as a decline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from payment.errors import (
    CodecError,
    LinkDown,
    NoAcknowledge,
    RequestNotAccepted,
    ResultLost,
    TerminalRejected,
    ZvtAborted,
)
from payment.zvt.apdu import Apdu
from payment.zvt.codes import BUSY_CODES, result_text
from payment.zvt.messages import (
    Abort,
    Completion,
    IntermediateStatus,
    NegativeAck,
    PositiveAck,
    PrintLine,
    PrintTextBlock,
    StatusInformation,
    TerminalAbort,
    TerminalMessage,
    parse_terminal_message,
)
from payment.zvt.transport import ZvtTransport

log = logging.getLogger(__name__)

#: How often the master loop looks at the abort flag.
POLL_S = 0.05
_ACK = PositiveAck().to_apdu().encode()


@dataclass
class Exchange:
    """Everything the terminal said about one command."""

    accepted: bool = False
    status: StatusInformation | None = None
    statuses: list[StatusInformation] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    completion: Completion | None = None
    abort_code: int | None = None
    aborted: bool = False
    abort_sent: bool = False

    @property
    def finished(self) -> bool:
        return self.completion is not None or self.aborted

    def raise_for_abort(self) -> None:
        """06 1E as the typed :class:`ZvtAborted` carrying the terminal's result code."""
        if self.aborted:
            raise ZvtAborted(result_text(self.abort_code), result_code=self.abort_code)


class Session:
    """Runs commands over one transport; not thread-safe (the worker thread owns it)."""

    def __init__(
        self,
        transport: ZvtTransport,
        *,
        first_answer_timeout_s: float,
        master_timeout_s: float,
    ) -> None:
        self.transport = transport
        self.first_answer_timeout_s = first_answer_timeout_s
        self.master_timeout_s = master_timeout_s

    def run(
        self,
        command: Apdu,
        *,
        master: bool = True,
        deadline: float,
        on_intermediate: Callable[[IntermediateStatus], None] | None = None,
        abort_requested: Callable[[], bool] | None = None,
    ) -> Exchange:
        """Send ``command`` and follow the terminal until it gives the master role back."""
        ex = Exchange()
        self.transport.discard_input()
        try:
            self.transport.send(command.encode())
        except NoAcknowledge as exc:
            raise RequestNotAccepted(f"terminal did not acknowledge {command.cls:02X} "
                                     f"{command.instr:02X}: {exc}") from exc
        except LinkDown as exc:
            if exc.request_may_have_arrived:
                # A whole frame went out: the terminal may be running the command.
                raise ResultLost(f"link lost while sending: {exc}") from exc
            raise
        first = self._first_answer(command, deadline)
        ex.accepted = True
        if first is not None:
            self._handle(first, ex, on_intermediate)
        if not master:
            return ex
        last_activity = time.monotonic()
        while not ex.finished:
            now = time.monotonic()
            if now >= deadline:
                raise ResultLost("terminal did not finish within the operation deadline")
            if now - last_activity >= self.master_timeout_s:
                raise ResultLost(f"terminal silent for {self.master_timeout_s:g} s "
                                 "after accepting the command")
            if abort_requested is not None and not ex.abort_sent and abort_requested():
                ex.abort_sent = True
                self._send_lost_on_failure(Abort().to_apdu().encode(), "abort")
            wait = min(POLL_S if abort_requested else 1.0, deadline - now,
                       self.master_timeout_s - (now - last_activity))
            try:
                raw = self.transport.receive(max(wait, 0.0))
            except LinkDown as exc:
                raise ResultLost(f"link lost while the terminal was master: {exc}") from exc
            if raw is None:
                continue
            last_activity = time.monotonic()
            message = self._decode(raw)
            if message is None:
                continue
            self._handle(message, ex, on_intermediate)
        return ex

    # ------------------------------------------------------------------ steps

    def _first_answer(
        self, command: Apdu, deadline: float
    ) -> TerminalMessage | None:
        """Wait for 80 00 (returns None) or the terminal's first message as master."""
        end = min(deadline, time.monotonic() + self.first_answer_timeout_s)
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise RequestNotAccepted(
                    f"no answer to {command.cls:02X} {command.instr:02X} within "
                    f"{self.first_answer_timeout_s:g} s")
            try:
                raw = self.transport.receive(remaining)
            except LinkDown as exc:
                # The terminal took the frame; losing the link now leaves the outcome open
                # (it may have sent 80 00 and started): never call that "nothing charged".
                raise ResultLost(f"link lost after the terminal took the command: {exc}") from exc
            if raw is None:
                continue
            message = self._decode(raw)
            if message is None:
                continue
            if isinstance(message, PositiveAck):
                return None
            if isinstance(message, NegativeAck):
                text = result_text(message.code)
                busy = " (busy)" if message.code in BUSY_CODES else ""
                raise TerminalRejected(f"terminal refused the command{busy}: {text}",
                                       nack_code=message.code)
            if isinstance(message, TerminalAbort):
                self._answer()
                raise TerminalRejected(
                    f"terminal aborted at once: {result_text(message.result_code)}",
                    nack_code=message.result_code if message.result_code is not None else 0xFF)
            return message  # acceptance implied by the terminal acting as master

    def _decode(self, raw: bytes) -> TerminalMessage | None:
        try:
            return parse_terminal_message(Apdu.decode(raw))
        except CodecError as exc:
            log.warning("undecodable message from the terminal (%s): %s", exc, raw.hex(" "))
            self._answer()  # acknowledged so the terminal goes on; the content is lost
            return None

    def _handle(
        self,
        message: object,
        ex: Exchange,
        on_intermediate: Callable[[IntermediateStatus], None] | None,
    ) -> None:
        if isinstance(message, PositiveAck | NegativeAck):
            return  # the terminal's answer to our Abort; nothing to acknowledge
        if isinstance(message, IntermediateStatus):
            self._answer()
            if on_intermediate is not None:
                try:
                    on_intermediate(message)
                except Exception:  # a UI callback must not break a payment
                    log.exception("status callback failed")
            return
        if isinstance(message, StatusInformation):
            ex.statuses.append(message)
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
        self._answer()

    def _answer(self) -> None:
        self._send_lost_on_failure(_ACK, "acknowledgement")

    def _send_lost_on_failure(self, apdu: bytes, what: str) -> None:
        try:
            self.transport.send(apdu)
        except (NoAcknowledge, LinkDown) as exc:
            raise ResultLost(f"could not send {what} to the terminal: {exc}") from exc
