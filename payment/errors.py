"""Errors of the payment package, all below :class:`kiosk.errors.PaymentError`.

Tree::

    PaymentError (kiosk.errors)
    ├── TerminalUnavailable (kiosk.errors)   nothing was charged
    │   └── TerminalRejected                 the terminal answered 84 xx (busy, not registered...)
    ├── PaymentOutcomeUnknown (kiosk.errors) a charge may have happened
    └── ZvtError                             driver internals; translated at the adapter's edge
        ├── FrameError                       a transport frame that cannot be decoded
        ├── CodecError                       a malformed APDU, BMP field or TLV container
        ├── LinkDown                         the serial port failed (cable pulled, device gone)
        ├── NoAcknowledge                    no ACK after every try (T3)
        ├── RequestNotAccepted               the terminal never confirmed the command
        ├── ResultLost                       silence or link loss after the command was accepted
        └── ZvtAborted                       the terminal ended the command with 06 1E <result code>

The frame and BMP decoders raise only ``FrameError`` and ``CodecError`` whatever
bytes they are fed (property-tested).
"""

from __future__ import annotations

from kiosk.errors import PaymentError, TerminalUnavailable


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


class NoAcknowledge(ZvtError):
    code = "zvt_no_ack"


class RequestNotAccepted(ZvtError):
    code = "zvt_not_accepted"


class ResultLost(ZvtError):
    code = "zvt_result_lost"


class ZvtAborted(ZvtError):
    """06 1E from the terminal; ``result_code`` is the ZVT result code (section 10 of the spec)."""

    code = "zvt_aborted"

    def __init__(self, message: str, *, result_code: int | None) -> None:
        super().__init__(message)
        self.result_code = result_code


class TerminalRejected(TerminalUnavailable):
    """The terminal refused the command with 84 xx; nothing was started, nothing charged."""


    def __init__(self, message: str, *, nack_code: int) -> None:
        super().__init__(message)
        self.nack_code = nack_code
