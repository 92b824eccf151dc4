"""Theme: colours and text scale, with the high-contrast and large-text options.

Why in Python: the two toggles live in the top bar of every screen and must
survive screen changes (but not a session reset, which restores defaults), so
they are state of the shell, not of any one QML file.

Every pair of colours the QML draws one on the other is listed in
:data:`CONTRAST_PAIRS`; ``tests/ui/test_theme.py`` checks them in both themes
against WCAG 2.1: text at least 4.5:1 (1.4.3), borders, focus and pressed
indicators and other meaningful graphics at least 3:1 (1.4.11).
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
    "border": "#6B778C",  # 4.1:1 on the background: buttons and cards are visible (1.4.11)
    "topBar": "#14213D",
    "topBarText": "#FFFFFF",
    "focusOuter": "#14213D",  # the selected item in audio guidance: a dark and a light ring
    "focusInner": "#FFFFFF",
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
    "focusOuter": "#FFD500",
    "focusInner": "#000000",
}
LARGE_TEXT_SCALE = 1.3

TEXT = 4.5  # WCAG 2.1 1.4.3, normal-size text
GRAPHIC = 3.0  # WCAG 2.1 1.4.11, borders, focus and state indicators, icons
#: (foreground, background, minimum ratio, where the QML draws it).
CONTRAST_PAIRS: tuple[tuple[str, str, float, str], ...] = (
    ("text", "background", TEXT, "titles and body text on the screen"),
    ("text", "surface", TEXT, "text on cards, the idle dialog, the number display"),
    ("subtle", "background", TEXT, "subtitles and hints"),
    ("subtle", "surface", TEXT, "labels on cards, the empty number display"),
    ("secondaryText", "secondary", TEXT, "secondary buttons and keypad keys"),
    ("secondaryText", "background", TEXT, "quiet buttons (no fill)"),
    ("accentText", "accent", TEXT, "primary buttons, current-plan badge, 'more below' tab"),
    ("danger", "background", TEXT, "error text (invalid number, stale SIM)"),
    ("danger", "surface", TEXT, "error text in cards (terminal not responding)"),
    ("topBarText", "topBar", TEXT, "top bar: title, language and toggle labels"),
    ("topBar", "topBarText", TEXT, "top bar: the current language (inverted)"),
    ("border", "background", GRAPHIC, "outline of secondary/quiet buttons and cards"),
    ("border", "surface", GRAPHIC, "outline of cards and the number display"),
    ("border", "secondary", GRAPHIC, "outline against the secondary button's own fill"),
    ("accent", "background", GRAPHIC, "pressed/selected outline, primary button shape"),
    ("accent", "surface", GRAPHIC, "prompt box outline, current plan's outline, a plan card's 'Choose'"),
    ("danger", "background", GRAPHIC, "badge '!' and error outlines"),
    ("success", "background", GRAPHIC, "badge tick"),
    ("topBarText", "topBar", GRAPHIC, "outline of top-bar buttons and toggles"),
    ("accentText", "accent", GRAPHIC, "a checked toggle: its tick and label on the accent fill "
                                      "(its outline is topBarText on topBar in both states)"),
    ("focusOuter", "focusInner", GRAPHIC, "audio guidance's focus ring: its two rings"),
    ("focusOuter", "background", GRAPHIC, "focus ring on quiet buttons"),
    ("focusOuter", "surface", GRAPHIC, "focus ring on plan cards"),
    ("focusOuter", "secondary", GRAPHIC, "focus ring on secondary buttons and keys"),
    ("focusInner", "accent", GRAPHIC, "focus ring on primary buttons and checked toggles"),
)
#: Every fill the focus ring is drawn on: one of its two rings must stand out (3:1) on each.
FOCUS_FILLS: tuple[str, ...] = ("background", "surface", "secondary", "accent", "topBar", "topBarText")
#: Foregrounds drawn on the badge colours (white glyph on a filled badge, normal theme).
BADGE_GLYPH = "#FFFFFF"


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
    focusOuter = _colour("focusOuter", changed)
    focusInner = _colour("focusInner", changed)
