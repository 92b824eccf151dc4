"""Sync figures: events/s from one kiosk to the backend on loopback (SQLite and PostgreSQL
backends), its steadiness as one kiosk's history grows (chunks of 20,000 events in turn: the
slowest chunk against the median), and the backend's ingest throughput with 40 kiosks
syncing at once.

The backend runs as its own process (``python -m backend serve``, real uvicorn); the
kiosks are Syncer objects over real SQLite ledgers in this process. Baseline: the same work
on the SQLite backend (same durability: each batch one committed transaction). Targets:
≥ 5,000 events/s from one kiosk on PostgreSQL; no 20k-event chunk under 80 % of the median.

Run: ``make bench`` or ``.venv/bin/python bench/bench_sync.py [--events 20000] [--kiosks 40]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.config import UpstreamSection
from kiosk.ledger import Ledger
from kiosk.sync import Syncer, UpstreamClient
from tests.backend.harness import BackendProcess, bulk_ledger
from tests.pg import running_postgres

DEFAULT_BATCH = UpstreamSection().batch_size  # what a kiosk sends by default
TARGET_EVENTS_PER_S = 5000
STEADY_SHARE = 0.8  # no chunk slower than this share of the median (issue 20)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def one_kiosk(backend: BackendProcess, root: Path, events: int, batch: int, tag: str) -> float:
    data_dir = root / f"kiosk-{tag}-{batch}"
    bulk_ledger(data_dir, events)
    secret = backend.add_kiosk(f"BENCH-{tag}-{batch}")
    with Ledger.open("", data_dir) as ledger, \
            UpstreamClient(backend.base_url, f"BENCH-{tag}-{batch}", secret) as client:
        started = time.perf_counter()
        report = Syncer(ledger, client, batch_size=batch).sync_once()
        elapsed = time.perf_counter() - started
    assert report.acked_through == events, report
    with backend.store() as store:
        assert store.event_count(f"BENCH-{tag}-{batch}") == events
    return events / elapsed


def _machine_busy_s() -> float:
    with open("/proc/stat") as fh:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fh.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def _tree_cpu_s(roots: list[int]) -> float:
    """CPU seconds of these processes and their descendants (reaped children included)."""
    table: dict[int, tuple[int, int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    rest = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            table[int(name)] = (int(rest[1]), sum(int(x) for x in rest[11:15]))
    total, todo = 0, list(roots)
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo.extend(child for child, (ppid, _) in table.items() if ppid == pid)
    return total / CLK_TCK


def chunks(backend: BackendProcess, root: Path, count: int, size: int, batch: int, tag: str,
           pg_pid: int | None) -> tuple[list[float], list[float]]:
    """One kiosk syncing ``count`` chunks of ``size`` events in turn (its history growing):
    events/s per chunk, and the cores other processes on the machine used meanwhile (so a dip
    can be told from someone else's work). A rate that falls as the history grows, or dips
    now and then, shows here and not in a single run's average."""
    kiosk_id = f"CHUNKS-{tag}"
    data_dir = root / kiosk_id
    bulk_ledger(data_dir, count * size, kiosk_tag=kiosk_id)
    secret = backend.add_kiosk(kiosk_id)
    assert backend.proc is not None
    ours = [os.getpid(), backend.proc.pid] + ([pg_pid] if pg_pid else [])
    rates, others = [], []
    with Ledger.open("", data_dir) as ledger, UpstreamClient(backend.base_url, kiosk_id, secret,
                                                              timeout_s=120) as client:
        syncer = Syncer(ledger, client, batch_size=batch)
        for _ in range(count):
            busy, mine, started = _machine_busy_s(), _tree_cpu_s(ours), time.perf_counter()
            syncer.sync_once(max_batches=size // batch)
            elapsed = time.perf_counter() - started
            rates.append(size / elapsed)
            others.append(max(0.0, (_machine_busy_s() - busy) - (_tree_cpu_s(ours) - mine)) / elapsed)
    assert syncer.acked() == count * size
    return rates, others


def fleet(backend: BackendProcess, root: Path, kiosks: int, events_each: int, batch: int, tag: str) -> float:
    ids = [f"FLEET-{tag}-{i:03d}" for i in range(kiosks)]
    secrets = {kid: backend.add_kiosk(kid) for kid in ids}
    for kid in ids:
        bulk_ledger(root / kid, events_each, kiosk_tag=kid)
    errors: list[BaseException] = []
    start = threading.Barrier(kiosks + 1)

    def run(kid: str) -> None:
        try:
            with Ledger.open("", root / kid) as ledger, UpstreamClient(backend.base_url, kid, secrets[kid],
                                                                        timeout_s=120) as client:
                start.wait()
                Syncer(ledger, client, batch_size=batch).sync_once()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(kid,)) for kid in ids]
    for t in threads:
        t.start()
    start.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    with backend.store() as store:
        total = sum(store.event_count(kid) for kid in ids)
    assert total == kiosks * events_each, total
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--kiosks", type=int, default=40)
    parser.add_argument("--events-per-kiosk", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=15, help="chunks of --events events for the steadiness line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp, running_postgres() as pg:
        root = Path(tmp)
        backends = {
            "sqlite": BackendProcess(f"sqlite:///{root / 'backend.sqlite3'}", root),
            "postgresql": BackendProcess(pg.create_database("bench_sync"), root),
        }
        results: dict[str, float] = {}
        try:
            for name, backend in backends.items():
                backend.start()
                for batch in (500, DEFAULT_BATCH):
                    rate = one_kiosk(backend, root, args.events, batch, name)
                    results[f"{name} one kiosk batch {batch}"] = rate
                    print(f"{name:10s} one kiosk, {args.events} events, batch {batch:4d}: "
                          f"{rate:8.0f} events/s ({rate / TARGET_EVENTS_PER_S:.2f}× target)", flush=True)
                pg_pid = pg.proc.pid if name == "postgresql" and pg.proc is not None else None
                rates, others = chunks(backend, root, args.chunks, args.events, DEFAULT_BATCH, name, pg_pid)
                median = statistics.median(rates)
                worst = min(rates) / median
                results[f"{name} chunks worst/median"] = worst
                slowest = rates.index(min(rates))
                print(f"{name:10s} one kiosk, {args.chunks} chunks of {args.events} events in turn: median "
                      f"{median:8.0f} events/s, slowest chunk {worst:.0%} of the median (target ≥ "
                      f"{STEADY_SHARE:.0%}; other processes used {others[slowest]:.2f} cores during it, "
                      f"{statistics.median(others):.2f} in the median chunk); per chunk: "
                      f"{' '.join(f'{r / 1000:.1f}k' for r in rates)}", flush=True)
                rate = fleet(backend, root, args.kiosks, args.events_per_kiosk, 200, name)
                results[f"{name} fleet"] = rate
                print(f"{name:10s} {args.kiosks} kiosks at once, {args.events_per_kiosk} events each, batch 200: "
                      f"{rate:8.0f} events/s stored", flush=True)
                backend.stop()
        finally:
            for backend in backends.values():
                backend.stop()
    pg_rate = results[f"postgresql one kiosk batch {DEFAULT_BATCH}"]
    print(f"postgresql/sqlite one-kiosk ratio (batch {DEFAULT_BATCH}): "
          f"{pg_rate / results[f'sqlite one kiosk batch {DEFAULT_BATCH}']:.2f}")
    print(f"target ≥ {TARGET_EVENTS_PER_S} events/s from one kiosk on PostgreSQL (default batch {DEFAULT_BATCH}): "
          + ("met" if pg_rate >= TARGET_EVENTS_PER_S else "NOT met"))
    steady = results["postgresql chunks worst/median"]
    print(f"target: no 20k-event chunk under {STEADY_SHARE:.0%} of the median on PostgreSQL: "
          + ("met" if steady >= STEADY_SHARE else f"NOT met ({steady:.0%})"))


if __name__ == "__main__":
    main()
