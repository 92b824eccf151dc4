"""Configuration: one TOML file plus ``KIOSK_<SECTION>_<KEY>`` environment overrides.

The schema below is the single source of truth; ``deploy/kiosk.example.toml``
documents every key and a test keeps the two in step. Key names are a contract
with operators' scripts: add keys freely, rename none. Validation happens once
at start and fails with one line naming the key and where it came from.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from kiosk.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("/etc/simkiosk/kiosk.toml")
DEPLOYED_DATA_DIR = Path("/var/lib/simkiosk")
ENV_PREFIX = "KIOSK_"
#: Environment variables with the prefix that are not configuration keys.
ENV_NOT_KEYS = frozenset({"KIOSK_CONFIG", "KIOSK_DATA_DIR"})

#: The languages the kiosk can speak (each has a translation catalogue).
LANGUAGES: tuple[str, ...] = ("en", "zh_CN", "es")


def _choices(*values: str) -> dict[str, Any]:
    return {"choices": values}


@dataclass(frozen=True)
class KioskSection:
    id: str = "KIOSK-0001"
    location: str = "Demo location"
    currency: str = "USD"
    languages: list[str] = field(default_factory=lambda: ["en", "zh_CN", "es"])
    idle_timeout_s: float = 45.0
    idle_countdown_s: float = 15.0
    support_contact: str = "support@simkiosk.example"
    timezone: str = ""  # IANA name for receipt times, e.g. "America/New_York"; "" = the system's
    payment_silence_s: float = 30.0  # no terminal message this long: "not responding", Cancel
    success_timeout_s: float = 60.0  # the success screen (two QR codes) goes back by itself
    take_sim_timeout_s: float = 30.0  # "take your SIM card" waits this long for the removal


@dataclass(frozen=True)
class ReaderSection:
    backend: str = field(default="pcsc", metadata=_choices("pcsc", "simulated"))
    name_filter: str = ""
    apdu_timeout_s: float = 2.0
    read_timeout_s: float = 10.0
    simulated_card: str = ""  # simulated backend: test SIM in the slot at start ("" = empty)


@dataclass(frozen=True)
class TerminalSection:
    backend: str = field(default="zvt", metadata=_choices("zvt", "simulated"))
    port: str = "/dev/kiosk-terminal"
    baud: int = 9600
    bytesize: int = 8
    parity: str = field(default="N", metadata=_choices("N", "E", "O"))
    stopbits: int = 2
    password: str = "000000"
    ack_timeout_s: float = 5.0
    master_timeout_s: float = 180.0
    preauth: bool = False


@dataclass(frozen=True)
class PrinterSection:
    backend: str = field(default="escpos", metadata=_choices("escpos", "file", "none"))
    port: str = "/dev/kiosk-printer"
    path: str = ""
    timeout_s: float = 5.0


@dataclass(frozen=True)
class ProviderSection:
    backend: str = field(default="upstream", metadata=_choices("upstream", "simulated"))
    timeout_s: float = 15.0


@dataclass(frozen=True)
class UpstreamSection:
    url: str = ""
    secret_file: str = "/etc/simkiosk/secret"
    timeout_s: float = 10.0
    sync_interval_s: float = 30.0
    heartbeat_interval_s: float = 60.0
    batch_size: int = 1000


@dataclass(frozen=True)
class LedgerSection:
    url: str = ""


@dataclass(frozen=True)
class ReceiptSection:
    url_template: str = "https://receipts.simkiosk.example/r/{txn_id}"


@dataclass(frozen=True)
class TechnicianSection:
    pin_hash: str = ""
    operator_pin_hash: str = ""  # argon2id hash of the operator PIN ("" = no operator role)


@dataclass(frozen=True)
class LoggingSection:
    level: str = field(default="INFO", metadata=_choices("DEBUG", "INFO", "WARNING", "ERROR"))


@dataclass(frozen=True)
class Settings:
    kiosk: KioskSection = field(default_factory=KioskSection)
    reader: ReaderSection = field(default_factory=ReaderSection)
    terminal: TerminalSection = field(default_factory=TerminalSection)
    printer: PrinterSection = field(default_factory=PrinterSection)
    provider: ProviderSection = field(default_factory=ProviderSection)
    upstream: UpstreamSection = field(default_factory=UpstreamSection)
    ledger: LedgerSection = field(default_factory=LedgerSection)
    receipt: ReceiptSection = field(default_factory=ReceiptSection)
    technician: TechnicianSection = field(default_factory=TechnicianSection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    source: str = field(default="defaults", compare=False)

    def demo(self) -> Settings:
        """The same settings with every device simulated and no server needed."""
        return dataclasses.replace(
            self,
            reader=dataclasses.replace(self.reader, backend="simulated"),
            terminal=dataclasses.replace(self.terminal, backend="simulated"),
            printer=dataclasses.replace(self.printer, backend="file"),
            provider=dataclasses.replace(self.provider, backend="simulated"),
            upstream=dataclasses.replace(self.upstream, url=""),
        )


SECTIONS: dict[str, type] = {
    name: typ for name, typ in get_type_hints(Settings).items() if name != "source"
}


def _coerce(value: Any, typ: Any, where: str) -> Any:
    """Check a TOML value (or parse an environment string) against the schema type."""
    from_env = isinstance(value, str) and where.startswith("environment")
    if typ is bool:
        if from_env:
            lowered = value.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
        if isinstance(value, bool):
            return value
        raise ValueError("expected true or false")
    if typ is int:
        if from_env:
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected an integer")
        return value
    if typ is float:
        if from_env:
            value = float(value.strip())
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("expected a number")
        return float(value)
    if typ is str:
        if not isinstance(value, str):
            raise ValueError("expected a string")
        return value
    if get_origin(typ) is list:
        (item,) = get_args(typ)
        if from_env:
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise ValueError("expected a list")
        return [_coerce(v, item, "file") for v in value]
    raise TypeError(f"unsupported schema type {typ!r}")


def _build_section(name: str, raw: Mapping[str, tuple[Any, str]]) -> Any:
    cls = SECTIONS[name]
    hints = get_type_hints(cls)
    fields_by_name = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, (value, where) in raw.items():
        if key not in fields_by_name:
            raise ConfigError(f"unknown key [{name}] {key} in {where}")
        try:
            coerced = _coerce(value, hints[key], where)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"bad value for [{name}] {key} in {where}: {exc}") from exc
        choices = fields_by_name[key].metadata.get("choices")
        if choices and coerced not in choices:
            raise ConfigError(
                f"bad value for [{name}] {key} in {where}: {coerced!r} is not one of "
                + ", ".join(choices)
            )
        if isinstance(coerced, int | float) and not isinstance(coerced, bool) and coerced < 0:
            raise ConfigError(f"bad value for [{name}] {key} in {where}: must not be negative")
        values[key] = coerced
    return cls(**values)


def load_settings(path: Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``path`` (may be ``None``: defaults only) and apply ``KIOSK_*`` overrides."""
    environ = os.environ if environ is None else environ
    raw: dict[str, dict[str, tuple[Any, str]]] = {name: {} for name in SECTIONS}
    source = "defaults"
    if path is not None:
        source = str(path)
        import tomllib  # ~10 ms: only when there is a file to read

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"configuration file not found: {path}") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from exc
        for section, body in data.items():
            if section not in SECTIONS:
                raise ConfigError(f"unknown section [{section}] in {path}")
            if not isinstance(body, dict):
                raise ConfigError(f"[{section}] in {path} must be a table")
            for key, value in body.items():
                raw[section][key] = (value, str(path))
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX) or var in ENV_NOT_KEYS:
            continue
        section, _, key = var[len(ENV_PREFIX) :].lower().partition("_")
        if section not in SECTIONS or not key:
            continue  # not ours (e.g. KIOSK_TEST_SOMETHING used by a tool)
        raw[section][key] = (value, f"environment variable {var}")
    sections = {name: _build_section(name, raw[name]) for name in SECTIONS}
    settings = Settings(**sections, source=source)
    _check_cross_field(settings)
    return settings


def _check_cross_field(settings: Settings) -> None:
    known = set(LANGUAGES)
    for lang in settings.kiosk.languages:
        if lang not in known:
            raise ConfigError(
                f"bad value for [kiosk] languages in {settings.source}: {lang!r} is not one of "
                + ", ".join(sorted(known))
            )
    if settings.kiosk.timezone:
        import zoneinfo  # only when a time zone is configured

        try:
            zoneinfo.ZoneInfo(settings.kiosk.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"bad value for [kiosk] timezone in {settings.source}: "
                f"{settings.kiosk.timezone!r} is not an IANA time zone (e.g. America/New_York)"
            ) from exc
    if len(settings.kiosk.currency) != 3 or not settings.kiosk.currency.isalpha():
        raise ConfigError(
            f"bad value for [kiosk] currency in {settings.source}: expected an ISO-4217 code"
        )


def resolve_config_path(cli_value: str | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """``--config``, then ``KIOSK_CONFIG``, then ``/etc/simkiosk/kiosk.toml`` if present."""
    environ = os.environ if environ is None else environ
    if cli_value:
        return Path(cli_value)
    if environ.get("KIOSK_CONFIG"):
        return Path(environ["KIOSK_CONFIG"])
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None


def resolve_data_dir(
    cli_value: str | None,
    *,
    demo: bool,
    config_path: Path | None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """``--data-dir``, then ``KIOSK_DATA_DIR``; else ``/var/lib/simkiosk`` for a deployed
    kiosk (one running from a configuration file, not in demo mode) and a per-user
    data directory otherwise."""
    environ = os.environ if environ is None else environ
    if cli_value:
        return Path(cli_value)
    if environ.get("KIOSK_DATA_DIR"):
        return Path(environ["KIOSK_DATA_DIR"])
    if config_path is not None and not demo:
        return DEPLOYED_DATA_DIR
    import platformdirs

    return Path(platformdirs.user_data_dir("simkiosk", appauthor=False))


def read_secret(path: str) -> bytes:
    """Read the upstream HMAC secret; refuses a world-readable file."""
    p = Path(path)
    try:
        mode = p.stat().st_mode
        data = p.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"cannot read [upstream] secret_file {path}: {exc.strerror}") from exc
    if mode & 0o004:
        raise ConfigError(f"[upstream] secret_file {path} is world-readable; chmod 600 it")
    if not data:
        raise ConfigError(f"[upstream] secret_file {path} is empty")
    return data
