"""Configuration: one TOML file plus ``KIOSK_<SECTION>_<KEY>`` environment overrides.

The schema below is the single source of truth; ``deploy/kiosk.example.toml``
documents every key and a test keeps the two in step. Key names are a contract
with operators' scripts: add keys freely, rename none. Validation happens once
at start and fails with one line naming the key and where it came from.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from kiosk.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("/etc/simkiosk/kiosk.toml")
DEPLOYED_DATA_DIR = Path("/var/lib/simkiosk")
ENV_PREFIX = "KIOSK_"
#: Environment variables with the prefix that are not configuration keys.
ENV_NOT_KEYS = frozenset({"KIOSK_CONFIG", "KIOSK_DATA_DIR"})

#: The languages the kiosk can speak (each has a translation catalogue).
LANGUAGES: tuple[str, ...] = ("en", "zh_CN", "es")


def _choices(*values: object) -> dict[str, Any]:
    return {"choices": values}


def _timeout(most: float) -> dict[str, Any]:
    """A duration in seconds: more than 0, at most ``most`` (documented in the example file)."""
    return {"range": (0.0, most, False)}


def _between(least: float, most: float) -> dict[str, Any]:
    """A number from ``least`` to ``most``, both included (sizes: ``least`` >= 1)."""
    return {"range": (least, most, True)}


def _check(fn: Callable[[Any], str | None], **more: Any) -> dict[str, Any]:
    """A validator: returns why the value is wrong, or ``None``."""
    return {"check": fn, **more}


# --------------------------------------------------------------------------- value checks

_KIOSK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SAMPLE_TXN_ID = "00000000-0000-4000-8000-000000000000"
TEMPLATE_FIELDS = ("txn_id", "kiosk_id")


def _kiosk_id(value: str) -> str | None:
    if not _KIOSK_ID.fullmatch(value):
        return "expected 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    return None


def _currency(value: str) -> str | None:
    return None if re.fullmatch(r"[A-Z]{3}", value) else "expected an ISO-4217 code in capitals, e.g. USD"


def _not_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def _zvt_password(value: str) -> str | None:
    return None if re.fullmatch(r"[0-9]{6}", value) else "expected the terminal's 6-digit password"


def _argon2id(value: str) -> str | None:
    if value and not value.startswith("$argon2id$"):
        return "expected an argon2id hash (make one with `kiosk technician hash-pin`)"
    return None


def _http_url(value: str) -> str | None:
    if not value:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return f"not a URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "expected http(s)://host[:port][/path] or empty"
    if parts.query or parts.fragment:
        return "expected no query or fragment"
    return None


def ledger_url_problem(value: str) -> str | None:
    """Why ``value`` cannot hold the ledger (the URL itself is never echoed: it may hold a password)."""
    if not value:
        return None
    scheme, sep, rest = value.partition("://")
    if not sep:
        return "expected sqlite:///PATH or postgresql://USER@HOST/DB (or empty for the data directory)"
    if scheme == "sqlite":
        path = rest[1:] if rest.startswith("/") else ""
        if not path:
            return "a SQLite ledger needs a file: sqlite:///relative/path or sqlite:////absolute/path"
        if path.startswith(":memory:") or "mode=memory" in path:
            return "an in-memory SQLite ledger would lose every transaction"
        return None
    if scheme in ("postgresql", "postgresql+psycopg"):
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018
        except ValueError as exc:
            return f"not a PostgreSQL URL: {exc}"
        if not parts.hostname and "host=" not in parts.query:
            return "a PostgreSQL URL names a host: postgresql://USER@HOST/DB"
        return None
    return f"scheme {scheme!r} is not supported: use sqlite:///PATH or postgresql://USER@HOST/DB"


def _url_template(value: str) -> str | None:
    """Rendered once at start with sample values, exactly as receipts render it."""
    try:
        for _text, name, spec, conversion in string.Formatter().parse(value):
            if name is None:
                continue
            if name not in TEMPLATE_FIELDS or spec or conversion:
                return (f"placeholder {{{name}{'!' + conversion if conversion else ''}"
                        f"{':' + spec if spec else ''}}} is not allowed; use {{txn_id}} and {{kiosk_id}}")
        url = value.format(txn_id=SAMPLE_TXN_ID, kiosk_id="KIOSK-0001")
    except (ValueError, KeyError, IndexError) as exc:
        return f"cannot be rendered ({exc}); use {{txn_id}} and {{kiosk_id}}, and {{{{ }}}} for a brace"
    if SAMPLE_TXN_ID not in url:
        return "must contain {txn_id} (each receipt needs its own link)"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018
    except ValueError as exc:
        return f"renders to {url!r}, not a URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"renders to {url!r}: expected an http(s)://host/... link"
    return None


def printer_port_problem(value: str) -> str | None:
    if value.startswith("usb:"):
        if not re.fullmatch(r"usb:(0x)?[0-9A-Fa-f]{1,4}:(0x)?[0-9A-Fa-f]{1,4}", value):
            return "expected usb:VID:PID in hex, e.g. usb:04b8:0e15"
        return None
    if value.startswith("tcp://"):
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018
        except ValueError as exc:
            return f"not a tcp://host[:port] address: {exc}"
        return None if parts.hostname and not parts.path.strip("/") else "expected tcp://host[:port]"
    if value.startswith("/"):
        return None
    return "expected a device path (/dev/...), usb:VID:PID or tcp://host[:port]"


@dataclass(frozen=True)
class KioskSection:
    id: str = field(default="KIOSK-0001", metadata=_check(_kiosk_id))
    location: str = "Demo location"
    currency: str = field(default="USD", metadata=_check(_currency))
    languages: list[str] = field(default_factory=lambda: ["en", "zh_CN", "es"])
    idle_timeout_s: float = field(default=45.0, metadata=_timeout(3600))
    idle_countdown_s: float = field(default=15.0, metadata=_timeout(600))
    support_contact: str = field(default="support@simkiosk.example", metadata=_check(_not_empty))
    timezone: str = ""  # IANA name for receipt times, e.g. "America/New_York"; "" = the system's
    payment_silence_s: float = field(default=30.0, metadata=_timeout(600))  # "not responding", Cancel
    success_timeout_s: float = field(default=60.0, metadata=_timeout(3600))  # success screen ends itself
    take_sim_timeout_s: float = field(default=30.0, metadata=_timeout(600))  # wait for the SIM's removal


@dataclass(frozen=True)
class ReaderSection:
    backend: str = field(default="pcsc", metadata=_choices("pcsc", "simulated"))
    name_filter: str = ""
    apdu_timeout_s: float = field(default=2.0, metadata=_timeout(60))
    read_timeout_s: float = field(default=10.0, metadata=_timeout(300))
    simulated_card: str = ""  # simulated backend: test SIM in the slot at start ("" = empty)


@dataclass(frozen=True)
class TerminalSection:
    backend: str = field(default="zvt", metadata=_choices("zvt", "simulated"))
    port: str = "/dev/kiosk-terminal"
    baud: int = field(default=9600, metadata=_choices(1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200))
    bytesize: int = field(default=8, metadata=_choices(5, 6, 7, 8))
    parity: str = field(default="N", metadata=_choices("N", "E", "O"))
    stopbits: int = field(default=2, metadata=_choices(1, 2))
    password: str = field(default="000000", metadata=_check(_zvt_password))
    ack_timeout_s: float = field(default=5.0, metadata=_timeout(60))
    master_timeout_s: float = field(default=180.0, metadata=_timeout(600))
    preauth: bool = False
    end_of_day_at: str = ""  # "HH:MM" local time: end of day when idle after this ("" = never)
    lock_wait_s: float = field(default=10.0, metadata=_between(0, 600))


@dataclass(frozen=True)
class PrinterSection:
    backend: str = field(default="escpos", metadata=_choices("escpos", "file", "none"))
    port: str = "/dev/kiosk-printer"
    path: str = ""
    timeout_s: float = field(default=5.0, metadata=_timeout(120))


@dataclass(frozen=True)
class ProviderSection:
    backend: str = field(default="upstream", metadata=_choices("upstream", "simulated"))
    timeout_s: float = field(default=15.0, metadata=_timeout(300))


@dataclass(frozen=True)
class UpstreamSection:
    url: str = field(default="", metadata=_check(_http_url))
    secret_file: str = field(default="/etc/simkiosk/secret", metadata=_check(_not_empty))
    timeout_s: float = field(default=10.0, metadata=_timeout(300))
    sync_interval_s: float = field(default=30.0, metadata=_timeout(86400))
    heartbeat_interval_s: float = field(default=60.0, metadata=_timeout(86400))
    batch_size: int = field(default=1000, metadata=_between(1, 2000))


@dataclass(frozen=True)
class LedgerSection:
    url: str = field(default="", metadata=_check(ledger_url_problem))


@dataclass(frozen=True)
class ReceiptSection:
    url_template: str = field(default="https://receipts.simkiosk.example/r/{txn_id}",
                              metadata=_check(_url_template))


@dataclass(frozen=True)
class TechnicianSection:
    pin_hash: str = field(default="", metadata=_check(_argon2id))
    operator_pin_hash: str = field(default="", metadata=_check(_argon2id))  # "" = no operator role


@dataclass(frozen=True)
class SpeechSection:
    """Audio guidance (docs/ui.md "Audio guidance"): Qt TextToSpeech on speech-dispatcher."""

    engine: str = field(default="speechd", metadata=_choices("speechd", "mock", "none"))
    rate: float = field(default=0.0, metadata=_between(-1.0, 1.0))  # -1 slowest, 0 normal, 1 fastest
    volume: float = field(default=0.8, metadata=_between(0.1, 1.0))  # at every session start
    headphones: bool = False  # audio reaches only a private headphone jack: numbers read in full
    attract_interval_s: float = field(default=30.0, metadata=_between(5.0, 3600.0))


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
    speech: SpeechSection = field(default_factory=SpeechSection)
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


def _shown(value: Any) -> str:
    """A bad value as the error line quotes it (short: the line must stay one line)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _coerce(value: Any, typ: Any, where: str) -> Any:
    """Check a TOML value (or parse an environment string) against the schema type; the
    error says in words what was expected, never a Python parser message."""
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
        raise ValueError(f"must be true or false (got {_shown(value)})")
    if typ is int:
        if from_env:
            try:
                value = int(value.strip())
            except ValueError as exc:
                raise ValueError(f"must be a whole number (got {_shown(value)})") from exc
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number (got {_shown(value)})")
        return value
    if typ is float:
        if from_env:
            try:
                value = float(value.strip())
            except ValueError as exc:
                raise ValueError(f"must be a number, e.g. 2.5 (got {_shown(value)})") from exc
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number, e.g. 2.5 (got {_shown(value)})")
        return float(value)
    if typ is str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string in quotes (got {_shown(value)})")
        return value
    if get_origin(typ) is list:
        (item,) = get_args(typ)
        if from_env:
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise ValueError(f"must be a list, e.g. [\"en\", \"es\"] (got {_shown(value)})")
        return [_coerce(v, item, "file") for v in value]
    raise TypeError(f"unsupported schema type {typ!r}")


def _value_problem(value: Any, meta: Mapping[str, Any]) -> str | None:
    """Why a coerced value is out of bounds (finite, range, choices, custom check), or ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number (not inf or nan)"
    choices = meta.get("choices")
    if choices and value not in choices:
        return f"{value!r} is not one of " + ", ".join(str(c) for c in choices)
    bounds = meta.get("range")
    if bounds is not None and isinstance(value, int | float) and not isinstance(value, bool):
        least, most, closed = bounds
        if (value < least if closed else value <= least) or value > most:
            low = f"at least {least:g}" if closed else f"more than {least:g}"
            return f"must be {low} and at most {most:g} (got {value:g})"
    if bounds is None and isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return "must not be negative"
    check = meta.get("check")
    if check is not None:
        return check(value)  # type: ignore[no-any-return]
    return None


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
        problem = _value_problem(coerced, fields_by_name[key].metadata)
        if problem:
            raise ConfigError(f"bad value for [{name}] {key} in {where}: {problem}")
        values[key] = coerced
    return cls(**values)


def load_settings(path: Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``path`` (may be ``None``: defaults only) and apply ``KIOSK_*`` overrides.

    Every value is checked here, once: type, finite, documented range or choices,
    format (URLs, templates rendered with sample values, ids); a problem is a
    :class:`ConfigError` of one line naming the key and where the value came from.
    What depends on the machine (writable paths, devices present) is checked by
    :func:`check_environment` when a command is about to use them.
    """
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

    def where(section: str, key: str) -> str:
        return raw[section][key][1] if key in raw[section] else source

    _check_cross_field(settings, where)
    return settings


def _check_cross_field(settings: Settings, where: Callable[[str, str], str]) -> None:
    def bad(section: str, key: str, problem: str) -> ConfigError:
        return ConfigError(f"bad value for [{section}] {key} in {where(section, key)}: {problem}")

    known = set(LANGUAGES)
    languages = settings.kiosk.languages
    for lang in languages:
        if lang not in known:
            raise bad("kiosk", "languages", f"{lang!r} is not one of " + ", ".join(sorted(known)))
    if not languages:
        raise bad("kiosk", "languages", "name at least one language")
    if len(set(languages)) != len(languages):
        raise bad("kiosk", "languages", "a language is listed twice")
    if settings.terminal.backend == "zvt" and not settings.terminal.port.strip():
        raise bad("terminal", "port", "empty, but backend zvt needs the terminal's port")
    if settings.printer.backend == "escpos":
        problem = printer_port_problem(settings.printer.port)
        if problem:
            raise bad("printer", "port", problem)
    if settings.kiosk.timezone:
        import zoneinfo  # only when a time zone is configured

        try:
            zoneinfo.ZoneInfo(settings.kiosk.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise bad("kiosk", "timezone", f"{settings.kiosk.timezone!r} is not an IANA time zone "
                      "(e.g. America/New_York)") from exc
    at = settings.terminal.end_of_day_at
    if at and not _is_hh_mm(at):
        raise bad("terminal", "end_of_day_at", f"{at!r} is not HH:MM")


def check_environment(settings: Settings, data_dir: Path, *, devices: bool = True) -> None:
    """What the configuration names must exist on this machine: one line naming the key.

    Always: the data directory (ledger, logs, locks) and the SQLite ledger's directory
    are writable. With ``devices``: the receipt printer's device is present (or, for
    the file printer, its directory writable) and, for the upstream provider, the
    upstream secret is readable.
    """
    _writable_dir(data_dir, DATA_DIR_KEY)
    url = settings.ledger.url
    if url.startswith("sqlite:///"):
        _writable_dir(Path(url.removeprefix("sqlite:///")).parent, "[ledger] url")
    if not devices:
        return
    check_printer(settings.printer, data_dir)
    if settings.provider.backend == "upstream" and settings.upstream.url:
        read_secret(settings.upstream.secret_file)


def printer_target(printer: PrinterSection, data_dir: Path) -> tuple[Path, bool]:
    """The file printer's target and whether it is one file (``[printer] path`` with a
    suffix) rather than a directory of ``<txn_id>.escpos`` files."""
    target = Path(printer.path) if printer.path else data_dir / "receipts"
    return target, target.suffix != "" and not target.is_dir()


#: ``ConfigError.code`` of a printer device that is not there (unplugged, switched off): a
#: cable to check rather than a setting to change.
PRINTER_MISSING = "printer_missing"


def check_printer(printer: PrinterSection, data_dir: Path) -> None:
    """The receipt printer the configuration names is there and this user may write to it,
    without printing: a :class:`ConfigError` of one line naming the key otherwise.

    Used at start (:func:`check_environment`) and by the printer's own health check, so
    the technician sees the same line the start-up refused with."""
    if printer.backend == "escpos":
        port = printer.port
        if port.startswith("/"):
            if not os.path.exists(port):
                raise ConfigError(f"[printer] port {port}: no such device (is the printer connected and "
                                  "switched on? or set [printer] backend = \"none\")", code=PRINTER_MISSING)
            if not os.access(port, os.W_OK):
                raise ConfigError(f"[printer] port {port}: not writable by this user "
                                  "(add the kiosk user to the device's group, e.g. dialout or lp)")
        if port.startswith("usb:") and not usb_present(port):
            raise ConfigError(f"[printer] port {port}: no such USB device is connected", code=PRINTER_MISSING)
    elif printer.backend == "file":
        target, is_file = printer_target(printer, data_dir)
        _writable_dir(target.parent if is_file else target, "[printer] path")
        if is_file and target.exists() and not os.access(target, os.W_OK):
            raise ConfigError(f"[printer] path: {target} is not writable by this user")


DATA_DIR_KEY = "the data directory (--data-dir / KIOSK_DATA_DIR)"


def check_data_dir(data_dir: Path) -> None:
    """The data directory exists (created owner-only, like the logs' and the ledger's
    folders) and is writable: checked by the CLI before anything writes there."""
    from kiosk.private_files import private_dir

    try:
        private_dir(data_dir)
    except OSError as exc:
        raise ConfigError(f"{DATA_DIR_KEY}: cannot create {data_dir}: {exc.strerror}") from exc
    _writable_dir(data_dir, DATA_DIR_KEY)


def _writable_dir(path: Path, what: str) -> None:
    """``path`` exists (or can be created) and this process may create files in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{what}: cannot create {path}: {exc.strerror}") from exc
    if not path.is_dir():
        raise ConfigError(f"{what}: {path} is not a directory")
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"{what}: {path} is not writable by this user")


def usb_present(port: str) -> bool:
    """Is a USB device with this VID:PID plugged in (``/sys/bus/usb/devices``)?"""
    try:
        _, vid, pid = port.split(":")
        want = (int(vid, 16), int(pid, 16))
    except ValueError as exc:
        raise ConfigError(f"[printer] port {port!r}: expected usb:VID:PID in hex") from exc
    root = Path("/sys/bus/usb/devices")
    if not root.is_dir():
        return True  # cannot tell here (no sysfs): the printer reports itself when used
    for dev in root.iterdir():
        try:
            found = (int((dev / "idVendor").read_text().strip(), 16),
                     int((dev / "idProduct").read_text().strip(), 16))
        except (OSError, ValueError):
            continue
        if found == want:
            return True
    return False


def _is_hh_mm(text: str) -> bool:
    hh, sep, mm = text.partition(":")
    return (sep == ":" and len(hh) == 2 and len(mm) == 2 and hh.isdigit() and mm.isdigit()
            and int(hh) < 24 and int(mm) < 60)


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
