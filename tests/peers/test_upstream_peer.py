"""The upstream peer keeps docs/upstream-api.md and misbehaves exactly as asked.

Every request here is written by hand from the document with plain httpx (not our client), and
the signatures are computed inline from the specification's words, not with the peer's helpers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.peers.upstream_peer import (
    Charge,
    Fault,
    PeerConfigError,
    PeerInvariantError,
    PeerProcess,
    UpstreamPeer,
    assert_money_consistent,
    money_violations,
    performed_topups,
    read_journal,
    topup_states,
    write_control,
)

SECRET = b"s3cret-kiosk-key"
KIOSK = "KIOSK-0001"


def topup(key: str | None = None, **changes: Any) -> dict[str, Any]:
    body = {"key": key or str(uuid.uuid4()), "msisdn": "12025550123", "carrier": "T-Mobile",
            "iccid": "8901260123456789012", "plan_id": "tmo-unl-50", "amount_cents": 5000,
            "currency": "USD", "kiosk_id": KIOSK}
    body.update(changes)
    return body


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "peer.jsonl"


@pytest.fixture
def peer(journal: Path) -> Iterator[UpstreamPeer]:
    with UpstreamPeer(journal) as running:
        yield running


@pytest.fixture
def client(peer: UpstreamPeer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=peer.url, timeout=5.0) as http:
        yield http


# --------------------------------------------------------------------------- the document's rules


def test_lookup_by_iccid_by_msisdn_and_unknown(client: httpx.Client) -> None:
    by_iccid = client.post("/v1/lookup", json={"iccid": "8901260123456789012"})
    assert by_iccid.status_code == 200
    assert by_iccid.json() == {"found": True, "account": {
        "msisdn": "12025550123", "carrier": "T-Mobile", "iccid": "8901260123456789012",
        "current_plan": "tmo-unl-50", "expiry": "2025-08-01"}}
    assert client.post("/v1/lookup", json={"msisdn": "13105550142"}).json()["account"]["iccid"] is None
    assert client.post("/v1/lookup", json={"msisdn": "19995550000"}).json() == {"found": False}
    both_wrong = client.post("/v1/lookup", json={"iccid": "8901260123456789012", "msisdn": "12025550199"})
    assert both_wrong.json() == {"found": False}
    neither = client.post("/v1/lookup", json={})
    assert neither.status_code == 400 and neither.json()["error"] == "bad_request"
    assert client.post("/v1/lookup", json={"msisdn": "+12025550123"}).status_code == 400


def test_catalog_filters_case_insensitively(client: httpx.Client) -> None:
    everything = client.get("/v1/catalog").json()
    assert everything["version"] and {p["carrier"] for p in everything["plans"]} == {"T-Mobile", "Verizon", "AT&T"}
    tmo = client.get("/v1/catalog", params={"carrier": "t-MOBILE"}).json()["plans"]
    assert tmo and all(p["carrier"] == "T-Mobile" for p in tmo)
    assert client.get("/v1/catalog", params={"carrier": "Nope"}).json()["plans"] == []


def test_topup_is_performed_once_per_key(client: httpx.Client, journal: Path) -> None:
    body = topup()
    first = client.post("/v1/topups", json=body)
    assert first.status_code == 201
    assert first.json()["key"] == body["key"] and first.json()["status"] == "succeeded"
    again = client.post("/v1/topups", json=body)
    assert again.status_code == 200 and again.json() == first.json()
    assert client.get(f"/v1/topups/{body['key']}").json() == first.json()
    assert list(performed_topups(journal)) == [body["key"]]


@pytest.mark.parametrize("change", [{"msisdn": "12025550124"}, {"plan_id": "tmo-basic-25"}, {"amount_cents": 2500}])
def test_key_reused_with_another_body_conflicts_and_performs_nothing(
        client: httpx.Client, journal: Path, change: dict[str, Any]) -> None:
    body = topup()
    assert client.post("/v1/topups", json=body).status_code == 201
    conflict = client.post("/v1/topups", json={**body, **change})
    assert conflict.status_code == 409 and conflict.json()["error"] == "key_conflict"
    assert len(performed_topups(journal)) == 1


def test_price_check_fails_customer_fixable(client: httpx.Client, journal: Path) -> None:
    for change in ({"amount_cents": 4900}, {"currency": "EUR"}):
        reply = client.post("/v1/topups", json=topup(**change))
        assert reply.json()["status"] == "failed"
        assert reply.json()["failure_kind"] == "customer_fixable" and reply.json()["message"] == "price_changed"
    assert client.post("/v1/topups", json=topup(plan_id="vz-unl-65", amount_cents=6500)).json()["message"] \
        == "plan_not_allowed"
    assert performed_topups(journal) == {}


def test_malformed_topups_answer_bad_request(client: httpx.Client, journal: Path) -> None:
    for body in (topup(amount_cents="5000"), topup(amount_cents=True), topup(key="not-a-uuid"),
                 {k: v for k, v in topup().items() if k != "currency"}, topup(msisdn=12025550123)):
        reply = client.post("/v1/topups", json=body)
        assert reply.status_code == 400 and reply.json()["error"] == "bad_request", body
    not_json = client.post("/v1/topups", content=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert client.get("/v1/nothing").json()["error"] == "not_found"
    assert read_journal(journal) == []


def test_not_found_fences_a_late_submit(client: httpx.Client, journal: Path) -> None:
    body = topup()
    fenced = client.get(f"/v1/topups/{body['key']}")
    assert fenced.status_code == 200
    assert fenced.json() == {"key": body["key"], "status": "not_found", "failure_kind": None,
                             "provider_ref": None, "message": ""}
    late = client.post("/v1/topups", json=body)
    assert late.json() == {"key": body["key"], "status": "failed", "failure_kind": "transient",
                           "provider_ref": None, "message": "voided"}
    assert client.get(f"/v1/topups/{body['key']}").json()["status"] == "not_found"
    assert performed_topups(journal) == {}
    assert topup_states(journal)[body["key"]]["status"] == "void"


def test_recorded_on_receipt_and_pending_until_resolved(peer: UpstreamPeer, client: httpx.Client,
                                                         journal: Path) -> None:
    peer.set_faults(Fault("topups.post", outcome="pending", pending_s=None))
    body = topup()
    accepted = client.post("/v1/topups", json=body)
    assert accepted.status_code == 202 and accepted.json()["status"] == "pending"
    assert [e["event"] for e in read_journal(journal)] == ["received", "status"]
    assert client.get(f"/v1/topups/{body['key']}").json()["status"] == "pending"
    assert client.post("/v1/topups", json=body).status_code == 200
    assert performed_topups(journal) == {}
    peer.resolve(body["key"], "succeeded")
    assert client.get(f"/v1/topups/{body['key']}").json()["status"] == "succeeded"
    assert list(performed_topups(journal)) == [body["key"]]


@pytest.mark.parametrize("interim", ["pending", "unknown"])
@pytest.mark.parametrize("then", ["succeeded", "failed"])
def test_pending_for_a_while_then_definite(peer: UpstreamPeer, client: httpx.Client, journal: Path,
                                           interim: str, then: str) -> None:
    peer.set_faults(Fault("topups.post", outcome="pending", pending_s=0.2, then=then,
                          then_kind="out_of_service", interim=interim))
    body = topup()
    first = client.post("/v1/topups", json=body).json()
    assert (first["status"], first["failure_kind"]) == (("pending", None) if interim == "pending"
                                                        else ("failed", "unknown"))
    final = _poll(client, body["key"])
    assert (final["status"], final["failure_kind"]) == ((then, None) if then == "succeeded"
                                                        else ("failed", "out_of_service"))
    assert (body["key"] in performed_topups(journal)) is (then == "succeeded")


@pytest.mark.parametrize("kind", ["customer_fixable", "transient", "out_of_service"])
def test_definite_failure_kinds(peer: UpstreamPeer, client: httpx.Client, journal: Path, kind: str) -> None:
    peer.set_faults(Fault("topups.post", outcome="fail", kind=kind, message="wrong number"))
    reply = client.post("/v1/topups", json=topup())
    assert reply.status_code == 201
    assert reply.json()["status"] == "failed" and reply.json()["failure_kind"] == kind
    assert reply.json()["message"] == "wrong number"
    assert performed_topups(journal) == {}


def test_unknown_failure_waits_for_resolve(peer: UpstreamPeer, client: httpx.Client, journal: Path) -> None:
    peer.set_faults(Fault("topups.post", outcome="fail", kind="unknown"))
    body = topup()
    reply = client.post("/v1/topups", json=body)
    assert reply.status_code == 202 and reply.json()["failure_kind"] == "unknown"
    assert money_violations(journal, [(body["key"], 5000, "USD")], allow_pending=True) == []
    assert money_violations(journal, [(body["key"], 5000, "USD")])  # undecided is not consistent yet
    peer.resolve(body["key"], "succeeded")
    assert client.get(f"/v1/topups/{body['key']}").json()["status"] == "succeeded"
    assert_money_consistent(journal, [Charge(body["key"], 5000, "USD")])
    with pytest.raises(PeerConfigError):
        peer.resolve(body["key"], "failed")


def test_concurrent_duplicate_posts_perform_once(peer: UpstreamPeer, journal: Path) -> None:
    peer.carrier_delay_s = 0.2
    body = topup()
    codes: list[int] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        with httpx.Client(base_url=peer.url, timeout=5.0) as own:
            barrier.wait()
            codes.append(own.post("/v1/topups", json=body).status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 200, 200, 201]
    assert list(performed_topups(journal)) == [body["key"]]


def test_duplicate_delivery_fault(peer: UpstreamPeer, client: httpx.Client, journal: Path) -> None:
    peer.set_faults(Fault("topups.post", reply="duplicate"))
    body = topup()
    reply = client.post("/v1/topups", json=body)
    assert reply.status_code == 200 and reply.json()["key"] == body["key"]  # the duplicate's answer
    assert len(performed_topups(journal)) == 1
    assert sum(1 for e in read_journal(journal) if e["event"] == "received") == 1


# --------------------------------------------------------------------------- transport faults


@pytest.mark.parametrize(("stage", "performed"), [("before", False), ("after", True)])
@pytest.mark.parametrize("mode", ["fin", "rst"])
def test_drop(peer: UpstreamPeer, client: httpx.Client, journal: Path, stage: str, performed: bool,
              mode: str) -> None:
    peer.set_faults(Fault("topups.post", reply="drop", stage=stage, drop_mode=mode))
    body = topup()
    with pytest.raises(httpx.TransportError):
        client.post("/v1/topups", json=body)
    status = client.get(f"/v1/topups/{body['key']}").json()["status"]
    assert status == ("succeeded" if performed else "not_found")
    assert (body["key"] in performed_topups(journal)) is performed
    assert peer.calls_to("topups.post")[0].status is None


@pytest.mark.parametrize("code", [500, 502, 503])
@pytest.mark.parametrize(("stage", "performed"), [("before", False), ("after", True)])
def test_server_errors(peer: UpstreamPeer, client: httpx.Client, journal: Path, code: int, stage: str,
                       performed: bool) -> None:
    peer.set_faults(Fault("topups.post", reply="status", status=code, stage=stage))
    body = topup()
    reply = client.post("/v1/topups", json=body)
    assert reply.status_code == code and set(reply.json()) == {"error", "message"}
    assert (body["key"] in performed_topups(journal)) is performed
    assert client.post("/v1/topups", json=body).status_code == (200 if performed else 201)  # fault used up


def test_late_reply_before_processing_meets_the_fence(peer: UpstreamPeer, client: httpx.Client,
                                                      journal: Path) -> None:
    """A submit delayed in the network arrives after the kiosk's GET: voided, never performed."""
    peer.set_faults(Fault("topups.post", delay_s=1.2, stage="before"))
    body = topup()
    with pytest.raises(httpx.ReadTimeout):
        client.post("/v1/topups", json=body, timeout=0.2)
    assert client.get(f"/v1/topups/{body['key']}").json()["status"] == "not_found"
    deadline = time.monotonic() + 5
    while not peer.calls_to("topups.post") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert performed_topups(journal) == {}
    assert topup_states(journal)[body["key"]]["status"] == "void"


def test_late_reply_after_performing(peer: UpstreamPeer, client: httpx.Client, journal: Path) -> None:
    peer.set_faults(Fault("topups.post", delay_s=0.5, stage="after"))
    body = topup()
    with pytest.raises(httpx.ReadTimeout):
        client.post("/v1/topups", json=body, timeout=0.2)
    assert client.get(f"/v1/topups/{body['key']}").json()["status"] == "succeeded"
    assert list(performed_topups(journal)) == [body["key"]]
    assert peer.faults_left() == []  # used once


# --------------------------------------------------------------------------- bodies


def test_reply_for_another_key(peer: UpstreamPeer, client: httpx.Client, journal: Path) -> None:
    mine, theirs = topup(), topup(msisdn="12025550155")
    assert client.post("/v1/topups", json=theirs).status_code == 201
    peer.set_faults(Fault("topups", reply="other_key", stage="before", times=2))
    answer = client.post("/v1/topups", json=mine).json()
    assert answer["key"] == theirs["key"] and answer["status"] == "succeeded"
    assert client.get(f"/v1/topups/{mine['key']}").json()["key"] == theirs["key"]
    assert mine["key"] not in performed_topups(journal)
    assert client.get(f"/v1/topups/{mine['key']}").json()["status"] == "not_found"


def test_reply_for_an_invented_key_when_alone(peer: UpstreamPeer, client: httpx.Client) -> None:
    peer.set_faults(Fault("topups.post", reply="other_key"))
    body = topup()
    answer = client.post("/v1/topups", json=body).json()
    assert answer["key"] != body["key"] and uuid.UUID(answer["key"])


@pytest.mark.parametrize(("garbage", "check"), [
    ("not_json", lambda r: _not_json(r)),
    ("html", lambda r: r.headers["content-type"].startswith("text/html")),
    ("empty", lambda r: r.content == b""),
    ("truncated", lambda r: _not_json(r) and r.content.startswith(b'{"key"')),
    ("list", lambda r: isinstance(r.json(), list) and r.json()[0]["status"] == "succeeded"),
    ("wrong_shape", lambda r: set(r.json()) == {"record"}),
    ("wrong_types", lambda r: r.json()["status"] == 12345 and r.json()["failure_kind"] == 0),
    ("bad_values", lambda r: r.json()["status"] == "done"),
    ("extra_fields", lambda r: r.json()["status"] == "succeeded" and "x_unexpected" in r.json()),
    ("missing_fields", lambda r: "status" not in r.json() and "key" in r.json()),
    ("mismatch", lambda r: (r.json()["amount_cents"], r.json()["currency"], r.json()["msisdn"])
     == (5100, "EUR", "12025550124") and r.json()["plan_id"] != "tmo-unl-50"),
])
def test_garbage_topup_replies(peer: UpstreamPeer, client: httpx.Client, journal: Path, garbage: str,
                               check: Any) -> None:
    peer.set_faults(Fault("topups.post", reply="garbage", garbage=garbage))
    body = topup()
    reply = client.post("/v1/topups", json=body)
    assert reply.status_code == 201
    assert check(reply), reply.content
    assert list(performed_topups(journal)) == [body["key"]]


def test_garbage_before_processing_never_claims_success(peer: UpstreamPeer, client: httpx.Client,
                                                        journal: Path) -> None:
    peer.set_faults(Fault("topups.post", reply="garbage", garbage="extra_fields", stage="before"))
    reply = client.post("/v1/topups", json=topup())
    assert reply.json()["status"] == "pending"
    assert read_journal(journal) == []


def test_short_read(peer: UpstreamPeer, client: httpx.Client) -> None:
    peer.set_faults(Fault("catalog", reply="garbage", garbage="short_read"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/v1/catalog")


def test_lookup_and_catalog_shapes(peer: UpstreamPeer, client: httpx.Client) -> None:
    peer.set_faults(
        Fault("lookup", reply="garbage", garbage="wrong_shape"),
        Fault("catalog", reply="garbage", garbage="wrong_shape"),
        Fault("catalog", reply="garbage", garbage="list"),
        Fault("catalog", reply="garbage", garbage="string_numbers"),
        Fault("lookup", reply="garbage", garbage="mismatch"),
        Fault("lookup", reply="body", body=[]),
    )
    assert client.post("/v1/lookup", json={"msisdn": "12025550123"}).json() == {"found": True, "account": "x"}
    assert client.get("/v1/catalog").json() == {"plans": "x"}
    assert isinstance(client.get("/v1/catalog").json(), list)
    assert client.get("/v1/catalog").json()["plans"][0]["price_cents"] == "5000"
    other = client.post("/v1/lookup", json={"msisdn": "12025550123"}).json()["account"]
    assert other["msisdn"] != "12025550123" and other["iccid"] != "8901260123456789012"
    assert client.post("/v1/lookup", json={"msisdn": "12025550123"}).json() == []
    assert client.get("/v1/catalog").json()["plans"][0]["price_cents"] == 5000  # all used up


# --------------------------------------------------------------------------- fault control


def test_times_key_and_route(peer: UpstreamPeer, client: httpx.Client) -> None:
    target = topup()
    peer.set_faults(Fault("topups.post", reply="status", status=503, stage="before", times=2, key=target["key"]),
                    Fault("catalog", reply="status", status=500, times=None))
    assert client.post("/v1/topups", json=topup()).status_code == 201  # another key: untouched
    assert [client.post("/v1/topups", json=target).status_code for _ in range(3)] == [503, 503, 201]
    assert [client.get("/v1/catalog").status_code for _ in range(3)] == [500, 500, 500]
    assert client.post("/v1/lookup", json={"msisdn": "12025550123"}).status_code == 200
    assert [f.route for f, left in peer.faults_left()] == ["catalog"]
    peer.clear_faults()
    assert client.get("/v1/catalog").status_code == 200


def test_control_file_changes_faults_at_runtime(tmp_path: Path) -> None:
    control = tmp_path / "control.json"
    with UpstreamPeer(tmp_path / "j.jsonl", control=control) as running, \
            httpx.Client(base_url=running.url, timeout=5.0) as http:
        assert http.get("/v1/catalog").status_code == 200
        write_control(control, [Fault("catalog", reply="status", status=502, times=None)])
        assert http.get("/v1/catalog").status_code == 502
        control.write_text('{"faults": [{"route": "catalog", "reply": "explode"}]}')
        assert http.get("/v1/catalog").status_code == 502  # a bad file changes nothing...
        assert "explode" in running.control_errors[-1]  # ...and says why
        control.unlink()
        assert http.get("/v1/catalog").status_code == 200


def test_fault_validation_names_the_problem() -> None:
    with pytest.raises(PeerConfigError, match="route"):
        Fault("topup", reply="drop")
    with pytest.raises(PeerConfigError, match="garbage"):
        Fault("topups.post", reply="garbage", garbage="nonsense")
    with pytest.raises(PeerConfigError, match="does nothing"):
        Fault("catalog")
    with pytest.raises(PeerConfigError, match="outcome"):
        Fault("catalog", outcome="fail")
    with pytest.raises(PeerConfigError, match="unknown fault field"):
        Fault.from_json({"route": "catalog", "reply": "drop", "stge": "before"})
    assert Fault.from_json(Fault("topups", reply="drop", times=None).to_json()) == Fault("topups", reply="drop",
                                                                                         times=None)
    assert Fault.from_json({"route": "topups", "reply": "drop", "times": "always"}).times is None


def test_stop_cuts_long_delays_short(journal: Path) -> None:
    running = UpstreamPeer(journal).start()
    running.set_faults(Fault("catalog", delay_s=60))
    errors: list[Exception] = []

    def hang() -> None:
        try:
            httpx.get(running.url + "/v1/catalog", timeout=30)
        except httpx.TransportError as exc:
            errors.append(exc)

    waiter = threading.Thread(target=hang)
    waiter.start()
    deadline = time.monotonic() + 5
    while running._server is not None and not running._server._connections and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # inside the delay now
    started = time.monotonic()
    running.stop()
    waiter.join(timeout=10)
    assert time.monotonic() - started < 3 and errors


# --------------------------------------------------------------------------- journal, restart, money


def test_restart_replays_the_journal(journal: Path) -> None:
    done, fenced, pending = topup(), topup(), topup()
    with UpstreamPeer(journal) as first, httpx.Client(base_url=first.url, timeout=5.0) as http:
        http.post("/v1/topups", json=done)
        http.get(f"/v1/topups/{fenced['key']}")
        first.set_faults(Fault("topups.post", outcome="pending", pending_s=1.0))
        http.post("/v1/topups", json=pending)
    restarted = time.time()
    with UpstreamPeer(journal) as second, httpx.Client(base_url=second.url, timeout=5.0) as http:
        assert http.post("/v1/topups", json=done).status_code == 200
        assert http.post("/v1/topups", json=fenced).json()["message"] == "voided"
        assert _poll(http, pending["key"])["status"] == "succeeded"
        assert performed_topups(journal)[pending["key"]]["t"] > restarted  # the schedule survived
        fresh = topup()
        assert http.post("/v1/topups", json=fresh).json()["provider_ref"] == "TMO-88003"
    assert set(performed_topups(journal)) == {done["key"], pending["key"], fresh["key"]}


def test_money_helpers_find_every_violation(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    lines = [
        {"event": "received", "key": "a", "request": {}},
        {"event": "performed", "key": "a", "amount_cents": 5000, "currency": "USD"},
        {"event": "received", "key": "b", "request": {}},
        {"event": "performed", "key": "b", "amount_cents": 2500, "currency": "USD"},
        {"event": "received", "key": "c", "request": {}},
        {"event": "status", "key": "c", "status": "failed", "failure_kind": "transient", "message": "",
         "provider_ref": None},
    ]
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"event": "perf')  # torn tail
    problems = money_violations(journal, [("a", 5000, "USD"), ("a", 5000, "USD"), ("b", 2000, "USD"),
                                          ("c", 4000, "USD"), ("d", 100, "USD")])
    assert problems == [
        "top-up a performed once but charged 2 times",
        "top-up b performed for 2500 USD but charged 2000 USD",
        "charge for c (4000 USD) stands but no top-up was performed (peer: failed)",
        "charge for d (100 USD) stands but no top-up was performed (peer: unknown to the peer)",
    ]
    assert money_violations(journal, []) == [
        "top-up a performed (5000 USD) without a standing charge",
        "top-up b performed (2500 USD) without a standing charge",
    ]
    journal.write_text("".join(json.dumps(line) + "\n" for line in [*lines, lines[1]]))
    with pytest.raises(PeerInvariantError, match="performed twice"):
        performed_topups(journal)


def test_events_and_heartbeat_ack(client: httpx.Client, peer: UpstreamPeer) -> None:
    path = f"/v1/kiosks/{KIOSK}/events"
    assert client.post(path, json={"events": []}).json() == {"acked_through": None, "acked_hash": None}
    batch = [{"seq": 1, "hash": "aa", "type": "created"}, {"seq": 2, "hash": "bb", "type": "charged"}]
    assert client.post(path, json={"events": batch}).json() == {"acked_through": 2, "acked_hash": "bb"}
    assert client.post(path, json=batch[:1]).json() == {"acked_through": 2, "acked_hash": "bb"}
    assert client.post(path, json={"events": [{"seq": 2, "hash": "zz"}]}).status_code == 409
    assert client.post(path, json={"events": [{"seq": "3", "hash": "cc"}]}).status_code == 400
    beat = client.post(f"/v1/kiosks/{KIOSK}/heartbeat", json={"status": "ok"})
    assert beat.status_code == 200 and beat.json()["ok"] is True and beat.json()["server_time"].endswith("Z")
    assert peer.heartbeats == [{"status": "ok"}]


# --------------------------------------------------------------------------- authentication


def _now(offset_s: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _v1_headers(body: bytes, offset_s: float = 0.0, secret: bytes = SECRET, kiosk: str = KIOSK) -> dict[str, str]:
    stamp = _now(offset_s)
    signature = hmac.new(secret, stamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()
    return {"X-Kiosk-Id": kiosk, "X-Timestamp": stamp, "X-Signature": signature,
            "Content-Type": "application/json"}


def _v2_headers(method: str, path: str, query: str, body: bytes, *, nonce: str | None = None,
                offset_s: float = 0.0) -> dict[str, str]:
    """Signature v2 from its specification; ``query`` is the canonical form, written by the test."""
    stamp = _now(offset_s)
    nonce = nonce or os.urandom(16).hex()
    canonical = f"{method}\n{path}\n{query}\n{stamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}"
    signature = hmac.new(SECRET, canonical.encode(), hashlib.sha256).hexdigest()
    return {"X-Kiosk-Id": KIOSK, "X-Timestamp": stamp, "X-Nonce": nonce, "X-Signature": "v2:" + signature,
            "Content-Type": "application/json"}


def test_v1_signature(journal: Path) -> None:
    with UpstreamPeer(journal, verify="v1", secret=SECRET) as running, \
            httpx.Client(base_url=running.url, timeout=5.0) as http:
        body = json.dumps(topup()).encode()
        assert http.post("/v1/topups", content=body, headers=_v1_headers(body)).status_code == 201
        assert http.get("/v1/catalog", headers=_v1_headers(b"")).status_code == 200
        refusals = [
            http.post("/v1/topups", content=body + b" ", headers=_v1_headers(body)),
            http.post("/v1/topups", content=body, headers=_v1_headers(body, secret=b"other")),
            http.post("/v1/topups", content=body, headers=_v1_headers(body, offset_s=-400)),
            http.post("/v1/topups", content=body, headers=_v1_headers(body, kiosk="KIOSK-0002")),
        ]
        assert [(r.status_code, r.json()["error"]) for r in refusals] == [
            (401, "bad_signature"), (401, "bad_signature"), (401, "stale_timestamp"), (401, "unknown_kiosk")]
        other = json.dumps(topup(kiosk_id="KIOSK-0002")).encode()
        assert http.post("/v1/topups", content=other, headers=_v1_headers(other)).status_code == 400
        assert len(performed_topups(journal)) == 1


def test_v2_signature(journal: Path) -> None:
    with UpstreamPeer(journal, verify="v2", secret=SECRET) as running, \
            httpx.Client(base_url=running.url, timeout=5.0) as http:
        body = json.dumps(topup()).encode()
        ok = http.post("/v1/topups", content=body, headers=_v2_headers("POST", "/v1/topups", "", body))
        assert ok.status_code == 201
        url = "/v1/catalog?zeta=1&carrier=T-Mobile&a=x%20y&a=b"
        canonical = "a=b&a=x%20y&carrier=T-Mobile&zeta=1"
        assert http.get(url, headers=_v2_headers("GET", "/v1/catalog", canonical, b"")).status_code == 200
        nonce = os.urandom(16).hex()
        other = json.dumps(topup()).encode()
        first = http.post("/v1/topups", content=other, headers=_v2_headers("POST", "/v1/topups", "", other,
                                                                           nonce=nonce))
        assert first.status_code == 201
        refusals = {
            "method": http.get("/v1/catalog", headers=_v2_headers("POST", "/v1/catalog", "", b"")),
            "path": http.post("/v1/topups", content=body, headers=_v2_headers("POST", "/v1/lookup", "", body)),
            "query": http.get("/v1/catalog?carrier=Verizon",
                              headers=_v2_headers("GET", "/v1/catalog", "carrier=T-Mobile", b"")),
            "unsorted": http.get(url, headers=_v2_headers("GET", "/v1/catalog",
                                                          "zeta=1&carrier=T-Mobile&a=x%20y&a=b", b"")),
            "body": http.post("/v1/topups", content=body, headers=_v2_headers("POST", "/v1/topups", "", other)),
            "v1-style": http.post("/v1/topups", content=body, headers=_v1_headers(body)),
            "short nonce": http.get("/v1/catalog", headers=_v2_headers("GET", "/v1/catalog", "", b"", nonce="ab")),
            "upper nonce": http.get("/v1/catalog", headers=_v2_headers("GET", "/v1/catalog", "", b"",
                                                                       nonce="A" * 32)),
        }
        for what, reply in refusals.items():
            assert (reply.status_code, reply.json()["error"]) == (401, "bad_signature"), what
        replay = http.post("/v1/topups", content=other, headers=_v2_headers("POST", "/v1/topups", "", other,
                                                                            nonce=nonce))
        assert (replay.status_code, replay.json()["error"]) == (401, "replayed")
        stale = http.get("/v1/catalog", headers=_v2_headers("GET", "/v1/catalog", "", b"", offset_s=301))
        assert (stale.status_code, stale.json()["error"]) == (401, "stale_timestamp")
        running.clock_offset_s = 600  # the server's clock runs ahead now
        skewed = http.get("/v1/catalog", headers=_v2_headers("GET", "/v1/catalog", "", b""))
        assert skewed.json()["error"] == "stale_timestamp"
        assert len(performed_topups(journal)) == 2


# --------------------------------------------------------------------------- another process


def test_command_line_peer(tmp_path: Path) -> None:
    control = tmp_path / "control.json"
    with PeerProcess(tmp_path / "j.jsonl", control, secret=SECRET + b"\n", verify="v2") as proc:
        assert proc.url.startswith("http://127.0.0.1:") and proc.pid == proc.proc.pid  # type: ignore[union-attr]
        with httpx.Client(base_url=proc.url, timeout=5.0) as http:
            body = json.dumps(topup()).encode()
            proc.set_faults(Fault("topups.post", reply="status", status=503, stage="after"))
            reply = http.post("/v1/topups", content=body, headers=_v2_headers("POST", "/v1/topups", "", body))
            assert reply.status_code == 503
        assert proc.stop() == 0
    assert len(performed_topups(tmp_path / "j.jsonl")) == 1
    assert "Traceback" not in proc.stderr()


def test_command_line_rejects_bad_config(tmp_path: Path) -> None:
    proc = PeerProcess(tmp_path / "j.jsonl", tmp_path / "c.json", verify="v2")  # v2 without a secret
    with pytest.raises(RuntimeError, match="secret"):
        proc.start()
    assert proc.stop() == 2


# --------------------------------------------------------------------------- helpers


def _not_json(reply: httpx.Response) -> bool:
    try:
        json.loads(reply.content)
    except ValueError:
        return True
    return False


def _poll(http: httpx.Client, key: str, within_s: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while True:
        record: dict[str, Any] = http.get(f"/v1/topups/{key}").json()
        if record["status"] != "pending" and record["failure_kind"] != "unknown":
            return record
        if time.monotonic() > deadline:
            raise AssertionError(f"{key} still {record} after {within_s} s")
        time.sleep(0.05)



def test_v2_matches_the_documented_vector() -> None:
    """docs/upstream-api.md's example: encoded pairs sorted bytewise (%2F before .)."""
    from tests.peers.upstream_peer import canonical_query, v2_message

    query = canonical_query("carrier=Mint+Mobile&b=%C3%A9&a=.&a=%2F")
    assert query == "a=%2F&a=.&b=%C3%A9&carrier=Mint%20Mobile"
    message = v2_message("GET", "/v1/catalog", "carrier=Mint+Mobile&b=%C3%A9&a=.&a=%2F",
                         "2025-07-01T12:34:56Z", "f" * 32, b"")
    assert hmac.new(b"secret", message, hashlib.sha256).hexdigest() == \
        "b074cc0177c7d57481ef67abc5dee125b1ecb08461b81b615ff978d563e14b25"
