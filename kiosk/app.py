"""The composition root: adapters chosen by configuration, wired into services.

Each port has a registry ``name → (module, class)``; a backend's module is
imported only when chosen, and a missing one is a :class:`ConfigError` naming
the key, never a silent fallback. ``build_services`` checks the data directory,
opens the ledger, builds the adapters (none touches its device in ``__init__``),
wires the checkout with this process's ownership (:mod:`kiosk.lease`) and runs
crash recovery before anything else may use the terminal; then it checks the
devices the configuration names (a missing printer is a ``ConfigError`` naming
the key, raised *after* recovery so a kiosk that cannot sell still settles money).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import Settings, check_environment
from kiosk.errors import ConfigError, KioskError
from kiosk.lease import Ownership
from kiosk.ledger import Ledger
from kiosk.ports import CardReader, PaymentTerminal, ReceiptPrinter, TopUpProvider
from kiosk.recovery import RecoveryReport, recover
from kiosk.topup.cache import CachingProvider, CatalogCache
from kiosk.txn import TransactionRunner

log = logging.getLogger(__name__)

Registry = dict[str, tuple[str, str]]

READERS: Registry = {
    "pcsc": ("devices.card.pcsc", "PcscCardReader"),
    "simulated": ("devices.card.simulated", "SimulatedCardReader"),
}
TERMINALS: Registry = {
    "zvt": ("payment.zvt.terminal", "ZvtTerminal"),
    "simulated": ("payment.simulated", "SimulatedTerminal"),
}
PRINTERS: Registry = {
    "escpos": ("devices.printer", "EscposPrinter"),
    "file": ("devices.printer", "FilePrinter"),
    "none": ("devices.printer", "NullPrinter"),
}
PROVIDERS: Registry = {
    "upstream": ("kiosk.topup.http", "HttpTopUpProvider"),
    "simulated": ("kiosk.topup.simulated", "SimulatedProvider"),
}


def load_backend(registry: Registry, section: str, name: str) -> Any:
    """The adapter class for ``[section] backend = name``, imported now."""
    try:
        module_name, class_name = registry[name]
    except KeyError:
        raise ConfigError(
            f"unknown [{section}] backend {name!r}; choose one of {', '.join(sorted(registry))}"
        ) from None
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"[{section}] backend {name!r} is not available ({module_name}.{class_name}: {exc})"
        ) from exc


def make_reader(settings: Settings) -> CardReader:
    cls = load_backend(READERS, "reader", settings.reader.backend)
    return cls(settings.reader)  # type: ignore[no-any-return]


#: ``Services.close`` waits this long for a running sale to notice the shutdown.
CLOSE_WAIT_S = 1.0

#: Subdirectory of the data directory for the terminal driver's state (capabilities,
#: evidence of every status it saw, the simulated terminal's journal).
TERMINAL_STATE_DIR = "terminal"


def make_terminal(settings: Settings, data_dir: Path | None = None) -> PaymentTerminal:
    cls = load_backend(TERMINALS, "terminal", settings.terminal.backend)
    params = inspect.signature(cls).parameters
    kwargs: dict[str, Any] = {}
    if "currency" in params:
        kwargs["currency"] = settings.kiosk.currency
    if data_dir is not None and "state_dir" in params:
        kwargs["state_dir"] = data_dir / TERMINAL_STATE_DIR
    return cls(settings.terminal, **kwargs)  # type: ignore[no-any-return]


def make_printer(settings: Settings, data_dir: Path) -> ReceiptPrinter:
    cls = load_backend(PRINTERS, "printer", settings.printer.backend)
    return cls(settings.printer, data_dir)  # type: ignore[no-any-return]


def make_provider(settings: Settings, data_dir: Path) -> TopUpProvider:
    cls = load_backend(PROVIDERS, "provider", settings.provider.backend)
    if settings.provider.backend == "simulated":
        return cls(data_dir)  # type: ignore[no-any-return]
    return cls(settings)  # type: ignore[no-any-return]


@dataclass
class Services:
    """Everything the UI and the CLI use; ``close()`` is idempotent.

    ``provider`` keeps the last good catalog for display (:class:`CachingProvider`);
    the checkout and recovery use the provider itself.
    """

    reader: CardReader
    terminal: PaymentTerminal
    provider: TopUpProvider
    printer: ReceiptPrinter
    ledger: Ledger
    checkout: TransactionRunner
    settings: Settings
    data_dir: Path
    recovery: RecoveryReport | None = None
    ownership: Ownership | None = None
    check_devices: bool = False
    _closed: bool = field(default=False, repr=False)

    def recover(self) -> RecoveryReport:
        """Settle every unfinished transaction this process may take over now (also done
        by ``build_services``); then, when asked to, check the configured devices
        (``ConfigError`` naming the key: the technician screen for ``kiosk run``)."""
        self.recovery = recover(ledger=self.ledger, terminal=self.terminal, provider=self.checkout.provider,
                                settings=self.settings, deadlines=self.checkout.deadlines,
                                ownership=self.checkout.ownership, stopping=self.checkout.stopping)
        if self.check_devices:
            check_environment(self.settings, self.data_dir, devices=True)
        return self.recovery

    def close(self) -> None:
        """Stop a running sale or recovery first (its transaction stays recoverable), then
        close the devices (the terminal within its ``close`` bound) and the ledger."""
        if self._closed:
            return
        self._closed = True
        self.checkout.shutdown()
        if not self.checkout.wait_idle(CLOSE_WAIT_S):
            log.warning("a sale was still running when the kiosk stopped: left for recovery")
        for name in ("reader", "terminal", "printer"):
            try:
                getattr(self, name).close()
            except (KioskError, OSError) as exc:
                log.warning("closing the %s failed: %s", name, exc)
        closer = getattr(self.provider, "close", None)
        if callable(closer):
            closer()
        if self.ownership is not None:
            self.ownership.close()
        self.ledger.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not self._closed:
            warnings.warn("Services was never closed", ResourceWarning, stacklevel=1)


def build_services(settings: Settings, data_dir: Path, *, recover_now: bool = True,
                   check_devices: bool = True) -> Services:
    """Wire the adapters the configuration names; run crash recovery unless told not to.

    ``check_devices``: after each recovery, check that the devices and paths the
    configuration names are there (``kiosk recover`` needs no printer, so it says no).
    """
    check_environment(settings, data_dir, devices=False)
    ledger = Ledger.open(settings.ledger.url, data_dir)
    built: list[Any] = []
    try:
        reader = make_reader(settings)
        built.append(reader)
        terminal = make_terminal(settings, data_dir)
        built.append(terminal)
        printer = make_printer(settings, data_dir)
        built.append(printer)
        provider = make_provider(settings, data_dir)
        ownership = Ownership.for_kiosk(settings, data_dir)
    except BaseException:
        for obj in built:
            obj.close()
        ledger.close()
        raise
    checkout = TransactionRunner(ledger=ledger, terminal=terminal, provider=provider,
                                 printer=printer, settings=settings, ownership=ownership)
    services = Services(reader=reader, terminal=terminal, provider=CachingProvider(provider, CatalogCache(data_dir)),
                        printer=printer, ledger=ledger, checkout=checkout, settings=settings,
                        data_dir=data_dir, ownership=ownership, check_devices=check_devices)
    if recover_now:
        try:
            services.recover()
        except BaseException:
            services.close()
            raise
    return services
