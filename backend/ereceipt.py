"""The e-receipt page the receipt's QR code links to, the pure part: no I/O here.

A kiosk journals each receipt whole (``txn.receipt``, :func:`kiosk.receipt.receipt_to_json`);
ingest keeps it in the transaction's row. This module turns that JSON back into the
receipt and renders it as the kiosk printed it (:func:`kiosk.receipt.receipt_lines`, the
kiosk's own wording and formatting, in the kiosk's time zone), in the language asked for,
as one small self-contained HTML page (no script, no external asset: the CSP forbids
both). The stored JSON came from a kiosk, so nothing in it is trusted: every field is
type-checked, the phone number masked again, card-like numbers scrubbed, every value
escaped. Only the texts of the page around the receipt are the backend's own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
import re
import zoneinfo
from collections.abc import Mapping
from typing import Final
from urllib.parse import quote

import orjson

from kiosk.ports import Receipt
from kiosk.privacy import mask_msisdn
from kiosk.receipt import receipt_from_json, receipt_lines, reference_of, reminder_ics, texts

log = logging.getLogger(__name__)

LANGS = ("en", "es", "zh_CN")
#: BCP 47 tags for ``<html lang>`` (the kiosk's codes use an underscore).
HTML_LANG = {"en": "en", "es": "es", "zh_CN": "zh-CN"}
LANG_NAMES = {"en": "English", "es": "Español", "zh_CN": "中文"}
#: Kiosk transaction ids are ``uuid.uuid4()`` (kiosk/txn.py): 122 random bits, so the link
#: itself is the capability. Anything else in that place of the path is not a receipt.
TXN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_KIOSK_ID = 64
#: Receipts synced with an empty ``[kiosk] timezone`` (the kiosk's system zone, which the
#: backend cannot know) are shown in UTC, and say so.
FALLBACK_ZONE = "UTC"

#: The page's own headers: nothing but inline style may load (no script, no image, no frame),
#: no referrer leaves with a click, and only the customer's browser may cache it (a shared
#: cache must not keep someone's receipt). They replace the operator page's policy
#: (``backend.app.SecurityHeaders`` adds only what a response does not set).
_HEADERS: Final = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-robots-tag": "noindex, nofollow",
}
FOUND_HEADERS: Final[Mapping[str, str]] = {**_HEADERS, "cache-control": "private, max-age=300"}
#: "Try again later" must be tried again, not served from a cache.
MISSING_HEADERS: Final[Mapping[str, str]] = {**_HEADERS, "cache-control": "private, no-store"}

#: The page's own few lines (the receipt itself uses kiosk/receipt.py's TEXTS).
PAGE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "page_title": "Your receipt {ref}",
        "reminder": "Add a renewal reminder to your calendar",
        "missing_title": "Receipt not available yet",
        "missing_body": "This receipt is not available yet. The kiosk sends it shortly after "
                        "your purchase; please try again later.",
        "trouble_body": "We cannot show this receipt right now. Please try again later.",
        "language": "Language",
    },
    "es": {
        "page_title": "Su recibo {ref}",
        "reminder": "Agregar a su calendario un recordatorio de renovación",
        "missing_title": "Recibo aún no disponible",
        "missing_body": "Este recibo todavía no está disponible. El quiosco lo envía poco después "
                        "de su compra; vuelva a intentarlo más tarde.",
        "trouble_body": "No podemos mostrar este recibo en este momento. Vuelva a intentarlo más tarde.",
        "language": "Idioma",
    },
    "zh_CN": {
        "page_title": "您的收据 {ref}",
        "reminder": "将续费提醒添加到日历",
        "missing_title": "收据暂不可用",
        "missing_body": "此收据暂时无法查看。自助机会在您购买后不久上传收据，请稍后再试。",
        "trouble_body": "目前无法显示此收据，请稍后再试。",
        "language": "语言",
    },
}

_CSS = (
    "*{box-sizing:border-box}"
    "body{margin:0;padding:16px;font-family:system-ui,-apple-system,'Segoe UI',Roboto,"
    "'Noto Sans','Noto Sans CJK SC',sans-serif;background:#f3f4f6;color:#111827}"
    "main{max-width:34rem;margin:0 auto;background:#fff;border-radius:12px;padding:16px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.15)}"
    "pre{margin:0;font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,"
    "'Noto Sans Mono CJK SC',monospace;font-size:clamp(10px,3.3vw,15px);line-height:1.45;"
    "white-space:pre;overflow-x:auto}"
    "h1{font-size:1.25rem;margin:0 0 .75rem}"
    "p{line-height:1.5}"
    ".reminder{display:block;margin-top:16px;padding:14px;border-radius:8px;background:#1d4ed8;"
    "color:#fff;text-align:center;text-decoration:none;font-weight:600}"
    "nav{max-width:34rem;margin:12px auto 0;text-align:center;font-size:.95rem}"
    "nav a{color:#1d4ed8;margin:0 .5rem}"
    "@media (prefers-color-scheme:dark){body{background:#111827;color:#f9fafb}"
    "main{background:#1f2937}nav a{color:#93c5fd}.reminder{background:#2563eb}}"
)


def choose_lang(requested: str | None, receipt_lang: str | None = None) -> str:
    """``?lang=`` when it is one of ours, else the receipt's own language, else English."""
    for lang in (requested, receipt_lang):
        if lang in LANGS:
            return lang
    return "en"


def valid_ids(kiosk_id: str, txn_id: str) -> bool:
    """Whether the path can name a receipt at all (checked before any database read: a NUL
    or an over-long id must not reach PostgreSQL)."""
    return (0 < len(kiosk_id) <= MAX_KIOSK_ID and kiosk_id.isprintable()
            and TXN_ID.fullmatch(txn_id) is not None)


def load_receipt(text: str | None, kiosk_id: str, txn_id: str) -> Receipt | None:
    """The stored receipt JSON as a :class:`Receipt` safe to show, ``None`` when there is none
    or it is not a receipt (logged: a kiosk sent a malformed one)."""
    if text is None:
        return None
    try:
        data = orjson.loads(text)
        if not isinstance(data, dict):
            raise TypeError("not an object")
        r = receipt_from_json(data)
        if not isinstance(data.get("terminal_lines", []), list):
            raise TypeError("terminal_lines is not a list")
    except (orjson.JSONDecodeError, KeyError, ValueError, TypeError, OverflowError) as exc:
        log.warning("stored receipt of %s/%s is malformed: %s", kiosk_id, txn_id, exc,
                    extra={"kiosk_id": kiosk_id, "txn_id": txn_id})
        return None
    at = r.at if r.at.tzinfo is not None else r.at.replace(tzinfo=dt.UTC)
    safe = dataclasses.replace(
        r, txn_id=txn_id, kiosk_id=kiosk_id, at=at,
        msisdn_masked=mask_msisdn(r.msisdn_masked) or "",  # masked already; a kiosk's bug must not show more
        timezone=_zone_or_fallback(r.timezone))
    try:
        page_lines(safe)  # renderable: a date out of range fails here, not in the page
        reminder_ics(safe)
    except (ValueError, OverflowError) as exc:
        log.warning("stored receipt of %s/%s cannot be shown: %s", kiosk_id, txn_id, exc,
                    extra={"kiosk_id": kiosk_id, "txn_id": txn_id})
        return None
    return safe


def _zone_or_fallback(name: str) -> str:
    if not name:
        return FALLBACK_ZONE
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return FALLBACK_ZONE
    return name


def in_language(r: Receipt, lang: str) -> Receipt:
    """The receipt as it would have printed in ``lang`` (the plan's name stays the one the
    kiosk journaled: the catalog's name in the customer's language at the time of sale)."""
    return dataclasses.replace(r, lang=lang, provider_confirmation=texts(lang)["confirmed"])


def page_lines(r: Receipt) -> list[str]:
    """The printed lines, without the printed "scan for your e-receipt" (the reader is here)."""
    lines = receipt_lines(r)
    if lines and lines[-1] == texts(r.lang)["scan_receipt"]:
        lines.pop()
    return lines


def reminder(r: Receipt, lang: str) -> str | None:
    """The "remind me" iCalendar text in ``lang`` (the printed QR code's), ``None`` without
    a new expiry."""
    return reminder_ics(in_language(r, lang))


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _document(lang: str, title: str, body: str, nav: str = "") -> str:
    return ("<!DOCTYPE html>\n"
            f'<html lang="{HTML_LANG[lang]}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<meta name="robots" content="noindex,nofollow">'
            '<meta name="referrer" content="no-referrer">'
            f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
            f"<body><main>{body}</main>{nav}</body></html>\n")


def _nav(lang: str, href: str) -> str:
    links = "".join(f'<a href="{_e(href)}?lang={code}" hreflang="{HTML_LANG[code]}" lang="{HTML_LANG[code]}">'
                    f"{_e(LANG_NAMES[code])}</a>" for code in LANGS if code != lang)
    return f'<nav aria-label="{_e(PAGE_TEXTS[lang]["language"])}">{links}</nav>'


def receipt_page(r: Receipt, lang: str) -> str:
    """The receipt page in ``lang``: the printed lines, and the reminder's download link when
    the receipt has a new expiry. Links are relative (the backend may sit under a prefix)."""
    shown = in_language(r, lang)
    pt = PAGE_TEXTS[lang]
    body = "<pre>" + "\n".join(_e(line) for line in page_lines(shown)) + "</pre>"
    here = quote(r.txn_id, safe="")
    if shown.valid_until is not None:
        body += (f'<a class="reminder" href="{here}/reminder.ics?lang={lang}" download="renewal-reminder.ics" '
                 f'type="text/calendar">{_e(pt["reminder"])}</a>')
    return _document(lang, pt["page_title"].format(ref=reference_of(r.txn_id)), body, _nav(lang, here))


def missing_page(lang: str, *, trouble: bool = False) -> str:
    """The 404 (and 503) page: not synced yet, or no such receipt; try again later."""
    pt = PAGE_TEXTS[lang]
    text = pt["trouble_body"] if trouble else pt["missing_body"]
    return _document(lang, pt["missing_title"], f"<h1>{_e(pt['missing_title'])}</h1><p>{_e(text)}</p>")
