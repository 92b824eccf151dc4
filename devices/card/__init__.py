"""SIM reading behind the :class:`kiosk.ports.CardReader` port.

Pure parts: :mod:`~devices.card.apdu` (APDUs, status words),
:mod:`~devices.card.sim_files` (file decoders), :mod:`~devices.card.reader_logic`
(the read sequence over an abstract transmit), :mod:`~devices.card.carriers`
(carrier identification from ``data/carriers.json``). Adapters:
:mod:`~devices.card.pcsc` (pyscard) and :mod:`~devices.card.simulated` (demo).

Backends are chosen by ``[reader] backend`` through :data:`BACKENDS` and
imported lazily, so a kiosk without pyscard can still run the simulator.
"""

from __future__ import annotations

import importlib
from typing import cast

from kiosk.config import ReaderSection
from kiosk.errors import ConfigError
from kiosk.ports import CardReader

#: backend name → (module, class); each class takes a ``ReaderSection``.
BACKENDS: dict[str, tuple[str, str]] = {
    "pcsc": ("devices.card.pcsc", "PcscCardReader"),
    "simulated": ("devices.card.simulated", "SimulatedCardReader"),
}


def open_reader(settings: ReaderSection) -> CardReader:
    """The configured reader backend (no I/O until it is used)."""
    try:
        module_name, class_name = BACKENDS[settings.backend]
    except KeyError as exc:
        raise ConfigError(f"bad value for [reader] backend: {settings.backend!r} is not one of "
                          + ", ".join(BACKENDS)) from exc
    module = importlib.import_module(module_name)
    return cast(CardReader, getattr(module, class_name)(settings))
