"""What a crash or a frozen terminal leaves on the line, and the next sale (found by the
money bench, ``bench/bench_money.py``; each test fails on the code before its fix).

1. A kiosk killed while the terminal sends its 06 1E (a decline, or "nothing to repeat"):
   the terminal sends it again to the next process, whose registration or Repeat Receipt
   gets it as the first answer. The driver took that for "no Repeat Receipt" and kept it
   on disk for good; every later payment in doubt was then settled from evidence, parked
   for staff with its charge standing.
2. On a terminal without Repeat Receipt, a sale killed after journaling its evidence mark
   but before sending its authorization shared that mark with the next sale, and was
   "approved" with the next sale's receipt: a top-up nobody paid for.
3. A terminal frozen while the kiosk sent its authorization (no ACK after three tries)
   that acts on the frame once it wakes: the kiosk declined the sale, the charge stood.

All run the real stack: the ZVT emulator on a pty, ``kiosk txn run`` / ``kiosk recover``
processes (tests/money/crashkit), the money invariant checked from each party's records.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.money import crashkit
from tests.money.crashkit import MSISDN, PLAN_ID, Kill, crash_rig

#: In the zygote's children: ``KIOSK_TEST_KILL_BEFORE_ACK=<cls instr hex>`` SIGKILLs the
#: kiosk process when the terminal's frame with that APDU arrives, before the driver's
#: link layer acknowledges it (the terminal sends it again T3 later, to whoever is there).
_KILL_PATCH = '''
import os as _os, signal as _signal
import payment.zvt.transport as _transport
_verdict = _transport.ZvtTransport._verdict
def _killing_verdict(self, apdu):
    if _os.environ.get("KIOSK_TEST_KILL_BEFORE_ACK") == bytes(apdu[:2]).hex():
        _os.kill(_os.getpid(), _signal.SIGKILL)
    return _verdict(self, apdu)
_transport.ZvtTransport._verdict = _killing_verdict
'''
_READY = 'print(json.dumps({"ready": True}), flush=True)'
_SALE = ["txn", "run", "--plan", PLAN_ID, "--msisdn", MSISDN, "--json"]


def _zygote_with(monkeypatch: pytest.MonkeyPatch, patch: str) -> None:
    """Rigs made after this run ``patch`` in their kiosk zygote (so in every kiosk process)."""
    assert _READY in crashkit.ZYGOTE_SRC
    monkeypatch.setattr(crashkit, "ZYGOTE_SRC", crashkit.ZYGOTE_SRC.replace(_READY, patch + _READY, 1))


def _caps(rig: crashkit.CrashRig) -> dict[str, object]:
    path = rig.data / "terminal" / "zvt-capabilities.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _receipts(rig: crashkit.CrashRig) -> dict[str, tuple[str, str | None]]:
    from kiosk.ledger import Ledger
    with Ledger.open("", rig.data) as ledger:
        return {row["txn_id"]: (row["state"], row["terminal_receipt_no"]) for row in ledger.transactions()}


@pytest.mark.timeout(180)
def test_stale_decline_tail_keeps_repeat_receipt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault 1 of the module docstring, with a declined sale's 06 1E."""
    _zygote_with(monkeypatch, _KILL_PATCH)
    with crash_rig(tmp_path) as rig:
        rig.cycle(Kill())  # a normal sale: the driver probes Repeat Receipt and keeps "true"
        assert _caps(rig).get("repeat_receipt") is True

        # a declined sale, killed while the terminal sends its 06 1E; `kiosk recover` at once
        rig.emulator.set_faults(decline=True)
        rc = rig.zygote.run(_SALE, {**rig.env(), "KIOSK_TEST_KILL_BEFORE_ACK": "061e"}, tmp_path / "killed.out")
        assert rc == -signal.SIGKILL, (tmp_path / "killed.out").read_text()
        rig.emulator.set_faults()
        rig.zygote.run(["recover", "--json"], rig.env(), tmp_path / "recover.out")
        caps_after_recovery = _caps(rig).get("repeat_receipt")
        # settled by this recovery, not parked: the retried 06 1E is let pass (the line settles)
        # and registration and Repeat Receipt are asked again
        report = json.loads((tmp_path / "recover.out").read_text().strip().splitlines()[-1])
        assert report["ok"] and [r["to"] for r in report["resolved"]] == ["payment_declined"], report

        # a sale whose final status never reaches the kiosk (the terminal booked it), then a
        # normal sale and recovery: with Repeat Receipt the first one is settled and completes
        rig.cycle(Kill(terminal={"silent_at": "status"}))
        rig.cycle(Kill())
        inv = rig.check()
        outcome = {"repeat_receipt": caps_after_recovery, "needs_attention": inv.needs_attention,
                   "problems": inv.problems}
        assert outcome == {"repeat_receipt": True, "needs_attention": 0, "problems": []}, (
            outcome, (tmp_path / "recover.out").read_text()[-1500:])


@pytest.mark.timeout(180)
def test_evidence_mark_is_not_shared_by_the_next_sale(tmp_path: Path) -> None:
    """Fault 2 of the module docstring."""
    with crash_rig(tmp_path, repeat_receipt=False) as rig:  # 84 83 to 06 20
        rig.cycle(Kill())  # a normal sale: the terminal has a receipt number the next marks name
        # killed after payment_requested (with its evidence mark) is journaled, before the
        # authorization is sent: nothing is charged; recovery parks it (pending)
        rig.cycle(Kill(at="payment_requested"))
        assert _caps(rig).get("repeat_receipt") is False
        # the next sale is not blocked (evidence), is charged, its top-up fails: reversed
        rig.cycle(Kill(at="topup_requested:after", provider={"mode": "fail"}))
        inv = rig.check()
        rows = _receipts(rig)
        shared = {no: n for no, n in Counter(no for _, no in rows.values() if no).items() if n > 1}
        outcome = {"states": sorted(state for state, _ in rows.values()), "receipts_shared": shared,
                   "problems": inv.problems}
        # expected: the first sale declined (its payment never reached the terminal), the
        # second reversed; no receipt number on two transactions; the invariant holds
        assert outcome == {"states": ["completed", "payment_declined", "reversed"], "receipts_shared": {},
                           "problems": []}, outcome


@pytest.mark.timeout(180)
def test_first_sale_killed_during_the_probe_keeps_repeat_receipt(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's own trigger (rig 0, seed 1000, cycle 0: a random kill at 0.164 s): the
    first sale of a fresh rig is killed while the terminal, whose journal is still empty,
    answers the Repeat Receipt probe "nothing to repeat" (80 00, then 06 1E 83). Recovery
    needs no terminal (the sale was still ``created``); the next sale's registration gets the
    retried 06 1E 83 as its first answer. Timing: the next sale must register within the
    emulator's retries (3 x 0.5 s); the rig's recovery takes well under that."""
    _zygote_with(monkeypatch, _KILL_PATCH)
    with crash_rig(tmp_path) as rig:
        rc = rig.zygote.run(_SALE, {**rig.env(), "KIOSK_TEST_KILL_BEFORE_ACK": "061e"}, tmp_path / "killed.out")
        assert rc == -signal.SIGKILL
        rig.zygote.run(["recover", "--json"], rig.env(), tmp_path / "recover.out")
        rig.cycle(Kill(at="payment_requested:after", terminal={"decline": True}))
        rig.cycle(Kill())  # a normal sale (probes Repeat Receipt if the last one could not)
        assert _caps(rig).get("repeat_receipt") is True, _caps(rig)


#: ``KIOSK_TEST_FREEZE_PID=<pid>``: the kiosk process SIGSTOPs that process (the emulator)
#: right before it sends its authorization (06 01): a terminal that freezes with the frame
#: still to come into its buffer. The test wakes it later.
_FREEZE_PATCH = '''
import os as _os, signal as _signal
import payment.zvt.transport as _transport
_send = _transport.ZvtTransport.send
def _freezing_send(self, apdu, **kw):
    pid = _os.environ.get("KIOSK_TEST_FREEZE_PID")
    if pid and bytes(apdu[:2]) == b"\\x06\\x01":
        _os.kill(int(pid), _signal.SIGSTOP)
    return _send(self, apdu, **kw)
_transport.ZvtTransport.send = _freezing_send
'''


def _stopped(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "T"


@pytest.mark.timeout(180)
def test_a_terminal_that_wakes_after_the_request_was_given_up_is_not_taken_for_a_decline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The money bench with the emulator stalled now and then (SIGSTOP 0.5-5 s) found a
    charge no transaction accounted for: the kiosk sent 06 01 three times without an ACK,
    took that for "never received, nothing charged" and declined the sale; the terminal woke,
    found the frame in its buffer and approved it. The kiosk must treat an unacknowledged
    money command as unknown and settle it from the terminal (Repeat Receipt), so the charge
    ends with the top-up (or is reversed), never standing alone."""
    _zygote_with(monkeypatch, _FREEZE_PATCH)
    with crash_rig(tmp_path) as rig:
        rig.cycle(Kill())  # a normal sale first: the terminal has a last result to compare with
        emulator_pid = rig.emulator.proc.pid
        woken = threading.Event()

        def wake_later() -> None:  # 3 tries x T3 (1 s in the rig) have passed by then
            deadline = time.monotonic() + 60
            while not _stopped(emulator_pid):
                if time.monotonic() > deadline:
                    return
                time.sleep(0.01)
            time.sleep(4.0)
            os.kill(emulator_pid, signal.SIGCONT)
            woken.set()

        waker = threading.Thread(target=wake_later, daemon=True)
        waker.start()
        rig.zygote.run(_SALE, {**rig.env(), "KIOSK_TEST_FREEZE_PID": str(emulator_pid)},
                       tmp_path / "frozen.out")
        waker.join(60)
        assert woken.is_set(), "the kiosk never sent its authorization"
        rig.zygote.run(["recover", "--json"], rig.env(), tmp_path / "recover.out")
        rig.cycle(Kill())  # and the kiosk sells again afterwards
        inv = rig.check()
        assert (inv.problems, inv.needs_attention) == ([], 0), (
            inv.problems, (tmp_path / "frozen.out").read_text()[-1500:],
            (tmp_path / "recover.out").read_text()[-1500:])
        assert inv.completed == 3, _receipts(rig)
