"""One receipt model, rendered as ESC/POS bytes (python-escpos) and as QR codes (segno).

The model is :class:`kiosk.ports.Receipt`, built from a transaction's journal.
``receipt_lines`` is the pure text layout both renderings share, in the
customer's language (``txn.created`` journals it as ``lang``) and in the kiosk's
local time (``[kiosk] timezone``); the ESC/POS bytes add styling, the e-receipt
QR code and the "remind me" QR code (an iCalendar event three days before the
plan's new expiry, readable by a phone camera without any server). Chinese is
printed as a raster image of the text (US receipt printers have no Chinese
font). ``decode_escpos`` turns the bytes back into lines (tests, and the ``file``
printer's viewer). No rendering ever shows more than the last 4 digits of a
card: terminal lines are scrubbed here, at the edge, whatever the terminal sent.

One reference (:func:`reference_of`, the first 8 hex digits of the transaction
id) is what the customer sees on screen, on paper and in the e-receipt link.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from kiosk.config import Settings
from kiosk.ports import Account, Plan, Receipt
from kiosk.privacy import mask_msisdn

if TYPE_CHECKING:
    import segno
    from PIL.Image import Image

log = logging.getLogger(__name__)

WIDTH = 42  # characters per line, font A on 80 mm paper (fits 58 mm with font B)
PRINTER_PROFILE = "TM-T88V"  # python-escpos profile: 80 mm paper, 512 dots (the usual kiosk printer)
IMAGE_WIDTH = 512  # dots: a text block printed as an image
REMINDER_DAYS_BEFORE = 3
PRINTED_QR_MODULE_DOTS = 4  # the "remind me" code on paper: 0.5 mm modules at 203 dpi
REMINDER_HOUR = 10  # local time on the customer's phone (a floating iCalendar time)
_CARDLIKE = re.compile(r"(?<![\dA-Za-z])[0-9*Xx•#][0-9*Xx•# -]{7,}[0-9*Xx•#](?![\dA-Za-z])")
_CJK = re.compile(r"[\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF]")
CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
_BABEL_LOCALE = {"en": "en_US", "es": "es_US", "zh_CN": "zh_CN"}

#: Receipt and reminder wording per language (the UI's glossary in docs/ui.md applies).
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "PREPAID TOP-UP RECEIPT",
        "kiosk": "Kiosk {id}",
        "carrier": "Carrier",
        "plan": "Plan",
        "phone": "Phone",
        "amount": "Amount",
        "valid_until": "Valid until",
        "valid_at_least": "Valid at least until",
        "confirmed": "Top-up confirmed.",
        "reference": "Reference",
        "support": "Support: {contact}",
        "scan_receipt": "Scan for your e-receipt:",
        "scan_reminder": "Scan to add a renewal reminder to your calendar:",
        "remind_summary": "Renew your {carrier} plan (phone ending in {last4})",
        "remind_body": "Plan {plan} ends on {date}.",
    },
    "es": {
        "title": "RECIBO DE RECARGA PREPAGADA",
        "kiosk": "Quiosco {id}",
        "carrier": "Compañía",
        "plan": "Plan",
        "phone": "Celular",
        "amount": "Monto",
        "valid_until": "Vigente hasta",
        "valid_at_least": "Vigente al menos hasta",
        "confirmed": "Recarga confirmada.",
        "reference": "Referencia",
        "support": "Ayuda: {contact}",
        "scan_receipt": "Escanee para ver su recibo electrónico:",
        "scan_reminder": "Escanee para agregar a su calendario un recordatorio de renovación:",
        "remind_summary": "Renueve su plan de {carrier} (celular terminado en {last4})",
        "remind_body": "Su plan {plan} vence el {date}.",
    },
    "zh_CN": {
        "title": "预付费充值收据",
        "kiosk": "自助机 {id}",
        "carrier": "运营商",
        "plan": "套餐",
        "phone": "手机号码",
        "amount": "金额",
        "valid_until": "有效期至",
        "valid_at_least": "有效期至少至",
        "confirmed": "充值成功。",
        "reference": "参考号",
        "support": "客服：{contact}",
        "scan_receipt": "扫码查看电子收据：",
        "scan_reminder": "扫码将续费提醒添加到日历：",
        "remind_summary": "续费您的{carrier}套餐（尾号 {last4}）",
        "remind_body": "套餐“{plan}”将于 {date} 到期。",
    },
}


def texts(lang: str) -> dict[str, str]:
    """The receipt's wording in ``lang`` ("zh" matches "zh_CN"), English otherwise."""
    if lang in TEXTS:
        return TEXTS[lang]
    base = lang.split("_")[0]
    return next((t for code, t in TEXTS.items() if code.split("_")[0] == base), TEXTS["en"])


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


def reference_of(txn_id: str) -> str:
    """The one reference a customer sees (screen, paper, e-receipt link): 8 hex digits."""
    return txn_id.replace("-", "")[:8].upper()


def receipt_url(settings: Settings, txn_id: str, lang: str = "en") -> str:
    """The e-receipt link: ``[receipt] url_template`` with ``{txn_id}``, ``{kiosk_id}`` and,
    when the template does not place them itself, ``ref`` and ``lang`` query parameters
    (the page shows the customer's reference, in their language)."""
    template = settings.receipt.url_template
    ref = reference_of(txn_id)
    url = template.format_map({"txn_id": txn_id, "kiosk_id": settings.kiosk.id, "ref": ref, "lang": lang})
    extra = {k: v for k, v in (("ref", ref), ("lang", lang)) if "{" + k + "}" not in template}
    if extra:
        url += ("&" if "?" in url else "?") + urlencode(extra)
    return url


def customer_fields(account: Account, plan: Plan, lang: str) -> dict[str, Any]:
    """What the receipt needs beyond the sale itself, journaled in ``txn.created``: the
    customer's language, the plan's name in it, the plan's expiry before this top-up."""
    return {
        "lang": lang,
        "plan_name_local": plan.text(lang).name,
        "expiry_before": account.expiry.isoformat() if account.expiry else None,
    }


def new_expiry(before: dt.date | None, validity_days: int, today: dt.date) -> tuple[dt.date | None, bool]:
    """The plan's expiry after a renewal of ``validity_days``, and whether it is only a lower
    bound. A renewal extends the current period (carriers queue an early renewal after it);
    an expired or unknown one starts today (unknown: "at least", the carrier may add more)."""
    if validity_days <= 0:
        return None, False
    start = max(before, today) if before is not None else today
    return start + dt.timedelta(days=validity_days), before is None


def _zone(name: str) -> dt.tzinfo | None:
    if not name:
        return None  # the system's local zone (astimezone())
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r: receipt times in the system's zone", name)
        return None


def local_time(at: dt.datetime, timezone: str) -> dt.datetime:
    """``at`` in the kiosk's zone (``[kiosk] timezone``, else the system's)."""
    return at.astimezone(_zone(timezone))


def _parse_date(value: object) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def build_receipt(data: Mapping[str, Any], txn_id: str, settings: Settings,
                  at: dt.datetime | None = None, lang: str | None = None) -> Receipt:
    """The receipt of a completed transaction from its merged journal payloads (language:
    ``lang``, else the journaled ``lang``, else English)."""
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
    lang = lang or str(data.get("lang") or "en")
    zone = settings.kiosk.timezone
    valid_until, at_least = new_expiry(_parse_date(data.get("expiry_before")),
                                       int(data.get("validity_days") or 0),
                                       local_time(when, zone).date())
    return Receipt(
        txn_id=txn_id,
        kiosk_id=settings.kiosk.id,
        location=settings.kiosk.location,
        at=when,
        carrier=str(data.get("carrier") or ""),
        plan_name=str(data.get("plan_name_local") or data.get("plan_name") or data.get("plan_id") or ""),
        amount_cents=int(data.get("amount_cents") or 0),
        currency=str(data.get("currency") or settings.kiosk.currency),
        msisdn_masked=mask_msisdn(str(data.get("msisdn") or "")) or "",
        provider_confirmation=texts(lang)["confirmed"],
        terminal_lines=tuple(scrub_card_numbers(str(x)) for x in data.get("terminal_lines") or ()),
        support_contact=settings.kiosk.support_contact,
        url=receipt_url(settings, txn_id, lang),
        lang=lang,
        timezone=zone,
        valid_until=valid_until,
        valid_until_at_least=at_least,
    )


def receipt_to_json(r: Receipt) -> dict[str, Any]:
    return {
        "txn_id": r.txn_id, "kiosk_id": r.kiosk_id, "location": r.location, "at": r.at.isoformat(),
        "carrier": r.carrier, "plan_name": r.plan_name, "amount_cents": r.amount_cents,
        "currency": r.currency, "msisdn_masked": r.msisdn_masked,
        "provider_confirmation": r.provider_confirmation,
        "terminal_lines": [scrub_card_numbers(x) for x in r.terminal_lines],
        "support_contact": r.support_contact, "url": r.url, "lang": r.lang, "timezone": r.timezone,
        "valid_until": r.valid_until.isoformat() if r.valid_until else None,
        "valid_until_at_least": r.valid_until_at_least,
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
        lang=str(d.get("lang") or "en"), timezone=str(d.get("timezone") or ""),
        valid_until=_parse_date(d.get("valid_until")),
        valid_until_at_least=bool(d.get("valid_until_at_least", False)),
    )


def format_date(day: dt.date, lang: str) -> str:
    """A long date in ``lang`` ("July 14, 2026", "14 de julio de 2026", "2026年7月14日")."""
    from babel.dates import format_date as babel_date  # on the checkout lane only

    text = str(babel_date(day, "long", locale=_BABEL_LOCALE.get(lang, "en_US")))
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def format_when(r: Receipt) -> str:
    """The sale's date and time in the kiosk's zone, in the customer's language."""
    from babel.dates import format_time

    local = local_time(r.at, r.timezone)
    hhmm = format_time(local, "short", locale=_BABEL_LOCALE.get(r.lang, "en_US"))
    text = f"{format_date(local.date(), r.lang)} {hhmm} {local.strftime('%Z')}".strip()
    return text.replace("\u202f", " ").replace("\u00a0", " ")  # printers lack CLDR's narrow spaces


def _pair(left: str, right: str, width: int = WIDTH) -> str:
    gap = max(width - _cells(left) - _cells(right), 1)
    return left + " " * gap + right


def _cells(text: str) -> int:
    """Printed width in font-A cells (a Chinese character takes two)."""
    return sum(2 if _CJK.match(c) else 1 for c in text)


def valid_until_line(r: Receipt, width: int = WIDTH) -> str | None:
    if r.valid_until is None:
        return None
    t = texts(r.lang)
    label = t["valid_at_least"] if r.valid_until_at_least else t["valid_until"]
    return _pair(label, format_date(r.valid_until, r.lang), width)


def receipt_lines(r: Receipt, width: int = WIDTH) -> list[str]:
    """The receipt's text, line by line (shared by every rendering), up to the QR codes."""
    t = texts(r.lang)
    lines = [
        t["title"],
        r.location,
        t["kiosk"].format(id=r.kiosk_id),
        format_when(r),
        "-" * width,
        _pair(t["carrier"], r.carrier, width),
        _pair(t["plan"], r.plan_name, width),
        _pair(t["phone"], r.msisdn_masked, width),
        _pair(t["amount"], format_amount(r.amount_cents, r.currency), width),
    ]
    until = valid_until_line(r, width)
    if until:
        lines.append(until)
    lines += ["-" * width, r.provider_confirmation]
    if r.terminal_lines:
        lines.append("-" * width)
        lines.extend(scrub_card_numbers(x) for x in r.terminal_lines)
    lines += [
        "-" * width,
        _pair(t["reference"], reference_of(r.txn_id), width),
        t["support"].format(contact=r.support_contact),
        t["scan_receipt"],
    ]
    return lines


def reminder_day(r: Receipt) -> dt.date | None:
    """The day of the "remind me" event: three days before the new expiry; ``None`` when
    that is not after the day of the sale (a plan valid three days or less with nothing
    queued before it): a reminder on the day of purchase, or before it, helps nobody, and
    every screen and receipt says "three days before", so no other day is chosen."""
    if r.valid_until is None:
        return None
    day = r.valid_until - dt.timedelta(days=REMINDER_DAYS_BEFORE)
    return day if day > local_time(r.at, r.timezone).date() else None


def _compact_uid(txn_id: str) -> str:
    """The event's globally unique id from the transaction id, short (base64url of the UUID)."""
    import base64
    import uuid

    try:
        raw = uuid.UUID(txn_id).bytes
    except ValueError:
        return f"{txn_id}@simkiosk"
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") + "@simkiosk"


def reminder_ics(r: Receipt) -> str | None:
    """The "remind me" QR code's content: an iCalendar VEVENT at 10:00 (the phone's own
    time zone) three days before the new expiry, with a DISPLAY VALARM at that moment;
    ``None`` without a useful day (:func:`reminder_day`). Readable offline by phone cameras.

    Kept short (a smaller QR code reads from further away and at a worse angle): what RFC
    5545 requires (PRODID, VERSION, UID, DTSTAMP, the alarm's DESCRIPTION) and what the
    customer reads (the summary names the carrier and the number's last digits, the
    alarm's text the plan and its end), nothing twice."""
    day = reminder_day(r)
    if day is None:
        return None
    import icalendar  # on the checkout lane only

    t = texts(r.lang)
    start = dt.datetime.combine(day, dt.time(REMINDER_HOUR, 0))  # floating: the phone's zone
    summary = t["remind_summary"].format(carrier=r.carrier, last4=r.msisdn_masked[-4:])
    body = t["remind_body"].format(plan=r.plan_name, date=format_date(r.valid_until or day, r.lang))
    cal = icalendar.Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", "-//simkiosk//EN")
    event = icalendar.Event()
    event.add("uid", _compact_uid(r.txn_id))
    event.add("dtstamp", r.at.astimezone(dt.UTC))
    event.add("dtstart", start)  # no end: a moment, which is what a reminder is
    event.add("summary", summary)
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", body)
    alarm.add("trigger", dt.timedelta(0))  # at the event: three days before the expiry
    event.add_component(alarm)
    cal.add_component(event)
    ics: bytes = cal.to_ical()
    return ics.decode("utf-8")


def reminder_caption(r: Receipt) -> str:
    return texts(r.lang)["scan_reminder"]


@lru_cache(maxsize=2)
def _cjk_font(size: int) -> Any:
    from PIL import ImageFont

    for path in CJK_FONTS:
        if path.exists():
            return ImageFont.truetype(str(path), size, index=2)  # index 2: Noto Sans CJK SC
    return None


def _text_image(lines: list[str], size: int = 24) -> Image | None:
    """Render text lines (wrapped to the paper) into a 1-bit image; ``None`` without a font."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    font = _cjk_font(size)
    if font is None:
        return None
    wrapped: list[str] = []
    for line in lines:
        current = ""
        for ch in line:
            if font.getlength(current + ch) > IMAGE_WIDTH - 8 and current:
                wrapped.append(current)
                current = ch
            else:
                current += ch
        wrapped.append(current)
    step = int(size * 1.35)
    img = PILImage.new("1", (IMAGE_WIDTH, step * len(wrapped) + 8), 1)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(wrapped):
        draw.text((4, 4 + i * step), line, font=font, fill=0)
    return img


def _print_block(p: Any, lines: list[str]) -> None:
    """Text the printer's code pages can show goes as text; Chinese as an image of the text."""
    if any(_CJK.search(line) for line in lines):
        img = _text_image(lines)
        if img is not None:
            p.image(img, impl="bitImageRaster")
            return
        log.warning("no CJK font for the receipt: printing Chinese as GB18030 text")
    for line in lines:
        p.text(line + "\n")


def render_escpos(r: Receipt) -> bytes:
    """ESC/POS bytes for a thermal printer: header centred and bold, the e-receipt QR code,
    the "remind me" QR code (when the new expiry is known), cut."""
    from escpos.constants import QR_ECLEVEL_M
    from escpos.printer import Dummy  # imported on first use: it is slow to load

    p = Dummy(profile=PRINTER_PROFILE)
    lines = receipt_lines(r)
    p.set(align="center", bold=True)
    _print_block(p, lines[:1])
    p.set(align="center", bold=False, normal_textsize=True)
    _print_block(p, lines[1:4])
    p.set(align="left")
    _print_block(p, lines[4:])
    p.set(align="center")
    p.qr(r.url, native=True, size=6)
    p.text(r.url + "\n")
    ics = reminder_ics(r)
    if ics is not None:
        p.set(align="left")
        _print_block(p, ["-" * WIDTH, reminder_caption(r)])
        p.set(align="center")
        p.qr(ics, native=True, size=PRINTED_QR_MODULE_DOTS, ec=QR_ECLEVEL_M)  # M: paper wears
    p.cut()
    return bytes(p.output)


def qr_code(r: Receipt) -> segno.QRCode:
    """The e-receipt QR code (shown on screen; the printed one encodes the same URL)."""
    import segno

    return segno.make_qr(r.url, error="m")


def reminder_qr(r: Receipt) -> segno.QRCode | None:
    """The "remind me" QR code as the printer draws it (error level M, UTF-8; the screen
    encodes the same iCalendar text, see :func:`screen_qr`)."""
    import segno

    ics = reminder_ics(r)
    if ics is None:
        return None
    return segno.make_qr(ics, error="m", boost_error=False, encoding="utf-8")


def screen_qr(text: str) -> segno.QRCode:
    """A QR code for the screen: error level L, raised when the same version allows (a lit
    screen has no smudges; fewer modules mean bigger ones, which phones read from further
    away), UTF-8 bytes (the printed code's encoding, what phones assume without an ECI)."""
    import segno

    return segno.make_qr(text, error="l", boost_error=True, encoding="utf-8")


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
            elif cmd == b"v" and data[i + 2:i + 3] == b"0":  # raster image: GS v 0 m xL xH yL yH
                width_bytes = data[i + 4] + 256 * data[i + 5]
                height = data[i + 6] + 256 * data[i + 7]
                lines.append(f"[IMAGE {width_bytes * 8}x{height}]")
                i += 8 + width_bytes * height
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
