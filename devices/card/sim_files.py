"""Decoders for the SIM files the kiosk reads (pure, no I/O).

Every decoder takes raw file bytes and either returns a value or raises
:class:`~devices.card.errors.SimDataError`; never anything else, whatever the
bytes (a hypothesis test holds them to that).

References: ITU-T E.118 (ICCID), ETSI TS 102 221 §13.2 (EF_ICCID) and §11.1.1.4
(FCP), 3GPP TS 31.102 / TS 51.011 (EF_IMSI, EF_GID1, EF_SPN, EF_MSISDN, GSM
SELECT response), 3GPP TS 23.038 §6.2.1 (GSM 7-bit default alphabet).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from devices.card.errors import SimDataError

ICCID_LENGTHS = (19, 20)
_BCD_DIGITS = "0123456789"


#: byte -> the same byte with its nibbles swapped (one C-level translate per file)
_SWAP_NIBBLES = bytes(((b & 0x0F) << 4) | (b >> 4) for b in range(256))


def swapped_nibbles(raw: bytes) -> str:
    """Hex digits of ``raw`` with each byte's nibbles swapped (low nibble first)."""
    return bytes(raw).translate(_SWAP_NIBBLES).hex().upper()


def _strip_padding(nibbles: str, what: str) -> str:
    """Drop trailing ``F`` padding; an ``F`` before a digit is corruption, not padding."""
    digits = nibbles.rstrip("F")
    if not digits or (digits.isascii() and digits.isdigit()):
        return digits
    bad = next((c for c in digits if c not in _BCD_DIGITS), None)
    raise SimDataError(f"{what} is not BCD (nibble {bad})")


def luhn_valid(digits: str) -> bool:
    """True when the last digit is the Luhn check digit of the others (ITU-T E.118 §4.4)."""
    if not digits or not digits.isdigit() or not digits.isascii():
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def luhn_check_digit(payload: str) -> str:
    """The Luhn digit to append to ``payload`` (ASCII digits)."""
    # doubled: the rightmost payload digit (next to the check digit) and every second one left
    # of it; the digits become their contributions by a table, summed in C
    if payload.strip("0123456789"):
        raise ValueError(f"Luhn needs decimal digits, got {payload!r}")
    backwards = payload.encode("ascii")[::-1]
    total = sum(backwards[::2].translate(_LUHN_DOUBLED)) + sum(backwards[1::2].translate(_LUHN_PLAIN))
    return str((10 - total % 10) % 10)


def _digit_table(value: tuple[int, ...]) -> bytes:
    table = bytearray(256)
    table[0x30:0x3A] = bytes(value)
    return bytes(table)


#: ASCII digit -> a Luhn-doubled digit's contribution: 2d, less 9 when that has two digits
_LUHN_DOUBLED = _digit_table((0, 2, 4, 6, 8, 1, 3, 5, 7, 9))
#: ASCII digit -> its value
_LUHN_PLAIN = _digit_table(tuple(range(10)))


def decode_iccid(raw: bytes) -> str:
    """EF_ICCID (10 bytes, swapped-nibble BCD, F-padded) → 19 or 20 digits."""
    digits = _strip_padding(swapped_nibbles(raw), "ICCID")
    if len(digits) not in ICCID_LENGTHS:
        raise SimDataError(f"ICCID has {len(digits)} digits, expected 19 or 20")
    if not digits.startswith("89"):
        raise SimDataError("ICCID does not start with the telecom industry identifier 89")
    return digits


def encode_iccid(digits: str) -> bytes:
    """Inverse of :func:`decode_iccid` (for simulators and tests): pads to 10 bytes."""
    return _encode_swapped(digits, 10)


def _encode_swapped(digits: str, size: int) -> bytes:
    nibbles = digits + "F" * (size * 2 - len(digits))
    return bytes(int(nibbles[i + 1] + nibbles[i], 16) for i in range(0, size * 2, 2))


def decode_imsi(raw: bytes) -> str | None:
    """EF_IMSI: length byte, then parity nibble + digits in swapped BCD. ``None`` if erased."""
    if not raw or raw[0] == 0xFF or all(b == 0xFF for b in raw):
        return None
    length = raw[0]
    if length < 1 or length > 8 or len(raw) < 1 + length:
        raise SimDataError(f"IMSI length byte {length} does not fit a {len(raw)}-byte file")
    nibbles = swapped_nibbles(raw[1 : 1 + length])
    digits = _strip_padding(nibbles[1:], "IMSI")  # first nibble: parity / identity type
    if not 6 <= len(digits) <= 15:
        raise SimDataError(f"IMSI has {len(digits)} digits")
    return digits


def encode_imsi(digits: str) -> bytes:
    """Inverse of :func:`decode_imsi`: 9-byte EF_IMSI."""
    odd = len(digits) % 2 == 1
    nibbles = ("9" if odd else "1") + digits
    nbytes = (len(nibbles) + 1) // 2
    body = _encode_swapped(nibbles, nbytes)
    return bytes([nbytes]) + body + b"\xff" * (8 - nbytes)


def decode_gid1(raw: bytes) -> str | None:
    """EF_GID1 as upper-case hex without trailing FF padding; ``None`` when empty."""
    value = raw.rstrip(b"\xff")
    return value.hex().upper() or None


# 3GPP TS 23.038 §6.2.1: the GSM 7-bit default alphabet; 0x1B is the extension escape.
_GSM7 = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[",
             0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€"}


REPLACEMENT = "\ufffd"


def decode_alpha(raw: bytes) -> str:
    """An alpha field (TS 31.102 annex A / TS 51.011 annex B): GSM 7-bit unpacked or UCS2.

    The result is always valid Unicode (it can be encoded as UTF-8, stored and hashed): a
    code unit that is no character (a lone surrogate, a value past U+FFFF in the 82 form)
    becomes U+FFFD, as a SIM with a garbled name must still be readable."""
    if not raw:
        return ""
    if raw[0] == 0x80:  # UCS2 big-endian (UTF-16 pairs accepted), FFFF-terminated
        body = raw[1:]
        end = next((i for i in range(0, len(body) - 1, 2) if body[i : i + 2] == b"\xff\xff"),
                   len(body) - len(body) % 2)
        return body[:end].decode("utf-16-be", errors="replace")
    if raw[0] in (0x81, 0x82):
        return _decode_ucs2_compact(raw)
    out: list[str] = []
    escape = False
    for b in raw:
        if b == 0xFF:
            break
        if b > 0x7F:
            raise SimDataError(f"alpha field byte {b:02X} is outside the GSM default alphabet")
        if escape:
            out.append(_GSM7_EXT.get(b, " "))
            escape = False
        elif b == 0x1B:
            escape = True
        else:
            out.append(_GSM7[b])
    return "".join(out)


def _decode_ucs2_compact(raw: bytes) -> str:
    """The 81/82 UCS2 forms: a count, a base code point, then 7-bit chars or base offsets."""
    header = 3 if raw[0] == 0x81 else 4
    if len(raw) < header:
        raise SimDataError("truncated UCS2 alpha field")
    count = raw[1]
    base = raw[2] << 7 if raw[0] == 0x81 else (raw[2] << 8) | raw[3]
    chars = raw[header : header + count]
    if len(chars) < count:
        raise SimDataError("truncated UCS2 alpha field")
    out = []
    for b in chars:
        out.append(_ucs2_char(base + (b & 0x7F)) if b & 0x80 else _GSM7[b])
    return "".join(out)


def _ucs2_char(code: int) -> str:
    """One UCS2 code unit as a character; surrogates and values past U+FFFF are U+FFFD."""
    if 0xD800 <= code <= 0xDFFF or code > 0xFFFF:
        return REPLACEMENT
    return chr(code)


def decode_spn(raw: bytes) -> str | None:
    """EF_SPN: display-condition byte, then the name (16 bytes, FF-padded). ``None`` if empty."""
    if len(raw) < 2:
        return None
    name = decode_alpha(raw[1:]).strip()
    return name or None


_DIALLING = "0123456789*#"


def decode_msisdn_record(raw: bytes) -> str | None:
    """One EF_MSISDN/EF_ADN record: alpha id (X bytes) then 14 bytes (TS 31.102 §4.4.2.3).

    Returns the dialling number's digits (``*`` and ``#`` kept), ``None`` when the
    record is empty. The TON/NPI byte is not turned into a ``+``: numbers are kept
    as digits, the way the kiosk stores them (E.164 without ``+``).
    """
    if len(raw) < 14:
        raise SimDataError(f"MSISDN record has {len(raw)} bytes, at least 14 needed")
    tail = raw[len(raw) - 14 :]
    bcd_len = tail[0]
    if bcd_len in (0x00, 0xFF):
        return None
    if bcd_len > 11:
        raise SimDataError(f"MSISDN length byte {bcd_len} exceeds 11")
    number = tail[2 : 1 + bcd_len]  # bcd_len counts the TON/NPI byte
    out: list[str] = []
    for nib in swapped_nibbles(number):
        if nib == "F":
            break
        value = int(nib, 16)
        if value >= len(_DIALLING):
            raise SimDataError(f"MSISDN has a control nibble {nib}")
        out.append(_DIALLING[value])
    return "".join(out) or None


def encode_msisdn_record(digits: str, alpha: str = "", alpha_len: int = 0) -> bytes:
    """Inverse of :func:`decode_msisdn_record` for simulators: international TON (0x91)."""
    number = _encode_swapped(digits, 10)
    body_len = 1 + (len(digits) + 1) // 2
    alpha_bytes = alpha.encode("ascii")[:alpha_len].ljust(alpha_len, b"\xff")
    return alpha_bytes + bytes([body_len, 0x91]) + number + b"\xff\xff"


# --------------------------------------------------------------------------- file information


class Structure(Enum):
    TRANSPARENT = "transparent"
    LINEAR_FIXED = "linear_fixed"
    CYCLIC = "cyclic"
    DF = "df"
    OTHER = "other"


@dataclass(frozen=True)
class FileInfo:
    """What SELECT told us about a file; sizes are ``None`` when the card did not say."""

    structure: Structure
    size: int | None = None
    record_length: int | None = None
    record_count: int | None = None


def _tlv(data: bytes) -> dict[int, bytes]:
    """Parse one level of simple BER-TLV with one-byte tags (as FCP uses)."""
    out: dict[int, bytes] = {}
    i = 0
    while i < len(data):
        tag = data[i]
        if tag in (0x00, 0xFF):
            i += 1
            continue
        if i + 1 >= len(data):
            raise SimDataError("truncated TLV in FCP")
        length = data[i + 1]
        i += 2
        if length == 0x81:
            if i >= len(data):
                raise SimDataError("truncated TLV length in FCP")
            length = data[i]
            i += 1
        elif length > 0x7F:
            raise SimDataError(f"unsupported TLV length byte {length:02X} in FCP")
        if i + length > len(data):
            raise SimDataError("TLV value runs past the end of the FCP")
        out.setdefault(tag, data[i : i + length])
        i += length
    return out


def parse_fcp(data: bytes) -> FileInfo:
    """UICC FCP template (tag 62, TS 102 221 §11.1.1.3)."""
    outer = _tlv(data)
    if 0x62 not in outer:
        raise SimDataError("SELECT answer is not an FCP template (no tag 62)")
    fcp = _tlv(outer[0x62])
    descriptor = fcp.get(0x82, b"")
    if not descriptor:
        raise SimDataError("FCP has no file descriptor (tag 82)")
    kind = descriptor[0]
    if kind & 0x38 == 0x38:
        return FileInfo(Structure.DF)
    structure = {0x01: Structure.TRANSPARENT, 0x02: Structure.LINEAR_FIXED,
                 0x06: Structure.CYCLIC}.get(kind & 0x07, Structure.OTHER)
    size_field = fcp.get(0x80, b"")
    size = int.from_bytes(size_field, "big") if size_field else None
    record_length = record_count = None
    if structure in (Structure.LINEAR_FIXED, Structure.CYCLIC):
        if len(descriptor) < 5:
            raise SimDataError("record file descriptor without record length")
        record_length = int.from_bytes(descriptor[2:4], "big")
        record_count = descriptor[4]
    return FileInfo(structure, size, record_length, record_count)


def parse_gsm_select(data: bytes) -> FileInfo:
    """GSM SELECT response (GET RESPONSE after 9Fxx, TS 51.011 §9.2.1)."""
    if len(data) < 7:
        raise SimDataError(f"GSM SELECT response has {len(data)} bytes, at least 7 needed")
    file_type = data[6]
    if file_type in (0x01, 0x02):
        return FileInfo(Structure.DF)
    if file_type != 0x04:
        raise SimDataError(f"GSM file type {file_type:02X} unknown")
    size = int.from_bytes(data[2:4], "big")
    if len(data) < 14:
        raise SimDataError("GSM EF response too short for its structure byte")
    structure = {0x00: Structure.TRANSPARENT, 0x01: Structure.LINEAR_FIXED,
                 0x03: Structure.CYCLIC}.get(data[13], Structure.OTHER)
    if structure is Structure.TRANSPARENT:
        return FileInfo(structure, size)
    if len(data) < 15 or data[14] == 0:
        raise SimDataError("GSM record file without record length")
    return FileInfo(structure, size, data[14], size // data[14])
