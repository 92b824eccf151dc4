"""Provider endpoints (docs/upstream-api.md) through real HTTP, including the kiosk's own client."""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.provider import SimulatedProvider, TopUpRequest
from backend.store import Store
from backend.topups import TopUps
from kiosk.config import Settings
from kiosk.ports import Account, TopUpStatus
from kiosk.topup.http import HttpTopUpProvider
from tests.backend.harness import ThreadedBackend, signed_get, signed_post


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ThreadedBackend, SimulatedProvider, bytes]]:
    provider = SimulatedProvider()
    server = ThreadedBackend(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path, provider=provider).start()
    try:
        yield server, provider, server.add_kiosk("KIOSK-0001")
    finally:
        server.stop()


@pytest.fixture
def client(served: tuple[ThreadedBackend, SimulatedProvider, bytes]) -> Iterator[HttpTopUpProvider]:
    server, _provider, secret = served
    settings = Settings()
    settings = dataclasses.replace(settings, upstream=dataclasses.replace(settings.upstream, url=server.base_url))
    c = HttpTopUpProvider(settings, secret=secret)
    try:
        yield c
    finally:
        c.close()


ACCOUNT = Account(msisdn="12025550123", carrier="T-Mobile", iccid="8901260123456789012")


def _post(served: Any, path: str, body: dict[str, Any]) -> Any:
    server, _p, secret = served
    return signed_post(server.base_url, path, "KIOSK-0001", secret, json.dumps(body).encode())


def _topup(key: str, **over: Any) -> dict[str, Any]:
    return {"key": key, "msisdn": "12025550123", "carrier": "T-Mobile", "iccid": None, "plan_id": "tmo-unl-50",
            "amount_cents": 5000, "currency": "USD", "kiosk_id": "KIOSK-0001", **over}


def test_catalog_and_lookup_through_the_kiosk_client(client: HttpTopUpProvider) -> None:
    plans = client.catalog()
    assert {p.carrier for p in plans} >= {"T-Mobile", "AT&T", "Verizon"}
    assert [p.id for p in client.catalog("t-mobile")] == ["tmo-unl-50", "tmo-10gb-30"]
    assert client.catalog("nobody") == []
    found = client.lookup(iccid="8901260123456789012")
    assert found is not None and (found.msisdn, found.carrier, found.current_plan) == \
        ("12025550123", "T-Mobile", "tmo-unl-50")
    assert client.lookup(msisdn="19995550000") is None
    both = client.lookup(iccid="8901260123456789012", msisdn="12025550123")
    assert both is not None and both.msisdn == "12025550123"
    # the SIM of one account and the number of another: neither is the customer's account
    assert client.lookup(iccid="8901260123456789012", msisdn="12025550124") is None
    assert client.health().ok


def test_a_top_up_happens_once_per_key(client: HttpTopUpProvider,
                                       served: tuple[ThreadedBackend, SimulatedProvider, bytes]) -> None:
    plan = next(p for p in client.catalog() if p.id == "tmo-unl-50")
    key = str(uuid.uuid4())
    first = client.submit(key, ACCOUNT, plan)
    again = client.submit(key, ACCOUNT, plan)
    status = client.status(key)
    assert first.status == again.status == status.status == TopUpStatus.SUCCEEDED
    assert first.provider_ref == again.provider_ref == status.provider_ref is not None
    assert served[1].calls[key] == 1


def test_status_codes_201_then_200(served: Any) -> None:
    key = str(uuid.uuid4())
    assert _post(served, "/v1/topups", _topup(key)).status_code == 201
    assert _post(served, "/v1/topups", _topup(key)).status_code == 200


@pytest.mark.parametrize("change", [{"msisdn": "12025550999"}, {"plan_id": "tmo-10gb-30"}, {"amount_cents": 4999}])
def test_a_key_reused_with_a_different_body_is_a_conflict(served: Any, change: dict[str, Any]) -> None:
    key = str(uuid.uuid4())
    _post(served, "/v1/topups", _topup(key))
    r = _post(served, "/v1/topups", _topup(key, **change))
    assert (r.status_code, r.json()["error"]) == (409, "key_conflict")
    assert served[1].calls[key] == 1


def test_unknown_key_is_not_found_and_fenced(served: Any, client: HttpTopUpProvider) -> None:
    key = str(uuid.uuid4())
    assert client.status(key).status == TopUpStatus.NOT_FOUND
    late = _post(served, "/v1/topups", _topup(key))
    assert late.status_code == 200
    assert late.json() == {"key": key, "status": "failed", "failure_kind": "transient", "provider_ref": None,
                           "message": "voided"}
    assert client.status(key).status == TopUpStatus.NOT_FOUND
    assert key not in served[1].calls


@pytest.mark.parametrize(("msisdn", "status", "kind"), [
    ("12025550000", "failed", "customer_fixable"),
    ("12025550503", "failed", "out_of_service"),
    ("12025550429", "failed", "transient"),
])
def test_simulated_faults(served: Any, msisdn: str, status: str, kind: str) -> None:
    r = _post(served, "/v1/topups", _topup(str(uuid.uuid4()), msisdn=msisdn))
    assert (r.status_code, r.json()["status"], r.json()["failure_kind"]) == (201, status, kind)


def test_pending_is_202_and_resolves_on_status(served: Any) -> None:
    key = str(uuid.uuid4())
    r = _post(served, "/v1/topups", _topup(key, msisdn="12025550202"))
    assert (r.status_code, r.json()["status"]) == (202, "pending")
    server, _p, secret = served
    later = signed_get(server.base_url, f"/v1/topups/{key}", "KIOSK-0001", secret).json()
    assert later["status"] == "succeeded" and later["provider_ref"] == r.json()["provider_ref"]


@pytest.mark.parametrize(("change", "message"), [({"amount_cents": 4000}, "price_changed"),
                                                 ({"currency": "EUR"}, "price_changed"),
                                                 ({"plan_id": "no-such-plan"}, "unknown_plan")])
def test_price_and_plan_checks_fail_definitely_without_calling_the_carrier(
        served: Any, change: dict[str, Any], message: str) -> None:
    key = str(uuid.uuid4())
    r = _post(served, "/v1/topups", _topup(key, **change)).json()
    assert (r["status"], r["failure_kind"], r["message"]) == ("failed", "customer_fixable", message)
    assert key not in served[1].calls


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("/v1/topups", _topup("k1", amount_cents="5000"), 400, "bad_request"),
    ("/v1/topups", _topup("k2", msisdn="+1 202"), 400, "bad_request"),
    ("/v1/topups", _topup(""), 400, "bad_request"),
    ("/v1/topups", _topup("k4", kiosk_id="KIOSK-0002"), 403, "kiosk_mismatch"),
    ("/v1/lookup", {}, 400, "bad_request"),
    ("/v1/lookup", {"iccid": 8901260123456789012}, 400, "bad_request"),
    ("/v1/lookup", {"msisdn": "1", "extra": 1}, 400, "bad_request"),
])
def test_bad_provider_requests(served: Any, path: str, body: dict[str, Any], status: int, code: str) -> None:
    r = _post(served, path, body)
    assert (r.status_code, r.json()["error"]) == (status, code)
    assert served[1].calls == {}


def test_provider_endpoints_need_a_valid_signature(served: Any) -> None:
    server, _p, _secret = served
    r = signed_get(server.base_url, "/v1/catalog", "KIOSK-0001", b"wrong")
    assert (r.status_code, r.json()["error"]) == (401, "bad_signature")


@pytest.mark.postgres
def test_concurrent_submits_of_one_key_top_up_once(postgres_url: str) -> None:
    provider = SimulatedProvider()
    with Store.open(postgres_url) as store:
        store.add_kiosk("K", "", lambda k, g: b"x")
        topups = TopUps(store, provider)
        req = TopUpRequest("same-key", "12025550123", "T-Mobile", None, "tmo-unl-50", 5000, "USD", "K")
        answers: list[dict[str, Any]] = []
        barrier = threading.Barrier(12)

        def submit() -> None:
            barrier.wait()
            answers.append(topups.submit(req).body)

        threads = [threading.Thread(target=submit) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert provider.calls == {"same-key": 1}
    assert len(answers) == 12
    refs = {a["provider_ref"] for a in answers if a["status"] == "succeeded"}
    assert len(refs) <= 1
    assert all(a["status"] in {"pending", "succeeded"} for a in answers)


