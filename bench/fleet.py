"""Fleet load: N simulated kiosks against ``kiosk-backend serve`` on PostgreSQL, for growing N.

An outside load generator, written from the documents only (``docs/upstream-api.md``,
``docs/backend.md``, DESIGN section 5 and the signature v2 specification): it signs its own
requests, builds its own hash chains and knows the backend only through its command line and
HTTP API. The one exception is registration: ``kiosk-backend add-kiosk`` costs ~2 s per process,
so after registering the first kiosk through the CLI (which also creates the master key) the
rest are registered through ``backend.store.Store.add_kiosk`` in a child process, in the setup
phase only (``python bench/fleet.py register ...``).

Each simulated kiosk has its own secret and
  * sends a signed heartbeat every ``--heartbeat-s`` (60 s), the fleet's phases spread evenly
    over the interval, each beat jittered;
  * sells at ``--sale-interval-s`` (one sale per kiosk per 20 minutes, Poisson): ``POST
    /v1/topups`` (through the backend's simulated provider; a share of numbers answer
    ``pending`` and are polled with ``GET /v1/topups/{key}``, a share fail), then the sale's
    ledger events (a valid hash chain per kiosk) in one ``POST /v1/kiosks/{id}/events``,
    one sync in flight per kiosk, ``acked_through`` tracked per kiosk, failures retried.

The load is open-loop: every heartbeat and every sale starts at its scheduled time whatever
the server is doing, and its latency is measured from that time, so a slow server shows up
as latency and backlog, not as a politely slower client (the follow-up requests of one sale
depend on the previous answer, as on a real kiosk). Requests share a bounded pool of
keep-alive connections (``--connections``), as they would behind the TLS-terminating proxy
the backend is meant to run behind.

For each N: requests/s offered and achieved, p50/p99 per endpoint, errors by kind, the CPU
used by the backend processes, by PostgreSQL and by this generator (``/proc/<pid>/stat``
deltas over the measured window, children included) and per request, the rest of the
machine's load, and a verdict naming the limit. The knee is the largest N whose step had no
error and every endpoint's p99 under ``--p99-ms``. At the end every event the server acked is
checked in the database (read-only SQL): stored once, same hash, chain linked; every top-up
answered exists once.

Run: ``make bench-fleet`` or ``.venv/bin/python bench/fleet.py [--steps 2500,5000,...]
[--signature v1|v2|auto] [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import heapq
import hmac
import itertools
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GENESIS = "0" * 64
DEFAULT_STEPS = (2_500, 5_000, 10_000, 20_000, 30_000, 40_000)
ENDPOINTS = ("heartbeat", "topup", "topup_get", "events")
CLK_TCK = os.sysconf("SC_CLK_TCK")
MAX_BATCH = 1000  # events per request, as a kiosk sends by default


class FleetError(Exception):
    """The bench cannot run (setup failed, server refused the probe); the message says why."""


# --------------------------------------------------------------------------- signing (from the spec)


def utc_stamp(now: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))


def canonical_query(pairs: Sequence[tuple[str, str]]) -> str:
    """Signature v2 QUERY: pairs sorted by name then value, each RFC 3986-encoded, '&'-joined."""
    return "&".join(f"{quote(k, safe='-._~')}={quote(v, safe='-._~')}" for k, v in sorted(pairs))


def sign_v1(secret: bytes, timestamp: str, body: bytes) -> dict[str, str]:
    """v1: hex HMAC-SHA256 over ``timestamp "\\n" body`` (docs/upstream-api.md)."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"\n" + body, hashlib.sha256).hexdigest()
    return {"X-Timestamp": timestamp, "X-Signature": mac}


def v2_canonical(method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join((method, path, query, timestamp, nonce, hashlib.sha256(body).hexdigest())).encode("utf-8")


def sign_v2(secret: bytes, method: str, path: str, query: Sequence[tuple[str, str]], timestamp: str,
            body: bytes, nonce: str | None = None) -> dict[str, str]:
    """v2: ``v2:<hex HMAC>`` over METHOD, PATH, QUERY, timestamp, nonce, hex(SHA-256(body))."""
    nonce = nonce or os.urandom(16).hex()
    message = v2_canonical(method, path, canonical_query(query), timestamp, nonce, body)
    mac = hmac.new(secret, message, hashlib.sha256).hexdigest()
    return {"X-Timestamp": timestamp, "X-Nonce": nonce, "X-Signature": "v2:" + mac}


def signed_headers(scheme: str, kiosk_id: str, secret: bytes, method: str, path: str, body: bytes,
                   timestamp: str, query: Sequence[tuple[str, str]] = ()) -> dict[str, str]:
    if scheme == "v1":
        headers = sign_v1(secret, timestamp, body)
    else:
        headers = sign_v2(secret, method, path, query, timestamp, body)
    headers["X-Kiosk-Id"] = kiosk_id
    if method == "POST":
        headers["Content-Type"] = "application/json"
    return headers


# --------------------------------------------------------------------------- the hash chain (from DESIGN 4)


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def chain_hash(prev_hash: str, seq: int, txn_id: str | None, at: str, kind: str, payload: dict[str, Any]) -> str:
    """``sha256(prev_hash || canonical_json(row))``, row = at, kind, payload, seq, txn_id (sorted keys)."""
    row = {"at": at, "kind": kind, "payload": payload, "seq": seq, "txn_id": txn_id}
    return hashlib.sha256((prev_hash + canonical_json(row)).encode("utf-8")).hexdigest()


def event_at(now: float) -> str:
    """Fixed-width UTC with microseconds, as the ledger stores ``at``."""
    return dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --------------------------------------------------------------------------- CPU accounting


def _own_cpu_s() -> float:
    """This process alone (all threads), without its children: the backend and PostgreSQL are ours."""
    with open("/proc/self/stat", "rb") as fh:
        raw = fh.read()
    rest = raw[raw.rfind(b")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, utime+stime+cutime+cstime ticks) for every live process."""
    table: dict[int, tuple[int, int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                raw = fh.read()
        except OSError:
            continue  # exited meanwhile
        rest = raw[raw.rfind(b")") + 2:].split()
        table[int(name)] = (int(rest[1]), int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14]))
    return table


def tree_cpu_s(table: dict[int, tuple[int, int]], root: int) -> float:
    """CPU seconds of ``root`` and all its live descendants, reaped children included.

    A child that exits moves its time into its parent's cutime/cstime, so the sum over the
    live tree of utime+stime+cutime+cstime only ever grows (PostgreSQL forks a process per
    connection; those that close between two snapshots are still counted)."""
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _ticks) in table.items():
        children[ppid].append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo.extend(children.get(pid, ()))
    return total / CLK_TCK


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, from /proc/stat."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    busy = user + nice + system + irq + softirq + steal
    return busy / CLK_TCK, (busy + idle + iowait) / CLK_TCK


@dataclasses.dataclass(frozen=True)
class CpuSnapshot:
    at: float
    backend: float
    postgres: float
    generator: float
    busy: float
    total: float
    #: pg_stat_database of the bench database: sessions opened, transactions committed, rolled back
    db: tuple[int, int, int] = (0, 0, 0)

    @classmethod
    def take(cls, backend_pid: int, postgres_pid: int, db: tuple[int, int, int] = (0, 0, 0)) -> CpuSnapshot:
        table = _proc_table()
        busy, total = machine_cpu()
        return cls(time.monotonic(), tree_cpu_s(table, backend_pid), tree_cpu_s(table, postgres_pid),
                   _own_cpu_s(), busy, total, db)


# --------------------------------------------------------------------------- HTTP clients


class Transport:
    """One bounded keep-alive pool; ``request`` returns (status, body) or raises the library's error."""

    name = "?"

    async def request(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    @staticmethod
    def error_kind(exc: BaseException) -> str:
        return type(exc).__name__


class AiohttpTransport(Transport):
    name = "aiohttp"

    def __init__(self, connections: int, timeout_s: float) -> None:
        import aiohttp

        # keep-alive shorter than uvicorn's 5 s, so a pooled connection is never one the server closed
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=3.0),
            timeout=aiohttp.ClientTimeout(total=timeout_s))

    async def request(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        async with self._session.request(method, url, data=body or None, headers=headers) as resp:
            return resp.status, await resp.read()

    async def close(self) -> None:
        await self._session.close()

    @staticmethod
    def error_kind(exc: BaseException) -> str:
        if isinstance(exc, TimeoutError):
            return "timeout"
        return type(exc).__name__


class HttpxTransport(Transport):
    name = "httpx"

    def __init__(self, connections: int, timeout_s: float) -> None:
        import httpx

        self._client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections,
                                keepalive_expiry=3.0),
            timeout=httpx.Timeout(timeout_s, pool=timeout_s))

    async def request(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        resp = await self._client.request(method, url, content=body or None, headers=headers)
        return resp.status_code, resp.content

    async def close(self) -> None:
        await self._client.aclose()

    @staticmethod
    def error_kind(exc: BaseException) -> str:
        import httpx

        if isinstance(exc, httpx.TimeoutException | TimeoutError):
            return "timeout"
        return type(exc).__name__


TRANSPORTS: dict[str, Callable[[int, float], Transport]] = {"aiohttp": AiohttpTransport, "httpx": HttpxTransport}


# --------------------------------------------------------------------------- statistics


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest rank; NaN for no values."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(p * len(sorted_values)) - 1)]


@dataclasses.dataclass
class StepStats:
    n: int
    window: tuple[float, float]
    latencies: dict[str, list[float]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    lags: list[float] = dataclasses.field(default_factory=list)
    errors: Counter[str] = dataclasses.field(default_factory=Counter)
    offered: int = 0
    completed: int = 0
    max_inflight: int = 0
    backlog_at_end: int = 0
    sales: int = 0
    events_acked: int = 0

    def in_window(self, t: float) -> bool:
        return self.window[0] <= t < self.window[1]


@dataclasses.dataclass
class StepResult:
    n: int
    duration_s: float
    offered_rps: float
    achieved_rps: float
    per_endpoint: dict[str, dict[str, float]]
    errors: dict[str, int]
    lag_p99_ms: float
    backlog_at_end: int
    max_inflight: int
    sales: int
    events_acked: int
    cpu: dict[str, float]  # shares of one core over the window
    cpu_ms_per_request: dict[str, float]
    db_sessions_per_s: float
    db_commits_per_request: float
    db_rollbacks_per_request: float
    passed: bool
    limit: str
    verdict: str


# --------------------------------------------------------------------------- the simulated kiosk


@dataclasses.dataclass(eq=False)
class Kiosk:
    kiosk_id: str
    secret: bytes
    seq: int = 0
    head: str = GENESIS
    acked: int = 0
    hashes: list[str] = dataclasses.field(default_factory=list)  # hashes[seq - 1]
    encoded: list[bytes] = dataclasses.field(default_factory=list)  # encoded[seq - 1]
    syncing: bool = False
    selling: bool = False
    sync_failures: int = 0
    retry: asyncio.TimerHandle | None = None
    receipt_no: int = 0

    def append(self, txn_id: str, kind: str, payload: dict[str, Any], now: float) -> None:
        self.seq += 1
        at = event_at(now)
        digest = chain_hash(self.head, self.seq, txn_id, at, kind, payload)
        event = {"seq": self.seq, "txn_id": txn_id, "at": at, "kind": kind, "payload": payload,
                 "prev_hash": self.head, "hash": digest}
        self.encoded.append(json.dumps(event, separators=(",", ":")).encode("utf-8"))
        self.hashes.append(digest)
        self.head = digest


@dataclasses.dataclass(frozen=True)
class Plan:
    plan_id: str
    carrier: str
    name: str
    price_cents: int
    currency: str
    validity_days: int


FAULT_SUFFIXES = ("0000", "0503", "0429", "0202")  # the simulated provider's fault numbers (docs/backend.md)
CARD_BRANDS = ("VISA", "MASTERCARD", "AMEX", "DISCOVER")


def sale_events(kiosk: Kiosk, txn_id: str, plan: Plan, msisdn: str, iccid: str, record: dict[str, Any] | None,
                rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """The ledger events of one card sale, as the saga journals them (DESIGN 3)."""
    kiosk.receipt_no += 1
    receipt_no = f"{kiosk.receipt_no % 10000:04d}"
    trace_no = f"{rng.randrange(1_000_000):06d}"
    events: list[tuple[str, dict[str, Any]]] = [
        ("txn.created", {"state": "created", "carrier": plan.carrier, "msisdn": msisdn, "iccid": iccid,
                         "plan_id": plan.plan_id, "plan_name": plan.name, "validity_days": plan.validity_days,
                         "amount_cents": plan.price_cents, "currency": plan.currency, "preauth": False,
                         "kiosk_id": kiosk.kiosk_id, "method": "sale"}),
        ("txn.payment_requested", {"state": "payment_requested", "baseline": f"{(kiosk.receipt_no - 1) % 10000:04d}"}),
        ("txn.payment_approved", {"state": "payment_approved", "terminal_receipt_no": receipt_no,
                                  "terminal_trace_no": trace_no, "card_brand": rng.choice(CARD_BRANDS),
                                  "pan_masked": f"************{rng.randrange(10000):04d}",
                                  "amount_cents": plan.price_cents}),
        ("txn.topup_requested", {"state": "topup_requested"}),
    ]
    status = (record or {}).get("status")
    if status == "succeeded":
        events += [
            ("txn.topup_succeeded", {"state": "topup_succeeded", "topup_status": "succeeded",
                                     "provider_ref": record.get("provider_ref") if record else None,
                                     "topup_message": str((record or {}).get("message", ""))}),
            ("txn.completed", {"state": "completed"}),
            ("txn.receipt", {"print": True, "receipt": {
                "kiosk_id": kiosk.kiosk_id, "txn_id": txn_id, "lines": [
                    "SIMKIOSK PREPAID TOP-UP", f"{plan.carrier} {plan.name}",
                    f"Phone  *******{msisdn[-4:]}", f"Amount {plan.price_cents / 100:.2f} {plan.currency}",
                    f"Card   {events[2][1]['card_brand']} {events[2][1]['pan_masked']}",
                    f"Receipt {receipt_no}  Trace {trace_no}",
                    f"Provider ref {(record or {}).get('provider_ref')}", "Thank you"]}}),
        ]
    elif status == "failed":
        events += [
            ("txn.topup_failed", {"state": "topup_failed", "topup_status": "failed",
                                  "failure_kind": (record or {}).get("failure_kind"),
                                  "topup_message": str((record or {}).get("message", ""))}),
            ("txn.reversal_requested", {"state": "reversal_requested"}),
            ("txn.reversed", {"state": "reversed", "terminal_receipt_no": f"{(kiosk.receipt_no + 1) % 10000:04d}"}),
            ("txn.completed", {"state": "completed"}),
        ]
        kiosk.receipt_no += 1
    else:  # no definite answer: the kiosk leaves it to recovery
        events.append(("txn.topup_unknown", {"state": "topup_unknown", "topup_status": status or "unknown"}))
    return events


# --------------------------------------------------------------------------- the generator


@dataclasses.dataclass(frozen=True)
class LoadProfile:
    heartbeat_s: float = 60.0
    heartbeat_jitter_s: float = 1.0
    sale_interval_s: float = 1200.0
    pending_share: float = 0.05
    failed_share: float = 0.02
    pending_poll_s: float = 2.0
    retry_s: float = 5.0
    #: --quick: outcomes in turn instead of drawn, so a short run surely takes every path
    outcome_cycle: tuple[str, ...] = ()


class Fleet:
    """The simulated kiosks and the open-loop scheduler."""

    def __init__(self, base_url: str, scheme: str, transport: Transport, profile: LoadProfile,
                 plans: Sequence[Plan], seed: int) -> None:
        self.base_url = base_url
        self.scheme = scheme
        self.transport = transport
        self.profile = profile
        self.plans = list(plans)
        self.rng = random.Random(seed)
        self.kiosks: list[Kiosk] = []
        self.topups: dict[str, tuple[str, bool]] = {}  # key -> (kiosk id, answered by the server)
        self.errors_total: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()  # requests per endpoint over the whole run
        self.sales_started = 0
        self.stats: StepStats | None = None
        self.inflight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._stamp = (0, "")

    # ------------------------------------------------------------------ requests

    def _timestamp(self) -> str:
        now = int(time.time())
        if self._stamp[0] != now:
            self._stamp = (now, utc_stamp(now))
        return self._stamp[1]

    async def call(self, kiosk: Kiosk, endpoint: str, method: str, path: str, body: bytes,
                   scheduled: float, *, open_loop: bool) -> tuple[int, bytes] | None:
        """Send one signed request; record latency from ``scheduled``; None on a transport error."""
        loop = asyncio.get_running_loop()
        stats = self.stats
        counted = stats is not None and stats.in_window(scheduled)
        if stats is not None and counted:
            stats.offered += 1
            if open_loop:
                stats.lags.append(loop.time() - scheduled)
        headers = signed_headers(self.scheme, kiosk.kiosk_id, kiosk.secret, method, path, body, self._timestamp())
        self.sent[endpoint] += 1
        self.inflight += 1
        if stats is not None and self.inflight > stats.max_inflight:
            stats.max_inflight = self.inflight
        error: str | None = None
        reply: tuple[int, bytes] | None = None
        try:
            reply = await self.transport.request(method, self.base_url + path, body, headers)
        except Exception as exc:  # any transport failure is a result to count, not a crash
            error = self.transport.error_kind(exc)
        finally:
            self.inflight -= 1
        done = loop.time()
        if reply is not None and reply[0] >= 300:
            error = f"HTTP {reply[0]} {_error_code(reply[1])}"
        if error is not None:
            self.errors_total[f"{endpoint}: {error}"] += 1
        if stats is not None:
            if stats.in_window(done):
                stats.completed += 1
            if counted:
                stats.latencies[endpoint].append(done - scheduled)
                if error is not None:
                    stats.errors[f"{endpoint}: {error}"] += 1
        return reply

    def note_error(self, endpoint: str, what: str) -> None:
        """A reply that arrived but breaks the contract (bad JSON, wrong acked_hash...)."""
        self.errors_total[f"{endpoint}: {what}"] += 1
        if self.stats is not None:
            self.stats.errors[f"{endpoint}: {what}"] += 1

    def spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ kiosk behaviour

    async def heartbeat(self, kiosk: Kiosk, scheduled: float) -> None:
        body = {
            "kiosk_id": kiosk.kiosk_id, "at": self._timestamp(),
            "devices": {"reader": {"ok": True, "detail": "ACR39U", "advice": ""},
                        "printer": {"ok": True, "detail": "ready", "advice": ""},
                        "terminal": {"ok": True, "detail": "ZVT ready", "advice": ""},
                        "disk": {"ok": True, "detail": "5123 MiB free", "advice": ""}},
            "last_seq": kiosk.seq, "acked_through": kiosk.acked, "unsynced_events": kiosk.seq - kiosk.acked,
            "needs_attention": 0,
            "sync": {"last_success_at": None, "last_error": None, "failures": kiosk.sync_failures},
        }
        await self.call(kiosk, "heartbeat", "POST", f"/v1/kiosks/{kiosk.kiosk_id}/heartbeat",
                        json.dumps(body, separators=(",", ":")).encode(), scheduled, open_loop=True)

    def _number(self, outcome: str) -> str:
        rng = self.rng
        suffix = {"pending": "0202", "failed": "0000"}.get(outcome)
        while suffix is None:
            candidate = f"{rng.randrange(10000):04d}"
            suffix = None if candidate in FAULT_SUFFIXES else candidate
        return f"1{rng.randrange(201, 990)}555{suffix}"

    async def sale(self, kiosk: Kiosk, scheduled: float) -> None:
        loop = asyncio.get_running_loop()
        rng, profile = self.rng, self.profile
        draw = rng.random()
        outcome = ("pending" if draw < profile.pending_share
                   else "failed" if draw < profile.pending_share + profile.failed_share else "ok")
        if profile.outcome_cycle:
            outcome = profile.outcome_cycle[self.sales_started % len(profile.outcome_cycle)]
        self.sales_started += 1
        plan = rng.choice(self.plans)
        msisdn = self._number(outcome)
        iccid = f"8901{rng.randrange(10**15):015d}"
        key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.topups[key] = (kiosk.kiosk_id, False)
        if self.stats is not None and self.stats.in_window(scheduled):
            self.stats.sales += 1
        body = json.dumps({"key": key, "msisdn": msisdn, "carrier": plan.carrier, "iccid": iccid,
                           "plan_id": plan.plan_id, "amount_cents": plan.price_cents, "currency": plan.currency,
                           "kiosk_id": kiosk.kiosk_id}, separators=(",", ":")).encode()
        try:
            reply = await self.call(kiosk, "topup", "POST", "/v1/topups", body, scheduled, open_loop=True)
            record = self._record(reply, key, "topup")
            polls = 0
            while (record is None or record.get("status") == "pending") and polls < 5:
                # pending or outcome unknown: the kiosk asks for the record, never resubmits
                polls += 1
                await asyncio.sleep(profile.pending_poll_s)
                reply = await self.call(kiosk, "topup_get", "GET", f"/v1/topups/{key}", b"", loop.time(),
                                        open_loop=False)
                record = self._record(reply, key, "topup_get") or record
            for kind, payload in sale_events(kiosk, key, plan, msisdn, iccid, record, rng):
                kiosk.append(key, kind, payload, time.time())
        finally:
            kiosk.selling = False
        await self.sync(kiosk)

    def _record(self, reply: tuple[int, bytes] | None, key: str, endpoint: str) -> dict[str, Any] | None:
        if reply is None or reply[0] >= 300:
            return None
        try:
            record = json.loads(reply[1])
        except ValueError:
            self.note_error(endpoint, "reply is not JSON")
            return None
        if not isinstance(record, dict) or record.get("key") != key or record.get("status") not in (
                "pending", "succeeded", "failed", "not_found"):
            self.note_error(endpoint, "reply is not a top-up record for the key")
            return None
        if record["status"] != "not_found":
            self.topups[key] = (self.topups[key][0], True)
        return record

    async def sync(self, kiosk: Kiosk) -> None:
        """Send what the backend has not acked, one batch in flight per kiosk (as SyncService does)."""
        if kiosk.syncing:
            return
        kiosk.syncing = True
        if kiosk.retry is not None:
            kiosk.retry.cancel()
            kiosk.retry = None
        loop = asyncio.get_running_loop()
        try:
            while kiosk.acked < kiosk.seq:
                first, last = kiosk.acked + 1, min(kiosk.seq, kiosk.acked + MAX_BATCH)
                body = b'{"events":[' + b",".join(kiosk.encoded[first - 1:last]) + b"]}"
                reply = await self.call(kiosk, "events", "POST", f"/v1/kiosks/{kiosk.kiosk_id}/events", body,
                                        loop.time(), open_loop=False)
                if not self._take_ack(kiosk, reply, last):
                    kiosk.sync_failures += 1
                    delay = min(60.0, self.profile.retry_s * 2 ** min(kiosk.sync_failures - 1, 4))
                    kiosk.retry = loop.call_later(delay * (0.5 + self.rng.random() / 2), self._retry, kiosk)
                    return
                kiosk.sync_failures = 0
        finally:
            kiosk.syncing = False

    def _retry(self, kiosk: Kiosk) -> None:
        kiosk.retry = None
        self.spawn(self.sync(kiosk))

    def _take_ack(self, kiosk: Kiosk, reply: tuple[int, bytes] | None, last_sent: int) -> bool:
        if reply is None:
            return False
        status, raw = reply
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if status == 409 and isinstance(data, dict) and data.get("error") == "sequence_gap":
            rewind = data.get("acked_through")
            if isinstance(rewind, int) and 0 <= rewind <= kiosk.seq:
                kiosk.acked = rewind  # the backend lost events: resend from its position
                return True
            return False
        if status != 200:
            return False
        acked = data.get("acked_through") if isinstance(data, dict) else None
        if not isinstance(acked, int) or acked < 0:
            self.note_error("events", "ack without acked_through")
            return False
        if acked > last_sent:
            self.note_error("events", "acked_through past the last event sent")
            acked = last_sent
        acked_hash = data.get("acked_hash") if isinstance(data, dict) else None
        if acked_hash is not None and acked > 0 and acked_hash != kiosk.hashes[acked - 1]:
            self.note_error("events", "acked_hash differs from the kiosk's chain")
            return False
        if acked <= kiosk.acked:
            self.note_error("events", "ack made no progress")
            return False
        if self.stats is not None:
            self.stats.events_acked += acked - kiosk.acked
        kiosk.acked = acked
        return True

    # ------------------------------------------------------------------ one step

    async def run_step(self, n: int, warmup_s: float, duration_s: float, drain_s: float,
                       snapshot: Callable[[], CpuSnapshot]) -> tuple[StepStats, list[CpuSnapshot]]:
        """Warm-up, then the measured window; CPU sampled every second of it; then drain."""
        loop = asyncio.get_running_loop()
        profile, rng = self.profile, self.rng
        kiosks = self.kiosks[:n]
        start = loop.time() + 0.2
        window = (start + warmup_s, start + warmup_s + duration_s)
        stats = self.stats = StepStats(n, window)
        slots = list(range(n))
        rng.shuffle(slots)
        beats = [(start + (slot + rng.random()) * profile.heartbeat_s / n, i) for i, slot in enumerate(slots)]
        heapq.heapify(beats)
        sale_rate = n / profile.sale_interval_s
        next_sale = start + rng.expovariate(sale_rate)
        snaps: list[CpuSnapshot] = []
        sampler = asyncio.ensure_future(_sample(snapshot, window, snaps))
        end = window[1]
        while True:
            due_beat = beats[0][0]
            due = min(due_beat, next_sale)
            if due >= end:
                break
            now = loop.time()
            if due > now:
                await asyncio.sleep(due - now)
                continue
            if due_beat <= next_sale:
                _, i = heapq.heappop(beats)
                self.spawn(self.heartbeat(kiosks[i], due_beat))
                jitter = (rng.random() * 2 - 1) * profile.heartbeat_jitter_s
                heapq.heappush(beats, (due_beat + profile.heartbeat_s + jitter, i))
            else:
                for _ in range(8):  # a kiosk sells one customer at a time
                    kiosk = kiosks[rng.randrange(n)]
                    if not kiosk.selling:
                        kiosk.selling = True
                        self.spawn(self.sale(kiosk, next_sale))
                        break
                next_sale += rng.expovariate(sale_rate)
        await sampler
        stats.backlog_at_end = self.inflight
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=drain_s)
        for kiosk in kiosks:
            if kiosk.retry is not None:
                kiosk.retry.cancel()
                kiosk.retry = None
        leftover = list(self._tasks)
        for task in leftover:
            task.cancel()
        await asyncio.gather(*leftover, return_exceptions=True)
        for kiosk in kiosks:
            kiosk.selling = False
        self.stats = None
        return stats, snaps

    async def _flush_one(self, kiosk: Kiosk, gate: asyncio.Semaphore) -> None:
        async with gate:
            kiosk.syncing = False
            await self.sync(kiosk)

    async def flush(self, rounds: int = 5) -> None:
        """After the steps: every kiosk sends what is still unacked (closed loop, not measured)."""
        gate = asyncio.Semaphore(32)
        for _ in range(rounds):
            todo = [k for k in self.kiosks if k.acked < k.seq]
            if not todo:
                return
            await asyncio.gather(*(self._flush_one(k, gate) for k in todo))
            for kiosk in todo:
                if kiosk.retry is not None:
                    kiosk.retry.cancel()
                    kiosk.retry = None


async def _sample(snapshot: Callable[[], CpuSnapshot], window: tuple[float, float],
                  out: list[CpuSnapshot]) -> None:
    """A snapshot at the window's start, every second in it, and at its end."""
    loop = asyncio.get_running_loop()
    at = window[0]
    while True:
        await asyncio.sleep(max(0.0, at - loop.time()))
        out.append(await asyncio.to_thread(snapshot))  # reading /proc and one query: off the event loop
        if at >= window[1]:
            return
        at = min(at + 1.0, window[1])


def _error_code(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return "(no JSON body)"
    return str(data.get("error", "?")) if isinstance(data, dict) else "?"


# --------------------------------------------------------------------------- evaluation


def evaluate(stats: StepStats, snaps: Sequence[CpuSnapshot], p99_limit_ms: float) -> StepResult:
    before, after = snaps[0], snaps[-1]
    duration = after.at - before.at
    # per second: how often the machine had no CPU left, and the most other processes took
    seconds = [(b.busy - a.busy, b.total - a.total, (b.busy - a.busy) - (b.backend - a.backend)
                - (b.postgres - a.postgres) - (b.generator - a.generator)) for a, b in itertools.pairwise(snaps)]
    saturated = sum(1 for busy, total, _ in seconds if total > 0 and busy > 0.95 * total) / max(1, len(seconds))
    others_peak = max((o / (b.at - a.at) for (_, _, o), (a, b) in zip(seconds, itertools.pairwise(snaps),
                                                                       strict=True)), default=0.0)
    per_endpoint: dict[str, dict[str, float]] = {}
    for endpoint in ENDPOINTS:
        values = sorted(stats.latencies.get(endpoint, ()))
        if values:
            per_endpoint[endpoint] = {"count": len(values), "p50_ms": percentile(values, 0.5) * 1e3,
                                      "p99_ms": percentile(values, 0.99) * 1e3, "max_ms": values[-1] * 1e3}
    lags = sorted(stats.lags)
    lag_p99 = percentile(lags, 0.99) * 1e3 if lags else 0.0
    core = {"backend": (after.backend - before.backend) / duration,
            "postgres": (after.postgres - before.postgres) / duration,
            "generator": (after.generator - before.generator) / duration}
    busy = (after.busy - before.busy) / duration
    cores = (after.total - before.total) / duration
    core["machine"] = busy
    core["others"] = max(0.0, busy - core["backend"] - core["postgres"] - core["generator"])
    core["others_peak"] = max(0.0, others_peak)
    core["saturated_share"] = saturated
    core["cores"] = cores
    done = max(1, stats.completed)
    per_request = {k: core[k] * duration / done * 1e3 for k in ("backend", "postgres", "generator")}
    worst_p99 = max((v["p99_ms"] for v in per_endpoint.values()), default=math.nan)
    errors = sum(stats.errors.values())
    passed = errors == 0 and worst_p99 < p99_limit_ms and bool(per_endpoint)
    machine_full = busy > 0.95 * cores or saturated > 0.1
    server_share = core["backend"] + core["postgres"]
    split = (f"backend {core['backend']:.2f} + PostgreSQL {core['postgres']:.2f} + generator "
             f"{core['generator']:.2f} + other processes {core['others']:.2f} = {busy:.2f} of {cores:.0f} cores")
    if passed:
        limit, verdict = "", "held"
    elif core["generator"] > 0.7:
        limit = "generator"
        verdict = (f"generator-limited: it used {core['generator']:.0%} of a core; this step says nothing "
                   "about the server")
    elif machine_full and core["others"] > server_share:
        limit = "others"
        verdict = (f"limited by other processes on this machine ({split}; saturated {saturated:.0%} of the "
                   f"seconds, others up to {others_peak:.2f} cores): re-run on a quiet machine")
    elif machine_full:
        limit = "server-cpu"
        verdict = f"server-limited, CPU-bound ({split}; saturated {saturated:.0%} of the seconds)"
        if core["others"] > 0.25:
            verdict += "; other processes took a share: a quiet machine would do better"
    else:
        limit = "server-wait"
        verdict = f"server-limited with CPU to spare ({split}): it waits on something else (locks, pool, I/O)"
    if not passed and lag_p99 > 100.0:
        verdict += (f"; the generator started requests late (lag p99 {lag_p99:.0f} ms, short of CPU), "
                    "latencies include that")
    return StepResult(
        n=stats.n, duration_s=duration, offered_rps=stats.offered / duration,
        achieved_rps=stats.completed / duration, per_endpoint=per_endpoint, errors=dict(stats.errors),
        lag_p99_ms=lag_p99, backlog_at_end=stats.backlog_at_end, max_inflight=stats.max_inflight,
        sales=stats.sales, events_acked=stats.events_acked, cpu=core, cpu_ms_per_request=per_request,
        db_sessions_per_s=(after.db[0] - before.db[0]) / duration,
        db_commits_per_request=max(0, after.db[1] - before.db[1] - (len(snaps) - 1)) / done,  # less our reads
        db_rollbacks_per_request=(after.db[2] - before.db[2]) / done, passed=passed, limit=limit,
        verdict=verdict)


def print_step(r: StepResult) -> None:
    eps = "  ".join(f"{e} {v['p50_ms']:.0f}/{v['p99_ms']:.0f} ms (n={v['count']:.0f})"
                    for e, v in r.per_endpoint.items())
    print(f"N={r.n:>6}: offered {r.offered_rps:6.1f} req/s, achieved {r.achieved_rps:6.1f} req/s; "
          f"p50/p99 {eps}", flush=True)
    print(f"          CPU (share of one core): backend {r.cpu['backend']:.0%}, PostgreSQL {r.cpu['postgres']:.0%}, "
          f"generator {r.cpu['generator']:.0%}, other processes {r.cpu['others']:.0%} "
          f"(machine {r.cpu['machine']:.2f}/{r.cpu['cores']:.0f} cores, saturated {r.cpu['saturated_share']:.0%} "
          f"of the seconds, others up to {r.cpu['others_peak']:.2f}); per request: backend "
          f"{r.cpu_ms_per_request['backend']:.2f} ms, PostgreSQL {r.cpu_ms_per_request['postgres']:.2f} ms, "
          f"generator {r.cpu_ms_per_request['generator']:.2f} ms", flush=True)
    if r.db_commits_per_request > 0:
        print(f"          PostgreSQL: {r.db_sessions_per_s:.1f} sessions opened/s, per request "
              f"{r.db_commits_per_request:.2f} commits and {r.db_rollbacks_per_request:.2f} rollbacks", flush=True)
    errors = ", ".join(f"{k} ×{v}" for k, v in sorted(r.errors.items(), key=lambda kv: -kv[1])) or "none"
    print(f"          sales {r.sales}, events acked {r.events_acked}, in flight max {r.max_inflight} / at end "
          f"{r.backlog_at_end}, generator lag p99 {r.lag_p99_ms:.1f} ms; errors: {errors}", flush=True)
    print(f"          → {r.verdict}", flush=True)


# --------------------------------------------------------------------------- the server side


def _backend_cmd(*args: str) -> list[str]:
    script = Path(sys.executable).parent / "kiosk-backend"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "backend", *args]


def serve_supports_workers() -> bool:
    out = subprocess.run(_backend_cmd("serve", "--help"), capture_output=True, text=True, timeout=60)
    return "--workers" in out.stdout


class Target:
    """What the generator runs against: where to send, how to register, what to measure and check."""

    label = "?"
    base_url = ""
    log_path: Path | None = None

    def register(self, ids: Sequence[str]) -> dict[str, bytes]:
        raise NotImplementedError

    def snapshot(self) -> CpuSnapshot:
        raise NotImplementedError

    def roots(self) -> list[int]:
        """The server's process trees (for --server-nice)."""
        raise NotImplementedError

    def exited(self) -> str | None:
        raise NotImplementedError

    def verify(self, fleet: Fleet) -> list[str]:
        raise NotImplementedError

    def log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-2000:]


class BackendTarget(Target):
    """``kiosk-backend serve`` on a throwaway PostgreSQL."""

    def __init__(self, db_url: str, pg_dsn: str, pg_pid: int, serve: subprocess.Popen[bytes], base_url: str,
                 data_dir: Path, log_path: Path, workers: int | None) -> None:
        self.db_url, self.pg_dsn, self.pg_pid, self.serve = db_url, pg_dsn, pg_pid, serve
        self.base_url, self.data_dir, self.log_path = base_url, data_dir, log_path
        self._stats: Any = None
        self.label = ("kiosk-backend serve on PostgreSQL, "
                      + (f"--workers {workers}" if workers else "one process (serve has no --workers)"))

    def register(self, ids: Sequence[str]) -> dict[str, bytes]:
        """In a child process through the backend's Python API (see the module docstring)."""
        if not ids:
            return {}
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "register", "--db", self.db_url, "--master-key-file",
             str(self.data_dir / "master.key")],
            input="\n".join(ids).encode(), capture_output=True, timeout=3600)
        if proc.returncode != 0:
            raise FleetError(f"registering {len(ids)} kiosks failed: {proc.stderr.decode(errors='replace')[-2000:]}")
        out: dict[str, bytes] = {}
        for line in proc.stdout.decode().splitlines():
            kiosk_id, secret = line.split(" ", 1)
            out[kiosk_id] = secret.encode("ascii")
        if len(out) != len(ids):
            raise FleetError(f"registered {len(out)} kiosks of {len(ids)}")
        return out

    def snapshot(self) -> CpuSnapshot:
        return CpuSnapshot.take(self.serve.pid, self.pg_pid, self._db_stats())

    def _db_stats(self) -> tuple[int, int, int]:
        """pg_stat_database on one kept read-only connection (so it opens no session itself)."""
        import psycopg

        try:
            if self._stats is None:
                self._stats = psycopg.connect(self.pg_dsn, autocommit=True,
                                              options="-c default_transaction_read_only=on")
            row = self._stats.execute("SELECT sessions, xact_commit, xact_rollback FROM pg_stat_database "
                                      "WHERE datname = current_database()").fetchone()
        except psycopg.Error:
            return (0, 0, 0)  # a figure missing is no reason to stop the run
        return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)

    def close(self) -> None:
        if self._stats is not None:
            self._stats.close()
            self._stats = None

    def roots(self) -> list[int]:
        return [self.serve.pid, self.pg_pid]

    def exited(self) -> str | None:
        code = self.serve.poll()
        return None if code is None else f"the backend exited with {code}: {self.log_tail()}"

    def verify(self, fleet: Fleet) -> list[str]:
        return verify(self.pg_dsn, fleet)


def _register_main(argv: Sequence[str]) -> int:
    """``fleet.py register``: read kiosk ids on stdin, print ``id secret`` lines."""
    from concurrent.futures import ThreadPoolExecutor

    from backend.keys import derive_secret, load_master_key
    from backend.store import Store

    parser = argparse.ArgumentParser(prog="fleet.py register")
    parser.add_argument("--db", required=True)
    parser.add_argument("--master-key-file", required=True, type=Path)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    master = load_master_key(args.master_key_file, create=False)
    ids = [line.strip() for line in sys.stdin if line.strip()]
    with Store.open(args.db, migrate=False) as store, ThreadPoolExecutor(args.threads) as pool:
        secrets = pool.map(lambda kid: store.add_kiosk(kid, "fleet bench", lambda k, g: derive_secret(master, k, g)),
                           ids)
        sys.stdout.write("".join(f"{kid} {secret.decode('ascii')}\n" for kid, secret in zip(ids, secrets,
                                                                                          strict=True)))
    return 0


@contextlib.contextmanager
def running_backend(workers: int | None, log_level: str) -> Iterator[tuple[BackendTarget, str, bytes]]:
    """PostgreSQL, the first kiosk through ``kiosk-backend add-kiosk``, then ``kiosk-backend serve``."""
    from tests.pg import _free_port, running_postgres

    work = Path(tempfile.mkdtemp(prefix="simkiosk-fleet-"))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, work, ignore_errors=True)
        pg = cleanup.enter_context(running_postgres())
        db_url = pg.create_database("fleet")
        data_dir = work / "backend"
        env = {**os.environ, "SIMKIOSK_BACKEND_DB": db_url, "SIMKIOSK_BACKEND_DATA_DIR": str(data_dir)}
        first = "FLEET-000000"
        proc = subprocess.run(_backend_cmd("add-kiosk", first, "--json"), env=env, capture_output=True, text=True,
                              timeout=120)
        if proc.returncode != 0:
            raise FleetError(f"kiosk-backend add-kiosk failed: {proc.stderr[-2000:]}")
        secret = json.loads(proc.stdout.strip().splitlines()[-1])["secret"].encode("ascii")
        port = _free_port()
        args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", log_level]
        if workers is not None:
            args += ["--workers", str(workers)]
        log_path = work / "serve.log"
        with open(log_path, "wb") as log:
            serve = subprocess.Popen(_backend_cmd(*args), env=env, stdout=log, stderr=subprocess.STDOUT)
        assert pg.proc is not None
        cleanup.callback(_stop, serve)
        target = BackendTarget(db_url, f"host=127.0.0.1 port={pg.port} user={pg.user} dbname=fleet", pg.proc.pid,
                               serve, f"http://127.0.0.1:{port}", data_dir, log_path, workers)
        cleanup.callback(target.close)
        yield target, first, secret


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class StubTarget(Target):
    """A stub server that answers at once, to measure the generator alone (``--stub``); nothing to verify."""

    label = "stub server (generator self-test: no backend, no database)"

    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.proc, self.base_url = proc, f"http://127.0.0.1:{port}"

    def register(self, ids: Sequence[str]) -> dict[str, bytes]:
        return {kid: os.urandom(32).hex().encode("ascii") for kid in ids}

    def snapshot(self) -> CpuSnapshot:
        return CpuSnapshot.take(self.proc.pid, -1)

    def roots(self) -> list[int]:
        return [self.proc.pid]

    def exited(self) -> str | None:
        code = self.proc.poll()
        return None if code is None else f"the stub exited with {code}"

    def verify(self, fleet: Fleet) -> list[str]:
        return []


@contextlib.contextmanager
def running_stub() -> Iterator[tuple[StubTarget, str, bytes]]:
    from tests.pg import _free_port

    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "stub", str(port)])
    try:
        yield StubTarget(proc, port), "FLEET-000000", os.urandom(32).hex().encode("ascii")
    finally:
        _stop(proc)


STUB_PLANS = [{"id": "tmo-unl-50", "carrier": "T-Mobile", "name": "Unlimited 30 days", "price_cents": 5000,
               "currency": "USD", "validity_days": 30, "benefits": []}]


def _stub_answer(method: str, path: str, body: bytes) -> tuple[int, bytes]:
    if path.startswith("/v1/catalog"):
        return 200, json.dumps({"version": "stub", "plans": STUB_PLANS}).encode()
    if path.endswith("/heartbeat"):
        return 200, b'{"ok":true,"received_at":"","acked_through":0}'
    if path.endswith("/events"):
        last = json.loads(body)["events"][-1]
        return 200, json.dumps({"acked_through": last["seq"], "acked_hash": last["hash"]}).encode()
    if method == "POST" and path == "/v1/topups":
        req = json.loads(body)
        status = "pending" if req["msisdn"].endswith("0202") else "succeeded"
        return (202 if status == "pending" else 201), json.dumps(
            {"key": req["key"], "status": status, "failure_kind": None, "provider_ref": "STUB", "message": ""}).encode()
    if path.startswith("/v1/topups/"):
        return 200, json.dumps({"key": path.rsplit("/", 1)[1], "status": "succeeded", "failure_kind": None,
                                "provider_ref": "STUB", "message": ""}).encode()
    return 404, b'{"error":"not_found","message":""}'


def _stub_main(argv: Sequence[str]) -> int:
    """``fleet.py stub PORT``: a keep-alive HTTP/1.1 server with canned answers, no checks."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method, target, _ = head[0].split(" ", 2)
                length = next((int(h.split(":", 1)[1]) for h in head[1:] if h.lower().startswith("content-length:")),
                              0)
                body = await reader.readexactly(length) if length else b""
                status, payload = _stub_answer(method, target, body)
                writer.write(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (status, len(payload), payload))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed its keep-alive connection
        finally:
            writer.close()

    async def serve(port: int) -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(serve(int(argv[0])))
    return 0


async def probe(target: Target, scheme: str, kiosk_id: str, secret: bytes,
                deadline_s: float = 60.0) -> tuple[str, list[Plan]]:
    """Wait for the server; check it takes our signature; fetch the catalog. Returns (scheme, plans)."""
    import httpx

    schemes = ("v2", "v1") if scheme == "auto" else (scheme,)
    deadline = time.monotonic() + deadline_s
    async with httpx.AsyncClient(timeout=10) as client:
        while True:
            refused: list[str] = []
            for candidate in schemes:
                headers = signed_headers(candidate, kiosk_id, secret, "GET", "/v1/catalog", b"", utc_stamp())
                try:
                    resp = await client.get(target.base_url + "/v1/catalog", headers=headers)
                except httpx.TransportError:
                    break
                if resp.status_code == 200:
                    return candidate, _plans(resp.json())
                refused.append(f"signature {candidate}: {resp.status_code} {resp.text[:200]}")
            else:
                hint = " (this backend may still speak signature v1: try --signature v1)" if scheme == "v2" else ""
                raise FleetError("the backend refused the probe: " + "; ".join(refused) + hint)
            gone = target.exited()
            if gone is not None:
                raise FleetError(gone)
            if time.monotonic() > deadline:
                raise FleetError(f"the server did not answer within {deadline_s:.0f} s; its log: {target.log_tail()}")
            await asyncio.sleep(0.3)


def _plans(catalog: Any) -> list[Plan]:
    try:
        plans = [Plan(p["id"], p["carrier"], p["name"], int(p["price_cents"]), p["currency"], int(p["validity_days"]))
                 for p in catalog["plans"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise FleetError(f"the catalog is not as docs/upstream-api.md says: {exc!r}") from exc
    if not plans:
        raise FleetError("the catalog has no plans to sell")
    return plans


# --------------------------------------------------------------------------- verification (read-only SQL)


def verify(dsn: str, fleet: Fleet) -> list[str]:
    """Every acked event stored once with the kiosk's hash and linked; every answered top-up once."""
    import psycopg

    problems: list[str] = []
    by_id = {k.kiosk_id: k for k in fleet.kiosks}
    with psycopg.connect(dsn, options="-c default_transaction_read_only=on") as conn:
        stored: dict[str, dict[int, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
        with conn.cursor(name="events") as cur:
            cur.execute("SELECT kiosk_id, seq, prev_hash, hash FROM kiosk_events WHERE kiosk_id LIKE 'FLEET-%'")
            for kiosk_id, seq, prev_hash, digest in cur:
                stored[kiosk_id][int(seq)].append((prev_hash, digest))
        server_acked: dict[str, int] = {
            str(k): int(v) for k, v in conn.execute("SELECT id, acked_through FROM kiosks WHERE id LIKE 'FLEET-%'")}
        topups: dict[str, int] = {
            str(k): int(v) for k, v in conn.execute("SELECT key, count(*) FROM topups GROUP BY key")}
        topup_kiosk: dict[str, str] = {str(k): str(v) for k, v in conn.execute("SELECT key, kiosk_id FROM topups")}
    for kiosk_id in stored:
        if kiosk_id not in by_id:
            problems.append(f"{kiosk_id}: events stored for a kiosk the bench did not simulate")
    for kiosk in fleet.kiosks:
        rows = stored.get(kiosk.kiosk_id, {})
        for seq, copies in rows.items():
            if len(copies) != 1:
                problems.append(f"{kiosk.kiosk_id} seq {seq}: stored {len(copies)} times")
            if seq > kiosk.seq:
                problems.append(f"{kiosk.kiosk_id} seq {seq}: stored but never sent")
            elif copies[0][1] != kiosk.hashes[seq - 1]:
                problems.append(f"{kiosk.kiosk_id} seq {seq}: stored hash differs from the kiosk's")
            elif copies[0][0] != (kiosk.hashes[seq - 2] if seq > 1 else GENESIS):
                problems.append(f"{kiosk.kiosk_id} seq {seq}: stored prev_hash does not link")
        missing = [s for s in range(1, kiosk.acked + 1) if s not in rows]
        if missing:
            problems.append(f"{kiosk.kiosk_id}: acked through {kiosk.acked} but seq {missing[:5]} not stored")
        if server_acked.get(kiosk.kiosk_id, 0) != kiosk.acked:
            problems.append(f"{kiosk.kiosk_id}: server says acked_through {server_acked.get(kiosk.kiosk_id)}, "
                            f"the kiosk was told {kiosk.acked}")
        if kiosk.acked != kiosk.seq:
            problems.append(f"{kiosk.kiosk_id}: {kiosk.seq - kiosk.acked} events never acked after the flush")
    for key, (kiosk_id, answered) in fleet.topups.items():
        count = int(topups.get(key, 0))
        if count > 1 or (answered and count != 1):
            problems.append(f"top-up {key}: stored {count} times (answered: {answered})")
        elif count == 1 and topup_kiosk.get(key) != kiosk_id:
            problems.append(f"top-up {key}: stored for {topup_kiosk.get(key)}, requested by {kiosk_id}")
    return problems


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--steps", default=",".join(map(str, DEFAULT_STEPS)), help="kiosk counts, comma-separated")
    p.add_argument("--duration", type=float, default=60.0, help="measured seconds per step")
    p.add_argument("--warmup", type=float, default=15.0, help="seconds per step before measuring")
    p.add_argument("--heartbeat-s", type=float, default=60.0)
    p.add_argument("--sale-interval-s", type=float, default=1200.0, help="mean seconds between sales per kiosk")
    p.add_argument("--pending-share", type=float, default=0.05, help="sales whose top-up answers pending first")
    p.add_argument("--failed-share", type=float, default=0.02, help="sales whose top-up fails (customer_fixable)")
    p.add_argument("--signature", choices=("v1", "v2", "auto"), default="v2",
                   help="request signing; auto: v2 if the server takes it, else v1")
    p.add_argument("--client", choices=tuple(TRANSPORTS), default="aiohttp",
                   help="aiohttp costs ~0.3 ms CPU a request here; httpx ~1 ms, and its pool collapses with "
                        "thousands of requests queued (encode/httpcore#1035)")
    p.add_argument("--connections", type=int, default=64, help="bounded keep-alive pool")
    p.add_argument("--timeout", type=float, default=30.0, help="per request, pool wait included")
    p.add_argument("--workers", default="auto",
                   help="serve --workers (auto: 2 when serve has the option; 'none' to not pass it)")
    p.add_argument("--p99-ms", type=float, default=250.0, help="a step holds when every endpoint's p99 is below")
    p.add_argument("--all-steps", action="store_true", help="go on after the first step that does not hold")
    p.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"),
                   help="the server's")
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--seed", type=int, default=20)
    p.add_argument("--py-spy", type=Path, metavar="DIR",
                   help="record the backend with py-spy during each measured window (raw stacks, into DIR)")
    p.add_argument("--generator-nice", type=int, default=-5,
                   help="nice increment for the generator's event loop (not the server), so its timing holds on a "
                        "busy machine; 0 to leave it")
    p.add_argument("--server-nice", type=int, default=0,
                   help="nice value for the backend's and PostgreSQL's processes (e.g. -5 to shield the "
                        "measurement from other work on a shared machine; it is printed with the results)")
    p.add_argument("--stub", action="store_true",
                   help="run against a stub server that answers at once: the generator's own cost and capacity")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 30 kiosks, 2 s heartbeats, a sale per kiosk every 6 s, one 3 s step; "
                        "exit 1 on any error")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.duration, args.warmup = "30", 3.0, 1.0
        args.heartbeat_s, args.sale_interval_s, args.all_steps = 2.0, 6.0, True
        args.pending_share, args.failed_share = 0.25, 0.15
    return args


async def run(args: argparse.Namespace) -> int:
    steps = sorted({int(s) for s in str(args.steps).split(",") if s.strip()})
    if not steps or steps[0] < 1:
        raise FleetError(f"--steps needs positive kiosk counts, got {args.steps!r}")
    workers: int | None = None
    if args.stub:
        target_cm: contextlib.AbstractContextManager[tuple[Target, str, bytes]] = running_stub()
    else:
        if args.workers == "auto":
            workers = 2 if serve_supports_workers() else None
        elif args.workers != "none":
            workers = int(args.workers)
        target_cm = running_backend(workers, args.log_level)
    profile = LoadProfile(heartbeat_s=args.heartbeat_s, sale_interval_s=args.sale_interval_s,
                          pending_share=args.pending_share, failed_share=args.failed_share,
                          pending_poll_s=min(2.0, args.heartbeat_s / 2),
                          outcome_cycle=("pending", "failed", "ok", "ok") if args.quick else ())
    results: list[StepResult] = []
    problems: list[str] = []
    scheme = args.signature
    with target_cm as (target, first_id, first_secret):
        scheme, plans = await probe(target, "v1" if args.stub else args.signature, first_id, first_secret)
        nice = _raise_priority(args.generator_nice)  # after the server started: it keeps its own priority
        if args.server_nice:
            nice += f"; server and PostgreSQL {_renice_trees(target.roots(), args.server_nice)}"
        print(f"fleet bench: {target.label} at {target.base_url}; signature {scheme}; client {args.client}, "
              f"{args.connections} connections; heartbeat every {profile.heartbeat_s:g} s, a sale per kiosk every "
              f"{profile.sale_interval_s:g} s ({profile.pending_share:.0%} pending, {profile.failed_share:.0%} "
              f"failed); steps {steps}, {args.warmup:g} s warm-up + {args.duration:g} s measured each; "
              f"p99 limit {args.p99_ms:g} ms; generator {nice}; {os.cpu_count()} CPUs", flush=True)
        transport = TRANSPORTS[args.client](args.connections, args.timeout)
        fleet = Fleet(target.base_url, scheme, transport, profile, plans, args.seed)
        fleet.kiosks.append(Kiosk(first_id, first_secret))
        try:
            for n in steps:
                started = time.monotonic()
                ids = [f"FLEET-{i:06d}" for i in range(len(fleet.kiosks), n)]
                secrets = await asyncio.to_thread(target.register, ids)
                fleet.kiosks.extend(Kiosk(kid, secrets[kid]) for kid in ids)
                if ids:
                    print(f"  registered {len(ids)} kiosks in {time.monotonic() - started:.1f} s", flush=True)
                spy = _start_py_spy(args.py_spy, target, n, args.warmup, args.duration)
                stats, snaps = await fleet.run_step(n, args.warmup, args.duration, drain_s=args.timeout * 2 + 15,
                                                    snapshot=target.snapshot)
                if spy is not None and args.py_spy is not None:
                    spy.wait(timeout=120)
                    recorded = args.py_spy / f"backend-{n}.txt"
                    why = spy.stderr.read().decode(errors="replace")[-500:] if spy.stderr else ""
                    print(profile_summary(recorded) if recorded.exists() else f"py-spy recorded nothing: {why}",
                          flush=True)
                result = evaluate(stats, snaps, args.p99_ms)
                results.append(result)
                print_step(result)
                gone = target.exited()
                if gone is not None:
                    problems.append(gone)
                    break
                if not result.passed and not args.all_steps:
                    break
            await fleet.flush()
        finally:
            await transport.close()
        problems += target.verify(fleet)
        acked = sum(k.acked for k in fleet.kiosks)
        answered = sum(1 for _, ok in fleet.topups.values() if ok)
        if args.stub:
            print("verification: none against the stub (it stores nothing)", flush=True)
        else:
            print(f"verification (read-only SQL): {acked} events acked across {len(fleet.kiosks)} kiosks, "
                  f"{answered} top-ups answered of {len(fleet.topups)} requested: "
                  + ("every acked event stored once with the kiosk's hash, chains linked, every answered "
                     "top-up stored once" if not problems else
                     f"{len(problems)} problem(s):\n  " + "\n  ".join(problems[:20])), flush=True)
    knee = summarize(results, steps)
    if args.json:
        args.json.write_text(json.dumps({"steps": [dataclasses.asdict(r) for r in results], "knee": knee,
                                         "problems": problems, "signature": scheme, "client": args.client,
                                         "workers": workers, "stub": args.stub,
                                         "events_acked": sum(k.acked for k in fleet.kiosks),
                                         "requests": dict(fleet.sent), "errors": dict(fleet.errors_total),
                                         "topups": len(fleet.topups)}, indent=2))
    if problems:
        return 1
    if args.quick and any(r.errors for r in results):
        print("quick run: errors where none are expected", flush=True)
        return 1
    return 0


def _raise_priority(increment: int) -> str:
    """The event loop's thread only (Linux nice is per thread); children already started keep theirs."""
    if increment == 0:
        return "at normal priority"
    try:
        os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0) + increment)
    except OSError as exc:
        return f"at normal priority (nice {increment:+d} refused: {exc.strerror})"
    return f"at nice {os.getpriority(os.PRIO_PROCESS, 0):+d}"


def _renice_trees(roots: Sequence[int], nice: int) -> str:
    """Every thread of the process trees; processes and threads they start later inherit it."""
    table = _proc_table()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _ticks) in table.items():
        children[ppid].append(pid)
    done, todo = 0, list(roots)
    try:
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, ()))
            with contextlib.suppress(FileNotFoundError):
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with contextlib.suppress(ProcessLookupError):
                        os.setpriority(os.PRIO_PROCESS, int(tid), nice)
                        done += 1
    except PermissionError as exc:
        return f"at normal priority (nice {nice:+d} refused: {exc.strerror})"
    return f"at nice {nice:+d} ({done} threads)"


def summarize(results: Sequence[StepResult], steps: Sequence[int]) -> int | None:
    knee: int | None = None
    for r in results:
        if not r.passed:
            break
        knee = r.n
    last = results[-1] if results else None
    if knee is None:
        print("knee: no step held (p99 under the limit and no error)", flush=True)
    else:
        print(f"knee: {knee} kiosks held (p99 under the limit on every endpoint, no error)", flush=True)
    if last is not None and not last.passed:
        print(f"first step that did not hold: N={last.n}: {last.verdict}", flush=True)
    elif last is not None and last.n == max(steps):
        print(f"every step held, up to {last.n} kiosks: the knee lies beyond", flush=True)
    upto = results[:len([r for r in results if r.passed]) + 1]
    others = max((r.cpu["others"] for r in upto), default=0.0)
    peak = max((r.cpu["others_peak"] for r in upto), default=0.0)
    if others > 0.25:
        print(f"note: other processes on this machine used up to {others:.2f} cores on average over a step "
              f"({peak:.2f} in its busiest second); the knee is pessimistic", flush=True)
    held = [r for r in results if r.passed] or results[:1]
    if held:
        # the dearest figures came from the step with the most load that still held
        r = max(held, key=lambda x: x.achieved_rps)
        cost = r.cpu_ms_per_request
        total = cost["backend"] + cost["postgres"] + cost["generator"]
        per_kiosk = r.offered_rps / r.n
        ceiling = r.cpu["cores"] * 1000 / total if total > 0 else math.inf
        print(f"CPU per request (N={r.n}): backend {cost['backend']:.2f} ms, PostgreSQL {cost['postgres']:.2f} ms, "
              f"generator {cost['generator']:.2f} ms; at 100 % of {r.cpu['cores']:.0f} cores that is at most "
              f"{ceiling:.0f} req/s ≈ {ceiling / per_kiosk:,.0f} kiosks (a ceiling, not a knee: latency "
              "grows well before it)", flush=True)
    return knee


def _start_py_spy(out_dir: Path | None, target: Target, n: int, warmup: float,
                  duration: float) -> subprocess.Popen[bytes] | None:
    """py-spy over the server's measured window (after the warm-up): raw collapsed stacks of the threads
    holding the GIL, i.e. where the backend's Python spends CPU (waits on PostgreSQL are not in it)."""
    if out_dir is None or not isinstance(target, BackendTarget):
        return None
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [exe, "record", "--pid", str(target.serve.pid), "--subprocesses", "--gil", "--format", "raw", "--rate", "100",
           "--duration", str(int(duration)), "--nonblocking", "-o", str(out_dir / f"backend-{n}.txt")]
    return subprocess.Popen(["sh", "-c", f'sleep {warmup + 0.2}; exec "$@"', "py-spy", *cmd],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _package(file: str) -> str:
    return file if file.startswith("backend/") else file.split("/")[0]


def profile_summary(path: Path, top: int = 12) -> str:
    """Self time per function, and inclusive time per package and per backend function, from py-spy raw."""
    total = 0
    own: Counter[str] = Counter()
    own_package: Counter[str] = Counter()
    package: Counter[str] = Counter()
    backend: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f.rsplit(":", 1)[0] + ")" if f.endswith(")") else f for f in stack.split(";")[1:]] or ["(no frame)"]
        own[frames[-1]] += n
        files = [f[f.rfind("(") + 1:-1] for f in frames]
        own_package[_package(files[-1])] += n
        for name in {_package(f) for f in files}:
            package[name] += n
        for name in {f for f in frames if "(backend/" in f}:
            backend[name] += n
    if not total:
        return f"{path.name}: no samples"

    def block(title: str, counts: Counter[str]) -> str:
        return f"  {title}:\n" + "\n".join(f"    {c / total:6.1%}  {k}" for k, c in counts.most_common(top))

    return "\n".join((f"{path.name}: {total} samples holding the GIL", block("self", own),
                      block("self, by package or backend file", own_package),
                      block("inclusive, by package or backend file", package),
                      block("inclusive, by backend function", backend)))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["register"]:
        return _register_main(argv[1:])
    if argv[:1] == ["stub"]:
        return _stub_main(argv[1:])
    args = parse_args(argv)
    try:
        return asyncio.run(run(args))
    except FleetError as exc:
        print(f"fleet bench: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
