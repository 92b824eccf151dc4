"""Every ZVT message the kiosk uses, declared once, with test vectors beside it.

Section numbers refer to "ECR-Interface ZVT-Protocol, Commands, Bitmaps, Error
Messages" (PA00P015), revision 13.06. Each class encodes itself to an
:class:`~payment.zvt.apdu.Apdu` and decodes from one, so the kiosk (ECR side)
and the emulator (terminal side) share one definition. ``VECTORS`` pairs an
instance with its wire bytes (APDU, before framing); the tests check both ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from payment.errors import CodecError
from payment.zvt.apdu import Apdu
from payment.zvt.bmp import (
    TEXT_ENCODING,
    Bmp,
    BmpFields,
    IndividualTotals,
    Tlv,
    bcd_to_int,
    decode_tlv,
    digits_to_bcd,
    encode_bmps,
    encode_tlv,
    int_to_bcd,
    read_var_prefix,
    text_bytes,
    var_prefix,
)

#: Configuration byte sent with Registration (section 2.1): receipts for payment
#: (0x02) and administration (0x04) printed by the ECR, intermediate status sent to
#: the ECR (0x08), payment (0x10) and administration (0x20) controlled by the ECR,
#: print lines as text blocks (0x80). The kiosk prints the terminal's lines itself.
CONFIG_BYTE = 0xBE


def _password(pw: str) -> bytes:
    if len(pw) != 6 or not pw.isdigit():
        raise CodecError("the ZVT password is 6 digits")
    return bytes.fromhex(pw)


def _read_password(data: bytes) -> str:
    if len(data) < 3:
        raise CodecError("password missing")
    return f"{bcd_to_int(data[:3]):06d}"


def _amount(cents: int) -> Bmp:
    return Bmp(0x04, int_to_bcd(cents, 6))


def _currency(numeric: int) -> Bmp:
    return Bmp(0x49, int_to_bcd(numeric, 2))


def _receipt(no: int) -> Bmp:
    return Bmp(0x87, int_to_bcd(no, 2))


def _expect(apdu: Apdu, control: tuple[int, int]) -> None:
    if apdu.control != control:
        raise CodecError(f"expected {control[0]:02X} {control[1]:02X}, got {apdu}")


# =========================================================================== ECR -> PT


@dataclass(frozen=True)
class Registration:
    """2.1 Registration (06 00): ``<password> <config-byte> [<CC>] [03 <service-byte>]``."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x00)
    password: str = "000000"
    config_byte: int = CONFIG_BYTE
    currency: int | None = 840
    service_byte: int | None = None

    def to_apdu(self) -> Apdu:
        data = _password(self.password) + bytes((self.config_byte,))
        if self.currency is not None:
            data += int_to_bcd(self.currency, 2)
            if self.service_byte is not None:
                data += bytes((0x03, self.service_byte))
        return Apdu(*self.CONTROL, data)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> Registration:
        _expect(apdu, cls.CONTROL)
        d = apdu.data
        if len(d) < 4:
            raise CodecError("registration too short")
        currency = bcd_to_int(d[4:6]) if len(d) >= 6 else None
        service = d[7] if len(d) >= 8 and d[6] == 0x03 else None
        return cls(_read_password(d), d[3], currency, service)


@dataclass(frozen=True)
class Authorization:
    """2.2 Authorization (06 01): ``04 <amount> [49 <CC>] [19 <payment-type>] ...``."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x01)
    amount_cents: int
    currency: int | None = 840
    payment_type: int | None = None

    def to_apdu(self) -> Apdu:
        fields = [_amount(self.amount_cents)]
        if self.currency is not None:
            fields.append(_currency(self.currency))
        if self.payment_type is not None:
            fields.append(Bmp(0x19, bytes((self.payment_type,))))
        return Apdu(*self.CONTROL, encode_bmps(fields))

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> Authorization:
        _expect(apdu, cls.CONTROL)
        f = BmpFields.decode(apdu.data)
        amount = f.bcd_int(0x04)
        if amount is None:
            raise CodecError(f"{cls.__name__} without amount")
        return cls(amount, f.bcd_int(0x49), f.byte(0x19))


@dataclass(frozen=True)
class PreAuthorization(Authorization):
    """2.8 Pre-Authorisation / Reservation (06 22): same data block as 06 01; the amount
    is reserved, not booked, and the status information returns the receipt number
    that Book Total (06 24) or Pre-Authorisation Reversal (06 25) refer to."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x22)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> PreAuthorization:
        base = Authorization.from_apdu(Apdu(0x06, 0x01, apdu.data)) if apdu.control == cls.CONTROL else None
        if base is None:
            raise CodecError(f"expected 06 22, got {apdu}")
        return cls(base.amount_cents, base.currency, base.payment_type)


@dataclass(frozen=True)
class _ReceiptAmount:
    """Shared shape of 06 24 and 06 25: ``87 <receipt-no> 04 <amount> [49 <CC>]``."""

    CONTROL: ClassVar[tuple[int, int]] = (0x00, 0x00)
    receipt_no: int
    amount_cents: int
    currency: int | None = 840

    def to_apdu(self) -> Apdu:
        fields = [_receipt(self.receipt_no), _amount(self.amount_cents)]
        if self.currency is not None:
            fields.append(_currency(self.currency))
        return Apdu(*self.CONTROL, encode_bmps(fields))

    @classmethod
    def _parse(cls, apdu: Apdu) -> tuple[int, int, int | None]:
        _expect(apdu, cls.CONTROL)
        f = BmpFields.decode(apdu.data)
        receipt, amount = f.bcd_int(0x87), f.bcd_int(0x04)
        if receipt is None or amount is None:
            raise CodecError(f"{cls.__name__} needs receipt number and amount")
        return receipt, amount, f.bcd_int(0x49)


@dataclass(frozen=True)
class BookTotal(_ReceiptAmount):
    """2.12 Book Total (06 24): books (part of) a reservation made with 06 22."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x24)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> BookTotal:
        return cls(*cls._parse(apdu))


@dataclass(frozen=True)
class PreAuthReversal(_ReceiptAmount):
    """2.13 Pre-Authorisation Reversal (06 25): releases a reservation made with 06 22."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x25)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> PreAuthReversal:
        return cls(*cls._parse(apdu))


@dataclass(frozen=True)
class Reversal:
    """2.9 Reversal (06 30): ``<password> [87 <receipt-no>]`` (same day, before end of day)."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x30)
    password: str
    receipt_no: int | None = None

    def to_apdu(self) -> Apdu:
        data = _password(self.password)
        if self.receipt_no is not None:
            data += encode_bmps([_receipt(self.receipt_no)])
        return Apdu(*self.CONTROL, data)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> Reversal:
        _expect(apdu, cls.CONTROL)
        f = BmpFields.decode(apdu.data[3:])
        return cls(_read_password(apdu.data), f.bcd_int(0x87))


@dataclass(frozen=True)
class Refund:
    """2.14 Refund (06 31): ``<password> 04 <amount> [49 <CC>]``."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x31)
    password: str
    amount_cents: int
    currency: int | None = 840

    def to_apdu(self) -> Apdu:
        fields = [_amount(self.amount_cents)]
        if self.currency is not None:
            fields.append(_currency(self.currency))
        return Apdu(*self.CONTROL, _password(self.password) + encode_bmps(fields))

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> Refund:
        _expect(apdu, cls.CONTROL)
        f = BmpFields.decode(apdu.data[3:])
        amount = f.bcd_int(0x04)
        if amount is None:
            raise CodecError("refund without amount")
        return cls(_read_password(apdu.data), amount, f.bcd_int(0x49))


@dataclass(frozen=True)
class _PasswordOnly:
    CONTROL: ClassVar[tuple[int, int]] = (0x00, 0x00)
    password: str = "000000"

    def to_apdu(self) -> Apdu:
        return Apdu(*self.CONTROL, _password(self.password))

    @classmethod
    def _pw(cls, apdu: Apdu) -> str:
        _expect(apdu, cls.CONTROL)
        return _read_password(apdu.data)


@dataclass(frozen=True)
class EndOfDay(_PasswordOnly):
    """2.15 End-of-Day (06 50): ``<password>``; closes the batch, reversals end here."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x50)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> EndOfDay:
        return cls(cls._pw(apdu))


@dataclass(frozen=True)
class StatusEnquiry(_PasswordOnly):
    """2.55 Status-Enquiry (05 01): ``<password>``; answered by a Completion carrying the
    terminal status code (three layouts, see :class:`Completion`). Needs no registration."""

    CONTROL: ClassVar[tuple[int, int]] = (0x05, 0x01)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> StatusEnquiry:
        return cls(cls._pw(apdu))


@dataclass(frozen=True)
class RepeatReceipt(_PasswordOnly):
    """2.24 Repeat Receipt (06 20): ``<password>``; the terminal repeats the status
    information and receipt of the last transaction (used by crash recovery)."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x20)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> RepeatReceipt:
        return cls(cls._pw(apdu))


@dataclass(frozen=True)
class _Bare:
    CONTROL: ClassVar[tuple[int, int]] = (0x00, 0x00)

    def to_apdu(self) -> Apdu:
        return Apdu(*self.CONTROL)


@dataclass(frozen=True)
class Diagnosis(_Bare):
    """2.16 Diagnosis (06 70): no data; the terminal checks its host connection."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x70)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> Diagnosis:
        _expect(apdu, cls.CONTROL)
        return cls()


@dataclass(frozen=True)
class LogOff(_Bare):
    """2.18 Log-Off (06 02): no data; answered with 80 00 only."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x02)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> LogOff:
        _expect(apdu, cls.CONTROL)
        return cls()


@dataclass(frozen=True)
class Abort(_Bare):
    """2.21 Abort (06 B0): the only command the ECR may send while the terminal is master."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0xB0)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> Abort:
        _expect(apdu, cls.CONTROL)
        return cls()


EcrCommand = (
    Registration
    | Authorization
    | PreAuthorization
    | BookTotal
    | PreAuthReversal
    | Reversal
    | Refund
    | EndOfDay
    | StatusEnquiry
    | RepeatReceipt
    | Diagnosis
    | LogOff
    | Abort
)

_ECR_TYPES: tuple[type, ...] = (
    Registration,
    Authorization,
    PreAuthorization,
    BookTotal,
    PreAuthReversal,
    Reversal,
    Refund,
    EndOfDay,
    StatusEnquiry,
    RepeatReceipt,
    Diagnosis,
    LogOff,
    Abort,
)
ECR_COMMANDS: dict[tuple[int, int], type] = {t.CONTROL: t for t in _ECR_TYPES}  # type: ignore[attr-defined]


def parse_ecr_command(apdu: Apdu) -> EcrCommand:
    """Decode a command the ECR sent (terminal side); :class:`CodecError` if unknown."""
    typ = ECR_COMMANDS.get(apdu.control)
    if typ is None:
        raise CodecError(f"unsupported command {apdu.cls:02X} {apdu.instr:02X}")
    result: EcrCommand = typ.from_apdu(apdu)  # type: ignore[attr-defined]
    return result


# =========================================================================== PT -> ECR (and acks both ways)


@dataclass(frozen=True)
class PositiveAck:
    """80 00 00 (also 84 00 00): positive acknowledgement, either direction."""

    CONTROL: ClassVar[tuple[int, int]] = (0x80, 0x00)

    def to_apdu(self) -> Apdu:
        return Apdu(*self.CONTROL)


@dataclass(frozen=True)
class NegativeAck:
    """84 xx 00: the command was refused; ``code`` is a result code (chapter 10)."""

    code: int

    def to_apdu(self) -> Apdu:
        return Apdu(0x84, self.code)


@dataclass(frozen=True)
class IntermediateStatus:
    """3.7 Intermediate Status-Information (04 FF): ``<status> [<timeout>] [06 <TLV>]``."""

    CONTROL: ClassVar[tuple[int, int]] = (0x04, 0xFF)
    status: int
    timeout_s: int | None = None

    def to_apdu(self) -> Apdu:
        data = bytes((self.status,))
        if self.timeout_s is not None:
            data += bytes((self.timeout_s,))
        return Apdu(*self.CONTROL, data)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> IntermediateStatus:
        _expect(apdu, cls.CONTROL)
        if not apdu.data:
            raise CodecError("intermediate status without status byte")
        timeout = apdu.data[1] if len(apdu.data) >= 2 and apdu.data[1] != 0x06 else None
        return cls(apdu.data[0], timeout)


@dataclass(frozen=True)
class StatusInformation:
    """3.1 Status-Information (04 0F): the transaction result as BMP fields.

    Only what the kiosk needs is typed; ``pan`` is as the terminal sent it (digits
    and ``*`` for masked ones) and is masked again at the adapter's edge.
    """

    CONTROL: ClassVar[tuple[int, int]] = (0x04, 0x0F)
    result_code: int | None = None
    amount_cents: int | None = None
    currency: int | None = None
    trace_no: int | None = None
    time: str | None = None  # HHMMSS
    date: str | None = None  # MMDD
    receipt_no: int | None = None
    terminal_id: int | None = None
    pan: str | None = None
    card_type: int | None = None
    card_name: str | None = None
    additional_text: str | None = None
    turnover_no: int | None = None
    totals: IndividualTotals | None = None  # BMP 60, end of day
    extra: tuple[Bmp, ...] = field(default=(), compare=False)

    def to_apdu(self) -> Apdu:
        fields: list[Bmp] = []
        if self.result_code is not None:
            fields.append(Bmp(0x27, bytes((self.result_code,))))
        if self.amount_cents is not None:
            fields.append(_amount(self.amount_cents))
        if self.currency is not None:
            fields.append(_currency(self.currency))
        if self.trace_no is not None:
            fields.append(Bmp(0x0B, int_to_bcd(self.trace_no, 3)))
        if self.time is not None:
            fields.append(Bmp(0x0C, bytes.fromhex(self.time)))
        if self.date is not None:
            fields.append(Bmp(0x0D, bytes.fromhex(self.date)))
        if self.pan is not None:
            fields.append(Bmp(0x22, digits_to_bcd(self.pan)))
        if self.terminal_id is not None:
            fields.append(Bmp(0x29, int_to_bcd(self.terminal_id, 4)))
        if self.receipt_no is not None:
            fields.append(_receipt(self.receipt_no))
        if self.turnover_no is not None:
            fields.append(Bmp(0x88, int_to_bcd(self.turnover_no, 3)))
        if self.card_type is not None:
            fields.append(Bmp(0x8A, bytes((self.card_type,))))
        if self.card_name is not None:
            fields.append(Bmp(0x8B, text_bytes(self.card_name)))
        if self.additional_text is not None:
            fields.append(Bmp(0x3C, text_bytes(self.additional_text)))
        if self.totals is not None:
            fields.append(Bmp(0x60, self.totals.encode()))
        fields.extend(self.extra)
        return Apdu(*self.CONTROL, encode_bmps(fields))

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> StatusInformation:
        _expect(apdu, cls.CONTROL)
        f = BmpFields.decode(apdu.data)
        known = {0x27, 0x04, 0x49, 0x0B, 0x0C, 0x0D, 0x22, 0x29, 0x87, 0x88, 0x8A, 0x8B, 0x3C}
        time_raw, date_raw = f.raw(0x0C), f.raw(0x0D)
        totals = None
        totals_raw = f.raw(0x60)
        if totals_raw is not None:
            try:
                totals = IndividualTotals.decode(totals_raw)
                known.add(0x60)
            except CodecError:
                totals = None  # kept as raw BMP in ``extra``; the total (BMP 04) still counts
        return cls(
            result_code=f.byte(0x27),
            amount_cents=f.bcd_int(0x04),
            currency=f.bcd_int(0x49),
            trace_no=f.bcd_int(0x0B),
            time=time_raw.hex() if time_raw is not None else None,
            date=date_raw.hex() if date_raw is not None else None,
            receipt_no=f.bcd_int(0x87),
            terminal_id=f.bcd_int(0x29),
            pan=f.digits(0x22),
            card_type=f.byte(0x8A),
            card_name=f.text(0x8B),
            additional_text=f.text(0x3C),
            turnover_no=f.bcd_int(0x88),
            totals=totals,
            extra=tuple(b for b in f.fields if b.tag not in known),
        )

    def fields(self) -> BmpFields:
        return BmpFields.decode(self.to_apdu().data)


@dataclass(frozen=True)
class PrintLine:
    """3.5 Print Line (06 D1): ``<attribute> <text>``; attribute bit 0x80 marks the last line."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0xD1)
    text: str
    attribute: int = 0x00

    def to_apdu(self) -> Apdu:
        return Apdu(*self.CONTROL, bytes((self.attribute,)) + text_bytes(self.text))

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> PrintLine:
        _expect(apdu, cls.CONTROL)
        if not apdu.data:
            raise CodecError("print line without attribute")
        return cls(apdu.data[1:].decode("cp437").rstrip("\x00"), apdu.data[0])


#: TLV tags of a text block (chapter 9.4): 25 print-texts, 07 text line, 1F07 receipt type.
TAG_PRINT_TEXTS = 0x25
TAG_TEXT_LINE = 0x07
TAG_RECEIPT_TYPE = 0x1F07
RECEIPT_MERCHANT, RECEIPT_CUSTOMER, RECEIPT_ADMIN = 1, 2, 3


@dataclass(frozen=True)
class PrintTextBlock:
    """3.6 Print Text-Block (06 D3): ``06 <TLV>`` with tag 25 holding 07 lines and 1F07 type."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0xD3)
    lines: tuple[str, ...]
    receipt_type: int | None = None

    def to_apdu(self) -> Apdu:
        inner = [Tlv(TAG_TEXT_LINE, text_bytes(line)) for line in self.lines]
        objects = [Tlv(TAG_PRINT_TEXTS, encode_tlv(inner), tuple(inner))]
        if self.receipt_type is not None:
            objects.append(Tlv(TAG_RECEIPT_TYPE, bytes((self.receipt_type,))))
        return Apdu(*self.CONTROL, encode_bmps([Bmp(0x06, encode_tlv(objects))]))

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> PrintTextBlock:
        _expect(apdu, cls.CONTROL)
        root = Tlv(0x20, b"", BmpFields.decode(apdu.data).tlv())
        lines = tuple(t.value.decode("cp437").rstrip("\x00") for t in root.find(TAG_TEXT_LINE))
        types = root.find(TAG_RECEIPT_TYPE)
        rtype = types[0].value[0] if types and types[0].value else None
        return cls(lines, rtype)


#: TLV tags in a completion (chapter 9): permitted ZVT commands (26 holding 0A
#: control fields) after registration; device information after a status enquiry.
TAG_PERMITTED_COMMANDS = 0x26
TAG_PERMITTED_COMMAND = 0x0A
TAG_DEVICE_NAME = 0x1F40
TAG_SOFTWARE_VERSION = 0x1F41
TAG_SERIAL_NUMBER = 0x1F42
TAG_DEVICE_STATE = 0x1F43
TAG_TERMINAL_ID = 0x1F44


def _first(root: Tlv, tag: int) -> bytes | None:
    found = [root] if root.tag == tag else root.find(tag)
    return found[0].value if found else None


@dataclass(frozen=True)
class Completion:
    """3.3 Completion (06 0F): the terminal gives the master role back; the command succeeded.

    Three layouts occur in the field, all decoded:

    * BMPs: ``[19 <status-byte>] [29 <TID>] [49 <CC>] [06 <TLV>]`` (registration; many
      terminals also answer a status enquiry this way);
    * status enquiry (2.55): ``<software-version LLLVAR> <terminal-status-code> [06 <TLV>]``;
    * TLV only: ``06 <TLV>`` with software version 1F41, device state 1F43 (read as the
      terminal status code when no status byte is sent), terminal id 1F44, serial 1F42,
      device name 1F40, anywhere in the container.

    After registration, TLV 26 lists the commands the terminal permits (0A tags);
    ``permitted_commands`` is ``None`` when the terminal does not say.
    """

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x0F)
    status_byte: int | None = None
    terminal_id: int | None = None
    currency: int | None = None
    software_version: str | None = None
    serial_number: str | None = None
    device_name: str | None = None
    permitted_commands: tuple[tuple[int, int], ...] | None = None
    tlv: tuple[Tlv, ...] = field(default=(), compare=False)
    lllvar: bool = field(default=False, compare=False)  # software version + status byte first

    @classmethod
    def status_enquiry(cls, version: str, status: int, *, tlv: tuple[Tlv, ...] = ()) -> Completion:
        """The status-enquiry layout: LLLVAR software version, status byte, optional TLV."""
        return cls(status_byte=status, software_version=version, tlv=tlv, lllvar=True)

    def to_apdu(self) -> Apdu:
        data = b""
        fields: list[Bmp] = []
        if self.lllvar:
            version = text_bytes(self.software_version or "")
            data = var_prefix(len(version), 3) + version + bytes((self.status_byte or 0,))
        elif self.status_byte is not None:
            fields.append(Bmp(0x19, bytes((self.status_byte,))))
        if self.terminal_id is not None:
            fields.append(Bmp(0x29, int_to_bcd(self.terminal_id, 4)))
        if self.currency is not None:
            fields.append(_currency(self.currency))
        objects = self.tlv
        if not objects and self.permitted_commands is not None:
            inner = tuple(Tlv(TAG_PERMITTED_COMMAND, bytes(c)) for c in self.permitted_commands)
            objects = (Tlv(TAG_PERMITTED_COMMANDS, encode_tlv(inner), inner),)
        if objects:
            fields.append(Bmp(0x06, encode_tlv(objects)))
        return Apdu(*self.CONTROL, data + encode_bmps(fields))

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> Completion:
        _expect(apdu, cls.CONTROL)
        data = apdu.data
        version: str | None = None
        status: int | None = None
        lllvar = len(data) >= 3 and all(0xF0 <= b <= 0xF9 for b in data[:3])
        if lllvar:
            n, pos = read_var_prefix(data, 0, 3)
            if pos + n + 1 > len(data):
                raise CodecError("completion: software version or status byte truncated")
            version = data[pos : pos + n].decode(TEXT_ENCODING).rstrip("\x00 ")
            status = data[pos + n]
            data = data[pos + n + 1 :]
        f = BmpFields.decode(data)
        if not lllvar:
            status = f.byte(0x19)
        tid = f.bcd_int(0x29)
        objects = f.tlv()
        root = Tlv(0x20, b"", objects)
        serial = name = None
        permitted: tuple[tuple[int, int], ...] | None = None
        if objects:
            raw = _first(root, TAG_SOFTWARE_VERSION)
            if version is None and raw is not None:
                version = raw.decode(TEXT_ENCODING).rstrip("\x00 ")
            raw = _first(root, TAG_DEVICE_STATE)
            if status is None and raw:
                status = raw[0]
            raw = _first(root, TAG_TERMINAL_ID)
            if tid is None and raw is not None:
                tid = bcd_to_int(raw)
            raw = _first(root, TAG_SERIAL_NUMBER)
            serial = raw.hex() if raw else None
            raw = _first(root, TAG_DEVICE_NAME)
            name = raw.decode(TEXT_ENCODING).rstrip("\x00 ") if raw else None
            lists = root.find(TAG_PERMITTED_COMMANDS)
            if lists:
                controls = [t.value for t in lists[0].find(TAG_PERMITTED_COMMAND)]
                if any(len(c) != 2 for c in controls):
                    raise CodecError("permitted command that is not a 2-byte control field")
                permitted = tuple((c[0], c[1]) for c in controls)
        return cls(status, tid, f.bcd_int(0x49), version, serial, name, permitted, objects,
                   lllvar)


@dataclass(frozen=True)
class TerminalAbort:
    """3.4 Abort (06 1E): ``<result-code> [...]``; the command failed, master role returns."""

    CONTROL: ClassVar[tuple[int, int]] = (0x06, 0x1E)
    result_code: int | None = None

    def to_apdu(self) -> Apdu:
        data = b"" if self.result_code is None else bytes((self.result_code,))
        return Apdu(*self.CONTROL, data)

    @classmethod
    def from_apdu(cls, apdu: Apdu) -> TerminalAbort:
        _expect(apdu, cls.CONTROL)
        return cls(apdu.data[0] if apdu.data else None)


#: Messages the spec lets a terminal send that the kiosk has no use for: acknowledged
#: and ignored (04 01 set date and time in the ECR).
INFORMATIONAL = frozenset({(0x04, 0x01)})
#: Requests to the ECR for a function the kiosk does not offer (input and menu
#: requests, display texts, PIN verification, blocked-list query, MAC, dial-up,
#: transparent mode): answered 84 83 "function not possible" so the terminal goes on.
ECR_REQUESTS = frozenset({
    (0x04, 0x0D), (0x04, 0x0E), (0x06, 0x85), (0x06, 0x86), (0x06, 0x87), (0x06, 0x88),
    (0x06, 0xD8), (0x06, 0xD9), (0x06, 0xDA), (0x06, 0xDB), (0x06, 0xDD), (0x06, 0xE0),
    (0x06, 0xE1), (0x06, 0xE2), (0x06, 0xE3), (0x06, 0xE4), (0x06, 0xE5),
})


@dataclass(frozen=True)
class OtherMessage:
    """A message the spec allows but the kiosk does not use; ``request`` ones get 84 83."""

    apdu: Apdu

    @property
    def request(self) -> bool:
        return self.apdu.control in ECR_REQUESTS

    def to_apdu(self) -> Apdu:
        return self.apdu


TerminalMessage = (
    PositiveAck
    | NegativeAck
    | IntermediateStatus
    | StatusInformation
    | PrintLine
    | PrintTextBlock
    | Completion
    | TerminalAbort
    | OtherMessage
)


def parse_terminal_message(apdu: Apdu) -> TerminalMessage:
    """Decode what the terminal sent (ECR side).

    A malformed message, or one the spec does not let a terminal send, is a
    :class:`CodecError`: the driver acknowledges it and ends the command at once.
    """
    control = apdu.control
    if control == (0x80, 0x00) or control == (0x84, 0x00):
        return PositiveAck()
    if apdu.cls == 0x84:
        return NegativeAck(apdu.instr)
    if control in INFORMATIONAL or control in ECR_REQUESTS:
        return OtherMessage(apdu)
    parsers = {
        IntermediateStatus.CONTROL: IntermediateStatus.from_apdu,
        StatusInformation.CONTROL: StatusInformation.from_apdu,
        PrintLine.CONTROL: PrintLine.from_apdu,
        PrintTextBlock.CONTROL: PrintTextBlock.from_apdu,
        Completion.CONTROL: Completion.from_apdu,
        TerminalAbort.CONTROL: TerminalAbort.from_apdu,
    }
    parser = parsers.get(control)
    if parser is None:
        raise CodecError(f"not a message a terminal sends: {apdu.cls:02X} {apdu.instr:02X}")
    message: TerminalMessage = parser(apdu)  # type: ignore[operator,assignment]
    return message


# =========================================================================== vectors

VECTORS: tuple[tuple[object, str], ...] = (
    (Registration("000000", 0xBE, 840), "06 00 06 00 00 00 BE 08 40"),
    (Registration("123456", 0xBA, 978, 0x02), "06 00 08 12 34 56 BA 09 78 03 02"),
    (Authorization(1250, 840), "06 01 0A 04 00 00 00 00 12 50 49 08 40"),
    (Authorization(1, None), "06 01 07 04 00 00 00 00 00 01"),
    (PreAuthorization(2000, 840), "06 22 0A 04 00 00 00 00 20 00 49 08 40"),
    (BookTotal(42, 1500, 840), "06 24 0D 87 00 42 04 00 00 00 00 15 00 49 08 40"),
    (PreAuthReversal(42, 2000, 840), "06 25 0D 87 00 42 04 00 00 00 00 20 00 49 08 40"),
    (Reversal("000000", 42), "06 30 06 00 00 00 87 00 42"),
    (Reversal("000000"), "06 30 03 00 00 00"),
    (Refund("000000", 500, 840), "06 31 0D 00 00 00 04 00 00 00 00 05 00 49 08 40"),
    (EndOfDay("000000"), "06 50 03 00 00 00"),
    (StatusEnquiry("000000"), "05 01 03 00 00 00"),
    (RepeatReceipt("000000"), "06 20 03 00 00 00"),
    (Diagnosis(), "06 70 00"),
    (LogOff(), "06 02 00"),
    (Abort(), "06 B0 00"),
    (PositiveAck(), "80 00 00"),
    (NegativeAck(0x83), "84 83 00"),
    (IntermediateStatus(0x0A), "04 FF 01 0A"),
    (IntermediateStatus(0x01, 30), "04 FF 02 01 1E"),
    (
        StatusInformation(result_code=0, amount_cents=1250, receipt_no=42, trace_no=7),
        "04 0F 10 27 00 04 00 00 00 00 12 50 0B 00 00 07 87 00 42",
    ),
    (StatusInformation(result_code=0x05), "04 0F 02 27 05"),
    (PrintLine("TOTAL  12.50", 0x80), "06 D1 0D 80 54 4F 54 41 4C 20 20 31 32 2E 35 30"),
    (PrintTextBlock(("OK",), RECEIPT_CUSTOMER), "06 D3 0C 06 0A 25 04 07 02 4F 4B 1F 07 01 02"),
    (Completion(0x00, 52500001), "06 0F 07 19 00 29 52 50 00 01"),
    (Completion(), "06 0F 00"),
    (Completion.status_enquiry("V1.2", 0x00), "06 0F 08 F0 F0 F4 56 31 2E 32 00"),
    (Completion(permitted_commands=((0x06, 0x01), (0x06, 0x20))),
     "06 0F 0C 06 0A 26 08 0A 02 06 01 0A 02 06 20"),
    (TerminalAbort(0x6C), "06 1E 01 6C"),
)


def decode_any(apdu: Apdu, direction: str) -> object:
    """Decode in either direction; used by the vector tests."""
    if direction == "ecr":
        return parse_ecr_command(apdu)
    return parse_terminal_message(apdu)


__all__ = [
    "CONFIG_BYTE",
    "ECR_COMMANDS",
    "ECR_REQUESTS",
    "INFORMATIONAL",
    "VECTORS",
    "Abort",
    "Authorization",
    "BookTotal",
    "Completion",
    "Diagnosis",
    "EcrCommand",
    "EndOfDay",
    "IntermediateStatus",
    "LogOff",
    "NegativeAck",
    "OtherMessage",
    "PositiveAck",
    "PreAuthReversal",
    "PreAuthorization",
    "PrintLine",
    "PrintTextBlock",
    "Refund",
    "Registration",
    "RepeatReceipt",
    "Reversal",
    "StatusEnquiry",
    "StatusInformation",
    "TerminalAbort",
    "TerminalMessage",
    "decode_tlv",
    "parse_ecr_command",
    "parse_terminal_message",
]
