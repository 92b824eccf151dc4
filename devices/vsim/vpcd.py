"""Connect a :class:`~devices.vsim.card.VirtualSim` to pcscd through the vsmartcard vpcd driver.

vpcd protocol (vsmartcard ``virtualsmartcard/doc``): the card is the TCP
*client*; the driver listens (reader 0 on port 35963, reader 1 on 35964 by
default). Every message is a 2-byte big-endian length and a payload. A
1-byte payload is a control message: 00 power off, 01 power on, 02 reset,
04 get ATR (answered with the ATR). Anything longer is a command APDU,
answered with a response APDU. Closing the socket removes the card.

TCP_NODELAY and TCP_QUICKACK are set (QUICKACK again after every receive,
since Linux clears it) or each APDU waits ~40 ms for a delayed ACK.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time

from devices.vsim.card import VirtualSim

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963

CTRL_OFF = 0x00
CTRL_ON = 0x01
CTRL_RESET = 0x02
CTRL_ATR = 0x04


class VpcdCard:
    """A virtual card inserted into a vpcd reader while this object is open.

    ``remove_after``: close the connection (pull the card) when command
    number ``remove_after + 1`` arrives; ``delay_s``: wait that long before
    answering each command (``slow_from``: only from that command on).
    """

    def __init__(self, sim: VirtualSim, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 remove_after: int | None = None, delay_s: float = 0.0,
                 slow_from: int = 1, connect_timeout_s: float = 5.0) -> None:
        self.sim = sim
        self.host = host
        self.port = port
        self.remove_after = remove_after
        self.delay_s = delay_s
        self.slow_from = slow_from
        self.connect_timeout_s = connect_timeout_s
        self.apdus = 0
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    # ------------------------------------------------------------------ lifecycle

    def insert(self) -> VpcdCard:
        """Connect to the reader (retrying while the driver is not listening yet)."""
        deadline = time.monotonic() + self.connect_timeout_s
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _quickack(sock)
        self._sock = sock
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name=f"vsim-{self.port}",
                                        daemon=True)
        self._thread.start()
        return self

    def remove(self) -> None:
        """Pull the card (close the socket); idempotent."""
        self._stop.set()
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5.0)

    @property
    def inserted(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> VpcdCard:
        return self.insert()

    def __exit__(self, *exc: object) -> None:
        self.remove()

    # ------------------------------------------------------------------ protocol

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        try:
            while not self._stop.is_set():
                header = _recv_exact(sock, 2)
                if header is None:
                    break
                (length,) = struct.unpack(">H", header)
                payload = _recv_exact(sock, length)
                if payload is None:
                    break
                reply = self._handle(payload)
                if reply is _PULL:
                    log.debug("vsim: pulling the card after %d APDUs", self.apdus)
                    break
                if isinstance(reply, bytes):
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError as exc:
            if not self._stop.is_set():
                self.error = exc
                log.debug("vsim connection ended: %s", exc)
        finally:
            self._stop.set()
            with contextlib.suppress(OSError):
                sock.close()

    def _handle(self, payload: bytes) -> bytes | object | None:
        if len(payload) == 1:
            ctrl = payload[0]
            if ctrl in (CTRL_ON, CTRL_RESET):
                self.sim.reset()
            elif ctrl == CTRL_ATR:
                return self.sim.atr
            return None
        self.apdus += 1
        if self.remove_after is not None and self.apdus > self.remove_after:
            return _PULL
        if self.delay_s and self.apdus >= self.slow_from and self._stop.wait(self.delay_s):
            return _PULL
        return self.sim.process(payload)


_PULL = object()


def _quickack(sock: socket.socket) -> None:
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        _quickack(sock)
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)
