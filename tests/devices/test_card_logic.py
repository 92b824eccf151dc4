"""The read sequence over an abstract transmit: classes, follow-ups, protected files, faults."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.card.carriers import CarrierTable
from devices.card.errors import SimDataError
from devices.card.reader_logic import SimSession, read_sim
from devices.vsim.card import PROFILES, CardOptions, Fault, Mode, VirtualSim
from kiosk.errors import CardRemoved, ReaderError, ReaderTimeout, UnreadableCard
from kiosk.ports import PROTECTED

CARRIERS = CarrierTable.load_default()


def _read(sim: VirtualSim, transmit: Callable[[bytes], bytes] | None = None):  # type: ignore[no-untyped-def]
    return read_sim(transmit or sim.process, atr=sim.atr.hex().upper(), reader="test",
                    carriers=CARRIERS)


class Recorder:
    """Wraps a VirtualSim and records the command APDUs as hex."""

    def __init__(self, sim: VirtualSim) -> None:
        self.sim = sim
        self.log: list[str] = []

    def __call__(self, command: bytes) -> bytes:
        self.log.append(command.hex().upper())
        return self.sim.process(command)


@pytest.mark.parametrize("mode", list(Mode))
def test_reads_every_file_in_every_mode(mode: Mode) -> None:
    card = _read(VirtualSim(PROFILES["mint"], CardOptions(mode=mode)))
    assert card.iccid == PROFILES["mint"].iccid
    assert card.iccid_valid
    assert (card.imsi, card.gid1, card.spn, card.msisdn) == (
        "310260555555555", "D1A0", "Mint", "12025550104")
    assert (card.carrier, card.carrier_source, card.host_network_only) == (
        "Mint Mobile", "gid1", False)


def test_uicc_sequence_uses_fcp_get_response_and_6c() -> None:
    rec = Recorder(VirtualSim(PROFILES["att"], CardOptions(mode=Mode.UICC)))
    SimSession(rec).read_iccid()
    assert rec.log == [
        "00A40004023F00", "00C000000A",  # SELECT MF (61 0A) → GET RESPONSE
        "00A40004022FE2", "00C000000E",  # SELECT EF_ICCID → FCP, size 10
        "00B000000A",  # READ BINARY, Le from the FCP
    ]


def test_gsm_fallback_on_6e00_and_6d00() -> None:
    for refuse in (0x6E00, 0x6D00):
        rec = Recorder(VirtualSim(PROFILES["att"], CardOptions(mode=Mode.GSM, refuse_sw=refuse)))
        session = SimSession(rec)
        assert session.read_iccid() == PROFILES["att"].iccid
        assert session.cla == 0xA0
        assert rec.log[:3] == ["00A40004023F00", "A0A40000023F00", "A0C000000F"]


def test_6cxx_resends_with_the_right_le() -> None:
    sim = VirtualSim(PROFILES["att"], CardOptions(mode=Mode.UICC))
    session = SimSession(sim.process)
    session.select_path((0x3F00, 0x2FE2))
    response = session.exchange(bytes.fromhex("00B0000000"))  # Le=0 → 6C0A → resend
    assert response.ok and len(response.data) == 10


def test_19_digit_iccid() -> None:
    card = _read(VirtualSim(PROFILES["short-iccid"]))
    assert len(card.iccid) == 19 and card.iccid_valid


def test_pin_enabled_card_reports_protected_files() -> None:
    for mode in (Mode.UICC, Mode.GSM):
        card = _read(VirtualSim(PROFILES["tmobile"], CardOptions(mode=mode, pin_enabled=True)))
        assert card.iccid == PROFILES["tmobile"].iccid
        assert card.imsi == PROTECTED and card.msisdn == PROTECTED
        assert card.spn == "T-Mobile"
        assert (card.carrier, card.carrier_source, card.host_network_only) == (
            "T-Mobile", "iccid", False)


def test_missing_optional_files_are_none_and_host_network_only() -> None:
    card = _read(VirtualSim(PROFILES["mvno-unknown"]))
    assert (card.spn, card.msisdn, card.gid1) == (None, None, None)
    assert (card.carrier, card.carrier_source, card.host_network_only) == ("AT&T", "iccid", True)


@pytest.mark.parametrize(
    ("fault", "error"),
    [(Fault.GARBAGE, UnreadableCard), (Fault.TRUNCATED, SimDataError),
     (Fault.NONBCD, SimDataError)],
)
def test_faulty_cards_fail_with_unreadable_card(fault: Fault, error: type[Exception]) -> None:
    with pytest.raises(error):
        _read(VirtualSim(PROFILES["att"], CardOptions(fault=fault)))


def test_timeout_in_optional_files_keeps_the_iccid() -> None:
    sim = VirtualSim(PROFILES["att"])

    def transmit(command: bytes) -> bytes:
        if sim.commands >= 8:
            raise ReaderTimeout("slow")
        return sim.process(command)

    card = _read(sim, transmit)
    assert card.iccid == PROFILES["att"].iccid
    assert card.imsi is None and card.msisdn is None


def test_removal_during_optional_files_propagates() -> None:
    sim = VirtualSim(PROFILES["att"])

    def transmit(command: bytes) -> bytes:
        if sim.commands >= 9:
            raise CardRemoved("pulled")
        return sim.process(command)

    with pytest.raises(CardRemoved):
        _read(sim, transmit)


def test_endless_61xx_is_unreadable() -> None:
    with pytest.raises(UnreadableCard):
        SimSession(lambda _c: b"\x61\x10").read_iccid()


def test_protected_iccid_is_unreadable() -> None:
    with pytest.raises(UnreadableCard) as info:
        SimSession(lambda _c: b"\x69\x82").read_iccid()
    assert info.value.code == "unreadable_card"


@settings(max_examples=150, deadline=None)
@given(answers=st.lists(st.binary(max_size=24), min_size=1, max_size=40))
def test_any_card_answers_raise_only_reader_errors(answers: list[bytes]) -> None:
    it = iter(answers)

    def transmit(_command: bytes) -> bytes:
        return next(it, b"\x6f\x00")

    try:
        card = read_sim(transmit, atr="", reader="r", carriers=CARRIERS)
    except ReaderError:
        return
    assert len(card.iccid) in (19, 20)


def test_only_the_last_file_of_a_path_is_described() -> None:
    """The MF's FCP is never used, so it is not parsed (one parse per file read, not per
    SELECT): garbage there does not fail the read, garbage in EF_ICCID's own FCP does."""
    sim = VirtualSim(PROFILES["att"], CardOptions(mode=Mode.UICC))
    garbage_fcp = bytes.fromhex("6205AA") + b"\x90\x00"  # a TLV that runs past its end

    def garbled(target: str) -> Callable[[bytes], bytes]:
        selected: list[str] = []

        def transmit(command: bytes) -> bytes:
            if command[1] == 0xA4:
                selected.append(command[5:7].hex().upper())
            if command[1] == 0xC0 and selected[-1] == target:
                return garbage_fcp
            return sim.process(command)
        return transmit

    assert SimSession(garbled("3F00")).read_iccid() == PROFILES["att"].iccid
    with pytest.raises(SimDataError, match="FCP"):
        SimSession(garbled("2FE2")).read_iccid()
