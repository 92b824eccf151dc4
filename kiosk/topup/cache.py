"""The last good catalog, kept in the data directory and shown while upstream is down.

:class:`CachingProvider` wraps the configured provider for *display* (the UI's plan
list, ``kiosk plans``): every catalog that arrives is stored (``catalog-cache.json``,
written atomically, only when it changed); when upstream cannot be reached the
stored plans are returned instead. Selling never relies on it: the checkout is
handed the provider itself and asks for the live catalog before it charges
anybody (docs/money.md), so a plan shown from the cache is sold only once the
provider answers again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import Any

from kiosk.errors import UpstreamUnavailable
from kiosk.ports import Account, DeviceHealth, Plan, TopUpProvider, TopUpResult
from kiosk.topup import plan_from_json, plan_to_json

log = logging.getLogger(__name__)

CACHE_FILE = "catalog-cache.json"


class CatalogCache:
    """``<data_dir>/catalog-cache.json``: ``{"saved_at": ISO, "plans": [...]}``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / CACHE_FILE

    def load(self) -> tuple[list[Plan], str] | None:
        """The cached plans and when they were saved; ``None`` when there is no usable cache."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            plans = [plan_from_json(p) for p in data["plans"]]
            return plans, str(data["saved_at"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("catalog cache %s is unusable (%s); ignoring it", self.path, exc)
            return None

    def store(self, plans: list[Plan], carrier: str | None) -> None:
        """Merge a fresh answer: all plans (``carrier`` None) or that carrier's plans."""
        old = self.load()
        kept: list[Plan] = []
        if carrier is not None and old is not None:
            wanted = carrier.casefold()
            kept = [p for p in old[0] if p.carrier.casefold() != wanted]
        merged = kept + plans
        if old is not None and [plan_to_json(p) for p in old[0]] == [plan_to_json(p) for p in merged]:
            return  # unchanged: no write (and no fsync) per catalog request
        body = {"saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "plans": [plan_to_json(p) for p in merged]}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(body, fh, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:  # a cache, not a record: the sale does not depend on it
            log.warning("cannot update the catalog cache %s: %s", self.path, exc.strerror)
            with contextlib.suppress(OSError):
                tmp.unlink()


class CachingProvider:
    """A :class:`~kiosk.ports.TopUpProvider` whose ``catalog`` falls back to the cache.

    Everything else goes to the wrapped provider unchanged (attributes too, e.g. the
    simulator's ``set_control``). ``stale_since`` is set while the last catalog came
    from the cache. Never hand this to the checkout: it must see upstream as it is.
    """

    def __init__(self, inner: TopUpProvider, cache: CatalogCache) -> None:
        self.inner = inner
        self.cache = cache
        self.stale_since: str | None = None
        #: Why the last catalog came from the cache (upstream's error, one line).
        self.stale_reason: str | None = None

    def catalog(self, carrier: str | None = None) -> list[Plan]:
        try:
            plans = self.inner.catalog(carrier)
        except UpstreamUnavailable as exc:
            cached = self.cache.load()
            if cached is None:
                raise
            wanted = carrier.casefold() if carrier else None
            plans = [p for p in cached[0] if wanted is None or p.carrier.casefold() == wanted]
            if not plans and wanted is not None:
                raise  # never seen that carrier's plans: nothing to show
            self.stale_since, self.stale_reason = cached[1], exc.message
            # to the log file only: `kiosk plans` says so in its own one line (with the reason)
            log.warning("upstream catalog unavailable (%s); showing the catalog saved at %s",
                        exc, cached[1], extra={"on_stderr": False})
            return plans
        self.stale_since = self.stale_reason = None
        self.cache.store(plans, carrier)
        return plans

    def lookup(self, *, iccid: str | None = None, msisdn: str | None = None) -> Account | None:
        return self.inner.lookup(iccid=iccid, msisdn=msisdn)

    def submit(self, key: str, account: Account, plan: Plan) -> TopUpResult:
        return self.inner.submit(key, account, plan)

    def status(self, key: str) -> TopUpResult:
        return self.inner.status(key)

    def health(self) -> DeviceHealth:
        return self.inner.health()

    def close(self) -> None:
        closer = getattr(self.inner, "close", None)
        if callable(closer):
            closer()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
