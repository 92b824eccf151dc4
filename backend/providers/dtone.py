"""DT One DVS API adapter.

Reference: DT One's DVS API reference (https://developers.dtone.com/reference/transactions-1.md
and the pages beside it) and its OpenAPI file (servers, paths and schemas cited below
as "OpenAPI"). Field names are taken from there, each mapping cites its page.

Exactly once: our top-up key is DT One's ``external_id``. A transaction is created
asynchronously *without* ``auto_confirm``, its DT One id is journaled, then it is
confirmed; only a confirmed transaction is sent to the operator. An unclear answer is
resolved by asking ``GET /transactions?external_id=`` and never by creating again;
a transaction DT One does not know was never confirmed by us, so it was not
performed, and the journal stops us from ever confirming it later.
"""

from __future__ import annotations

import hashlib
import logging
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
from backend.providers.http import NotSent, OutcomeUnknown, Reply, Transport, cents
from kiosk.privacy import mask_msisdn

log = logging.getLogger(__name__)

# OpenAPI "servers": Pre-Production and Production.
SANDBOX_URL = "https://preprod-dvs-api.dtone.com/v1"
PRODUCTION_URL = "https://dvs-api.dtone.com/v1"
PLAN_PREFIX = "dt-"
# OpenAPI schema "transaction": external_id is a non-empty string of at most 40 characters.
EXTERNAL_ID_MAX = 40
# Services table (https://developers.dtone.com/reference/transactions-1.md, "Services"): Mobile = 1.
SERVICE_MOBILE = 1
# OpenAPI "Pagination": per_page at most 100; pages counted in the X-Total-Pages header.
PER_PAGE = 100
MAX_PAGES = 50
_DAYS = {"HOUR": 0, "DAY": 1, "WEEK": 7, "MONTH": 30}  # OpenAPI schema "time_units"


def external_id(key: str) -> str:
    """Our key as DT One's ``external_id`` (a kiosk UUID fits; longer keys are hashed, stably)."""
    if len(key) <= EXTERNAL_ID_MAX:
        return key
    return "k" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:EXTERNAL_ID_MAX - 1]


def _error_codes(body: Any) -> list[str]:
    # OpenAPI schema "error": {"errors": [{"code": int, "message": str}]}
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        return [str(e.get("code")) for e in body["errors"] if isinstance(e, dict)]
    return []


def _error_text(reply: Reply) -> str:
    body = reply.body
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        return "; ".join(f"{e.get('code')} {e.get('message', '')}".strip()
                         for e in body["errors"] if isinstance(e, dict))
    return f"HTTP {reply.status}"


def _benefit_text(benefit: dict[str, Any]) -> str | None:
    # OpenAPI schema "fixed_benefit": type (TALKTIME|DATA|SMS|PAYMENT|CREDITS), unit, amount.base
    # ("A value of -1 indicates an unlimited benefit").
    kind = benefit.get("type")
    amount = benefit.get("amount") or {}
    base = amount.get("base") if isinstance(amount, dict) else None
    unit = str(benefit.get("unit") or "")
    if not isinstance(base, (int, float)) or isinstance(base, bool):
        return None
    unlimited = base == -1
    if kind == "DATA":
        return "Unlimited data" if unlimited else f"{base:g} {unit} data"
    if kind == "TALKTIME":
        return "Unlimited talk" if unlimited else f"{base:g} {unit.lower() or 'minutes'} talk"
    if kind == "SMS":
        return "Unlimited text" if unlimited else f"{base:g} texts"
    if kind == "CREDITS":
        return f"{base:g} {unit} credit"
    return None


class DTOneProvider(ProviderAdapter):
    name = "dtone"

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.environment = config.environment
        # OpenAPI securitySchemes.BasicAuth: "Provide your API key as the basic auth username
        # value and your API secret as your password."
        creds = read_credentials(config, ("api_key", "api_secret"))
        base = config.base_url or (PRODUCTION_URL if config.environment == "production" else SANDBOX_URL)
        self.base_url = base
        self._http = Transport(config, base, headers={"Accept": "application/json"},
                               auth=(creds["api_key"], creds["api_secret"]))

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ catalog

    def _catalog(self) -> tuple[str, list[dict[str, Any]]]:
        plans: list[dict[str, Any]] = []
        unmapped: set[str] = set()
        page = 1
        while True:
            # OpenAPI GET /products: filters country_iso_code (ISO 3166 alpha-3), service_id, type.
            reply = self._http.request("GET", "/products", params={
                "country_iso_code": "USA", "service_id": SERVICE_MOBILE, "type": "FIXED_VALUE_RECHARGE",
                "per_page": PER_PAGE, "page": page})
            if not reply.ok or not isinstance(reply.body, list):
                raise ProviderUnavailable(f"DT One GET /products: {_error_text(reply)}")
            for product in reply.body:
                plan = self._plan(product, unmapped) if isinstance(product, dict) else None
                if plan is not None:
                    plans.append(plan)
            try:
                total = int(reply.headers.get("X-Total-Pages") or 1)
            except ValueError:
                total = 1
            if page >= min(total, MAX_PAGES):
                break
            page += 1
        if unmapped:
            log.warning("DT One operators with no kiosk carrier name (products left out): %s",
                        ", ".join(sorted(unmapped)))
        return utc_now_text(), plans

    def _plan(self, product: dict[str, Any], unmapped: set[str]) -> dict[str, Any] | None:
        # OpenAPI schemas "product_base" + "product_fixed_value_recharge".
        operator = product.get("operator") or {}
        op_name = str(operator.get("name") or "")
        carrier = kiosk_carrier(op_name)
        if carrier is None:
            unmapped.add(op_name or "?")
            return None
        prices = product.get("prices") or {}
        retail = prices.get("retail") or {}
        destination = product.get("destination") or {}
        # Price the customer pays: the retail price configured at DT One (prices.retail, "null
        # ... retail prices are not configured"), else the face value (destination amount).
        if retail.get("unit") == "USD" and cents(retail.get("amount")):
            price = cents(retail.get("amount"))
        elif destination.get("unit") == "USD":
            price = cents(destination.get("amount"))
        else:
            price = None
        if not price or not isinstance(product.get("id"), int):
            log.info("DT One product %s has no USD price; left out", product.get("id"))
            return None
        validity = product.get("validity") or {}
        quantity = validity.get("quantity")
        # validity: "A null value indicates validity is not known, while a value of -1 indicates
        # unlimited validity" -> 0 (the kiosk shows no validity).
        days = 0
        if isinstance(quantity, int) and quantity > 0 and validity.get("unit") in _DAYS:
            days = quantity * _DAYS[str(validity["unit"])] or 1
        benefits = [t for t in (_benefit_text(b) for b in product.get("benefits") or [] if isinstance(b, dict))
                    if t]
        if not benefits and product.get("description"):
            benefits = [str(product["description"])[:120]]
        return {"id": f"{PLAN_PREFIX}{product['id']}", "carrier": carrier, "name": str(product.get("name") or ""),
                "price_cents": price, "currency": "USD", "validity_days": days, "benefits": benefits}

    # ------------------------------------------------------------------ lookup

    def _lookup(self, iccid: str | None, msisdn: str | None) -> dict[str, Any] | None:
        if not msisdn:
            log.info("lookup: DT One identifies operators by mobile number only; found: false for an ICCID")
            return None
        # OpenAPI POST /lookup/mobile-number {"mobile_number": E.164} -> [operator + "identified"]
        reply = self._http.request("POST", "/lookup/mobile-number", json_body={"mobile_number": "+" + msisdn})
        if reply.status in (400, 404):
            log.info("lookup %s: DT One does not know the number (%s)", mask_msisdn(msisdn), _error_text(reply))
            return None
        if not reply.ok or not isinstance(reply.body, list):
            raise ProviderUnavailable(f"DT One lookup: {_error_text(reply)}")
        identified = [o for o in reply.body if isinstance(o, dict) and o.get("identified") is True]
        if not identified:
            log.info("lookup %s: DT One identified no operator as a direct match", mask_msisdn(msisdn))
            return None
        name = str(identified[0].get("name") or "")
        carrier = kiosk_carrier(name)
        if carrier is None:
            log.warning("lookup %s: DT One operator %r has no kiosk carrier name; found: false",
                        mask_msisdn(msisdn), name)
            return None
        return {"msisdn": msisdn, "carrier": carrier, "iccid": iccid, "current_plan": None, "expiry": None}

    # ------------------------------------------------------------------ top-ups

    def _perform(self, request: TopUpRequest, journal: Journal) -> Outcome:
        if not request.plan_id.startswith(PLAN_PREFIX) or not request.plan_id[len(PLAN_PREFIX):].isdigit():
            return Outcome("failed", outcomes.CUSTOMER, None, "unknown_plan")
        # OpenAPI POST /async/transactions, schema "transaction": external_id, product_id,
        # auto_confirm (default false), credit_party_identifier.mobile_number (E.164).
        body = {"external_id": external_id(request.key), "product_id": int(request.plan_id[len(PLAN_PREFIX):]),
                "auto_confirm": False, "credit_party_identifier": {"mobile_number": "+" + request.msisdn}}
        try:
            reply = self._http.request("POST", "/async/transactions", json_body=body)
        except NotSent as exc:
            return self._row(outcomes.find(self.name, "transport", "not_sent"), None, str(exc))
        except OutcomeUnknown as exc:
            log.warning("top-up %s: create answer lost (%s); asking DT One by external_id", request.key, exc)
            return self._ask(request, journal)
        if reply.ok and isinstance(reply.body, dict):
            return self._advance(request, reply.body, journal, confirm=True)
        return self._refusal(request, reply, journal, None)

    def _check(self, request: TopUpRequest, provider_ref: str | None, journal: Journal) -> Outcome:
        if provider_ref and provider_ref.isdigit():
            # OpenAPI GET /transactions/{transaction_id}
            try:
                reply = self._http.request("GET", f"/transactions/{provider_ref}")
            except ProviderUnavailable as exc:
                return Outcome("pending", None, provider_ref, f"DT One not reachable; asking later ({exc})")
            if reply.ok and isinstance(reply.body, dict):
                return self._advance(request, reply.body, journal, confirm=True)
        return self._ask(request, journal)

    def _ask(self, request: TopUpRequest, journal: Journal) -> Outcome:
        """Ask DT One for our external_id (OpenAPI GET /transactions?external_id=)."""
        ext = external_id(request.key)
        try:
            reply = self._http.request("GET", "/transactions", params={"external_id": ext})
        except ProviderUnavailable as exc:
            return Outcome("pending", None, None, f"outcome unknown; DT One not reachable, asking later ({exc})")
        found: list[dict[str, Any]] = []
        if reply.ok and isinstance(reply.body, list):
            found = [t for t in reply.body if isinstance(t, dict) and t.get("external_id") == ext]
        elif reply.status != 404:
            return Outcome("pending", None, None, f"outcome unknown; DT One answered {_error_text(reply)}")
        if not found:
            row = outcomes.find(self.name, "lookup", "not_found")
            outcome = self._row(row, None, "DT One has no transaction for this key")
            return Outcome(outcome.status, outcome.failure_kind, None, outcome.message, by_absence=True)
        return self._advance(request, found[0], journal, confirm=True)

    def _advance(self, request: TopUpRequest, txn: dict[str, Any], journal: Journal, *, confirm: bool) -> Outcome:
        """Act on a transaction's status (OpenAPI schema "transaction": id, status.message,
        status.class.message); a CREATED one is journaled, then confirmed once."""
        ref = str(txn.get("id")) if txn.get("id") is not None else None
        status = txn.get("status") or {}
        message = str(status.get("message") or "")
        klass = str((status.get("class") or {}).get("message") or "")
        row = outcomes.find(self.name, "status", message) or outcomes.find(self.name, "class", klass)
        if row is None:
            return Outcome("pending", None, ref,
                           f"DT One status {message or klass or '?'} not understood; asking later")
        if row.code == "CREATED" and ref is not None:
            if not journal.note_ref(request.key, ref):
                self._cancel(ref)
                return Outcome("failed", outcomes.TRANSIENT, ref, "top-up no longer pending; DT One transaction "
                                                                  "cancelled, not confirmed")
            if confirm:
                return self._confirm(request, ref, journal)
        return self._row(row, ref, message or klass)

    def _confirm(self, request: TopUpRequest, ref: str, journal: Journal) -> Outcome:
        # OpenAPI POST /async/transactions/{transaction_id}/confirm -> 202 transaction
        try:
            reply = self._http.request("POST", f"/async/transactions/{ref}/confirm")
        except NotSent as exc:
            return Outcome("pending", None, ref, f"confirmation not sent; will confirm on the next check ({exc})")
        except OutcomeUnknown as exc:
            log.warning("top-up %s: confirm answer lost (%s); asking DT One", request.key, exc)
            return self._ask_by_id(request, ref, journal)
        if reply.ok and isinstance(reply.body, dict):
            return self._advance(request, reply.body, journal, confirm=False)
        return self._refusal(request, reply, journal, ref)

    def _ask_by_id(self, request: TopUpRequest, ref: str, journal: Journal) -> Outcome:
        try:
            reply = self._http.request("GET", f"/transactions/{ref}")
        except ProviderUnavailable as exc:
            return Outcome("pending", None, ref, f"outcome unknown; DT One not reachable, asking later ({exc})")
        if reply.ok and isinstance(reply.body, dict):
            return self._advance(request, reply.body, journal, confirm=False)
        return Outcome("pending", None, ref, f"outcome unknown; DT One answered {_error_text(reply)}")

    def _refusal(self, request: TopUpRequest, reply: Reply, journal: Journal, ref: str | None) -> Outcome:
        """A 4xx: the first error code with a row decides; unknown codes are asked about."""
        text = _error_text(reply)
        for code in _error_codes(reply.body):
            row = outcomes.find(self.name, "error", code)
            if row is None:
                continue
            if row.outcome == outcomes.ASK:
                log.warning("top-up %s: DT One answered %s; asking by id", request.key, text)
                return self._ask_by_id(request, ref, journal) if ref else self._ask(request, journal)
            if row.code == "1007004" and ref:
                self._cancel(ref)
            return self._row(row, ref, text)
        if reply.status == 401:
            return self._row(outcomes.find(self.name, "transport", "unauthorized"), ref, text)
        if reply.status == 429:
            return self._row(outcomes.find(self.name, "transport", "rate_limited"), ref, text)
        log.warning("top-up %s: DT One answered %s (no outcome row); asking", request.key, text)
        return self._ask_by_id(request, ref, journal) if ref else self._ask(request, journal)

    def _cancel(self, ref: str) -> None:
        """Release a created transaction we will never confirm (OpenAPI POST /transactions/{id}/cancel)."""
        try:
            reply = self._http.request("POST", f"/transactions/{ref}/cancel")
            if not reply.ok:
                log.warning("DT One transaction %s not cancelled: %s", ref, _error_text(reply))
        except ProviderUnavailable as exc:
            log.warning("DT One transaction %s not cancelled (%s); it expires unconfirmed", ref, exc)

    @staticmethod
    def _row(row: outcomes.Row | None, ref: str | None, detail: str) -> Outcome:
        if row is None or row.outcome == outcomes.ASK:
            return Outcome("pending", None, ref, detail)
        return Outcome(row.outcome, row.failure_kind, ref, f"{row.meaning} ({detail})" if detail else row.meaning)

    # ------------------------------------------------------------------ health

    def _health(self) -> ProviderHealth:
        # OpenAPI GET /balances -> [{"id", "unit_type", "unit", "available", "holding", "credit_limit"}]
        now = utc_now_text()
        try:
            reply = self._http.request("GET", "/balances")
        except ProviderUnavailable as exc:
            return ProviderHealth(self.name, self.environment, False, False, None, None, str(exc), now)
        if reply.status == 401:
            return ProviderHealth(self.name, self.environment, True, False, None, None,
                                  f"credentials refused: {_error_text(reply)}", now)
        if not reply.ok or not isinstance(reply.body, list):
            return ProviderHealth(self.name, self.environment, True, True, None, None,
                                  f"balance not readable: {_error_text(reply)}", now)
        balances = [b for b in reply.body if isinstance(b, dict)]
        usd = next((b for b in balances if b.get("unit") == "USD"), balances[0] if balances else None)
        if usd is None:
            return ProviderHealth(self.name, self.environment, True, True, None, None, "no balance", now)
        return ProviderHealth(self.name, self.environment, True, True, cents(usd.get("available")),
                              str(usd.get("unit") or ""), f"DT One at {self.base_url}", now)
