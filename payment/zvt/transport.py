"""Link layer: frames, byte ACK/NAK, retries and timeouts (PA00P016, serial transport).

A sender writes a frame and waits up to T3 (5 s) for ACK; NAK or silence means
another try, up to three. A receiver answers every good frame with ACK and every
damaged one with NAK; bytes between frames are skipped. :class:`ZvtTransport`
owns this logic for both sides; the emulator subclasses it and overrides the
small hooks (``_wire_frame``, ``_verdict``) to inject faults.

The byte link is a tiny protocol so the same transport runs over pyserial
(:class:`SerialLink`, any ``serial_for_url`` URL) and over a pty master fd.
"""

from __future__ import annotations

import logging
import termios
import time
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Protocol

import serial

from payment.errors import Interrupted, LinkDown, NoAcknowledge
from payment.zvt.frame import (
    ACK,
    NAK,
    ControlByte,
    FrameCorrupt,
    FrameDecoder,
    FrameReceived,
    encode_frame,
)

log = logging.getLogger(__name__)

#: What pyserial lets through when a device vanishes (tcdrain raises termios.error).
_PORT_ERRORS = (serial.SerialException, OSError, termios.error)

T3_ACK_TIMEOUT_S = 5.0
TRIES = 3
#: Longest single read, so a stop request is seen within this.
SLICE_S = 0.05

Stop = Callable[[], bool]


class ByteLink(Protocol):
    def read(self, timeout_s: float) -> bytes:
        """Bytes available within ``timeout_s`` (``b""`` if none); raises :class:`LinkDown`."""
        ...

    def write(self, data: bytes) -> None:
        """Write all of ``data``; raises :class:`LinkDown`."""
        ...

    def close(self) -> None: ...


class SerialLink:
    """A pyserial port opened through ``serial_for_url``.

    RTS and DTR are never set: a pseudo-terminal rejects those ioctls with
    ENOTTY once open, and a payment terminal does not need them.
    """

    def __init__(self, port: serial.SerialBase, poll_s: float) -> None:
        self._port = port
        self._poll_s = poll_s

    @classmethod
    def open(
        cls,
        url: str,
        *,
        baud: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: int = 2,
        poll_s: float = 0.02,
        write_timeout_s: float = 5.0,
    ) -> SerialLink:
        try:
            port = serial.serial_for_url(url, do_not_open=True)
            port.baudrate = baud
            port.bytesize = bytesize
            port.parity = parity
            port.stopbits = stopbits
            port.timeout = poll_s
            port.write_timeout = write_timeout_s
            port.open()
        except (*_PORT_ERRORS, ValueError) as exc:
            raise LinkDown(f"cannot open {url}: {exc}", request_may_have_arrived=False) from exc
        return cls(port, poll_s)

    def read(self, timeout_s: float) -> bytes:
        deadline = time.monotonic() + max(0.0, timeout_s)
        while True:
            try:
                waiting = self._port.in_waiting
                data = bytes(self._port.read(waiting or 1))
            except _PORT_ERRORS as exc:
                raise LinkDown(f"read failed: {exc}") from exc
            if data or time.monotonic() >= deadline:
                return data

    def write(self, data: bytes) -> None:
        """A failed write may have put part of ``data`` on the line, never all of it; a
        failed *flush* (tcdrain) comes after every byte went to the device: the peer may
        have received the whole frame, so that :class:`LinkDown` says it may have arrived."""
        try:
            self._port.write(data)
        except _PORT_ERRORS as exc:
            raise LinkDown(f"write failed: {exc}", request_may_have_arrived=False) from exc
        try:
            self._port.flush()
        except _PORT_ERRORS as exc:
            raise LinkDown(f"link lost after writing: {exc}") from exc

    def close(self) -> None:
        try:
            self._port.close()
        except _PORT_ERRORS as exc:
            log.debug("closing the port failed: %s", exc)


class Verdict(Enum):
    ACK = "ack"
    NAK = "nak"
    IGNORE = "ignore"  # say nothing (a silent or unplugged peer)


class ZvtTransport:
    """Frames over a byte link with ACK/NAK and retries. Not thread-safe: one owner thread."""

    def __init__(
        self,
        link: ByteLink,
        *,
        ack_timeout_s: float = T3_ACK_TIMEOUT_S,
        tries: int = TRIES,
    ) -> None:
        self.link = link
        self.ack_timeout_s = ack_timeout_s
        self.tries = tries
        self._decoder = FrameDecoder()
        self._pending: deque[bytes] = deque()
        self._last_rx: bytes | None = None
        self.bytes_tx = 0
        self.bytes_rx = 0
        self.retries = 0
        self.naks_sent = 0

    # ------------------------------------------------------------------ hooks

    def _wire_frame(self, apdu: bytes, attempt: int) -> bytes:
        """Bytes to write for ``apdu`` on try ``attempt`` (1-based)."""
        return encode_frame(apdu)

    def _verdict(self, apdu: bytes) -> Verdict:
        """How to answer a frame with a good CRC."""
        return Verdict.ACK

    # ------------------------------------------------------------------ I/O

    def _write(self, data: bytes) -> None:
        self.link.write(data)
        self.bytes_tx += len(data)

    def _pump(self, timeout_s: float) -> list[int]:
        """Read once, answer frames, queue good ones; return the ACK/NAK bytes seen."""
        data = self.link.read(timeout_s)
        self.bytes_rx += len(data)
        controls: list[int] = []
        for event in self._decoder.feed(data):
            if isinstance(event, ControlByte):
                controls.append(event.value)
            elif isinstance(event, FrameReceived):
                verdict = self._verdict(event.apdu)
                if verdict is Verdict.ACK:
                    self._pending.append(event.apdu)  # kept even if our ACK cannot be written
                    self._write(bytes((ACK,)))
                elif verdict is Verdict.NAK:
                    self._write(bytes((NAK,)))
                    self.naks_sent += 1
            elif isinstance(event, FrameCorrupt):
                log.debug("damaged frame (%s): NAK", event.reason)
                self._write(bytes((NAK,)))
                self.naks_sent += 1
        return controls

    def _read_slice(self, remaining: float, stop: Stop | None, written: bool) -> list[int]:
        if stop is not None and stop():
            raise Interrupted("stopped waiting on the line", request_may_have_arrived=written)
        return self._pump(min(remaining, SLICE_S) if stop is not None else remaining)

    def send(self, apdu: bytes, *, deadline: float | None = None, stop: Stop | None = None) -> None:
        """Send one APDU and wait for its ACK; raises :class:`NoAcknowledge` or :class:`LinkDown`.

        A :class:`LinkDown` carries ``request_may_have_arrived=False`` when not a
        single complete frame was written, so the caller knows a retry is safe.
        No try starts after ``deadline``; ``stop()`` returning True ends the wait
        with :class:`Interrupted`.
        """
        written = False
        for attempt in range(1, self.tries + 1):
            if attempt > 1:
                if deadline is not None and time.monotonic() >= deadline:
                    break
                self.retries += 1
            try:
                self._write(self._wire_frame(apdu, attempt))
            except LinkDown as exc:
                # a frame that left whole (an earlier try, or this one before the flush
                # failed) may be running at the terminal: never "safe to send again"
                raise LinkDown(str(exc), request_may_have_arrived=written
                               or exc.request_may_have_arrived) from exc
            written = True
            end = time.monotonic() + self.ack_timeout_s
            if deadline is not None:
                end = min(end, max(deadline, time.monotonic() + 0.2))  # the frame's own transfer
            answer: int | None = None
            while answer is None:
                remaining = end - time.monotonic()
                if remaining <= 0:
                    break
                controls = self._read_slice(remaining, stop, written)
                if controls:
                    answer = controls[0]
            if answer == ACK:
                return
            log.debug("try %d of %02X %02X: %s", attempt, apdu[0], apdu[1],
                      "NAK" if answer == NAK else "no ACK within T3")
        raise NoAcknowledge(f"no ACK for {apdu[:2].hex(' ')} after {self.tries} tries")

    def receive(self, timeout_s: float, *, stop: Stop | None = None) -> bytes | None:
        """The next APDU the peer sent within ``timeout_s``, or ``None``."""
        deadline = time.monotonic() + max(0.0, timeout_s)
        while not self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._read_slice(remaining, stop, True)
        return self._pending.popleft()

    def discard_input(self) -> None:
        """Forget queued frames and a half-read frame (before a new command)."""
        self._pending.clear()
        self._decoder.reset()

    def close(self) -> None:
        self.link.close()
