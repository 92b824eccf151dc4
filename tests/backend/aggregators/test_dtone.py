"""DT One adapter against the fake DVS API: catalog, lookup, exactly-once under faults, refusals."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from pathlib import Path

import pytest

from backend.providers import load
from tests.backend.aggregators.conftest import Desk, dtone_config
from tests.backend.aggregators.fakes import FakeDTOne, dtone_product

OK = "12025550100"  # DT One sandbox suffix 100: COMPLETED


def once(fake: FakeDTOne) -> Counter[str]:
    counts = Counter(ext for ext, _tid in fake.performed)
    assert all(n == 1 for n in counts.values()), counts
    return counts


def test_catalog_maps_products_to_plans(dtone_desk: Desk, dtone_fake: FakeDTOne) -> None:
    version, plans = dtone_desk.topups.catalog_service.current()
    by_id = {p["id"]: p for p in plans}
    assert list(by_id) == ["dt-101", "dt-102", "dt-201", "dt-301"]  # Boost has no kiosk carrier; 2 pages read
    assert dtone_fake.count("GET", "/v1/products") == 2
    assert by_id["dt-101"] == {"id": "dt-101", "carrier": "T-Mobile", "name": "T-Mobile Unlimited 30 days",
                               "price_cents": 5000, "currency": "USD", "validity_days": 30,
                               "benefits": ["Unlimited talk", "Unlimited data"]}
    assert by_id["dt-102"]["benefits"] == ["Unlimited talk", "10 GB data"]
    assert by_id["dt-201"]["price_cents"] == 6650 and by_id["dt-201"]["carrier"] == "AT&T"  # retail price
    assert by_id["dt-301"]["carrier"] == "Verizon" and by_id["dt-301"]["validity_days"] == 28
    assert version


def test_a_product_that_disappears_is_withdrawn_at_the_next_fetch(dtone_desk: Desk, dtone_fake: FakeDTOne) -> None:
    catalog = dtone_desk.topups.catalog_service
    first, _ = catalog.current()
    dtone_fake.products = [p for p in dtone_fake.products if p["id"] != 102]
    dtone_fake.products.append(dtone_product(103, "T-Mobile USA", 40, name="T-Mobile 40"))
    result = catalog.refresh()
    assert (result["added"], result["withdrawn"]) == (1, 1)
    version, plans = catalog.current()
    assert version != first
    assert "dt-102" not in {p["id"] for p in plans} and "dt-103" in {p["id"] for p in plans}
    withdrawn = [p for p in dtone_desk.store.catalog_plans(include_withdrawn=True) if p["withdrawn_at"]]
    assert [p["plan_id"] for p in withdrawn] == ["dt-102"]
    # selling the withdrawn plan is refused before DT One is called
    from backend.provider import TopUpRequest
    answer = dtone_desk.topups.submit(TopUpRequest("k-withdrawn", OK, "T-Mobile", None, "dt-102", 3000, "USD", "K1"))
    assert (answer.body["status"], answer.body["message"]) == ("failed", "unknown_plan")
    assert dtone_fake.count("POST", "/v1/async/transactions") == 0
    # an empty fetch never empties the kiosks' catalog
    dtone_fake.products = []
    with pytest.raises(Exception, match="no plans"):
        catalog.refresh()
    assert len(catalog.current()[1]) == 4


def test_a_top_up_is_created_confirmed_and_completed_once(dtone_desk: Desk, dtone_fake: FakeDTOne) -> None:
    first = dtone_desk.buy(OK, "dt-101", key="key-ok")
    assert first["status"] == "pending" and first["provider_ref"]  # async: confirmed, not yet final
    done = dtone_desk.settle("key-ok")
    assert (done["status"], done["provider_ref"]) == ("succeeded", first["provider_ref"])
    assert once(dtone_fake) == {"key-ok": 1}
    body = dtone_fake.transactions[int(first["provider_ref"])]
    assert body["number"] == "+" + OK and body["external_id"] == "key-ok"


@pytest.mark.parametrize("fault", ["timeout_after", "drop_after", "500_after"])
def test_an_unclear_create_is_asked_about_never_redone(dtone_desk: Desk, dtone_fake: FakeDTOne, fault: str) -> None:
    dtone_fake.fault("POST", "/v1/async/transactions", fault)
    dtone_desk.buy(OK, "dt-101", key=f"k-{fault}")
    assert dtone_desk.settle(f"k-{fault}")["status"] == "succeeded"
    assert dtone_fake.count("POST", "/v1/async/transactions", exact=True) == 1  # one create, then asked
    assert dtone_fake.count("GET", "/v1/transactions") >= 1
    assert once(dtone_fake) == {f"k-{fault}": 1}


@pytest.mark.parametrize("fault", ["500", "drop_before"])
def test_a_create_that_never_arrived_fails_definitely(dtone_desk: Desk, dtone_fake: FakeDTOne, fault: str) -> None:
    dtone_fake.fault("POST", "/v1/async/transactions", fault)
    answer = dtone_desk.buy(OK, "dt-101", key="k-lost")
    assert (answer["status"], answer["failure_kind"]) == ("failed", "transient")
    assert dtone_fake.performed == [] and dtone_fake.count("POST", "/v1/async/transactions", exact=True) == 1


def test_a_late_create_is_never_confirmed_for_a_failed_key(dtone_desk: Desk, dtone_fake: FakeDTOne) -> None:
    """The fence: DT One had nothing for the key, we answered failed; the create shows up
    later (delayed in the network): it is cancelled, never confirmed."""
    dtone_fake.fault("POST", "/v1/async/transactions", "500")
    assert dtone_desk.buy(OK, "dt-101", key="k-late")["status"] == "failed"
    request = dtone_desk.request(OK, "dt-101", key="k-late")
    dtone_fake.route("POST", "/v1/async/transactions", {}, {"Authorization": dtone_fake.auth},
                     {"external_id": "k-late", "product_id": 101,
                      "credit_party_identifier": {"mobile_number": "+" + OK}})
    outcome = dtone_desk.adapter.check(request, None, dtone_desk.topups._journal)
    assert outcome.status == "failed"
    assert [t["status"] for t in dtone_fake.transactions.values()] == ["CANCELLED"]
    assert dtone_fake.performed == [] and dtone_fake.count("POST", "/v1/async/transactions/") == 0


def test_absence_never_overrides_a_journaled_transaction(dtone_desk: Desk) -> None:
    store = dtone_desk.store
    assert store.create_topup({"key": "k-j", "kiosk_id": "K1", "status": "pending", "message": ""})
    assert store.note_topup_ref("k-j", "7001") and store.note_topup_ref("k-j", "7001")
    assert not store.note_topup_ref("k-j", "7002")
    row = store.update_topup("k-j", status="failed", failure_kind="transient", provider_ref=None, message="absent",
                             only_if_no_ref=True)
    assert (row["status"], row["provider_ref"]) == ("pending", "7001")


def test_a_duplicate_external_id_is_asked_about(dtone_desk: Desk, dtone_fake: FakeDTOne) -> None:
    """A create that did arrive earlier (its answer lost before the backend recorded it)."""
    dtone_fake.route("POST", "/v1/async/transactions", {}, {"Authorization": dtone_fake.auth},
                     {"external_id": "k-dup", "product_id": 101,
                      "credit_party_identifier": {"mobile_number": "+" + OK}})
    dtone_desk.buy(OK, "dt-101", key="k-dup")
    assert dtone_desk.settle("k-dup")["status"] == "succeeded"
    assert len(dtone_fake.transactions) == 1 and once(dtone_fake) == {"k-dup": 1}


@pytest.mark.parametrize("fault", ["timeout_after", "drop_after", "500"])
def test_an_unclear_confirm_is_asked_about(dtone_desk: Desk, dtone_fake: FakeDTOne, fault: str) -> None:
    dtone_fake.fault("POST", "/v1/async/transactions/", fault)
    dtone_desk.buy(OK, "dt-101", key="k-conf")
    assert dtone_desk.settle("k-conf")["status"] == "succeeded"
    assert once(dtone_fake) == {"k-conf": 1}


def test_pending_then_succeeded(dtone_desk: Desk, dtone_fake: FakeDTOne) -> None:
    assert dtone_desk.buy("12025550200", "dt-101", key="k-slow")["status"] == "pending"
    assert dtone_desk.status("k-slow")["status"] == "pending"  # SUBMITTED at the first query
    assert dtone_desk.status("k-slow")["status"] == "succeeded"
    assert once(dtone_fake) == {"k-slow": 1}


@pytest.mark.parametrize(("msisdn", "kind"), [
    ("12025550102", "customer_fixable"), ("12025550103", "customer_fixable"), ("12025550104", "out_of_service"),
    ("12025550105", "transient"), ("12025550106", "transient")])
def test_refusals_map_to_a_failure_kind(dtone_desk: Desk, dtone_fake: FakeDTOne, msisdn: str, kind: str) -> None:
    dtone_desk.buy(msisdn, "dt-101", key="k-ref")
    done = dtone_desk.settle("k-ref")
    assert (done["status"], done["failure_kind"]) == ("failed", kind)
    assert dtone_fake.performed == []


def test_insufficient_balance_is_out_of_service(dtone_desk: Desk, dtone_fake: FakeDTOne) -> None:
    dtone_fake.balance = 10
    answer = dtone_desk.buy(OK, "dt-101")
    assert (answer["status"], answer["failure_kind"]) == ("failed", "out_of_service")
    health = dtone_desk.adapter.health()
    assert health.ok and health.balance_cents == 1000 and health.currency == "USD"


def test_wrong_credentials(dtone_fake: FakeDTOne, tmp_path: Path) -> None:
    adapter = load("dtone", dtone_config(dtone_fake, tmp_path, creds={"api_key": "dt-key", "api_secret": "nope"}))
    try:
        health = adapter.health()
        assert (health.reachable, health.authenticated) == (True, False)
        from backend.provider import TopUpRequest
        outcome = adapter.perform(TopUpRequest("k-auth", OK, "T-Mobile", None, "dt-101", 5000, "USD", "K1"))
        assert (outcome.status, outcome.failure_kind) == ("failed", "out_of_service")
    finally:
        adapter.close()
    assert dtone_fake.transactions == {}


def test_an_unreachable_aggregator_performs_nothing(dtone_desk: Desk, dtone_fake: FakeDTOne, tmp_path: Path) -> None:
    dtone_desk.topups.catalog_service.current()
    dtone_fake.stop()
    # a pooled connection that died is ambiguous: pending, and asking keeps failing meanwhile
    assert dtone_desk.buy(OK, "dt-101", key="k-down")["status"] == "pending"
    assert dtone_desk.status("k-down")["status"] == "pending"
    assert not dtone_desk.adapter.health().reachable
    # a connection that cannot be opened sent nothing: a definite failure
    from backend.provider import TopUpRequest
    from tests.backend.harness import free_port
    config = dataclasses.replace(dtone_config(dtone_fake, tmp_path), base_url=f"http://127.0.0.1:{free_port()}/v1")
    adapter = load("dtone", config)
    try:
        outcome = adapter.perform(TopUpRequest("k-refused", OK, "T-Mobile", None, "dt-101", 5000, "USD", "K1"))
    finally:
        adapter.close()
    assert (outcome.status, outcome.failure_kind) == ("failed", "transient")
    assert dtone_fake.performed == []


def test_lookup_maps_the_operator_to_the_kiosk_carrier(dtone_desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    found = dtone_desk.topups.lookup(None, "12025550123")
    assert found == {"found": True, "account": {"msisdn": "12025550123", "carrier": "T-Mobile", "iccid": None,
                                                "current_plan": None, "expiry": None}}
    assert dtone_desk.topups.lookup(None, "14155550123")["account"]["carrier"] == "AT&T"
    with caplog.at_level(logging.INFO):
        assert dtone_desk.topups.lookup(None, "13035550123") == {"found": False}
        assert dtone_desk.topups.lookup(None, "19995550123") == {"found": False}
        assert dtone_desk.topups.lookup("8901260123456789012", None) == {"found": False}
    text = caplog.text
    assert "'Boost Mobile USA' has no kiosk carrier name" in text and "no operator" in text and "ICCID" in text
    assert "13035550123" not in text  # numbers are masked in the log
