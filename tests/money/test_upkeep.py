"""The running kiosk's idle work (kiosk/upkeep.py) through the real composition root in demo
mode (simulated terminal with its journal on disk, simulated provider): the scheduled end of
day, once a day across restarts, reconciled; and retries of parked transactions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.app import Services, build_services
from kiosk.config import Settings
from kiosk.ports import Account, TxnResult
from kiosk.reconcile import END_OF_DAY_EVENT
from kiosk.topup import demo_catalog
from kiosk.upkeep import Upkeep
from payment.simulated import SimulatedDelays

ACCOUNT = Account(msisdn="12025550101", carrier="T-Mobile")
PLAN = next(p for p in demo_catalog() if p.id == "tmo-unl-40")
NOON = dt.datetime(2024, 5, 6, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOON
        self.mono = 1000.0

    def __call__(self) -> dt.datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, **delta: float) -> None:
        step = dt.timedelta(**delta)
        self.now += step
        self.mono += step.total_seconds()


def settings(eod: str = "03:00") -> Settings:
    s = Settings().demo()
    return dataclasses.replace(s, kiosk=dataclasses.replace(s.kiosk, timezone="UTC"),
                               terminal=dataclasses.replace(s.terminal, end_of_day_at=eod))


def open_services(data_dir: Path, eod: str = "03:00") -> Services:
    services = build_services(settings(eod), data_dir, recover_now=False)
    services.terminal.set_delays(SimulatedDelays(0.0, 0.0, 0.0, 0.0))  # type: ignore[attr-defined]
    return services


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    s = open_services(tmp_path)
    try:
        yield s
    finally:
        s.close()


def end_of_days(services: Services) -> list[dict[str, Any]]:
    return [e.payload for e in services.ledger.events() if e.kind == END_OF_DAY_EVENT]


def test_end_of_day_runs_once_a_day_when_due_and_survives_a_restart(services: Services, tmp_path: Path) -> None:
    clock = Clock()
    clock.now = dt.datetime(2024, 5, 6, 2, 59, tzinfo=dt.UTC)
    upkeep = Upkeep(services, clock=clock, monotonic=clock.monotonic)
    assert services.checkout.run(ACCOUNT, PLAN, lambda p, t: None).result is TxnResult.COMPLETED
    assert "end_of_day" not in upkeep.run().ran  # not 03:00 yet
    clock.advance(minutes=2)
    assert upkeep.run().ran[:1] == ("end_of_day",)
    (first,) = end_of_days(services)
    assert first["matches"] is True and first["terminal_cents"] == PLAN.price_cents
    clock.advance(hours=5)
    assert "end_of_day" not in upkeep.run().ran  # once a day
    services.close()
    again = open_services(tmp_path)  # a restart: the ledger says it ran today
    try:
        later = Upkeep(again, clock=clock, monotonic=clock.monotonic)
        assert "end_of_day" not in later.run().ran
        clock.advance(days=1)
        assert later.run().ran[:1] == ("end_of_day",)
        assert [p["matches"] for p in end_of_days(again)] == [True, True]
        assert end_of_days(again)[-1]["terminal_cents"] == 0  # an empty batch, as the ledger says
    finally:
        again.close()


def test_a_mismatch_is_journaled_as_the_alert(services: Services) -> None:
    """A charge the ledger never heard of (the terminal used by hand): the end of day says
    so, with the difference, and the event is what goes upstream."""
    clock = Clock()
    services.terminal.authorize(700, "USD", lambda p, t: None)  # behind the kiosk's back
    Upkeep(services, clock=clock, monotonic=clock.monotonic).run()
    (eod,) = end_of_days(services)
    assert eod["matches"] is False and eod["difference_cents"] == 700
    assert "MISMATCH" in eod["summary"]


def test_a_failed_end_of_day_is_tried_again_later(services: Services) -> None:
    clock = Clock()
    upkeep = Upkeep(services, clock=clock, monotonic=clock.monotonic, end_of_day_retry_s=600)
    services.terminal.set_behaviour("offline")  # type: ignore[attr-defined]
    assert upkeep.run().ran[:1] == ("end_of_day",) and end_of_days(services) == []
    services.terminal.set_behaviour("approve")  # type: ignore[attr-defined]
    assert "end_of_day" not in upkeep.run().ran  # not at once
    clock.advance(minutes=11)
    assert upkeep.run().ran[:1] == ("end_of_day",) and len(end_of_days(services)) == 1


def test_no_end_of_day_when_not_scheduled(tmp_path: Path) -> None:
    services = open_services(tmp_path, eod="")
    try:
        clock = Clock()
        assert "end_of_day" not in Upkeep(services, clock=clock, monotonic=clock.monotonic).run().ran
    finally:
        services.close()


def test_a_transaction_parked_while_the_provider_was_pending_is_retried_when_idle(tmp_path: Path) -> None:
    """Issue 13's leftover: the provider stayed "pending for minutes", the sale was parked
    (charge standing, top-up unknown); the running kiosk asks again every few minutes."""
    with open_services(tmp_path, eod="") as services:
        _retried_when_idle(services)


def _retried_when_idle(services: Services) -> None:
    clock = Clock()
    provider: Any = services.checkout.provider
    provider.set_control(mode="pending", hang_s=0.0, status_mode="pending")  # pending, and stays so
    services.checkout.deadlines = dataclasses.replace(services.checkout.deadlines, topup_poll_s=0.2,
                                                      poll_interval_s=0.05)
    out = services.checkout.run(ACCOUNT, PLAN, lambda p, t: None)
    assert out.result is TxnResult.NEEDS_ATTENTION
    upkeep = Upkeep(services, clock=clock, monotonic=clock.monotonic, recovery_interval_s=300)
    assert upkeep.run().ran == ("recovery",)  # still pending: parked again
    assert services.ledger.transaction(out.txn_id)["state"] == "needs_attention"  # type: ignore[index]
    provider.set_control(mode="ok")  # the provider settles it (succeeded)
    assert upkeep.run().ran == ()  # not every tick
    clock.advance(minutes=5)
    assert upkeep.run().ran == ("recovery",)
    assert services.ledger.transaction(out.txn_id)["state"] == "completed"  # type: ignore[index]
