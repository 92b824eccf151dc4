"""HTTP client for the upstream top-up API (docs/upstream-api.md), with httpx.

Every request is signed with signature v2 (``X-Kiosk-Id``, ``X-Timestamp``, ``X-Nonce``,
``X-Signature: v2:<hex>`` over method, path, query, timestamp, nonce and the body's
SHA-256: ``kiosk.sync.signing``) and bounded by a timeout.
httpx errors are translated here: no caller above sees an httpx exception.
A ``POST /v1/topups`` whose answer is lost raises ``UpstreamUnavailable``; the
checkout treats that as *outcome unknown* and asks ``status(key)``.

Nothing a server sends is trusted: each reply is checked against the document
before it is used. A reply of the wrong shape, a top-up record for another key,
or a record whose echoed request fields differ from what was sent is a
:class:`~kiosk.topup.MalformedReply` (an ``UpstreamError``) with one clear line:
for a top-up that means *outcome unknown* (resolved by ``GET /v1/topups/{key}``),
for a lookup or catalog an upstream error, never "not found".
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any
from urllib.parse import quote

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
from kiosk.topup import KeyConflict, MalformedReply, plans_from_json, record_mismatch, valid_msisdn

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 5.0
#: HTTP statuses each endpoint may answer with a body we read (docs/upstream-api.md).
_OK_TOPUP = frozenset({200, 201, 202})
_OK = frozenset({200})
_RECORD_STATUSES = frozenset({"pending", "succeeded", "failed"})


def _opt_str(obj: dict[str, Any], name: str, max_len: int = 500) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise ValueError(f"{name} must be a string or null")
    return value


def parse_record(obj: dict[str, Any], *, allow_not_found: bool) -> TopUpResult:
    """A top-up record (docs/upstream-api.md) → :class:`TopUpResult`; ``ValueError`` names
    the field that is wrong. ``key`` is the record's own key, compared by the caller."""
    key = obj.get("key")
    if not isinstance(key, str) or not key:
        raise ValueError("the record has no key")
    status = obj.get("status")
    allowed = _RECORD_STATUSES | ({"not_found"} if allow_not_found else set())
    if status not in allowed:
        raise ValueError(f"status {status!r} is not one of {', '.join(sorted(allowed))}")
    kind = obj.get("failure_kind")
    if kind is not None and kind not in {k.value for k in FailureKind}:
        raise ValueError(f"failure_kind {kind!r} is not a documented kind")
    amount = obj.get("amount_cents")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise ValueError("amount_cents must be an integer")
    return TopUpResult(
        key=key,
        status=TopUpStatus(status),
        failure_kind=FailureKind(kind) if kind else None,
        provider_ref=_opt_str(obj, "provider_ref", 128),
        message=(_opt_str(obj, "message") or "").replace("\n", " "),
        msisdn=_opt_str(obj, "msisdn", 20),
        plan_id=_opt_str(obj, "plan_id", 64),
        amount_cents=amount,
        currency=_opt_str(obj, "currency", 3),
    )


def _digits_or_none(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.isdigit() or len(value) > 22:
        raise ValueError(f"{name} must be digits or null")
    return value


def _same_sim(a: str, b: str) -> bool:
    """ICCIDs match, allowing one side to carry the Luhn check digit and the other not."""
    return a == b or a[:-1] == b or a == b[:-1]


def parse_lookup(data: dict[str, Any], iccid: str | None, msisdn: str | None) -> Account | None:
    """A lookup reply → the account, ``None`` only for an explicit ``"found": false``."""
    found = data.get("found")
    if found is False:
        return None
    if found is not True:
        raise ValueError("'found' must be true or false")
    acc = data.get("account")
    if not isinstance(acc, dict):
        raise ValueError("'account' must be an object when found is true")
    number = acc.get("msisdn")
    if not isinstance(number, str) or not valid_msisdn(number):
        raise ValueError("account.msisdn must be a US number as 11 E.164 digits, e.g. 12025550123")
    carrier = acc.get("carrier")
    if not isinstance(carrier, str) or not carrier.strip() or len(carrier) > 64:
        raise ValueError("account.carrier must be a carrier name")
    sim = _digits_or_none(acc.get("iccid"), "account.iccid")
    current = _opt_str(acc, "current_plan", 64)
    expiry_text = _opt_str(acc, "expiry", 32)
    try:
        expiry = dt.date.fromisoformat(expiry_text) if expiry_text else None
    except ValueError:
        raise ValueError("account.expiry must be an ISO date (YYYY-MM-DD) or null") from None
    by_number = msisdn is not None and number == msisdn
    by_sim = iccid is not None and sim is not None and _same_sim(sim, iccid)
    if msisdn is not None and iccid is None and not by_number:
        raise ValueError("the account returned is for another phone number")
    if iccid is not None and msisdn is None and sim is not None and not by_sim:
        raise ValueError("the account returned is for another SIM")
    if iccid is not None and msisdn is not None and not (by_number or by_sim or sim is None):
        raise ValueError("the account returned matches neither the SIM nor the number asked for")
    return Account(msisdn=number, carrier=carrier, iccid=sim, current_plan=current, expiry=expiry)


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
                 params: dict[str, str] | None = None, timeout: httpx.Timeout | None = None,
                 ok: frozenset[int] = _OK) -> tuple[int, dict[str, Any]]:
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
            data = json.loads(resp.content)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise MalformedReply(f"{method} {path}: reply is not JSON (HTTP {resp.status_code})") from exc
        if not isinstance(data, dict):
            raise MalformedReply(f"{method} {path}: reply is not a JSON object (HTTP {resp.status_code})")
        if resp.status_code >= 400:
            error, text = data.get("error"), data.get("message")
            code = error if isinstance(error, str) and error else f"http_{resp.status_code}"
            text = text if isinstance(text, str) else ""
            message = f"{method} {path}: {code[:64]}: {text[:300]}".rstrip(": ").replace("\n", " ")
            if code == "key_conflict":
                raise KeyConflict(message)
            raise UpstreamError(message, code=f"upstream_{re.sub(r'[^a-z0-9_]', '_', code.lower())[:48]}")
        if resp.status_code not in ok:
            raise MalformedReply(f"{method} {path}: unexpected HTTP {resp.status_code}")
        self._last_error = None
        return resp.status_code, data

    # ------------------------------------------------------------------ TopUpProvider

    def lookup(self, *, iccid: str | None = None, msisdn: str | None = None) -> Account | None:
        _, data = self._request("POST", "/v1/lookup", {"iccid": iccid, "msisdn": msisdn})
        try:
            return parse_lookup(data, iccid, msisdn)
        except ValueError as exc:
            raise MalformedReply(f"upstream lookup reply is malformed: {exc}") from None

    def catalog(self, carrier: str | None = None) -> list[Plan]:
        _, data = self._request("GET", "/v1/catalog", params={"carrier": carrier} if carrier else None)
        try:
            plans = plans_from_json(data, self.currency)
        except ValueError as exc:
            raise MalformedReply(f"upstream catalog reply is malformed: {exc}") from None
        if carrier:
            wanted = carrier.casefold()
            other = [p.id for p in plans if p.carrier.casefold() != wanted]
            if other:  # the filter is the server's job; a plan it let through is not shown
                log.warning("catalog for %s also listed other carriers' plans (%s); dropped them",
                            carrier, ", ".join(other[:5]))
                plans = [p for p in plans if p.carrier.casefold() == wanted]
        return plans

    def submit(self, key: str, account: Account, plan: Plan) -> TopUpResult:
        body = {
            "key": key, "msisdn": account.msisdn, "carrier": account.carrier, "iccid": account.iccid,
            "plan_id": plan.id, "amount_cents": plan.price_cents, "currency": plan.currency,
            "kiosk_id": self.kiosk_id,
        }
        _, data = self._request("POST", "/v1/topups", body, timeout=self.topup_timeout, ok=_OK_TOPUP)
        try:
            res = parse_record(data, allow_not_found=False)
        except ValueError as exc:
            raise MalformedReply(f"POST /v1/topups: top-up record is malformed: {exc}") from None
        problem = record_mismatch(res, key, account, plan)
        if problem:
            raise MalformedReply(f"POST /v1/topups: {problem}")
        return res

    def status(self, key: str) -> TopUpResult:
        _, data = self._request("GET", f"/v1/topups/{quote(key, safe='')}")
        try:
            res = parse_record(data, allow_not_found=True)
        except ValueError as exc:
            raise MalformedReply(f"GET /v1/topups/{{key}}: top-up record is malformed: {exc}") from None
        problem = record_mismatch(res, key)
        if problem:
            raise MalformedReply(f"GET /v1/topups/{{key}}: {problem}")
        return res

    def health(self) -> DeviceHealth:
        try:
            self._request("GET", "/v1/catalog", params={"carrier": "__health__"})
        except (UpstreamError, ConfigError) as exc:
            return DeviceHealth("upstream", False, str(exc), "check the network and [upstream] url")
        return DeviceHealth("upstream", True, f"top-up API at {self._client.base_url}")
