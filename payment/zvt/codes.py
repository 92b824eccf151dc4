"""Code tables: result codes (PA00P015 chapter 10), intermediate status (chapter 11),
ZVT card-type IDs (chapter 12), ISO-4217 numeric currency codes, PAN masking."""

from __future__ import annotations

from kiosk.ports import TerminalPrompt

#: Chapter 10 "Error-Messages" (result codes 01..63 come from the card issuer / host).
RESULT_TEXT: dict[int, str] = {
    0x00: "approved",
    0x05: "declined by the card issuer",
    0x64: "card not readable",
    0x65: "card data not present",
    0x66: "processing error",
    0x67: "function not permitted for ec and Maestro cards",
    0x68: "function not permitted for credit and tank cards",
    0x6A: "turnover file full",
    0x6B: "function deactivated (terminal not registered)",
    0x6C: "aborted by timeout or abort key",
    0x6E: "card in blocked list",
    0x6F: "wrong currency",
    0x71: "credit not sufficient",
    0x72: "chip error",
    0x73: "card data incorrect",
    0x77: "end-of-day batch not possible",
    0x78: "card expired",
    0x79: "card not yet valid",
    0x7A: "card unknown",
    0x7D: "communication error",
    0x83: "function not possible",
    0x85: "key missing",
    0x89: "PIN pad defective",
    0x9A: "ZVT protocol error",
    0x9B: "error from dial-up / communication fault",
    0x9C: "please wait",
    0xA0: "receiver not ready",
    0xA1: "remote station does not respond",
    0xA3: "no connection",
    0xB1: "memory full",
    0xB2: "merchant journal full",
    0xB4: "already reversed",
    0xB5: "reversal not possible",
    0xB7: "pre-authorisation incorrect (amount too high) or amount wrong",
    0xB8: "error pre-authorisation",
    0xBF: "voltage supply too low",
    0xC0: "card locking mechanism defective",
    0xC1: "merchant card locked",
    0xC2: "diagnosis required",
    0xC3: "maximum amount exceeded",
    0xC4: "card profile invalid",
    0xC5: "payment method not supported",
    0xC6: "currency not applicable",
    0xC8: "amount too small",
    0xC9: "maximum transaction amount too small",
    0xCC: "printer not ready",
    0xDC: "card inserted",
    0xDD: "error during card eject",
    0xDE: "error during card insertion",
    0xE0: "remote maintenance activated",
    0xE2: "card reader does not answer",
    0xE3: "shutter closed",
    0xE4: "terminal activation required",
    0xF0: "open end-of-day batch present",
    0xF1: "ec-cash/Maestro offline error",
    0xF5: "OPT error",
    0xFA: "error transmitting offline transactions",
    0xFB: "turnover data set defective",
    0xFC: "necessary device not present or defective",
    0xFD: "baud rate not supported",
    0xFE: "register unknown",
    0xFF: "system error",
}

#: Negative acknowledgements meaning "not now" rather than "never": retried with
#: backoff for a while before a command is refused.
BUSY_CODES = frozenset({0x9C, 0xA0, 0xA1, 0xA3, 0xDC, 0xE0})

#: Negative acknowledgement "function not possible": the terminal lacks the command.
NOT_POSSIBLE = 0x83

#: "Function deactivated (PT not registered)": register again, then retry once.
NOT_REGISTERED = 0x6B

#: Terminal status codes of a status enquiry (2.55, chapter 10 "terminal status codes").
TERMINAL_STATUS_TEXT: dict[int, str] = {
    0x00: "ready",
    0x51: "initialisation required",
    0x62: "date/time incorrect",
    0x9C: "please wait (e.g. software update running)",
    0xB1: "memory full",
    0xB2: "merchant journal full",
    0xBF: "voltage supply too low",
    0xC0: "card locking mechanism defective",
    0xC1: "merchant card locked",
    0xC2: "diagnosis required",
    0xC4: "card profile invalid",
    0xCC: "printer not ready",
    0xDC: "card inserted",
    0xDF: "out of order",
    0xE0: "remote maintenance activated",
    0xE1: "card not completely removed",
    0xE2: "card reader does not answer",
    0xE3: "shutter closed",
    0xF6: "OPT data not available",
}


def terminal_status_text(code: int | None) -> str:
    if code is None:
        return "no status code"
    return TERMINAL_STATUS_TEXT.get(code, f"terminal status {code:02X}")

#: Result code the terminal uses when the customer or the ECR aborted.
ABORTED = 0x6C


def result_text(code: int | None) -> str:
    if code is None:
        return "no result code"
    if code in RESULT_TEXT:
        return RESULT_TEXT[code]
    if 0x01 <= code <= 0x63:
        return f"declined by the card issuer (code {code:02X})"
    return f"result code {code:02X}"


#: Chapter 11 "Intermediate status": code -> (prompt, English text).
_INTERMEDIATE: dict[int, tuple[TerminalPrompt, str]] = {
    0x00: (TerminalPrompt.PLEASE_WAIT, "waiting for amount confirmation"),
    0x01: (TerminalPrompt.ENTER_PIN, "please watch PIN pad"),
    0x02: (TerminalPrompt.ENTER_PIN, "please watch PIN pad"),
    0x03: (TerminalPrompt.DECLINED, "not accepted"),
    0x04: (TerminalPrompt.PROCESSING, "waiting for response from host"),
    0x05: (TerminalPrompt.PROCESSING, "sending auto-reversal"),
    0x06: (TerminalPrompt.PROCESSING, "sending post-bookings"),
    0x07: (TerminalPrompt.CARD_NOT_SUPPORTED, "card not admitted"),
    0x08: (TerminalPrompt.CARD_NOT_SUPPORTED, "card unknown"),
    0x09: (TerminalPrompt.CARD_ERROR, "expired card"),
    0x0A: (TerminalPrompt.INSERT_CARD, "insert card"),
    0x0B: (TerminalPrompt.REMOVE_CARD, "please remove card"),
    0x0C: (TerminalPrompt.CARD_ERROR, "card not readable"),
    0x0D: (TerminalPrompt.CARD_ERROR, "processing error"),
    0x0E: (TerminalPrompt.PLEASE_WAIT, "please wait"),
    0x0F: (TerminalPrompt.PLEASE_WAIT, "automatic end-of-day batch"),
    0x10: (TerminalPrompt.CARD_NOT_SUPPORTED, "invalid card"),
    0x11: (TerminalPrompt.OTHER, "balance display"),
    0x12: (TerminalPrompt.TRY_AGAIN, "system malfunction"),
    0x13: (TerminalPrompt.DECLINED, "payment not possible"),
    0x14: (TerminalPrompt.DECLINED, "credit not sufficient"),
    0x15: (TerminalPrompt.PIN_WRONG, "incorrect PIN"),
    0x16: (TerminalPrompt.DECLINED, "limit not sufficient"),
    0x17: (TerminalPrompt.PLEASE_WAIT, "please wait"),
    0x18: (TerminalPrompt.DECLINED, "PIN try limit exceeded"),
    0x19: (TerminalPrompt.CARD_ERROR, "card data incorrect"),
    0x1A: (TerminalPrompt.OTHER, "service mode"),
    0x1B: (TerminalPrompt.APPROVED, "approved"),
    0x1C: (TerminalPrompt.APPROVED, "approved, please take goods"),
    0x1D: (TerminalPrompt.DECLINED, "declined"),
    0x28: (TerminalPrompt.PLEASE_WAIT, "currency selection"),
    0x29: (TerminalPrompt.PLEASE_WAIT, "language selection"),
    0x2A: (TerminalPrompt.INSERT_CARD, "insert card"),
    0x2B: (TerminalPrompt.PLEASE_WAIT, "emergency transaction"),
    0x2C: (TerminalPrompt.PLEASE_WAIT, "application selection"),
    0x68: (TerminalPrompt.PROCESSING, "card detected"),
    0xD2: (TerminalPrompt.PROCESSING, "connecting"),
    0xD3: (TerminalPrompt.PROCESSING, "connected"),
    0xE0: (TerminalPrompt.PLEASE_WAIT, "application selection"),
    0xE1: (TerminalPrompt.PLEASE_WAIT, "language selection"),
}


def intermediate_prompt(code: int) -> tuple[TerminalPrompt, str]:
    """The prompt id the UI translates, plus the terminal's meaning in English."""
    if code in _INTERMEDIATE:
        return _INTERMEDIATE[code]
    if 0x41 <= code <= 0x5D:  # the same texts combined with "please remove card"
        return TerminalPrompt.REMOVE_CARD, "please remove card"
    return TerminalPrompt.OTHER, f"terminal status {code:02X}"


#: Chapter 12 "ZVT card-type IDs" (subset), BMP 8A.
CARD_TYPES: dict[int, str] = {
    5: "girocard",
    6: "Mastercard",
    8: "American Express",
    10: "VISA",
    11: "VISA Electron",
    12: "Diners",
    13: "V PAY",
    14: "JCB",
    46: "Maestro",
}

#: ISO 4217 alpha -> numeric, for the currencies a kiosk is likely to use.
CURRENCIES: dict[str, int] = {
    "USD": 840,
    "EUR": 978,
    "GBP": 826,
    "CHF": 756,
    "CAD": 124,
    "MXN": 484,
    "CNY": 156,
    "AUD": 36,
    "PLN": 985,
    "SEK": 752,
    "DKK": 208,
    "NOK": 578,
    "CZK": 203,
    "HUF": 348,
}
CURRENCY_ALPHA: dict[int, str] = {v: k for k, v in CURRENCIES.items()}


def currency_numeric(alpha: str) -> int:
    try:
        return CURRENCIES[alpha.upper()]
    except KeyError as exc:
        raise ValueError(f"unsupported currency {alpha!r}") from exc


def currency_alpha(numeric: int | None, default: str) -> str:
    if numeric is None:
        return default
    return CURRENCY_ALPHA.get(numeric, f"{numeric:03d}")


def mask_pan(pan: str | None) -> str | None:
    """At most the first 6 and last 4 digits stay visible; everything else becomes ``*``.

    Short numbers show less: never more than ``len - 6`` characters in total,
    so a PAN is never shown whole.
    """
    if not pan:
        return None
    chars = [c for c in pan if c.isdigit() or c == "*"]
    n = len(chars)
    head = 6 if n >= 16 else max(0, min(6, n - 10))
    tail = 4 if n >= 8 else max(0, n - 4)
    masked = chars[:head] + ["*"] * (n - head - tail) + chars[n - tail :] if tail else (
        chars[:head] + ["*"] * (n - head)
    )
    return "".join(masked)
