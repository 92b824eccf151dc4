"""The terminal side of a pseudo-terminal pair, with optional real byte timing.

With ``byte_time_s`` set, bytes the emulator writes leave at the line's pace (one
byte every ``bits_per_byte / baud`` seconds) and bytes it reads become visible only
when they would have finished arriving, so a pty behaves like a 9600 baud cable.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import time

from payment.errors import LinkDown


class PtyLink:
    def __init__(self, master_fd: int, *, byte_time_s: float | None = None) -> None:
        self.fd = master_fd
        self.byte_time_s = byte_time_s
        self._rx_clock = 0.0
        self._tx_clock = 0.0
        self.bytes_rx = 0
        self.bytes_tx = 0
        self._closed = False

    def read(self, timeout_s: float) -> bytes:
        if self._closed:
            raise LinkDown("pty closed")
        try:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout_s))
            if not ready:
                return b""
            data = os.read(self.fd, 4096)
        except OSError as exc:
            if exc.errno == errno.EINTR:
                return b""
            raise LinkDown(f"pty read failed: {exc}") from exc
        if not data:
            raise LinkDown("pty closed by the other side")
        self.bytes_rx += len(data)
        if self.byte_time_s:
            now = time.monotonic()
            self._rx_clock = max(self._rx_clock, now) + len(data) * self.byte_time_s
            delay = self._rx_clock - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return data

    def write(self, data: bytes) -> None:
        if self._closed:
            raise LinkDown("pty closed")
        try:
            if not self.byte_time_s:
                os.write(self.fd, data)
            else:
                bt = self.byte_time_s
                start = max(time.monotonic(), self._tx_clock)
                sent, n = 0, len(data)
                while sent < n:  # each byte leaves once it would have been transmitted
                    now = time.monotonic()
                    due = min(n, int((now - start) / bt))
                    if due > sent:
                        os.write(self.fd, data[sent:due])
                        sent = due
                    else:
                        time.sleep(max(0.0, start + (sent + 1) * bt - now))
                self._tx_clock = start + n * bt
        except OSError as exc:
            raise LinkDown(f"pty write failed: {exc}") from exc
        self.bytes_tx += len(data)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):  # already closed by a disconnect
                os.close(self.fd)
