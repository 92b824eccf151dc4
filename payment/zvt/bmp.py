"""BMP fields and TLV containers (PA00P015 chapter 12 "Summary of utilised BMPs", 9 "TLV").

Every BMP is one tag byte followed by a value whose length the tag fixes:
fixed-length BCD or binary, ``LLVAR`` (two length bytes ``F<d> F<d>``),
``LLLVAR`` (three such bytes), or the TLV container ``06`` (BER length).
Decoding yields raw values; the helpers below turn them into numbers and text.
A tag not in the table cannot be skipped (its length is unknown), so it is a
:class:`CodecError`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum

from payment.errors import CodecError

#: ZVT text fields use code page 437 unless the terminal was told otherwise (TLV 14).
TEXT_ENCODING = "cp437"


class Kind(Enum):
    FIXED = "fixed"  # binary or BCD of a fixed length
    LLVAR = "llvar"
    LLLVAR = "lllvar"
    TLV = "tlv"


@dataclass(frozen=True)
class BmpSpec:
    tag: int
    name: str
    kind: Kind
    length: int = 0  # for FIXED


def _f(tag: int, name: str, length: int) -> BmpSpec:
    return BmpSpec(tag, name, Kind.FIXED, length)


def _ll(tag: int, name: str) -> BmpSpec:
    return BmpSpec(tag, name, Kind.LLVAR)


def _lll(tag: int, name: str) -> BmpSpec:
    return BmpSpec(tag, name, Kind.LLLVAR)


#: Chapter 12 of PA00P015 (revision 13.x): tag -> format.
SPECS: dict[int, BmpSpec] = {
    s.tag: s
    for s in (
        _f(0x01, "timeout", 1),
        _f(0x02, "max_status_infos", 1),
        _f(0x03, "service_byte", 1),
        _f(0x04, "amount", 6),  # BCD, cents
        _f(0x05, "pump_no", 1),
        BmpSpec(0x06, "tlv", Kind.TLV),
        _f(0x0B, "trace_no", 3),  # BCD
        _f(0x0C, "time", 3),  # BCD HHMMSS
        _f(0x0D, "date", 2),  # BCD MMDD
        _f(0x0E, "expiry", 2),  # BCD YYMM
        _f(0x17, "card_seq_no", 2),
        _f(0x19, "payment_type", 1),  # also status byte / terminal status code
        _ll(0x22, "pan"),  # BCD, F-padded, E = masked digit
        _ll(0x23, "track2"),
        _lll(0x24, "track3"),
        _f(0x27, "result_code", 1),
        _f(0x29, "terminal_id", 4),  # BCD
        _f(0x2A, "vu_number", 15),  # ASCII
        _ll(0x2D, "track1"),
        _lll(0x2E, "sync_chip_data"),
        _f(0x37, "original_trace_no", 3),
        _f(0x3A, "cvv", 2),
        _f(0x3B, "aid", 8),
        _lll(0x3C, "additional_text"),
        _f(0x3D, "password", 3),
        _f(0x49, "currency", 2),  # BCD ISO-4217 numeric
        _lll(0x60, "totals"),
        _f(0x87, "receipt_no", 2),  # BCD
        _f(0x88, "turnover_no", 3),  # BCD
        _f(0x8A, "card_type", 1),
        _ll(0x8B, "card_name"),
        _f(0x8C, "card_type_id", 1),
        _lll(0x92, "additional_data_ec_cash"),
        _lll(0x9A, "geldkarte"),
        _f(0xA0, "result_code_as", 1),
        _ll(0xA7, "chip_data"),
        _f(0xAA, "date_yymmdd", 3),
        _lll(0xAF, "ef_info"),
        _f(0xBA, "aid_param", 5),
        _f(0xD0, "algorithm_key", 1),
        _ll(0xD1, "card_offset"),
        _f(0xD2, "direction", 1),
        _f(0xD3, "key_position", 1),
        _f(0xE0, "input_min_length", 1),
        *(_ll(t, f"text2_line{t - 0xE0}") for t in range(0xE1, 0xE9)),
        _f(0xE9, "input_max_length", 1),
        _f(0xEA, "input_echo", 1),
        _f(0xEB, "mac", 8),
        _f(0xF0, "display_duration", 1),
        *(_ll(t, f"text1_line{t - 0xF0}") for t in range(0xF1, 0xF9)),
        _f(0xF9, "beeps", 1),
        _f(0xFA, "card_reader_activation", 1),
        _f(0xFB, "ok_required", 1),
        _f(0xFC, "dialog_control", 1),
        _f(0xFD, "display_device", 1),
    )
}


# --------------------------------------------------------------------------- BCD


def int_to_bcd(value: int, nbytes: int) -> bytes:
    """Packed BCD, most significant digit first, zero-padded to ``nbytes``."""
    digits = str(value)
    if value < 0 or len(digits) > 2 * nbytes:
        raise CodecError(f"{value} does not fit in {nbytes} BCD bytes")
    return bytes.fromhex(digits.rjust(2 * nbytes, "0"))


def bcd_to_int(data: bytes) -> int:
    text = data.hex()
    if not text.isdigit():
        raise CodecError(f"not BCD: {data.hex(' ')}")
    return int(text) if text else 0


def bcd_digits(data: bytes) -> str:
    """BCD digits as text; ``F`` nibbles are padding, ``E`` nibbles are masked digits ("*")."""
    out = []
    for ch in data.hex().upper():
        if ch.isdigit():
            out.append(ch)
        elif ch == "E":
            out.append("*")
        elif ch == "F":
            continue
        else:
            raise CodecError(f"bad BCD nibble {ch} in {data.hex(' ')}")
    return "".join(out)


def digits_to_bcd(digits: str) -> bytes:
    """Inverse of :func:`bcd_digits`; pads an odd count with ``F``."""
    nibbles = "".join("E" if c == "*" else c for c in digits)
    if any(c not in "0123456789E" for c in nibbles):
        raise CodecError(f"not digits: {digits!r}")
    if len(nibbles) % 2:
        nibbles += "F"
    return bytes.fromhex(nibbles)


# --------------------------------------------------------------------------- LL / LLL prefixes


def var_prefix(n: int, places: int) -> bytes:
    """``F<d>`` length bytes of an LLVAR (2 places) or LLLVAR (3 places) field."""
    return _var_prefix(n, places)


def read_var_prefix(data: bytes, pos: int, places: int) -> tuple[int, int]:
    """The length in ``data[pos:]`` and the position after it; :class:`CodecError` if bad."""
    return _read_var_prefix(data, pos, places)


def _var_prefix(n: int, places: int) -> bytes:
    if n >= 10**places:
        raise CodecError(f"value of {n} bytes too long for a {places}-digit length")
    return bytes(0xF0 | int(d) for d in str(n).rjust(places, "0"))


def _read_var_prefix(data: bytes, pos: int, places: int) -> tuple[int, int]:
    raw = data[pos : pos + places]
    if len(raw) != places:
        raise CodecError("truncated variable-length prefix")
    n = 0
    for b in raw:
        if b & 0xF0 != 0xF0 or (b & 0x0F) > 9:
            raise CodecError(f"bad variable-length prefix byte 0x{b:02X}")
        n = n * 10 + (b & 0x0F)
    return n, pos + places


# --------------------------------------------------------------------------- TLV (chapter 9)


@dataclass(frozen=True)
class Tlv:
    """One BER-TLV object; ``children`` is filled for constructed tags (bit 0x20)."""

    tag: int
    value: bytes = b""
    children: tuple[Tlv, ...] = field(default=())

    @property
    def constructed(self) -> bool:
        first = self.tag
        while first > 0xFF:
            first >>= 8
        return bool(first & 0x20)

    def find(self, tag: int) -> list[Tlv]:
        """This object's descendants with ``tag``, depth first."""
        out: list[Tlv] = []
        for child in self.children:
            if child.tag == tag:
                out.append(child)
            out.extend(child.find(tag))
        return out


def _tag_bytes(tag: int) -> bytes:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def _ber_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n <= 0xFF:
        return bytes((0x81, n))
    if n <= 0xFFFF:
        return bytes((0x82, n >> 8, n & 0xFF))
    raise CodecError(f"TLV value too long: {n}")


def _read_ber_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise CodecError("truncated TLV length")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count not in (1, 2):
        raise CodecError(f"unsupported TLV length form 0x{first:02X}")
    raw = data[pos + 1 : pos + 1 + count]
    if len(raw) != count:
        raise CodecError("truncated TLV length")
    return int.from_bytes(raw, "big"), pos + 1 + count


def encode_tlv(objects: list[Tlv] | tuple[Tlv, ...]) -> bytes:
    out = bytearray()
    for obj in objects:
        value = encode_tlv(obj.children) if obj.children else obj.value
        out += _tag_bytes(obj.tag) + _ber_length(len(value)) + value
    return bytes(out)


def decode_tlv(data: bytes, depth: int = 0) -> tuple[Tlv, ...]:
    if depth > 8:
        raise CodecError("TLV nested too deeply")
    out: list[Tlv] = []
    pos = 0
    while pos < len(data):
        first = data[pos]
        tag = first
        pos += 1
        if first & 0x1F == 0x1F:  # multi-byte tag: continue while bit 8 is set
            for _ in range(3):
                if pos >= len(data):
                    raise CodecError("truncated TLV tag")
                b = data[pos]
                pos += 1
                tag = (tag << 8) | b
                if not b & 0x80:
                    break
            else:
                raise CodecError("TLV tag longer than 4 bytes")
        length, pos = _read_ber_length(data, pos)
        value = data[pos : pos + length]
        if len(value) != length:
            raise CodecError("truncated TLV value")
        pos += length
        obj = Tlv(tag, bytes(value))
        if obj.constructed:
            obj = Tlv(tag, bytes(value), decode_tlv(bytes(value), depth + 1))
        out.append(obj)
    return tuple(out)


# --------------------------------------------------------------------------- BMP sequences


@dataclass(frozen=True)
class Bmp:
    tag: int
    value: bytes  # without the LL/LLL/BER length prefix


def encode_bmp(tag: int, value: bytes) -> bytes:
    spec = SPECS.get(tag)
    if spec is None:
        raise CodecError(f"unknown BMP 0x{tag:02X}")
    if spec.kind is Kind.FIXED:
        if len(value) != spec.length:
            raise CodecError(f"BMP {tag:02X} ({spec.name}) needs {spec.length} bytes")
        return bytes((tag,)) + value
    if spec.kind is Kind.LLVAR:
        return bytes((tag,)) + _var_prefix(len(value), 2) + value
    if spec.kind is Kind.LLLVAR:
        return bytes((tag,)) + _var_prefix(len(value), 3) + value
    return bytes((tag,)) + _ber_length(len(value)) + value


def encode_bmps(fields: list[Bmp] | tuple[Bmp, ...]) -> bytes:
    return b"".join(encode_bmp(f.tag, f.value) for f in fields)


def decode_bmps(data: bytes) -> tuple[Bmp, ...]:
    """Split a data block into BMP fields; raises :class:`CodecError` on anything malformed."""
    out: list[Bmp] = []
    pos = 0
    while pos < len(data):
        tag = data[pos]
        spec = SPECS.get(tag)
        if spec is None:
            raise CodecError(f"unknown BMP 0x{tag:02X} at offset {pos}")
        pos += 1
        if spec.kind is Kind.FIXED:
            length = spec.length
        elif spec.kind is Kind.LLVAR:
            length, pos = _read_var_prefix(data, pos, 2)
        elif spec.kind is Kind.LLLVAR:
            length, pos = _read_var_prefix(data, pos, 3)
        else:
            length, pos = _read_ber_length(data, pos)
        value = data[pos : pos + length]
        if len(value) != length:
            raise CodecError(f"BMP 0x{tag:02X} truncated")
        pos += length
        if spec.kind is Kind.TLV:
            decode_tlv(bytes(value))  # validate now so callers never meet a bad container
        out.append(Bmp(tag, bytes(value)))
    return tuple(out)


class BmpFields:
    """Decoded BMPs with typed getters; the last occurrence of a tag wins."""

    def __init__(self, fields: tuple[Bmp, ...]) -> None:
        self.fields = fields
        self._by_tag = {f.tag: f.value for f in fields}

    @classmethod
    def decode(cls, data: bytes) -> BmpFields:
        return cls(decode_bmps(data))

    def __contains__(self, tag: int) -> bool:
        return tag in self._by_tag

    def raw(self, tag: int) -> bytes | None:
        return self._by_tag.get(tag)

    def byte(self, tag: int) -> int | None:
        value = self._by_tag.get(tag)
        return value[0] if value else None

    def bcd_int(self, tag: int) -> int | None:
        value = self._by_tag.get(tag)
        return None if value is None else bcd_to_int(value)

    def digits(self, tag: int) -> str | None:
        value = self._by_tag.get(tag)
        return None if value is None else bcd_digits(value)

    def text(self, tag: int) -> str | None:
        value = self._by_tag.get(tag)
        return None if value is None else value.decode(TEXT_ENCODING).rstrip("\x00 ")

    def tlv(self) -> tuple[Tlv, ...]:
        value = self._by_tag.get(0x06)
        return () if value is None else decode_tlv(value)

    def timestamp(self, today: dt.date | None = None) -> dt.datetime | None:
        """BMP 0C (HHMMSS) and 0D (MMDD) as a local time; the year is inferred (not sent).

        The year is the latest one, up to tomorrow, in which the date exists: a receipt
        from 31 December read in January is last year's, 29 February the last leap year's.
        """
        time_raw, date_raw = self._by_tag.get(0x0C), self._by_tag.get(0x0D)
        if time_raw is None or date_raw is None:
            return None
        t, d = time_raw.hex(), date_raw.hex()
        if not (t + d).isdigit():
            raise CodecError(f"bad time/date BMP: {t} {d}")
        try:
            clock = dt.time(int(t[:2]), int(t[2:4]), int(t[4:]))
        except ValueError as exc:
            raise CodecError(f"bad time BMP: {t}") from exc
        day = nearest_date(int(d[:2]), int(d[2:]), today or dt.date.today())
        return dt.datetime.combine(day, clock).astimezone()


def nearest_date(month: int, day: int, today: dt.date) -> dt.date:
    """The latest date with this month and day that is not after tomorrow."""
    limit = today + dt.timedelta(days=1)
    for year in range(limit.year, limit.year - 9, -1):  # every 8 years has a 29 February
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate <= limit:
            return candidate
    raise CodecError(f"bad date BMP: month {month:02d} day {day:02d}")


# --------------------------------------------------------------------------- BMP 60 totals

#: Card groups of BMP 60 "individual totals", in the order the terminal sends them.
TOTALS_GROUPS = ("ec-card", "JCB", "Eurocard", "Amex", "VISA", "Diners", "other")


@dataclass(frozen=True)
class GroupTotal:
    group: str
    count: int
    cents: int


@dataclass(frozen=True)
class IndividualTotals:
    """BMP 60 of an end-of-day status information: the batch's receipt-number range and,
    per card group, a count (1 byte, binary) and a turnover (6 bytes BCD, cents).

    This is our reading of PA00P015 chapter 12 (BMP 60); check it against a real
    terminal's end-of-day receipt before relying on the per-group split.
    """

    receipt_from: int
    receipt_to: int
    groups: tuple[GroupTotal, ...]

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def cents(self) -> int:
        return sum(g.cents for g in self.groups)

    def encode(self) -> bytes:
        out = int_to_bcd(self.receipt_from, 2) + int_to_bcd(self.receipt_to, 2)
        by_group = {g.group: g for g in self.groups}
        for name in TOTALS_GROUPS:
            g = by_group.get(name, GroupTotal(name, 0, 0))
            if not 0 <= g.count <= 0xFF:
                raise CodecError(f"count {g.count} does not fit in one byte")
            out += bytes((g.count,)) + int_to_bcd(g.cents, 6)
        return out

    @classmethod
    def decode(cls, data: bytes) -> IndividualTotals:
        size = 4 + 7 * len(TOTALS_GROUPS)
        if len(data) != size:
            raise CodecError(f"BMP 60 totals of {len(data)} bytes, expected {size}")
        groups = []
        for i, name in enumerate(TOTALS_GROUPS):
            at = 4 + 7 * i
            groups.append(GroupTotal(name, data[at], bcd_to_int(data[at + 1 : at + 7])))
        return cls(bcd_to_int(data[0:2]), bcd_to_int(data[2:4]), tuple(groups))


def text_bytes(text: str) -> bytes:
    return text.encode(TEXT_ENCODING, errors="replace")


VECTORS: tuple[tuple[tuple[Bmp, ...], str], ...] = (
    ((Bmp(0x04, int_to_bcd(1250, 6)),), "04 00 00 00 00 12 50"),
    ((Bmp(0x49, int_to_bcd(840, 2)),), "49 08 40"),
    ((Bmp(0x27, b"\x00"), Bmp(0x87, int_to_bcd(42, 2))), "27 00 87 00 42"),
    ((Bmp(0x22, digits_to_bcd("476173******0119")),), "22 F0 F8 47 61 73 EE EE EE 01 19"),
    ((Bmp(0x8B, b"VISA"),), "8B F0 F4 56 49 53 41"),
    ((Bmp(0x3C, b"OK"),), "3C F0 F0 F2 4F 4B"),
    ((Bmp(0x06, encode_tlv([Tlv(0x1F07, b"\x02")])),), "06 04 1F 07 01 02"),
    ((Bmp(0x0C, bytes.fromhex("123456")), Bmp(0x0D, bytes.fromhex("0131"))), "0C 12 34 56 0D 01 31"),
    ((Bmp(0x29, int_to_bcd(52500001, 4)),), "29 52 50 00 01"),
)
