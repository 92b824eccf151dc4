"""Property tests: decoders raise only the driver's errors; encode/decode round-trips."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from payment.errors import CodecError, FrameError
from payment.zvt import bmp
from payment.zvt.apdu import Apdu
from payment.zvt.frame import FrameDecoder, FrameReceived, decode_frame, encode_frame
from payment.zvt.messages import parse_ecr_command, parse_terminal_message

apdus = st.builds(Apdu, st.integers(0, 255), st.integers(0, 255), st.binary(max_size=600))


@given(st.binary(max_size=400))
def test_frame_decoder_never_raises(data: bytes) -> None:
    FrameDecoder().feed(data)


@given(st.binary(max_size=300))
def test_decode_frame_raises_only_frame_error(data: bytes) -> None:
    with contextlib.suppress(FrameError):
        decode_frame(data)


@given(apdus, st.binary(max_size=20).filter(lambda b: 0x10 not in b))
def test_frame_round_trip_with_junk(apdu: Apdu, junk: bytes) -> None:
    raw = apdu.encode()
    events = FrameDecoder().feed(junk + encode_frame(raw))
    assert events[-1] == FrameReceived(raw)


@given(apdus)
def test_apdu_round_trip(apdu: Apdu) -> None:
    assert Apdu.decode(apdu.encode()) == apdu


@given(st.binary(max_size=300))
def test_bmp_decoder_raises_only_codec_error(data: bytes) -> None:
    with contextlib.suppress(CodecError):
        bmp.decode_bmps(data)


@given(st.binary(max_size=200))
def test_tlv_decoder_raises_only_codec_error(data: bytes) -> None:
    with contextlib.suppress(CodecError):
        bmp.decode_tlv(data)


@settings(max_examples=200)
@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=200))
def test_message_parsers_raise_only_codec_error(cls: int, instr: int, data: bytes) -> None:
    for parse in (parse_terminal_message, parse_ecr_command):
        with contextlib.suppress(CodecError):
            parse(Apdu(cls, instr, data))


_fixed = [s for s in bmp.SPECS.values() if s.kind is bmp.Kind.FIXED]
_var = [s for s in bmp.SPECS.values() if s.kind in (bmp.Kind.LLVAR, bmp.Kind.LLLVAR)]


@st.composite
def bmp_fields(draw: st.DrawFn) -> tuple[bmp.Bmp, ...]:
    out = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            spec = draw(st.sampled_from(_fixed))
            value = draw(st.binary(min_size=spec.length, max_size=spec.length))
        else:
            spec = draw(st.sampled_from(_var))
            value = draw(st.binary(max_size=99))
        out.append(bmp.Bmp(spec.tag, value))
    return tuple(out)


@given(bmp_fields())
def test_bmp_round_trip(fields: tuple[bmp.Bmp, ...]) -> None:
    assert bmp.decode_bmps(bmp.encode_bmps(fields)) == fields


@given(st.integers(0, 10**12 - 1))
def test_amount_bcd_round_trip(cents: int) -> None:
    assert bmp.bcd_to_int(bmp.int_to_bcd(cents, 6)) == cents


@given(st.text(alphabet="0123456789*", max_size=19))
def test_pan_digits_round_trip(digits: str) -> None:
    assert bmp.bcd_digits(bmp.digits_to_bcd(digits)) == digits
