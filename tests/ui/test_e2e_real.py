"""The customer journey through the REAL composition root and simulators (no test fakes).

``kiosk.app.build_services(demo settings)`` gives the simulated reader (real SIM
decoding against the virtual card), the simulated terminal, the simulated
provider and the file printer, wired into the real saga and ledger. Afterwards
the ledger must verify and the transaction must sit in the right final state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.ledger import verify
from tests.ui.conftest import Kiosk, make_kiosk

WAIT_MS = 15000


@pytest.fixture
def real_kiosk(qtbot: object, real_services: Any) -> Iterator[Kiosk]:
    yield from make_kiosk(qtbot, real_services, real_services.settings)


def buy_with_sim(k: Kiosk, sim: str = "T-Mobile") -> str:
    """Attract → ... → confirm → pay with ``sim`` in the slot; returns the plan id bought."""
    k.wait_screen("attractScreen")
    k.tap("attractTouch")
    k.tap("chooseLang_en")
    k.wait_screen("insertSimScreen")
    k.services.reader.insert(sim)
    k.wait_screen("accountScreen", timeout=WAIT_MS)
    k.tap("choosePlanButton")
    k.wait_screen("plansScreen")
    plans = k.ui.controller.session.plans
    assert plans
    plan_id = plans[0].id
    k.tap(f"plan_{plan_id}")
    k.wait_screen("confirmScreen")
    k.tap("payButton")
    return plan_id


def only_transaction(services: Any) -> dict[str, Any]:
    rows = list(services.ledger.transactions())
    assert len(rows) == 1, rows
    return rows[0]


def test_happy_path_with_a_sim(real_kiosk: Kiosk) -> None:
    k = real_kiosk
    plan_id = buy_with_sim(k)
    k.wait_screen("successScreen", timeout=WAIT_MS)
    assert k.find("takeSimText") is not None  # the SIM is still in the slot
    txn = only_transaction(k.services)
    assert txn["state"] == "completed" and txn["plan_id"] == plan_id
    assert txn["msisdn"] == "12025550101"  # the number the simulated provider has for this SIM
    assert verify(k.services.ledger).ok
    assert list((k.services.data_dir / "receipts").iterdir())  # the file printer printed
    k.tap("doneButton")
    k.wait_screen("attractScreen")


def test_decline(real_kiosk: Kiosk) -> None:
    k = real_kiosk
    k.services.terminal.set_behaviour("decline")
    buy_with_sim(k)
    k.wait_screen("paymentDeclinedScreen", timeout=WAIT_MS)
    txn = only_transaction(k.services)
    assert txn["state"] == "payment_declined"
    assert verify(k.services.ledger).ok
    k.services.terminal.set_behaviour("approve")
    k.tap("retryButton")
    k.wait_screen("confirmScreen")
    k.tap("payButton")
    k.wait_screen("successScreen", timeout=WAIT_MS)
    states = sorted(row["state"] for row in k.services.ledger.transactions())
    assert states == ["completed", "payment_declined"]


def test_topup_failure_is_reversed(real_kiosk: Kiosk) -> None:
    k = real_kiosk
    k.services.provider.set_control(mode="fail", failure_kind="customer_fixable")
    buy_with_sim(k)
    k.wait_screen("topupFailedScreen", timeout=WAIT_MS)
    assert k.find("referenceText") is not None
    txn = only_transaction(k.services)
    assert txn["state"] == "reversed"
    kinds = [e.kind for e in k.services.ledger.events(txn_id=txn["txn_id"])]
    assert any("revers" in kind for kind in kinds), kinds
    assert verify(k.services.ledger).ok
    k.services.provider.set_control(mode="ok")
    k.tap("retryButton")  # customer-fixable: choose another plan
    k.wait_screen("plansScreen")
