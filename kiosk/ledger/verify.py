"""Full verification of a ledger: everything a swapped or edited file could get wrong.

Checks, in this order, stopping at the first failure (its ``check`` names which):

``schema``       no trigger, view, table, index or column beyond the migrations' own
                 (a trigger could rewrite what the checks below read);
``chain``        seqs run 1, 2, 3…; each prev_hash is the previous hash; each hash recomputes;
``head``         the chain head names the last row (rows cut off the end are noticed);
``head_record``  the chain still holds the seq and hash recorded beside the file at the last
                 append (an emptied, older or recomputed file is noticed);
``projection``   ``transactions`` equals the fold of the events;
``meta``         ``sync.acked_through`` ≤ the last seq, ``sync.acked_hash`` is the hash there,
                 no counter in a meta document is negative.

:func:`verify_upstream` adds the backend's word: the hash it holds at the last seq it
acknowledged must be in this chain at that seq, which a recomputed forged chain cannot
fake for anything already synced.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.ledger.chain import GENESIS, event_hash
from kiosk.ledger.store import ACKED_HASH_META, ACKED_META, Ledger


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events: int  # rows checked
    last_seq: int
    first_bad_seq: int | None = None
    reason: str = ""
    check: str | None = None  # which check failed (module docstring)

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "events": self.events, "last_seq": self.last_seq,
                "first_bad_seq": self.first_bad_seq, "reason": self.reason, "check": self.check}


def verify(ledger: Ledger, *, full: bool = True) -> VerifyReport:
    """Every check in the module docstring (``full=False``: the chain and head only, the
    old quick walk)."""
    if full:
        problems = ledger.schema_problems()
        if problems:
            return VerifyReport(False, 0, 0, None, "schema: " + "; ".join(problems), "schema")
    report = _walk(ledger)
    if not report.ok or not full:
        return report
    count, last = report.events, report.last_seq
    record = ledger.recorded_head()
    if record is not None and record[0] > 0:
        seq, digest = record
        if seq > last:
            return VerifyReport(False, count, last, last + 1,
                                f"the journal ends at seq {last} but this kiosk recorded seq {seq} "
                                "(file emptied, replaced or restored from an older copy?)", "head_record")
        if ledger.hash_at(seq) != digest:
            return VerifyReport(False, count, last, seq,
                                f"seq {seq} is not the event this kiosk recorded there (chain replaced?)",
                                "head_record")
    mismatch = ledger.projection_mismatch()
    if mismatch is not None:
        _txn, seq, reason = mismatch
        return VerifyReport(False, count, last, seq, reason, "projection")
    problem = meta_problem(ledger.metas(), last, ledger.hash_at)
    if problem is not None:
        seq_or_none, reason = problem
        return VerifyReport(False, count, last, seq_or_none, reason, "meta")
    return report


def _walk(ledger: Ledger) -> VerifyReport:
    expected_seq = 1
    prev = GENESIS
    count = 0
    for row in ledger.raw_events():
        if row.seq != expected_seq:
            if row.seq > expected_seq:
                reason = f"seq {expected_seq} is missing (deleted?); next row is {row.seq}"
            else:
                reason = f"seq {row.seq} out of order"
            return VerifyReport(False, count, row.seq, expected_seq, reason, "chain")
        if row.prev_hash != prev:
            reason = f"seq {row.seq}: prev_hash does not match seq {row.seq - 1}"
            return VerifyReport(False, count, row.seq, row.seq, reason, "chain")
        try:
            recomputed = event_hash(prev, row.seq, row.txn_id, row.at, row.kind, row.payload)
        except (TypeError, ValueError, UnicodeError):
            recomputed = ""
        if recomputed != row.hash:
            reason = f"seq {row.seq}: contents do not match its hash (modified?)"
            return VerifyReport(False, count, row.seq, row.seq, reason, "chain")
        prev = row.hash
        expected_seq += 1
        count += 1
    head_seq, head_hash = ledger.head()
    last = expected_seq - 1
    if head_seq != last or head_hash != prev:
        bad = last + 1 if head_seq > last else head_seq
        return VerifyReport(False, count, last, bad,
                            f"chain head says seq {head_seq} but the journal ends at {last} (rows removed?)", "head")
    return VerifyReport(True, count, last)


def meta_problem(metas: Mapping[str, str], last_seq: int,
                 hash_at: Callable[[int], str | None]) -> tuple[int | None, str] | None:
    """The first inconsistency between ``meta`` and the events, as ``(seq, reason)``."""
    raw = metas.get(ACKED_META)
    acked = 0
    if raw is not None and raw != "":
        if not (raw.isascii() and raw.isdigit()):
            return None, f"meta {ACKED_META} is {raw!r}, not a seq"
        acked = int(raw)
        if acked > last_seq:  # no event is bad: the meta value is (so no seq to point at)
            return None, (f"meta {ACKED_META} says the backend has seq {acked} but the journal ends at "
                          f"seq {last_seq}: the kiosk would never send its events")
    digest = metas.get(ACKED_HASH_META) or ""
    if digest:
        expected = GENESIS if acked == 0 else hash_at(acked)
        if digest != expected:
            return acked or None, f"meta {ACKED_HASH_META} is not the hash of seq {acked} (replaced?)"
    for name in sorted(metas):
        bad = _negative_counter(metas[name])
        if bad is not None:
            return None, f"meta {name} has {bad[0]} = {bad[1]}: counters are never negative"
    return None


def _negative_counter(text: str) -> tuple[str, int] | None:
    if not text.startswith("{"):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None  # its owner reads it (and copes with garbage); it holds no counter we can check
    return _walk_counters(doc, "")


def _walk_counters(node: Any, path: str) -> tuple[str, int] | None:
    if isinstance(node, dict):
        for key, value in node.items():
            found = _walk_counters(value, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(node, int) and not isinstance(node, bool) and node < 0:
        return path, node
    return None


def verify_upstream(ledger: Ledger, acked_through: int, acked_hash: str) -> VerifyReport:
    """The backend holds ``acked_hash`` at seq ``acked_through``: is that event in this chain?"""
    last, _head = ledger.head()
    if acked_through > last:
        return VerifyReport(False, 0, last, last + 1,
                            f"the backend holds {acked_through} events of this kiosk but this ledger ends at seq "
                            f"{last} (replaced, or restored from an older copy?)", "upstream")
    local = GENESIS if acked_through == 0 else ledger.hash_at(acked_through)
    if local != acked_hash:
        return VerifyReport(False, 0, last, acked_through,
                            f"seq {acked_through} differs from the event the backend holds there "
                            "(ledger replaced or recomputed after it was synced)", "upstream")
    return VerifyReport(True, 0, last)
