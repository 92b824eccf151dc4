"""Top-up provider adapters behind :class:`kiosk.ports.TopUpProvider`.

``http``: the upstream backend's ``/v1`` API (docs/upstream-api.md).
``simulated``: an embedded provider for demo mode and tests that keeps its own
records in the data directory and can be told to fail, hang or answer unknown.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from kiosk.errors import ConfigError, UpstreamError
from kiosk.ports import Account, Plan, PlanText


class KeyConflict(UpstreamError):
    """A top-up key was reused with a different number, plan or amount (nothing was performed)."""

    code = "key_conflict"


def plan_from_json(obj: dict[str, Any], currency: str = "USD") -> Plan:
    """The wire/data form of a plan (docs/upstream-api.md) → :class:`Plan`."""
    return Plan(
        id=str(obj["id"]),
        carrier=str(obj["carrier"]),
        name=str(obj["name"]),
        price_cents=int(obj["price_cents"]),
        currency=str(obj.get("currency") or currency),
        validity_days=int(obj.get("validity_days", 0)),
        benefits=tuple(str(b) for b in obj.get("benefits", ())),
        i18n=tuple(
            PlanText(str(lang), str(t.get("name") or ""), tuple(str(b) for b in t.get("benefits") or ()))
            for lang, t in sorted((obj.get("i18n") or {}).items())
        ),
    )


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
        data = json.loads(text)
        return [plan_from_json(p) for p in data["plans"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"demo catalog is unreadable: {exc}") from exc


def valid_msisdn(msisdn: str) -> bool:
    """A North American E.164 number without "+": 1 + NPA (2-9..) + 7 digits."""
    return len(msisdn) == 11 and msisdn.isdigit() and msisdn[0] == "1" and msisdn[1] not in "01"
