"""Command and response APDUs (ISO/IEC 7816-4, ETSI TS 102 221, 3GPP TS 51.011).

Pure helpers: building the few commands a SIM read needs and splitting a
response into data and status word. No I/O.
"""

from __future__ import annotations

from typing import NamedTuple

from devices.card.errors import MalformedResponse

#: Class byte of UICC commands (TS 102 221 §10.1.1) and of GSM SIM commands (TS 51.011 §9.2).
CLA_UICC = 0x00
CLA_GSM = 0xA0

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_READ_RECORD = 0xB2
INS_GET_RESPONSE = 0xC0

SW_OK = 0x9000
SW_WRONG_CLASS = 0x6E00  # class not supported: the card is not a UICC (or not a GSM SIM)
SW_WRONG_INS = 0x6D00  # instruction not supported
#: Security status not satisfied (UICC) / access condition not fulfilled (GSM): PIN needed.
SW_PROTECTED = frozenset({0x6982, 0x9804})
#: File or application not found (UICC 6A82, GSM 9404).
SW_NOT_FOUND = frozenset({0x6A82, 0x9404})

#: SELECT P2 for a UICC: return the FCP template (TS 102 221 §11.1.1.2).
P2_FCP = 0x04


class Response(NamedTuple):
    """A response APDU: body and the two trailing status bytes (a tuple: one is made per
    exchange, on the read's critical path)."""

    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        """9000, or the GSM 91xx "proactive command pending", which also means success."""
        return self.sw == SW_OK or self.sw1 == 0x91

    def __str__(self) -> str:
        return f"{self.data.hex().upper()} {self.sw:04X}".strip()


def parse_response(raw: bytes) -> Response:
    """Split a raw response into data and SW; anything shorter than the SW is malformed."""
    if len(raw) < 2:
        raise MalformedResponse(f"card answered {len(raw)} byte(s), expected at least a status word")
    return Response(bytes(raw[:-2]), (raw[-2] << 8) | raw[-1])


def select(cla: int, fid: int, p2: int) -> bytes:
    """SELECT by file identifier (P1=00), case 3 (no Le: T=0 style, answer via GET RESPONSE)."""
    return bytes([cla, INS_SELECT, 0x00, p2, 0x02, fid >> 8, fid & 0xFF])


def read_binary(cla: int, offset: int, le: int) -> bytes:
    return bytes([cla, INS_READ_BINARY, (offset >> 8) & 0x7F, offset & 0xFF, le & 0xFF])


def read_record(cla: int, record: int, le: int) -> bytes:
    """READ RECORD in absolute mode (P2=04) from the current EF."""
    return bytes([cla, INS_READ_RECORD, record & 0xFF, 0x04, le & 0xFF])


def get_response(cla: int, le: int) -> bytes:
    return bytes([cla, INS_GET_RESPONSE, 0x00, 0x00, le & 0xFF])


def with_le(apdu: bytes, le: int) -> bytes:
    """The same command with a corrected Le (after 6Cxx): replaces the last byte of a case-2 APDU."""
    return apdu[:4] + bytes([le & 0xFF]) if len(apdu) == 5 else apdu + bytes([le & 0xFF])
