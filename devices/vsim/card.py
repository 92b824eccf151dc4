"""The virtual SIM's card model: APDU in, APDU out (pure, no I/O, no clock).

It answers the commands the kiosk's read sequence sends, in both classes:
class ``00`` like a UICC (SELECT P2=04 → ``61xx`` + FCP via GET RESPONSE,
READ BINARY with a wrong Le → ``6Cxx``) and class ``A0`` like a GSM SIM
(SELECT → ``9Fxx`` + GET RESPONSE). The class the card does not speak is
refused with ``6E00`` (or ``6D00``). Faults (garbage, truncated or non-BCD
ICCID) are options, so a test names the misbehaviour it wants.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from enum import StrEnum

from devices.card.sim_files import (
    encode_iccid,
    encode_imsi,
    encode_msisdn_record,
    luhn_check_digit,
)


def with_luhn(payload: str) -> str:
    """``payload`` plus its Luhn check digit (to make valid test ICCIDs)."""
    return payload + luhn_check_digit(payload)


def atr_with_tck(body_hex: str) -> bytes:
    """An ATR with its TCK appended (XOR of T0..Tk, ISO/IEC 7816-3 §8.2.5)."""
    body = bytes.fromhex(body_hex)
    tck = 0
    for b in body[1:]:
        tck ^= b
    return body + bytes([tck])


#: A UICC-style ATR (T=0 and T=1 offered) and a plain GSM SIM ATR (T=0 only, no TCK).
ATR_UICC = atr_with_tck("3B9F96801FC78031E073FE211B633A204E830090 00".replace(" ", ""))
ATR_GSM = bytes.fromhex("3B021450")


class Mode(StrEnum):
    UICC = "uicc"  # class 00 only
    GSM = "gsm"  # class A0 only
    DUAL = "dual"  # both


class Fault(StrEnum):
    NONE = "none"
    GARBAGE = "garbage"  # every answer is 1-3 random bytes
    TRUNCATED = "truncated"  # EF_ICCID reads return 4 bytes + 9000
    NONBCD = "nonbcd"  # EF_ICCID holds A-E nibbles


@dataclass(frozen=True)
class SimProfile:
    """The content of one test SIM."""

    name: str
    iccid: str
    imsi: str | None = None
    gid1: str | None = None  # hex
    spn: str | None = None
    msisdn: str | None = None
    description: str = ""


@dataclass(frozen=True)
class CardOptions:
    mode: Mode = Mode.DUAL
    pin_enabled: bool = False  # IMSI and MSISDN need the PIN
    fault: Fault = Fault.NONE
    refuse_sw: int = 0x6E00  # how the unsupported class is refused (6E00 or 6D00)
    seed: int = 0

    def __post_init__(self) -> None:
        # accept plain strings ("gsm", "garbage") from command lines and test parameters
        object.__setattr__(self, "mode", Mode(self.mode))
        object.__setattr__(self, "fault", Fault(self.fault))


PROFILES: dict[str, SimProfile] = {
    p.name: p
    for p in (
        SimProfile("tmobile", with_luhn("8901260123456789012"), "310260123456789", "544D",
                   "T-Mobile", "12025550101", "T-Mobile USA prepaid"),
        SimProfile("att", with_luhn("8901410321098765432"), "310410987654321", None,
                   "AT&T", "12025550102", "AT&T PREPAID"),
        SimProfile("verizon", with_luhn("8914800000123456789"), "311480123456789", None,
                   "Verizon", "12025550103", "Verizon prepaid"),
        SimProfile("mint", with_luhn("8901260987654321098"), "310260555555555", "D1A0FFFF",
                   "Mint", "12025550104", "Mint Mobile (MVNO on T-Mobile)"),
        SimProfile("mvno-unknown", with_luhn("8901410555555555555"), "310410555555555", None,
                   None, None, "an MVNO on AT&T that the table does not know"),
        SimProfile("short-iccid", with_luhn("890126012345678901"), "310260000000001", None,
                   "T-Mobile", "12025550105", "19-digit ICCID"),
        SimProfile("foreign", with_luhn("8944110012345678901"), "234100123456789", None,
                   None, None, "unknown issuer"),
    )
}


@dataclass
class _File:
    fid: int
    data: bytes = b""
    records: tuple[bytes, ...] = ()
    protected: bool = False
    children: dict[int, _File] = field(default_factory=dict)
    parent: _File | None = None

    @property
    def is_df(self) -> bool:
        return self.fid in (0x3F00, 0x7F10, 0x7F20)

    @property
    def is_record(self) -> bool:
        return bool(self.records)

    @property
    def size(self) -> int:
        return sum(len(r) for r in self.records) if self.records else len(self.data)


def _spn_file(spn: str) -> bytes:
    body = spn.encode("ascii", "replace")[:16]
    return b"\x01" + body + b"\xff" * (16 - len(body))


def build_files(profile: SimProfile, options: CardOptions) -> _File:
    """The file tree: MF{2FE2, DF_GSM{6F07, 6F3E, 6F46}, DF_TELECOM{6F40}}."""
    iccid = encode_iccid(profile.iccid)
    if options.fault is Fault.NONBCD:
        iccid = bytes([0x98, 0xAB]) + iccid[2:]
    mf = _File(0x3F00)
    gsm = _File(0x7F20)
    telecom = _File(0x7F10)
    pin = options.pin_enabled
    files = [(mf, _File(0x2FE2, iccid)), (mf, gsm), (mf, telecom)]
    if profile.imsi:
        files.append((gsm, _File(0x6F07, encode_imsi(profile.imsi), protected=pin)))
    if profile.gid1:
        files.append((gsm, _File(0x6F3E, bytes.fromhex(profile.gid1))))
    if profile.spn:
        files.append((gsm, _File(0x6F46, _spn_file(profile.spn))))
    if profile.msisdn:
        record = encode_msisdn_record(profile.msisdn, "My number", 10)
        files.append((telecom, _File(0x6F40, records=(record, b"\xff" * len(record)),
                                     protected=pin)))
    for parent, child in files:
        child.parent = parent
        parent.children[child.fid] = child
    return mf


class VirtualSim:
    """One inserted card: file tree plus the little state a SIM keeps (current file)."""

    def __init__(self, profile: SimProfile, options: CardOptions | None = None) -> None:
        self.profile = profile
        self.options = options or CardOptions()
        self._mf = build_files(profile, self.options)
        self._rng = random.Random(self.options.seed)
        self.commands = 0
        self.reset()

    @property
    def atr(self) -> bytes:
        return ATR_GSM if self.options.mode is Mode.GSM else ATR_UICC

    def reset(self) -> None:
        self._current = self._mf
        self._pending = b""

    def with_options(self, **changes: object) -> VirtualSim:
        return VirtualSim(self.profile, replace(self.options, **changes))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ dispatch

    def process(self, command: bytes) -> bytes:
        """Answer one command APDU with a response APDU (data + SW)."""
        self.commands += 1
        if self.options.fault is Fault.GARBAGE:
            return bytes(self._rng.randrange(256) for _ in range(self._rng.randint(1, 3)))
        if len(command) < 4:
            return b"\x67\x00"
        cla, ins = command[0], command[1]
        gsm = cla == 0xA0
        if (gsm and self.options.mode is Mode.UICC) or (not gsm and (
            self.options.mode is Mode.GSM or cla & 0xF0 not in (0x00, 0x80)
        )):
            return self.options.refuse_sw.to_bytes(2, "big")
        handler = {0xA4: self._select, 0xC0: self._get_response, 0xB0: self._read_binary,
                   0xB2: self._read_record}.get(ins)
        if handler is None:
            return b"\x6d\x00"
        return handler(command, gsm)

    # ------------------------------------------------------------------ commands

    def _find(self, fid: int) -> _File | None:
        if fid == 0x3F00:
            return self._mf
        df = self._current if self._current.is_df else self._current.parent
        assert df is not None
        if fid in df.children:
            return df.children[fid]
        if df.parent is not None and fid in df.parent.children:
            return df.parent.children[fid]
        return None

    def _select(self, command: bytes, gsm: bool) -> bytes:
        if len(command) < 7 or command[4] != 2:
            return b"\x67\x00"
        target = self._find(int.from_bytes(command[5:7], "big"))
        if target is None:
            return b"\x94\x04" if gsm else b"\x6a\x82"
        self._current = target
        if gsm:
            self._pending = self._gsm_response(target)
            return bytes([0x9F, len(self._pending)])
        p2 = command[3]
        if p2 == 0x0C:
            self._pending = b""
            return b"\x90\x00"
        if p2 != 0x04:
            return b"\x6a\x86"
        self._pending = self._fcp(target)
        return bytes([0x61, len(self._pending)])

    def _fcp(self, f: _File) -> bytes:
        fid = f.fid.to_bytes(2, "big")
        if f.is_df:
            body = b"\x82\x02\x78\x21" + b"\x83\x02" + fid
        elif f.is_record:
            rec_len = len(f.records[0])
            body = (b"\x82\x05\x42\x21" + rec_len.to_bytes(2, "big") + bytes([len(f.records)])
                    + b"\x83\x02" + fid + b"\x80\x02" + f.size.to_bytes(2, "big"))
        else:
            body = b"\x82\x02\x41\x21" + b"\x83\x02" + fid + b"\x80\x02" + f.size.to_bytes(2, "big")
        return b"\x62" + bytes([len(body)]) + body

    def _gsm_response(self, f: _File) -> bytes:
        fid = f.fid.to_bytes(2, "big")
        if f.is_df:
            kind = 0x01 if f.fid == 0x3F00 else 0x02
            return b"\x00\x00\x10\x00" + fid + bytes([kind]) + b"\x00" * 5 + b"\x09\x00\x00"
        structure = 0x01 if f.is_record else 0x00
        rec_len = len(f.records[0]) if f.is_record else 0
        access = b"\x14\x00\x00" if f.protected else b"\x00\x00\x00"
        return (b"\x00\x00" + f.size.to_bytes(2, "big") + fid + b"\x04\x00" + access
                + b"\x01\x02" + bytes([structure, rec_len]))

    def _get_response(self, command: bytes, gsm: bool) -> bytes:
        if not self._pending:
            return b"\x6f\x00"
        le = command[4] if len(command) >= 5 else 0
        data = self._pending if le == 0 else self._pending[:le]
        self._pending = b""
        return data + b"\x90\x00"

    def _denied(self, gsm: bool) -> bytes:
        return b"\x98\x04" if gsm else b"\x69\x82"

    def _read_binary(self, command: bytes, gsm: bool) -> bytes:
        f = self._current
        if f.is_df or f.is_record:
            return b"\x94\x08" if gsm else b"\x69\x81"
        if f.protected:
            return self._denied(gsm)
        offset = int.from_bytes(command[2:4], "big")
        le = command[4] if len(command) >= 5 else 0
        data = f.data
        if f.fid == 0x2FE2 and self.options.fault is Fault.TRUNCATED:
            return data[:4] + b"\x90\x00"
        remaining = data[offset:]
        if le == 0 or le > len(remaining):
            return b"\x67\x00" if gsm else bytes([0x6C, len(remaining)])
        return remaining[:le] + b"\x90\x00"

    def _read_record(self, command: bytes, gsm: bool) -> bytes:
        f = self._current
        if not f.is_record:
            return b"\x94\x08" if gsm else b"\x69\x81"
        if f.protected:
            return self._denied(gsm)
        number, le = command[2], command[4] if len(command) >= 5 else 0
        if not 1 <= number <= len(f.records):
            return b"\x94\x02" if gsm else b"\x6a\x83"
        record = f.records[number - 1]
        if le != len(record):
            return b"\x67\x00" if gsm else bytes([0x6C, len(record)])
        return record + b"\x90\x00"
