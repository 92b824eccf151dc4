"""Audio guidance: every screen is spoken in every language from the screen's own texts, and a
renewal can be done with the keypad alone (the script captured at the engine port)."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from kiosk.config import LANGUAGES, Settings
from kiosk.flow import State
from tests.ui.conftest import Kiosk, make_kiosk, running
from tests.ui.fakes import TMO_CARD, FakeCheckout, FakeServices, FakeSpeech
from ui import speech
from ui.app import KioskUi
from ui.audio import QtTexts
from ui.screenshots import sample_sessions

TS_EN = Path(__file__).resolve().parents[2] / "ui" / "translations" / "simkiosk_en.ts"
KEYPAD = Qt.KeyboardModifier.KeypadModifier
CJK = re.compile(r"[\u4e00-\u9fff]")


class RecordingTexts:
    """The real translations, noting every (context, source) asked for."""

    def __init__(self, real: QtTexts) -> None:
        self.real = real
        self.used: set[tuple[str, str]] = set()

    def get(self, context: str, text: str) -> str:
        self.used.add((context, text))
        return self.real.get(context, text)

    def get_in(self, lang: str, context: str, text: str) -> str:
        self.used.add((context, text))
        return self.real.get_in(lang, context, text)


@pytest.fixture(scope="module")
def snapshot_ui(qapp: QGuiApplication) -> Iterator[KioskUi]:
    ui = KioskUi(None, Settings(), size=QSize(1080, 1920))
    ui.controller.close()
    try:
        yield ui
    finally:
        ui.language.switch("en")  # the translator is process-wide
        ui.close()
        ui.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def scripts(ui: KioskUi, lang: str, texts: Any, *, private: bool = False) -> dict[str, speech.Script]:
    ui.language.switch(lang)
    out = {}
    try:
        for name, session in sample_sessions(lang).items():
            ui.controller.show_snapshot(session)
            data = {n: m.snapshot() for n, m in ui.models.items()}
            out[name] = speech.describe(session, data, texts, langs=LANGUAGES, private=private, idle_remaining=12)
    finally:
        ui.language.switch("en")  # the translator is process-wide
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_screen_has_a_spoken_description_and_an_action_list(snapshot_ui: KioskUi, lang: str) -> None:
    texts = QtTexts(snapshot_ui.language.translateIn)
    every_state = {s.screen for s in scripts(snapshot_ui, lang, texts).values()}
    assert every_state == {s.value for s in State}  # the samples cover every screen
    snapshot_ui.language.switch(lang)  # the option and hint lines are looked up when spoken
    for name, script in scripts(snapshot_ui, lang, texts).items():
        snapshot_ui.language.switch(lang)
        said = " ".join(u.text for u in script.utterances(texts))
        assert script.title and script.description(), name
        assert script.items and all(i.label.strip() for i in script.items), name
        assert script.actions(texts), name
        if lang == "zh_CN":
            assert CJK.search(script.description()), f"{name}: not in Chinese: {script.description()}"
        if lang != "en":
            assert "Options:" not in said and "is selected" not in said, f"{name}: English left in {said}"
        assert "12025550123" not in said and "2 0 2, 5 5 5" not in said, f"{name}: full number spoken aloud"
    s = scripts(snapshot_ui, lang, texts)
    assert "0 1 2 3" in s["confirm"].description()  # read back digit by digit before payment
    assert "T-Mobile" in s["account"].description()
    assert "40" in s["confirm"].description() and "$" not in s["confirm"].description()  # money in words
    assert s["pay"].live and s["pay_silent"].live != s["pay"].live  # the terminal's prompt
    assert [i.key for i in s["plans"].listed][-2:] == ["backButton", "startOverButton"]
    assert s["idle_warning"].items[0].key == "moreTimeButton"
    snapshot_ui.language.switch("en")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_selected_option_that_is_not_available_is_not_offered(snapshot_ui: KioskUi, lang: str) -> None:
    """Continue is selected on the keypad screen before the number is complete: the hint says
    it is not available yet instead of "press Enter to choose it" (every hint form)."""
    texts = QtTexts(snapshot_ui.language.translateIn)
    phone = scripts(snapshot_ui, lang, texts)["phone"]
    assert phone.items[0].key == "submitNumberButton" and not phone.items[0].enabled
    snapshot_ui.language.switch(lang)
    try:
        for touch in (False, True):
            for full in (False, True):
                hint = phone.utterances(texts, touch=touch, focus=0, full_hint=full)[-1].text
                choose = texts.get(speech.SPEECH, speech.HINT_SHORT_TOUCH if touch else speech.HINT_SHORT_KEYS)
                assert speech.fill(choose, phone.items[0].label) not in hint, hint
                assert hint.startswith(speech.fill(texts.get(speech.SPEECH, speech.HINT_DISABLED_SHORT),
                                                   phone.items[0].label)), hint
        back = phone.utterances(texts, focus=1)[-1].text  # an available option is still offered
        assert back.startswith(speech.fill(texts.get(speech.SPEECH, speech.HINT_SHORT_KEYS), phone.items[1].label))
    finally:
        snapshot_ui.language.switch("en")


def test_private_audio_reads_the_whole_number(snapshot_ui: KioskUi) -> None:
    texts = QtTexts(snapshot_ui.language.translateIn)
    s = scripts(snapshot_ui, "en", texts, private=True)
    assert "2 0 2, 5 5 5, 0 1 2 3" in s["confirm"].description()
    assert "2 0 2, 5 5 5, 0 1 2" in s["phone"].description()  # what was typed, digit by digit
    masked = scripts(snapshot_ui, "en", texts)
    assert "9 digits typed" in masked["phone"].description()


def test_spoken_words_are_the_screens_own_catalogue_entries(snapshot_ui: KioskUi) -> None:
    """No second set of strings: every text the scripts look up is an entry lupdate found in
    the QML or view models (context, source), or a spoken-only entry of ui/speech.py."""
    catalogue: set[tuple[str, str]] = set()
    speech_only: set[str] = set()
    for context in ET.parse(TS_EN).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source") or ""
            catalogue.add((name, source))
            files = {loc.get("filename") for loc in message.iter("location")}
            if files == {"../speech.py"}:
                speech_only.add(source)
    texts = RecordingTexts(QtTexts(snapshot_ui.language.translateIn))
    for lang in LANGUAGES:
        for private in (False, True):
            for script in scripts(snapshot_ui, lang, texts, private=private).values():
                script.utterances(texts, touch=private)
                for n in range(len(script.items)):
                    script.item_utterance(texts, n)
    texts.get(speech.SPEECH, speech.INVITATION)
    missing = sorted(key for key in texts.used if key not in catalogue)
    assert not missing, f"spoken strings the catalogue does not have: {missing}"
    borrowed = {src for ctx, src in texts.used if ctx != speech.SPEECH}
    assert not borrowed & speech_only
    assert {src for ctx, src in texts.used if ctx == speech.SPEECH} <= speech_only


# --------------------------------------------------------------------------- through the window


def press(k: Kiosk, key: Qt.Key, times: int = 1) -> None:
    for _ in range(times):
        QTest.keyClick(k.ui.window, key, KEYPAD)


def spoken_since(engine: FakeSpeech, mark: int) -> str:
    return " ".join(u.text for r in engine.requests[mark:] for u in r)  # type: ignore[attr-defined]


def heard(k: Kiosk, engine: FakeSpeech, mark: int, *fragments: str) -> None:
    """Wait until every fragment was handed to the engine since ``mark``."""
    k.qtbot.waitUntil(lambda: all(f in spoken_since(engine, mark) for f in fragments), timeout=5000)


@pytest.fixture
def speaking(qtbot: object, settings: Settings) -> Iterator[Kiosk]:
    engine = FakeSpeech()
    services = FakeServices()
    for k in make_kiosk(qtbot, services, settings, speech_engine=engine):
        k.engine = engine  # type: ignore[attr-defined]
        k.ui.speech.start()  # at once, not SPEECH_START_MS after start-up
        yield k


def tr(k: Kiosk, lang: str, context: str, text: str) -> str:
    return str(k.ui.language.translateIn(lang, context, text))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_renewal_with_the_keypad_alone(speaking: Kiosk, lang: str) -> None:
    """Any key starts audio guidance on the attract screen; +, Enter and the SIM are all it
    takes; each screen is read in the customer's language when it appears, the terminal's
    prompts as they change; the session's end turns audio off and resets the volume."""
    k, engine = speaking, speaking.engine  # type: ignore[attr-defined]
    k.wait_screen("attractScreen")
    k.qtbot.waitUntil(lambda: k.ui.speech.available)
    k.wait_item("audioIndicator")  # the speaker in the top bar: where the long press starts it
    press(k, Qt.Key.Key_5)  # any key: audio guidance on
    heard(k, engine, 0, "Audio guidance is on.", "Top up your phone plan")
    assert k.ui.speech.active and k.ui.speech.focusKey == "attractLang_en"
    assert k.find("focusRing") is not None  # the selected item is outlined for sighted helpers too
    press(k, Qt.Key.Key_Asterisk)  # louder
    assert engine.volume == pytest.approx(0.9)
    press(k, Qt.Key.Key_Plus, LANGUAGES.index(lang))
    assert k.ui.speech.focusKey == f"attractLang_{lang}"
    mark = len(engine.requests)
    press(k, Qt.Key.Key_Enter)
    k.wait_screen("insertSimScreen")
    heard(k, engine, mark, tr(k, lang, "InsertSimScreen", "Insert your SIM card"))
    assert all(u.lang == lang for u in engine.requests[-1])
    mark = len(engine.requests)
    assert k.services.reader is not None
    k.services.reader.insert(TMO_CARD)
    k.wait_screen("accountScreen")
    k.qtbot.waitUntil(lambda: k.ui.speech.focusKey == "renewButton")  # the catalogue came: read again
    heard(k, engine, mark, tr(k, lang, "AccountScreen", "Is this your phone?"), "T-Mobile", "0 1 2 3")
    mark = len(engine.requests)
    press(k, Qt.Key.Key_Enter)  # "Renew Essentials 40 for 40 dollars"
    k.wait_screen("confirmScreen")
    heard(k, engine, mark, tr(k, lang, "ConfirmScreen", "Check and pay"), "0 1 2 3",
          speech.fill(tr(k, lang, "Speech", "%1 dollars"), "40"))
    mark = len(engine.requests)
    press(k, Qt.Key.Key_Enter)  # Pay
    k.wait_screen("payScreen")
    heard(k, engine, mark, tr(k, lang, "PayScreen", "Pay on the card terminal"),
          tr(k, lang, "ViewModel", "Tap, insert or swipe your card"))
    mark = len(engine.requests)
    k.services.checkout.proceed()
    k.wait_screen("successScreen")
    heard(k, engine, mark, tr(k, lang, "ViewModel", "Enter your PIN on the terminal"),
          tr(k, lang, "SuccessScreen", "Done! Your phone is topped up."),
          tr(k, lang, "SuccessScreen", "Please take your SIM card."))
    assert k.services.checkout.langs == [lang]
    mark = len(engine.requests)
    press(k, Qt.Key.Key_Period)  # repeat
    heard(k, engine, mark, tr(k, lang, "SuccessScreen", "Done! Your phone is topped up."))
    press(k, Qt.Key.Key_Enter)  # Done
    k.wait_screen("takeSimScreen")
    k.services.reader.pull()
    k.wait_screen("attractScreen")
    k.qtbot.waitUntil(lambda: not k.ui.speech.active)
    assert engine.volume == pytest.approx(0.8) and engine.rate == pytest.approx(0.0)
    assert k.ui.speech.focusKey == ""


def test_typing_a_number_with_the_keypad_echoes_it(qtbot: object, settings: Settings) -> None:
    engine = FakeSpeech()
    private = dataclasses.replace(settings, speech=dataclasses.replace(settings.speech, headphones=True))
    services = FakeServices(checkout=FakeCheckout(hold=False))
    with running(make_kiosk(qtbot, services, private, speech_engine=engine)) as k:
        k.ui.speech.start()
        k.qtbot.waitUntil(lambda: k.ui.speech.available)
        k.tap("attractTouch")
        k.tap("chooseLang_en")
        k.tap("usePhoneButton")
        k.wait_screen("phoneScreen")
        press(k, Qt.Key.Key_Enter)  # audio on, here
        heard(k, engine, 0, "Enter your phone number", "No digits typed yet")
        press(k, Qt.Key.Key_Enter)  # Continue is not available yet
        heard(k, engine, 0, "Continue: not available yet.")
        for d in "310555019":
            press(k, getattr(Qt.Key, f"Key_{d}"))
        heard(k, engine, 0, "Number typed so far: 3 1 0, 5 5 5, 0 1 9.")
        press(k, Qt.Key.Key_9)
        heard(k, engine, 0, "3 1 0, 5 5 5, 0 1 9 9")
        mark = len(engine.requests)
        press(k, Qt.Key.Key_Enter)  # Continue
        k.wait_screen("accountScreen")
        heard(k, engine, mark, "AT&T", "3 1 0, 5 5 5, 0 1 9 9")  # headphones: the whole number
        assert services.provider.lookups[-1] == (None, "13105550199")
        mark = len(engine.requests)
        press(k, Qt.Key.Key_Enter)  # Yes, choose a plan
        k.wait_screen("plansScreen")
        heard(k, engine, mark, "Choose a plan", "Prepaid 25, 25 dollars, Days valid: 30, 5 GB data")
        assert "Refill 10, 10 dollars, Airtime" in spoken_since(engine, mark)  # no "Days valid: 0"
        press(k, Qt.Key.Key_Minus)
        heard(k, engine, mark, "Start over")


def test_touch_gestures_in_audio_mode(speaking: Kiosk) -> None:
    """Hold the top-left corner to start; a tap says what is under the finger, a double tap
    chooses it, a swipe moves."""
    k, engine = speaking, speaking.engine  # type: ignore[attr-defined]
    k.wait_screen("attractScreen")
    k.qtbot.waitUntil(lambda: k.ui.speech.available)
    corner = k.ui.find("staffCorner")
    assert corner is not None
    QTest.mousePress(k.ui.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(20, 20))
    k.qtbot.waitUntil(lambda: k.ui.speech.active, timeout=k.ui.speech.holdMs + 2000)
    QTest.mouseRelease(k.ui.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(20, 20))
    heard(k, engine, 0, "Audio guidance is on.", "double-tap to choose it")
    assert k.ui.controller.session.state is State.ATTRACT  # the hold did not start the flow
    es = k.find("attractLang_es")
    assert es is not None
    centre = es.mapToScene(es.boundingRect().center()).toPoint()
    QTest.mouseClick(k.ui.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    k.qtbot.waitUntil(lambda: k.ui.speech.focusKey == "attractLang_es")
    assert k.ui.controller.session.state is State.ATTRACT  # a tap only selects
    QTest.mouseDClick(k.ui.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(270, 700))
    k.wait_screen("insertSimScreen")
    assert k.ui.controller.session.lang == "es"
    before = k.ui.speech.focusKey
    QTest.mousePress(k.ui.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(100, 600))
    QTest.mouseMove(k.ui.window, QPoint(300, 610))
    QTest.mouseRelease(k.ui.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(400, 610))
    k.qtbot.waitUntil(lambda: k.ui.speech.focusKey != before)


def test_no_speech_engine_falls_back_silently(qtbot: object, settings: Settings) -> None:
    engine = FakeSpeech(ok=False)
    for k in make_kiosk(qtbot, FakeServices(), settings, speech_engine=engine):
        k.wait_screen("attractScreen")
        k.qtbot.waitUntil(lambda: engine.started, timeout=5000)
        press(k, Qt.Key.Key_Enter)
        k.tap("attractTouch")
        k.wait_screen("languageScreen")
        assert not k.ui.speech.available and not k.ui.speech.active
        assert k.find("audioIndicator") is None and engine.requests == []
        assert k.ui.speech.detail == "no engine"


def test_the_attract_screen_invites_in_every_language(qtbot: object, settings: Settings) -> None:
    engine = FakeSpeech()
    quick = dataclasses.replace(settings, speech=dataclasses.replace(settings.speech, attract_interval_s=5.0))
    for k in make_kiosk(qtbot, FakeServices(), quick, speech_engine=engine):
        k.qtbot.waitUntil(lambda: len(engine.requests) >= 1, timeout=10000)  # start-up + the first delay
        first = engine.requests[0]
        assert [u.lang for u in first] == list(LANGUAGES)
        assert "keypad" in first[0].text and "键盘" in first[1].text and "teclado" in first[2].text
        assert not k.ui.speech.active


# --------------------------------------------------------------------------- the real engine


def _engine_round_trip(qtbot: Any, engine_name: str) -> str:
    """Start Qt TextToSpeech on its thread, say a line in each language, wait until said."""
    from ui.audio import QtSpeechEngine

    engine = QtSpeechEngine(engine_name, rate=0.0, volume=0.5)
    answer: list[tuple[bool, str]] = []
    try:
        engine.start(lambda ok, detail: answer.append((ok, detail)))
        qtbot.waitUntil(lambda: bool(answer), timeout=30000)
        ok, detail = answer[0]
        assert ok, detail
        with qtbot.waitSignal(engine.drained, timeout=30000):
            engine.say([speech.Utterance("en", "Check and pay."), speech.Utterance("zh_CN", "核对并付款。"),
                        speech.Utterance("es", "Revise y pague.")])
        engine.set_volume(0.8)
        engine.say([speech.Utterance("en", "Interrupted before it ends, by the next screen.")])
        with qtbot.waitSignal(engine.drained, timeout=30000):
            engine.say([speech.Utterance("es", "Pagar 40 dólares.")])
        return detail
    finally:
        engine.close()


def test_qt_texttospeech_runs_on_its_own_thread(qtbot: Any) -> None:
    """Qt's silent mock engine (PySide6-Addons) through the real adapter and thread."""
    assert "mock" in _engine_round_trip(qtbot, "mock")


@pytest.fixture
def speech_dispatcher(tmp_path: Path) -> Iterator[str]:
    """A private speech-dispatcher with espeak-ng, playing into ALSA's null device (CI has no
    sound card), on its own socket; stopped by its PID."""
    import os
    import shutil
    import subprocess

    binary = shutil.which("speech-dispatcher")
    assert binary, "speech-dispatcher is missing: make deps installs it (DEB_PACKAGES)"
    conf = tmp_path / "conf"
    shutil.copytree("/etc/speech-dispatcher", conf)
    text = (conf / "speechd.conf").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^#?\s*AudioOutputMethod .*$', 'AudioOutputMethod "alsa"', text)
    text = re.sub(r'(?m)^#?\s*AudioALSADevice .*$', 'AudioALSADevice "null"', text)
    (conf / "speechd.conf").write_text(text + '\nDefaultModule espeak-ng\n', encoding="utf-8")
    sock = tmp_path / "speechd.sock"
    proc = subprocess.Popen([binary, "-s", "-t", "0", "-C", str(conf), "-c", "unix_socket", "-S", str(sock),
                             "-L", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    old = os.environ.get("SPEECHD_ADDRESS")
    os.environ["SPEECHD_ADDRESS"] = f"unix_socket:{sock}"
    try:
        for _ in range(100):
            if sock.exists():
                break
            QTest.qWait(50)
        yield str(sock)
    finally:
        if old is None:
            os.environ.pop("SPEECHD_ADDRESS", None)
        else:
            os.environ["SPEECHD_ADDRESS"] = old
        os.killpg(proc.pid, 15)  # the daemon and its espeak-ng module, started here
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


def test_speech_dispatcher_with_espeak_ng_speaks_english_mandarin_and_spanish(qtbot: Any,
                                                                           speech_dispatcher: str) -> None:
    """The deployed stack: Qt's speechd engine, speech-dispatcher, espeak-ng with a voice for
    each kiosk language (Mandarin is espeak-ng's cmn, found by name)."""
    detail = _engine_round_trip(qtbot, "speechd")
    assert "en: English (America)" in detail, detail
    assert "zh_CN: Chinese (Mandarin" in detail, detail
    assert "es: Spanish (Latin America)" in detail, detail


def test_screenshots_speech_prints_the_script_of_every_screen(capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.cli import main

    assert main(["screenshots", "--speech", "--lang", "es", "--json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)["speech"]
    screens = {s["screen"] for s in out}
    assert set(sample_sessions("es")) | {"attract_invitation"} == screens
    confirm = next(s["script"] for s in out if s["screen"] == "confirm")
    assert "Revise y pague" in confirm and "terminado en 0 1 2 3" in confirm
    assert "payButton: Pagar 40 dólares" in confirm
