"""An operator settles a pending key the aggregator never saw: only while it is pending, only
after the aggregator, asked again then, still has no transaction for it; recorded with who,
when and why; refused with one line otherwise (a definite answer is recorded instead)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.cli import main as backend_main
from backend.errors import ApiError
from backend.operators import hash_password
from backend.providers import load
from kiosk.config import Settings
from kiosk.ports import FailureKind, TopUpStatus
from kiosk.topup.http import HttpTopUpProvider
from tests.backend.aggregators.conftest import TIMEOUT_S, Desk, reloadly_config
from tests.backend.aggregators.fakes import FakeReloadly
from tests.backend.harness import ThreadedBackend

OK = "12025550123"
PLAN = "rl-11-5000"
PASSWORD = "correct horse battery"


def lost(desk: Desk, fake: FakeReloadly, key: str) -> None:
    """A top-up whose request never reached Reloadly (500 before acting): pending for good."""
    desk.topups.catalog_service.current()
    fake.fault("POST", "/topups", "500")
    assert desk.buy(OK, PLAN, key=key)["status"] == "pending"
    assert desk.settle(key, polls=1)["status"] == "pending"


def refusal(desk: Desk, key: str, reason: str = "Reloadly support confirmed: never received") -> ApiError:
    with pytest.raises(ApiError) as caught:
        desk.topups.settle_unseen(key, "alice", reason)
    return caught.value


def test_a_key_reloadly_never_saw_is_settled_failed_with_an_audit_row(reloadly_desk: Desk,
                                                                       reloadly_fake: FakeReloadly) -> None:
    lost(reloadly_desk, reloadly_fake, "k-lost")
    asked = reloadly_fake.count("GET", "/topups/reports/transactions")
    result = reloadly_desk.topups.settle_unseen("k-lost", "alice", "  Reloadly support: not received  ")
    assert reloadly_fake.count("GET", "/topups/reports/transactions") == asked + 1  # asked again, then
    record = result["record"]
    assert (record["status"], record["failure_kind"]) == ("failed", "transient")
    assert "settled by operator alice" in record["message"]
    audit = result["settlement"]
    assert {k: audit[k] for k in ("key", "kiosk_id", "operator", "reason", "from_status", "to_status",
                                  "failure_kind", "aggregator")} == {
        "key": "k-lost", "kiosk_id": "K1", "operator": "alice", "reason": "Reloadly support: not received",
        "from_status": "pending", "to_status": "failed", "failure_kind": "transient", "aggregator": "reloadly"}
    assert "no transaction" in audit["aggregator_answer"] and audit["at"]
    # the kiosk's next status question gets the failure (so its recovery reverses the charge)
    assert reloadly_desk.status("k-lost")["status"] == "failed"
    assert reloadly_desk.store.pending_topups() == []
    assert reloadly_fake.performed == [] and reloadly_fake.count("POST", "/topups") == 1
    # once settled, it cannot be settled again
    assert refusal(reloadly_desk, "k-lost").code == "not_pending"
    assert len(reloadly_desk.store.topup_settlements("k-lost")) == 1


def test_a_key_the_aggregator_finds_now_takes_the_aggregators_outcome(reloadly_desk: Desk,
                                                                      reloadly_fake: FakeReloadly) -> None:
    lost(reloadly_desk, reloadly_fake, "k-late")
    # the delayed request arrives at Reloadly after all, before the operator settles
    token = next(iter(reloadly_fake.tokens))
    reloadly_fake.route("POST", "/topups", {}, {"Authorization": f"Bearer {token}",
                                                "Accept": "application/com.reloadly.topups-v1+json"},
                        {"operatorId": 11, "amount": 50.0, "customIdentifier": "k-late",
                         "recipientPhone": {"countryCode": "US", "number": "2025550123"}})
    error = refusal(reloadly_desk, "k-late")
    assert (error.status, error.code) == (409, "settled_by_aggregator")
    assert "succeeded" in error.message and "\n" not in error.message
    assert reloadly_desk.store.topup("k-late")["status"] == "succeeded"  # type: ignore[index]
    assert reloadly_desk.store.topup_settlements("k-late") == []


def test_no_settlement_while_the_aggregator_cannot_say(reloadly_desk: Desk, reloadly_fake: FakeReloadly) -> None:
    lost(reloadly_desk, reloadly_fake, "k-quiet")
    reloadly_fake.fault("GET", "/topups/reports/transactions", "500")
    error = refusal(reloadly_desk, "k-quiet")
    assert (error.status, error.code) == (409, "aggregator_pending")
    assert reloadly_desk.store.topup("k-quiet")["status"] == "pending"  # type: ignore[index]
    assert reloadly_desk.store.topup_settlements("k-quiet") == []


def test_other_refusals(reloadly_desk: Desk, reloadly_fake: FakeReloadly) -> None:
    assert reloadly_desk.buy(OK, PLAN, key="k-done")["status"] == "succeeded"
    assert refusal(reloadly_desk, "k-done").code == "not_pending"
    assert refusal(reloadly_desk, "k-nothing").code == "not_found"
    assert reloadly_desk.buy("12025550202", PLAN, key="k-slow")["status"] == "pending"  # PROCESSING, id known
    error = refusal(reloadly_desk, "k-slow")
    assert error.code == "aggregator_has_it" and "30002" in error.message
    lost(reloadly_desk, reloadly_fake, "k-why")
    assert refusal(reloadly_desk, "k-why", reason=" x ").code == "bad_request"
    assert refusal(reloadly_desk, "k-why", reason="line\nbreak").code == "bad_request"
    assert reloadly_desk.store.topup("k-why")["status"] == "pending"  # type: ignore[index]


@pytest.fixture
def served(reloadly_fake: FakeReloadly, tmp_path: Path) -> Iterator[ThreadedBackend]:
    config = reloadly_config(reloadly_fake, tmp_path)
    adapter = load("reloadly", config)
    server = ThreadedBackend(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path, provider=adapter,
                             provider_config=config).start()
    server.backend.store.add_operator("alice", hash_password(PASSWORD))
    try:
        yield server
    finally:
        server.stop()
        adapter.close()


def test_the_operator_page_api_settles_and_the_kiosk_sees_failed(served: ThreadedBackend,
                                                                 reloadly_fake: FakeReloadly) -> None:
    settings = Settings()
    settings = dataclasses.replace(settings, upstream=dataclasses.replace(settings.upstream, url=served.base_url))
    shop = HttpTopUpProvider(settings, secret=served.add_kiosk("KIOSK-0001"))
    client = httpx.Client(base_url=served.base_url)
    try:
        plan = next(p for p in shop.catalog() if p.id == PLAN)
        account = shop.lookup(msisdn=OK)
        assert account is not None
        reloadly_fake.fault("POST", "/topups", "500")
        assert shop.submit("k-page", account, plan).status is TopUpStatus.PENDING
        client.get("/")
        r = client.post("/api/login", json={"username": "alice", "password": PASSWORD},
                        headers={"X-CSRF-Token": client.cookies["kb_csrf"]})
        csrf = r.json()["csrf"]
        pending = client.get("/api/topups/pending").json()["pending"]
        assert [(p["key"], p["msisdn"], p["kiosk_id"]) for p in pending] == [("k-page", "*******0123", "KIOSK-0001")]
        body: dict[str, Any] = {"outcome": "failed", "reason": "Reloadly has no such customIdentifier"}
        assert client.post("/api/topups/k-page/settle", json=body).status_code == 403  # no CSRF token
        assert client.post("/api/topups/k-page/settle", json={**body, "outcome": "succeeded"},
                           headers={"X-CSRF-Token": csrf}).status_code == 400
        r = client.post("/api/topups/k-page/settle", json=body, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        assert r.json()["settlement"]["operator"] == "alice"
        again = client.post("/api/topups/k-page/settle", json=body, headers={"X-CSRF-Token": csrf})
        assert (again.status_code, again.json()["error"]) == (409, "not_pending")
        listed = client.get("/api/topups/pending").json()
        assert listed["pending"] == [] and [s["key"] for s in listed["settlements"]] == ["k-page"]
        result = shop.status("k-page")
        assert (result.status, result.failure_kind) == (TopUpStatus.FAILED, FailureKind.TRANSIENT)
    finally:
        client.close()
        shop.close()
    assert reloadly_fake.performed == []


def test_the_cli_settles_with_the_same_rules(reloadly_desk: Desk, reloadly_fake: FakeReloadly, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    lost(reloadly_desk, reloadly_fake, "k-cli")
    reloadly_desk.store.add_operator("alice", hash_password(PASSWORD))
    config = reloadly_config(reloadly_fake, tmp_path)
    monkeypatch.setenv("SIMKIOSK_BACKEND_PROVIDER_AUTH_URL", str(config.auth_url))
    monkeypatch.setenv("SIMKIOSK_BACKEND_PROVIDER_TIMEOUT_S", str(TIMEOUT_S))
    common = ["--db", f"sqlite:///{tmp_path / 'desk.sqlite3'}", "--master-key-file", str(tmp_path / "master.key")]
    provider = ["--provider", "reloadly", "--provider-credentials", str(config.credentials_file),
                "--provider-url", reloadly_fake.url]

    def run(*args: str) -> tuple[int, str, str]:
        rc = backend_main(list(args))
        out, err = capsys.readouterr()
        return rc, out, err

    rc, out, _ = run("topups", "pending", *common)
    assert rc == 0 and "k-cli" in out and "*******0123" in out and OK not in out
    rc, _, err = run("topups", "settle", "k-cli", "--failed", "--reason", "never received", "--operator", "mallory",
                     *common, *provider)
    assert rc == 1 and "no operator named 'mallory'" in err
    rc, out, _ = run("topups", "settle", "k-cli", "--failed", "--reason", "never received", "--operator", "alice",
                     *common, *provider)
    assert rc == 0 and "settled failed/transient by alice" in out
    rc, _, err = run("topups", "settle", "k-cli", "--failed", "--reason", "never received", "--operator", "alice",
                     *common, *provider)
    assert rc == 1 and "not pending" in err and "Traceback" not in err
    assert [err_line for err_line in err.splitlines() if err_line.startswith("kiosk-backend:")] == [
        "kiosk-backend: top-up k-cli is failed, not pending: nothing to settle"]
    assert reloadly_desk.status("k-cli")["status"] == "failed"
    assert len(reloadly_desk.store.topup_settlements("k-cli")) == 1
