"""Aggregator configuration: environment, credentials file, base URL, timeouts, thresholds.

Resolved from ``kiosk-backend`` options over ``SIMKIOSK_BACKEND_PROVIDER_*`` environment
variables (see ``docs/backend.md``). Credentials live in a JSON file that must not be
readable by group or others; the adapter refuses it otherwise with one clear line.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from backend.provider import ProviderConfigError

ENV_PREFIX = "SIMKIOSK_BACKEND_"
ENVIRONMENTS = ("sandbox", "production")


@dataclass(frozen=True)
class ProviderConfig:
    name: str = "simulated"
    environment: str = "sandbox"  # sandbox | production
    credentials_file: Path | None = None
    base_url: str = ""  # empty: the aggregator's documented URL for the environment
    auth_url: str = ""  # Reloadly only; empty: the documented token URL
    connect_timeout_s: float = 3.0
    timeout_s: float = 4.0  # per request; DT One's create + ask + confirm fit the kiosk's 15 s
    pool_size: int = 10
    country: str = "US"
    low_balance_cents: int = 10_000  # operator page warns under this prepaid balance
    catalog_refresh_s: float = 3600.0
    check_interval_s: float = 300.0

    #: environment variable suffix -> (field, type)
    ENV: ClassVar[dict[str, tuple[str, Any]]] = {
        "PROVIDER": ("name", str), "PROVIDER_ENV": ("environment", str),
        "PROVIDER_CREDENTIALS_FILE": ("credentials_file", Path), "PROVIDER_BASE_URL": ("base_url", str),
        "PROVIDER_AUTH_URL": ("auth_url", str), "PROVIDER_CONNECT_TIMEOUT_S": ("connect_timeout_s", float),
        "PROVIDER_TIMEOUT_S": ("timeout_s", float), "PROVIDER_POOL_SIZE": ("pool_size", int),
        "LOW_BALANCE_CENTS": ("low_balance_cents", int), "CATALOG_REFRESH_S": ("catalog_refresh_s", float),
        "PROVIDER_CHECK_S": ("check_interval_s", float),
    }

    @classmethod
    def resolve(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ProviderConfig:
        """Options (``overrides`` that are not ``None``) over the environment over defaults."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for suffix, (field, typ) in cls.ENV.items():
            raw = environ.get(ENV_PREFIX + suffix)
            if raw is None or raw == "":
                continue
            try:
                values[field] = typ(raw)
            except ValueError as exc:
                raise ProviderConfigError(f"bad value for {ENV_PREFIX}{suffix}: {raw!r}") from exc
        known = {f.name for f in fields(cls)}
        values.update({k: (Path(v) if k == "credentials_file" else v)
                       for k, v in overrides.items() if v is not None and k in known})
        config = cls(**values)
        if config.environment not in ENVIRONMENTS:
            raise ProviderConfigError(f"provider environment must be one of {', '.join(ENVIRONMENTS)}, "
                                      f"not {config.environment!r}")
        if config.timeout_s <= 0 or config.connect_timeout_s <= 0:
            raise ProviderConfigError("provider timeouts must be positive")
        return config


def read_credentials(config: ProviderConfig, required: tuple[str, ...]) -> dict[str, str]:
    """The credentials JSON object; refuses a missing, group/world-readable or incomplete file."""
    path = config.credentials_file
    env = ENV_PREFIX + "PROVIDER_CREDENTIALS_FILE"
    if path is None:
        raise ProviderConfigError(f"{config.name}: no credentials file; give --provider-credentials FILE "
                                  f"or {env}")
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProviderConfigError(f"{config.name}: cannot read credentials file {path}: {exc.strerror}") from exc
    if stat.S_IMODE(mode) & 0o077:
        raise ProviderConfigError(f"{config.name}: credentials file {path} has mode {stat.S_IMODE(mode):04o}; "
                                  "it must be 0600 (chmod 600 it)")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProviderConfigError(f"{config.name}: credentials file {path} is not JSON") from exc
    if not isinstance(data, dict):
        raise ProviderConfigError(f"{config.name}: credentials file {path} must hold a JSON object")
    missing = [k for k in required if not isinstance(data.get(k), str) or not data[k]]
    if missing:
        raise ProviderConfigError(f"{config.name}: credentials file {path} lacks {', '.join(missing)}")
    return {k: str(data[k]) for k in required}
