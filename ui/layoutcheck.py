"""Finds what a customer could not read: text cut off, boxes spilling out, items off the window.

Why a walk over the live item tree rather than pixel comparison: the failures the
kiosk had (a price under the buttons, a prompt elided, a QR code past the window
edge) are all geometry. :func:`problems` walks every visible item of a rendered
window and reports, in words a reviewer can act on:

* a text that is elided or cut at its line limit (``truncated``),
* a text whose content is wider or taller than its own box,
* an item that sticks out of its parent, or out of a clipping box that cannot scroll,
* an item outside the window,
* a scrolling area whose content is taller than it but that cannot be scrolled.

Inside a ``Flickable`` that scrolls, content below the fold is fine: it can be read
by scrolling (the screens show a "more below" hint). Items marked with a QML
property ``decorative: true`` (animations that move in a clipped box) are skipped
with their children.

Facts may scroll; what a customer does on a screen may not. :func:`primary_problems`
checks the items named in :data:`PRIMARY` (the keypad and the number, the price and
Pay, the terminal's prompt and Cancel...): each must lie wholly inside what is seen
with every scrolling area at its top, i.e. before anybody scrolls.

:func:`check_all` renders every screen of :func:`ui.screenshots.sample_sessions`
(and the staff screens) in every language, orientation, text size and contrast
offscreen and returns the problems, each naming screen, language, size and mode.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QRectF, QSize, QTimer
from PySide6.QtQuick import QQuickItem, QQuickWindow

TOLERANCE = 1.5  # px: anti-aliased edges and rounding


@dataclass(frozen=True)
class Mode:
    """A text size and contrast combination."""

    large_text: bool = False
    high_contrast: bool = False

    def __str__(self) -> str:
        return f"{'large' if self.large_text else 'normal'} text, {'high' if self.high_contrast else 'normal'} contrast"


ALL_MODES: tuple[Mode, ...] = tuple(Mode(lt, hc) for lt in (False, True) for hc in (False, True))

KEYPAD: tuple[str, ...] = tuple(f"key_{k}" for k in (*"123456789", "clear", "0", "back"))
#: The shortest a keypad key may be, in design px (1080 px short side): 20 mm on the kiosk's
#: screens, portrait and landscape.
KEY_MIN_PORTRAIT = 120.0
KEY_MIN_LANDSCAPE = 100.0

#: A screen's primary action: under the item with the key as objectName (a screen, or the
#: idle dialog), the items with these objectNames must be fully visible without scrolling.
#: A name ending in "?" is checked only while it is shown (a notice, a message); every other
#: name must be shown. The first plan card stands for the list (the rest may scroll).
PRIMARY: dict[str, tuple[str, ...]] = {
    "phoneScreen": ("phoneDisplay", "phoneNotice?", "numberInvalidText?", *KEYPAD, "submitNumberButton"),
    "pinScreen": ("pinDisplay", "pinMessage?", *KEYPAD, "pinSubmitButton"),
    "plansScreen": ("plansNotice?", "planName_0", "planPrice_0", "planChoose_0"),
    "confirmScreen": ("confirmNumber", "confirmPrice", "payButton"),
    "payScreen": ("payAmount", "promptBox", "cancelPaymentButton"),
    "successScreen": ("validUntilText?", "referenceText", "doneButton"),
    "printerOutOfPaperScreen": ("referenceText", "receiptQr", "doneButton"),
    "operatorScreen": ("exportButton",),
    "idleDialog": ("idleCountdown", "moreTimeButton"),
}


def _class(item: QObject) -> str:
    name = item.metaObject().className()
    return name.split("_QML")[0].removeprefix("QQuick")


def _path(item: QQuickItem) -> str:
    """``payScreen/…/promptText``: the named ancestors, for a reader of the report."""
    names = []
    node: QQuickItem | None = item
    while node is not None:
        if node.objectName():
            names.append(node.objectName())
        node = node.parentItem()
    if not item.objectName():
        names.insert(0, _class(item))
    return "/".join(reversed(names[:4]))


def _is_text(item: QQuickItem) -> bool:
    """A ``Text`` (or a QML type built on it, such as ``KText``)."""
    return item.inherits("QQuickText")


def _is_flickable(item: QQuickItem) -> bool:
    return item.inherits("QQuickFlickable")


def _scene_rect(item: QQuickItem, w: float | None = None, h: float | None = None, x: float = 0.0,
                y: float = 0.0) -> QRectF:
    return item.mapRectToScene(QRectF(x, y, item.width() if w is None else w, item.height() if h is None else h))


def _outside(inner: QRectF, outer: QRectF) -> float:
    """How far ``inner`` sticks out of ``outer`` (0 when inside), in px."""
    return max(outer.left() - inner.left(), inner.right() - outer.right(),
               outer.top() - inner.top(), inner.bottom() - outer.bottom(), 0.0)


def _text_spill(item: QQuickItem) -> float:
    """How much the painted text is wider or taller than its own box (alignment only moves
    it; the excess is the same)."""
    cw, ch = float(item.property("contentWidth")), float(item.property("contentHeight"))
    return max(cw - item.width(), ch - item.height(), 0.0)


def problems(window: QQuickWindow) -> list[str]:
    """Every readability problem in the window as it is rendered now."""
    found: list[str] = []
    win = QRectF(0, 0, window.width(), window.height())
    root = window.contentItem()

    def text_of(item: QQuickItem) -> str:
        text = str(item.property("text") or "") if _is_text(item) else ""
        return f" {text[:48]!r}" if text else ""

    def walk(item: QQuickItem, parent_rect: QRectF | None, clip: QRectF | None, in_scroll: bool) -> None:
        """``clip``: the nearest clipping box that does not scroll; ``in_scroll``: inside
        scrolling content (may be below the fold: no window check)."""
        if not item.isVisible() or item.opacity() <= 0.01 or item.property("decorative") is True:
            return
        if item.width() <= 0 or item.height() <= 0:
            # nothing of its own to show, but its children may be (a collapsed box whose
            # children still draw is exactly the kind of fault to report)
            for child in item.childItems():
                walk(child, parent_rect, clip, in_scroll)
            return
        rect = _scene_rect(item)
        before = len(found)
        if parent_rect is None:
            pass  # an ancestor is already reported: only its own text problems below
        elif not in_scroll and _outside(rect, win) > TOLERANCE:
            found.append(f"{_path(item)}{text_of(item)} is outside the window by {_outside(rect, win):.0f} px")
        elif _outside(rect, parent_rect) > TOLERANCE:
            spill = _outside(rect, parent_rect)
            found.append(f"{_path(item)}{text_of(item)} overflows its container by {spill:.0f} px")
        elif clip is not None and _outside(rect, clip) > TOLERANCE:
            found.append(f"{_path(item)}{text_of(item)} is cut off by a clipping box ({_outside(rect, clip):.0f} px)")
        inner = None if (parent_rect is None or len(found) > before) else rect
        if _is_text(item):
            if item.property("truncated"):
                found.append(f"{_path(item)}{text_of(item)} is elided or cut at its line limit")
            else:
                spill = _text_spill(item)
                if spill > TOLERANCE:
                    found.append(f"{_path(item)}{text_of(item)} is larger than its box by {spill:.0f} px")
        if _is_flickable(item):
            content = item.property("contentItem")
            can_scroll = bool(item.property("interactive"))
            if float(item.property("contentHeight")) > item.height() + TOLERANCE and not can_scroll:
                found.append(f"{_path(item)} holds more than it shows and cannot scroll")
            for child in item.childItems():
                if child is content:
                    # scrolled content: checked against the content area, not the viewport
                    for grandchild in child.childItems():
                        walk(grandchild, _scene_rect(child) if inner is not None else None, None, True)
                else:
                    walk(child, inner, clip, in_scroll)
            return
        child_clip = rect if item.clip() else clip
        for child in item.childItems():
            walk(child, inner, child_clip, in_scroll)

    for child in root.childItems():
        walk(child, win, None, False)
    return found


def _find(root: QQuickItem, name: str) -> list[QQuickItem]:
    """Every item called ``name`` in the visual tree under ``root`` (Repeater delegates and
    Loader items are not QObject children, so ``findChildren`` would miss them)."""
    found, stack = [], [root]
    while stack:
        item = stack.pop()
        if item.objectName() == name:
            found.append(item)
        stack.extend(item.childItems())
    return found


def _shown(item: QQuickItem) -> bool:
    node: QQuickItem | None = item
    while node is not None:
        if not node.isVisible() or node.opacity() <= 0.01:
            return False
        node = node.parentItem()
    return item.width() > 0 and item.height() > 0


def _at_rest(item: QQuickItem, window: QQuickWindow) -> tuple[QRectF, QRectF]:
    """The item's scene rect and the part of the window where it can be seen (every scrolling
    or clipping box around it), both as they are with every ``Flickable`` scrolled to its top."""
    chain: list[tuple[QQuickItem, bool]] = []  # ancestors, outermost last; True: item in its content
    child, node = item, item.parentItem()
    while node is not None:
        chain.append((node, _is_flickable(node) and child is node.property("contentItem")))
        child, node = node, node.parentItem()
    view = QRectF(0, 0, window.width(), window.height())
    dx = dy = 0.0
    for node, scrolls in reversed(chain):
        if scrolls or node.clip():
            view = view.intersected(_scene_rect(node).translated(dx, dy))
        if scrolls:
            dx += float(node.property("contentX"))
            dy += float(node.property("contentY"))
    return _scene_rect(item).translated(dx, dy), view


def primary_problems(window: QQuickWindow) -> list[str]:
    """Each :data:`PRIMARY` item of the screen shown that is hidden, or not wholly visible
    before scrolling (below the fold, under a clipping edge, off the window); and keypad keys
    shorter than 20 mm."""
    found: list[str] = []
    w, h = window.width(), window.height()
    key_min = (KEY_MIN_PORTRAIT if h >= w else KEY_MIN_LANDSCAPE) * min(w, h) / 1080
    for owner_name, names in PRIMARY.items():
        for owner in _find(window.contentItem(), owner_name):
            if not _shown(owner):
                continue
            for name in names:
                optional = name.endswith("?")
                name = name.rstrip("?")
                items = [i for i in _find(owner, name) if _shown(i)]
                if not items and not optional:
                    found.append(f"primary action {owner_name}/{name} is not shown")
                for item in items:
                    rect, view = _at_rest(item, window)
                    if _outside(rect, view) > TOLERANCE:
                        text = str(item.property("text") or "") if _is_text(item) else ""
                        label = f" {text[:40]!r}" if text else ""
                        below = rect.bottom() - view.bottom()
                        where = f"{below:.0f} px below the fold" if below > TOLERANCE else (
                            f"{_outside(rect, view):.0f} px outside the visible area")
                        found.append(f"primary action {owner_name}/{name}{label} is not fully on screen "
                                     f"without scrolling: {where}")
                    if name in KEYPAD and item.height() < key_min - TOLERANCE:
                        found.append(f"primary action {owner_name}/{name} is {item.height():.0f} px tall: "
                                     f"keys must be at least {key_min:.0f} px (20 mm)")
    return found


def _frames(window: QQuickWindow, count: int = 2, timeout_ms: int = 500) -> None:
    """Let the window render ``count`` frames (layouts are polished on the way to a frame)."""
    for _ in range(count):
        loop = QEventLoop()
        window.frameSwapped.connect(loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        window.update()
        loop.exec()
        window.frameSwapped.disconnect(loop.quit)


def _loaded(ui: object, timeout_ms: int = 5000) -> None:
    loader = ui.find("screenLoader")  # type: ignore[attr-defined]
    waited = 0
    while loader is not None and waited < timeout_ms:
        if loader.property("progress") == 1.0 and loader.property("item") is not None:
            return
        loop = QEventLoop()
        QTimer.singleShot(5, loop.quit)
        loop.exec()
        waited += 5


def check_all(
    ui: object,
    *,
    langs: Sequence[str],
    sizes: Iterable[QSize],
    modes: Sequence[Mode] = ALL_MODES,
    screens: Sequence[str] | None = None,
    sessions: object = None,
    primary: bool = True,
) -> list[str]:
    """Render each screen in each language, size and mode; every problem (and with ``primary``
    every primary action that needs scrolling), each prefixed with ``<screen> [<lang> <w>x<h>,
    <mode>]``. ``sessions(lang)`` overrides the sample sessions."""
    from kiosk.flow import new_session
    from ui.screenshots import sample_sessions, staff_previews

    make = sessions if callable(sessions) else sample_sessions
    report: list[str] = []
    theme = ui.theme  # type: ignore[attr-defined]
    window: QQuickWindow = ui.window  # type: ignore[attr-defined]
    for size in sizes:
        window.resize(size)
        for lang in langs:
            ui.language.switch(lang)  # type: ignore[attr-defined]
            shots: list[tuple[str, Any, dict[str, Any]]] = [(name, s, {}) for name, s in make(lang).items()]
            shots += [(name, None, p) for name, p in staff_previews().items()]
            for name, session, preview in shots:
                if screens is not None and name not in screens:
                    continue
                if session is not None:
                    ui.staff.preview("")  # type: ignore[attr-defined]
                    ui.controller.show_snapshot(session)  # type: ignore[attr-defined]
                else:
                    blank = dataclasses.replace(new_session("en"), lang=lang)
                    ui.controller.show_snapshot(blank)  # type: ignore[attr-defined]
                    ui.staff.preview(**preview)  # type: ignore[attr-defined]
                _loaded(ui)
                for mode in modes:
                    theme.largeText = mode.large_text
                    theme.highContrast = mode.high_contrast
                    _frames(window)
                    where = f"{name} [{lang} {size.width()}x{size.height()}, {mode}]"
                    found = problems(window) + (primary_problems(window) if primary else [])
                    report += [f"{where}: {p}" for p in found]
    theme.largeText = False
    theme.highContrast = False
    return report
