"""Byte layouts of the ZVT protocol, as the terminal (PT) side sees them.

Transport (PA00P016 ch. 3, serial RS232): ``DLE STX <APDU, DLE doubled> DLE ETX CRC-lo CRC-hi``.
The CRC is CRC-CCITT computed bit-reversed (polynomial 0x8408, start value 0, no final XOR; the
catalogue name is CRC-16/KERMIT) over the undoubled APDU followed by ETX, sent low byte first. A
receiver answers a good frame with ``DLE ACK`` (10 06) and a bad one with ``NAK`` (15).

APDU (PA00P015 ch. 1.3 / PA00P016 ch. 4): ``CLASS INSTR LEN data``; LEN = FF announces the long form,
two more length bytes, low byte first.

Data (PA00P015 ch. 9, "Bitmaps"): BCD numbers, LLVAR / LLLVAR fields whose length is written as
F0+digit bytes (F1 F5 = 15), and the TLV container (BMP 06) with BER-style tags and lengths.

Written from the specification text and the byte tables of public implementations, read but not
copied (ecrterm ``transport_serial.py`` / ``bmp.py`` / ``bitmaps.py`` for the CRC start value and
the BMP lengths; EVerest ``zvt`` ``packets.rs`` for the Status Information and Completion layouts).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

DLE = 0x10
STX = 0x02
ETX = 0x03
ACK = 0x06
NAK = 0x15

#: Byte-level answers (PA00P016 ch. 3.2.3): a positive one is DLE ACK, a negative one a bare NAK.
ACK_BYTES = bytes([DLE, ACK])
NAK_BYTES = bytes([NAK])


class CodecError(ValueError):
    """A byte sequence that does not follow the layout it claims."""


def crc16(data: bytes) -> int:
    """CRC-CCITT, reflected (0x8408), start 0: PA00P016 ch. 3.2.2 ("CRC16 ... over APDU and ETX")."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def frame(apdu: bytes, *, corrupt_crc: bool = False) -> bytes:
    """Wrap one APDU for the serial line; ``corrupt_crc`` flips the CRC (a fault on purpose)."""
    crc = crc16(apdu + bytes([ETX]))
    if corrupt_crc:
        crc ^= 0xFFFF
    body = apdu.replace(bytes([DLE]), bytes([DLE, DLE]))
    return bytes([DLE, STX]) + body + bytes([DLE, ETX, crc & 0xFF, crc >> 8])


@dataclass(frozen=True)
class Received:
    """One complete frame read off the line; ``crc_ok`` False means it must be NAKed."""

    apdu: bytes
    crc_ok: bool


class FrameReader:
    """Turns the byte stream from the ECR into frames and single control bytes.

    Bytes outside a frame that are not DLE ACK / ACK / NAK are line noise and are skipped, as a
    receiver waiting for DLE STX does (PA00P016 ch. 3.2.1). A bare ACK (06) from the ECR is accepted
    as well as DLE ACK: serial ECRs in the field send it.
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> None:
        self._buf += data

    def clear(self) -> None:
        self._buf.clear()

    @property
    def pending(self) -> bool:
        return bool(self._buf)

    def events(self) -> Iterator[Received | bytes]:
        """Yield complete frames (``Received``) and control answers (``ACK_BYTES`` / ``NAK_BYTES``)."""
        while self._buf:
            buf = self._buf
            if buf[0] == NAK:
                del buf[0]
                yield NAK_BYTES
                continue
            if buf[0] == ACK:
                # A bare ACK is what deployed ECRs send (ecrterm ``write_ack``, Wiffzack zvtlib
                # ``RS232Transport.SendStatus(ACK)``): taken as positive like DLE ACK.
                del buf[0]
                yield ACK_BYTES
                continue
            if buf[0] != DLE:
                del buf[0]  # noise
                continue
            if len(buf) < 2:
                return
            if buf[1] == ACK:
                del buf[:2]
                yield ACK_BYTES
                continue
            if buf[1] != STX:
                del buf[0]
                continue
            parsed = _parse_frame(bytes(buf))
            if parsed is None:
                return  # incomplete: wait for more bytes
            received, used = parsed
            del buf[:used]
            yield received


def _parse_frame(buf: bytes) -> tuple[Received, int] | None:
    """Parse ``DLE STX ... DLE ETX lo hi`` at the start of ``buf``; None while incomplete."""
    apdu = bytearray()
    i = 2
    while i < len(buf):
        byte = buf[i]
        if byte != DLE:
            apdu.append(byte)
            i += 1
            continue
        if i + 1 >= len(buf):
            return None
        nxt = buf[i + 1]
        if nxt == DLE:
            apdu.append(DLE)
            i += 2
        elif nxt == ETX:
            if i + 3 >= len(buf):
                return None
            got = buf[i + 2] | (buf[i + 3] << 8)
            ok = got == crc16(bytes(apdu) + bytes([ETX]))
            return Received(bytes(apdu), ok), i + 4
        elif nxt == STX:
            # A new frame starts inside this one (the sender gave up mid-frame): report the broken
            # one and resynchronise on the new DLE STX.
            return Received(bytes(apdu), False), i
        else:
            # A lone DLE inside a frame: the frame is broken; report it as a CRC failure.
            return Received(bytes(apdu), False), i + 1
    return None


# --- APDU --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Apdu:
    """``CLASS INSTR data``; the length is derived when encoding."""

    cls: int
    instr: int
    data: bytes = b""

    @property
    def command(self) -> bytes:
        return bytes([self.cls, self.instr])

    def encode(self) -> bytes:
        return encode_apdu(self.cls, self.instr, self.data)

    def __str__(self) -> str:
        return f"{self.cls:02X} {self.instr:02X} [{len(self.data)}] {self.data.hex(' ').upper()}"


def encode_apdu(cls: int, instr: int, data: bytes = b"") -> bytes:
    """Control field and length; FF lo hi for data longer than 254 bytes (PA00P016 ch. 4.1)."""
    n = len(data)
    if n < 0xFF:
        return bytes([cls, instr, n]) + data
    if n > 0xFFFF:
        raise CodecError(f"APDU data of {n} bytes does not fit the long length form")
    return bytes([cls, instr, 0xFF, n & 0xFF, n >> 8]) + data


def decode_apdu(raw: bytes) -> Apdu:
    if len(raw) < 3:
        raise CodecError(f"APDU of {len(raw)} bytes is shorter than its control field and length")
    cls, instr, n = raw[0], raw[1], raw[2]
    start = 3
    if n == 0xFF:
        if len(raw) < 5:
            raise CodecError("APDU announces the long length form but stops before the length")
        n = raw[3] | (raw[4] << 8)
        start = 5
    data = raw[start:]
    if len(data) != n:
        raise CodecError(f"APDU {cls:02X} {instr:02X} announces {n} data bytes but carries {len(data)}")
    return Apdu(cls, instr, data)


# --- field encodings (PA00P015 ch. 9) ----------------------------------------------------------


def bcd(value: int | str, nbytes: int) -> bytes:
    digits = str(value).rjust(nbytes * 2, "0")
    if len(digits) != nbytes * 2 or not digits.isdigit():
        raise CodecError(f"{value!r} does not fit {nbytes} BCD bytes")
    return bytes.fromhex(digits)


def from_bcd(data: bytes) -> int:
    text = data.hex()
    if not text.isdigit():
        raise CodecError(f"{data.hex(' ')} is not BCD")
    return int(text) if text else 0


def lvar_length(n: int, digits: int) -> bytes:
    text = str(n).rjust(digits, "0")
    if len(text) != digits:
        raise CodecError(f"length {n} does not fit {digits} length digits")
    return bytes(0xF0 + int(d) for d in text)


def llvar(data: bytes) -> bytes:
    return lvar_length(len(data), 2) + data


def lllvar(data: bytes) -> bytes:
    return lvar_length(len(data), 3) + data


def read_lvar(data: bytes, digits: int) -> tuple[bytes, bytes]:
    """(value, rest) of an L..VAR field whose length bytes are F0+digit."""
    if len(data) < digits:
        raise CodecError("L..VAR field stops inside its length")
    n = 0
    for b in data[:digits]:
        if b & 0xF0 != 0xF0 or (b & 0x0F) > 9:
            raise CodecError(f"L..VAR length byte {b:02X} is not F0..F9")
        n = n * 10 + (b & 0x0F)
    value = data[digits : digits + n]
    if len(value) != n:
        raise CodecError(f"L..VAR field announces {n} bytes but carries {len(value)}")
    return value, data[digits + n :]


def masked_pan(pan_pattern: str) -> bytes:
    """BMP 22 value: the PAN as BCD nibbles, masked digits as E, padded with F (PA00P015 BMP 22)."""
    nibbles = pan_pattern.upper().replace(" ", "")
    if any(c not in "0123456789E" for c in nibbles):
        raise CodecError(f"PAN pattern {pan_pattern!r} may hold digits and E only")
    if len(nibbles) % 2:
        nibbles += "F"
    return bytes.fromhex(nibbles)


# TLV (PA00P015 ch. 9.4 "TLV-container"): BER tags (a first byte whose low five bits are all set
# is followed by more tag bytes while their top bit is set) and BER lengths (81 xx, 82 xx xx).


def tlv_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n <= 0xFF:
        return bytes([0x81, n])
    if n <= 0xFFFF:
        return bytes([0x82, n >> 8, n & 0xFF])
    raise CodecError(f"TLV length {n} too large")


def tlv(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    return tag_bytes + tlv_length(len(value)) + value


def tlv_container(*items: bytes) -> bytes:
    """BMP 06 with its content."""
    body = b"".join(items)
    return bytes([0x06]) + tlv_length(len(body)) + body


def read_tlv_items(data: bytes) -> list[tuple[int, bytes]]:
    """Flat list of (tag, value) of one TLV level."""
    items: list[tuple[int, bytes]] = []
    i = 0
    while i < len(data):
        start = i
        first = data[i]
        i += 1
        if first & 0x1F == 0x1F:
            while i < len(data) and data[i] & 0x80:
                i += 1
            i += 1
        if i > len(data):
            raise CodecError("TLV tag runs past the end")
        tag = int.from_bytes(data[start:i], "big")
        value, i = _read_tlv_value(data, i)
        items.append((tag, value))
    return items


def _read_tlv_value(data: bytes, i: int) -> tuple[bytes, int]:
    if i >= len(data):
        raise CodecError("TLV stops before its length")
    n = data[i]
    i += 1
    if n & 0x80:
        count = n & 0x7F
        if count == 0 or i + count > len(data):
            raise CodecError("TLV long length runs past the end")
        n = int.from_bytes(data[i : i + count], "big")
        i += count
    value = data[i : i + n]
    if len(value) != n:
        raise CodecError(f"TLV value announces {n} bytes but carries {len(value)}")
    return value, i + n


def read_tlv_container(data: bytes) -> tuple[bytes, bytes]:
    """(content, rest) of a BMP 06 whose tag byte was already consumed."""
    value, i = _read_tlv_value(data, 0)
    return value, data[i:]


#: Lengths of the BMPs an ECR sends in the commands this peer understands (PA00P015 ch. 9.1).
#: ``int`` = fixed length, "LL"/"LLL" = L..VAR, "TLV" = BMP 06.
ECR_BMPS: dict[int, int | str] = {
    0x01: 1,  # time-out
    0x02: 1,  # max. status infos
    0x03: 1,  # service byte
    0x04: 6,  # amount, BCD
    0x05: 1,  # pump number
    0x06: "TLV",
    0x0B: 3,  # trace number
    0x0E: 2,  # expiry date
    0x19: 1,  # payment type
    0x22: "LL",  # PAN
    0x23: "LL",  # track 2
    0x24: "LLL",  # track 3
    0x2D: "LL",  # track 1
    0x37: 3,  # original trace number
    0x3A: 2,  # CVV
    0x3C: "LLL",  # additional data
    0x49: 2,  # currency code
    0x87: 2,  # receipt number
    0x88: 3,  # turnover record number
    0x8A: 1,  # card type
    0x8C: 1,  # card type id
}


def read_bmps(data: bytes) -> dict[int, bytes]:
    """Parse a run of BMPs; an unknown BMP number is an error (it cannot be skipped safely)."""
    out: dict[int, bytes] = {}
    rest = data
    while rest:
        number, rest = rest[0], rest[1:]
        kind = ECR_BMPS.get(number)
        if kind is None:
            raise CodecError(f"unknown BMP {number:02X}")
        if isinstance(kind, int):
            if len(rest) < kind:
                raise CodecError(f"BMP {number:02X} needs {kind} bytes, {len(rest)} left")
            out[number], rest = rest[:kind], rest[kind:]
        elif kind == "LL":
            out[number], rest = read_lvar(rest, 2)
        elif kind == "LLL":
            out[number], rest = read_lvar(rest, 3)
        else:
            out[number], rest = read_tlv_container(rest)
    return out
