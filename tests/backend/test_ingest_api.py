"""Event ingest through a real uvicorn on loopback and a real PostgreSQL (one server per module)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.ingest import TxnRow, fold, parse_batch
from kiosk.ledger import Ledger
from kiosk.ledger.chain import canonical_json, event_hash
from kiosk.sync import Syncer, UpstreamClient
from kiosk.sync.signing import format_timestamp, sign
from tests.backend.harness import (
    BackendProcess,
    batch_body,
    bulk_ledger,
    custom_rows,
    event_rows,
    sign_for,
    signed_post,
)

pytestmark = pytest.mark.postgres
_ids = itertools.count(1)


def new_kiosk(backend: BackendProcess) -> tuple[str, bytes]:
    kiosk_id = f"KIOSK-{next(_ids):04d}"
    return kiosk_id, backend.add_kiosk(kiosk_id, "Test mall")


def counts(backend: BackendProcess, kiosk_id: str) -> tuple[int, int]:
    """(events stored for the kiosk, incidents in total)."""
    with backend.store() as store:
        return store.event_count(kiosk_id), len(store.incidents())


def test_ten_thousand_events_arrive_once_each(pg_backend: BackendProcess, data_dir: Path) -> None:
    kiosk_id, secret = new_kiosk(pg_backend)
    bulk_ledger(data_dir, 10_000)
    with Ledger.open("", data_dir) as ledger, UpstreamClient(pg_backend.base_url, kiosk_id, secret) as client:
        report = Syncer(ledger, client, batch_size=500).sync_once()
        ours = [(e.seq, e.hash) for e in ledger.events()]
        assert ledger.get_meta("sync.acked_through") == "10000"
    assert (report.sent, report.stored, report.duplicates, report.acked_through) == (10_000, 10_000, 0, 10_000)
    with pg_backend.store() as store:
        stored = [(e["seq"], e["hash"]) for e in store.stored_events(kiosk_id)]
        txns = list(store.transactions(kiosk_id=kiosk_id))
    assert stored == ours
    assert len(txns) == 3334
    assert {t["state"] for t in txns} == {"completed", "created"}  # the last transaction is unfinished


def test_a_batch_replayed_byte_for_byte_is_refused_and_written_once(pg_backend: BackendProcess) -> None:
    kiosk_id, secret = new_kiosk(pg_backend)
    rows = list(event_rows(50))
    body = batch_body(rows)
    first = signed_post(pg_backend.base_url, f"/v1/kiosks/{kiosk_id}/events", kiosk_id, secret, body)
    request = first.request
    replay = httpx.post(str(request.url), content=request.content, headers=dict(request.headers))
    assert first.status_code == 200 and first.json() == {"acked_through": 50, "acked_hash": rows[-1][6],
                                                         "stored": 50, "duplicates": 0}
    assert (replay.status_code, replay.json()["error"]) == (401, "replayed")
    assert counts(pg_backend, kiosk_id)[0] == 50
    with pg_backend.store() as store:
        assert {e["received_at"] for e in store.stored_events(kiosk_id)} == \
            {store.stored_events(kiosk_id)[0]["received_at"]}  # one write, never rewritten


@pytest.mark.parametrize("batch", [1, 3, 7, 100])
def test_the_projection_across_batch_boundaries_is_the_fold_of_every_event(pg_backend: BackendProcess,
                                                                          batch: int) -> None:
    """Transactions cut by batch boundaries at every point: the stored projection equals the
    fold of all the events at once (a field set in an earlier batch kept, a later one applied,
    a field set to null cleared, created_at from the first event)."""
    kiosk_id, secret = new_kiosk(pg_backend)
    t0 = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC)
    specs: list[tuple[str | None, dt.datetime, str, dict[str, Any]]] = []
    for i in range(12):
        txn, at = f"t{i:02d}", t0 + dt.timedelta(minutes=i)
        specs += [
            (txn, at, "txn.created", {"state": "created", "msisdn": f"120255501{i:02d}", "amount_cents": 1000 + i,
                                      "currency": "USD", "carrier": "T-Mobile"}),
            (None, at + dt.timedelta(seconds=1), "kiosk.note", {"text": "no transaction"}),
            (txn, at + dt.timedelta(seconds=2), "txn.state", {"state": "payment_approved",
                                                              "terminal_receipt_no": f"{i:04d}"}),
            (txn, at + dt.timedelta(seconds=3), "txn.state", {"state": "completed", "carrier": None,
                                                              "provider_ref": f"REF-{i}"}),
            (txn, at + dt.timedelta(seconds=4), "txn.receipt", {"receipt": {"n": i, "lang": "es"}, "print": True}),
            (txn, at + dt.timedelta(seconds=5), "txn.receipt_not_printed", {"error": "out_of_paper"}),
        ]
    rows = custom_rows(specs)
    for first in range(0, len(rows), batch):
        r = signed_post(pg_backend.base_url, f"/v1/kiosks/{kiosk_id}/events", kiosk_id, secret,
                        batch_body(rows[first:first + batch]))
        assert r.status_code == 200, r.text
    expected: dict[str, TxnRow] = {}
    fold(expected, kiosk_id, parse_batch(batch_body(rows), 1000))
    with pg_backend.store() as store:
        stored = {t["txn_id"]: t for t in store.transactions(kiosk_id=kiosk_id)}
        receipts = {t: store.receipt(kiosk_id, t) for t in stored}
    assert stored.keys() == expected.keys()
    for txn_id, row in expected.items():
        want = row.as_row()
        assert receipts[txn_id] == want.pop("receipt") is not None, txn_id  # the e-receipt's, kept
        assert {k: stored[txn_id][k] for k in want} == want, txn_id
    assert receipts["t03"] == '{"lang":"es","n":3}' and "receipt" not in stored["t03"]  # not in operator views
    assert stored["t00"]["carrier"] is None and stored["t00"]["msisdn"] == "12025550100"


def test_a_replay_after_the_window_is_refused(pg_backend: BackendProcess) -> None:
    kiosk_id, secret = new_kiosk(pg_backend)
    body = batch_body(list(event_rows(5)))
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)
    r = signed_post(pg_backend.base_url, f"/v1/kiosks/{kiosk_id}/events", kiosk_id, secret, body, now=old)
    assert (r.status_code, r.json()["error"]) == (401, "stale_timestamp")
    assert counts(pg_backend, kiosk_id)[0] == 0


def _tamper_amount(events: list[dict[str, Any]]) -> None:
    events[3]["payload"]["amount_cents"] = 1


def _forge_and_rehash(events: list[dict[str, Any]]) -> None:
    ev = events[3]
    ev["payload"]["amount_cents"] = 1
    ev["hash"] = event_hash(ev["prev_hash"], ev["seq"], ev["txn_id"], ev["at"], ev["kind"],
                            canonical_json(ev["payload"]))


@pytest.mark.parametrize(("tamper", "status", "code", "seq"), [
    (_tamper_amount, 422, "tampered_event", 4),
    (_forge_and_rehash, 422, "chain_broken", 5),
])
def test_tampered_events_are_rejected_and_reported(
        pg_backend: BackendProcess, tamper: Callable[[list[dict[str, Any]]], None], status: int, code: str,
        seq: int) -> None:
    kiosk_id, secret = new_kiosk(pg_backend)
    events = json.loads(batch_body(list(event_rows(10))))["events"]
    tamper(events)
    _, incidents_before = counts(pg_backend, kiosk_id)
    r = signed_post(pg_backend.base_url, f"/v1/kiosks/{kiosk_id}/events", kiosk_id, secret,
                    json.dumps({"events": events}).encode())
    assert (r.status_code, r.json()["error"], r.json()["seq"]) == (status, code, seq)
    stored, incidents_after = counts(pg_backend, kiosk_id)
    assert stored == 0
    assert incidents_after == incidents_before + 1
    with pg_backend.store() as store:
        latest = store.incidents(1)[0]
    assert (latest["kiosk_id"], latest["code"], latest["seq"]) == (kiosk_id, code, seq)


def test_a_different_history_for_stored_seqs_is_a_conflict(pg_backend: BackendProcess) -> None:
    kiosk_id, secret = new_kiosk(pg_backend)
    url = f"/v1/kiosks/{kiosk_id}/events"
    assert signed_post(pg_backend.base_url, url, kiosk_id, secret,
                       batch_body(list(event_rows(6)))).status_code == 200
    r = signed_post(pg_backend.base_url, url, kiosk_id, secret, batch_body(list(event_rows(8, kiosk_tag="x"))))
    assert (r.status_code, r.json()["error"], r.json()["seq"]) == (409, "chain_conflict", 1)
    assert counts(pg_backend, kiosk_id)[0] == 6


def test_a_gap_is_reported_with_where_the_backend_stands(pg_backend: BackendProcess) -> None:
    kiosk_id, secret = new_kiosk(pg_backend)
    rows = list(event_rows(20))
    url = f"/v1/kiosks/{kiosk_id}/events"
    assert signed_post(pg_backend.base_url, url, kiosk_id, secret, batch_body(rows[:5])).status_code == 200
    r = signed_post(pg_backend.base_url, url, kiosk_id, secret, batch_body(rows[10:]))
    assert r.status_code == 409
    assert r.json() | {"message": ""} == {"error": "sequence_gap", "message": "", "seq": 11, "expected_seq": 6,
                                         "acked_through": 5, "acked_hash": rows[4][6]}
    assert counts(pg_backend, kiosk_id)[0] == 5
    with pg_backend.store() as store:
        assert store.incidents(1)[0]["code"] == "sequence_gap"


@pytest.mark.parametrize("refusal", ["chain_conflict", "tampered_event"])
def test_a_refused_batch_replayed_is_refused_as_replayed_and_reported_once(
        pg_backend: BackendProcess, refusal: str) -> None:
    """The nonce is recorded with the ingest's own transaction; a batch refused by the plan
    (409) or by a hash check (422) still records it, so its replay adds no incident."""
    kiosk_id, secret = new_kiosk(pg_backend)
    url = f"/v1/kiosks/{kiosk_id}/events"
    assert signed_post(pg_backend.base_url, url, kiosk_id, secret,
                       batch_body(list(event_rows(6)))).status_code == 200
    if refusal == "chain_conflict":
        body = batch_body(list(event_rows(8, kiosk_tag="x")))
    else:
        events = json.loads(batch_body(list(event_rows(10))))["events"]
        _tamper_amount(events)
        body = json.dumps({"events": events}).encode()
    _, before = counts(pg_backend, kiosk_id)
    refused = signed_post(pg_backend.base_url, url, kiosk_id, secret, body)
    assert refused.json()["error"] == refusal
    replay = httpx.post(str(refused.request.url), content=refused.request.content,
                        headers=dict(refused.request.headers))
    assert (replay.status_code, replay.json()["error"]) == (401, "replayed")
    assert counts(pg_backend, kiosk_id) == (6, before + 1)


# --------------------------------------------------------------------------- bad input


def _body_events(n: int = 3) -> bytes:
    return batch_body(list(event_rows(n)))


def _signed(body: bytes, **kw: Any) -> Callable[[BackendProcess, str, bytes], httpx.Response]:
    def send(backend: BackendProcess, kiosk_id: str, secret: bytes) -> httpx.Response:
        return signed_post(backend.base_url, f"/v1/kiosks/{kiosk_id}/events", kiosk_id, secret, body, **kw)
    return send


def _raw(headers_fn: Callable[[str, bytes, bytes], dict[str, str]], body: bytes,
         path_kiosk: str | None = None) -> Callable[[BackendProcess, str, bytes], httpx.Response]:
    def send(backend: BackendProcess, kiosk_id: str, secret: bytes) -> httpx.Response:
        path = f"/v1/kiosks/{path_kiosk or kiosk_id}/events"
        _, headers = sign_for(kiosk_id, secret, "POST", path, body)
        headers["Content-Type"] = "application/json"
        headers.update(headers_fn(kiosk_id, secret, body))
        return httpx.post(f"{backend.base_url}{path}", content=body, headers=headers, timeout=30)
    return send


def _wrong_types() -> bytes:
    events = json.loads(_body_events())["events"]
    events[1]["seq"] = "2"
    return json.dumps({"events": events}).encode()


NOW = dt.datetime.now(dt.UTC)
BAD_INPUT: dict[str, tuple[Callable[[BackendProcess, str, bytes], httpx.Response], int, str]] = {
    "body too large": (_signed(b'{"events": [' + b" " * 1_000_001 + b"]}"), 413, "body_too_large"),
    "batch too large": (_signed(_body_events(2001)), 413, "batch_too_large"),
    "malformed json": (_signed(b'{"events": [}'), 400, "malformed_json"),
    "not utf-8": (_signed(b'{"events": "\xff"}'), 400, "malformed_json"),
    "NaN": (_signed(b'{"events": [NaN]}'), 400, "malformed_json"),
    "top level list": (_signed(b"[]"), 400, "bad_request"),
    "wrong types": (_signed(_wrong_types()), 400, "bad_request"),
    "empty batch": (_signed(b'{"events": []}'), 400, "bad_request"),
    "bad signature": (_raw(lambda k, s, b: {"X-Signature": "0" * 64}, _body_events()), 401, "bad_signature"),
    "signature of another body": (_raw(lambda k, s, b: {"X-Signature": sign(
        s, "POST", f"/v1/kiosks/{k}/events", "", format_timestamp(NOW), "0" * 32, b"x")}, _body_events()),
                                  401, "bad_signature"),
    "v1 signature": (_raw(lambda k, s, b: {"X-Signature": hmac.new(
        s, format_timestamp(NOW).encode() + b"\n" + b, hashlib.sha256).hexdigest(),
        "X-Timestamp": format_timestamp(NOW)}, _body_events()), 401, "bad_signature"),
    "no nonce": (_raw(lambda k, s, b: {"X-Nonce": ""}, _body_events()), 401, "bad_signature"),
    "upper-case nonce": (_raw(lambda k, s, b: {"X-Nonce": "A" * 32}, _body_events()), 401, "bad_signature"),
    "no signature": (_raw(lambda k, s, b: {"X-Signature": ""}, _body_events()), 401, "bad_signature"),
    "stale timestamp": (_signed(_body_events(), now=NOW - dt.timedelta(minutes=5, seconds=30)),
                        401, "stale_timestamp"),
    "future timestamp": (_signed(_body_events(), now=NOW + dt.timedelta(minutes=15)), 401, "stale_timestamp"),
    "garbled timestamp": (_raw(lambda k, s, b: {"X-Timestamp": "yesterday"}, _body_events()),
                          401, "stale_timestamp"),
    "unknown kiosk": (_raw(lambda k, s, b: {"X-Kiosk-Id": "NO-SUCH"}, _body_events()), 401, "unknown_kiosk"),
    "url names another kiosk": (_raw(lambda k, s, b: {}, _body_events(), path_kiosk="KIOSK-9999"),
                                403, "kiosk_mismatch"),
    "wrong content type": (_raw(lambda k, s, b: {"Content-Type": "text/plain"}, _body_events()),
                           415, "unsupported_media_type"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_refused_and_nothing_is_written(pg_backend: BackendProcess, case: str) -> None:
    send, status, code = BAD_INPUT[case]
    kiosk_id, secret = new_kiosk(pg_backend)
    before = counts(pg_backend, kiosk_id)
    r = send(pg_backend, kiosk_id, secret)
    assert r.status_code == status, r.text
    assert r.json()["error"] == code
    assert isinstance(r.json()["message"], str)
    assert counts(pg_backend, kiosk_id) == before
    with pg_backend.store() as store:
        assert store.kiosk_state(kiosk_id)[0] == 0


def test_unknown_routes_and_methods_answer_json(pg_backend: BackendProcess) -> None:
    r = httpx.get(pg_backend.base_url + "/v1/nothing")
    assert (r.status_code, r.json()["error"]) == (404, "not_found")
    r = httpx.get(pg_backend.base_url + "/v1/kiosks/K/events")
    assert (r.status_code, r.json()["error"]) == (405, "method_not_allowed")
