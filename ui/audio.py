"""Audio guidance: speaks each screen (:mod:`ui.speech` builds the words) and lets a customer
who cannot see the screen move through it with a USB numeric keypad or touch gestures.

* :class:`SpeechEngine` is the small port the controller talks to: ``start``, ``say``
  (interrupts whatever is being said), ``set_volume``, ``set_rate``, ``close``.
  :class:`QtSpeechEngine` is Qt TextToSpeech (PySide6-Addons) in a helper process
  (:mod:`ui.speech_helper`): the engine's creation (speech-dispatcher lists ~10,000
  espeak-ng voices: a second or more) and every call into it (a socket to
  speech-dispatcher) stay out of the kiosk process; the GUI thread writes one line per
  request. Tests use a recording fake.
* :class:`SpeechController` (QML ``speech``) decides what to say and when: the whole
  screen when it changes, only the new line when a live line changes (the terminal's
  prompt), the focused item when focus moves, the attract screen's invitation in every
  language every ``[speech] attract_interval_s``. No engine, or one that failed: nothing
  is offered and nothing is said (``kiosk diag`` reports it).

Keys (a standard USB numeric keypad, NumLock on; the arrows, Tab and Space of a
keyboard work too): any key starts audio guidance; then ``+`` next, ``-`` previous,
``Enter`` choose, ``.`` repeat the screen, ``*`` / ``/`` volume up / down, the digits
type on the phone-number screen, ``Backspace`` deletes. Touch: hold the top-left
corner for 2 s to start (or to hear the screen again); in audio mode a tap says what
is under the finger, a double tap chooses the selected item, a swipe right / left moves,
a swipe up / down repeats.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import (
    Property,
    QCoreApplication,
    QEvent,
    QMetaObject,
    QObject,
    QPointF,
    QRectF,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeyEvent

from kiosk.flow import State
from ui import speech
from ui.speech import Script, Utterance

if TYPE_CHECKING:
    from PySide6.QtQuick import QQuickItem, QQuickWindow

    from kiosk.config import SpeechSection
    from kiosk.flow import Session

log = logging.getLogger(__name__)

#: Long press in the top-left corner that starts audio guidance (ms).
HOLD_MS = 2000
VOLUME_STEP = 0.1
#: A request older than this that the engine never started is dropped (a hung engine).
INVITATION_DELAY_MS = 3000


class SpeechEngine(Protocol):
    """What :class:`SpeechController` needs from a speech engine. ``start`` reports
    ``on_ready(ok, detail)`` on the GUI thread; ``say`` interrupts and returns at once."""

    def start(self, on_ready: Callable[[bool, str], None]) -> None: ...

    def say(self, utterances: Sequence[Utterance]) -> None: ...

    def stop(self) -> None: ...

    def set_volume(self, volume: float) -> None: ...

    def set_rate(self, rate: float) -> None: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- Qt TextToSpeech


class QtSpeechEngine(QObject):
    """Qt TextToSpeech in its own process (:mod:`ui.speech_helper`), spoken to over a pipe.

    Why a process, not a thread: creating the engine blocks for a second or more
    (speech-dispatcher lists ~10,000 espeak-ng voices; five the first time, when it
    starts the daemon), and PySide6 keeps the GIL through such Qt calls, so on a thread
    of the kiosk it froze every Python callback of the GUI thread for that long (measured:
    1.2 s). The GUI thread only writes one JSON line per request; the helper's stdout is
    read as it arrives. Every method returns at once; a helper that dies or never gets
    ready means no speech, nothing else."""

    #: The helper finished (or dropped) the last request: for tests and the benchmark.
    drained = Signal()

    def __init__(self, engine: str = "speechd", *, rate: float = 0.0, volume: float = 0.8,
                 ready_timeout_s: float = 60.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtCore import QProcess

        self._args = ["-m", "ui.speech_helper", "--engine", engine, "--rate", f"{rate:g}", "--volume", f"{volume:g}"]
        self._proc = QProcess(self)
        self._proc.setProcessChannelMode(QProcess.ProcessChannelMode.ForwardedErrorChannel)
        self._proc.readyReadStandardOutput.connect(self._read)
        self._proc.finished.connect(self._finished)
        self._proc.errorOccurred.connect(lambda err: self._fail(f"speech helper: {err.name}"))
        self._on_ready: Callable[[bool, str], None] | None = None
        self._ready = False
        self._answered = False
        self._buffer = b""
        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.setInterval(int(ready_timeout_s * 1000))
        self._timeout.timeout.connect(lambda: self._fail(f"no speech engine after {ready_timeout_s:g} s"))

    def start(self, on_ready: Callable[[bool, str], None]) -> None:
        import sys
        from pathlib import Path

        self._on_ready = on_ready
        self._proc.setWorkingDirectory(str(Path(__file__).resolve().parents[1]))
        self._proc.start(sys.executable, self._args)
        self._timeout.start()

    def _answer(self, ok: bool, detail: str) -> None:
        if not self._answered and self._on_ready is not None:
            self._answered = True
            self._on_ready(ok, detail)

    def _fail(self, detail: str) -> None:
        self._timeout.stop()
        if not self._answered:
            self._answer(False, detail)
        elif self._ready:
            log.warning("audio guidance stopped: %s", detail)
        self._ready = False
        self._kill()

    def _finished(self, code: int, _status: object) -> None:
        self._fail(f"speech helper exited ({code})")

    def _read(self) -> None:
        import json

        self._buffer += bytes(self._proc.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                msg = json.loads(line)
            except ValueError:
                log.warning("speech helper said %r", line[:200])
                continue
            if "ready" in msg:
                self._timeout.stop()
                self._ready = bool(msg["ready"])
                self._answer(self._ready, str(msg.get("detail", "")))
                if not self._ready:
                    self._kill()
            elif msg.get("drained"):
                self.drained.emit()

    def _send(self, msg: dict[str, Any]) -> None:
        import json

        from PySide6.QtCore import QProcess

        if self._proc.state() == QProcess.ProcessState.Running:
            self._proc.write(json.dumps(msg, ensure_ascii=False).encode("utf-8") + b"\n")

    def say(self, utterances: Sequence[Utterance]) -> None:
        self._send({"say": [[u.lang, u.text] for u in utterances]})

    def stop(self) -> None:
        self._send({"stop": True})

    def set_volume(self, volume: float) -> None:
        self._send({"volume": float(volume)})

    def set_rate(self, rate: float) -> None:
        self._send({"rate": float(rate)})

    def _kill(self) -> None:
        from PySide6.QtCore import QProcess

        if self._proc.state() != QProcess.ProcessState.NotRunning:
            self._proc.kill()
            self._proc.waitForFinished(1000)

    def close(self) -> None:
        """Ask the helper to stop (it closes the engine), kill it if it does not within 2 s."""
        from PySide6.QtCore import QProcess

        self._timeout.stop()
        self._answered = True
        if self._proc.state() == QProcess.ProcessState.NotRunning:
            return
        self._proc.finished.disconnect(self._finished)
        self._proc.closeWriteChannel()  # end of input: the helper quits
        if not self._proc.waitForFinished(2000):
            self._kill()


def engine_from_settings(section: SpeechSection) -> SpeechEngine | None:
    """The configured engine (``[speech] engine``), or ``None`` when audio guidance is off."""
    if section.engine == "none":
        return None
    return QtSpeechEngine(section.engine, rate=section.rate, volume=section.volume)


# --------------------------------------------------------------------------- the controller


class QtTexts:
    """:class:`ui.speech.Texts` over the installed translator and the language manager."""

    def __init__(self, translate_in: Callable[[str, str, str], str]) -> None:
        self._in = translate_in

    def get(self, context: str, text: str) -> str:
        return QCoreApplication.translate(context, text)

    def get_in(self, lang: str, context: str, text: str) -> str:
        return self._in(lang, context, text)


def _keys() -> dict[int, str]:
    from PySide6.QtCore import Qt

    k = Qt.Key
    table = {
        k.Key_Plus: "next", k.Key_Down: "next", k.Key_Right: "next", k.Key_Tab: "next",
        k.Key_Minus: "previous", k.Key_Up: "previous", k.Key_Left: "previous", k.Key_Backtab: "previous",
        k.Key_Enter: "activate", k.Key_Return: "activate", k.Key_Space: "activate",
        k.Key_Period: "repeat", k.Key_Comma: "repeat", k.Key_Delete: "repeat", k.Key_Clear: "repeat",
        k.Key_Asterisk: "louder", k.Key_Slash: "softer", k.Key_Backspace: "backspace",
        k.Key_Insert: "repeat", k.Key_Home: "previous", k.Key_End: "next", k.Key_PageUp: "previous",
        k.Key_PageDown: "next",
    }
    out = {int(key.value): action for key, action in table.items()}
    for d in range(10):
        out[int(k.Key_0.value) + d] = f"digit:{d}"
    return out


class SpeechController(QObject):
    """Audio mode, focus and what to say; QML sees ``available``, ``active``, ``focusKey``."""

    changed = Signal()
    #: Everything handed to the engine, for tests that read the script off the GUI.
    spoken = Signal(object)

    def __init__(self, engine: SpeechEngine | None, settings: SpeechSection, *,
                 window: QQuickWindow, session: Any, models: Mapping[str, Any], theme: Any,
                 language: Any, langs: Sequence[str], staff: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engine = engine
        self._settings = settings
        self._window = window
        self._session = session  # SessionController
        self._models = models
        self._theme = theme
        self._langs = list(langs)
        self._staff = staff
        self._texts = QtTexts(language.translateIn)
        self._available = False
        self._active = False
        self._touch = False
        self._focus = 0
        self._script: Script | None = None
        self._volume = settings.volume
        self._keys = _keys()
        self._closed = False
        self._invite = QTimer(self)
        self._invite.setSingleShot(True)
        self._invite.timeout.connect(self._invitation)
        self._last_state = State.ATTRACT
        self._started = False
        self.detail = "not started"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the engine (asynchronously: its thread loads and lists the voices)."""
        if self._engine is None:
            self.detail = "audio guidance is off ([speech] engine = none)"
            return
        if self._started:
            return
        self._started = True
        self.detail = "starting"
        self._engine.start(self._engine_ready)

    def _engine_ready(self, ok: bool, detail: str) -> None:
        self.detail = detail
        if self._closed:
            return
        if not ok:
            log.warning("no audio guidance: %s", detail)  # falls back silently (kiosk diag says why)
            return
        log.info("audio guidance ready: %s", detail)
        self._available = True
        self.changed.emit()
        self._schedule_invitation(INVITATION_DELAY_MS)

    def close(self) -> None:
        self._closed = True
        self._invite.stop()
        if self._engine is not None:
            self._engine.close()

    # ------------------------------------------------------------------ QML surface

    @Property(bool, notify=changed)
    def available(self) -> bool:
        return self._available

    @Property(bool, notify=changed)
    def active(self) -> bool:
        return self._active

    @Property(str, notify=changed)
    def focusKey(self) -> str:
        if not self._active or self._script is None or not self._script.items:
            return ""
        return self._script.items[self._focus].key

    @Property(int, constant=True)
    def holdMs(self) -> int:
        return HOLD_MS

    @property
    def script(self) -> Script | None:
        return self._script

    @Slot()
    def cornerHeld(self) -> None:
        """Long press in the top-left corner: start audio guidance, or hear the screen again."""
        self._touch = True
        if self._active:
            self.repeat()
        else:
            self.begin()

    @Slot(float, float)
    def touchAt(self, x: float, y: float) -> None:
        """Audio mode, one tap: select (and say) what is under the finger."""
        self._touch = True
        script = self._script
        if not self._active or script is None:
            return
        keys = {item.key: n for n, item in enumerate(script.items)}
        point = QPointF(x, y)
        for item in self._qml_items():
            n = keys.get(item.objectName())
            if n is None:
                continue
            rect = item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))
            if rect.contains(point):
                self._move_to(n)
                return

    @Slot(int)
    def swipe(self, direction: int) -> None:
        self._touch = True
        self.move(1 if direction > 0 else -1)

    @Slot()
    def touchActivate(self) -> None:
        self._touch = True
        self.activate()

    @Slot()
    def touchRepeat(self) -> None:
        self._touch = True
        self.repeat()

    # ------------------------------------------------------------------ actions

    def begin(self) -> None:
        """Audio mode on: the current screen read in full, focus on its first item."""
        if not self._available or self._active or self._staff_active():
            return
        self._active = True
        self._invite.stop()
        self._script = self._build()
        self._focus = 0
        self.changed.emit()
        self._read(prefix=[Utterance(self._script.lang, self._texts.get(speech.SPEECH, speech.AUDIO_ON))],
                   full_hint=True)

    def end(self) -> None:
        """Audio mode off, volume and rate back to the defaults (the session ended)."""
        was = self._active
        self._active = False
        self._focus = 0
        self._touch = False
        if self._engine is not None and self._available:
            if was:
                self._engine.stop()
            self._volume = self._settings.volume
            self._engine.set_volume(self._volume)
            self._engine.set_rate(self._settings.rate)
        self.changed.emit()

    def move(self, step: int) -> None:
        script = self._script
        if not self._active or script is None or not script.items:
            return
        self._move_to((self._focus + step) % len(script.items))

    def _move_to(self, index: int) -> None:
        assert self._script is not None
        self._focus = index
        self.changed.emit()
        self._say([self._script.item_utterance(self._texts, index)])

    def repeat(self) -> None:
        if self._active:
            self._script = self._build()
            self._read(full_hint=True)

    def activate(self) -> None:
        """Choose the selected item: the same ``activate()`` a tap on it runs."""
        script = self._script
        if not self._active or script is None or not script.items:
            return
        item = script.items[self._focus]
        target = next((i for i in self._qml_items() if i.objectName() == item.key), None)
        if target is None or not item.enabled or not target.isEnabled():
            self._say([Utterance(script.lang, speech.fill(self._texts.get(speech.SPEECH, speech.UNAVAILABLE),
                                                          item.label))])
            return
        if not QMetaObject.invokeMethod(target, "activate"):
            log.error("QML item %s has no activate()", item.key)

    def volume(self, step: float) -> None:
        if self._engine is None or not self._active:
            return
        self._volume = round(min(1.0, max(0.1, self._volume + step)), 2)
        self._engine.set_volume(self._volume)
        lang = self._script.lang if self._script else "en"
        self._say([Utterance(lang, speech.fill(self._texts.get(speech.SPEECH, speech.VOLUME),
                                               str(round(self._volume * 100))))])

    # ------------------------------------------------------------------ what changed

    def on_session(self, session: Session) -> None:
        """After the view models were refreshed: read what changed. Back on the attract screen
        the session is over: audio mode off, volume and rate back to the defaults."""
        if self._closed:
            return
        arrived = session.state is State.ATTRACT and self._last_state is not State.ATTRACT
        self._last_state = session.state
        if arrived:
            self.end()
            self._script = None
            self._schedule_invitation(INVITATION_DELAY_MS)
            return
        if not self._active:
            return
        before = self._script
        after = self._build()
        self._script = after
        if before is None or after.key != before.key:
            self._focus = 0
            self.changed.emit()
            self._read()
            return
        if after.items and before.items and self._focus < len(before.items):
            key = before.items[self._focus].key  # the same item keeps the focus
            self._focus = next((n for n, i in enumerate(after.items) if i.key == key), 0)
        self.changed.emit()
        if after.live != before.live and after.live:
            self._say([Utterance(after.lang, after.live)])
        elif session.state is State.PHONE and before.facts != after.facts:
            self._say([Utterance(after.lang, after.facts[-1])])  # what was typed so far

    def on_theme(self) -> None:
        """A top-bar toggle changed: say its new state if it has the focus."""
        if not self._active or self._script is None:
            return
        before = self._script
        self._script = self._build()
        focus = min(self._focus, len(self._script.items) - 1)
        if focus >= 0 and before.items[focus:focus + 1] != self._script.items[focus:focus + 1]:
            self._say([self._script.item_utterance(self._texts, focus)])

    def on_staff(self) -> None:
        if self._staff_active() and self._engine is not None and self._available:
            self._invite.stop()
            self._engine.stop()

    # ------------------------------------------------------------------ keys

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        action = self._keys.get(int(event.key()))
        if action is None or not self._available or self._staff_active() or event.isAutoRepeat():
            return False
        self._touch = False
        if not self._active:
            self.begin()
            return True
        if action.startswith("digit:"):
            if self._session.session.state is State.PHONE:
                self._session.send("digit", action[-1])
            return True
        if action == "backspace":
            if self._session.session.state is State.PHONE:
                self._session.send("backspace")
            return True
        handlers: dict[str, Callable[[], None]] = {
            "next": lambda: self.move(1), "previous": lambda: self.move(-1), "activate": self.activate,
            "repeat": self.repeat, "louder": lambda: self.volume(VOLUME_STEP),
            "softer": lambda: self.volume(-VOLUME_STEP),
        }
        handlers[action]()
        return True

    # ------------------------------------------------------------------ helpers

    def _staff_active(self) -> bool:
        return bool(self._staff is not None and self._staff.active)

    def _build(self) -> Script:
        session = self._session.session
        data = {name: model.snapshot() for name, model in self._models.items()}
        return speech.describe(
            session, data, self._texts, langs=self._langs, private=self._settings.headphones,
            idle_remaining=int(self._session.idleRemaining),
            options={"high_contrast": bool(self._theme.highContrast), "large_text": bool(self._theme.largeText)},
        )

    def _read(self, prefix: Sequence[Utterance] = (), *, full_hint: bool = False) -> None:
        assert self._script is not None
        self._say([*prefix, *self._script.utterances(self._texts, touch=self._touch, focus=self._focus,
                                                      full_hint=full_hint)])

    def _say(self, utterances: list[Utterance]) -> None:
        if self._engine is None or not self._available:
            return
        self.spoken.emit(utterances)
        self._engine.say(utterances)

    def _schedule_invitation(self, delay_ms: int) -> None:
        if self._available and not self._active:
            self._invite.start(delay_ms)

    def _invitation(self) -> None:
        """The attract screen's spoken loop: how to start audio guidance, in every language."""
        if (self._closed or self._active or not self._available or self._staff_active()
                or self._session.suspended or self._session.session.state is not State.ATTRACT):
            return
        self._say(speech.invitation(self._texts, self._langs))
        self._invite.start(max(1000, int(self._settings.attract_interval_s * 1000)))

    def _qml_items(self) -> list[QQuickItem]:
        """Visible items of what the customer sees: the idle dialog, the screen, the top bar."""
        from PySide6.QtQuick import QQuickItem

        roots: list[QQuickItem] = []
        overlay = self._window.findChild(QQuickItem, "idleOverlay")
        if isinstance(overlay, QQuickItem) and overlay.isVisible():
            roots.append(overlay)
        loader = self._window.findChild(QObject, "screenLoader")
        screen = loader.property("item") if loader is not None else None
        if isinstance(screen, QQuickItem):
            roots.append(screen)
        bar = self._window.findChild(QQuickItem, "topBar")
        if isinstance(bar, QQuickItem):
            roots.append(bar)
        found: list[QQuickItem] = []
        stack = list(reversed(roots))
        while stack:
            item = stack.pop()
            if not item.isVisible():
                continue
            if item.objectName() and item.width() > 0:
                found.append(item)
            stack.extend(reversed(item.childItems()))
        return found
