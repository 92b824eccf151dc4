"""One receipt model, rendered as ESC/POS bytes (python-escpos) and as a QR code (segno).

The model is :class:`kiosk.ports.Receipt`, built from a transaction's journal.
``receipt_lines`` is the pure text layout both renderings share; the ESC/POS
bytes add styling and a native QR code; ``decode_escpos`` turns the bytes back
into lines (tests, and the ``file`` printer's viewer). No rendering ever shows
more than the last 4 digits of a card: terminal lines are scrubbed here, at the
edge, whatever the terminal sent.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kiosk.config import Settings
from kiosk.ports import Receipt
from kiosk.privacy import mask_msisdn

if TYPE_CHECKING:
    import segno

WIDTH = 42  # characters per line, font A on 80 mm paper (fits 58 mm with font B)
_CARDLIKE = re.compile(r"(?<![\dA-Za-z])[0-9*Xx•#][0-9*Xx•# -]{7,}[0-9*Xx•#](?![\dA-Za-z])")


def scrub_card_numbers(line: str) -> str:
    """Replace anything that looks like a card number by ``**** 1234`` (last 4 digits only)."""

    def repl(m: re.Match[str]) -> str:
        text = m.group(0)
        digits = [c for c in text if c.isdigit()]
        masked = sum(1 for c in text if c in "*Xx•#")
        if len(digits) + masked < 12 or (masked == 0 and len(digits) < 13):
            return text  # a date, an amount, a trace number: not a card
        return "**** " + "".join(digits[-4:]) if len(digits) >= 4 else "****"

    return _CARDLIKE.sub(repl, line)


def format_amount(cents: int, currency: str) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, "")
    return f"{sign}{symbol}{cents // 100:,}.{cents % 100:02d} {currency}"


def receipt_url(settings: Settings, txn_id: str) -> str:
    return settings.receipt.url_template.format(txn_id=txn_id, kiosk_id=settings.kiosk.id)


def build_receipt(data: Mapping[str, Any], txn_id: str, settings: Settings,
                  at: dt.datetime | None = None) -> Receipt:
    """The receipt of a completed transaction from its merged journal payloads."""
    when = at
    if when is None and data.get("paid_at"):
        try:
            when = dt.datetime.fromisoformat(str(data["paid_at"]))
        except ValueError:
            when = None
    if when is None:
        when = dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    ref = data.get("provider_ref")
    confirmation = f"Top-up confirmed. Ref {ref}" if ref else "Top-up confirmed."
    return Receipt(
        txn_id=txn_id,
        kiosk_id=settings.kiosk.id,
        location=settings.kiosk.location,
        at=when,
        carrier=str(data.get("carrier") or ""),
        plan_name=str(data.get("plan_name") or data.get("plan_id") or ""),
        amount_cents=int(data.get("amount_cents") or 0),
        currency=str(data.get("currency") or settings.kiosk.currency),
        msisdn_masked=mask_msisdn(str(data.get("msisdn") or "")) or "",
        provider_confirmation=confirmation,
        terminal_lines=tuple(scrub_card_numbers(str(x)) for x in data.get("terminal_lines") or ()),
        support_contact=settings.kiosk.support_contact,
        url=receipt_url(settings, txn_id),
    )


def receipt_to_json(r: Receipt) -> dict[str, Any]:
    return {
        "txn_id": r.txn_id, "kiosk_id": r.kiosk_id, "location": r.location, "at": r.at.isoformat(),
        "carrier": r.carrier, "plan_name": r.plan_name, "amount_cents": r.amount_cents,
        "currency": r.currency, "msisdn_masked": r.msisdn_masked,
        "provider_confirmation": r.provider_confirmation,
        "terminal_lines": [scrub_card_numbers(x) for x in r.terminal_lines],
        "support_contact": r.support_contact, "url": r.url,
    }


def receipt_from_json(d: Mapping[str, Any]) -> Receipt:
    return Receipt(
        txn_id=str(d["txn_id"]), kiosk_id=str(d["kiosk_id"]), location=str(d["location"]),
        at=dt.datetime.fromisoformat(str(d["at"])), carrier=str(d["carrier"]),
        plan_name=str(d["plan_name"]), amount_cents=int(d["amount_cents"]),
        currency=str(d["currency"]), msisdn_masked=str(d["msisdn_masked"]),
        provider_confirmation=str(d["provider_confirmation"]),
        terminal_lines=tuple(str(x) for x in d.get("terminal_lines", ())),
        support_contact=str(d["support_contact"]), url=str(d["url"]),
    )


def _pair(left: str, right: str, width: int = WIDTH) -> str:
    gap = max(width - len(left) - len(right), 1)
    return left + " " * gap + right


def receipt_lines(r: Receipt, width: int = WIDTH) -> list[str]:
    """The receipt's text, line by line (shared by every rendering)."""
    local = r.at.astimezone()
    lines = [
        "PREPAID TOP-UP RECEIPT",
        r.location,
        f"Kiosk {r.kiosk_id}",
        local.strftime("%Y-%m-%d %H:%M:%S %Z").strip(),
        "-" * width,
        _pair("Carrier", r.carrier, width),
        _pair("Plan", r.plan_name, width),
        _pair("Phone", r.msisdn_masked, width),
        _pair("Amount", format_amount(r.amount_cents, r.currency), width),
        "-" * width,
        r.provider_confirmation,
    ]
    if r.terminal_lines:
        lines.append("-" * width)
        lines.extend(scrub_card_numbers(x) for x in r.terminal_lines)
    lines += [
        "-" * width,
        "Transaction:",
        r.txn_id,
        f"Support: {r.support_contact}",
        "Scan for your e-receipt:",
    ]
    return lines


def render_escpos(r: Receipt) -> bytes:
    """ESC/POS bytes for a thermal printer: header centred and bold, QR code, cut."""
    from escpos.printer import Dummy  # imported on first use: it is slow to load

    p = Dummy()
    lines = receipt_lines(r)
    p.set(align="center", bold=True)
    p.text(lines[0] + "\n")
    p.set(align="center", bold=False, normal_textsize=True)
    for line in lines[1:4]:
        p.text(line + "\n")
    p.set(align="left")
    for line in lines[4:]:
        p.text(line + "\n")
    p.set(align="center")
    p.qr(r.url, native=True, size=6)
    p.text(r.url + "\n")
    p.cut()
    return bytes(p.output)


def qr_code(r: Receipt) -> segno.QRCode:
    """The e-receipt QR code (shown on screen; the printed one encodes the same URL)."""
    import segno

    return segno.make_qr(r.url, error="m")


def qr_svg(r: Receipt, scale: int = 8) -> str:
    buf = io.BytesIO()
    qr_code(r).save(buf, kind="svg", scale=scale, border=2)
    return buf.getvalue().decode("utf-8")


def qr_png(r: Receipt, scale: int = 8) -> bytes:
    buf = io.BytesIO()
    qr_code(r).save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()


# ---------------------------------------------------------------------------- decoding

# Arguments after ESC <c> / GS <c> for the commands the renderer (python-escpos) emits.
_ESC_ARGS = {b"@": 0, b"E": 1, b"a": 1, b"t": 1, b"!": 1, b"-": 1, b"d": 1, b"M": 1, b"G": 1,
             b"{": 1, b"J": 1, b"2": 0, b"3": 1, b"p": 3, b"r": 1, b"V": 1}
_GS_ARGS = {b"!": 1, b"B": 1, b"b": 1, b"H": 1, b"h": 1, b"w": 1, b"L": 2, b"W": 2}


def decode_escpos(data: bytes, encoding: str = "cp437") -> list[str]:
    """ESC/POS bytes → the printed text lines; a QR code becomes ``[QR] <data>``.

    Raises ``ValueError`` on a command it does not know (so a test notices).
    """
    lines: list[str] = []
    cur = bytearray()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == 0x1B:
            cmd = data[i + 1:i + 2]
            if cmd not in _ESC_ARGS:
                raise ValueError(f"unknown ESC command {cmd!r} at {i}")
            i += 2 + _ESC_ARGS[cmd]
        elif b == 0x1D:
            cmd = data[i + 1:i + 2]
            if cmd == b"V":  # cut: GS V m [n]
                m = data[i + 2]
                i += 4 if m in (65, 66, 97, 98, 103, 104) else 3
            elif cmd == b"(":  # GS ( k pL pH cn fn ...
                fn_len = data[i + 3] + 256 * data[i + 4]
                body = data[i + 5:i + 5 + fn_len]
                if data[i + 2:i + 3] == b"k" and body[:3] == b"1P0":
                    lines.append("[QR] " + body[3:].decode("utf-8"))
                i += 5 + fn_len
            elif cmd in _GS_ARGS:
                i += 2 + _GS_ARGS[cmd]
            else:
                raise ValueError(f"unknown GS command {cmd!r} at {i}")
        elif b == 0x0A:
            lines.append(cur.decode(encoding))
            cur.clear()
            i += 1
        elif b < 0x20 and b not in (0x09,):
            i += 1  # other control bytes carry no text
        else:
            cur.append(b)
            i += 1
    if cur:
        lines.append(cur.decode(encoding))
    return lines
