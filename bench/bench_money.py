"""Money-path crash benchmark: 200 SIGKILLs of ``kiosk txn run`` against the ZVT emulator
(pty) and the simulated provider, at random state boundaries and random instants, under
random faults (provider failing / hanging / answering unknown, terminal declining / going
silent, pre-authorization); ``kiosk recover`` after each; then the money invariant.

Prints the kill count, the invariant's result and the time per kill cycle. Several
independent rigs (own emulator, own data directory) run side by side to keep the
runtime near a minute on a small machine. The last rig's terminal has no Repeat Receipt
(payments in doubt settled from the driver's evidence): there a lost status can only be
parked for staff, so its invariant also accepts a standing charge that a parked
transaction's task names, and prints how many. Each rig ends with one sale that is not
killed, which settles payments waiting for the terminal's next transaction.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.money.crashkit import Campaign, Kill, crash_rig, random_plan

TARGET_KILLS = 200
RIGS = 5  # the last one without Repeat Receipt


def _worker(root: Path, seed: int, quota: int, out: list[Campaign], errors: list[str],
            repeat_receipt: bool = True) -> None:
    rng = random.Random(seed)
    try:
        with crash_rig(root, repeat_receipt=repeat_receipt) as rig:
            if not repeat_receipt:
                # the terminal's first receipt number: without one before it, a lost payment can
                # only be described by its amount (a staff task naming no receipt; unit-tested)
                rig.cycle(Kill())
            while rig.campaign.kills < quota and rig.campaign.runs < quota * 3:
                for kill in random_plan(rng, 1):
                    rig.cycle(kill)
            rig.cycle(Kill())  # a sale nobody kills: what waits for the next transaction settles
            rig.check()
            out.append(rig.campaign)
    except Exception as exc:  # reported below; a benchmark prints, it does not hide
        errors.append(f"rig {seed}: {exc!r}")


def main() -> int:
    start = time.monotonic()
    campaigns: list[Campaign] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-money-") as tmp:
        quota = -(-TARGET_KILLS // RIGS)
        threads = [threading.Thread(target=_worker, args=(Path(tmp) / f"rig{i}", 1000 + i, quota,
                                                          campaigns, errors, i < RIGS - 1))
                   for i in range(RIGS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors or any(c.invariant.problems for c in campaigns):
            # the rigs' ledgers, terminal journals and run outputs are the evidence: keep them
            kept = Path(tempfile.mkdtemp(prefix="bench-money-failed-"))
            shutil.copytree(tmp, kept, dirs_exist_ok=True, symlinks=True)
            print(f"evidence kept in {kept}")
    elapsed = time.monotonic() - start
    kills = sum(c.kills for c in campaigns)
    runs = sum(c.runs for c in campaigns)
    problems = [p for c in campaigns for p in c.invariant.problems] + errors
    txns = sum(c.invariant.transactions for c in campaigns)
    print(f"money crash benchmark: {kills} kills ({sum(c.killed_by_hook for c in campaigns)} at state "
          f"boundaries, {sum(c.killed_at_random for c in campaigns)} at random instants) in {runs} "
          f"sales across {RIGS} rigs")
    print(f"transactions: {txns}  completed: {sum(c.invariant.completed for c in campaigns)}  "
          f"reversed: {sum(c.invariant.reversed for c in campaigns)}  "
          f"declined: {sum(c.invariant.declined for c in campaigns)}  "
          f"needs_attention: {sum(c.invariant.needs_attention for c in campaigns)}  "
          f"(terminal without Repeat Receipt: {sum(c.invariant.staff_tasks for c in campaigns)} "
          "charges parked for staff, each named by its transaction's task)")
    print(f"invariant (charge stands iff top-up succeeded; no ledger row lost; chain verifies; "
          f"the driver still knows the terminal has Repeat Receipt): "
          f"{'PASS' if not problems else 'FAIL'}")
    for p in problems[:20]:
        print(f"  problem: {p}")
    print(f"elapsed: {elapsed:.1f} s, {elapsed / max(runs, 1):.2f} s per sale+recover cycle "
          f"(wall, {RIGS} rigs in parallel)")
    return 1 if problems else 0  # a broken money invariant fails `make bench`, not just a line


if __name__ == "__main__":
    sys.exit(main())
