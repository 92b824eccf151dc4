"""Reloadly Airtime API adapter.

Reference: Reloadly's Airtime API documentation, pages cited next to each mapping. Where a
comment cites https://raphaelugwu.gitbook.io/airtime/ that is a *third-party mirror* of
Reloadly's pages: the official pages (docs.reloadly.com, developers.reloadly.com) are not in
the reference corpus these adapters were checked against (searched for the top-up, status,
auto-detect, transactions report, balance and error-code pages: only the mirror, third-party
SDKs and OpenAPI copies were found), and the docs.reloadly.com URLs cited below could not be
opened there either. Check each mapping against the official API reference before the first
production top-up; the conservative choices (unknown error code -> ask, "no transaction" ->
pending) keep money safe where the two might differ.

Authentication: OAuth 2.0 client credentials at https://auth.reloadly.com/oauth/token with
the product URL as ``audience``; the token is cached until shortly before ``expires_in``
and renewed on a 401 (once per request; a refused request performed nothing).

Exactly once: our top-up key is Reloadly's ``customIdentifier`` ("Each transaction
reference is to be unique. Once a reference has been used for a top-up transaction, it
cannot be reused"). An unclear answer is resolved by asking the transactions report for
that ``customIdentifier``; the top-up is never sent again. Reloadly offers no second step
(no confirm, no cancel), so "no transaction for this key" cannot be turned into a definite
failure: the record stays pending until Reloadly shows the transaction (a delayed request
may still arrive), which is the conservative behaviour.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

from backend.provider import (
    Journal,
    Outcome,
    ProviderAdapter,
    ProviderHealth,
    ProviderUnavailable,
    TopUpRequest,
    utc_now_text,
)
from backend.providers import outcomes
from backend.providers.carriers import kiosk_carrier
from backend.providers.config import ProviderConfig, read_credentials
from backend.providers.http import NotSent, OutcomeUnknown, Reply, Transport, cents, us_national
from kiosk.privacy import mask_msisdn

log = logging.getLogger(__name__)

# https://docs.reloadly.com/airtime/ ("Service URL"): Airtime production and sandbox.
PRODUCTION_URL = "https://topups.reloadly.com"
SANDBOX_URL = "https://topups-sandbox.reloadly.com"
# https://raphaelugwu.gitbook.io/airtime/quickstart: token URL; "audience" is the service URL.
AUTH_URL = "https://auth.reloadly.com/oauth/token"
# Request samples on every page send this Accept header.
ACCEPT = "application/com.reloadly.topups-v1+json"
PLAN_ID = re.compile(r"rl-(\d+)-(\d+)")
TOKEN_MARGIN_S = 60.0


class AuthRefused(ProviderUnavailable):
    """Reloadly refused our client credentials (nothing was sent with them)."""

    code = "provider_auth_refused"


class NoToken(NotSent):
    """The token endpoint failed (unreachable, 5xx, timeout, dropped): no access token, so the
    request that needed it was never sent. Unlike the same failure on ``POST /topups`` this is
    not an unknown top-up outcome: Reloadly cannot have acted on a request we did not send."""

    code = "provider_token_unavailable"


def _error_code(reply: Reply) -> str:
    # Error body (e.g. https://raphaelugwu.gitbook.io/airtime/top-ups/async-top-up):
    # {"timeStamp", "message", "path", "errorCode", "infoLink", "details"}
    body = reply.body
    return str(body.get("errorCode") or "") if isinstance(body, dict) else ""


def _error_text(reply: Reply) -> str:
    body = reply.body
    if isinstance(body, dict):
        return f"{body.get('errorCode') or reply.status} {body.get('message') or ''}".strip()
    return f"HTTP {reply.status}"


class ReloadlyProvider(ProviderAdapter):
    name = "reloadly"

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.environment = config.environment
        self._creds = read_credentials(config, ("client_id", "client_secret"))
        self.base_url = config.base_url or (PRODUCTION_URL if config.environment == "production" else SANDBOX_URL)
        # The audience names the documented service URL even when base_url points elsewhere (a proxy).
        self.audience = PRODUCTION_URL if config.environment == "production" else SANDBOX_URL
        self.auth_url = config.auth_url or AUTH_URL
        self._http = Transport(config, self.base_url, headers={"Accept": ACCEPT})
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ OAuth 2.0

    def _access_token(self, *, renew: bool = False) -> str:
        with self._token_lock:
            if not renew and self._token and time.monotonic() < self._token_expires:
                return self._token
            # https://docs.reloadly.com/airtime/ (Authentication): client_id, client_secret,
            # grant_type "client_credentials", audience; answer access_token, expires_in (s).
            try:
                reply = self._http.request("POST", "/oauth/token", url=self.auth_url, json_body={
                    "client_id": self._creds["client_id"], "client_secret": self._creds["client_secret"],
                    "grant_type": "client_credentials", "audience": self.audience})
            except ProviderUnavailable as exc:
                self._token = None
                raise NoToken(f"no Reloadly access token: {exc}") from exc
            body = reply.body if isinstance(reply.body, dict) else {}
            token = body.get("access_token")
            if not reply.ok or not isinstance(token, str) or not token:
                self._token = None
                raise AuthRefused(f"Reloadly refused the client credentials: {_error_text(reply)}")
            try:
                lifetime = float(body.get("expires_in") or 3600)
            except (TypeError, ValueError):
                lifetime = 3600.0
            self._token = token
            self._token_expires = time.monotonic() + max(lifetime - TOKEN_MARGIN_S, lifetime / 2)
            return token

    def _call(self, method: str, path: str, **kw: Any) -> Reply:
        """A request with the bearer token; a 401 renews the token and retries once
        (https://raphaelugwu.gitbook.io/airtime/airtime-errors/error-codes, TOKEN_EXPIRED).

        The token is had *before* the request is sent: a failing token endpoint raises
        :class:`NoToken` (a :class:`NotSent`), never :class:`OutcomeUnknown`. The renewal
        after a 401 likewise: the refused request performed nothing and the retry was not sent."""
        token = self._access_token()
        reply = self._http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)
        if reply.status == 401:
            log.info("Reloadly answered 401 (%s); renewing the access token", _error_code(reply) or "no code")
            token = self._access_token(renew=True)
            reply = self._http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)
        return reply

    # ------------------------------------------------------------------ catalog

    def _catalog(self) -> tuple[str, list[dict[str, Any]]]:
        # https://raphaelugwu.gitbook.io/airtime/operators/get-operator-by-iso:
        # GET /operators/countries/{countrycode}?suggestedAmounts=...; fields operatorId, name,
        # denominationType (FIXED|RANGE), senderCurrencyCode, fixedAmounts,
        # fixedAmountsDescriptions, minAmount, maxAmount, suggestedAmounts, data, bundle.
        reply = self._call("GET", f"/operators/countries/{self.config.country}",
                           params={"suggestedAmounts": "true", "includePin": "false"})
        if not reply.ok or not isinstance(reply.body, list):
            raise ProviderUnavailable(f"Reloadly GET /operators/countries: {_error_text(reply)}")
        plans: list[dict[str, Any]] = []
        unmapped: set[str] = set()
        for op in reply.body:
            if isinstance(op, dict):
                plans.extend(self._plans(op, unmapped))
        if unmapped:
            log.warning("Reloadly operators with no kiosk carrier name (left out): %s", ", ".join(sorted(unmapped)))
        return utc_now_text(), plans

    @staticmethod
    def _plans(op: dict[str, Any], unmapped: set[str]) -> list[dict[str, Any]]:
        name = str(op.get("name") or "")
        carrier = kiosk_carrier(name)
        op_id = op.get("operatorId")
        if carrier is None or not isinstance(op_id, int):
            unmapped.add(name or "?")
            return []
        if op.get("senderCurrencyCode") != "USD":
            return []
        descriptions = op.get("fixedAmountsDescriptions") or {}
        if op.get("denominationType") == "FIXED":
            amounts = list(op.get("fixedAmounts") or [])
        else:
            low, high = cents(op.get("minAmount")), cents(op.get("maxAmount"))
            amounts = [a for a in op.get("suggestedAmounts") or []
                       if low is not None and high is not None and low <= (cents(a) or -1) <= high]
        kind = "data" if op.get("data") else "airtime"
        plans = []
        for amount in amounts:
            price = cents(amount)
            if not price:
                continue
            text = ""
            if isinstance(descriptions, dict):
                text = str(descriptions.get(f"{price / 100:.2f}") or descriptions.get(str(amount)) or "")
            plans.append({"id": f"rl-{op_id}-{price}", "carrier": carrier,
                          "name": text[:80] or f"${price / 100:.2f} {kind}",
                          "price_cents": price, "currency": "USD", "validity_days": 0,
                          "benefits": [text[:120]] if text else [f"${price / 100:.2f} {kind} top-up"]})
        return plans

    # ------------------------------------------------------------------ lookup

    def _lookup(self, iccid: str | None, msisdn: str | None) -> dict[str, Any] | None:
        if not msisdn:
            log.info("lookup: Reloadly detects operators by phone number only; found: false for an ICCID")
            return None
        # https://raphaelugwu.gitbook.io/airtime/operators/auto-detect-an-operator:
        # GET /operators/auto-detect/phone/{phone}/countries/{countryIsoCode} -> operator
        path = "/operators/auto-detect/phone/{}/countries/" + self.config.country
        reply = self._call("GET", path.format(us_national(msisdn)), shown=path.format(mask_msisdn(msisdn)))
        if reply.status in (400, 404):
            log.info("lookup %s: Reloadly could not detect the operator (%s)", mask_msisdn(msisdn), _error_text(reply))
            return None
        if not reply.ok or not isinstance(reply.body, dict):
            raise ProviderUnavailable(f"Reloadly auto-detect: {_error_text(reply)}")
        name = str(reply.body.get("name") or "")
        carrier = kiosk_carrier(name)
        if carrier is None:
            log.warning("lookup %s: Reloadly operator %r has no kiosk carrier name; found: false",
                        mask_msisdn(msisdn), name)
            return None
        return {"msisdn": msisdn, "carrier": carrier, "iccid": iccid, "current_plan": None, "expiry": None}

    # ------------------------------------------------------------------ top-ups

    def _perform(self, request: TopUpRequest, journal: Journal) -> Outcome:
        match = PLAN_ID.fullmatch(request.plan_id)
        if match is None:
            return Outcome("failed", outcomes.CUSTOMER, None, "unknown_plan")
        operator_id, price = int(match.group(1)), int(match.group(2))
        # https://raphaelugwu.gitbook.io/airtime/top-ups/top-up: POST /topups with operatorId,
        # amount, useLocalAmount, customIdentifier, recipientPhone {countryCode, number}.
        # The page gives no length limit for customIdentifier; our keys are at most 64 characters.
        body = {"operatorId": operator_id, "amount": price / 100, "useLocalAmount": False,
                "customIdentifier": request.key,
                "recipientPhone": {"countryCode": self.config.country, "number": us_national(request.msisdn)}}
        try:
            reply = self._call("POST", "/topups", json_body=body)
        except NoToken as exc:
            log.warning("top-up %s not sent: %s", request.key, exc)
            return self._row(outcomes.find(self.name, "transport", "no_token"), None, str(exc))
        except NotSent as exc:
            return self._row(outcomes.find(self.name, "transport", "not_sent"), None, str(exc))
        except AuthRefused as exc:
            return self._row(outcomes.find(self.name, "transport", "unauthorized"), None, str(exc))
        except OutcomeUnknown as exc:
            log.warning("top-up %s: answer lost (%s); asking Reloadly by customIdentifier", request.key, exc)
            return self._ask(request)
        if reply.ok and isinstance(reply.body, dict):
            return self._from_transaction(reply.body)
        code = _error_code(reply)
        row = outcomes.find(self.name, "error", code) if code else None
        if row is None and reply.status == 401:
            row = outcomes.find(self.name, "transport", "unauthorized")
        elif row is None and reply.status == 429:
            row = outcomes.find(self.name, "transport", "rate_limited")
        if row is None or row.outcome == outcomes.ASK:
            log.warning("top-up %s: Reloadly answered %s; asking by customIdentifier", request.key, _error_text(reply))
            return self._ask(request)
        return self._row(row, None, _error_text(reply))

    def _check(self, request: TopUpRequest, provider_ref: str | None, journal: Journal) -> Outcome:
        if provider_ref and provider_ref.isdigit():
            # https://docs.reloadly.com/airtime/top-ups/top-up-status: GET /topups/{transactionId}/status
            try:
                reply = self._call("GET", f"/topups/{provider_ref}/status")
            except ProviderUnavailable as exc:
                return Outcome("pending", None, provider_ref, f"Reloadly not reachable; asking later ({exc})")
            if reply.ok and isinstance(reply.body, dict):
                # The page's example is the transaction itself; accept it wrapped in "transaction" too.
                inner = reply.body.get("transaction")
                return self._from_transaction(inner if isinstance(inner, dict) else reply.body)
        return self._ask(request)

    def _ask(self, request: TopUpRequest) -> Outcome:
        # https://raphaelugwu.gitbook.io/airtime/transactions/get-transaction:
        # GET /topups/reports/transactions?customIdentifier=&page=&size= (paged "content").
        try:
            reply = self._call("GET", "/topups/reports/transactions",
                               params={"customIdentifier": request.key, "page": 1, "size": 10})
        except ProviderUnavailable as exc:
            return Outcome("pending", None, None, f"outcome unknown; Reloadly not reachable, asking later ({exc})")
        if not reply.ok:
            return Outcome("pending", None, None, f"outcome unknown; Reloadly answered {_error_text(reply)}")
        body = reply.body
        content = body.get("content") if isinstance(body, dict) else body
        found = [t for t in content or [] if isinstance(t, dict) and t.get("customIdentifier") == request.key]
        if not found:
            outcome = self._row(outcomes.find(self.name, "lookup", "not_found"), None,
                                "Reloadly has no transaction for this key yet")
            # by_absence: what an operator's settlement needs to see (backend/topups.py, settle)
            return Outcome(outcome.status, outcome.failure_kind, None, outcome.message, by_absence=True)
        return self._from_transaction(found[0])

    def _from_transaction(self, txn: dict[str, Any]) -> Outcome:
        # Transaction fields (top-up page): transactionId, status, operatorTransactionId, customIdentifier.
        ref = str(txn["transactionId"]) if txn.get("transactionId") is not None else None
        status = str(txn.get("status") or "")
        row = outcomes.find(self.name, "status", status)
        if row is None:
            return Outcome("pending", None, ref, f"Reloadly status {status or '?'} not understood; asking later")
        return self._row(row, ref, status)

    @staticmethod
    def _row(row: outcomes.Row | None, ref: str | None, detail: str) -> Outcome:
        if row is None or row.outcome == outcomes.ASK:
            return Outcome("pending", None, ref, detail)
        return Outcome(row.outcome, row.failure_kind, ref, f"{row.meaning} ({detail})" if detail else row.meaning)

    # ------------------------------------------------------------------ health

    def _health(self) -> ProviderHealth:
        now = utc_now_text()
        try:
            # https://raphaelugwu.gitbook.io/airtime/account-balance: GET /accounts/balance ->
            # {"balance", "currencyCode", "currencyName", "updatedAt"}
            reply = self._call("GET", "/accounts/balance")
        except AuthRefused as exc:
            return ProviderHealth(self.name, self.environment, True, False, None, None, str(exc), now)
        except ProviderUnavailable as exc:
            return ProviderHealth(self.name, self.environment, False, False, None, None, str(exc), now)
        if reply.status == 401:
            return ProviderHealth(self.name, self.environment, True, False, None, None,
                                  f"access token refused: {_error_text(reply)}", now)
        if not reply.ok or not isinstance(reply.body, dict):
            return ProviderHealth(self.name, self.environment, True, True, None, None,
                                  f"balance not readable: {_error_text(reply)}", now)
        return ProviderHealth(self.name, self.environment, True, True, cents(reply.body.get("balance")),
                              str(reply.body.get("currencyCode") or ""), f"Reloadly at {self.base_url}", now)
