"""Issue 15 against the real backend: signatures bound to their route, nonces used once across
two worker processes sharing one PostgreSQL and across a restart, atomic login throttling
under 60 concurrent attempts, and no 500 from hostile input on any endpoint."""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import hashlib
import hmac
import itertools
import json
import ssl
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from backend.operators import hash_password
from backend.store import ATTEMPTS
from kiosk.sync.signing import format_timestamp
from tests.backend.conftest import LIMITS_ENV, fresh_pg
from tests.backend.harness import BackendProcess, batch_body, event_rows, sign_for, signed_get, signed_post
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres
HTTP = httpx.Client(timeout=30)  # shared: a new client per request costs ~50 ms
_ids = itertools.count(1)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def workers(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[BackendProcess, BackendProcess]]:
    """Two backend processes (two workers) on one PostgreSQL database, one master key."""
    workdir = tmp_path_factory.mktemp("workers")
    url = fresh_pg(postgres_server, "sec")
    a = BackendProcess(url, workdir, env=LIMITS_ENV)
    b = BackendProcess(url, workdir, env=LIMITS_ENV)
    a.start()
    b.start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def new_kiosk(backend: BackendProcess) -> tuple[str, bytes]:
    kiosk_id = f"SEC-{next(_ids):04d}"
    return kiosk_id, backend.add_kiosk(kiosk_id, "Test mall")


def resend(request: httpx.Request, base_url: str, *, method: str | None = None, path: str | None = None
           ) -> httpx.Response:
    """The captured request's headers and body, sent again (to another route if asked)."""
    target = path if path is not None else request.url.raw_path.decode()
    return HTTP.request(method or request.method, base_url + target, content=request.content,
                        headers={k: v for k, v in request.headers.items() if k.lower() != "host"})


def topup_body(kiosk_id: str, key: str) -> bytes:
    return json.dumps({"key": key, "msisdn": "12025550123", "carrier": "T-Mobile", "iccid": None,
                       "plan_id": "tmo-unl-50", "amount_cents": 5000, "currency": "USD",
                       "kiosk_id": kiosk_id}).encode()


# --------------------------------------------------------------------------- replays


def test_a_signed_catalog_request_cannot_void_a_topup_key(workers: tuple[BackendProcess, BackendProcess]) -> None:
    a, _b = workers
    kiosk_id, secret = new_kiosk(a)
    catalog = signed_get(a.base_url, "/v1/catalog", kiosk_id, secret)
    assert catalog.status_code == 200
    key = "key-" + kiosk_id
    stolen = resend(catalog.request, a.base_url, path=f"/v1/topups/{key}")
    assert (stolen.status_code, stolen.json()["error"]) == (401, "bad_signature")
    # The key was not voided: the kiosk's real top-up goes through.
    r = signed_post(a.base_url, "/v1/topups", kiosk_id, secret, topup_body(kiosk_id, key))
    assert r.status_code == 201 and r.json()["status"] == "succeeded", r.text


def test_a_signed_events_body_cannot_overwrite_the_heartbeat(workers: tuple[BackendProcess, BackendProcess]
                                                              ) -> None:
    a, _b = workers
    kiosk_id, secret = new_kiosk(a)
    beat = {"devices": {"printer": {"ok": True, "detail": "fine"}}}
    assert signed_post(a.base_url, f"/v1/kiosks/{kiosk_id}/heartbeat", kiosk_id, secret,
                       json.dumps(beat).encode()).status_code == 200
    events = signed_post(a.base_url, f"/v1/kiosks/{kiosk_id}/events", kiosk_id, secret,
                         batch_body(list(event_rows(3))))
    assert events.status_code == 200
    stolen = resend(events.request, a.base_url, path=f"/v1/kiosks/{kiosk_id}/heartbeat")
    assert (stolen.status_code, stolen.json()["error"]) == (401, "bad_signature")
    with a.store() as store:
        status = next(k for k in store.kiosks_overview() if k["kiosk_id"] == kiosk_id)["status"]
    assert status == beat


def test_method_and_query_are_bound_too(workers: tuple[BackendProcess, BackendProcess]) -> None:
    a, _b = workers
    kiosk_id, secret = new_kiosk(a)
    tmo = signed_get(a.base_url, "/v1/catalog", kiosk_id, secret, params=[("carrier", "T-Mobile")])
    assert tmo.status_code == 200 and {p["carrier"] for p in tmo.json()["plans"]} == {"T-Mobile"}
    other = resend(tmo.request, a.base_url, path="/v1/catalog?carrier=AT%26T")
    assert (other.status_code, other.json()["error"]) == (401, "bad_signature")
    lookup = signed_post(a.base_url, "/v1/lookup", kiosk_id, secret, b'{"msisdn": "12025550123"}')
    assert lookup.status_code == 200
    as_topup = resend(lookup.request, a.base_url, path="/v1/topups")
    assert (as_topup.status_code, as_topup.json()["error"]) == (401, "bad_signature")
    chain = signed_get(a.base_url, f"/v1/kiosks/{kiosk_id}/chain", kiosk_id, secret)
    assert chain.json() == {"acked_through": 0, "acked_hash": "0" * 64}
    as_post = resend(chain.request, a.base_url, method="POST", path=f"/v1/kiosks/{kiosk_id}/heartbeat")
    assert (as_post.status_code, as_post.json()["error"]) == (401, "bad_signature")


def test_a_nonce_is_accepted_once_by_every_worker_and_after_a_restart(
        workers: tuple[BackendProcess, BackendProcess]) -> None:
    a, b = workers
    kiosk_id, secret = new_kiosk(a)
    first = signed_post(a.base_url, f"/v1/kiosks/{kiosk_id}/heartbeat", kiosk_id, secret, b'{"devices": {}}')
    assert first.status_code == 200
    for target in (a, b, a, b):
        again = resend(first.request, target.base_url)
        assert (again.status_code, again.json()["error"]) == (401, "replayed")
    a.kill()  # no graceful shutdown
    a.start()
    after = resend(first.request, a.base_url)
    assert (after.status_code, after.json()["error"]) == (401, "replayed")
    # The same nonce with another body or route is no way around it either (signed anew here,
    # as only the kiosk could): a nonce belongs to one request.
    same_nonce = signed_post(b.base_url, f"/v1/kiosks/{kiosk_id}/events", kiosk_id, secret,
                             batch_body(list(event_rows(2))), nonce=first.request.headers["x-nonce"])
    assert (same_nonce.status_code, same_nonce.json()["error"]) == (401, "replayed")
    with a.store() as store:
        assert store.event_count(kiosk_id) == 0


def test_concurrent_replays_are_accepted_exactly_once(workers: tuple[BackendProcess, BackendProcess]) -> None:
    a, b = workers
    kiosk_id, secret = new_kiosk(a)
    target, headers = sign_for(kiosk_id, secret, "GET", f"/v1/kiosks/{kiosk_id}/chain")
    start = threading.Barrier(16)

    def send(i: int) -> int:
        start.wait()
        return HTTP.get((a if i % 2 else b).base_url + target, headers=headers, timeout=30).status_code

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(send, range(16)))
    assert sorted(codes) == [200] + [401] * 15


def test_rotation_and_disabling_take_effect_at_once(workers: tuple[BackendProcess, BackendProcess]) -> None:
    a, b = workers
    kiosk_id, old = new_kiosk(a)
    assert signed_get(b.base_url, "/v1/catalog", kiosk_id, old).status_code == 200  # b caches the old secret
    from backend.keys import derive_secret, load_master_key

    master = load_master_key(a.key_file, create=False)
    with a.store() as store:
        new = store.add_kiosk(kiosk_id, "", lambda k, g: derive_secret(master, k, g), rotate=True)
    for worker in (b, a):
        refused = signed_get(worker.base_url, "/v1/catalog", kiosk_id, old)
        assert (refused.status_code, refused.json()["error"]) == (401, "bad_signature")
        assert signed_get(worker.base_url, "/v1/catalog", kiosk_id, new).status_code == 200
    from sqlalchemy import update

    from backend.store import KIOSKS

    with a.store() as store, store._write() as conn:
        conn.execute(update(KIOSKS).where(KIOSKS.c.id == kiosk_id).values(disabled=True))
    for worker in (a, b):
        refused = signed_get(worker.base_url, "/v1/catalog", kiosk_id, new)
        assert (refused.status_code, refused.json()["error"]) == (401, "unknown_kiosk")


def test_v1_signatures_are_refused(workers: tuple[BackendProcess, BackendProcess]) -> None:
    a, _b = workers
    kiosk_id, secret = new_kiosk(a)
    stamp = format_timestamp(dt.datetime.now(dt.UTC))
    v1 = hmac.new(secret, stamp.encode() + b"\n", hashlib.sha256).hexdigest()
    r = HTTP.get(a.base_url + "/v1/catalog", headers={"X-Kiosk-Id": kiosk_id, "X-Timestamp": stamp,
                                                       "X-Signature": v1}, timeout=30)
    assert (r.status_code, r.json()["error"]) == (401, "bad_signature") and "v1" in r.json()["message"]


# --------------------------------------------------------------------------- login throttle


_TLS = ssl.create_default_context()  # built once: every login client needs its own cookies, not its own CAs


def _login_client(base_url: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base_url, timeout=60, verify=_TLS)
    client.get("/")
    return client, client.cookies["kb_csrf"]


def test_sixty_concurrent_logins_check_at_most_five_passwords(
        workers: tuple[BackendProcess, BackendProcess]) -> None:
    a, b = workers
    name = f"op{next(_ids)}"
    with a.store() as store:
        store.add_operator(name, hash_password(PASSWORD))
    clients = [_login_client((a if i % 2 else b).base_url) for i in range(60)]
    start = threading.Barrier(59)

    def attempts_counted() -> int:
        with a.store() as store, store._read() as conn:
            return len(conn.execute(ATTEMPTS.select().where(ATTEMPTS.c.key == "user:" + name)).all())

    def attempt(i: int) -> int:
        client, token = clients[i]
        if i == 59:  # the right password, sent while the wrong ones are still being checked
            deadline = time.monotonic() + 60
            while attempts_counted() < 5:
                assert time.monotonic() < deadline
                time.sleep(0.002)
            password = PASSWORD
        else:
            start.wait()
            password = f"wrong password {i}"
        r = client.post("/api/login", json={"username": name, "password": password},
                        headers={"X-CSRF-Token": token})
        return r.status_code

    try:
        with concurrent.futures.ThreadPoolExecutor(60) as pool:
            codes = list(pool.map(attempt, range(60)))
    finally:
        for client, _ in clients:
            client.close()
    checked = codes.count(401)  # a 401 is a password that was checked and wrong
    assert checked <= 5 and 200 not in codes, codes
    assert codes.count(429) == 60 - checked
    assert codes[59] == 429  # the right password was not even checked: no login
    assert attempts_counted() == checked


# --------------------------------------------------------------------------- hostile input


NASTY_TEXT = ["\ud800", "a\udfffb", "\x00", "1e400", "-1e400", "NaN", "9" * 5000, "0001-01-01T00:00:00+01:00",
              "9999-12-31T23:59:59-23:59", "0001-01-01", "9999-12-31T23:59:59.999999Z", "2025-07-01T12:00:00+25:00",
              "é" * 300, "", " =cmd|' /C calc'!A0"]
NASTY_JSON = [b'{"a": "\\ud800"}', b'{"a": "\\udc00\\ud800"}', b'{"a": 1e400}', b'{"a": -1e400}',
              b'{"a": "\\u0000"}', b'{"\\u0000": 1}', b"[" * 100_000, b'{"a": ' + b"9" * 5000 + b"}",
              b'{"a": NaN}', b"\xff\xfe", b'{"a": "x"}' + b"\x00"]
EDGE_STAMPS = ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z",
               "9999-12-31T23:59:59-00:01", "2025-07-01T12:00:00+23:59", "1e400", "\udc80", "99999-01-01T00:00:00Z"]


def _quoted(text: str) -> str:
    from urllib.parse import quote

    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _assert_json_refusal(r: httpx.Response, where: str) -> None:
    assert r.status_code < 500, f"{where}: {r.status_code} {r.text[:300]}"
    if r.status_code >= 400:
        body = r.json()
        assert isinstance(body.get("error"), str) and isinstance(body.get("message"), str), where


def _assert_page_refusal(r: httpx.Response, where: str) -> None:
    """The public e-receipt pages refuse as a translated HTML page, never a 500."""
    assert r.status_code == 404, f"{where}: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"] == "text/html; charset=utf-8", where
    assert r.headers["content-security-policy"].startswith("default-src 'none'"), where


UNKNOWN_TXN = "0b7e4f0e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"


@pytest.fixture(scope="module")
def hostile(workers: tuple[BackendProcess, BackendProcess]
            ) -> Iterator[tuple[BackendProcess, str, bytes, httpx.Client]]:
    """A kiosk and a logged-in operator session on worker A."""
    a, _b = workers
    kiosk_id, secret = new_kiosk(a)
    name = f"fuzz{next(_ids)}"
    with a.store() as store:
        store.add_operator(name, hash_password(PASSWORD))
    client, token = _login_client(a.base_url)
    with contextlib.closing(client):
        assert client.post("/api/login", json={"username": name, "password": PASSWORD},
                           headers={"X-CSRF-Token": token}).status_code == 200
        yield a, kiosk_id, secret, client


SIGNED_POSTS = ["/v1/kiosks/{k}/events", "/v1/kiosks/{k}/heartbeat", "/v1/lookup", "/v1/topups"]
SIGNED_GETS = ["/v1/catalog", "/v1/topups/{key}", "/v1/kiosks/{k}/chain"]
#: Each operator endpoint with the parameters it reads (and one it does not know).
OPERATOR_PARAMS = [("/api/transactions", ("since", "until", "kiosk", "state", "limit", "offset", "x\x00")),
                   ("/api/transactions.csv", ("since", "kiosk", "unmask")), ("/api/sales/daily", ("until", "kiosk")),
                   ("/api/kiosks", ("since",)), ("/api/incidents", ("limit",)), ("/api/me", ("x",)), ("/", ("x",)),
                   ("/api/provider", ("x",)), ("/api/plans", ("lang", "include_withdrawn", "x"))]
#: The operator's writes besides login/logout, ``{plan}``/``{lang}`` filled in per case.
OPERATOR_POSTS = ["/api/provider/check", "/api/catalog/refresh", "/api/plans/{plan}/i18n/{lang}"]


def test_hostile_bodies_on_every_signed_post(hostile: tuple[BackendProcess, str, bytes, httpx.Client]) -> None:
    backend, kiosk_id, secret, operator = hostile
    for path in SIGNED_POSTS:
        path = path.format(k=kiosk_id)
        bodies = list(NASTY_JSON)
        for text in NASTY_TEXT:
            bodies.append(json.dumps({"key": text, "msisdn": text, "carrier": text, "plan_id": text, "iccid": text,
                                      "amount_cents": 5000, "currency": "USD", "devices": {text: {"ok": True}},
                                      "events": [{"seq": 1, "txn_id": text, "at": text, "kind": text, "payload": {},
                                                  "prev_hash": "0" * 64, "hash": "0" * 64}]},
                                     ensure_ascii=True).encode())
        for body in bodies:
            r = signed_post(backend.base_url, path, kiosk_id, secret, body)
            _assert_json_refusal(r, f"{path} {body[:40]!r}")
            if r.status_code < 300:  # accepted: what was stored must still render for the operator
                view = operator.get("/api/kiosks")
                assert view.status_code == 200, f"{path} {body[:40]!r} broke the fleet view: {view.text[:200]}"
        for body in (b'{"a": 1e400}', b'{"a": [-1e400]}', b'{"a": "\\ud800"}', b'{"\\udfff": 1}'):
            r = signed_post(backend.base_url, path, kiosk_id, secret, body)
            assert (r.status_code, r.json()["error"]) == (400, "malformed_json"), (path, body)


def _chained(specs: list[tuple[str | None, str, dict[str, object]]], kind: str = "k") -> list[dict[str, object]]:
    from kiosk.ledger.chain import GENESIS, canonical_json, event_hash

    prev, events = GENESIS, []
    for seq, (txn, at, payload) in enumerate(specs, start=1):
        digest = event_hash(prev, seq, txn, at, kind, canonical_json(payload))
        events.append({"seq": seq, "txn_id": txn, "at": at, "kind": kind, "payload": payload, "prev_hash": prev,
                       "hash": digest})
        prev = digest
    return events


def test_hostile_events_that_pass_every_check_never_fail_the_store(workers: tuple[BackendProcess, BackendProcess]
                                                                   ) -> None:
    """Hash-correct events whose text would trouble the database: a NUL in a payload (kept in
    the event, replaced in the projection), times at the edges of years 1 and 9999, huge numbers."""
    a, _b = workers
    kiosk_id, secret = new_kiosk(a)
    path = f"/v1/kiosks/{kiosk_id}/events"
    nul_txn = _chained([("t\x00", "2025-07-01T12:00:00.000000Z", {"state": "created"})])
    r = signed_post(a.base_url, path, kiosk_id, secret, json.dumps({"events": nul_txn}).encode())
    assert (r.status_code, r.json()["error"]) == (400, "bad_request")
    events = _chained([("t0", "0001-01-01T00:00:00.000000Z", {"msisdn": "\x00", "state": "created"}),
                       ("t1", "9999-12-31T23:59:59.999999Z", {"carrier": "x\x00y", "amount_cents": 2**70}),
                       ("t2", "2025-07-01T12:00:00.000000Z", {"state": "=cmd", "pan_masked": "\u0000" * 300})])
    r = signed_post(a.base_url, path, kiosk_id, secret, json.dumps({"events": events}).encode())
    assert r.status_code == 200 and r.json()["stored"] == 3, r.text
    with a.store() as store:
        rows = {t["txn_id"]: t for t in store.transactions(kiosk_id=kiosk_id)}
        assert [e["hash"] for e in store.stored_events(kiosk_id)] == [e["hash"] for e in events]
    assert rows["t0"]["msisdn"] == "\ufffd" and rows["t1"]["carrier"] == "x\ufffdy"
    assert rows["t1"]["amount_cents"] is None and rows["t0"]["created_at"].startswith("0001-")


def test_hostile_headers_on_every_signed_route(hostile: tuple[BackendProcess, str, bytes, httpx.Client]) -> None:
    backend, kiosk_id, secret, _ = hostile
    for template in SIGNED_POSTS + SIGNED_GETS:
        path = template.format(k=kiosk_id, key="k1")
        method = "POST" if template in SIGNED_POSTS else "GET"
        body = b"{}" if method == "POST" else b""
        _, good = sign_for(kiosk_id, secret, method, path, body)
        variants: list[dict[str, str | bytes]] = [{"X-Timestamp": s.encode("utf-8", "surrogateescape")}
                                                  for s in EDGE_STAMPS if s != "\udc80"]
        variants += [{"X-Timestamp": b"\xff\xfe"}, {"X-Kiosk-Id": b"\xe9" * 70}, {"X-Kiosk-Id": "x" * 5000},
                     {"X-Nonce": b"\xe9" * 32}, {"X-Nonce": "g" * 32}, {"X-Signature": b"v2:\xe9\xff"},
                     {"X-Signature": "v2:" + "0" * 64}, {"X-Signature": "1e400"}, {"Content-Length": "1e400"},
                     {"Content-Type": "application/json; charset=\xe9".encode("latin-1")}]
        for variant in variants:
            headers: dict[str, str | bytes] = {**good, "Content-Type": "application/json", **variant}
            try:
                r = HTTP.request(method, backend.base_url + path, content=body, headers=headers, timeout=30)
            except httpx.HTTPError:
                continue  # refused by the HTTP layer (httpx or uvicorn) before the app: not a traceback
            _assert_json_refusal(r, f"{method} {path} {list(variant)}")
            if "Content-Type" not in variant:  # an odd charset parameter is still JSON
                assert r.status_code in (400, 401, 403, 413), (path, variant, r.status_code)


def test_hostile_query_parameters_everywhere(hostile: tuple[BackendProcess, str, bytes, httpx.Client]) -> None:
    backend, kiosk_id, secret, operator = hostile
    for text in NASTY_TEXT + EDGE_STAMPS:
        q = _quoted(text)
        for path in ["/v1/catalog", f"/v1/kiosks/{kiosk_id}/chain"]:
            # unsigned, then signed over exactly these bytes (the server must decode them to compare)
            _assert_json_refusal(HTTP.get(f"{backend.base_url}{path}?carrier={q}", timeout=30), path)
            try:
                r = signed_get(backend.base_url, path, kiosk_id, secret, params=[("carrier", text)])
            except ValueError:
                continue  # a lone surrogate cannot even be signed
            _assert_json_refusal(r, f"{path} {text[:20]!r}")
        for path, names in OPERATOR_PARAMS:
            for name in names:
                r = operator.get(f"{path}?{_quoted(name)}={q}")
                _assert_json_refusal(r, f"{path}?{name}={text[:20]!r}")
        for path in [f"/r/{q or 'x'}/{q or 'x'}", f"/r/{kiosk_id}/{q or 'x'}/reminder.ics",
                     f"/r/{kiosk_id}/{UNKNOWN_TXN}?lang={q}", f"/r/{kiosk_id}/{UNKNOWN_TXN}?{q}={q}&lang=es"]:
            _assert_page_refusal(HTTP.get(backend.base_url + path, timeout=30), path)
    for path, _names in OPERATOR_PARAMS:  # every view still renders what was accepted above
        _assert_json_refusal(operator.get(path), path)
        _assert_json_refusal(HTTP.get(f"{backend.base_url}/v1/topups/{q or 'x'}", timeout=30), "topups key")
        _assert_json_refusal(HTTP.get(f"{backend.base_url}/static/{q or 'x'}", timeout=30), "static")
    _assert_json_refusal(HTTP.get(f"{backend.base_url}/static/%00", timeout=30), "static NUL")
    _assert_json_refusal(operator.get("/api/transactions?since=9999-12-31T23:59:59-05:00"), "overflow")
    r = operator.get("/api/transactions?since=9999-12-31T23:59:59-05:00")
    assert (r.status_code, r.json()["error"]) == (400, "bad_request")


def test_hostile_operator_posts(hostile: tuple[BackendProcess, str, bytes, httpx.Client]) -> None:
    backend, _kiosk_id, _secret, _operator = hostile
    for body in NASTY_JSON + [json.dumps({"username": t, "password": t}).encode() for t in NASTY_TEXT]:
        client, token = _login_client(backend.base_url)
        with contextlib.closing(client):
            r = client.post("/api/login", content=body, headers={"X-CSRF-Token": token,
                                                                "Content-Type": "application/json"})
            _assert_json_refusal(r, f"login {body[:40]!r}")
            r = client.post("/api/login", content=body, headers={"X-CSRF-Token": "\xe9".encode("latin-1"),
                                                                "Origin": "http://[", "Host": "["})
            _assert_json_refusal(r, "login with a broken Host/Origin")
            r = client.post("/api/logout", headers={"X-CSRF-Token": b"\xff"})
            _assert_json_refusal(r, "logout")


def test_hostile_provider_and_catalog_posts(hostile: tuple[BackendProcess, str, bytes, httpx.Client]) -> None:
    """The aggregator routes (provider check, catalog refresh, plan translations): hostile
    bodies, path parameters and text fields answer 4xx JSON (or are stored and still render)."""
    _backend, _kiosk_id, _secret, operator = hostile
    csrf = operator.get("/api/me").json()["csrf"]
    plans = operator.get("/api/plans").json()["plans"]
    assert plans, "the simulated aggregator's catalog is empty"
    plan = plans[0]["plan_id"]
    json_headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    for template in OPERATOR_POSTS:
        path = template.format(plan=plan, lang="es")
        for body in NASTY_JSON:
            _assert_json_refusal(operator.post(path, content=body, headers=json_headers), f"{path} {body[:40]!r}")
        _assert_json_refusal(operator.post(path, content=b"{}", headers={"X-CSRF-Token": b"\xff"}), f"{path} csrf")
    translate = OPERATOR_POSTS[2]
    for text in NASTY_TEXT:
        q = _quoted(text) or "x"
        for path in (translate.format(plan=q, lang="es"), translate.format(plan=plan, lang=q)):
            r = operator.post(path, content=b'{"name": "x"}', headers=json_headers)
            _assert_json_refusal(r, f"{path[:60]}")
        for doc in ({"name": text}, {"benefits": [text, text]}, {"name": text, "benefits": [text]}):
            r = operator.post(translate.format(plan=plan, lang="es"), content=json.dumps(doc).encode(),
                              headers=json_headers)
            _assert_json_refusal(r, f"translation {text[:20]!r}")
            _assert_json_refusal(operator.get("/api/plans"), f"plans after {text[:20]!r}")
    r = operator.post(translate.format(plan=plan, lang="es"), json={"name": "", "benefits": []},
                      headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text


def test_hostile_receipts_never_fail_the_page(workers: tuple[BackendProcess, BackendProcess]) -> None:
    """``txn.receipt`` events a kiosk could send (hash-correct, so stored): every e-receipt page
    answers without a 500; what shows is escaped and masked, whatever the kiosk put there."""
    import uuid

    from kiosk.receipt import receipt_to_json
    from tests.money.test_receipt import sample

    a, _b = workers
    kiosk_id, secret = new_kiosk(a)
    good = receipt_to_json(sample()[1])
    receipts: list[object] = [
        {**good, "carrier": "<script>alert(1)</script>", "location": '"><img src=x onerror=alert(1)>',
         "msisdn_masked": "12025550123", "terminal_lines": ["PAN 4761739001010119", "ICCID 8901260123456789012"],
         "support_contact": "</pre><a href=//evil>", "plan_name": "x\x00y"},
        {**good, "at": "9999-12-31T23:59:59-23:59", "timezone": "Pacific/Kiritimati"},
        {**good, "at": "0001-01-01T00:00:00+23:59", "valid_until": "9999-12-31"},
        {**good, "timezone": "../../../etc/passwd", "lang": "\x00", "valid_until": "not a date"},
        {**good, "amount_cents": "lots"}, {**good, "amount_cents": 2**70}, {**good, "at": 5},
        {**good, "terminal_lines": "PAN 4761739001010119"}, {**good, "terminal_lines": {"a": 1}},
        {k: v for k, v in good.items() if k != "carrier"}, "not an object", None, [good], {"x": [[[[]]]]},
        {**good, "carrier": "é" * 20_000},
    ]
    txns = [str(uuid.UUID(int=i + 1, version=4)) for i in range(len(receipts))]
    events = _chained([(t, "2025-07-01T12:00:00.000000Z", {"receipt": rec, "print": True})
                       for t, rec in zip(txns, receipts, strict=True)], kind="txn.receipt")
    r = signed_post(a.base_url, f"/v1/kiosks/{kiosk_id}/events", kiosk_id, secret,
                    json.dumps({"events": events}).encode())
    assert r.status_code == 200 and r.json()["stored"] == len(events), r.text
    shown: set[int] = set()
    for i, (txn, rec) in enumerate(zip(txns, receipts, strict=True)):
        for suffix in ("", "/reminder.ics"):
            for lang in ("en", "es", "zh_CN", "\x00"):
                page = HTTP.get(f"{a.base_url}/r/{kiosk_id}/{txn}{suffix}", params={"lang": lang}, timeout=30)
                assert page.status_code in (200, 404), (rec, suffix, page.status_code, page.text[:300])
                markup = ("<script>", "<img", "<a href=//evil") if suffix == "" else ()  # .ics: plain text
                for needle in (*markup, "12025550123", "4761739001010119", "8901260123456789012"):
                    assert needle not in page.text, (rec, needle)
                if page.status_code == 200 and suffix == "":
                    shown.add(i)
    page = HTTP.get(f"{a.base_url}/r/{kiosk_id}/{txns[0]}", timeout=30)
    assert page.status_code == 200 and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "*******0123" in page.text and "**** 0119" in page.text and "**** 9012" in page.text
    # what can be shown is (a time zone that is no zone: in UTC); the rest, times the kiosk's zone
    # cannot hold included, is "not available", never a 500
    assert shown == {0, 3}
    no_expiry = HTTP.get(f"{a.base_url}/r/{kiosk_id}/{txns[3]}", timeout=30)  # valid_until unreadable
    assert no_expiry.status_code == 200 and 'class="reminder"' not in no_expiry.text
    assert HTTP.get(f"{a.base_url}/r/{kiosk_id}/{txns[3]}/reminder.ics", timeout=30).status_code == 404
