"""Operator page API for the aggregator side, through real HTTP: translations reach the kiosk's
catalog, versions move, the balance and a failed check show in the fleet view."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.operators import hash_password
from backend.providers import load
from kiosk.config import Settings
from kiosk.topup.http import HttpTopUpProvider
from tests.backend.aggregators.conftest import dtone_config
from tests.backend.aggregators.fakes import FakeDTOne
from tests.backend.harness import ThreadedBackend

PASSWORD = "correct horse battery"


@pytest.fixture
def served(dtone_fake: FakeDTOne, tmp_path: Path) -> Iterator[ThreadedBackend]:
    config = dataclasses.replace(dtone_config(dtone_fake, tmp_path), low_balance_cents=50_000)
    adapter = load("dtone", config)
    server = ThreadedBackend(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path, provider=adapter,
                             provider_config=config).start()
    server.backend.store.add_operator("alice", hash_password(PASSWORD))
    try:
        yield server
    finally:
        server.stop()
        adapter.close()


def operator(server: ThreadedBackend) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.base_url)
    client.get("/")
    r = client.post("/api/login", json={"username": "alice", "password": PASSWORD},
                    headers={"X-CSRF-Token": client.cookies["kb_csrf"]})
    assert r.status_code == 200, r.text
    return client, r.json()["csrf"]


def kiosk(server: ThreadedBackend) -> HttpTopUpProvider:
    settings = Settings()
    settings = dataclasses.replace(settings, upstream=dataclasses.replace(settings.upstream, url=server.base_url))
    return HttpTopUpProvider(settings, secret=server.add_kiosk("KIOSK-0001"))


def test_translations_reach_the_kiosk_catalog(served: ThreadedBackend) -> None:
    client, csrf = operator(served)
    shop = kiosk(served)
    try:
        before = client.get("/api/plans").json()
        assert [p["plan_id"] for p in before["plans"]] == ["dt-101", "dt-102", "dt-201", "dt-301"]
        r = client.post("/api/plans/dt-101/i18n/zh_CN",
                        json={"name": "无限套餐 30 天", "benefits": ["无限通话", " 无限流量 "]},
                        headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        assert r.json()["version"] != before["version"]
        assert client.post("/api/plans/dt-101/i18n/es", json={"name": "Ilimitado 30 días"},
                           headers={"X-CSRF-Token": csrf}).status_code == 200
        plan = next(p for p in shop.catalog("T-Mobile") if p.id == "dt-101")
        def shown(lang: str) -> tuple[str, tuple[str, ...]]:
            text = plan.text(lang)
            return text.name, text.benefits

        assert shown("zh_CN") == ("无限套餐 30 天", ("无限通话", "无限流量"))
        assert shown("es") == ("Ilimitado 30 días", plan.benefits)  # English benefits where none given
        assert shown("en") == ("T-Mobile Unlimited 30 days", ("Unlimited talk", "Unlimited data"))
        # removing a translation: both empty
        assert client.post("/api/plans/dt-101/i18n/es", json={"name": "", "benefits": []},
                           headers={"X-CSRF-Token": csrf}).status_code == 200
        assert set(client.get("/api/plans").json()["plans"][0]["i18n"]) == {"zh_CN"}
    finally:
        shop.close()


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("/api/plans/dt-101/i18n/fr", {"name": "x"}, 400, "bad_request"),
    ("/api/plans/dt-101/i18n/es", {"name": "x" * 121}, 400, "bad_request"),
    ("/api/plans/dt-101/i18n/es", {"benefits": "one"}, 400, "bad_request"),
    ("/api/plans/dt-101/i18n/es", {"name": "x", "price": 1}, 400, "bad_request"),
    ("/api/plans/nope/i18n/es", {"name": "x"}, 404, "unknown_plan"),
])
def test_bad_translations_are_refused(served: ThreadedBackend, path: str, body: dict[str, object], status: int,
                                      code: str) -> None:
    client, csrf = operator(served)
    r = client.post(path, json=body, headers={"X-CSRF-Token": csrf})
    assert (r.status_code, r.json()["error"]) == (status, code)
    assert client.post(path, json=body).status_code == 403  # no CSRF token
    assert httpx.post(served.base_url + path, json=body).status_code == 401  # not logged in


def test_balance_low_and_a_failed_check_show_in_the_fleet_view(served: ThreadedBackend,
                                                               dtone_fake: FakeDTOne) -> None:
    client, csrf = operator(served)
    status = client.post("/api/provider/check", headers={"X-CSRF-Token": csrf}).json()
    assert status["ok"] is True and status["health"]["balance_cents"] == 100_000 and not status["low_balance"]
    dtone_fake.balance = 120.0
    client.post("/api/provider/check", headers={"X-CSRF-Token": csrf})
    fleet = client.get("/api/kiosks").json()["provider"]
    assert fleet["low_balance"] is True and fleet["low_balance_cents"] == 50_000
    dtone_fake.stop()
    client.post("/api/provider/check", headers={"X-CSRF-Token": csrf})
    fleet = client.get("/api/kiosks").json()["provider"]
    assert fleet["ok"] is False and fleet["health"]["reachable"] is False
    r = client.post("/api/catalog/refresh", headers={"X-CSRF-Token": csrf})
    assert (r.status_code, r.json()["error"]) == (503, "provider_unavailable")
    assert client.get("/api/provider").json()["catalog"]["error"]
