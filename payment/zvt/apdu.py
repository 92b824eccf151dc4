"""APDU codec (PA00P015 section 1.4 / PA00P016 "APDU").

``CLASS INSTR LEN DATA``: one length byte for 0..254 data bytes, else ``FF`` and
the length in two bytes, little-endian (up to 65535).
"""

from __future__ import annotations

from dataclasses import dataclass

from payment.errors import CodecError

MAX_DATA = 0xFFFF


@dataclass(frozen=True)
class Apdu:
    cls: int
    instr: int
    data: bytes = b""

    @property
    def control(self) -> tuple[int, int]:
        return (self.cls, self.instr)

    def encode(self) -> bytes:
        n = len(self.data)
        if n > MAX_DATA:
            raise CodecError(f"APDU data too long: {n} bytes")
        if not (0 <= self.cls <= 0xFF and 0 <= self.instr <= 0xFF):
            raise CodecError("APDU class and instruction must be bytes")
        head = bytes((self.cls, self.instr))
        if n < 0xFF:
            return head + bytes((n,)) + self.data
        return head + bytes((0xFF, n & 0xFF, n >> 8)) + self.data

    @classmethod
    def decode(cls, raw: bytes) -> Apdu:
        """Decode one whole APDU; trailing or missing bytes are a :class:`CodecError`."""
        if len(raw) < 3:
            raise CodecError(f"APDU too short: {raw.hex(' ')}")
        length = raw[2]
        start = 3
        if length == 0xFF:
            if len(raw) < 5:
                raise CodecError("APDU with extended length is too short")
            length = raw[3] | (raw[4] << 8)
            start = 5
        data = raw[start:]
        if len(data) != length:
            raise CodecError(f"APDU length says {length} bytes, {len(data)} present")
        return cls(raw[0], raw[1], bytes(data))

    def __str__(self) -> str:
        return f"{self.cls:02X} {self.instr:02X} [{len(self.data)}] {self.data.hex(' ').upper()}"


VECTORS: tuple[tuple[Apdu, str], ...] = (
    (Apdu(0x80, 0x00), "80 00 00"),
    (Apdu(0x06, 0xB0), "06 B0 00"),
    (Apdu(0x84, 0x83), "84 83 00"),
    (Apdu(0x05, 0x01, bytes.fromhex("000000")), "05 01 03 00 00 00"),
    (Apdu(0x06, 0xD3, bytes(254)), "06 D3 FE " + " ".join(["00"] * 254)),
    (Apdu(0x06, 0xD3, bytes(255)), "06 D3 FF FF 00 " + " ".join(["00"] * 255)),
    (Apdu(0x06, 0xD3, bytes(300)), "06 D3 FF 2C 01 " + " ".join(["00"] * 300)),
)
