"""One thin view model per screen: read-only properties computed from the session snapshot.

Why thin: all decisions live in :mod:`kiosk.flow`; a view model only formats
(money, dates, masked numbers, the receipt QR code) for the current language.
Each one recomputes a plain dict on every session change and notifies QML only
when something it shows actually changed. Error screens share one model: they
are one layout with different (QML-side, translated) words.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Property, QDate, QLocale, QObject, Signal

from kiosk.flow import Session, State
from kiosk.ports import Plan, TerminalPrompt
from ui.qrimage import qr_source

_QT_LOCALE = {"en": "en_US", "zh_CN": "zh_CN", "es": "es_US"}
_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "MXN": "$"}


class Formatter:
    """Locale-aware formatting for one language."""

    def __init__(self, lang: str, currency: str) -> None:
        self.locale = QLocale(_QT_LOCALE.get(lang, "en_US"))
        self.currency = currency

    def money(self, cents: int, currency: str | None = None) -> str:
        code = currency or self.currency
        symbol = _CURRENCY_SYMBOLS.get(code, code + " ")
        return self.locale.toCurrencyString(cents / 100, symbol, 2)

    def date(self, day: dt.date | None) -> str:
        if day is None:
            return ""
        return self.locale.toString(QDate(day.year, day.month, day.day), QLocale.FormatType.LongFormat)


def format_number(msisdn: str) -> str:
    """``12025550123`` → ``+1 (202) 555-0123``; other countries grouped plainly."""
    if len(msisdn) == 11 and msisdn.startswith("1"):
        return f"+1 ({msisdn[1:4]}) {msisdn[4:7]}-{msisdn[7:]}"
    return "+" + msisdn


def format_typed(digits: str) -> str:
    """Group what the customer types as they type it (US style for up to 10 digits)."""
    if len(digits) > 10:
        return digits
    parts = [digits[:3], digits[3:6], digits[6:]]
    return " ".join(p for p in parts if p)


def mask_number(msisdn: str) -> str:
    """Only the last four digits are shown on a public screen."""
    nbsp = "\u00a0"  # keep the masked number on one line
    return f"•••{nbsp}•••{nbsp}{msisdn[-4:]}" if len(msisdn) >= 4 else "••••"


class ScreenModel(QObject):
    """Base: ``refresh`` recomputes ``_data``; QML properties read from it.

    Each subclass declares its own ``changed`` signal: PySide6 does not attach a
    property's notify signal when it is inherited from (or shadows) a base class's.
    """

    changed: Signal

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data: dict[str, Any] = {}

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError

    def refresh(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> None:
        data = self.compute(session, fmt, ctx)
        if data != self._data:
            self._data = data
            self.changed.emit()

    def value(self, key: str, default: Any) -> Any:
        return self._data.get(key, default)


def _str(key: str, notify: Signal) -> Property:
    return Property(str, lambda self: str(self.value(key, "")), notify=notify)


def _bool(key: str, notify: Signal) -> Property:
    return Property(bool, lambda self: bool(self.value(key, False)), notify=notify)


def _int(key: str, notify: Signal) -> Property:
    return Property(int, lambda self: int(self.value(key, 0)), notify=notify)


def _list(key: str, notify: Signal) -> Property:
    getter = lambda self: list(self.value(key, []))  # noqa: E731
    return Property("QVariantList", getter, notify=notify)  # type: ignore[arg-type]


class PhoneModel(ScreenModel):
    changed = Signal()
    digits = _str("digits", changed)
    display = _str("display", changed)
    canSubmit = _bool("can_submit", changed)
    invalid = _bool("invalid", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        return {
            "digits": session.digits,
            "display": format_typed(session.digits),
            "can_submit": len(session.digits) >= 10,
            "invalid": session.number_invalid,
        }


class AccountModel(ScreenModel):
    changed = Signal()
    carrier = _str("carrier", changed)
    number = _str("number", changed)
    currentPlan = _str("current_plan", changed)
    expiry = _str("expiry", changed)
    plansReady = _bool("plans_ready", changed)
    fromSim = _bool("from_sim", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        a = session.account
        if a is None:
            return {}
        return {
            "carrier": a.carrier,
            "number": mask_number(a.msisdn),
            "current_plan": a.current_plan or "",
            "expiry": fmt.date(a.expiry),
            "plans_ready": session.plans is not None,
            "from_sim": session.msisdn is None,
        }


def _plan_dict(plan: Plan, fmt: Formatter) -> dict[str, Any]:
    return {
        "id": plan.id,
        "name": plan.name,
        "price": fmt.money(plan.price_cents, plan.currency),
        "days": plan.validity_days,
        "benefits": list(plan.benefits),
    }


class PlansModel(ScreenModel):
    changed = Signal()
    plans = _list("plans", changed)
    loading = _bool("loading", changed)
    carrier = _str("carrier", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        return {
            "plans": [_plan_dict(p, fmt) for p in session.plans or ()],
            "loading": session.plans is None,
            "carrier": session.account.carrier if session.account else "",
        }


class ConfirmModel(ScreenModel):
    changed = Signal()
    number = _str("number", changed)
    carrier = _str("carrier", changed)
    planName = _str("plan_name", changed)
    price = _str("price", changed)
    days = _int("days", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        a, p = session.account, session.plan
        if a is None or p is None:
            return {}
        # The customer checks the full number here: a wrong number means a lost top-up.
        number = format_number(a.msisdn) if session.msisdn else mask_number(a.msisdn)
        return {
            "number": number,
            "carrier": a.carrier,
            "plan_name": p.name,
            "price": fmt.money(p.price_cents, p.currency),
            "days": p.validity_days,
        }


class PayModel(ScreenModel):
    changed = Signal()
    prompt = _str("prompt", changed)
    price = _str("price", changed)
    cancelling = _bool("cancelling", changed)
    planName = _str("plan_name", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        p = session.plan
        prompt = session.prompt.value if session.prompt else TerminalPrompt.PRESENT_CARD.value
        return {
            "prompt": prompt,
            "price": fmt.money(p.price_cents, p.currency) if p else "",
            "plan_name": p.name if p else "",
            "cancelling": session.cancelling,
        }


class ResultModel(ScreenModel):
    """Success and every failure screen: what happened, the receipt, the way forward."""

    changed = Signal()
    code = _str("code", changed)
    canRetry = _bool("can_retry", changed)
    reference = _str("reference", changed)
    qr = _str("qr", changed)
    planName = _str("plan_name", changed)
    price = _str("price", changed)
    number = _str("number", changed)
    carrier = _str("carrier", changed)
    support = _str("support", changed)
    printed = _bool("printed", changed)
    fromSim = _bool("from_sim", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": session.error,
            "can_retry": session.retry is not None,
            "support": ctx.get("support", ""),
            "from_sim": session.card is not None,
        }
        if session.plan is not None:
            out["plan_name"] = session.plan.name
            out["price"] = fmt.money(session.plan.price_cents, session.plan.currency)
        if session.account is not None:
            out["number"] = mask_number(session.account.msisdn)
            out["carrier"] = session.account.carrier
        o = session.outcome
        if o is not None:
            out["reference"] = o.txn_id[:8].upper()
            out["printed"] = o.printed
            if session.state in (State.SUCCESS, State.PRINTER_OUT_OF_PAPER):
                url = o.receipt.url if o.receipt else ctx.get("receipt_url", "").format(txn_id=o.txn_id)
                out["qr"] = qr_source(url) if url else ""
        return out
