"""Aggregator adapters, chosen by name from configuration.

:data:`PROVIDERS` maps a name to ``(module, class)``; :func:`load` imports only the
chosen module (the HTTP adapters pull in httpx, the simulated one nothing) and
answers a typed :class:`backend.provider.ProviderConfigError` for an unknown name,
a module that cannot be imported, or credentials that cannot be used.

Every adapter class takes one :class:`backend.providers.config.ProviderConfig`.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import TYPE_CHECKING

from backend.provider import ProviderAdapter, ProviderConfigError

if TYPE_CHECKING:
    from backend.providers.config import ProviderConfig

#: name -> (module, class); imported only when chosen.
PROVIDERS: dict[str, tuple[str, str]] = {
    "simulated": ("backend.provider", "SimulatedProvider"),
    "dtone": ("backend.providers.dtone", "DTOneProvider"),
    "reloadly": ("backend.providers.reloadly", "ReloadlyProvider"),
}


def load(name: str, config: ProviderConfig | None = None) -> ProviderAdapter:
    """Build the adapter registered under ``name``."""
    from backend.providers.config import ProviderConfig

    try:
        module_name, class_name = PROVIDERS[name]
    except KeyError as exc:
        raise ProviderConfigError(f"unknown provider {name!r}; known: {', '.join(sorted(PROVIDERS))}") from exc
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ProviderConfigError(f"provider {name!r} cannot be loaded: {exc}") from exc
    if name == "simulated":
        adapter: ProviderAdapter = cls()
    else:
        config = dataclasses.replace(config, name=name) if config is not None else ProviderConfig(name=name)
        adapter = cls(config)
    return adapter
