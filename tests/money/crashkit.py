"""Crash-test harness: the ZVT emulator on a pty, ``kiosk`` processes killed with SIGKILL,
``kiosk recover``, and the money invariant checked against each party's own records.

Used by ``tests/money/test_crash.py`` (at least 20 kills) and ``bench/bench_money.py``
(200 kills). ``kiosk`` runs in processes forked from a *zygote* that has imported
the kiosk once, so a kill cycle costs the transaction, not interpreter start-up;
each forked child runs exactly ``kiosk.cli.main(argv)`` in its own process with
its own environment, and is the one that gets killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PLAN_ID, MSISDN, AMOUNT = "tmo-unl-40", "12025550101", 4000

ZYGOTE_SRC = r"""
import json, os, sys
import kiosk.app, kiosk.cli, kiosk.cli.txn, kiosk.cli.recover, kiosk.recovery, kiosk.txn
import payment.zvt.terminal, devices.printer, devices.card.simulated, kiosk.topup.simulated
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    if "wait" in req:
        _, status = os.waitpid(req["wait"], 0)
        print(json.dumps({"pid": req["wait"], "status": os.waitstatus_to_exitcode(status)}), flush=True)
        continue
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            os.environ.clear()
            os.environ.update(req["env"])
            fd = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            rc = kiosk.cli.main(req["argv"])
        except BaseException:
            import traceback
            traceback.print_exc()
            rc = 70
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    print(json.dumps({"pid": pid}), flush=True)
    if req.get("detach"):
        continue
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"pid": pid, "status": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class Zygote:
    """A pre-imported kiosk process that forks one child per ``kiosk`` command."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE_SRC], cwd=REPO, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line or not json.loads(line).get("ready"):
            raise RuntimeError("kiosk zygote did not start")

    def run(self, argv: list[str], env: dict[str, str], out: Path,
            kill_after_s: float | None = None) -> int:
        """Run ``kiosk argv`` in a fresh child; SIGKILL it after ``kill_after_s`` if given."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "out": str(out)}) + "\n")
        self.proc.stdin.flush()
        pid = json.loads(self.proc.stdout.readline())["pid"]
        if kill_after_s is not None:
            time.sleep(kill_after_s)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        done = json.loads(self.proc.stdout.readline())
        assert done["pid"] == pid
        return int(done["status"])

    def spawn(self, argv: list[str], env: dict[str, str], out: Path) -> int:
        """Start ``kiosk argv`` in a fresh child and return at once (``wait`` collects it)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "out": str(out), "detach": True}) + "\n")
        self.proc.stdin.flush()
        return int(json.loads(self.proc.stdout.readline())["pid"])

    def wait(self, pid: int) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"wait": pid}) + "\n")
        self.proc.stdin.flush()
        done = json.loads(self.proc.stdout.readline())
        assert done["pid"] == pid
        return int(done["status"])

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Emulator:
    """``python -m payment.emulator`` on a pty; faults through its control file."""

    def __init__(self, root: Path, *, repeat_receipt: bool = True) -> None:
        self.link = root / "terminal"
        self.journal = root / "terminal-journal.jsonl"
        self.control = root / "terminal-control.json"
        self.control.write_text("{}", encoding="utf-8")
        self._faults: dict[str, Any] = {}
        self._generation = 0
        self._applied: queue.Queue[int | None] = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "payment.emulator", "--link", str(self.link),
             "--journal", str(self.journal), "--control", str(self.control), "--ack-timeout", "0.5",
             *([] if repeat_receipt else ["--no-repeat-receipt"])],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line or json.loads(line).get("event") != "ready":
            self.stop()
            raise RuntimeError("ZVT emulator did not start")
        threading.Thread(target=self._read_events, daemon=True, name="emulator-events").start()

    def _read_events(self) -> None:
        """The emulator's stdout after "ready": which control generations are in force."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("event") == "control_applied":
                self._applied.put(event.get("generation"))

    def set_faults(self, **faults: Any) -> None:
        """Replace the fault settings (every fault not named is switched off)."""
        if faults == self._faults:
            return
        base: dict[str, Any] = {"decline": False, "silent_at": None, "disconnect_at": None,
                                "busy": False, "card_delay_s": 0.0, "pin_delay_s": 0.0,
                                "host_delay_s": 0.0, "answer_delay_s": 0.0}  # the emulator keeps unnamed keys
        self._generation += 1
        tmp = self.control.with_suffix(".tmp")  # whole or not at all: the emulator may read it any time
        tmp.write_text(json.dumps({**base, **faults, "generation": self._generation}), encoding="utf-8")
        os.replace(tmp, self.control)
        self._faults = dict(faults)
        deadline = time.monotonic() + 10
        while True:  # the next sale (or recovery) must meet these faults, not the last ones
            try:
                if self._applied.get(timeout=max(0.0, deadline - time.monotonic())) == self._generation:
                    return
            except queue.Empty:
                raise RuntimeError(f"ZVT emulator did not apply control generation {self._generation}") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Invariant:
    transactions: int = 0
    completed: int = 0
    reversed: int = 0
    declined: int = 0
    needs_attention: int = 0
    #: standing charges no transaction links but a parked transaction's staff task names
    #: (a terminal without Repeat Receipt whose status was lost: docs/money.md 2a)
    staff_tasks: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(data_dir: Path, journal_path: Path, seen_events: dict[int, str], *,
          repeat_receipt: bool = True) -> Invariant:
    """Each party's own records: the terminal's journal, the provider's records, the ledger.

    ``repeat_receipt``: the terminal has it, so every payment in doubt can be settled and no
    charge may stand without its transaction (and the driver must still know it has Repeat
    Receipt). Without it a payment whose status was lost can only be parked for staff: its
    charge must then be named by that parked transaction's task (``missing_receipts``)."""
    from kiosk.ledger import Ledger, verify
    from kiosk.topup.simulated import SimulatedProvider
    from kiosk.txn import TxnContext
    from payment.emulator.journal import read_journal, standing_charges

    inv = Invariant()
    caps_path = data_dir / "terminal" / "zvt-capabilities.json"
    if repeat_receipt and caps_path.exists() \
            and json.loads(caps_path.read_text(encoding="utf-8")).get("repeat_receipt") is False:
        inv.problems.append("the driver recorded that the terminal has no Repeat Receipt; it has")
    named: set[int] = set()
    records = read_journal(journal_path)
    standing = standing_charges(records)
    booked = {r["original_receipt_no"]: r["receipt_no"] for r in records if r["kind"] == "book_total"}
    refunds = {r["receipt_no"] for r in records if r["kind"] == "refund"}
    provider = SimulatedProvider(data_dir).records()
    linked: set[int] = set()
    with Ledger.open("", data_dir) as ledger:
        report = verify(ledger)
        if not report.ok:
            inv.problems.append(f"ledger verify: {report.reason}")
        refund_no: dict[str, int] = {}
        for ev in ledger.events():
            inv.events += 1
            if seen_events.get(ev.seq, ev.hash) != ev.hash:
                inv.problems.append(f"ledger row {ev.seq} changed")
            seen_events[ev.seq] = ev.hash
            if ev.txn_id and ev.payload.get("refund_receipt_no"):
                refund_no[ev.txn_id] = int(ev.payload["refund_receipt_no"])
        missing = [s for s in seen_events if s > inv.events]
        if missing:
            inv.problems.append(f"ledger rows lost: {missing[:5]}")
        txn_ids = set()
        for row in ledger.transactions():
            inv.transactions += 1
            txn_ids.add(row["txn_id"])
            state = row["state"]
            rec = provider.get(row["txn_id"])
            topped = rec is not None and rec["status"] == "succeeded"
            receipt = int(row["terminal_receipt_no"]) if row["terminal_receipt_no"] else None
            charge_keys = [k for k in (receipt, booked.get(receipt)) if k is not None]
            stands_raw = any(k in standing for k in charge_keys)
            linked.update(k for k in charge_keys if k in standing)
            stands = stands_raw and refund_no.get(row["txn_id"]) not in refunds
            if state == "needs_attention":
                inv.needs_attention += 1
                if not repeat_receipt:
                    task = TxnContext.from_ledger(ledger, row["txn_id"]).data.get("missing_receipts")
                    named.update(int(n) for n in task or ())
                continue
            inv.completed += state == "completed"
            inv.reversed += state == "reversed"
            inv.declined += state == "payment_declined"
            if state not in ("completed", "reversed", "payment_declined"):
                inv.problems.append(f"{row['txn_id']}: left open in {state}")
            if stands != topped:
                inv.problems.append(f"{row['txn_id']} ({state}): charge stands={stands} "
                                    f"but top-up succeeded={topped}")
            if (state == "completed") != topped:
                inv.problems.append(f"{row['txn_id']}: state {state} but top-up succeeded={topped}")
        orphans = set(standing) - linked
        inv.staff_tasks = len(orphans & named)
        orphans -= named
        if orphans:
            inv.problems.append(f"charges no transaction accounts for: receipts {sorted(orphans)}")
        unknown_keys = {k for k, r in provider.items() if r["status"] != "void"} - txn_ids
        if unknown_keys:
            inv.problems.append(f"top-ups no transaction accounts for: {sorted(unknown_keys)[:3]}")
    return inv


@dataclass
class Kill:
    """One crash: at a state boundary (``at``) or at a random instant (``random_s``)."""

    at: str | None = None
    random_s: float | None = None
    terminal: dict[str, Any] = field(default_factory=dict)
    provider: dict[str, Any] = field(default_factory=dict)
    preauth: bool = False


@dataclass
class Campaign:
    kills: int = 0
    runs: int = 0
    killed_by_hook: int = 0
    killed_at_random: int = 0
    invariant: Invariant = field(default_factory=Invariant)


class CrashRig:
    """Emulator + zygote + data directory; ``cycle`` = one (killed) sale, then recovery."""

    def __init__(self, root: Path, *, repeat_receipt: bool = True) -> None:
        self.root = root
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.repeat_receipt = repeat_receipt
        self.emulator = Emulator(root, repeat_receipt=repeat_receipt)
        self.zygote = Zygote()
        self.seen: dict[int, str] = {}
        self.campaign = Campaign()
        self.n = 0

    def env(self, *, preauth: bool = False, crash_at: str | None = None) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO),
            "KIOSK_DATA_DIR": str(self.data), "KIOSK_TERMINAL_BACKEND": "zvt",
            "KIOSK_TERMINAL_PORT": str(self.emulator.link), "KIOSK_TERMINAL_ACK_TIMEOUT_S": "1",
            "KIOSK_TERMINAL_MASTER_TIMEOUT_S": "2", "KIOSK_TERMINAL_PREAUTH": str(preauth).lower(),
            "KIOSK_PROVIDER_BACKEND": "simulated", "KIOSK_PROVIDER_TIMEOUT_S": "1",
            "KIOSK_READER_BACKEND": "simulated", "KIOSK_PRINTER_BACKEND": "none",
            "KIOSK_LOGGING_LEVEL": "WARNING",
        }
        if crash_at:
            env["KIOSK_TEST_CRASH_AT"] = crash_at
        return env

    def cycle(self, kill: Kill) -> int:
        """One sale killed as ``kill`` says, then ``kiosk recover`` with the faults cleared."""
        from kiosk.topup.simulated import SimulatedProvider

        sim = SimulatedProvider(self.data)
        self.emulator.set_faults(**kill.terminal)
        sim.set_control(**kill.provider)
        self.n += 1
        argv = ["txn", "run", "--plan", PLAN_ID, "--msisdn", MSISDN, "--json"]
        rc = self.zygote.run(argv, self.env(preauth=kill.preauth, crash_at=kill.at),
                             self.root / f"run-{self.n}.out", kill_after_s=kill.random_s)
        self.campaign.runs += 1
        if rc == -signal.SIGKILL:
            self.campaign.kills += 1
            if kill.random_s is None:
                self.campaign.killed_by_hook += 1
            else:
                self.campaign.killed_at_random += 1
        self.emulator.set_faults()
        sim.set_control(mode="ok")
        out = self.root / f"recover-{self.n}.out"
        rrc = self.zygote.run(["recover", "--json"], self.env(preauth=kill.preauth), out)
        if rrc not in (0, 1):
            raise RuntimeError(f"kiosk recover failed ({rrc}): {out.read_text()[-2000:]}")
        return rc

    def check(self) -> Invariant:
        inv = check(self.data, self.emulator.journal, self.seen, repeat_receipt=self.repeat_receipt)
        self.campaign.invariant = inv
        return inv

    def close(self) -> None:
        self.zygote.close()
        self.emulator.stop()


@contextlib.contextmanager
def crash_rig(root: Path, *, repeat_receipt: bool = True) -> Iterator[CrashRig]:
    rig = CrashRig(root, repeat_receipt=repeat_receipt)
    try:
        yield rig
    finally:
        rig.close()


SALE_BOUNDARIES = [
    "created", "payment_requested", "payment_requested:after", "payment_approved",
    "payment_approved:after", "topup_requested", "topup_requested:after", "topup_succeeded",
    "topup_succeeded:after", "completed",
]
FAILURE_BOUNDARIES = [
    "topup_requested:after", "topup_failed", "topup_failed:after", "reversal_requested",
    "reversal_requested:after",
]
UNKNOWN_BOUNDARIES = ["topup_requested:after", "topup_unknown", "topup_unknown:after"]
PREAUTH_BOUNDARIES = ["topup_succeeded:after", "capture_requested", "capture_requested:after"]


def standard_plan(rng: random.Random, random_kills: int = 3) -> list[Kill]:
    """Every state boundary of every scenario once, plus random-instant kills."""
    plan = [Kill(at=b) for b in SALE_BOUNDARIES]
    plan += [Kill(at=b, provider={"mode": "fail"}) for b in FAILURE_BOUNDARIES]
    plan += [Kill(at=b, provider={"mode": "unknown"}) for b in UNKNOWN_BOUNDARIES]
    plan += [Kill(at="topup_unknown", provider={"mode": "unknown", "perform": False})]
    plan += [Kill(at=b, provider={"mode": "hang", "hang_s": 1.5})
             for b in ("topup_requested:after", "topup_unknown")]
    plan += [Kill(at=b, terminal={"decline": True})
             for b in ("payment_requested:after", "payment_declined")]
    plan += [Kill(at="payment_requested:after", terminal={"silent_at": "completion"}),
             Kill(at="payment_unknown", terminal={"silent_at": "status"})]
    plan += [Kill(at=b, preauth=True) for b in PREAUTH_BOUNDARIES]
    plan += [Kill(random_s=rng.uniform(0.3, 2.0)) for _ in range(random_kills)]
    return plan


def random_plan(rng: random.Random, n: int) -> list[Kill]:
    """``n`` kills under random faults, each at a boundary that fault scenario reaches
    (60 %) or at a random instant during the sale."""
    scenarios: list[tuple[dict[str, Any], list[str]]] = [
        ({}, SALE_BOUNDARIES),
        ({"provider": {"mode": "fail"}}, FAILURE_BOUNDARIES),
        ({"provider": {"mode": "unknown"}}, [*UNKNOWN_BOUNDARIES, "topup_succeeded"]),
        ({"provider": {"mode": "unknown", "perform": False}},
         [*UNKNOWN_BOUNDARIES, "topup_failed", "reversal_requested:after"]),
        ({"provider": {"mode": "hang", "hang_s": 1.5}}, UNKNOWN_BOUNDARIES),
        ({"terminal": {"decline": True}}, ["payment_requested:after", "payment_declined"]),
        ({"terminal": {"silent_at": "status"}},
         ["payment_requested:after", "payment_unknown", "payment_unknown:after"]),
        ({"terminal": {"silent_at": "completion"}}, ["payment_unknown", "payment_unknown:after"]),
        ({"preauth": True}, ["payment_requested:after", *PREAUTH_BOUNDARIES]),
    ]
    plan = []
    for _ in range(n):
        faults, boundaries = rng.choice(scenarios)
        if rng.random() < 0.6:
            plan.append(Kill(at=rng.choice(boundaries), **faults))
        else:
            plan.append(Kill(random_s=rng.uniform(0.05, 1.2), **faults))
    return plan
