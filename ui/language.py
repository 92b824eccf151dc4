"""Runtime language switch: one QTranslator per language, ``engine.retranslate()`` on change."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import Property, QCoreApplication, QLocale, QObject, QTranslator, Signal, Slot
from PySide6.QtQml import QQmlEngine

from ui.i18n import NATIVE_NAMES, SOURCE_LANGUAGE, ensure_built, qm_path

log = logging.getLogger(__name__)

_LOCALES = {"en": "en_US", "zh_CN": "zh_CN", "es": "es_US"}


class LanguageManager(QObject):
    """Installs the translator for the current language; also translates into any language
    (the attract screen shows "touch to start" in every language at once). ``languages``
    feeds the language buttons (top bar, language screen)."""

    changed = Signal()

    def __init__(self, engine: QQmlEngine, langs: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engine = engine
        self._langs = list(langs)
        self._translators: dict[str, QTranslator] = {}
        self._installed: QTranslator | None = None
        self.current = SOURCE_LANGUAGE
        ensure_built(self._langs)

    def _translator(self, lang: str) -> QTranslator | None:
        if lang == SOURCE_LANGUAGE:
            return None
        if lang not in self._translators:
            translator = QTranslator(self)
            path = qm_path(lang)
            if not translator.load(str(path)):
                log.error("translation %s not loaded from %s", lang, path)
                return None
            self._translators[lang] = translator
        return self._translators[lang]

    def switch(self, lang: str) -> None:
        """Make ``lang`` current and retranslate every qsTr binding."""
        app = QCoreApplication.instance()
        if self._installed is not None and app is not None:
            QCoreApplication.removeTranslator(self._installed)
            self._installed = None
        translator = self._translator(lang)
        if translator is not None:
            QCoreApplication.installTranslator(translator)
            self._installed = translator
        QLocale.setDefault(QLocale(_LOCALES.get(lang, "en_US")))
        changed = lang != self.current
        self.current = lang
        self._engine.retranslate()
        if changed:
            self.changed.emit()

    @Property("QVariantList", notify=changed)  # type: ignore[arg-type]
    def languages(self) -> list[dict[str, object]]:
        """Each kiosk language: its code, its own name, whether it is the current one."""
        return [{"code": lang, "name": NATIVE_NAMES.get(lang, lang), "current": lang == self.current}
                for lang in self._langs]

    @Slot(str, str, str, result=str)
    def translateIn(self, lang: str, context: str, text: str) -> str:
        translator = self._translator(lang)
        if translator is None:
            return text
        return translator.translate(context, text) or text
