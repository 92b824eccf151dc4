"""The "Need more time?" dialog never hides its countdown or its button: with large text and
a deliberately long question, in both orientations, the question scrolls (with the screens'
"More below" bar) and the countdown and "Yes, I need more time" stay fully in view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickItem

from tests.ui.conftest import still_kiosk_ui
from tests.ui.test_layout import LongTranslation, visual_child
from ui.app import KioskUi
from ui.layoutcheck import _frames
from ui.screenshots import SIZES, sample_sessions


@pytest.fixture(scope="module")
def idle_ui(qapp: QGuiApplication) -> Iterator[KioskUi]:
    with still_kiosk_ui() as ui:
        yield ui


def scene_rect(item: QQuickItem) -> QRectF:
    return QRectF(item.mapToScene(QPointF(0, 0)), item.size())


def hidden_part(item: QQuickItem, window_size: QSize) -> str:
    """What hides part of ``item``: a clipping ancestor (a scroll area) or the window's edge."""
    rect = scene_rect(item)
    if not QRectF(0, 0, window_size.width(), window_size.height()).contains(rect):
        return "the window's edge"
    parent = item.parentItem()
    while parent is not None:
        if parent.clip() and not scene_rect(parent).adjusted(-0.5, -0.5, 0.5, 0.5).contains(rect):
            return f"the clipping {parent.objectName() or parent.metaObject().className()}"
        parent = parent.parentItem()
    return ""


def show_idle(ui: KioskUi, lang: str, size: QSize) -> QQuickItem:
    ui.window.resize(size)
    ui.language.switch(lang)
    ui.controller.show_snapshot(sample_sessions(lang)["idle_warning"])
    ui.theme.setProperty("largeText", True)
    QCoreApplication.processEvents()
    _frames(ui.window, 3)
    return visual_child(ui.window.contentItem(), "idleOverlay")


def test_a_long_question_never_hides_the_countdown_or_the_button(
        idle_ui: KioskUi, monkeypatch: pytest.MonkeyPatch) -> None:
    manager = idle_ui.language
    real = manager._translator("es")
    assert real is not None
    long = LongTranslation(real, "Need more time?",
                           "¿Necesita más tiempo para terminar su recarga en este quiosco? " * 8)
    monkeypatch.setitem(manager._translators, "es", long)
    manager.switch("en")
    failures: list[str] = []
    for size in SIZES:
        overlay = show_idle(idle_ui, "es", size)
        for name in ("idleCountdown", "moreTimeButton"):
            why = hidden_part(visual_child(overlay, name), size)
            if why:
                failures.append(f"{name} [es {size.width()}x{size.height()}, large text]: hidden by {why}")
        try:
            more: QQuickItem | None = visual_child(overlay, "idleMoreBelow")
        except LookupError:
            more = None
        if more is None or not more.isVisible() or hidden_part(more, size):
            failures.append(f"no 'More below' bar [es {size.width()}x{size.height()}, large text]")
    monkeypatch.undo()
    manager.switch("en")
    assert not failures, "\n".join(failures)


def test_the_real_question_needs_no_scrolling(idle_ui: KioskUi) -> None:
    for lang in ("en", "es", "zh_CN"):
        for size in SIZES:
            overlay = show_idle(idle_ui, lang, size)
            assert not visual_child(overlay, "idleMoreBelow").isVisible(), (lang, size)
            assert not hidden_part(visual_child(overlay, "idleCountdown"), size)
