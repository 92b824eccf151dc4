"""Walk the hash chain in one streaming pass and name the first row that does not fit."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.ledger.chain import GENESIS, event_hash
from kiosk.ledger.store import Ledger


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events: int  # rows checked
    last_seq: int
    first_bad_seq: int | None = None
    reason: str = ""

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "events": self.events, "last_seq": self.last_seq,
                "first_bad_seq": self.first_bad_seq, "reason": self.reason}


def verify(ledger: Ledger) -> VerifyReport:
    """Checks: seqs run 1, 2, 3…; each prev_hash is the previous hash; each hash recomputes;
    the chain head names the last row (so rows cut off the end are noticed)."""
    expected_seq = 1
    prev = GENESIS
    count = 0
    for row in ledger.raw_events():
        if row.seq != expected_seq:
            if row.seq > expected_seq:
                reason = f"seq {expected_seq} is missing (deleted?); next row is {row.seq}"
            else:
                reason = f"seq {row.seq} out of order"
            return VerifyReport(False, count, row.seq, expected_seq, reason)
        if row.prev_hash != prev:
            reason = f"seq {row.seq}: prev_hash does not match seq {row.seq - 1}"
            return VerifyReport(False, count, row.seq, row.seq, reason)
        if event_hash(prev, row.seq, row.txn_id, row.at, row.kind, row.payload) != row.hash:
            reason = f"seq {row.seq}: contents do not match its hash (modified?)"
            return VerifyReport(False, count, row.seq, row.seq, reason)
        prev = row.hash
        expected_seq += 1
        count += 1
    head_seq, head_hash = ledger.head()
    last = expected_seq - 1
    if head_seq != last or head_hash != prev:
        bad = last + 1 if head_seq > last else head_seq
        return VerifyReport(False, count, last, bad,
                            f"chain head says seq {head_seq} but the journal ends at {last} (rows removed?)")
    return VerifyReport(True, count, last)
