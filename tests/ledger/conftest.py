from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.ledger import Ledger


def kiosk_cli(data_dir: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "kiosk", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def fill(ledger: Ledger, txns: int = 3) -> None:
    for i in range(txns):
        txn = f"00000000-0000-4000-8000-{i:012d}"
        ledger.append("txn.created", {"state": "created", "msisdn": "12025550123", "iccid": "8901260123456789012",
                                      "plan_id": "tmo-30", "amount_cents": 3000 + i, "currency": "USD",
                                      "carrier": "T-Mobile"}, txn_id=txn)
        ledger.append("txn.state", {"state": "payment_requested"}, txn_id=txn)
        ledger.append("txn.state", {"state": "completed", "terminal_receipt_no": f"{i:04d}",
                                    "topup_status": "succeeded"}, txn_id=txn)


@pytest.fixture
def filled(data_dir: Path) -> Path:
    with Ledger.open("", data_dir) as ledger:
        fill(ledger)
    return data_dir
