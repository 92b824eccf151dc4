"""The kiosk's exception tree.

Every error that crosses a package boundary is a ``KioskError`` with a stable
``code`` (used in ``--json`` output and mapped to a translated customer message
by the UI). Adapters translate foreign exceptions at the edge with
``raise ... from exc``; nothing above ``devices/`` or ``payment/`` ever sees a
pyscard, pyserial, httpx or SQLAlchemy exception.

Tree::

    KioskError
    ├── ConfigError                 bad or unknown configuration key
    ├── LedgerError                 database unreachable, migration failed
    │   └── LedgerCorrupt           hash chain broken (names the first bad seq)
    ├── DeviceError                 any peripheral
    │   ├── ReaderError             PC/SC reader: NoReader, ReaderUnplugged, NoCard,
    │   │                           CardRemoved, UnreadableCard(sw), ReaderTimeout
    │   └── PrinterError            PrinterOutOfPaper, PrinterOffline
    ├── PaymentError                payment terminal
    │   ├── TerminalUnavailable     nothing was charged
    │   ├── PaymentOutcomeUnknown   a charge may have happened; ask the terminal
    │   └── TerminalFunctionUnsupported  the terminal lacks the function (e.g. repeat receipt)
    └── UpstreamError               backend / top-up provider
        └── UpstreamUnavailable     network down, timeout, 5xx
"""

from __future__ import annotations


class KioskError(Exception):
    """Base of every error the kiosk raises on purpose."""

    code = "kiosk_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)

    def as_json(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


class ConfigError(KioskError):
    code = "config_error"


class LedgerError(KioskError):
    code = "ledger_error"


class LedgerCorrupt(LedgerError):
    """The hash chain does not verify; ``seq`` is the first row that fails."""

    code = "ledger_corrupt"

    def __init__(self, message: str, *, seq: int) -> None:
        super().__init__(message)
        self.seq = seq


class DeviceError(KioskError):
    code = "device_error"


class ReaderError(DeviceError):
    code = "reader_error"


class NoReader(ReaderError):
    code = "no_reader"


class ReaderUnplugged(ReaderError):
    code = "reader_unplugged"


class NoCard(ReaderError):
    code = "no_card"


class CardRemoved(ReaderError):
    code = "card_removed"


class UnreadableCard(ReaderError):
    """The card answered, but not as a SIM should; ``sw`` is the status word if any."""

    code = "unreadable_card"

    def __init__(self, message: str, *, sw: int | None = None) -> None:
        super().__init__(message)
        self.sw = sw


class ReaderTimeout(ReaderError):
    code = "reader_timeout"


class PrinterError(DeviceError):
    code = "printer_error"


class PrinterOutOfPaper(PrinterError):
    code = "printer_out_of_paper"


class PrinterOffline(PrinterError):
    code = "printer_offline"


class PaymentError(KioskError):
    code = "payment_error"


class TerminalUnavailable(PaymentError):
    """Nothing was charged: port missing, terminal busy, or no answer to the request."""

    code = "terminal_unavailable"


class PaymentOutcomeUnknown(PaymentError):
    """A charge may have happened but its result was lost; recovery must ask the terminal."""

    code = "payment_outcome_unknown"


class TerminalFunctionUnsupported(PaymentError):
    """The terminal answered that it cannot do ``function`` (ZVT 84 83); nothing happened.

    Not a transient fault: retrying will not help. The shell falls back on other
    evidence (see ``docs/zvt.md``, "For the shell").
    """

    code = "terminal_function_unsupported"

    def __init__(self, message: str, *, function: str) -> None:
        super().__init__(message)
        self.function = function


class UpstreamError(KioskError):
    code = "upstream_error"


class UpstreamUnavailable(UpstreamError):
    code = "upstream_unavailable"
