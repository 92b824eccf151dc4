"""The emulator's journal: one JSON object per line for every money event.

It is the terminal's "bank statement" that crash-recovery tests check against the
kiosk's ledger ("a charge stands iff the top-up succeeded"). Each line is written
and fsync'ed *before* the terminal tells the ECR about it, exactly as a real
terminal books a payment before sending the status information.

Record fields (see docs/zvt.md for the full description)::

    seq, at (UTC ISO-8601), kind, receipt_no, trace_no, amount_cents, currency,
    result_code, terminal_id, card_brand, pan_masked, original_receipt_no, batch

``kind`` is one of: approval, decline, abort, reversal, refund, preauth,
book_total, preauth_reversal, end_of_day.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path
from typing import Any

KINDS = frozenset({
    "approval", "decline", "abort", "reversal", "refund",
    "preauth", "book_total", "preauth_reversal", "end_of_day",
})

Record = dict[str, Any]


class Journal:
    """Append-only JSON-lines file (or memory only when ``path`` is None)."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._records: list[Record] = read_journal(self.path) if self.path else []

    @property
    def records(self) -> list[Record]:
        with self._lock:
            return list(self._records)

    def append(self, kind: str, **fields: Any) -> Record:
        if kind not in KINDS:
            raise ValueError(f"unknown journal kind {kind!r}")
        with self._lock:
            record: Record = {
                "seq": len(self._records) + 1,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "kind": kind,
                **fields,
            }
            if self.path is not None:
                line = json.dumps(record, sort_keys=True) + "\n"
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, line.encode())
                    os.fsync(fd)
                finally:
                    os.close(fd)
            self._records.append(record)
            return record


def read_journal(path: str | os.PathLike[str] | None) -> list[Record]:
    """All records of a journal file; a torn last line (crash mid-write) is ignored."""
    if path is None:
        return []
    p = Path(path)
    if not p.exists():
        return []
    out: list[Record] = []
    for line in p.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def standing_charges(records: list[Record]) -> dict[int, int]:
    """receipt_no -> amount of every charge not reversed: approvals and booked reservations.

    Refunds are money returned by a separate transaction and are not subtracted here;
    use :func:`net_cents` for the money balance.
    """
    charges: dict[int, int] = {}
    for r in records:
        if r["kind"] in ("approval", "book_total"):
            charges[int(r["receipt_no"])] = int(r["amount_cents"])
        elif r["kind"] == "reversal" and r.get("original_receipt_no") in charges:
            del charges[r["original_receipt_no"]]
    return charges


def net_cents(records: list[Record]) -> int:
    """Money the customer is out of pocket: standing charges minus refunds."""
    refunds: int = sum(int(r["amount_cents"]) for r in records if r["kind"] == "refund")
    return sum(standing_charges(records).values()) - refunds


def count(records: list[Record], kind: str) -> int:
    return sum(1 for r in records if r["kind"] == kind)
