"""The catalog the kiosks see: fetched from the aggregator, stored and versioned, with the
operators' translations attached.

The aggregator's products become plans (``docs/upstream-api.md``) through the adapter's
``catalog()``; :meth:`CatalogService.refresh` stores them (``Store.apply_catalog``): a
product that disappeared is *withdrawn* (kept in the database, no longer served, no
longer sold), one that comes back is restored. Every change, and every translation an
operator attaches, writes a new catalog version, which is what ``GET /v1/catalog``
answers in ``version``. An empty fetch never withdraws a whole catalog (an aggregator
glitch must not empty every kiosk): it is refused and logged.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

from backend.errors import ApiError, bad_request
from backend.provider import ProviderAdapter, ProviderUnavailable
from backend.store import Store

log = logging.getLogger(__name__)

#: The kiosk's language codes other than English (kiosk/i18n); English is the plan itself.
LANGS = ("zh_CN", "es")
MAX_TEXT = 120
MAX_BENEFITS = 10
_PLAN_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_CURRENCY = re.compile(r"[A-Z]{3}")


def _text(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT and value.isprintable()


def valid_plan(plan: Any) -> str | None:
    """Why an adapter's plan cannot be stored, or ``None`` when it can."""
    if not isinstance(plan, dict):
        return "not an object"
    if not isinstance(plan.get("id"), str) or not _PLAN_ID.fullmatch(plan["id"]):
        return "bad id"
    if not _text(plan.get("carrier")) or not _text(plan.get("name")):
        return "carrier and name must be short printable text"
    price = plan.get("price_cents")
    if isinstance(price, bool) or not isinstance(price, int) or not 0 < price < 10**8:
        return "bad price_cents"
    if not isinstance(plan.get("currency"), str) or not _CURRENCY.fullmatch(plan["currency"]):
        return "bad currency"
    days = plan.get("validity_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3660:
        return "bad validity_days"
    benefits = plan.get("benefits")
    if not isinstance(benefits, list) or len(benefits) > MAX_BENEFITS or not all(_text(b) for b in benefits):
        return "bad benefits"
    return None


def wire(row: dict[str, Any]) -> dict[str, Any]:
    """A stored plan in the shape of ``docs/upstream-api.md`` (``i18n`` only when present)."""
    plan = {"id": row["plan_id"], "carrier": row["carrier"], "name": row["name"],
            "price_cents": int(row["price_cents"]), "currency": row["currency"],
            "validity_days": int(row["validity_days"]), "benefits": list(row["benefits"])}
    if row.get("i18n"):
        plan["i18n"] = {lang: {k: v for k, v in text.items() if v} for lang, text in row["i18n"].items()}
    return plan


def parse_translation(lang: str, data: dict[str, Any]) -> tuple[str, list[str]]:
    """``{"name": str, "benefits": [str]}`` from the operator page, checked."""
    if lang not in LANGS:
        raise bad_request(f"lang must be one of {', '.join(LANGS)}", field="lang")
    unknown = set(data) - {"name", "benefits"}
    if unknown:
        raise bad_request(f"unknown fields {sorted(unknown)}")
    name = data.get("name", "")
    benefits = data.get("benefits", [])
    if not isinstance(name, str) or len(name) > MAX_TEXT or (name and not name.isprintable()):
        raise bad_request(f"name must be printable text of at most {MAX_TEXT} characters", field="name")
    if not isinstance(benefits, list) or len(benefits) > MAX_BENEFITS:
        raise bad_request(f"benefits must be a list of at most {MAX_BENEFITS} texts", field="benefits")
    if not all(isinstance(b, str) for b in benefits):
        raise bad_request("benefits must be texts", field="benefits")
    cleaned = [b.strip() for b in benefits if b.strip()]
    if not all(_text(b) for b in cleaned):
        raise bad_request(f"each benefit must be printable text of at most {MAX_TEXT} characters",
                          field="benefits")
    return name.strip(), cleaned


class CatalogService:
    """Refreshes, serves and translates the catalog (thread-safe; reads cached for ``cache_s``)."""

    def __init__(self, store: Store, provider: ProviderAdapter, *, cache_s: float = 5.0) -> None:
        self._store = store
        self._provider = provider
        self._cache_s = cache_s
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._cached: tuple[float, str, list[dict[str, Any]]] | None = None

    def refresh(self) -> dict[str, Any]:
        """Fetch from the aggregator and store; raises :class:`ProviderUnavailable`."""
        with self._refresh_lock:
            _version, fetched = self._provider.catalog()
            plans, seen = [], set()
            for plan in fetched:
                problem = valid_plan(plan)
                if problem is None and plan["id"] in seen:
                    problem = "duplicate id"
                if problem is not None:
                    log.warning("catalog: plan %r left out: %s", plan.get("id") if isinstance(plan, dict) else plan,
                                problem)
                    continue
                seen.add(plan["id"])
                plans.append(plan)
            if not plans and self._store.catalog_plans():
                raise ProviderUnavailable(f"{self._provider.name} returned no plans; the current catalog is kept")
            result = self._store.apply_catalog(self._provider.name, plans)
            with self._lock:
                self._cached = None
            log.info("catalog refreshed from %s: %s", self._provider.name, result)
            return result

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None

    def current(self) -> tuple[str, list[dict[str, Any]]]:
        """``(version, plans)`` as served to kiosks; fetches once when nothing is stored yet."""
        now = time.monotonic()
        with self._lock:
            if self._cached is not None and now - self._cached[0] < self._cache_s:
                return self._cached[1], self._cached[2]
        version = self._store.catalog_version()
        if version is None:
            try:
                self.refresh()
            except ProviderUnavailable as exc:
                raise ApiError(503, "catalog_unavailable", f"no catalog yet: {exc}") from exc
            version = self._store.catalog_version() or ""
        plans = [wire(r) for r in self._store.catalog_plans()]
        with self._lock:
            self._cached = (now, version, plans)
        return version, plans

    def plan(self, plan_id: str) -> dict[str, Any] | None:
        """A plan on sale (withdrawn plans are not)."""
        return next((p for p in self.current()[1] if p["id"] == plan_id), None)

    def translate(self, plan_id: str, lang: str, data: dict[str, Any], operator: str) -> dict[str, Any]:
        name, benefits = parse_translation(lang, data)
        # Only ids valid_plan would store can name a plan; anything else (a NUL, a lone
        # surrogate from the URL) never reaches the database, which would refuse it with a 5xx.
        version = (self._store.set_translation(plan_id, lang, name, benefits, operator)
                   if _PLAN_ID.fullmatch(plan_id) else None)
        if version is None:
            raise ApiError(404, "unknown_plan", f"no plan {plan_id!r} in the catalog")
        self.invalidate()
        log.info("plan translation set", extra={"operator": operator, "plan_id": plan_id, "lang": lang})
        return {"version": version, "plan_id": plan_id, "lang": lang, "name": name, "benefits": benefits}
