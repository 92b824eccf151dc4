"""The demo panel's model: drives the simulators' control APIs, never the real devices.

Only objects that have the control methods (``profiles``/``insert``/``pull``
on the simulated reader, ``set_behaviour`` on the simulated terminal) are
used; every call runs on the control lane, off the GUI thread.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from ui.workers import Worker

log = logging.getLogger(__name__)

TERMINAL_BEHAVIOURS = ("approve", "decline", "hang", "offline")


class DemoModel(QObject):
    changed = Signal()
    _profilesLoaded = Signal(list)

    def __init__(self, services: Any, worker: Worker, enabled: bool,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._worker = worker
        self._enabled = enabled
        self._shown = False
        self._profiles: list[str] = []
        self._behaviour = "approve"
        self._profilesLoaded.connect(self._set_profiles)
        self.attach(services)

    def attach(self, services: Any) -> None:
        """Use ``services`` (built after the first frame by ``kiosk run``); list the test SIMs."""
        self._services = services
        reader = getattr(services, "reader", None)
        if self._enabled and reader is not None and hasattr(reader, "profiles"):
            signal = self._profilesLoaded
            self._worker.submit("control", lambda: signal.emit([str(p) for p in reader.profiles()]))
        self.changed.emit()

    def _set_profiles(self, profiles: list[str]) -> None:
        self._profiles = profiles
        self.changed.emit()

    @Property(bool, notify=changed)
    def enabled(self) -> bool:
        return self._enabled

    @Property(bool, notify=changed)
    def shown(self) -> bool:
        return self._enabled and self._shown

    @Property("QVariantList", notify=changed)  # type: ignore[arg-type]
    def profiles(self) -> list[str]:
        return list(self._profiles)

    @Property("QVariantList", notify=changed)  # type: ignore[arg-type]
    def behaviours(self) -> list[str]:
        terminal = getattr(self._services, "terminal", None)
        return list(TERMINAL_BEHAVIOURS) if hasattr(terminal, "set_behaviour") else []

    @Property(str, notify=changed)
    def behaviour(self) -> str:
        return self._behaviour

    @Slot()
    def toggle(self) -> None:
        self._shown = not self._shown
        self.changed.emit()

    @Slot(str)
    def insert(self, profile: str) -> None:
        reader: Any = getattr(self._services, "reader", None)
        if self._enabled and hasattr(reader, "insert"):
            self._worker.submit("control", lambda: reader.insert(profile))

    @Slot()
    def pull(self) -> None:
        reader: Any = getattr(self._services, "reader", None)
        if self._enabled and hasattr(reader, "pull"):
            self._worker.submit("control", reader.pull)

    @Slot(str)
    def setTerminal(self, behaviour: str) -> None:
        terminal: Any = getattr(self._services, "terminal", None)
        if self._enabled and hasattr(terminal, "set_behaviour"):
            self._behaviour = behaviour
            self.changed.emit()
            self._worker.submit("control", lambda: terminal.set_behaviour(behaviour))
