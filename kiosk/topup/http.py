"""HTTP client for the upstream top-up API (docs/upstream-api.md), with httpx.

Every request is signed with signature v2 (``X-Kiosk-Id``, ``X-Timestamp``, ``X-Nonce``,
``X-Signature: v2:<hex>`` over method, path, query, timestamp, nonce and the body's
SHA-256: ``kiosk.sync.signing``) and bounded by a timeout.
httpx errors are translated here: no caller above sees an httpx exception.
A ``POST /v1/topups`` whose answer is lost raises ``UpstreamUnavailable``; the
checkout treats that as *outcome unknown* and asks ``status(key)``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import httpx

from kiosk.config import Settings, read_secret
from kiosk.errors import ConfigError, UpstreamError, UpstreamUnavailable
from kiosk.ports import (
    Account,
    DeviceHealth,
    FailureKind,
    Plan,
    TopUpResult,
    TopUpStatus,
)
from kiosk.sync.client import RequestSigner
from kiosk.topup import KeyConflict, plan_from_json

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 5.0


def _result(obj: dict[str, Any], key: str) -> TopUpResult:
    try:
        status = TopUpStatus(obj["status"])
        kind = obj.get("failure_kind")
        return TopUpResult(
            key=str(obj.get("key") or key),
            status=status,
            failure_kind=FailureKind(kind) if kind else None,
            provider_ref=obj.get("provider_ref"),
            message=str(obj.get("message") or ""),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise UpstreamError(f"malformed top-up record from upstream: {exc}") from exc


class HttpTopUpProvider:
    """:class:`kiosk.ports.TopUpProvider` over the backend's ``/v1`` API."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None,
                 secret: bytes | None = None) -> None:
        if not settings.upstream.url:
            raise ConfigError("[upstream] url is empty but [provider] backend is upstream")
        self.kiosk_id = settings.kiosk.id
        self.currency = settings.kiosk.currency
        self._secret_file = settings.upstream.secret_file
        self._secret = secret
        self.timeout = httpx.Timeout(settings.upstream.timeout_s, connect=CONNECT_TIMEOUT_S)
        self.topup_timeout = httpx.Timeout(settings.provider.timeout_s, connect=CONNECT_TIMEOUT_S)
        self._client = httpx.Client(base_url=settings.upstream.url.rstrip("/"), transport=transport,
                                    timeout=self.timeout, auth=RequestSigner(self.kiosk_id, lambda: self.secret))
        self._last_error: str | None = None

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = read_secret(self._secret_file)
        return self._secret

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ transport

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                 params: dict[str, str] | None = None,
                 timeout: httpx.Timeout | None = None) -> tuple[int, dict[str, Any]]:
        raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json"}  # signed by RequestSigner as it is sent
        try:
            resp = self._client.request(method, path, content=raw or None, params=params,
                                        headers=headers, timeout=timeout or self.timeout)
        except httpx.HTTPError as exc:
            self._last_error = f"{exc.__class__.__name__}: {exc}"
            raise UpstreamUnavailable(f"{method} {path}: {self._last_error}") from exc
        if resp.status_code >= 500:
            self._last_error = f"HTTP {resp.status_code}"
            raise UpstreamUnavailable(f"{method} {path}: server error {resp.status_code}")
        try:
            data = resp.json()
        except ValueError as exc:
            raise UpstreamError(f"{method} {path}: reply is not JSON (HTTP {resp.status_code})") from exc
        if not isinstance(data, dict):
            raise UpstreamError(f"{method} {path}: reply is not a JSON object")
        if resp.status_code >= 400:
            code = str(data.get("error") or f"http_{resp.status_code}")
            message = f"{method} {path}: {code}: {data.get('message', '')}"
            if code == "key_conflict":
                raise KeyConflict(message)
            raise UpstreamError(message, code=f"upstream_{code}")
        self._last_error = None
        return resp.status_code, data

    # ------------------------------------------------------------------ TopUpProvider

    def lookup(self, *, iccid: str | None = None, msisdn: str | None = None) -> Account | None:
        _, data = self._request("POST", "/v1/lookup", {"iccid": iccid, "msisdn": msisdn})
        if not data.get("found"):
            return None
        try:
            acc = data["account"]
            expiry = dt.date.fromisoformat(acc["expiry"]) if acc.get("expiry") else None
            return Account(msisdn=str(acc["msisdn"]), carrier=str(acc["carrier"]),
                           iccid=acc.get("iccid"), current_plan=acc.get("current_plan"), expiry=expiry)
        except (KeyError, ValueError, TypeError) as exc:
            raise UpstreamError(f"malformed lookup reply: {exc}") from exc

    def catalog(self, carrier: str | None = None) -> list[Plan]:
        _, data = self._request("GET", "/v1/catalog", params={"carrier": carrier} if carrier else None)
        try:
            return [plan_from_json(p, self.currency) for p in data["plans"]]
        except (KeyError, ValueError, TypeError) as exc:
            raise UpstreamError(f"malformed catalog reply: {exc}") from exc

    def submit(self, key: str, account: Account, plan: Plan) -> TopUpResult:
        body = {
            "key": key, "msisdn": account.msisdn, "carrier": account.carrier, "iccid": account.iccid,
            "plan_id": plan.id, "amount_cents": plan.price_cents, "currency": plan.currency,
            "kiosk_id": self.kiosk_id,
        }
        _, data = self._request("POST", "/v1/topups", body, timeout=self.topup_timeout)
        return _result(data, key)

    def status(self, key: str) -> TopUpResult:
        _, data = self._request("GET", f"/v1/topups/{key}")
        return _result(data, key)

    def health(self) -> DeviceHealth:
        try:
            self._request("GET", "/v1/catalog", params={"carrier": "__health__"})
        except (UpstreamError, ConfigError) as exc:
            return DeviceHealth("upstream", False, str(exc), "check the network and [upstream] url")
        return DeviceHealth("upstream", True, f"top-up API at {self._client.base_url}")
