"""Operator endpoints for the aggregator side: provider status and balance, catalog refresh,
plans and their translations. Kept out of ``backend/app.py`` so its authentication and
request parsing stay untouched; every handler authenticates with ``Backend.operator``
(writes also check the CSRF token and Origin).

| endpoint | |
|---|---|
| ``GET /api/provider`` | the fleet's last stored check (health, balance, low-balance flag) and catalog refresh |
| ``POST /api/provider/check`` | check the aggregator now (``409 check_in_progress`` while another process does) |
| ``POST /api/catalog/refresh`` | fetch the catalog now (``409 refresh_in_progress`` while another process does) |
| ``GET /api/plans`` | every stored plan (withdrawn ones flagged) with its translations |
| ``POST /api/plans/{plan_id}/i18n/{lang}`` | ``{"name", "benefits"}``; empty both = remove |
| ``GET /api/topups/pending`` | records still pending (numbers masked) and the latest settlements |
| ``POST /api/topups/{key}/settle`` | ``{"outcome": "failed", "reason"}``: settle a key the aggregator never saw |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from backend.catalog import LANGS, CatalogService
from backend.errors import ApiError, bad_request
from backend.ingest import parse_json_object
from backend.monitor import ProviderMonitor
from backend.provider import ProviderUnavailable
from kiosk.privacy import mask_msisdn

if TYPE_CHECKING:
    from backend.app import Backend


def _json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"cache-control": "no-store"})


PENDING_FIELDS = ("key", "kiosk_id", "created_at", "updated_at", "carrier", "msisdn", "plan_id", "amount_cents",
                  "currency", "provider_ref", "message")


def pending_row(row: dict[str, Any]) -> dict[str, Any]:
    """A pending record for the operator's list: the number masked (the key names the sale)."""
    out = {name: row.get(name) for name in PENDING_FIELDS}
    out["msisdn"] = mask_msisdn(out["msisdn"])
    return out


def provider_routes(backend: Backend, monitor: ProviderMonitor, catalog: CatalogService,
                    max_body: int) -> list[Route]:
    def status(request: Request) -> Response:
        backend.operator(request, write=False)
        return _json(monitor.status())

    def check(request: Request) -> Response:
        backend.operator(request, write=True)
        monitor.check_now()
        return _json(monitor.status())

    def refresh(request: Request) -> Response:
        backend.operator(request, write=True)
        try:
            result = monitor.refresh_catalog()
        except ProviderUnavailable as exc:
            raise ApiError(503, "provider_unavailable", f"catalog not refreshed: {exc}") from exc
        return _json(result)

    def plans(request: Request) -> Response:
        backend.operator(request, write=False)
        rows = backend.store.catalog_plans(include_withdrawn=True)
        return _json({"version": backend.store.catalog_version(), "langs": list(LANGS), "plans": rows})

    async def translate(request: Request) -> Response:
        from backend.app import read_body

        body = await read_body(request, max_body)

        def work() -> dict[str, Any]:
            name = backend.operator(request, write=True)
            return catalog.translate(request.path_params["plan_id"], request.path_params["lang"],
                                     parse_json_object(body), name)

        return _json(await run_in_threadpool(work))

    def pending_topups(request: Request) -> Response:
        backend.operator(request, write=False)
        return _json({"pending": [pending_row(r) for r in backend.topups.pending()],
                      "settlements": backend.store.topup_settlements(limit=50)})

    async def settle(request: Request) -> Response:
        from backend.app import read_body

        body = await read_body(request, max_body)

        def work() -> dict[str, Any]:
            name = backend.operator(request, write=True)
            data = parse_json_object(body)
            unknown = set(data) - {"outcome", "reason"}
            if unknown:
                raise bad_request(f"unknown fields {sorted(unknown)}")
            if data.get("outcome") != "failed":
                raise bad_request('outcome must be "failed" (the only settlement an operator can make)',
                                  field="outcome")
            reason = data.get("reason")
            if not isinstance(reason, str):
                raise bad_request("reason must be a string", field="reason")
            return backend.topups.settle_unseen(request.path_params["key"], name, reason)

        return _json(await run_in_threadpool(work))

    return [
        Route("/api/topups/pending", pending_topups, methods=["GET"]),
        Route("/api/topups/{key}/settle", settle, methods=["POST"]),
        Route("/api/provider", status, methods=["GET"]),
        Route("/api/provider/check", check, methods=["POST"]),
        Route("/api/catalog/refresh", refresh, methods=["POST"]),
        Route("/api/plans", plans, methods=["GET"]),
        Route("/api/plans/{plan_id}/i18n/{lang}", translate, methods=["POST"]),
    ]
