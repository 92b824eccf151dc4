"""Nothing a customer needs is cut off: every screen x language x orientation x text size x
contrast is rendered offscreen and checked by ``ui.layoutcheck`` (text elided or larger than
its box, items spilling out of their container or the window, content that cannot scroll),
and each screen's primary action (``ui.layoutcheck.PRIMARY``: the keypad and the number, the
price and Pay, the terminal's prompt and Cancel, the reference and Done...) lies wholly on
screen before any scrolling, with keys at least 20 mm tall. And the checks themselves fail,
naming screen, language, size and mode, on a long string and on a keypad pushed down."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QRectF, QSize, QTranslator
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickItem

from kiosk.config import LANGUAGES, Settings
from ui.app import KioskUi
from ui.layoutcheck import ALL_MODES, PRIMARY, Mode, _frames, _loaded, check_all, primary_problems, problems
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


def test_the_primary_action_check_fails_on_a_keypad_pushed_below_the_fold(
        layout_ui: KioskUi, monkeypatch: pytest.MonkeyPatch) -> None:
    """A notice much longer than the real one pushes the phone keypad off the screen in large
    text: the check names the screen, language, size and mode and the keys; with the real
    Spanish notice the keypad, the number and Continue are all on screen."""
    manager = layout_ui.language
    real = manager._translator("es")
    assert real is not None
    source = "Please check the number: a US number has 10 digits, area code first."
    long = LongTranslation(real, source, "Revise el número: un número de EE. UU. tiene 10 dígitos. " * 12)
    monkeypatch.setitem(manager._translators, "es", long)
    where = "phone_invalid [es 1080x1920, large text, normal contrast]: "
    report = check_all(layout_ui, langs=["es"], sizes=[QSize(1080, 1920)], modes=[Mode(large_text=True)],
                       screens=["phone_invalid"])
    monkeypatch.undo()
    manager.switch("en")
    assert any(line.startswith(where) and "primary action phoneScreen/key_0" in line
               and "not fully on screen without scrolling" in line for line in report), report
    assert check_all(layout_ui, langs=["es"], sizes=[QSize(1080, 1920)], modes=[Mode(large_text=True)],
                     screens=["phone_invalid"]) == []


def test_the_primary_action_check_looks_at_scroll_position_zero(layout_ui: KioskUi,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Judged as the screen first appears, not as it happens to be scrolled: the third plan's
    price (below the fold in large text) scrolled into view still counts as needing scrolling."""
    from ui.screenshots import sample_sessions

    monkeypatch.setitem(PRIMARY, "plansScreen", ("planPrice_2",))
    layout_ui.window.resize(QSize(1080, 1920))
    layout_ui.language.switch("es")
    layout_ui.theme.setProperty("largeText", True)
    try:
        layout_ui.controller.show_snapshot(sample_sessions("es")["plans"])
        _loaded(layout_ui)
        _frames(layout_ui.window, 3)
        at_rest = primary_problems(layout_ui.window)
        assert len(at_rest) == 1 and "planPrice_2" in at_rest[0] and "below the fold" in at_rest[0], at_rest
        scroller = visual_child(layout_ui.window.contentItem(), "screenScroller")
        scroller.setProperty("contentY", float(scroller.property("contentHeight")) - scroller.height())
        _frames(layout_ui.window)
        price = visual_child(layout_ui.window.contentItem(), "planPrice_2")
        view = scroller.mapRectToScene(QRectF(0, 0, scroller.width(), scroller.height()))
        assert view.contains(price.mapRectToScene(QRectF(0, 0, price.width(), price.height())))  # in view now
        scrolled = primary_problems(layout_ui.window)  # (the bar's text, so its height, changed)
        assert len(scrolled) == 1 and "planPrice_2" in scrolled[0] and "below the fold" in scrolled[0], scrolled
    finally:
        layout_ui.theme.setProperty("largeText", False)
        layout_ui.language.switch("en")


def test_every_primary_action_names_items_that_exist() -> None:
    """A renamed screen or item must not drop out of the rule unnoticed (an owner that is never
    found, or an optional notice, is skipped by the check): every name in PRIMARY is an
    objectName in the QML (a Repeater's ``"planPrice_" + index`` counts for planPrice_0)."""
    qml = "\n".join(path.read_text() for path in Path("ui/qml").rglob("*.qml"))
    named = set(re.findall(r'(?:objectName|qrName):\s*"(\w+)"', qml))  # QrTile names its image qrName
    indexed = set(re.findall(r'objectName:\s*"(\w+_)"\s*\+\s*index', qml))
    named |= {f"key_{k}" for k in "0123456789"} if 'objectName: "key_" + modelData' in qml else set()
    for owner, names in PRIMARY.items():
        assert owner in named, owner
        for name in (n.rstrip("?") for n in names):
            assert name in named or re.sub(r"\d+$", "", name) in indexed, f"{owner}/{name}"
