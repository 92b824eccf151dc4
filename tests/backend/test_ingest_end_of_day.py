"""End of day upstream: a mismatch the kiosk journals becomes an operator incident, and the
operator sees each kiosk's last end of day (time, totals, match)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.ingest import END_OF_DAY_KIND, END_OF_DAY_MISMATCH, end_of_day_incidents, parse_batch
from backend.operators import hash_password
from kiosk.reconcile import END_OF_DAY_EVENT
from tests.backend.conftest import fresh_pg
from tests.backend.harness import ThreadedBackend, batch_body, custom_rows, sales, signed_post
from tests.pg import PostgresServer

PASSWORD = "correct horse battery"
DAY = dt.date(2025, 7, 1)
CLOSE = dt.datetime(2025, 7, 1, 23, 0, tzinfo=dt.UTC)


def _eod(matches: Any, terminal: int, ledger: int) -> dict[str, Any]:
    """The payload of kiosk.reconcile.journal_end_of_day."""
    return {"matches": matches, "batch_no": 7, "terminal_id": "52500001",
            "terminal_cents": terminal, "terminal_count": 3, "ledger_cents": ledger, "ledger_count": 3,
            "charges_cents": ledger, "reversals_cents": 0, "refunds_cents": 0,
            "difference_cents": terminal - ledger, "receipt_from": "0001", "receipt_to": "0003",
            "since": None, "suspects": [], "ok": True, "result_code": 0, "message": "end of day: ok",
            "summary": f"END OF DAY MISMATCH: terminal {terminal / 100:.2f} vs ledger {ledger / 100:.2f}"
            if matches is False else "end of day reconciled", "at": None}


def _specs(*eods: tuple[dt.datetime, dict[str, Any]]) -> list[tuple[str | None, dt.datetime, str, dict[str, Any]]]:
    return [*sales("KIOSK-A", [(DAY, 3)]), *((None, at, END_OF_DAY_KIND, p) for at, p in eods)]


def test_the_kind_is_the_kiosks() -> None:
    assert END_OF_DAY_KIND == END_OF_DAY_EVENT


def test_only_a_mismatch_is_an_incident() -> None:
    events = parse_batch(batch_body(custom_rows(_specs(
        (CLOSE, _eod(True, 9000, 9000)),
        (CLOSE + dt.timedelta(days=1), _eod(False, 12600, 9000)),
        (CLOSE + dt.timedelta(days=2), _eod("no", 1, 2)),  # not a kiosk's payload: no alert made up
        (CLOSE + dt.timedelta(days=3), {"matches": False, "summary": 5})))), 100)
    found = end_of_day_incidents(events)
    assert [(f["code"], f["seq"]) for f in found] == [(END_OF_DAY_MISMATCH, 8), (END_OF_DAY_MISMATCH, 10)]
    assert "difference 36.00" in found[0]["detail"] and "terminal 126.00 vs ledger 90.00" in found[0]["detail"]
    assert "difference ?" in found[1]["detail"]


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ThreadedBackend]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    else:
        pg: PostgresServer = request.getfixturevalue("postgres_server")
        url = fresh_pg(pg, "eod")
    s = ThreadedBackend(url, tmp_path).start()
    try:
        s.backend.store.add_operator("alice", hash_password(PASSWORD))
        yield s
    finally:
        s.stop()


def _operator(server: ThreadedBackend) -> httpx.Client:
    client = httpx.Client(base_url=server.base_url)
    client.get("/")
    r = client.post("/api/login", json={"username": "alice", "password": PASSWORD},
                    headers={"X-CSRF-Token": client.cookies["kb_csrf"]})
    assert r.status_code == 200, r.text
    return client


def test_a_mismatch_reaches_the_fleet_view_once(server: ThreadedBackend) -> None:
    secret = server.add_kiosk("KIOSK-A", "Mall A")
    server.add_kiosk("KIOSK-B", "Mall B")
    body = batch_body(custom_rows(_specs((CLOSE, _eod(True, 9000, 9000)),
                                         (CLOSE + dt.timedelta(days=1), _eod(False, 12600, 9000)))))
    for _ in range(2):  # the second time every event is a duplicate: no second incident
        r = signed_post(server.base_url, "/v1/kiosks/KIOSK-A/events", "KIOSK-A", secret, body)
        assert r.status_code == 200, r.text
    client = _operator(server)
    try:
        kiosks = {k["kiosk_id"]: k for k in client.get("/api/kiosks").json()["kiosks"]}
        a, b = kiosks["KIOSK-A"], kiosks["KIOSK-B"]
        assert (a["incidents"], a["end_of_day_mismatches"]) == (1, 1)
        assert a["last_end_of_day_mismatch_at"] == "2025-07-02T23:00:00.000000Z"
        assert (b["incidents"], b["end_of_day_mismatches"], b["last_end_of_day_mismatch_at"]) == (0, 0, None)
        incidents = client.get("/api/incidents").json()["incidents"]
        assert [(i["kiosk_id"], i["code"], i["seq"]) for i in incidents] == [("KIOSK-A", END_OF_DAY_MISMATCH, 8)]
        assert "terminal 126.00 vs ledger 90.00" in incidents[0]["detail"]
        detail = client.get("/api/kiosks/KIOSK-A").json()
        last = detail["last_end_of_day"]
        assert (last["at"], last["matches"], last["terminal_cents"], last["ledger_cents"],
                last["difference_cents"], last["batch_no"]) == \
            ("2025-07-02T23:00:00.000000Z", False, 12600, 9000, 3600, 7)
        assert [i["code"] for i in detail["incidents"]] == [END_OF_DAY_MISMATCH]
        assert client.get("/api/kiosks/KIOSK-B").json() == {"kiosk_id": "KIOSK-B", "last_end_of_day": None,
                                                            "incidents": []}
        missing = client.get("/api/kiosks/NOPE")
        assert missing.status_code == 404 and missing.json()["error"] == "unknown_kiosk"
        assert json.loads(client.get("/api/kiosks/KIOSK-A").text)["kiosk_id"] == "KIOSK-A"
    finally:
        client.close()
