"""Test harness for the backend and sync tests: real servers on loopback, fast ledgers.

* :class:`BackendProcess` runs ``python -m backend serve`` (real uvicorn) on a free port;
  it can be killed and restarted on the same port.
* :class:`ThreadedBackend` runs the app under uvicorn in a thread of the test process,
  so a test can hold the provider object.
* :func:`bulk_ledger` writes many chained events straight into a kiosk's SQLite ledger
  with :mod:`kiosk.ledger.chain` (appending one by one with fsync would be too slow).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from backend.app import create_app
from backend.keys import derive_secret, load_master_key
from backend.provider import ProviderAdapter
from backend.settings import BackendSettings
from backend.store import Store
from kiosk.ledger import Ledger
from kiosk.ledger.chain import canonical_json, event_hash, format_at
from kiosk.ledger.store import SQLITE_FILE
from kiosk.sync.signing import canonical_query, signed_headers

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2025, 7, 1, 8, 0, tzinfo=dt.UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base_url: str, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"backend exited with {proc.returncode}")
        try:
            if httpx.get(base_url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"backend at {base_url} not healthy within {timeout} s")


def add_kiosk(db_url: str, key_file: Path, kiosk_id: str, location: str = "") -> bytes:
    master = load_master_key(key_file, create=True)
    with Store.open(db_url) as store:
        return store.add_kiosk(kiosk_id, location, lambda k, g: derive_secret(master, k, g))


class BackendProcess:
    """``kiosk-backend serve`` as a child process (stopped by PID in teardown)."""

    def __init__(self, db_url: str, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.db_url = db_url
        self.workdir = workdir
        self.key_file = workdir / "master.key"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        load_master_key(self.key_file, create=True)

    def start(self) -> None:
        with open(self.workdir / f"backend-{self.port}.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "backend", "serve", "--db", self.db_url, "--port", str(self.port),
                 "--master-key-file", str(self.key_file), "--log-level", "warning"],
                cwd=ROOT, env=self.env, stdout=log, stderr=log)
        wait_healthy(self.base_url, proc=self.proc)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, in-flight transactions are lost mid-way."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def add_kiosk(self, kiosk_id: str, location: str = "") -> bytes:
        return add_kiosk(self.db_url, self.key_file, kiosk_id, location)

    def store(self) -> Store:
        return Store.open(self.db_url, migrate=False)


class ThreadedBackend:
    """The app under uvicorn on a daemon thread of this process."""

    def __init__(self, db_url: str, workdir: Path, provider: ProviderAdapter | None = None,
                 **overrides: Any) -> None:
        self.db_url = db_url
        self.key_file = workdir / "master.key"
        self.settings = BackendSettings(db_url=db_url, master_key_file=self.key_file, **overrides)
        self.app = create_app(self.settings, provider=provider)
        self.backend = self.app.state.backend
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                     log_level="warning", access_log=False, lifespan="on"))
        self._thread = threading.Thread(target=self._server.run, name="test-backend", daemon=True)

    def start(self) -> ThreadedBackend:
        self._thread.start()
        wait_healthy(self.base_url)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(15)

    def add_kiosk(self, kiosk_id: str, location: str = "") -> bytes:
        return add_kiosk(self.db_url, self.key_file, kiosk_id, location)


# --------------------------------------------------------------------------- ledgers


def event_rows(n: int, *, start_seq: int = 1, prev_hash: str | None = None, kiosk_tag: str = "k",
               t0: dt.datetime = T0) -> Iterator[tuple[int, str | None, str, str, str, str, str]]:
    """``n`` chained events: transactions of three events (created, payment, completed)."""
    from kiosk.ledger.chain import GENESIS

    prev = prev_hash or GENESIS
    for seq in range(start_seq, start_seq + n):
        i = seq - 1
        txn = f"{kiosk_tag}-{i // 3:08d}"
        step = i % 3
        at = format_at(t0 + dt.timedelta(seconds=i * 7))
        if step == 0:
            kind, payload = "txn.created", {"state": "created", "msisdn": f"1202555{i % 10000:04d}",
                                            "iccid": "8901260123456789012", "plan_id": "tmo-10gb-30",
                                            "amount_cents": 3000, "currency": "USD", "carrier": "T-Mobile"}
        elif step == 1:
            kind, payload = "txn.state", {"state": "payment_approved", "terminal_receipt_no": f"{i:06d}"}
        else:
            kind, payload = "txn.state", {"state": "completed", "topup_status": "succeeded",
                                          "provider_ref": f"TMO-{i}"}
        text = canonical_json(payload)
        digest = event_hash(prev, seq, txn, at, kind, text)
        yield seq, txn, at, kind, text, prev, digest
        prev = digest


def bulk_ledger(data_dir: Path, n: int, *, kiosk_tag: str = "k", project: bool = False) -> None:
    """Append ``n`` events to the kiosk's SQLite ledger in one transaction (fast path for tests)."""
    Ledger.open("", data_dir).close()  # create and migrate
    conn = sqlite3.connect(data_dir / SQLITE_FILE, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        seq0, head = conn.execute("SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
        rows = list(event_rows(n, start_seq=seq0 + 1, prev_hash=head, kiosk_tag=kiosk_tag))
        conn.executemany("INSERT INTO events (seq, txn_id, at, kind, payload, prev_hash, hash) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1", (rows[-1][0], rows[-1][6]))
        conn.execute("COMMIT")
    finally:
        conn.close()
    if project:
        with Ledger.open("", data_dir) as ledger:
            ledger.rebuild_projection()


def batch_body(rows: list[tuple[int, str | None, str, str, str, str, str]]) -> bytes:
    events = [{"seq": s, "txn_id": t, "at": a, "kind": k, "payload": json.loads(p), "prev_hash": ph, "hash": h}
              for s, t, a, k, p, ph, h in rows]
    return json.dumps({"events": events}, separators=(",", ":")).encode()


#: One client for the helpers below: a new httpx client per request costs ~50 ms (TLS context).
_HTTP = httpx.Client(timeout=30)


def sign_for(kiosk_id: str, secret: bytes, method: str, path: str, body: bytes = b"", *,
             params: list[tuple[str, str]] | None = None, now: dt.datetime | None = None,
             nonce: str | None = None) -> tuple[str, dict[str, str]]:
    """``(path?canonical-query, v2 headers)`` for one request."""
    query = canonical_query(params or [])
    headers = signed_headers(kiosk_id, secret, method, path, query, body, now or dt.datetime.now(dt.UTC), nonce)
    return path + ("?" + query if query else ""), headers


def signed_post(base_url: str, path: str, kiosk_id: str, secret: bytes, body: bytes, *,
                now: dt.datetime | None = None, headers: dict[str, str] | None = None,
                nonce: str | None = None) -> httpx.Response:
    target, h = sign_for(kiosk_id, secret, "POST", path, body, now=now, nonce=nonce)
    h["Content-Type"] = "application/json"
    h.update(headers or {})
    return _HTTP.post(base_url + target, content=body, headers=h)


def signed_get(base_url: str, path: str, kiosk_id: str, secret: bytes, *,
               params: list[tuple[str, str]] | None = None) -> httpx.Response:
    target, h = sign_for(kiosk_id, secret, "GET", path, params=params)
    return _HTTP.get(base_url + target, headers=h)


def custom_rows(specs: list[tuple[str | None, dt.datetime, str, dict[str, Any]]]
                ) -> list[tuple[int, str | None, str, str, str, str, str]]:
    """Chained events from ``(txn_id, at, kind, payload)`` specs, seq from 1."""
    from kiosk.ledger.chain import GENESIS

    rows = []
    prev = GENESIS
    for seq, (txn, at, kind, payload) in enumerate(specs, start=1):
        text = canonical_json(payload)
        at_text = format_at(at)
        digest = event_hash(prev, seq, txn, at_text, kind, text)
        rows.append((seq, txn, at_text, kind, text, prev, digest))
        prev = digest
    return rows


def sales(kiosk: str, days: list[tuple[dt.date, int]], *, stuck: int = 0
          ) -> list[tuple[str | None, dt.datetime, str, dict[str, Any]]]:
    """Completed sales (count per day, $30 each) plus ``stuck`` transactions needing attention."""
    specs: list[tuple[str | None, dt.datetime, str, dict[str, Any]]] = []
    n = 0
    for day, count in days:
        for i in range(count):
            at = dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=i)
            txn = f"{kiosk}-t{n:04d}"
            n += 1
            specs.append((txn, at, "txn.created", {
                "state": "created", "msisdn": "12025550123", "iccid": "8901260123456789012", "carrier": "T-Mobile",
                "plan_id": "tmo-10gb-30", "amount_cents": 3000, "currency": "USD"}))
            specs.append((txn, at + dt.timedelta(seconds=20), "txn.state", {
                "state": "completed", "terminal_receipt_no": f"{n:04d}", "topup_status": "succeeded"}))
    for i in range(stuck):
        at = dt.datetime(days[-1][0].year, days[-1][0].month, days[-1][0].day, 12, i, tzinfo=dt.UTC)
        txn = f"{kiosk}-stuck{i}"
        specs.append((txn, at, "txn.created", {"state": "created", "msisdn": "12025550124", "amount_cents": 6500,
                                               "currency": "USD", "carrier": "AT&T"}))
        specs.append((txn, at + dt.timedelta(seconds=5), "txn.state", {"state": "needs_attention"}))
    return specs
