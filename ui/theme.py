"""Theme: colours and text scale, with the high-contrast and large-text options.

Why in Python: the two toggles live in the top bar of every screen and must
survive screen changes (but not a session reset, which restores defaults), so
they are state of the shell, not of any one QML file.
"""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal, Slot

NORMAL = {
    "background": "#F3F5F9",
    "surface": "#FFFFFF",
    "text": "#14213D",
    "subtle": "#4A5568",
    "accent": "#0B57D0",
    "accentText": "#FFFFFF",
    "secondary": "#E3E9F4",
    "secondaryText": "#14213D",
    "danger": "#B3261E",
    "success": "#1B7F3B",
    "border": "#C5CEDD",
    "topBar": "#14213D",
    "topBarText": "#FFFFFF",
}
HIGH_CONTRAST = {
    "background": "#000000",
    "surface": "#000000",
    "text": "#FFFFFF",
    "subtle": "#FFFFFF",
    "accent": "#FFD500",
    "accentText": "#000000",
    "secondary": "#000000",
    "secondaryText": "#FFFFFF",
    "danger": "#FF6B6B",
    "success": "#7CFF8A",
    "border": "#FFFFFF",
    "topBar": "#000000",
    "topBarText": "#FFFFFF",
}
LARGE_TEXT_SCALE = 1.3


def _colour(key: str, notify: Signal) -> Property:
    return Property(str, lambda self: self.palette[key], notify=notify)


class ThemeModel(QObject):
    changed = Signal()

    def __init__(self, font_family: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._high_contrast = False
        self._large_text = False
        self._font_family = font_family
        self._unit = 1.0

    @property
    def palette(self) -> dict[str, str]:
        return HIGH_CONTRAST if self._high_contrast else NORMAL

    def _get_hc(self) -> bool:
        return self._high_contrast

    def _set_hc(self, value: bool) -> None:
        if value != self._high_contrast:
            self._high_contrast = value
            self.changed.emit()

    def _get_lt(self) -> bool:
        return self._large_text

    def _set_lt(self, value: bool) -> None:
        if value != self._large_text:
            self._large_text = value
            self.changed.emit()

    def _get_unit(self) -> float:
        return self._unit

    def _set_unit(self, value: float) -> None:
        if value > 0 and abs(value - self._unit) > 1e-6:
            self._unit = value
            self.changed.emit()

    #: Pixels per design pixel: the short side of the window / 1080.
    unit = Property(float, _get_unit, _set_unit, notify=changed)
    highContrast = Property(bool, _get_hc, _set_hc, notify=changed)
    largeText = Property(bool, _get_lt, _set_lt, notify=changed)

    @Property(float, notify=changed)
    def textScale(self) -> float:
        return LARGE_TEXT_SCALE if self._large_text else 1.0

    @Property(str, notify=changed)
    def fontFamily(self) -> str:
        return self._font_family

    @Slot()
    def reset(self) -> None:
        """Back to defaults for the next customer."""
        self._set_hc(False)
        self._set_lt(False)

    background = _colour("background", changed)
    surface = _colour("surface", changed)
    text = _colour("text", changed)
    subtle = _colour("subtle", changed)
    accent = _colour("accent", changed)
    accentText = _colour("accentText", changed)
    secondary = _colour("secondary", changed)
    secondaryText = _colour("secondaryText", changed)
    danger = _colour("danger", changed)
    success = _colour("success", changed)
    border = _colour("border", changed)
    topBar = _colour("topBar", changed)
    topBarText = _colour("topBarText", changed)
