"""Pure codecs: APDU helpers, SIM file decoders, Luhn; hypothesis keeps decoders to SimDataError."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.card import apdu, sim_files
from devices.card.errors import MalformedResponse, SimDataError
from devices.card.sim_files import FileInfo, Structure
from devices.vsim.card import PROFILES, CardOptions, Mode, VirtualSim, with_luhn
from kiosk.errors import UnreadableCard

# --------------------------------------------------------------------------- APDU


def test_parse_response_splits_data_and_sw() -> None:
    r = apdu.parse_response(bytes.fromhex("0102039000"))
    assert (r.data, r.sw, r.sw1, r.sw2, r.ok) == (b"\x01\x02\x03", 0x9000, 0x90, 0x00, True)


@pytest.mark.parametrize("raw", [b"", b"\x90"])
def test_parse_response_rejects_short_answers(raw: bytes) -> None:
    with pytest.raises(MalformedResponse):
        apdu.parse_response(raw)


def test_command_builders() -> None:
    assert apdu.select(0x00, 0x2FE2, 0x04).hex().upper() == "00A40004022FE2"
    assert apdu.select(0xA0, 0x3F00, 0x00).hex().upper() == "A0A40000023F00"
    assert apdu.read_binary(0xA0, 0, 10).hex().upper() == "A0B000000A"
    assert apdu.read_record(0x00, 1, 0x1C).hex().upper() == "00B201041C"
    assert apdu.get_response(0xA0, 0x0F).hex().upper() == "A0C000000F"
    assert apdu.with_le(bytes.fromhex("00B0000000"), 0x0A).hex().upper() == "00B000000A"


# --------------------------------------------------------------------------- ICCID


@pytest.mark.parametrize(
    ("raw", "iccid"),
    [
        # 20 digits: 89 01 26 ... swapped nibbles
        ("981062103254769810F2", "8901260123456789012F"),
    ],
)
def test_swapped_nibbles(raw: str, iccid: str) -> None:
    assert sim_files.swapped_nibbles(bytes.fromhex(raw)) == iccid


def test_iccid_20_digits_roundtrip_and_luhn() -> None:
    digits = with_luhn("8901260123456789012")
    assert len(digits) == 20
    raw = sim_files.encode_iccid(digits)
    assert len(raw) == 10
    assert sim_files.decode_iccid(raw) == digits
    assert sim_files.luhn_valid(digits)


def test_iccid_19_digits_strips_f_padding() -> None:
    digits = with_luhn("890126012345678901")
    raw = sim_files.encode_iccid(digits)
    assert raw[-1] >> 4 == 0xF  # the last nibble is padding
    assert sim_files.decode_iccid(raw) == digits
    assert sim_files.luhn_valid(digits)


def _luhn_by_the_book(payload: str) -> str:
    """ITU-T E.118 / ISO 7812 as written: from the right, double every second digit
    starting with the one next to the check digit, add the digits of the products."""
    total = 0
    for position, ch in enumerate(reversed(payload)):
        d = int(ch) * (2 if position % 2 == 0 else 1)
        total += d // 10 + d % 10
    return str((10 - total % 10) % 10)


@given(st.text(alphabet="0123456789", max_size=25))
def test_luhn_check_digit_matches_the_definition(payload: str) -> None:
    assert sim_files.luhn_check_digit(payload) == _luhn_by_the_book(payload)
    assert sim_files.luhn_valid(payload + _luhn_by_the_book(payload))


@pytest.mark.parametrize("payload", ["89A1", "8901 2", "٣٣"])
def test_luhn_check_digit_refuses_non_digits(payload: str) -> None:
    with pytest.raises(ValueError, match="decimal digits"):
        sim_files.luhn_check_digit(payload)
    assert not sim_files.luhn_valid(payload + "0")


def test_luhn_detects_a_wrong_check_digit() -> None:
    digits = with_luhn("8901410321098765432")
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert not sim_files.luhn_valid(wrong)
    assert sim_files.luhn_valid("79927398713")  # the textbook example
    assert not sim_files.luhn_valid("")


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("98AB62103254769810F2", "not BCD"),  # A/B nibbles
        ("9810F2103254769810F2", "not BCD"),  # F in the middle
        ("98106210", "digits"),  # truncated: 8 digits
        ("FFFFFFFFFFFFFFFFFFFF", "digits"),  # erased
        ("18106210325476981002", "89"),  # no telecom prefix
    ],
)
def test_iccid_rejects_bad_content(raw: str, why: str) -> None:
    with pytest.raises(SimDataError, match=why):
        sim_files.decode_iccid(bytes.fromhex(raw))


# --------------------------------------------------------------------------- IMSI, GID1, SPN, MSISDN


def test_imsi_decodes_odd_length_with_parity_nibble() -> None:
    # 310260123456789: length 8, first byte 0x39 = digit 3 + parity 9 (odd, IMSI)
    raw = bytes.fromhex("083901621032547698")
    assert sim_files.decode_imsi(raw) == "310260123456789"
    assert sim_files.encode_imsi("310260123456789") == raw


def test_imsi_even_length_and_erased() -> None:
    assert sim_files.decode_imsi(sim_files.encode_imsi("31026012345678")) == "31026012345678"
    assert sim_files.decode_imsi(b"\xff" * 9) is None
    with pytest.raises(SimDataError):
        sim_files.decode_imsi(bytes.fromhex("0939106210"))  # length byte past the end


def test_gid1_hex_without_padding() -> None:
    assert sim_files.decode_gid1(bytes.fromhex("D1A0FFFF")) == "D1A0"
    assert sim_files.decode_gid1(b"\xff\xff") is None


def test_spn_gsm7_and_ucs2() -> None:
    assert sim_files.decode_spn(b"\x01" + b"T-Mobile" + b"\xff" * 8) == "T-Mobile"
    assert sim_files.decode_spn(b"\x00" + b"AT&T" + b"\xff" * 12) == "AT&T"
    assert sim_files.decode_spn(b"\x00\x80" + "中国".encode("utf-16-be") + b"\xff" * 11) == "中国"
    assert sim_files.decode_spn(b"\x00" + b"\xff" * 16) is None
    # 0x81 compact UCS2: count 2, base 0x08<<7 = U+0400, chars 0x90 0x91 -> U+0410 U+0411
    assert sim_files.decode_spn(b"\x00\x81\x02\x08\x90\x91") == "АБ"
    with pytest.raises(SimDataError):
        sim_files.decode_spn(b"\x00\xe9abc")


def test_msisdn_record() -> None:
    record = sim_files.encode_msisdn_record("12025550104", "My number", 10)
    assert len(record) == 24
    assert sim_files.decode_msisdn_record(record) == "12025550104"
    assert sim_files.decode_msisdn_record(b"\xff" * 24) is None
    with pytest.raises(SimDataError):
        sim_files.decode_msisdn_record(b"\x00" * 5)
    with pytest.raises(SimDataError):
        sim_files.decode_msisdn_record(bytes([0x0C, 0x91]) + b"\x21" * 12)


def test_fcp_and_gsm_select_responses() -> None:
    sim = VirtualSim(PROFILES["tmobile"])
    fcp_ef = sim._fcp(sim._mf.children[0x2FE2])
    assert sim_files.parse_fcp(fcp_ef) == FileInfo(Structure.TRANSPARENT, 10)
    msisdn = sim._mf.children[0x7F10].children[0x6F40]
    assert sim_files.parse_fcp(sim._fcp(msisdn)) == FileInfo(Structure.LINEAR_FIXED, 48, 24, 2)
    assert sim_files.parse_fcp(sim._fcp(sim._mf)).structure is Structure.DF
    assert sim_files.parse_gsm_select(sim._gsm_response(msisdn)) == FileInfo(
        Structure.LINEAR_FIXED, 48, 24, 2)
    assert sim_files.parse_gsm_select(sim._gsm_response(sim._mf)).structure is Structure.DF
    with pytest.raises(SimDataError):
        sim_files.parse_fcp(b"\x6f\x02\x82\x01")
    with pytest.raises(SimDataError):
        sim_files.parse_gsm_select(b"\x00\x00")


def test_vsim_modes_refuse_the_other_class() -> None:
    uicc = VirtualSim(PROFILES["att"], CardOptions(mode=Mode.UICC))
    gsm = VirtualSim(PROFILES["att"], CardOptions(mode=Mode.GSM, refuse_sw=0x6D00))
    assert uicc.process(apdu.select(0xA0, 0x3F00, 0)) == b"\x6e\x00"
    assert gsm.process(apdu.select(0x00, 0x3F00, 4)) == b"\x6d\x00"


# --------------------------------------------------------------------------- properties

DECODERS = [
    sim_files.decode_iccid,
    sim_files.decode_imsi,
    sim_files.decode_gid1,
    sim_files.decode_spn,
    sim_files.decode_msisdn_record,
    sim_files.decode_alpha,
    sim_files.parse_fcp,
    sim_files.parse_gsm_select,
    apdu.parse_response,
]


#: Each decoder's fuzz run stays small and bounded: the suite must stay quick (per-example deadline,
#: a fixed number of examples, no shrinking database between runs).
FUZZ = settings(max_examples=300, deadline=dt.timedelta(milliseconds=250), database=None,
                suppress_health_check=[HealthCheck.too_slow])


def _strings_in(value: object) -> list[str]:
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("decoder", DECODERS, ids=lambda d: d.__name__)
@FUZZ
@given(raw=st.binary(max_size=64))
def test_decoders_raise_only_package_errors(decoder: object, raw: bytes) -> None:
    # SimDataError / MalformedResponse (both UnreadableCard) are the package's own errors
    with contextlib.suppress(UnreadableCard):
        result = decoder(raw)  # type: ignore[operator]
        for text in _strings_in(result):
            text.encode("utf-8")  # never a lone surrogate: what a decoder returns can be stored and hashed


ALPHA_HEADERS = st.sampled_from([b"\x80", b"\x81", b"\x82", b""])


@FUZZ
@given(head=ALPHA_HEADERS, body=st.binary(max_size=40))
def test_alpha_identifiers_are_always_valid_unicode(head: bytes, body: bytes) -> None:
    for decoder in (sim_files.decode_alpha, sim_files.decode_spn):
        raw = (b"\x00" if decoder is sim_files.decode_spn else b"") + head + body
        with contextlib.suppress(SimDataError):
            text = decoder(raw)
            if text is not None:
                text.encode("utf-8")


def test_invalid_ucs2_code_units_become_replacement_characters() -> None:
    # 80 form: a lone high surrogate, then "A"; a lone low surrogate; a valid pair stays an emoji
    assert sim_files.decode_alpha(b"\x80\xd8\x00\x00\x41\xff\xff") == "\ufffdA"
    assert sim_files.decode_alpha(b"\x80\xdc\x00") == "\ufffd"
    assert sim_files.decode_alpha(b"\x80\xd8\x3d\xde\x00") == "\U0001f600"
    # 82 form: base D7FF + offsets 0, 1 -> U+D7FF, then a surrogate; base FFF0 + 0x7F is past U+FFFF
    assert sim_files.decode_alpha(b"\x82\x02\xd7\xff\x80\x81") == "\ud7ff\ufffd"
    assert sim_files.decode_alpha(b"\x82\x02\xff\xf0\x80\xff") == "\ufff0\ufffd"
    assert sim_files.decode_spn(b"\x00\x80\xd8\x00") == "\ufffd"


@FUZZ
@given(payload=st.text(alphabet="0123456789", min_size=16, max_size=17))
def test_iccid_roundtrip_property(payload: str) -> None:
    digits = with_luhn("89" + payload)
    assert sim_files.decode_iccid(sim_files.encode_iccid(digits)) == digits
    assert sim_files.luhn_valid(digits)


@FUZZ
@given(digits=st.text(alphabet="0123456789", min_size=6, max_size=15))
def test_imsi_roundtrip_property(digits: str) -> None:
    assert sim_files.decode_imsi(sim_files.encode_imsi(digits)) == digits
