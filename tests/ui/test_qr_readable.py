"""The QR codes a customer scans decode from what the kiosk actually shows and prints.

The success screen (and the out-of-paper screen, which shows the same two codes) is
rendered offscreen in both orientations, both text sizes and every language; the
window's image is decoded with zxing-cpp (the decoder behind many phone apps), as a
phone camera would, and both codes (e-receipt link, "remind me" iCalendar event) must
give back exactly the text that was encoded. The printed codes are decoded from
segno's rendering at the printer's module size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import zxingcpp
from PySide6.QtCore import QCoreApplication, QPointF
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtQuick import QQuickItem

from kiosk.config import LANGUAGES
from kiosk.ports import Receipt
from kiosk.receipt import PRINTED_QR_MODULE_DOTS, reminder_ics, reminder_qr
from tests.ui.conftest import still_kiosk_ui
from ui.app import KioskUi
from ui.layoutcheck import _frames
from ui.screenshots import SIZES, sample_sessions


def decode(image: QImage) -> set[str]:
    """Every QR code zxing-cpp finds in ``image``, as text."""
    from PIL import Image

    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    data = bytes(gray.constBits())  # type: ignore[call-overload]
    pil = Image.frombuffer("L", (gray.width(), gray.height()), data, "raw", "L", gray.bytesPerLine(), 1)
    return {r.text for r in zxingcpp.read_barcodes(pil, formats=zxingcpp.BarcodeFormat.QRCode)}


@pytest.fixture(scope="module")
def qr_ui(qapp: QGuiApplication) -> Iterator[KioskUi]:
    with still_kiosk_ui() as ui:
        yield ui


def _visible(root: QQuickItem, name: str) -> QQuickItem | None:
    stack = [root]
    while stack:
        item = stack.pop()
        if not item.isVisible():
            continue
        if item.objectName() == name and item.width() > 0:
            return item
        stack.extend(item.childItems())
    return None


def _scroll_into_view(item: QQuickItem) -> None:
    """Scroll the screen as the customer would ("More below") until ``item`` is fully shown."""
    flick = item.parentItem()
    while flick is not None and flick.property("contentY") is None:
        flick = flick.parentItem()
    if flick is None:
        return
    content = flick.property("contentItem")
    top = item.mapToItem(content, QPointF(0, 0)).y()
    y = float(flick.property("contentY"))
    if top < y or top + item.height() > y + flick.height() / 2:  # clear of the "More below" bar
        most = max(0.0, float(flick.property("contentHeight")) - flick.height())
        centred = top + item.height() / 2 - flick.height() / 2
        flick.setProperty("contentY", float(round(min(most, max(0.0, centred)))))


def _shown(ui: KioskUi, screen: str, lang: str) -> tuple[QQuickItem, Receipt]:
    from ui.screenshots import _wait_loaded

    session = sample_sessions(lang)[screen]
    ui.controller.show_snapshot(session)
    QCoreApplication.processEvents()
    _wait_loaded(ui)
    loader = ui.find("screenLoader")
    assert loader is not None
    item = loader.property("item")
    assert isinstance(item, QQuickItem)
    assert session.outcome is not None and session.outcome.receipt is not None
    return item, session.outcome.receipt


def _drawn_exactly(shot: QImage, code: QQuickItem) -> str:
    """``""`` when the code's image is on screen at a whole number of pixels per module
    (every module the same size, nearest neighbour: pixel for pixel the source scaled up)
    with a white quiet zone of 4 modules; else what is wrong."""
    from ui.qrimage import QR_IMAGES, QUIET_ZONE

    source = QR_IMAGES.get(str(code.property("source").toString()).rsplit("/", 1)[-1])
    if source is None:
        return "no image"
    n = source.width()
    per_module = code.width() / n
    if per_module < 3 or abs(per_module - round(per_module)) > 1e-6:
        return f"{per_module:.2f} screen pixels per module (need a whole number, at least 3)"
    k = round(per_module)
    white = QColor("white").rgb()
    for i in range(QUIET_ZONE):  # the quiet zone: the image's outer 4 modules are white
        for j in range(n):
            for x, y in ((i, j), (n - 1 - i, j), (j, i), (j, n - 1 - i)):
                if source.pixel(x, y) != white:
                    return f"module ({x}, {y}) of the quiet zone is not white"
    origin = code.mapToScene(QPointF(0, 0))
    x0, y0 = round(origin.x()), round(origin.y())
    if abs(origin.x() - x0) > 1e-6 or abs(origin.y() - y0) > 1e-6:
        return f"drawn at a fractional position ({origin.x():.2f}, {origin.y():.2f})"
    for my in range(n):
        for mx in range(n):
            want = source.pixel(mx, my)
            for dy in range(k):
                for dx in range(k):
                    if shot.pixel(x0 + mx * k + dx, y0 + my * k + dy) != want:
                        return f"module ({mx}, {my}) is not drawn as {k}x{k} pixels of its colour"
    return ""


@pytest.mark.parametrize("screen", ["success", "printer_out_of_paper"])
def test_both_qr_codes_decode_from_the_screen(qr_ui: KioskUi, screen: str) -> None:
    failures: list[str] = []
    decoded_any = 0
    for size in SIZES:
        qr_ui.window.resize(size)
        for lang in LANGUAGES:
            qr_ui.language.switch(lang)
            for large in (False, True):
                qr_ui.theme.setProperty("largeText", large)
                root, receipt = _shown(qr_ui, screen, lang)
                _frames(qr_ui.window, 2)
                reminder = _visible(root, "reminderQr")
                assert reminder is not None, f"{screen}: no reminder QR"
                _scroll_into_view(reminder)
                _frames(qr_ui.window, 2)
                where = f"{screen} [{lang} {size.width()}x{size.height()}{', large text' if large else ''}]"
                shot = qr_ui.window.grabWindow()
                for name in ("receiptQr", "reminderQr"):
                    code = _visible(root, name)
                    assert code is not None, f"{where}: no {name}"
                    problem = _drawn_exactly(shot, code)
                    if problem:
                        failures.append(f"{where} {name}: {problem}")
                expected = {receipt.url, reminder_ics(receipt)}
                found = decode(shot)
                decoded_any += len(found & expected)
                if found != expected:
                    failures.append(f"{where}: decoded {sorted(t[:40] for t in found)}")
    assert not failures, "\n".join(failures)
    assert decoded_any == 2 * len(SIZES) * len(LANGUAGES) * 2


def _printed_qr_image(text_qr: Any) -> QImage:
    import io

    buf = io.BytesIO()
    text_qr.save(buf, kind="png", scale=PRINTED_QR_MODULE_DOTS, border=4)
    return QImage.fromData(buf.getvalue())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_printed_reminder_decodes_at_the_printers_module_size(lang: str) -> None:
    receipt = sample_sessions(lang)["success"].outcome.receipt  # type: ignore[union-attr]
    assert receipt is not None
    code = reminder_qr(receipt)
    assert code is not None
    assert decode(_printed_qr_image(code)) == {reminder_ics(receipt)}


def test_the_reminder_is_valid_icalendar_with_an_alarm() -> None:
    import icalendar

    receipt = sample_sessions("zh_CN")["success"].outcome.receipt  # type: ignore[union-attr]
    assert receipt is not None and receipt.valid_until is not None
    ics = reminder_ics(receipt)
    assert ics is not None
    cal = icalendar.Calendar.from_ical(ics)
    assert str(cal["version"]) == "2.0" and str(cal["prodid"])
    (event,) = cal.walk("VEVENT")
    assert str(event["uid"]) and event.decoded("dtstamp").tzinfo is not None
    assert event.decoded("dtstart") == dt.datetime.combine(
        receipt.valid_until - dt.timedelta(days=3), dt.time(10, 0))
    (alarm,) = event.walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY" and str(alarm["description"])
    assert alarm.decoded("trigger") == dt.timedelta(0)
    assert "30 天套餐" not in str(alarm["description"])  # the name is not followed by 套餐 again
    assert reminder_ics(dataclasses.replace(receipt, valid_until=None)) is None
