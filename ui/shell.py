"""The kiosk process around the screens: start-up, lockdown, device health for heartbeats.

* :class:`Boot` runs the start-up work (building the services, crash recovery) on
  a worker lane behind the attract screen; the customer flow stays suspended
  until it is done. A touch meanwhile *reveals* the "starting up" overlay, so
  nobody taps a screen that does not answer. A failure shows "out of service"
  (the technician gesture still works).
* :class:`Lockdown` (kiosk mode, not ``--windowed``): no key combination closes
  or leaves the window, close requests are refused, the cursor is hidden.
* :class:`HealthCache` keeps the devices' latest ``health()`` for the upstream
  heartbeat. The probes run on the device's own lane (the terminal's on the
  checkout lane, between sales), never on the sync thread, where a status
  enquiry could collide with a payment on the serial line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Property, QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QCursor, QGuiApplication, QKeyEvent, QKeySequence, QWindow

from kiosk.errors import KioskError
from kiosk.ports import DeviceHealth
from ui.workers import Worker

log = logging.getLogger(__name__)

_MOD = Qt.KeyboardModifier
#: Key combinations that close, quit or leave a window on some platform or desktop.
BLOCKED_KEYS: frozenset[tuple[int, int]] = frozenset(
    (int(key.value), int(mods.value))
    for key, mods in (
        (Qt.Key.Key_Escape, _MOD.NoModifier),
        (Qt.Key.Key_F4, _MOD.AltModifier),
        (Qt.Key.Key_F4, _MOD.ControlModifier),
        (Qt.Key.Key_Q, _MOD.ControlModifier),
        (Qt.Key.Key_W, _MOD.ControlModifier),
        (Qt.Key.Key_Q, _MOD.ControlModifier | _MOD.ShiftModifier),
        (Qt.Key.Key_W, _MOD.ControlModifier | _MOD.ShiftModifier),
        (Qt.Key.Key_F11, _MOD.NoModifier),
        (Qt.Key.Key_Tab, _MOD.AltModifier),
        (Qt.Key.Key_Backspace, _MOD.ControlModifier | _MOD.AltModifier),
        (Qt.Key.Key_Delete, _MOD.ControlModifier | _MOD.AltModifier),
    )
)
_STANDARD_CLOSE = (QKeySequence.StandardKey.Close, QKeySequence.StandardKey.Quit,
                   QKeySequence.StandardKey.Cancel, QKeySequence.StandardKey.FullScreen)
_RELEVANT_MODS = _MOD.ShiftModifier | _MOD.ControlModifier | _MOD.AltModifier | _MOD.MetaModifier


def is_blocked_key(event: QKeyEvent) -> bool:
    """Whether a key press is one of the close/quit/leave combinations."""
    mods = event.modifiers() & _RELEVANT_MODS
    if (int(event.key()), int(mods.value)) in BLOCKED_KEYS:
        return True
    return any(event.matches(seq) for seq in _STANDARD_CLOSE)


class Lockdown(QObject):
    """Kiosk mode: swallows closing shortcuts, refuses close requests, hides the cursor."""

    def __init__(self, window: QWindow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self.allow_close = False
        self.swallowed = 0
        self.refused_closes = 0
        app = QGuiApplication.instance()
        if app is not None:
            app.installEventFilter(self)  # before any window or QML Shortcut sees the key
        window.installEventFilter(self)
        QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))
        self._cursor = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride, QEvent.Type.KeyRelease):
            if isinstance(event, QKeyEvent) and is_blocked_key(event):
                if kind is QEvent.Type.KeyPress:
                    self.swallowed += 1
                    log.info("kiosk mode: ignored key %s", QKeySequence(event.keyCombination()).toString())
                event.accept()
                return True
        elif kind is QEvent.Type.Quit:
            # QCoreApplication.quit() (SIGTERM, systemd stop): Qt 6 first asks every window to
            # close and cancels the quit if one refuses, so a deliberate quit must be let through.
            self.allow_close = True
        elif kind is QEvent.Type.Close and watched is self._window and not self.allow_close:
            self.refused_closes += 1
            log.warning("kiosk mode: refused a request to close the window")
            event.ignore()
            return True
        return False

    def release(self) -> None:
        """Let the window close (shutdown) and give the cursor back; idempotent."""
        self.allow_close = True
        app = QGuiApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self._cursor:
            QGuiApplication.restoreOverrideCursor()
            self._cursor = False


class Boot(QObject):
    """Start-up work off the GUI thread; ``state`` is ``starting``, ``ready`` or ``failed``."""

    changed = Signal()
    ready = Signal()

    def __init__(self, worker: Worker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._state = "ready"
        self._error = ""
        self._revealed = False
        self._signal_done = _BootDone(self)
        self._signal_done.done.connect(self._finished)
        self._task: Callable[[], object] | None = None

    @Property(str, notify=changed)
    def state(self) -> str:
        return self._state

    @property
    def current(self) -> str:
        """``state`` for Python callers."""
        return self._state

    @Property(str, notify=changed)
    def error(self) -> str:
        return self._error

    @Property(bool, notify=changed)
    def overlay(self) -> bool:
        """Whether the start-up overlay covers the screens: out of service, or still
        starting and somebody touched the screen."""
        return self._state == "failed" or (self._state == "starting" and self._revealed)

    @Slot()
    def reveal(self) -> None:
        """A touch while starting: show "starting up" instead of a screen that ignores it."""
        if self._state == "starting" and not self._revealed:
            self._revealed = True
            self.changed.emit()

    def expect(self) -> None:
        """Start-up work will follow (after the first frame): ``starting`` until it is done."""
        if self._state != "starting":
            self._state = "starting"
            self.changed.emit()

    def start(self, task: Callable[[], object]) -> None:
        """Run ``task`` on the control lane; ``ready`` when it returned."""
        self._task = task
        self._state = "starting"
        self._error = ""
        self.changed.emit()
        done = self._signal_done.done

        def job() -> None:
            try:
                result = task()
            except KioskError as exc:
                log.error("start-up failed: %s", exc, extra={"error_code": exc.code})
                done.emit(exc.code)
                return
            except Exception:
                log.exception("start-up crashed")
                done.emit("internal_error")
                return
            log.info("start-up done: %r", result)
            done.emit("")

        self._worker.submit("control", job)

    def retry(self) -> None:
        """After a technician visit: try the start-up work again if it failed."""
        if self._state == "failed" and self._task is not None:
            self.start(self._task)

    def _finished(self, error: str) -> None:
        self._error = error
        self._state = "failed" if error else "ready"
        self._revealed = False
        self.changed.emit()
        if not error:
            self.ready.emit()


class _BootDone(QObject):
    done = Signal(str)


class HealthCache:
    """The devices' latest health, for the heartbeat's ``status_provider`` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._health: dict[str, DeviceHealth] = {}

    def put(self, health: DeviceHealth) -> None:
        with self._lock:
            self._health[health.name] = health

    def snapshot(self) -> list[DeviceHealth]:
        with self._lock:
            return list(self._health.values())

    def status(self) -> Mapping[str, Any]:
        """``{"devices": {...}}`` as :func:`kiosk.sync.devices_from_health` shapes it."""
        from kiosk.sync import devices_from_health

        return {"devices": devices_from_health(self.snapshot())}

    def probe(self, name: str, device: Any) -> None:
        """Ask one device (on its lane); an exception becomes an unhealthy entry, never lost."""
        try:
            health = device.health()
        except KioskError as exc:
            health = DeviceHealth(name, False, exc.message, "run the technician diagnostics")
        self.put(health if health.name == name else DeviceHealth(name, health.ok, health.detail,
                                                                 health.advice, health.data))
