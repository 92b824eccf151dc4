"""The SIM read sequence over an abstract ``transmit`` (pure: no PC/SC, no threads).

``transmit(apdu) -> raw response`` is supplied by a backend (pyscard, the
simulator, a test double). It raises :class:`kiosk.errors.ReaderError`
subclasses for transport trouble and enforces its own deadline per exchange;
this module adds the card dialogue (ETSI TS 102 221 / 3GPP TS 51.011):

* UICC first: class ``00``, SELECT by FID with P2=04 (FCP); a card that
  answers ``6E00``/``6D00`` is a GSM SIM and gets class ``A0`` (SELECT + GET
  RESPONSE on ``9Fxx``) for the rest of the session;
* ``61xx`` → GET RESPONSE, ``6Cxx`` → same command with Le=xx;
* EF_ICCID is mandatory (failure = the read fails); IMSI, GID1, SPN and
  MSISDN are best effort: absent → ``None``, PIN-protected → ``"protected"``,
  unreadable → ``None`` (logged); a timeout stops the optional part.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from devices.card import apdu, sim_files
from devices.card.apdu import CLA_GSM, CLA_UICC, Response
from devices.card.carriers import CarrierTable
from devices.card.errors import SimDataError, UnexpectedStatus
from devices.card.sim_files import FileInfo, Structure
from kiosk.errors import ReaderTimeout, UnreadableCard
from kiosk.ports import PROTECTED, SimCard

log = logging.getLogger(__name__)

Transmit = Callable[[bytes], bytes]

MF = 0x3F00
EF_ICCID = 0x2FE2
DF_GSM = 0x7F20
DF_TELECOM = 0x7F10
EF_IMSI = 0x6F07
EF_GID1 = 0x6F3E
EF_SPN = 0x6F46
EF_MSISDN = 0x6F40

ICCID_PATH = (MF, EF_ICCID)
IMSI_PATH = (MF, DF_GSM, EF_IMSI)
GID1_PATH = (MF, DF_GSM, EF_GID1)
SPN_PATH = (MF, DF_GSM, EF_SPN)
MSISDN_PATH = (MF, DF_TELECOM, EF_MSISDN)

#: How many 61xx/6Cxx/9Fxx follow-ups one command may cause before we call the card broken.
MAX_CHAINED = 4
_FOLLOW_UP = frozenset({0x61, 0x6C})


class FileMissing(Exception):
    """Internal: the file does not exist on this card (6A82 / 9404)."""


class FileProtected(Exception):
    """Internal: reading the file needs the PIN (6982 / 9804)."""


@dataclass
class SimSession:
    """One card dialogue. Knows the class byte once the first SELECT has settled it."""

    transmit: Transmit
    cla: int | None = None

    # ------------------------------------------------------------------ exchanges

    def exchange(self, command: bytes) -> Response:
        """Send ``command`` and follow 61xx (GET RESPONSE) and 6Cxx (resend with Le)."""
        response = apdu.parse_response(self.transmit(command))
        if response.sw >> 8 not in _FOLLOW_UP:  # most answers: nothing to follow
            return response
        for _ in range(MAX_CHAINED):
            if response.sw1 == 0x61:
                response = apdu.parse_response(
                    self.transmit(apdu.get_response(command[0], response.sw2))
                )
            elif response.sw1 == 0x6C:
                command = apdu.with_le(command, response.sw2)
                response = apdu.parse_response(self.transmit(command))
            else:
                return response
        raise UnexpectedStatus(
            f"card kept asking for follow-ups ({response.sw:04X})", sw=response.sw
        )

    def _select_one(self, cla: int, fid: int) -> Response:
        if cla == CLA_UICC:
            return self.exchange(apdu.select(cla, fid, apdu.P2_FCP))
        response = self.exchange(apdu.select(cla, fid, 0x00))
        if response.sw1 == 0x9F:  # GSM: response data waiting, fetch it
            response = self.exchange(apdu.get_response(cla, response.sw2))
        return response

    def select(self, fid: int, *, describe: bool = True) -> FileInfo:
        """SELECT ``fid`` (settling UICC vs GSM on the first call) and parse what it says;
        ``describe=False``: a step on the way to a file, whose description nobody uses
        (its status word is still checked)."""
        if self.cla is None:
            response = self._select_one(CLA_UICC, fid)
            if response.sw in (apdu.SW_WRONG_CLASS, apdu.SW_WRONG_INS):
                log.debug("card refused class 00 (%04X): GSM SIM, using class A0", response.sw)
                self.cla = CLA_GSM
                response = self._select_one(CLA_GSM, fid)
            else:
                self.cla = CLA_UICC
        else:
            response = self._select_one(self.cla, fid)
        if response.sw in apdu.SW_NOT_FOUND:
            raise FileMissing(f"{fid:04X}")
        if response.sw in apdu.SW_PROTECTED:
            raise FileProtected(f"{fid:04X}")
        if not response.ok:
            raise UnexpectedStatus(
                f"SELECT {fid:04X} answered {response.sw:04X}", sw=response.sw
            )
        if not response.data or not describe:  # some UICCs answer 9000 without FCP
            return FileInfo(Structure.OTHER)
        if self.cla == CLA_GSM:
            return sim_files.parse_gsm_select(response.data)
        return sim_files.parse_fcp(response.data)

    def select_path(self, path: tuple[int, ...]) -> FileInfo:
        """SELECT each file of ``path`` in turn; what the last one says about itself."""
        *way, last = path
        for fid in way:
            self.select(fid, describe=False)
        return self.select(last)

    def _check(self, response: Response, what: str) -> bytes:
        if response.sw in apdu.SW_PROTECTED:
            raise FileProtected(what)
        if response.sw in apdu.SW_NOT_FOUND:
            raise FileMissing(what)
        if not response.ok:
            raise UnexpectedStatus(f"{what} answered {response.sw:04X}", sw=response.sw)
        return response.data

    def read_transparent(self, info: FileInfo, default_size: int) -> bytes:
        """READ BINARY of the whole (small) file; Le from the FCP size when known."""
        size = info.size if info.size else default_size
        size = min(size, 0xFF)
        return self._check(
            self.exchange(apdu.read_binary(self._settled_cla(), 0, size)), "READ BINARY"
        )

    def read_first_record(self, info: FileInfo) -> bytes:
        if info.record_length is None:
            raise SimDataError("record file without a record length")
        return self._check(
            self.exchange(apdu.read_record(self._settled_cla(), 1, info.record_length)),
            "READ RECORD",
        )

    def _settled_cla(self) -> int:
        if self.cla is None:
            raise UnexpectedStatus("READ before any SELECT: no class settled")
        return self.cla

    # ------------------------------------------------------------------ files

    def read_iccid(self) -> str:
        """Mandatory: EF_ICCID under MF. Any failure is an ``UnreadableCard``."""
        try:
            info = self.select_path(ICCID_PATH)
            raw = self.read_transparent(info, 10)
        except FileMissing as exc:
            raise UnreadableCard("the card has no EF_ICCID: not a SIM") from exc
        except FileProtected as exc:
            raise UnreadableCard("EF_ICCID is protected: not a SIM as expected") from exc
        return sim_files.decode_iccid(raw[:10])


@dataclass(frozen=True)
class OptionalFiles:
    imsi: str | None = None
    gid1: str | None = None
    spn: str | None = None
    msisdn: str | None = None


def _read_optional(session: SimSession, path: tuple[int, ...], record: bool,
                   decode: Callable[[bytes], str | None]) -> str | None:
    try:
        info = session.select_path(path)
        raw = session.read_first_record(info) if record else session.read_transparent(info, 0xFF)
        return decode(raw)
    except FileMissing:
        return None
    except FileProtected:
        return PROTECTED


def read_optional_files(session: SimSession) -> OptionalFiles:
    """Best effort: each file on its own; a timeout ends the optional part (the
    transport is no longer usable), removal and unplugging propagate."""
    plan: list[tuple[str, tuple[int, ...], bool, Callable[[bytes], str | None]]] = [
        ("imsi", IMSI_PATH, False, sim_files.decode_imsi),
        ("gid1", GID1_PATH, False, sim_files.decode_gid1),
        ("spn", SPN_PATH, False, sim_files.decode_spn),
        ("msisdn", MSISDN_PATH, True, sim_files.decode_msisdn_record),
    ]
    values: dict[str, str | None] = {}
    for name, path, record, decode in plan:
        try:
            values[name] = _read_optional(session, path, record, decode)
        except ReaderTimeout:
            log.warning("timeout reading optional file %s; skipping the rest", name)
            break
        except UnreadableCard as exc:  # includes SimDataError, MalformedResponse
            log.warning("optional file %s unreadable: %s", name, exc)
            values[name] = None
    return OptionalFiles(**values)


def read_sim(transmit: Transmit, *, atr: str, reader: str, carriers: CarrierTable,
             optional: bool = True,
             on_iccid: Callable[[SimCard], None] | None = None) -> SimCard:
    """The whole read: ICCID (mandatory), then the optional files, then carrier identification.

    ``on_iccid`` receives the card as known after the mandatory part, so a caller
    that must give up during the optional part still has the ICCID.
    """
    session = SimSession(transmit)
    iccid = session.read_iccid()
    mandatory = build_card(iccid, OptionalFiles(), atr=atr, reader=reader, carriers=carriers)
    if on_iccid is not None:
        on_iccid(mandatory)
    if not optional:
        return mandatory
    return build_card(iccid, read_optional_files(session), atr=atr, reader=reader,
                      carriers=carriers)


def build_card(iccid: str, extra: OptionalFiles, *, atr: str, reader: str,
               carriers: CarrierTable) -> SimCard:
    match = carriers.identify(
        iccid=iccid,
        imsi=_plain(extra.imsi),
        gid1=_plain(extra.gid1),
        spn=_plain(extra.spn),
    )
    return SimCard(
        iccid=iccid,
        iccid_valid=sim_files.luhn_valid(iccid),
        atr=atr,
        reader=reader,
        imsi=extra.imsi,
        gid1=extra.gid1,
        spn=extra.spn,
        msisdn=extra.msisdn,
        carrier=match.carrier,
        carrier_source=match.source,
        host_network_only=match.host_network_only,
    )


def _plain(value: str | None) -> str | None:
    return None if value == PROTECTED else value
