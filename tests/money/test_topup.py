"""Top-up adapters: the embedded simulator's rules and the signed HTTP client."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from pathlib import Path

import httpx
import pytest

from kiosk.config import Settings
from kiosk.errors import UpstreamError, UpstreamUnavailable
from kiosk.ports import Account, FailureKind, TopUpStatus
from kiosk.sync.signing import sign
from kiosk.topup import KeyConflict, demo_catalog
from kiosk.topup.http import HttpTopUpProvider
from kiosk.topup.simulated import SimulatedProvider

ACCOUNT = Account(msisdn="12025550101", carrier="T-Mobile")
PLAN = next(p for p in demo_catalog() if p.id == "tmo-unl-40")


def test_catalog_covers_the_big_three_and_mvnos(tmp_path: Path) -> None:
    carriers = {p.carrier for p in SimulatedProvider(tmp_path).catalog()}
    assert {"T-Mobile", "AT&T", "Verizon", "Mint Mobile", "Cricket Wireless", "Metro by T-Mobile"} <= carriers
    assert all(p.carrier == "AT&T" for p in SimulatedProvider(tmp_path).catalog("at&t"))


def test_lookup_by_iccid_and_number(tmp_path: Path) -> None:
    sim = SimulatedProvider(tmp_path)
    acc = sim.lookup(iccid="89012601234567890126")  # demo SIM (any check digit)
    assert acc is not None and acc.msisdn == "12025550101" and acc.carrier == "T-Mobile"
    assert sim.lookup(iccid="89441100123456789012") is None  # unknown SIM: customer types the number
    assert sim.lookup(msisdn="12025550104") is not None
    assert sim.lookup(msisdn="123") is None


def test_submit_is_idempotent_and_survives_a_restart(tmp_path: Path) -> None:
    sim = SimulatedProvider(tmp_path)
    first = sim.submit("k1", ACCOUNT, PLAN)
    again = SimulatedProvider(tmp_path).submit("k1", ACCOUNT, PLAN)  # a new process, same data
    assert first.status is again.status is TopUpStatus.SUCCEEDED
    assert first.provider_ref == again.provider_ref
    assert sum(1 for line in (tmp_path / "topup-sim" / "records.jsonl").read_text().splitlines()
               if json.loads(line)["status"] == "succeeded") == 1
    with pytest.raises(KeyConflict):
        sim.submit("k1", dataclasses.replace(ACCOUNT, msisdn="12025550199"), PLAN)


def test_status_fences_unknown_keys(tmp_path: Path) -> None:
    sim = SimulatedProvider(tmp_path)
    assert sim.status("k2").status is TopUpStatus.NOT_FOUND
    late = sim.submit("k2", ACCOUNT, PLAN)
    assert late.status is TopUpStatus.FAILED and late.message == "voided"


def test_faults_fail_unknown_pending_unreachable(tmp_path: Path) -> None:
    sim = SimulatedProvider(tmp_path)
    sim.set_control(mode="fail", failure_kind="out_of_service")
    res = sim.submit("a", ACCOUNT, PLAN)
    assert res.status is TopUpStatus.FAILED and res.failure_kind is FailureKind.OUT_OF_SERVICE
    sim.set_control(mode="unknown", perform=True)
    res = sim.submit("b", ACCOUNT, PLAN)
    assert res.failure_kind is FailureKind.UNKNOWN and sim.status("b").status is TopUpStatus.SUCCEEDED
    sim.set_control(mode="pending", hang_s=0.0)
    assert sim.submit("c", ACCOUNT, PLAN).status in (TopUpStatus.PENDING, TopUpStatus.SUCCEEDED)
    assert sim.status("c").status is TopUpStatus.SUCCEEDED
    sim.set_control(mode="unreachable")
    with pytest.raises(UpstreamUnavailable):
        sim.submit("d", ACCOUNT, PLAN)
    sim.set_control(mode="ok")
    bad = sim.submit("e", dataclasses.replace(ACCOUNT, carrier="AT&T"), PLAN)
    assert bad.failure_kind is FailureKind.CUSTOMER_FIXABLE


def test_torn_last_line_is_ignored_and_closed_off(tmp_path: Path) -> None:
    sim = SimulatedProvider(tmp_path)
    sim.submit("a", ACCOUNT, PLAN)
    with open(sim.records_path, "a") as fh:
        fh.write('{"key": "torn", "sta')
    assert "torn" not in sim.records()
    sim.submit("b", ACCOUNT, PLAN)
    assert sim.records()["b"]["status"] == "succeeded"


# ----------------------------------------------------------------------------- HTTP client

SECRET = b"s3cret"


def http_provider(handler: object) -> HttpTopUpProvider:
    settings = Settings()
    settings = dataclasses.replace(settings, upstream=dataclasses.replace(settings.upstream,
                                                                          url="https://backend.test"))
    return HttpTopUpProvider(settings, transport=httpx.MockTransport(handler), secret=SECRET)  # type: ignore[arg-type]


def check_signature(request: httpx.Request) -> None:
    """Signature v2 recomputed from the documented recipe (docs/upstream-api.md)."""
    ts, nonce = request.headers["X-Timestamp"], request.headers["X-Nonce"]
    body = request.content
    path, _, query = request.url.raw_path.decode().partition("?")
    canonical = "\n".join([request.method, path, query, ts, nonce, hashlib.sha256(body).hexdigest()])
    expected = "v2:" + hmac.new(SECRET, canonical.encode(), hashlib.sha256).hexdigest()
    assert request.headers["X-Signature"] == expected and len(nonce) == 32
    assert request.headers["X-Kiosk-Id"] == "KIOSK-0001"
    assert ts.endswith("Z") and len(ts) == 20


def test_http_client_signs_and_maps_every_endpoint() -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        check_signature(request)
        seen.append((request.method, request.url.path))
        if request.url.path == "/v1/lookup":
            assert json.loads(request.content) == {"iccid": "8901", "msisdn": None}
            return httpx.Response(200, json={"found": True, "account": {
                "msisdn": "12025550101", "carrier": "T-Mobile", "iccid": "8901",
                "current_plan": None, "expiry": "2025-08-01"}})
        if request.url.path == "/v1/catalog":
            return httpx.Response(200, json={"version": "1", "plans": [
                {"id": "p", "carrier": "T-Mobile", "name": "P", "price_cents": 100,
                 "currency": "USD", "validity_days": 30, "benefits": ["x"]}]})
        if request.url.path == "/v1/topups":
            body = json.loads(request.content)
            assert body["key"] == "k" and body["amount_cents"] == 4000 and body["plan_id"] == "tmo-unl-40"
            return httpx.Response(201, json={"key": "k", "status": "succeeded", "failure_kind": None,
                                             "provider_ref": "R1", "message": ""})
        assert request.url.path == "/v1/topups/k"
        return httpx.Response(200, json={"key": "k", "status": "not_found", "failure_kind": None,
                                         "provider_ref": None, "message": ""})

    p = http_provider(handler)
    acc = p.lookup(iccid="8901")
    assert acc is not None and acc.expiry is not None and acc.expiry.isoformat() == "2025-08-01"
    assert p.catalog("T-Mobile")[0].benefits == ("x",)
    assert p.submit("k", ACCOUNT, PLAN).provider_ref == "R1"
    assert p.status("k").status is TopUpStatus.NOT_FOUND
    assert seen == [("POST", "/v1/lookup"), ("GET", "/v1/catalog"), ("POST", "/v1/topups"),
                    ("GET", "/v1/topups/k")]
    p.close()


def test_http_errors_are_translated() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    with pytest.raises(UpstreamUnavailable):
        http_provider(down).submit("k", ACCOUNT, PLAN)
    with pytest.raises(UpstreamUnavailable):
        http_provider(lambda r: httpx.Response(503, json={})).status("k")
    with pytest.raises(KeyConflict):
        http_provider(lambda r: httpx.Response(409, json={"error": "key_conflict", "message": ""})).submit(
            "k", ACCOUNT, PLAN)
    with pytest.raises(UpstreamError):
        http_provider(lambda r: httpx.Response(401, json={"error": "bad_signature"})).catalog()


def test_sign_matches_the_documented_recipe() -> None:
    nonce = "0123456789abcdef0123456789abcdef"
    canonical = f"GET\n/v1/catalog\ncarrier=T-Mobile\n2025-07-01T12:00:00Z\n{nonce}\n" + hashlib.sha256(b"").hexdigest()
    assert sign(b"key", "GET", "/v1/catalog", "carrier=T-Mobile", "2025-07-01T12:00:00Z", nonce, b"") == \
        "v2:" + hmac.new(b"key", canonical.encode(), hashlib.sha256).hexdigest()


def test_plan_translations_round_trip_and_fall_back_to_english() -> None:
    from kiosk.topup import plan_from_json, plan_to_json

    plan = plan_from_json({"id": "p", "carrier": "T-Mobile", "name": "Unlimited", "price_cents": 100,
                           "benefits": ["Unlimited data"],
                           "i18n": {"es": {"name": "Ilimitado"},
                                    "zh_CN": {"name": "无限", "benefits": ["无限流量"]}}})
    assert plan_from_json(plan_to_json(plan)) == plan
    assert plan.text("es").name == "Ilimitado" and plan.text("es").benefits == ("Unlimited data",)
    assert plan.text("zh").benefits == ("无限流量",)
    assert plan.text("en").name == "Unlimited" and plan.text("fr").name == "Unlimited"
