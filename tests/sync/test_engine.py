"""Syncer, client and service behaviour: fake transports for the edge cases, a real backend
(SQLite, uvicorn in a thread) for the service and the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.errors import UpstreamUnavailable
from kiosk.ledger import Ledger, verify
from kiosk.sync import (
    ACKED_HASH_META,
    ACKED_META,
    ChainMismatch,
    RequestSigner,
    SequenceGap,
    Syncer,
    SyncRejected,
    SyncService,
    UpstreamClient,
)
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import PushResult
from tests.backend.harness import ROOT, ThreadedBackend, bulk_ledger


class FakePusher:
    """Answers like a backend that holds ``have`` events; records what it was sent."""

    def __init__(self, have: int = 0, gap_once: int | None = None, ack_nothing: bool = False,
                 hashes: dict[int, str] | None = None) -> None:
        self.have = have
        self.gap_once = gap_once
        self.ack_nothing = ack_nothing
        self.hashes = hashes or {}  # what the "backend" holds at each seq (acked_hash)
        self.sent: list[tuple[int, int]] = []

    def push_encoded(self, body: bytes) -> PushResult:
        events = json.loads(body)["events"]
        seqs = [e["seq"] for e in events]
        self.sent.append((seqs[0], seqs[-1]))
        if self.gap_once is not None:
            acked, self.gap_once = self.gap_once, None
            raise SequenceGap("gap", status=409, error="sequence_gap", body={}, acked_through=acked,
                              acked_hash=self.hashes.get(acked, ""))
        if seqs[0] > self.have + 1:
            raise SequenceGap("gap", status=409, error="sequence_gap", body={}, acked_through=self.have,
                              acked_hash=self.hashes.get(self.have, ""))
        if self.ack_nothing:
            return PushResult(self.have, 0, 0)
        for e in events:
            self.hashes.setdefault(e["seq"], e["hash"])
        new = max(seqs[-1] - self.have, 0)
        self.have = max(self.have, seqs[-1])
        return PushResult(self.have, new, len(seqs) - new, self.hashes.get(self.have, ""))


def test_batches_go_oldest_first_and_the_ack_is_remembered(data_dir: Path) -> None:
    bulk_ledger(data_dir, 25)
    pusher = FakePusher()
    with Ledger.open("", data_dir) as ledger:
        report = Syncer(ledger, pusher, batch_size=10).sync_once()
        assert ledger.get_meta(ACKED_META) == "25"
        assert Syncer(ledger, pusher, batch_size=10).sync_once().batches == 0  # nothing left
    assert pusher.sent == [(1, 10), (11, 20), (21, 25)]
    assert (report.batches, report.sent, report.acked_through, report.unsynced) == (3, 25, 25, 0)


def test_the_backends_hash_is_checked_and_kept(data_dir: Path) -> None:
    bulk_ledger(data_dir, 25, project=True)
    with Ledger.open("", data_dir) as ledger:
        Syncer(ledger, FakePusher(), batch_size=10).sync_once()
        assert ledger.get_meta(ACKED_HASH_META) == ledger.hash_at(25)
        assert verify(ledger).ok


def test_a_backend_holding_another_chain_stops_sync_without_moving_the_position(data_dir: Path) -> None:
    bulk_ledger(data_dir, 25)
    with Ledger.open("", data_dir) as ledger:
        Syncer(ledger, FakePusher(), batch_size=10).sync_once()
        ledger.set_metas({ACKED_META: "10", ACKED_HASH_META: ledger.hash_at(10) or ""})
        other = FakePusher(have=10, hashes={20: "f" * 64})  # the backend has a different seq 20
        with pytest.raises(ChainMismatch) as info:
            Syncer(ledger, other, batch_size=10).sync_once()
        assert info.value.seq == 20 and info.value.code == "chain_mismatch"
        assert ledger.get_meta(ACKED_META) == "10"  # nothing acknowledged on a foreign hash
        gap = FakePusher(have=5, gap_once=5, hashes={5: "e" * 64})
        with pytest.raises(ChainMismatch):
            Syncer(ledger, gap, batch_size=10).sync_once()
        assert ledger.get_meta(ACKED_META) == "10"


def test_a_gap_rewinds_to_the_backend_position(data_dir: Path) -> None:
    bulk_ledger(data_dir, 30)
    with Ledger.open("", data_dir) as ledger:
        ledger.set_meta(ACKED_META, "20")  # the backend was restored from an older backup
        pusher = FakePusher(have=12)
        report = Syncer(ledger, pusher, batch_size=10).sync_once()
        assert ledger.get_meta(ACKED_META) == "30"
    assert pusher.sent == [(21, 30), (13, 22), (23, 30)]
    assert report.rewound and report.acked_through == 30


def test_a_backend_ahead_of_the_ledger_never_makes_the_kiosk_skip_events(data_dir: Path) -> None:
    bulk_ledger(data_dir, 10)
    with Ledger.open("", data_dir) as ledger:
        pusher = FakePusher(have=50)  # claims more than this kiosk ever wrote
        report = Syncer(ledger, pusher, batch_size=4).sync_once()
        assert report.acked_through == 10
        assert ledger.get_meta(ACKED_META) == "10"


def test_no_progress_is_an_error_not_a_loop(data_dir: Path) -> None:
    bulk_ledger(data_dir, 10)
    with Ledger.open("", data_dir) as ledger, pytest.raises(SyncRejected) as info:
        Syncer(ledger, FakePusher(ack_nothing=True), batch_size=4).sync_once()
    assert info.value.error == "no_progress"


def _client(handler: Any) -> UpstreamClient:
    return UpstreamClient("http://backend.test", "K-1", b"s", transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(("status", "body", "error"), [
    (500, {"error": "x"}, UpstreamUnavailable),
    (503, {}, UpstreamUnavailable),
    (429, {}, UpstreamUnavailable),
    (401, {"error": "bad_signature", "message": "no"}, SyncRejected),
    (422, {"error": "tampered_event", "seq": 4}, SyncRejected),
    (409, {"error": "sequence_gap", "acked_through": 3}, SequenceGap),
    (200, {"nothing": 1}, UpstreamUnavailable),
    (200, {"acked_through": 1, "stored": 1, "duplicates": 0}, UpstreamUnavailable),  # no acked_hash
    (200, {"acked_through": 1, "acked_hash": "A" * 64, "stored": 1, "duplicates": 0}, UpstreamUnavailable),
])
def test_http_answers_become_typed_errors(status: int, body: dict[str, Any], error: type[Exception]) -> None:
    with _client(lambda request: httpx.Response(status, json=body)) as client, pytest.raises(error) as info:
        client.push_encoded(b'{"events":[]}')
    if isinstance(info.value, SyncRejected):
        assert info.value.status == status and info.value.error == body["error"]


def test_network_failures_become_upstream_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with _client(refuse) as client, pytest.raises(UpstreamUnavailable):
        client.push_encoded(b"{}")


def test_requests_are_signed_v2_with_a_new_nonce_each() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"acked_through": 1, "acked_hash": "a" * 64, "stored": 1, "duplicates": 0})

    with _client(record) as client:
        client.push_encoded(b'{"events":[]}')
        client.push_encoded(b'{"events":[]}')
    from kiosk.sync.signing import signature_ok

    for req in seen:
        assert req.url.path == "/v1/kiosks/K-1/events"
        assert req.headers["content-type"] == "application/json"
        assert req.headers["x-signature"].startswith("v2:")
        assert signature_ok(b"s", req.headers["x-signature"], "POST", "/v1/kiosks/K-1/events", "",
                            req.headers["x-timestamp"], req.headers["x-nonce"], req.content)
        assert not signature_ok(b"s", req.headers["x-signature"], "POST", "/v1/kiosks/K-1/heartbeat", "",
                                req.headers["x-timestamp"], req.headers["x-nonce"], req.content)
    assert seen[0].headers["x-nonce"] != seen[1].headers["x-nonce"]


def test_the_query_is_sent_in_its_canonical_form() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    signer = RequestSigner("K-1", b"s", nonce=lambda: "0" * 32)
    with httpx.Client(transport=httpx.MockTransport(record), auth=signer) as http:
        http.get("http://backend.test/pre/v1/catalog", params=[("z", "a b"), ("carrier", "AT&T"), ("a", "é/")])
    req = seen[0]
    assert req.url.raw_path == b"/pre/v1/catalog?a=%C3%A9%2F&carrier=AT%26T&z=a%20b"
    from kiosk.sync.signing import signature_ok

    assert signature_ok(b"s", req.headers["x-signature"], "GET", "/pre/v1/catalog",
                        "a=%C3%A9%2F&carrier=AT%26T&z=a%20b", req.headers["x-timestamp"], "0" * 32, b"")


# --------------------------------------------------------------------------- with a real backend


def test_service_syncs_and_heartbeats_with_device_status(sqlite_backend: ThreadedBackend, data_dir: Path) -> None:
    secret = sqlite_backend.add_kiosk("K-HB", "Station")
    bulk_ledger(data_dir, 40)
    calls: list[int] = []

    def devices() -> dict[str, Any]:
        calls.append(1)
        return {"devices": {"reader": {"ok": True, "detail": "ACR39U"},
                            "printer": {"ok": False, "detail": "out of paper", "advice": "load paper"}},
                "app_version": "test"}

    with Ledger.open("", data_dir) as ledger:
        ledger.append("txn.state", {"state": "needs_attention"}, txn_id="stuck-1")
        client = UpstreamClient(sqlite_backend.base_url, "K-HB", secret)
        service = SyncService(ledger, client, kiosk_id="K-HB", data_dir=data_dir, batch_size=16,
                              sync_interval_s=3600, heartbeat_interval_s=3600, status_provider=devices)
        with service:
            service.start()
            deadline = time.monotonic() + 30
            while ledger.get_meta(ACKED_META) != "41" or service.status()["heartbeat_at"] is None:
                assert time.monotonic() < deadline, service.status()
                time.sleep(0.02)
            started = time.monotonic()
        stop_took = time.monotonic() - started
    assert calls
    kiosk = next(k for k in sqlite_backend.backend.store.kiosks_overview() if k["kiosk_id"] == "K-HB")
    status = kiosk["status"]
    assert status["devices"]["printer"]["ok"] is False and status["devices"]["disk"]["ok"] is True
    assert status["app_version"] == "test"
    assert status["last_seq"] == 41 and status["needs_attention"] == 1
    assert kiosk["needs_attention"] == 1  # from the synced events too
    assert stop_took < 10  # stop() wakes the sleeping thread instead of waiting out the interval


def test_a_failing_status_provider_still_sends_a_heartbeat(sqlite_backend: ThreadedBackend, data_dir: Path) -> None:
    secret = sqlite_backend.add_kiosk("K-ERR")

    def broken() -> dict[str, Any]:
        raise RuntimeError("reader driver crashed")

    with Ledger.open("", data_dir) as ledger, SyncService(
            ledger, UpstreamClient(sqlite_backend.base_url, "K-ERR", secret), kiosk_id="K-ERR",
            data_dir=data_dir, status_provider=broken) as service:
        service.send_heartbeat()
    kiosk = next(k for k in sqlite_backend.backend.store.kiosks_overview() if k["kiosk_id"] == "K-ERR")
    assert "reader driver crashed" in kiosk["status"]["status_error"]


def test_service_backs_off_while_the_backend_is_unreachable(data_dir: Path) -> None:
    bulk_ledger(data_dir, 5)
    with Ledger.open("", data_dir) as ledger:
        client = UpstreamClient("http://127.0.0.1:9", "K-1", b"s", timeout_s=1)
        with SyncService(ledger, client, kiosk_id="K-1", data_dir=data_dir, sync_interval_s=0.01,
                         heartbeat_interval_s=3600, backoff=Backoff(base_s=0.01, cap_s=0.05)) as service:
            service.start()
            deadline = time.monotonic() + 20
            while service.status()["failures"] < 3:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            ledger.append("txn.created", {"state": "created"}, txn_id="sale-during-outage")
        assert service.status()["last_error"]["error"] == "upstream_unavailable"
        assert ledger.get_meta(ACKED_META) is None
        assert ledger.last_seq() == 6


def _kiosk_cli(data_dir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def test_kiosk_sync_once_json(sqlite_backend: ThreadedBackend, data_dir: Path, tmp_path: Path) -> None:
    secret = sqlite_backend.add_kiosk("K-CLI")
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(secret + b"\n")
    secret_file.chmod(0o600)
    bulk_ledger(data_dir, 1200)
    env = {"KIOSK_KIOSK_ID": "K-CLI", "KIOSK_UPSTREAM_URL": sqlite_backend.base_url,
           "KIOSK_UPSTREAM_SECRET_FILE": str(secret_file), "KIOSK_UPSTREAM_BATCH_SIZE": "500"}
    proc = _kiosk_cli(data_dir, env, "sync", "--once", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["sent"], out["acked_through"], out["unsynced"], out["batches"], out["heartbeat"]) == \
        (1200, 1200, 0, 3, True)
    again = json.loads(_kiosk_cli(data_dir, env, "sync", "--once", "--json").stdout)
    assert (again["sent"], again["acked_through"]) == (0, 1200)


def test_kiosk_sync_without_a_url_is_a_config_error(data_dir: Path) -> None:
    proc = _kiosk_cli(data_dir, {"KIOSK_UPSTREAM_URL": ""}, "sync", "--once", "--json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"] == "config_error"


def test_kiosk_sync_reports_an_unreachable_backend(data_dir: Path, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("abc")
    secret_file.chmod(0o600)
    bulk_ledger(data_dir, 3)
    proc = _kiosk_cli(data_dir, {"KIOSK_UPSTREAM_URL": "http://127.0.0.1:9", "KIOSK_UPSTREAM_TIMEOUT_S": "2",
                                 "KIOSK_UPSTREAM_SECRET_FILE": str(secret_file)}, "sync", "--once", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"] == "upstream_unavailable"
