"""One thin view model per screen: read-only properties computed from the session snapshot.

Why thin: all decisions live in :mod:`kiosk.flow`; a view model only formats
(money, dates, masked numbers, plan names and benefits in the customer's
language, the QR codes) for the current language. Each one recomputes a plain
dict on every session change and notifies QML only when something it shows
actually changed. Error screens share one model: they are one layout with
different (QML-side, translated) words. The facts a screen states (plan
names, prices, dates, the terminal's prompt) are formatted here and nowhere
else, so speech output can say exactly what the screen shows.

Strings built here are translated with ``QCoreApplication.translate("ViewModel",
...)`` (the same catalogues as the QML; ``lupdate`` reads this file too).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Property, QCoreApplication, QDate, QLocale, QObject, Signal

from kiosk.flow import Session, State
from kiosk.ports import Plan, TerminalPrompt
from kiosk.receipt import new_expiry, reference_of
from ui.qrimage import qr_source, reminder_source

_QT_LOCALE = {"en": "en_US", "zh_CN": "zh_CN", "es": "es_US"}
_WEEKDAY = re.compile(r"dddd[,，]?\s*|[,，]?\s*dddd")
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
        """The long date without the weekday ("July 14, 2026", "14 de julio de 2026",
        "2026年7月14日"), as the printed receipt writes it."""
        if day is None:
            return ""
        pattern = _WEEKDAY.sub("", self.locale.dateFormat(QLocale.FormatType.LongFormat)).strip()
        return self.locale.toString(QDate(day.year, day.month, day.day), pattern)


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
    """Only the last four digits are shown on a public screen, said in words ("ending in
    0123": bullets merged into a blot at large sizes and cannot be spoken)."""
    last4 = msisdn[-4:] if len(msisdn) >= 4 else msisdn
    return QCoreApplication.translate("ViewModel", "ending in %1").replace("%1", last4)


#: A catalogue id ("tmo-unl-40") rather than a name: never shown to a customer.
_PLAN_ID = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)+")


def plan_label(value: str | None, plans: tuple[Plan, ...] | None, lang: str) -> str:
    """The customer's current plan by name: the catalogue's name in ``lang`` when the
    account names a plan id on sale, the account's text when it is already a name, and
    nothing for an id the catalogue does not know."""
    if not value:
        return ""
    for plan in plans or ():
        if plan.id == value:
            return plan.text(lang).name
    if plans is None and _PLAN_ID.fullmatch(value):
        return ""  # the catalogue is still loading: the name comes with it
    return "" if _PLAN_ID.fullmatch(value) else value


def local_today() -> dt.date:
    return dt.datetime.now().astimezone().date()


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

    def snapshot(self) -> dict[str, Any]:
        """What QML shows now (audio guidance says the same, see ui/speech.py)."""
        return dict(self._data)


def _str(key: str, notify: Signal) -> Property:
    return Property(str, lambda self: str(self.value(key, "")), notify=notify)


def _bool(key: str, notify: Signal) -> Property:
    return Property(bool, lambda self: bool(self.value(key, False)), notify=notify)


def _int(key: str, notify: Signal) -> Property:
    return Property(int, lambda self: int(self.value(key, 0)), notify=notify)


def _list(key: str, notify: Signal) -> Property:
    getter = lambda self: list(self.value(key, []))  # noqa: E731
    return Property("QVariantList", getter, notify=notify)  # type: ignore[arg-type]


# Why the customer is choosing again (``Session.notice``): the checkout refused the sale
# before anything was charged (a :data:`kiosk.flow.CHOOSE_AGAIN` code or ``invalid_number``).
_NOTICES: dict[str, Any] = {
    "invalid_number": QT_TRANSLATE_NOOP("ViewModel", "That number cannot be topped up: it is not a valid US number. Nothing was charged. Please type the number."),  # noqa: E501
    "plan_changed": QT_TRANSLATE_NOOP("ViewModel", "The price of that plan has just changed. Nothing was charged. Please choose again."),  # noqa: E501
    "plan_unavailable": QT_TRANSLATE_NOOP("ViewModel", "That plan is no longer on sale. Nothing was charged. Please choose another plan."),  # noqa: E501
    "plan_mismatch": QT_TRANSLATE_NOOP("ViewModel", "That plan is not for this carrier. Nothing was charged. Please choose again."),  # noqa: E501
    "currency_mismatch": QT_TRANSLATE_NOOP("ViewModel", "That plan cannot be paid at this kiosk. Nothing was charged. Please choose another plan."),  # noqa: E501
}


def notice_text(code: str) -> str:
    """The one-line reason for ``Session.notice`` in the current language (``""``: none)."""
    if not code:
        return ""
    return QCoreApplication.translate("ViewModel", _NOTICES.get(code, _NOTICES["currency_mismatch"]))


class PhoneModel(ScreenModel):
    changed = Signal()
    digits = _str("digits", changed)
    display = _str("display", changed)
    canSubmit = _bool("can_submit", changed)
    invalid = _bool("invalid", changed)
    notice = _str("notice", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        return {
            "digits": session.digits,
            "display": format_typed(session.digits),
            "can_submit": len(session.digits) >= 10,
            "invalid": session.number_invalid,
            "notice": notice_text(session.notice) if session.state is State.PHONE else "",
        }


def _plan_dict(plan: Plan, fmt: Formatter, lang: str, current: str | None) -> dict[str, Any]:
    text = plan.text(lang)
    return {
        "id": plan.id,
        "name": text.name,
        "price": fmt.money(plan.price_cents, plan.currency),
        "days": max(plan.validity_days, 0),  # 0: the aggregator gives no validity; not shown
        "benefits": list(text.benefits),
        "current": bool(current) and plan.id == current,
    }


class AccountModel(ScreenModel):
    changed = Signal()
    carrier = _str("carrier", changed)
    number = _str("number", changed)
    currentPlan = _str("current_plan", changed)
    expiry = _str("expiry", changed)
    plansReady = _bool("plans_ready", changed)
    fromSim = _bool("from_sim", changed)
    renewPlanId = _str("renew_id", changed)
    renewLabel = _str("renew_label", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        a = session.account
        if a is None:
            return {}
        renew = next((p for p in session.plans or () if a.current_plan and p.id == a.current_plan), None)
        return {
            "carrier": a.carrier,
            "number": mask_number(a.msisdn),
            "current_plan": plan_label(a.current_plan, session.plans, session.lang),
            "expiry": fmt.date(a.expiry),
            "plans_ready": session.plans is not None,
            "from_sim": session.msisdn is None,
            "renew_id": renew.id if renew else "",
            "renew_label": QCoreApplication.translate("ViewModel", "Renew %1 for %2")
            .replace("%1", renew.text(session.lang).name)
            .replace("%2", fmt.money(renew.price_cents, renew.currency)) if renew else "",
        }


class PlansModel(ScreenModel):
    changed = Signal()
    plans = _list("plans", changed)
    loading = _bool("loading", changed)
    carrier = _str("carrier", changed)
    notice = _str("notice", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        current = session.account.current_plan if session.account else None
        return {
            "plans": [_plan_dict(p, fmt, session.lang, current) for p in session.plans or ()],
            "loading": session.plans is None,
            "carrier": session.account.carrier if session.account else "",
            "notice": notice_text(session.notice) if session.state is State.PLANS else "",
        }


def valid_until_text(day: dt.date | None, at_least: bool, fmt: Formatter) -> str:
    if day is None:
        return ""
    if at_least:
        return QCoreApplication.translate("ViewModel", "at least until %1").replace("%1", fmt.date(day))
    return fmt.date(day)


class ConfirmModel(ScreenModel):
    changed = Signal()
    number = _str("number", changed)
    carrier = _str("carrier", changed)
    planName = _str("plan_name", changed)
    benefits = _list("benefits", changed)
    price = _str("price", changed)
    days = _int("days", changed)
    validUntil = _str("valid_until", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        a, p = session.account, session.plan
        if a is None or p is None:
            return {}
        # The customer checks the full number here: a wrong number means a lost top-up.
        number = format_number(a.msisdn) if session.msisdn else mask_number(a.msisdn)
        until, at_least = new_expiry(a.expiry, p.validity_days, local_today())
        text = p.text(session.lang)
        return {
            "number": number,
            "carrier": a.carrier,
            "plan_name": text.name,
            "benefits": list(text.benefits),
            "price": fmt.money(p.price_cents, p.currency),
            "days": max(p.validity_days, 0),  # 0: not known, the row is not shown
            "valid_until": valid_until_text(until, at_least, fmt),
        }


def prompt_text(prompt: TerminalPrompt | None) -> str:
    """What the customer reads for the terminal's status (``kiosk.ports.TerminalPrompt``)."""
    p = TerminalPrompt
    if prompt is None or prompt is p.PRESENT_CARD:
        return QCoreApplication.translate("ViewModel", "Tap, insert or swipe your card")
    if prompt is p.INSERT_CARD:
        return QCoreApplication.translate("ViewModel", "Insert your card")
    if prompt is p.ENTER_PIN:
        return QCoreApplication.translate("ViewModel", "Enter your PIN on the terminal")
    if prompt is p.PIN_WRONG:
        return QCoreApplication.translate("ViewModel", "Wrong PIN. Please try again.")
    if prompt is p.PLEASE_WAIT:
        return QCoreApplication.translate("ViewModel", "Please wait…")
    if prompt is p.PROCESSING:
        return QCoreApplication.translate("ViewModel", "Processing your payment…")
    if prompt is p.REMOVE_CARD:
        return QCoreApplication.translate("ViewModel", "Please take your card")
    if prompt is p.APPROVED:
        return QCoreApplication.translate("ViewModel", "Payment approved")
    if prompt is p.DECLINED:
        return QCoreApplication.translate("ViewModel", "Payment declined")
    if prompt is p.CARD_NOT_SUPPORTED:
        return QCoreApplication.translate("ViewModel", "This card is not accepted. Please use another card.")
    if prompt is p.CARD_ERROR:
        return QCoreApplication.translate("ViewModel", "The card could not be read. Please try again.")
    if prompt is p.TRY_AGAIN:
        return QCoreApplication.translate("ViewModel", "Please try again")
    return QCoreApplication.translate("ViewModel", "Follow the instructions on the terminal")


class PayModel(ScreenModel):
    changed = Signal()
    prompt = _str("prompt", changed)
    promptText = _str("prompt_text", changed)
    price = _str("price", changed)
    cancelling = _bool("cancelling", changed)
    silent = _bool("silent", changed)
    planName = _str("plan_name", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        p = session.plan
        prompt = session.prompt.value if session.prompt else TerminalPrompt.PRESENT_CARD.value
        if session.cancelling:
            text = QCoreApplication.translate("ViewModel", "Cancelling the payment…")
        elif session.terminal_silent:
            text = QCoreApplication.translate("ViewModel", "The card terminal is not responding.")
        else:
            text = prompt_text(session.prompt)
        return {
            "prompt": prompt,
            "prompt_text": text,
            "price": fmt.money(p.price_cents, p.currency) if p else "",
            "plan_name": p.text(session.lang).name if p else "",
            "cancelling": session.cancelling,
            "silent": session.terminal_silent,
        }


class ResultModel(ScreenModel):
    """Success and every failure screen: what happened, the receipt, the way forward."""

    changed = Signal()
    code = _str("code", changed)
    canRetry = _bool("can_retry", changed)
    reference = _str("reference", changed)
    qr = _str("qr", changed)
    reminderQr = _str("reminder_qr", changed)
    validUntil = _str("valid_until", changed)
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
            # "take your SIM card" only when this customer's SIM is still in the slot
            "from_sim": session.sim_used and session.sim_in_slot,
        }
        if session.plan is not None:
            out["plan_name"] = session.plan.text(session.lang).name
            out["price"] = fmt.money(session.plan.price_cents, session.plan.currency)
        if session.account is not None:
            out["number"] = mask_number(session.account.msisdn)
            out["carrier"] = session.account.carrier
        o = session.outcome
        if o is not None and o.txn_id:
            out["reference"] = reference_of(o.txn_id)
            out["printed"] = o.printed
            if session.state in (State.SUCCESS, State.PRINTER_OUT_OF_PAPER):
                url = o.receipt.url if o.receipt else ctx.get("receipt_url", "").format(txn_id=o.txn_id)
                out["qr"] = qr_source(url) if url else ""
                out["reminder_qr"] = reminder_source(o.txn_id)
                if o.receipt is not None:
                    out["valid_until"] = valid_until_text(o.receipt.valid_until,
                                                          o.receipt.valid_until_at_least, fmt)
        return out


class SlotModel(ScreenModel):
    """The card slot as the insert-SIM screen needs it."""

    changed = Signal()
    staleCard = _bool("stale_card", changed)

    def compute(self, session: Session, fmt: Formatter, ctx: dict[str, str]) -> dict[str, Any]:
        return {"stale_card": session.stale_card}
