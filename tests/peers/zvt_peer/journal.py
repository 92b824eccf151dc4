"""The terminal's own record of bookings, and what money it says is standing.

A real terminal's turnover memory is the authority on what the card holder was charged. The peer
keeps one as JSON lines, each line written, flushed and fsync'd before the ECR is told anything
about it (an approval is journaled before its Status Information is sent), so a test can compare
the kiosk's ledger with the terminal's record after any crash or fault.

Record kinds: ``approval``, ``decline``, ``reversal``, ``refund``, ``abort`` (no money moved),
``end_of_day`` (closes a batch, carries its totals). Every record has ``seq``, ``at`` (UTC ISO),
``batch`` and ``kind``; money records carry ``amount_cents``, ``currency``, ``receipt_no``,
``trace_no``, ``result_code``; a reversal names ``reverses_receipt_no``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Record = dict[str, Any]


class Journal:
    """Append-only JSON-lines file, fsync'd per record."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existing = read_journal(self.path)
        self._seq = existing[-1]["seq"] if existing else 0

    def records(self) -> list[Record]:
        return read_journal(self.path)

    def append(self, kind: str, **fields: Any) -> Record:
        with self._lock:
            self._seq += 1
            record: Record = {"seq": self._seq, "at": datetime.now(UTC).isoformat(), "kind": kind, **fields}
            line = json.dumps(record, sort_keys=True) + "\n"
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            return record


def read_journal(path: str | os.PathLike[str]) -> list[Record]:
    """Every record; a torn last line (crash while writing) is ignored, as it was never confirmed."""
    p = Path(path)
    if not p.exists():
        return []
    out: list[Record] = []
    for line in p.read_text().splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


@dataclass(frozen=True)
class Charge:
    """One approved payment that still stands (not reversed)."""

    receipt_no: int
    trace_no: int
    amount_cents: int
    currency: str
    batch: int


def standing_charges(records: Iterable[Record]) -> list[Charge]:
    """Approvals not reversed, in booking order: what the card holders are charged."""
    recs = list(records)
    reversed_receipts = {(r["batch"], r["reverses_receipt_no"]) for r in recs if r["kind"] == "reversal"}
    return [
        Charge(r["receipt_no"], r["trace_no"], r["amount_cents"], r["currency"], r["batch"])
        for r in recs
        if r["kind"] == "approval" and (r["batch"], r["receipt_no"]) not in reversed_receipts
    ]


def refunds(records: Iterable[Record]) -> list[Record]:
    return [r for r in records if r["kind"] == "refund"]


def net_cents(records: Iterable[Record]) -> int:
    """Money the merchant keeps: standing charges minus refunds."""
    recs = list(records)
    refunded: int = sum(r["amount_cents"] for r in refunds(recs))
    return sum(c.amount_cents for c in standing_charges(recs)) - refunded


def batch_totals(records: Iterable[Record], batch: int) -> dict[str, int]:
    """Totals of one batch as the terminal reports them at end of day."""
    recs = [r for r in records if r.get("batch") == batch]
    charges = [c for c in standing_charges(recs) if c.batch == batch]
    refunded = [r for r in recs if r["kind"] == "refund"]
    return {
        "count": len(charges),
        "charged_cents": sum(c.amount_cents for c in charges),
        "refund_count": len(refunded),
        "refunded_cents": sum(r["amount_cents"] for r in refunded),
        "net_cents": sum(c.amount_cents for c in charges) - sum(r["amount_cents"] for r in refunded),
    }
