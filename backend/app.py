"""The backend's ASGI app (Starlette): kiosk API, provider API, operator API and web page.

Kiosk-facing endpoints are HMAC-signed (``kiosk.sync.signing``); every check runs
before anything is written, and every refusal is a 4xx ``{"error", "message"}``.
Operator endpoints use a session cookie (HttpOnly, SameSite=Strict) plus a CSRF
token that every state-changing request echoes in ``X-CSRF-Token``.

Handlers read the body asynchronously (with a size cap) and run the database work
on Starlette's thread pool.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import logging
import math
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import ApiError, BackendError, StoreError, bad_request
from backend.ingest import check_hashes, parse_batch, parse_json_object
from backend.keys import derive_secret, load_master_key, secret_check
from backend.monitor import ProviderMonitor
from backend.operators import (
    csv_lines,
    fleet_row,
    masked,
    parse_int_param,
    parse_time_param,
    verify_password,
)
from backend.provider import ProviderAdapter, load_provider
from backend.provider_api import provider_routes
from backend.settings import BackendSettings
from backend.store import KioskAuth, Store
from backend.throttle import LoginThrottle
from backend.topups import TopUps, parse_lookup, parse_topup
from kiosk.sync.signing import (
    HEADER_KIOSK,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    parse_timestamp,
    signature_ok,
)

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
SESSION_COOKIE = "kb_session"
CSRF_COOKIE = "kb_csrf"
CSRF_HEADER = "X-CSRF-Token"
AUTH_CACHE_S = 5.0
REPORTED_CODES = frozenset({"tampered_event", "chain_broken", "chain_conflict", "sequence_gap"})
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
]


class SecurityHeaders:
    """Pure ASGI middleware: security headers on every response, no per-request overhead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def read_body(request: Request, cap: int) -> bytes:
    """The raw body, refused with 413 as soon as it passes ``cap`` bytes."""
    length = request.headers.get("content-length")
    if length is not None:
        try:
            declared = int(length)
        except ValueError as exc:
            raise bad_request("Content-Length is not a number") from exc
        if declared > cap:
            raise ApiError(413, "body_too_large", f"body of {declared} bytes; at most {cap}", max_bytes=cap)
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > cap:
            raise ApiError(413, "body_too_large", f"body over {cap} bytes", max_bytes=cap)
    return bytes(buf)


def _require_json(headers: Mapping[str, str]) -> None:
    ctype = headers.get("content-type", "")
    if ctype.split(";", 1)[0].strip().lower() != "application/json":
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")


class Backend:
    """Request handling with its dependencies; one per app."""

    def __init__(self, settings: BackendSettings, store: Store, master_key: bytes,
                 provider: ProviderAdapter) -> None:
        self.settings = settings
        self.store = store
        self.topups = TopUps(store, provider)
        self.provider = provider
        self._master_key = master_key
        self._auth_cache: dict[str, tuple[float, KioskAuth | None]] = {}
        self._auth_lock = threading.Lock()
        self.login_throttle = LoginThrottle()

    # ------------------------------------------------------------------ kiosk authentication

    def _kiosk_auth(self, kiosk_id: str) -> KioskAuth | None:
        now = time.monotonic()
        with self._auth_lock:
            hit = self._auth_cache.get(kiosk_id)
        if hit is not None and now - hit[0] < AUTH_CACHE_S:
            return hit[1]
        auth = self.store.kiosk_auth(kiosk_id)
        with self._auth_lock:
            if len(self._auth_cache) > 10000:
                self._auth_cache.clear()
            self._auth_cache[kiosk_id] = (now, auth)
        return auth

    def authenticate(self, headers: Mapping[str, str], body: bytes) -> str:
        """The signing kiosk's id, or a 401 (``bad_signature``, ``stale_timestamp``, ``unknown_kiosk``)."""
        kiosk_id = headers.get(HEADER_KIOSK.lower(), "")
        stamp = headers.get(HEADER_TIMESTAMP.lower(), "")
        signature = headers.get(HEADER_SIGNATURE.lower(), "")
        if not kiosk_id or not signature:
            raise ApiError(401, "bad_signature", f"{HEADER_KIOSK} and {HEADER_SIGNATURE} are required")
        try:
            at = parse_timestamp(stamp)
        except ValueError as exc:
            raise ApiError(401, "stale_timestamp", f"{HEADER_TIMESTAMP} missing or not an ISO UTC time") from exc
        skew = (at - dt.datetime.now(dt.UTC)).total_seconds()
        if abs(skew) > self.settings.max_skew_s:
            raise ApiError(401, "stale_timestamp",
                           f"{HEADER_TIMESTAMP} is {skew:+.0f} s from the server clock (limit "
                           f"±{self.settings.max_skew_s:.0f} s)")
        auth = self._kiosk_auth(kiosk_id)
        if auth is None or auth.disabled:
            raise ApiError(401, "unknown_kiosk", "unknown or disabled kiosk")
        secret = derive_secret(self._master_key, kiosk_id, auth.generation)
        if not hmac.compare_digest(secret_check(secret), auth.check):
            log.error("master key does not match the secret issued to %s", kiosk_id)
            raise ApiError(500, "server_key_mismatch", "the server's master key is not the one the "
                           "kiosk's secret was issued with")
        if not signature_ok(secret, stamp, body, signature):
            raise ApiError(401, "bad_signature", "signature does not match")
        return kiosk_id

    # ------------------------------------------------------------------ kiosk endpoints

    def ingest(self, url_kiosk: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        kiosk_id = self.authenticate(headers, body)
        if kiosk_id != url_kiosk:
            raise ApiError(403, "kiosk_mismatch", "the URL names another kiosk than the signature")
        _require_json(headers)
        events = parse_batch(body, self.settings.max_batch_events)
        try:
            check_hashes(events)
            result = self.store.ingest(kiosk_id, events)
        except ApiError as exc:
            if exc.code in REPORTED_CODES:
                log.warning("kiosk %s batch refused: %s", kiosk_id, exc.message,
                            extra={"kiosk_id": kiosk_id, "error_code": exc.code})
                self.store.record_incident(kiosk_id, exc.code, exc.extra.get("seq"), exc.message)
            raise
        return {"acked_through": result.acked_through, "stored": result.stored,
                "duplicates": result.duplicates}

    def heartbeat(self, url_kiosk: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        kiosk_id = self.authenticate(headers, body)
        if kiosk_id != url_kiosk:
            raise ApiError(403, "kiosk_mismatch", "the URL names another kiosk than the signature")
        _require_json(headers)
        status = parse_json_object(body)
        devices = status.get("devices", {})
        if not isinstance(devices, dict) or not all(
                isinstance(d, dict) and isinstance(d.get("ok"), bool) for d in devices.values()):
            raise bad_request('devices must map a name to {"ok": true|false, ...}', field="devices")
        for name in ("unsynced_events", "needs_attention", "last_seq", "acked_through"):
            value = status.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise bad_request(f"{name} must be a non-negative integer", field=name)
        at = self.store.heartbeat(kiosk_id, status)
        acked, _head = self.store.kiosk_state(kiosk_id)
        return {"ok": True, "received_at": at, "acked_through": acked}

    def catalog(self, headers: Mapping[str, str], carrier: str | None) -> dict[str, Any]:
        self.authenticate(headers, b"")
        return self.topups.catalog(carrier)

    def lookup(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        self.authenticate(headers, body)
        _require_json(headers)
        iccid, msisdn = parse_lookup(parse_json_object(body))
        return self.topups.lookup(iccid, msisdn)

    def submit_topup(self, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        kiosk_id = self.authenticate(headers, body)
        _require_json(headers)
        answer = self.topups.submit(parse_topup(parse_json_object(body), kiosk_id))
        return answer.status_code, answer.body

    def topup_status(self, headers: Mapping[str, str], key: str) -> dict[str, Any]:
        kiosk_id = self.authenticate(headers, b"")
        return self.topups.status(key, kiosk_id).body

    # ------------------------------------------------------------------ operator sessions

    def operator(self, request: Request, *, write: bool) -> str:
        """The logged-in operator; for a write, also checks the CSRF token and Origin."""
        token = request.cookies.get(SESSION_COOKIE)
        found = self.store.session(token) if token else None
        if found is None:
            raise ApiError(401, "not_logged_in", "log in first")
        name, csrf = found
        if write:
            _check_origin(request)
            if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), csrf):
                raise ApiError(403, "csrf_failed", f"missing or wrong {CSRF_HEADER}")
        return name

    def login(self, request: Request, body: bytes) -> tuple[str, str, str]:
        """Check the pre-login CSRF double-submit and the password; returns ``(name, token, csrf)``."""
        _check_origin(request)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), cookie):
            raise ApiError(403, "csrf_failed", f"missing or wrong {CSRF_HEADER}")
        _require_json(request.headers)
        data = parse_json_object(body)
        name, password = data.get("username"), data.get("password")
        if not isinstance(name, str) or not isinstance(password, str) or not name or len(name) > 64 \
                or len(password) > 1024:
            raise bad_request("username and password must be strings")
        client = request.client.host if request.client is not None else "?"
        wait = self.login_throttle.retry_after(name, client)
        if wait > 0:
            log.warning("operator login refused: too many failures", extra={"operator": name, "client": client})
            raise ApiError(429, "too_many_attempts", f"too many wrong passwords: try again in {math.ceil(wait)} s",
                           retry_after_s=math.ceil(wait))
        ok, new_hash = verify_password(self.store.operator_hash(name), password)
        if not ok:
            self.login_throttle.failed(name, client)
            log.warning("failed operator login", extra={"operator": name, "client": client})
            raise ApiError(401, "bad_credentials", "wrong user name or password")
        self.login_throttle.succeeded(name)
        if new_hash:
            self.store.set_operator_hash(name, new_hash)
        token, csrf = self.store.create_session(name, self.settings.session_ttl_s)
        log.info("operator logged in", extra={"operator": name})
        return name, token, csrf


def _check_origin(request: Request) -> None:
    """A browser's cross-site POST carries a foreign Origin: refuse it (defence in depth)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    expected = f"{request.url.scheme}://{request.url.netloc}"
    if origin != expected:
        raise ApiError(403, "bad_origin", "cross-origin request refused")


def _json(body: dict[str, Any] | list[Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"cache-control": "no-store"})


def create_app(settings: BackendSettings, *, store: Store | None = None,
               provider: ProviderAdapter | None = None) -> Starlette:
    """Build the app; opens (and migrates) the database unless a store is given."""
    own_store = store is None
    store = store or Store.open(settings.db_url)
    master_key = load_master_key(settings.master_key_file, create=True)
    backend = Backend(settings, store, master_key,
                      provider or load_provider(settings.provider, settings.provider_config))
    monitor = ProviderMonitor(backend.provider, backend.topups.catalog_service, settings.provider_config)
    cap = settings.max_body_bytes
    small = settings.max_small_body_bytes

    def signed(cap_bytes: int, fn: Callable[[Request, bytes], Any]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body = await read_body(request, cap_bytes)
            result = await run_in_threadpool(fn, request, body)
            if isinstance(result, tuple):
                return _json(result[1], result[0])
            return _json(result)
        return endpoint

    ingest = signed(cap, lambda r, b: backend.ingest(r.path_params["kiosk_id"], r.headers, b))
    heartbeat = signed(small, lambda r, b: backend.heartbeat(r.path_params["kiosk_id"], r.headers, b))
    catalog = signed(small, lambda r, b: backend.catalog(r.headers, r.query_params.get("carrier")))
    lookup = signed(small, lambda r, b: backend.lookup(r.headers, b))
    topup = signed(small, lambda r, b: backend.submit_topup(r.headers, b))
    topup_status = signed(small, lambda r, b: backend.topup_status(r.headers, r.path_params["key"]))

    async def index(request: Request) -> Response:
        response = FileResponse(STATIC / "index.html", headers={"cache-control": "no-store"})
        if not request.cookies.get(CSRF_COOKIE):
            response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), httponly=False, samesite="strict",
                                secure=settings.secure_cookies, path="/")
        return response

    async def healthz(request: Request) -> Response:
        return _json({"ok": True})

    async def login(request: Request) -> Response:
        body = await read_body(request, small)
        name, token, csrf = await run_in_threadpool(backend.login, request, body)
        response = _json({"operator": name, "csrf": csrf})
        response.set_cookie(SESSION_COOKIE, token, max_age=int(settings.session_ttl_s), httponly=True,
                            samesite="strict", secure=settings.secure_cookies, path="/")
        response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="strict",
                            secure=settings.secure_cookies, path="/")
        return response

    def logout(request: Request) -> Response:
        backend.operator(request, write=True)
        backend.store.delete_session(request.cookies.get(SESSION_COOKIE, ""))
        response = _json({"ok": True})
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    def me(request: Request) -> Response:
        name = backend.operator(request, write=False)
        found = backend.store.session(request.cookies.get(SESSION_COOKIE, ""))
        return _json({"operator": name, "csrf": found[1] if found else None})

    def kiosks(request: Request) -> Response:
        backend.operator(request, write=False)
        now = dt.datetime.now(dt.UTC)
        return _json({"kiosks": [fleet_row(k, now, settings.offline_after_s)
                                 for k in backend.store.kiosks_overview()],
                      "provider": monitor.status()})

    def _txn_filters(request: Request) -> dict[str, Any]:
        q = request.query_params
        unknown = set(q) - {"since", "until", "kiosk", "state", "limit", "offset", "unmask"}
        if unknown:
            raise bad_request(f"unknown parameters {sorted(unknown)}")
        return {"since": parse_time_param(q.get("since"), "since"),
                "until": parse_time_param(q.get("until"), "until"),
                "kiosk_id": q.get("kiosk") or None, "state": q.get("state") or None}

    def transactions(request: Request) -> Response:
        backend.operator(request, write=False)
        filters = _txn_filters(request)
        q = request.query_params
        limit = parse_int_param(q.get("limit"), "limit", 500, 1, 5000)
        offset = parse_int_param(q.get("offset"), "offset", 0, 0, 10**9)
        unmask = q.get("unmask") == "1"
        rows = [masked(r, unmask) for r in backend.store.transactions(**filters, limit=limit + 1,
                                                                        offset=offset)]
        return _json({"transactions": rows[:limit], "more": len(rows) > limit, "offset": offset})

    def transactions_csv(request: Request) -> Response:
        backend.operator(request, write=False)
        filters = _txn_filters(request)
        unmask = request.query_params.get("unmask") == "1"
        rows = (masked(r, unmask) for r in backend.store.transactions(**filters))
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        return StreamingResponse(csv_lines(rows), media_type="text/csv; charset=utf-8", headers={
            "content-disposition": f'attachment; filename="transactions-{stamp}.csv"',
            "cache-control": "no-store"})

    def daily_sales(request: Request) -> Response:
        backend.operator(request, write=False)
        q = request.query_params
        return _json({"days": backend.store.daily_sales(
            since=parse_time_param(q.get("since"), "since"), until=parse_time_param(q.get("until"), "until"),
            kiosk_id=q.get("kiosk") or None)})

    def incidents(request: Request) -> Response:
        backend.operator(request, write=False)
        return _json({"incidents": backend.store.incidents()})

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        response = _json(exc.body(), exc.status)
        if "retry_after_s" in exc.extra:
            response.headers["Retry-After"] = str(exc.extra["retry_after_s"])
        return response

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _json({"error": code, "message": str(exc.detail)}, exc.status_code)

    async def backend_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BackendError)
        log.error("request failed: %s", exc, extra={"error_code": exc.code, "path": request.url.path})
        status = 503 if isinstance(exc, StoreError) else 500
        return _json({"error": exc.code, "message": "server trouble; try again later"}, status)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        monitor.start()
        try:
            yield
        finally:
            await run_in_threadpool(monitor.stop)
            if provider is None:
                backend.provider.close()
            if own_store:
                backend.store.close()

    routes = [
        Route("/healthz", healthz),
        Route("/v1/kiosks/{kiosk_id}/events", ingest, methods=["POST"]),
        Route("/v1/kiosks/{kiosk_id}/heartbeat", heartbeat, methods=["POST"]),
        Route("/v1/catalog", catalog, methods=["GET"]),
        Route("/v1/lookup", lookup, methods=["POST"]),
        Route("/v1/topups", topup, methods=["POST"]),
        Route("/v1/topups/{key}", topup_status, methods=["GET"]),
        Route("/", index, methods=["GET"]),
        Route("/api/login", login, methods=["POST"]),
        Route("/api/logout", logout, methods=["POST"]),
        Route("/api/me", me, methods=["GET"]),
        Route("/api/kiosks", kiosks, methods=["GET"]),
        Route("/api/transactions", transactions, methods=["GET"]),
        Route("/api/transactions.csv", transactions_csv, methods=["GET"]),
        Route("/api/sales/daily", daily_sales, methods=["GET"]),
        Route("/api/incidents", incidents, methods=["GET"]),
        *provider_routes(backend, monitor, backend.topups.catalog_service, small),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        ApiError: api_error, HTTPException: http_error, BackendError: backend_error})
    app.add_middleware(SecurityHeaders)
    app.state.backend = backend
    app.state.monitor = monitor
    return app
