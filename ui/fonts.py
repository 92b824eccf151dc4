"""Fonts: load Noto Sans CJK (and DejaVu Sans for symbols) from the system by file.

Why by file: a platform plugin that does not consult fontconfig (eglfs on
some builds) would render Chinese as boxes. Loading the Debian font files
(``fonts-noto-cjk``, ``fonts-dejavu-core``) into the application font database
makes the glyphs available on every platform plugin. Noto Sans CJK SC also
covers Latin and Spanish, so one family gives every language the same look.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QFontDatabase

log = logging.getLogger(__name__)

UI_FAMILY = "Noto Sans CJK SC"
SYMBOL_FAMILY = "DejaVu Sans"
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/dejavu"))
FONT_FILES = (
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJK-Bold.ttc",
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
)
_loaded: dict[str, list[str]] = {}


def load_fonts() -> str:
    """Register the kiosk fonts once; return the family to use for all text.

    When the platform's font database (fontconfig) already lists both families,
    nothing is loaded: parsing the CJK collections costs ~60 ms of cold start."""
    if {UI_FAMILY, SYMBOL_FAMILY} <= set(QFontDatabase.families()):
        return UI_FAMILY
    for directory in FONT_DIRS:
        for name in FONT_FILES:
            path = directory / name
            if str(path) in _loaded or not path.exists():
                continue
            font_id = QFontDatabase.addApplicationFont(str(path))
            if font_id < 0:
                log.warning("could not load font %s", path)
                continue
            _loaded[str(path)] = QFontDatabase.applicationFontFamilies(font_id)
    families = set(QFontDatabase.families())
    if UI_FAMILY not in families:
        log.error("%s is not installed (Debian package fonts-noto-cjk): Chinese will not render",
                  UI_FAMILY)
        return SYMBOL_FAMILY if SYMBOL_FAMILY in families else ""
    return UI_FAMILY
