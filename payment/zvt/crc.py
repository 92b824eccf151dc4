"""CRC of the ZVT serial transport (PA00P016, "transport protocol": CRC-CCITT).

CRC-16/CCITT in its reflected form (polynomial 0x8408, initial value 0, no final
XOR; the catalogue calls it CRC-16/KERMIT) over the unstuffed APDU followed by
ETX, sent low byte first.
"""

from __future__ import annotations


def _table() -> tuple[int, ...]:
    out = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        out.append(crc)
    return tuple(out)


_TABLE = _table()

#: Catalogue check value: crc16(b"123456789") == CHECK.
CHECK = 0x2189


def crc16(data: bytes, crc: int = 0) -> int:
    """Reflected CRC-CCITT (0x8408, init 0) of ``data``."""
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc
