"""pytest-qt fixtures for the touch UI: an offscreen kiosk on in-test fakes, driven by objectName."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator
from typing import Any

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickItem
from PySide6.QtTest import QTest

from kiosk.config import Settings
from kiosk.flow import State
from tests.ui.fakes import FakeServices
from ui.app import KioskUi
from ui.layoutcheck import _frames as frames

WAIT_MS = 5000


@pytest.fixture(scope="session")
def qapp_cls() -> type[QGuiApplication]:
    return QGuiApplication


class Kiosk:
    """Drives the QML like a customer: find by objectName, tap the middle of it."""

    def __init__(self, ui: KioskUi, services: Any, qtbot: object) -> None:
        self.ui = ui
        self.services = services
        self.qtbot = qtbot

    @property
    def state(self) -> State:
        return self.ui.controller.session.state

    def current_screen(self) -> QQuickItem | None:
        loader = self.ui.find("screenLoader")
        item = loader.property("item") if loader is not None else None
        return item if isinstance(item, QQuickItem) else None

    def screen_name(self) -> str:
        item = self.current_screen()
        return item.objectName() if item is not None else ""

    def wait_screen(self, name: str, timeout: int = WAIT_MS) -> None:
        self.qtbot.waitUntil(lambda: self.screen_name() == name, timeout=timeout)  # type: ignore[attr-defined]

    def _roots(self) -> list[QQuickItem]:
        """The current screen and the window-level parts (a replaced screen may linger
        until its deferred deletion, so the whole tree is not searched)."""
        roots = [self.current_screen()]
        for name in ("topBar", "idleOverlay", "demoPanel", "startupOverlay", "staffCorner"):
            obj = self.ui.window.findChild(QQuickItem, name)
            roots.append(obj if isinstance(obj, QQuickItem) else None)
        return [r for r in roots if r is not None]

    def find(self, name: str) -> QQuickItem | None:
        """The visible item called ``name`` in the visual tree (Repeater delegates are not
        QObject children; screens may hold invisible twins)."""
        stack = self._roots()
        while stack:
            item = stack.pop()
            if not item.isVisible():
                continue
            if item.objectName() == name and item.width() > 0:
                return item
            stack.extend(item.childItems())
        return None

    def wait_item(self, name: str) -> QQuickItem:
        self.qtbot.waitUntil(lambda: self.find(name) is not None, timeout=WAIT_MS)  # type: ignore[attr-defined]
        item = self.find(name)
        assert item is not None
        return item

    def settled(self) -> None:
        """Wait until the (asynchronous) screen loader is done and layouts are polished."""
        loader = self.ui.find("screenLoader")
        assert loader is not None
        # Loader.status has no Python converter; progress reaches 1.0 when the item is ready
        self.qtbot.waitUntil(  # type: ignore[attr-defined]
            lambda: loader.property("progress") == 1.0 and self.current_screen() is not None,
            timeout=WAIT_MS,
        )
        frames(self.ui.window, 2)  # layouts are polished on the way to a frame

    def scroll_into_view(self, item: QQuickItem) -> None:
        """Scroll the enclosing Flickable (staff screens) so ``item`` is fully visible."""
        parent = item.parentItem()
        while parent is not None and parent.property("contentY") is None:
            parent = parent.parentItem()
        if parent is None:
            return
        content = parent.property("contentItem")
        top = item.mapToItem(content, QPointF(0, 0)).y()
        view_h = parent.height()
        y = float(parent.property("contentY"))
        if top < y or top + item.height() > y + view_h:
            max_y = max(0.0, float(parent.property("contentHeight")) - view_h)
            parent.setProperty("contentY", min(max_y, max(0.0, top - 20)))
            QTest.qWait(20)

    def tap(self, name: str) -> None:
        self.settled()
        item = self.wait_item(name)
        assert item.isEnabled(), f"{name} is disabled"
        self.scroll_into_view(item)
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
        QTest.mouseClick(self.ui.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(round(centre.x()), round(centre.y())))  # fmt: skip

    def text(self, name: str) -> str:
        self.settled()
        return str(self.wait_item(name).property("text"))

    def type_number(self, digits: str) -> None:
        for d in digits:
            self.tap(f"key_{d}")


@contextlib.contextmanager
def still_kiosk_ui() -> Iterator[KioskUi]:
    """A kiosk UI for rendering snapshots only (no services, timers or lanes, silent speech);
    text size and language are put back when it closes."""
    from PySide6.QtCore import QCoreApplication, QEvent

    from ui.screenshots import SilentSpeech

    ui = KioskUi(None, Settings(), size=QSize(1080, 1920), speech_engine=SilentSpeech())
    ui.controller.close()
    ui.window.show()
    try:
        yield ui
    finally:
        ui.theme.setProperty("largeText", False)
        ui.language.switch("en")
        ui.close()
        ui.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def make_kiosk(qtbot: object, services: Any, settings: Settings,
               size: QSize | None = None, **ui_kwargs: Any) -> Iterator[Kiosk]:  # fmt: skip
    ui = KioskUi(services, settings, size=size or QSize(540, 960), **ui_kwargs)
    ui.window.show()
    QTest.qWaitForWindowExposed(ui.window)
    qtbot.waitUntil(lambda: ui.first_frame_shown)  # type: ignore[attr-defined]
    try:
        yield Kiosk(ui, services, qtbot)
    finally:
        ui.staff.close()  # logs a technician out while the ledger is still open
        services.close()
        ui.close(wait=True)
        ui.deleteLater()


@pytest.fixture
def settings() -> Settings:
    s = Settings()
    return dataclasses.replace(s, kiosk=dataclasses.replace(s.kiosk, idle_timeout_s=45.0))


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


@pytest.fixture
def kiosk(qtbot: object, services: FakeServices, settings: Settings) -> Iterator[Kiosk]:
    yield from make_kiosk(qtbot, services, settings)


# --------------------------------------------------------------------------- the real composition root

TECH_PIN = "2468"
OPERATOR_PIN = "1357"


def cheap_hash(pin: str) -> str:
    """An argon2id hash with minimal cost: the gate verifies it the same way, fast."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(pin)


class MovableClock:
    """Wall-clock UTC time the test moves (the PIN lockout's clock)."""

    def __init__(self) -> None:
        import datetime as dt

        self.now = dt.datetime(2026, 5, 14, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> Any:
        return self.now

    def advance(self, seconds: float) -> None:
        import datetime as dt

        self.now += dt.timedelta(seconds=seconds)

    def uptime(self) -> float:
        """The PIN lockout measures time on the boot clock; here it moves with ``now``."""
        import datetime as dt

        return (self.now - dt.datetime(2026, 5, 14, tzinfo=dt.UTC)).total_seconds()


class FakeMonotonic:
    """Monotonic seconds for the corner-tap gesture, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def demo_settings() -> Settings:
    """Demo settings (every device simulated) with staff PINs and short waits."""
    s = Settings().demo()
    return dataclasses.replace(
        s,
        technician=dataclasses.replace(s.technician, pin_hash=cheap_hash(TECH_PIN),
                                       operator_pin_hash=cheap_hash(OPERATOR_PIN)),
        reader=dataclasses.replace(s.reader, read_timeout_s=3.0),
    )


def fast_simulators(services: Any) -> None:
    """Short simulated terminal delays: the journey, not the waiting, is under test."""
    from payment.simulated import SimulatedDelays

    services.terminal.set_delays(SimulatedDelays(card_s=0.02, pin_s=0.02, processing_s=0.02, remove_s=0.01))


@pytest.fixture
def real_services(tmp_path: Any) -> Iterator[Any]:
    """``kiosk.app.build_services`` with demo settings in a temporary data directory."""
    from kiosk.app import build_services

    services = build_services(demo_settings(), tmp_path)
    fast_simulators(services)
    try:
        yield services
    finally:
        services.close()


@contextlib.contextmanager
def running(kiosks: Iterator[Kiosk]) -> Iterator[Kiosk]:
    """``with running(make_kiosk(...)) as k:`` — the kiosk, torn down at the end of the block."""
    k = next(kiosks)
    try:
        yield k
    finally:
        for _ in kiosks:  # runs make_kiosk's teardown
            pass
