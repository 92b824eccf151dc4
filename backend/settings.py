"""Backend settings: command-line options over ``SIMKIOSK_BACKEND_*`` environment variables.

The prefix is deliberately not ``KIOSK_``: those variables belong to the kiosk's own
configuration (``KIOSK_<SECTION>_<KEY>``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.errors import BackendError
from backend.providers.config import ProviderConfig
from kiosk.private_files import tighten_dir

ENV_PREFIX = "SIMKIOSK_BACKEND_"


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    if environ.get(ENV_PREFIX + "DATA_DIR"):
        return Path(environ[ENV_PREFIX + "DATA_DIR"])
    import platformdirs

    return Path(platformdirs.user_data_dir("simkiosk-backend", appauthor=False))


@dataclass(frozen=True)
class BackendSettings:
    db_url: str
    master_key_file: Path
    max_body_bytes: int = 4 * 1024 * 1024
    max_batch_events: int = 2000
    max_small_body_bytes: int = 64 * 1024  # heartbeat, lookup, top-ups
    max_skew_s: float = 300.0
    session_ttl_s: float = 8 * 3600.0
    secure_cookies: bool = False  # set when served over HTTPS (behind a TLS proxy)
    offline_after_s: float = 180.0  # a kiosk without heartbeat for this long shows offline
    db_pool_size: int = 10  # PostgreSQL connections per worker process (fixed: none opened per request)
    read_db_url: str | None = None  # a PostgreSQL read replica for the operator views
    provider: str = "simulated"
    provider_config: ProviderConfig = field(default_factory=ProviderConfig)
    #: The data directory when the SQLite database or the master key lives in it (None when
    #: both are elsewhere): it holds only the backend's private files, so it is kept 0700.
    data_dir: Path | None = None

    def secure_data_dir(self) -> None:
        """Take group and world bits off the data directory if it exists (an older release
        made it 0755 under umask 022); a missing one is created 0700 by the first writer
        (``private_dir``). Other directories (``--db``/``--master-key-file`` elsewhere,
        such as ``/etc``) are left as their owner set them."""
        if self.data_dir is not None:
            tighten_dir(self.data_dir)

    @classmethod
    def resolve(
        cls,
        *,
        db: str | None = None,
        read_db: str | None = None,
        data_dir: str | None = None,
        master_key_file: str | None = None,
        environ: Mapping[str, str] | None = None,
        provider: dict[str, Any] | None = None,
    ) -> BackendSettings:
        """``--db``/``--data-dir``/``--master-key-file``, then the environment, then defaults
        (SQLite and the master key in the per-user data directory)."""
        environ = os.environ if environ is None else environ
        base = Path(data_dir) if data_dir else default_data_dir(environ)
        url = db or environ.get(ENV_PREFIX + "DB") or f"sqlite:///{base / 'backend.sqlite3'}"
        key = master_key_file or environ.get(ENV_PREFIX + "MASTER_KEY_FILE") or str(base / "master.key")
        values: dict[str, object] = {}
        for name, typ in (("max_body_bytes", int), ("max_batch_events", int), ("max_skew_s", float),
                          ("session_ttl_s", float), ("offline_after_s", float), ("db_pool_size", int)):
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw is not None:
                try:
                    values[name] = typ(raw)
                except ValueError as exc:
                    raise BackendError(f"bad value for {ENV_PREFIX}{name.upper()}: {raw!r}",
                                       code="config_error") from exc
        if values.get("db_pool_size", 1) < 1:  # type: ignore[operator]
            raise BackendError(f"{ENV_PREFIX}DB_POOL_SIZE must be at least 1", code="config_error")
        secure = environ.get(ENV_PREFIX + "SECURE_COOKIES", "").lower() in {"1", "true", "yes", "on"}
        # the aggregator: --provider* options over SIMKIOSK_BACKEND_PROVIDER* (backend/providers/config.py)
        provider_config = ProviderConfig.resolve(environ, **(provider or {}))
        read_url = read_db or environ.get(ENV_PREFIX + "READ_DB") or None
        used = {Path(key).parent}
        if url.startswith("sqlite:///"):
            used.add(Path(url.removeprefix("sqlite:///")).parent)
        return cls(db_url=url, master_key_file=Path(key), secure_cookies=secure, read_db_url=read_url,
                   provider=provider_config.name, provider_config=provider_config,
                   data_dir=base if base in used else None, **values)  # type: ignore[arg-type]
