"""Top-up fulfilment behind a provider adapter (the carrier aggregator side of the backend).

The store owns the money rules of ``docs/upstream-api.md`` (record the key before
calling, at most once per key, the not-found fence); an adapter only talks to the
aggregator: :meth:`ProviderAdapter.perform` one top-up, :meth:`ProviderAdapter.check`
a pending one, :meth:`ProviderAdapter.health` reachability and prepaid balance.
Adapters are chosen by name from :data:`backend.providers.PROVIDERS` and imported
lazily; the simulated one ships in the package with deterministic faults keyed on
the phone number's last four digits (see ``backend/data/simulated_provider.json``).

An adapter that must take a second step with a side effect (DT One's *confirm*)
first journals the aggregator's transaction id through :class:`Journal`; the
journal refuses once the key is no longer pending, so a late first step can never
be completed for a top-up already answered ``failed``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from backend.errors import BackendError

if TYPE_CHECKING:
    from backend.providers.config import ProviderConfig

DATA_FILE = Path(__file__).with_name("data") / "simulated_provider.json"


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
    """The aggregator's answer. ``pending`` means not known yet (never a guess).

    ``by_absence``: a failure concluded from the aggregator having *no* transaction for
    the key; it is applied only while no aggregator transaction id is journaled for it."""

    status: str  # "pending" | "succeeded" | "failed"
    failure_kind: str | None = None
    provider_ref: str | None = None
    message: str = ""
    by_absence: bool = False


class Journal(Protocol):
    """Durable notes an adapter takes before a side effect (see the module docstring)."""

    def note_ref(self, key: str, provider_ref: str) -> bool:
        """Record the aggregator's transaction id for a pending key; ``False`` when the key
        is no longer pending or already carries another id (then do not go on)."""
        ...


class NoJournal:
    """For callers without a store (``providers check``, unit tests): always allows."""

    def note_ref(self, key: str, provider_ref: str) -> bool:
        return True


@dataclass(frozen=True)
class ProviderHealth:
    """One reachability/authentication/balance check of the aggregator."""

    provider: str
    environment: str
    reachable: bool
    authenticated: bool
    balance_cents: int | None
    currency: str | None
    detail: str
    checked_at: str

    @property
    def ok(self) -> bool:
        return self.reachable and self.authenticated

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


class ProviderUnavailable(BackendError):
    """The aggregator could not be asked; the record stays pending."""

    code = "provider_unavailable"


class ProviderConfigError(BackendError):
    """An adapter cannot be built: unknown name, missing or exposed credentials."""

    code = "config_error"


def utc_now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ProviderAdapter(ABC):
    """Base class: subclasses implement the hooks; callers use the public methods."""

    name = "adapter"
    environment = "-"

    def catalog(self) -> tuple[str, list[dict[str, Any]]]:
        """``(version, plans)`` as ``docs/upstream-api.md`` shapes them (no ``i18n``: the
        backend's operators attach translations)."""
        return self._catalog()

    def lookup(self, iccid: str | None, msisdn: str | None) -> dict[str, Any] | None:
        return self._lookup(iccid, msisdn)

    def plan(self, plan_id: str) -> dict[str, Any] | None:
        return next((p for p in self._catalog()[1] if p["id"] == plan_id), None)

    def perform(self, request: TopUpRequest, journal: Journal | None = None) -> Outcome:
        """Ask the aggregator for one top-up; raise :class:`ProviderUnavailable` when it
        cannot be asked, answer ``pending`` when its answer is unclear."""
        return self._perform(request, journal or NoJournal())

    def check(self, request: TopUpRequest, provider_ref: str | None, journal: Journal | None = None) -> Outcome:
        """The current outcome of a top-up left pending (asked by our key, never redone)."""
        return self._check(request, provider_ref, journal or NoJournal())

    def health(self) -> ProviderHealth:
        """Reachability, authentication and prepaid balance; never raises."""
        return self._health()

    def close(self) -> None:  # noqa: B027 - optional hook: adapters without connections keep it
        """Release connections (idempotent)."""

    def _health(self) -> ProviderHealth:
        return ProviderHealth(self.name, self.environment, True, True, None, None, "no remote aggregator",
                              utc_now_text())

    @abstractmethod
    def _catalog(self) -> tuple[str, list[dict[str, Any]]]: ...

    @abstractmethod
    def _lookup(self, iccid: str | None, msisdn: str | None) -> dict[str, Any] | None: ...

    @abstractmethod
    def _perform(self, request: TopUpRequest, journal: Journal) -> Outcome: ...

    @abstractmethod
    def _check(self, request: TopUpRequest, provider_ref: str | None, journal: Journal) -> Outcome: ...


class SimulatedProvider(ProviderAdapter):
    """Deterministic aggregator: the accounts and plans of the data file; a number ending in
    one of the ``faults`` suffixes gets that outcome; a pending one succeeds on first check.

    ``calls`` counts performed top-ups per key, so tests can prove "at most once"."""

    name = "simulated"
    environment = "simulated"

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

    def _perform(self, request: TopUpRequest, journal: Journal) -> Outcome:
        with self._lock:
            self.calls[request.key] = self.calls.get(request.key, 0) + 1
        fault = self._faults.get(request.msisdn[-4:])
        if fault is not None:
            ref = self._ref(request.carrier) if fault["status"] == "pending" else None
            return Outcome(fault["status"], fault.get("failure_kind"), ref, fault.get("message", ""))
        return Outcome("succeeded", None, self._ref(request.carrier), "topped up")

    def _check(self, request: TopUpRequest, provider_ref: str | None, journal: Journal) -> Outcome:
        return Outcome("succeeded", None, provider_ref or self._ref(request.carrier), "topped up")


def load_provider(name: str, config: ProviderConfig | None = None) -> ProviderAdapter:
    """The adapter registered under ``name`` (see :mod:`backend.providers`)."""
    from backend.providers import load

    return load(name, config)
