"""The hash chain: pure functions shared by the kiosk ledger and the backend.

``hash = sha256(prev_hash || canonical_json(row))`` where ``row`` is
``{"at", "kind", "payload", "seq", "txn_id"}`` with sorted keys, no spaces and
the payload embedded exactly as stored (it is stored in canonical form).
The first event's ``prev_hash`` is :data:`GENESIS`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_at(at: dt.datetime) -> str:
    """UTC, microseconds, trailing Z: fixed width, so strings sort as times do (years
    below 1000 too: ``strftime("%Y")`` would not pad them). ``OverflowError`` for a time
    that is outside years 1..9999 once in UTC."""
    if at.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_at(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def row_text(seq: int, txn_id: str | None, at: str, kind: str, payload_text: str) -> str:
    return (
        '{"at":' + json.dumps(at) + ',"kind":' + json.dumps(kind, ensure_ascii=False)
        + ',"payload":' + payload_text + ',"seq":' + str(seq)
        + ',"txn_id":' + json.dumps(txn_id) + "}"
    )


def event_hash(prev_hash: str, seq: int, txn_id: str | None, at: str, kind: str, payload_text: str) -> str:
    data = (prev_hash + row_text(seq, txn_id, at, kind, payload_text)).encode("utf-8")
    return hashlib.sha256(data).hexdigest()
