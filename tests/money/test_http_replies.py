"""The HTTP provider client against a real local HTTP server (uvicorn on loopback) that answers
what a test scripts: records for another key or another request, wrong-shape lookups and
catalogs, garbage, 404 for a key. Nothing a server sends is trusted (docs/money.md)."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiosk.config import Settings
from kiosk.errors import UpstreamError
from kiosk.ledger import Ledger
from kiosk.ports import Account, TxnResult
from kiosk.topup import MalformedReply, plans_from_json
from kiosk.topup.http import HttpTopUpProvider
from kiosk.txn import TransactionRunner
from tests.backend.harness import free_port, wait_healthy
from tests.money.conftest import FAST, FakePrinter, FakeTerminal

SECRET = b"test-secret"
ACCOUNT = Account(msisdn="12025550101", carrier="T-Mobile")
CATALOG = {"version": "1", "plans": [
    {"id": "tmo-unl-40", "carrier": "T-Mobile", "name": "Unlimited 30 days", "price_cents": 4000,
     "currency": "USD", "validity_days": 30, "benefits": ["Unlimited data"]},
    {"id": "att-25", "carrier": "AT&T", "name": "AT&T 25", "price_cents": 2500, "currency": "USD",
     "validity_days": 30, "benefits": []}]}
PLAN = plans_from_json(CATALOG)[0]
Handler = Callable[[str, str, Any], tuple[int, Any]]


class ScriptedUpstream:
    """A real HTTP server on loopback; ``handler(method, path, json_body) -> (status, body)``
    (a ``bytes`` body is sent as it is). Every request is recorded in ``seen``."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, Any]] = []
        self.handler: Handler = self.default
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        app = Starlette(routes=[Route("/{path:path}", self._serve, methods=["GET", "POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     access_log=False, lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, name="scripted-upstream", daemon=True)

    @staticmethod
    def default(method: str, path: str, body: Any) -> tuple[int, Any]:
        if path == "/healthz":
            return 200, {}
        if path == "/v1/catalog":
            return 200, CATALOG
        if path == "/v1/lookup":
            return 200, {"found": True, "account": {"msisdn": "12025550101", "carrier": "T-Mobile", "iccid": None,
                                                    "current_plan": None, "expiry": None}}
        return 404, {"error": "not_found", "message": "no route"}

    async def _serve(self, request: Request) -> Response:
        raw = await request.body()
        body = json.loads(raw) if raw else None
        path = request.url.path
        if path != "/healthz":
            self.seen.append((request.method, path, body))
        status, out = self.handler(request.method, path, body)
        content = out if isinstance(out, bytes) else json.dumps(out).encode()
        return Response(content, status_code=status, media_type="application/json")

    def start(self) -> ScriptedUpstream:
        self._thread.start()
        wait_healthy(self.base_url)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(15)


@pytest.fixture(scope="module")
def upstream() -> Iterator[ScriptedUpstream]:
    server = ScriptedUpstream().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(upstream: ScriptedUpstream) -> ScriptedUpstream:
    upstream.seen.clear()
    upstream.handler = upstream.default
    return upstream


def settings_for(server: ScriptedUpstream) -> Settings:
    s = Settings()
    return dataclasses.replace(s, upstream=dataclasses.replace(s.upstream, url=server.base_url, timeout_s=2.0),
                               provider=dataclasses.replace(s.provider, timeout_s=2.0))


@pytest.fixture
def client(server: ScriptedUpstream) -> Iterator[HttpTopUpProvider]:
    c = HttpTopUpProvider(settings_for(server), secret=SECRET)
    try:
        yield c
    finally:
        c.close()


def record(key: str, status: str = "succeeded", **more: Any) -> dict[str, Any]:
    return {"key": key, "status": status, "failure_kind": None, "provider_ref": "REF-1", "message": "", **more}


def sale(server: ScriptedUpstream, fast_dir: Path, topups: Handler) -> tuple[Any, FakeTerminal, Ledger]:
    """One sale through the shell with the HTTP client; ``topups`` answers /v1/topups*."""

    def handler(method: str, path: str, body: Any) -> tuple[int, Any]:
        if path.startswith("/v1/topups"):
            return topups(method, path, body)
        return ScriptedUpstream.default(method, path, body)

    server.handler = handler
    ledger = Ledger.open("", fast_dir)
    terminal = FakeTerminal()
    provider = HttpTopUpProvider(settings_for(server), secret=SECRET)
    runner = TransactionRunner(ledger=ledger, terminal=terminal, provider=provider, printer=FakePrinter(),
                               settings=settings_for(server), deadlines=FAST)
    try:
        return runner.run(ACCOUNT, PLAN, lambda p, t: None), terminal, ledger
    finally:
        provider.close()


def gets_for(server: ScriptedUpstream, key: str) -> int:
    return sum(1 for m, p, _ in server.seen if m == "GET" and p == f"/v1/topups/{key}")


# ----------------------------------------------------------------------------- top-up records


@pytest.mark.parametrize("lie", [{"key": "6f1c0000-0000-4000-8000-00000000beef"}, {"amount_cents": 400},
                                 {"currency": "EUR"}, {"msisdn": "12025559999"}, {"plan_id": "att-25"},
                                 {"status": "not_found"}, {"status": "done"}, {"failure_kind": "maybe"}])
def test_a_submit_reply_that_is_not_our_record_is_unknown_then_asked_by_key(
        server: ScriptedUpstream, fast_dir: Path, lie: dict[str, Any]) -> None:
    """The server claims success with a foreign or mismatching record; in truth it never
    performed our key: the kiosk must ask GET /v1/topups/{key} and give the money back."""
    def topups(method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "POST":
            return 201, {**record(body["key"]), **lie}
        return 200, record(path.rsplit("/", 1)[1], "not_found", provider_ref=None)

    out, terminal, ledger = sale(server, fast_dir, topups)
    with ledger:
        states = [e.payload["state"] for e in ledger.events(txn_id=out.txn_id) if "state" in e.payload]
    assert out.result is TxnResult.TOPUP_FAILED_REVERSED, out
    assert "topup_unknown" in states and "completed" not in states
    assert sum(1 for m, p, _ in server.seen if m == "POST" and p == "/v1/topups") == 1  # never resubmitted
    assert gets_for(server, out.txn_id) >= 1
    assert [r["kind"] for r in terminal.journal] == ["approval", "reversal"]


def test_our_own_record_with_echoed_fields_completes(server: ScriptedUpstream, fast_dir: Path) -> None:
    def topups(method: str, path: str, body: Any) -> tuple[int, Any]:
        return 201, record(body["key"], msisdn=body["msisdn"], plan_id=body["plan_id"],
                           amount_cents=body["amount_cents"], currency=body["currency"])

    out, _terminal, _ = sale(server, fast_dir, topups)
    assert out.result is TxnResult.COMPLETED and gets_for(server, out.txn_id) == 0


@pytest.mark.parametrize("status_reply", [
    (404, {"error": "not_found", "message": "unknown key"}),  # a route error, not the documented fence
    (200, record("6f1c0000-0000-4000-8000-00000000beef", "not_found")),  # someone else's fence
    (200, {"status": "succeeded"}),  # no key at all
    (200, b"<html>gateway</html>"),
])
def test_a_status_reply_that_is_not_our_record_never_settles_the_sale(
        server: ScriptedUpstream, fast_dir: Path, status_reply: tuple[int, Any]) -> None:
    def topups(method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "POST":
            return 503, {"error": "unavailable", "message": "try later"}
        return status_reply

    out, terminal, ledger = sale(server, fast_dir, topups)
    with ledger:
        last = [e.payload for e in ledger.events(txn_id=out.txn_id) if "state" in e.payload][-1]
    assert out.result is TxnResult.NEEDS_ATTENTION, out  # money stays until the provider answers for our key
    assert last["resume"] == "topup_unknown"
    assert [r["kind"] for r in terminal.journal] == ["approval"]  # neither completed nor refunded blindly


def test_http_statuses_outside_the_document_are_not_answers(client: HttpTopUpProvider,
                                                            server: ScriptedUpstream) -> None:
    server.handler = lambda m, p, b: (204, b"")
    with pytest.raises(MalformedReply):
        client.submit("k", ACCOUNT, PLAN)
    server.handler = lambda m, p, b: (302, record("k"))
    with pytest.raises(MalformedReply, match="unexpected HTTP 302"):
        client.submit("k", ACCOUNT, PLAN)
    server.handler = lambda m, p, b: (202, record("k", "pending"))
    assert client.submit("k", ACCOUNT, PLAN).status.value == "pending"


# ----------------------------------------------------------------------------- lookup and catalog shapes

PYTHON_WORDS = ("indices", "NoneType", "KeyError", "TypeError", "object has no attribute", "not subscriptable",
                "Traceback")


def assert_one_clear_line(exc: BaseException) -> None:
    text = str(exc)
    assert "\n" not in text and not any(word in text for word in PYTHON_WORDS), text
    assert isinstance(exc, UpstreamError) and exc.code == "upstream_malformed"


@pytest.mark.parametrize("reply", [
    {"account": {"msisdn": "12025550101", "carrier": "T-Mobile"}},  # no "found": not a "not found"
    {"found": "yes", "account": {}},
    {"found": True},
    {"found": True, "account": "12025550101"},
    {"found": True, "account": {"msisdn": 12025550101, "carrier": "T-Mobile"}},
    {"found": True, "account": {"msisdn": "2025550101", "carrier": "T-Mobile"}},
    {"found": True, "account": {"msisdn": "12025550101", "carrier": ""}},
    {"found": True, "account": {"msisdn": "12025550101", "carrier": "T-Mobile", "expiry": "soon"}},
    {"found": True, "account": {"msisdn": "12025559999", "carrier": "T-Mobile"}},  # another number
    [], "found", b"not json", b"[" * 100_000,
])
def test_a_wrong_shape_lookup_is_an_upstream_error_never_not_found(client: HttpTopUpProvider,
                                                                   server: ScriptedUpstream, reply: Any) -> None:
    server.handler = lambda m, p, b: (200, reply)
    with pytest.raises(MalformedReply) as info:
        client.lookup(msisdn="12025550101")
    assert_one_clear_line(info.value)


def test_a_well_formed_lookup_and_not_found(client: HttpTopUpProvider, server: ScriptedUpstream) -> None:
    acc = client.lookup(msisdn="12025550101")
    assert acc is not None and acc.carrier == "T-Mobile"
    server.handler = lambda m, p, b: (200, {"found": False})
    assert client.lookup(msisdn="12025550101") is None
    server.handler = lambda m, p, b: (200, {"found": True, "account": {
        "msisdn": "12025550101", "carrier": "T-Mobile", "iccid": "8901260123456789012"}})
    assert client.lookup(iccid="89012601234567890126") is not None  # with and without the check digit


@pytest.mark.parametrize("reply", [
    {"plans": "tmo"},  # once "string indices must be integers"
    {"plans": [{"id": 1}]},
    {"plans": [{"id": "p", "carrier": "T-Mobile", "name": "P", "price_cents": "40"}]},
    {"plans": [{"id": "p", "carrier": "T-Mobile", "name": "P", "price_cents": 0}]},
    {"plans": [{"id": "p", "carrier": "T-Mobile", "name": "P", "price_cents": 1.5}]},
    {"plans": [{"id": "p", "carrier": "T-Mobile", "name": "P", "price_cents": 100, "benefits": "all"}]},
    {"plans": [{"id": "p", "carrier": "T-Mobile", "name": "P", "price_cents": 100, "i18n": ["es"]}]},
    {"plans": [CATALOG["plans"][0], CATALOG["plans"][0]]},  # one id twice
    {"version": "1"}, [], b"\xff\xfe", 42,
])
def test_a_wrong_shape_catalog_is_one_clear_upstream_error(client: HttpTopUpProvider, server: ScriptedUpstream,
                                                           reply: Any) -> None:
    server.handler = lambda m, p, b: (200, reply)
    with pytest.raises(MalformedReply) as info:
        client.catalog()
    assert_one_clear_line(info.value)


def test_a_carrier_filter_the_server_ignores_is_applied_here(client: HttpTopUpProvider) -> None:
    assert [p.id for p in client.catalog("t-mobile")] == ["tmo-unl-40"]


# ----------------------------------------------------------------------------- through the command line


@pytest.fixture
def cli_env(server: ScriptedUpstream, fast_dir: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Any:
    import kiosk.app
    from kiosk.cli import main

    secret = fast_dir / "secret"
    secret.write_bytes(SECRET)
    secret.chmod(0o600)
    terminal = FakeTerminal()
    monkeypatch.setattr(kiosk.app, "make_terminal", lambda settings, data_dir=None: terminal)
    for key, value in {"KIOSK_DATA_DIR": str(fast_dir), "KIOSK_PROVIDER_BACKEND": "upstream",
                       "KIOSK_UPSTREAM_URL": server.base_url, "KIOSK_UPSTREAM_SECRET_FILE": str(secret),
                       "KIOSK_UPSTREAM_TIMEOUT_S": "2", "KIOSK_READER_BACKEND": "simulated",
                       "KIOSK_PRINTER_BACKEND": "none"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)

    def run(*argv: str) -> tuple[int, list[Any], str]:
        capsys.readouterr()
        rc = main([*argv, "--json"])
        cap = capsys.readouterr()
        return rc, [json.loads(line) for line in cap.out.splitlines()], cap.err

    return run


def test_kiosk_plans_reports_a_malformed_catalog_and_falls_back_to_the_cache_when_down(
        cli_env: Any, server: ScriptedUpstream) -> None:
    rc, out, _ = cli_env("plans")
    assert rc == 0 and [p["id"] for p in out[0]["plans"]] == ["tmo-unl-40", "att-25"] and "cached_at" not in out[0]
    server.handler = lambda m, p, b: (200, {"plans": "tmo"})
    rc, out, err = cli_env("plans")
    assert rc == 1 and out[-1]["error"] == "upstream_malformed"
    assert len(err.strip().splitlines()) == 1 and "catalog reply is malformed" in err
    server.handler = lambda m, p, b: (503, {"error": "down"})
    rc, out, err = cli_env("plans", "--carrier", "AT&T")  # upstream down: the last good catalog
    assert rc == 0 and [p["id"] for p in out[0]["plans"]] == ["att-25"] and out[0]["cached_at"]
    assert "upstream unreachable" in err


def test_kiosk_txn_run_refuses_before_charging_when_lookup_is_malformed_or_provider_down(
        cli_env: Any, server: ScriptedUpstream, fast_dir: Path) -> None:
    server.handler = lambda m, p, b: (200, CATALOG) if p == "/v1/catalog" else (200, {"account": {}})
    rc, out, err = cli_env("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "2025550101")
    assert rc == 1 and out[-1]["error"] == "upstream_malformed" and len(err.strip().splitlines()) == 1
    server.handler = lambda m, p, b: (503, {"error": "down"})
    rc, out, err = cli_env("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "2025550101")
    assert rc == 1 and out[-1]["error"] == "upstream_unavailable"
    with Ledger.open("", fast_dir) as ledger:
        assert ledger.last_seq() == 0  # nothing journaled, nothing charged


def test_kiosk_txn_run_completes_through_the_http_client(cli_env: Any, server: ScriptedUpstream) -> None:
    def handler(method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "POST" and path == "/v1/topups":
            return 201, record(body["key"])
        return ScriptedUpstream.default(method, path, body)

    server.handler = handler
    rc, out, _ = cli_env("txn", "run", "--plan", "tmo-unl-40", "--msisdn", "(202) 555-0101")
    assert rc == 0 and out[-1]["result"] == "completed" and out[-1]["provider_ref"] == "REF-1"
    posted = [b for m, p, b in server.seen if m == "POST" and p == "/v1/topups"]
    assert posted[0]["msisdn"] == "12025550101" and posted[0]["key"] == out[-1]["txn_id"]
