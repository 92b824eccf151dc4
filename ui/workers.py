"""Runs device and service calls off the GUI thread; results come back as queued signals.

Why: a reader read, an upstream lookup or a payment blocks for seconds (ZVT
allows 180 s). Each device gets its own single worker thread ("lane"), so
calls to one device never overlap and a hung terminal cannot delay the
reader. The worker turns every outcome, including an exception, into a flow
event and emits it; Qt queues the signal to the GUI thread because the
emitting thread is not the receiver's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal

from kiosk.errors import KioskError

log = logging.getLogger(__name__)

#: One worker thread per lane: reader, provider, checkout, control.
LANES = ("reader", "provider", "checkout", "control")


class Worker(QObject):
    """Owns the lanes; ``finished`` carries the event each call produced (queued to the GUI)."""

    finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()
        self._closed = False

    def _pool(self, lane: str) -> ThreadPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("worker closed")
            pool = self._pools.get(lane)
            if pool is None:
                pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"kiosk-{lane}")
                self._pools[lane] = pool
            return pool

    def submit(
        self,
        lane: str,
        call: Callable[[], object | None],
        on_error: Callable[[str], object] | None = None,
    ) -> Future[None] | None:
        """Run ``call`` on ``lane``; emit its result (an event) or ``on_error(code)``.

        A :class:`KioskError` becomes ``on_error(exc.code)``; any other
        exception is logged with its traceback and becomes
        ``on_error("internal_error")``, so the customer always gets a screen.
        """
        if self._closed:
            log.debug("%s call dropped: worker closed", lane)
            return None

        def job() -> None:
            try:
                result = call()
            except KioskError as exc:
                log.warning("%s call failed: %s", lane, exc, extra={"error_code": exc.code})
                result = on_error(exc.code) if on_error is not None else None
            except Exception:
                log.exception("%s call crashed", lane)
                result = on_error("internal_error") if on_error is not None else None
            if result is None or self._closed:
                return
            try:
                self.finished.emit(result)
            except RuntimeError:  # the GUI side was torn down while this call ran
                log.info("%s result dropped after shutdown: %r", lane, type(result).__name__)

        try:
            return self._pool(lane).submit(job)
        except RuntimeError:  # closed between the check and the submit
            log.debug("%s call dropped: worker closed", lane)
            return None

    def close(self, wait: bool = False) -> None:
        """Stop taking work; idempotent. Running device calls finish on their own deadline."""
        self._closed = True
        with self._lock:
            pools = list(self._pools.values())
        for pool in pools:
            pool.shutdown(wait=wait, cancel_futures=True)
