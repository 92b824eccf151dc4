"""Operator endpoints for the aggregator side: provider status and balance, catalog refresh,
plans and their translations. Kept out of ``backend/app.py`` so its authentication and
request parsing stay untouched; every handler authenticates with ``Backend.operator``
(writes also check the CSRF token and Origin).

| endpoint | |
|---|---|
| ``GET /api/provider`` | the monitor's status (health, balance, low-balance flag, catalog refresh) |
| ``POST /api/provider/check`` | check the aggregator now |
| ``POST /api/catalog/refresh`` | fetch the catalog now |
| ``GET /api/plans`` | every stored plan (withdrawn ones flagged) with its translations |
| ``POST /api/plans/{plan_id}/i18n/{lang}`` | ``{"name", "benefits"}``; empty both = remove |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from backend.catalog import LANGS, CatalogService
from backend.errors import ApiError
from backend.ingest import parse_json_object
from backend.monitor import ProviderMonitor
from backend.provider import ProviderUnavailable

if TYPE_CHECKING:
    from backend.app import Backend


def _json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"cache-control": "no-store"})


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

    return [
        Route("/api/provider", status, methods=["GET"]),
        Route("/api/provider/check", check, methods=["POST"]),
        Route("/api/catalog/refresh", refresh, methods=["POST"]),
        Route("/api/plans", plans, methods=["GET"]),
        Route("/api/plans/{plan_id}/i18n/{lang}", translate, methods=["POST"]),
    ]
