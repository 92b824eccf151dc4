"""``bench/fleet.py`` cannot rot: a quick run through the real stack, and its signer checked against
an independent implementation of signature v2 (the upstream test peer's)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.peers.upstream_peer import UpstreamPeer, v2_message

ROOT = Path(__file__).resolve().parents[2]
FLEET = ROOT / "bench" / "fleet.py"


def _fleet() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_fleet", FLEET)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_v2_signature_matches_an_independent_verifier() -> None:
    fleet = _fleet()
    secret = b"ab" * 32
    body = b'{"events":[]}'
    query = [("carrier", "AT&T"), ("b", "2"), ("b", "1 x"), ("a", "~é")]
    headers = fleet.sign_v2(secret, "POST", "/v1/kiosks/K-1/events", query, "2025-07-01T12:34:56Z", body)
    nonce = headers["X-Nonce"]
    assert len(nonce) == 32 and int(nonce, 16) >= 0 and nonce == nonce.lower()
    raw_query = "carrier=AT%26T&b=2&b=1%20x&a=~%C3%A9"
    expected = hmac.new(secret, v2_message("POST", "/v1/kiosks/K-1/events", raw_query, "2025-07-01T12:34:56Z",
                                           nonce, body), hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == "v2:" + expected
    assert fleet.sign_v2(secret, "POST", "/p", (), "t", body)["X-Nonce"] != nonce  # fresh per request


def test_v2_over_the_wire_against_the_upstream_peer(tmp_path: Path) -> None:
    """The generator's own client, kiosk and sale, through the peer that verifies v2 (nonce, route)."""
    fleet = _fleet()
    kiosk_id, secret = "FLEET-000001", b"a-secret-only-this-test-knows"

    class PeerTarget(fleet.Target):  # type: ignore[name-defined,misc]
        def __init__(self, url: str) -> None:
            self.base_url = url

        def exited(self) -> None:
            return None

    async def sell(url: str) -> tuple[object, object]:
        scheme, plans = await fleet.probe(PeerTarget(url), "v2", kiosk_id, secret, deadline_s=10)
        assert scheme == "v2"
        transport = fleet.AiohttpTransport(4, 10.0)
        profile = fleet.LoadProfile(pending_poll_s=0.05, outcome_cycle=("pending", "ok", "failed"))
        load = fleet.Fleet(url, "v2", transport, profile, plans, 1)
        kiosk = fleet.Kiosk(kiosk_id, secret)
        load.kiosks.append(kiosk)
        loop = asyncio.get_running_loop()
        try:
            await load.heartbeat(kiosk, loop.time())
            for _ in range(3):
                kiosk.selling = True
                await load.sale(kiosk, loop.time())
            await load.heartbeat(kiosk, loop.time())
        finally:
            await transport.close()
        return load, kiosk

    with UpstreamPeer(tmp_path / "peer.jsonl", verify="v2", secret=secret, kiosk_id=kiosk_id) as peer:
        load, kiosk = asyncio.run(sell(peer.url))
        calls = [(c.route, c.status) for c in peer.calls]
    assert load.errors_total == {}, load.errors_total  # type: ignore[attr-defined]
    assert all(status is not None and status < 300 for _, status in calls), calls
    assert {route for route, _ in calls} >= {"catalog", "heartbeat", "topups.post", "events"}
    assert kiosk.acked == kiosk.seq >= 12  # type: ignore[attr-defined]
    stored = {seq: event["hash"] for seq, event in peer.kiosk_events[kiosk_id].items()}
    assert stored == {i + 1: h for i, h in enumerate(kiosk.hashes)}  # type: ignore[attr-defined]


def test_chain_hash_matches_the_ledger_rule() -> None:
    from kiosk.ledger.chain import GENESIS, canonical_json, event_hash

    fleet = _fleet()
    payload = {"state": "created", "amount_cents": 5000, "name": "Ilimitado 30 días"}
    at = "2026-01-31T12:00:00.000000Z"
    assert fleet.chain_hash(GENESIS, 1, "t-1", at, "txn.created", payload) == event_hash(
        GENESIS, 1, "t-1", at, "txn.created", canonical_json(payload))


@pytest.mark.postgres
def test_quick_run_against_the_real_backend(tmp_path: Path) -> None:
    out = tmp_path / "fleet.json"
    proc = subprocess.run([sys.executable, str(FLEET), "--quick", "--signature", "auto", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["problems"] == []
    (step,) = result["steps"]
    assert step["errors"] == {} and result["errors"] == {}
    assert {"heartbeat", "topup", "events"} <= set(step["per_endpoint"]), step["per_endpoint"]
    assert all(result["requests"].get(e, 0) > 0 for e in ("heartbeat", "topup", "topup_get", "events")), result
    assert step["achieved_rps"] > 0 and step["sales"] > 0
    assert result["events_acked"] > 0
    assert step["cpu"]["backend"] > 0 and step["cpu"]["postgres"] > 0
    assert "verification (read-only SQL)" in proc.stdout and "knee:" in proc.stdout
