"""One HTTP transport for the aggregator adapters (httpx, pooled, bounded).

Every failure is classified at this edge, because exactly-once depends on it:

* :class:`NotSent`: no byte of the request can have reached the aggregator (the
  connection or a pool slot could not be had). The top-up was *not* performed.
* :class:`OutcomeUnknown`: the request may have been received and acted on (read
  timeout, connection dropped after sending, 5xx, a body that is not JSON). Only
  asking the aggregator for our client id resolves it; the request is never redone.
* :class:`Reply`: an HTTP answer below 500 with its JSON body.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from backend.provider import ProviderUnavailable
from backend.providers.config import ProviderConfig

log = logging.getLogger(__name__)


class NotSent(ProviderUnavailable):
    """The request never left: nothing can have been performed."""

    code = "provider_unreachable"


class OutcomeUnknown(ProviderUnavailable):
    """The request may have been acted on; ask by client id."""

    code = "provider_outcome_unknown"


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: httpx.Headers

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Transport:
    """A pooled httpx client with connect/read deadlines; JSON in, :class:`Reply` out."""

    def __init__(self, config: ProviderConfig, base_url: str, headers: dict[str, str] | None = None,
                 auth: httpx.Auth | tuple[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        timeout = httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s, pool=config.connect_timeout_s)
        limits = httpx.Limits(max_connections=config.pool_size, max_keepalive_connections=config.pool_size)
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, limits=limits,
                                    headers=headers or {}, auth=auth)

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, path: str, *, json_body: Any = None, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, url: str | None = None, shown: str | None = None) -> Reply:
        """``shown``: the path as error messages (and so logs) may name it, when ``path``
        carries a phone number."""
        what = f"{method} {shown or path}"
        try:
            resp = self._client.request(method, url or path, json=json_body, params=params, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol) as exc:
            raise NotSent(f"{what}: aggregator unreachable ({exc.__class__.__name__}: {exc})") from exc
        except httpx.HTTPError as exc:  # read/write timeout, dropped connection, protocol error
            raise OutcomeUnknown(f"{what}: no usable answer ({exc.__class__.__name__}: {exc})") from exc
        if resp.status_code >= 500:
            raise OutcomeUnknown(f"{what}: server error {resp.status_code}")
        try:
            body = resp.json() if resp.content else None
        except (ValueError, json.JSONDecodeError) as exc:
            if resp.status_code < 300:
                raise OutcomeUnknown(f"{what}: answer {resp.status_code} is not JSON") from exc
            body = None
        return Reply(resp.status_code, body, resp.headers)


def cents(amount: Any) -> int | None:
    """A decimal money amount from JSON (number or string) as integer cents; ``None`` if not one."""
    from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

    if isinstance(amount, bool) or amount is None:
        return None
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def us_national(msisdn: str) -> str:
    """``12025550123`` -> ``2025550123`` (NANP: the kiosk sends E.164 digits without ``+``)."""
    return msisdn[1:] if len(msisdn) == 11 and msisdn.startswith("1") else msisdn
