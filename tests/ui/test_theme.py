"""Colours meet WCAG 2.1 in both themes: text 4.5:1 (1.4.3), borders, focus and state
indicators 3:1 (1.4.11), over every pair the QML draws (``ui.theme.CONTRAST_PAIRS``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ui.theme import BADGE_GLYPH, CONTRAST_PAIRS, FOCUS_FILLS, GRAPHIC, HIGH_CONTRAST, NORMAL, TEXT

QML = Path(__file__).resolve().parents[2] / "ui" / "qml"


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#RRGGBB``."""
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_ratio_matches_known_values() -> None:
    assert ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the classic just-fails grey


@pytest.mark.parametrize(("name", "palette"), [("normal", NORMAL), ("high contrast", HIGH_CONTRAST)])
def test_every_colour_pair_meets_wcag(name: str, palette: dict[str, str]) -> None:
    failures = [
        f"{fg} {palette[fg]} on {bg} {palette[bg]}: {ratio(palette[fg], palette[bg]):.2f} < {need} ({where})"
        for fg, bg, need, where in CONTRAST_PAIRS
        if ratio(palette[fg], palette[bg]) < need
    ]
    assert not failures, f"{name} theme:\n" + "\n".join(failures)


def test_badge_glyphs_are_readable_on_their_colour() -> None:
    for tone in ("danger", "success", "accent"):
        assert ratio(BADGE_GLYPH, NORMAL[tone]) >= GRAPHIC, tone


def test_every_theme_colour_the_qml_uses_is_checked() -> None:
    """A colour used in QML but in no pair would escape the check."""
    used = set()
    for path in QML.rglob("*.qml"):
        used |= set(re.findall(r"\btheme\.([a-z][A-Za-z]*)\b", path.read_text(encoding="utf-8")))
    colours = used & set(NORMAL)
    paired = {c for pair in CONTRAST_PAIRS for c in pair[:2]}
    assert colours <= paired, colours - paired
    assert {need for *_, need, _ in CONTRAST_PAIRS} == {TEXT, GRAPHIC}


@pytest.mark.parametrize(("name", "palette"), [("normal", NORMAL), ("high contrast", HIGH_CONTRAST)])
def test_the_two_tone_focus_ring_stands_out_on_every_fill(name: str, palette: dict[str, str]) -> None:
    """Audio guidance outlines the selected item with a dark and a light ring: on any fill it
    is drawn on (the top bar, a primary button, a card...), one of them is at least 3:1."""
    weak = [fill for fill in FOCUS_FILLS
            if max(ratio(palette["focusOuter"], palette[fill]), ratio(palette["focusInner"], palette[fill])) < GRAPHIC]
    assert not weak, f"{name}: the focus ring disappears on {weak}"
