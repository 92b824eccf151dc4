"""Payment terminals behind :class:`kiosk.ports.PaymentTerminal`.

Backends are chosen by ``[terminal] backend`` from a registry and imported
lazily: ``zvt`` (:class:`payment.zvt.terminal.ZvtTerminal`, ZVT over serial) and
``simulated`` (:class:`payment.simulated.SimulatedTerminal`, demo mode).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from kiosk.config import TerminalSection
from kiosk.errors import ConfigError
from kiosk.ports import PaymentTerminal

BACKENDS: dict[str, tuple[str, str]] = {
    "zvt": ("payment.zvt.terminal", "ZvtTerminal"),
    "simulated": ("payment.simulated", "SimulatedTerminal"),
}


#: The drivers' state (capabilities, evidence, the simulated terminal's journal)
#: lives in this subdirectory of the data directory.
STATE_SUBDIR = "terminal"


def state_dir(data_dir: Path) -> Path:
    return data_dir / STATE_SUBDIR


def open_terminal(settings: TerminalSection, *, currency: str = "USD",
                  data_dir: Path | None = None) -> PaymentTerminal:
    """Construct the configured backend (no I/O happens until the first call)."""
    try:
        module_name, class_name = BACKENDS[settings.backend]
    except KeyError as exc:
        raise ConfigError(f"unknown [terminal] backend {settings.backend!r}") from exc
    cls = getattr(importlib.import_module(module_name), class_name)
    where = state_dir(data_dir) if data_dir is not None else None
    if settings.backend == "zvt":
        terminal: PaymentTerminal = cls(settings, currency=currency, state_dir=where)
    else:
        terminal = cls(settings, state_dir=where)
    return terminal
