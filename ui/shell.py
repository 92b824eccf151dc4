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
  checkout lane, between sales, holding the terminal lock so they never
  interleave with another process's sale), never on the sync thread, where a
  status enquiry could collide with a payment on the serial line.
* :class:`ServiceLoop` runs the kiosk's idle work (:mod:`kiosk.upkeep`: the
  scheduled end of day, retries of parked transactions) on the control lane,
  only while nobody is using the kiosk.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Property, QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QCursor, QGuiApplication, QKeyEvent, QKeySequence, QWindow

from kiosk.errors import KioskError
from ui.workers import Worker

if TYPE_CHECKING:
    from PySide6.QtCore import Qt

    from kiosk.ports import DeviceHealth

log = logging.getLogger(__name__)

@functools.cache
def _blocked() -> tuple[frozenset[tuple[int, int]], tuple[QKeySequence.StandardKey, ...], Qt.KeyboardModifier]:
    """Key combinations that close, quit or leave a window on some platform or desktop.

    Built on first use: PySide6 creates its ``Qt`` namespace (~30 ms) when the name is
    first imported, which the first frame should not pay; so it is imported here."""
    from PySide6.QtCore import Qt

    mod = Qt.KeyboardModifier
    key = Qt.Key
    combos = frozenset(
        (int(k.value), int(m.value))
        for k, m in (
            (key.Key_Escape, mod.NoModifier),
            (key.Key_F4, mod.AltModifier),
            (key.Key_F4, mod.ControlModifier),
            (key.Key_Q, mod.ControlModifier),
            (key.Key_W, mod.ControlModifier),
            (key.Key_Q, mod.ControlModifier | mod.ShiftModifier),
            (key.Key_W, mod.ControlModifier | mod.ShiftModifier),
            (key.Key_F11, mod.NoModifier),
            (key.Key_Tab, mod.AltModifier),
            (key.Key_Backspace, mod.ControlModifier | mod.AltModifier),
            (key.Key_Delete, mod.ControlModifier | mod.AltModifier),
        )
    )
    standard = (QKeySequence.StandardKey.Close, QKeySequence.StandardKey.Quit,
                QKeySequence.StandardKey.Cancel, QKeySequence.StandardKey.FullScreen)
    relevant = mod.ShiftModifier | mod.ControlModifier | mod.AltModifier | mod.MetaModifier
    return combos, standard, relevant


def is_blocked_key(event: QKeyEvent) -> bool:
    """Whether a key press is one of the close/quit/leave combinations."""
    combos, standard, relevant = _blocked()
    mods = event.modifiers() & relevant
    if (int(event.key()), int(mods.value)) in combos:
        return True
    return any(event.matches(seq) for seq in standard)


class Lockdown(QObject):
    """Kiosk mode: swallows closing shortcuts, refuses close requests, hides the cursor.

    It filters the window's events only: an application-wide Python filter would run for
    every event of every object (it cost the first frame ~100 ms). Keys reach the window
    before its items, and the QML declares no shortcut a blocked key could trigger. A
    deliberate quit ends the event loop first and then calls :meth:`release` (see
    ``KioskUi.quit`` and ``KioskUi.close``).
    """

    def __init__(self, window: QWindow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self.allow_close = False
        self.swallowed = 0
        self.refused_closes = 0
        self._cursor = False
        self._released = False
        window.installEventFilter(self)

    def hide_cursor(self) -> None:
        """Called once the first frame is shown: ``QCursor`` needs the ``Qt`` namespace
        (see :func:`_blocked`), and nobody points at a window not yet drawn."""
        from PySide6.QtCore import Qt

        if not self._released and not self._cursor:
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
        elif kind is QEvent.Type.Close and watched is self._window and not self.allow_close:
            self.refused_closes += 1
            log.warning("kiosk mode: refused a request to close the window")
            event.ignore()
            return True
        return False

    def release(self) -> None:
        """Let the window close (shutdown) and give the cursor back; idempotent."""
        self.allow_close = True
        self._released = True
        if self._cursor:
            QGuiApplication.restoreOverrideCursor()
            self._cursor = False


class Boot(QObject):
    """Start-up work off the GUI thread; ``state`` is ``starting``, ``ready`` or ``failed``."""

    changed = Signal()
    ready = Signal()
    failed = Signal(str)  # the error code

    def __init__(self, worker: Worker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._state = "ready"
        self._error = ""
        self._failure: tuple[str, str] | None = None  # one assignment: read from other threads
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

    def failure(self) -> tuple[str, str] | None:
        """``(code, one line)`` of the failed start-up, for the technician screen only
        (customers see "Out of service"); ``None`` unless failed. Safe from any thread."""
        return self._failure

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
        self._failure = None
        self.changed.emit()
        done = self._signal_done.done

        def job() -> None:
            try:
                result = task()
            except KioskError as exc:
                log.error("start-up failed: %s", exc, extra={"error_code": exc.code})
                done.emit(exc.code, exc.message)
                return
            except Exception as exc:
                log.exception("start-up crashed")
                done.emit("internal_error", f"start-up crashed: {type(exc).__name__}: {exc}")
                return
            log.info("start-up done: %r", result)
            done.emit("", "")

        self._worker.submit("control", job)

    def retry(self) -> None:
        """After a technician visit: try the start-up work again if it failed."""
        if self._state == "failed" and self._task is not None:
            self.start(self._task)

    def _finished(self, error: str, message: str) -> None:
        self._error = error
        self._failure = (error, message or error) if error else None
        self._state = "failed" if error else "ready"
        self._revealed = False
        self.changed.emit()
        if error:
            self.failed.emit(error)
        else:
            self.ready.emit()


class _BootDone(QObject):
    done = Signal(str, str)  # error code ("" when it worked), the error's one line


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

    def probe(self, name: str, device: Any, *, lock: Any = None) -> None:
        """Ask one device (on its lane); an exception becomes an unhealthy entry, never lost.

        ``lock`` (the terminal's :class:`kiosk.lease.TerminalLock`) is taken without waiting:
        when another process is selling, the probe is skipped and the last health stays."""
        from kiosk.ports import DeviceHealth  # not needed for the first frame

        if lock is not None:
            try:
                lock.acquire(0.0)
            except KioskError as exc:  # TerminalBusy: in use, which is not a fault
                log.info("%s health probe skipped: %s", name, exc)
                return
        try:
            health = device.health()
        except KioskError as exc:
            health = DeviceHealth(name, False, exc.message, "run the technician diagnostics")
        finally:
            if lock is not None:
                lock.release()
        self.put(health if health.name == name else DeviceHealth(name, health.ok, health.detail,
                                                                 health.advice, health.data))


#: How often the running kiosk looks for idle work (end of day, parked transactions).
UPKEEP_TICK_MS = 30_000


class ServiceLoop(QObject):
    """The kiosk's idle work on the control lane, started only while ``idle()`` says nobody
    uses the kiosk (GUI thread: the attract screen shows, no staff, start-up done), one job
    at a time. The work itself (:meth:`kiosk.upkeep.Upkeep.run`) does the I/O."""

    def __init__(self, worker: Worker, work: Callable[[], object], idle: Callable[[], bool], *,
                 interval_ms: int = UPKEEP_TICK_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._work = work
        self._idle = idle
        self._running = threading.Event()  # set from the GUI thread, cleared by the lane
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.tick)
        self.started = 0

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def running(self) -> bool:
        return self._running.is_set()

    def tick(self) -> bool:
        """Submit the work if idle and none runs; True when submitted."""
        if self._running.is_set() or not self._idle():
            return False
        self._running.set()
        work, running = self._work, self._running

        def job() -> None:
            try:
                work()
            finally:
                running.clear()

        if self._worker.submit("control", job) is None:  # the worker is closed
            self._running.clear()
            return False
        self.started += 1
        return True
