"""Acceptance harness: the kiosk's command line, as separate processes, against the independent peers.

A :class:`Rig` is one kiosk installation: a fresh data directory, a configuration file written
here, an upstream top-up peer (``tests/peers/upstream_peer.py``, an HTTP server) and a ZVT terminal
peer (``tests/peers/zvt_peer``, a pty). The kiosk is only ever driven through ``kiosk ...``
commands, and what it did is only read back through ``kiosk ledger export`` / ``kiosk ledger
verify`` and the peers' own journals, never through the kiosk's code: these tests were written
from the issues' promises (13 and 14) and the documentation, not from the implementation.

:meth:`Rig.settle_and_check` is the common verdict after any scenario: ``kiosk recover`` until
nothing is open, then the money promise between the two peers' journals (every performed top-up
matches exactly one standing charge at the terminal and vice versa; no reversal or refund twice;
no transaction completed on another key's record), the ledger's events (exactly one final state,
nothing after it, at most one receipt), ``kiosk ledger verify``, and no traceback anywhere.

Long scenarios run in the background from the start of the session (``@scenario`` below): each
has its own peers and data directory, and its test waits for its verdict. Peers started there
live on daemon threads, so the suite's leaked-thread check does not blame whichever test is in
the foreground; every kiosk process is tracked and killed (by PID) when the session ends.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.peers.upstream_peer import (
    DEFAULT_CATALOG,
    Charge,
    Fault,
    PeerInvariantError,
    PeerProcess,
    UpstreamPeer,
    money_violations,
    performed_topups,
    write_control,
)
from tests.peers.zvt_peer import PeerSettings, ZvtPeer, standing_charges
from tests.peers.zvt_peer import read_journal as read_terminal_journal

KIOSK = Path(sys.executable).with_name("kiosk")
KIOSK_ID = "KIOSK-0001"
SECRET = "acceptance-secret-0123456789abcdef"

#: The T-Mobile account the upstream peer knows (DEFAULT_CATALOG) and a plan of its carrier.
MSISDN = "12025550123"
PLAN = "tmo-unl-50"
PRICE_CENTS = 5000
#: A number the peer knows as AT&T (added below): with PLAN it is "a plan of another carrier".
ATT_MSISDN = "12065550100"

CATALOG: dict[str, Any] = copy.deepcopy(DEFAULT_CATALOG)
CATALOG["accounts"].append(
    {"msisdn": ATT_MSISDN, "carrier": "AT&T", "iccid": None, "current_plan": None, "expiry": None}
)

#: docs/money.md section 1: every saga state, and the ones a transaction ends in.
STATES = (
    "created", "payment_requested", "payment_approved", "payment_declined", "payment_unknown",
    "topup_requested", "topup_succeeded", "topup_failed", "topup_unknown", "capture_requested",
    "reversal_requested", "reversed", "reversal_failed", "refund_requested", "completed",
    "needs_attention",
)
SETTLED = ("completed", "payment_declined", "reversed")

#: Python's own words in a message meant for a person: a crash, not "one clear line".
PYTHONISMS = re.compile(
    r"Traceback|string indices|NoneType|has no attribute|not subscriptable|KeyError|TypeError|"
    r"ValueError|AttributeError|IndexError|JSONDecodeError|Expecting value|unhashable|"
    r"BrokenPipeError|object is not|unexpected keyword"
)

#: Fast peer defaults: a terminal that answers at once, customers who are quick with their card.
FAST_TERMINAL = PeerSettings(card_s=0.05, pin_s=0.05, host_s=0.05)

#: Every kiosk process any test started (killed at the end of the session if still running).
_PROCESSES: list[subprocess.Popen[str]] = []
_PROCESSES_LOCK = threading.Lock()
#: Set when the session ends: background scenarios start nothing new after it.
_CANCELLED = threading.Event()


class Raw(str):
    """A TOML value written as is (``inf``, ``nan``), not quoted."""


def toml(config: Mapping[str, Mapping[str, Any]]) -> str:
    out: list[str] = []
    for section, keys in config.items():
        out.append(f"[{section}]")
        for key, value in keys.items():
            if isinstance(value, Raw):
                text = str(value)
            elif isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, int | float):
                text = repr(value)
            elif isinstance(value, str | list):
                text = json.dumps(value)
            else:
                raise TypeError(f"cannot write {value!r} as TOML")
            out.append(f"{key} = {text}")
        out.append("")
    return "\n".join(out)


def merge(base: Mapping[str, Mapping[str, Any]], over: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    merged = {s: dict(k) for s, k in base.items()}
    for section, keys in over.items():
        merged.setdefault(section, {}).update(keys)
    return merged


def kiosk_env() -> dict[str, str]:
    """The test's environment without any KIOSK_* override that could leak into the kiosk."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _track(proc: subprocess.Popen[str]) -> None:
    with _PROCESSES_LOCK:
        _PROCESSES.append(proc)


def kill_kiosks(procs: Sequence[subprocess.Popen[str]] | None = None) -> None:
    """SIGKILL the given kiosk processes (all the session started when None) that still run."""
    if procs is None:
        with _PROCESSES_LOCK:
            procs = list(_PROCESSES)
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


@dataclass
class Run:
    """One finished (or killed) kiosk command."""

    argv: list[str]
    rc: int | None  # None: still running after its time limit, killed
    stdout: str
    stderr: str
    started: float
    elapsed: float

    @property
    def timed_out(self) -> bool:
        return self.rc is None

    def json(self) -> Any:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        if not lines:
            raise AssertionError(f"{self.describe()}: no JSON on stdout")
        try:
            return json.loads(lines[-1])
        except ValueError as exc:
            raise AssertionError(f"{self.describe()}: last stdout line is not JSON: {lines[-1][:300]!r}") from exc

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def describe(self) -> str:
        args = self.argv[1:]
        shown = [a for i, a in enumerate(args)
                 if a not in ("--config", "--data-dir") and (i == 0 or args[i - 1] not in ("--config", "--data-dir"))]
        cmd = " ".join(shlex.quote(a) for a in shown)
        status = "killed after time limit" if self.rc is None else f"exit {self.rc}"
        err = self.stderr.strip().splitlines()
        return f"`kiosk {cmd}` ({status}, {self.elapsed:.1f} s){': ' + err[-1][:300] if err else ''}"

    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def problems(self) -> list[str]:
        """No traceback; a failure under --json says what went wrong in one human line."""
        found: list[str] = []
        if "Traceback (most recent call last)" in self.stderr or "Traceback (most recent call last)" in self.stdout:
            tail = self.stderr.strip().splitlines()[-1:] or [""]
            found.append(f"{self.describe()}: printed a traceback ({tail[0][:200]})")
        if self.rc is None:
            found.append(f"{self.describe()}: did not finish within its time limit")
        elif self.rc != 0 and "--json" in self.argv:
            try:
                doc = self.json()
            except AssertionError as exc:
                found.append(str(exc))
            else:
                message = doc.get("message") if isinstance(doc, dict) else None
                if not isinstance(doc, dict) or "error" not in doc:
                    found.append(f"{self.describe()}: failure without an error code: {self.stdout[-300:]!r}")
                if not isinstance(message, str) or not message.strip() or "\n" in message.strip():
                    found.append(f"{self.describe()}: failure message is not one line: {message!r}")
                elif PYTHONISMS.search(message):
                    found.append(f"{self.describe()}: failure message is a Python error, not a sentence: {message!r}")
        return found


@dataclass
class Verdict:
    """What a scenario found: problems (empty = the promise held) and facts for the message."""

    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    def add(self, *problems: str) -> None:
        self.problems.extend(p for p in problems if p)

    def note(self, fact: str) -> None:
        self.facts.append(fact)

    def check(self) -> None:
        if self.problems:
            raise AssertionError(
                "\n  ".join(["promise broken:", *self.problems])
                + ("\n  facts: " + "; ".join(self.facts) if self.facts else "")
            )


class Rig:
    """One kiosk (data directory + configuration) with its own upstream peer and ZVT peer.

    The upstream peer runs in this process (``peer.calls`` can be inspected) for a foreground
    test, and as its own process (controlled through its control file) for a background scenario,
    whose threads must not outlive the foreground test that happens to be running.
    """

    def __init__(
        self,
        root: Path,
        *,
        terminal: PeerSettings | None = None,
        upstream: Mapping[str, Any] | None = None,
        faults: Sequence[Fault] = (),
        config: Mapping[str, Mapping[str, Any]] | None = None,
        catalog: Mapping[str, Any] | None = None,
        upstream_process: bool | None = None,
    ) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.data_dir = root / "data"
        self.link = root / "terminal"
        self.terminal_journal = root / "terminal.jsonl"
        self.upstream_journal = root / "upstream.jsonl"
        self.upstream_control = root / "upstream-control.json"
        self.secret_file = root / "secret"
        self.secret_file.write_text(SECRET)
        self.secret_file.chmod(0o600)
        write_control(self.upstream_control, faults)
        self.pt = ZvtPeer(self.link, self.terminal_journal, settings=terminal or FAST_TERMINAL)
        options = dict(upstream or {})
        verify = options.pop("verify", "none")
        carrier_delay_s = float(options.pop("carrier_delay_s", 0.0))
        if options:
            raise TypeError(f"unknown upstream option(s) {sorted(options)}")
        if upstream_process is None:
            upstream_process = threading.current_thread().daemon
        self.up_proc: PeerProcess | None = None
        self.up: UpstreamPeer | None = None
        if upstream_process:
            catalog_file = root / "catalog.json"
            catalog_file.write_text(json.dumps(catalog or CATALOG))
            self.up_proc = PeerProcess(self.upstream_journal, self.upstream_control, kiosk_id=KIOSK_ID,
                                       verify=verify, secret=SECRET if verify != "none" else None,
                                       catalog=catalog_file, carrier_delay_s=carrier_delay_s)
        else:
            self.up = UpstreamPeer(self.upstream_journal, control=self.upstream_control, kiosk_id=KIOSK_ID,
                                   verify=verify, secret=SECRET if verify != "none" else None,
                                   catalog=catalog or CATALOG, carrier_delay_s=carrier_delay_s)
        self.overrides = config or {}
        self.runs: list[Run] = []
        self.procs: list[subprocess.Popen[str]] = []
        self.config_file = root / "kiosk.toml"
        self.url = ""

    # ---- lifecycle

    def __enter__(self) -> Rig:
        if self.up_proc is not None:
            self.url = self.up_proc.start().url
        else:
            assert self.up is not None
            self.url = self.up.start().url
        try:
            self.pt.start()
        except BaseException:
            self._stop_upstream()
            raise
        self.config_file.write_text(toml(self.config()))
        return self

    def __exit__(self, *exc: object) -> None:
        kill_kiosks(self.procs)
        try:
            self.pt.stop()
        finally:
            self._stop_upstream()

    def _stop_upstream(self) -> None:
        if self.up_proc is not None:
            code = self.up_proc.stop()
            if code not in (0, None):
                raise PeerInvariantError(f"the upstream peer failed internally:\n{self.up_proc.stderr()[-3000:]}")
        elif self.up is not None:
            self.up.stop()
            if self.up.internal_errors:
                raise PeerInvariantError("the upstream peer failed internally:\n" + "\n".join(self.up.internal_errors))

    def set_faults(self, *faults: Fault, **settings: float) -> None:
        """Replace the upstream peer's faults (the control file; both peer modes read it)."""
        write_control(self.upstream_control, faults, **settings)
        time.sleep(0.05)  # distinct mtime/inode on coarse file systems

    def config(self, **sections: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """The configuration a test writes: both peers, short timeouts, a file printer."""
        base: dict[str, dict[str, Any]] = {
            "kiosk": {"id": KIOSK_ID},
            "reader": {"backend": "simulated"},
            "terminal": {"backend": "zvt", "port": str(self.link), "ack_timeout_s": 2.0, "master_timeout_s": 30.0},
            "printer": {"backend": "file"},
            "provider": {"backend": "upstream", "timeout_s": 3.0},
            "upstream": {"url": self.url, "secret_file": str(self.secret_file), "timeout_s": 3.0},
        }
        return merge(merge(base, self.overrides), sections)

    def write_config(self, name: str, config: Mapping[str, Mapping[str, Any]]) -> Path:
        path = self.root / name
        path.write_text(toml(config))
        return path

    # ---- the kiosk

    def argv(self, args: Sequence[str], config: Path | None = None) -> list[str]:
        return [str(KIOSK), *args, "--config", str(config or self.config_file), "--data-dir", str(self.data_dir)]

    def kiosk(self, *args: str, timeout: float = 60.0, config: Path | None = None, record: bool = True) -> Run:
        """Run one command to its end (or kill it after ``timeout`` seconds)."""
        proc = self.spawn(*args, config=config)
        return self.finish(proc, timeout=timeout, record=record)

    def spawn(self, *args: str, config: Path | None = None) -> subprocess.Popen[str]:
        if _CANCELLED.is_set():
            raise RuntimeError("the test session is ending: no new kiosk process")
        proc = subprocess.Popen(
            self.argv(args, config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=kiosk_env(), cwd=self.root, start_new_session=True,
        )
        proc.started = time.monotonic()  # type: ignore[attr-defined]
        _track(proc)
        self.procs.append(proc)
        return proc

    def finish(self, proc: subprocess.Popen[str], *, timeout: float = 60.0, record: bool = True) -> Run:
        started: float = proc.started  # type: ignore[attr-defined]
        try:
            out, err = proc.communicate(timeout=max(0.1, started + timeout - time.monotonic()))
            rc: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            rc = None
        run = Run([str(a) for a in proc.args], rc, out, err, started, time.monotonic() - started)  # type: ignore[union-attr]
        if record:
            self.runs.append(run)
        return run

    def sale(self, msisdn: str = MSISDN, plan: str = PLAN, *, timeout: float = 60.0) -> Run:
        return self.kiosk("txn", "run", "--plan", plan, "--msisdn", msisdn, "--json", timeout=timeout)

    def rows(self) -> list[dict[str, Any]]:
        run = self.kiosk("ledger", "export", "--format", "jsonl", "--unmask", timeout=60)
        if run.rc != 0:
            raise AssertionError(f"{run.describe()}\n{run.stderr[-2000:]}")
        return run.json_lines()

    def events(self) -> list[dict[str, Any]]:
        run = self.kiosk("ledger", "export", "--events", "--format", "jsonl", "--unmask", timeout=60)
        if run.rc != 0:
            raise AssertionError(f"{run.describe()}\n{run.stderr[-2000:]}")
        return run.json_lines()

    def txn_states(self, txn_id: str) -> list[str]:
        return [e["kind"][4:] for e in self.events() if e.get("txn_id") == txn_id and e["kind"][4:] in STATES]

    # ---- waiting for the peers

    def wire(self) -> list[tuple[str, str]]:
        """A copy of the terminal peer's frame log, taken while its thread may append to it."""
        for _ in range(100):
            try:
                return list(self.pt.wire)
            except RuntimeError:  # deque mutated during iteration
                time.sleep(0.001)
        return list(self.pt.wire)

    def wait_for_wire(self, command_hex: str, timeout: float = 30.0) -> bool:
        """True once the ECR sent the terminal a command starting with ``command_hex`` (e.g. 0601)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(d == "rx" and h.startswith(command_hex) for d, h in self.wire()):
                return True
            time.sleep(0.02)
        return False

    def wait_for_booking(self, kind: str, timeout: float = 30.0) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in read_terminal_journal(self.terminal_journal) if r["kind"] == kind]
            if found:
                return found[-1]
            time.sleep(0.02)
        return None

    def terminal_saw(self, apdu_prefix: str, direction: str = "tx") -> int:
        return sum(1 for d, h in self.wire() if d == direction and h.startswith(apdu_prefix))

    # ---- the verdict

    def recover_until_settled(self, verdict: Verdict, *, budget_s: float = 40.0) -> list[dict[str, Any]]:
        """``kiosk recover`` until every transaction is settled, or nothing changes any more."""
        deadline = time.monotonic() + budget_s
        previous: list[tuple[str, str]] | None = None
        rows = self.rows()
        rounds = 0
        while True:
            unsettled = [(r["txn_id"], r["state"]) for r in rows if r["state"] not in SETTLED]
            if not unsettled or time.monotonic() > deadline or (rounds >= 2 and unsettled == previous):
                break
            previous = unsettled
            run = self.kiosk("recover", "--json", timeout=max(5.0, deadline - time.monotonic() + 5))
            rounds += 1
            if run.timed_out:
                verdict.add(f"{run.describe()}: recover did not finish")
                break
            rows = self.rows()
        verdict.note(f"recover rounds: {rounds}")
        return rows

    def money_problems(self, rows: list[dict[str, Any]]) -> list[str]:
        """The two peers' journals against each other, joined through the ledger's receipt numbers."""
        problems: list[str] = []
        records = read_terminal_journal(self.terminal_journal)
        try:
            performed = performed_topups(self.upstream_journal)
        except PeerInvariantError as exc:
            return [str(exc)]
        by_receipt: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            receipt = row.get("terminal_receipt_no")
            if receipt not in (None, ""):
                by_receipt.setdefault(int(receipt), []).append(row)
        reversals = Counter((r["batch"], r["reverses_receipt_no"]) for r in records if r["kind"] == "reversal")
        problems += [f"terminal receipt {receipt} reversed {n} times" for (_, receipt), n in reversals.items() if n > 1]
        keyed: list[Charge] = []
        unpaid: list[tuple[int, int, dict[str, Any] | None]] = []
        for charge in standing_charges(records):
            txns = by_receipt.get(charge.receipt_no, [])
            if len(txns) > 1:
                problems.append(f"terminal charge receipt {charge.receipt_no} is claimed by {len(txns)} transactions")
            if len(txns) != 1:  # unknown to the ledger: only a refund can make up for it
                unpaid.append((charge.receipt_no, charge.amount_cents, None))
                continue
            txn = txns[0]
            currency = "USD" if charge.currency == "840" else charge.currency
            if txn["txn_id"] in performed:
                keyed.append(Charge(txn["txn_id"], charge.amount_cents, currency))
            else:
                unpaid.append((charge.receipt_no, charge.amount_cents, txn))
        refunds = sorted(r["amount_cents"] for r in records if r["kind"] == "refund")
        if sorted(cents for _, cents, _ in unpaid) != refunds:
            shown = [f"receipt {no} ({cents}, ledger {txn['txn_id'] + ' ' + txn['state'] if txn else 'none'})"
                     for no, cents, txn in unpaid]
            problems.append(
                f"charges standing without a top-up: {shown or 'none'}; refunds at the terminal: {refunds or 'none'}"
            )
        problems += money_violations(self.upstream_journal, keyed)
        for row in rows:
            if row["state"] != "completed":
                continue
            topup = performed.get(row["txn_id"])
            if topup is None:
                problems.append(f"{row['txn_id']} is completed but no top-up was performed under its key")
            elif row.get("provider_ref") != topup.get("provider_ref"):
                problems.append(
                    f"{row['txn_id']} completed with provider_ref {row.get('provider_ref')!r}, but its own top-up "
                    f"is {topup.get('provider_ref')!r}: another key's record was accepted"
                )
        return problems

    def event_problems(self, events: list[dict[str, Any]]) -> list[str]:
        problems: list[str] = []
        by_txn: dict[str, list[dict[str, Any]]] = {}
        for event in events:
            if str(event.get("kind", "")).startswith("txn.") and event.get("txn_id"):
                by_txn.setdefault(event["txn_id"], []).append(event)
        for txn, evs in by_txn.items():
            states = [e["kind"][4:] for e in evs if e["kind"][4:] in STATES]
            finals = [s for s in states if s in SETTLED]
            if not finals:
                last = next((e for e in reversed(evs) if e["kind"][4:] in STATES), None)
                why = json.dumps(last.get("payload"))[:300] if last else ""
                problems.append(f"{txn} not settled: last state {states[-1] if states else None} {why}")
            elif len(finals) > 1:
                problems.append(f"{txn} reached {len(finals)} final states: {finals}")
            elif states[-1] not in SETTLED:
                problems.append(f"{txn} went on after its final state {finals[0]}: {states}")
            receipts = [e for e in evs if e["kind"] == "txn.receipt"]
            if len(receipts) > 1:
                problems.append(f"{txn} has {len(receipts)} receipts")
        return problems

    def settle_and_check(self, verdict: Verdict, *, budget_s: float = 40.0) -> list[dict[str, Any]]:
        """Recover until settled, then check money, events, the hash chain and every command's output."""
        rows = self.recover_until_settled(verdict, budget_s=budget_s)
        events = self.events()
        verdict.add(*self.money_problems(rows))
        verdict.add(*self.event_problems(events))
        verify = self.kiosk("ledger", "verify", timeout=60)
        if verify.rc != 0:
            verdict.add(f"{verify.describe()}: the ledger does not verify")
        for run in self.runs:
            verdict.add(*run.problems())
        verdict.note("ledger: " + ", ".join(f"{r['txn_id'][:8]} {r['state']}" for r in rows))
        return rows


def sale_result(run: Run) -> dict[str, Any]:
    """The txn run's --json object (an empty dict when there is none)."""
    try:
        doc = run.json()
    except AssertionError:
        return {}
    return doc if isinstance(doc, dict) else {}


# --------------------------------------------------------------------------- background scenarios


ScenarioFn = Callable[[Path], Verdict]


@dataclass
class _Entry:
    fn: ScenarioFn
    pooled: bool = True
    done: threading.Event = field(default_factory=threading.Event)
    verdict: Verdict | None = None
    error: str | None = None
    seconds: float = 0.0


class Scenarios:
    """Scenarios that run on their own peers in the background, each checked by one test."""

    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}
        self.root: Path | None = None
        self._slots: threading.Semaphore | None = None
        self._threads: list[threading.Thread] = []
        self._started: list[_Entry] = []

    def register(self, name: str, *, pooled: bool = True) -> Callable[[ScenarioFn], ScenarioFn]:
        """``pooled=False``: a long scenario that mostly waits on its peers; it starts at once,
        outside the pool's limit (so that the session is not as long as the pool plus it)."""

        def wrap(fn: ScenarioFn) -> ScenarioFn:
            if name in self.entries:
                raise ValueError(f"scenario {name} registered twice")
            self.entries[name] = _Entry(fn, pooled)
            return fn

        return wrap

    def param(self, name: str) -> Any:
        """A pytest parameter that starts this scenario with the session and names the test after it."""
        return pytest.param(name, marks=pytest.mark.scenario(name), id=name)

    def start(self, names: Sequence[str], root: Path, workers: int) -> None:
        self.root = root
        self._slots = threading.Semaphore(workers)
        for name in sorted(names, key=lambda n: self.entries[n].pooled):  # unpooled (long) ones first
            self._started.append(self.entries[name])
            thread = threading.Thread(target=self._run, args=(name,), name=f"scenario {name}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, name: str) -> None:
        entry = self.entries[name]
        assert self._slots is not None and self.root is not None
        with self._slots if entry.pooled else contextlib.nullcontext():
            started = time.monotonic()
            try:
                if _CANCELLED.is_set():
                    raise RuntimeError("the test session ended before this scenario ran")
                entry.verdict = entry.fn(self.root / re.sub(r"[^A-Za-z0-9_.-]", "_", name))
            except BaseException:  # reported by the scenario's test
                entry.error = traceback.format_exc()
            finally:
                entry.seconds = time.monotonic() - started
                entry.done.set()

    def verdict(self, name: str, timeout: float = 600.0) -> Verdict:
        entry = self.entries[name]
        if not entry.done.is_set() and not any(e is entry for e in self._started):
            raise RuntimeError(f"scenario {name} was not started: select its test, not only a parameter of it")
        if not entry.done.wait(timeout):
            raise AssertionError(f"scenario {name} did not finish within {timeout} s")
        if entry.error:
            raise AssertionError(f"scenario {name} failed to run:\n{entry.error}")
        assert entry.verdict is not None
        entry.verdict.note(f"scenario took {entry.seconds:.1f} s")
        return entry.verdict

    def drain(self, timeout: float = 600.0) -> None:
        """Wait until every pooled scenario has finished, so that a test measuring a customer's
        wait is not slowed down by this suite's own load (unpooled ones mostly sleep)."""
        deadline = time.monotonic() + timeout
        for entry in self._started:
            if entry.pooled:
                entry.done.wait(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        _CANCELLED.set()
        kill_kiosks()
        deadline = time.monotonic() + 60
        for thread in self._threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        kill_kiosks()


SCENARIOS = Scenarios()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario(name): a background acceptance scenario checked by this test")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How much the acceptance set cost: kiosk processes started (each ~0.4 s of CPU to start)."""
    if _PROCESSES:
        slowest = sorted(((e.seconds, n) for n, e in SCENARIOS.entries.items() if e.done.is_set()), reverse=True)[:3]
        terminalreporter.write_line(
            f"acceptance: {len(_PROCESSES)} kiosk processes; slowest scenarios: "
            + ", ".join(f"{n} {sec:.0f} s" for sec, n in slowest)
        )


@pytest.fixture(scope="session", autouse=True)
def _background_scenarios(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenarios]:
    """Start every scenario a selected test checks, at once, a few at a time."""
    wanted: list[str] = []
    for item in request.session.items:
        for mark in item.iter_markers("scenario"):
            if mark.args[0] not in wanted:
                wanted.append(mark.args[0])
    if wanted:
        SCENARIOS.start(wanted, tmp_path_factory.mktemp("scenarios"), workers=4)
    yield SCENARIOS
    SCENARIOS.stop()


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """Rigs for a foreground test: ``with make_rig(terminal=..., upstream=..., config=...) as rig``."""
    made: list[Rig] = []

    def make(name: str = "rig", **options: Any) -> Rig:
        rig = Rig(tmp_path / f"{name}{len(made)}", **options)
        made.append(rig)
        return rig

    yield make
    for rig in made:
        kill_kiosks(rig.procs)


def replace_settings(rig: Rig, **values: Any) -> None:
    """Change the terminal peer's settings while it runs (read at each step of a command)."""
    rig.pt.settings = dataclasses.replace(rig.pt.settings, **values)
