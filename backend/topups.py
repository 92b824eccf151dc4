"""The provider endpoints' rules (``docs/upstream-api.md``): lookup, catalog and top-ups.

Top-ups keep the money guarantees the kiosk relies on: a key is recorded ``pending``
before the aggregator is called; a key performs at most one top-up; a key reused with
a different number, plan or amount is a ``409 key_conflict``; ``GET`` of an unknown key
answers ``not_found`` and voids the key so a late ``POST`` performs nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from backend.catalog import CatalogService
from backend.errors import ApiError, bad_request
from backend.provider import Outcome, ProviderAdapter, ProviderUnavailable, TopUpRequest
from backend.providers import outcomes
from backend.store import Store

log = logging.getLogger(__name__)

_KEY = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_MSISDN = re.compile(r"[0-9]{6,15}")
_ICCID = re.compile(r"[0-9]{18,22}F?")
_CURRENCY = re.compile(r"[A-Z]{3}")
VOIDED = "voided"


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]


def record_body(row: dict[str, Any]) -> dict[str, Any]:
    if row["status"] == "void":
        return {"key": row["key"], "status": "not_found", "failure_kind": None, "provider_ref": None,
                "message": ""}
    return {"key": row["key"], "status": row["status"], "failure_kind": row["failure_kind"],
            "provider_ref": row["provider_ref"], "message": row["message"] or ""}


def _str(data: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None, *,
         optional: bool = False, max_len: int = 64) -> str | None:
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > max_len or not value.isprintable():
        raise bad_request(f"{name} must be a string of 1..{max_len} printable characters", field=name)
    if pattern is not None and not pattern.fullmatch(value):
        raise bad_request(f"{name} is malformed", field=name)
    return value


def parse_lookup(data: dict[str, Any]) -> tuple[str | None, str | None]:
    unknown = set(data) - {"iccid", "msisdn"}
    if unknown:
        raise bad_request(f"unknown fields {sorted(unknown)}")
    iccid = _str(data, "iccid", _ICCID, optional=True, max_len=23)
    msisdn = _str(data, "msisdn", _MSISDN, optional=True, max_len=15)
    if iccid is None and msisdn is None:
        raise bad_request("give iccid, msisdn or both")
    return iccid, msisdn


def parse_topup(data: dict[str, Any], kiosk_id: str) -> TopUpRequest:
    body_kiosk = data.get("kiosk_id")
    if body_kiosk is not None and body_kiosk != kiosk_id:
        raise ApiError(403, "kiosk_mismatch", "kiosk_id in the body is not the signing kiosk")
    amount = data.get("amount_cents")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount < 10**12:
        raise bad_request("amount_cents must be a non-negative integer", field="amount_cents")
    return TopUpRequest(
        key=_str(data, "key", _KEY) or "",
        msisdn=_str(data, "msisdn", _MSISDN, max_len=15) or "",
        carrier=_str(data, "carrier") or "",
        iccid=_str(data, "iccid", _ICCID, optional=True, max_len=23),
        plan_id=_str(data, "plan_id") or "",
        amount_cents=amount,
        currency=_str(data, "currency", _CURRENCY, max_len=3) or "",
        kiosk_id=kiosk_id,
    )


class StoreJournal:
    """:class:`backend.provider.Journal` over the top-up records."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def note_ref(self, key: str, provider_ref: str) -> bool:
        return self._store.note_topup_ref(key, provider_ref)


class TopUps:
    """Serves lookup, catalog and top-ups from a store and a provider adapter (thread-safe)."""

    def __init__(self, store: Store, provider: ProviderAdapter, catalog: CatalogService | None = None) -> None:
        self._store = store
        self._provider = provider
        self._journal = StoreJournal(store)
        self.catalog_service = catalog or CatalogService(store, provider)

    def lookup(self, iccid: str | None, msisdn: str | None) -> dict[str, Any]:
        try:
            account = self._provider.lookup(iccid, msisdn)
        except ProviderUnavailable as exc:
            log.warning("lookup: aggregator unavailable: %s", exc)
            raise ApiError(503, "provider_unavailable", "the aggregator cannot be asked now") from exc
        if account is None:
            return {"found": False}
        if (msisdn is not None and account.get("msisdn") != msisdn) or \
                (iccid is not None and account.get("iccid") not in (None, iccid)):
            # both given and naming different accounts: docs/upstream-api.md says not found
            log.info("lookup: the iccid and msisdn given name different accounts")
            return {"found": False}
        return {"found": True, "account": account}

    def catalog(self, carrier: str | None) -> dict[str, Any]:
        version, plans = self.catalog_service.current()
        if carrier:
            plans = [p for p in plans if p["carrier"].casefold() == carrier.casefold()]
        return {"version": version, "plans": plans}

    def submit(self, req: TopUpRequest) -> Answer:
        """A new key is recorded ``pending`` (one insert that does nothing when the key exists)
        and then performed; a known key is answered from its record, never performed again."""
        for _attempt in range(2):
            if self._store.create_topup({
                "key": req.key, "kiosk_id": req.kiosk_id, "status": "pending", "failure_kind": None,
                "provider_ref": None, "message": "", "msisdn": req.msisdn, "carrier": req.carrier,
                "iccid": req.iccid, "plan_id": req.plan_id, "amount_cents": req.amount_cents,
                "currency": req.currency,
            }):
                return self._perform(req)
            existing = self._store.topup(req.key)
            if existing is not None:
                return self._known(req, existing)
        raise ApiError(503, "busy", "top-up key contended; ask GET /v1/topups/{key}")

    def _known(self, req: TopUpRequest, row: dict[str, Any]) -> Answer:
        if row["kiosk_id"] != req.kiosk_id:
            raise ApiError(409, "key_conflict", "key belongs to another kiosk")
        if row["status"] == "void":
            return Answer(200, {"key": req.key, "status": "failed", "failure_kind": "transient",
                                "provider_ref": None, "message": VOIDED})
        if (row["msisdn"], row["plan_id"], row["amount_cents"]) != (req.msisdn, req.plan_id, req.amount_cents):
            raise ApiError(409, "key_conflict", "key reused with a different msisdn, plan_id or amount_cents")
        return Answer(200, record_body(self._settle_pending(row)))

    def _perform(self, req: TopUpRequest) -> Answer:
        plan = self.catalog_service.plan(req.plan_id)
        if plan is None:
            outcome = Outcome("failed", "customer_fixable", None, "unknown_plan")
        elif (plan["price_cents"], plan["currency"]) != (req.amount_cents, req.currency):
            outcome = Outcome("failed", "customer_fixable", None, "price_changed")
        else:
            try:
                outcome = self._provider.perform(req, self._journal)
            except ProviderUnavailable as exc:
                log.warning("provider unavailable; top-up %s stays pending: %s", req.key, exc)
                outcome = Outcome("pending", None, None, "provider unavailable; outcome pending")
        row = self._apply(req.key, outcome)
        return Answer(202 if row["status"] == "pending" else 201, record_body(row))

    def _settle_pending(self, row: dict[str, Any]) -> dict[str, Any]:
        if row["status"] != "pending":
            return row
        req = TopUpRequest(row["key"], row["msisdn"], row["carrier"], row["iccid"], row["plan_id"],
                           row["amount_cents"], row["currency"], row["kiosk_id"])
        try:
            outcome = self._provider.check(req, row["provider_ref"], self._journal)
        except ProviderUnavailable as exc:
            log.warning("provider unavailable; top-up %s stays pending: %s", row["key"], exc)
            return row
        if outcome.status == "pending" and (outcome.provider_ref in (None, row["provider_ref"])):
            return row
        return self._apply(row["key"], outcome)

    def _apply(self, key: str, outcome: Outcome) -> dict[str, Any]:
        """Record an outcome on a pending key; a failure concluded from the aggregator's *absence*
        of a transaction is applied only while no aggregator transaction id is journaled."""
        if outcome.status != "pending":
            log.info("top-up %s %s%s: %s", key, outcome.status,
                     f"/{outcome.failure_kind}" if outcome.failure_kind else "", outcome.message)
        return self._store.update_topup(key, status=outcome.status, failure_kind=outcome.failure_kind,
                                        provider_ref=outcome.provider_ref, message=outcome.message,
                                        only_if_no_ref=outcome.by_absence)

    # ------------------------------------------------------------------ operator settlement

    def pending(self, limit: int = 200) -> list[dict[str, Any]]:
        """Records still pending, oldest first (the operator's "stuck" list)."""
        return self._store.pending_topups(limit)

    def settle_unseen(self, key: str, operator: str, reason: str) -> dict[str, Any]:
        """An operator settles a ``pending`` key as ``failed`` because the aggregator has no
        transaction for it (Reloadly: a request lost on the way, never to be settled by asking).

        Allowed only for a record still pending without an aggregator transaction id, and only
        when the aggregator, asked again *now*, still reports no transaction for the key. Any
        other answer refuses with one line (:class:`ApiError`): a definite answer is recorded
        instead (the record takes the aggregator's outcome), an answer in progress or no answer
        changes nothing. The settlement is written with who, when, why and the aggregator's
        answer (``topup_settlements``); the kiosk's next ``GET /v1/topups/{key}`` then answers
        ``failed``/``transient`` and its recovery reverses the charge."""
        if not _KEY.fullmatch(key):
            raise bad_request("key is malformed", field="key")
        reason = reason.strip()
        if not 3 <= len(reason) <= 500 or not reason.isprintable():
            raise bad_request("reason must be 3..500 printable characters (why it is settled)", field="reason")
        if not operator or len(operator) > 64 or not operator.isprintable():
            raise bad_request("operator must be a name of 1..64 printable characters", field="operator")
        row = self._store.topup(key)
        if row is None or row["status"] == "void":
            raise ApiError(404, "not_found", f"no top-up record for key {key}")
        if row["status"] != "pending":
            raise ApiError(409, "not_pending", f"top-up {key} is {row['status']}, not pending: nothing to settle")
        if row["provider_ref"]:
            raise ApiError(409, "aggregator_has_it",
                           f"top-up {key} carries the aggregator's transaction id {row['provider_ref']}: "
                           "it is settled by asking about that transaction, not by an operator")
        req = TopUpRequest(row["key"], row["msisdn"], row["carrier"], row["iccid"], row["plan_id"],
                           row["amount_cents"], row["currency"], row["kiosk_id"])
        try:
            outcome = self._provider.check(req, None, self._journal)
        except ProviderUnavailable as exc:
            raise ApiError(503, "provider_unavailable",
                           f"the aggregator cannot be asked now ({exc}); nothing changed") from exc
        if outcome.status != "pending":
            settled = self._apply(key, outcome)
            raise ApiError(409, "settled_by_aggregator",
                           f"the aggregator now reports top-up {key} {settled['status']}"
                           f"{'/' + settled['failure_kind'] if settled['failure_kind'] else ''}: recorded that "
                           "instead", record=record_body(settled))
        if not outcome.by_absence or outcome.provider_ref:
            raise ApiError(409, "aggregator_pending",
                           f"the aggregator does not report top-up {key} as unseen ({outcome.message}); "
                           "nothing changed: ask again later")
        row_def = outcomes.find("*", "operator", "settled_unseen")
        assert row_def is not None and row_def.outcome == outcomes.FAILED
        message = f"settled by operator {operator}: {row_def.meaning}"
        settled_row = self._store.settle_topup(
            key, status=row_def.outcome, failure_kind=row_def.failure_kind, message=message,
            audit={"operator": operator, "reason": reason, "aggregator": self._provider.name,
                   "aggregator_answer": outcome.message[:1000]})
        if settled_row is None:
            current = self._store.topup(key) or row
            raise ApiError(409, "not_pending", f"top-up {key} is {current['status']} now, not pending: "
                                               "nothing to settle")
        log.warning("top-up %s settled %s/%s by operator %s: %s (aggregator: %s)", key, row_def.outcome,
                    row_def.failure_kind, operator, reason, outcome.message)
        return {"record": record_body(settled_row), "settlement": self._store.topup_settlements(key, limit=1)[0]}

    def status(self, key: str, kiosk_id: str) -> Answer:
        if not _KEY.fullmatch(key):
            raise bad_request("key is malformed", field="key")
        for _attempt in range(2):
            row = self._store.topup(key)
            if row is not None:
                if row["kiosk_id"] != kiosk_id:
                    raise ApiError(409, "key_conflict", "key belongs to another kiosk")
                return Answer(200, record_body(self._settle_pending(row)))
            if self._store.create_topup({"key": key, "kiosk_id": kiosk_id, "status": "void",
                                         "message": VOIDED}):
                return Answer(200, {"key": key, "status": "not_found", "failure_kind": None,
                                    "provider_ref": None, "message": ""})
        raise ApiError(503, "busy", "top-up key contended; ask again")
