"""HTTP client for the backend's kiosk endpoints (ingest and heartbeat), HMAC-signed.

httpx errors are translated here: a transport failure, timeout or 5xx becomes
:class:`kiosk.errors.UpstreamUnavailable`; a 4xx becomes
:class:`kiosk.sync.errors.SyncRejected` (``SequenceGap`` for a 409 ``sequence_gap``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from kiosk.errors import UpstreamUnavailable
from kiosk.ledger.store import LedgerEvent
from kiosk.sync.errors import SequenceGap, SyncRejected
from kiosk.sync.signing import signed_headers

CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class PushResult:
    acked_through: int
    stored: int
    duplicates: int


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
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._kiosk_id = kiosk_id
        self._secret = secret
        self._clock = clock
        self._base = base_url.rstrip("/")
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
            transport=transport, headers={"User-Agent": "simkiosk-sync/1"})
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
        headers = signed_headers(self._kiosk_id, self._secret, body, self._clock())
        headers["Content-Type"] = "application/json"
        try:
            response = self._http.post(self._base + path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"backend unreachable: {exc.__class__.__name__}: {exc}") from exc
        return _answer(response)

    def push(self, events: Sequence[LedgerEvent]) -> PushResult:
        return self.push_encoded(encode_batch(events))

    def push_encoded(self, body: bytes) -> PushResult:
        """Send a batch already encoded with :func:`encode_batch`."""
        data = self.post_json(self.kiosk_path + "/events", body)
        acked = data.get("acked_through")
        if isinstance(acked, bool) or not isinstance(acked, int):
            raise UpstreamUnavailable(f"backend answered without acked_through: {data!r}"[:300])
        return PushResult(acked, int(data.get("stored", 0)), int(data.get("duplicates", 0)))

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
        if error == "sequence_gap" and isinstance(acked, int) and not isinstance(acked, bool):
            raise SequenceGap(message, status=response.status_code, error=error, body=data, acked_through=acked)
        raise SyncRejected(message, status=response.status_code, error=error, body=data)
    return data
