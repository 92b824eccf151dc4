"""Property tests: decoders raise only the driver's errors; encode/decode round-trips."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payment.errors import CodecError, FrameError
from payment.zvt import bmp, messages
from payment.zvt.apdu import Apdu
from payment.zvt.frame import FrameDecoder, FrameReceived, decode_frame, encode_frame
from payment.zvt.messages import parse_ecr_command, parse_terminal_message

apdus = st.builds(Apdu, st.integers(0, 255), st.integers(0, 255), st.binary(max_size=600))

#: Fuzz tests (one per decoder: frame, APDU, BMP/TLV, every message): whatever bytes
#: arrive, only the driver's typed errors escape. Bounded in time: a fixed number of
#: examples and no per-example deadline (CI machines vary).
FUZZ = settings(max_examples=300, deadline=None)


@FUZZ
@given(st.binary(max_size=400))
def test_frame_decoder_never_raises(data: bytes) -> None:
    FrameDecoder().feed(data)


@FUZZ
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


@FUZZ
@given(st.binary(max_size=300))
def test_bmp_decoder_raises_only_codec_error(data: bytes) -> None:
    with contextlib.suppress(CodecError):
        bmp.decode_bmps(data)


@FUZZ
@given(st.binary(max_size=200))
def test_tlv_decoder_raises_only_codec_error(data: bytes) -> None:
    with contextlib.suppress(CodecError):
        bmp.decode_tlv(data)


@FUZZ
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


# --------------------------------------------------------------------------- fuzz: typed errors only


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_apdu_decoder(data: bytes) -> None:
    with contextlib.suppress(CodecError):
        Apdu.decode(data)


_TERMINAL_TYPES = (messages.IntermediateStatus, messages.StatusInformation, messages.PrintLine,
                   messages.PrintTextBlock, messages.Completion, messages.TerminalAbort)


@FUZZ
@given(st.sampled_from([*_TERMINAL_TYPES, *messages.ECR_COMMANDS.values()]),
       st.binary(max_size=200))
def test_fuzz_every_message_decoder(typ: type, data: bytes) -> None:
    with contextlib.suppress(CodecError):
        typ.from_apdu(Apdu(*typ.CONTROL, data))  # type: ignore[attr-defined]


@FUZZ
@given(st.lists(st.integers(0xF0, 0xF9), min_size=3, max_size=3), st.binary(max_size=120))
def test_fuzz_status_enquiry_completion(prefix: list[int], rest: bytes) -> None:
    with contextlib.suppress(CodecError):
        parse_terminal_message(Apdu(0x06, 0x0F, bytes(prefix) + rest))


@FUZZ
@given(st.binary(min_size=3, max_size=3), st.binary(min_size=2, max_size=2),
       st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_fuzz_time_and_date_fields(time_raw: bytes, date_raw: bytes, today: dt.date) -> None:
    fields = bmp.BmpFields((bmp.Bmp(0x0C, time_raw), bmp.Bmp(0x0D, date_raw)))
    with contextlib.suppress(CodecError):
        stamp = fields.timestamp(today)
        assert stamp is not None and stamp.date() <= today + dt.timedelta(days=2)


@FUZZ
@given(st.binary(max_size=80))
def test_fuzz_bmp60_totals(data: bytes) -> None:
    with contextlib.suppress(CodecError):
        totals = bmp.IndividualTotals.decode(data)
        assert bmp.IndividualTotals.decode(totals.encode()) == totals


@given(st.integers(1, 12), st.integers(1, 31),
       st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_every_real_day_gets_a_year(month: int, day: int, today: dt.date) -> None:
    """29 February included: the latest year, up to tomorrow, in which the date exists."""
    try:
        dt.date(2024, month, day)  # exists in some year (2024 is a leap year)
    except ValueError:
        return
    found = bmp.nearest_date(month, day, today)
    assert (found.month, found.day) == (month, day)
    assert today - dt.timedelta(days=366 * 8) <= found <= today + dt.timedelta(days=1)


def test_29_february_in_a_common_year() -> None:
    fields = bmp.BmpFields((bmp.Bmp(0x0C, bytes.fromhex("120000")),
                            bmp.Bmp(0x0D, bytes.fromhex("0229"))))
    stamp = fields.timestamp(dt.date(2025, 3, 1))
    assert stamp is not None and stamp.date() == dt.date(2024, 2, 29)
    with pytest.raises(CodecError):
        bmp.BmpFields((bmp.Bmp(0x0C, bytes.fromhex("250000")),
                       bmp.Bmp(0x0D, bytes.fromhex("0229")))).timestamp(dt.date(2025, 3, 1))
