"""Codec unit tests against the vectors declared beside each message."""

from __future__ import annotations

import pytest

from kiosk.ports import TerminalPrompt
from payment.errors import CodecError, FrameError
from payment.zvt import apdu as apdu_mod
from payment.zvt import bmp, messages
from payment.zvt.apdu import Apdu
from payment.zvt.codes import intermediate_prompt, mask_pan, result_text
from payment.zvt.crc import CHECK, crc16
from payment.zvt.frame import (
    ControlByte,
    FrameCorrupt,
    FrameDecoder,
    FrameReceived,
    decode_frame,
    encode_frame,
)


def test_crc_catalogue_check_value() -> None:
    assert crc16(b"123456789") == CHECK == 0x2189


def test_frame_of_positive_ack() -> None:
    # 80 00 00 + ETX -> CRC computed independently, low byte first
    frame = encode_frame(bytes.fromhex("800000"))
    crc = crc16(bytes.fromhex("80000003"))
    assert frame == bytes.fromhex("1002800000 1003") + bytes((crc & 0xFF, crc >> 8))
    assert decode_frame(frame) == bytes.fromhex("800000")


def test_dle_is_doubled_and_undoubled() -> None:
    apdu = bytes.fromhex("06D1031010AA")
    frame = encode_frame(apdu)
    assert frame[2:-4] == bytes.fromhex("06D10310101010AA")
    assert decode_frame(frame) == apdu


def test_decoder_skips_junk_and_reports_controls() -> None:
    d = FrameDecoder()
    frame = encode_frame(b"\x80\x00\x00")
    events = d.feed(b"\xff\x00\x41" + bytes((0x06,)) + b"\x99" + frame + b"\x15")
    assert events == [ControlByte(0x06), FrameReceived(b"\x80\x00\x00"), ControlByte(0x15)]
    assert d.junk_bytes == 4


def test_decoder_flags_bad_crc_then_recovers() -> None:
    good = encode_frame(b"\x06\x0f\x00")
    bad = good[:-1] + bytes((good[-1] ^ 1,))
    assert FrameDecoder().feed(bad + good) == [FrameCorrupt("CRC mismatch"),
                                                FrameReceived(b"\x06\x0f\x00")]


def test_decode_frame_rejects_truncated() -> None:
    with pytest.raises(FrameError):
        decode_frame(encode_frame(b"\x80\x00\x00")[:-1])


@pytest.mark.parametrize(("obj", "wire"), apdu_mod.VECTORS)
def test_apdu_vectors(obj: Apdu, wire: str) -> None:
    raw = bytes.fromhex(wire)
    assert obj.encode() == raw
    assert Apdu.decode(raw) == obj


def test_apdu_length_mismatch() -> None:
    with pytest.raises(CodecError):
        Apdu.decode(bytes.fromhex("06010501"))


@pytest.mark.parametrize(("fields", "wire"), bmp.VECTORS)
def test_bmp_vectors(fields: tuple[bmp.Bmp, ...], wire: str) -> None:
    raw = bytes.fromhex(wire)
    assert bmp.encode_bmps(fields) == raw
    assert bmp.decode_bmps(raw) == fields


def test_bmp_unknown_tag_and_bad_prefix() -> None:
    with pytest.raises(CodecError):
        bmp.decode_bmps(b"\x07\x00")
    with pytest.raises(CodecError):
        bmp.decode_bmps(bytes.fromhex("22 F0 AA 12"))


def test_bcd_and_pan_digits() -> None:
    assert bmp.int_to_bcd(1250, 6) == bytes.fromhex("000000001250")
    assert bmp.bcd_to_int(bytes.fromhex("0840")) == 840
    assert bmp.bcd_digits(bytes.fromhex("4761EE19")) == "4761**19"
    assert bmp.digits_to_bcd("123") == bytes.fromhex("123F")
    with pytest.raises(CodecError):
        bmp.bcd_to_int(b"\x1a")


@pytest.mark.parametrize(("obj", "wire"), messages.VECTORS)
def test_message_vectors(obj: object, wire: str) -> None:
    raw = bytes.fromhex(wire)
    assert obj.to_apdu().encode() == raw  # type: ignore[attr-defined]
    apdu = Apdu.decode(raw)
    direction = "ecr" if apdu.control in messages.ECR_COMMANDS else "pt"
    assert messages.decode_any(apdu, direction) == obj


def test_status_information_parses_receipt_fields() -> None:
    st = messages.StatusInformation(result_code=0, amount_cents=1250, currency=840,
                                    trace_no=12, time="101112", date="0131", receipt_no=7,
                                    terminal_id=52500001, pan="476173******0119", card_type=10,
                                    card_name="VISA")
    back = messages.StatusInformation.from_apdu(Apdu.decode(st.to_apdu().encode()))
    assert back == st
    stamp = back.fields().timestamp()
    assert stamp is not None and (stamp.hour, stamp.minute, stamp.second) == (10, 11, 12)


def test_unknown_terminal_message_is_kept() -> None:
    msg = messages.parse_terminal_message(Apdu(0x04, 0x01, b"\x00"))
    assert isinstance(msg, messages.OtherMessage)


@pytest.mark.parametrize(("pan", "masked"), [
    ("4761739001010119", "476173******0119"),
    ("6799998900000000019", "679999*********0019"),
    ("476173******0119", "476173******0119"),
    ("12345678", "****5678"),
    ("1234", "****"),
])
def test_mask_pan(pan: str, masked: str) -> None:
    assert mask_pan(pan) == masked


@pytest.mark.parametrize(("code", "prompt"), [
    (0x0A, TerminalPrompt.INSERT_CARD),
    (0x01, TerminalPrompt.ENTER_PIN),
    (0x15, TerminalPrompt.PIN_WRONG),
    (0x0E, TerminalPrompt.PLEASE_WAIT),
    (0x04, TerminalPrompt.PROCESSING),
    (0x4B, TerminalPrompt.REMOVE_CARD),
    (0x1D, TerminalPrompt.DECLINED),
    (0x77, TerminalPrompt.OTHER),
])
def test_intermediate_status_mapping(code: int, prompt: TerminalPrompt) -> None:
    assert intermediate_prompt(code)[0] is prompt


def test_result_texts() -> None:
    assert result_text(0x6C) == "aborted by timeout or abort key"
    assert "issuer" in result_text(0x33)
    assert result_text(None) == "no result code"


def test_a_real_terminals_status_enquiry_answer() -> None:
    """A completion recorded from a terminal in the field (LLLVAR version, status, nested TLV)."""
    raw = bytes.fromhex(
        "060f89f0f4f04745522d4150502d76322e302e393b635230322e30312e30312d30302e30392d322d323b"
        "4343323600065b1f440452500245e4431f400a6356454e4420626f782b1f41284745522d4150502d7632"
        "2e302e393b635230322e30312e30312d30302e30392d322d323b434332361f420411e930ec1f43010034"
        "0d1f0e04202306221f0f03085556")
    comp = messages.parse_terminal_message(Apdu.decode(raw))
    assert isinstance(comp, messages.Completion)
    assert comp.software_version == "GER-APP-v2.0.9;cR02.01.01-00.09-2-2;CC26"
    assert (comp.status_byte, comp.terminal_id, comp.serial_number, comp.device_name) == \
        (0x00, 52500245, "11e930ec", "cVEND box+")


def test_messages_the_kiosk_does_not_use() -> None:
    info = messages.parse_terminal_message(Apdu(0x04, 0x01, bytes(6)))  # set date and time
    assert isinstance(info, messages.OtherMessage) and not info.request
    menu = messages.parse_terminal_message(Apdu(0x04, 0x0E))  # menu request: answered 84 83
    assert isinstance(menu, messages.OtherMessage) and menu.request
    with pytest.raises(CodecError, match="not a message a terminal sends"):
        messages.parse_terminal_message(Apdu(0x07, 0x07))


def test_bmp60_totals_round_trip() -> None:
    totals = bmp.IndividualTotals(41, 57, (bmp.GroupTotal("VISA", 3, 12000),
                                           bmp.GroupTotal("other", 1, 500)))
    st = messages.StatusInformation(result_code=0, amount_cents=12500, turnover_no=7,
                                    totals=totals)
    back = messages.StatusInformation.from_apdu(st.to_apdu())
    assert back.totals is not None and (back.totals.receipt_from, back.totals.receipt_to,
                                        back.totals.count, back.totals.cents) == (41, 57, 4, 12500)
    assert back.turnover_no == 7
