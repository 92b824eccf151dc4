"""The aggregator monitor's work is done once per interval for the whole fleet of backend
processes sharing one database, not once per worker: ``serve --workers 2`` on PostgreSQL
against a fake DT One that timestamps every catalog fetch and balance check."""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from backend.operators import hash_password
from backend.store import Store
from tests.backend.aggregators.conftest import credentials
from tests.backend.aggregators.fakes import Answer, FakeDTOne, dtone_product
from tests.backend.conftest import fresh_pg
from tests.backend.harness import ROOT, ThreadedBackend, free_port, wait_healthy
from tests.pg import PostgresServer

REFRESH_S = 2.0
PASSWORD = "correct horse battery"


class TimedDTOne(FakeDTOne):
    """Remembers when each catalog fetch (its first page) and each balance check arrived."""

    page_cap = 100

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[float] = []
        self.checks: list[float] = []

    def route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any) -> Answer:
        with self.lock:
            if path == "/v1/products" and query.get("page", "1") == "1":
                self.fetches.append(time.monotonic())
            elif path == "/v1/balances":
                self.checks.append(time.monotonic())
        return super().route(method, path, query, headers, body)


class Fleet:
    """``python -m backend serve --workers 2 --provider dtone`` (stopped by PID)."""

    def __init__(self, db_url: str, workdir: Path, fake: TimedDTOne) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        creds = credentials(workdir / "dtone.json", {"api_key": "dt-key", "api_secret": "dt-secret"})
        env = {**os.environ, "SIMKIOSK_BACKEND_CATALOG_REFRESH_S": str(REFRESH_S),
               "SIMKIOSK_BACKEND_PROVIDER_CHECK_S": "600"}
        with open(workdir / "fleet.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "backend", "serve", "--db", db_url, "--port", str(self.port),
                 "--master-key-file", str(workdir / "master.key"), "--workers", "2", "--log-level", "warning",
                 "--provider", "dtone", "--provider-url", fake.url + "/v1", "--provider-credentials", str(creds)],
                cwd=ROOT, env=env, stdout=log, stderr=log)
        wait_healthy(self.base_url, timeout=60, proc=self.proc)
        self.ready = time.monotonic()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def fake() -> Iterator[TimedDTOne]:
    server = TimedDTOne().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def fleet(postgres_server: PostgresServer, fake: TimedDTOne, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Fleet]:
    url = fresh_pg(postgres_server, "fleet")
    with Store.open(url) as store:
        store.add_operator("alice", hash_password(PASSWORD))
    server = Fleet(url, tmp_path_factory.mktemp("fleet"), fake)
    try:
        yield server
    finally:
        server.stop()


def operator_client(base_url: str) -> tuple[httpx.Client, str]:
    """Logged in; no keep-alive, so each request is a new connection taken by either worker."""
    client = httpx.Client(base_url=base_url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0))
    client.get("/")
    r = client.post("/api/login", json={"username": "alice", "password": PASSWORD},
                    headers={"X-CSRF-Token": client.cookies["kb_csrf"]})
    assert r.status_code == 200, r.text
    return client, r.json()["csrf"]


@pytest.mark.postgres
def test_the_fleet_fetches_the_catalog_once_per_interval(fleet: Fleet, fake: TimedDTOne) -> None:
    time.sleep(max(0.0, fleet.ready + 2.5 * REFRESH_S - time.monotonic()))
    with fake.lock:
        fetches, checks = list(fake.fetches), list(fake.checks)
    assert len(fetches) >= 2, fetches  # the monitor runs: at start and again after the interval
    gaps = [b - a for a, b in itertools.pairwise(fetches)]
    assert min(gaps) >= 0.5 * REFRESH_S, gaps  # two workers each on their own would fetch together
    assert len(checks) == 1, checks  # one balance check at start for the fleet (the interval is 600 s)


@pytest.mark.postgres
def test_every_worker_shows_the_same_check(fleet: Fleet, fake: TimedDTOne) -> None:
    client, csrf = operator_client(fleet.base_url)
    with contextlib.closing(client):
        fake.balance = 123.45
        checked = client.post("/api/provider/check", headers={"X-CSRF-Token": csrf})
        assert checked.status_code == 200, checked.text
        assert checked.json()["health"]["balance_cents"] == 12345
        shown = [client.get("/api/provider").json()["health"] for _ in range(12)]
        shown += [client.get("/api/kiosks").json()["provider"]["health"] for _ in range(4)]
    assert all(h == checked.json()["health"] for h in shown), shown


@pytest.mark.postgres
def test_two_concurrent_refreshes_of_a_new_plan_both_succeed(fleet: Fleet, fake: TimedDTOne) -> None:
    with fake.lock:
        fake.products.append(dtone_product(501, "T-Mobile USA", 25, name="T-Mobile 25"))
    client, csrf = operator_client(fleet.base_url)

    def refresh(_: int) -> httpx.Response:
        return client.post("/api/catalog/refresh", headers={"X-CSRF-Token": csrf})

    with contextlib.closing(client), concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(refresh, range(2)))
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    with Store.open(fleet.db_url, migrate=False) as store:
        assert [p["plan_id"] for p in store.catalog_plans()].count("dt-501") == 1


@pytest.mark.postgres
def test_a_refresh_meeting_a_concurrent_insert_of_the_same_plan_succeeds(postgres_server: PostgresServer) -> None:
    """Another process's refresh has inserted the new plan but not committed yet: this one's
    insert waits on the primary key, then finds it there (no unique violation)."""
    url = fresh_pg(postgres_server, "race")
    plan = {"id": "dt-9", "carrier": "T-Mobile", "name": "T-Mobile 9", "price_cents": 900, "currency": "USD",
            "validity_days": 30, "benefits": []}
    dsn = f"host=127.0.0.1 port={postgres_server.port} user={postgres_server.user} dbname={url.rsplit('/', 1)[1]}"
    with Store.open(url) as store, psycopg.connect(dsn) as other:
        other.execute("INSERT INTO catalog_plans (plan_id, carrier, name, price_cents, currency, validity_days,"
                      " benefits, position, source, first_seen_at, updated_at) VALUES ('dt-9', 'T-Mobile',"
                      " 'T-Mobile 9', 900, 'USD', 30, '[]', 0, 'dtone', 'x', 'x')")
        outcome: list[object] = []
        worker = threading.Thread(target=lambda: outcome.append(_apply(store, plan)))
        worker.start()
        with psycopg.connect(dsn, autocommit=True) as watcher:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not watcher.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]:  # type: ignore[index]
                time.sleep(0.02)
        other.commit()
        worker.join(30)
        assert outcome and not isinstance(outcome[0], Exception), outcome
        assert [p["plan_id"] for p in store.catalog_plans()] == ["dt-9"]


def _apply(store: Store, plan: dict[str, Any]) -> object:
    try:
        return store.apply_catalog("dtone", [plan])
    except Exception as exc:  # the test asserts on it
        return exc


def test_an_on_demand_refresh_while_one_runs_elsewhere_is_refused_in_one_line(tmp_path: Path) -> None:
    """SQLite: the fleet lock is a file lock beside the database; a refresh another process
    holds makes the operator's refresh wait a bounded time, then answer 409."""
    server = ThreadedBackend(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path).start()
    try:
        server.backend.store.add_operator("alice", hash_password(PASSWORD))
        monitor = server.app.state.monitor
        monitor.on_demand_wait_s = 0.3
        client, csrf = operator_client(server.base_url)
        with contextlib.closing(client), Store.open(server.db_url, migrate=False) as other, \
                other.exclusive(monitor.lock_name("catalog")) as held:
            assert held
            r = client.post("/api/catalog/refresh", headers={"X-CSRF-Token": csrf})
            assert (r.status_code, r.json()["error"]) == (409, "refresh_in_progress"), r.text
            assert "\n" not in r.json()["message"]
        client, csrf = operator_client(server.base_url)
        with contextlib.closing(client):
            assert client.post("/api/catalog/refresh", headers={"X-CSRF-Token": csrf}).status_code == 200
    finally:
        server.stop()


def test_a_recent_run_stored_by_another_process_is_not_repeated(tmp_path: Path) -> None:
    """SQLite, the "last run" rule: a monitor that finds the stored check recent skips it and
    shows that stored result; one past the interval checks again."""
    from backend.monitor import ProviderMonitor

    db = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    server = ThreadedBackend(db, tmp_path).start()
    try:
        monitor: ProviderMonitor = server.app.state.monitor
        deadline = time.monotonic() + 20
        while monitor.status()["health"] is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the monitor thread's first check, at start
        first = monitor.status()["health"]
        assert first is not None and first["ok"] is True
        with Store.open(db, migrate=False) as store:
            row = store.aggregator_run(monitor.aggregator, "check")
        assert row is not None
        assert monitor.run_scheduled("check") > 200  # the 300 s interval, counted from the stored run
        assert store_row(db, monitor.aggregator)["started_ms"] == row["started_ms"]
        with Store.open(db, migrate=False) as store:
            store.record_aggregator_run(monitor.aggregator, "check", started_ms=row["started_ms"] - 301_000,
                                        ok=False, result={"ok": False, "detail": "elsewhere"}, error="down",
                                        runner="other[1]")
        assert monitor.status()["ok"] is False  # shown from the database, not this process's memory
        monitor.run_scheduled("check")
        assert monitor.status()["ok"] is True and store_row(db, monitor.aggregator)["runner"] != "other[1]"
    finally:
        server.stop()


def store_row(db: str, aggregator: str) -> dict[str, Any]:
    with Store.open(db, migrate=False) as store:
        row = store.aggregator_run(aggregator, "check")
    assert row is not None
    return row


@pytest.mark.postgres
def test_the_fleet_lock_on_postgres(postgres_url: str) -> None:
    """One holder across processes (two stores stand in for two); a waiter gives up after its
    bound; work under the lock may use a pool of one (the lock has its own connection)."""
    with Store.open(postgres_url, pool_size=1) as a, Store.open(postgres_url, migrate=False) as b:
        with a.exclusive("job") as held:
            assert held
            assert a.catalog_version() is None  # the pool's only connection is free
            started = time.monotonic()
            with b.exclusive("job", wait_s=0.3) as other:
                assert not other
            assert time.monotonic() - started >= 0.3
            with b.exclusive("another job") as other:
                assert other
        with b.exclusive("job") as other:
            assert other
