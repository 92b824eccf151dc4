"""The speech engine's own process: Qt TextToSpeech driven by JSON lines on stdin.

``python -m ui.speech_helper --engine speechd --rate 0 --volume 0.8``. Started by
:class:`ui.audio.QtSpeechEngine`; one request per line in, one event per line out:

* in: ``{"say": [["en", "text"], ["zh_CN", "..."]]}`` (interrupts what is being said and
  speaks each in its language's voice, in order), ``{"stop": true}``, ``{"volume": 0.9}``,
  ``{"rate": 0.0}``; end of input quits.
* out: ``{"ready": true, "detail": "speechd (en: English (America), ...)"}`` once, or
  ``{"ready": false, "detail": why}`` and exit; ``{"drained": true}`` when a request was said.

Why a process: see :class:`ui.audio.QtSpeechEngine`. It runs at a lower priority
(:data:`NICE`), and so does the speech-dispatcher it starts (autospawn: a child inherits
it) with its espeak-ng module: synthesis is far faster than speech, while the kiosk's GUI
and render threads must not wait for a core on a small machine.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import sys
import threading
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale, QObject, QTimer, Signal, Slot

log = logging.getLogger("ui.speech_helper")
NICE = 5


class Utterance:
    __slots__ = ("lang", "text")

    def __init__(self, lang: str, text: str) -> None:
        self.lang, self.text = lang, text


#: Voice preferences per kiosk language: espeak-ng's voice names as speech-dispatcher
#: reports them, then locales. Mandarin (espeak-ng "cmn") has no locale Qt knows (it
#: reports "C"), so it is found by name.
VOICE_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("English (America)",),
    "zh_CN": ("Chinese (Mandarin, latin as English)", "Chinese (Mandarin, latin as Pinyin)", "Mandarin"),
    "es": ("Spanish (Latin America)",),
}
VOICE_LOCALES: dict[str, tuple[str, ...]] = {
    "en": ("en_US", "en_GB"),
    "zh_CN": ("zh_CN", "zh_TW"),
    "es": ("es_419", "es_MX", "es_US", "es_ES"),
}


class _Worker(QObject):
    """Owns the QTextToSpeech object; says one utterance after the other."""

    ready = Signal(bool, str)
    drained = Signal()  # everything asked for was said (or the engine gave up on it)

    def __init__(self, engine: str, rate: float, volume: float) -> None:
        super().__init__()
        self._engine = engine
        self._rate = rate
        self._volume = volume
        self._tts: Any = None
        self._voices: dict[str, Any] = {}
        self._queue: collections.deque[Utterance] = collections.deque()
        self._stopping = False
        self._lang = ""

    @Slot()
    def init(self) -> None:
        try:
            from PySide6.QtTextToSpeech import QTextToSpeech
        except ImportError as exc:
            self.ready.emit(False, f"Qt TextToSpeech is not installed (PySide6-Addons): {exc}")
            return
        engines = QTextToSpeech.availableEngines()
        if self._engine not in engines:
            self.ready.emit(False, f"no {self._engine!r} speech engine (available: {', '.join(engines) or 'none'})")
            return
        tts = QTextToSpeech(self._engine, self)
        if tts.state() == QTextToSpeech.State.Error:
            self.ready.emit(False, f"{self._engine} failed: {tts.errorString() or tts.errorReason().name}")
            return
        self._tts = tts
        self._voices = pick_voices(tts)
        tts.setRate(self._rate)
        tts.setVolume(self._volume)
        tts.stateChanged.connect(self._on_state)
        tts.errorOccurred.connect(lambda reason, text: log.warning("speech engine error %s: %s", reason, text))
        voices = ", ".join(f"{lang}: {v.name()}" for lang, v in self._voices.items()) or "default voice only"
        self.ready.emit(True, f"{self._engine} ({voices})")

    @Slot(object)
    def say(self, utterances: object) -> None:
        if self._tts is None:
            return
        from PySide6.QtTextToSpeech import QTextToSpeech

        self._queue = collections.deque(utterances)  # type: ignore[call-overload]
        if self._tts.state() in (QTextToSpeech.State.Speaking, QTextToSpeech.State.Synthesizing,
                                 QTextToSpeech.State.Paused):
            self._stopping = True
            self._tts.stop(QTextToSpeech.BoundaryHint.Immediate)  # its Ready state speaks the next
            QTimer.singleShot(500, self._unstick)
        else:
            self._next()

    def _unstick(self) -> None:
        if self._stopping:  # an engine that never reported the stop
            self._stopping = False
            self._next()

    def _on_state(self, state: Any) -> None:
        from PySide6.QtTextToSpeech import QTextToSpeech

        if state in (QTextToSpeech.State.Ready, QTextToSpeech.State.Error):
            self._stopping = False
            if not self._queue:
                self.drained.emit()
            self._next()

    def _next(self) -> None:
        if not self._queue or self._tts is None:
            return
        u = self._queue.popleft()
        if u.lang != self._lang:
            voice = self._voices.get(u.lang)
            if voice is not None:
                self._tts.setVoice(voice)
            else:
                from PySide6.QtCore import QLocale

                self._tts.setLocale(QLocale(VOICE_LOCALES.get(u.lang, (u.lang,))[0]))
            self._lang = u.lang
        self._tts.say(u.text)

    @Slot()
    def stop(self) -> None:
        self._queue.clear()
        if self._tts is not None:
            self._tts.stop()

    @Slot(float)
    def set_volume(self, volume: float) -> None:
        if self._tts is not None:
            self._tts.setVolume(volume)

    @Slot(float)
    def set_rate(self, rate: float) -> None:
        if self._tts is not None:
            self._tts.setRate(rate)

    @Slot()
    def shutdown(self) -> None:
        if self._tts is not None:
            self._tts.stop()
            self._tts.deleteLater()
            self._tts = None


def pick_voices(tts: Any) -> dict[str, Any]:
    """The best voice the engine has for each kiosk language (see :data:`VOICE_NAMES`)."""

    before = tts.locale()
    wanted = {QLocale.Language.English, QLocale.Language.Chinese, QLocale.Language.Spanish, QLocale.Language.C}
    voices: list[tuple[str, Any]] = []
    for loc in tts.availableLocales():
        if loc.language() in wanted:
            tts.setLocale(loc)
            voices += [(loc.name(), v) for v in tts.availableVoices()]
    tts.setLocale(before)
    chosen: dict[str, Any] = {}
    for lang, names in VOICE_NAMES.items():
        found = next((v for name in names for _, v in voices if v.name() == name), None)
        found = found or next((v for loc in VOICE_LOCALES[lang] for ln, v in voices
                               if ln == loc and "+" not in v.name()), None)
        if found is not None:
            chosen[lang] = found
    return chosen




class _Stdin(QObject):
    """Reads request lines on a thread; hands each to the main thread (queued)."""

    line = Signal(str)
    closed = Signal()

    def run(self) -> None:
        for raw in sys.stdin.buffer:
            self.line.emit(raw.decode("utf-8", "replace"))
        self.closed.emit()


def _out(msg: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(msg, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.speech_helper")
    parser.add_argument("--engine", default="speechd")
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--volume", type=float, default=0.8)
    args = parser.parse_args(argv)
    import os

    os.nice(NICE)
    # Qt Multimedia (linked by Qt TextToSpeech) looks for PipeWire, which a kiosk has none of
    rules = os.environ.get("QT_LOGGING_RULES", "")
    os.environ["QT_LOGGING_RULES"] = ";".join(r for r in (rules, "qt.multimedia.symbolsresolver=false") if r)
    logging.basicConfig(level=logging.WARNING, format="speech helper: %(message)s")
    app = QCoreApplication(["simkiosk-speech"])
    worker = _Worker(args.engine, args.rate, args.volume)
    def ready(ok: bool, detail: str) -> None:
        _out({"ready": ok, "detail": detail})
        if not ok:
            app.exit(1)

    worker.ready.connect(ready)
    worker.drained.connect(lambda: _out({"drained": True}))

    def handle(line: str) -> None:
        try:
            msg = json.loads(line)
        except ValueError:
            log.warning("not a request: %r", line[:200])
            return
        if "say" in msg:
            worker.say([Utterance(str(lang), str(text)) for lang, text in msg["say"]])
        elif msg.get("stop"):
            worker.stop()
        elif "volume" in msg:
            worker.set_volume(float(msg["volume"]))
        elif "rate" in msg:
            worker.set_rate(float(msg["rate"]))

    stdin = _Stdin()
    stdin.line.connect(handle)
    stdin.closed.connect(app.quit)
    threading.Thread(target=stdin.run, name="speech-stdin", daemon=True).start()
    QTimer.singleShot(0, worker.init)
    code = app.exec()
    worker.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
