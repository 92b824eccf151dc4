"""The pure ingest core: batch parsing, hash and link checks, the ingest plan, the projection fold."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.errors import ApiError
from backend.ingest import TxnRow, check_hashes, fold, parse_batch, plan_ingest
from kiosk.ledger.chain import GENESIS, canonical_json, event_hash
from tests.backend.harness import batch_body, event_rows


def _events(n: int = 6, **kw: Any) -> list[dict[str, Any]]:
    return json.loads(batch_body(list(event_rows(n, **kw))))["events"]


def _body(events: Any) -> bytes:
    return json.dumps({"events": events}).encode()


def _code(body: bytes, max_events: int = 100) -> tuple[int, str]:
    with pytest.raises(ApiError) as info:
        parse_batch(body, max_events)
    return info.value.status, info.value.code


def test_a_good_batch_parses_and_verifies() -> None:
    events = parse_batch(batch_body(list(event_rows(9))), 100)
    check_hashes(events)
    assert [e.seq for e in events] == list(range(1, 10))
    assert events[0].prev_hash == GENESIS


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda e: e[0].update(seq="1"), (400, "bad_request")),
    (lambda e: e[0].update(seq=True), (400, "bad_request")),
    (lambda e: e[0].update(seq=0), (400, "bad_request")),
    (lambda e: e[0].update(seq=1.0), (400, "bad_request")),
    (lambda e: e[0].update(txn_id=5), (400, "bad_request")),
    (lambda e: e[0].update(txn_id=""), (400, "bad_request")),
    (lambda e: e[0].update(at="2025-07-01 08:00:00"), (400, "bad_request")),
    (lambda e: e[0].update(at="2025-13-01T08:00:00.000000Z"), (400, "bad_request")),
    (lambda e: e[0].update(kind=""), (400, "bad_request")),
    (lambda e: e[0].update(kind="k" * 65), (400, "bad_request")),
    (lambda e: e[0].update(payload=[1]), (400, "bad_request")),
    (lambda e: e[0].update(hash="XYZ"), (400, "bad_request")),
    (lambda e: e[0].update(prev_hash=GENESIS.upper().replace("0", "A")), (400, "bad_request")),
    (lambda e: e[0].update(extra=1), (400, "bad_request")),
    (lambda e: e[0].pop("hash"), (400, "bad_request")),
    (lambda e: e.__setitem__(0, "not an object"), (400, "bad_request")),
    (lambda e: e.pop(2), (400, "bad_request")),  # not consecutive
    (lambda e: e.reverse(), (400, "bad_request")),  # newest first
])
def test_wrong_types_and_shapes_are_400(mutate: Any, expected: tuple[int, str]) -> None:
    events = _events()
    mutate(events)
    assert _code(_body(events)) == expected


@pytest.mark.parametrize(("body", "expected"), [
    (b"{", (400, "malformed_json")),
    (b'{"events": [NaN]}', (400, "malformed_json")),
    (b"\xff\xfe{}", (400, "malformed_json")),
    (b"[]", (400, "bad_request")),
    (b'{"events": {}}', (400, "bad_request")),
    (b'{"events": []}', (400, "bad_request")),
    (b'{"events": [], "more": 1}', (400, "bad_request")),
    (b"[" * 100000, (400, "malformed_json")),
])
def test_malformed_bodies(body: bytes, expected: tuple[int, str]) -> None:
    assert _code(body) == expected


def test_batch_cap_is_413() -> None:
    assert _code(batch_body(list(event_rows(11))), max_events=10) == (413, "batch_too_large")


def test_a_changed_payload_is_tampering() -> None:
    events = _events()
    events[3]["payload"]["amount_cents"] = 1
    parsed = parse_batch(_body(events), 100)
    with pytest.raises(ApiError) as info:
        check_hashes(parsed)
    assert (info.value.code, info.value.extra["seq"]) == ("tampered_event", 4)


def test_a_rehashed_forgery_breaks_the_link() -> None:
    events = _events()
    ev = events[3]
    ev["payload"]["amount_cents"] = 1
    ev["hash"] = event_hash(ev["prev_hash"], ev["seq"], ev["txn_id"], ev["at"], ev["kind"],
                            canonical_json(ev["payload"]))
    with pytest.raises(ApiError) as info:
        check_hashes(parse_batch(_body(events), 100))
    assert (info.value.status, info.value.code, info.value.extra["seq"]) == (422, "chain_broken", 5)


def test_plan_new_kiosk_stores_everything() -> None:
    events = parse_batch(batch_body(list(event_rows(5))), 100)
    plan = plan_ingest(events, 0, GENESIS, {})
    assert (len(plan.new), plan.duplicates, plan.acked_through, plan.head_hash) == (5, 0, 5, events[-1].hash)


def test_plan_overlap_counts_duplicates_and_stores_the_rest() -> None:
    events = parse_batch(batch_body(list(event_rows(6))), 100)
    stored = {e.seq: e.hash for e in events[:4]}
    plan = plan_ingest(events[1:], 4, events[3].hash, stored)
    assert [e.seq for e in plan.new] == [5, 6]
    assert plan.duplicates == 3
    assert plan.acked_through == 6


def test_plan_full_replay_stores_nothing() -> None:
    events = parse_batch(batch_body(list(event_rows(4))), 100)
    plan = plan_ingest(events, 4, events[-1].hash, {e.seq: e.hash for e in events})
    assert (plan.new, plan.duplicates, plan.acked_through) == ([], 4, 4)


def test_plan_gap_is_409_with_the_backend_position() -> None:
    events = parse_batch(batch_body(list(event_rows(8))), 100)
    with pytest.raises(ApiError) as info:
        plan_ingest(events[5:], 3, events[2].hash, {})
    assert (info.value.status, info.value.code, info.value.extra["acked_through"]) == (409, "sequence_gap", 3)


def test_plan_conflicting_history_is_409() -> None:
    ours = parse_batch(batch_body(list(event_rows(3))), 100)
    theirs = parse_batch(batch_body(list(event_rows(3, kiosk_tag="other"))), 100)
    with pytest.raises(ApiError) as info:
        plan_ingest(theirs, 3, ours[-1].hash, {e.seq: e.hash for e in ours})
    assert (info.value.status, info.value.code, info.value.extra["seq"]) == (409, "chain_conflict", 1)


def test_plan_refuses_a_batch_not_linked_to_the_stored_head() -> None:
    ours = parse_batch(batch_body(list(event_rows(6))), 100)
    other = parse_batch(batch_body(list(event_rows(6, kiosk_tag="other"))), 100)
    with pytest.raises(ApiError) as info:
        plan_ingest(other[3:], 3, ours[2].hash, {})
    assert (info.value.status, info.value.code, info.value.extra["seq"]) == (422, "chain_broken", 4)


def test_fold_mirrors_the_kiosk_projection() -> None:
    events = parse_batch(batch_body(list(event_rows(6))), 100)
    rows: dict[str, TxnRow] = {}
    fold(rows, "K", events[:4])
    fold(rows, "K", events[4:])
    first = rows["k-00000000"].as_row()
    assert (first["state"], first["amount_cents"], first["provider_ref"], first["last_seq"]) == \
        ("completed", 3000, "TMO-2", 3)
    assert first["created_at"] == events[0].at and first["updated_at"] == events[2].at
    assert rows["k-00000001"].as_row()["state"] == "completed"


def test_fold_drops_ill_typed_values() -> None:
    events = _events(1)
    events[0]["payload"] = {"state": "created", "amount_cents": "3000", "carrier": {"x": 1}}
    ev = events[0]
    ev["hash"] = event_hash(GENESIS, 1, ev["txn_id"], ev["at"], ev["kind"], canonical_json(ev["payload"]))
    parsed = parse_batch(_body(events), 10)
    rows: dict[str, TxnRow] = {}
    fold(rows, "K", parsed)
    row = rows[ev["txn_id"]].as_row()
    assert (row["amount_cents"], row["carrier"], row["state"]) == (None, None, "created")
