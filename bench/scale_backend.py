"""Backend cost as the data grows: ingest rate and operator queries with 0, 1M and 10M stored events.

Baseline: the same ingest into an empty database on the same PostgreSQL server, run in
turn with the loaded one (both see the same machine); targets of issue 20: ingest within
20 % of the empty database's rate at every size, every operator query's p95 under 300 ms.

Each level is built fast, in PostgreSQL itself (``generate_series``: kiosks, events with their
chain columns, the transaction projection; indexes rebuilt after the load,
then ``VACUUM ANALYZE`` as autovacuum would have left a long-running database), never through
HTTP. Then, against ``kiosk-backend serve`` (one process) on that database:

* ingest: fresh kiosks each sync 20,000 real chained events from a kiosk ledger (the kiosk's
  own ``Syncer``, batches of 1,000, as ``bench_sync``), four into the loaded database and
  four into an empty one, in turn: the median events/s of each, and the server's CPU (the
  backend process and PostgreSQL's) per 1,000 events;
* operator queries through the HTTP API with a logged-in session, each 20 times with varying
  parameters: p50/p95 of transactions by day, by kiosk, by kiosk and week, by state, the
  fleet view, daily sales for a month, and the CSV export of one kiosk's month; the CSV of a
  whole fleet-day is shown as rows/s (its time grows with the rows asked for);
* ``EXPLAIN`` of each query as the backend builds it (``backend.store.*_query``): the plan's
  nodes and the indexes used, so a sequential scan or a full sort shows.

Run: ``make bench-scale`` or ``.venv/bin/python bench/scale_backend.py [--levels 0,1000000,10000000]
[--kiosks 10000]``. The 10M level takes about 10 minutes on 2 cores (most of it the load and its
index builds); ``--levels 0,1000000`` about 3.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import psycopg

from backend.operators import hash_password
from backend.store import Store, daily_sales_query, overview_queries, transactions_query
from kiosk.ledger import Ledger
from kiosk.sync import Syncer, UpstreamClient
from tests.backend.harness import BackendProcess, bulk_ledger
from tests.pg import running_postgres

SALE_EVENTS = 7  # events per sale, as bench/fleet.py's simulated kiosks journal them
DAYS = 90  # the stored history spans this many days, ending on END
END_EPOCH = 1_751_328_000  # 2025-07-01T00:00:00Z
INGEST_EVENTS = 20_000
REPEAT = 20
PASSWORD = "scale bench password"
TARGET_P95_MS = 300.0
TARGET_INGEST_DROP = 0.20

KINDS = ["txn.created", "txn.payment_requested", "txn.payment_approved", "txn.topup_requested",
         "txn.topup_succeeded", "txn.completed", "txn.receipt"]


def _payload_sql() -> str:
    """A payload of realistic size per event kind (j = 1..7), as SQL text."""
    return """CASE j
      WHEN 1 THEN '{"amount_cents":5000,"carrier":"T-Mobile","currency":"USD","iccid":"8901260'
                  || lpad(k::text, 12, '0')
                  || '","kiosk_id":"' || kid || '","method":"sale","msisdn":"1202555' || lpad((s % 10000)::text, 4, '0')
                  || '","plan_id":"tmo-unl-50","plan_name":"Unlimited 30 days","preauth":false,"state":"created",'
                  || '"validity_days":30}'
      WHEN 2 THEN '{"baseline":"' || lpad((s % 10000)::text, 4, '0') || '","state":"payment_requested"}'
      WHEN 3 THEN '{"amount_cents":5000,"card_brand":"VISA","pan_masked":"************'
                  || lpad((s % 10000)::text, 4, '0')
                  || '","state":"payment_approved","terminal_receipt_no":"' || lpad((s % 10000)::text, 4, '0')
                  || '","terminal_trace_no":"' || lpad((s % 1000000)::text, 6, '0') || '"}'
      WHEN 4 THEN '{"state":"topup_requested"}'
      WHEN 5 THEN '{"provider_ref":"SIM-' || md5(kid || s) || '","state":"topup_succeeded","topup_message":"",'
                  || '"topup_status":"succeeded"}'
      WHEN 6 THEN '{"state":"completed"}'
      ELSE '{"print":true,"receipt":{"kiosk_id":"' || kid || '","lines":["SIMKIOSK PREPAID TOP-UP",'
           || '"T-Mobile Unlimited 30 days","Phone  *******' || lpad((s % 10000)::text, 4, '0')
           || '","Amount 50.00 USD","Card   VISA ************1234","Receipt 0001  Trace 000001",'
           || '"Provider ref SIM-x","Thank you"]}}'
    END"""


def _hash_sql(seq: str) -> str:
    """A stand-in chain hash (64 hex) for event ``seq`` of kiosk ``kid``: deterministic, so the
    stored prev_hash of each event is the hash of the one before it."""
    return f"(md5(kid || ':' || ({seq})::text) || md5(({seq})::text || ':' || kid))"


class Database:
    """The bench database: grows the stored history level by level, in SQL."""

    def __init__(self, dsn: str, kiosks: int) -> None:
        self.dsn = dsn
        self.kiosks = kiosks
        self.sales_per_kiosk = 0

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn, autocommit=True)

    def add_kiosks(self) -> None:
        status = json.dumps({"devices": {"reader": {"ok": True}, "printer": {"ok": True}}, "unsynced_events": 0,
                             "needs_attention": 0})
        with self.connect() as conn:
            conn.execute(
                "INSERT INTO kiosks (id, location, created_at, secret_generation, secret_check, acked_through, "
                "head_hash, last_heartbeat_at, status, disabled) "
                "SELECT 'SCALE-' || lpad(k::text, 6, '0'), 'scale bench', '2025-01-01T00:00:00.000000Z', 1, "
                "repeat('0', 64), 0, repeat('0', 64), to_char(now() AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), %s, false FROM generate_series(1, %s) k",
                (status, self.kiosks))

    def grow_to(self, events: int) -> float:
        """Add sales until about ``events`` events are stored; returns the seconds it took."""
        target_sales = max(0, events // (SALE_EVENTS * self.kiosks))
        if target_sales <= self.sales_per_kiosk:
            return 0.0
        started = time.monotonic()
        s0, s1 = self.sales_per_kiosk, target_sales
        total_sales = self.kiosks * s1
        span_s = DAYS * 86400
        # sale s of kiosk k happens at a time that grows with s (then k): the newest data is the latest
        at = (f"to_timestamp({END_EPOCH - span_s} + ((s - 1) * {self.kiosks} + k)::float8 * {span_s} / "
              f"{total_sales} + j * 10) AT TIME ZONE 'UTC'")
        at_text = f"to_char({at}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        seq = f"(s - 1) * {SALE_EVENTS} + j"
        kinds = "ARRAY[" + ",".join(f"'{k}'" for k in KINDS) + "]"
        with self.connect() as conn:
            indexes = self._drop_indexes(conn)
            conn.execute("SET maintenance_work_mem = '256MB'")
            conn.execute(f"""
                INSERT INTO kiosk_events (kiosk_id, seq, txn_id, at, kind, payload, prev_hash, hash, received_at)
                SELECT kid, {seq}, kid || '-' || lpad(s::text, 6, '0'), {at_text}, ({kinds})[j], {_payload_sql()},
                       CASE WHEN {seq} = 1 THEN repeat('0', 64) ELSE {_hash_sql(f"{seq} - 1")} END,
                       {_hash_sql(seq)}, {at_text}
                FROM (SELECT k, 'SCALE-' || lpad(k::text, 6, '0') AS kid FROM generate_series(1, {self.kiosks}) k) ks,
                     generate_series({s0 + 1}, {s1}) s, generate_series(1, {SALE_EVENTS}) j""")
            created = at.replace("j * 10", "10")
            updated = at.replace("j * 10", f"{SALE_EVENTS * 10}")
            conn.execute(f"""
                INSERT INTO kiosk_transactions (kiosk_id, txn_id, created_at, updated_at, state, carrier, msisdn,
                    iccid, plan_id, amount_cents, currency, terminal_receipt_no, terminal_trace_no, card_brand,
                    pan_masked, topup_status, provider_ref, failure_kind, last_seq)
                SELECT kid, kid || '-' || lpad(s::text, 6, '0'),
                       to_char({created}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                       to_char({updated}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                       CASE WHEN (k + s) % 499 = 0 THEN 'needs_attention' ELSE 'completed' END,
                       'T-Mobile', '1202555' || lpad((s % 10000)::text, 4, '0'), '8901260' || lpad(k::text, 12, '0'),
                       'tmo-unl-50', 5000, 'USD', lpad((s % 10000)::text, 4, '0'), lpad((s % 1000000)::text, 6, '0'),
                       'VISA', '************' || lpad((s % 10000)::text, 4, '0'), 'succeeded', 'SIM-' || md5(kid || s),
                       NULL, s * {SALE_EVENTS}
                FROM (SELECT k, 'SCALE-' || lpad(k::text, 6, '0') AS kid FROM generate_series(1, {self.kiosks}) k) ks,
                     generate_series({s0 + 1}, {s1}) s""".replace("j * 10", "10"))
            for statement in indexes:
                conn.execute(statement)
            last = s1 * SALE_EVENTS
            conn.execute(f"""UPDATE kiosks SET acked_through = {last}, head_hash = {_hash_sql(str(last))},
                             last_event_at = '2025-07-01T00:00:00.000000Z'
                             FROM (SELECT id AS kid FROM kiosks WHERE id LIKE 'SCALE-%%') ks
                             WHERE kiosks.id = ks.kid""")
            conn.execute("VACUUM ANALYZE kiosk_events")
            conn.execute("VACUUM ANALYZE kiosk_transactions")
            conn.execute("VACUUM ANALYZE kiosks")
        self.sales_per_kiosk = s1
        return time.monotonic() - started

    def settle(self) -> None:
        """The same starting point at every level: a checkpoint and the page cache written
        out (a level's load must not be written back during its measurement; and right after
        a checkpoint every page first touched logs a full image, so each level pays that alike)."""
        with self.connect() as conn:
            conn.execute("CHECKPOINT")
        os.sync()

    @staticmethod
    def _drop_indexes(conn: psycopg.Connection[Any]) -> list[str]:
        """Drop the secondary indexes of the two big tables; returns the statements that rebuild them."""
        rows = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('kiosk_events', 'kiosk_transactions') "
            "AND indexname NOT LIKE '%%pkey'").fetchall()
        for name, _ in rows:
            conn.execute(f'DROP INDEX "{name}"')
        return [str(definition) for _, definition in rows]

    def count(self) -> int:
        with self.connect() as conn:
            row = conn.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'kiosk_events'").fetchone()
        return max(0, int(row[0])) if row else 0

    def sizes(self) -> str:
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN "
                "('kiosk_events', 'kiosk_transactions') ORDER BY relname").fetchall()
        return ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in rows)

    def explain(self, query: Any) -> str:
        """The plan's nodes, one line: ``Limit > Index Scan using ix (kiosk_transactions)``."""
        from sqlalchemy.dialects import postgresql

        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        with self.connect() as conn:
            row = conn.execute("EXPLAIN (FORMAT JSON) " + sql).fetchone()
        assert row is not None
        return " > ".join(_nodes(row[0][0]["Plan"]))


def _nodes(plan: dict[str, Any]) -> Iterator[str]:
    name = plan["Node Type"]
    if "Index Name" in plan:
        name += f" using {plan['Index Name']}"
    elif "Relation Name" in plan:
        name += f" on {plan['Relation Name']}"
    yield name
    for child in plan.get("Plans", []):
        yield from _nodes(child)


# --------------------------------------------------------------------------- measurements

CLK_TCK = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(roots: list[int]) -> float:
    """CPU seconds of these processes and their descendants, reaped children included (the
    server's figures on a machine shared with other work: wall times there include waiting)."""
    table: dict[int, tuple[int, int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    rest = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            table[int(name)] = (int(rest[1]), sum(int(x) for x in rest[11:15]))
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, list(roots)
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo.extend(children.get(pid, ()))
    return total / CLK_TCK


class Cpu:
    """CPU used by the backend process and by PostgreSQL over a block."""

    def __init__(self, backend: BackendProcess, pg_pid: int) -> None:
        assert backend.proc is not None
        self.roots = [backend.proc.pid, pg_pid]
        self.used_s = 0.0

    def __enter__(self) -> Cpu:
        self._start = tree_cpu_s(self.roots)
        return self

    def __exit__(self, *exc: object) -> None:
        self.used_s = tree_cpu_s(self.roots) - self._start


def sync_kiosk(backend: BackendProcess, root: Path, kiosk_id: str, events: int) -> float:
    """events/s of one fresh kiosk syncing ``events`` real chained events."""
    data_dir = root / kiosk_id
    bulk_ledger(data_dir, events, kiosk_tag=kiosk_id)
    secret = backend.add_kiosk(kiosk_id)
    with Ledger.open("", data_dir) as ledger, UpstreamClient(backend.base_url, kiosk_id, secret,
                                                              timeout_s=120) as client:
        started = time.perf_counter()
        report = Syncer(ledger, client, batch_size=1000).sync_once()
        rate = events / (time.perf_counter() - started)
    assert report.acked_through == events, report
    return rate


@dataclasses.dataclass
class Ingest:
    rates: list[float] = dataclasses.field(default_factory=list)
    cpu_s: float = 0.0

    def cpu_ms_per_1000(self, events: int) -> float:
        return self.cpu_s * 1000 / (len(self.rates) * events / 1000)


def ingest_pair(loaded: BackendProcess, empty: BackendProcess, pg_pid: int, root: Path, tag: str,
                events: int, rounds: int = 4) -> tuple[Ingest, Ingest]:
    """The same work into the loaded database and into an empty one on the same server, in
    turn (empty, loaded, loaded, empty, ...), so both see the same machine: the ratio of the
    medians is what the target judges (other work on a shared machine moves both)."""
    out = {"loaded": Ingest(), "empty": Ingest()}
    order = (("empty", empty), ("loaded", loaded))
    for i in range(rounds):
        for which, backend in order if i % 2 == 0 else order[::-1]:
            with Cpu(backend, pg_pid) as cpu:
                out[which].rates.append(sync_kiosk(backend, root, f"INGEST-{tag}-{which}-{i}", events))
            out[which].cpu_s += cpu.used_s
    return out["loaded"], out["empty"]


@contextlib.contextmanager
def operator_client(backend: BackendProcess) -> Iterator[httpx.Client]:
    with backend.store() as store, contextlib.suppress(Exception):
        store.add_operator("scale", hash_password(PASSWORD))
    with httpx.Client(base_url=backend.base_url, timeout=120) as client:
        client.get("/")
        r = client.post("/api/login", json={"username": "scale", "password": PASSWORD},
                        headers={"X-CSRF-Token": client.cookies["kb_csrf"]})
        r.raise_for_status()
        yield client


def timed(client: httpx.Client, params_for: Params,
          rng: random.Random) -> tuple[list[float], int]:
    """Milliseconds of REPEAT requests (whole body read), and the rows of the last answer."""
    times, rows = [], 0
    for _ in range(REPEAT):
        path, params = params_for(rng)
        started = time.perf_counter()
        r = client.get(path, params=params)
        body = r.content
        times.append((time.perf_counter() - started) * 1000)
        r.raise_for_status()
        rows = body.count(b"\r\n") - 1 if path.endswith(".csv") else len(next(iter(r.json().values())))
    return times, rows


def day_text(offset_days: float) -> str:
    t = time.gmtime(END_EPOCH - offset_days * 86400)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t)


Params = Callable[[random.Random], tuple[str, dict[str, str]]]


def operator_queries(db: Database, kiosks: int) -> list[tuple[str, Params, Any]]:
    """(name, request parameters, the query the backend builds for them) per operator query."""

    def kiosk(rng: random.Random) -> str:
        return f"SCALE-{rng.randint(1, kiosks):06d}"

    def day(rng: random.Random) -> tuple[str, str]:
        d = rng.randint(2, DAYS - 1)
        return day_text(d)[:10], day_text(d - 1)[:10]

    mid = day_text(DAYS / 2)[:10], day_text(DAYS / 2 - 1)[:10]
    month = day_text(30)[:10], day_text(0)[:10]
    week = day_text(7)[:10], day_text(0)[:10]
    return [
        ("transactions of one day (page of 500)",
         lambda rng: ("/api/transactions", dict(zip(("since", "until"), day(rng), strict=True))),
         transactions_query(since=mid[0], until=mid[1], limit=501)),
        ("transactions of one kiosk (page of 500)", lambda rng: ("/api/transactions", {"kiosk": kiosk(rng)}),
         transactions_query(kiosk_id="SCALE-000042", limit=501)),
        ("transactions of one kiosk, last week",
         lambda rng: ("/api/transactions", {"kiosk": kiosk(rng), "since": week[0], "until": week[1]}),
         transactions_query(kiosk_id="SCALE-000042", since=week[0], until=week[1], limit=501)),
        ("transactions needing attention", lambda rng: ("/api/transactions", {"state": "needs_attention"}),
         transactions_query(state="needs_attention", limit=501)),
        ("completed transactions (page of 500)", lambda rng: ("/api/transactions", {"state": "completed"}),
         transactions_query(state="completed", limit=501)),
        ("fleet view", lambda rng: ("/api/kiosks", {}), overview_queries()[0]),
        ("daily sales, one kiosk, last 30 days",
         lambda rng: ("/api/sales/daily", {"kiosk": kiosk(rng), "since": month[0], "until": month[1]}),
         daily_sales_query(kiosk_id="SCALE-000042", since=month[0], until=month[1])),
        ("daily sales, fleet, one day", lambda rng: ("/api/sales/daily", dict(zip(("since", "until"), day(rng),
                                                                                     strict=True))),
         daily_sales_query(since=mid[0], until=mid[1])),
        ("CSV export, one kiosk, last 30 days",
         lambda rng: ("/api/transactions.csv", {"kiosk": kiosk(rng), "since": month[0], "until": month[1]}),
         transactions_query(kiosk_id="SCALE-000042", since=month[0], until=month[1])),
    ]


def fleet_day_csv(client: httpx.Client) -> tuple[float, int]:
    since, until = day_text(DAYS / 2)[:10], day_text(DAYS / 2 - 1)[:10]
    started = time.perf_counter()
    r = client.get("/api/transactions.csv", params={"since": since, "until": until})
    r.raise_for_status()
    return (time.perf_counter() - started) * 1000, r.content.count(b"\r\n") - 1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(p * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--levels", default="0,1000000,10000000", help="stored events at each level")
    parser.add_argument("--kiosks", type=int, default=10_000, help="kiosks the stored history belongs to")
    parser.add_argument("--before-b0004", action="store_true",
                        help="the indexes as they were before migration b0004 (for a before/after comparison)")
    parser.add_argument("--ingest-events", type=int, default=INGEST_EVENTS, help="events each ingest kiosk syncs")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run (tests/bench): 100 kiosks, levels 0 and 7,000, 2,000 events per ingest")
    args = parser.parse_args()
    if args.quick:
        args.levels, args.kiosks, args.ingest_events = "0,7000", 100, 2000
    levels = sorted({int(x) for x in args.levels.split(",")})
    print(f"backend scale bench: {args.kiosks} kiosks, {DAYS} days of history, levels {levels}"
          f"{' (indexes before b0004)' if args.before_b0004 else ''}; baseline: the same ingest into an empty "
          f"database on the same server, in turn; targets: ingest within {TARGET_INGEST_DROP:.0%} of it, operator "
          f"queries p95 < {TARGET_P95_MS:.0f} ms ({REPEAT} requests each)", flush=True)
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp, running_postgres() as pg:
        root = Path(tmp)
        url = pg.create_database("scale")
        if args.before_b0004:
            # the schema as it was: built at b0003, stamped head so the server does not migrate
            from alembic import command
            from sqlalchemy import text

            with Store.open(url, migrate=False) as store, store._engine.begin() as conn:
                command.upgrade(store._alembic(conn), "b0003")
                conn.execute(text("UPDATE backend_alembic_version SET version_num = :head"),
                             {"head": store.head_revision()})
        else:
            Store.open(url).close()  # migrate
        db = Database(f"host=127.0.0.1 port={pg.port} user={pg.user} dbname=scale", args.kiosks)
        db.add_kiosks()
        for level in levels:
            took = db.grow_to(level)
            db.settle()
            print(f"\n--- {db.count():,} events stored ({db.sizes()}); built in {took:.0f} s", flush=True)
            backend = BackendProcess(url, root)
            empty = BackendProcess(pg.create_database(f"empty_{level}"), root)
            backend.start()
            empty.start()
            assert pg.proc is not None
            try:
                loaded, control = ingest_pair(backend, empty, pg.proc.pid, root, str(level), args.ingest_events)
                empty.stop()
                n = args.ingest_events
                ratio = statistics.median(loaded.rates) / statistics.median(control.rates)
                cpu_ratio = loaded.cpu_ms_per_1000(n) / control.cpu_ms_per_1000(n)
                print(f"ingest, one kiosk, {n} events in batches of 1000, in turn with an empty database on the "
                      f"same server: median {statistics.median(loaded.rates):,.0f} events/s against "
                      f"{statistics.median(control.rates):,.0f} "
                      f"({ratio:.2f}×; all: {', '.join(f'{r:,.0f}' for r in loaded.rates)} against "
                      f"{', '.join(f'{r:,.0f}' for r in control.rates)}); server CPU "
                      f"{loaded.cpu_ms_per_1000(n):.0f} ms per 1,000 events against "
                      f"{control.cpu_ms_per_1000(n):.0f} ({cpu_ratio:.2f}×)", flush=True)
                if 1 - ratio > TARGET_INGEST_DROP:
                    failures.append(f"ingest at {level:,}: {1 - ratio:.0%} slower than into an empty database")
                if level == 0:
                    continue
                rng = random.Random(level)
                with operator_client(backend) as client:
                    for name, params_for, query in operator_queries(db, args.kiosks):
                        with Cpu(backend, pg.proc.pid) as cpu:
                            times, rows = timed(client, params_for, rng)
                        p95 = percentile(times, 0.95)
                        print(f"{name:42s} p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  server CPU "
                              f"{cpu.used_s * 1000 / REPEAT:5.1f} ms  ({rows} rows)  plan: {db.explain(query)}",
                              flush=True)
                        if p95 >= TARGET_P95_MS:
                            failures.append(f"{name} at {level:,}: p95 {p95:.0f} ms")
                    ms, rows = fleet_day_csv(client)
                    print(f"{'CSV export, whole fleet, one day':42s} {ms:8.0f} ms for {rows:,} rows "
                          f"({rows / ms * 1000:,.0f} rows/s)", flush=True)
            finally:
                backend.stop()
                empty.stop()
    print("\ntargets: " + ("met" if not failures else "NOT met: " + "; ".join(failures)), flush=True)
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "scale"
    sys.exit(main())
