"""Before the first customer: import what the first sale would import mid-sale, then
take the start-up's objects out of the garbage collector's way.

Why: a worker thread that imports a large pure-Python module holds the GIL for
most of that time, and the GUI thread waits for the GIL every time QML reads a
view model. python-escpos parses its printer-capability file (YAML, ~0.4 s of
Python) when first imported, that is when the first receipt prints, while the
customer watches the success screen (measured: a 60-80 ms frame stall); segno,
babel and icalendar cost less but the same way. Second, a full collection walks
every object the process holds (hundreds of thousands after start-up: Qt
bindings, SQLAlchemy, the QML type wrappers), 30-70 ms with the GIL held, on
whichever thread triggers it. ``gc.freeze()`` moves what exists once the kiosk
is ready into a permanent generation that later collections skip: they scan only
what sessions allocate. Start-up objects live as long as the process anyway.
"""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

#: what the checkout lane imports for a completed sale (receipt, QR codes, reminder)
SALE_MODULES: tuple[str, ...] = ("kiosk.receipt", "segno", "babel.dates", "icalendar")
PRINTER_MODULES: tuple[str, ...] = ("escpos.printer",)


def warm_up(modules: Iterable[str]) -> None:
    """Import ``modules`` (a missing one is logged: the sale reports it when it needs it),
    then collect and freeze the heap. Run it on a worker lane, once, when the kiosk is ready."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            log.warning("warm-up: cannot import %s: %s", name, exc)
    if gc.get_freeze_count():
        return  # frozen once per process (a second kiosk window in tests, a start-up retry)
    gc.collect()
    gc.freeze()
    log.debug("warm-up done: %d objects frozen", gc.get_freeze_count())
