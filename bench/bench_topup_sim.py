"""Simulated top-up provider: submit and status cost with an empty history and after 20,000 sales.

The provider's records are a JSON-lines file; each process indexes it and reads only what was
appended since, so both operations should cost the same (one fsync'd append, or none) whatever
the history. Prints milliseconds per operation and the one-off cost of indexing 20,000 records
in a new process.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.ports import Account
from kiosk.topup import demo_catalog
from kiosk.topup.simulated import SimulatedProvider

HISTORY = 20_000
ACCOUNT = Account(msisdn="12025550101", carrier="T-Mobile")
PLAN = next(p for p in demo_catalog() if p.id == "tmo-unl-40")


def per_op_ms(fn: Callable[[], object], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1000


def main() -> int:
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        data = Path(tmp)
        sim = SimulatedProvider(data)
        empty_submit = per_op_ms(lambda: sim.submit(str(uuid.uuid4()), ACCOUNT, PLAN), 50)
        empty_status = per_op_ms(lambda: sim.status(str(uuid.uuid4())), 50)
        with open(sim.records_path, "a", encoding="utf-8") as fh:  # 20k settled sales, as submit writes them
            for _ in range(HISTORY):
                fh.write(json.dumps({"key": str(uuid.uuid4()), "msisdn": ACCOUNT.msisdn, "plan_id": PLAN.id,
                                     "amount_cents": PLAN.price_cents, "carrier": PLAN.carrier, "currency": "USD",
                                     "at": "2025-07-01T00:00:00.000000Z", "provider_ref": "SIM-X",
                                     "status": "succeeded", "failure_kind": None, "message": ""},
                                    sort_keys=True) + "\n")
        fresh = SimulatedProvider(data)
        started = time.perf_counter()
        fresh.status(str(uuid.uuid4()))
        index_ms = (time.perf_counter() - started) * 1000
        full_submit = per_op_ms(lambda: fresh.submit(str(uuid.uuid4()), ACCOUNT, PLAN), 50)
        full_status = per_op_ms(lambda: fresh.status(str(uuid.uuid4())), 50)
    print(f"empty history:      submit {empty_submit:6.2f} ms   status {empty_status:6.2f} ms")
    print(f"{HISTORY} records:     submit {full_submit:6.2f} ms   status {full_status:6.2f} ms")
    print(f"new process, first call indexes {HISTORY} records: {index_ms:.0f} ms (once)")
    ratio = full_submit / empty_submit
    print(f"submit after {HISTORY} sales / empty: x{ratio:.1f} (O(1) in the history: about x1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
