"""View models: plan names (never catalogue ids) in the customer's language, the renewal
offer, the masked number in words, the new expiry, the reference."""

from __future__ import annotations

import dataclasses
import datetime as dt

from PySide6.QtGui import QGuiApplication

from kiosk import flow
from kiosk.flow import State
from kiosk.ports import Account, Plan, PlanText
from ui.viewmodels import AccountModel, ConfirmModel, Formatter, PlansModel, mask_number, plan_label

PLAN = Plan("tmo-unl-40", "T-Mobile", "Prepaid Unlimited 30 days", 4000, "USD", 30,
            ("Unlimited talk & text", "Unlimited data"),
            (PlanText("es", "Ilimitado 30 días", ("Llamadas y mensajes ilimitados",)),))
OTHER = Plan("tmo-10", "T-Mobile", "Prepaid Refill $10", 1000, "USD", 30, ("$10 airtime balance",))
ACCOUNT = Account("12025550123", "T-Mobile", current_plan="tmo-unl-40",
                  expiry=dt.date.today() + dt.timedelta(days=9))


def session(lang: str = "en", plans: tuple[Plan, ...] | None = (OTHER, PLAN), **kw: object) -> flow.Session:
    s = dataclasses.replace(flow.new_session("en"), lang=lang, state=State.ACCOUNT, account=ACCOUNT,
                            plans=plans)
    return dataclasses.replace(s, **kw)  # type: ignore[arg-type]


def test_plan_ids_are_never_shown(qapp: QGuiApplication) -> None:
    assert plan_label("tmo-unl-40", (PLAN,), "en") == "Prepaid Unlimited 30 days"
    assert plan_label("tmo-unl-40", (PLAN,), "es") == "Ilimitado 30 días"
    assert plan_label("tmo-unl-40", None, "en") == ""  # catalogue still loading
    assert plan_label("att-unl-99", (PLAN,), "en") == ""  # an id not on sale: no name to show
    assert plan_label("Prepaid Gold", (PLAN,), "en") == "Prepaid Gold"  # the account's own name


def test_account_offers_to_renew_the_current_plan_by_name(qapp: QGuiApplication) -> None:
    model = AccountModel()
    model.refresh(session("es"), Formatter("es", "USD"), {})
    assert model.value("current_plan", "") == "Ilimitado 30 días"
    assert model.value("renew_id", "") == "tmo-unl-40"
    assert model.value("number", "") == mask_number("12025550123")
    model.refresh(session("en", plans=(OTHER,)), Formatter("en", "USD"), {})
    assert model.value("renew_id", "") == ""  # not on sale here: no renewal button


def test_plans_mark_the_current_plan_with_every_benefit_localized(qapp: QGuiApplication) -> None:
    model = PlansModel()
    model.refresh(session("es"), Formatter("es", "USD"), {})
    plans = model.value("plans", [])
    assert [p["current"] for p in plans] == [False, True]
    assert plans[1]["name"] == "Ilimitado 30 días" and plans[1]["benefits"] == ["Llamadas y mensajes ilimitados"]
    assert plans[0]["benefits"] == ["$10 airtime balance"]  # no translation: English


def test_confirm_shows_the_new_expiry(qapp: QGuiApplication) -> None:
    model = ConfirmModel()
    model.refresh(session(plan=PLAN, state=State.CONFIRM), Formatter("en", "USD"), {})
    assert ACCOUNT.expiry is not None
    new = ACCOUNT.expiry + dt.timedelta(days=30)
    assert model.value("valid_until", "") == f"{new:%B} {new.day}, {new.year}"
    assert model.value("benefits", []) == ["Unlimited talk & text", "Unlimited data"]
