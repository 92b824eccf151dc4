"""Reloadly adapter against the fake Airtime API: OAuth token caching and renewal, catalog,
auto-detection, exactly-once under faults, refusals."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from backend.provider import TopUpRequest
from backend.providers import load
from tests.backend.aggregators.conftest import Desk, reloadly_config
from tests.backend.aggregators.fakes import FakeReloadly

OK = "12025550123"


def once(fake: FakeReloadly) -> Counter[str]:
    counts = Counter(ident for ident, _tid in fake.performed)
    assert all(n == 1 for n in counts.values()), counts
    return counts


def test_catalog_from_fixed_and_ranged_operators(reloadly_desk: Desk) -> None:
    _version, plans = reloadly_desk.topups.catalog_service.current()
    assert [(p["id"], p["carrier"], p["price_cents"]) for p in plans] == [
        ("rl-11-3000", "T-Mobile", 3000), ("rl-11-5000", "T-Mobile", 5000),
        ("rl-12-2500", "AT&T", 2500), ("rl-12-6500", "AT&T", 6500)]  # 150 is above AT&T's maxAmount; Tracfone unmapped
    described = plans[1]
    assert described["name"] == "Unlimited talk, text & data 30 days"
    assert described["benefits"] == ["Unlimited talk, text & data 30 days"]
    assert plans[0]["name"] == "$30.00 airtime" and plans[0]["validity_days"] == 0


def test_the_token_is_cached_and_renewed_when_it_expires(reloadly_desk: Desk, reloadly_fake: FakeReloadly) -> None:
    reloadly_desk.topups.catalog_service.current()
    assert reloadly_desk.buy(OK, "rl-11-5000", key="k-1")["status"] == "succeeded"
    assert reloadly_fake.token_requests == 1  # one token for both requests
    assert reloadly_fake.audiences == ["https://topups-sandbox.reloadly.com"]
    reloadly_fake.expire_tokens()
    assert reloadly_desk.buy(OK, "rl-11-5000", key="k-2")["status"] == "succeeded"
    assert reloadly_fake.token_requests == 2  # 401 TOKEN_EXPIRED -> renewed once, request retried
    assert once(reloadly_fake) == {"k-1": 1, "k-2": 1}


def test_a_token_is_renewed_before_it_runs_out(reloadly_fake: FakeReloadly, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    reloadly_fake.expires_in = 120
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    adapter = load("reloadly", reloadly_config(reloadly_fake, tmp_path))
    try:
        assert adapter.health().ok
        clock[0] += 59  # within expires_in less the 60 s margin: cached
        assert adapter.health().ok and reloadly_fake.token_requests == 1
        clock[0] += 2  # inside the margin: renewed before Reloadly would refuse it
        assert adapter.health().ok
    finally:
        adapter.close()
    assert reloadly_fake.token_requests == 2


def test_wrong_credentials(reloadly_fake: FakeReloadly, tmp_path: Path) -> None:
    adapter = load("reloadly", reloadly_config(reloadly_fake, tmp_path,
                                               creds={"client_id": "rl-id", "client_secret": "wrong"}))
    try:
        health = adapter.health()
        assert (health.reachable, health.authenticated, health.ok) == (True, False, False)
        outcome = adapter.perform(TopUpRequest("k-auth", OK, "T-Mobile", None, "rl-11-5000", 5000, "USD", "K1"))
        assert (outcome.status, outcome.failure_kind) == ("failed", "out_of_service")
    finally:
        adapter.close()
    assert reloadly_fake.transactions == {} and reloadly_fake.count("POST", "/topups") == 0


def test_a_top_up_succeeds_once(reloadly_desk: Desk, reloadly_fake: FakeReloadly) -> None:
    answer = reloadly_desk.buy(OK, "rl-11-5000", key="k-ok")
    assert (answer["status"], answer["provider_ref"]) == ("succeeded", "30001")
    assert reloadly_desk.buy(OK, "rl-11-5000", key="k-ok")["status"] == "succeeded"  # known key: not resent
    txn = reloadly_fake.transactions[30001]
    assert (txn["customIdentifier"], txn["number"], txn["amount"], txn["operatorId"]) == ("k-ok", "2025550123",
                                                                                          50.0, 11)
    assert once(reloadly_fake) == {"k-ok": 1} and reloadly_fake.count("POST", "/topups") == 1


@pytest.mark.parametrize("fault", ["timeout_after", "drop_after", "500_after"])
def test_an_unclear_answer_is_asked_about_never_redone(reloadly_desk: Desk, reloadly_fake: FakeReloadly,
                                                      fault: str) -> None:
    reloadly_desk.topups.catalog_service.current()
    reloadly_fake.fault("POST", "/topups", fault)
    reloadly_desk.buy(OK, "rl-11-5000", key="k-unclear")
    assert reloadly_desk.settle("k-unclear")["status"] == "succeeded"
    assert reloadly_fake.count("POST", "/topups") == 1
    assert reloadly_fake.count("GET", "/topups/reports/transactions") >= 1
    assert once(reloadly_fake) == {"k-unclear": 1}


def test_a_request_that_never_arrived_stays_pending(reloadly_desk: Desk, reloadly_fake: FakeReloadly) -> None:
    """Reloadly has no fence: 'no transaction for this key' may be a delayed request, so the
    record stays pending (the kiosk leaves it to recovery) and nothing is sent again."""
    reloadly_desk.topups.catalog_service.current()
    reloadly_fake.fault("POST", "/topups", "500")
    assert reloadly_desk.buy(OK, "rl-11-5000", key="k-lost")["status"] == "pending"
    assert reloadly_desk.settle("k-lost", polls=2)["status"] == "pending"
    assert reloadly_fake.count("POST", "/topups") == 1 and reloadly_fake.performed == []


def test_a_duplicate_custom_identifier_is_asked_about(reloadly_desk: Desk, reloadly_fake: FakeReloadly) -> None:
    reloadly_desk.topups.catalog_service.current()
    token = next(iter(reloadly_fake.tokens))
    reloadly_fake.route("POST", "/topups", {}, {"Authorization": f"Bearer {token}",
                                                "Accept": "application/com.reloadly.topups-v1+json"},
                        {"operatorId": 11, "amount": 50.0, "customIdentifier": "k-dup",
                         "recipientPhone": {"countryCode": "US", "number": "2025550123"}})
    answer = reloadly_desk.buy(OK, "rl-11-5000", key="k-dup")
    assert answer["status"] == "succeeded" and answer["provider_ref"] == "30001"
    assert once(reloadly_fake) == {"k-dup": 1} and len(reloadly_fake.transactions) == 1


def test_processing_then_successful(reloadly_desk: Desk, reloadly_fake: FakeReloadly) -> None:
    assert reloadly_desk.buy("12025550202", "rl-11-5000", key="k-slow")["status"] == "pending"
    assert reloadly_desk.status("k-slow")["status"] == "pending"
    assert reloadly_desk.status("k-slow")["status"] == "succeeded"
    assert once(reloadly_fake) == {"k-slow": 1}


@pytest.mark.parametrize(("msisdn", "kind"), [
    ("12025550000", "customer_fixable"), ("12025550429", "transient"), ("12025550404", "transient")])
def test_refusals_map_to_a_failure_kind(reloadly_desk: Desk, reloadly_fake: FakeReloadly, msisdn: str,
                                        kind: str) -> None:
    answer = reloadly_desk.buy(msisdn, "rl-11-5000")
    assert (answer["status"], answer["failure_kind"]) == ("failed", kind)
    assert reloadly_fake.performed == []


def test_insufficient_balance_is_out_of_service(reloadly_desk: Desk, reloadly_fake: FakeReloadly) -> None:
    reloadly_fake.balance = 20
    answer = reloadly_desk.buy(OK, "rl-11-5000")
    assert (answer["status"], answer["failure_kind"]) == ("failed", "out_of_service")
    health = reloadly_desk.adapter.health()
    assert health.ok and (health.balance_cents, health.currency) == (2000, "USD")


def test_auto_detection_maps_to_the_kiosk_carrier(reloadly_desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    assert reloadly_desk.topups.lookup(None, OK)["account"]["carrier"] == "T-Mobile"
    assert reloadly_desk.topups.lookup("8901260123456789012", "14155550100")["account"] == {
        "msisdn": "14155550100", "carrier": "AT&T", "iccid": "8901260123456789012", "current_plan": None,
        "expiry": None}
    with caplog.at_level(logging.INFO):
        assert reloadly_desk.topups.lookup(None, "13035550123") == {"found": False}
        assert reloadly_desk.topups.lookup(None, "19995550123") == {"found": False}
    assert "'Tracfone USA' has no kiosk carrier name" in caplog.text
    assert "COULD_NOT_AUTO_DETECT_OPERATOR" in caplog.text


@pytest.mark.parametrize("renewal", [False, True], ids=["first-token", "renewal-after-401"])
@pytest.mark.parametrize("fault", ["500", "timeout_after", "drop_after"])
def test_a_failing_token_endpoint_means_the_top_up_was_not_sent(reloadly_desk: Desk, reloadly_fake: FakeReloadly,
                                                                 fault: str, renewal: bool) -> None:
    """No access token, no ``POST /topups``: the top-up is failed/transient at once (the kiosk
    reverses the charge), not an unknown outcome left pending for good."""
    reloadly_desk.topups.catalog_service.current()  # catalog stored with a first token
    if renewal:
        reloadly_fake.expire_tokens()  # the cached token is refused with 401; its renewal fails
    else:
        reloadly_desk.adapter._token = None  # type: ignore[attr-defined]  # a fresh process: no token yet
    reloadly_fake.fault("POST", "/oauth/token", fault)
    answer = reloadly_desk.buy(OK, "rl-11-5000", key="k-notoken")
    assert (answer["status"], answer["failure_kind"]) == ("failed", "transient"), answer
    assert reloadly_desk.status("k-notoken")["status"] == "failed"
    assert reloadly_fake.count("POST", "/topups") == (1 if renewal else 0)  # only the refused one
    assert reloadly_fake.performed == [] and reloadly_fake.transactions == {}
    # the next top-up gets a token and goes through
    assert reloadly_desk.buy(OK, "rl-11-5000", key="k-next")["status"] == "succeeded"
