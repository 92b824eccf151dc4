"""Top-up fulfilment behind a provider adapter (the carrier aggregator side of the backend).

The store owns the money rules of ``docs/upstream-api.md`` (record the key before
calling, at most once per key, the not-found fence); an adapter only talks to the
aggregator: :meth:`ProviderAdapter.perform` one top-up, :meth:`ProviderAdapter.check`
a pending one. Adapters are chosen by name from :data:`PROVIDERS` and imported
lazily; the simulated one ships in the package with deterministic faults keyed on
the phone number's last four digits (see ``backend/data/simulated_provider.json``).
"""

from __future__ import annotations

import importlib
import itertools
import json
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.errors import BackendError

DATA_FILE = Path(__file__).with_name("data") / "simulated_provider.json"

#: name -> (module, class); imported only when chosen.
PROVIDERS: dict[str, tuple[str, str]] = {
    "simulated": ("backend.provider", "SimulatedProvider"),
}


@dataclass(frozen=True)
class TopUpRequest:
    key: str
    msisdn: str
    carrier: str
    iccid: str | None
    plan_id: str
    amount_cents: int
    currency: str
    kiosk_id: str


@dataclass(frozen=True)
class Outcome:
    """The aggregator's answer. ``pending`` means not known yet (never a guess)."""

    status: str  # "pending" | "succeeded" | "failed"
    failure_kind: str | None = None
    provider_ref: str | None = None
    message: str = ""


class ProviderUnavailable(BackendError):
    """The aggregator could not be asked; the record stays pending."""

    code = "provider_unavailable"


class ProviderAdapter(ABC):
    """Base class: subclasses implement the hooks; callers use the public methods."""

    def catalog(self) -> tuple[str, list[dict[str, Any]]]:
        """``(version, plans)`` as ``docs/upstream-api.md`` shapes them."""
        return self._catalog()

    def lookup(self, iccid: str | None, msisdn: str | None) -> dict[str, Any] | None:
        return self._lookup(iccid, msisdn)

    def plan(self, plan_id: str) -> dict[str, Any] | None:
        return next((p for p in self._catalog()[1] if p["id"] == plan_id), None)

    def perform(self, request: TopUpRequest) -> Outcome:
        """Ask the aggregator for one top-up; raise :class:`ProviderUnavailable` when it
        cannot be asked, answer ``pending`` when its answer is unclear."""
        return self._perform(request)

    def check(self, request: TopUpRequest, provider_ref: str | None) -> Outcome:
        """The current outcome of a top-up left pending."""
        return self._check(request, provider_ref)

    @abstractmethod
    def _catalog(self) -> tuple[str, list[dict[str, Any]]]: ...

    @abstractmethod
    def _lookup(self, iccid: str | None, msisdn: str | None) -> dict[str, Any] | None: ...

    @abstractmethod
    def _perform(self, request: TopUpRequest) -> Outcome: ...

    @abstractmethod
    def _check(self, request: TopUpRequest, provider_ref: str | None) -> Outcome: ...


class SimulatedProvider(ProviderAdapter):
    """Deterministic aggregator: the accounts and plans of the data file; a number ending in
    one of the ``faults`` suffixes gets that outcome; a pending one succeeds on first check.

    ``calls`` counts performed top-ups per key, so tests can prove "at most once"."""

    def __init__(self, data_file: Path = DATA_FILE) -> None:
        data = json.loads(data_file.read_text(encoding="utf-8"))
        self._version: str = data["version"]
        self._plans: list[dict[str, Any]] = data["plans"]
        self._accounts: list[dict[str, Any]] = data["accounts"]
        self._faults: dict[str, dict[str, Any]] = {
            k: v for k, v in data["faults"].items() if k != "comment"}
        self._refs = itertools.count(100001)
        self._lock = threading.Lock()
        self.calls: dict[str, int] = {}

    def _catalog(self) -> tuple[str, list[dict[str, Any]]]:
        return self._version, [dict(p) for p in self._plans]

    def _lookup(self, iccid: str | None, msisdn: str | None) -> dict[str, Any] | None:
        for account in self._accounts:
            if (iccid and account["iccid"] == iccid) or (msisdn and account["msisdn"] == msisdn):
                return dict(account)
        return None

    def _ref(self, carrier: str) -> str:
        prefix = "".join(c for c in carrier.upper() if c.isalnum())[:4] or "SIM"
        with self._lock:
            return f"{prefix}-{next(self._refs)}"

    def _perform(self, request: TopUpRequest) -> Outcome:
        with self._lock:
            self.calls[request.key] = self.calls.get(request.key, 0) + 1
        fault = self._faults.get(request.msisdn[-4:])
        if fault is not None:
            ref = self._ref(request.carrier) if fault["status"] == "pending" else None
            return Outcome(fault["status"], fault.get("failure_kind"), ref, fault.get("message", ""))
        return Outcome("succeeded", None, self._ref(request.carrier), "topped up")

    def _check(self, request: TopUpRequest, provider_ref: str | None) -> Outcome:
        return Outcome("succeeded", None, provider_ref or self._ref(request.carrier), "topped up")


def load_provider(name: str) -> ProviderAdapter:
    """The adapter registered under ``name``; a typed error when unknown or missing."""
    try:
        module_name, class_name = PROVIDERS[name]
    except KeyError as exc:
        raise BackendError(f"unknown provider {name!r}; known: {', '.join(sorted(PROVIDERS))}",
                           code="config_error") from exc
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise BackendError(f"provider {name!r} cannot be loaded: {exc}", code="config_error") from exc
    adapter: ProviderAdapter = cls()
    return adapter
