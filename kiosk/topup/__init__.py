"""Top-up provider adapters behind :class:`kiosk.ports.TopUpProvider`.

``http``: the upstream backend's ``/v1`` API (docs/upstream-api.md).
``simulated``: an embedded provider for demo mode and tests that keeps its own
records in the data directory and can be told to fail, hang or answer unknown.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from kiosk.errors import ConfigError, KioskError, UpstreamError
from kiosk.ports import Account, Plan, PlanText, TopUpResult


class KeyConflict(UpstreamError):
    """A top-up key was reused with a different number, plan or amount (nothing was performed)."""

    code = "key_conflict"


class MalformedReply(UpstreamError):
    """The server answered, but not with what docs/upstream-api.md says it must: the
    answer is not trusted (for a top-up: its outcome is unknown until ``GET`` says)."""

    code = "upstream_malformed"


class InvalidNumber(KioskError):
    """A phone number that cannot be a North American number; nothing is looked up or charged."""

    code = "invalid_number"
    usage_error = True  # the command line exits 2


# --------------------------------------------------------------------------- phone numbers (NANP)

_NUMBER_CHARS = re.compile(r"\+?[0-9 .()-]+")


def nanp_problem(national: str) -> str | None:
    """Why 10 digits are not a North American number (NANP: NPA-NXX-XXXX), or ``None``."""
    if len(national) != 10 or not national.isdigit():
        return "a US number has 10 digits (or 11 starting with 1)"
    if national[0] in "01":
        return "the area code cannot start with 0 or 1"
    if national[1:3] == "11":
        return f"{national[:3]} is a service code, not an area code"
    if national[3] in "01":
        return "the exchange (digits 4-6) cannot start with 0 or 1"
    if national[4:6] == "11":
        return f"{national[3:6]} is a service code, not an exchange"
    return None


def normalize_msisdn(text: str) -> str:
    """A typed US number as E.164 digits without "+": ``(206) 555-0100``, ``206.555.0100``,
    ``+1 206 555 0100``, ``1-206-555-0100`` and ``2065550100`` all give ``12065550100``.

    Raises :class:`InvalidNumber` (one line, the number not echoed) for anything else:
    letters, other country codes, too few or too many digits, or an area code or
    exchange NANP does not allow.
    """
    raw = text.strip()
    if not raw or not _NUMBER_CHARS.fullmatch(raw):
        raise InvalidNumber("invalid phone number: only digits, spaces, '.', '-', '(', ')' and a leading +1")
    if raw.count("(") != raw.count(")") or raw.count("(") > 1 or raw.find("(") > raw.find(")"):
        raise InvalidNumber("invalid phone number: unbalanced parentheses")
    digits = "".join(c for c in raw if c.isdigit())
    if raw.startswith("+") and not digits.startswith("1"):
        raise InvalidNumber("invalid phone number: only North American (+1) numbers are sold here")
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    elif raw.startswith("+") or len(digits) != 10:
        raise InvalidNumber("invalid phone number: a US number has 10 digits (or 11 starting with 1)")
    problem = nanp_problem(digits)
    if problem:
        raise InvalidNumber(f"invalid phone number: {problem}")
    return "1" + digits


def valid_msisdn(msisdn: str) -> bool:
    """A North American number in E.164 digits without "+": ``1`` + a valid NANP number."""
    return len(msisdn) == 11 and msisdn.isdigit() and msisdn[0] == "1" and nanp_problem(msisdn[1:]) is None


# --------------------------------------------------------------------------- top-up records


def record_mismatch(res: TopUpResult, key: str, account: Account | None = None,
                    plan: Plan | None = None) -> str | None:
    """Why ``res`` is not the answer to our request (another key, or echoed fields that
    differ), or ``None``. Fields the provider did not echo are not compared."""
    if res.key != key:
        return f"the provider answered with the record of another key ({res.key[:40]!r})"
    expected: dict[str, object] = {}
    if account is not None:
        expected["msisdn"] = account.msisdn
    if plan is not None:
        expected.update(plan_id=plan.id, amount_cents=plan.price_cents, currency=plan.currency)
    for name, want in expected.items():
        got = getattr(res, name)
        if got is not None and got != want:
            return f"the provider's record has {name} {got!r}, the request had {want!r}"
    return None


# --------------------------------------------------------------------------- catalog wire format


def _text(obj: dict[str, Any], name: str, *, optional: bool = False, max_len: int = 200) -> str | None:
    value = obj.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise ValueError(f"{name} must be a non-empty string of at most {max_len} characters")
    return value


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a list of strings")
    return tuple(value)


def _plan_text(lang: Any, value: Any) -> PlanText:
    if not isinstance(lang, str) or not isinstance(value, dict):
        raise ValueError("i18n must map language codes to objects")
    name = value.get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"i18n.{lang}.name must be a string")
    return PlanText(lang, name or "", _strings(value.get("benefits"), f"i18n.{lang}.benefits"))


def plan_from_json(obj: Any, currency: str = "USD") -> Plan:
    """The wire/data form of a plan (docs/upstream-api.md) → :class:`Plan`.

    Checks every field it reads; a wrong one is a ``ValueError`` naming the plan and
    the field (callers turn it into one clear line), never a Python message.
    """
    if not isinstance(obj, dict):
        raise ValueError("a plan must be a JSON object")
    label = repr(obj["id"]) if isinstance(obj.get("id"), str) else "without an id"
    try:
        price = obj.get("price_cents")
        if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
            raise ValueError("price_cents must be a positive integer (cents)")
        plan_currency = obj.get("currency") or currency
        if not isinstance(plan_currency, str) or not re.fullmatch(r"[A-Z]{3}", plan_currency):
            raise ValueError("currency must be an ISO-4217 code such as USD")
        validity = obj.get("validity_days")
        validity = 0 if validity is None else validity
        if isinstance(validity, bool) or not isinstance(validity, int) or validity < 0:
            raise ValueError("validity_days must be a whole number of days")
        i18n = obj.get("i18n") or {}
        if not isinstance(i18n, dict):
            raise ValueError("i18n must be an object")
        return Plan(
            id=str(_text(obj, "id", max_len=64)),
            carrier=str(_text(obj, "carrier", max_len=64)),
            name=str(_text(obj, "name")),
            price_cents=price,
            currency=plan_currency,
            validity_days=validity,
            benefits=_strings(obj.get("benefits"), "benefits"),
            i18n=tuple(_plan_text(lang, t) for lang, t in sorted(i18n.items())),
        )
    except ValueError as exc:
        raise ValueError(f"plan {label}: {exc}") from None


def plans_from_json(data: Any, currency: str = "USD") -> list[Plan]:
    """A catalog reply's ``plans`` list; plan ids must be unique."""
    if not isinstance(data, dict) or not isinstance(data.get("plans"), list):
        raise ValueError("expected an object with a list 'plans'")
    plans = [plan_from_json(p, currency) for p in data["plans"]]
    seen: set[str] = set()
    for plan in plans:
        if plan.id in seen:
            raise ValueError(f"plan {plan.id!r} is listed twice")
        seen.add(plan.id)
    return plans


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id, "carrier": plan.carrier, "name": plan.name, "price_cents": plan.price_cents,
        "currency": plan.currency, "validity_days": plan.validity_days, "benefits": list(plan.benefits),
        **({"i18n": {t.lang: {"name": t.name, "benefits": list(t.benefits)} for t in plan.i18n}}
           if plan.i18n else {}),
    }


def account_to_json(account: Account) -> dict[str, Any]:
    return {
        "msisdn": account.msisdn, "carrier": account.carrier, "iccid": account.iccid,
        "current_plan": account.current_plan,
        "expiry": account.expiry.isoformat() if account.expiry else None,
    }


def demo_catalog() -> list[Plan]:
    """The catalog shipped with the simulator (``kiosk/topup/data/catalog.json``)."""
    try:
        text = resources.files("kiosk.topup").joinpath("data/catalog.json").read_text("utf-8")
        return plans_from_json(json.loads(text))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"demo catalog is unreadable: {exc}") from exc
