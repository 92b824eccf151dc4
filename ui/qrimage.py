"""Receipt QR codes as images served to QML through an image provider (``image://qr/<key>``).

Why not a ``data:`` URL in ``Image.source``: Qt Quick 6.11 kept memory for every
data-URL image it loaded (about 90 KiB per success screen, found by
``make soak``), so a kiosk selling all day grew without bound. A provider hands
Qt a ``QImage`` we own; only the last few codes are kept.

The QR is rendered (segno → PNG → ``QImage``, one pixel per module) on the checkout lane, not on the
GUI thread; ``QImage`` may be created on any thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage
from PySide6.QtQuick import QQuickImageProvider

if TYPE_CHECKING:
    from kiosk.ports import Receipt

PROVIDER_ID = "qr"
QUIET_ZONE = 4  # modules of white around the code (ISO/IEC 18004)
KEEP = 8  # a success screen, a reprint, screenshots: a handful is plenty


class QrImages:
    """A small thread-safe store: text → rendered QR image, most recent ``KEEP`` kept."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._images: OrderedDict[str, QImage] = OrderedDict()

    @staticmethod
    def key(text: str) -> str:
        import hashlib  # not needed for the first frame

        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]

    def source(self, text: str) -> str:
        """The ``image://qr/<key>`` URL for ``text``, rendering it now if needed."""
        key = self.key(text)
        with self._lock:
            if key in self._images:
                self._images.move_to_end(key)
                return f"image://{PROVIDER_ID}/{key}"
        image = render(text)
        with self._lock:
            self._images[key] = image
            while len(self._images) > self._keep:
                self._images.popitem(last=False)
        return f"image://{PROVIDER_ID}/{key}"

    def get(self, key: str) -> QImage | None:
        with self._lock:
            return self._images.get(key)


def render(text: str) -> QImage:
    """One pixel per module with the 4-module white quiet zone the QR spec asks for:
    ``QrTile.qml`` scales it by a whole number of screen pixels per module (nearest
    neighbour), so every module is equally wide and phones decode it from the screen."""
    import io

    from kiosk.receipt import screen_qr  # segno is imported there on first receipt (slow import)

    buf = io.BytesIO()
    screen_qr(text).save(buf, kind="png", scale=1, border=QUIET_ZONE, dark="black", light="white")
    image = QImage.fromData(buf.getvalue())
    return image.convertToFormat(QImage.Format.Format_Grayscale8)


#: The process's store (the checkout lane fills it, the provider reads it).
QR_IMAGES = QrImages()


def qr_source(text: str) -> str:
    return QR_IMAGES.source(text)


#: txn id → ``image://qr/...`` of its "remind me" code (filled on the checkout lane).
_REMINDERS: OrderedDict[str, str] = OrderedDict()
_REMINDERS_LOCK = threading.Lock()


def remember_reminder(receipt: Receipt) -> str:
    """Encode the receipt's "remind me" iCalendar QR code (checkout lane: icalendar and
    babel are imported here, never on the GUI thread); ``""`` when the expiry is unknown."""
    from kiosk.receipt import reminder_ics

    ics = reminder_ics(receipt)
    source = qr_source(ics) if ics else ""
    with _REMINDERS_LOCK:
        _REMINDERS[receipt.txn_id] = source
        while len(_REMINDERS) > KEEP:
            _REMINDERS.popitem(last=False)
    return source


def reminder_source(txn_id: str) -> str:
    """The reminder QR code made by :func:`remember_reminder`, or ``""``."""
    with _REMINDERS_LOCK:
        return _REMINDERS.get(txn_id, "")


class QrImageProvider(QQuickImageProvider):
    """``image://qr/<key>``: the stored image, or an empty one for an unknown key."""

    def __init__(self, store: QrImages = QR_IMAGES) -> None:
        super().__init__(QQuickImageProvider.ImageType.Image)
        self._store = store

    def requestImage(self, id: str, size: QSize, requestedSize: QSize) -> QImage:
        image = self._store.get(id)
        if image is None:
            return QImage()
        if size is not None:
            size.setWidth(image.width())
            size.setHeight(image.height())
        return image
