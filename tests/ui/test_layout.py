"""Nothing a customer needs is cut off: every screen x language x orientation x text size x
contrast is rendered offscreen and checked by ``ui.layoutcheck`` (text elided or larger than
its box, items spilling out of their container or the window, content that cannot scroll).
And the check itself fails, naming screen, language, size and mode, on a long string."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSize, QTranslator
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickItem

from kiosk.config import LANGUAGES, Settings
from ui.app import KioskUi
from ui.layoutcheck import ALL_MODES, Mode, _frames, check_all, problems
from ui.screenshots import SIZES


@pytest.fixture(scope="module")
def layout_ui(qapp: QGuiApplication) -> Iterator[KioskUi]:
    from ui.screenshots import SilentSpeech

    ui = KioskUi(None, Settings(), size=QSize(1080, 1920), speech_engine=SilentSpeech())
    ui.controller.close()  # snapshots only: no timers, no lanes
    ui.speech.start()  # audio guidance available: the speaker shows in the top bar, as deployed
    ui.window.show()
    try:
        yield ui
    finally:
        ui.close()
        ui.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_every_screen_fits_in_every_language_size_and_mode(layout_ui: KioskUi) -> None:
    assert layout_ui.speech.available
    report = check_all(layout_ui, langs=LANGUAGES, sizes=SIZES, modes=ALL_MODES)
    assert not report, f"{len(report)} problem(s):\n" + "\n".join(report)


def test_the_audio_focus_ring_stays_inside_what_it_marks(layout_ui: KioskUi) -> None:
    """Audio guidance outlines the selected option: on every option of a few busy screens
    (keys, plan cards, top-bar toggles), in portrait and landscape, nothing spills."""
    from kiosk.flow import State
    from ui.screenshots import sample_sessions

    speech = layout_ui.speech
    failures = []
    for size in SIZES:
        layout_ui.window.resize(size)
        for name in ("phone", "plans", "confirm"):
            session = sample_sessions("es")[name]
            layout_ui.language.switch("es")
            layout_ui.controller.show_snapshot(session)
            _frames(layout_ui.window, 3)
            speech._active = True  # as after a key press, without the engine
            speech._script = speech._build()
            for n in range(len(speech._script.items)):
                speech._focus = n
                speech.changed.emit()
                _frames(layout_ui.window, 1)
                failures += [f"{name} {size.width()}x{size.height()} {speech.focusKey}: {p}"
                             for p in problems(layout_ui.window)]
            assert session.state is not State.ATTRACT
    speech._active = False
    speech.changed.emit()
    layout_ui.language.switch("en")
    assert not failures, "\n".join(failures)


def visual_child(root: QQuickItem, name: str) -> QQuickItem:
    """By objectName in the visual tree (Repeater delegates are not QObject children)."""
    stack = [root]
    while stack:
        item = stack.pop()
        if item.objectName() == name:
            return item
        stack.extend(item.childItems())
    raise LookupError(name)


class LongTranslation(QTranslator):
    """The real Spanish catalogue, except one string made deliberately long."""

    def __init__(self, real: QTranslator, source: str, text: str) -> None:
        super().__init__()
        self._real, self._source, self._text = real, source, text

    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1) -> str:
        if source == self._source:
            return self._text
        return self._real.translate(context, source, disambiguation, n)

    def isEmpty(self) -> bool:
        return False


def test_the_check_fails_on_a_deliberately_long_string(layout_ui: KioskUi,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A translation much longer than the English (the top bar's title, which must stay on one
    line) is reported as elided, naming screen, language, size and mode; a language button's
    name too long for the bar is reported as leaving the window."""
    manager = layout_ui.language
    real = manager._translator("es")
    assert real is not None
    long = LongTranslation(real, "Phone top-up", "Recarga de celulares prepagados en este quiosco " * 4)
    monkeypatch.setitem(manager._translators, "es", long)
    report = check_all(layout_ui, langs=["es"], sizes=[QSize(1920, 1080)],
                       modes=[Mode(large_text=True)], screens=["account"])
    monkeypatch.undo()
    manager.switch("en")
    where = "account [es 1920x1080, large text, normal contrast]: "
    assert any(line.startswith(where) and "topBarTitle" in line and "elided" in line for line in report), report
    assert check_all(layout_ui, langs=["es"], sizes=[QSize(1920, 1080)], modes=[Mode(large_text=True)],
                     screens=["account"]) == []  # the real Spanish title fits

    label = visual_child(layout_ui.window.contentItem(), "topLang_es")
    text_item = next(c for c in label.childItems() if c.inherits("QQuickText"))
    before = text_item.property("text")
    text_item.setProperty("text", "Español" * 12)
    try:
        _frames(layout_ui.window)
        found = problems(layout_ui.window)
    finally:
        text_item.setProperty("text", before)
    assert any("topLang_" in line or "topBar" in line for line in found), found


def test_staff_screens_show_their_primary_action_without_scrolling(layout_ui: KioskUi) -> None:
    from PySide6.QtCore import QRectF

    from ui.screenshots import staff_previews

    previews = staff_previews()
    failures = []
    for size in SIZES:
        layout_ui.window.resize(size)
        for mode in ALL_MODES:
            layout_ui.theme.setProperty("largeText", mode.large_text)
            layout_ui.theme.setProperty("highContrast", mode.high_contrast)
            for screen, button in (("operator", "exportButton"), ("staff_pin", "pinSubmitButton")):
                layout_ui.staff.preview(**previews[screen])
                _frames(layout_ui.window, 3)
                item = visual_child(layout_ui.window.contentItem(), button)
                rect = item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))
                viewport = item.parentItem().parentItem().parentItem()  # grid, content, actionScroller
                view = viewport.mapRectToScene(QRectF(0, 0, viewport.width(), viewport.height()))
                if not (view.contains(rect) and QRectF(0, 0, size.width(), size.height()).contains(rect)):
                    failures.append(f"{screen} {size.width()}x{size.height()} {mode}: {button} at {rect}")
    layout_ui.staff.preview("")
    layout_ui.theme.setProperty("largeText", False)
    layout_ui.theme.setProperty("highContrast", False)
    assert not failures, failures
