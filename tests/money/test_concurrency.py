"""One owner per open transaction, with real processes: ``kiosk recover`` started while a live
``kiosk txn run`` (against the ZVT emulator on a pty and the simulated provider) is held in
``payment_requested``, ``topup_requested``, ``reversal_requested`` and ``refund_requested``;
and two ``kiosk txn run`` on one data directory and one terminal.

For each held sale: recover reports it as ``skipped_live`` and touches nothing; the sale ends
with one charge, at most one reversal or refund, exactly one final state, no state after it
and one receipt when completed; the money invariant of the crash kit holds for everything."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import TerminalSection
from kiosk.ledger import Ledger
from payment.emulator.journal import read_journal
from payment.zvt.terminal import ZvtTerminal
from tests.money.crashkit import MSISDN, PLAN_ID, CrashRig, crash_rig

FINAL = {"completed", "reversed", "payment_declined", "needs_attention"}
AFTER_FINAL_OK = {"txn.receipt", "txn.receipt_not_printed"}


def txn_states(data: Path) -> dict[str, str]:
    path = data / "ledger.sqlite3"
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return dict(conn.execute("SELECT txn_id, state FROM transactions").fetchall())
    except sqlite3.OperationalError:  # the schema is being created
        return {}
    finally:
        conn.close()


def wait_for(data: Path, known: set[str], state: str, timeout_s: float = 20.0) -> str:
    """The new transaction once it sits in ``state`` (fails if it ends first)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for txn, st in txn_states(data).items():
            if txn in known:
                continue
            if st == state:
                return txn
            assert st not in FINAL, f"the sale ended ({st}) before it was seen in {state}"
        time.sleep(0.03)
    raise AssertionError(f"no new transaction reached {state} within {timeout_s} s: {txn_states(data)}")


def last_json(path: Path) -> dict[str, Any]:
    lines = [line for line in path.read_text().splitlines() if line.startswith("{")]
    assert lines, path.read_text()[-2000:]
    return json.loads(lines[-1])  # type: ignore[no-any-return]


class Scenario:
    def __init__(self, rig: CrashRig, **env: str) -> None:
        self.rig = rig
        self.env = {**rig.env(), "KIOSK_TERMINAL_MASTER_TIMEOUT_S": "10", **env}
        self.n = 0

    def spawn_sale(self, tag: str, **env: str) -> int:
        argv = ["txn", "run", "--plan", PLAN_ID, "--msisdn", MSISDN, "--json"]
        return self.rig.zygote.spawn(argv, {**self.env, **env}, self.rig.root / f"{tag}.out")

    def recover_now(self, tag: str) -> dict[str, Any]:
        started = time.monotonic()
        rc = self.rig.zygote.run(["recover", "--json"], self.env, self.rig.root / f"{tag}-recover.out")
        took = time.monotonic() - started
        out = last_json(self.rig.root / f"{tag}-recover.out")
        assert rc == 0, out
        assert took < 8, f"recover waited {took:.1f} s for a live sale"  # it skips, it does not wait
        return out


def check_one_sale(rig: CrashRig, txn: str, expected_final: str) -> None:
    with Ledger.open("", rig.data) as ledger:
        events = list(ledger.events(txn_id=txn))
    states = [e.payload["state"] for e in events if "state" in e.payload]
    finals = [s for s in states if s in FINAL]
    assert finals == [expected_final] and states[-1] == expected_final, states  # exactly one, and last
    last_state_at = max(i for i, e in enumerate(events) if "state" in e.payload)
    after = [e.kind for e in events[last_state_at + 1:]]
    assert set(after) <= AFTER_FINAL_OK, after  # nothing happens to a transaction after its end
    receipts = [e for e in events if e.kind == "txn.receipt"]
    assert len(receipts) == (1 if expected_final == "completed" else 0)
    receipt_no = next(int(e.payload["terminal_receipt_no"]) for e in events
                      if e.payload.get("terminal_receipt_no"))
    journal = read_journal(rig.emulator.journal)
    assert sum(1 for r in journal if r["kind"] == "approval" and r["receipt_no"] == receipt_no) == 1
    assert sum(1 for r in journal if r["kind"] == "reversal" and r.get("original_receipt_no") == receipt_no) <= 1
    refunds = [e.payload["refund_receipt_no"] for e in events if e.payload.get("refund_receipt_no")]
    assert len(refunds) <= 1


@pytest.mark.timeout(240)
def test_recover_skips_a_live_sale_at_every_saga_step_and_two_sales_never_interleave(tmp_path: Path) -> None:
    from kiosk.topup.simulated import SimulatedProvider

    with crash_rig(tmp_path) as rig:
        sim = SimulatedProvider(rig.data)
        sc = Scenario(rig)

        def held(tag: str, state: str, expected: str, *, before_hold: Any = None, **env: str) -> str:
            known = set(txn_states(rig.data))
            pid = sc.spawn_sale(tag, **env)
            if before_hold is not None:
                before_hold(known)
            txn = wait_for(rig.data, known, state)
            report = sc.recover_now(tag)
            assert report["skipped_live"] == [txn] and report["resolved"] == [], report  # touched nothing
            rc = rig.zygote.wait(pid)
            sale = last_json(rig.root / f"{tag}.out")
            assert sale["txn_id"] == txn and sale["state"] == expected, sale
            assert rc == (0 if expected == "completed" else 1)
            check_one_sale(rig, txn, expected)
            rig.emulator.set_faults()
            sim.set_control(mode="ok")
            return txn

        # 1. the customer is at the terminal (card and PIN take a while)
        rig.emulator.set_faults(card_delay_s=2.0)
        held("pay", "payment_requested", "completed")

        # 2. a slow provider: the submit hangs past its deadline, then settles
        sim.set_control(mode="hang", hang_s=2.5)
        held("topup", "topup_requested", "completed")

        # 3. the top-up failed and the reversal is on its way to a slow host
        sim.set_control(mode="fail", latency_s=1.0)

        def slow_host_after_the_payment(known: set[str]) -> None:
            wait_for(rig.data, known, "topup_requested")
            rig.emulator.set_faults(host_delay_s=2.0)

        held("reversal", "reversal_requested", "reversed", before_hold=slow_host_after_the_payment)

        # 4. the day was closed meanwhile: the reversal is refused and a refund is on its way
        sim.set_control(mode="fail", latency_s=2.5)

        def close_the_day_during_the_topup(known: set[str]) -> None:
            wait_for(rig.data, known, "topup_requested")
            with ZvtTerminal(TerminalSection(port=str(rig.emulator.link), ack_timeout_s=1.0,
                                             master_timeout_s=5.0)) as other:
                assert other.end_of_day().ok  # another ECR on the same terminal, for the test only
            rig.emulator.set_faults(host_delay_s=2.0)

        txn = held("refund", "refund_requested", "reversed", before_hold=close_the_day_during_the_topup,
                   KIOSK_PROVIDER_TIMEOUT_S="5")
        with Ledger.open("", rig.data) as ledger:
            assert [e.payload["state"] for e in ledger.events(txn_id=txn) if "state" in e.payload][-3:] == [
                "reversal_failed", "refund_requested", "reversed"]

        # 5. two sales on one data directory and one terminal
        rig.emulator.set_faults(card_delay_s=3.0)
        known = set(txn_states(rig.data))
        first = sc.spawn_sale("first")
        a = wait_for(rig.data, known, "payment_requested")
        refused = rig.zygote.run(["txn", "run", "--plan", PLAN_ID, "--msisdn", MSISDN, "--json"],
                                 {**sc.env, "KIOSK_TERMINAL_LOCK_WAIT_S": "0.3"}, rig.root / "refused.out")
        out = last_json(rig.root / "refused.out")
        assert refused == 1 and out["result"] == "terminal_unavailable" and out["state"] == "not_started"
        assert "in use by another process" in out["message"] and out["txn_id"] == ""
        rig.emulator.set_faults()  # the first sale is still at the terminal; the next one is quick
        waiting = sc.spawn_sale("waiting", KIOSK_TERMINAL_LOCK_WAIT_S="30")
        assert rig.zygote.wait(first) == 0 and rig.zygote.wait(waiting) == 0
        b = last_json(rig.root / "waiting.out")["txn_id"]
        with Ledger.open("", rig.data) as ledger:
            seq = {(e.txn_id, e.payload.get("state")): e.seq for e in ledger.events() if e.txn_id in (a, b)}
        assert seq[(b, "payment_requested")] > seq[(a, "completed")]  # the second waited for the first
        assert len(txn_states(rig.data)) == len(known) + 2  # the refused one journaled nothing
        check_one_sale(rig, a, "completed")
        check_one_sale(rig, b, "completed")

        inv = rig.check()
        assert inv.ok, inv.problems
        assert inv.needs_attention == 0
