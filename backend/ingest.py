"""Event ingest, the pure part: parse a batch, check every hash and link, plan what to store.

No I/O here. The store calls :func:`parse_batch` on the raw body, then, under the
kiosk's row lock, :func:`plan_ingest` with what it has stored; it writes exactly
what the plan says. Invariant kept per kiosk: the stored events are ``1..acked_through``
without holes, each verified with :func:`kiosk.ledger.chain.event_hash`, each linked to
the one before (the first to :data:`kiosk.ledger.chain.GENESIS`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from backend.errors import ApiError, bad_request
from kiosk.ledger.chain import GENESIS, canonical_json, event_hash
from kiosk.ledger.models import PROJECTED_FIELDS

EVENT_KEYS = frozenset({"seq", "txn_id", "at", "kind", "payload", "prev_hash", "hash"})
_HEX64 = re.compile(r"[0-9a-f]{64}")
_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")  # kiosk.ledger.chain.format_at
MAX_SEQ = 2**62
MAX_TXN_ID = 64
MAX_KIND = 64


@dataclass(frozen=True)
class IncomingEvent:
    seq: int
    txn_id: str | None
    at: str
    kind: str
    payload: dict[str, Any]
    payload_text: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class IngestPlan:
    """``new`` are to be inserted; ``duplicates`` were already stored with the same hash."""

    new: list[IncomingEvent]
    duplicates: int
    acked_through: int  # after the plan is applied
    head_hash: str


#: ``\uD800``..``\uDFFF`` escapes: the only way JSON text can carry a lone surrogate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def parse_json_object(body: bytes) -> dict[str, Any]:
    """UTF-8 JSON whose top level is an object, or a 400.

    Refused as ``malformed_json`` besides syntax errors: ``NaN``/``Infinity``, numbers that
    overflow a float (``1e400``), and strings with lone surrogates (no UTF-8 form: they
    could be neither hashed nor stored)."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constants, parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ApiError(400, "malformed_json", f"body is not valid UTF-8 JSON: {exc}"[:300]) from exc
    if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(data):
        raise ApiError(400, "malformed_json", "body has a string with a lone surrogate (\\uD800-\\uDFFF "
                       "not in a pair)")
    if not isinstance(data, dict):
        raise bad_request("body must be a JSON object")
    return data


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:30]} is too large")
    return value


def _has_lone_surrogate(node: Any) -> bool:
    """Iterative (deep documents must not recurse) walk of strings and keys."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _printable(value: str) -> bool:
    """No NUL or other control character (a NUL cannot be stored in a PostgreSQL text column)."""
    return value.isprintable()


def parse_batch(body: bytes, max_events: int) -> list[IncomingEvent]:
    """``{"events": [...]}``, 1..max_events events, each fully typed, seqs consecutive."""
    data = parse_json_object(body)
    if set(data) != {"events"}:
        raise bad_request('body must be {"events": [...]} and nothing else')
    raw = data["events"]
    if not isinstance(raw, list):
        raise bad_request("events must be a list")
    if not raw:
        raise bad_request("events must not be empty")
    if len(raw) > max_events:
        raise ApiError(413, "batch_too_large", f"{len(raw)} events in one batch; at most {max_events}",
                       max_events=max_events)
    events = [parse_event(item, i) for i, item in enumerate(raw)]
    for before, after in itertools.pairwise(events):
        if after.seq != before.seq + 1:
            raise bad_request(f"events must be consecutive and oldest first: seq {after.seq} "
                              f"follows {before.seq}", seq=after.seq)
    return events


def parse_event(item: Any, index: int) -> IncomingEvent:
    where = f"events[{index}]"
    if not isinstance(item, dict):
        raise bad_request(f"{where} must be an object")
    if set(item) != EVENT_KEYS:
        missing = sorted(EVENT_KEYS - set(item))
        extra = sorted(set(item) - EVENT_KEYS)
        raise bad_request(f"{where} has missing keys {missing} or unknown keys {extra}")
    seq = item["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
        raise bad_request(f"{where}.seq must be a positive integer")
    txn_id = item["txn_id"]
    if txn_id is not None and (not isinstance(txn_id, str) or not 0 < len(txn_id) <= MAX_TXN_ID
                               or not _printable(txn_id)):
        raise bad_request(f"{where}.txn_id must be null or a string of 1..{MAX_TXN_ID} printable characters")
    at = item["at"]
    if not isinstance(at, str) or not _AT.fullmatch(at):
        raise bad_request(f"{where}.at must be a UTC time like 2025-07-01T12:00:00.000000Z")
    try:
        dt.datetime.fromisoformat(at[:-1])  # the ledger's format_at form; much faster than strptime
    except ValueError as exc:
        raise bad_request(f"{where}.at is not a UTC time: {at!r}") from exc
    kind = item["kind"]
    if not isinstance(kind, str) or not 0 < len(kind) <= MAX_KIND or not _printable(kind):
        raise bad_request(f"{where}.kind must be a string of 1..{MAX_KIND} printable characters")
    payload = item["payload"]
    if not isinstance(payload, dict):
        raise bad_request(f"{where}.payload must be an object")
    for name in ("prev_hash", "hash"):
        value = item[name]
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise bad_request(f"{where}.{name} must be 64 lower-case hex digits")
    return IncomingEvent(seq, txn_id, at, kind, payload, canonical_json(payload),
                         item["prev_hash"], item["hash"])


def check_hashes(events: Sequence[IncomingEvent]) -> None:
    """Every event's hash matches its content and links to the event before it in the batch."""
    for i, ev in enumerate(events):
        if event_hash(ev.prev_hash, ev.seq, ev.txn_id, ev.at, ev.kind, ev.payload_text) != ev.hash:
            raise ApiError(422, "tampered_event", f"event seq {ev.seq}: hash does not match its content",
                           seq=ev.seq)
        if i and ev.prev_hash != events[i - 1].hash:
            raise ApiError(422, "chain_broken", f"event seq {ev.seq}: prev_hash does not link to "
                           f"seq {ev.seq - 1}", seq=ev.seq)


def plan_ingest(
    events: Sequence[IncomingEvent],
    acked_through: int,
    head_hash: str,
    stored_hashes: Mapping[int, str],
) -> IngestPlan:
    """Decide what to store. ``stored_hashes`` holds the stored hash of every seq of the batch
    that is ``<= acked_through``. Raises 409 ``sequence_gap`` when the batch starts past the
    next expected seq (the kiosk rewinds to ``acked_through``), 409 ``chain_conflict`` when a
    seq is stored with a different hash, 422 ``chain_broken`` when the first new event does
    not link to the stored head."""
    first = events[0].seq
    if first > acked_through + 1:
        raise ApiError(409, "sequence_gap", f"expected seq {acked_through + 1}, batch starts at {first}",
                       seq=first, expected_seq=acked_through + 1, acked_through=acked_through)
    duplicates = 0
    new: list[IncomingEvent] = []
    for ev in events:
        if ev.seq <= acked_through:
            if stored_hashes.get(ev.seq) != ev.hash:
                raise ApiError(409, "chain_conflict", f"seq {ev.seq} is already stored with a different hash",
                               seq=ev.seq, acked_through=acked_through)
            duplicates += 1
        else:
            new.append(ev)
    if new:
        # Batches are consecutive and start at most at acked_through + 1, so new[0] is exactly
        # the next seq; it must link to the stored head (GENESIS for a kiosk with nothing yet).
        expected_prev = head_hash if acked_through else GENESIS
        if new[0].prev_hash != expected_prev:
            raise ApiError(422, "chain_broken", f"event seq {new[0].seq}: prev_hash does not link to the "
                           f"stored seq {new[0].seq - 1}", seq=new[0].seq, acked_through=acked_through)
        return IngestPlan(new, duplicates, new[-1].seq, new[-1].hash)
    return IngestPlan(new, duplicates, acked_through, head_hash)


# --------------------------------------------------------------------------- projection


_INT_FIELDS = frozenset({"amount_cents"})
#: The kiosk's receipt event (``kiosk.txn``): ``{"receipt": receipt_to_json(...), "print": ...}``.
RECEIPT_KIND = "txn.receipt"
#: A receipt is a few hundred bytes; one larger than this is not kept (its page says "not available").
MAX_RECEIPT_BYTES = 16_384


@dataclass
class TxnRow:
    """A transaction projection row being folded (mirrors the kiosk's ``transactions``)."""

    kiosk_id: str
    txn_id: str
    created_at: str
    updated_at: str
    last_seq: int
    values: dict[str, Any] = field(default_factory=dict)
    receipt: str | None = None  # JSON of the last ``txn.receipt`` event's receipt (the e-receipt page)

    def as_row(self) -> dict[str, Any]:
        row = {name: self.values.get(name) for name in PROJECTED_FIELDS}
        row["state"] = row["state"] or "created"
        row.update(kiosk_id=self.kiosk_id, txn_id=self.txn_id, created_at=self.created_at,
                   updated_at=self.updated_at, last_seq=self.last_seq, receipt=self.receipt)
        return row


def receipt_text(payload: Mapping[str, Any]) -> str | None:
    """The receipt of a ``txn.receipt`` payload as compact JSON, ``None`` when it is not an
    object or is oversized (a kiosk's odd payload must not fail the batch). Checked field by
    field, masked and escaped when the page renders it (``backend.ereceipt``)."""
    receipt = payload.get("receipt")
    if not isinstance(receipt, dict):
        return None
    try:
        text = orjson.dumps(receipt).decode("utf-8")  # a NUL becomes \u0000: storable in a text column
    except orjson.JSONEncodeError:  # an integer over 64 bits, nesting deeper than 254
        return None
    return text if len(text) <= MAX_RECEIPT_BYTES else None


def _projected_value(name: str, value: Any) -> Any:
    """Keep only well-typed values: a kiosk's odd payload must not fail the whole batch."""
    if value is None:
        return None
    if name in _INT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**62:
            return None
        return value
    if isinstance(value, str):
        return value[:256].replace("\x00", "\ufffd")  # a NUL cannot be stored in a text column
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def fold(rows: dict[str, TxnRow], kiosk_id: str, events: Sequence[IncomingEvent]) -> None:
    """Apply events (oldest first) to the projection rows in ``rows`` (keyed by txn_id)."""
    for ev in events:
        if ev.txn_id is None:
            continue
        row = rows.get(ev.txn_id)
        if row is None:
            row = rows[ev.txn_id] = TxnRow(kiosk_id, ev.txn_id, ev.at, ev.at, ev.seq)
        row.updated_at = ev.at
        row.last_seq = ev.seq
        for name in PROJECTED_FIELDS:
            if name in ev.payload:
                row.values[name] = _projected_value(name, ev.payload[name])
        if ev.kind == RECEIPT_KIND:
            row.receipt = receipt_text(ev.payload)


# --------------------------------------------------------------------------- end of day

#: The kiosk's end-of-day event (``kiosk.reconcile.END_OF_DAY_EVENT``): the terminal's batch
#: totals compared with the ledger; ``matches: false`` is the alert an operator must see.
END_OF_DAY_KIND = "terminal.end_of_day"
#: The incident an end of day that does not match the ledger becomes (incidents.code).
END_OF_DAY_MISMATCH = "end_of_day_mismatch"

_EOD_INTS = ("terminal_cents", "terminal_count", "ledger_cents", "ledger_count", "difference_cents",
             "batch_no")


def end_of_day_of(seq: int, at: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The operator's view of one end-of-day event: when, the totals, whether they match.

    Only well-typed values are kept (a kiosk's odd payload shows as ``None``, never fails
    the batch); ``matches`` is ``None`` when the payload does not say."""
    def whole(name: str) -> int | None:
        value = payload.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) \
            and abs(value) < 2**62 else None

    matches = payload.get("matches")
    summary = payload.get("summary")
    return {"seq": seq, "at": at, "matches": matches if isinstance(matches, bool) else None,
            **{name: whole(name) for name in _EOD_INTS},
            "summary": summary[:500] if isinstance(summary, str) else None}


def end_of_day_incidents(events: Sequence[IncomingEvent]) -> list[dict[str, Any]]:
    """An incident for every end of day in ``events`` whose totals do not match the ledger
    (``matches`` false): the alert reaches the operator's fleet view and incident list."""
    found = []
    for ev in events:
        if ev.kind != END_OF_DAY_KIND or ev.payload.get("matches") is not False:
            continue
        eod = end_of_day_of(ev.seq, ev.at, ev.payload)
        money = ("?" if eod["difference_cents"] is None
                 else f"{eod['difference_cents'] / 100:.2f}")
        detail = eod["summary"] or (f"terminal {eod['terminal_cents']} vs ledger {eod['ledger_cents']} "
                                    "cents")
        found.append({"at": ev.at, "code": END_OF_DAY_MISMATCH, "seq": ev.seq,
                      "detail": f"end of day does not match the ledger (difference {money}): "
                                f"{detail}".replace("\x00", "\ufffd")})
    return found
