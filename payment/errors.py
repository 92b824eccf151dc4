"""Errors of the payment package, all below :class:`kiosk.errors.PaymentError`.

Tree::

    PaymentError (kiosk.errors)
    ├── TerminalUnavailable (kiosk.errors)   nothing was charged
    │   ├── TerminalRejected                 the terminal answered 84 xx (busy, not registered...)
    │   └── TerminalProtocolError            a message the driver cannot decode (nothing charged)
    ├── PaymentOutcomeUnknown (kiosk.errors) a charge may have happened
    │   └── UndecodablePaymentAnswer         a message the driver cannot decode, after acceptance
    ├── TerminalFunctionUnsupported (kiosk.errors)  84 83 to a function the kiosk needs
    └── ZvtError                             driver internals; translated at the adapter's edge
        ├── FrameError                       a transport frame that cannot be decoded
        ├── CodecError                       a malformed APDU, BMP field or TLV container
        ├── LinkDown                         the serial port failed (cable pulled, device gone)
        │   └── Interrupted                  the driver stopped waiting (close, abort grace over)
        ├── NoAcknowledge                    no ACK after every try (T3)
        ├── RequestNotAccepted               the terminal never confirmed the command
        ├── ResultLost                       silence or link loss after the command was accepted
        │   ├── Abandoned                    aborted by the caller; the terminal did not end in time
        │   └── UndecodableMessage           a message no decoder understands (ACKed, then given up)
        └── ZvtAborted                       the terminal ended the command with 06 1E <result code>

The frame and BMP decoders raise only ``FrameError`` and ``CodecError`` whatever
bytes they are fed (property-tested).
"""

from __future__ import annotations

from kiosk.errors import PaymentError, PaymentOutcomeUnknown, TerminalUnavailable


class ZvtError(PaymentError):
    code = "zvt_error"


class FrameError(ZvtError):
    code = "zvt_frame_error"


class CodecError(ZvtError):
    code = "zvt_codec_error"


class LinkDown(ZvtError):
    """The port failed; ``request_may_have_arrived`` is False when no complete frame went out."""

    code = "zvt_link_down"

    def __init__(self, message: str, *, request_may_have_arrived: bool = True) -> None:
        super().__init__(message)
        self.request_may_have_arrived = request_may_have_arrived


class Interrupted(LinkDown):
    """The driver stopped waiting on the line (close, or an abort that got no answer)."""

    code = "zvt_interrupted"


class NoAcknowledge(ZvtError):
    code = "zvt_no_ack"


class RequestNotAccepted(ZvtError):
    """No 80 00 (or 84 xx) for the command. ``may_have_arrived``: the whole frame went out,
    so a terminal that was only late (frozen, its buffer intact) may still act on it."""

    code = "zvt_not_accepted"

    def __init__(self, message: str, *, may_have_arrived: bool = True) -> None:
        super().__init__(message)
        self.may_have_arrived = may_have_arrived


class ResultLost(ZvtError):
    code = "zvt_result_lost"


class Abandoned(ResultLost):
    """The caller gave up; the terminal did not end the command within the abort grace."""

    code = "zvt_abandoned"


class UndecodableMessage(ResultLost):
    """The terminal sent something no decoder understands; it was acknowledged and the
    command ended at once (never after the master timeout)."""

    code = "zvt_undecodable"

    def __init__(self, message: str, *, raw: bytes, accepted: bool) -> None:
        super().__init__(message)
        self.raw = raw
        self.accepted = accepted


class ZvtAborted(ZvtError):
    """06 1E from the terminal; ``result_code`` is the ZVT result code (section 10 of the spec)."""

    code = "zvt_aborted"

    def __init__(self, message: str, *, result_code: int | None) -> None:
        super().__init__(message)
        self.result_code = result_code


class TerminalRejected(TerminalUnavailable):
    """The terminal refused the command with 84 xx; nothing was started, nothing charged.

    ``at_once``: the "refusal" was a 06 1E as the first answer, not 84 xx. That may be an
    earlier transaction's abort still being sent (its ECR died before acknowledging it), so
    it proves nothing about this command until the line has settled and it comes again.
    """

    def __init__(self, message: str, *, nack_code: int, busy: bool = False,
                 at_once: bool = False) -> None:
        super().__init__(message)
        self.nack_code = nack_code
        self.busy = busy
        self.at_once = at_once


class RegistrationRefused(TerminalRejected):
    """Registration (06 00) was refused: nothing about the command that was to follow (a
    caller must not take it for that command's refusal, e.g. "no Repeat Receipt")."""


class TerminalProtocolError(TerminalUnavailable):
    """A non-money command got an answer the driver cannot decode (typed, never a T4 wait)."""

    code = "terminal_protocol_error"


class UndecodablePaymentAnswer(PaymentOutcomeUnknown):
    """A money command got an answer the driver cannot decode after the terminal took it."""

    code = "terminal_protocol_error"
