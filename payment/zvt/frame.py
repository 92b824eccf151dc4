"""Transport framing (PA00P016 section 2, serial transport).

A frame is ``DLE STX <APDU with every DLE doubled> DLE ETX CRClo CRChi``; the CRC
(:mod:`payment.zvt.crc`) covers the unstuffed APDU plus ETX. Single control bytes
ACK (0x06) and NAK (0x15) travel outside frames. The decoder is a byte-at-a-time
state machine that never raises: bytes outside a frame are skipped as line junk,
a damaged frame becomes :class:`FrameCorrupt` (answered with NAK by the transport).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

from payment.errors import FrameError
from payment.zvt.crc import crc16

DLE = 0x10
STX = 0x02
ETX = 0x03
ACK = 0x06
NAK = 0x15

#: Longest APDU: 2 control bytes, 3 length bytes, 65535 data bytes.
MAX_APDU = 2 + 3 + 0xFFFF


def encode_frame(apdu: bytes) -> bytes:
    """Frame one APDU for the line (DLE doubled inside, CRC low byte first)."""
    crc = crc16(apdu + bytes((ETX,)))
    body = apdu.replace(b"\x10", b"\x10\x10")
    return b"\x10\x02" + body + b"\x10\x03" + bytes((crc & 0xFF, crc >> 8))


@dataclass(frozen=True)
class FrameReceived:
    apdu: bytes


@dataclass(frozen=True)
class FrameCorrupt:
    reason: str


@dataclass(frozen=True)
class ControlByte:
    value: int  # ACK or NAK


FrameEvent = FrameReceived | FrameCorrupt | ControlByte


class _State(Enum):
    IDLE = auto()
    GOT_DLE = auto()
    BODY = auto()
    BODY_DLE = auto()
    CRC_LO = auto()
    CRC_HI = auto()


class FrameDecoder:
    """Feed bytes as they arrive; get frames, damaged frames and ACK/NAK bytes back."""

    def __init__(self) -> None:
        self._state = _State.IDLE
        self._buf = bytearray()
        self._crc_lo = 0
        self.junk_bytes = 0

    def reset(self) -> None:
        self._state = _State.IDLE
        self._buf.clear()

    @property
    def in_frame(self) -> bool:
        return self._state not in (_State.IDLE, _State.GOT_DLE)

    def feed(self, data: bytes) -> list[FrameEvent]:
        events: list[FrameEvent] = []
        for byte in data:
            event = self._step(byte)
            if event is not None:
                events.append(event)
        return events

    def _step(self, byte: int) -> FrameEvent | None:
        state = self._state
        if state is _State.IDLE:
            if byte == DLE:
                self._state = _State.GOT_DLE
            elif byte in (ACK, NAK):
                return ControlByte(byte)
            else:
                self.junk_bytes += 1
            return None
        if state is _State.GOT_DLE:
            if byte == STX:
                self._buf.clear()
                self._state = _State.BODY
            elif byte == DLE:
                self.junk_bytes += 1
            else:
                self.junk_bytes += 2
                self._state = _State.IDLE
                if byte in (ACK, NAK):
                    return ControlByte(byte)
            return None
        if state is _State.BODY:
            if byte == DLE:
                self._state = _State.BODY_DLE
            else:
                self._buf.append(byte)
                if len(self._buf) > MAX_APDU:
                    self.reset()
                    return FrameCorrupt("frame longer than the longest APDU")
            return None
        if state is _State.BODY_DLE:
            if byte == DLE:
                self._buf.append(DLE)
                self._state = _State.BODY
            elif byte == ETX:
                self._state = _State.CRC_LO
            elif byte == STX:  # a new frame started inside this one: resynchronise on it
                self._buf.clear()
                self._state = _State.BODY
                return FrameCorrupt("frame interrupted by DLE STX")
            else:
                self.reset()
                return FrameCorrupt(f"DLE followed by 0x{byte:02X} inside a frame")
            return None
        if state is _State.CRC_LO:
            self._crc_lo = byte
            self._state = _State.CRC_HI
            return None
        # CRC_HI
        received = self._crc_lo | (byte << 8)
        apdu = bytes(self._buf)
        self.reset()
        if crc16(apdu + bytes((ETX,))) != received:
            return FrameCorrupt("CRC mismatch")
        return FrameReceived(apdu)


def decode_frame(data: bytes) -> bytes:
    """Strictly decode exactly one frame (leading junk allowed); raises :class:`FrameError`."""
    decoder = FrameDecoder()
    events = decoder.feed(data)
    frames = [e for e in events if isinstance(e, FrameReceived)]
    bad = [e for e in events if isinstance(e, FrameCorrupt)]
    if bad:
        raise FrameError(bad[0].reason)
    if len(frames) != 1 or decoder.in_frame:
        raise FrameError(f"expected one complete frame, found {len(frames)}")
    return frames[0].apdu
