"""Every screen at 1080x1920: objectNames, touch targets, glyphs; the CLI edges."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtQuick import QQuickItem

from kiosk.cli import EXIT_NO_DISPLAY, main
from kiosk.cli.run import display_problem
from kiosk.config import Settings
from kiosk.flow import State
from tests.ui.conftest import Kiosk, make_kiosk
from tests.ui.fakes import FakeServices
from ui import i18n
from ui.screenshots import sample_sessions

MIN_TOUCH_PX = 120


@pytest.fixture
def portrait(qtbot: object, settings: Settings) -> Iterator[Kiosk]:
    yield from make_kiosk(qtbot, FakeServices(), settings, size=QSize(1080, 1920))


def _buttons(root: QQuickItem) -> list[QQuickItem]:
    """Visible tappable items: our buttons, toggles, plan cards and keypad keys."""
    found, stack = [], [root]
    while stack:
        item = stack.pop()
        if not item.isVisible():
            continue
        name = item.objectName()
        if name.endswith(("Button", "Toggle")) or name.startswith(("key_", "plan_", "topLang_", "chooseLang_")):
            found.append(item)
        stack.extend(item.childItems())
    return found


@pytest.mark.parametrize("lang", ["en", "zh_CN", "es"])
def test_every_screen_has_a_name_and_large_touch_targets(portrait: Kiosk, lang: str) -> None:
    portrait.ui.language.switch(lang)
    seen = set()
    for name, session in sample_sessions(lang).items():
        portrait.ui.controller.show_snapshot(session)
        portrait.settled()
        screen = portrait.current_screen()
        assert screen is not None and screen.objectName().endswith("Screen"), name
        seen.add(session.state)
        buttons = _buttons(portrait.ui.window.contentItem())
        assert buttons, name
        for button in buttons:
            assert button.height() >= MIN_TOUCH_PX, (name, button.objectName(), button.height())
        for toggle in ("contrastToggle", "largeTextToggle", f"topLang_{lang}"):
            assert portrait.find(toggle) is not None, (name, toggle)
    assert seen == set(State)


def test_large_text_keeps_touch_targets(portrait: Kiosk) -> None:
    portrait.ui.theme.largeText = True
    portrait.ui.controller.show_snapshot(sample_sessions("es")["confirm"])
    portrait.settled()
    for button in _buttons(portrait.ui.window.contentItem()):
        assert button.height() >= MIN_TOUCH_PX


def test_the_ui_font_has_every_chinese_glyph(portrait: Kiosk) -> None:
    import xml.etree.ElementTree as ET

    metrics = QFontMetrics(QFont(portrait.ui.theme.fontFamily))
    assert portrait.ui.theme.fontFamily == "Noto Sans CJK SC"
    tree = ET.parse(i18n.ts_path("zh_CN"))
    missing = {
        ch for tr in tree.getroot().iter("translation") for ch in (tr.text or "")
        if not ch.isspace() and not metrics.inFontUcs4(ord(ch))
    }  # fmt: skip
    assert not missing


def test_every_translation_is_finished() -> None:
    import xml.etree.ElementTree as ET

    for lang in ("en", "zh_CN", "es"):
        root = ET.parse(i18n.ts_path(lang)).getroot()
        for message in root.iter("message"):
            tr = message.find("translation")
            assert tr is not None and tr.text and tr.get("type") is None, (lang, message.findtext("source"))


def test_i18n_build_compiles_missing_catalogues(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    out = Path(str(tmp_path))
    monkeypatch.setattr(i18n, "qm_path", lambda lang: out / f"simkiosk_{lang}.qm")
    written = i18n.build(["es"])
    assert written == [out / "simkiosk_es.qm"] and written[0].stat().st_size > 0
    assert i18n.build(["es"]) == []  # up to date now
    assert i18n.main(["nonsense"]) == 2


@pytest.mark.parametrize(
    ("env", "ok"),
    [({}, False), ({"DISPLAY": ":0"}, True), ({"WAYLAND_DISPLAY": "wayland-0"}, True),
     ({"QT_QPA_PLATFORM": "offscreen"}, True), ({"QT_QPA_PLATFORM": "minimal"}, True),
     ({"QT_QPA_PLATFORM": "xcb"}, False), ({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":1"}, True),
     ({"QT_QPA_PLATFORM": "wayland"}, False), ({"QT_QPA_PLATFORM": ""}, False)],
)  # fmt: skip
def test_display_detection(env: dict[str, str], ok: bool) -> None:
    assert (display_problem(env) is None) == ok


def test_kiosk_run_without_a_display_exits_3(monkeypatch: pytest.MonkeyPatch, tmp_path: object,
                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    for var in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "")
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path))
    assert main(["run", "--demo"]) == EXIT_NO_DISPLAY
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kiosk: no display")
    assert os.environ["QT_QPA_PLATFORM"] == ""
