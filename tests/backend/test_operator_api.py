"""Operator API: login, sessions, CSRF, fleet, transactions, CSV export, daily sales."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.operators import hash_password
from tests.backend.harness import ThreadedBackend, batch_body, custom_rows, sales, signed_post

PASSWORD = "correct horse battery"
D1, D2 = dt.date(2025, 7, 1), dt.date(2025, 7, 2)


def populate(server: ThreadedBackend) -> None:
    """Two kiosks with synced sales; one heartbeat with a printer fault."""
    server.backend.store.add_operator("alice", hash_password(PASSWORD))
    for kiosk, days, stuck in (("KIOSK-A", [(D1, 3), (D2, 2)], 1), ("KIOSK-B", [(D2, 4)], 0)):
        secret = server.add_kiosk(kiosk, f"Mall {kiosk[-1]}")
        r = signed_post(server.base_url, f"/v1/kiosks/{kiosk}/events", kiosk, secret,
                        batch_body(custom_rows(sales(kiosk, days, stuck=stuck))))
        assert r.status_code == 200, r.text
        if kiosk == "KIOSK-A":
            hb = {"devices": {"reader": {"ok": True, "detail": "ok"},
                              "printer": {"ok": False, "detail": "out of paper", "advice": "load paper"}},
                  "unsynced_events": 0, "needs_attention": 1}
            assert signed_post(server.base_url, f"/v1/kiosks/{kiosk}/heartbeat", kiosk, secret,
                               json.dumps(hb).encode()).status_code == 200


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ThreadedBackend]:
    s = ThreadedBackend(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path).start()
    try:
        populate(s)
        yield s
    finally:
        s.stop()


def login(server: ThreadedBackend, password: str = PASSWORD) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=server.base_url)
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    token = client.cookies["kb_csrf"]
    r = client.post("/api/login", json={"username": "alice", "password": password},
                    headers={"X-CSRF-Token": token})
    return client, r


def test_login_logout_and_session(server: ThreadedBackend) -> None:
    client, r = login(server)
    with contextlib.closing(client):
        assert r.status_code == 200 and r.json()["operator"] == "alice"
        assert "httponly" in r.headers.get_list("set-cookie")[0].lower()
        assert "samesite=strict" in r.headers.get_list("set-cookie")[0].lower()
        csrf = r.json()["csrf"]
        assert client.get("/api/me").json() == {"operator": "alice", "csrf": csrf}
        assert client.post("/api/logout").status_code == 403  # no CSRF token
        assert client.post("/api/logout", headers={"X-CSRF-Token": "guess"}).status_code == 403
        assert client.post("/api/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
        assert client.get("/api/kiosks").status_code == 401


def test_wrong_password_and_missing_csrf_are_refused(server: ThreadedBackend) -> None:
    client, r = login(server, "wrong password!")
    with contextlib.closing(client):
        assert (r.status_code, r.json()["error"]) == (401, "bad_credentials")
        assert client.get("/api/kiosks").status_code == 401
        no_token = client.post("/api/login", json={"username": "alice", "password": PASSWORD})
        assert (no_token.status_code, no_token.json()["error"]) == (403, "csrf_failed")


def test_repeated_wrong_passwords_are_throttled(server: ThreadedBackend) -> None:
    for _ in range(5):
        client, r = login(server, "wrong password!")
        client.close()
        assert r.status_code == 401
    client, r = login(server)  # even the right password waits now
    with contextlib.closing(client):
        assert (r.status_code, r.json()["error"]) == (429, "too_many_attempts")
        assert 800 <= int(r.headers["Retry-After"]) <= 900 and r.json()["retry_after_s"] > 0  # a loaded machine
        assert client.get("/api/kiosks").status_code == 401
    throttle = server.backend.login_throttle
    throttle.clock = lambda: time.time() + throttle.window_s  # the window has passed
    client, r = login(server)
    with contextlib.closing(client):
        assert r.status_code == 200


def test_cross_origin_posts_are_refused(server: ThreadedBackend) -> None:
    client, r = login(server)
    with contextlib.closing(client):
        evil = client.post("/api/logout", headers={"X-CSRF-Token": r.json()["csrf"],
                                                    "Origin": "https://evil.example"})
        assert (evil.status_code, evil.json()["error"]) == (403, "bad_origin")


def test_operator_endpoints_need_a_session(server: ThreadedBackend) -> None:
    for path in ("/api/kiosks", "/api/transactions", "/api/transactions.csv", "/api/sales/daily",
                 "/api/incidents", "/api/me"):
        r = httpx.get(server.base_url + path)
        assert (r.status_code, r.json()["error"]) == (401, "not_logged_in"), path


def test_fleet_shows_heartbeat_faults_and_attention(server: ThreadedBackend) -> None:
    client, _ = login(server)
    with contextlib.closing(client):
        kiosks = {k["kiosk_id"]: k for k in client.get("/api/kiosks").json()["kiosks"]}
    a, b = kiosks["KIOSK-A"], kiosks["KIOSK-B"]
    assert (a["online"], a["device_faults"], a["needs_attention"], a["location"]) == \
        (True, ["printer"], 1, "Mall A")
    assert (b["online"], b["last_heartbeat_at"], b["needs_attention"], b["acked_through"]) == (False, None, 0, 8)


def test_transactions_filter_by_time_kiosk_and_state(server: ThreadedBackend) -> None:
    client, _ = login(server)
    with contextlib.closing(client):
        every = client.get("/api/transactions").json()["transactions"]
        day2_b = client.get("/api/transactions", params={"since": "2025-07-02", "kiosk": "KIOSK-B"}).json()
        day1 = client.get("/api/transactions", params={"until": "2025-07-02"}).json()
        stuck = client.get("/api/transactions", params={"state": "needs_attention"}).json()
        paged = client.get("/api/transactions", params={"limit": 4, "offset": 8}).json()
        bad = client.get("/api/transactions", params={"since": "last week"})
    assert len(every) == 10
    assert [t["created_at"] for t in every] == sorted(t["created_at"] for t in every)
    assert {t["kiosk_id"] for t in day2_b["transactions"]} == {"KIOSK-B"} and len(day2_b["transactions"]) == 4
    assert len(day1["transactions"]) == 3
    assert [t["txn_id"] for t in stuck["transactions"]] == ["KIOSK-A-stuck0"]
    assert (len(paged["transactions"]), paged["more"]) == (2, False)
    assert every[0]["msisdn"] == "*******0123"  # masked by default
    assert (bad.status_code, bad.json()["error"]) == (400, "bad_request")


def test_csv_export(server: ThreadedBackend) -> None:
    client, _ = login(server)
    with contextlib.closing(client):
        r = client.get("/api/transactions.csv", params={"kiosk": "KIOSK-A"})
        unmasked = client.get("/api/transactions.csv", params={"kiosk": "KIOSK-A", "unmask": "1"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 6 and {row["kiosk_id"] for row in rows} == {"KIOSK-A"}
    assert rows[0]["msisdn"] == "*******0123" and rows[0]["amount_cents"] == "3000"
    assert next(iter(csv.DictReader(io.StringIO(unmasked.text))))["msisdn"] == "12025550123"


def test_daily_sales_per_kiosk(server: ThreadedBackend) -> None:
    client, _ = login(server)
    with contextlib.closing(client):
        days = client.get("/api/sales/daily").json()["days"]
    assert days == [
        {"day": "2025-07-01", "kiosk_id": "KIOSK-A", "currency": "USD", "count": 3, "amount_cents": 9000},
        {"day": "2025-07-02", "kiosk_id": "KIOSK-A", "currency": "USD", "count": 2, "amount_cents": 6000},
        {"day": "2025-07-02", "kiosk_id": "KIOSK-B", "currency": "USD", "count": 4, "amount_cents": 12000},
    ]


def test_security_headers(server: ThreadedBackend) -> None:
    r = httpx.get(server.base_url + "/")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


def test_bad_heartbeats_are_refused(server: ThreadedBackend) -> None:
    secret = server.add_kiosk("KIOSK-H")
    for body in (b"[]", b'{"devices": {"printer": {"ok": "no"}}}', b'{"unsynced_events": -1}', b"{"):
        r = signed_post(server.base_url, "/v1/kiosks/KIOSK-H/heartbeat", "KIOSK-H", secret, body)
        assert r.status_code == 400, body
    kiosk = next(k for k in server.backend.store.kiosks_overview() if k["kiosk_id"] == "KIOSK-H")
    assert kiosk["last_heartbeat_at"] is None
