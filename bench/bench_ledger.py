"""Ledger figures: committed-append latency against bare sqlite3, and how verify and
export grow with the ledger's size (each size in its own process, to report its peak RSS).

Run: ``make bench`` or ``.venv/bin/python bench/bench_ledger.py [--sizes 10000,100000,1000000]``.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.ledger import Ledger, verify
from kiosk.ledger.chain import GENESIS, canonical_json, event_hash, format_at
from kiosk.ledger.export import (
    EVENT_COLUMNS,
    TRANSACTION_COLUMNS,
    event_rows,
    transaction_rows,
    write_export,
)
from kiosk.ledger.store import SQLITE_FILE

APPENDS = 300


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_append() -> None:
    payload = {"state": "payment_requested", "amount_cents": 2500, "currency": "USD", "plan_id": "tmo-25"}
    with tempfile.TemporaryDirectory() as tmp:
        ledger_times: list[float] = []
        bare_times: list[float] = []
        with Ledger.open("", Path(tmp) / "a") as ledger:
            con = sqlite3.connect(Path(tmp) / "bare.sqlite3", isolation_level=None)
            for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON", "busy_timeout = 10000"):
                con.execute(f"PRAGMA {pragma}")
            con.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, txn_id TEXT, at TEXT, kind TEXT,"
                        " payload TEXT, prev_hash TEXT, hash TEXT UNIQUE)")
            text = canonical_json(payload)
            for i in range(APPENDS):  # interleaved, so both see the same disk weather
                t0 = time.perf_counter()
                ledger.append("txn.state", payload, txn_id=f"txn-{i // 6}")
                ledger_times.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                con.execute("BEGIN")
                con.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?)",
                            (i + 1, f"txn-{i // 6}", "2026-01-01T00:00:00.000000Z", "txn.state", text,
                             "0" * 64, f"{i:064d}"))
                con.execute("COMMIT")
                bare_times.append(time.perf_counter() - t0)
            con.close()
    lm, lp = statistics.median(ledger_times) * 1e3, pct(ledger_times, 0.99) * 1e3
    bm, bp = statistics.median(bare_times) * 1e3, pct(bare_times, 0.99) * 1e3
    print(f"append (synchronous=FULL, {APPENDS} commits): ledger median {lm:.3f} ms p99 {lp:.3f} ms;"
          f" bare sqlite3 INSERT+COMMIT median {bm:.3f} ms p99 {bp:.3f} ms")
    print(f"append ratio ledger/bare: median {lm / bm:.2f}  p99 {lp / bp:.2f}  (target <= 1.5)")


def build(data_dir: Path, events: int) -> None:
    """A valid ledger of ``events`` events (3 per transaction) written in bulk."""
    with Ledger.open("", data_dir):
        pass
    con = sqlite3.connect(data_dir / SQLITE_FILE, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    prev = GENESIS
    rows, txns = [], []
    states = ("created", "payment_requested", "completed")
    for seq in range(1, events + 1):
        t, step = divmod(seq - 1, 3)
        txn = f"00000000-0000-4000-8000-{t:012d}"
        at = format_at(__import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC)
                       + __import__("datetime").timedelta(seconds=seq))
        payload = {"state": states[step]}
        if step == 0:
            payload.update(msisdn="12025550123", iccid="8901260123456789012", amount_cents=2500, currency="USD",
                           plan_id="tmo-25", carrier="T-Mobile")
        text = canonical_json(payload)
        digest = event_hash(prev, seq, txn, at, "txn.state", text)
        rows.append((seq, txn, at, "txn.state", text, prev, digest))
        prev = digest
        if step == 0:
            txns.append([txn, at, at, states[step], "T-Mobile", "12025550123", "8901260123456789012", "tmo-25",
                         2500, "USD", seq])
        else:  # the projection is the fold of the events (verify checks it): later steps move it on
            txns[-1][2], txns[-1][3], txns[-1][10] = at, states[step], seq
        if len(rows) >= 50_000:
            con.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?)", rows)
            rows.clear()
    con.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?)", rows)
    con.executemany("INSERT INTO transactions (txn_id, created_at, updated_at, state, carrier, msisdn, iccid,"
                    " plan_id, amount_cents, currency, last_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?)", txns)
    con.execute("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1", (events, prev))
    con.execute("COMMIT")
    con.close()


class Sink(io.TextIOBase):
    """Counts what an export writes without keeping it."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, s: str) -> int:
        self.chars += len(s)
        return len(s)


def one_size(events: int, data_dir: Path, built: float) -> dict[str, float]:
    """Runs in a fresh process against a ledger built by another, so RSS is verify's and export's."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with Ledger.open("", data_dir) as ledger:
        t0 = time.perf_counter()
        report = verify(ledger)
        t_verify = time.perf_counter() - t0
        assert report.ok and report.events == events, report
        out: dict[str, float] = {"events": events, "build_s": built, "verify_s": t_verify}
        for fmt in ("csv", "jsonl"):
            t0 = time.perf_counter()
            write_export(transaction_rows(ledger, None, None, False), TRANSACTION_COLUMNS, fmt, Sink())
            out[f"export_txn_{fmt}_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_export(event_rows(ledger, None, None, False), EVENT_COLUMNS, "jsonl", Sink())
        out["export_events_jsonl_s"] = time.perf_counter() - t0
    out["rss_before_mib"] = rss_before
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(Path(args.build[1]), int(args.build[0]))
        return
    if args.one:
        print(json.dumps(one_size(int(args.one[0]), Path(args.one[1]), float(args.one[2]))))
        return
    bench_append()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--build", str(size), tmp], check=True)
            built = time.perf_counter() - t0
            proc = subprocess.run([sys.executable, __file__, "--one", str(size), tmp, str(built)],
                                  capture_output=True, text=True, check=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(f"{'events':>9} {'verify s':>9} {'csv s':>8} {'jsonl s':>8} {'events s':>9} {'µs/event verify':>16}"
          f" {'RSS before/peak MiB':>20}")
    for r in results:
        print(f"{int(r['events']):>9} {r['verify_s']:>9.2f} {r['export_txn_csv_s']:>8.2f}"
              f" {r['export_txn_jsonl_s']:>8.2f}"
              f" {r['export_events_jsonl_s']:>9.2f} {r['verify_s'] / r['events'] * 1e6:>16.1f}"
              f" {r['rss_before_mib']:>9.0f}/{r['peak_rss_mib']:.0f}")
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = last["events"] / first["events"]
        print(f"size x{growth:.0f}: verify x{last['verify_s'] / first['verify_s']:.1f},"
              f" events export x{last['export_events_jsonl_s'] / first['export_events_jsonl_s']:.1f},"
              f" peak RSS {first['peak_rss_mib']:.0f} -> {last['peak_rss_mib']:.0f} MiB (streaming: flat)")


if __name__ == "__main__":
    main()
