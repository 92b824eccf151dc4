"""The acceptance verdicts themselves: each check fires on the breakage it exists to catch.

No kiosk runs here: journals and ledger rows are written by hand, as a broken kiosk would have
left them, so that a scenario that passes does so because the promise held, not because a check
could not fail.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.conftest import CATALOG, PLAN, PRICE_CENTS, Raw, Rig, Run, toml
from tests.peers.zvt_peer import Journal

KEY_A = "6f1c2d0e-0000-4000-8000-00000000000a"
KEY_B = "6f1c2d0e-0000-4000-8000-00000000000b"


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path / "rig", upstream_process=False)  # never started: only its paths are used


def _charge(rig: Rig, receipt: int, cents: int = PRICE_CENTS, batch: int = 1) -> None:
    Journal(rig.terminal_journal).append("approval", batch=batch, amount_cents=cents, currency="840",
                                         receipt_no=receipt, trace_no=receipt, result_code=0)


def _reverse(rig: Rig, receipt: int, cents: int = PRICE_CENTS) -> None:
    Journal(rig.terminal_journal).append("reversal", batch=1, amount_cents=cents, currency="840",
                                         receipt_no=100 + receipt, trace_no=100 + receipt, result_code=0,
                                         reverses_receipt_no=receipt)


def _refund(rig: Rig, cents: int = PRICE_CENTS) -> None:
    Journal(rig.terminal_journal).append("refund", batch=1, amount_cents=cents, currency="840",
                                         receipt_no=900, trace_no=900, result_code=0)


def _performed(rig: Rig, key: str, ref: str = "TMO-88001", cents: int = PRICE_CENTS) -> None:
    with rig.upstream_journal.open("a") as f:
        request = {"key": key, "msisdn": "12025550123", "carrier": "T-Mobile", "iccid": None, "plan_id": PLAN,
                   "amount_cents": cents, "currency": "USD", "kiosk_id": "KIOSK-0001"}
        f.write(json.dumps({"event": "received", "key": key, "request": request}) + "\n")
        f.write(json.dumps({"event": "performed", **request, "provider_ref": ref}) + "\n")


def _row(key: str, state: str, receipt: str | None, ref: str | None = None) -> dict[str, Any]:
    return {"txn_id": key, "state": state, "terminal_receipt_no": receipt, "provider_ref": ref,
            "amount_cents": PRICE_CENTS, "currency": "USD"}


def test_a_consistent_world_has_no_money_problem(rig: Rig) -> None:
    _charge(rig, 1)
    _performed(rig, KEY_A, "TMO-1")
    _charge(rig, 2)
    _reverse(rig, 2)
    _charge(rig, 3)
    _refund(rig)
    rows = [_row(KEY_A, "completed", "0001", "TMO-1"), _row(KEY_B, "reversed", "0002"),
            _row("6f1c2d0e-0000-4000-8000-00000000000c", "reversed", "0003")]
    assert rig.money_problems(rows) == []


@pytest.mark.parametrize("breakage", ["charged-not-topped-up", "topped-up-not-charged", "reversed-twice",
                                      "refunded-twice", "foreign-record", "wrong-amount", "unknown-receipt"])
def test_every_money_breakage_is_reported(rig: Rig, breakage: str) -> None:
    rows = [_row(KEY_A, "completed", "0001", "TMO-1")]
    _charge(rig, 1)
    _performed(rig, KEY_A, "TMO-1")
    if breakage == "charged-not-topped-up":
        _charge(rig, 2)
        rows.append(_row(KEY_B, "needs_attention", "0002"))
    elif breakage == "topped-up-not-charged":
        _charge(rig, 2)
        _reverse(rig, 2)
        _performed(rig, KEY_B, "TMO-2")
        rows.append(_row(KEY_B, "reversed", "0002"))
    elif breakage == "reversed-twice":
        _charge(rig, 2)
        _reverse(rig, 2)
        _reverse(rig, 2)
        rows.append(_row(KEY_B, "reversed", "0002"))
    elif breakage == "refunded-twice":
        _charge(rig, 2)
        _refund(rig)
        _refund(rig)
        rows.append(_row(KEY_B, "reversed", "0002"))
    elif breakage == "foreign-record":
        rows[0]["provider_ref"] = "TMO-77001"
    elif breakage == "wrong-amount":
        _charge(rig, 2, cents=PRICE_CENTS + 100)
        _performed(rig, KEY_B, "TMO-2")
        rows.append(_row(KEY_B, "completed", "0002", "TMO-2"))
    elif breakage == "unknown-receipt":
        _charge(rig, 7)
    assert rig.money_problems(rows), f"{breakage} went unnoticed"


def _event(seq: int, kind: str, txn: str = KEY_A) -> dict[str, Any]:
    return {"seq": seq, "txn_id": txn, "kind": kind, "payload": {"state": kind[4:]}}


@pytest.mark.parametrize("kinds, broken", [
    (["txn.created", "txn.payment_requested", "txn.payment_approved", "txn.topup_requested",
      "txn.topup_succeeded", "txn.completed", "txn.receipt"], False),
    (["txn.created", "txn.payment_requested", "txn.payment_declined", "txn.payment_declined"], True),
    (["txn.created", "txn.payment_requested", "txn.payment_declined", "txn.payment_unknown"], True),
    (["txn.created", "txn.payment_requested", "txn.needs_attention"], True),
    (["txn.created", "txn.payment_requested"], True),
    (["txn.created", "txn.completed", "txn.receipt", "txn.receipt"], True),
])
def test_event_checks(rig: Rig, kinds: list[str], broken: bool) -> None:
    events = [_event(i, k) for i, k in enumerate(kinds, 1)]
    assert bool(rig.event_problems(events)) is broken


@pytest.mark.parametrize("rc, stdout, stderr, broken", [
    (0, '{"state": "completed"}\n', "terminal: please_wait\n", False),
    (1, '{"error": "declined", "message": "the card was declined"}\n', "kiosk: the card was declined\n", False),
    (1, '{"error": "x", "message": "string indices must be integers"}\n', "", True),
    (1, '{"error": "x", "message": "line one\\nline two"}\n', "", True),
    (1, "", "Traceback (most recent call last):\n  File ...\nKeyError: 'x'\n", True),
    (1, '{"message": "no code"}\n', "", True),
    (None, "", "", True),
])
def test_run_checks(rc: int | None, stdout: str, stderr: str, broken: bool) -> None:
    run = Run(["kiosk", "txn", "run", "--json"], rc, stdout, stderr, 0.0, 1.0)
    assert bool(run.problems()) is broken


def test_toml_writer_writes_what_the_config_tests_mean() -> None:
    text = toml({"terminal": {"ack_timeout_s": Raw("inf"), "master_timeout_s": Raw("nan"), "port": "/x"},
                 "kiosk": {"languages": ["en"]}, "provider": {"timeout_s": 0.0}})
    doc = tomllib.loads(text)
    assert doc["terminal"]["ack_timeout_s"] == float("inf")
    assert doc["terminal"]["master_timeout_s"] != doc["terminal"]["master_timeout_s"]  # nan
    assert doc["provider"]["timeout_s"] == 0.0 and doc["kiosk"]["languages"] == ["en"]
    assert next(p["price_cents"] for p in CATALOG["plans"] if p["id"] == PLAN) == PRICE_CENTS
