"""``kiosk-backend serve --workers 2``: two worker processes on one socket share replay refusal
and ingest ordering through PostgreSQL; the one-statement heartbeat still stores what changed."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from backend.store import Store
from kiosk.ledger.chain import GENESIS
from tests.backend.conftest import fresh_pg
from tests.backend.harness import (
    ROOT,
    ThreadedBackend,
    add_kiosk,
    batch_body,
    event_rows,
    free_port,
    sign_for,
    wait_healthy,
)
from tests.pg import PostgresServer

WORKERS = 2


class WorkersProcess:
    """``python -m backend serve --workers 2`` (stopped by PID)."""

    def __init__(self, db_url: str, workdir: Path) -> None:
        self.db_url = db_url
        self.key_file = workdir / "master.key"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        with open(workdir / "workers.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "backend", "serve", "--db", db_url, "--port", str(self.port),
                 "--master-key-file", str(self.key_file), "--workers", str(WORKERS), "--log-level", "warning"],
                cwd=ROOT, stdout=log, stderr=log)
        wait_healthy(self.base_url, timeout=60, proc=self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def served(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[WorkersProcess, str]]:
    workdir = tmp_path_factory.mktemp("workers2")
    url = fresh_pg(postgres_server, "wk")
    server = WorkersProcess(url, workdir)
    dsn = f"host=127.0.0.1 port={postgres_server.port} user={postgres_server.user} dbname={url.rsplit('/', 1)[1]}"
    try:
        yield server, dsn
    finally:
        server.stop()


def fresh_client() -> httpx.Client:
    """No keep-alive: every request is a new connection, accepted by whichever worker is free."""
    return httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))


def worker_sessions(dsn: str) -> set[str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return {str(r[0]) for r in conn.execute(
            "SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name LIKE 'kiosk-backend[%'"
            " AND datname = current_database()")}


@pytest.mark.postgres
def test_two_workers_accept_each_nonce_once(served: tuple[WorkersProcess, str]) -> None:
    server, dsn = served
    secret = add_kiosk(server.db_url, server.key_file, "WK-1")
    body = json.dumps({"devices": {"reader": {"ok": True}}}).encode()
    # 8 requests, each sent 6 times at once over new connections (both workers take some)
    signed = [sign_for("WK-1", secret, "POST", "/v1/kiosks/WK-1/heartbeat", body) for _ in range(8)]

    def send(i: int) -> int:
        target, headers = signed[i % len(signed)]
        with fresh_client() as client:
            return client.post(server.base_url + target, content=body,
                               headers={**headers, "Content-Type": "application/json"}).status_code

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(send, range(len(signed) * 6)))
    assert codes.count(200) == len(signed), codes
    assert codes.count(401) == len(codes) - len(signed), codes
    assert len(worker_sessions(dsn)) == WORKERS  # both workers hold their own pool of sessions


@pytest.mark.postgres
def test_two_workers_store_one_chain_in_order(served: tuple[WorkersProcess, str]) -> None:
    """Two syncers of one kiosk race the same batches through both workers: every event is
    stored once, in order, linked; the kiosk's row lock in PostgreSQL orders them."""
    server, _dsn = served
    secret = add_kiosk(server.db_url, server.key_file, "WK-2")
    rows = list(event_rows(600, kiosk_tag="wk2"))
    batches = [rows[i:i + 100] for i in range(0, len(rows), 100)]

    def sync_all(_: int) -> list[int]:
        acked = []
        with fresh_client() as client:
            for batch in batches:
                body = batch_body(batch)
                for _attempt in range(20):
                    target, headers = sign_for("WK-2", secret, "POST", "/v1/kiosks/WK-2/events", body)
                    r = client.post(server.base_url + target, content=body,
                                    headers={**headers, "Content-Type": "application/json"})
                    if r.status_code == 200:
                        acked.append(r.json()["acked_through"])
                        break
                    assert r.status_code == 409 and r.json()["error"] == "sequence_gap", r.text
        return acked

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(sync_all, range(2)))
    assert all(acked[-1] == 600 for acked in results), results
    with Store.open(server.db_url, migrate=False) as store:
        stored = store.stored_events("WK-2")
        assert store.kiosk_state("WK-2") == (600, rows[-1][6])
    assert [e["seq"] for e in stored] == list(range(1, 601))
    assert [e["hash"] for e in stored] == [r[6] for r in rows]
    assert all(e["prev_hash"] == (stored[i - 1]["hash"] if i else GENESIS) for i, e in enumerate(stored))


def _heartbeat(base_url: str, kiosk_id: str, secret: bytes, status: dict[str, object]) -> dict[str, object]:
    body = json.dumps(status).encode()
    target, headers = sign_for(kiosk_id, secret, "POST", f"/v1/kiosks/{kiosk_id}/heartbeat", body)
    r = httpx.post(base_url + target, content=body, headers={**headers, "Content-Type": "application/json"},
                   timeout=30)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _check_heartbeat_writes(base_url: str, db_url: str, key_file: Path, kiosk_id: str) -> None:
    secret = add_kiosk(db_url, key_file, kiosk_id)
    printer_ok = {"devices": {"printer": {"ok": True}}, "unsynced_events": 0}
    first = _heartbeat(base_url, kiosk_id, secret, printer_ok)
    assert (first["acked_through"], first["acked_hash"]) == (0, GENESIS)
    again = _heartbeat(base_url, kiosk_id, secret, printer_ok)  # nothing changed but the time
    assert again["received_at"] > first["received_at"]
    with Store.open(db_url, migrate=False) as store:
        row = next(k for k in store.kiosks_overview() if k["kiosk_id"] == kiosk_id)
    assert row["last_heartbeat_at"] == again["received_at"] and row["status"] == printer_ok
    out_of_paper = {"devices": {"printer": {"ok": False, "detail": "out of paper"}}, "unsynced_events": 3}
    changed = _heartbeat(base_url, kiosk_id, secret, out_of_paper)
    with Store.open(db_url, migrate=False) as store:
        row = next(k for k in store.kiosks_overview() if k["kiosk_id"] == kiosk_id)
    assert row["last_heartbeat_at"] == changed["received_at"] and row["status"] == out_of_paper
    assert dt.datetime.fromisoformat(str(changed["received_at"]).replace("Z", "+00:00")).tzinfo is not None


@pytest.mark.postgres
def test_heartbeat_in_one_statement_stores_what_changed(served: tuple[WorkersProcess, str]) -> None:
    server, _dsn = served
    _check_heartbeat_writes(server.base_url, server.db_url, server.key_file, "WK-HB")


def test_heartbeat_stores_what_changed_on_sqlite(sqlite_backend: ThreadedBackend) -> None:
    _check_heartbeat_writes(sqlite_backend.base_url, sqlite_backend.db_url, sqlite_backend.key_file, "WK-HB-LITE")


def test_serve_refuses_a_worker_count_out_of_range() -> None:
    proc = subprocess.run([sys.executable, "-m", "backend", "serve", "--workers", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--workers" in proc.stderr


@pytest.mark.postgres
def test_operator_views_read_the_replica_and_kiosks_the_primary(postgres_server: PostgresServer,
                                                                tmp_path: Path) -> None:
    """``--read-db``: the operator's lists come from the replica; sessions, kiosks' requests
    and their answers from the primary (a second database stands in for the replica)."""
    from backend.operators import hash_password

    primary, replica = fresh_pg(postgres_server, "primary"), fresh_pg(postgres_server, "replica")
    add_kiosk(replica, tmp_path / "master.key", "ONLY-ON-REPLICA")
    server = ThreadedBackend(primary, tmp_path, read_db_url=replica).start()
    try:
        secret = server.add_kiosk("ONLY-ON-PRIMARY")
        with Store.open(primary, migrate=False) as store:
            store.add_operator("alice", hash_password("correct horse battery"))
        beat = _heartbeat(server.base_url, "ONLY-ON-PRIMARY", secret, {"devices": {}})
        assert beat["acked_through"] == 0
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            client.get("/")
            login = client.post("/api/login", json={"username": "alice", "password": "correct horse battery"},
                                headers={"X-CSRF-Token": client.cookies["kb_csrf"]})
            assert login.status_code == 200, login.text
            fleet = client.get("/api/kiosks")
            assert fleet.status_code == 200, fleet.text
            assert [k["kiosk_id"] for k in fleet.json()["kiosks"]] == ["ONLY-ON-REPLICA"]
            assert client.get("/api/transactions").status_code == 200
            assert client.get("/api/incidents").status_code == 200
    finally:
        server.stop()
