"""HTTP client for the backend's kiosk endpoints (ingest, heartbeat, chain), signed v2.

:class:`RequestSigner` is an ``httpx.Auth``: it signs each request (``kiosk.sync.signing``)
as it leaves, with a fresh nonce and timestamp, so a retry is a new signed request. The
top-up client (``kiosk/topup/http.py``) uses it too.

httpx errors are translated here: a transport failure, timeout or 5xx becomes
:class:`kiosk.errors.UpstreamUnavailable`; a 4xx becomes
:class:`kiosk.sync.errors.SyncRejected` (``SequenceGap`` for a 409 ``sequence_gap``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from kiosk.errors import UpstreamUnavailable
from kiosk.ledger.store import LedgerEvent
from kiosk.sync.errors import SequenceGap, SyncRejected
from kiosk.sync.signing import canonical_query, new_nonce, parse_query, signed_headers

CONNECT_TIMEOUT_S = 5.0
_HASH = re.compile(r"[0-9a-f]{64}")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RequestSigner(httpx.Auth):
    """Signs every request with signature v2 just before it is sent.

    The query is rewritten to its canonical form first, so the bytes on the request line
    are exactly the ones signed (a server that reads ``+`` literally still agrees)."""

    requires_request_body = True

    def __init__(self, kiosk_id: str, secret: bytes | Callable[[], bytes], *,
                 clock: Callable[[], dt.datetime] = _utcnow, nonce: Callable[[], str] = new_nonce) -> None:
        self._kiosk_id = kiosk_id
        self._secret = secret
        self._clock = clock
        self._nonce = nonce

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        query = canonical_query(parse_query(request.url.query.decode("ascii")))
        request.url = request.url.copy_with(query=query.encode("ascii") if query else None)
        path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        secret = self._secret() if callable(self._secret) else self._secret
        request.headers.update(signed_headers(self._kiosk_id, secret, request.method, path, query,
                                              request.content, self._clock(), self._nonce()))
        yield request


@dataclass(frozen=True)
class PushResult:
    acked_through: int
    stored: int
    duplicates: int
    acked_hash: str = ""


@dataclass(frozen=True)
class ChainPosition:
    """What the backend holds of this kiosk's chain: seq ``acked_through`` has ``acked_hash``."""

    acked_through: int
    acked_hash: str


def acked_position(data: dict[str, Any]) -> ChainPosition:
    """``acked_through`` and ``acked_hash`` from a backend answer, checked."""
    acked = data.get("acked_through")
    digest = data.get("acked_hash")
    if isinstance(acked, bool) or not isinstance(acked, int) or acked < 0:
        raise UpstreamUnavailable(f"backend answered without a valid acked_through: {data!r}"[:300])
    if not isinstance(digest, str) or not _HASH.fullmatch(digest):
        raise UpstreamUnavailable(f"backend answered without a valid acked_hash: {data!r}"[:300])
    return ChainPosition(acked, digest)


def encode_batch(events: Sequence[LedgerEvent]) -> bytes:
    """``{"events": [...]}`` oldest first, compact UTF-8 JSON."""
    return json.dumps({"events": [e.as_dict() for e in events]},
                      separators=(",", ":"), allow_nan=False).encode("utf-8")


class UpstreamClient:
    """One kiosk's connection to the backend. Thread-confined: use it from one thread."""

    def __init__(
        self,
        base_url: str,
        kiosk_id: str,
        secret: bytes,
        *,
        timeout_s: float = 10.0,
        clock: Callable[[], dt.datetime] = _utcnow,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._kiosk_id = kiosk_id
        self._base = base_url.rstrip("/")
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
            transport=transport, headers={"User-Agent": "simkiosk-sync/2"},
            auth=RequestSigner(kiosk_id, secret, clock=clock))
        self._closed = False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._http.close()

    def __enter__(self) -> UpstreamClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def kiosk_path(self) -> str:
        return f"/v1/kiosks/{quote(self._kiosk_id, safe='')}"

    def post_json(self, path: str, body: bytes) -> dict[str, Any]:
        """Sign and send one POST; the answer's JSON object or a typed error."""
        try:
            response = self._http.post(self._base + path, content=body,
                                       headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"backend unreachable: {exc.__class__.__name__}: {exc}") from exc
        return _answer(response)

    def get_json(self, path: str) -> dict[str, Any]:
        try:
            response = self._http.get(self._base + path)
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"backend unreachable: {exc.__class__.__name__}: {exc}") from exc
        return _answer(response)

    def push(self, events: Sequence[LedgerEvent]) -> PushResult:
        return self.push_encoded(encode_batch(events))

    def push_encoded(self, body: bytes) -> PushResult:
        """Send a batch already encoded with :func:`encode_batch`."""
        data = self.post_json(self.kiosk_path + "/events", body)
        position = acked_position(data)
        stored, duplicates = data.get("stored", 0), data.get("duplicates", 0)
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (stored, duplicates)):
            raise UpstreamUnavailable(f"backend answered odd counts: {data!r}"[:300])
        return PushResult(position.acked_through, stored, duplicates, position.acked_hash)

    def chain(self) -> ChainPosition:
        """How far the backend holds this kiosk's chain (``GET /v1/kiosks/{id}/chain``)."""
        return acked_position(self.get_json(self.kiosk_path + "/chain"))

    def heartbeat(self, status: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(status, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
        return self.post_json(self.kiosk_path + "/heartbeat", body)


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        data = {}
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise UpstreamUnavailable(f"backend answered {response.status_code}: {data.get('message', '')}")
    if response.status_code >= 400:
        error = str(data.get("error", f"http_{response.status_code}"))
        message = f"backend refused ({response.status_code} {error}): {data.get('message', '')}"
        acked = data.get("acked_through")
        if error == "sequence_gap" and isinstance(acked, int) and not isinstance(acked, bool) and acked >= 0:
            digest = data.get("acked_hash")
            raise SequenceGap(message, status=response.status_code, error=error, body=data, acked_through=acked,
                              acked_hash=digest if isinstance(digest, str) and _HASH.fullmatch(digest) else "")
        raise SyncRejected(message, status=response.status_code, error=error, body=data)
    return data
